// SPDX-License-Identifier: MIT
/*
 * libnpu compiler: the op table. One entry per graph op (enum
 * npu_op_type) says everything the compiler knows of it: its operands, the
 * attributes it honours, the device descriptor it becomes (whose
 * arithmetic ref/ and the emulator implement), the CPU step it runs as or
 * falls back to, its legality check and its lowering. Adding an op is an
 * entry here, its two functions, and the kernels of a new descriptor or
 * step (docs/libnpu.md, "Adding an op").
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>

#include "compile.h"

#define WINDOW		(NPU_ATTR_STRIDE | NPU_ATTR_PAD)
#define REQUANT		(NPU_ATTR_ACT | NPU_ATTR_ROUNDING)

static const struct npu_op_desc ops[] = {
	[NPU_OP_CONV2D] = {
		"CONV2D", 2, 3, WINDOW | NPU_ATTR_DILATION | NPU_ATTR_GROUPS | REQUANT,
		QNPU_OP_CONV2D, NPU_STEP_CONV, npu_check_conv, npu_lower_conv },
	[NPU_OP_FULLY_CONNECTED] = {
		"FULLY_CONNECTED", 2, 3, REQUANT,
		QNPU_OP_FULLY_CONNECTED, NPU_STEP_CONV, npu_check_conv, npu_lower_conv },
	[NPU_OP_MAXPOOL] = {
		"MAXPOOL", 1, 1, NPU_ATTR_KERNEL | WINDOW | NPU_ATTR_ACT,
		QNPU_OP_MAXPOOL, 0, npu_check_pool, npu_lower_pool },
	[NPU_OP_AVGPOOL] = {
		"AVGPOOL", 1, 1, NPU_ATTR_KERNEL | WINDOW | REQUANT,
		QNPU_OP_AVGPOOL, NPU_STEP_AVGPOOL, npu_check_pool, npu_lower_pool },
	[NPU_OP_GLOBAL_AVGPOOL] = {
		"GLOBAL_AVGPOOL", 1, 1, REQUANT,
		QNPU_OP_AVGPOOL, 0, npu_check_pool, npu_lower_pool },
	[NPU_OP_ADD] = {
		"ADD", 2, 2, REQUANT,
		QNPU_OP_ADD, 0, npu_check_eltwise, npu_lower_eltwise },
	[NPU_OP_MUL] = {
		"MUL", 2, 2, REQUANT,
		QNPU_OP_MUL, 0, npu_check_eltwise, npu_lower_eltwise },
	[NPU_OP_RESHAPE] = {
		"RESHAPE", 1, 1, 0,
		0, 0, npu_check_reshape, npu_lower_reshape },
	[NPU_OP_QUANTIZE] = {
		"QUANTIZE", 1, 1, 0,
		0, NPU_STEP_QUANTIZE, npu_check_quantize, npu_lower_quantize },
	[NPU_OP_DEQUANTIZE] = {
		"DEQUANTIZE", 1, 1, 0,
		0, NPU_STEP_DEQUANTIZE, npu_check_dequantize, npu_lower_dequantize },
	[NPU_OP_SOFTMAX] = {
		"SOFTMAX", 1, 1, 0,
		0, NPU_STEP_SOFTMAX, npu_check_float_fn, npu_lower_float_fn },
	[NPU_OP_MATMUL] = {
		"MATMUL", 2, 3, REQUANT,
		QNPU_OP_MATMUL, 0, npu_check_matmul, npu_lower_matmul },
	[NPU_OP_CONCAT] = {
		"CONCAT", 1, 3, 0,
		QNPU_OP_COPY, 0, npu_check_concat, npu_lower_concat },
	[NPU_OP_RESCALE] = {
		"RESCALE", 1, 1, REQUANT,
		QNPU_OP_ADD, 0, npu_check_rescale, npu_lower_rescale },
	[NPU_OP_DYNAMIC_QUANTIZE] = {
		"DYNAMIC_QUANTIZE", 1, 1, 0,
		0, NPU_STEP_DYNAMIC_QUANTIZE, npu_check_dynamic, npu_lower_dynamic },
	[NPU_OP_DYNAMIC_SCALE] = {
		"DYNAMIC_SCALE", 1, 1, 0,
		0, NPU_STEP_DYNAMIC_SCALE, npu_check_dynamic, npu_lower_dynamic },
	[NPU_OP_DYNAMIC_ZERO_POINT] = {
		"DYNAMIC_ZERO_POINT", 1, 1, 0,
		0, NPU_STEP_DYNAMIC_ZERO_POINT, npu_check_dynamic, npu_lower_dynamic },
	[NPU_OP_CHANNEL_GATHER] = {
		"CHANNEL_GATHER", 2, 2, 0,
		QNPU_OP_COPY, 0, npu_check_channel_gather, npu_lower_channel_gather },
	[NPU_OP_UPSAMPLE_NEAREST] = {
		"UPSAMPLE_NEAREST", 1, 1, NPU_ATTR_KERNEL,
		QNPU_OP_COPY, 0, npu_check_upsample, npu_lower_upsample },
	[NPU_OP_PAD] = {
		"PAD", 1, 1, NPU_ATTR_PAD,
		QNPU_OP_COPY, 0, npu_check_pad, npu_lower_pad },
	[NPU_OP_FUNCTION] = {
		"FUNCTION", 1, 1, NPU_ATTR_FN,
		QNPU_OP_LUT, NPU_STEP_FUNCTION, npu_check_float_fn, npu_lower_float_fn },
	[NPU_OP_TRANSPOSE] = {
		"TRANSPOSE", 1, 1, NPU_ATTR_PERM,
		QNPU_OP_COPY, 0, npu_check_transpose, npu_lower_transpose },
	[NPU_OP_LAYER_NORM] = {
		"LAYER_NORM", 2, 3, NPU_ATTR_EPSILON,
		0, NPU_STEP_LAYER_NORM, npu_check_layer_norm, npu_lower_layer_norm },
};

const struct npu_op_desc *npu_op_desc(enum npu_op_type type)
{
	if ((unsigned int)type >= sizeof(ops) / sizeof(ops[0]) || !ops[type].name)
		return NULL;
	return &ops[type];
}

/* Whether @n values are each 0 or 1 (for strides, dilations: both mean 1). */
static bool neutral(const uint32_t *v, int n, uint32_t one)
{
	int i;

	for (i = 0; i < n; i++) {
		if (v[i] && v[i] != one)
			return false;
	}
	return true;
}

