// SPDX-License-Identifier: MIT
/*
 * libnpu: the operations a program leaves to the CPU, shared by every
 * executor so that they give the same bytes.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "ref/ref.h"

static void softmax(const float *x, float *y, uint64_t rows, uint32_t n)
{
	uint64_t r;
	uint32_t i;

	for (r = 0; r < rows; r++, x += n, y += n) {
		float max = x[0], sum = 0;

		for (i = 1; i < n; i++)
			max = x[i] > max ? x[i] : max;
		for (i = 0; i < n; i++) {
			y[i] = expf(x[i] - max);
			sum += y[i];
		}
		for (i = 0; i < n; i++)
			y[i] /= sum;
	}
}

/* The quantization parameters of element @i of a (de)quantize step. */
static void step_q(const struct npu_step *s, const uint8_t *weights, uint64_t i,
		   float *scale, int32_t *zero_point)
{
	struct npu_channel_q q;

	if (!s->per_channel) {
		*scale = s->scale;
		*zero_point = s->zero_point;
		return;
	}
	memcpy(&q, weights + s->params_offset + sizeof(q) * (i % s->inner),
	       sizeof(q));
	*scale = q.scale;
	*zero_point = q.zero_point;
}

/*
 * The CPU fallback for a convolution whose weights do not fit int8: the
 * same arithmetic as the device (padding taps are the input zero point,
 * so they add nothing once it is subtracted), with int32 weights.
 */
static void cpu_conv(const struct qnpu_desc_conv2d *d, uint8_t *arena,
		     const uint8_t *weights)
{
	const int8_t *x = (const int8_t *)(arena + d->input.addr);
	const int32_t *w = (const int32_t *)(weights + d->weights);
	const uint32_t H = d->input.dim[1], W = d->input.dim[2], C = d->input.dim[3];
	const uint32_t OH = d->output.dim[1], OW = d->output.dim[2];
	const uint32_t CO = d->output.dim[3], cg = C / d->groups, og = CO / d->groups;
	const bool raw = d->output.dtype == QNPU_DTYPE_INT32;
	struct qnpu_channel_requant cr = { d->requant.multiplier, d->requant.shift };
	uint32_t n, oy, ox, co, ky, kx, ci;
	int32_t bias;

	for (n = 0; n < d->input.dim[0]; n++)
	for (oy = 0; oy < OH; oy++)
	for (ox = 0; ox < OW; ox++)
	for (co = 0; co < CO; co++) {
		uint32_t g = co / og;
		uint64_t at = ((uint64_t)(n * OH + oy) * OW + ox) * CO + co;
		uint32_t acc = 0;

		if (d->bias != UINT64_MAX)
			memcpy(&acc, weights + d->bias + 4 * co, 4);
		for (ky = 0; ky < d->kernel_h; ky++) {
			int64_t iy = (int64_t)oy * d->stride_h - d->pad_top +
				     (int64_t)ky * d->dilation_h;

			if (iy < 0 || iy >= H)
				continue;
			for (kx = 0; kx < d->kernel_w; kx++) {
				int64_t ix = (int64_t)ox * d->stride_w - d->pad_left +
					     (int64_t)kx * d->dilation_w;
				const int8_t *px;
				const int32_t *pw;

				if (ix < 0 || ix >= W)
					continue;
				px = x + (((uint64_t)n * H + iy) * W + ix) * C + g * cg;
				pw = w + (((uint64_t)co * d->kernel_h + ky) * d->kernel_w + kx) * cg;
				for (ci = 0; ci < cg; ci++)
					acc += (uint32_t)((px[ci] - d->input_zero_point) * pw[ci]);
			}
		}
		if (raw) {
			memcpy(arena + d->output.addr + 4 * at, &acc, 4);
			continue;
		}
		if (d->requant.channel_params != UINT64_MAX)
			memcpy(&cr, weights + d->requant.channel_params + sizeof(cr) * co,
			       sizeof(cr));
		bias = (int32_t)acc;
		arena[d->output.addr + at] =
			(uint8_t)npu_ref_requant(bias, cr.multiplier, cr.shift, &d->requant);
	}
}

