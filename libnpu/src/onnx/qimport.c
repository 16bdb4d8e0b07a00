// SPDX-License-Identifier: MIT
/*
 * libnpu: quantized ONNX models (QOperator and QDQ) to graphs, keeping
 * the model's own quantization.
 *
 * Values are held NHWC when they are 4-D (the model's NCHW), and as
 * [1, ..., last] otherwise, so that the last extent is always the graph's
 * C. Requantization uses the `single` rounding mode (arithmetic.md 9):
 * the closest of the device's modes to ONNX Runtime's float rounding.
 *
 * QDQ groups are folded: a float op whose inputs come from
 * DequantizeLinear and whose only consumer is a QuantizeLinear (perhaps
 * through a Relu or Clip) becomes one quantized op; a DequantizeLinear
 * that feeds anything else runs as such, on the CPU.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npu/graph.h"
#include "npu/onnx.h"
#include "onnx.pb-c.h"
#include "onnx_internal.h"

#define ROUND_SINGLE	1	/* QNPU_ROUND_SINGLE */

/* A value of the model. */
struct qv {
	const char *name;
	int type;		/* enum npu_onnx_type */
	uint32_t ndims;
	int64_t dims[NPU_ONNX_MAX_DIMS];
	uint32_t shape[4];	/* the graph's */
	int tensor;		/* graph tensor, or -1 until known */
	uint32_t qcount;	/* quantization, once known */
	float *scales;
	int32_t *zps;		/* as the model has them (uint8: 0..255) */
	bool is_const;		/* constant data in @c */
	struct npu_onnx_tensor c;
	bool runtime_input;
	int dq_of;		/* DequantizeLinear of activation value @dq_of */
	bool dq_const;		/* DequantizeLinear of a constant: @c, @scales, @zps */
	int dq_axis;		/* ...quantized per channel along this axis */
	const char *dq_input;	/* ...whose name this is */
	int consumers;
};

struct qimp {
	const Onnx__GraphProto *g;
	const struct npu_onnx_import_opts *o;
	struct npu_graph *graph;
	struct qv *v;		/* allocated once: pointers into it stay valid */
	int nv, cap;
	bool *done;		/* nodes folded into an earlier one */
	int inputs[NPU_ONNX_MAX_IO], ninputs;
	char *err;
	size_t errlen;
	const char *where;	/* "node N (name, Op)" */
	char wbuf[200];
};

