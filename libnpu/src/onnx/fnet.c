// SPDX-License-Identifier: MIT
/*
 * libnpu ONNX: an FP32 model lowered to the float network: one parser per
 * ONNX op in the table below (operands, attributes, constant weights in
 * OHWI), shapes inferred node by node in NHWC.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <dlfcn.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnet.h"
#include "onnx.pb-c.h"
#include "ref/ref.h"

int ferr(struct fnet *n, int ret, const char *fmt, ...)
{
	va_list ap;

	if (n->err && n->errlen) {
		va_start(ap, fmt);
		vsnprintf(n->err, n->errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

int value_id(struct fnet *n, const char *name, bool create)
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

float *fnet_floats(struct fnet *n, const Onnx__GraphProto *g,
		   const char *name, size_t want, const char *where)
{
	const Onnx__TensorProto *t = fnet_const(n, g, name);
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

struct fnode *fnet_add_node(struct fnet *n, enum fkind kind, const Onnx__NodeProto *nd)
{
	struct fnode *f = realloc(n->nodes, sizeof(*f) * (n->nnodes + 1));
	int k;

	if (!f)
		return NULL;
	n->nodes = f;
	f = &f[n->nnodes++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->name = nd->name ? nd->name : "";
	f->op = nd->op_type;
	for (k = 0; k < FNODE_MAX_IN; k++)
		f->in[k] = -1;
	return f;
}

/* Shapes, NHWC, computed node by node (the model's batch is taken as 1). */
/*
 * Add and Mul broadcast as ONNX says (each extent equal, or 1 on one
 * side), between operands of the same rank: [N,C,1,1] x [N,C,H,W] is a
 * squeeze-excitation's scaling.
 */
static int infer_broadcast(struct fnet *n, struct fnode *f, const char *where)
{
	const struct fvalue *a = &n->vals[f->in[0]], *b = &n->vals[f->in[1]];
	uint32_t *o = n->vals[f->out].shape;
	int i;

	if (a->rank != b->rank && memcmp(a->shape, b->shape, sizeof(a->shape)))
		return ferr(n, -EOPNOTSUPP, "%s: broadcasting a %u-D operand against a %u-D one",
			    where, b->rank, a->rank);
	for (i = 0; i < 4; i++) {
		if (a->shape[i] != b->shape[i] && a->shape[i] != 1 && b->shape[i] != 1)
			return ferr(n, -EPROTO, "%s: operand shapes do not broadcast", where);
		o[i] = a->shape[i] > b->shape[i] ? a->shape[i] : b->shape[i];
	}
	return 0;
}

/* [.., M, K] x [.., K, P] -> [.., M, P], the leading extents broadcast. */
static int infer_matmul(struct fnet *n, struct fnode *f, const char *where)
{
	const uint32_t *a = n->vals[f->in[0]].shape, *b = n->vals[f->in[1]].shape;
	uint32_t *o = n->vals[f->out].shape;

	if (a[3] != b[2] || (a[1] != b[1] && a[1] != 1 && b[1] != 1))
		return ferr(n, -EPROTO, "%s: [%u][%u][%u] x [%u][%u][%u] do not multiply", where,
			    a[1], a[2], a[3], b[1], b[2], b[3]);
	o[1] = a[1] > b[1] ? a[1] : b[1];
	o[2] = a[2];
	o[3] = b[3];
	return 0;
}

/* A convolution's or pool's output extents from its window. */
static int infer_window(struct fnet *n, struct fnode *f, const char *where)
{
	const uint32_t *s = n->vals[f->in[0]].shape;
	uint32_t *o = n->vals[f->out].shape;
	uint32_t kh = f->kind == F_CONV ? f->kh : f->kernel[0];
	uint32_t kw = f->kind == F_CONV ? f->kw : f->kernel[1];
	int64_t eh, ew;

	if (f->kind == F_CONV && s[3] != f->cin_g * f->groups)
		return ferr(n, -EPROTO, "%s: %u input channels, weights expect %u",
			    where, s[3], f->cin_g * f->groups);
	eh = (int64_t)s[1] + f->pad[0] + f->pad[2] - ((int64_t)(kh - 1) * f->dil[0] + 1);
	ew = (int64_t)s[2] + f->pad[1] + f->pad[3] - ((int64_t)(kw - 1) * f->dil[1] + 1);
	if (eh < 0 || ew < 0 || !f->stride[0] || !f->stride[1])
		return ferr(n, -EPROTO, "%s: window larger than its input", where);
	o[1] = eh / f->stride[0] + 1;
	o[2] = ew / f->stride[1] + 1;
	if (f->kind == F_CONV)
		o[3] = f->cout;
	return 0;
}

/* A window over H and W: a conv (but a MatMul's), a pool, an upsample or a pad. */
static bool spatial(const struct fnode *f)
{
	return (f->kind == F_CONV && !f->matmul) || f->kind == F_MAXPOOL ||
	       f->kind == F_AVGPOOL || (f->kind == F_GAP && !f->rank_out) ||
	       f->kind == F_UPSAMPLE || f->kind == F_PAD;
}

/* The output's rank and layout (struct fvalue): the input's unless the kind says. */
static int infer_layout(struct fnet *n, struct fnode *f, const char *where)
{
	const struct fvalue *in = &n->vals[f->in[0]];
	struct fvalue *out = &n->vals[f->out];

	out->rank = in->rank;
	out->plain = in->plain;
	if (f->kind == F_FC) {
		out->rank = 2;
		out->plain = true;
	} else if (f->rank_out) {
		out->rank = f->rank_out;
		out->plain = f->plain_out;
	}
	if (spatial(f) && (in->rank != 4 || in->plain))
		return ferr(n, -EOPNOTSUPP, "%s: a 2-D window over a %u-D%s input", where,
			    in->rank, in->plain ? " non-image" : "");
	return 0;
}

