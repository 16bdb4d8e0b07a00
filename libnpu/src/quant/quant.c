// SPDX-License-Identifier: MIT
/*
 * libnpu quantization toolkit: parameters from ranges, quantize and
 * dequantize, uint8 <-> int8, requantization multipliers and activation
 * bounds (<npu/quant.h>).
 *
 * The formulas of docs/arithmetic.md are those of the CPU reference
 * (ref_requant.c); this file checks arguments, handles uint8 by the shift
 * of arithmetic.md 1.6 and calls the reference for the arithmetic, so
 * there is one implementation of each formula in the library.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "npu/quant.h"
#include "ref/ref.h"

static bool dtype_ok(enum npu_dtype dtype)
{
	return dtype == NPU_INT8 || dtype == NPU_UINT8;
}

static bool scale_ok(float s)
{
	return isfinite(s) && s > 0.0f;
}

/* Offset from the int8 form of @dtype: q = q_s8 + off, Z = Z_s8 + off. */
static int32_t dtype_offset(enum npu_dtype dtype)
{
	return dtype == NPU_UINT8 ? 128 : 0;
}

static bool qparams_ok(struct npu_qparams qp, enum npu_dtype dtype)
{
	int32_t z = qp.zero_point - dtype_offset(dtype);

	return dtype_ok(dtype) && scale_ok(qp.scale) && z >= -128 && z <= 127;
}

/* ---- scale and zero-point ------------------------------------------- */

NPU_API int npu_qparams_from_range(float min, float max, enum npu_dtype dtype,
				   bool symmetric, struct npu_qparams *out)
{
	float scale;
	int32_t z = 0;
	int ret;

	if (!out || !dtype_ok(dtype) || !isfinite(min) || !isfinite(max) || min > max)
		return -EINVAL;
	if (symmetric)
		ret = npu_ref_choose_symmetric(min, max, &scale);
	else
		ret = npu_ref_choose_asymmetric(min, max, &scale, &z);
	if (ret)
		return ret;
	out->scale = scale;
	out->zero_point = z + dtype_offset(dtype);
	return 0;
}

NPU_API int npu_qparams_per_channel(const float *mins, const float *maxs, size_t channels,
				    enum npu_dtype dtype, bool symmetric,
				    struct npu_qparams *out)
{
	struct npu_qparams tmp;
	size_t c;
	int ret;

	if (!mins || !maxs || !out || !channels || !dtype_ok(dtype))
		return -EINVAL;
	/* Check every channel first: nothing is written on an error. */
	for (c = 0; c < channels; c++) {
		ret = npu_qparams_from_range(mins[c], maxs[c], dtype, symmetric, &tmp);
		if (ret)
			return ret;
	}
	for (c = 0; c < channels; c++)
		npu_qparams_from_range(mins[c], maxs[c], dtype, symmetric, &out[c]);
	return 0;
}

NPU_API int npu_channel_ranges(const float *w, size_t channels, size_t inner, float *mins,
			       float *maxs)
{
	size_t c, i;

	if (!w || !mins || !maxs || !channels || !inner || inner > SIZE_MAX / channels)
		return -EINVAL;
	for (c = 0; c < channels; c++) {
		const float *p = w + c * inner;
		float lo = INFINITY, hi = -INFINITY;

		for (i = 0; i < inner; i++) {
			if (!isfinite(p[i]))
				continue;
			lo = fminf(lo, p[i]);
			hi = fmaxf(hi, p[i]);
		}
		if (lo > hi)		/* no finite value */
			lo = hi = 0.0f;
		mins[c] = lo;
		maxs[c] = hi;
	}
	return 0;
}

/* ---- quantize and dequantize ---------------------------------------- */

static void quantize_run(const float *x, size_t n, struct npu_qparams qp,
			 enum npu_dtype dtype, void *out)
{
	int32_t z = qp.zero_point - dtype_offset(dtype);
	size_t i;

	if (dtype == NPU_UINT8) {
		uint8_t *o = out;

		for (i = 0; i < n; i++)
			o[i] = (uint8_t)(npu_ref_quantize(x[i], qp.scale, z) + 128);
	} else {
		int8_t *o = out;

		for (i = 0; i < n; i++)
			o[i] = npu_ref_quantize(x[i], qp.scale, z);
	}
}

static void dequantize_run(const void *q, size_t n, struct npu_qparams qp,
			   enum npu_dtype dtype, float *out)
{
	int32_t z = qp.zero_point - dtype_offset(dtype);
	size_t i;

	if (dtype == NPU_UINT8) {
		const uint8_t *p = q;

		for (i = 0; i < n; i++)
			out[i] = npu_ref_dequantize((int8_t)(p[i] - 128), qp.scale, z);
	} else {
		const int8_t *p = q;

		for (i = 0; i < n; i++)
			out[i] = npu_ref_dequantize(p[i], qp.scale, z);
	}
}

NPU_API int npu_quantize(const float *x, size_t n, struct npu_qparams qp,
			 enum npu_dtype dtype, void *out)
{
	if (!x || !out || !n || !qparams_ok(qp, dtype))
		return -EINVAL;
	quantize_run(x, n, qp, dtype, out);
	return 0;
}

NPU_API int npu_dequantize(const void *q, size_t n, struct npu_qparams qp,
			   enum npu_dtype dtype, float *out)
{
	if (!q || !out || !n || !qparams_ok(qp, dtype))
		return -EINVAL;
	dequantize_run(q, n, qp, dtype, out);
	return 0;
}