static int qerr(struct qimp *q, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int qerr(struct qimp *q, int ret, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (q->err && q->errlen)
		snprintf(q->err, q->errlen, "%s: %s", q->where ? q->where : "model", msg);
	return ret;
}

static int find(struct qimp *q, const char *name)
{
	int i;

	for (i = 0; i < q->nv; i++) {
		if (!strcmp(q->v[i].name, name))
			return i;
	}
	return -1;
}

static int add_value(struct qimp *q, const char *name)
{
	struct qv *v;
	int i = find(q, name);

	if (i >= 0)
		return i;
	if (q->nv == q->cap)
		return -ENOMEM;
	v = &q->v[q->nv];
	memset(v, 0, sizeof(*v));
	v->name = name;
	v->tensor = -1;
	v->dq_of = -1;
	return q->nv++;
}

/* The graph's 4-D shape of a model shape. */
static int graph_shape(struct qimp *q, struct qv *v)
{
	uint32_t i;

	for (i = 0; i < 4; i++)
		v->shape[i] = 1;
	if (v->ndims > 4)
		return qerr(q, -EOPNOTSUPP, "'%s' has %u dimensions (4 at most)",
			    v->name, v->ndims);
	for (i = 0; i < v->ndims; i++) {
		if (v->dims[i] <= 0 || v->dims[i] > 65535)
			return qerr(q, -EOPNOTSUPP, "'%s': dimension %u is %lld",
				    v->name, i, (long long)v->dims[i]);
	}
	if (v->ndims == 4) {
		v->shape[0] = v->dims[0];
		v->shape[1] = v->dims[2];
		v->shape[2] = v->dims[3];
		v->shape[3] = v->dims[1];
		return 0;
	}
	for (i = 0; i < v->ndims; i++)
		v->shape[4 - v->ndims + i] = v->dims[i];
	return 0;
}

static void set_dims(struct qv *v, uint32_t ndims, const int64_t *dims)
{
	v->ndims = ndims;
	memcpy(v->dims, dims, sizeof(int64_t) * ndims);
}

/* A value that must be constant: an initializer, a Constant, or a given value. */
static int need_const(struct qimp *q, const char *name, int *id)
{
	const Onnx__TensorProto *t = npu_onnx_constant(q->g, name);
	int i = add_value(q, name), ret;
	size_t k;

	if (i < 0)
		return i;
	*id = i;
	if (q->v[i].is_const)
		return 0;
	if (t) {
		ret = npu_onnx_decode(t, &q->v[i].c, q->where, q->err, q->errlen);
		if (ret)
			return ret;
	} else {
		for (k = 0; k < q->o->nvalues; k++) {
			if (!strcmp(q->o->values[k].name, name))
				break;
		}
		if (k == q->o->nvalues)
			return qerr(q, -EOPNOTSUPP,
				    "'%s' must be constant (an initializer, or a value given to the importer)",
				    name);
		q->v[i].c = q->o->values[k];
		q->v[i].c.data = malloc(q->v[i].c.count * npu_onnx_elem_size(q->v[i].c.type) + 1);
		if (!q->v[i].c.data)
			return -ENOMEM;
		memcpy(q->v[i].c.data, q->o->values[k].data,
		       q->v[i].c.count * npu_onnx_elem_size(q->v[i].c.type));
	}
	q->v[i].is_const = true;
	q->v[i].runtime_input = false;
	q->v[i].type = q->v[i].c.type;
	set_dims(&q->v[i], q->v[i].c.ndims, q->v[i].c.dims);
	return 0;
}

static int64_t int_at(const struct npu_onnx_tensor *t, size_t i)
{
	switch (t->type) {
	case NPU_ONNX_UINT8:
		return ((const uint8_t *)t->data)[i];
	case NPU_ONNX_INT8:
		return ((const int8_t *)t->data)[i];
	case NPU_ONNX_INT32:
		return ((const int32_t *)t->data)[i];
	case NPU_ONNX_INT64:
		return ((const int64_t *)t->data)[i];
	default:
		return 0;
	}
}

/*
 * Quantization parameters from a (scale, zero point) pair of inputs
 * @si, @zi of the current node (@zi may be absent: zero point 0).
 * @axis_len: the per-axis length allowed (0: per tensor only).
 * *type: the zero point's element type (uint8 when absent).
 */
static int qparams(struct qimp *q, const Onnx__NodeProto *nd, size_t si,
		   size_t zi, uint32_t axis_len, uint32_t *count, float **scales,
		   int32_t **zps, int *type)
{
	int s = -1, z = -1, ret;
	uint32_t n, i;

	*type = NPU_ONNX_UINT8;
	if (si < nd->n_input && nd->input[si][0]) {
		ret = need_const(q, nd->input[si], &s);
		if (ret)
			return ret;
		if (q->v[s].c.type != NPU_ONNX_FLOAT)
			return qerr(q, -EPROTO, "scale '%s' is not float", nd->input[si]);
	}
	if (zi < nd->n_input && nd->input[zi][0]) {
		ret = need_const(q, nd->input[zi], &z);
		if (ret)
			return ret;
		*type = q->v[z].c.type;
		if (*type != NPU_ONNX_UINT8 && *type != NPU_ONNX_INT8 &&
		    *type != NPU_ONNX_INT32)
			return qerr(q, -EOPNOTSUPP, "zero point '%s' is not int8, uint8 or int32",
				    nd->input[zi]);
	}
	n = s >= 0 ? q->v[s].c.count : z >= 0 ? q->v[z].c.count : 1;
	if ((s >= 0 && q->v[s].c.count != n) || (z >= 0 && q->v[z].c.count != n) ||
	    (n > 1 && n != axis_len) || !n)
		return qerr(q, -EOPNOTSUPP,
			    "%u quantization parameters where 1%s%u are possible", n,
			    axis_len ? " or " : "", axis_len ? axis_len : 1);
	*scales = malloc(sizeof(float) * n);
	*zps = malloc(sizeof(int32_t) * n);
	if (!*scales || !*zps) {
		free(*scales);
		free(*zps);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		(*scales)[i] = s >= 0 ? ((const float *)q->v[s].c.data)[i] : 1.0f;
		(*zps)[i] = z >= 0 ? (int32_t)int_at(&q->v[z].c, i) : 0;
		if (!((*scales)[i] > 0) || !isfinite((*scales)[i]))
			return qerr(q, -EOPNOTSUPP, "scale %g is not positive and finite",
				    (*scales)[i]);
	}
	*count = n;
	return 0;
}

static enum npu_elem elem_of(int type, uint32_t qcount)
{
	switch (type) {
	case NPU_ONNX_UINT8:
		return NPU_ELEM_UINT8;
	case NPU_ONNX_INT8:
		return NPU_ELEM_INT8;
	case NPU_ONNX_INT32:
		return NPU_ELEM_INT32;
	default:
		return qcount ? NPU_ELEM_INT8 : NPU_ELEM_FLOAT32;
	}
}

/*
 * Give activation value @i its graph tensor, with quantization (@count
 * parameters; 0: none). A value already in the graph must have the same.
 */
static int define(struct qimp *q, int i, int type, uint32_t count,
		  const float *scales, const int32_t *zps)
{
	struct qv *v = &q->v[i];
	struct npu_tensor_info t = { .name = v->name };
	uint32_t k;
	int ret;

	if (v->tensor >= 0) {
		bool same = v->qcount == count && v->type == type;

		for (k = 0; same && k < count; k++)
			same = v->scales[k] == scales[k] && v->zps[k] == zps[k];
		if (!same)
			return qerr(q, -EOPNOTSUPP,
				    "'%s' is used with two different quantizations", v->name);
		return 0;
	}
	if (v->runtime_input && v->type != type)
		return qerr(q, -EPROTO, "input '%s' has type %d, the node wants %d",
			    v->name, v->type, type);
	v->type = type;
	ret = graph_shape(q, v);
	if (ret)
		return ret;
	if (count) {
		v->scales = malloc(sizeof(float) * count);
		v->zps = malloc(sizeof(int32_t) * count);
		if (!v->scales || !v->zps)
			return -ENOMEM;
		memcpy(v->scales, scales, sizeof(float) * count);
		memcpy(v->zps, zps, sizeof(int32_t) * count);
	}
	v->qcount = count;
	t.elem = elem_of(type, count);
	memcpy(t.shape, v->shape, sizeof(t.shape));
	t.qcount = count;
	t.scales = scales;
	t.zero_points = zps;
	ret = npu_graph_tensor(q->graph, &t, &v->tensor);
	if (ret)
		return qerr(q, ret, "%s", npu_graph_error(q->graph));
	if (v->runtime_input) {
		if (q->ninputs == NPU_ONNX_MAX_IO)
			return qerr(q, -E2BIG, "more than %d inputs", NPU_ONNX_MAX_IO);
		q->inputs[q->ninputs++] = i;
	}
	return 0;
}

/* An activation input of the current node: a runtime input or an earlier op's output. */
static int activation(struct qimp *q, const char *name, int *id)
{
	int i = find(q, name);

	if (i < 0 || q->v[i].is_const || q->v[i].dq_const ||
	    (!q->v[i].runtime_input && q->v[i].tensor < 0 && q->v[i].dq_of < 0))
		return qerr(q, -EOPNOTSUPP, "'%s' must be an activation computed earlier",
			    name);
	*id = i;
	return 0;
}

static int add_op(struct qimp *q, struct npu_op_info *op)
{
	int ret = npu_graph_op(q->graph, op);

	return ret ? qerr(q, ret, "%s", npu_graph_error(q->graph)) : 0;
}

/* ---- weights ---- */

/*
 * Constant weights minus their zero points, OIHW (or [O][K]) to OHWI:
 * int8 when every value fits, else int32 (the CPU convolution).
 */
static int weights(struct qimp *q, const struct npu_onnx_tensor *w,
		   const int32_t *zps, uint32_t nzp, uint32_t o, uint32_t kh,
		   uint32_t kw, uint32_t ci, bool transposed, void **out, bool *wide)
{
	uint64_t n = (uint64_t)o * kh * kw * ci, i;
	int32_t *v = malloc(sizeof(int32_t) * (n ? n : 1));
	uint32_t a, b, y, x;

	if (!v)
		return -ENOMEM;
	if (w->count != n) {
		free(v);
		return qerr(q, -EPROTO, "weights '%s' have %zu values, expected %llu",
			    w->name, w->count, (unsigned long long)n);
	}
	*wide = false;
	for (a = 0; a < o; a++)
	for (y = 0; y < kh; y++)
	for (x = 0; x < kw; x++)
	for (b = 0; b < ci; b++) {
		/* OIHW, or [K][O] for a transposed matrix */
		uint64_t src = transposed ? (uint64_t)b * o + a :
			       (((uint64_t)a * ci + b) * kh + y) * kw + x;
		uint64_t dst = (((uint64_t)a * kh + y) * kw + x) * ci + b;

		v[dst] = (int32_t)int_at(w, src) - zps[nzp > 1 ? a : 0];
		*wide |= v[dst] < -128 || v[dst] > 127;
	}
	if (!*wide) {
		int8_t *v8 = malloc(n ? n : 1);

		if (!v8) {
			free(v);
			return -ENOMEM;
		}
		for (i = 0; i < n; i++)
			v8[i] = (int8_t)v[i];
		free(v);
		*out = v8;
		return 0;
	}
	*out = v;
	return 0;
}

/* Constant int32 bias of @n values (QLinearConv's B, or a dequantized int32). */
static int bias_tensor(struct qimp *q, const char *name, uint32_t n, int *id)
{
	struct npu_tensor_info t = { .name = name, .elem = NPU_ELEM_INT32,
				     .shape = { 1, 1, 1, n } };
	int b, ret = need_const(q, name, &b);

	if (ret)
		return ret;
	if (q->v[b].c.type != NPU_ONNX_INT32 || q->v[b].c.count != n)
		return qerr(q, -EPROTO, "bias '%s' must be %u int32 values", name, n);
	t.data = q->v[b].c.data;
	ret = npu_graph_tensor(q->graph, &t, id);
	return ret ? qerr(q, ret, "%s", npu_graph_error(q->graph)) : 0;
}

/* ---- ops ---- */

struct conv_args {
	int x, out;		/* values */
	const struct npu_onnx_tensor *w;
	const float *w_scales;
	const int32_t *w_zps;
	uint32_t w_count;
	const char *bias;	/* int32 constant, or NULL */
	int out_type;		/* NPU_ONNX_INT32: raw accumulators */
	uint32_t out_qcount;
	const float *out_scales;
	const int32_t *out_zps;
	const struct npu_onnx_act *act;	/* NULL: none */
	bool fc;		/* Gemm: w is [O][K] or, transposed, [K][O] */
	bool transposed;
};

/* Gemm as FULLY_CONNECTED: [N][K] x weights; *o, *ci the weights' extents. */
static int fc_shape(struct qimp *q, const struct conv_args *a, struct npu_op_info *op,
		    uint32_t *o, uint32_t *ci)
{
	struct qv *x = &q->v[a->x];
	int64_t od[2];

	if (a->w->ndims != 2 || x->ndims != 2)
		return qerr(q, -EOPNOTSUPP, "Gemm wants 2-D input and weights");
	*o = a->transposed ? a->w->dims[1] : a->w->dims[0];
	*ci = a->transposed ? a->w->dims[0] : a->w->dims[1];
	if (*ci != x->dims[1])
		return qerr(q, -EPROTO, "Gemm: K is %u in the weights, %lld in the input",
			    *ci, (long long)x->dims[1]);
	op->type = NPU_OP_FULLY_CONNECTED;
	od[0] = x->dims[0];
	od[1] = *o;
	set_dims(&q->v[a->out], 2, od);
	return 0;
}

/* The window of a Conv or pool over @x into @op (auto_pad honoured), and its output H, W. */
static int window(struct qimp *q, const Onnx__NodeProto *nd, const struct qv *x,
		  const uint32_t *kernel, struct npu_op_info *op, int64_t *od)
{
	const uint32_t in[2] = { x->dims[2], x->dims[3] };
	struct npu_onnx_window w;
	uint32_t out[2];
	char why[160];
	int ret = npu_onnx_window(nd, in, kernel, &w, why, sizeof(why));

	if (!ret)
		ret = npu_onnx_window_out(&w, in, out, why, sizeof(why));
	if (ret)
		return qerr(q, ret, "%s", why);
	memcpy(op->kernel, w.kernel, sizeof(op->kernel));
	memcpy(op->stride, w.stride, sizeof(op->stride));
	memcpy(op->dilation, w.dil, sizeof(op->dilation));
	memcpy(op->pad, w.pad, sizeof(op->pad));
	od[2] = out[0];
	od[3] = out[1];
	return 0;
}

/* Conv as CONV2D: its window attributes and output shape. */
static int conv_shape(struct qimp *q, const Onnx__NodeProto *nd, const struct conv_args *a,
		      struct npu_op_info *op, uint32_t *o, uint32_t *ci)
{
	struct qv *x = &q->v[a->x];
	uint32_t k[2], g;
	int64_t od[4];
	int ret;

	if (x->ndims != 4 || a->w->ndims != 4)
		return qerr(q, -EOPNOTSUPP, "2-D convolutions only (4-D input and weights)");
	*o = a->w->dims[0];
	*ci = a->w->dims[1];
	k[0] = a->w->dims[2];
	k[1] = a->w->dims[3];
	g = npu_onnx_attr_i(nd, "group", 1);
	if (!g || x->dims[1] != (int64_t)*ci * g || *o % g)
		return qerr(q, -EPROTO, "weights %ux%ux%ux%u do not fit %lld input channels in %u groups",
			    *o, *ci, k[0], k[1], (long long)x->dims[1], g);
	op->type = NPU_OP_CONV2D;
	op->groups = g;
	ret = window(q, nd, x, k, op, od);
	if (ret)
		return ret;
	memset(op->kernel, 0, sizeof(op->kernel));	/* the weights give it */
	od[0] = x->dims[0];
	od[1] = *o;
	set_dims(&q->v[a->out], 4, od);
	return 0;
}

/* The weights as a graph tensor [o][kh][kw][ci] (int32 when they do not fit int8). */
static int conv_weights(struct qimp *q, const struct conv_args *a, uint32_t o, uint32_t ci,
			int *id)
{
	uint32_t kh = a->fc ? 1 : a->w->dims[2], kw = a->fc ? 1 : a->w->dims[3];
	struct npu_tensor_info wt = { .name = a->w->name, .qcount = a->w_count,
				      .scales = a->w_scales, .shape = { o, kh, kw, ci } };
	int32_t *zero;
	void *w = NULL;
	bool wide = false;
	int ret;

	if (a->w_count != 1 && a->w_count != o)
		return qerr(q, -EOPNOTSUPP, "%u weight scales for %u output channels",
			    a->w_count, o);
	ret = weights(q, a->w, a->w_zps, a->w_count, o, kh, kw, ci, a->transposed, &w, &wide);
	if (ret)
		return ret;
	zero = calloc(a->w_count, sizeof(int32_t));
	wt.zero_points = zero;
	wt.elem = wide ? NPU_ELEM_INT32 : NPU_ELEM_INT8;
	wt.data = w;
	ret = zero ? npu_graph_tensor(q->graph, &wt, id) : -ENOMEM;
	free(w);
	free(zero);
	if (ret && ret != -ENOMEM)
		return qerr(q, ret, "%s", npu_graph_error(q->graph));
	return ret;
}

static int conv(struct qimp *q, const Onnx__NodeProto *nd, const struct conv_args *a)
{
	struct npu_op_info op = { .name = nd->name, .inputs = { -1, -1, -1 },
				  .rounding = ROUND_SINGLE };
	uint32_t o = 0, ci = 0;
	int ret = a->fc ? fc_shape(q, a, &op, &o, &ci) : conv_shape(q, nd, a, &op, &o, &ci);

	if (a->act)
		npu_onnx_act_apply(a->act, &op);
	ret = ret ?: conv_weights(q, a, o, ci, &op.inputs[1]);
	if (!ret && a->bias)
		ret = bias_tensor(q, a->bias, o, &op.inputs[2]);
	ret = ret ?: define(q, a->out, a->out_type, a->out_qcount, a->out_scales, a->out_zps);
	if (ret)
		return ret;
	op.inputs[0] = q->v[a->x].tensor;
	op.output = q->v[a->out].tensor;
	return add_op(q, &op);
}

/* a [.., M, K] x b [.., K, N], rank 2 or 3; b may be constant. */
static int matmul(struct qimp *q, const Onnx__NodeProto *nd, int a, int b, int out,
		  int out_type, uint32_t oq, const float *os, const int32_t *oz,
		  const struct npu_onnx_act *act)
{
	struct qv *A = &q->v[a], *B = &q->v[b];
	struct npu_op_info op = { .type = NPU_OP_MATMUL, .name = nd->name,
				  .inputs = { A->tensor, -1, -1 },
				  .rounding = ROUND_SINGLE };
	int64_t od[3];
	uint32_t r = A->ndims > B->ndims ? A->ndims : B->ndims;
	int64_t ab = A->ndims == 3 ? A->dims[0] : 1, bb = B->ndims == 3 ? B->dims[0] : 1;
	int ret;

	/* 2-D or 3-D; a batch of 1 (or a 2-D operand) is broadcast. */
	if (A->ndims < 2 || A->ndims > 3 || B->ndims < 2 || B->ndims > 3 ||
	    (ab != bb && ab != 1 && bb != 1) ||
	    A->dims[A->ndims - 1] != B->dims[B->ndims - 2])
		return qerr(q, -EOPNOTSUPP,
			    "matmul of 2-D or 3-D tensors with matching K and broadcastable batches only");
	if (B->is_const || B->dq_const) {
		if (B->qcount != 1)
			return qerr(q, -EOPNOTSUPP, "a matmul operand quantized per channel");
		/* Constant int8 (uint8 shifted, exact) with the weights. */
		struct npu_tensor_info t = { .name = B->name, .elem = NPU_ELEM_INT8,
					     .qcount = 1, .scales = B->scales };
		int32_t zp = B->zps[0] - (B->type == NPU_ONNX_UINT8 ? 128 : 0);
		int8_t *d = malloc(B->c.count);
		size_t i;

		if (!d)
			return -ENOMEM;
		for (i = 0; i < B->c.count; i++)
			d[i] = (int8_t)(int_at(&B->c, i) - (B->type == NPU_ONNX_UINT8 ? 128 : 0));
		ret = graph_shape(q, B);
		memcpy(t.shape, B->shape, sizeof(t.shape));
		t.zero_points = &zp;
		t.data = d;
		if (!ret)
			ret = npu_graph_tensor(q->graph, &t, &op.inputs[1]);
		free(d);
		if (ret)
			return qerr(q, ret, "%s", npu_graph_error(q->graph));
	} else {
		op.inputs[1] = B->tensor;
	}
	if (act)
		npu_onnx_act_apply(act, &op);
	od[0] = ab > bb ? ab : bb;
	od[r - 2] = A->dims[A->ndims - 2];
	od[r - 1] = B->dims[B->ndims - 1];
	set_dims(&q->v[out], r, od);
	ret = define(q, out, out_type, oq, os, oz);
	if (ret)
		return ret;
	op.output = q->v[out].tensor;
	return add_op(q, &op);
}

/* The (value of) the activation input @k of @nd, given quantization. */
static int quantized_input(struct qimp *q, const Onnx__NodeProto *nd, size_t k,
			   size_t si, size_t zi, int *id)
{
	float *s = NULL;
	int32_t *z = NULL;
	uint32_t n;
	int type, ret;

	if (k >= nd->n_input)
		return qerr(q, -EPROTO, "input %zu is missing", k);
	ret = activation(q, nd->input[k], id);
	if (!ret)
		ret = qparams(q, nd, si, zi, 0, &n, &s, &z, &type);
	if (!ret)
		ret = define(q, *id, type, n, s, z);
	free(s);
	free(z);
	return ret;
}

/* A matmul operand: an activation, or a constant (QLinearMatMul's b). */
static int matmul_operand(struct qimp *q, const Onnx__NodeProto *nd, size_t k,
			  size_t si, size_t zi, int *id)
{
	float *s = NULL;
	int32_t *z = NULL;
	uint32_t n;
	int type, ret, i = find(q, nd->input[k]);

	if (i >= 0 && (q->v[i].runtime_input || q->v[i].tensor >= 0))
		return quantized_input(q, nd, k, si, zi, id);
	ret = need_const(q, nd->input[k], id);
	if (!ret)
		ret = qparams(q, nd, si, zi, 0, &n, &s, &z, &type);
	if (!ret && q->v[*id].type != type)
		ret = qerr(q, -EPROTO, "'%s' and its zero point differ in type", nd->input[k]);
	if (!ret) {
		q->v[*id].scales = s;
		q->v[*id].zps = z;
		q->v[*id].qcount = 1;
		return 0;
	}
	free(s);
	free(z);
	return ret;
}

static int out_value(struct qimp *q, const Onnx__NodeProto *nd, size_t k, int *id)
{
	if (k >= nd->n_output || !nd->output[k][0])
		return qerr(q, -EPROTO, "output %zu is missing", k);
	*id = add_value(q, nd->output[k]);
	if (*id < 0)
		return *id;
	if (q->v[*id].tensor >= 0 || q->v[*id].is_const || q->v[*id].runtime_input)
		return qerr(q, -EPROTO, "'%s' is defined twice", nd->output[k]);
	return 0;
}

/* ---- QOperator nodes ---- */

static int qlinear_conv(struct qimp *q, const Onnx__NodeProto *nd, bool integer)
{
	struct conv_args a = { .out_type = NPU_ONNX_INT32 };
	float *ws = NULL, *os = NULL;
	int32_t *wz = NULL, *oz = NULL;
	int w, wtype, otype, ret;
	uint32_t oq = 0;

	if (integer)	/* ConvInteger(x, w, x_zero_point, w_zero_point) */
		ret = quantized_input(q, nd, 0, 99, 2, &a.x);
	else		/* QLinearConv(x, xs, xz, w, ws, wz, ys, yz, B) */
		ret = quantized_input(q, nd, 0, 1, 2, &a.x);
	if (!ret)
		ret = need_const(q, nd->input[integer ? 1 : 3], &w);
	if (ret)
		return ret;
	if (q->v[w].c.ndims != 4)
		return qerr(q, -EOPNOTSUPP, "weights '%s' are not 4-D", q->v[w].name);
	ret = integer ? qparams(q, nd, 99, 3, q->v[w].c.dims[0], &a.w_count, &ws, &wz, &wtype) :
			qparams(q, nd, 4, 5, q->v[w].c.dims[0], &a.w_count, &ws, &wz, &wtype);
	if (!ret && !integer) {
		ret = qparams(q, nd, 6, 7, 0, &oq, &os, &oz, &otype);
		a.out_type = otype;
	}
	if (!ret && wtype != q->v[w].c.type && nd->n_input > (integer ? 3u : 5u))
		ret = qerr(q, -EPROTO, "weights and their zero point differ in type");
	if (!ret)
		ret = out_value(q, nd, 0, &a.out);
	if (!ret) {
		a.w = &q->v[w].c;
		a.w_scales = ws;
		a.w_zps = wz;
		a.out_qcount = oq;
		a.out_scales = os;
		a.out_zps = oz;
		a.bias = !integer && nd->n_input > 8 && nd->input[8][0] ? nd->input[8] : NULL;
		ret = conv(q, nd, &a);
	}
	free(ws);
	free(wz);
	free(os);
	free(oz);
	return ret;
}

static int qlinear_matmul(struct qimp *q, const Onnx__NodeProto *nd, bool integer)
{
	float *os = NULL;
	int32_t *oz = NULL;
	uint32_t oq = 0;
	int a, b, out, otype = NPU_ONNX_INT32, ret;

	if (integer)	/* MatMulInteger(A, B, a_zero_point, b_zero_point) */
		ret = quantized_input(q, nd, 0, 99, 2, &a);
	else		/* QLinearMatMul(a, as, az, b, bs, bz, ys, yz) */
		ret = quantized_input(q, nd, 0, 1, 2, &a);
	if (!ret)
		ret = integer ? matmul_operand(q, nd, 1, 99, 3, &b) :
				matmul_operand(q, nd, 3, 4, 5, &b);
	if (!ret && !integer)
		ret = qparams(q, nd, 6, 7, 0, &oq, &os, &oz, &otype);
	if (!ret)
		ret = out_value(q, nd, 0, &out);
	if (!ret)
		ret = matmul(q, nd, a, b, out, otype, oq, os, oz, NULL);
	free(os);
	free(oz);
	return ret;
}

/*
 * How many parameters a Q/DQ node may have per axis on activation @v:
 * its channels (the graph's C: axis 1 of a 4-D value, or the last axis),
 * or 0 when the node's axis is another one (per tensor only).
 */
static uint32_t qdq_axis_len(const Onnx__NodeProto *nd, const struct qv *v)
{
	int64_t axis = npu_onnx_attr_i(nd, "axis", 1);

	if (axis < 0)
		axis += v->ndims;
	if (v->ndims == 4 && axis == 1)
		return v->dims[1];
	return v->ndims && axis == v->ndims - 1 ? v->dims[v->ndims - 1] : 0;
}

static int quantize_linear(struct qimp *q, const Onnx__NodeProto *nd)
{
	struct npu_op_info op = { .type = NPU_OP_QUANTIZE, .name = nd->name,
				  .inputs = { -1, -1, -1 } };
	float *s = NULL;
	int32_t *z = NULL;
	uint32_t n;
	int x, out, type, ret;

	ret = activation(q, nd->input[0], &x);
	if (!ret)
		ret = define(q, x, NPU_ONNX_FLOAT, 0, NULL, NULL);
	if (ret)
		return ret;
	ret = qparams(q, nd, 1, 2, qdq_axis_len(nd, &q->v[x]), &n, &s, &z, &type);
	if (!ret)
		ret = out_value(q, nd, 0, &out);
	if (!ret) {
		set_dims(&q->v[out], q->v[x].ndims, q->v[x].dims);
		ret = define(q, out, type, n, s, z);
	}
	free(s);
	free(z);
	if (ret)
		return ret;
	op.inputs[0] = q->v[x].tensor;
	op.output = q->v[out].tensor;
	return add_op(q, &op);
}

static int dequantize_linear(struct qimp *q, const Onnx__NodeProto *nd, int x)
{
	struct npu_op_info op = { .type = NPU_OP_DEQUANTIZE, .name = nd->name,
				  .inputs = { -1, -1, -1 } };
	float *s = NULL;
	int32_t *z = NULL;
	uint32_t n;
	int out, type, ret;
	struct qv *v = &q->v[x];

	ret = qparams(q, nd, 1, 2, qdq_axis_len(nd, v), &n, &s, &z, &type);
	if (!ret && nd->n_input > 2 && v->type != type)
		ret = qerr(q, -EPROTO, "'%s' and its zero point differ in type", v->name);
	if (!ret)
		ret = define(q, x, v->type ? v->type : type, n, s, z);
	if (!ret)
		ret = out_value(q, nd, 0, &out);
	if (!ret) {
		set_dims(&q->v[out], v->ndims, v->dims);
		ret = define(q, out, NPU_ONNX_FLOAT, 0, NULL, NULL);
	}
	free(s);
	free(z);
	if (ret)
		return ret;
	op.inputs[0] = q->v[x].tensor;
	op.output = q->v[out].tensor;
	return add_op(q, &op);
}

static int dynamic_quantize(struct qimp *q, const Onnx__NodeProto *nd)
{
	static const enum npu_op_type types[3] = {
		NPU_OP_DYNAMIC_QUANTIZE, NPU_OP_DYNAMIC_SCALE, NPU_OP_DYNAMIC_ZERO_POINT
	};
	int x, out, ret, k;

	ret = activation(q, nd->input[0], &x);
	if (!ret)
		ret = define(q, x, NPU_ONNX_FLOAT, 0, NULL, NULL);
	for (k = 0; k < 3 && !ret; k++) {
		struct npu_op_info op = { .type = types[k], .name = nd->name,
					  .inputs = { q->v[x].tensor, -1, -1 } };

		ret = out_value(q, nd, k, &out);
		if (ret)
			break;
		if (k == 0)
			set_dims(&q->v[out], q->v[x].ndims, q->v[x].dims);
		else
			q->v[out].ndims = 0;
		ret = define(q, out, k == 1 ? NPU_ONNX_FLOAT : NPU_ONNX_UINT8, 0, NULL, NULL);
		op.output = q->v[out].tensor;
		if (!ret)
			ret = add_op(q, &op);
	}
	return ret;
}

/* Ops that keep their input's quantization: MaxPool, Flatten, Reshape. */
static int passthrough(struct qimp *q, const Onnx__NodeProto *nd, int x, int out)
{
	struct qv *v = &q->v[x];
	struct npu_op_info op = { .name = nd->name, .inputs = { v->tensor, -1, -1 } };
	int64_t od[4];
	uint32_t nd_out;
	int ret;

	if (!strcmp(nd->op_type, "MaxPool")) {
		op.type = NPU_OP_MAXPOOL;
		if (v->ndims != 4 || npu_onnx_attr_i(nd, "ceil_mode", 0) || nd->n_output > 1)
			return qerr(q, -EOPNOTSUPP,
				    "2-D max pooling without ceil_mode or the Indices output only");
		ret = window(q, nd, v, NULL, &op, od);
		if (ret)
			return ret;
		if (op.dilation[0] != 1 || op.dilation[1] != 1)
			return qerr(q, -EOPNOTSUPP, "dilated max pooling");
		memset(op.dilation, 0, sizeof(op.dilation));
		od[0] = v->dims[0];
		od[1] = v->dims[1];
		nd_out = 4;
	} else {
		/* Flatten / Reshape to [N, rest]: NHWC and NCHW agree only
		 * when H = W = 1 or C = 1. */
		op.type = NPU_OP_RESHAPE;
		if (v->ndims == 4 && v->dims[1] > 1 && v->dims[2] * v->dims[3] > 1)
			return qerr(q, -EOPNOTSUPP,
				    "flattening NCHW with C > 1 and H x W > 1 needs a transpose");
		od[0] = v->ndims ? v->dims[0] : 1;
		od[1] = (int64_t)v->shape[0] * v->shape[1] * v->shape[2] * v->shape[3] / od[0];
		nd_out = 2;
		if (!strcmp(nd->op_type, "Reshape")) {
			const Onnx__TensorProto *t = nd->n_input > 1 ?
				npu_onnx_constant(q->g, nd->input[1]) : NULL;
			struct npu_onnx_tensor s;
			bool ok = false;

			if (t && !npu_onnx_decode(t, &s, "", NULL, 0)) {
				ok = s.type == NPU_ONNX_INT64 && s.count == 2 &&
				     (int_at(&s, 0) == od[0] || int_at(&s, 0) == 0) &&
				     (int_at(&s, 1) == od[1] || int_at(&s, 1) == -1);
				npu_onnx_tensor_release(&s);
			}
			if (!ok)
				return qerr(q, -EOPNOTSUPP,
					    "quantized Reshape to [N, -1] with a constant shape only");
		}
	}
	set_dims(&q->v[out], nd_out, od);
	ret = define(q, out, v->type, v->qcount, v->scales, v->zps);
	if (ret)
		return ret;
	op.output = q->v[out].tensor;
	return add_op(q, &op);
}

/* com.microsoft QLinearAdd(a, as, az, b, bs, bz, cs, cz) and QDQ Add. */
static int add(struct qimp *q, const Onnx__NodeProto *nd, int a, int b, int out,
	       int type, uint32_t oq, const float *os, const int32_t *oz,
	       const struct npu_onnx_act *act)
{
	struct npu_op_info op = { .type = NPU_OP_ADD, .name = nd->name,
				  .inputs = { q->v[a].tensor, q->v[b].tensor, -1 },
				  .rounding = ROUND_SINGLE };
	int ret;

	if (q->v[a].ndims != q->v[b].ndims ||
	    memcmp(q->v[a].dims, q->v[b].dims, sizeof(int64_t) * q->v[a].ndims))
		return qerr(q, -EOPNOTSUPP, "add without broadcasting only");
	if (act)
		npu_onnx_act_apply(act, &op);
	set_dims(&q->v[out], q->v[a].ndims, q->v[a].dims);
	ret = define(q, out, type, oq, os, oz);
	if (ret)
		return ret;
	op.output = q->v[out].tensor;
	return add_op(q, &op);
}

static int pool_avg(struct qimp *q, const Onnx__NodeProto *nd, int x, int out,
		    bool global, int type, uint32_t oq, const float *os,
		    const int32_t *oz)
{
	struct qv *v = &q->v[x];
	struct npu_op_info op = { .type = global ? NPU_OP_GLOBAL_AVGPOOL : NPU_OP_AVGPOOL,
				  .name = nd->name, .inputs = { v->tensor, -1, -1 },
				  .rounding = ROUND_SINGLE };
	int64_t od[4] = { v->dims[0], v->dims[1], 1, 1 };
	int ret;

	if (v->ndims != 4)
		return qerr(q, -EOPNOTSUPP, "2-D pooling only");
	if (!global) {
		if (npu_onnx_attr_i(nd, "ceil_mode", 0))
			return qerr(q, -EOPNOTSUPP, "ceil_mode");
		ret = window(q, nd, v, NULL, &op, od);
		if (ret)
			return ret;
		if (op.dilation[0] != 1 || op.dilation[1] != 1)
			return qerr(q, -EOPNOTSUPP, "dilated average pooling");
		memset(op.dilation, 0, sizeof(op.dilation));
		if (npu_onnx_attr_i(nd, "count_include_pad", 0) &&
		    (op.pad[0] | op.pad[1] | op.pad[2] | op.pad[3]))
			return qerr(q, -EOPNOTSUPP, "count_include_pad with padding");
	}
	set_dims(&q->v[out], 4, od);
	ret = define(q, out, type, oq, os, oz);
	if (ret)
		return ret;
	op.output = q->v[out].tensor;
	return add_op(q, &op);
}

/* ---- QDQ groups ---- */

static int node_index_of_consumer(struct qimp *q, const char *name, int after)
{
	size_t i, k;
	int found = -1;

	for (i = after + 1; i < q->g->n_node; i++) {
		for (k = 0; k < q->g->node[i]->n_input; k++) {
			if (!strcmp(q->g->node[i]->input[k], name)) {
				if (found >= 0)
					return -2;	/* more than one */
				found = (int)i;
			}
		}
	}
	return found;
}

static bool graph_output(struct qimp *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->g->n_output; i++) {
		if (!strcmp(q->g->output[i]->name, name))
			return true;
	}
	return false;
}

