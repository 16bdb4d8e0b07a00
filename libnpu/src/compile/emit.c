// SPDX-License-Identifier: MIT
/*
 * libnpu compiler: what lowering shares: the growing command-buffer and
 * weights blobs, relocations, device segments and CPU steps, tensor
 * descriptors and the requantization of an op's output.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

static int blob_reserve(struct blob *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	uint8_t *d;

	while (cap < b->size + more)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	d = realloc(b->data, cap);
	if (!d)
		return -ENOMEM;
	memset(d + b->cap, 0, cap - b->cap);
	b->data = d;
	b->cap = cap;
	return 0;
}

/* Append @len bytes (zeroed when @src is NULL) at @align; offset in *off. */
int npu_blob_add(struct blob *b, const void *src, size_t len, size_t align,
		    uint64_t *off)
{
	size_t at = (b->size + align - 1) / align * align;
	int ret = blob_reserve(b, at - b->size + len);

	if (ret)
		return ret;
	if (src)
		memcpy(b->data + at, src, len);
	b->size = at + len;
	if (off)
		*off = at;
	return 0;
}

static int add_reloc(struct npu_compiler *c, size_t offset, uint32_t region)
{
	if (c->nrelocs == c->reloc_cap) {
		uint32_t cap = c->reloc_cap ? 2 * c->reloc_cap : 64;
		struct npu_reloc *r = realloc(c->relocs, sizeof(*r) * cap);

		if (!r)
			return -ENOMEM;
		c->relocs = r;
		c->reloc_cap = cap;
	}
	c->relocs[c->nrelocs++] = (struct npu_reloc){ offset, region };
	return 0;
}

static int open_segment(struct npu_compiler *c)
{
	struct npu_step *s;
	int ret;

	if (c->seg >= 0)
		return 0;
	s = realloc(c->steps, sizeof(*s) * (c->nsteps + 1));
	if (!s)
		return -ENOMEM;
	c->steps = s;
	memset(&s[c->nsteps], 0, sizeof(*s));
	s[c->nsteps].kind = NPU_STEP_DEVICE;
	ret = npu_blob_add(&c->cmd, NULL, sizeof(struct qnpu_cmdbuf_header), 8,
		       NULL);
	if (ret)
		return ret;
	s[c->nsteps].cb_offset = c->cmd.size - sizeof(struct qnpu_cmdbuf_header);
	c->seg = c->nsteps++;
	return 0;
}

void npu_close_segment(struct npu_compiler *c)
{
	struct npu_step *s;
	struct qnpu_cmdbuf_header *h;

	if (c->seg < 0)
		return;
	s = &c->steps[c->seg];
	s->cb_size = c->cmd.size - s->cb_offset;
	h = (void *)(c->cmd.data + s->cb_offset);
	h->magic = QNPU_CMDBUF_MAGIC;
	h->version = QNPU_CMDBUF_VERSION;
	h->size = s->cb_size;
	h->count = s->ndesc;
	c->seg = -1;
}

int npu_add_cpu_step(struct npu_compiler *c, const struct npu_step *step)
{
	struct npu_step *s;

	npu_close_segment(c);
	s = realloc(c->steps, sizeof(*s) * (c->nsteps + 1));
	if (!s)
		return -ENOMEM;
	c->steps = s;
	s[c->nsteps++] = *step;
	c->cpu_ops++;
	return 0;
}

/* Append a descriptor to the open segment; *at is its blob offset. */
static int add_desc(struct npu_compiler *c, const void *desc, size_t size,
		    size_t *at)
{
	struct qnpu_desc_header h;
	uint64_t off;
	int ret = open_segment(c);

	if (!ret)
		ret = npu_blob_add(&c->cmd, desc, size, 8, &off);
	if (ret)
		return ret;
	memcpy(&h, desc, sizeof(h));
	c->steps[c->seg].ndesc++;
	c->device_ops += h.op != QNPU_OP_BARRIER;	/* an operation, not an ordering */
	*at = off;
	return 0;
}

int npu_emit_barrier(struct npu_compiler *c)
{
	struct qnpu_desc_header barrier = { QNPU_OP_BARRIER, 1, 0, sizeof(barrier) };
	size_t at;

	if (c->written)
		memset(c->written, 0, sizeof(bool) * c->g->ntensors);
	return add_desc(c, &barrier, sizeof(barrier), &at);
}

int npu_emit_relocated(struct npu_compiler *c, const void *desc, size_t size,
			  const struct reloc_spec *r, size_t n)
{
	size_t at, i;
	int ret = add_desc(c, desc, size, &at);

	for (i = 0; !ret && i < n; i++) {
		if (r[i].when)
			ret = add_reloc(c, at + r[i].field, r[i].region);
	}
	return ret;
}