static bool per_channel_ok(const void *in, size_t channels, size_t inner,
			   const struct npu_qparams *qp, enum npu_dtype dtype, const void *out)
{
	size_t c;

	if (!in || !qp || !out || !channels || !inner || inner > SIZE_MAX / channels ||
	    !dtype_ok(dtype))
		return false;
	for (c = 0; c < channels; c++)
		if (!qparams_ok(qp[c], dtype))
			return false;
	return true;
}

NPU_API int npu_quantize_per_channel(const float *x, size_t channels, size_t inner,
				     const struct npu_qparams *qp, enum npu_dtype dtype,
				     void *out)
{
	size_t c;

	if (!per_channel_ok(x, channels, inner, qp, dtype, out))
		return -EINVAL;
	for (c = 0; c < channels; c++)	/* both types are one byte */
		quantize_run(x + c * inner, inner, qp[c], dtype, (uint8_t *)out + c * inner);
	return 0;
}

NPU_API int npu_dequantize_per_channel(const void *q, size_t channels, size_t inner,
				       const struct npu_qparams *qp, enum npu_dtype dtype,
				       float *out)
{
	size_t c;

	if (!per_channel_ok(q, channels, inner, qp, dtype, out))
		return -EINVAL;
	for (c = 0; c < channels; c++)
		dequantize_run((const uint8_t *)q + c * inner, inner, qp[c], dtype,
			       out + c * inner);
	return 0;
}

NPU_API int npu_quantize_weights(const float *w, size_t channels, size_t inner,
				 const struct npu_qparams *qp, int8_t *out)
{
	size_t c, i;

	if (!per_channel_ok(w, channels, inner, qp, NPU_INT8, out))
		return -EINVAL;
	for (c = 0; c < channels; c++)
		if (qp[c].zero_point != 0)
			return -EINVAL;
	for (c = 0; c < channels; c++)
		for (i = 0; i < inner; i++)
			out[c * inner + i] = npu_ref_quantize_weight(w[c * inner + i],
								     qp[c].scale);
	return 0;
}

NPU_API int npu_quantize_bias(const float *b, size_t channels, float s_in, const float *s_w,
			      int32_t *out)
{
	size_t c;

	if (!b || !s_w || !out || !channels || !scale_ok(s_in))
		return -EINVAL;
	for (c = 0; c < channels; c++)
		if (!scale_ok(s_w[c]))
			return -EINVAL;
	for (c = 0; c < channels; c++)
		out[c] = npu_ref_quantize_bias(b[c], s_in, s_w[c]);
	return 0;
}

/* ---- uint8 <-> int8 (arithmetic.md 1.6) ------------------------------ */

NPU_API int npu_u8_to_s8(const uint8_t *in, size_t n, int8_t *out)
{
	size_t i;

	if (!in || !out || !n)
		return -EINVAL;
	/* Byte by byte, so that @out == @in works. */
	for (i = 0; i < n; i++)
		out[i] = (int8_t)(in[i] ^ 0x80);
	return 0;
}

NPU_API int npu_s8_to_u8(const int8_t *in, size_t n, uint8_t *out)
{
	size_t i;

	if (!in || !out || !n)
		return -EINVAL;
	for (i = 0; i < n; i++)
		out[i] = (uint8_t)in[i] ^ 0x80;
	return 0;
}

NPU_API int npu_qparams_u8_to_s8(struct npu_qparams in, struct npu_qparams *out)
{
	if (!out || !qparams_ok(in, NPU_UINT8))
		return -EINVAL;
	out->scale = in.scale;
	out->zero_point = in.zero_point - 128;
	return 0;
}

NPU_API int npu_qparams_s8_to_u8(struct npu_qparams in, struct npu_qparams *out)
{
	if (!out || !qparams_ok(in, NPU_INT8))
		return -EINVAL;
	out->scale = in.scale;
	out->zero_point = in.zero_point + 128;
	return 0;
}

/* ---- requantization parameters ------------------------------------- */

NPU_API int npu_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift)
{
	if (!multiplier || !shift)
		return -EINVAL;
	return npu_ref_quantize_multiplier(real, multiplier, shift);
}

NPU_API int npu_requantize_params(float s_in, const float *s_w, size_t channels, float s_out,
				  int32_t *mult, int32_t *shift)
{
	size_t c;

	if (!s_w || !mult || !shift || !channels || !scale_ok(s_in) || !scale_ok(s_out))
		return -EINVAL;
	for (c = 0; c < channels; c++)
		if (!scale_ok(s_w[c]))
			return -EINVAL;
	for (c = 0; c < channels; c++) {
		/* 3.1: in double, in this order; the product is exact. */
		double real = (double)s_in * (double)s_w[c] / (double)s_out;
		int ret = npu_ref_quantize_multiplier(real, &mult[c], &shift[c]);

		if (ret)	/* cannot happen for finite positive scales */
			return ret;
	}
	return 0;
}

NPU_API int npu_act_bounds(enum npu_activation act, struct npu_qparams out,
			   enum npu_dtype dtype, int32_t *lo, int32_t *hi)
{
	enum npu_ref_act ref_act;
	int32_t off = dtype_offset(dtype);
	int32_t a, b;
	int ret;

	if (!lo || !hi || !qparams_ok(out, dtype))
		return -EINVAL;
	switch (act) {
	case NPU_ACT_NONE:
		ref_act = NPU_REF_ACT_NONE;
		break;
	case NPU_ACT_RELU:
		ref_act = NPU_REF_ACT_RELU;
		break;
	case NPU_ACT_RELU6:
		ref_act = NPU_REF_ACT_RELU6;
		break;
	default:
		return -EINVAL;
	}
	ret = npu_ref_act_bounds(ref_act, out.scale, out.zero_point - off, &a, &b);
	if (ret)
		return ret;
	*lo = a + off;
	*hi = b + off;
	return 0;
}
