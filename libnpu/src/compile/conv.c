// SPDX-License-Identifier: MIT
/*
 * libnpu compiler: CONV2D and FULLY_CONNECTED. Weights are packed in the
 * device layout and the input zero point folded into the bias; weights
 * that do not fit int8 (an INT32 weight tensor) run on the CPU, exactly.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

static uint32_t conv_groups(const struct npu_op_info *o)
{
	return o->type == NPU_OP_FULLY_CONNECTED || !o->groups ? 1 : o->groups;
}

/* The window of a convolution descriptor from the op: strides, dilations, padding. */
static void conv_window(struct qnpu_desc_conv2d *d, const struct npu_op_info *o,
			uint32_t groups, int32_t input_zero_point)
{
	d->stride_h = o->stride[0] ? o->stride[0] : 1;
	d->stride_w = o->stride[1] ? o->stride[1] : 1;
	d->dilation_h = o->dilation[0] ? o->dilation[0] : 1;
	d->dilation_w = o->dilation[1] ? o->dilation[1] : 1;
	d->pad_top = o->pad[0];
	d->pad_left = o->pad[1];
	d->pad_bottom = o->pad[2];
	d->pad_right = o->pad[3];
	d->groups = groups;
	d->input_zero_point = input_zero_point;
}

/* Operand types: int8 in, int8 or raw int32 out, constant weights and bias. */
static int check_conv_types(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *w = npu_operand(c, op, 1);
	const struct npu_gtensor *b = npu_operand(c, op, 2), *out = npu_result(c, op);
	struct npu_graph *g = c->g;

	if (!w)
		return npu_graph_fail(g, -EINVAL, "op %s: no weights", op->name);
	if (!npu_quantized8(x) || (!npu_quantized8(out) && !npu_raw_out(out)))
		return npu_graph_fail(g, -EINVAL,
				      "op %s: input must be int8 quantized per tensor, output too or raw int32",
				      op->name);
	if (npu_raw_out(out) && op->info.act != NPU_ACT_NONE)
		return npu_graph_fail(g, -EINVAL,
				      "op %s: a raw int32 output takes no activation", op->name);
	if ((w->elem != NPU_ELEM_INT8 && w->elem != NPU_ELEM_INT32) || !w->data ||
	    (!w->qcount && !npu_raw_out(out)))
		return npu_graph_fail(g, -EINVAL,
				      "op %s: weights %s must be constant int8 (or int32)",
				      op->name, w->name);
	if (b && (b->elem != NPU_ELEM_INT32 || !b->data))
		return npu_graph_fail(g, -EINVAL, "op %s: bias %s must be constant int32",
				      op->name, b->name);
	return 0;
}

/* Channels: the weights against the input, the groups, the output and the bias. */
static int check_conv_channels(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *w = npu_operand(c, op, 1);
	const struct npu_gtensor *b = npu_operand(c, op, 2), *out = npu_result(c, op);
	uint32_t cout = w->shape[0], groups = conv_groups(&op->info);
	struct npu_graph *g = c->g;

	if (op->info.type == NPU_OP_FULLY_CONNECTED &&
	    (w->shape[1] != 1 || w->shape[2] != 1 || w->shape[3] != x->shape[3] ||
	     out->shape[3] != cout))
		return npu_graph_fail(g, -EINVAL,
				      "op %s: weights %ux%ux%ux%u do not fit input C %u / output C %u",
				      op->name, w->shape[0], w->shape[1], w->shape[2],
				      w->shape[3], x->shape[3], out->shape[3]);
	if (x->shape[3] % groups || cout % groups ||
	    w->shape[3] != x->shape[3] / groups || out->shape[3] != cout)
		return npu_graph_fail(g, -EINVAL,
				      "op %s: weights [%u][%u][%u][%u] do not match input C %u, groups %u, output C %u",
				      op->name, w->shape[0], w->shape[1], w->shape[2],
				      w->shape[3], x->shape[3], groups, out->shape[3]);
	if (w->qcount > 1 && w->qcount != cout)
		return npu_graph_fail(g, -EINVAL, "op %s: %u weight scales for %u output channels",
				      op->name, w->qcount, cout);
	if (b && npu_shape_count(b->shape) != cout)
		return npu_graph_fail(g, -EINVAL, "op %s: bias has %llu values, not %u",
				      op->name, (unsigned long long)npu_shape_count(b->shape),
				      cout);
	return 0;
}

