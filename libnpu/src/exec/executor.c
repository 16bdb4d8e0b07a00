// SPDX-License-Identifier: MIT
/*
 * libnpu: executors. Both run a program's own command buffers: "npu"
 * hands them to the device through the driver, "ref" interprets them with
 * the plain CPU reference (ref_ops.c). CPU steps are shared code.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device/device.h"
#include "npu_emu_abi.h"
#include "exec.h"
#include "ref/ref.h"

struct npu_executor {
	const struct npu_program *p;
	enum npu_executor_kind kind;
	uint8_t *cmd;			/* relocated command buffers */
	uint8_t *arena;			/* host memory, or the mapped BO */
	struct npu_ref_mem mem;		/* where the regions are */
	struct npu_device *dev;
	struct npu_buffer *wbo, *abo, *cbo;
	/* emu: the plugin and its simulated system */
	void *dl;
	struct npu_emu *emu;
	npu_emu_open_fn *emu_open;
	npu_emu_run_fn *emu_run;
	npu_emu_close_fn *emu_close;
};
#define EMU_CB_BASE		NPU_REF_REGION_BASE(NPU_REGION_COUNT)

uint8_t *npu_relocate(const struct npu_program *p,
		      const uint64_t base[NPU_REGION_COUNT])
{
	uint8_t *cmd = malloc(p->cmdbuf_size ? p->cmdbuf_size : 1);
	uint32_t i;

	if (!cmd)
		return NULL;
	memcpy(cmd, p->cmdbuf, p->cmdbuf_size);
	for (i = 0; i < p->nrelocs; i++) {
		uint64_t v;

		memcpy(&v, cmd + p->relocs[i].offset, 8);
		v += base[p->relocs[i].region];
		memcpy(cmd + p->relocs[i].offset, &v, 8);
	}
	return cmd;
}

/* ---- the reference executor ---- */

static int ref_segment(struct npu_executor *e, const struct npu_step *s,
		       struct npu_job_result *res)
{
	const uint8_t *cb = e->cmd + s->cb_offset;
	uint32_t off = sizeof(struct qnpu_cmdbuf_header), i;

	for (i = 0; i < s->ndesc; i++) {
		struct qnpu_desc_header h;
		uint32_t status;

		memcpy(&h, cb + off, sizeof(h));
		status = npu_ref_run_desc(&e->mem, cb + off);
		if (status != QNPU_STATUS_OK) {
			res->status = status;
			res->error_offset = off;
			return -EIO;
		}
		off += h.size;
	}
	return 0;
}

/* ---- the NPU executor ---- */

/* The device ops @p's segments use: bit n for enum qnpu_op n. */
static uint64_t ops_used(const struct npu_program *p)
{
	uint64_t ops = 0;
	uint32_t i, k, off;

	for (i = 0; i < p->nsteps; i++) {
		const struct npu_step *s = &p->steps[i];
		struct qnpu_desc_header h = { 0 };

		off = sizeof(struct qnpu_cmdbuf_header);
		for (k = 0; s->kind == NPU_STEP_DEVICE && k < s->ndesc &&
		     off <= s->cb_size - sizeof(h); k++, off += h.size) {
			memcpy(&h, p->cmdbuf + s->cb_offset + off, sizeof(h));
			ops |= h.op < 64 ? UINT64_C(1) << h.op : 0;
			if (h.size < sizeof(h))
				break;
		}
	}
	return ops;
}

static int npu_segment(struct npu_executor *e, const struct npu_step *s,
		       struct npu_job_result *res)
{
	struct npu_buffer *bufs[] = { e->wbo, e->abo };
	struct npu_job job = {
		.cmdbuf = e->cbo, .offset = s->cb_offset, .size = s->cb_size,
		.buffers = bufs, .buffer_count = 2,
	};
	uint64_t id;
	int ret;

	while ((ret = npu_submit(e->dev, &job, &id)) == -EBUSY)
		;
	if (ret)
		return ret;
	ret = npu_wait(e->dev, id, INT64_MAX, res);
	if (ret)
		return ret;
	return res->status == QNPU_STATUS_OK ? 0 : -EIO;
}

