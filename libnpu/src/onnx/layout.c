// SPDX-License-Identifier: MIT
/*
 * libnpu ONNX import: data movement whose meaning depends on the layout.
 * The model's 4-D tensors are NCHW, the graph's NHWC, so a Slice of the
 * channels or a channel shuffle (Reshape to [N, G, C/G, H, W], Transpose
 * [0, 2, 1, 3, 4], Reshape back) is not a view of the same bytes: each
 * becomes a channel gather (F_GATHER, NPU_OP_CHANNEL_GATHER: strided
 * device copies) with the index ONNX's semantics give, computed here.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnet.h"

/* The single node reading @name, its index in *at; NULL if none or several. */
static const Onnx__NodeProto *only_reader(const Onnx__GraphProto *g, const char *name,
					  size_t *at)
{
	const Onnx__NodeProto *r = NULL;
	size_t i, k;

	for (i = 0; i < g->n_node; i++) {
		for (k = 0; k < g->node[i]->n_input; k++) {
			if (strcmp(g->node[i]->input[k], name))
				continue;
			if (r)
				return NULL;
			r = g->node[i];
			*at = i;
		}
	}
	for (i = 0; i < g->n_output; i++) {
		if (!strcmp(g->output[i]->name, name))
			return NULL;
	}
	return r;
}

int fnet_ints(const struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
	      size_t k, int64_t *v, int max)
{
	const Onnx__TensorProto *t = k < nd->n_input && nd->input[k][0] ?
				     fnet_const(n, g, nd->input[k]) : NULL;
	struct npu_onnx_tensor d;
	int count, i;

	if (!t || npu_onnx_decode(t, &d, "", NULL, 0))
		return -1;
	count = d.type == NPU_ONNX_INT64 || d.type == NPU_ONNX_INT32 ? (int)d.count : -1;
	for (i = 0; i < count && i < max; i++)
		v[i] = d.type == NPU_ONNX_INT64 ? ((int64_t *)d.data)[i] : ((int32_t *)d.data)[i];
	npu_onnx_tensor_release(&d);
	return count > max ? -1 : count;
}

/* A channel gather node from value @in to @out_name, taking @index (@count). */
static int add_gather(struct fnet *n, const Onnx__NodeProto *nd, int in, const char *out_name,
		      int32_t *index, uint32_t count)
{
	struct fnode *f = fnet_add_node(n, F_GATHER, nd);
	uint32_t *o;

	if (!f) {
		free(index);
		return -ENOMEM;
	}
	f->index = index;
	f->cout = count;
	f->in[0] = in;
	f->out = value_id(n, out_name, true);
	if (f->out < 0)
		return -ENOMEM;
	o = n->vals[f->out].shape;
	memcpy(o, n->vals[in].shape, 4 * sizeof(uint32_t));
	o[3] = count;
	n->vals[f->out].rank = n->vals[in].rank;
	n->vals[f->out].plain = n->vals[in].plain;
	return 1;
}

/* ONNX Slice's first index and count along an axis of @dim, for @start, @end, @step. */
static int64_t slice_range(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t *first)
{
	int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? dim : dim - 1;

	start = start < 0 ? start + dim : start;
	end = end < 0 ? end + dim : end;
	start = start < lo ? lo : start > hi ? hi : start;
	end = end < lo ? lo : end > hi ? hi : end;
	*first = start;
	if (step > 0)
		return end > start ? (end - start + step - 1) / step : 0;
	return start > end ? (start - end - step - 1) / -step : 0;
}

/* A Slice's picks along one graph dim: @count from @first by @step. */
struct pick {
	int64_t first, count, step;
};

/* @in's graph dim @p cut to @k as the value named @name: a gather of C, or of @p swapped with C. */
static int pick_dim(struct fnet *n, const Onnx__NodeProto *nd, int in, int p,
		    const struct pick *k, const char *name)
{
	struct fvalue like = n->vals[in], plain = n->vals[in];
	char tmp[2][160];
	int32_t *index = malloc(sizeof(int32_t) * k->count);
	int64_t i;
	int ret;

	if (!index)
		return -ENOMEM;
	for (i = 0; i < k->count; i++)
		index[i] = (int32_t)(k->first + i * k->step);
	if (p == 3)
		return add_gather(n, nd, in, name, index, (uint32_t)k->count);
	plain.rank = 4;
	plain.plain = true;
	snprintf(tmp[0], sizeof(tmp[0]), "%.120s (dim %d last)", name, p);
	snprintf(tmp[1], sizeof(tmp[1]), "%.120s (dim %d cut)", name, p);
	in = fnet_swap_dims(n, nd, in, p, tmp[0], &plain);
	ret = in < 0 ? in : add_gather(n, nd, in, tmp[1], index, (uint32_t)k->count);
	if (in < 0)
		free(index);
	if (ret < 0)
		return ret;
	ret = fnet_swap_dims(n, nd, value_id(n, tmp[1], false), p, name, &like);
	return ret < 0 ? ret : 1;
}

