// SPDX-License-Identifier: MIT
/*
 * libnpu ONNX import: shape arithmetic folded to constants. Exporters
 * leave `x.size(0)` and `x.shape[1] // 2` in the graph as Shape, Gather,
 * Unsqueeze, Concat, Add, Div... feeding a Reshape or a Slice; the input's
 * shape is fixed, so each such node has one value, computed here while
 * the net is lowered and read where a constant is expected (fnet_const()).
 * Only integer tensors are folded: float arithmetic is the model's own.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnet.h"

/* A folded value: int64, at most NPU_ONNX_MAX_DIMS dims. */
struct ival {
	int64_t *v;
	size_t count, ndims;
	int64_t dims[NPU_ONNX_MAX_DIMS];
};

const Onnx__TensorProto *fnet_const(const struct fnet *n, const Onnx__GraphProto *g,
				    const char *name)
{
	int i;

	for (i = 0; i < n->nfolded; i++) {
		if (!strcmp(n->folded[i]->name, name))
			return n->folded[i];
	}
	return npu_onnx_constant(g, name);
}

/* Input @k of @nd as integers; false if it is not an integer constant. */
static bool ival_of(const struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
		    size_t k, struct ival *iv)
{
	const Onnx__TensorProto *t = k < nd->n_input ? fnet_const(n, g, nd->input[k]) : NULL;
	struct npu_onnx_tensor d;
	size_t i;

	if (!t || npu_onnx_decode(t, &d, "", NULL, 0))
		return false;
	if (d.type != NPU_ONNX_INT64 && d.type != NPU_ONNX_INT32) {
		npu_onnx_tensor_release(&d);
		return false;
	}
	iv->v = malloc(sizeof(int64_t) * (d.count ? d.count : 1));
	for (i = 0; iv->v && i < d.count; i++)
		iv->v[i] = d.type == NPU_ONNX_INT64 ? ((int64_t *)d.data)[i] :
			   ((int32_t *)d.data)[i];
	iv->count = d.count;
	iv->ndims = d.ndims;
	memcpy(iv->dims, d.dims, sizeof(iv->dims));
	npu_onnx_tensor_release(&d);
	return iv->v != NULL;
}

/* The model's shape of value @v. */
static void shape_of(const struct fnet *n, const struct fvalue *v, struct ival *out)
{
	out->ndims = 1;
	out->count = out->dims[0] = fvalue_dims(v, n->batch, out->v);
}

static int64_t arith(const char *op, int64_t a, int64_t b)
{
	if (!strcmp(op, "Add"))
		return a + b;
	if (!strcmp(op, "Sub"))
		return a - b;
	if (!strcmp(op, "Mul"))
		return a * b;
	return b ? a / b : 0;	/* Div: integers truncate (b == 0 refused before) */
}

/* Add, Sub, Mul, Div of @a and @b, either of one element or both alike. */
static int fold_arith(const Onnx__NodeProto *nd, const struct ival *a, const struct ival *b,
		      struct ival *out, char *why, size_t len)
{
	const struct ival *big = a->count >= b->count ? a : b;
	size_t i;

	if (a->count != b->count && a->count != 1 && b->count != 1)
		return snprintf(why, len, "shape arithmetic on %zu and %zu values", a->count,
				b->count), -EOPNOTSUPP;
	*out = *big;
	out->v = malloc(sizeof(int64_t) * (big->count ? big->count : 1));
	if (!out->v)
		return -ENOMEM;
	for (i = 0; i < big->count; i++) {
		int64_t y = b->v[b->count == 1 ? 0 : i];

		if (!strcmp(nd->op_type, "Div") && !y)
			return snprintf(why, len, "a division by zero"), -EPROTO;
		out->v[i] = arith(nd->op_type, a->v[a->count == 1 ? 0 : i], y);
	}
	return 0;
}

