// SPDX-License-Identifier: MIT
/*
 * libnpu ONNX: the quantization an FP32 model was given by the import,
 * written back as a QDQ model. Every value the program holds in int8 gets
 * a QuantizeLinear/DequantizeLinear pair with its scale and zero point;
 * the weights of Conv, Gemm and MatMul become the program's int8 weights
 * and their biases its int32 ones, each behind a DequantizeLinear. What
 * the program folds (Relu and Clip into the op before, the LayerNorm and
 * GELU chains, shape arithmetic) gets no pair inside, so a QDQ runtime
 * (ONNX Runtime) runs the same quantized ops with the same numbers.
 *
 * Copyright (c) 2026 The qnpu authors
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnet.h"

/* The rewritten graph: its nodes and initializers, and what it allocated. */
struct qdq_out {
	Onnx__NodeProto **nodes;
	size_t nnodes, node_cap;
	Onnx__TensorProto **inits;
	size_t ninits, init_cap;
	void **owned;
	size_t nowned, owned_cap;
	int err;
};

/* Grow *@arr (of pointers) to hold one more; false with q->err set. */
static bool room(struct qdq_out *q, void ***arr, size_t n, size_t *cap)
{
	void **p;

	if (n < *cap)
		return true;
	p = realloc(*arr, sizeof(*p) * (*cap ? *cap * 2 : 64));
	if (!p) {
		q->err = -ENOMEM;
		return false;
	}
	*arr = p;
	*cap = *cap ? *cap * 2 : 64;
	return true;
}

/* @p (may be NULL: q->err) freed with the output. */
static void *own(struct qdq_out *q, void *p)
{
	if (!p || !room(q, &q->owned, q->nowned, &q->owned_cap)) {
		if (!p)
			q->err = -ENOMEM;
		free(p);
		return NULL;
	}
	q->owned[q->nowned++] = p;
	return p;
}

static char *name_of(struct qdq_out *q, const char *base, const char *suffix)
{
	size_t len = strlen(base) + strlen(suffix) + 1;
	char *s = own(q, malloc(len));

	if (s)
		snprintf(s, len, "%s%s", base, suffix);
	return s;
}

static void add_node(struct qdq_out *q, Onnx__NodeProto *nd)
{
	if (nd && room(q, (void ***)&q->nodes, q->nnodes, &q->node_cap))
		q->nodes[q->nnodes++] = nd;
}

/* An initializer @name of ONNX @type, @ndims @dims, @bytes of @data. */
static const char *add_init(struct qdq_out *q, const char *name, int type, const int64_t *dims,
			    size_t ndims, const void *data, size_t bytes)
{
	Onnx__TensorProto *t = own(q, calloc(1, sizeof(*t)));
	int64_t *d = own(q, calloc(ndims ? ndims : 1, sizeof(*d)));
	uint8_t *raw = own(q, malloc(bytes ? bytes : 1));

	if (!t || !d || !raw || !room(q, (void ***)&q->inits, q->ninits, &q->init_cap))
		return NULL;
	onnx__tensor_proto__init(t);
	if (ndims)	/* a scalar has no dims (and @dims may be NULL) */
		memcpy(d, dims, sizeof(*d) * ndims);
	memcpy(raw, data, bytes);
	t->name = (char *)name;
	t->has_data_type = 1;
	t->data_type = type;
	t->n_dims = ndims;
	t->dims = d;
	t->has_raw_data = 1;
	t->raw_data.len = bytes;
	t->raw_data.data = raw;
	q->inits[q->ninits++] = t;
	return name;
}

/* QuantizeLinear or DequantizeLinear of @x with @scale and @zp into @y (@axis < 0: none). */
static void add_qdq_node(struct qdq_out *q, const char *op, const char *x, const char *scale,
			 const char *zp, const char *y, int64_t axis)
{
	Onnx__NodeProto *nd = own(q, calloc(1, sizeof(*nd)));
	char **in = own(q, calloc(3, sizeof(char *)));
	char **out = own(q, calloc(1, sizeof(char *)));
	Onnx__AttributeProto *a = own(q, calloc(1, sizeof(*a)));
	Onnx__AttributeProto **attrs = own(q, calloc(1, sizeof(*attrs)));

	if (!nd || !in || !out || !a || !attrs || !x || !scale || !zp || !y)
		return;
	onnx__node_proto__init(nd);
	in[0] = (char *)x;
	in[1] = (char *)scale;
	in[2] = (char *)zp;
	out[0] = (char *)y;
	nd->n_input = 3;
	nd->input = in;
	nd->n_output = 1;
	nd->output = out;
	nd->op_type = (char *)op;
	nd->name = name_of(q, y, strcmp(op, "QuantizeLinear") ? "/dq" : "/q");
	if (axis >= 0) {
		onnx__attribute_proto__init(a);
		a->name = "axis";
		a->has_type = 1;
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
		a->has_i = 1;
		a->i = axis;
		attrs[0] = a;
		nd->n_attribute = 1;
		nd->attribute = attrs;
	}
	add_node(q, nd);
}

