// SPDX-License-Identifier: MIT
/*
 * libnpu ONNX import: Transpose, Reshape, Flatten, Squeeze and Unsqueeze of
 * activations, and Concat along an axis the graph holds as H or W, right by
 * construction. A plain value (struct fvalue) holds
 * its bytes in the model's order, so reshaping it keeps them (F_FLATTEN,
 * NPU_OP_RESHAPE); an image (NCHW held NHWC) is first transposed to NCHW.
 * A Transpose writes its result plain (F_TRANSPOSE, NPU_OP_TRANSPOSE: one
 * strided device copy). The batch axis stays first throughout.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fnet.h"

/* A node of @kind from value @in to the value named @out_name; NULL without memory. */
static struct fnode *add_moved(struct fnet *n, const Onnx__NodeProto *nd, enum fkind kind,
			       int in, const char *out_name)
{
	struct fnode *f = fnet_add_node(n, kind, nd);

	if (!f)
		return NULL;
	f->in[0] = in;
	f->out = value_id(n, out_name, true);
	return f->out < 0 ? NULL : f;
}

/*
 * The NHWC permutation taking @in to @out, whose model axis j is @in's
 * axis @perm[j]; extents of 1 that neither names fill the rest.
 */
static void physical_perm(const struct fvalue *in, const struct fvalue *out,
			  const int64_t *perm, uint32_t phys[4])
{
	bool used[4] = { false };
	int j, p, q = 0;

	for (p = 0; p < 4; p++)
		phys[p] = 4;
	for (j = 0; j < in->rank; j++) {
		p = fvalue_axis(in, perm[j]);
		phys[fvalue_axis(out, j)] = p;
		used[p] = true;
	}
	for (p = 0; p < 4; p++) {
		if (phys[p] != 4)
			continue;
		while (used[q])
			q++;
		phys[p] = q;
		used[q] = true;
	}
}

/* @in with its model axes permuted by @perm, plain, as the value named @out_name. */
static int transpose_to(struct fnet *n, const Onnx__NodeProto *nd, int in, const int64_t *perm,
			const char *out_name, int *out)
{
	struct fnode *f = add_moved(n, nd, F_TRANSPOSE, in, out_name);
	int64_t d[4], od[4];
	int j, rank;

	if (!f)
		return -ENOMEM;
	rank = fvalue_dims(&n->vals[in], 1, d);
	for (j = 0; j < rank; j++)
		od[j] = d[perm[j]];
	fvalue_set_plain(&n->vals[f->out], rank, od);
	physical_perm(&n->vals[in], &n->vals[f->out], perm, f->perm);
	*out = f->out;
	return 0;
}

/* @in as the plain value named @out_name of the model's extents @dims (dims[0] the batch). */
static int reshape_to(struct fnet *n, const Onnx__NodeProto *nd, int in, int rank,
		      const int64_t *dims, const char *out_name)
{
	static const int64_t same[4] = { 0, 1, 2, 3 };
	char nchw[160];
	struct fnode *f;
	int ret;

	if (!fvalue_is_plain(&n->vals[in])) {
		snprintf(nchw, sizeof(nchw), "%.120s (NCHW)", n->vals[in].name);
		ret = transpose_to(n, nd, in, same, nchw, &in);
		if (ret)
			return ret;
	}
	f = add_moved(n, nd, F_FLATTEN, in, out_name);
	if (!f)
		return -ENOMEM;
	fvalue_set_plain(&n->vals[f->out], rank, dims);
	return 1;
}

/* Transpose: any permutation that keeps the batch axis first. */
static int transpose(struct fnet *n, const Onnx__NodeProto *nd, int in, const char *where)
{
	static const struct npu_onnx_attr_spec attrs[] = { NPU_ATTR_INTS("perm", 0), { NULL } };
	const Onnx__AttributeProto *a = npu_onnx_attr(nd, "perm");
	int rank = n->vals[in].rank, j, out, ret;
	int64_t perm[4];
	bool seen[4] = { false };
	char why[160];

	if (npu_onnx_check_attrs(nd, attrs, why, sizeof(why)))
		return ferr(n, -EOPNOTSUPP, "%s: %s", where, why);
	if (a && a->n_ints != (size_t)rank)
		return ferr(n, -EPROTO, "%s: perm of %zu axes for a %d-D tensor", where,
			    a->n_ints, rank);
	for (j = 0; j < rank; j++) {
		perm[j] = a ? a->ints[j] : rank - 1 - j;
		if (perm[j] < 0 || perm[j] >= rank || seen[perm[j]])
			return ferr(n, -EPROTO, "%s: perm is not a permutation", where);
		seen[perm[j]] = true;
	}
	if (perm[0])
		return ferr(n, -EOPNOTSUPP, "%s: a Transpose that moves the batch axis", where);
	ret = transpose_to(n, nd, in, perm, nd->output[0], &out);
	return ret ?: 1;
}

