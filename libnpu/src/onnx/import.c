// SPDX-License-Identifier: MIT
/*
 * libnpu: FP32 ONNX models to quantized graphs, by post-training
 * calibration. The model is lowered to a small float network (NHWC), run
 * on calibration data with one observer per activation, and rebuilt as an
 * npu_graph: per-channel symmetric int8 weights, int32 biases, asymmetric
 * int8 activations, ReLU/Clip folded into the op before them, pools and
 * flatten sharing their input's quantization, float edges quantized and
 * dequantized on the CPU.
 *
 * Supported FP32 ops: Conv (groups, strides, pads, dilations), Relu, Clip,
 * MaxPool, AveragePool, GlobalAveragePool, Add, Gemm/MatMul with constant
 * weights, Flatten, Reshape (to [N, -1]), Softmax, Constant.
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
#include "npu/quant.h"
#include "onnx.pb-c.h"
#include "onnx_internal.h"
#include "ref/ref.h"

enum fkind { F_CONV, F_RELU, F_CLIP, F_MAXPOOL, F_AVGPOOL, F_GAP, F_ADD,
	     F_FC, F_FLATTEN, F_SOFTMAX, F_MUL, F_CONCAT, F_FN };

struct fnode {
	enum fkind kind;
	const char *name, *op;
	int in[3], out;
	enum npu_function fn;
	float alpha, beta;	/* F_FN parameters */
	/* conv and fc: weights OHWI (fc: [O][1][1][K]), bias */
	float *w, *b;
	uint32_t cout, kh, kw, cin_g, groups;
	uint32_t stride[2], dil[2], pad[4], kernel[2];
	float lo, hi;		/* clip */
};

struct fvalue {
	char name[128];
	uint32_t shape[4];	/* NHWC */
	float *data;		/* the float executor's buffer */
	struct npu_observer *obs;
	int tensor;		/* npu_graph tensor */
	int consumers;
	bool is_const;
};

struct fnet {
	struct fnode *nodes;
	int nnodes;
	struct fvalue *vals;
	int nvals;
	int input, output;
	char *err;
	size_t errlen;
};

