// SPDX-License-Identifier: MIT
/*
 * libnpu: building a graph of quantized layers.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

size_t npu_elem_size(enum npu_elem e)
{
	return e == NPU_ELEM_INT8 ? 1 : 4;
}

uint64_t npu_shape_count(const uint32_t shape[4])
{
	return (uint64_t)shape[0] * shape[1] * shape[2] * shape[3];
}

int npu_graph_fail(struct npu_graph *g, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->error, sizeof(g->error), fmt, ap);
	va_end(ap);
	return err;
}

NPU_API int npu_graph_new(struct npu_graph **out)
{
	if (!out)
		return -EINVAL;
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

NPU_API void npu_graph_free(struct npu_graph *g)
{
	int i;

	if (!g)
		return;
	for (i = 0; i < g->ntensors; i++) {
		free(g->tensors[i].scales);
		free(g->tensors[i].zero_points);
		free(g->tensors[i].data);
	}
	free(g->tensors);
	free(g->ops);
	free(g->inputs);
	free(g->outputs);
	free(g);
}

NPU_API const char *npu_graph_error(const struct npu_graph *g)
{
	return g ? g->error : "no graph";
}

/* @t against what the graph can hold: extents, type, quantization. */
static int check_tensor(struct npu_graph *g, const struct npu_tensor_info *t, const char *name)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (!t->shape[i])
			return npu_graph_fail(g, -EINVAL, "tensor %s: dimension %d is 0", name, i);
		if (t->shape[i] > 65535 && !t->data)
			return npu_graph_fail(g, -E2BIG,
					      "tensor %s: dimension %d is %u, over the device's 65535",
					      name, i, t->shape[i]);
	}
	if (t->elem > NPU_ELEM_UINT8)
		return npu_graph_fail(g, -EINVAL, "tensor %s: unknown type %d", name, t->elem);
	if ((t->elem == NPU_ELEM_INT8 || t->elem == NPU_ELEM_UINT8) && !t->qcount && t->data)
		return npu_graph_fail(g, -EINVAL,
				      "tensor %s: int8 constant without quantization parameters",
				      name);
	if (t->qcount && (!t->scales || !t->zero_points))
		return npu_graph_fail(g, -EINVAL, "tensor %s: %u scales/zero points missing",
				      name, t->qcount);
	if (t->elem == NPU_ELEM_UINT8 && t->data)
		return npu_graph_fail(g, -EINVAL,
				      "tensor %s: uint8 is for activations (shift constants to int8)",
				      name);
	for (i = 0; i < (int)t->qcount; i++) {
		int32_t zlo = t->elem == NPU_ELEM_UINT8 ? 0 : -128;

		if (!(t->scales[i] > 0) || t->zero_points[i] < zlo || t->zero_points[i] > zlo + 255)
			return npu_graph_fail(g, -EINVAL,
					      "tensor %s: bad quantization #%d (scale %g, zero point %d)",
					      name, i, t->scales[i], t->zero_points[i]);
	}
	return 0;
}

/* Copy @t's quantization and data into @n (uint8 zero points shifted to int8). */
static int copy_tensor(struct npu_gtensor *n, const struct npu_tensor_info *t)
{
	uint32_t i;

	if (t->qcount) {
		n->scales = malloc(sizeof(float) * t->qcount);
		n->zero_points = malloc(sizeof(int32_t) * t->qcount);
		if (!n->scales || !n->zero_points)
			return -ENOMEM;
		memcpy(n->scales, t->scales, sizeof(float) * t->qcount);
		memcpy(n->zero_points, t->zero_points, sizeof(int32_t) * t->qcount);
		for (i = 0; n->uint8 && i < t->qcount; i++)
			n->zero_points[i] -= 128;	/* exact: arithmetic.md 1.6 */
	}
	if (t->data) {
		n->data = malloc(n->bytes);
		if (!n->data)
			return -ENOMEM;
		memcpy(n->data, t->data, n->bytes);
	}
	return 0;
}

NPU_API int npu_graph_tensor(struct npu_graph *g,
			     const struct npu_tensor_info *t, int *id)
{
	struct npu_gtensor *n, *grown;
	const char *name;
	int ret;

	if (!g || !t || !id)
		return -EINVAL;
	name = t->name ? t->name : "(unnamed)";
	g->error[0] = 0;
	ret = check_tensor(g, t, name);
	if (ret)
		return ret;
	grown = realloc(g->tensors, sizeof(*grown) * (g->ntensors + 1));
	if (!grown)
		return -ENOMEM;
	g->tensors = grown;
	n = &g->tensors[g->ntensors];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->elem = t->elem == NPU_ELEM_UINT8 ? NPU_ELEM_INT8 : t->elem;
	n->uint8 = t->elem == NPU_ELEM_UINT8;
	memcpy(n->shape, t->shape, sizeof(n->shape));
	n->qcount = t->qcount;
	n->bytes = npu_shape_count(t->shape) * npu_elem_size(n->elem);
	ret = copy_tensor(n, t);
	if (ret) {
		free(n->scales);
		free(n->zero_points);
		return ret;
	}
	*id = g->ntensors++;
	return 0;
}

NPU_API int npu_graph_op(struct npu_graph *g, const struct npu_op_info *op)
{
	struct npu_gop *grown;
	int i;

	if (!g || !op)
		return -EINVAL;
	g->error[0] = 0;
	if (op->type > NPU_OP_LAYER_NORM)
		return npu_graph_fail(g, -EINVAL, "op %s: unknown type %d",
				      op->name ? op->name : "?", op->type);
	for (i = 0; i < 3; i++) {
		if (op->inputs[i] < -1 || op->inputs[i] >= g->ntensors)
			return npu_graph_fail(g, -EINVAL,
					      "op %s: input %d is not a tensor",
					      op->name ? op->name : "?", i);
	}
	if (op->inputs[0] < 0 || op->output < 0 || op->output >= g->ntensors)
		return npu_graph_fail(g, -EINVAL, "op %s: missing input or output",
				      op->name ? op->name : "?");
	grown = realloc(g->ops, sizeof(*grown) * (g->nops + 1));
	if (!grown)
		return -ENOMEM;
	g->ops = grown;
	g->ops[g->nops].info = *op;
	snprintf(g->ops[g->nops].name, sizeof(g->ops[g->nops].name), "%s",
		 op->name ? op->name : "(unnamed)");
	g->ops[g->nops].info.name = NULL;
	g->nops++;
	return 0;
}

static int copy_ids(int **dst, int *n, const int *src, size_t count)
{
	free(*dst);
	*dst = malloc(sizeof(int) * (count ? count : 1));
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, sizeof(int) * count);
	*n = (int)count;
	return 0;
}

NPU_API int npu_graph_io(struct npu_graph *g, const int *inputs, size_t ninputs,
			 const int *outputs, size_t noutputs)
{
	size_t i;
	int ret;

	if (!g || (ninputs && !inputs) || !outputs || !noutputs)
		return -EINVAL;
	for (i = 0; i < ninputs + noutputs; i++) {
		int t = i < ninputs ? inputs[i] : outputs[i - ninputs];

		if (t < 0 || t >= g->ntensors || g->tensors[t].data)
			return npu_graph_fail(g, -EINVAL,
					      "graph %s %zu: not an activation tensor",
					      i < ninputs ? "input" : "output",
					      i < ninputs ? i : i - ninputs);
	}
	ret = copy_ids(&g->inputs, &g->ninputs, inputs, ninputs);
	return ret ? ret : copy_ids(&g->outputs, &g->noutputs, outputs, noutputs);
}