/* ---- the emulator executor (a plugin: the emulator is GPL) ---- */

/* $NPU_EMU_WORKERS: the emulator's compute threads, 1 (unset) to 64; 0 if not a count. */
static unsigned int emu_workers(void)
{
	const char *s = getenv("NPU_EMU_WORKERS");
	char *end;
	unsigned long n;

	if (!s)
		return 1;
	n = strtoul(s, &end, 10);
	return *s && !*end && n >= 1 && n <= 64 ? (unsigned int)n : 0;
}

static int emu_setup(struct npu_executor *e)
{
	const char *path = getenv("NPU_EMU_PLUGIN");
	const struct npu_program *p = e->p;
	unsigned int workers = emu_workers();
	uint64_t va[3], size[3];
	void *host[3];
	npu_emu_plugin_version_fn *version;
	int r;

	if (!workers)
		return -EINVAL;

	e->dl = dlopen(path ? path : "libnpu-emu.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!e->dl)
		return -ENOENT;
	version = (npu_emu_plugin_version_fn *)dlsym(e->dl,
						      "npu_emu_plugin_version");
	e->emu_open = dlsym(e->dl, "npu_emu_open");
	e->emu_run = dlsym(e->dl, "npu_emu_run");
	e->emu_close = dlsym(e->dl, "npu_emu_close");
	if (!version || !e->emu_open || !e->emu_run || !e->emu_close ||
	    version() != NPU_EMU_PLUGIN_VERSION)
		return NPU_E_ABI;

	for (r = 0; r < NPU_REGION_COUNT; r++)
		va[r] = e->mem.base[r] = NPU_REF_REGION_BASE(r);
	size[NPU_REGION_WEIGHTS] = p->weights_size ? p->weights_size : 1;
	size[NPU_REGION_ARENA] = p->arena_size;
	va[2] = EMU_CB_BASE;
	size[2] = p->cmdbuf_size ? p->cmdbuf_size : 1;
	e->emu = e->emu_open(3, va, size, host, workers);
	if (!e->emu)
		return -ENOMEM;
	e->cmd = npu_relocate(p, e->mem.base);
	if (!e->cmd)
		return -ENOMEM;
	memcpy(host[NPU_REGION_WEIGHTS], p->weights, p->weights_size);
	memcpy(host[2], e->cmd, p->cmdbuf_size);
	e->arena = host[NPU_REGION_ARENA];
	return 0;
}

static int emu_segment(struct npu_executor *e, const struct npu_step *s,
		       struct npu_job_result *res)
{
	int ret = e->emu_run(e->emu, EMU_CB_BASE + s->cb_offset, s->cb_size,
			     &res->status, &res->error_offset, &res->cycles);

	if (ret)
		return ret;
	return res->status == QNPU_STATUS_OK ? 0 : -EIO;
}

static int npu_setup(struct npu_executor *e)
{
	const struct npu_program *p = e->p;
	struct npu_device_info info;
	void *map;
	int ret;

	/* A 1.1 program (LUT) on a 1.0 device: refused here, not UNKNOWN_OP mid-run. */
	ret = npu_device_info(e->dev, &info);
	if (ret)
		return ret;
	if (ops_used(p) & ~info.ops)
		return NPU_E_DEVICE_OPS;

	ret = npu_buffer_new(e->dev, p->weights_size ? p->weights_size : 64,
			     NPU_BUFFER_DEVICE_READONLY, &e->wbo);
	if (!ret)
		ret = npu_buffer_new(e->dev, p->arena_size, 0, &e->abo);
	if (!ret)
		ret = npu_buffer_new(e->dev, p->cmdbuf_size ? p->cmdbuf_size : 64,
				     NPU_BUFFER_DEVICE_READONLY, &e->cbo);
	if (ret)
		return ret;
	e->mem.base[NPU_REGION_WEIGHTS] = npu_buffer_addr(e->wbo);
	e->mem.base[NPU_REGION_ARENA] = npu_buffer_addr(e->abo);
	e->cmd = npu_relocate(p, e->mem.base);
	if (!e->cmd)
		return -ENOMEM;
	ret = npu_buffer_map(e->wbo, &map);
	if (ret)
		return ret;
	memcpy(map, p->weights, p->weights_size);
	npu_buffer_unmap(e->wbo);
	ret = npu_buffer_map(e->cbo, &map);
	if (ret)
		return ret;
	memcpy(map, e->cmd, p->cmdbuf_size);
	npu_buffer_unmap(e->cbo);
	ret = npu_buffer_map(e->abo, &map);
	e->arena = map;
	return ret;
}

NPU_API int npu_executor_new(const struct npu_program *p,
			     enum npu_executor_kind kind, struct npu_device *dev,
			     struct npu_executor **out)
{
	struct npu_executor *e;
	int ret = 0, r;

	if (!p || !out || kind > NPU_EXEC_EMU || (kind == NPU_EXEC_NPU && !dev))
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->p = p;
	e->kind = kind;
	e->dev = dev;
	if (kind == NPU_EXEC_NPU) {
		ret = npu_setup(e);
	} else if (kind == NPU_EXEC_EMU) {
		ret = emu_setup(e);
	} else {
		e->arena = calloc(1, p->arena_size);
		for (r = 0; r < NPU_REGION_COUNT; r++)
			e->mem.base[r] = NPU_REF_REGION_BASE(r);
		e->mem.size[NPU_REGION_WEIGHTS] = p->weights_size;
		e->mem.size[NPU_REGION_ARENA] = p->arena_size;
		e->mem.host[NPU_REGION_WEIGHTS] = p->weights;
		e->mem.host[NPU_REGION_ARENA] = e->arena;
		e->cmd = npu_relocate(p, e->mem.base);
		if (!e->arena || !e->cmd)
			ret = -ENOMEM;
	}
	if (ret) {
		npu_executor_free(e);
		return ret;
	}
	*out = e;
	return 0;
}

NPU_API void npu_executor_free(struct npu_executor *e)
{
	if (!e)
		return;
	if (e->kind == NPU_EXEC_NPU) {
		if (e->arena)
			npu_buffer_unmap(e->abo);
		npu_buffer_free(e->wbo);
		npu_buffer_free(e->abo);
		npu_buffer_free(e->cbo);
	} else if (e->kind == NPU_EXEC_EMU) {
		if (e->emu)
			e->emu_close(e->emu);
		if (e->dl)
			dlclose(e->dl);
	} else {
		free(e->arena);
	}
	free(e->cmd);
	free(e);
}

/* uint8 <-> int8 by the +128 shift (arithmetic.md 1.6). */
static void flip_u8(void *p, uint64_t n)
{
	uint8_t *b = p;
	uint64_t i;

	for (i = 0; i < n; i++)
		b[i] ^= 0x80;
}

NPU_API int npu_executor_run(struct npu_executor *e, const void *const *inputs,
			     void *const *outputs, struct npu_job_result *result)
{
	const struct npu_program *p;
	struct npu_job_result res = { 0 };
	uint32_t i;
	int ret = 0;

	if (!e || (e->p->ninputs && !inputs) || !outputs)
		return -EINVAL;
	p = e->p;
	for (i = 0; i < p->ninputs; i++) {
		if (!inputs[i])
			return -EINVAL;
		memcpy(e->arena + p->inputs[i].offset, inputs[i],
		       p->inputs[i].bytes);
		if (p->inputs[i].elem == NPU_ELEM_UINT8)
			flip_u8(e->arena + p->inputs[i].offset, p->inputs[i].bytes);
	}
	for (i = 0; !ret && i < p->nsteps; i++) {
		const struct npu_step *s = &p->steps[i];
		struct npu_job_result seg = { 0 };

		if (s->kind != NPU_STEP_DEVICE)
			npu_cpu_step(s, e->arena, p->weights);
		else if (e->kind == NPU_EXEC_NPU)
			ret = npu_segment(e, s, &seg);
		else if (e->kind == NPU_EXEC_EMU)
			ret = emu_segment(e, s, &seg);
		else
			ret = ref_segment(e, s, &seg);
		/* the last segment's status and place; the cycles of all of them */
		if (s->kind == NPU_STEP_DEVICE) {
			seg.cycles += res.cycles;
			res = seg;
		}
	}
	if (result)
		*result = res;
	if (ret)
		return ret;
	for (i = 0; i < p->noutputs; i++) {
		if (!outputs[i])
			return -EINVAL;
		memcpy(outputs[i], e->arena + p->outputs[i].offset,
		       p->outputs[i].bytes);
		if (p->outputs[i].elem == NPU_ELEM_UINT8)
			flip_u8(outputs[i], p->outputs[i].bytes);
	}
	return 0;
}

NPU_API int npu_executor_io(struct npu_executor *e, int output, uint32_t index,
			    struct npu_buffer **buf, uint64_t *offset, uint64_t *bytes)
{
	const struct npu_io *io;

	if (!e || e->kind != NPU_EXEC_NPU || !buf || !offset ||
	    index >= (output ? e->p->noutputs : e->p->ninputs))
		return -EINVAL;
	io = output ? &e->p->outputs[index] : &e->p->inputs[index];
	*buf = e->abo;
	*offset = io->offset;
	if (bytes)
		*bytes = io->bytes;
	return 0;
}

/* Whether @p runs on the device alone, its inputs and outputs as they are. */
static bool device_only(const struct npu_program *p)
{
	uint32_t i;

	for (i = 0; i < p->nsteps; i++) {
		if (p->steps[i].kind != NPU_STEP_DEVICE)
			return false;
	}
	for (i = 0; i < p->ninputs; i++) {
		if (p->inputs[i].elem == NPU_ELEM_UINT8)
			return false;
	}
	for (i = 0; i < p->noutputs; i++) {
		if (p->outputs[i].elem == NPU_ELEM_UINT8)
			return false;
	}
	return p->nsteps > 0;
}

/* Segment @s queued after @wait, signalling @signal. */
static int submit_segment(struct npu_executor *e, const struct npu_step *s,
			  struct npu_fence *const *wait, size_t nwait,
			  struct npu_fence *signal, uint64_t *id)
{
	struct npu_buffer *bufs[] = { e->wbo, e->abo };
	struct npu_job job = {
		.cmdbuf = e->cbo, .offset = s->cb_offset, .size = s->cb_size,
		.buffers = bufs, .buffer_count = 2, .wait = wait, .wait_count = nwait,
		.signal = signal,
	};
	int ret;

	while ((ret = npu_submit(e->dev, &job, id)) == -EBUSY)
		;
	return ret;
}

NPU_API int npu_executor_submit(struct npu_executor *e, struct npu_fence *const *wait,
				size_t nwait, struct npu_fence *signal, uint64_t *id)
{
	struct npu_fence *prev = NULL, *next = NULL;
	uint64_t last = 0;
	uint32_t i;
	int ret = 0;

	if (!e || e->kind != NPU_EXEC_NPU || (nwait && !wait))
		return -EINVAL;
	if (!device_only(e->p))
		return -EOPNOTSUPP;
	/* Segments follow each other through fences of their own. */
	for (i = 0; !ret && i < e->p->nsteps; i++) {
		bool first = i == 0, final = i + 1 == e->p->nsteps;

		if (!final)
			ret = npu_fence_new(e->dev, &next);
		if (!ret)
			ret = submit_segment(e, &e->p->steps[i], first ? wait : &prev,
					     first ? nwait : 1, final ? signal : next, &last);
		npu_fence_free(prev);
		prev = next;
		next = NULL;
	}
	npu_fence_free(prev);
	if (!ret && id)
		*id = last;
	return ret;
}