/*
 * ONNX DynamicQuantizeLinear, in binary32 as its reference: the range
 * stretched to include 0, scale = range / 255, zero point = round(-min /
 * scale) saturated to 0..255 (ties to even). uint8 results are stored
 * shifted by -128 like every uint8 tensor.
 */
static void dynamic_q(const struct npu_step *s, uint8_t *arena)
{
	const float *x = (const float *)(arena + s->in_offset);
	float lo = 0, hi = 0, scale, zf;
	int32_t zp;
	uint64_t i;

	for (i = 0; i < s->count; i++) {
		lo = x[i] < lo ? x[i] : lo;
		hi = x[i] > hi ? x[i] : hi;
	}
	scale = (hi - lo) / 255.0f;
	zf = scale > 0 ? rintf(fminf(fmaxf(0.0f - lo / scale, 0.0f), 255.0f)) : 0;
	zp = (int32_t)zf;
	switch (s->kind) {
	case NPU_STEP_DYNAMIC_SCALE:
		memcpy(arena + s->out_offset, &scale, 4);
		break;
	case NPU_STEP_DYNAMIC_ZERO_POINT:
		arena[s->out_offset] = (uint8_t)(zp - 128);
		break;
	default:
		for (i = 0; i < s->count; i++)
			arena[s->out_offset + i] = scale > 0 ?
				(uint8_t)npu_ref_quantize(x[i], scale, zp - 128) :
				(uint8_t)(zp - 128);
		break;
	}
}

/* A function step: dequantize (int8 input), apply, quantize (int8 output). */
static void function_step(const struct npu_step *s, uint8_t *arena)
{
	uint64_t i;

	for (i = 0; i < s->count; i++) {
		float x, y;

		if (s->in_q && s->out_q) {
			arena[s->out_offset + i] = (uint8_t)npu_fn_apply_q(
				s->fn, (int8_t)arena[s->in_offset + i], s->alpha, s->beta,
				s->in_scale, s->in_zero_point, s->scale, s->zero_point);
			continue;
		}
		if (s->in_q)
			x = npu_ref_dequantize((int8_t)arena[s->in_offset + i], s->in_scale,
					       s->in_zero_point);
		else
			memcpy(&x, arena + s->in_offset + 4 * i, 4);
		y = npu_fn_apply(s->fn, x, s->alpha, s->beta);
		if (s->out_q)
			arena[s->out_offset + i] =
				(uint8_t)npu_ref_quantize(y, s->scale, s->zero_point);
		else
			memcpy(arena + s->out_offset + 4 * i, &y, 4);
	}
}

/*
 * An average pool with padding (count excluding it) into another scale
 * and zero point, with one rounding: the mean of x - Z_in over the valid
 * taps times S_in / S_out, rounded half to even (as ONNX Runtime), plus
 * Z_out, clamped.
 */
static void avgpool_step(const struct npu_step *s, uint8_t *arena,
			 const uint8_t *weights)
{
	struct qnpu_desc_pool d;
	const int8_t *x;
	int8_t *y;
	uint32_t n, oy, ox, ch, ky, kx, H, W, C, OH, OW;
	double m = (double)s->in_scale / (double)s->scale;

	memcpy(&d, weights + s->params_offset, sizeof(d));
	x = (const int8_t *)(arena + d.input.addr);
	y = (int8_t *)(arena + d.output.addr);
	H = d.input.dim[1];
	W = d.input.dim[2];
	C = d.input.dim[3];
	OH = d.output.dim[1];
	OW = d.output.dim[2];
	for (n = 0; n < d.input.dim[0]; n++)
	for (oy = 0; oy < OH; oy++)
	for (ox = 0; ox < OW; ox++)
	for (ch = 0; ch < C; ch++) {
		int64_t sum = 0, count = 0, v;

		for (ky = 0; ky < d.kernel_h; ky++) {
			int64_t iy = (int64_t)oy * d.stride_h - d.pad_top + ky;

			for (kx = 0; iy >= 0 && iy < H && kx < d.kernel_w; kx++) {
				int64_t ix = (int64_t)ox * d.stride_w - d.pad_left + kx;

				if (ix < 0 || ix >= W)
					continue;
				sum += x[(((uint64_t)n * H + iy) * W + ix) * C + ch] -
				       s->in_zero_point;
				count++;
			}
		}
		v = (int64_t)nearbyint((double)sum * m / (double)(count ? count : 1)) +
		    s->zero_point;
		y[(((uint64_t)n * OH + oy) * OW + ox) * C + ch] =
			(int8_t)(v < d.act_min ? d.act_min : v > d.act_max ? d.act_max : v);
	}
}