/* The Slice's picks per graph dim of @x (whole where not sliced); an error for the batch. */
static int slice_picks(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
		       const struct fvalue *x, struct pick k[4], const char *where)
{
	int64_t st[4], en[4], ax[4] = { 0, 1, 2, 3 }, sp[4] = { 1, 1, 1, 1 };
	int nk, na, ns, j, p;

	for (p = 0; p < 4; p++)
		k[p] = (struct pick){ 0, x->shape[p], 1 };
	nk = fnet_ints(n, g, nd, 1, st, 4);
	na = nd->n_input > 3 && nd->input[3][0] ? fnet_ints(n, g, nd, 3, ax, 4) : nk;
	ns = nd->n_input > 4 && nd->input[4][0] ? fnet_ints(n, g, nd, 4, sp, 4) : nk;
	if (nk <= 0 || fnet_ints(n, g, nd, 2, en, 4) != nk || na != nk || ns != nk)
		return ferr(n, -EOPNOTSUPP, "%s: Slice bounds computed at run time", where);
	for (j = 0; j < nk; j++) {
		p = fvalue_axis(x, ax[j]);
		if (p < 0 || !sp[j])
			return ferr(n, -EPROTO, "%s: Slice axis %lld or step 0", where,
				    (long long)ax[j]);
		k[p].step = sp[j];
		k[p].count = slice_range(p ? x->shape[p] : n->batch, st[j], en[j], sp[j],
					 &k[p].first);
		if (!p && (k[p].count != n->batch || k[p].first || sp[j] != 1))
			return ferr(n, -EOPNOTSUPP, "%s: a Slice of the batch axis", where);
		if (!k[p].count)
			return ferr(n, -EOPNOTSUPP, "%s: a Slice that keeps nothing", where);
	}
	return 0;
}

/*
 * Slice along any axes but the batch: a channel gather per sliced graph
 * dim (C directly; H or W swapped with C, gathered, swapped back), the
 * last one writing the output.
 */
static int slice(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
		 const char *where)
{
	int in = value_id(n, nd->input[0], false), p, last = 3, ret;
	struct pick k[4];
	char why[160], name[160];

	if (in < 0)
		return ferr(n, -EPROTO, "%s: input '%s' is computed by no earlier node", where,
			    nd->input[0]);
	if (npu_onnx_check_attrs(nd, NULL, why, sizeof(why)))
		return ferr(n, -EOPNOTSUPP, "%s: %s", where, why);
	ret = slice_picks(n, g, nd, &n->vals[in], k, where);
	for (p = 1; !ret && p < 4; p++)
		last = k[p].count != n->vals[in].shape[p] || k[p].first || k[p].step != 1 ?
		       p : last;
	for (p = 1; !ret && p < 4; p++) {
		bool cut = k[p].count != n->vals[in].shape[p] || k[p].first || k[p].step != 1;

		if (!cut && p != last)
			continue;
		snprintf(name, sizeof(name), "%.120s (dim %d)", nd->output[0], p);
		ret = pick_dim(n, nd, in, p, &k[p], p == last ? nd->output[0] : name);
		in = value_id(n, p == last ? nd->output[0] : name, false);
		ret = ret < 0 ? ret : 0;
	}
	return ret ?: 1;
}

/* Whether a Reshape's leading extent @d keeps the batch @N (0 copies it, but for allowzero). */
static bool keeps_batch(const Onnx__NodeProto *nd, int64_t d, uint32_t N)
{
	return d == N || d == -1 || (d == 0 && !npu_onnx_attr_i(nd, "allowzero", 0));
}

/* Whether [@s5] and [@s4] are the shapes of a shuffle of [N, @C, @H, @W] in @G groups. */
static bool shuffle_shapes(const int64_t *s5, const int64_t *s4, int64_t G, uint32_t C,
			   uint32_t H, uint32_t W)
{
	return G > 0 && C % G == 0 && (s5[2] == (int64_t)C / G || s5[2] == -1) &&
	       s5[3] == H && s5[4] == W && (s4[1] == C || s4[1] == -1) && s4[2] == H &&
	       s4[3] == W;
}

/*
 * A channel shuffle starting at Reshape @nd: [N, C, H, W] to [N, G, C/G, H,
 * W], read only by a Transpose [0, 2, 1, 3, 4], read only by a Reshape to
 * [N, C, H, W]: output channel c is input channel (c % G) * C/G + c / G.
 * 0 if @nd does not start one; the two later nodes are marked in @skip.
 */