/*
 * Follow @nd's output through an optional Relu / Clip(0, 6) to the one
 * QuantizeLinear: its node index, or -1.
 */
/* A Clip's optional constant float bound @k into *v; false if it is not one. */
static bool clip_bound(struct qimp *q, const Onnx__NodeProto *n, size_t k, float *v)
{
	const Onnx__TensorProto *t;
	struct npu_onnx_tensor c;
	bool ok;

	if (n->n_input <= k || !n->input[k][0])
		return true;
	t = npu_onnx_constant(q->g, n->input[k]);
	if (!t || npu_onnx_decode(t, &c, "", NULL, 0))
		return false;
	ok = c.type == NPU_ONNX_FLOAT && c.count == 1;
	if (ok)
		*v = ((float *)c.data)[0];
	npu_onnx_tensor_release(&c);
	return ok;
}

/* Relu or Clip node @n folded into @act; false if it cannot be. */
static bool fold_act(struct qimp *q, const Onnx__NodeProto *n, struct npu_onnx_act *act)
{
	float lo = npu_onnx_attr_f(n, "min", -FLT_MAX), hi = npu_onnx_attr_f(n, "max", FLT_MAX);

	if (!strcmp(n->op_type, "Relu")) {
		npu_onnx_act_clip(act, 0, FLT_MAX);
		return true;
	}
	if (strcmp(n->op_type, "Clip") || !clip_bound(q, n, 1, &lo) || !clip_bound(q, n, 2, &hi))
		return false;
	npu_onnx_act_clip(act, lo, hi);
	return true;
}