static int ferr(struct fnet *n, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ferr(struct fnet *n, int ret, const char *fmt, ...)
{
	va_list ap;

	if (n->err && n->errlen) {
		va_start(ap, fmt);
		vsnprintf(n->err, n->errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static int value_id(struct fnet *n, const char *name, bool create)
{
	struct fvalue *v;
	int i;

	for (i = 0; i < n->nvals; i++) {
		if (!strcmp(n->vals[i].name, name))
			return i;
	}
	if (!create)
		return -1;
	v = realloc(n->vals, sizeof(*v) * (n->nvals + 1));
	if (!v)
		return -1;
	n->vals = v;
	memset(&v[n->nvals], 0, sizeof(*v));
	snprintf(v[n->nvals].name, sizeof(v->name), "%s", name);
	v[n->nvals].tensor = -1;
	return n->nvals++;
}

static float *const_floats(struct fnet *n, const Onnx__GraphProto *g,
			   const char *name, size_t want, const char *where)
{
	const Onnx__TensorProto *t = npu_onnx_constant(g, name);
	struct npu_onnx_tensor dec;
	float *out;

	if (!t) {
		ferr(n, -EOPNOTSUPP, "%s: input '%s' must be a constant", where, name);
		return NULL;
	}
	if (npu_onnx_decode(t, &dec, where, n->err, n->errlen))
		return NULL;
	if (dec.type != NPU_ONNX_FLOAT || (want && dec.count != want)) {
		ferr(n, -EPROTO, "%s: constant '%s' has %zu values of type %d, expected %zu floats",
		     where, name, dec.count, dec.type, want);
		npu_onnx_tensor_release(&dec);
		return NULL;
	}
	out = dec.data;
	return out;
}

static struct fnode *add_node(struct fnet *n, enum fkind k,
			      const Onnx__NodeProto *nd)
{
	struct fnode *f = realloc(n->nodes, sizeof(*f) * (n->nnodes + 1));

	if (!f)
		return NULL;
	n->nodes = f;
	f = &f[n->nnodes++];
	memset(f, 0, sizeof(*f));
	f->kind = k;
	f->name = nd->name ? nd->name : "";
	f->op = nd->op_type;
	f->in[0] = f->in[1] = f->in[2] = -1;
	return f;
}

/* Shapes, NHWC, computed node by node (the model's batch is taken as 1). */
static int infer(struct fnet *n, struct fnode *f, const char *where)
{
	const uint32_t *s = n->vals[f->in[0]].shape;
	uint32_t *o = n->vals[f->out].shape;
	int64_t eh, ew;

	memcpy(o, s, 4 * sizeof(uint32_t));
	switch (f->kind) {
	case F_CONV:
		if (s[3] != f->cin_g * f->groups)
			return ferr(n, -EPROTO, "%s: %u input channels, weights expect %u",
				    where, s[3], f->cin_g * f->groups);
		/* fall through */
	case F_MAXPOOL:
	case F_AVGPOOL: {
		uint32_t kh = f->kind == F_CONV ? f->kh : f->kernel[0];
		uint32_t kw = f->kind == F_CONV ? f->kw : f->kernel[1];

		eh = (int64_t)s[1] + f->pad[0] + f->pad[2] - ((int64_t)(kh - 1) * f->dil[0] + 1);
		ew = (int64_t)s[2] + f->pad[1] + f->pad[3] - ((int64_t)(kw - 1) * f->dil[1] + 1);
		if (eh < 0 || ew < 0 || !f->stride[0] || !f->stride[1])
			return ferr(n, -EPROTO, "%s: window larger than its input", where);
		o[1] = eh / f->stride[0] + 1;
		o[2] = ew / f->stride[1] + 1;
		if (f->kind == F_CONV)
			o[3] = f->cout;
		break;
	}
	case F_GAP:
		o[1] = o[2] = 1;
		break;
	case F_FLATTEN:
		o[1] = o[2] = 1;
		o[3] = s[1] * s[2] * s[3];
		if (s[1] * s[2] != 1)
			return ferr(n, -EOPNOTSUPP,
				    "%s: flattening a %ux%u feature map (NHWC order differs from ONNX's NCHW; only 1x1 maps)",
				    where, s[1], s[2]);
		break;
	case F_FC:
		if (s[1] * s[2] != 1 || s[3] != f->cin_g)
			return ferr(n, -EPROTO, "%s: input [%u %u %u %u] does not fit weights of K %u",
				    where, s[0], s[1], s[2], s[3], f->cin_g);
		o[3] = f->cout;
		break;
	case F_ADD:
	case F_MUL: {
		const uint32_t *t = n->vals[f->in[1]].shape;

		if (memcmp(s, t, 4 * sizeof(uint32_t)))
			return ferr(n, -EOPNOTSUPP, "%s: broadcasting %s", where, f->op);
		break;
	}
	case F_CONCAT: {
		int k;

		o[3] = 0;
		for (k = 0; k < 3 && f->in[k] >= 0; k++) {
			const uint32_t *t = n->vals[f->in[k]].shape;

			if (t[0] != s[0] || t[1] != s[1] || t[2] != s[2])
				return ferr(n, -EPROTO, "%s: inputs differ outside the channels",
					    where);
			o[3] += t[3];
		}
		break;
	}
	default:
		break;
	}
	return 0;
}

static int lower(struct fnet *n, const Onnx__GraphProto *g)
{
	size_t i;
	int ret;

	for (i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *nd = g->node[i];
		const char *op = nd->op_type;
		char where[256];
		struct fnode *f;

		snprintf(where, sizeof(where), "node %zu (%s, %s)", i,
			 nd->name ? nd->name : "", op);
		if (!strcmp(op, "Constant"))
			continue;
		if (!strcmp(op, "Conv"))
			f = add_node(n, F_CONV, nd);
		else if (!strcmp(op, "Relu"))
			f = add_node(n, F_RELU, nd);
		else if (!strcmp(op, "Clip"))
			f = add_node(n, F_CLIP, nd);
		else if (!strcmp(op, "MaxPool"))
			f = add_node(n, F_MAXPOOL, nd);
		else if (!strcmp(op, "AveragePool"))
			f = add_node(n, F_AVGPOOL, nd);
		else if (!strcmp(op, "GlobalAveragePool"))
			f = add_node(n, F_GAP, nd);
		else if (!strcmp(op, "Add"))
			f = add_node(n, F_ADD, nd);
		else if (!strcmp(op, "Gemm") || !strcmp(op, "MatMul"))
			f = add_node(n, F_FC, nd);
		else if (!strcmp(op, "Flatten") || !strcmp(op, "Reshape"))
			f = add_node(n, F_FLATTEN, nd);
		else if (!strcmp(op, "Softmax"))
			f = add_node(n, F_SOFTMAX, nd);
		else if (!strcmp(op, "Mul"))
			f = add_node(n, F_MUL, nd);
		else if (!strcmp(op, "Concat"))
			f = add_node(n, F_CONCAT, nd);
		else {
			int k = npu_ref_function_by_onnx(op);

			if (k < 0)
				return ferr(n, -EOPNOTSUPP,
					    "%s: op not supported by the importer (neither on the device nor by the CPU fallback)",
					    where);
			f = add_node(n, F_FN, nd);
			if (f) {
				f->fn = k;
				f->alpha = k == NPU_FN_LEAKY_RELU ? 0.01f :
					   k == NPU_FN_HARD_SIGMOID ? 0.2f : 1.0f;
				f->beta = 0.5f;
				if (npu_onnx_attr(nd, "alpha"))
					f->alpha = npu_onnx_attr(nd, "alpha")->f;
				if (npu_onnx_attr(nd, "beta"))
					f->beta = npu_onnx_attr(nd, "beta")->f;
			}
		}
		if (!f)
			return -ENOMEM;
		f->in[0] = value_id(n, nd->input[0], false);
		if (f->in[0] < 0)
			return ferr(n, -EPROTO, "%s: input '%s' is computed by no earlier node",
				    where, nd->input[0]);
		f->out = value_id(n, nd->output[0], true);
		if (f->out < 0)
			return -ENOMEM;
		f->stride[0] = f->stride[1] = f->dil[0] = f->dil[1] = 1;

		switch (f->kind) {
		case F_CONV: {
			const Onnx__TensorProto *w = npu_onnx_constant(g, nd->input[1]);
			float *oihw;
			uint32_t o, c, y, x;

			if (!w || w->n_dims != 4)
				return ferr(n, -EOPNOTSUPP, "%s: weights must be a constant 4-D tensor",
					    where);
			f->cout = w->dims[0];
			f->cin_g = w->dims[1];
			f->kh = w->dims[2];
			f->kw = w->dims[3];
			f->groups = npu_onnx_attr_i(nd, "group", 1);
			npu_onnx_attr_ints(nd, "strides", f->stride, 2, 1);
			npu_onnx_attr_ints(nd, "dilations", f->dil, 2, 1);
			npu_onnx_attr_ints(nd, "pads", f->pad, 4, 0);
			{
				/* ONNX pads are (top, left, bottom, right) */
				uint32_t p[4] = { f->pad[0], f->pad[1], f->pad[2], f->pad[3] };

				memcpy(f->pad, p, sizeof(p));
			}
			oihw = const_floats(n, g, nd->input[1],
					    (size_t)f->cout * f->cin_g * f->kh * f->kw, where);
			if (!oihw)
				return -EPROTO;
			f->w = malloc(sizeof(float) * f->cout * f->cin_g * f->kh * f->kw);
			if (!f->w) {
				free(oihw);
				return -ENOMEM;
			}
			for (o = 0; o < f->cout; o++)
			for (c = 0; c < f->cin_g; c++)
			for (y = 0; y < f->kh; y++)
			for (x = 0; x < f->kw; x++)
				f->w[((o * f->kh + y) * f->kw + x) * f->cin_g + c] =
					oihw[((o * f->cin_g + c) * f->kh + y) * f->kw + x];
			free(oihw);
			if (nd->n_input > 2 && nd->input[2][0]) {
				f->b = const_floats(n, g, nd->input[2], f->cout, where);
				if (!f->b)
					return -EPROTO;
			}
			break;
		}
		case F_FC: {
			const Onnx__TensorProto *w = nd->n_input > 1 ?
						     npu_onnx_constant(g, nd->input[1]) : NULL;
			bool gemm = !strcmp(op, "Gemm");
			bool tb = gemm && npu_onnx_attr_i(nd, "transB", 0);
			float *raw;
			uint32_t o, k;

			if (!w || w->n_dims != 2 || (gemm && npu_onnx_attr_i(nd, "transA", 0)))
				return ferr(n, -EOPNOTSUPP,
					    "%s: needs constant 2-D weights (and no transA)", where);
			f->cout = tb ? w->dims[0] : w->dims[1];
			f->cin_g = tb ? w->dims[1] : w->dims[0];
			raw = const_floats(n, g, nd->input[1], (size_t)f->cout * f->cin_g,
					   where);
			if (!raw)
				return -EPROTO;
			f->w = malloc(sizeof(float) * f->cout * f->cin_g);
			if (!f->w) {
				free(raw);
				return -ENOMEM;
			}
			for (o = 0; o < f->cout; o++)
				for (k = 0; k < f->cin_g; k++)
					f->w[o * f->cin_g + k] = tb ? raw[o * f->cin_g + k] :
								  raw[k * f->cout + o];
			free(raw);
			if (gemm && nd->n_input > 2 && nd->input[2][0]) {
				f->b = const_floats(n, g, nd->input[2], f->cout, where);
				if (!f->b)
					return -EPROTO;
			}
			f->kh = f->kw = 1;
			f->groups = 1;
			break;
		}
		case F_CLIP: {
			float *lo = NULL, *hi = NULL;

			f->lo = -FLT_MAX;
			f->hi = FLT_MAX;
			if (nd->n_input > 1 && nd->input[1][0]) {
				lo = const_floats(n, g, nd->input[1], 1, where);
				if (!lo)
					return -EPROTO;
				f->lo = *lo;
			}
			if (nd->n_input > 2 && nd->input[2][0]) {
				hi = const_floats(n, g, nd->input[2], 1, where);
				if (!hi) {
					free(lo);
					return -EPROTO;
				}
				f->hi = *hi;
			}
			free(lo);
			free(hi);
			break;
		}
		case F_MAXPOOL:
		case F_AVGPOOL:
			npu_onnx_attr_ints(nd, "kernel_shape", f->kernel, 2, 1);
			npu_onnx_attr_ints(nd, "strides", f->stride, 2, 1);
			npu_onnx_attr_ints(nd, "pads", f->pad, 4, 0);
			if (npu_onnx_attr_i(nd, "ceil_mode", 0) ||
			    (f->kind == F_AVGPOOL && npu_onnx_attr_i(nd, "count_include_pad", 0) &&
			     (f->pad[0] | f->pad[1] | f->pad[2] | f->pad[3])))
				return ferr(n, -EOPNOTSUPP,
					    "%s: ceil_mode or count_include_pad with padding", where);
			break;
		case F_ADD:
		case F_MUL:
			f->in[1] = nd->n_input > 1 ? value_id(n, nd->input[1], false) : -1;
			if (f->in[1] < 0)
				return ferr(n, -EOPNOTSUPP, "%s: an operand that is a constant or missing",
					    where);
			break;
		case F_CONCAT: {
			size_t k;
			int64_t axis = npu_onnx_attr_i(nd, "axis", 1);

			if (axis != 1 && axis != -3)
				return ferr(n, -EOPNOTSUPP, "%s: concatenation along axis %lld (channels only)",
					    where, (long long)axis);
			if (nd->n_input < 1 || nd->n_input > 3)
				return ferr(n, -EOPNOTSUPP, "%s: %zu inputs (1 to 3)", where,
					    nd->n_input);
			for (k = 1; k < nd->n_input; k++) {
				f->in[k] = value_id(n, nd->input[k], false);
				if (f->in[k] < 0)
					return ferr(n, -EOPNOTSUPP, "%s: input '%s' is not computed earlier",
						    where, nd->input[k]);
			}
			break;
		}
		default:
			break;
		}
		ret = infer(n, f, where);
		if (ret)
			return ret;
		n->vals[f->in[0]].consumers++;
		if (f->in[1] >= 0)
			n->vals[f->in[1]].consumers++;
		if (f->in[2] >= 0)
			n->vals[f->in[2]].consumers++;
	}
	return 0;
}

/* ---- the float executor ---- */

static void run_node(struct fnet *n, const struct fnode *f)
{
	const float *x = n->vals[f->in[0]].data;
	float *y = n->vals[f->out].data;
	const uint32_t *s = n->vals[f->in[0]].shape, *o = n->vals[f->out].shape;
	uint64_t i, cnt = (uint64_t)o[0] * o[1] * o[2] * o[3];
	uint32_t b, oy, ox, c, ky, kx, ci;

	switch (f->kind) {
	case F_CONV:
	case F_FC: {
		uint32_t cog = f->cout / f->groups;

		for (b = 0; b < o[0]; b++)
		for (oy = 0; oy < o[1]; oy++)
		for (ox = 0; ox < o[2]; ox++)
		for (c = 0; c < o[3]; c++) {
			double acc = f->b ? f->b[c] : 0;
			uint32_t g = c / cog;

			for (ky = 0; ky < f->kh; ky++)
			for (kx = 0; kx < f->kw; kx++) {
				int64_t iy = (int64_t)oy * f->stride[0] - f->pad[0] + ky * f->dil[0];
				int64_t ix = (int64_t)ox * f->stride[1] - f->pad[1] + kx * f->dil[1];

				if (iy < 0 || iy >= s[1] || ix < 0 || ix >= s[2])
					continue;
				for (ci = 0; ci < f->cin_g; ci++)
					acc += x[((b * s[1] + iy) * s[2] + ix) * s[3] + g * f->cin_g + ci] *
					       f->w[((c * f->kh + ky) * f->kw + kx) * f->cin_g + ci];
			}
			y[((b * o[1] + oy) * o[2] + ox) * o[3] + c] = acc;
		}
		break;
	}
	case F_RELU:
		for (i = 0; i < cnt; i++)
			y[i] = x[i] > 0 ? x[i] : 0;
		break;
	case F_CLIP:
		for (i = 0; i < cnt; i++)
			y[i] = x[i] < f->lo ? f->lo : x[i] > f->hi ? f->hi : x[i];
		break;
	case F_MAXPOOL:
	case F_AVGPOOL:
		for (b = 0; b < o[0]; b++)
		for (oy = 0; oy < o[1]; oy++)
		for (ox = 0; ox < o[2]; ox++)
		for (c = 0; c < o[3]; c++) {
			double m = -DBL_MAX, sum = 0;
			int count = 0;

			for (ky = 0; ky < f->kernel[0]; ky++)
			for (kx = 0; kx < f->kernel[1]; kx++) {
				int64_t iy = (int64_t)oy * f->stride[0] - f->pad[0] + ky;
				int64_t ix = (int64_t)ox * f->stride[1] - f->pad[1] + kx;
				double v;

				if (iy < 0 || iy >= s[1] || ix < 0 || ix >= s[2])
					continue;
				v = x[((b * s[1] + iy) * s[2] + ix) * s[3] + c];
				m = v > m ? v : m;
				sum += v;
				count++;
			}
			y[((b * o[1] + oy) * o[2] + ox) * o[3] + c] =
				f->kind == F_MAXPOOL ? m : sum / count;
		}
		break;
	case F_GAP:
		for (b = 0; b < o[0]; b++)
		for (c = 0; c < o[3]; c++) {
			double sum = 0;

			for (i = 0; i < (uint64_t)s[1] * s[2]; i++)
				sum += x[(b * s[1] * s[2] + i) * s[3] + c];
			y[b * o[3] + c] = sum / (s[1] * s[2]);
		}
		break;
	case F_ADD:
	case F_MUL: {
		const float *z = n->vals[f->in[1]].data;

		for (i = 0; i < cnt; i++)
			y[i] = f->kind == F_ADD ? x[i] + z[i] : x[i] * z[i];
		break;
	}
	case F_CONCAT: {
		uint32_t at = 0;
		int k;

		for (k = 0; k < 3 && f->in[k] >= 0; k++) {
			const struct fvalue *v = &n->vals[f->in[k]];
			uint32_t ck = v->shape[3];

			for (i = 0; i < cnt / o[3]; i++)
				memcpy(y + i * o[3] + at, v->data + i * ck, sizeof(float) * ck);
			at += ck;
		}
		break;
	}
	case F_FN:
		for (i = 0; i < cnt; i++)
			y[i] = npu_fn_apply(f->fn, x[i], f->alpha, f->beta);
		break;
	case F_FLATTEN:
		memcpy(y, x, sizeof(float) * cnt);
		break;
	case F_SOFTMAX:
		for (b = 0; b < cnt / o[3]; b++) {
			double m = -DBL_MAX, sum = 0;

			for (c = 0; c < o[3]; c++)
				m = x[b * o[3] + c] > m ? x[b * o[3] + c] : m;
			for (c = 0; c < o[3]; c++)
				sum += exp(x[b * o[3] + c] - m);
			for (c = 0; c < o[3]; c++)
				y[b * o[3] + c] = exp(x[b * o[3] + c] - m) / sum;
		}
		break;
	}
}

static uint64_t vcount(const struct fvalue *v)
{
	return (uint64_t)v->shape[0] * v->shape[1] * v->shape[2] * v->shape[3];
}

static int fnet_build(struct fnet *n, const struct npu_onnx *m, char *err,
		      size_t errlen)
{
	const Onnx__GraphProto *g = npu_onnx_graph(m);
	const Onnx__ValueInfoProto *in = NULL;
	size_t i;
	int ret, v;

	memset(n, 0, sizeof(*n));
	n->err = err;
	n->errlen = errlen;
	for (i = 0; i < g->n_input && !in; i++) {
		if (!npu_onnx_constant(g, g->input[i]->name))
			in = g->input[i];
	}
	if (!in || !in->type || in->type->value_case !=
	    ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !in->type->tensor_type->shape ||
	    in->type->tensor_type->shape->n_dim != 4)
		return ferr(n, -EOPNOTSUPP, "the model's input must be a 4-D NCHW float tensor");
	n->input = value_id(n, in->name, true);
	{
		const Onnx__TensorShapeProto *sh = in->type->tensor_type->shape;
		int64_t d[4];

		for (i = 0; i < 4; i++)
			d[i] = sh->dim[i]->value_case ==
			       ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ?
			       sh->dim[i]->dim_value : 1;
		/* NCHW -> NHWC, one image */
		n->vals[n->input].shape[0] = 1;
		n->vals[n->input].shape[1] = d[2];
		n->vals[n->input].shape[2] = d[3];
		n->vals[n->input].shape[3] = d[1];
		if (d[1] != 1 && d[2] * d[3] != 1) {
			/* NCHW and NHWC bytes differ: callers pass NHWC data. */
		}
	}
	ret = lower(n, g);
	if (ret)
		return ret;
	if (!n->nnodes)
		return ferr(n, -EPROTO, "the model has no supported nodes");
	v = value_id(n, g->output[0]->name, false);
	if (v < 0)
		return ferr(n, -EPROTO, "the model's output '%s' is computed by no node",
			    g->output[0]->name);
	n->output = v;
	for (i = 0; i < (size_t)n->nvals; i++) {
		n->vals[i].data = calloc(vcount(&n->vals[i]) ? vcount(&n->vals[i]) : 1,
					 sizeof(float));
		if (!n->vals[i].data)
			return -ENOMEM;
	}
	return 0;
}

static void fnet_free(struct fnet *n)
{
	int i;

	for (i = 0; i < n->nnodes; i++) {
		free(n->nodes[i].w);
		free(n->nodes[i].b);
	}
	for (i = 0; i < n->nvals; i++) {
		free(n->vals[i].data);
		npu_observer_free(n->vals[i].obs);
	}
	free(n->nodes);
	free(n->vals);
}

static void fnet_run(struct fnet *n, const float *in)
{
	int i;

	memcpy(n->vals[n->input].data, in,
	       sizeof(float) * vcount(&n->vals[n->input]));
	for (i = 0; i < n->nnodes; i++)
		run_node(n, &n->nodes[i]);
}

NPU_API int npu_onnx_run_float(const struct npu_onnx *m, const float *input,
			       size_t images, float *output, char *err, size_t errlen)
{
	struct fnet n;
	size_t k, isz, osz;
	int ret;

	if (!m || !input || !output)
		return -EINVAL;
	ret = fnet_build(&n, m, err, errlen);
	if (!ret) {
		isz = vcount(&n.vals[n.input]);
		osz = vcount(&n.vals[n.output]);
		for (k = 0; k < images; k++) {
			fnet_run(&n, input + k * isz);
			memcpy(output + k * osz, n.vals[n.output].data,
			       sizeof(float) * osz);
		}
	}
	fnet_free(&n);
	return ret;
}

NPU_API int npu_onnx_run_float_values(const struct npu_onnx *m, const float *input,
				      const char *const *names, size_t nnames,
				      float *const *outs, char *err, size_t errlen)
{
	struct fnet n;
	size_t k;
	int ret, v;

	if (!m || !input || (nnames && (!names || !outs)))
		return -EINVAL;
	ret = fnet_build(&n, m, err, errlen);
	if (!ret)
		fnet_run(&n, input);
	for (k = 0; !ret && k < nnames; k++) {
		v = value_id(&n, names[k], false);
		if (v < 0 || !n.vals[v].data)
			ret = ferr(&n, -ENOENT, "the model has no value '%s'", names[k]);
		else
			memcpy(outs[k], n.vals[v].data, sizeof(float) * vcount(&n.vals[v]));
	}
	fnet_free(&n);
	return ret;
}

/* ---- quantized graph ---- */

/* The signature entry of a float (or int8 layer) value of the net. */
static void fp_io(struct npu_onnx_io *io, const struct fvalue *v, int type,
		  uint32_t rank, const struct npu_qparams *q)
{
	memset(io, 0, sizeof(*io));
	snprintf(io->name, sizeof(io->name), "%s", v->name);
	io->type = type;
	io->ndims = rank;
	if (rank == 4) {
		io->dims[0] = v->shape[0];
		io->dims[1] = v->shape[3];
		io->dims[2] = v->shape[1];
		io->dims[3] = v->shape[2];
		io->nchw = 1;
	} else {
		io->ndims = 2;
		io->dims[0] = v->shape[0];
		io->dims[1] = (int64_t)v->shape[1] * v->shape[2] * v->shape[3];
	}
	io->count = (size_t)v->shape[0] * v->shape[1] * v->shape[2] * v->shape[3];
	if (q) {
		io->scale = q->scale;
		io->zero_point = q->zero_point;
	}
}

static int q_tensor(struct npu_graph *g, const struct fvalue *v,
		    struct npu_qparams q, int *id)
{
	struct npu_tensor_info t = { .name = v->name, .elem = NPU_ELEM_INT8,
				     .qcount = 1, .scales = &q.scale,
				     .zero_points = &q.zero_point };

	memcpy(t.shape, v->shape, sizeof(t.shape));
	return npu_graph_tensor(g, &t, id);
}

/* The single consumer of value @v, or NULL. */
static struct fnode *only_consumer(struct fnet *n, int v)
{
	struct fnode *f = NULL;
	int i;

	if (n->vals[v].consumers != 1 || v == n->output)
		return NULL;
	for (i = 0; i < n->nnodes; i++) {
		if (n->nodes[i].in[0] == v || n->nodes[i].in[1] == v ||
		    n->nodes[i].in[2] == v)
			f = &n->nodes[i];
	}
	return f;
}

NPU_API int npu_onnx_import(const struct npu_onnx *m,
			    const struct npu_onnx_import_opts *o,
			    struct npu_graph **out, char *err, size_t errlen)
{
	struct npu_qparams *qp = NULL;
	struct npu_graph *g = NULL;
	bool *skip = NULL;
	struct fnet n;
	size_t k, isz;
	int i, ret, in_value = -1;

	if (!m || !o || !out)
		return -EINVAL;
	if (npu_onnx_is_quantized(m))
		return npu_onnx_import_quantized(m, o, out, err, errlen);
	if (!o->calib_data || !o->calib_count)
		return -EINVAL;
	ret = fnet_build(&n, m, err, errlen);
	if (ret)
		goto out;

	/* Calibrate: every value's range over the calibration images. */
	for (i = 0; i < n.nvals && !ret; i++)
		ret = npu_observer_new(o->method, NULL, &n.vals[i].obs);
	isz = vcount(&n.vals[n.input]);
	for (k = 0; k < o->calib_count && !ret; k++) {
		fnet_run(&n, o->calib_data + k * isz);
		for (i = 0; i < n.nvals && !ret; i++)
			ret = npu_observer_update(n.vals[i].obs, n.vals[i].data,
						  vcount(&n.vals[i]));
	}
	qp = calloc(n.nvals, sizeof(*qp));
	skip = calloc(n.nnodes, sizeof(*skip));
	if (!ret && (!qp || !skip))
		ret = -ENOMEM;
	for (i = 0; i < n.nvals && !ret; i++)
		ret = npu_observer_qparams(n.vals[i].obs, NPU_INT8, false, &qp[i]);
	if (ret) {
		ferr(&n, ret, "calibration failed: %s", npu_strerror(ret));
		goto out;
	}
	/* Pools and flatten keep their input's parameters. */
	for (i = 0; i < n.nnodes; i++) {
		struct fnode *f = &n.nodes[i];

		if (f->kind == F_MAXPOOL || f->kind == F_AVGPOOL || f->kind == F_GAP ||
		    f->kind == F_FLATTEN)
			qp[f->out] = qp[f->in[0]];
	}
	/*
	 * A concatenation's inputs take its parameters (its range covers
	 * theirs): their producers write them ready to be joined.
	 */
	for (i = 0; i < n.nnodes; i++) {
		struct fnode *f = &n.nodes[i];
		int k;

		for (k = 0; f->kind == F_CONCAT && k < 3 && f->in[k] >= 0; k++)
			qp[f->in[k]] = qp[f->out];
	}

	ret = npu_graph_new(&g);
	if (ret)
		goto out;
	{
		struct npu_tensor_info fin = { .name = "input", .elem = NPU_ELEM_FLOAT32 };
		struct npu_op_info q = { .type = NPU_OP_QUANTIZE, .name = "input",
					 .inputs = { -1, -1, -1 } };
		int fid;

		memcpy(fin.shape, n.vals[n.input].shape, sizeof(fin.shape));
		ret = npu_graph_tensor(g, &fin, &fid);
		if (!ret)
			ret = q_tensor(g, &n.vals[n.input], qp[n.input],
				       &n.vals[n.input].tensor);
		q.inputs[0] = fid;
		q.output = n.vals[n.input].tensor;
		if (!ret)
			ret = npu_graph_op(g, &q);
		in_value = n.input;
		n.input = fid;		/* from here: the graph's float input */
	}

	for (i = 0; i < n.nnodes && !ret; i++) {
		struct fnode *f = &n.nodes[i], *next;
		struct npu_op_info op = { .name = f->name, .inputs = { -1, -1, -1 } };
		int outv = f->out;

		if (skip[i])
			continue;
		/* Fold ReLU / Clip(0, 6) chains into the op before them. */
		if (f->kind == F_CONV || f->kind == F_FC || f->kind == F_ADD) {
			while ((next = only_consumer(&n, outv)) &&
			       (next->kind == F_RELU ||
				(next->kind == F_CLIP && next->lo == 0 &&
				 (next->hi == 6 || next->hi >= FLT_MAX)))) {
				if (next->kind == F_RELU || next->hi >= FLT_MAX)
					op.act = op.act == NPU_ACT_RELU6 ? NPU_ACT_RELU6 :
						 NPU_ACT_RELU;
				else
					op.act = NPU_ACT_RELU6;
				skip[next - n.nodes] = true;
				outv = next->out;
			}
		} else if (f->kind == F_RELU || f->kind == F_CLIP) {
			ret = ferr(&n, -EOPNOTSUPP,
				   "node %s (%s): an activation not after a conv, FC or add",
				   f->name, f->op);
			break;
		}
		ret = q_tensor(g, &n.vals[outv], qp[outv], &n.vals[outv].tensor);
		if (ret)
			break;
		op.output = n.vals[outv].tensor;
		op.inputs[0] = n.vals[f->in[0]].tensor;
		switch (f->kind) {
		case F_CONV:
		case F_FC: {
			uint32_t kk = f->kh * f->kw * f->cin_g, c;
			struct npu_qparams *wq = calloc(f->cout, sizeof(*wq));
			float *mins = calloc(f->cout, sizeof(float));
			float *maxs = calloc(f->cout, sizeof(float));
			float *ws = calloc(f->cout, sizeof(float));
			int32_t *wz = calloc(f->cout, sizeof(int32_t));
			int32_t *b32 = calloc(f->cout, sizeof(int32_t));
			int8_t *w8 = malloc((size_t)f->cout * kk);
			float *zb = calloc(f->cout, sizeof(float));
			struct npu_tensor_info wt = { .name = f->name, .elem = NPU_ELEM_INT8,
						      .shape = { f->cout, f->kh, f->kw, f->cin_g },
						      .qcount = f->cout };
			struct npu_tensor_info bt = { .name = f->name, .elem = NPU_ELEM_INT32,
						      .shape = { 1, 1, 1, f->cout } };

			ret = !wq || !mins || !maxs || !ws || !wz || !b32 || !w8 || !zb ?
			      -ENOMEM : 0;
			if (!ret)
				ret = npu_channel_ranges(f->w, f->cout, kk, mins, maxs);
			/* Per tensor: one range over every channel. */
			for (c = 1; !ret && o->granularity == NPU_ONNX_PER_TENSOR &&
			     c < f->cout; c++) {
				mins[0] = fminf(mins[0], mins[c]);
				maxs[0] = fmaxf(maxs[0], maxs[c]);
			}
			for (c = 1; !ret && o->granularity == NPU_ONNX_PER_TENSOR &&
			     c < f->cout; c++) {
				mins[c] = mins[0];
				maxs[c] = maxs[0];
			}
			if (o->granularity == NPU_ONNX_PER_TENSOR)
				wt.qcount = 1;
			if (!ret)
				ret = npu_qparams_per_channel(mins, maxs, f->cout, NPU_INT8,
							      true, wq);
			if (!ret)
				ret = npu_quantize_weights(f->w, f->cout, kk, wq, w8);
			for (c = 0; c < f->cout; c++)
				ws[c] = wq ? wq[c].scale : 1;
			if (!ret)
				ret = npu_quantize_bias(f->b ? f->b : zb, f->cout,
							qp[f->in[0]].scale, ws, b32);
			wt.scales = ws;
			wt.zero_points = wz;
			wt.data = w8;
			bt.data = b32;
			if (!ret)
				ret = npu_graph_tensor(g, &wt, &op.inputs[1]);
			if (!ret)
				ret = npu_graph_tensor(g, &bt, &op.inputs[2]);
			op.type = f->kind == F_CONV ? NPU_OP_CONV2D :
				  NPU_OP_FULLY_CONNECTED;
			op.groups = f->groups;
			memcpy(op.stride, f->stride, sizeof(op.stride));
			memcpy(op.dilation, f->dil, sizeof(op.dilation));
			memcpy(op.pad, f->pad, sizeof(op.pad));
			free(wq);
			free(mins);
			free(maxs);
			free(ws);
			free(wz);
			free(b32);
			free(w8);
			free(zb);
			break;
		}
		case F_MAXPOOL:
		case F_AVGPOOL:
			op.type = f->kind == F_MAXPOOL ? NPU_OP_MAXPOOL : NPU_OP_AVGPOOL;
			memcpy(op.kernel, f->kernel, sizeof(op.kernel));
			memcpy(op.stride, f->stride, sizeof(op.stride));
			memcpy(op.pad, f->pad, sizeof(op.pad));
			break;
		case F_GAP:
			op.type = NPU_OP_GLOBAL_AVGPOOL;
			break;
		case F_ADD:
		case F_MUL:
			op.type = f->kind == F_ADD ? NPU_OP_ADD : NPU_OP_MUL;
			op.inputs[1] = n.vals[f->in[1]].tensor;
			break;
		case F_CONCAT:
			op.type = NPU_OP_CONCAT;
			op.inputs[1] = f->in[1] >= 0 ? n.vals[f->in[1]].tensor : -1;
			op.inputs[2] = f->in[2] >= 0 ? n.vals[f->in[2]].tensor : -1;
			break;
		case F_FN:
			op.type = NPU_OP_FUNCTION;
			op.fn = f->fn;
			op.alpha = f->alpha;
			op.beta = f->beta;
			break;
		case F_FLATTEN:
			op.type = NPU_OP_RESHAPE;
			break;
		case F_SOFTMAX:
			op.type = NPU_OP_SOFTMAX;
			break;
		default:
			break;
		}
		if (!ret)
			ret = npu_graph_op(g, &op);
		if (ret && npu_graph_error(g)[0])
			ferr(&n, ret, "node %s (%s): %s", f->name, f->op, npu_graph_error(g));
	}
	if (!ret) {
		struct npu_tensor_info fout = { .name = "output", .elem = NPU_ELEM_FLOAT32 };
		struct npu_op_info dq = { .type = NPU_OP_DEQUANTIZE, .name = "output",
					  .inputs = { n.vals[n.output].tensor, -1, -1 } };
		int fid, in_id = n.input, outs[NPU_ONNX_MAX_IO], nout = 1;
		struct npu_onnx_signature *sig = o->sig;

		memcpy(fout.shape, n.vals[n.output].shape, sizeof(fout.shape));
		ret = npu_graph_tensor(g, &fout, &fid);
		dq.output = fid;
		if (!ret)
			ret = npu_graph_op(g, &dq);
		outs[0] = fid;
		if (sig) {
			sig->ninputs = 1;
			sig->noutputs = 1;
			fp_io(&sig->inputs[0], &n.vals[in_value], NPU_ONNX_FLOAT, 4, NULL);
			fp_io(&sig->outputs[0], &n.vals[n.output], NPU_ONNX_FLOAT, 2, NULL);
		}
		/* Every quantized activation, for per-layer error analysis. */
		for (i = 0; !ret && o->layer_outputs && i < n.nvals; i++) {
			if (n.vals[i].tensor < 0 || n.vals[i].is_const || i == in_value)
				continue;
			if (nout == NPU_ONNX_MAX_IO) {
				ret = ferr(&n, -E2BIG, "more than %d layer outputs",
					   NPU_ONNX_MAX_IO);
				break;
			}
			outs[nout] = n.vals[i].tensor;
			if (sig) {
				fp_io(&sig->outputs[nout], &n.vals[i], NPU_ONNX_INT8, 4, &qp[i]);
				sig->noutputs = nout + 1;
			}
			nout++;
		}
		if (!ret)
			ret = npu_graph_io(g, &in_id, 1, outs, nout);
	}
out:
	free(qp);
	free(skip);
	fnet_free(&n);
	if (ret) {
		npu_graph_free(g);
		return ret;
	}
	*out = g;
	return 0;
}
