// SPDX-License-Identifier: MIT
/*
 * libnpu ONNX import: functions exporters spell as several nodes. Before
 * opset 17 (LayerNormalization) and 20 (Gelu) PyTorch writes
 *
 *   LayerNorm: ReduceMean(x) -> Sub(x, .) = d -> Pow(d, 2) -> ReduceMean
 *              -> Add(eps) -> Sqrt -> Div(d, .) [-> Mul(gamma)] [-> Add(beta)]
 *   GELU:      Div(x, sqrt 2) -> Erf -> Add(1) -> Mul(x, .) -> Mul(0.5)
 *
 * each of which becomes one node here (F_LAYERNORM, F_FN with NPU_FN_GELU),
 * its other nodes marked done. A chain that differs anywhere is left to
 * the node-by-node importer.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fnet.h"

/* A chain being matched: the nodes taken so far (graph indices). */
struct chain {
	const Onnx__GraphProto *g;
	size_t at[12];
	int len;
};

/* How many inputs of nodes read @name (a graph output counts as one more). */
static int readers(const Onnx__GraphProto *g, const char *name)
{
	size_t i, k;
	int count = 0;

	for (i = 0; i < g->n_node; i++)
		for (k = 0; k < g->node[i]->n_input; k++)
			count += !strcmp(g->node[i]->input[k], name);
	for (i = 0; i < g->n_output; i++)
		count += !strcmp(g->output[i]->name, name);
	return count;
}

/*
 * The node of type @op reading @name, taken into @c; NULL unless @name has
 * @want readers in all (graph outputs count) and one of them is that op.
 */
static const Onnx__NodeProto *take(struct chain *c, const char *name, const char *op, int want)
{
	const Onnx__NodeProto *r = NULL;
	size_t i, k, at = 0;

	if (readers(c->g, name) != want || c->len == 12)
		return NULL;
	for (i = 0; i < c->g->n_node && !r; i++) {
		for (k = 0; k < c->g->node[i]->n_input; k++) {
			if (!strcmp(c->g->node[i]->input[k], name) &&
			    !strcmp(c->g->node[i]->op_type, op) && c->g->node[i]->n_output == 1) {
				r = c->g->node[i];
				at = i;
			}
		}
	}
	if (r)
		c->at[c->len++] = at;
	return r;
}

static const Onnx__NodeProto *next(struct chain *c, const char *name, const char *op)
{
	return take(c, name, op, 1);
}

/* The other input of binary @nd than @name, or NULL if @name is not one of its two. */
static const char *other(const Onnx__NodeProto *nd, const char *name)
{
	if (nd->n_input != 2)
		return NULL;
	return !strcmp(nd->input[0], name) ? nd->input[1] :
	       !strcmp(nd->input[1], name) ? nd->input[0] : NULL;
}

/* Whether @name is a float constant of one value, within 1e-4 of @want if @want >= 0. */
static bool scalar(struct fnet *n, const Onnx__GraphProto *g, const char *name, float want,
		   float *v)
{
	const Onnx__TensorProto *t = name ? fnet_const(n, g, name) : NULL;
	struct npu_onnx_tensor d;
	bool ok;

	if (!t || npu_onnx_decode(t, &d, "", NULL, 0))
		return false;
	ok = d.type == NPU_ONNX_FLOAT && d.count == 1;
	if (ok && v)
		*v = *(float *)d.data;
	if (ok && want >= 0)
		ok = fabsf(*(float *)d.data - want) < 1e-4f;
	npu_onnx_tensor_release(&d);
	return ok;
}

/* The one axis a ReduceMean reduces (attribute, or input from opset 18); -9 if not one. */
static int64_t mean_axis(const struct fnet *n, const Onnx__GraphProto *g,
			 const Onnx__NodeProto *nd)
{
	const Onnx__AttributeProto *a = npu_onnx_attr(nd, "axes");
	int64_t v = -9;

	if (n->opset < 18)
		return a && a->n_ints == 1 && nd->n_input == 1 ? a->ints[0] : -9;
	return !a && fnet_ints(n, g, nd, 1, &v, 1) == 1 ? v : -9;
}

/* ReduceMean over the last axis only, keeping it. */
static bool mean_last(const struct fnet *n, const Onnx__GraphProto *g,
		      const Onnx__NodeProto *nd, const struct fvalue *x)
{
	int64_t axis = mean_axis(n, g, nd);

	return (axis == -1 || axis == x->rank - 1) && npu_onnx_attr_i(nd, "keepdims", 1) &&
	       fvalue_axis(x, -1) == 3 && (x->rank < 4 || x->plain);
}

/* The node of a matched chain from value @in to the chain's last output. */
static struct fnode *add_fused(struct fnet *n, const Onnx__NodeProto *first,
			       enum fkind kind, int in, const char *out)
{
	struct fnode *f = fnet_add_node(n, kind, first);

	if (!f)
		return NULL;
	f->in[0] = in;
	f->out = value_id(n, out, true);
	if (f->out < 0)
		return NULL;
	n->vals[f->out].rank = n->vals[in].rank;
	n->vals[f->out].plain = n->vals[in].plain;
	memcpy(n->vals[f->out].shape, n->vals[in].shape, sizeof(n->vals[in].shape));
	return f;
}