/* A tensor descriptor for graph tensor @t, relocated against the arena. */
struct qnpu_tensor npu_arena_tensor(struct npu_compiler *c, int t,
				       const uint32_t *shape)
{
	const struct npu_gtensor *gt = &c->g->tensors[t];
	uint32_t es = npu_elem_size(gt->elem);
	const uint32_t *d = shape ? shape : gt->shape;
	struct qnpu_tensor q = {
		.addr = c->offset[t],
		.dim = { d[0], d[1], d[2], d[3] },
		.dtype = gt->elem == NPU_ELEM_INT8 ? QNPU_DTYPE_INT8 : QNPU_DTYPE_INT32,
	};

	q.stride[3] = es;
	q.stride[2] = d[3] * es;
	q.stride[1] = d[2] * d[3] * es;
	q.stride[0] = d[1] * d[2] * d[3] * es;
	return q;
}



static enum npu_ref_act ref_act(enum npu_activation a)
{
	return a == NPU_ACT_RELU ? NPU_REF_ACT_RELU :
	       a == NPU_ACT_RELU6 ? NPU_REF_ACT_RELU6 : NPU_REF_ACT_NONE;
}

/*
 * The clamp of @op's fused activation on output @out: TFLite's formulas
 * for ReLU and ReLU6, ONNX's for a Clip (bounds quantized half to even,
 * docs/arithmetic.md 3.7).
 */
int npu_output_bounds(struct npu_compiler *c, const struct npu_gop *op,
		      const struct npu_gtensor *out, int32_t *lo, int32_t *hi)
{
	const struct npu_op_info *o = &op->info;
	int ret;

	if (o->act != NPU_ACT_CLIP) {
		ret = npu_ref_act_bounds(ref_act(o->act), out->scales[0], out->zero_points[0],
					 lo, hi);
		return ret ? npu_graph_fail(c->g, ret, "op %s: activation bounds", op->name) : 0;
	}
	if (!(o->clip[0] <= o->clip[1]))
		return npu_graph_fail(c->g, -EINVAL, "op %s: clip bounds %g > %g", op->name,
				      o->clip[0], o->clip[1]);
	*lo = npu_ref_quantize(o->clip[0], out->scales[0], out->zero_points[0]);
	*hi = npu_ref_quantize(o->clip[1], out->scales[0], out->zero_points[0]);
	return 0;
}

/*
 * The output stage of @op: activation bounds, output zero point, and the
 * multiplier: @real_in * S_w[c] / S_out per channel of @w, or @real_in /
 * S_out without weights, or exactly @total when it is > 0 (element-wise
 * ops compute theirs as their TFLite formulas say).
 */
int npu_requant_of(struct npu_compiler *c, const struct npu_gop *op, double real_in,
		   double total, const struct npu_gtensor *w, const struct npu_gtensor *out,
		   struct qnpu_requant *rq, uint64_t *params_off)
{
	int32_t lo, hi, m, s;
	uint32_t i;
	int ret;

	memset(rq, 0, sizeof(*rq));
	ret = npu_output_bounds(c, op, out, &lo, &hi);
	if (ret)
		return ret;
	rq->output_zero_point = out->zero_points[0];
	rq->act_min = lo;
	rq->act_max = hi;
	rq->rounding = op->info.rounding;
	if (w && w->qcount > 1) {
		struct qnpu_channel_requant *p = calloc(w->qcount, sizeof(*p));

		if (!p)
			return -ENOMEM;
		for (i = 0; i < w->qcount; i++) {
			ret = npu_ref_quantize_multiplier(real_in * w->scales[i] /
							  out->scales[0], &m, &s);
			if (ret) {
				free(p);
				return npu_graph_fail(c->g, ret, "op %s: channel %u multiplier",
						      op->name, i);
			}
			p[i].multiplier = m;
			p[i].shift = s;
		}
		ret = npu_blob_add(&c->weights, p, sizeof(*p) * w->qcount, WEIGHTS_ALIGN,
				   params_off);
		free(p);
		return ret;
	}
	ret = npu_ref_quantize_multiplier(total > 0 ? total :
					  real_in * (w ? w->scales[0] : 1.0) / out->scales[0],
					  &m, &s);
	if (ret)
		return npu_graph_fail(c->g, ret, "op %s: output multiplier", op->name);
	rq->multiplier = m;
	rq->shift = s;
	*params_off = UINT64_MAX;
	return 0;
}

bool npu_quantized8(const struct npu_gtensor *t)
{
	return t->elem == NPU_ELEM_INT8 && t->qcount == 1;
}

bool npu_raw_out(const struct npu_gtensor *t)
{
	return t->elem == NPU_ELEM_INT32 && !t->qcount && !t->data;
}

bool npu_same_shape(const struct npu_gtensor *a, const struct npu_gtensor *b)
{
	return !memcmp(a->shape, b->shape, sizeof(a->shape));
}