static int shuffle(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
		   bool *skip)
{
	static const struct npu_onnx_attr_spec reshape_attrs[] = {
		NPU_ATTR_I("allowzero"), { NULL }
	};
	int64_t s5[5], s4[4], perm[5] = { 0 };
	const Onnx__NodeProto *tr, *back;
	char why[160];
	const Onnx__AttributeProto *p;
	int in = value_id(n, nd->input[0], false), i;
	size_t at_tr = 0, at_back = 0;
	uint32_t C, G;
	int32_t *index;

	if (in < 0 || n->vals[in].rank != 4 || n->vals[in].plain ||
	    fnet_ints(n, g, nd, 1, s5, 5) != 5 || !(tr = only_reader(g, nd->output[0], &at_tr)) || strcmp(tr->op_type, "Transpose") ||
	    !(back = only_reader(g, tr->output[0], &at_back)) ||
	    strcmp(back->op_type, "Reshape") || fnet_ints(n, g, back, 1, s4, 4) != 4)
		return 0;
	p = npu_onnx_attr(tr, "perm");
	for (i = 0; p && p->n_ints == 5 && i < 5; i++)
		perm[i] = p->ints[i];
	C = n->vals[in].shape[3];
	if (perm[0] != 0 || perm[1] != 2 || perm[2] != 1 || perm[3] != 3 || perm[4] != 4 ||
	    tr->n_attribute != 1 || !keeps_batch(nd, s5[0], n->batch) ||
	    !keeps_batch(back, s4[0], n->batch) ||
	    npu_onnx_check_attrs(nd, reshape_attrs, why, sizeof(why)) ||
	    npu_onnx_check_attrs(back, reshape_attrs, why, sizeof(why)) ||
	    !shuffle_shapes(s5, s4, s5[1], C, n->vals[in].shape[1], n->vals[in].shape[2]))
		return 0;
	G = (uint32_t)s5[1];
	index = malloc(sizeof(int32_t) * C);
	if (!index)
		return -ENOMEM;
	for (i = 0; i < (int)C; i++)
		index[i] = (int32_t)((i % G) * (C / G) + i / G);
	skip[at_tr] = skip[at_back] = true;
	return add_gather(n, nd, in, back->output[0], index, C);
}

/*
 * Split of a 4-D value along the channels: one gather per output, of the
 * sizes the `split` input (or, before opset 13, attribute) gives, else of
 * equal parts (the last one smaller, as opset 18 says).
 */
static int split(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
		 const char *where)
{
	static const struct npu_onnx_attr_spec attrs[] = {
		NPU_ATTR_I("axis"), NPU_ATTR_INTS("split", 0), NPU_ATTR_I("num_outputs"), { NULL }
	};
	const Onnx__AttributeProto *a = npu_onnx_attr(nd, "split");
	int in = value_id(n, nd->input[0], false), ret = 1, i, count;
	int64_t sizes[FNODE_MAX_IN], axis = npu_onnx_attr_i(nd, "axis", 0), at = 0, C;
	char why[160];

	if (in < 0 || n->vals[in].rank != 4 || n->vals[in].plain || (axis != 1 && axis != -3))
		return ferr(n, -EOPNOTSUPP, "%s: a Split along axis %lld of a %u-D tensor (channels of 4-D only)",
			    where, (long long)axis, in < 0 ? 0 : n->vals[in].rank);
	if (npu_onnx_check_attrs(nd, attrs, why, sizeof(why)))
		return ferr(n, -EOPNOTSUPP, "%s: %s", where, why);
	C = n->vals[in].shape[3];
	count = nd->n_output <= FNODE_MAX_IN ? (int)nd->n_output : -1;
	for (i = 0; a && count > 0 && i < count; i++)
		sizes[i] = (size_t)i < a->n_ints ? a->ints[i] : -1;
	if (!a && nd->n_input > 1 && nd->input[1][0] && fnet_ints(n, g, nd, 1, sizes, count) != count)
		count = -1;
	if (!a && (nd->n_input < 2 || !nd->input[1][0]))
		for (i = 0; i < count; i++)
			sizes[i] = i < count - 1 ? (C + count - 1) / count :
				   C - (C + count - 1) / count * (count - 1);
	for (i = 0; i < count; i++)
		at += sizes[i] > 0 ? sizes[i] : C + 1;
	if (count <= 0 || at != C)
		return ferr(n, -EOPNOTSUPP, "%s: Split sizes that do not add up to %lld channels",
			    where, (long long)C);
	for (i = 0, at = 0; i < count && ret == 1; at += sizes[i++]) {
		int32_t *index = malloc(sizeof(int32_t) * sizes[i]);
		int64_t k;

		for (k = 0; index && k < sizes[i]; k++)
			index[k] = (int32_t)(at + k);
		ret = index ? add_gather(n, nd, in, nd->output[i], index, sizes[i]) : -ENOMEM;
	}
	return ret;
}

int fnet_layout(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
		const char *where, bool *skip)
{
	if (!strcmp(nd->op_type, "Slice"))
		return slice(n, g, nd, where);
	if (!strcmp(nd->op_type, "Split"))
		return split(n, g, nd, where);
	if (!strcmp(nd->op_type, "Reshape") && nd->n_input > 1) {
		int ret = shuffle(n, g, nd, skip);

		if (ret)
			return ret;
	}
	return fnet_reshape(n, g, nd, where);
}