/* Gather along axis 0 of a 1-D @data; the indices' shape. */
static int fold_gather(const Onnx__NodeProto *nd, const struct ival *data,
		       const struct ival *idx, struct ival *out, char *why, size_t len)
{
	size_t i;

	if (npu_onnx_attr_i(nd, "axis", 0) != 0 || data->ndims != 1)
		return snprintf(why, len, "a Gather of shape values other than along axis 0 of 1-D"),
		       -EOPNOTSUPP;
	*out = *idx;
	out->v = malloc(sizeof(int64_t) * (idx->count ? idx->count : 1));
	if (!out->v)
		return -ENOMEM;
	for (i = 0; i < idx->count; i++) {
		int64_t k = idx->v[i] < 0 ? idx->v[i] + (int64_t)data->count : idx->v[i];

		if (k < 0 || k >= (int64_t)data->count)
			return snprintf(why, len, "index %lld out of %zu", (long long)idx->v[i],
					data->count), -EPROTO;
		out->v[i] = data->v[k];
	}
	return 0;
}

/* Concat (axis 0) of the 1-D or scalar inputs; Unsqueeze/Squeeze/Cast/Identity of input 0. */
static int fold_join(const struct fnet *n, const Onnx__GraphProto *g,
		     const Onnx__NodeProto *nd, const struct ival *in0, struct ival *out)
{
	size_t k;

	*out = *in0;
	out->v = malloc(sizeof(int64_t) * (in0->count ? in0->count : 1));
	if (!out->v)
		return -ENOMEM;
	memcpy(out->v, in0->v, sizeof(int64_t) * in0->count);
	if (!strcmp(nd->op_type, "Cast") &&
	    npu_onnx_attr_i(nd, "to", 0) != ONNX__TENSOR_PROTO__DATA_TYPE__INT64 &&
	    npu_onnx_attr_i(nd, "to", 0) != ONNX__TENSOR_PROTO__DATA_TYPE__INT32)
		return -EAGAIN;	/* to float: the net's own arithmetic */
	if (!strcmp(nd->op_type, "Concat") && npu_onnx_attr_i(nd, "axis", 0) != 0 &&
	    npu_onnx_attr_i(nd, "axis", 0) != -1)
		return -EAGAIN;
	if (strcmp(nd->op_type, "Concat")) {
		/* Values stay; only the rank changes, and consumers read the values. */
		out->ndims = 1;
		out->dims[0] = out->count;
		return 0;
	}
	for (k = 1; k < nd->n_input; k++) {
		struct ival b;
		int64_t *v;

		if (!ival_of(n, g, nd, k, &b))
			return -EAGAIN;
		v = realloc(out->v, sizeof(int64_t) * (out->count + b.count + 1));
		if (v)
			memcpy(v + out->count, b.v, sizeof(int64_t) * b.count);
		out->v = v ? v : out->v;
		out->count += v ? b.count : 0;
		free(b.v);
		if (!v)
			return -ENOMEM;
	}
	out->ndims = 1;
	out->dims[0] = out->count;
	return 0;
}

/* Input @k of a Slice as one integer; @dflt when absent, false when not constant. */
static bool slice_arg(const struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
		      size_t k, int64_t dflt, int64_t *v)
{
	struct ival iv;
	bool one;

	if (k >= nd->n_input || !nd->input[k][0]) {
		*v = dflt;
		return true;
	}
	if (!ival_of(n, g, nd, k, &iv))
		return false;
	one = iv.count == 1;
	*v = one ? iv.v[0] : 0;
	free(iv.v);
	return one;
}

/* Slice of a 1-D @data (opset 10 on: starts, ends, axes, steps are inputs). */
static int fold_slice(const struct fnet *n, const Onnx__GraphProto *g,
		      const Onnx__NodeProto *nd, const struct ival *data, struct ival *out)
{
	int64_t len = (int64_t)data->count, start, end, axis, step, i;

	if (nd->n_attribute || data->ndims != 1 || !slice_arg(n, g, nd, 1, 0, &start) ||
	    !slice_arg(n, g, nd, 2, 0, &end) || !slice_arg(n, g, nd, 3, 0, &axis) ||
	    !slice_arg(n, g, nd, 4, 1, &step) || (axis != 0 && axis != -1) || step == 0)
		return -EAGAIN;
	start = start < 0 ? start + len : start;
	end = end < 0 ? end + len : end;
	start = start < 0 ? (step > 0 ? 0 : -1) : start > len ? len : start;
	end = end < -1 ? -1 : end > len ? len : end;
	*out = *data;
	out->v = malloc(sizeof(int64_t) * (data->count ? data->count : 1));
	if (!out->v)
		return -ENOMEM;
	out->count = 0;
	for (i = start; step > 0 ? i < end : i > end; i += step) {
		if (i >= 0 && i < len)
			out->v[out->count++] = data->v[i];
	}
	out->dims[0] = out->count;
	return 0;
}