/* Q and DQ of the activation @x (parameters @p): @x's quantized copy is @y. */
static void add_activation_qdq(struct qdq_out *q, const char *x, const char *y,
			       const struct npu_qparams *p)
{
	int8_t zp = (int8_t)p->zero_point;
	const char *s = add_init(q, name_of(q, y, "/scale"), ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
				 NULL, 0, &p->scale, sizeof(float));
	const char *z = add_init(q, name_of(q, y, "/zero_point"),
				 ONNX__TENSOR_PROTO__DATA_TYPE__INT8, NULL, 0, &zp, 1);
	const char *xq = name_of(q, y, "/quantized");

	add_qdq_node(q, "QuantizeLinear", x, s, z, xq, -1);
	add_qdq_node(q, "DequantizeLinear", xq, s, z, y, -1);
}

/* A shallow copy of @nd whose input and output arrays are its own. */
static Onnx__NodeProto *copy_node(struct qdq_out *q, const Onnx__NodeProto *nd)
{
	Onnx__NodeProto *c = own(q, malloc(sizeof(*c)));
	char **in = own(q, calloc(nd->n_input + 1, sizeof(char *)));
	char **out = own(q, calloc(nd->n_output + 1, sizeof(char *)));

	if (!c || !in || !out)
		return NULL;
	*c = *nd;
	memcpy(in, nd->input, sizeof(char *) * nd->n_input);
	memcpy(out, nd->output, sizeof(char *) * nd->n_output);
	c->input = in;
	c->output = out;
	return c;
}

/* The fvalue @name when the program holds it in int8, else -1. */
static int held_value(struct fnet *n, const char *name)
{
	int v = value_id(n, name, false);

	return v >= 0 && n->vals[v].tensor >= 0 && !n->vals[v].is_const ? v : -1;
}

/* The conv or FC node of the net that computes the value @out, or NULL. */
static const struct fnode *weighted_node(const struct fnet *n, int out)
{
	int i;

	for (i = 0; out >= 0 && i < n->nnodes; i++) {
		const struct fnode *f = &n->nodes[i];

		if (f->out == out && (f->kind == F_CONV || f->kind == F_FC) && f->w)
			return f;
	}
	return NULL;
}

/*
 * The program's int8 weights @w (OHWI, @f's shape) in ONNX's layout: a
 * Conv's OIHW, or a matrix's [K, N] (@kn) or [N, K].
 */
static int8_t *onnx_layout(const struct fnode *f, const int8_t *w, bool conv, bool kn)
{
	size_t K = (size_t)f->kh * f->kw * f->cin_g, o, i, y, x, c;
	int8_t *out = malloc((size_t)f->cout * K);

	if (!out)
		return NULL;
	for (o = 0; o < f->cout; o++) {
		for (y = 0; y < f->kh; y++) {
			for (x = 0; x < f->kw; x++) {
				for (c = 0; c < f->cin_g; c++) {
					i = ((o * f->kh + y) * f->kw + x) * f->cin_g + c;
					if (conv)
						out[((o * f->cin_g + c) * f->kh + y) * f->kw + x] = w[i];
					else
						out[kn ? i * f->cout + o : i] = w[i];
				}
			}
		}
	}
	return out;
}

/* Scales and zero points of per-channel (or per-tensor) weights, as initializers. */
static void weight_params(struct qdq_out *q, const char *base, const float *scales,
			  const void *zps, int zp_type, size_t zp_size, uint32_t count,
			  const char **s, const char **z)
{
	int64_t dim = count;
	size_t nd = count > 1 ? 1 : 0;

	*s = add_init(q, name_of(q, base, "/scale"), ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
		      &dim, nd, scales, sizeof(float) * count);
	*z = add_init(q, name_of(q, base, "/zero_point"), zp_type, &dim, nd, zps,
		      zp_size * count);
}