/* Reshape's target extents (0 copies, -1 is inferred) for @in of @total elements. */
static int reshape_dims(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
			const int64_t *d, int rank, uint64_t total, int64_t *out,
			const char *where)
{
	int count = fnet_ints(n, g, nd, 1, out, 4), j, infer = -1;
	bool allowzero = npu_onnx_attr_i(nd, "allowzero", 0);
	uint64_t known = 1;

	if (count < 0)
		return ferr(n, -EOPNOTSUPP,
			    "%s: a Reshape to a shape computed at run time or of more than 4 axes",
			    where);
	for (j = 0; j < count; j++) {
		if (out[j] == 0 && !allowzero && j < rank)
			out[j] = d[j];
		if (out[j] == -1 && infer < 0)
			infer = j;
		else if (out[j] <= 0)
			return ferr(n, -EPROTO, "%s: extent %lld", where, (long long)out[j]);
		else
			known *= out[j];
	}
	if (infer >= 0 && known && total % known == 0)
		out[infer] = total / known;
	else if (infer >= 0 || known != total)
		return ferr(n, -EPROTO, "%s: %llu elements cannot take that shape", where,
			    (unsigned long long)total);
	return count;
}

/* Squeeze and Unsqueeze: the extents with the axes (attribute, or input from opset 13). */
static int squeeze_dims(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
			const int64_t *d, int rank, int64_t *out, const char *where)
{
	bool un = !strcmp(nd->op_type, "Unsqueeze");
	const Onnx__AttributeProto *a = npu_onnx_attr(nd, "axes");
	int64_t axes[4];
	int count = a ? (int)a->n_ints : fnet_ints(n, g, nd, 1, axes, 4), j, k, r;
	bool hit[8] = { false };

	if (a && n->opset >= 13)
		return ferr(n, -EOPNOTSUPP, "%s: attribute 'axes' (an input from opset 13)", where);
	if (!a && n->opset < 13 && nd->n_input > 1)
		return ferr(n, -EOPNOTSUPP, "%s: a second input (the axes are an attribute before "
			    "opset 13)", where);
	r = un ? rank + count : rank;
	for (j = 0; a && j < count && j < 4; j++)
		axes[j] = a->ints[j];
	if (count <= 0 || count > 4 || r > 4)
		return ferr(n, -EOPNOTSUPP, "%s: %s without constant axes", where, nd->op_type);
	for (j = 0; j < count; j++) {
		k = axes[j] < 0 ? axes[j] + r : axes[j];
		if (k <= 0 || k >= r || hit[k] || (!un && d[k] != 1))
			return ferr(n, -EOPNOTSUPP, "%s: axis %lld (not the batch, once, of extent 1)",
				    where, (long long)axes[j]);
		hit[k] = true;
	}
	for (j = 0, k = 0; j < (un ? r : rank); j++) {
		if (un)
			out[j] = hit[j] ? 1 : d[k++];
		else if (!hit[j])
			out[k++] = d[j];
	}
	return un ? r : rank - count;
}

/* Reshape, Flatten (at axis 1), Squeeze, Unsqueeze: the same values, new extents. */
static int reshape(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
		   int in, const char *where)
{
	static const struct npu_onnx_attr_spec reshape_attrs[] = {
		NPU_ATTR_I("allowzero"), { NULL }
	};
	static const struct npu_onnx_attr_spec axis_attrs[] = { NPU_ATTR_I("axis"), { NULL } };
	static const struct npu_onnx_attr_spec axes_attrs[] = {
		NPU_ATTR_INTS("axes", 0), { NULL }
	};
	const struct npu_onnx_attr_spec *spec = !strcmp(nd->op_type, "Reshape") ? reshape_attrs :
						!strcmp(nd->op_type, "Flatten") ? axis_attrs :
						axes_attrs;
	int64_t d[4], out[4];
	int rank = fvalue_dims(&n->vals[in], n->batch, d), r;
	uint64_t total = vcount(&n->vals[in]) * n->batch;
	char why[160];

	if (npu_onnx_check_attrs(nd, spec, why, sizeof(why)))
		return ferr(n, -EOPNOTSUPP, "%s: %s", where, why);
	if (!strcmp(nd->op_type, "Flatten")) {
		if (npu_onnx_attr_i(nd, "axis", 1) != 1)
			return ferr(n, -EOPNOTSUPP, "%s: Flatten at axis %lld (1 only)", where,
				    (long long)npu_onnx_attr_i(nd, "axis", 1));
		out[0] = n->batch;
		out[1] = total / n->batch;
		r = 2;
	} else if (!strcmp(nd->op_type, "Reshape")) {
		r = reshape_dims(n, g, nd, d, rank, total, out, where);
	} else {
		r = squeeze_dims(n, g, nd, d, rank, out, where);
	}
	if (r < 0)
		return r;
	if (r < 2 || r > 4 || out[0] != n->batch)
		return ferr(n, -EOPNOTSUPP,
			    "%s: a result of %d axes whose first is %lld (2 to 4 axes, the batch %u first)",
			    where, r, (long long)out[0], n->batch);
	return reshape_to(n, nd, in, r, out, nd->output[0]);
}

