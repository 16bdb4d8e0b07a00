// SPDX-License-Identifier: MIT
/*
 * libnpu: compiled programs: statistics, and a versioned file format.
 *
 * File layout (little-endian): a header (magic "QPUP", version, counts
 * and sizes), then the steps, inputs, outputs, relocations, command
 * buffers and weights, each as stored in memory. A reader rejects any
 * other version, and checks every count and offset before using it.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "program.h"

struct file_header {
	uint32_t magic;
	uint32_t version;
	uint32_t nsteps, ninputs, noutputs, nrelocs;
	uint32_t cmdbuf_size, device_ops, cpu_ops, pad;
	uint64_t weights_size, arena_size, arena_unshared;
};

NPU_API void npu_program_free(struct npu_program *p)
{
	if (!p)
		return;
	free(p->cmdbuf);
	free(p->relocs);
	free(p->weights);
	free(p->steps);
	free(p->inputs);
	free(p->outputs);
	free(p);
}

NPU_API int npu_program_stats(const struct npu_program *p,
			      struct npu_program_stats *st)
{
	if (!p || !st)
		return -EINVAL;
	st->device_ops = p->device_ops;
	st->cpu_ops = p->cpu_ops;
	st->weight_bytes = p->weights_size;
	st->arena_bytes = p->arena_size;
	st->arena_bytes_unshared = p->arena_unshared;
	return 0;
}

NPU_API int npu_program_save(const struct npu_program *p, const char *path)
{
	struct file_header h = {
		.magic = NPU_PROGRAM_MAGIC, .version = NPU_PROGRAM_VERSION,
		.nsteps = p ? p->nsteps : 0,
	};
	FILE *f;
	int ok;

	if (!p || !path)
		return -EINVAL;
	h.ninputs = p->ninputs;
	h.noutputs = p->noutputs;
	h.nrelocs = p->nrelocs;
	h.cmdbuf_size = p->cmdbuf_size;
	h.device_ops = p->device_ops;
	h.cpu_ops = p->cpu_ops;
	h.weights_size = p->weights_size;
	h.arena_size = p->arena_size;
	h.arena_unshared = p->arena_unshared;
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	ok = fwrite(&h, sizeof(h), 1, f) == 1 &&
	     fwrite(p->steps, sizeof(*p->steps), p->nsteps, f) == p->nsteps &&
	     fwrite(p->inputs, sizeof(*p->inputs), p->ninputs, f) == p->ninputs &&
	     fwrite(p->outputs, sizeof(*p->outputs), p->noutputs, f) == p->noutputs &&
	     fwrite(p->relocs, sizeof(*p->relocs), p->nrelocs, f) == p->nrelocs &&
	     fwrite(p->cmdbuf, 1, p->cmdbuf_size, f) == p->cmdbuf_size &&
	     fwrite(p->weights, 1, p->weights_size, f) == p->weights_size;
	if (fclose(f))
		ok = 0;
	return ok ? 0 : -EIO;
}

static void *read_array(FILE *f, size_t n, size_t size, int *err)
{
	void *a;

	if (*err)
		return NULL;
	a = calloc(n ? n : 1, size);
	if (!a) {
		*err = -ENOMEM;
		return NULL;
	}
	if (n && fread(a, size, n, f) != n)
		*err = -EPROTO;
	return a;
}

/* Everything a program points at must lie inside it. */
static int check_program(const struct npu_program *p)
{
	uint32_t i;

	for (i = 0; i < p->nrelocs; i++) {
		if (p->relocs[i].region >= NPU_REGION_COUNT ||
		    p->relocs[i].offset > p->cmdbuf_size - 8 || p->cmdbuf_size < 8)
			return -EPROTO;
	}
	for (i = 0; i < p->nsteps; i++) {
		const struct npu_step *s = &p->steps[i];

		if (s->kind > NPU_STEP_SOFTMAX)
			return -EPROTO;
		if (s->kind == NPU_STEP_DEVICE &&
		    (s->cb_offset > p->cmdbuf_size ||
		     s->cb_size > p->cmdbuf_size - s->cb_offset))
			return -EPROTO;
		if (s->kind != NPU_STEP_DEVICE) {
			uint64_t in_es = s->kind == NPU_STEP_DEQUANTIZE ? 1 : 4;
			uint64_t out_es = s->kind == NPU_STEP_QUANTIZE ? 1 : 4;

			if (s->count > p->arena_size ||
			    s->in_offset > p->arena_size - s->count * in_es ||
			    s->out_offset > p->arena_size - s->count * out_es ||
			    s->count * in_es > p->arena_size ||
			    s->count * out_es > p->arena_size ||
			    (s->kind == NPU_STEP_SOFTMAX &&
			     (!s->inner || s->count % s->inner)))
				return -EPROTO;
		}
	}
	for (i = 0; i < p->ninputs + p->noutputs; i++) {
		const struct npu_io *io = i < p->ninputs ? &p->inputs[i] :
					  &p->outputs[i - p->ninputs];

		if (io->offset > p->arena_size ||
		    io->bytes > p->arena_size - io->offset)
			return -EPROTO;
	}
	return 0;
}

NPU_API int npu_program_load(const char *path, struct npu_program **out)
{
	struct file_header h;
	struct npu_program *p;
	int err = 0;
	FILE *f;

	if (!path || !out)
		return -EINVAL;
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	if (fread(&h, sizeof(h), 1, f) != 1 || h.magic != NPU_PROGRAM_MAGIC) {
		fclose(f);
		return -EPROTO;
	}
	if (h.version != NPU_PROGRAM_VERSION) {
		fclose(f);
		return -EPROTONOSUPPORT;
	}
	if (h.nsteps > 1u << 20 || h.ninputs > 1024 || h.noutputs > 1024 ||
	    h.nrelocs > 1u << 24 || h.weights_size > 1ull << 32 ||
	    h.arena_size > 1ull << 34) {
		fclose(f);
		return -EPROTO;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		fclose(f);
		return -ENOMEM;
	}
	p->nsteps = h.nsteps;
	p->ninputs = h.ninputs;
	p->noutputs = h.noutputs;
	p->nrelocs = h.nrelocs;
	p->cmdbuf_size = h.cmdbuf_size;
	p->device_ops = h.device_ops;
	p->cpu_ops = h.cpu_ops;
	p->weights_size = h.weights_size;
	p->arena_size = h.arena_size;
	p->arena_unshared = h.arena_unshared;
	p->steps = read_array(f, h.nsteps, sizeof(*p->steps), &err);
	p->inputs = read_array(f, h.ninputs, sizeof(*p->inputs), &err);
	p->outputs = read_array(f, h.noutputs, sizeof(*p->outputs), &err);
	p->relocs = read_array(f, h.nrelocs, sizeof(*p->relocs), &err);
	p->cmdbuf = read_array(f, h.cmdbuf_size, 1, &err);
	p->weights = read_array(f, h.weights_size, 1, &err);
	if (!err && fgetc(f) != EOF)
		err = -EPROTO;		/* trailing bytes */
	fclose(f);
	if (!err)
		err = check_program(p);
	if (err) {
		npu_program_free(p);
		return err;
	}
	*out = p;
	return 0;
}
