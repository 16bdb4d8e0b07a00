// SPDX-License-Identifier: MIT
/*
 * libnpu compiler: ops that move data without arithmetic: CONCAT (strided
 * copies) and RESHAPE (a view of the same bytes, planned in plan.c).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <string.h>

#include "compile.h"

int npu_check_concat(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *out = npu_result(c, op);
	uint32_t channels = 0;
	int k, i;

	if (op->info.inputs[1] < 0 && op->info.inputs[2] >= 0)
		return npu_graph_fail(c->g, -EINVAL, "op %s: input 2 given without input 1",
				      op->name);
	for (k = 0; k < 3 && op->info.inputs[k] >= 0; k++) {
		const struct npu_gtensor *x = npu_operand(c, op, k);

		if (!npu_quantized8(x) || !npu_quantized8(out) ||
		    x->scales[0] != out->scales[0] || x->zero_points[0] != out->zero_points[0])
			return npu_graph_fail(c->g, -EINVAL,
					      "op %s: input %s must have the output's scale and zero point (rescale it first)",
					      op->name, x->name);
		for (i = 0; i < 3; i++) {
			if (x->shape[i] != out->shape[i])
				return npu_graph_fail(c->g, -EINVAL,
						      "op %s: %s differs from %s outside C",
						      op->name, x->name, out->name);
		}
		channels += x->shape[3];
	}
	if (channels != out->shape[3])
		return npu_graph_fail(c->g, -EINVAL, "op %s: inputs give %u channels, %s has %u",
				      op->name, channels, out->name, out->shape[3]);
	return 0;
}

/* Concatenation along C: one strided COPY per input into its slice. */
int npu_lower_concat(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct reloc_spec r[] = {
		ARENA(struct qnpu_desc_copy, src.addr),
		ARENA(struct qnpu_desc_copy, dst.addr),
	};
	uint32_t c0 = 0;
	int k, ret = 0;

	for (k = 0; k < 3 && op->info.inputs[k] >= 0 && !ret; k++) {
		struct qnpu_desc_copy d = { .hdr = { QNPU_OP_COPY, 1, 0, sizeof(d) } };

		d.src = npu_arena_tensor(c, op->info.inputs[k], NULL);
		d.dst = npu_arena_tensor(c, op->info.output, NULL);
		memcpy(d.dst.dim, d.src.dim, sizeof(d.dst.dim));
		d.dst.addr += c0;
		c0 += d.src.dim[3];
		ret = npu_emit_relocated(c, &d, sizeof(d), r, 2);
	}
	return ret;
}

int npu_check_reshape(struct npu_compiler *c, const struct npu_gop *op)
{
	if (npu_operand(c, op, 0)->bytes != npu_result(c, op)->bytes)
		return npu_graph_fail(c->g, -EINVAL, "op %s: reshape changes the size", op->name);
	return 0;
}

/* Nothing to emit: the planner gave the output the input's storage. */
int npu_lower_reshape(struct npu_compiler *c, const struct npu_gop *op)
{
	return 0;
}
