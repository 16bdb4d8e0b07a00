// SPDX-License-Identifier: MIT
/*
 * libnpu compiler: MAXPOOL, AVGPOOL and GLOBAL_AVGPOOL.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

static bool pool_requantizes(const struct npu_gtensor *x, const struct npu_gtensor *out)
{
	return x->scales[0] != out->scales[0] || x->zero_points[0] != out->zero_points[0];
}

static bool global(const struct npu_gop *op)
{
	return op->info.type == NPU_OP_GLOBAL_AVGPOOL;
}

/* The window of @op over its input: kernel (H, W for a global pool), strides, pads. */
static void pool_window(const struct npu_compiler *c, const struct npu_gop *op,
			uint32_t k[2], uint32_t s[2], uint32_t p[4])
{
	const struct npu_op_info *o = &op->info;
	const struct npu_gtensor *x = npu_operand(c, op, 0);
	int i;

	for (i = 0; i < 2; i++) {
		k[i] = o->kernel[i] && !global(op) ? o->kernel[i] : x->shape[1 + i];
		s[i] = o->stride[i] ? o->stride[i] : 1;
	}
	memcpy(p, o->pad, 4 * sizeof(uint32_t));
}

/* Whether the device's pool takes the window; else an average pool runs on the CPU. */
static bool pool_fits_device(const struct npu_compiler *c, const struct npu_gop *op)
{
	uint32_t k[2], s[2], p[4];

	pool_window(c, op, k, s, p);
	return k[0] <= DEVICE_MAX_WINDOW && k[1] <= DEVICE_MAX_WINDOW &&
	       s[0] <= DEVICE_MAX_WINDOW && s[1] <= DEVICE_MAX_WINDOW;
}

int npu_check_pool(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);
	const struct npu_op_info *o = &op->info;
	uint32_t k[2], s[2], p[4];

	if (!npu_quantized8(x) || !npu_quantized8(out))
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: pooling takes int8 quantized per tensor", op->name);
	if (o->type == NPU_OP_MAXPOOL && pool_requantizes(x, out))
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: max pooling keeps the input's scale and zero point",
				      op->name);
	if (global(op) && (out->shape[1] != 1 || out->shape[2] != 1))
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: a global average pool gives 1x1, not %ux%u",
				      op->name, out->shape[1], out->shape[2]);
	pool_window(c, op, k, s, p);
	if (p[0] >= k[0] || p[2] >= k[0] || p[1] >= k[1] || p[3] >= k[1])
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: a padding as large as the %ux%u window leaves windows with no input",
				      op->name, k[0], k[1]);
	if (o->type == NPU_OP_MAXPOOL && !pool_fits_device(c, op))
		return npu_graph_fail(c->g, -E2BIG,
				      "op %s: a %ux%u max pool with strides %ux%u is over the device's 255",
				      op->name, k[0], k[1], s[0], s[1]);
	return 0;
}

/*
 * An average pool on the CPU: one that requantizes with padding (the count
 * of valid taps changes at the borders, and the device's pool cannot
 * rescale), or whose window is over the device's limits.
 */
static int lower_avgpool_cpu(struct npu_compiler *c, const struct npu_gop *op,
			     const struct qnpu_desc_pool *pd)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);
	struct npu_step s = { .kind = NPU_STEP_AVGPOOL,
			      .in_offset = c->offset[op->info.inputs[0]],
			      .out_offset = c->offset[op->info.output],
			      .count = npu_shape_count(out->shape),
			      .in_scale = x->scales[0],
			      .in_zero_point = x->zero_points[0],
			      .scale = out->scales[0],
			      .zero_point = out->zero_points[0] };
	struct qnpu_desc_pool d = *pd;
	int ret;

	d.input.addr = c->offset[op->info.inputs[0]];
	d.output.addr = c->offset[op->info.output];
	ret = npu_blob_add(&c->weights, &d, sizeof(d), WEIGHTS_ALIGN, &s.params_offset);
	return ret ? ret : npu_add_cpu_step(c, &s);
}