/* Keep @iv as the constant named @name. */
static int keep(struct fnet *n, const char *name, struct ival *iv)
{
	Onnx__TensorProto *t = calloc(1, sizeof(*t)), **list;

	list = realloc(n->folded, sizeof(*list) * (n->nfolded + 1));
	if (!t || !list) {
		free(t);
		free(iv->v);
		return -ENOMEM;
	}
	n->folded = list;
	onnx__tensor_proto__init(t);
	t->name = strdup(name);
	t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
	t->n_dims = iv->ndims;
	t->dims = malloc(sizeof(int64_t) * (iv->ndims ? iv->ndims : 1));
	if (t->dims)
		memcpy(t->dims, iv->dims, sizeof(int64_t) * iv->ndims);
	t->n_int64_data = iv->count;
	t->int64_data = iv->v;
	n->folded[n->nfolded++] = t;
	return t->name && t->dims ? 0 : -ENOMEM;
}

/*
 * Fold node @nd when it is shape arithmetic: 1 when folded (the node is
 * done), 0 when it is not (the net computes it), or a negative error with
 * the reason in @why.
 */
static int fold(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
		char *why, size_t len)
{
	static const char *const ops[] = { "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat",
					   "Add", "Sub", "Mul", "Div", "Cast", "Identity",
					   "Slice" };
	struct ival a = { 0 }, b = { 0 }, out = { 0 };
	int64_t buf[4];
	size_t i;
	int v, ret = -EAGAIN;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]) && strcmp(nd->op_type, ops[i]); i++)
		;
	if (i == sizeof(ops) / sizeof(ops[0]) || !nd->n_input || nd->n_output != 1)
		return 0;
	if (!strcmp(nd->op_type, "Shape")) {
		v = value_id(n, nd->input[0], false);
		if (v < 0)
			return 0;
		if (npu_onnx_attr(nd, "start") || npu_onnx_attr(nd, "end"))
			return snprintf(why, len, "Shape with start or end"), -EOPNOTSUPP;
		out.v = buf;
		shape_of(n, &n->vals[v], &out);
		out.v = malloc(sizeof(buf));
		if (!out.v)
			return -ENOMEM;
		memcpy(out.v, buf, sizeof(buf));
		return keep(n, nd->output[0], &out) ?: 1;
	}
	if (!ival_of(n, g, nd, 0, &a))
		return 0;
	if (!strcmp(nd->op_type, "Gather") || !strcmp(nd->op_type, "Add") ||
	    !strcmp(nd->op_type, "Sub") || !strcmp(nd->op_type, "Mul") ||
	    !strcmp(nd->op_type, "Div")) {
		if (ival_of(n, g, nd, 1, &b))
			ret = !strcmp(nd->op_type, "Gather") ?
			      fold_gather(nd, &a, &b, &out, why, len) :
			      fold_arith(nd, &a, &b, &out, why, len);
	} else if (!strcmp(nd->op_type, "Slice")) {
		ret = fold_slice(n, g, nd, &a, &out);
	} else {
		ret = fold_join(n, g, nd, &a, &out);
	}
	free(a.v);
	free(b.v);
	if (ret) {
		free(out.v);
		return ret == -EAGAIN ? 0 : ret;	/* -EAGAIN: an input not constant */
	}
	return keep(n, nd->output[0], &out) ?: 1;
}

int fnet_fold(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
	      const char *where)
{
	char why[160] = "";
	int ret = fold(n, g, nd, why, sizeof(why));

	if (ret < 0 && why[0])
		return ferr(n, ret, "%s: %s", where, why);
	return ret;
}

void fnet_fold_free(struct fnet *n)
{
	int i;

	for (i = 0; i < n->nfolded; i++) {
		free(n->folded[i]->name);
		free(n->folded[i]->dims);
		free(n->folded[i]->int64_data);
		free(n->folded[i]);
	}
	free(n->folded);
}