/* The optional Mul(gamma) and Add(beta) after a LayerNorm's Div; its output. */
static const char *affine(struct fnet *n, struct chain *c, const char *y, float **gamma,
			  float **beta, uint32_t C)
{
	struct chain probe = *c;
	const Onnx__NodeProto *nd = next(&probe, y, "Mul");
	const char *k = nd ? other(nd, y) : NULL;

	if (k && fnet_const(n, c->g, k) && (*gamma = fnet_floats(n, c->g, k, C, ""))) {
		*c = probe;
		y = nd->output[0];
	}
	probe = *c;
	nd = next(&probe, y, "Add");
	k = nd ? other(nd, y) : NULL;
	if (k && fnet_const(n, c->g, k) && (*beta = fnet_floats(n, c->g, k, C, ""))) {
		*c = probe;
		y = nd->output[0];
	}
	return y;
}

/* Mean, d = x - mean, variance, sqrt(var + eps), d / that: the output of the Div. */
static const char *normalise(struct fnet *n, struct chain *c, const Onnx__NodeProto *mean,
			     float *eps)
{
	const Onnx__NodeProto *sub, *pw, *var, *add, *sq, *div;
	const char *d;

	if (!(sub = next(c, mean->output[0], "Sub")) || strcmp(sub->input[0], mean->input[0]))
		return NULL;
	d = sub->output[0];
	if (!(pw = take(c, d, "Pow", 2)) || !scalar(n, c->g, other(pw, d), 2, NULL) ||
	    !(var = next(c, pw->output[0], "ReduceMean")) ||
	    npu_onnx_attr_i(var, "keepdims", 1) != 1 ||
	    !(add = next(c, var->output[0], "Add")) ||
	    !scalar(n, c->g, other(add, var->output[0]), -1, eps) ||
	    !(sq = next(c, add->output[0], "Sqrt")) || !(div = take(c, d, "Div", 2)) ||
	    strcmp(div->input[0], d) || strcmp(div->input[1], sq->output[0]) ||
	    readers(c->g, sq->output[0]) != 1)
		return NULL;
	/* the variance is over the same axis as the mean */
	if (mean_axis(n, c->g, var) != mean_axis(n, c->g, mean))
		return NULL;
	return div->output[0];
}

static int layernorm(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *mean,
		     bool *skip)
{
	int x = value_id(n, mean->input[0], false), i;
	struct chain c = { .g = g };
	float *gamma = NULL, *beta = NULL, eps = 0;
	const char *y;
	struct fnode *f;
	uint32_t C;

	if (x < 0 || !mean_last(n, g, mean, &n->vals[x]) || !(y = normalise(n, &c, mean, &eps)))
		return 0;
	C = n->vals[x].shape[3];
	y = affine(n, &c, y, &gamma, &beta, C);
	if (!gamma) {
		gamma = malloc(sizeof(float) * C);
		for (i = 0; gamma && i < (int)C; i++)
			gamma[i] = 1.0f;
	}
	f = gamma ? add_fused(n, mean, F_LAYERNORM, x, y) : NULL;
	if (!f) {
		free(gamma);
		free(beta);
		return -ENOMEM;
	}
	f->w = gamma;
	f->b = beta;
	f->cout = C;
	f->alpha = eps;
	for (i = 0; i < c.len; i++)
		skip[c.at[i]] = true;
	return 1;
}

/* Div(x, sqrt 2) -> Erf -> Add(1) -> Mul by x and by 0.5 (either first): GELU. */
static int gelu(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *div,
		bool *skip)
{
	int x = div->n_input == 2 ? value_id(n, div->input[0], false) : -1, i;
	const Onnx__NodeProto *erf, *one, *m1, *m2;
	struct chain c = { .g = g };
	const char *k1, *k2;
	struct fnode *f;

	if (x < 0 || !scalar(n, g, div->input[1], (float)M_SQRT2, NULL) ||
	    !(erf = next(&c, div->output[0], "Erf")) || !(one = next(&c, erf->output[0], "Add")) ||
	    !scalar(n, g, other(one, erf->output[0]), 1, NULL) ||
	    !(m1 = next(&c, one->output[0], "Mul")) || !(m2 = next(&c, m1->output[0], "Mul")))
		return 0;
	k1 = other(m1, one->output[0]);
	k2 = other(m2, m1->output[0]);
	if (!k1 || !k2 || !((!strcmp(k1, div->input[0]) && scalar(n, g, k2, 0.5f, NULL)) ||
			    (!strcmp(k2, div->input[0]) && scalar(n, g, k1, 0.5f, NULL))))
		return 0;
	f = add_fused(n, div, F_FN, x, m2->output[0]);
	if (!f)
		return -ENOMEM;
	f->fn = NPU_FN_GELU;
	for (i = 0; i < c.len; i++)
		skip[c.at[i]] = true;
	return 1;
}

int fnet_fuse(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
	      const char *where, bool *skip)
{
	if (!strcmp(nd->op_type, "ReduceMean"))
		return layernorm(n, g, nd, skip);
	if (!strcmp(nd->op_type, "Div"))
		return gelu(n, g, nd, skip);
	return 0;
}
