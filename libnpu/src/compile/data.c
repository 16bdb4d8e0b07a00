// SPDX-License-Identifier: MIT
/*
 * libnpu compiler: ops that move data without arithmetic: CONCAT,
 * CHANNEL_GATHER, UPSAMPLE_NEAREST and PAD (strided copies) and RESHAPE (a
 * view of the same bytes, planned in plan.c).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdlib.h>
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

int npu_check_channel_gather(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *idx = npu_operand(c, op, 1);
	const struct npu_gtensor *out = npu_result(c, op);
	const int32_t *v;
	uint32_t k;
	int i;

	if (!npu_quantized8(x) || !npu_quantized8(out) || x->scales[0] != out->scales[0] ||
	    x->zero_points[0] != out->zero_points[0])
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: gathers int8 channels into the input's scale and zero point",
				      op->name);
	if (idx->elem != NPU_ELEM_INT32 || !idx->data ||
	    npu_shape_count(idx->shape) != out->shape[3])
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: the index must be a constant INT32 tensor of %u entries",
				      op->name, out->shape[3]);
	for (i = 0; i < 3; i++) {
		if (x->shape[i] != out->shape[i])
			return npu_graph_fail(c->g, -EINVAL, "op %s: %s differs from %s outside C",
					      op->name, x->name, out->name);
	}
	v = idx->data;
	for (k = 0; k < out->shape[3]; k++) {
		if (v[k] < 0 || (uint32_t)v[k] >= x->shape[3])
			return npu_graph_fail(c->g, -EINVAL, "op %s: index %d out of %u channels",
					      op->name, v[k], x->shape[3]);
	}
	return 0;
}

/*
 * The longest run from output channel @c0 over channels not yet @done:
 * output channels c0 + k * dstep read input channels idx[c0] + k * sstep
 * (sstep >= 0: a tensor stride cannot be negative).
 */
static uint32_t channel_run(const int32_t *idx, const bool *done, uint32_t n, uint32_t c0,
			    uint32_t *dstep, uint32_t *sstep)
{
	uint32_t best = 1, d, len;

	*dstep = *sstep = 1;
	for (d = 1; d <= 16 && c0 + d < n; d++) {
		int32_t s = idx[c0 + d] - idx[c0];

		if (done[c0 + d] || s < 0)
			continue;
		for (len = 1; c0 + len * d < n && !done[c0 + len * d] &&
		     idx[c0 + len * d] == idx[c0] + (int32_t)len * s; len++)
			;
		if (len > best) {
			best = len;
			*dstep = d;
			*sstep = (uint32_t)s;
		}
	}
	return best;
}

/* One COPY of @len channels: input from @src0 by @sstep, output from @dst0 by @dstep. */
static int channel_copy(struct npu_compiler *c, const struct npu_gop *op, uint32_t dst0,
			uint32_t dstep, uint32_t src0, uint32_t sstep, uint32_t len)
{
	struct qnpu_desc_copy d = { .hdr = { QNPU_OP_COPY, 1, 0, sizeof(d) } };
	const struct reloc_spec r[] = {
		ARENA(struct qnpu_desc_copy, src.addr),
		ARENA(struct qnpu_desc_copy, dst.addr),
	};

	d.src = npu_arena_tensor(c, op->info.inputs[0], NULL);
	d.dst = npu_arena_tensor(c, op->info.output, NULL);
	d.src.addr += src0;
	d.src.dim[3] = len;
	d.src.stride[3] = sstep;
	d.dst.addr += dst0;
	d.dst.dim[3] = len;
	d.dst.stride[3] = dstep;
	return npu_emit_relocated(c, &d, sizeof(d), r, 2);
}

/* Channel gather: strided COPYs, one per arithmetic run of the index. */
int npu_lower_channel_gather(struct npu_compiler *c, const struct npu_gop *op)
{
	const int32_t *idx = npu_operand(c, op, 1)->data;
	uint32_t n = npu_result(c, op)->shape[3], c0, k, len, dstep, sstep;
	bool *done = calloc(n, sizeof(bool));
	int ret = done ? 0 : -ENOMEM;

	for (c0 = 0; c0 < n && !ret; c0++) {
		if (done[c0])
			continue;
		len = channel_run(idx, done, n, c0, &dstep, &sstep);
		for (k = 0; k < len; k++)
			done[c0 + k * dstep] = true;
		ret = channel_copy(c, op, c0, dstep, (uint32_t)idx[c0], sstep, len);
	}
	free(done);
	return ret;
}

int npu_check_upsample(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);
	const uint32_t *k = op->info.kernel;

	if (!npu_quantized8(x) || !npu_quantized8(out) || x->scales[0] != out->scales[0] ||
	    x->zero_points[0] != out->zero_points[0])
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: repeats int8 pixels into the input's scale and zero point",
				      op->name);
	if (!k[0] || !k[1] || k[0] > 64 || k[1] > 64 || out->shape[0] != x->shape[0] ||
	    out->shape[1] != x->shape[1] * k[0] || out->shape[2] != x->shape[2] * k[1] ||
	    out->shape[3] != x->shape[3])
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: %s is not %s with each pixel repeated %u x %u (1..64)",
				      op->name, out->name, x->name, k[0], k[1]);
	return 0;
}