/* The output's extents: rows of K for FC, the window's arithmetic for CONV2D. */
static int check_conv_output(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *w = npu_operand(c, op, 1);
	const struct npu_gtensor *out = npu_result(c, op);
	struct qnpu_desc_conv2d d = { 0 };
	int64_t eh, ew;

	if (op->info.type == NPU_OP_FULLY_CONNECTED) {
		if (npu_shape_count(out->shape) != npu_shape_count(x->shape) / x->shape[3] * w->shape[0])
			return npu_graph_fail(c->g, -EINVAL, "op %s: output %s has the wrong size",
					      op->name, out->name);
		return 0;
	}
	conv_window(&d, &op->info, 1, 0);
	eh = (int64_t)x->shape[1] + d.pad_top + d.pad_bottom -
	     ((int64_t)(w->shape[1] - 1) * d.dilation_h + 1);
	ew = (int64_t)x->shape[2] + d.pad_left + d.pad_right -
	     ((int64_t)(w->shape[2] - 1) * d.dilation_w + 1);
	if (eh < 0 || ew < 0 || out->shape[0] != x->shape[0] ||
	    out->shape[1] != eh / d.stride_h + 1 || out->shape[2] != ew / d.stride_w + 1)
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: output %s is %ux%ux%ux%u, the convolution gives %ux%lldx%lldx%u",
				      op->name, out->name, out->shape[0], out->shape[1],
				      out->shape[2], out->shape[3], x->shape[0],
				      eh < 0 ? 0LL : (long long)(eh / d.stride_h + 1),
				      ew < 0 ? 0LL : (long long)(ew / d.stride_w + 1), w->shape[0]);
	return 0;
}

int npu_check_conv(struct npu_compiler *c, const struct npu_gop *op)
{
	int ret = check_conv_types(c, op);

	ret = ret ?: check_conv_channels(c, op);
	return ret ?: check_conv_output(c, op);
}

/*
 * Whether the device takes the convolution: int8 weights, kernel, stride
 * and dilation within its fields, each padding smaller than the dilated
 * kernel, K within CAP_MAX_K (docs/arithmetic.md 8). The rest runs on the
 * CPU, exactly.
 */
static bool conv_fits_device(const struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_op_info *o = &op->info;
	const struct npu_gtensor *w = npu_operand(c, op, 1);
	struct qnpu_desc_conv2d d = { 0 };
	uint32_t span_h, span_w;

	if (w->elem != NPU_ELEM_INT8)
		return false;
	if (o->type == NPU_OP_FULLY_CONNECTED)
		return w->shape[3] <= NPU_REF_MAX_K;
	conv_window(&d, o, 1, 0);
	span_h = (w->shape[1] - 1) * d.dilation_h + 1;
	span_w = (w->shape[2] - 1) * d.dilation_w + 1;
	return w->shape[1] <= DEVICE_MAX_WINDOW && w->shape[2] <= DEVICE_MAX_WINDOW &&
	       d.stride_h <= DEVICE_MAX_WINDOW && d.stride_w <= DEVICE_MAX_WINDOW &&
	       d.dilation_h <= DEVICE_MAX_WINDOW && d.dilation_w <= DEVICE_MAX_WINDOW &&
	       d.pad_top < span_h && d.pad_bottom < span_h && d.pad_left < span_w &&
	       d.pad_right < span_w &&
	       (uint64_t)w->shape[1] * w->shape[2] * w->shape[3] <= NPU_REF_MAX_K;
}

/* The weights as int32, the CPU convolution's format, into the weights blob. */
static int add_wide_weights(struct npu_compiler *c, const struct npu_gtensor *w, uint64_t *off)
{
	uint64_t n = npu_shape_count(w->shape), i;
	int32_t *wide;
	int ret;

	if (w->elem == NPU_ELEM_INT32)
		return npu_blob_add(&c->weights, w->data, w->bytes, WEIGHTS_ALIGN, off);
	wide = malloc(sizeof(int32_t) * n);
	if (!wide)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		wide[i] = ((const int8_t *)w->data)[i];
	ret = npu_blob_add(&c->weights, wide, sizeof(int32_t) * n, WEIGHTS_ALIGN, off);
	free(wide);
	return ret;
}