/*
 * The first attribute @o sets to a value that would change the result and
 * that @attrs does not honour, or NULL. Neutral values pass (a stride of 1
 * on a fully connected layer), and so does a rounding on an op that does
 * not round: every rounding gives it the same bytes.
 */
static const char *unhonoured_attr(const struct npu_op_info *o, uint32_t attrs)
{
	if (!(attrs & NPU_ATTR_KERNEL) && !neutral(o->kernel, 2, 0))
		return "kernel";
	if (!(attrs & NPU_ATTR_STRIDE) && !neutral(o->stride, 2, 1))
		return "stride";
	if (!(attrs & NPU_ATTR_DILATION) && !neutral(o->dilation, 2, 1))
		return "dilation";
	if (!(attrs & NPU_ATTR_PAD) && !neutral(o->pad, 4, 0))
		return "pad";
	if (!(attrs & NPU_ATTR_GROUPS) && !neutral(&o->groups, 1, 1))
		return "groups";
	if (!(attrs & NPU_ATTR_ACT) && o->act != NPU_ACT_NONE)
		return "act";
	if (o->act != NPU_ACT_CLIP && (o->clip[0] != 0 || o->clip[1] != 0))
		return "clip";
	if (!(attrs & NPU_ATTR_FN) && (o->fn || o->beta != 0))
		return "fn";
	if (!(attrs & (NPU_ATTR_FN | NPU_ATTR_EPSILON)) && o->alpha != 0)
		return "alpha";
	if (!(attrs & NPU_ATTR_PERM) && !neutral(o->perm, 4, 0) &&
	    (o->perm[0] != 0 || o->perm[1] != 1 || o->perm[2] != 2 || o->perm[3] != 3))
		return "perm";
	return NULL;
}

int npu_op_check(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_op_info *o = &op->info;
	const struct npu_op_desc *d = npu_op_desc(o->type);
	const char *attr;
	int k;

	if (!d)
		return npu_graph_fail(c->g, -EINVAL, "op %s: unknown type %d", op->name, o->type);
	for (k = 0; k < 3; k++) {
		if ((k < d->min_inputs && o->inputs[k] < 0) ||
		    (k >= d->max_inputs && o->inputs[k] >= 0))
			return npu_graph_fail(c->g, -EINVAL,
					      "op %s: %s takes %u to %u inputs (absent ones -1)",
					      op->name, d->name, d->min_inputs, d->max_inputs);
	}
	if ((unsigned int)o->act > NPU_ACT_CLIP)
		return npu_graph_fail(c->g, -EINVAL, "op %s: unknown activation %d", op->name,
				      o->act);
	attr = unhonoured_attr(o, d->attrs);
	if (attr)
		return npu_graph_fail(c->g, -EINVAL, "op %s: %s has no '%s' attribute",
				      op->name, d->name, attr);
	return d->check ? d->check(c, op) : 0;
}
