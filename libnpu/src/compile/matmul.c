// SPDX-License-Identifier: MIT
/*
 * libnpu compiler: MATMUL of two int8 tensors (the second may be constant,
 * kept with the weights), batch extents broadcast with stride 0.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>

#include "compile.h"

#define MAX(a, b)	((a) > (b) ? (a) : (b))

/* Batch extents match, or one side is 1 and is broadcast. */
static bool batch_fits(const struct npu_gtensor *a, const struct npu_gtensor *b,
		       const struct npu_gtensor *out, int i)
{
	return (a->shape[i] == b->shape[i] || a->shape[i] == 1 || b->shape[i] == 1) &&
	       out->shape[i] == MAX(a->shape[i], b->shape[i]);
}

int npu_check_matmul(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *a = npu_operand(c, op, 0), *b = npu_operand(c, op, 1);
	const struct npu_gtensor *bias = npu_operand(c, op, 2);
	const struct npu_gtensor *out = npu_result(c, op);

	if (!b || !npu_quantized8(a) || !npu_quantized8(b) ||
	    (!npu_quantized8(out) && !npu_raw_out(out)))
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: matmul takes two int8 tensors quantized per tensor",
				      op->name);
	if (!batch_fits(a, b, out, 0) || !batch_fits(a, b, out, 1) ||
	    b->shape[2] != a->shape[3] || out->shape[2] != a->shape[2] ||
	    out->shape[3] != b->shape[3])
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: shapes [..][%u][%u] x [..][%u][%u] -> [..][%u][%u] do not match",
				      op->name, a->shape[2], a->shape[3], b->shape[2],
				      b->shape[3], out->shape[2], out->shape[3]);
	/* No CPU matmul: a K the device refuses is refused here (docs/arithmetic.md 8). */
	if (a->shape[3] > NPU_REF_MAX_K)
		return npu_graph_fail(c->g, -EOVERFLOW, "op %s: K %u is over the device's %u",
				      op->name, a->shape[3], NPU_REF_MAX_K);
	if (bias && (bias->elem != NPU_ELEM_INT32 || !bias->data ||
		     npu_shape_count(bias->shape) != out->shape[3]))
		return npu_graph_fail(c->g, -EINVAL, "op %s: bias must be %u constant int32",
				      op->name, out->shape[3]);
	return 0;
}

/* The operand descriptors, broadcast batch extents with stride 0. */
static void matmul_operands(struct npu_compiler *c, const struct npu_gop *op,
			    struct qnpu_desc_matmul *d)
{
	int i;

	d->a = npu_arena_tensor(c, op->info.inputs[0], NULL);
	d->b = npu_arena_tensor(c, op->info.inputs[1], NULL);
	d->output = npu_arena_tensor(c, op->info.output, NULL);
	for (i = 0; i < 2; i++) {
		if (d->a.dim[i] < d->output.dim[i]) {
			d->a.dim[i] = d->output.dim[i];
			d->a.stride[i] = 0;
		}
		if (d->b.dim[i] < d->output.dim[i]) {
			d->b.dim[i] = d->output.dim[i];
			d->b.stride[i] = 0;
		}
	}
}

int npu_lower_matmul(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *a = npu_operand(c, op, 0), *b = npu_operand(c, op, 1);
	const struct npu_gtensor *bias = npu_operand(c, op, 2);
	const struct npu_gtensor *out = npu_result(c, op);
	struct qnpu_desc_matmul d = { .hdr = { QNPU_OP_MATMUL, 1, 0, sizeof(d) } };
	const struct reloc_spec r[] = {
		ARENA(struct qnpu_desc_matmul, a.addr),
		{ offsetof(struct qnpu_desc_matmul, b.addr),
		  b->data ? NPU_REGION_WEIGHTS : NPU_REGION_ARENA, true },
		ARENA(struct qnpu_desc_matmul, output.addr),
		WEIGHTS(struct qnpu_desc_matmul, bias, bias != NULL),
	};
	uint64_t unused, off = 0;
	int ret = 0;

	matmul_operands(c, op, &d);
	if (bias)
		ret = npu_blob_add(&c->weights, bias->data, bias->bytes, WEIGHTS_ALIGN, &off);
	d.bias = off;
	/* A constant operand lives with the weights. */
	if (!ret && b->data) {
		ret = npu_blob_add(&c->weights, b->data, b->bytes, WEIGHTS_ALIGN, &off);
		d.b.addr = off;
	}
	d.a_zero_point = a->zero_points[0];
	d.b_zero_point = b->zero_points[0];
	if (!ret && !npu_raw_out(out))
		ret = npu_requant_of(c, op, (double)a->scales[0] * b->scales[0], 0, NULL,
				     out, &d.requant, &unused);
	return ret ? ret : npu_emit_relocated(c, &d, sizeof(d), r, 4);
}