static int infer(struct fnet *n, struct fnode *f, const char *where)
{
	const uint32_t *s = n->vals[f->in[0]].shape;
	uint32_t *o = n->vals[f->out].shape;
	int ret = infer_layout(n, f, where);

	if (ret)
		return ret;
	memcpy(o, s, 4 * sizeof(uint32_t));
	switch (f->kind) {
	case F_CONV:
	case F_MAXPOOL:
	case F_AVGPOOL:
		return infer_window(n, f, where);
	case F_GAP:
		o[1] = o[2] = 1;
		break;
	case F_UPSAMPLE:
		o[1] *= f->kernel[0];
		o[2] *= f->kernel[1];
		break;
	case F_PAD:
		o[1] += f->pad[0] + f->pad[2];
		o[2] += f->pad[1] + f->pad[3];
		break;
	case F_FC:
		if (s[1] * s[2] != 1 || s[3] != f->cin_g)
			return ferr(n, -EPROTO, "%s: input [%u %u %u %u] does not fit weights of K %u",
				    where, s[0], s[1], s[2], s[3], f->cin_g);
		o[3] = f->cout;
		break;
	case F_ADD:
	case F_MUL:
		return infer_broadcast(n, f, where);
	case F_MATMUL:
		return infer_matmul(n, f, where);
	case F_CONCAT: {
		int k;

		o[3] = 0;
		for (k = 0; k < FNODE_MAX_IN && f->in[k] >= 0; k++) {
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


/* ---- one parser per ONNX op ---- */

typedef int parse_fn(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
		     const Onnx__NodeProto *nd, const char *where);

/* Conv weights, OIHW in the model, to OHWI. */
static int conv_weights(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
			const char *name, const char *where)
{
	float *oihw = fnet_floats(n, g, name, (size_t)f->cout * f->cin_g * f->kh * f->kw,
				   where);
	uint32_t o, c, y, x;

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
	return 0;
}

/* The window of a conv or pool over @f's input into @f (auto_pad honoured). */
static int parse_window(struct fnet *n, struct fnode *f, const Onnx__NodeProto *nd,
			const uint32_t *kernel, const char *where)
{
	const uint32_t *s = n->vals[f->in[0]].shape;
	const uint32_t in[2] = { s[1], s[2] };
	struct npu_onnx_window w;
	char why[160];

	if (npu_onnx_window(nd, in, kernel, &w, why, sizeof(why)))
		return ferr(n, -EOPNOTSUPP, "%s: %s", where, why);
	memcpy(f->kernel, w.kernel, sizeof(f->kernel));
	memcpy(f->stride, w.stride, sizeof(f->stride));
	memcpy(f->dil, w.dil, sizeof(f->dil));
	/* ONNX pads are (top, left, bottom, right), as the graph's. */
	memcpy(f->pad, w.pad, sizeof(f->pad));
	return 0;
}

static int parse_conv(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
		      const Onnx__NodeProto *nd, const char *where)
{
	const Onnx__TensorProto *w = nd->n_input > 1 ? fnet_const(n, g, nd->input[1]) : NULL;
	uint32_t k[2];
	int ret;

	if (!w || w->n_dims != 4)
		return ferr(n, -EOPNOTSUPP, "%s: weights must be a constant 4-D tensor", where);
	f->cout = w->dims[0];
	f->cin_g = w->dims[1];
	f->kh = k[0] = w->dims[2];
	f->kw = k[1] = w->dims[3];
	f->groups = npu_onnx_attr_i(nd, "group", 1);
	if (!f->groups)
		return ferr(n, -EPROTO, "%s: group 0", where);
	ret = parse_window(n, f, nd, k, where);
	if (!ret)
		ret = conv_weights(n, f, g, nd->input[1], where);
	if (!ret && nd->n_input > 2 && nd->input[2][0]) {
		f->b = fnet_floats(n, g, nd->input[2], f->cout, where);
		if (!f->b)
			ret = -EPROTO;
	}
	return ret;
}

/*
 * BatchNormalization (inference) on its own, not folded into a conv by the
 * exporter: a per-channel affine map, i.e. a depthwise 1x1 convolution with
 * weight scale / sqrt(var + epsilon) and bias B - mean * weight.
 */
static int parse_batchnorm(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
			   const Onnx__NodeProto *nd, const char *where)
{
	uint32_t C = n->vals[f->in[0]].shape[3], c;
	float eps = npu_onnx_attr_f(nd, "epsilon", 1e-5f), *p[4] = { NULL };
	int k, ret = 0;

	if (n->vals[f->in[0]].rank != 4 || nd->n_input != 5 ||
	    npu_onnx_attr_i(nd, "training_mode", 0) || nd->n_output > 1)
		return ferr(n, -EOPNOTSUPP,
			    "%s: BatchNormalization of a 4-D tensor in inference mode only", where);
	for (k = 0; k < 4 && !ret; k++) {
		p[k] = fnet_floats(n, g, nd->input[k + 1], C, where);
		ret = p[k] ? 0 : -EPROTO;
	}
	f->cout = f->groups = C;
	f->cin_g = f->kh = f->kw = 1;
	f->w = ret ? NULL : malloc(sizeof(float) * C);
	f->b = ret ? NULL : malloc(sizeof(float) * C);
	for (c = 0; f->w && f->b && c < C; c++) {
		f->w[c] = p[0][c] / sqrtf(p[3][c] + eps);
		f->b[c] = p[1][c] - p[2][c] * f->w[c];
	}
	for (k = 0; k < 4; k++)
		free(p[k]);
	return ret ?: f->w && f->b ? 0 : -ENOMEM;
}

/* String attribute @name of @nd, or @dflt, into @buf. */
static void attr_string(const Onnx__NodeProto *nd, const char *name, const char *dflt,
			char *buf, size_t len)
{
	const Onnx__AttributeProto *a = npu_onnx_attr(nd, name);

	if (a)
		snprintf(buf, len, "%.*s", (int)a->s.len, (const char *)a->s.data);
	else
		snprintf(buf, len, "%s", dflt);
}

/* Resize's integer scale along H and W, from its scales or its sizes; 0 if not one. */
static int resize_factors(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
			  const Onnx__NodeProto *nd)
{
	const uint32_t *s = n->vals[f->in[0]].shape;
	const uint32_t nchw[4] = { 1, s[3], s[1], s[2] };
	size_t k = nd->n_input == 2 ? 1 : nd->n_input > 2 && nd->input[2][0] ? 2 : 3;
	const Onnx__TensorProto *t = k < nd->n_input ? fnet_const(n, g, nd->input[k]) : NULL;
	struct npu_onnx_tensor d = { 0 };
	double v[4];
	int i, ok;

	if (!t || npu_onnx_decode(t, &d, "", NULL, 0))
		return 0;
	ok = d.count == 4 && (k == 3 ? d.type == NPU_ONNX_INT64 : d.type == NPU_ONNX_FLOAT);
	for (i = 0; ok && i < 4; i++) {
		v[i] = k == 3 ? (double)((int64_t *)d.data)[i] / (i ? nchw[i] : n->batch) :
		       ((float *)d.data)[i];
		ok = v[i] >= 1 && v[i] <= 64 && v[i] == (uint32_t)v[i] && (i > 1 || v[i] == 1);
	}
	npu_onnx_tensor_release(&d);
	f->kernel[0] = ok ? (uint32_t)v[2] : 0;
	f->kernel[1] = ok ? (uint32_t)v[3] : 0;
	return ok;
}

/*
 * Resize, nearest, by integer factors along H and W: each pixel repeated,
 * where the coordinate transformation and rounding pick input pixel
 * floor(x / scale) (asymmetric with floor or round_prefer_floor; the
 * half-pixel modes with round_prefer_floor or round_prefer_ceil, which never
 * meet a tie at an integer scale).
 */
static int parse_resize(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
			const Onnx__NodeProto *nd, const char *where)
{
	char mode[32], coord[32], near[32], policy[32];
	bool repeat;

	attr_string(nd, "mode", "nearest", mode, sizeof(mode));
	attr_string(nd, "coordinate_transformation_mode", "half_pixel", coord, sizeof(coord));
	attr_string(nd, "nearest_mode", "round_prefer_floor", near, sizeof(near));
	attr_string(nd, "keep_aspect_ratio_policy", "stretch", policy, sizeof(policy));
	repeat = (!strcmp(coord, "asymmetric") && (!strcmp(near, "floor") ||
						    !strcmp(near, "round_prefer_floor"))) ||
		 ((!strcmp(coord, "half_pixel") || !strcmp(coord, "pytorch_half_pixel")) &&
		  (!strcmp(near, "round_prefer_floor") || !strcmp(near, "round_prefer_ceil")));
	if (strcmp(mode, "nearest") || !repeat)
		return ferr(n, -EOPNOTSUPP,
			    "%s: Resize mode '%s', coordinates '%s', nearest '%s' (nearest pixel repetition only)",
			    where, mode, coord, near);
	if (npu_onnx_attr(nd, "axes") || strcmp(policy, "stretch"))
		return ferr(n, -EOPNOTSUPP, "%s: Resize with axes or an aspect-ratio policy", where);
	if (!resize_factors(n, f, g, nd))
		return ferr(n, -EOPNOTSUPP,
			    "%s: Resize by integer factors of H and W (1 to 64) only, given as constants",
			    where);
	return 0;
}

/*
 * Pad, constant 0, of H and W only (the pads input from opset 11, the
 * attribute before; NCHW begins then ends); other modes, values, axes or
 * negative pads are refused.
 */
static int parse_pad(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
		     const Onnx__NodeProto *nd, const char *where)
{
	const Onnx__AttributeProto *pa = npu_onnx_attr(nd, "pads");
	const Onnx__TensorProto *t = nd->n_input > 1 && nd->input[1][0] ?
				     fnet_const(n, g, nd->input[1]) : NULL;
	const Onnx__TensorProto *v = nd->n_input > 2 && nd->input[2][0] ?
				     fnet_const(n, g, nd->input[2]) : NULL;
	struct npu_onnx_tensor d = { 0 }, val = { 0 };
	int64_t p[8] = { 0 };
	char mode[16];
	bool ok = true;
	int i;

	attr_string(nd, "mode", "constant", mode, sizeof(mode));
	if (pa && pa->n_ints == 8)
		for (i = 0; i < 8; i++)
			p[i] = pa->ints[i];
	else if (t && !npu_onnx_decode(t, &d, where, NULL, 0) && d.type == NPU_ONNX_INT64 &&
		 d.count == 8)
		memcpy(p, d.data, sizeof(p));
	else
		ok = false;
	npu_onnx_tensor_release(&d);
	if (v && !npu_onnx_decode(v, &val, where, NULL, 0))
		ok &= val.type == NPU_ONNX_FLOAT && val.count == 1 && ((float *)val.data)[0] == 0;
	else if (v || (nd->n_input > 2 && nd->input[2][0]) || npu_onnx_attr_f(nd, "value", 0))
		ok = false;
	npu_onnx_tensor_release(&val);
	ok &= !strcmp(mode, "constant") && !(nd->n_input > 3 && nd->input[3][0]) &&
	      !p[0] && !p[1] && !p[4] && !p[5];
	for (i = 0; i < 8; i++)
		ok &= p[i] >= 0 && p[i] <= 65535;
	if (!ok)
		return ferr(n, -EOPNOTSUPP,
			    "%s: Pad other than constant 0 around H and W, given as constants", where);
	f->pad[0] = p[2];
	f->pad[1] = p[3];
	f->pad[2] = p[6];
	f->pad[3] = p[7];
	return 0;
}

/* Dropout in inference: the identity; a training mode or a mask output is refused. */
static int parse_dropout(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
			 const Onnx__NodeProto *nd, const char *where)
{
	const Onnx__TensorProto *t = nd->n_input > 2 && nd->input[2][0] ?
				     fnet_const(n, g, nd->input[2]) : NULL;
	struct npu_onnx_tensor mode = { 0 };
	bool training = nd->n_input > 2 && nd->input[2][0] && !t;

	if (t && !npu_onnx_decode(t, &mode, where, NULL, 0)) {
		training = mode.count != 1 || ((uint8_t *)mode.data)[0];
		npu_onnx_tensor_release(&mode);
	}
	if (training || (nd->n_output > 1 && nd->output[1][0]))
		return ferr(n, -EOPNOTSUPP, "%s: Dropout in training mode, or its mask", where);
	return 0;
}

/*
 * MatMul of two activations, [.., M, K] x [.., K, P], both plain of rank 3
 * or 4 (the leading extents equal or 1).
 */
static int parse_matmul(struct fnet *n, struct fnode *f, const char *b, const char *where)
{
	const struct fvalue *x = &n->vals[f->in[0]];
	const struct fvalue *y;

	f->kind = F_MATMUL;
	f->in[1] = value_id(n, b, false);
	y = &n->vals[f->in[1]];
	if (x->rank < 3 || x->rank != y->rank || (x->rank == 4 && (!x->plain || !y->plain)))
		return ferr(n, -EOPNOTSUPP,
			    "%s: MatMul of two activations of rank %u and %u (3 or 4, the same)",
			    where, x->rank, y->rank);
	f->rank_out = x->rank;
	f->plain_out = true;
	return 0;
}

/*
 * Gemm (transB or not, no transA) and MatMul with constant 2-D weights: a
 * fully connected layer of [N, K], a 1x1 convolution (each position) of
 * a plain [N, .., K]; MatMul of two activations.
 */
static int parse_fc(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
		    const Onnx__NodeProto *nd, const char *where)
{
	const Onnx__TensorProto *w = nd->n_input > 1 ? fnet_const(n, g, nd->input[1]) : NULL;
	bool gemm = !strcmp(nd->op_type, "Gemm");
	bool tb = gemm && npu_onnx_attr_i(nd, "transB", 0);
	const struct fvalue *x = &n->vals[f->in[0]];
	float *raw;
	uint32_t o, k;

	if (!gemm && !w && nd->n_input > 1 && value_id(n, nd->input[1], false) >= 0)
		return parse_matmul(n, f, nd->input[1], where);
	if (!w || w->n_dims != 2 || (gemm && npu_onnx_attr_i(nd, "transA", 0)))
		return ferr(n, -EOPNOTSUPP, "%s: needs constant 2-D weights (and no transA)", where);
	if (!gemm && x->rank > 2) {
		if (x->rank == 4 && !x->plain)
			return ferr(n, -EOPNOTSUPP, "%s: MatMul over the W axis of an image", where);
		f->kind = F_CONV;
	}
	f->matmul = !gemm;
	f->cout = tb ? w->dims[0] : w->dims[1];
	f->cin_g = tb ? w->dims[1] : w->dims[0];
	raw = fnet_floats(n, g, nd->input[1], (size_t)f->cout * f->cin_g, where);
	if (!raw)
		return -EPROTO;
	f->w = malloc(sizeof(float) * f->cout * f->cin_g);
	if (!f->w) {
		free(raw);
		return -ENOMEM;
	}
	for (o = 0; o < f->cout; o++)
		for (k = 0; k < f->cin_g; k++)
			f->w[o * f->cin_g + k] = tb ? raw[o * f->cin_g + k] : raw[k * f->cout + o];
	free(raw);
	/* Y = alpha A B + beta C: alpha goes into the weights, beta into the bias. */
	for (k = 0; gemm && k < f->cout * f->cin_g; k++)
		f->w[k] *= npu_onnx_attr_f(nd, "alpha", 1.0f);
	if (gemm && nd->n_input > 2 && nd->input[2][0]) {
		f->b = fnet_floats(n, g, nd->input[2], f->cout, where);
		if (!f->b)
			return -EPROTO;
		for (o = 0; o < f->cout; o++)
			f->b[o] *= npu_onnx_attr_f(nd, "beta", 1.0f);
	}
	f->kh = f->kw = 1;
	f->groups = 1;
	return 0;
}

/* An optional constant scalar input @k of Clip into *v. */
static int clip_bound(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
		      size_t k, float *v, const char *where)
{
	float *c;

	if (nd->n_input <= k || !nd->input[k][0])
		return 0;
	c = fnet_floats(n, g, nd->input[k], 1, where);
	if (!c)
		return -EPROTO;
	*v = *c;
	free(c);
	return 0;
}

static int parse_clip(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
		      const Onnx__NodeProto *nd, const char *where)
{
	/* Before opset 11 the bounds are attributes. */
	f->lo = npu_onnx_attr_f(nd, "min", -FLT_MAX);
	f->hi = npu_onnx_attr_f(nd, "max", FLT_MAX);
	return clip_bound(n, g, nd, 1, &f->lo, where) ?: clip_bound(n, g, nd, 2, &f->hi, where);
}

static int parse_pool(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
		      const Onnx__NodeProto *nd, const char *where)
{
	int ret = parse_window(n, f, nd, NULL, where);

	if (ret)
		return ret;
	if (f->dil[0] != 1 || f->dil[1] != 1)
		return ferr(n, -EOPNOTSUPP, "%s: dilated pooling", where);
	if (npu_onnx_attr_i(nd, "ceil_mode", 0) && f->kind == F_MAXPOOL) {
		const uint32_t *s = n->vals[f->in[0]].shape;
		struct npu_onnx_window w;

		memcpy(w.kernel, f->kernel, sizeof(w.kernel));
		memcpy(w.stride, f->stride, sizeof(w.stride));
		memcpy(w.dil, f->dil, sizeof(w.dil));
		memcpy(w.pad, f->pad, sizeof(w.pad));
		npu_onnx_ceil_pads(&w, (const uint32_t[2]){ s[1], s[2] });
		memcpy(f->pad, w.pad, sizeof(f->pad));
	} else if (npu_onnx_attr_i(nd, "ceil_mode", 0)) {
		return ferr(n, -EOPNOTSUPP, "%s: ceil_mode of an average pool", where);
	}
	if (f->kind == F_AVGPOOL && npu_onnx_attr_i(nd, "count_include_pad", 0) &&
	    (f->pad[0] | f->pad[1] | f->pad[2] | f->pad[3]))
		return ferr(n, -EOPNOTSUPP, "%s: count_include_pad with padding", where);
	if (nd->n_output > 1)
		return ferr(n, -EOPNOTSUPP, "%s: the Indices output", where);
	return 0;
}

/* Softmax over the axis the graph holds last: an image's channels, a plain value's last axis. */
static int parse_softmax(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
			 const Onnx__NodeProto *nd, const char *where)
{
	const struct fvalue *x = &n->vals[f->in[0]];
	int64_t axis = npu_onnx_attr_i(nd, "axis", n->opset >= 13 ? -1 : 1);

	/* Before opset 13 the axis flattens all that follows it. */
	if (fvalue_axis(x, axis) == 3 && (n->opset >= 13 || x->rank < 4 || x->plain ||
					  x->shape[1] * x->shape[2] == 1))
		return 0;
	return ferr(n, -EOPNOTSUPP,
		    "%s: Softmax over axis %lld of a %u-D tensor (an image's channels or the last axis only)",
		    where, (long long)(axis < 0 ? axis + x->rank : axis), x->rank);
}

/* The node computing value @v, or NULL. */
static struct fnode *producer(struct fnet *n, int v)
{
	int i;

	for (i = n->nnodes - 1; i >= 0; i--) {
		if (n->nodes[i].out == v)
			return &n->nodes[i];
	}
	return NULL;
}

/*
 * Add of a constant vector along the last axis to a MatMul's or FC's
 * result: its bias, folded in (an F_IDENTITY marks the Add until
 * fnet_fold_biases() removes it).
 */
static int fold_bias(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
		     const char *name, const char *where)
{
	const Onnx__TensorProto *t = fnet_const(n, g, name);
	struct fnode *p = producer(n, f->in[0]);
	size_t i, count = 1;

	for (i = 0; t && i < t->n_dims; i++)
		count *= t->dims[i];
	for (i = 0; t && i + 1 < t->n_dims; i++)
		count = t->dims[i] == 1 ? count : 0;
	if (!t || !p || (p->kind != F_CONV && p->kind != F_FC) || !p->matmul || p->b ||
	    count != p->cout)
		return ferr(n, -EOPNOTSUPP,
			    "%s: an Add of a constant other than the bias of the MatMul before it",
			    where);
	p->b = fnet_floats(n, g, name, p->cout, where);
	f->kind = F_IDENTITY;
	f->bias_add = true;
	return p->b ? 0 : -EPROTO;
}

/* Mul or Div by a positive constant scalar: a change of scale. */
static int scale_by(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
		    const Onnx__NodeProto *nd, const char *name, const char *where)
{
	float *c = fnet_floats(n, g, name, 1, where);
	float v = c ? *c : 0;

	free(c);
	if (!c)
		return -EPROTO;
	f->kind = F_SCALE;
	f->alpha = strcmp(nd->op_type, "Div") ? v : 1.0f / v;
	if (!(f->alpha > 0) || !isfinite(f->alpha))
		return ferr(n, -EOPNOTSUPP, "%s: a factor %g (positive scalars only)", where,
			    (double)f->alpha);
	return 0;
}

/*
 * Add and Mul of two activations; Add of a MatMul's bias; Mul or Div by a
 * constant scalar. A constant may come first in Add and Mul.
 */
static int parse_binary(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
			const Onnx__NodeProto *nd, const char *where)
{
	bool div = !strcmp(nd->op_type, "Div");
	int a = nd->n_input == 2 ? value_id(n, nd->input[0], false) : -1;
	int b = nd->n_input == 2 ? value_id(n, nd->input[1], false) : -1;
	const char *other;

	if (nd->n_input != 2)
		return ferr(n, -EPROTO, "%s: %zu operands", where, nd->n_input);
	f->in[0] = a >= 0 ? a : b;
	if (a >= 0 && b >= 0 && !div) {
		f->in[1] = b;
		return 0;
	}
	other = a >= 0 ? nd->input[1] : nd->input[0];
	if (f->in[0] < 0 || (div && a < 0) || !fnet_const(n, g, other))
		return ferr(n, -EOPNOTSUPP, "%s: %s", where, div ?
			    "a divisor that is not a constant" :
			    "an operand neither computed earlier nor a constant");
	if (f->kind == F_ADD)
		return fold_bias(n, f, g, other, where);
	return scale_by(n, f, g, nd, other, where);
}

static int parse_concat(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
			const Onnx__NodeProto *nd, const char *where)
{
	int64_t axis = npu_onnx_attr_i(nd, "axis", 1);
	size_t k;

	if (fvalue_axis(&n->vals[f->in[0]], axis) != 3)
		return ferr(n, -EOPNOTSUPP,
			    "%s: concatenation along axis %lld (any axis but the batch)",
			    where, (long long)axis);
	if (nd->n_input < 1 || nd->n_input > FNODE_MAX_IN)
		return ferr(n, -EOPNOTSUPP, "%s: %zu inputs (1 to %d)", where, nd->n_input,
			    FNODE_MAX_IN);
	for (k = 1; k < nd->n_input; k++) {
		f->in[k] = value_id(n, nd->input[k], false);
		if (f->in[k] < 0)
			return ferr(n, -EOPNOTSUPP, "%s: input '%s' is not computed earlier",
				    where, nd->input[k]);
		if (n->vals[f->in[k]].rank != n->vals[f->in[0]].rank ||
		    n->vals[f->in[k]].plain != n->vals[f->in[0]].plain)
			return ferr(n, -EPROTO, "%s: inputs of different ranks", where);
	}
	return 0;
}

/* ReduceMean's axes, an attribute before opset 18 and an input from then on; count or error. */
static int reduce_axes(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
		       int64_t ax[4], const char *where)
{
	const Onnx__AttributeProto *a = npu_onnx_attr(nd, "axes");
	const Onnx__TensorProto *t = nd->n_input > 1 ? fnet_const(n, g, nd->input[1]) : NULL;
	struct npu_onnx_tensor axes = { 0 };
	size_t count = 0, i;

	if (a && n->opset >= 18)
		return ferr(n, -EOPNOTSUPP, "%s: attribute 'axes' (an input from opset 18)", where);
	if (a) {
		count = a->n_ints;
		for (i = 0; i < count && i < 4; i++)
			ax[i] = a->ints[i];
	} else if (t && !npu_onnx_decode(t, &axes, where, NULL, 0)) {
		count = axes.type == NPU_ONNX_INT64 ? axes.count : 0;
		for (i = 0; i < count && i < 4; i++)
			ax[i] = ((int64_t *)axes.data)[i];
		npu_onnx_tensor_release(&axes);
	} else if (nd->n_input > 1 && nd->input[1][0]) {
		return ferr(n, -EOPNOTSUPP, "%s: axes computed at run time", where);
	}
	return count > 4 ? 0 : (int)count;
}

/*
 * ReduceMean over the axes that hold H and W in the graph (an image's H
 * and W, a [N, T, D] sequence's T) is a global average pool; its result
 * keeps the reduced axes as 1 or drops them (keepdims).
 */
static int parse_reduce_mean(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
			     const Onnx__NodeProto *nd, const char *where)
{
	const struct fvalue *x = &n->vals[f->in[0]];
	int64_t ax[4];
	int count = reduce_axes(n, g, nd, ax, where), i, p;
	bool keep = npu_onnx_attr_i(nd, "keepdims", 1), hw[4] = { false };

	if (count < 0)
		return count;
	for (i = 0; i < count; i++) {
		p = fvalue_axis(x, ax[i]);
		if (p < 0 || hw[p])
			return ferr(n, -EPROTO, "%s: axis %lld repeated or out of range", where,
				    (long long)ax[i]);
		hw[p] = true;
	}
	for (p = 0; p < 4; p++) {
		if ((p == 1 || p == 2) ? !hw[p] && x->shape[p] != 1 : hw[p])
			return ferr(n, -EOPNOTSUPP,
				    "%s: ReduceMean over axes other than an image's H and W or a sequence's length",
				    where);
	}
	if (!count)
		return ferr(n, -EOPNOTSUPP, "%s: ReduceMean over all axes", where);
	f->rank_out = keep ? x->rank : x->rank - count;
	f->plain_out = !keep || x->plain || x->rank < 4;
	if (f->rank_out < 2)
		return ferr(n, -EOPNOTSUPP, "%s: a result of rank %u", where, f->rank_out);
	return 0;
}

/* An element-wise function the CPU runs (ref/ref_function.c), with its parameters. */
static int parse_function(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
			  const Onnx__NodeProto *nd, const char *where)
{
	f->fn = npu_ref_function_by_onnx(nd->op_type);
	f->alpha = f->fn == NPU_FN_LEAKY_RELU ? 0.01f : f->fn == NPU_FN_HARD_SIGMOID ? 0.2f : 1.0f;
	f->beta = 0.5f;
	if (npu_onnx_attr(nd, "alpha"))
		f->alpha = npu_onnx_attr(nd, "alpha")->f;
	if (npu_onnx_attr(nd, "beta"))
		f->beta = npu_onnx_attr(nd, "beta")->f;
	if (f->fn == NPU_FN_GELU) {
		char approx[16];

		attr_string(nd, "approximate", "none", approx, sizeof(approx));
		if (strcmp(approx, "none") && strcmp(approx, "tanh"))
			return ferr(n, -EOPNOTSUPP, "%s: approximate '%s'", where, approx);
		f->fn = strcmp(approx, "tanh") ? NPU_FN_GELU : NPU_FN_GELU_TANH;
	}
	return 0;
}

/* LayerNormalization over the last axis, with constant scale and bias. */
static int parse_layernorm(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
			   const Onnx__NodeProto *nd, const char *where)
{
	const struct fvalue *x = &n->vals[f->in[0]];
	int64_t axis = npu_onnx_attr_i(nd, "axis", -1);
	size_t k;

	if (fvalue_axis(x, axis) != 3 || (x->rank == 4 && !x->plain) ||
	    (axis >= 0 ? axis : axis + x->rank) != x->rank - 1)
		return ferr(n, -EOPNOTSUPP, "%s: normalising from axis %lld (the last axis only)",
			    where, (long long)axis);
	for (k = 1; k < nd->n_output; k++) {
		if (nd->output[k][0])
			return ferr(n, -EOPNOTSUPP, "%s: the Mean and InvStdDev outputs", where);
	}
	if (npu_onnx_attr_i(nd, "stash_type", 1) != 1)
		return ferr(n, -EOPNOTSUPP, "%s: stash_type %lld (1, float, only)", where,
			    (long long)npu_onnx_attr_i(nd, "stash_type", 1));
	f->cout = x->shape[3];
	f->alpha = npu_onnx_attr_f(nd, "epsilon", 1e-5f);
	f->w = nd->n_input > 1 ? fnet_floats(n, g, nd->input[1], f->cout, where) : NULL;
	if (!f->w)
		return nd->n_input > 1 ? -EPROTO :
		       ferr(n, -EPROTO, "%s: no scale input", where);
	if (nd->n_input > 2 && nd->input[2][0]) {
		f->b = fnet_floats(n, g, nd->input[2], f->cout, where);
		if (!f->b)
			return -EPROTO;
	}
	return 0;
}

static const struct npu_onnx_attr_spec conv_attrs[] = {
	NPU_ATTR_WINDOW, NPU_ATTR_I("group"), { NULL }
};
static const struct npu_onnx_attr_spec gemm_attrs[] = {
	NPU_ATTR_F("alpha"), NPU_ATTR_F("beta"), NPU_ATTR_I("transA"), NPU_ATTR_I("transB"),
	{ NULL }
};
static const struct npu_onnx_attr_spec clip_attrs[] = {
	NPU_ATTR_F("min"), NPU_ATTR_F("max"), { NULL }
};
static const struct npu_onnx_attr_spec maxpool_attrs[] = {
	NPU_ATTR_WINDOW, NPU_ATTR_I("ceil_mode"), NPU_ATTR_I("storage_order"), { NULL }
};
static const struct npu_onnx_attr_spec avgpool_attrs[] = {
	NPU_ATTR_WINDOW, NPU_ATTR_I("ceil_mode"), NPU_ATTR_I("count_include_pad"), { NULL }
};
static const struct npu_onnx_attr_spec axis_attrs[] = { NPU_ATTR_I("axis"), { NULL } };
static const struct npu_onnx_attr_spec alpha_attrs[] = { NPU_ATTR_F("alpha"), { NULL } };
static const struct npu_onnx_attr_spec batchnorm_attrs[] = {
	NPU_ATTR_F("epsilon"), NPU_ATTR_F("momentum"), NPU_ATTR_I("training_mode"), { NULL }
};
static const struct npu_onnx_attr_spec resize_attrs[] = {
	NPU_ATTR_S("mode"), NPU_ATTR_S("coordinate_transformation_mode"),
	NPU_ATTR_S("nearest_mode"), NPU_ATTR_F("cubic_coeff_a"), NPU_ATTR_I("exclude_outside"),
	NPU_ATTR_F("extrapolation_value"), NPU_ATTR_I("antialias"), NPU_ATTR_INTS("axes", 0),
	NPU_ATTR_S("keep_aspect_ratio_policy"), { NULL }
};
static const struct npu_onnx_attr_spec pad_attrs[] = {
	NPU_ATTR_S("mode"), NPU_ATTR_INTS("pads", 8), NPU_ATTR_F("value"), { NULL }
};
static const struct npu_onnx_attr_spec dropout_attrs[] = {
	NPU_ATTR_F("ratio"), NPU_ATTR_I("seed"), { NULL }
};
static const struct npu_onnx_attr_spec reduce_attrs[] = {
	NPU_ATTR_INTS("axes", 0), NPU_ATTR_I("keepdims"), NPU_ATTR_I("noop_with_empty_axes"),
	{ NULL }
};
static const struct npu_onnx_attr_spec layernorm_attrs[] = {
	NPU_ATTR_I("axis"), NPU_ATTR_F("epsilon"), NPU_ATTR_I("stash_type"), { NULL }
};
static const struct npu_onnx_attr_spec gelu_attrs[] = { NPU_ATTR_S("approximate"), { NULL } };
static const struct npu_onnx_attr_spec alpha_beta_attrs[] = {
	NPU_ATTR_F("alpha"), NPU_ATTR_F("beta"), { NULL }
};

/* The ONNX ops the FP32 importer takes, what each becomes, the attributes it honours. */
static const struct fop {
	const char *onnx;
	enum fkind kind;
	parse_fn *parse;	/* NULL: nothing beyond the first input */
	const struct npu_onnx_attr_spec *attrs;	/* NULL: none */
} fops[] = {
	{ "Conv", F_CONV, parse_conv, conv_attrs },
	{ "Gemm", F_FC, parse_fc, gemm_attrs },
	{ "MatMul", F_FC, parse_fc, NULL },
	{ "Relu", F_RELU, NULL, NULL },
	{ "Clip", F_CLIP, parse_clip, clip_attrs },
	{ "MaxPool", F_MAXPOOL, parse_pool, maxpool_attrs },
	{ "AveragePool", F_AVGPOOL, parse_pool, avgpool_attrs },
	{ "GlobalAveragePool", F_GAP, NULL, NULL },
	{ "ReduceMean", F_GAP, parse_reduce_mean, reduce_attrs },
	{ "Add", F_ADD, parse_binary, NULL },
	{ "Mul", F_MUL, parse_binary, NULL },
	{ "Div", F_MUL, parse_binary, NULL },
	{ "Concat", F_CONCAT, parse_concat, axis_attrs },
	{ "Softmax", F_SOFTMAX, parse_softmax, axis_attrs },
	{ "Identity", F_IDENTITY, NULL, NULL },
	{ "Dropout", F_IDENTITY, parse_dropout, dropout_attrs },
	{ "Resize", F_UPSAMPLE, parse_resize, resize_attrs },
	{ "Pad", F_PAD, parse_pad, pad_attrs },
	{ "BatchNormalization", F_CONV, parse_batchnorm, batchnorm_attrs },
	{ "LayerNormalization", F_LAYERNORM, parse_layernorm, layernorm_attrs },
};

/* The element-wise functions' attributes (enum npu_function): their parameters. */
static const struct npu_onnx_attr_spec *function_attrs(enum npu_function fn)
{
	return fn == NPU_FN_LEAKY_RELU || fn == NPU_FN_ELU ? alpha_attrs :
	       fn == NPU_FN_HARD_SIGMOID ? alpha_beta_attrs : fn == NPU_FN_GELU ? gelu_attrs : NULL;
}

/* The table entry of ONNX op @op; element-wise functions share one. */
static int fop_of(const char *op, struct fop *out)
{
	size_t i;
	int fn;

	for (i = 0; i < sizeof(fops) / sizeof(fops[0]); i++) {
		if (!strcmp(fops[i].onnx, op)) {
			*out = fops[i];
			return 0;
		}
	}
	fn = npu_ref_function_by_onnx(op);
	if (fn < 0)
		return -EOPNOTSUPP;
	*out = (struct fop){ op, F_FN, parse_function, function_attrs(fn) };
	return 0;
}

/* One node: its kind, operands, attributes and output shape. */
static int lower_node(struct fnet *n, const Onnx__GraphProto *g, size_t i)
{
	const Onnx__NodeProto *nd = g->node[i];
	char where[256], why[160];
	struct fnode *f;
	struct fop fop;
	int ret;

	snprintf(where, sizeof(where), "node %zu (%s, %s)", i, nd->name ? nd->name : "",
		 nd->op_type);
	if (fop_of(nd->op_type, &fop))
		return ferr(n, -EOPNOTSUPP,
			    "%s: op not supported by the importer (neither on the device nor by the CPU fallback)",
			    where);
	ret = npu_onnx_check_attrs(nd, fop.attrs, why, sizeof(why));
	if (ret)
		return ferr(n, ret, "%s: %s", where, why);
	f = fnet_add_node(n, fop.kind, nd);
	if (!f)
		return -ENOMEM;
	f->in[0] = nd->n_input ? value_id(n, nd->input[0], false) : -1;
	if (fop.parse != parse_binary && f->in[0] < 0)
		return ferr(n, -EPROTO, "%s: input '%s' is computed by no earlier node",
			    where, nd->n_input ? nd->input[0] : "");
	f->out = value_id(n, nd->output[0], true);
	if (f->out < 0)
		return -ENOMEM;
	f->stride[0] = f->stride[1] = f->dil[0] = f->dil[1] = 1;
	ret = fop.parse ? fop.parse(n, f, g, nd, where) : 0;
	return ret ?: infer(n, f, where);
}

/* Node @i: skipped, folded (shape arithmetic), moved (layout.c) or lowered. */
static int lower_one(struct fnet *n, const Onnx__GraphProto *g, size_t i, bool *skip)
{
	const Onnx__NodeProto *nd = g->node[i];
	char where[256];
	int ret;

	/* Constants, and Identity nodes of constants, are read where used. */
	if (skip[i] || !strcmp(nd->op_type, "Constant") ||
	    (!strcmp(nd->op_type, "Identity") && nd->n_output &&
	     npu_onnx_constant(g, nd->output[0])))
		return 0;
	snprintf(where, sizeof(where), "node %zu (%s, %s)", i, nd->name ? nd->name : "",
		 nd->op_type);
	ret = fnet_fold(n, g, nd, where);
	if (!ret)
		ret = fnet_fuse(n, g, nd, where, skip);
	if (!ret)
		ret = fnet_layout(n, g, nd, where, skip);
	if (ret)
		return ret < 0 ? ret : 0;
	return lower_node(n, g, i);
}

static int lower(struct fnet *n, const Onnx__GraphProto *g)
{
	bool *skip = calloc(g->n_node + 1, sizeof(bool));	/* done with an earlier node */
	int k, added, ret = skip ? 0 : -ENOMEM;
	size_t i;

	for (i = 0; i < g->n_node && !ret; i++) {
		added = n->nnodes;
		ret = lower_one(n, g, i, skip);
		for (; !ret && added < n->nnodes; added++) {
			for (k = 0; k < FNODE_MAX_IN; k++) {
				if (n->nodes[added].in[k] >= 0)
					n->vals[n->nodes[added].in[k]].consumers++;
			}
		}
	}
	free(skip);
	return ret;
}

/*
 * The Adds whose constants became their MatMul's bias: the MatMul writes
 * the Add's output instead (so an activation after it folds in), unless
 * another node also reads the MatMul's result without the bias.
 */
static int fold_biases(struct fnet *n)
{
	struct fnode *f, *p;
	int i;

	for (i = 0; i < n->nnodes; i++) {
		f = &n->nodes[i];
		if (!f->bias_add)
			continue;
		p = producer(n, f->in[0]);
		if (n->vals[f->in[0]].consumers != 1 || f->in[0] == n->output)
			return ferr(n, -EOPNOTSUPP,
				    "node %s (%s): the MatMul result before this bias is read elsewhere too",
				    f->name, f->op);
		p->out = f->out;
		memmove(f, f + 1, sizeof(*f) * (n->nnodes - i - 1));
		n->nnodes--;
		i--;
	}
	return 0;
}

uint64_t vcount(const struct fvalue *v)
{
	return (uint64_t)v->shape[0] * v->shape[1] * v->shape[2] * v->shape[3];
}

/* Where each of the model's axes sits in shape[] (struct fvalue). */
static const int8_t *axis_map(const struct fvalue *v)
{
	static const int8_t image[4] = { 0, 3, 1, 2 }, plain4[4] = { 0, 1, 2, 3 };
	static const int8_t plain3[3] = { 0, 2, 3 }, plain2[2] = { 0, 3 };

	return v->rank == 2 ? plain2 : v->rank == 3 ? plain3 : v->plain ? plain4 : image;
}

int fvalue_dims(const struct fvalue *v, int64_t N, int64_t dims[4])
{
	const int8_t *map = axis_map(v);
	int i;

	for (i = 0; i < v->rank; i++)
		dims[i] = i ? v->shape[map[i]] : N;
	return v->rank;
}

int fvalue_axis(const struct fvalue *v, int64_t axis)
{
	if (axis < 0)
		axis += v->rank;
	return axis < 0 || axis >= v->rank ? -1 : axis_map(v)[axis];
}

bool fvalue_is_plain(const struct fvalue *v)
{
	return v->rank < 4 || v->plain || v->shape[3] == 1 || v->shape[1] * v->shape[2] == 1;
}

void fvalue_set_plain(struct fvalue *v, int rank, const int64_t *dims)
{
	const int8_t *map;
	int i;

	v->rank = rank;
	v->plain = true;
	map = axis_map(v);
	v->shape[0] = 1;
	v->shape[1] = v->shape[2] = v->shape[3] = 1;
	for (i = 1; i < rank; i++)
		v->shape[map[i]] = dims[i];
}

/* A BLAS for the float convolutions, when one is installed (not in the VM). */
static void open_blas(struct fnet *n)
{
	static const char *const libs[] = { "libopenblas.so.0", "libblas.so.3" };
	size_t i;

	for (i = 0; i < 2 && !n->sgemm; i++) {
		n->blas = dlopen(libs[i], RTLD_NOW | RTLD_LOCAL);
		n->sgemm = n->blas ? (fnet_sgemm_fn *)dlsym(n->blas, "cblas_sgemm") : NULL;
		if (n->blas && !n->sgemm) {
			dlclose(n->blas);
			n->blas = NULL;
		}
	}
}

int fnet_build(struct fnet *n, const struct npu_onnx *m, char *err,
		      size_t errlen)
{
	const Onnx__GraphProto *g = npu_onnx_graph(m);
	const Onnx__ValueInfoProto *in = NULL;
	size_t i;
	int ret, v;

	memset(n, 0, sizeof(*n));
	n->err = err;
	n->errlen = errlen;
	n->opset = npu_onnx_opset(m);
	open_blas(n);
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
		/* NCHW -> NHWC, one image; a dynamic N is 1 */
		n->batch = d[0] > 0 && d[0] <= 65535 ? d[0] : 1;
		n->vals[n->input].rank = 4;
		n->vals[n->input].shape[0] = 1;
		n->vals[n->input].shape[1] = d[2];
		n->vals[n->input].shape[2] = d[3];
		n->vals[n->input].shape[3] = d[1];
		if (d[1] != 1 && d[2] * d[3] != 1) {
			/* NCHW and NHWC bytes differ: callers pass NHWC data. */
		}
	}
	ret = lower(n, g) ?: fold_biases(n);
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

void fnet_free(struct fnet *n)
{
	int i;

	for (i = 0; i < n->nnodes; i++) {
		free(n->nodes[i].w);
		free(n->nodes[i].b);
		free(n->nodes[i].index);
	}
	for (i = 0; i < n->nvals; i++) {
		free(n->vals[i].data);
		npu_observer_free(n->vals[i].obs);
	}
	free(n->nodes);
	free(n->vals);
	fnet_fold_free(n);
	if (n->blas)
		dlclose(n->blas);
}