static int qdq_tail(struct qimp *q, int at, struct npu_onnx_act *act)
{
	const char *name = q->g->node[at]->output[0];
	int next;

	npu_onnx_act_init(act);
	for (;;) {
		const Onnx__NodeProto *n;

		if (graph_output(q, name))
			return -1;
		next = node_index_of_consumer(q, name, at);
		if (next < 0)
			return -1;
		n = q->g->node[next];
		if (!strcmp(n->op_type, "QuantizeLinear"))
			return next;
		if (!fold_act(q, n, act))
			return -1;
		q->done[next] = true;
		at = next;
		name = n->output[0];
	}
}

/* The quantized value behind a DequantizeLinear output, or -1. */
static int dq_source(struct qimp *q, const char *name)
{
	int i = find(q, name);

	return i >= 0 && q->v[i].dq_of >= 0 ? q->v[i].dq_of : -1;
}

/* A QDQ group: a float op from DequantizeLinear inputs to one QuantizeLinear. */
struct qdq {
	int x, out;		/* the first input's source, the output value */
	int otype;		/* the output's quantization */
	uint32_t oq;
	float *os;
	int32_t *oz;
	struct npu_onnx_act act;	/* Relu/Clip between the op and its Q */
};

/* Weights and bias of a Conv/Gemm/MatMul group; the bias's scale must be S_x S_w. */
static int qdq_conv_args(struct qimp *q, const Onnx__NodeProto *nd, const struct qdq *d,
			 struct conv_args *a)
{
	int w = find(q, nd->input[1]);
	int b = nd->n_input > 2 && nd->input[2][0] ? find(q, nd->input[2]) : -1;
	uint32_t c;

