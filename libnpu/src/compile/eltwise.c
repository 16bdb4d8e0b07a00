// SPDX-License-Identifier: MIT
/*
 * libnpu compiler: ADD and MUL of two tensors, and RESCALE (a single-input
 * ADD) for standalone activations and requantization.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <math.h>

#include "compile.h"

/* Each extent of @out is that of @a or @b, the other's equal or 1. */
static bool broadcasts_to(const struct npu_gtensor *a, const struct npu_gtensor *b,
			  const struct npu_gtensor *out)
{
	int i;

	for (i = 0; i < 4; i++) {
		uint32_t n = out->shape[i];

		if ((a->shape[i] != n && a->shape[i] != 1) ||
		    (b->shape[i] != n && b->shape[i] != 1) ||
		    (a->shape[i] != n && b->shape[i] != n))
			return false;
	}
	return true;
}

int npu_check_eltwise(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *a = npu_operand(c, op, 0), *b = npu_operand(c, op, 1);
	const struct npu_gtensor *out = npu_result(c, op);

	if (!b || !npu_quantized8(a) || !npu_quantized8(b) || !npu_quantized8(out))
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: needs two int8 inputs and an int8 output, per tensor",
				      op->name);
	if (!broadcasts_to(a, b, out))
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: shapes of %s and %s do not broadcast to %s's",
				      op->name, a->name, b->name, out->name);
	return 0;
}

/* Operand @k in the output's extents, repeated (stride 0) where it has 1. */
static struct qnpu_tensor broadcast_operand(struct npu_compiler *c, const struct npu_gop *op,
					    int k)
{
	struct qnpu_tensor t = npu_arena_tensor(c, op->info.inputs[k], NULL);
	const struct npu_gtensor *out = npu_result(c, op);
	int i;

	for (i = 0; i < 4; i++) {
		if (t.dim[i] != out->shape[i]) {
			t.dim[i] = out->shape[i];
			t.stride[i] = 0;
		}
	}
	return t;
}

/* TFLite's ADD: both inputs to a common scale 2 max(S1, S2), left-shifted 20 bits. */
static int add_multipliers(struct npu_compiler *c, const struct npu_gop *op,
			   struct qnpu_desc_eltwise *d)
{
	const struct npu_gtensor *a = npu_operand(c, op, 0), *b = npu_operand(c, op, 1);
	const struct npu_gtensor *out = npu_result(c, op);
	double twice_max = 2.0 * fmax(a->scales[0], b->scales[0]);
	uint64_t unused;
	int ret;

	d->left_shift = 20;
	ret = npu_ref_quantize_multiplier(a->scales[0] / twice_max, &d->input1_multiplier,
					  &d->input1_shift);
	if (!ret)
		ret = npu_ref_quantize_multiplier(b->scales[0] / twice_max,
						  &d->input2_multiplier, &d->input2_shift);
	if (!ret)
		ret = npu_requant_of(c, op, 0, twice_max / ((1 << 20) * (double)out->scales[0]),
				     NULL, out, &d->requant,
				     &unused);
	return ret;
}

int npu_lower_eltwise(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *a = npu_operand(c, op, 0), *b = npu_operand(c, op, 1);
	const struct npu_gtensor *out = npu_result(c, op);
	bool mul = op->info.type == NPU_OP_MUL;
	struct qnpu_desc_eltwise d = { .hdr = { mul ? QNPU_OP_MUL : QNPU_OP_ADD, 1, 0,
						sizeof(d) } };
	const struct reloc_spec r[] = {
		ARENA(struct qnpu_desc_eltwise, input1.addr),
		ARENA(struct qnpu_desc_eltwise, input2.addr),
		ARENA(struct qnpu_desc_eltwise, output.addr),
	};
	uint64_t unused;
	int ret;

	d.input1 = broadcast_operand(c, op, 0);
	d.input2 = broadcast_operand(c, op, 1);
	d.output = npu_arena_tensor(c, op->info.output, NULL);
	d.input1_zero_point = a->zero_points[0];
	d.input2_zero_point = b->zero_points[0];
	if (mul)
		ret = npu_requant_of(c, op, 0,
				     (double)((a->scales[0] * b->scales[0]) / out->scales[0]),
				     NULL, out, &d.requant,
				     &unused);
	else
		ret = add_multipliers(c, op, &d);
	if (ret)
		return npu_graph_fail(c->g, ret, "op %s: multipliers", op->name);
	return npu_emit_relocated(c, &d, sizeof(d), r, 3);
}

int npu_check_rescale(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);

	if (!npu_quantized8(x) || !npu_quantized8(out))
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: rescale takes int8 to int8, per tensor", op->name);
	if (!npu_same_shape(x, out))
		return npu_graph_fail(c->g, -EINVAL, "op %s: %s and %s differ in shape",
				      op->name, x->name, out->name);
	return 0;
}

/*
 * A single-input ADD requantizes x to the output's parameters exactly as
 * docs/arithmetic.md 4.2 says; its clamp is the activation. With equal
 * parameters it is a standalone ReLU, ReLU6 or clamp.
 */
int npu_lower_rescale(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);
	struct qnpu_desc_eltwise d = { .hdr = { QNPU_OP_ADD, 1, 0, sizeof(d) } };
	const struct reloc_spec r[] = {
		ARENA(struct qnpu_desc_eltwise, input1.addr),
		ARENA(struct qnpu_desc_eltwise, output.addr),
	};
	uint64_t unused;
	int ret;

	d.input1 = npu_arena_tensor(c, op->info.inputs[0], NULL);
	d.output = npu_arena_tensor(c, op->info.output, NULL);
	d.input1_zero_point = x->zero_points[0];
	d.left_shift = 20;
	d.input1_multiplier = 1 << 30;	/* S1 / (2 * S1) = 1/2 */
	d.input1_shift = 0;
	ret = npu_requant_of(c, op, 0, 2.0 * x->scales[0] /
			     ((1 << 20) * (double)out->scales[0]), NULL, out, &d.requant, &unused);
	if (ret)
		return npu_graph_fail(c->g, ret, "op %s: multipliers", op->name);
	return npu_emit_relocated(c, &d, sizeof(d), r, 2);
}
