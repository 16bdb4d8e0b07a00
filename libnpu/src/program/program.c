// SPDX-License-Identifier: MIT
/*
 * libnpu: compiled programs: statistics, and a versioned file format.
 *
 * File layout (little-endian): a header (magic "QPUP", version, counts
 * and sizes), then the steps, inputs, outputs, relocations, command
 * buffers, weights and (version 3) the note, each as stored in memory. A
 * reader takes versions 2 and 3, rejects any other, and checks every count
 * and offset before using it.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "program.h"
#include "ref/ref.h"

struct file_header {
	uint32_t magic;
	uint32_t version;
	uint32_t nsteps, ninputs, noutputs, nrelocs;
	uint32_t cmdbuf_size, device_ops, cpu_ops, note_size;	/* version 2: 0 */
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
	free(p->note);
	free(p);
}

NPU_API int npu_program_set_note(struct npu_program *p, const void *data, size_t size)
{
	void *copy = NULL;

	if (!p || (size && !data) || size > NPU_PROGRAM_MAX_NOTE)
		return -EINVAL;
	if (size && !(copy = malloc(size)))
		return -ENOMEM;
	if (size)
		memcpy(copy, data, size);
	free(p->note);
	p->note = copy;
	p->note_size = size;
	return 0;
}

NPU_API const void *npu_program_note(const struct npu_program *p, size_t *size)
{
	if (size)
		*size = p ? p->note_size : 0;
	return p ? p->note : NULL;
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
	h.note_size = p->note_size;
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	ok = fwrite(&h, sizeof(h), 1, f) == 1 &&
	     fwrite(p->steps, sizeof(*p->steps), p->nsteps, f) == p->nsteps &&
	     fwrite(p->inputs, sizeof(*p->inputs), p->ninputs, f) == p->ninputs &&
	     fwrite(p->outputs, sizeof(*p->outputs), p->noutputs, f) == p->noutputs &&
	     fwrite(p->relocs, sizeof(*p->relocs), p->nrelocs, f) == p->nrelocs &&
	     fwrite(p->cmdbuf, 1, p->cmdbuf_size, f) == p->cmdbuf_size &&
	     fwrite(p->weights, 1, p->weights_size, f) == p->weights_size &&
	     fwrite(p->note, 1, p->note_size, f) == p->note_size;
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

static bool in_range(uint64_t off, uint64_t len, uint64_t size)
{
	return len <= size && off <= size - len;
}

static bool requant_ok(int32_t m, int32_t shift)
{
	return m >= 0 && shift >= -31 && shift <= 30;
}

/* A CPU convolution's descriptor: every byte it reads or writes is inside. */
static int check_cpu_conv(const struct npu_program *p, const struct npu_step *s)
{
	const uint64_t A = p->arena_size, Wsz = p->weights_size;
	struct qnpu_desc_conv2d d;
	uint64_t in, out, cg, co, i;
	const struct qnpu_requant *r = &d.requant;

	if (!in_range(s->params_offset, sizeof(d), Wsz))
		return -EPROTO;
	memcpy(&d, p->weights + s->params_offset, sizeof(d));
	for (i = 0; i < 4; i++) {
		if (!d.input.dim[i] || !d.output.dim[i] || d.input.dim[i] > 65535 ||
		    d.output.dim[i] > 65535)
			return -EPROTO;
	}
	co = d.output.dim[3];
	if (!d.groups || d.input.dim[3] % d.groups || co % d.groups ||
	    d.input.dim[0] != d.output.dim[0] || !d.stride_h || !d.stride_w ||
	    !d.dilation_h || !d.dilation_w || !d.kernel_h || !d.kernel_w ||
	    (d.output.dtype != QNPU_DTYPE_INT8 && d.output.dtype != QNPU_DTYPE_INT32))
		return -EPROTO;
	cg = d.input.dim[3] / d.groups;
	in = (uint64_t)d.input.dim[0] * d.input.dim[1] * d.input.dim[2] * d.input.dim[3];
	out = (uint64_t)d.output.dim[0] * d.output.dim[1] * d.output.dim[2] * co *
	      (d.output.dtype == QNPU_DTYPE_INT32 ? 4 : 1);
	if (!in_range(d.input.addr, in, A) || !in_range(d.output.addr, out, A) ||
	    !in_range(d.weights, co * d.kernel_h * d.kernel_w * cg * 4, Wsz) ||
	    (d.bias != UINT64_MAX && !in_range(d.bias, co * 4, Wsz)))
		return -EPROTO;
	if (d.output.dtype == QNPU_DTYPE_INT32)
		return 0;
	if (r->rounding > 1 || r->act_min < -128 || r->act_max > 127 ||
	    r->act_min > r->act_max || r->output_zero_point < -128 ||
	    r->output_zero_point > 127 || !requant_ok(r->multiplier, r->shift))
		return -EPROTO;
	if (r->channel_params == UINT64_MAX)
		return 0;
	if (!in_range(r->channel_params, co * sizeof(struct qnpu_channel_requant), Wsz))
		return -EPROTO;
	for (i = 0; i < co; i++) {
		struct qnpu_channel_requant c;

		memcpy(&c, p->weights + r->channel_params + sizeof(c) * i, sizeof(c));
		if (!requant_ok(c.multiplier, c.shift))
			return -EPROTO;
	}
	return 0;
}

/* A CPU average pool's descriptor: its tensors inside the arena. */
static int check_cpu_pool(const struct npu_program *p, const struct npu_step *s)
{
	struct qnpu_desc_pool d;
	uint64_t in = 1, out = 1;
	int i;

	if (!in_range(s->params_offset, sizeof(d), p->weights_size) || !(s->scale > 0) ||
	    !(s->in_scale > 0))
		return -EPROTO;
	memcpy(&d, p->weights + s->params_offset, sizeof(d));
	for (i = 0; i < 4; i++) {
		if (!d.input.dim[i] || !d.output.dim[i] || d.input.dim[i] > 65535 ||
		    d.output.dim[i] > 65535)
			return -EPROTO;
		in *= d.input.dim[i];
		out *= d.output.dim[i];
	}
	if (d.input.dim[0] != d.output.dim[0] || d.input.dim[3] != d.output.dim[3] ||
	    !d.kernel_h || !d.kernel_w || !d.stride_h || !d.stride_w ||
	    d.act_min < -128 || d.act_max > 127 || d.act_min > d.act_max ||
	    !in_range(d.input.addr, in, p->arena_size) ||
	    !in_range(d.output.addr, out, p->arena_size))
		return -EPROTO;
	return 0;
}

static int check_cpu_step(const struct npu_program *p, const struct npu_step *s)
{
	uint64_t in_es = 4, out_es = 4, out_count = s->count;

	switch (s->kind) {
	case NPU_STEP_QUANTIZE:
	case NPU_STEP_DYNAMIC_QUANTIZE:
		out_es = 1;
		break;
	case NPU_STEP_DEQUANTIZE:
		in_es = 1;
		break;
	case NPU_STEP_DYNAMIC_SCALE:
		out_count = 1;
		break;
	case NPU_STEP_DYNAMIC_ZERO_POINT:
		out_count = 1;
		out_es = 1;
		break;
	case NPU_STEP_LAYER_NORM:
		if (!in_range(s->params_offset, (uint64_t)s->inner * 2 * sizeof(float),
			      p->weights_size))
			return -EPROTO;
		/* fall through */
	case NPU_STEP_SOFTMAX:
		if (!s->inner || s->count % s->inner)
			return -EPROTO;
		/* fall through */
	case NPU_STEP_FUNCTION:
		if (s->kind == NPU_STEP_FUNCTION && s->fn >= NPU_FN_COUNT)
			return -EPROTO;
		in_es = s->in_q ? 1 : 4;
		out_es = s->out_q ? 1 : 4;
		break;
	case NPU_STEP_CONV:
		return check_cpu_conv(p, s);
	case NPU_STEP_AVGPOOL:
		return check_cpu_pool(p, s);
	default:
		return -EPROTO;
	}
	if (s->count > p->arena_size || !in_range(s->in_offset, s->count * in_es, p->arena_size) ||
	    !in_range(s->out_offset, out_count * out_es, p->arena_size))
		return -EPROTO;
	if (s->per_channel &&
	    (!s->inner || s->count % s->inner ||
	     !in_range(s->params_offset, (uint64_t)s->inner * sizeof(struct npu_channel_q),
		       p->weights_size)))
		return -EPROTO;
	return 0;
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

		if (s->kind == NPU_STEP_DEVICE) {
			if (s->cb_offset > p->cmdbuf_size ||
			    s->cb_size > p->cmdbuf_size - s->cb_offset)
				return -EPROTO;
		} else if (check_cpu_step(p, s)) {
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
	if (h.version != NPU_PROGRAM_VERSION && h.version != 2) {
		fclose(f);
		return -EPROTONOSUPPORT;
	}
	if (h.nsteps > 1u << 20 || h.ninputs > 1024 || h.noutputs > 1024 ||
	    h.nrelocs > 1u << 24 || h.weights_size > 1ull << 32 ||
	    h.arena_size > 1ull << 34 || h.note_size > NPU_PROGRAM_MAX_NOTE ||
	    (h.version == 2 && h.note_size)) {
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
	p->note_size = h.note_size;
	p->note = h.note_size ? read_array(f, h.note_size, 1, &err) : NULL;
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