	if (w < 0 || !q->v[w].dq_const)
		return qerr(q, -EOPNOTSUPP, "weights '%s' must be DequantizeLinear of a constant",
			    nd->input[1]);
	if (nd->n_input > 2 && nd->input[2][0] && (b < 0 || !q->v[b].dq_const))
		return qerr(q, -EOPNOTSUPP, "bias '%s' must be DequantizeLinear of int32",
			    nd->input[2]);
	a->w = &q->v[w].c;
	a->w_scales = q->v[w].scales;
	a->w_zps = q->v[w].zps;
	a->w_count = q->v[w].qcount;
	a->bias = b >= 0 ? q->v[b].dq_input : NULL;
	/* The int32 bias is used as is: its scale must be x_scale * w_scale. */
	for (c = 0; b >= 0 && c < q->v[b].qcount; c++) {
		double want = (double)q->v[d->x].scales[0] *
			      q->v[w].scales[q->v[w].qcount > 1 ? c : 0];

		if (q->v[b].zps[c] || fabs(q->v[b].scales[c] - want) > 1e-6 * want)
			return qerr(q, -EOPNOTSUPP,
				    "bias '%s' channel %u: scale %g and zero point %d, expected %g and 0",
				    a->bias, c, q->v[b].scales[c], q->v[b].zps[c], want);
	}
	return 0;
}

