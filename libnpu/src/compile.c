// SPDX-License-Identifier: MIT
/*
 * libnpu: the compiler from a graph of quantized layers to a qnpu program.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "program.h"
#include "ref.h"

#define MAX(a, b)	((a) > (b) ? (a) : (b))

#define ARENA_ALIGN	64
#define WEIGHTS_ALIGN	64

/* A growable byte buffer. */
struct blob {
	uint8_t *data;
	size_t size, cap;
};

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
static int blob_add(struct blob *b, const void *src, size_t len, size_t align,
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

struct compiler {
	struct npu_graph *g;
	struct blob cmd, weights;
	struct npu_reloc *relocs;
	uint32_t nrelocs, reloc_cap;
	struct npu_step *steps;
	uint32_t nsteps;
	int seg;		/* open device segment step, or -1 */
	uint64_t *offset;	/* arena offset per tensor (activations) */
	int *storage;		/* tensor whose memory a tensor uses */
	int *last_use;
	uint64_t arena, unshared;
	uint32_t device_ops, cpu_ops;
	uint64_t sram;		/* bytes a tiled layer must fit in */
};

static int add_reloc(struct compiler *c, size_t offset, uint32_t region)
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

/* ---- memory planning ---- */

struct interval {
	uint64_t start, end;
	int tensor;
};

/*
 * Liveness-based first fit: a tensor's memory is needed from the op that
 * produces it to the last op that reads it (graph inputs from the start,
 * outputs to the end); tensors whose lives do not overlap share memory.
 */
static int plan_memory(struct compiler *c)
{
	struct npu_graph *g = c->g;
	int n = g->ntensors, i, j, op;
	int *first_def = malloc(sizeof(int) * n);
	struct interval *live = calloc(n, sizeof(*live));
	int nlive = 0, ret = 0;

	c->offset = calloc(n, sizeof(uint64_t));
	c->storage = malloc(sizeof(int) * n);
	c->last_use = malloc(sizeof(int) * n);
	if (!first_def || !live || !c->offset || !c->storage || !c->last_use) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		c->storage[i] = i;
		first_def[i] = g->tensors[i].data ? -2 : -3;	/* -3: never */
		c->last_use[i] = -1;
	}
	for (i = 0; i < g->ninputs; i++)
		first_def[g->inputs[i]] = -1;
	for (op = 0; op < g->nops; op++) {
		const struct npu_op_info *o = &g->ops[op].info;

		for (j = 0; j < 3; j++) {
			int t = o->inputs[j];

			if (t < 0)
				continue;
			if (first_def[t] == -3)
				return npu_graph_fail(g, -EINVAL,
						      "op %s: input %s is computed by no earlier op",
						      g->ops[op].name, g->tensors[t].name);
			c->last_use[t] = op;
		}
		if (first_def[o->output] != -3)
			return npu_graph_fail(g, -EINVAL,
					      "op %s: output %s is already defined",
					      g->ops[op].name, g->tensors[o->output].name);
		first_def[o->output] = op;
		/* A reshape is a new view of the same bytes. */
		if (o->type == NPU_OP_RESHAPE)
			c->storage[o->output] = c->storage[o->inputs[0]];
	}
	for (i = 0; i < g->noutputs; i++) {
		if (first_def[g->outputs[i]] == -3)
			return npu_graph_fail(g, -EINVAL, "graph output %s is computed by no op",
					      g->tensors[g->outputs[i]].name);
		c->last_use[g->outputs[i]] = g->nops;
	}
	/* A storage lives as long as every view of it. */
	for (i = 0; i < n; i++) {
		int s = c->storage[i];

		if (c->last_use[i] > c->last_use[s])
			c->last_use[s] = c->last_use[i];
	}

	for (op = -1; op < g->nops; op++) {
		/* Free what the previous ops were the last to read. */
		for (j = 0; j < nlive; j++) {
			int t = live[j].tensor;

			if (c->last_use[t] < op) {
				live[j] = live[--nlive];
				j--;
			}
		}
		for (i = 0; i < n; i++) {
			uint64_t size, at = 0;

			if (first_def[i] != op || c->storage[i] != i ||
			    g->tensors[i].data)
				continue;
			size = (g->tensors[i].bytes + ARENA_ALIGN - 1) /
			       ARENA_ALIGN * ARENA_ALIGN;
			c->unshared += size;
			/* First fit in address order among the live blocks. */
			for (;;) {
				bool moved = false;

				for (j = 0; j < nlive; j++) {
					if (at < live[j].end && live[j].start < at + size) {
						at = live[j].end;
						moved = true;
					}
				}
				if (!moved)
					break;
			}
			live[nlive++] = (struct interval){ at, at + size, i };
			c->offset[i] = at;
			if (at + size > c->arena)
				c->arena = at + size;
		}
	}
	for (i = 0; i < n; i++)
		c->offset[i] = c->offset[c->storage[i]];
out:
	free(first_def);
	free(live);
	return ret;
}

/* ---- emission ---- */

static int open_segment(struct compiler *c)
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
	ret = blob_add(&c->cmd, NULL, sizeof(struct qnpu_cmdbuf_header), 8,
		       NULL);
	if (ret)
		return ret;
	s[c->nsteps].cb_offset = c->cmd.size - sizeof(struct qnpu_cmdbuf_header);
	c->seg = c->nsteps++;
	return 0;
}

static void close_segment(struct compiler *c)
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

static int add_cpu_step(struct compiler *c, const struct npu_step *step)
{
	struct npu_step *s;

	close_segment(c);
	s = realloc(c->steps, sizeof(*s) * (c->nsteps + 1));
	if (!s)
		return -ENOMEM;
	c->steps = s;
	s[c->nsteps++] = *step;
	c->cpu_ops++;
	return 0;
}

/* Append a descriptor to the open segment; *at is its blob offset. */
static int add_desc(struct compiler *c, const void *desc, size_t size,
		    size_t *at)
{
	uint64_t off;
	int ret = open_segment(c);

	if (!ret)
		ret = blob_add(&c->cmd, desc, size, 8, &off);
	if (ret)
		return ret;
	c->steps[c->seg].ndesc++;
	c->device_ops++;
	*at = off;
	return 0;
}

/* A descriptor and the address fields of it to relocate. */
struct reloc_spec {
	size_t field;		/* offsetof() in the descriptor */
	uint32_t region;	/* enum npu_region */
	bool when;		/* false: the field holds no address */
};

