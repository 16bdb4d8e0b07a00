// SPDX-License-Identifier: MIT
/*
 * libnpu ONNX: an FP32 model lowered to the float network: one parser per
 * ONNX op in the table below (operands, attributes, constant weights in
 * OHWI), shapes inferred node by node in NHWC.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <float.h>
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


/* ---- one parser per ONNX op ---- */

typedef int parse_fn(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
		     const Onnx__NodeProto *nd, const char *where);

/* Conv weights, OIHW in the model, to OHWI. */
static int conv_weights(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
			const char *name, const char *where)
{
	float *oihw = const_floats(n, g, name, (size_t)f->cout * f->cin_g * f->kh * f->kw,
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

static int parse_conv(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
		      const Onnx__NodeProto *nd, const char *where)
{
	const Onnx__TensorProto *w = nd->n_input > 1 ? npu_onnx_constant(g, nd->input[1]) : NULL;
	int ret;

	if (!w || w->n_dims != 4)
		return ferr(n, -EOPNOTSUPP, "%s: weights must be a constant 4-D tensor", where);
	f->cout = w->dims[0];
	f->cin_g = w->dims[1];
	f->kh = w->dims[2];
	f->kw = w->dims[3];
	f->groups = npu_onnx_attr_i(nd, "group", 1);
	npu_onnx_attr_ints(nd, "strides", f->stride, 2, 1);
	npu_onnx_attr_ints(nd, "dilations", f->dil, 2, 1);
	/* ONNX pads are (top, left, bottom, right), as the graph's. */
	npu_onnx_attr_ints(nd, "pads", f->pad, 4, 0);
	ret = conv_weights(n, f, g, nd->input[1], where);
	if (!ret && nd->n_input > 2 && nd->input[2][0]) {
		f->b = const_floats(n, g, nd->input[2], f->cout, where);
		if (!f->b)
			ret = -EPROTO;
	}
	return ret;
}

/* Gemm (transB or not, no transA) and MatMul with constant 2-D weights. */
static int parse_fc(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
		    const Onnx__NodeProto *nd, const char *where)
{
	const Onnx__TensorProto *w = nd->n_input > 1 ? npu_onnx_constant(g, nd->input[1]) : NULL;
	bool gemm = !strcmp(nd->op_type, "Gemm");
	bool tb = gemm && npu_onnx_attr_i(nd, "transB", 0);
	float *raw;
	uint32_t o, k;

	if (!w || w->n_dims != 2 || (gemm && npu_onnx_attr_i(nd, "transA", 0)))
		return ferr(n, -EOPNOTSUPP, "%s: needs constant 2-D weights (and no transA)", where);
	f->cout = tb ? w->dims[0] : w->dims[1];
	f->cin_g = tb ? w->dims[1] : w->dims[0];
	raw = const_floats(n, g, nd->input[1], (size_t)f->cout * f->cin_g, where);
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
	if (gemm && nd->n_input > 2 && nd->input[2][0]) {
		f->b = const_floats(n, g, nd->input[2], f->cout, where);
		if (!f->b)
			return -EPROTO;
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
	c = const_floats(n, g, nd->input[k], 1, where);
	if (!c)
		return -EPROTO;
	*v = *c;
	free(c);
	return 0;
}

static int parse_clip(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
		      const Onnx__NodeProto *nd, const char *where)
{
	f->lo = -FLT_MAX;
	f->hi = FLT_MAX;
	return clip_bound(n, g, nd, 1, &f->lo, where) ?: clip_bound(n, g, nd, 2, &f->hi, where);
}

static int parse_pool(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
		      const Onnx__NodeProto *nd, const char *where)
{
	npu_onnx_attr_ints(nd, "kernel_shape", f->kernel, 2, 1);
	npu_onnx_attr_ints(nd, "strides", f->stride, 2, 1);
	npu_onnx_attr_ints(nd, "pads", f->pad, 4, 0);
	if (npu_onnx_attr_i(nd, "ceil_mode", 0) ||
	    (f->kind == F_AVGPOOL && npu_onnx_attr_i(nd, "count_include_pad", 0) &&
	     (f->pad[0] | f->pad[1] | f->pad[2] | f->pad[3])))
		return ferr(n, -EOPNOTSUPP, "%s: ceil_mode or count_include_pad with padding",
			    where);
	return 0;
}

static int parse_binary(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
			const Onnx__NodeProto *nd, const char *where)
{
	f->in[1] = nd->n_input > 1 ? value_id(n, nd->input[1], false) : -1;
	if (f->in[1] < 0)
		return ferr(n, -EOPNOTSUPP, "%s: an operand that is a constant or missing", where);
	return 0;
}

static int parse_concat(struct fnet *n, struct fnode *f, const Onnx__GraphProto *g,
			const Onnx__NodeProto *nd, const char *where)
{
	int64_t axis = npu_onnx_attr_i(nd, "axis", 1);
	size_t k;

	if (axis != 1 && axis != -3)
		return ferr(n, -EOPNOTSUPP, "%s: concatenation along axis %lld (channels only)",
			    where, (long long)axis);
	if (nd->n_input < 1 || nd->n_input > 3)
		return ferr(n, -EOPNOTSUPP, "%s: %zu inputs (1 to 3)", where, nd->n_input);
	for (k = 1; k < nd->n_input; k++) {
		f->in[k] = value_id(n, nd->input[k], false);
		if (f->in[k] < 0)
			return ferr(n, -EOPNOTSUPP, "%s: input '%s' is not computed earlier",
				    where, nd->input[k]);
	}
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
	return 0;
}

/* The ONNX ops the FP32 importer takes, and what each becomes. */
static const struct {
	const char *onnx;
	enum fkind kind;
	parse_fn *parse;	/* NULL: nothing beyond the first input */
} fops[] = {
	{ "Conv", F_CONV, parse_conv },
	{ "Gemm", F_FC, parse_fc },
	{ "MatMul", F_FC, parse_fc },
	{ "Relu", F_RELU, NULL },
	{ "Clip", F_CLIP, parse_clip },
	{ "MaxPool", F_MAXPOOL, parse_pool },
	{ "AveragePool", F_AVGPOOL, parse_pool },
	{ "GlobalAveragePool", F_GAP, NULL },
	{ "Add", F_ADD, parse_binary },
	{ "Mul", F_MUL, parse_binary },
	{ "Concat", F_CONCAT, parse_concat },
	{ "Flatten", F_FLATTEN, NULL },
	{ "Reshape", F_FLATTEN, NULL },
	{ "Softmax", F_SOFTMAX, NULL },
};

/* The table entry of ONNX op @op; element-wise functions share one. */
static int fop_of(const char *op, enum fkind *kind, parse_fn **parse)
{
	size_t i;

	for (i = 0; i < sizeof(fops) / sizeof(fops[0]); i++) {
		if (!strcmp(fops[i].onnx, op)) {
			*kind = fops[i].kind;
			*parse = fops[i].parse;
			return 0;
		}
	}
	if (npu_ref_function_by_onnx(op) < 0)
		return -EOPNOTSUPP;
	*kind = F_FN;
	*parse = parse_function;
	return 0;
}

/* One node: its kind, operands, attributes and output shape. */
static int lower_node(struct fnet *n, const Onnx__GraphProto *g, size_t i)
{
	const Onnx__NodeProto *nd = g->node[i];
	char where[256];
	struct fnode *f;
	parse_fn *parse;
	enum fkind kind;
	int ret;

	snprintf(where, sizeof(where), "node %zu (%s, %s)", i, nd->name ? nd->name : "",
		 nd->op_type);
	if (fop_of(nd->op_type, &kind, &parse))
		return ferr(n, -EOPNOTSUPP,
			    "%s: op not supported by the importer (neither on the device nor by the CPU fallback)",
			    where);
	f = add_node(n, kind, nd);
	if (!f)
		return -ENOMEM;
	if (!nd->n_input || (f->in[0] = value_id(n, nd->input[0], false)) < 0)
		return ferr(n, -EPROTO, "%s: input '%s' is computed by no earlier node",
			    where, nd->n_input ? nd->input[0] : "");
	f->out = value_id(n, nd->output[0], true);
	if (f->out < 0)
		return -ENOMEM;
	f->stride[0] = f->stride[1] = f->dil[0] = f->dil[1] = 1;
	ret = parse ? parse(n, f, g, nd, where) : 0;
	return ret ?: infer(n, f, where);
}

static int lower(struct fnet *n, const Onnx__GraphProto *g)
{
	size_t i;
	int k, ret;

	for (i = 0; i < g->n_node; i++) {
		struct fnode *f;

		if (!strcmp(g->node[i]->op_type, "Constant"))
			continue;
		ret = lower_node(n, g, i);
		if (ret)
			return ret;
		f = &n->nodes[n->nnodes - 1];
		for (k = 0; k < 3; k++) {
			if (f->in[k] >= 0)
				n->vals[f->in[k]].consumers++;
		}
	}
	return 0;
}

uint64_t vcount(const struct fvalue *v)
{
	return (uint64_t)v->shape[0] * v->shape[1] * v->shape[2] * v->shape[3];
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

void fnet_free(struct fnet *n)
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