/*
 * Weights quantized per channel must be so along the output channels: axis
 * 0 of a Conv's OIHW or a transB Gemm's [O][K], axis 1 of a [K][O] matrix.
 */
static int weight_axis(struct qimp *q, const Onnx__NodeProto *nd, const struct conv_args *a,
		       int w)
{
	int want = a->fc && a->transposed ? 1 : 0;

	if (a->w_count <= 1 || q->v[w].dq_axis == want)
		return 0;
	return qerr(q, -EOPNOTSUPP,
		    "weights '%s' quantized along axis %d; per-channel weights go along the output channels (axis %d)",
		    nd->input[1], q->v[w].dq_axis, want);
}

/* Whether a MatMul is an FC layer: 2-D, its second operand constant. */
static bool matmul_is_fc(struct qimp *q, const Onnx__NodeProto *nd, int x)
{
	int w = find(q, nd->input[1]);

	return w >= 0 && q->v[w].dq_const && q->v[x].ndims == 2 && q->v[w].ndims == 2;
}

static int qdq_matmul(struct qimp *q, const Onnx__NodeProto *nd, const struct qdq *d)
{
	int b = dq_source(q, nd->input[1]);

	if (b < 0 && find(q, nd->input[1]) >= 0 && q->v[find(q, nd->input[1])].dq_const)
		b = find(q, nd->input[1]);	/* a constant operand */
	if (b < 0)
		return qerr(q, -EOPNOTSUPP, "operand '%s' must come from DequantizeLinear",
			    nd->input[1]);
	return matmul(q, nd, d->x, b, d->out, d->otype, d->oq, d->os, d->oz, &d->act);
}

/* Conv, Gemm, and MatMul with constant 2-D weights: CONV2D or FULLY_CONNECTED. */
static int qdq_conv(struct qimp *q, const Onnx__NodeProto *nd, const struct qdq *d)
{
	const char *op = nd->op_type;
	struct conv_args a = { .x = d->x, .out = d->out, .out_type = d->otype,
			       .out_qcount = d->oq, .out_scales = d->os,
			       .out_zps = d->oz, .act = &d->act };
	int ret;

	if (!strcmp(op, "MatMul") && !matmul_is_fc(q, nd, d->x))
		return qdq_matmul(q, nd, d);
	ret = qdq_conv_args(q, nd, d, &a);
	if (ret)
		return ret;
	if (strcmp(op, "Conv")) {
		a.fc = true;
		a.transposed = !strcmp(op, "MatMul") || !npu_onnx_attr_i(nd, "transB", 0);
		if (!strcmp(op, "Gemm") && npu_onnx_attr_i(nd, "transA", 0))
			return qerr(q, -EOPNOTSUPP, "Gemm with transA");
		/* The int8 weights and int32 bias are used as they are. */
		if (npu_onnx_attr_f(nd, "alpha", 1.0f) != 1.0f ||
		    (a.bias && npu_onnx_attr_f(nd, "beta", 1.0f) != 1.0f))
			return qerr(q, -EOPNOTSUPP, "a quantized Gemm with alpha %g, beta %g (1 only)",
				    npu_onnx_attr_f(nd, "alpha", 1.0f),
				    npu_onnx_attr_f(nd, "beta", 1.0f));
	}
	ret = weight_axis(q, nd, &a, find(q, nd->input[1]));
	return ret ? ret : conv(q, nd, &a);
}

static int qdq_add(struct qimp *q, const Onnx__NodeProto *nd, const struct qdq *d)
{
	int b = dq_source(q, nd->input[1]);

	if (b < 0)
		return qerr(q, -EOPNOTSUPP, "operand '%s' must come from DequantizeLinear",
			    nd->input[1]);
	return add(q, nd, d->x, b, d->out, d->otype, d->oq, d->os, d->oz, &d->act);
}

/* MaxPool, Flatten, Reshape: the same quantization in and out. */
static int qdq_passthrough(struct qimp *q, const Onnx__NodeProto *nd, const struct qdq *d)
{
	const struct qv *x = &q->v[d->x];
	bool same = d->oq == 1 && x->qcount == 1 && d->otype == x->type &&
		    d->os[0] == x->scales[0] && d->oz[0] == x->zps[0];

	if (!same || !npu_onnx_act_none(&d->act))
		return qerr(q, -EOPNOTSUPP, "QuantizeLinear after %s must keep the quantization",
			    nd->op_type);
	return passthrough(q, nd, d->x, d->out);
}

static int qdq_pool(struct qimp *q, const Onnx__NodeProto *nd, const struct qdq *d)
{
	if (!npu_onnx_act_none(&d->act))
		return qerr(q, -EOPNOTSUPP, "an activation after pooling");
	return pool_avg(q, nd, d->x, d->out, nd->op_type[0] == 'G', d->otype, d->oq, d->os,
			d->oz);
}

/* The float ops a QDQ model may quantize, and how each is imported. */
static const struct {
	const char *onnx;
	int (*import)(struct qimp *q, const Onnx__NodeProto *nd, const struct qdq *d);
} qdq_ops[] = {
	{ "Conv", qdq_conv },
	{ "Gemm", qdq_conv },
	{ "MatMul", qdq_conv },
	{ "Add", qdq_add },
	{ "MaxPool", qdq_passthrough },
	{ "Flatten", qdq_passthrough },
	{ "Reshape", qdq_passthrough },
	{ "AveragePool", qdq_pool },
	{ "GlobalAveragePool", qdq_pool },
};

/* The qdq_ops[] index of ONNX op @op, or -1. */
static int qdq_op(const char *op)
{
	size_t i;

	for (i = 0; i < sizeof(qdq_ops) / sizeof(qdq_ops[0]); i++) {
		if (!strcmp(qdq_ops[i].onnx, op))
			return i;
	}
	return -1;
}