/*
 * SOFTMAX and LAYER_NORM, over rows of @inner: in float, an int8 input
 * dequantized and an int8 output quantized.
 */
static void float_rows(const struct npu_step *s, uint8_t *arena, const uint8_t *weights)
{
	float *x = malloc(sizeof(float) * s->count);
	float *y = malloc(sizeof(float) * s->count);
	const float *params = (const float *)(weights + s->params_offset);
	uint64_t i;

	for (i = 0; x && y && i < s->count; i++)
		x[i] = s->in_q ? npu_ref_dequantize((int8_t)arena[s->in_offset + i],
						    s->in_scale, s->in_zero_point) :
				 ((const float *)(arena + s->in_offset))[i];
	if (x && y && s->kind == NPU_STEP_SOFTMAX)
		softmax(x, y, s->count / s->inner, s->inner);
	else if (x && y)
		npu_ref_layernorm(x, y, s->count / s->inner, s->inner, params,
				  params + s->inner, s->alpha);
	for (i = 0; x && y && i < s->count; i++) {
		if (s->out_q)
			arena[s->out_offset + i] = (uint8_t)npu_ref_quantize(y[i], s->scale,
									   s->zero_point);
		else
			((float *)(arena + s->out_offset))[i] = y[i];
	}
	free(x);
	free(y);
}

void npu_cpu_step(const struct npu_step *s, uint8_t *arena,
		  const uint8_t *weights)
{
	float scale;
	int32_t zp;
	uint64_t i;

	switch (s->kind) {
	case NPU_STEP_QUANTIZE: {
		float v;

		for (i = 0; i < s->count; i++) {
			memcpy(&v, arena + s->in_offset + 4 * i, 4);
			step_q(s, weights, i, &scale, &zp);
			arena[s->out_offset + i] = (uint8_t)npu_ref_quantize(v, scale, zp);
		}
		break;
	}
	case NPU_STEP_DEQUANTIZE:
		for (i = 0; i < s->count; i++) {
			float v;

			step_q(s, weights, i, &scale, &zp);
			v = npu_ref_dequantize((int8_t)arena[s->in_offset + i], scale, zp);
			memcpy(arena + s->out_offset + 4 * i, &v, 4);
		}
		break;
	case NPU_STEP_CONV: {
		struct qnpu_desc_conv2d d;

		memcpy(&d, weights + s->params_offset, sizeof(d));
		cpu_conv(&d, arena, weights);
		break;
	}
	case NPU_STEP_FUNCTION:
		function_step(s, arena);
		break;
	case NPU_STEP_AVGPOOL:
		avgpool_step(s, arena, weights);
		break;
	case NPU_STEP_DYNAMIC_QUANTIZE:
	case NPU_STEP_DYNAMIC_SCALE:
	case NPU_STEP_DYNAMIC_ZERO_POINT:
		dynamic_q(s, arena);
		break;
	case NPU_STEP_SOFTMAX:
	case NPU_STEP_LAYER_NORM:
		float_rows(s, arena, weights);
		break;
	}
}