/* Input @k of @c (a weight, ONNX @dims) as the program's int8 behind a DequantizeLinear. */
static void export_weight(struct qdq_out *q, Onnx__NodeProto *c, size_t k,
			  const struct fnode *f, const struct fnet_qweights *w,
			  const Onnx__TensorProto *t, bool per_tensor)
{
	bool conv = !strcmp(c->op_type, "Conv");
	bool kn = !conv && (!strcmp(c->op_type, "MatMul") ||
			    !npu_onnx_attr_i(c, "transB", 0));
	int8_t *w8 = own(q, onnx_layout(f, w->w8, conv, kn));
	uint32_t count = per_tensor ? 1 : f->cout;
	const char *base = name_of(q, c->input[k], "/int8"), *s = NULL, *z = NULL, *wq;
	int8_t *zeros = own(q, calloc(f->cout, 1));

	if (!w8 || !zeros || !base)
		return;
	weight_params(q, base, w->scales, zeros, ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 1,
		      count, &s, &z);
	wq = add_init(q, name_of(q, base, "/quantized"), ONNX__TENSOR_PROTO__DATA_TYPE__INT8,
		      t->dims, t->n_dims, w8, (size_t)f->cout * w->inner);
	add_qdq_node(q, "DequantizeLinear", wq, s, z, base, per_tensor ? -1 : kn ? 1 : 0);
	c->input[k] = (char *)base;
}

/* Input @k of @c (a bias) as the program's int32 at S_in S_w behind a DequantizeLinear. */
static void export_bias(struct qdq_out *q, Onnx__NodeProto *c, size_t k,
			const struct fnode *f, const struct fnet_qweights *w, float in_scale)
{
	const char *base = name_of(q, c->input[k], "/int32"), *s = NULL, *z = NULL, *bq;
	float *scales = own(q, calloc(f->cout, sizeof(float)));
	int32_t *zeros = own(q, calloc(f->cout, sizeof(int32_t)));
	int64_t dim = f->cout;
	uint32_t o;

	if (!base || !scales || !zeros)
		return;
	for (o = 0; o < f->cout; o++)
		scales[o] = in_scale * w->scales[o];
	weight_params(q, base, scales, zeros, ONNX__TENSOR_PROTO__DATA_TYPE__INT32,
		      sizeof(int32_t), f->cout, &s, &z);
	bq = add_init(q, name_of(q, base, "/quantized"), ONNX__TENSOR_PROTO__DATA_TYPE__INT32,
		      &dim, 1, w->b32, sizeof(int32_t) * f->cout);
	add_qdq_node(q, "DequantizeLinear", bq, s, z, base, f->cout > 1 ? 0 : -1);
	c->input[k] = (char *)base;
}

/* Whether @c's constant weights (@t) can take the program's: one layout we know. */
static int weights_exportable(struct fnet *n, const Onnx__NodeProto *c,
			      const Onnx__TensorProto *t, const struct fnode *f)
{
	uint64_t count = 1;
	size_t d;

	for (d = 0; d < t->n_dims; d++)
		count *= t->dims[d];
	if (!strcmp(c->op_type, "Gemm") &&
	    (npu_onnx_attr_f(c, "alpha", 1) != 1 || npu_onnx_attr_f(c, "beta", 1) != 1 ||
	     npu_onnx_attr_i(c, "transA", 0)))
		return ferr(n, -EOPNOTSUPP, "node %s (Gemm): no QDQ export with alpha or beta "
			    "other than 1 or transA", c->name);
	if (count != (uint64_t)f->cout * f->kh * f->kw * f->cin_g ||
	    (strcmp(c->op_type, "Conv") && t->n_dims != 2))
		return ferr(n, -EOPNOTSUPP, "node %s (%s): weights of %zu dimensions do not "
			    "export as the program holds them", c->name, c->op_type, t->n_dims);
	return 0;
}

/* The weights and bias of @c (Conv, Gemm, MatMul by a constant) as the program's. */
static int export_weights(struct qdq_out *q, struct fnet *n, const Onnx__GraphProto *g,
			  Onnx__NodeProto *c, const struct npu_qparams *qp,
			  const struct npu_onnx_import_opts *o)
{
	bool matmul = !strcmp(c->op_type, "MatMul");
	struct fnet_qweights w = { 0 };
	const Onnx__TensorProto *t;
	const struct fnode *f;
	int ret;

	if (!matmul && strcmp(c->op_type, "Conv") && strcmp(c->op_type, "Gemm"))
		return 0;
	t = c->n_input > 1 ? fnet_const(n, g, c->input[1]) : NULL;
	f = t ? weighted_node(n, value_id(n, c->output[0], false)) : NULL;
	if (!f)		/* a product of two activations */
		return 0;
	ret = weights_exportable(n, c, t, f) ?:
	      fnet_qweights(f, o, qp[f->in[0]].scale, &w);
	if (ret)
		return ret;
	export_weight(q, c, 1, f, &w, t, o->granularity == NPU_ONNX_PER_TENSOR);
	/* A MatMul's bias is the Add after it, which stays in float. */
	if (!matmul && c->n_input > 2 && c->input[2][0])
		export_bias(q, c, 2, f, &w, qp[f->in[0]].scale);
	fnet_qweights_free(&w);
	return q->err;
}