/*
 * An unpadded average pool whose output has its own scale or zero point,
 * with one rounding (pooling, then rescaling, would round twice and lose
 * up to S_in / (2 S_out) output steps): a depthwise convolution with
 * weights 1 and the multiplier S_in / (count S_out), on the device.
 */
static int lower_avgpool_conv(struct npu_compiler *c, const struct npu_gop *op,
			      const struct qnpu_desc_pool *pd)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);
	uint32_t C = x->shape[3], kh = pd->kernel_h, kw = pd->kernel_w;
	uint64_t taps = (uint64_t)kh * kw, w_off, b_off, p_off;
	struct qnpu_desc_conv2d d = { .hdr = { QNPU_OP_CONV2D, 1, 0, sizeof(d) } };
	int8_t *ones = malloc(C * taps);
	size_t wbytes;
	int ret = ones ? 0 : -ENOMEM;

	if (!ret) {
		memset(ones, 1, C * taps);
		ret = npu_pack_conv(c, op->name, ones, NULL, C, kh, kw, C, C,
				    x->zero_points[0], &w_off, &b_off, &wbytes);
	}
	free(ones);
	if (!ret)
		ret = npu_requant_of(c, op, 0, (double)x->scales[0] /
				     ((double)taps * out->scales[0]), NULL, out, &d.requant, &p_off);
	if (ret)
		return ret;
	d.input = pd->input;
	d.output = pd->output;
	d.weights = w_off;
	d.bias = b_off;
	d.kernel_h = kh;
	d.kernel_w = kw;
	d.stride_h = pd->stride_h;
	d.stride_w = pd->stride_w;
	d.dilation_h = d.dilation_w = 1;
	d.groups = C;
	d.input_zero_point = x->zero_points[0];
	return npu_emit_conv_tiles(c, &d, wbytes, false);
}

/* The pool descriptor of the op: window, strides, padding, clamp. */
static int pool_desc(struct npu_compiler *c, const struct npu_gop *op,
		     struct qnpu_desc_pool *d)
{
	const struct npu_op_info *o = &op->info;
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);
	int32_t lo, hi;
	int ret = npu_output_bounds(c, op, out, &lo, &hi);

	d->hdr = (struct qnpu_desc_header){
		o->type == NPU_OP_MAXPOOL ? QNPU_OP_MAXPOOL : QNPU_OP_AVGPOOL, 1, 0,
		sizeof(*d) };
	d->input = npu_arena_tensor(c, o->inputs[0], NULL);
	d->output = npu_arena_tensor(c, o->output, NULL);
	d->kernel_h = o->kernel[0] && !global(op) ? o->kernel[0] : x->shape[1];
	d->kernel_w = o->kernel[1] && !global(op) ? o->kernel[1] : x->shape[2];
	d->stride_h = o->stride[0] ? o->stride[0] : 1;
	d->stride_w = o->stride[1] ? o->stride[1] : 1;
	d->pad_top = o->pad[0];
	d->pad_left = o->pad[1];
	d->pad_bottom = o->pad[2];
	d->pad_right = o->pad[3];
	d->act_min = lo;
	d->act_max = hi;
	return ret;
}

int npu_lower_pool(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);
	const struct reloc_spec r[] = {
		ARENA(struct qnpu_desc_pool, input.addr),
		ARENA(struct qnpu_desc_pool, output.addr),
	};
	struct qnpu_desc_pool d = { 0 };
	bool padded;
	int ret = pool_desc(c, op, &d);

	if (ret)
		return ret;
	padded = d.pad_top || d.pad_left || d.pad_bottom || d.pad_right;
	/* Over the device's window: the CPU's average pool, exact. */
	if (!pool_fits_device(c, op))
		return lower_avgpool_cpu(c, op, &d);
	if (!pool_requantizes(x, out))
		return npu_emit_relocated(c, &d, sizeof(d), r, 2);
	if (padded || (uint64_t)d.kernel_h * d.kernel_w > NPU_REF_MAX_K)
		return lower_avgpool_cpu(c, op, &d);
	return lower_avgpool_conv(c, op, &d);
}