/*
 * A convolution the device cannot take (weights that do not fit int8, or
 * a window, padding or K over its limits) runs on the CPU: its descriptor, with arena and weights-blob offsets in place
 * of addresses, and its int32 weights go to the weights blob.
 */
static int lower_cpu_conv(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_op_info *o = &op->info;
	const struct npu_gtensor *x = npu_operand(c, op, 0), *w = npu_operand(c, op, 1);
	const struct npu_gtensor *b = npu_operand(c, op, 2), *out = npu_result(c, op);
	struct qnpu_desc_conv2d d = { .hdr = { QNPU_OP_CONV2D, 1, 0, sizeof(d) } };
	struct npu_step s = { .kind = NPU_STEP_CONV };
	uint64_t p_off = UINT64_MAX, off;
	int ret;

	d.input = npu_arena_tensor(c, o->inputs[0], NULL);
	d.output = npu_arena_tensor(c, o->output, NULL);
	d.kernel_h = w->shape[1];
	d.kernel_w = w->shape[2];
	conv_window(&d, o, conv_groups(o), x->zero_points[0]);
	if (o->type == NPU_OP_FULLY_CONNECTED) {
		/* Rows of K: the same arithmetic as a 1x1 convolution. */
		memcpy(d.output.dim, d.input.dim, 3 * sizeof(uint32_t));
		d.output.stride[0] = d.input.dim[1] * d.input.dim[2] * d.output.stride[2];
		d.output.stride[1] = d.input.dim[2] * d.output.stride[2];
	}
	ret = add_wide_weights(c, w, &off);
	d.weights = off;
	d.bias = UINT64_MAX;
	if (!ret && b) {
		ret = npu_blob_add(&c->weights, b->data, b->bytes, WEIGHTS_ALIGN, &off);
		d.bias = off;
	}
	if (!ret && !npu_raw_out(out))
		ret = npu_requant_of(c, op, x->scales[0], 0, w, out, &d.requant, &p_off);
	if (ret)
		return ret;
	d.requant.channel_params = p_off;
	ret = npu_blob_add(&c->weights, &d, sizeof(d), WEIGHTS_ALIGN, &s.params_offset);
	if (ret)
		return ret;
	s.in_offset = c->offset[o->inputs[0]];
	s.out_offset = c->offset[o->output];
	s.count = npu_shape_count(out->shape);
	return npu_add_cpu_step(c, &s);
}

/*
 * Device weights and folded bias of a convolution into the weights blob:
 * @ohwi packed in the device layout, bias_f = bias - Z_in * sum(w)
 * (docs/arithmetic.md 2.2; @bias NULL for zeros).
 */
int npu_pack_conv(struct npu_compiler *c, const char *op, const int8_t *ohwi,
		  const void *bias, uint32_t cout, uint32_t kh, uint32_t kw,
		  uint32_t cin, uint32_t groups, int32_t input_zero_point,
		  uint64_t *w_off, uint64_t *b_off, size_t *wbytes)
{
	int8_t *packed;
	int32_t *bias_f;
	int ret;

	*wbytes = npu_ref_weight_bytes(cout, kh, kw, cin, groups);
	packed = malloc(*wbytes);
	bias_f = malloc(sizeof(int32_t) * cout);
	ret = packed && bias_f ? 0 : -ENOMEM;
	if (!ret)
		ret = npu_ref_pack_weights(packed, ohwi, cout, kh, kw, cin, groups);
	if (ret >= 0)
		ret = npu_ref_fold_bias(bias_f, bias, ohwi, cout,
					(uint64_t)kh * kw * (cin / groups), input_zero_point);
	if (ret < 0 && ret != -ENOMEM)
		npu_graph_fail(c->g, ret, "op %s: weights cannot be packed", op);
	if (ret >= 0)
		ret = npu_blob_add(&c->weights, packed, *wbytes, WEIGHTS_ALIGN, w_off);
	if (!ret)
		ret = npu_blob_add(&c->weights, bias_f, sizeof(int32_t) * cout,
				   WEIGHTS_ALIGN, b_off);
	free(packed);
	free(bias_f);
	return ret;
}