static int qdq_import(struct qimp *q, const Onnx__NodeProto *nd, const struct qdq *d)
{
	int i = qdq_op(nd->op_type);

	if (i < 0)
		return qerr(q, -EOPNOTSUPP, "no quantized form of %s", nd->op_type);
	return qdq_ops[i].import(q, nd, d);
}

static int qdq_group(struct qimp *q, int at)
{
	const Onnx__NodeProto *nd = q->g->node[at];
	struct qdq d = { 0 };
	int tail = qdq_tail(q, at, &d.act), ret;

	if (tail < 0)
		return qerr(q, -EOPNOTSUPP,
			    "a float op in a quantized model must feed one QuantizeLinear (through at most Relu/Clip)");
	d.x = dq_source(q, nd->input[0]);
	if (d.x < 0)
		return qerr(q, -EOPNOTSUPP, "input '%s' must come from DequantizeLinear",
			    nd->input[0]);
	ret = qparams(q, q->g->node[tail], 1, 2, 0, &d.oq, &d.os, &d.oz, &d.otype);
	if (!ret)
		ret = out_value(q, q->g->node[tail], 0, &d.out);
	if (!ret) {
		q->done[tail] = true;
		ret = qdq_import(q, nd, &d);
	}
	free(d.os);
	free(d.oz);
	return ret;
}

/* A DequantizeLinear: of a constant (weights, bias: kept for its consumer),
 * folded into QDQ groups, or run on the CPU when something else reads it. */
static int dequantize(struct qimp *q, int at)
{
	const Onnx__NodeProto *nd = q->g->node[at];
	int i = find(q, nd->input[0]), out, ret;
	bool folded = true;
	size_t n, k;

	if (i < 0 || (!q->v[i].runtime_input && q->v[i].tensor < 0)) {
		/* A constant: weights or bias of a QDQ group. */
		int type;

		ret = need_const(q, nd->input[0], &i);
		if (ret)
			return ret;
		ret = out_value(q, nd, 0, &out);
		if (ret)
			return ret;
		int64_t axis = npu_onnx_attr_i(nd, "axis", 1);

		q->v[out].c = q->v[i].c;	/* borrowed: release() frees @i's */
		q->v[out].type = q->v[i].c.type;
		q->v[out].dq_const = true;
		q->v[out].dq_input = nd->input[0];
		set_dims(&q->v[out], q->v[i].ndims, q->v[i].dims);
		if (axis < 0)
			axis += q->v[i].ndims;
		q->v[out].dq_axis = axis;
		return qparams(q, nd, 1, 2,
			       axis >= 0 && axis < q->v[i].ndims ? q->v[i].dims[axis] : 0,
			       &q->v[out].qcount, &q->v[out].scales, &q->v[out].zps, &type);
	}
	/* Folded when every reader is a float op of a QDQ group. */
	for (n = at + 1; n < q->g->n_node; n++) {
		const Onnx__NodeProto *c = q->g->node[n];

		for (k = 0; k < c->n_input; k++) {
			if (strcmp(c->input[k], nd->output[0]))
				continue;
			folded &= qdq_op(c->op_type) >= 0;
		}
	}
	if (!folded || graph_output(q, nd->output[0]))
		return dequantize_linear(q, nd, i);
	{
		float *s = NULL;
		int32_t *z = NULL;
		uint32_t cnt;
		int type;

		ret = qparams(q, nd, 1, 2, 0, &cnt, &s, &z, &type);
		if (!ret)
			ret = define(q, i, q->v[i].runtime_input ? q->v[i].type : type,
				     cnt, s, z);
		free(s);
		free(z);
		if (ret)
			return ret;
	}
	ret = out_value(q, nd, 0, &out);
	if (ret)
		return ret;
	q->v[out].dq_of = i;
	set_dims(&q->v[out], q->v[i].ndims, q->v[i].dims);
	return 0;
}

/* QOperator ops on quantized values, and the QDQ float ops. */
static int node(struct qimp *q, int at)
{
	const Onnx__NodeProto *nd = q->g->node[at];
	const char *op = nd->op_type;
	int x, ret;

	if (!strcmp(op, "QLinearConv") || !strcmp(op, "ConvInteger"))
		return qlinear_conv(q, nd, op[0] == 'C');
	if (!strcmp(op, "QLinearMatMul") || !strcmp(op, "MatMulInteger"))
		return qlinear_matmul(q, nd, op[0] == 'M');
	if (!strcmp(op, "QuantizeLinear"))
		return quantize_linear(q, nd);
	if (!strcmp(op, "DequantizeLinear"))
		return dequantize(q, at);
	if (!strcmp(op, "DynamicQuantizeLinear"))
		return dynamic_quantize(q, nd);
	if (!strcmp(op, "Constant"))
		return 0;
	if (!strcmp(op, "QLinearAdd") || !strcmp(op, "QLinearGlobalAveragePool") ||
	    !strcmp(op, "QLinearAveragePool")) {
		float *os = NULL;
		int32_t *oz = NULL;
		uint32_t oq;
		int otype, b = -1, out;
		bool is_add = !strcmp(op, "QLinearAdd");

		ret = quantized_input(q, nd, 0, 1, 2, &x);
		if (!ret && is_add)
			ret = quantized_input(q, nd, 3, 4, 5, &b);
		if (!ret)
			ret = is_add ? qparams(q, nd, 6, 7, 0, &oq, &os, &oz, &otype) :
				       qparams(q, nd, 3, 4, 0, &oq, &os, &oz, &otype);
		if (!ret)
			ret = out_value(q, nd, 0, &out);
		if (!ret && !is_add && npu_onnx_attr_i(nd, "channels_last", 0))
			ret = qerr(q, -EOPNOTSUPP, "channels_last");
		if (!ret)
			ret = is_add ? add(q, nd, x, b, out, otype, oq, os, oz, NULL) :
			      pool_avg(q, nd, x, out, op[7] == 'G', otype, oq, os, oz);
		free(os);
		free(oz);
		return ret;
	}
	if (!strcmp(op, "MaxPool") || !strcmp(op, "Flatten") || !strcmp(op, "Reshape")) {
		int src = dq_source(q, nd->input[0]);

		if (src >= 0)	/* QDQ: DQ -> MaxPool -> Q keeps the quantization */
			return qdq_group(q, at);
		int out;

		ret = activation(q, nd->input[0], &x);
		/*
		 * An 8-bit input with no quantization of its own (a MaxPool
		 * model on uint8): these ops only move or compare values, so
		 * any scale does; the output keeps it.
		 */
		if (!ret && !q->v[x].qcount && q->v[x].runtime_input && q->v[x].tensor < 0 &&
		    (q->v[x].type == NPU_ONNX_UINT8 || q->v[x].type == NPU_ONNX_INT8)) {
			const float one = 1.0f;
			const int32_t zero = 0;

			ret = define(q, x, q->v[x].type, 1, &one, &zero);
		}
		if (!ret && !q->v[x].qcount)
			ret = qerr(q, -EOPNOTSUPP, "'%s' is not quantized", nd->input[0]);
		if (!ret)
			ret = out_value(q, nd, 0, &out);
		return ret ? ret : passthrough(q, nd, x, out);
	}
	if (qdq_op(op) >= 0)
		return qdq_group(q, at);
	return qerr(q, -EOPNOTSUPP,
		    "%s has no quantized form in libnpu (a quantized model's ops must be QOperator ops or QDQ groups)",
		    op);
}

/* ---- the importer ---- */

static void fill_io(struct qimp *q, struct npu_onnx_io *io, int i)
{
	const struct qv *v = &q->v[i];
	size_t k;

	memset(io, 0, sizeof(*io));
	snprintf(io->name, sizeof(io->name), "%s", v->name);
	io->type = v->type;
	io->ndims = v->ndims;
	memcpy(io->dims, v->dims, sizeof(int64_t) * v->ndims);
	io->count = 1;
	for (k = 0; k < v->ndims; k++)
		io->count *= v->dims[k];
	io->nchw = v->ndims == 4;
	if (v->qcount == 1) {
		io->scale = v->scales[0];
		io->zero_point = v->zps[0];
	}
}