int fnet_swap_dims(struct fnet *n, const Onnx__NodeProto *nd, int in, int p, const char *name,
		     const struct fvalue *like)
{
	struct fnode *f = add_moved(n, nd, F_TRANSPOSE, in, name);
	struct fvalue *v;
	int d;

	if (!f)
		return -ENOMEM;
	for (d = 0; d < 4; d++)
		f->perm[d] = d == p ? 3 : d == 3 ? (uint32_t)p : (uint32_t)d;
	v = &n->vals[f->out];
	for (d = 0; d < 4; d++)
		v->shape[d] = n->vals[in].shape[f->perm[d]];
	v->rank = like->rank;
	v->plain = like->plain;
	return f->out;
}

/*
 * Concat along an axis the graph holds as H or W: each input with that dim
 * and C swapped, joined along C, swapped back (a strided copy each).
 */
static int concat_across(struct fnet *n, const Onnx__NodeProto *nd, int p, const char *where)
{
	const struct fvalue *first = &n->vals[value_id(n, nd->input[0], false)];
	struct fvalue like = *first, plain = *first;
	int in[FNODE_MAX_IN], k, v, joined;
	char name[160];
	struct fnode *f;

	static const struct npu_onnx_attr_spec attrs[] = { NPU_ATTR_I("axis"), { NULL } };
	char why[160];

	if (npu_onnx_check_attrs(nd, attrs, why, sizeof(why)))
		return ferr(n, -EOPNOTSUPP, "%s: %s", where, why);
	plain.rank = 4;
	plain.plain = true;
	if (nd->n_input > FNODE_MAX_IN)
		return ferr(n, -EOPNOTSUPP, "%s: %zu inputs (1 to %d)", where, nd->n_input,
			    FNODE_MAX_IN);
	for (k = 0; k < (int)nd->n_input; k++) {
		v = value_id(n, nd->input[k], false);
		if (v < 0 || n->vals[v].rank != like.rank || n->vals[v].plain != like.plain)
			return ferr(n, -EOPNOTSUPP,
				    "%s: input '%s' not computed earlier, or of another rank or layout",
				    where, nd->input[k]);
		snprintf(name, sizeof(name), "%.120s (axis last)", nd->input[k]);
		in[k] = fnet_swap_dims(n, nd, v, p, name, &plain);
		if (in[k] < 0)
			return in[k];
	}
	snprintf(name, sizeof(name), "%.120s (joined)", nd->output[0]);
	f = add_moved(n, nd, F_CONCAT, in[0], name);
	if (!f)
		return -ENOMEM;
	memcpy(n->vals[f->out].shape, n->vals[in[0]].shape, sizeof(n->vals[0].shape));
	n->vals[f->out].rank = 4;
	n->vals[f->out].plain = true;
	n->vals[f->out].shape[3] = 0;
	for (k = 0; k < (int)nd->n_input; k++) {
		f->in[k] = in[k];
		if (memcmp(n->vals[in[k]].shape, n->vals[in[0]].shape, 3 * sizeof(uint32_t)))
			return ferr(n, -EPROTO, "%s: inputs differ outside axis %d", where, p);
		n->vals[f->out].shape[3] += n->vals[in[k]].shape[3];
	}
	joined = f->out;
	v = fnet_swap_dims(n, nd, joined, p, nd->output[0], &like);
	return v < 0 ? v : 1;
}

int fnet_reshape(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
		 const char *where)
{
	static const char *const ops[] = { "Transpose", "Reshape", "Flatten", "Squeeze",
					   "Unsqueeze" };
	int in = nd->n_input ? value_id(n, nd->input[0], false) : -1, p;
	size_t i;

	if (!strcmp(nd->op_type, "Concat") && in >= 0) {
		p = fvalue_axis(&n->vals[in], npu_onnx_attr_i(nd, "axis", 1));
		if (p == 1 || p == 2)
			return concat_across(n, nd, p, where);
	}

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]) && strcmp(nd->op_type, ops[i]); i++)
		;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return 0;
	if (in < 0)
		return ferr(n, -EPROTO, "%s: input '%s' is computed by no earlier node", where,
			    nd->n_input ? nd->input[0] : "");
	return i ? reshape(n, g, nd, in, where) : transpose(n, nd, in, where);
}