/* Node @nd rewritten: inputs renamed, weights exported, a Q/DQ pair after each held output. */
static int export_node(struct qdq_out *q, struct fnet *n, const Onnx__GraphProto *g,
		       const Onnx__NodeProto *nd, const struct npu_qparams *qp,
		       const struct npu_onnx_import_opts *o,
		       char *const *from, char *const *to, size_t nrenamed)
{
	Onnx__NodeProto *c = copy_node(q, nd);
	size_t k, r;
	int v, ret;

	if (!c)
		return q->err;
	for (k = 0; k < c->n_input; k++) {
		for (r = 0; r < nrenamed; r++) {
			if (!strcmp(c->input[k], from[r]))
				c->input[k] = to[r];
		}
	}
	ret = export_weights(q, n, g, c, qp, o);
	if (ret)
		return ret;
	add_node(q, c);
	for (k = 0; k < c->n_output; k++) {
		v = held_value(n, nd->output[k]);
		if (v < 0)
			continue;
		c->output[k] = name_of(q, nd->output[k], "/float");
		add_activation_qdq(q, c->output[k], nd->output[k], &qp[v]);
	}
	return q->err;
}

/* Whether a node of the rewritten graph reads @name. */
static bool used(const struct qdq_out *q, const char *name)
{
	size_t i, k;

	for (i = 0; i < q->nnodes; i++) {
		for (k = 0; k < q->nodes[i]->n_input; k++) {
			if (!strcmp(q->nodes[i]->input[k], name))
				return true;
		}
	}
	return false;
}

/* The model with the rewritten graph, the float weights it no longer reads dropped. */
static int write_model(struct fnet *n, struct qdq_out *q, const Onnx__ModelProto *model,
		       const char *path)
{
	Onnx__GraphProto g = *model->graph;
	Onnx__ModelProto m = *model;
	Onnx__TensorProto **inits = own(q, calloc(g.n_initializer + q->ninits + 1,
						   sizeof(*inits)));
	size_t i, len, ninits = 0;
	uint8_t *buf;
	FILE *f;
	int ret = 0;

	if (!inits)
		return q->err;
	for (i = 0; i < g.n_initializer; i++) {
		if (used(q, g.initializer[i]->name))
			inits[ninits++] = g.initializer[i];
	}
	memcpy(inits + ninits, q->inits, sizeof(*inits) * q->ninits);
	g.initializer = inits;
	g.n_initializer = ninits + q->ninits;
	g.node = q->nodes;
	g.n_node = q->nnodes;
	m.graph = &g;
	len = onnx__model_proto__get_packed_size(&m);
	buf = own(q, malloc(len ? len : 1));
	if (!buf)
		return q->err;
	onnx__model_proto__pack(&m, buf);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len)
		ret = errno ? -errno : -EIO;
	if (f && fclose(f) && !ret)
		ret = -errno;
	return ret ? ferr(n, ret, "%s: %s", path, strerror(-ret)) : 0;
}

/* Q/DQ after each float graph input the program quantizes; consumers read the copy. */
static int export_inputs(struct qdq_out *q, struct fnet *n, const Onnx__GraphProto *g,
			 const struct npu_qparams *qp, char **from, char **to, size_t *count)
{
	size_t i;
	int v;

	for (i = 0; i < g->n_input && *count < NPU_ONNX_MAX_IO; i++) {
		v = held_value(n, g->input[i]->name);
		if (v < 0)
			continue;
		from[*count] = g->input[i]->name;
		to[*count] = name_of(q, g->input[i]->name, "/dequantized");
		add_activation_qdq(q, from[*count], to[*count], &qp[v]);
		(*count)++;
	}
	return q->err;
}

int fnet_export_qdq(struct fnet *n, const struct npu_onnx *m, const struct npu_qparams *qp,
		    const struct npu_onnx_import_opts *o, const char *path)
{
	const Onnx__GraphProto *g = npu_onnx_graph(m);
	char *from[NPU_ONNX_MAX_IO], *to[NPU_ONNX_MAX_IO];
	struct qdq_out q = { 0 };
	size_t i, nrenamed = 0;
	int ret;

	if (npu_onnx_opset(m) < 13)
		return ferr(n, -EOPNOTSUPP, "QDQ export needs opset 13 or newer (per-axis "
			    "DequantizeLinear); the model has %lld", (long long)npu_onnx_opset(m));
	ret = export_inputs(&q, n, g, qp, from, to, &nrenamed);
	for (i = 0; !ret && i < g->n_node; i++)
		ret = export_node(&q, n, g, g->node[i], qp, o, from, to, nrenamed);
	if (!ret)
		ret = write_model(n, &q, npu_onnx_model(m), path);
	else if (q.err)
		ferr(n, ret, "QDQ export: %s", strerror(-ret));
	for (i = 0; i < q.nowned; i++)
		free(q.owned[i]);
	free(q.owned);
	free(q.nodes);
	free(q.inits);
	return ret;
}