static int value_info(struct qimp *q, const Onnx__ValueInfoProto *vi, int *id)
{
	const Onnx__TypeProto *t = vi->type;
	const Onnx__TensorShapeProto *sh;
	struct qv *v;
	size_t k;

	*id = add_value(q, vi->name);
	if (*id < 0)
		return *id;
	v = &q->v[*id];
	if (!t || !t->tensor_type || !t->tensor_type->shape)
		return qerr(q, -EOPNOTSUPP, "input '%s' has no tensor type and shape", vi->name);
	sh = t->tensor_type->shape;
	if (sh->n_dim > NPU_ONNX_MAX_DIMS)
		return qerr(q, -EOPNOTSUPP, "input '%s' has %zu dimensions", vi->name, sh->n_dim);
	v->type = t->tensor_type->elem_type;
	v->ndims = sh->n_dim;
	for (k = 0; k < sh->n_dim; k++) {
		/* A symbolic (batch) dimension is taken as 1. */
		v->dims[k] = sh->dim[k]->value_case ==
			     ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ?
			     sh->dim[k]->dim_value : 1;
	}
	return 0;
}

static void release(struct qimp *q)
{
	int i;

	for (i = 0; i < q->nv; i++) {
		free(q->v[i].scales);
		free(q->v[i].zps);
		if (q->v[i].is_const)
			free(q->v[i].c.data);
	}
	free(q->v);
	free(q->done);
}

static const struct npu_onnx_attr_spec window_attrs[] = {
	NPU_ATTR_WINDOW, NPU_ATTR_I("group"), NPU_ATTR_I("ceil_mode"),
	NPU_ATTR_I("count_include_pad"), NPU_ATTR_I("storage_order"), { NULL }
};
static const struct npu_onnx_attr_spec qpool_attrs[] = {
	NPU_ATTR_WINDOW, NPU_ATTR_I("ceil_mode"), NPU_ATTR_I("count_include_pad"),
	NPU_ATTR_I("channels_last"), { NULL }
};
static const struct npu_onnx_attr_spec gemm_attrs[] = {
	NPU_ATTR_F("alpha"), NPU_ATTR_F("beta"), NPU_ATTR_I("transA"), NPU_ATTR_I("transB"),
	{ NULL }
};
static const struct npu_onnx_attr_spec axis_attrs[] = { NPU_ATTR_I("axis"), { NULL } };
static const struct npu_onnx_attr_spec channels_last_attrs[] = {
	NPU_ATTR_I("channels_last"), { NULL }
};
static const struct npu_onnx_attr_spec reshape_attrs[] = { NPU_ATTR_I("allowzero"), { NULL } };
static const struct npu_onnx_attr_spec constant_attrs[] = {
	{ "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR, 0 }, { NULL }
};
static const struct npu_onnx_attr_spec none[] = { { NULL } };

/* The attributes each op of a quantized model may carry (the reader of each honours them). */
static const struct {
	const char *op;
	const struct npu_onnx_attr_spec *attrs;
} qop_attrs[] = {
	{ "QLinearConv", window_attrs }, { "ConvInteger", window_attrs },
	{ "Conv", window_attrs }, { "MaxPool", window_attrs },
	{ "AveragePool", window_attrs }, { "QLinearAveragePool", qpool_attrs },
	{ "QLinearGlobalAveragePool", channels_last_attrs },
	{ "Gemm", gemm_attrs }, { "QuantizeLinear", axis_attrs },
	{ "DequantizeLinear", axis_attrs }, { "Flatten", axis_attrs },
	{ "Reshape", reshape_attrs }, { "Constant", constant_attrs },
};

/* @nd's attributes against what its reader honours; ops not listed take none. */
static int check_attrs(struct qimp *q, const Onnx__NodeProto *nd)
{
	const struct npu_onnx_attr_spec *spec = none;
	char why[160];
	size_t i;
	int ret;

	for (i = 0; i < sizeof(qop_attrs) / sizeof(qop_attrs[0]); i++) {
		if (!strcmp(qop_attrs[i].op, nd->op_type))
			spec = qop_attrs[i].attrs;
	}
	ret = npu_onnx_check_attrs(nd, spec, why, sizeof(why));
	if (!ret && !strcmp(nd->op_type, "Flatten") && npu_onnx_attr_i(nd, "axis", 1) != 1)
		ret = qerr(q, -EOPNOTSUPP, "Flatten at axis %lld (1 only)",
			   (long long)npu_onnx_attr_i(nd, "axis", 1));
	else if (ret)
		ret = qerr(q, ret, "%s", why);
	return ret;
}

int npu_onnx_import_quantized(const struct npu_onnx *m,
			      const struct npu_onnx_import_opts *o,
			      struct npu_graph **out, char *err, size_t errlen)
{
	struct qimp q = { .g = npu_onnx_graph(m), .o = o, .err = err, .errlen = errlen };
	int outs[NPU_ONNX_MAX_IO], ins[NPU_ONNX_MAX_IO];
	size_t i, k;
	int ret, id;

	ret = npu_graph_new(&q.graph);
	q.cap = q.g->n_input + q.g->n_initializer + o->nvalues + 1;
	for (i = 0; i < q.g->n_node; i++)
		q.cap += q.g->node[i]->n_input + q.g->node[i]->n_output;
	q.v = calloc(q.cap, sizeof(*q.v));
	q.done = calloc(q.g->n_node + 1, sizeof(bool));
	if (!ret && (!q.done || !q.v))
		ret = -ENOMEM;
	for (i = 0; !ret && i < q.g->n_input; i++) {
		if (npu_onnx_constant(q.g, q.g->input[i]->name))
			continue;	/* an initializer listed as input */
		ret = value_info(&q, q.g->input[i], &id);
		if (!ret)
			q.v[id].runtime_input = true;
	}
	/* Every node's attributes, folded ones too (a Relu after a QDQ op, say). */
	for (i = 0; !ret && i < q.g->n_node; i++) {
		snprintf(q.wbuf, sizeof(q.wbuf), "node %zu (%s, %s)", i,
			 q.g->node[i]->name && q.g->node[i]->name[0] ? q.g->node[i]->name :
			 "unnamed", q.g->node[i]->op_type);
		q.where = q.wbuf;
		ret = check_attrs(&q, q.g->node[i]);
	}
	for (i = 0; !ret && i < q.g->n_node; i++) {
		const Onnx__NodeProto *nd = q.g->node[i];

		if (q.done[i])
			continue;
		snprintf(q.wbuf, sizeof(q.wbuf), "node %zu (%s, %s)", i,
			 nd->name && nd->name[0] ? nd->name : "unnamed", nd->op_type);
		q.where = q.wbuf;
		if (!nd->n_input && strcmp(nd->op_type, "Constant"))
			ret = qerr(&q, -EPROTO, "no inputs");
		else
			ret = node(&q, (int)i);
	}
	q.where = NULL;
	if (!ret && (q.g->n_output > NPU_ONNX_MAX_IO || !q.g->n_output))
		ret = qerr(&q, -EOPNOTSUPP, "%zu outputs", q.g->n_output);
	for (i = 0; !ret && i < q.g->n_output; i++) {
		int v = find(&q, q.g->output[i]->name);

		if (v < 0 || q.v[v].tensor < 0 || q.v[v].runtime_input)
			ret = qerr(&q, -EOPNOTSUPP, "output '%s' is not computed by any node",
				   q.g->output[i]->name);
		else
			outs[i] = q.v[v].tensor;
	}
	for (k = 0; !ret && k < (size_t)q.ninputs; k++)
		ins[k] = q.v[q.inputs[k]].tensor;
	if (!ret) {
		ret = npu_graph_io(q.graph, ins, q.ninputs, outs, q.g->n_output);
		if (ret)
			qerr(&q, ret, "%s", npu_graph_error(q.graph));
	}
	if (!ret && o->sig) {
		o->sig->ninputs = q.ninputs;
		o->sig->noutputs = q.g->n_output;
		for (k = 0; k < (size_t)q.ninputs; k++)
			fill_io(&q, &o->sig->inputs[k], q.inputs[k]);
		for (k = 0; k < q.g->n_output; k++)
			fill_io(&q, &o->sig->outputs[k], find(&q, q.g->output[k]->name));
	}
	release(&q);
	if (ret) {
		npu_graph_free(q.graph);
		return ret;
	}
	*out = q.graph;
	return 0;
}