static int emit_relocated(struct compiler *c, const void *desc, size_t size,
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

#define ARENA(type, f)		{ offsetof(type, f), NPU_REGION_ARENA, true }
#define WEIGHTS(type, f, w)	{ offsetof(type, f), NPU_REGION_WEIGHTS, (w) }

/* A tensor descriptor for graph tensor @t, relocated against the arena. */
static struct qnpu_tensor arena_tensor(struct compiler *c, int t,
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
 * The output stage of an op: activation bounds, output zero point, and
 * the multiplier: @real_in * S_w[c] / S_out per channel of @w, or
 * @real_in / S_out without weights, or exactly @total when it is > 0
 * (element-wise ops compute theirs as their TFLite formulas say).
 */
static int requant_of(struct compiler *c, const char *op, double real_in,
		      double total, const struct npu_gtensor *w,
		      const struct npu_gtensor *out, enum npu_activation act,
		      int rounding, struct qnpu_requant *rq, uint64_t *params_off)
{
	int32_t lo, hi, m, s;
	uint32_t i;
	int ret;

	memset(rq, 0, sizeof(*rq));
	ret = npu_ref_act_bounds(ref_act(act), out->scales[0],
				 out->zero_points[0], &lo, &hi);
	if (ret)
		return npu_graph_fail(c->g, ret, "op %s: activation bounds", op);
	rq->output_zero_point = out->zero_points[0];
	rq->act_min = lo;
	rq->act_max = hi;
	rq->rounding = rounding;
	if (w && w->qcount > 1) {
		struct qnpu_channel_requant *p = calloc(w->qcount, sizeof(*p));

		if (!p)
			return -ENOMEM;
		for (i = 0; i < w->qcount; i++) {
			ret = npu_ref_quantize_multiplier(real_in * w->scales[i] /
							  out->scales[0], &m, &s);
			if (ret) {
				free(p);
				return npu_graph_fail(c->g, ret,
						      "op %s: channel %u multiplier", op, i);
			}
			p[i].multiplier = m;
			p[i].shift = s;
		}
		ret = blob_add(&c->weights, p, sizeof(*p) * w->qcount,
			       WEIGHTS_ALIGN, params_off);
		free(p);
		return ret;
	}
	ret = npu_ref_quantize_multiplier(total > 0 ? total :
					  real_in * (w ? w->scales[0] : 1.0) /
					  out->scales[0], &m, &s);
	if (ret)
		return npu_graph_fail(c->g, ret, "op %s: output multiplier", op);
	rq->multiplier = m;
	rq->shift = s;
	*params_off = UINT64_MAX;
	return 0;
}

static bool quantized8(const struct npu_gtensor *t)
{
	return t->elem == NPU_ELEM_INT8 && t->qcount == 1;
}

/* An INT32 activation without quantization: raw accumulators. */
static bool raw_out(const struct npu_gtensor *t)
{
	return t->elem == NPU_ELEM_INT32 && !t->qcount && !t->data;
}

/* The window of a convolution descriptor from the op: strides, dilations, padding. */
static void conv_window(struct qnpu_desc_conv2d *d, const struct npu_op_info *o,
			uint32_t groups, int32_t input_zero_point)
{
	d->stride_h = o->stride[0] ? o->stride[0] : 1;
	d->stride_w = o->stride[1] ? o->stride[1] : 1;
	d->dilation_h = o->dilation[0] ? o->dilation[0] : 1;
	d->dilation_w = o->dilation[1] ? o->dilation[1] : 1;
	d->pad_top = o->pad[0];
	d->pad_left = o->pad[1];
	d->pad_bottom = o->pad[2];
	d->pad_right = o->pad[3];
	d->groups = groups;
	d->input_zero_point = input_zero_point;
}

/*
 * A convolution whose weights do not fit int8 runs on the CPU (the
 * fallback): its descriptor, with arena and weights-blob offsets in place
 * of addresses, and its int32 weights go to the weights blob.
 */
static int emit_cpu_conv(struct compiler *c, const struct npu_gop *gop,
			 uint32_t groups)
{
	const struct npu_op_info *o = &gop->info;
	const struct npu_gtensor *x = &c->g->tensors[o->inputs[0]];
	const struct npu_gtensor *w = &c->g->tensors[o->inputs[1]];
	const struct npu_gtensor *b = o->inputs[2] >= 0 ?
				      &c->g->tensors[o->inputs[2]] : NULL;
	const struct npu_gtensor *out = &c->g->tensors[o->output];
	struct qnpu_desc_conv2d d = { .hdr = { QNPU_OP_CONV2D, 1, 0, sizeof(d) } };
	struct npu_step s = { .kind = NPU_STEP_CONV };
	uint64_t p_off = UINT64_MAX, off;
	int ret;

	d.input = arena_tensor(c, o->inputs[0], NULL);
	d.output = arena_tensor(c, o->output, NULL);
	d.kernel_h = w->shape[1];
	d.kernel_w = w->shape[2];
	conv_window(&d, o, groups, x->zero_points[0]);
	{
		int64_t eh = (int64_t)x->shape[1] + d.pad_top + d.pad_bottom -
			     ((int64_t)(d.kernel_h - 1) * d.dilation_h + 1);
		int64_t ew = (int64_t)x->shape[2] + d.pad_left + d.pad_right -
			     ((int64_t)(d.kernel_w - 1) * d.dilation_w + 1);

		if (eh < 0 || ew < 0 || out->shape[0] != x->shape[0] ||
		    out->shape[1] != eh / d.stride_h + 1 ||
		    out->shape[2] != ew / d.stride_w + 1)
			return npu_graph_fail(c->g, -EINVAL,
					      "op %s: output %s does not match the convolution",
					      gop->name, out->name);
	}
	ret = blob_add(&c->weights, w->data, w->bytes, WEIGHTS_ALIGN, &off);
	d.weights = off;
	d.bias = UINT64_MAX;
	if (!ret && b) {
		ret = blob_add(&c->weights, b->data, b->bytes, WEIGHTS_ALIGN, &off);
		d.bias = off;
	}
	if (!ret && !raw_out(out))
		ret = requant_of(c, gop->name, x->scales[0], 0, w, out, o->act,
				 o->rounding, &d.requant, &p_off);
	if (ret)
		return ret;
	d.requant.channel_params = p_off;
	ret = blob_add(&c->weights, &d, sizeof(d), WEIGHTS_ALIGN, &s.params_offset);
	if (ret)
		return ret;
	s.in_offset = c->offset[o->inputs[0]];
	s.out_offset = c->offset[o->output];
	s.count = npu_shape_count(out->shape);
	return add_cpu_step(c, &s);
}

static int emit_conv_desc(struct compiler *c,
			  const struct qnpu_desc_conv2d *d, bool params)
{
	const struct reloc_spec r[] = {
		ARENA(struct qnpu_desc_conv2d, input.addr),
		ARENA(struct qnpu_desc_conv2d, output.addr),
		WEIGHTS(struct qnpu_desc_conv2d, weights, true),
		WEIGHTS(struct qnpu_desc_conv2d, bias, true),
		WEIGHTS(struct qnpu_desc_conv2d, requant.channel_params, params),
	};

	return emit_relocated(c, d, sizeof(*d), r, 5);
}

/*
 * A convolution whose input, weights and output do not fit the SRAM is
 * split into bands of output rows, each with the input rows (and the
 * padding) it needs: the same arithmetic, bit for bit, in pieces that fit.
 */
static int emit_conv_tiles(struct compiler *c, const struct qnpu_desc_conv2d *d,
			   uint64_t wbytes, bool params)
{
	uint32_t H = d->input.dim[1], OH = d->output.dim[1], rows, r0;
	uint32_t span = (d->kernel_h - 1) * d->dilation_h + 1;
	uint64_t in_row = (uint64_t)d->input.dim[0] * d->input.dim[2] * d->input.dim[3];
	uint64_t out_row = (uint64_t)d->output.dim[0] * d->output.dim[2] *
			   d->output.dim[3] * (d->output.dtype == QNPU_DTYPE_INT32 ? 4 : 1);
	int ret = 0;

	if (in_row * H + wbytes + out_row * OH <= c->sram)
		return emit_conv_desc(c, d, params);
	for (rows = OH; rows > 1; rows--) {
		uint64_t need = ((uint64_t)(rows - 1) * d->stride_h + span) * in_row +
				rows * out_row + wbytes;

		if (need <= c->sram)
			break;
	}
	for (r0 = 0; r0 < OH && !ret; r0 += rows) {
		uint32_t r1 = r0 + rows < OH ? r0 + rows : OH;
		int64_t start = (int64_t)r0 * d->stride_h - d->pad_top;
		int64_t end = (int64_t)(r1 - 1) * d->stride_h - d->pad_top + span;
		int64_t cs = start < 0 ? 0 : start, ce = end > H ? H : end;
		struct qnpu_desc_conv2d t = *d;

		t.pad_top = start < 0 ? -start : 0;
		t.pad_bottom = end > H ? end - H : 0;
		t.input.addr += cs * d->input.stride[1];
		t.input.dim[1] = ce - cs;
		t.output.addr += (uint64_t)r0 * d->output.stride[1];
		t.output.dim[1] = r1 - r0;
		ret = emit_conv_desc(c, &t, params);
	}
	return ret;
}

static int emit_conv(struct compiler *c, const struct npu_gop *gop)
{
	const struct npu_op_info *o = &gop->info;
	struct npu_graph *g = c->g;
	const struct npu_gtensor *x = &g->tensors[o->inputs[0]];
	const struct npu_gtensor *out = &g->tensors[o->output];
	const struct npu_gtensor *w, *b = NULL;
	struct qnpu_desc_conv2d d = { .hdr = { QNPU_OP_CONV2D, 1, 0, sizeof(d) } };
	uint32_t cout, kh, kw, cg_in, groups = o->groups ? o->groups : 1;
	uint64_t k, w_off, b_off, p_off;
	int32_t *bias_f = NULL;
	int8_t *packed = NULL;
	size_t wbytes;
	int ret;
	bool fc = o->type == NPU_OP_FULLY_CONNECTED;
	uint32_t in_shape[4], out_shape[4];

	if (o->inputs[1] < 0)
		return npu_graph_fail(g, -EINVAL, "op %s: no weights", gop->name);
	w = &g->tensors[o->inputs[1]];
	if (o->inputs[2] >= 0)
		b = &g->tensors[o->inputs[2]];
	if (!quantized8(x) || (!quantized8(out) && !raw_out(out)))
		return npu_graph_fail(g, -EINVAL,
				      "op %s: input must be int8 quantized per tensor, output too or raw int32",
				      gop->name);
	if (raw_out(out) && o->act != NPU_ACT_NONE)
		return npu_graph_fail(g, -EINVAL,
				      "op %s: a raw int32 output takes no activation", gop->name);
	if ((w->elem != NPU_ELEM_INT8 && w->elem != NPU_ELEM_INT32) || !w->data ||
	    (!w->qcount && !raw_out(out)))
		return npu_graph_fail(g, -EINVAL,
				      "op %s: weights %s must be constant int8 (or int32)",
				      gop->name, w->name);
	if (b && (b->elem != NPU_ELEM_INT32 || !b->data))
		return npu_graph_fail(g, -EINVAL, "op %s: bias %s must be constant int32",
				      gop->name, b->name);
	cout = w->shape[0];
	kh = w->shape[1];
	kw = w->shape[2];
	memcpy(in_shape, x->shape, sizeof(in_shape));
	memcpy(out_shape, out->shape, sizeof(out_shape));
	if (fc) {
		/* Rows of K: N*H*W rows of the input's C. */
		if (kh != 1 || kw != 1 || w->shape[3] != x->shape[3] ||
		    out->shape[3] != cout)
			return npu_graph_fail(g, -EINVAL,
					      "op %s: weights %ux%ux%ux%u do not fit input C %u / output C %u",
					      gop->name, w->shape[0], w->shape[1],
					      w->shape[2], w->shape[3], x->shape[3],
					      out->shape[3]);
		groups = 1;
	}
	if (x->shape[3] % groups || cout % groups ||
	    w->shape[3] != x->shape[3] / groups || out->shape[3] != cout)
		return npu_graph_fail(g, -EINVAL,
				      "op %s: weights [%u][%u][%u][%u] do not match input C %u, groups %u, output C %u",
				      gop->name, w->shape[0], w->shape[1], w->shape[2],
				      w->shape[3], x->shape[3], groups, out->shape[3]);
	if (w->qcount > 1 && w->qcount != cout)
		return npu_graph_fail(g, -EINVAL,
				      "op %s: %u weight scales for %u output channels",
				      gop->name, w->qcount, cout);
	if (b && npu_shape_count(b->shape) != cout)
		return npu_graph_fail(g, -EINVAL, "op %s: bias has %llu values, not %u",
				      gop->name,
				      (unsigned long long)npu_shape_count(b->shape), cout);
	cg_in = x->shape[3] / groups;
	k = (uint64_t)kh * kw * cg_in;
	if (w->elem == NPU_ELEM_INT32)
		return emit_cpu_conv(c, gop, groups);

	/* Pack the weights, fold the input zero point into the bias. */
	wbytes = npu_ref_weight_bytes(cout, kh, kw, x->shape[3], groups);
	packed = malloc(wbytes);
	bias_f = malloc(sizeof(int32_t) * cout);
	if (!packed || !bias_f) {
		ret = -ENOMEM;
		goto out;
	}
	ret = npu_ref_pack_weights(packed, w->data, cout, kh, kw, x->shape[3],
				   groups);
	if (ret >= 0)
		ret = npu_ref_fold_bias(bias_f, b ? b->data : NULL, w->data, cout,
					k, x->zero_points[0]);
	if (ret < 0) {
		npu_graph_fail(g, ret, "op %s: weights cannot be packed", gop->name);
		goto out;
	}
	ret = blob_add(&c->weights, packed, wbytes, WEIGHTS_ALIGN, &w_off);
	if (!ret)
		ret = blob_add(&c->weights, bias_f, sizeof(int32_t) * cout,
			       WEIGHTS_ALIGN, &b_off);
	if (!ret && raw_out(out))
		p_off = UINT64_MAX;	/* raw accumulators: requant stays 0 */
	else if (!ret)
		ret = requant_of(c, gop->name, x->scales[0], 0, w, out, o->act,
				 o->rounding, &d.requant, &p_off);
	if (ret)
		goto out;

	if (fc) {
		struct qnpu_desc_fc f = { .hdr = { QNPU_OP_FULLY_CONNECTED, 1, 0,
						   sizeof(f) } };

		f.input = arena_tensor(c, o->inputs[0], NULL);
		f.output = arena_tensor(c, o->output, NULL);
		f.weights = w_off;
		f.bias = b_off;
		f.input_zero_point = x->zero_points[0];
		f.requant = d.requant;
		if (p_off != UINT64_MAX)
			f.requant.channel_params = p_off;
		/* The device wants output N, H, W equal to the input's. */
		memcpy(f.output.dim, f.input.dim, 3 * sizeof(uint32_t));
		f.output.stride[0] = f.input.dim[1] * f.input.dim[2] * cout;
		f.output.stride[1] = f.input.dim[2] * cout;
		{
			const struct reloc_spec r[] = {
				ARENA(struct qnpu_desc_fc, input.addr),
				ARENA(struct qnpu_desc_fc, output.addr),
				WEIGHTS(struct qnpu_desc_fc, weights, true),
				WEIGHTS(struct qnpu_desc_fc, bias, true),
				WEIGHTS(struct qnpu_desc_fc, requant.channel_params,
					p_off != UINT64_MAX),
			};

			ret = emit_relocated(c, &f, sizeof(f), r, 5);
		}
		if (!ret && npu_shape_count(out->shape) !=
		    npu_shape_count(in_shape) / x->shape[3] * cout)
			ret = npu_graph_fail(g, -EINVAL,
					     "op %s: output %s has the wrong size",
					     gop->name, out->name);
		goto out;
	}

	d.input = arena_tensor(c, o->inputs[0], NULL);
	d.output = arena_tensor(c, o->output, NULL);
	d.weights = w_off;
	d.bias = b_off;
	d.kernel_h = kh;
	d.kernel_w = kw;
	conv_window(&d, o, groups, x->zero_points[0]);
	if (p_off != UINT64_MAX)
		d.requant.channel_params = p_off;
	{
		int64_t eh = (int64_t)x->shape[1] + d.pad_top + d.pad_bottom -
			     ((int64_t)(kh - 1) * d.dilation_h + 1);
		int64_t ew = (int64_t)x->shape[2] + d.pad_left + d.pad_right -
			     ((int64_t)(kw - 1) * d.dilation_w + 1);

		if (eh < 0 || ew < 0 || out->shape[0] != x->shape[0] ||
		    out->shape[1] != eh / d.stride_h + 1 ||
		    out->shape[2] != ew / d.stride_w + 1) {
			ret = npu_graph_fail(g, -EINVAL,
					     "op %s: output %s is %ux%ux%ux%u, the convolution gives %ux%lldx%lldx%u",
					     gop->name, out->name, out->shape[0],
					     out->shape[1], out->shape[2], out->shape[3],
					     x->shape[0], (long long)(eh / d.stride_h + 1),
					     (long long)(ew / d.stride_w + 1), cout);
			goto out;
		}
	}
	if (k > NPU_REF_MAX_K) {
		ret = npu_graph_fail(g, -EOVERFLOW,
				     "op %s: %llu taps per output is over the device's %u",
				     gop->name, (unsigned long long)k, NPU_REF_MAX_K);
		goto out;
	}
	ret = emit_conv_tiles(c, &d, wbytes, p_off != UINT64_MAX);
out:
	(void)out_shape;
	free(packed);
	free(bias_f);
	return ret;
}

/*
 * An average pool whose output has its own scale or zero point, with one
 * rounding (pooling, then rescaling, would round twice and lose up to
 * S_in / (2 S_out) output steps). Without padding it is a depthwise
 * convolution with weights 1 and the multiplier S_in / (count S_out), on
 * the device; with padding the count changes at the borders, so it runs
 * on the CPU, exactly.
 */
static int emit_avgpool_requant(struct compiler *c, const struct npu_gop *gop,
				const struct qnpu_desc_pool *pd)
{
	const struct npu_op_info *o = &gop->info;
	const struct npu_gtensor *x = &c->g->tensors[o->inputs[0]];
	const struct npu_gtensor *out = &c->g->tensors[o->output];
	uint32_t C = x->shape[3], kh = pd->kernel_h, kw = pd->kernel_w;
	uint64_t taps = (uint64_t)kh * kw, off;
	int ret;

	if (pd->pad_top || pd->pad_left || pd->pad_bottom || pd->pad_right) {
		struct npu_step s = { .kind = NPU_STEP_AVGPOOL,
				      .in_offset = c->offset[o->inputs[0]],
				      .out_offset = c->offset[o->output],
				      .count = npu_shape_count(out->shape),
				      .in_scale = x->scales[0],
				      .in_zero_point = x->zero_points[0],
				      .scale = out->scales[0],
				      .zero_point = out->zero_points[0] };
		struct qnpu_desc_pool d = *pd;

		d.input.addr = c->offset[o->inputs[0]];
		d.output.addr = c->offset[o->output];
		ret = blob_add(&c->weights, &d, sizeof(d), WEIGHTS_ALIGN, &off);
		s.params_offset = off;
		return ret ? ret : add_cpu_step(c, &s);
	}
	{
		struct qnpu_desc_conv2d d = { .hdr = { QNPU_OP_CONV2D, 1, 0, sizeof(d) } };
		size_t wbytes = npu_ref_weight_bytes(C, kh, kw, C, C);
		int8_t *ones = malloc(C * taps), *packed = malloc(wbytes);
		int32_t *bias = malloc(sizeof(int32_t) * C);
		uint64_t w_off = 0, b_off = 0, p_off;

		ret = ones && packed && bias ? 0 : -ENOMEM;
		if (!ret) {
			memset(ones, 1, C * taps);
			ret = npu_ref_pack_weights(packed, ones, C, kh, kw, C, C);
		}
		if (ret >= 0)
			ret = npu_ref_fold_bias(bias, NULL, ones, C, taps, x->zero_points[0]);
		if (ret >= 0)
			ret = blob_add(&c->weights, packed, wbytes, WEIGHTS_ALIGN, &w_off);
		if (!ret)
			ret = blob_add(&c->weights, bias, sizeof(int32_t) * C, WEIGHTS_ALIGN,
				       &b_off);
		if (!ret)
			ret = requant_of(c, gop->name, 0, (double)x->scales[0] /
					 ((double)taps * out->scales[0]), NULL, out, o->act,
					 o->rounding, &d.requant, &p_off);
		free(ones);
		free(packed);
		free(bias);
		if (ret)
			return ret < 0 ? ret : -EINVAL;
		d.input = pd->input;
		d.output = pd->output;
		d.weights = w_off;
		d.bias = b_off;
		d.kernel_h = kh;
		d.kernel_w = kw;
		d.stride_h = pd->stride_h;
		d.stride_w = pd->stride_w;
		d.dilation_h = d.dilation_w = 1;
		d.groups = C;
		d.input_zero_point = x->zero_points[0];
		if (taps > NPU_REF_MAX_K)
			return npu_graph_fail(c->g, -EOVERFLOW,
					      "op %s: a %ux%u window is over the device's %u taps",
					      gop->name, kh, kw, NPU_REF_MAX_K);
		return emit_conv_tiles(c, &d, wbytes, false);
	}
}

static int emit_pool(struct compiler *c, const struct npu_gop *gop)
{
	const struct npu_op_info *o = &gop->info;
	struct npu_graph *g = c->g;
	const struct npu_gtensor *x = &g->tensors[o->inputs[0]];
	const struct npu_gtensor *out = &g->tensors[o->output];
	struct qnpu_desc_pool d = { 0 };
	int32_t lo, hi;
	int ret;

	bool requant;

	if (!quantized8(x) || !quantized8(out))
		return npu_graph_fail(g, -EINVAL,
				      "op %s: pooling takes int8 quantized per tensor", gop->name);
	requant = x->scales[0] != out->scales[0] ||
		  x->zero_points[0] != out->zero_points[0];
	if (requant && o->type == NPU_OP_MAXPOOL)
		return npu_graph_fail(g, -EINVAL,
				      "op %s: max pooling keeps the input's scale and zero point",
				      gop->name);
	d.hdr = (struct qnpu_desc_header){
		o->type == NPU_OP_MAXPOOL ? QNPU_OP_MAXPOOL : QNPU_OP_AVGPOOL, 1,
		0, sizeof(d) };
	if (o->type == NPU_OP_GLOBAL_AVGPOOL &&
	    (out->shape[1] != 1 || out->shape[2] != 1))
		return npu_graph_fail(g, -EINVAL,
				      "op %s: a global average pool gives 1x1, not %ux%u",
				      gop->name, out->shape[1], out->shape[2]);
	d.input = arena_tensor(c, o->inputs[0], NULL);
	d.output = arena_tensor(c, o->output, NULL);
	d.kernel_h = o->kernel[0] && o->type != NPU_OP_GLOBAL_AVGPOOL ?
		     o->kernel[0] : x->shape[1];
	d.kernel_w = o->kernel[1] && o->type != NPU_OP_GLOBAL_AVGPOOL ?
		     o->kernel[1] : x->shape[2];
	d.stride_h = o->stride[0] ? o->stride[0] : 1;
	d.stride_w = o->stride[1] ? o->stride[1] : 1;
	d.pad_top = o->pad[0];
	d.pad_left = o->pad[1];
	d.pad_bottom = o->pad[2];
	d.pad_right = o->pad[3];
	ret = npu_ref_act_bounds(ref_act(o->act), out->scales[0],
				 out->zero_points[0], &lo, &hi);
	if (ret)
		return npu_graph_fail(g, ret, "op %s: activation bounds", gop->name);
	d.act_min = lo;
	d.act_max = hi;
	if (requant)
		return emit_avgpool_requant(c, gop, &d);
	{
		const struct reloc_spec r[] = {
			ARENA(struct qnpu_desc_pool, input.addr),
			ARENA(struct qnpu_desc_pool, output.addr),
		};

		return emit_relocated(c, &d, sizeof(d), r, 2);
	}
}

static int emit_eltwise(struct compiler *c, const struct npu_gop *gop)
{
	const struct npu_op_info *o = &gop->info;
	struct npu_graph *g = c->g;
	const struct npu_gtensor *a = &g->tensors[o->inputs[0]];
	const struct npu_gtensor *b = o->inputs[1] >= 0 ?
				      &g->tensors[o->inputs[1]] : NULL;
	const struct npu_gtensor *out = &g->tensors[o->output];
	bool mul = o->type == NPU_OP_MUL;
	struct qnpu_desc_eltwise d = { .hdr = { mul ? QNPU_OP_MUL : QNPU_OP_ADD,
						1, 0, sizeof(d) } };
	uint64_t unused;
	int ret, i;

	if (!b || !quantized8(a) || !quantized8(b) || !quantized8(out))
		return npu_graph_fail(g, -EINVAL,
				      "op %s: needs two int8 inputs and an int8 output, per tensor",
				      gop->name);
	for (i = 0; i < 4; i++) {
		if (a->shape[i] != out->shape[i] || b->shape[i] != out->shape[i])
			return npu_graph_fail(g, -EINVAL,
					      "op %s: shapes of %s, %s and %s differ",
					      gop->name, a->name, b->name, out->name);
	}
	d.input1 = arena_tensor(c, o->inputs[0], NULL);
	d.input2 = arena_tensor(c, o->inputs[1], NULL);
	d.output = arena_tensor(c, o->output, NULL);
	d.input1_zero_point = a->zero_points[0];
	d.input2_zero_point = b->zero_points[0];
	if (mul) {
		double real = (double)((a->scales[0] * b->scales[0]) / out->scales[0]);

		ret = requant_of(c, gop->name, 0, real, NULL, out, o->act,
				 o->rounding, &d.requant, &unused);
	} else {
		double twice_max = 2.0 * fmax(a->scales[0], b->scales[0]);

		d.left_shift = 20;
		ret = npu_ref_quantize_multiplier(a->scales[0] / twice_max,
						  &d.input1_multiplier,
						  &d.input1_shift);
		if (!ret)
			ret = npu_ref_quantize_multiplier(b->scales[0] / twice_max,
							  &d.input2_multiplier,
							  &d.input2_shift);
		if (!ret)
			ret = requant_of(c, gop->name, 0, twice_max /
					 ((1 << 20) * (double)out->scales[0]), NULL,
					 out, o->act, o->rounding, &d.requant, &unused);
	}
	if (ret)
		return npu_graph_fail(g, ret, "op %s: multipliers", gop->name);
	{
		const struct reloc_spec r[] = {
			ARENA(struct qnpu_desc_eltwise, input1.addr),
			ARENA(struct qnpu_desc_eltwise, input2.addr),
			ARENA(struct qnpu_desc_eltwise, output.addr),
		};

		return emit_relocated(c, &d, sizeof(d), r, 3);
	}
}

/*
 * A single-input ADD requantizes x to the output's parameters exactly as
 * docs/arithmetic.md 4.2 says; its clamp is the activation. With equal
 * parameters it is a standalone ReLU, ReLU6 or clamp.
 */
static int emit_rescale(struct compiler *c, const struct npu_gop *gop)
{
	const struct npu_op_info *o = &gop->info;
	struct npu_graph *g = c->g;
	const struct npu_gtensor *x = &g->tensors[o->inputs[0]];
	const struct npu_gtensor *out = &g->tensors[o->output];
	struct qnpu_desc_eltwise d = { .hdr = { QNPU_OP_ADD, 1, 0, sizeof(d) } };
	uint64_t unused;
	int ret, i;

	if (!quantized8(x) || !quantized8(out))
		return npu_graph_fail(g, -EINVAL,
				      "op %s: rescale takes int8 to int8, per tensor",
				      gop->name);
	for (i = 0; i < 4; i++) {
		if (x->shape[i] != out->shape[i])
			return npu_graph_fail(g, -EINVAL, "op %s: %s and %s differ in shape",
					      gop->name, x->name, out->name);
	}
	d.input1 = arena_tensor(c, o->inputs[0], NULL);
	d.output = arena_tensor(c, o->output, NULL);
	d.input1_zero_point = x->zero_points[0];
	d.left_shift = 20;
	d.input1_multiplier = 1 << 30;	/* S1 / (2 * S1) = 1/2 */
	d.input1_shift = 0;
	ret = requant_of(c, gop->name, 0, 2.0 * x->scales[0] /
			 ((1 << 20) * (double)out->scales[0]), NULL, out, o->act,
			 o->rounding, &d.requant, &unused);
	if (ret)
		return npu_graph_fail(g, ret, "op %s: multipliers", gop->name);
	{
		const struct reloc_spec r[] = {
			ARENA(struct qnpu_desc_eltwise, input1.addr),
			ARENA(struct qnpu_desc_eltwise, output.addr),
		};

		return emit_relocated(c, &d, sizeof(d), r, 2);
	}
}

/* Concatenation along C: one strided COPY per input into its slice. */
static int emit_concat(struct compiler *c, const struct npu_gop *gop)
{
	const struct npu_op_info *o = &gop->info;
	struct npu_graph *g = c->g;
	const struct npu_gtensor *out = &g->tensors[o->output];
	uint32_t c0 = 0;
	int k, ret = 0;

	for (k = 0; k < 3 && o->inputs[k] >= 0 && !ret; k++) {
		const struct npu_gtensor *x = &g->tensors[o->inputs[k]];
		struct qnpu_desc_copy d = { .hdr = { QNPU_OP_COPY, 1, 0, sizeof(d) } };
		int i;

		if (!quantized8(x) || !quantized8(out) ||
		    x->scales[0] != out->scales[0] ||
		    x->zero_points[0] != out->zero_points[0])
			return npu_graph_fail(g, -EINVAL,
					      "op %s: input %s must have the output's scale and zero point (rescale it first)",
					      gop->name, x->name);
		for (i = 0; i < 3; i++) {
			if (x->shape[i] != out->shape[i])
				return npu_graph_fail(g, -EINVAL,
						      "op %s: %s differs from %s outside C",
						      gop->name, x->name, out->name);
		}
		d.src = arena_tensor(c, o->inputs[k], NULL);
		d.dst = arena_tensor(c, o->output, NULL);
		memcpy(d.dst.dim, d.src.dim, sizeof(d.dst.dim));
		d.dst.addr += c0;
		c0 += x->shape[3];
		{
			const struct reloc_spec r[] = {
				ARENA(struct qnpu_desc_copy, src.addr),
				ARENA(struct qnpu_desc_copy, dst.addr),
			};

			ret = emit_relocated(c, &d, sizeof(d), r, 2);
		}
	}
	if (!ret && c0 != out->shape[3])
		ret = npu_graph_fail(g, -EINVAL, "op %s: inputs give %u channels, %s has %u",
				     gop->name, c0, out->name, out->shape[3]);
	return ret;
}

static int emit_matmul(struct compiler *c, const struct npu_gop *gop)
{
	const struct npu_op_info *o = &gop->info;
	struct npu_graph *g = c->g;
	const struct npu_gtensor *a = &g->tensors[o->inputs[0]];
	const struct npu_gtensor *b = o->inputs[1] >= 0 ?
				      &g->tensors[o->inputs[1]] : NULL;
	const struct npu_gtensor *bias = o->inputs[2] >= 0 ?
					 &g->tensors[o->inputs[2]] : NULL;
	const struct npu_gtensor *out = &g->tensors[o->output];
	struct qnpu_desc_matmul d = { .hdr = { QNPU_OP_MATMUL, 1, 0, sizeof(d) } };
	uint64_t boff = 0, unused;
	int ret = 0, i;

	if (!b || !quantized8(a) || !quantized8(b) ||
	    (!quantized8(out) && !raw_out(out)))
		return npu_graph_fail(g, -EINVAL,
				      "op %s: matmul takes two int8 tensors quantized per tensor",
				      gop->name);
	/* Batch extents match, or one side is 1 and is broadcast (stride 0). */
	if ((a->shape[0] != b->shape[0] && a->shape[0] != 1 && b->shape[0] != 1) ||
	    (a->shape[1] != b->shape[1] && a->shape[1] != 1 && b->shape[1] != 1) ||
	    b->shape[2] != a->shape[3] || out->shape[0] != MAX(a->shape[0], b->shape[0]) ||
	    out->shape[1] != MAX(a->shape[1], b->shape[1]) || out->shape[2] != a->shape[2] ||
	    out->shape[3] != b->shape[3])
		return npu_graph_fail(g, -EINVAL,
				      "op %s: shapes [..][%u][%u] x [..][%u][%u] -> [..][%u][%u] do not match",
				      gop->name, a->shape[2], a->shape[3], b->shape[2],
				      b->shape[3], out->shape[2], out->shape[3]);
	if (bias) {
		if (bias->elem != NPU_ELEM_INT32 || !bias->data ||
		    npu_shape_count(bias->shape) != out->shape[3])
			return npu_graph_fail(g, -EINVAL,
					      "op %s: bias must be %u constant int32",
					      gop->name, out->shape[3]);
		ret = blob_add(&c->weights, bias->data, bias->bytes, WEIGHTS_ALIGN,
			       &boff);
		if (ret)
			return ret;
	}
	d.a = arena_tensor(c, o->inputs[0], NULL);
	d.b = arena_tensor(c, o->inputs[1], NULL);
	d.output = arena_tensor(c, o->output, NULL);
	for (i = 0; i < 2; i++) {
		if (d.a.dim[i] < d.output.dim[i]) {
			d.a.dim[i] = d.output.dim[i];
			d.a.stride[i] = 0;
		}
		if (d.b.dim[i] < d.output.dim[i]) {
			d.b.dim[i] = d.output.dim[i];
			d.b.stride[i] = 0;
		}
	}
	if (b->data) {
		/* A constant operand lives with the weights. */
		uint64_t off;

		ret = blob_add(&c->weights, b->data, b->bytes, WEIGHTS_ALIGN, &off);
		if (ret)
			return ret;
		d.b.addr = off;
	}
	d.a_zero_point = a->zero_points[0];
	d.b_zero_point = b->zero_points[0];
	d.bias = boff;
	if (!raw_out(out))
		ret = requant_of(c, gop->name, (double)a->scales[0] * b->scales[0], 0,
				 NULL, out, o->act, o->rounding, &d.requant, &unused);
	if (ret)
		return ret;
	{
		const struct reloc_spec r[] = {
			ARENA(struct qnpu_desc_matmul, a.addr),
			{ offsetof(struct qnpu_desc_matmul, b.addr),
			  b->data ? NPU_REGION_WEIGHTS : NPU_REGION_ARENA, true },
			ARENA(struct qnpu_desc_matmul, output.addr),
			WEIGHTS(struct qnpu_desc_matmul, bias, bias != NULL),
		};

		return emit_relocated(c, &d, sizeof(d), r, 4);
	}
}

/* Quantized int8 per tensor, or per channel along C (QUANTIZE/DEQUANTIZE). */
static bool quantized8_axis(const struct npu_gtensor *t)
{
	return t->elem == NPU_ELEM_INT8 &&
	       (t->qcount == 1 || (t->qcount > 1 && t->qcount == t->shape[3]));
}

/* Per-channel quantization parameters of @t into the weights blob. */
static int channel_q(struct compiler *c, const struct npu_gtensor *t,
		     struct npu_step *s)
{
	struct npu_channel_q *q;
	uint32_t i;
	int ret;

	if (t->qcount == 1)
		return 0;
	q = calloc(t->qcount, sizeof(*q));
	if (!q)
		return -ENOMEM;
	for (i = 0; i < t->qcount; i++) {
		q[i].scale = t->scales[i];
		q[i].zero_point = t->zero_points[i];
	}
	s->per_channel = 1;
	s->inner = t->qcount;
	ret = blob_add(&c->weights, q, sizeof(*q) * t->qcount, WEIGHTS_ALIGN,
		       &s->params_offset);
	free(q);
	return ret;
}

static int emit_cpu(struct compiler *c, const struct npu_gop *gop)
{
	const struct npu_op_info *o = &gop->info;
	struct npu_graph *g = c->g;
	const struct npu_gtensor *x = &g->tensors[o->inputs[0]];
	const struct npu_gtensor *out = &g->tensors[o->output];
	struct npu_step s = {
		.in_offset = c->offset[o->inputs[0]],
		.out_offset = c->offset[o->output],
		.count = npu_shape_count(out->shape),
	};
	bool dyn = o->type == NPU_OP_DYNAMIC_QUANTIZE ||
		   o->type == NPU_OP_DYNAMIC_SCALE ||
		   o->type == NPU_OP_DYNAMIC_ZERO_POINT;

	if (dyn)
		s.count = npu_shape_count(x->shape);
	else if (npu_shape_count(x->shape) != s.count)
		return npu_graph_fail(g, -EINVAL, "op %s: %s and %s differ in size",
				      gop->name, x->name, out->name);
	switch (o->type) {
	case NPU_OP_QUANTIZE:
		if (x->elem != NPU_ELEM_FLOAT32 || !quantized8_axis(out))
			return npu_graph_fail(g, -EINVAL,
					      "op %s: quantize takes float32 to int8",
					      gop->name);
		s.kind = NPU_STEP_QUANTIZE;
		s.scale = out->scales[0];
		s.zero_point = out->zero_points[0];
		return channel_q(c, out, &s) ?: add_cpu_step(c, &s);
	case NPU_OP_DEQUANTIZE:
		if (!quantized8_axis(x) || out->elem != NPU_ELEM_FLOAT32)
			return npu_graph_fail(g, -EINVAL,
					      "op %s: dequantize takes int8 to float32",
					      gop->name);
		s.kind = NPU_STEP_DEQUANTIZE;
		s.scale = x->scales[0];
		s.zero_point = x->zero_points[0];
		return channel_q(c, x, &s) ?: add_cpu_step(c, &s);
	case NPU_OP_DYNAMIC_QUANTIZE:
	case NPU_OP_DYNAMIC_SCALE:
	case NPU_OP_DYNAMIC_ZERO_POINT: {
		bool ok = o->type == NPU_OP_DYNAMIC_SCALE ?
			  out->elem == NPU_ELEM_FLOAT32 && npu_shape_count(out->shape) == 1 :
			  out->elem == NPU_ELEM_INT8 && out->uint8 && !out->qcount &&
			  npu_shape_count(out->shape) ==
			  (o->type == NPU_OP_DYNAMIC_QUANTIZE ? s.count : 1);

		if (x->elem != NPU_ELEM_FLOAT32 || !ok)
			return npu_graph_fail(g, -EINVAL,
					      "op %s: dynamic quantization takes float32 to uint8 without static parameters, a float32 scale or a uint8 zero point",
					      gop->name);
		s.kind = o->type == NPU_OP_DYNAMIC_QUANTIZE ? NPU_STEP_DYNAMIC_QUANTIZE :
			 o->type == NPU_OP_DYNAMIC_SCALE ? NPU_STEP_DYNAMIC_SCALE :
			 NPU_STEP_DYNAMIC_ZERO_POINT;
		break;
	}
	case NPU_OP_SOFTMAX:
	case NPU_OP_FUNCTION:
		/* Float, or int8 with the (de)quantization done on the CPU. */
		if ((x->elem != NPU_ELEM_FLOAT32 && !quantized8(x)) ||
		    (out->elem != NPU_ELEM_FLOAT32 && !quantized8(out)))
			return npu_graph_fail(g, -EINVAL,
					      "op %s: %s takes float32 or int8 per tensor",
					      gop->name, o->type == NPU_OP_SOFTMAX ?
					      "softmax" : "a CPU function");
		if (o->type == NPU_OP_FUNCTION && (unsigned int)o->fn >= NPU_FN_COUNT)
			return npu_graph_fail(g, -EINVAL, "op %s: unknown function %d",
					      gop->name, o->fn);
		s.kind = o->type == NPU_OP_SOFTMAX ? NPU_STEP_SOFTMAX : NPU_STEP_FUNCTION;
		s.inner = x->shape[3];
		s.fn = o->fn;
		s.alpha = o->alpha;
		s.beta = o->beta;
		s.in_q = x->elem == NPU_ELEM_INT8;
		s.out_q = out->elem == NPU_ELEM_INT8;
		if (s.in_q) {
			s.in_scale = x->scales[0];
			s.in_zero_point = x->zero_points[0];
		}
		if (s.out_q) {
			s.scale = out->scales[0];
			s.zero_point = out->zero_points[0];
		}
		break;
	default:
		return npu_graph_fail(g, -EINVAL, "op %s: not a CPU op", gop->name);
	}
	return add_cpu_step(c, &s);
}

static void free_compiler(struct compiler *c)
{
	free(c->cmd.data);
	free(c->weights.data);
	free(c->relocs);
	free(c->steps);
	free(c->offset);
	free(c->storage);
	free(c->last_use);
}

static struct npu_io io_of(struct compiler *c, int t)
{
	const struct npu_gtensor *gt = &c->g->tensors[t];
	struct npu_io io = {
		.offset = c->offset[t],
		.bytes = gt->bytes,
		.elem = gt->uint8 ? NPU_ELEM_UINT8 : gt->elem,
		.scale = gt->qcount ? gt->scales[0] : 0,
		.zero_point = gt->qcount ? gt->zero_points[0] + (gt->uint8 ? 128 : 0) : 0,
	};

	memcpy(io.shape, gt->shape, sizeof(io.shape));
	return io;
}

static bool same_q(const struct npu_gtensor *a, const struct npu_gtensor *b)
{
	return a->qcount == 1 && b->qcount == 1 && a->scales[0] == b->scales[0] &&
	       a->zero_points[0] == b->zero_points[0];
}

/*
 * Fuse a standalone activation (a RESCALE that keeps the quantization)
 * into the op before it when that op's result feeds nothing else: the
 * producer writes the activation's output with the tighter clamp.
 * Works on a copy of the op list; returns how many were fused.
 */
static int fuse_activations(struct npu_graph *g, struct npu_gop *ops, int nops)
{
	int i, j, k, fused = 0;

	for (i = 1; i < nops; i++) {
		struct npu_op_info *act = &ops[i].info, *prod = NULL;
		int t = act->inputs[0], uses = 0;

		if (act->type != NPU_OP_RESCALE ||
		    !same_q(&g->tensors[t], &g->tensors[act->output]))
			continue;
		for (j = i - 1; j >= 0 && !prod; j--) {
			if (ops[j].info.output == t)
				prod = &ops[j].info;
		}
		if (!prod || (prod->type != NPU_OP_CONV2D &&
			      prod->type != NPU_OP_FULLY_CONNECTED &&
			      prod->type != NPU_OP_ADD && prod->type != NPU_OP_MUL &&
			      prod->type != NPU_OP_MATMUL))
			continue;
		for (j = 0; j < nops; j++) {
			for (k = 0; k < 3; k++)
				uses += ops[j].info.inputs[k] == t;
		}
		for (j = 0; j < g->noutputs; j++)
			uses += g->outputs[j] == t;
		if (uses != 1)
			continue;
		prod->output = act->output;
		if (act->act > prod->act)
			prod->act = act->act;	/* RELU6 within RELU within NONE */
		act->type = NPU_OP_RESHAPE;	/* now a no-op alias... */
		act->inputs[0] = act->output;	/* ...of nothing: dropped below */
		fused++;
	}
	/* Drop the fused activations. */
	for (i = j = 0; i < nops; i++) {
		if (!(ops[i].info.type == NPU_OP_RESHAPE &&
		      ops[i].info.inputs[0] == ops[i].info.output))
			ops[j++] = ops[i];
	}
	return nops - j == fused ? j : -1;
}

NPU_API int npu_compile(struct npu_graph *g, struct npu_program **out)
{
	return npu_compile_with(g, NULL, out);
}

NPU_API int npu_compile_with(struct npu_graph *g,
			     const struct npu_compile_opts *opts,
			     struct npu_program **out)
{
	struct npu_graph *user = g, view;
	struct compiler c = { .seg = -1 };
	struct npu_program *p;
	struct npu_gop *ops;
	int i, ret;

	if (!g || !out)
		return -EINVAL;
	c.sram = opts && opts->sram_bytes ? opts->sram_bytes : 1u << 20;
	g->error[0] = 0;
	if (!g->noutputs)
		return npu_graph_fail(g, -EINVAL, "the graph has no outputs (npu_graph_io)");
	/* Compile a view of the graph whose op list the passes may change. */
	ops = malloc(sizeof(*ops) * (g->nops ? g->nops : 1));
	if (!ops)
		return -ENOMEM;
	memcpy(ops, g->ops, sizeof(*ops) * g->nops);
	view = *g;
	view.ops = ops;
	view.nops = fuse_activations(g, ops, g->nops);
	if (view.nops < 0) {
		free(ops);
		return npu_graph_fail(g, -EINVAL, "activation fusion failed");
	}
	g = &view;
	c.g = g;
	ret = plan_memory(&c);
	for (i = 0; !ret && i < g->nops; i++) {
		const struct npu_gop *op = &g->ops[i];

		switch (op->info.type) {
		case NPU_OP_CONV2D:
		case NPU_OP_FULLY_CONNECTED:
			ret = emit_conv(&c, op);
			break;
		case NPU_OP_MAXPOOL:
		case NPU_OP_AVGPOOL:
		case NPU_OP_GLOBAL_AVGPOOL:
			ret = emit_pool(&c, op);
			break;
		case NPU_OP_RESCALE:
			ret = emit_rescale(&c, op);
			break;
		case NPU_OP_CONCAT:
			ret = emit_concat(&c, op);
			break;
		case NPU_OP_MATMUL:
			ret = emit_matmul(&c, op);
			break;
		case NPU_OP_ADD:
		case NPU_OP_MUL:
			ret = emit_eltwise(&c, op);
			break;
		case NPU_OP_RESHAPE:
			if (g->tensors[op->info.inputs[0]].bytes !=
			    g->tensors[op->info.output].bytes)
				ret = npu_graph_fail(g, -EINVAL,
						     "op %s: reshape changes the size",
						     op->name);
			break;
		default:
			ret = emit_cpu(&c, op);
			break;
		}
	}
	close_segment(&c);
	memcpy(user->error, view.error, sizeof(user->error));
	free(ops);
	p = ret ? NULL : calloc(1, sizeof(*p));
	if (!ret && !p)
		ret = -ENOMEM;
	if (ret) {
		free_compiler(&c);
		return ret;
	}
	p->cmdbuf = c.cmd.data;
	p->cmdbuf_size = c.cmd.size;
	p->relocs = c.relocs;
	p->nrelocs = c.nrelocs;
	p->weights = c.weights.data;
	p->weights_size = c.weights.size;
	p->arena_size = c.arena ? c.arena : ARENA_ALIGN;
	p->arena_unshared = c.unshared;
	p->steps = c.steps;
	p->nsteps = c.nsteps;
	p->device_ops = c.device_ops;
	p->cpu_ops = c.cpu_ops;
	p->ninputs = g->ninputs;
	p->noutputs = g->noutputs;
	p->inputs = calloc(g->ninputs + 1, sizeof(*p->inputs));
	p->outputs = calloc(g->noutputs, sizeof(*p->outputs));
	if (!p->inputs || !p->outputs) {
		c.cmd.data = NULL;
		npu_program_free(p);
		free_compiler(&c);
		return -ENOMEM;
	}
	for (i = 0; i < g->ninputs; i++)
		p->inputs[i] = io_of(&c, g->inputs[i]);
	for (i = 0; i < g->noutputs; i++)
		p->outputs[i] = io_of(&c, g->outputs[i]);
	free(c.offset);
	free(c.storage);
	free(c.last_use);
	*out = p;
	return 0;
}
