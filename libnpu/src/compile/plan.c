// SPDX-License-Identifier: MIT
/*
 * libnpu compiler: the passes before lowering: standalone activations fused
 * into the ops that produce their input, and the activation memory planned
 * by liveness.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

static bool same_q(const struct npu_gtensor *a, const struct npu_gtensor *b)
{
	return a->qcount == 1 && b->qcount == 1 && a->scales[0] == b->scales[0] &&
	       a->zero_points[0] == b->zero_points[0];
}

/* The real interval an activation keeps: NONE everything, RELU [0, inf), ... */
static void act_interval(const struct npu_op_info *o, float *lo, float *hi)
{
	*lo = o->act == NPU_ACT_NONE ? -FLT_MAX : o->act == NPU_ACT_CLIP ? o->clip[0] : 0.0f;
	*hi = o->act == NPU_ACT_RELU6 ? 6.0f : o->act == NPU_ACT_CLIP ? o->clip[1] : FLT_MAX;
}

/*
 * @prod then @act as one clamp: ReLU6 within ReLU within none (TFLite's
 * bounds kept); with a Clip on either side, the intersection as a Clip.
 */
static void combine_act(struct npu_op_info *prod, const struct npu_op_info *act)
{
	float lo[2], hi[2];

	if (prod->act != NPU_ACT_CLIP && act->act != NPU_ACT_CLIP) {
		if (act->act > prod->act)
			prod->act = act->act;
		return;
	}
	act_interval(prod, &lo[0], &hi[0]);
	act_interval(act, &lo[1], &hi[1]);
	prod->act = NPU_ACT_CLIP;
	prod->clip[0] = lo[0] > lo[1] ? lo[0] : lo[1];
	prod->clip[1] = hi[0] < hi[1] ? hi[0] : hi[1];
}

/*
 * Fuse a standalone activation (a RESCALE that keeps the quantization)
 * into the op before it when that op's result feeds nothing else: the
 * producer writes the activation's output with the tighter clamp.
 * Works on a copy of the op list; returns how many were fused.
 */
int npu_fuse_activations(struct npu_graph *g, struct npu_gop *ops, int nops)
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
		combine_act(prod, act);
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

struct interval {
	uint64_t start, end;
	int tensor;
};

/*
 * Lifetimes: the op that defines each tensor in @first_def (-1 graph input,
 * -2 constant, -3 never) and the last op that reads it in c->last_use
 * (nops for graph outputs); a reshape's output shares its input's storage.
 */
static int liveness(struct npu_compiler *c, int *first_def)
{
	struct npu_graph *g = c->g;
	int n = g->ntensors, i, j, op;

	for (i = 0; i < n; i++) {
		c->storage[i] = i;
		first_def[i] = g->tensors[i].data ? -2 : -3;
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
		int st = c->storage[i];

		if (c->last_use[i] > c->last_use[st])
			c->last_use[st] = c->last_use[i];
	}
	return 0;
}

/* The lowest offset where @size bytes overlap none of the @nlive blocks. */
static uint64_t first_fit(const struct interval *live, int nlive, uint64_t size)
{
	uint64_t at = 0;
	bool moved = true;
	int j;

	while (moved) {
		moved = false;
		for (j = 0; j < nlive; j++) {
			if (at < live[j].end && live[j].start < at + size) {
				at = live[j].end;
				moved = true;
			}
		}
	}
	return at;
}

/* Offsets, op by op: free what is dead, then place what the op defines. */
static void place(struct npu_compiler *c, const int *first_def, struct interval *live)
{
	struct npu_graph *g = c->g;
	int n = g->ntensors, nlive = 0, i, j, op;

	for (op = -1; op < g->nops; op++) {
		for (j = 0; j < nlive; j++) {
			if (c->last_use[live[j].tensor] < op) {
				live[j] = live[--nlive];
				j--;
			}
		}
		for (i = 0; i < n; i++) {
			uint64_t size, at;

			if (first_def[i] != op || c->storage[i] != i || g->tensors[i].data)
				continue;
			size = (g->tensors[i].bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
			c->unshared += size;
			at = first_fit(live, nlive, size);
			live[nlive++] = (struct interval){ at, at + size, i };
			c->offset[i] = at;
			if (at + size > c->arena)
				c->arena = at + size;
		}
	}
	for (i = 0; i < n; i++)
		c->offset[i] = c->offset[c->storage[i]];
}

/*
 * Liveness-based first fit: a tensor's memory is needed from the op that
 * produces it to the last op that reads it (graph inputs from the start,
 * outputs to the end); tensors whose lives do not overlap share memory.
 */
int npu_plan_memory(struct npu_compiler *c)
{
	int n = c->g->ntensors;
	int *first_def = malloc(sizeof(int) * n);
	struct interval *live = calloc(n, sizeof(*live));
	int ret = -ENOMEM;

	c->offset = calloc(n, sizeof(uint64_t));
	c->storage = malloc(sizeof(int) * n);
	c->last_use = malloc(sizeof(int) * n);
	if (first_def && live && c->offset && c->storage && c->last_use)
		ret = liveness(c, first_def);
	if (!ret)
		place(c, first_def, live);
	free(first_def);
	free(live);
	return ret;
}