/* One COPY per position in the repeat: the input into every k0-th row and k1-th column. */
int npu_lower_upsample(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct reloc_spec r[] = {
		ARENA(struct qnpu_desc_copy, src.addr),
		ARENA(struct qnpu_desc_copy, dst.addr),
	};
	const uint32_t *k = op->info.kernel;
	uint32_t dy, dx;
	int ret = 0;

	for (dy = 0; dy < k[0] && !ret; dy++) {
		for (dx = 0; dx < k[1] && !ret; dx++) {
			struct qnpu_desc_copy d = { .hdr = { QNPU_OP_COPY, 1, 0, sizeof(d) } };

			d.src = npu_arena_tensor(c, op->info.inputs[0], NULL);
			d.dst = npu_arena_tensor(c, op->info.output, NULL);
			d.dst.addr += dy * d.dst.stride[1] + dx * d.dst.stride[2];
			memcpy(d.dst.dim, d.src.dim, sizeof(d.dst.dim));
			d.dst.stride[1] *= k[0];
			d.dst.stride[2] *= k[1];
			ret = npu_emit_relocated(c, &d, sizeof(d), r, 2);
		}
	}
	return ret;
}

int npu_check_pad(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);
	const uint32_t *p = op->info.pad;

	if (!npu_quantized8(x) || !npu_quantized8(out) || x->scales[0] != out->scales[0] ||
	    x->zero_points[0] != out->zero_points[0])
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: pads int8 pixels in the input's scale and zero point",
				      op->name);
	if (out->shape[0] != x->shape[0] || out->shape[3] != x->shape[3] ||
	    out->shape[1] != x->shape[1] + p[0] + p[2] || out->shape[2] != x->shape[2] + p[1] + p[3])
		return npu_graph_fail(c->g, -EINVAL, "op %s: %s is not %s padded by %u %u %u %u",
				      op->name, out->name, x->name, p[0], p[1], p[2], p[3]);
	return 0;
}

/*
 * Two COPYs: the zero point, one pixel of it in the weights read with
 * stride 0, over the whole output; then, after a BARRIER (the second
 * overwrites what the first wrote), the input into its interior.
 */
int npu_lower_pad(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0);
	const struct reloc_spec fill_r[] = {
		WEIGHTS(struct qnpu_desc_copy, src.addr, true),
		ARENA(struct qnpu_desc_copy, dst.addr),
	};
	const struct reloc_spec copy_r[] = {
		ARENA(struct qnpu_desc_copy, src.addr),
		ARENA(struct qnpu_desc_copy, dst.addr),
	};
	struct qnpu_desc_copy fill = { .hdr = { QNPU_OP_COPY, 1, 0, sizeof(fill) } };
	struct qnpu_desc_copy in = fill;
	int8_t *zp = malloc(x->shape[3]);
	uint64_t off;
	int ret;

	if (!zp)
		return -ENOMEM;
	memset(zp, (int8_t)x->zero_points[0], x->shape[3]);
	ret = npu_blob_add(&c->weights, zp, x->shape[3], WEIGHTS_ALIGN, &off);
	free(zp);
	fill.dst = npu_arena_tensor(c, op->info.output, NULL);
	fill.src = fill.dst;
	fill.src.addr = off;
	fill.src.stride[0] = fill.src.stride[1] = fill.src.stride[2] = 0;
	in.src = npu_arena_tensor(c, op->info.inputs[0], NULL);
	in.dst = fill.dst;
	in.dst.addr += op->info.pad[0] * in.dst.stride[1] + op->info.pad[1] * in.dst.stride[2];
	memcpy(in.dst.dim, in.src.dim, sizeof(in.dst.dim));
	ret = ret ?: npu_emit_relocated(c, &fill, sizeof(fill), fill_r, 2);
	ret = ret ?: npu_emit_barrier(c);
	return ret ?: npu_emit_relocated(c, &in, sizeof(in), copy_r, 2);
}

int npu_check_transpose(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);
	const uint32_t *perm = op->info.perm;
	bool seen[4] = { false };
	int i;

	if (!npu_quantized8(x) || !npu_quantized8(out) || x->scales[0] != out->scales[0] ||
	    x->zero_points[0] != out->zero_points[0])
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: transposes int8 into the input's scale and zero point",
				      op->name);
	for (i = 0; i < 4; i++) {
		if (perm[i] > 3 || seen[perm[i]])
			return npu_graph_fail(c->g, -EINVAL, "op %s: perm is not a permutation",
					      op->name);
		seen[perm[i]] = true;
		if (out->shape[i] != x->shape[perm[i]])
			return npu_graph_fail(c->g, -EINVAL,
					      "op %s: output dim %d is %u, input dim %u is %u",
					      op->name, i, out->shape[i], perm[i],
					      x->shape[perm[i]]);
	}
	return 0;
}

/* One COPY: the source walks the input with its strides permuted. */
int npu_lower_transpose(struct npu_compiler *c, const struct npu_gop *op)
{
	struct qnpu_desc_copy d = { .hdr = { QNPU_OP_COPY, 1, 0, sizeof(d) } };
	const struct reloc_spec r[] = {
		ARENA(struct qnpu_desc_copy, src.addr),
		ARENA(struct qnpu_desc_copy, dst.addr),
	};
	struct qnpu_tensor x = npu_arena_tensor(c, op->info.inputs[0], NULL);
	int i;

	d.src = x;
	for (i = 0; i < 4; i++) {
		d.src.dim[i] = x.dim[op->info.perm[i]];
		d.src.stride[i] = x.stride[op->info.perm[i]];
	}
	d.dst = npu_arena_tensor(c, op->info.output, NULL);
	return npu_emit_relocated(c, &d, sizeof(d), r, 2);
}