/* FC: N*H*W rows of the input's C times the packed weights. */
static int emit_fc(struct npu_compiler *c, const struct npu_gop *op,
		   const struct qnpu_requant *rq, uint64_t w_off, uint64_t b_off,
		   uint64_t p_off)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0);
	uint32_t cout = npu_operand(c, op, 1)->shape[0];
	struct qnpu_desc_fc f = { .hdr = { QNPU_OP_FULLY_CONNECTED, 1, 0, sizeof(f) } };
	const struct reloc_spec r[] = {
		ARENA(struct qnpu_desc_fc, input.addr),
		ARENA(struct qnpu_desc_fc, output.addr),
		WEIGHTS(struct qnpu_desc_fc, weights, true),
		WEIGHTS(struct qnpu_desc_fc, bias, true),
		WEIGHTS(struct qnpu_desc_fc, requant.channel_params, p_off != UINT64_MAX),
	};

	f.input = npu_arena_tensor(c, op->info.inputs[0], NULL);
	f.output = npu_arena_tensor(c, op->info.output, NULL);
	f.weights = w_off;
	f.bias = b_off;
	f.input_zero_point = x->zero_points[0];
	f.requant = *rq;
	if (p_off != UINT64_MAX)
		f.requant.channel_params = p_off;
	/* The device wants output N, H, W equal to the input's. */
	memcpy(f.output.dim, f.input.dim, 3 * sizeof(uint32_t));
	f.output.stride[0] = f.input.dim[1] * f.input.dim[2] * cout;
	f.output.stride[1] = f.input.dim[2] * cout;
	return npu_emit_relocated(c, &f, sizeof(f), r, 5);
}

static int emit_conv2d(struct npu_compiler *c, const struct npu_gop *op,
		       const struct qnpu_requant *rq, uint64_t w_off, uint64_t b_off,
		       uint64_t p_off, size_t wbytes)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *w = npu_operand(c, op, 1);
	struct qnpu_desc_conv2d d = { .hdr = { QNPU_OP_CONV2D, 1, 0, sizeof(d) } };

	d.input = npu_arena_tensor(c, op->info.inputs[0], NULL);
	d.output = npu_arena_tensor(c, op->info.output, NULL);
	d.weights = w_off;
	d.bias = b_off;
	d.kernel_h = w->shape[1];
	d.kernel_w = w->shape[2];
	conv_window(&d, &op->info, conv_groups(&op->info), x->zero_points[0]);
	d.requant = *rq;
	if (p_off != UINT64_MAX)
		d.requant.channel_params = p_off;
	return npu_emit_conv_tiles(c, &d, wbytes, p_off != UINT64_MAX);
}

int npu_lower_conv(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_op_info *o = &op->info;
	const struct npu_gtensor *x = npu_operand(c, op, 0), *w = npu_operand(c, op, 1);
	const struct npu_gtensor *b = npu_operand(c, op, 2), *out = npu_result(c, op);
	struct qnpu_requant rq = { 0 };
	uint64_t w_off, b_off, p_off = UINT64_MAX;
	size_t wbytes;
	int ret;

	if (!conv_fits_device(c, op))
		return lower_cpu_conv(c, op);
	ret = npu_pack_conv(c, op->name, w->data, b ? b->data : NULL, w->shape[0],
			    w->shape[1], w->shape[2], x->shape[3], conv_groups(o),
			    x->zero_points[0], &w_off, &b_off, &wbytes);
	/* Raw accumulators: the requantization stays 0. */
	if (!ret && !npu_raw_out(out))
		ret = npu_requant_of(c, op, x->scales[0], 0, w, out, &rq, &p_off);
	if (ret)
		return ret;
	if (o->type == NPU_OP_FULLY_CONNECTED)
		return emit_fc(c, op, &rq, w_off, b_off, p_off);
	return emit_conv2d(c, op, &rq, w_off, b_off, p_off, wbytes);
}
