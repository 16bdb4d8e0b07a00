// SPDX-License-Identifier: MIT
/*
 * libnpu CPU reference: requantization, QuantizeMultiplier, and the float
 * side of quantization. Each function is the pseudo-code of
 * docs/arithmetic.md written out; the section is named above it.
 *
 * No expression here has the a * b + c shape a compiler may contract into
 * an FMA, so the binary32/binary64 results are those the contract states
 * whatever -ffp-contract says.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>

#include "ref.h"

/* arithmetic.md 0: >> of a negative value floors; float math is not x87's. */
_Static_assert((-3 >> 1) == -2, "arithmetic right shift required");
_Static_assert(((int64_t)-3 >> 1) == -2, "arithmetic right shift required");
_Static_assert(FLT_EVAL_METHOD == 0, "binary32/binary64 evaluation required");

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* 3.4: a*b / 2^31 rounded to nearest, ties toward +inf. */
int32_t npu_ref_srdhm(int32_t a, int32_t b)
{
	int64_t ab, nudge;

	if (a == INT32_MIN && b == INT32_MIN)
		return INT32_MAX;
	ab = (int64_t)a * b;
	nudge = ab >= 0 ? (INT64_C(1) << 30) : 1 - (INT64_C(1) << 30);
	/* C division truncates: with the nudge this is floor(ab/2^31 + 1/2). */
	return (int32_t)((ab + nudge) / (INT64_C(1) << 31));
}

/* 3.4: x / 2^e, 0 <= e <= 31, rounded to nearest, ties away from zero. */
int32_t npu_ref_rdbpot(int32_t x, int exponent)
{
	int32_t mask = (int32_t)((INT64_C(1) << exponent) - 1);
	int32_t remainder = x & mask;
	int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);

	return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* 3.4: gemmlowp's two roundings. The left shift wraps, as compiled TFLite. */
int32_t npu_ref_mbqm_double(int32_t acc, int32_t multiplier, int32_t shift)
{
	int left = shift > 0 ? shift : 0;
	int right = shift > 0 ? 0 : -shift;
	int32_t x = (int32_t)((uint32_t)acc << left);

	return npu_ref_rdbpot(npu_ref_srdhm(x, multiplier), right);
}

/* 3.5: one rounding of the 64-bit product, ties toward +inf, saturated. */
int32_t npu_ref_mbqm_single(int32_t acc, int32_t multiplier, int32_t shift)
{
	int total = 31 - shift;
	int64_t r;

	/* |acc * M| < 2^62 and the rounding term <= 2^61: no overflow. */
	r = ((int64_t)acc * multiplier + (INT64_C(1) << (total - 1))) >> total;
	return (int32_t)clamp64(r, INT32_MIN, INT32_MAX);
}

int32_t npu_ref_mbqm(int32_t acc, int32_t multiplier, int32_t shift, int rounding)
{
	if (rounding == QNPU_ROUND_SINGLE)
		return npu_ref_mbqm_single(acc, multiplier, shift);
	return npu_ref_mbqm_double(acc, multiplier, shift);
}

/* 3.7: Z_out is added in 64 bits because the scaled value may be INT32_MAX. */
int8_t npu_ref_requant(int32_t acc, int32_t multiplier, int32_t shift,
		       const struct qnpu_requant *rq)
{
	int64_t v = npu_ref_mbqm(acc, multiplier, shift, rq->rounding);

	v += rq->output_zero_point;
	return (int8_t)clamp64(v, rq->act_min, rq->act_max);
}

/* 3.2: TFLite's QuantizeMultiplier, including its carry, flush and saturation. */
int npu_ref_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift)
{
	int64_t q;
	double f;
	int e;

	if (!isfinite(real) || real < 0.0)
		return -EINVAL;
	if (real == 0.0) {
		*multiplier = 0;
		*shift = 0;
		return 0;
	}
	f = frexp(real, &e);
	q = (int64_t)round(f * 2147483648.0);	/* exact product; half away */
	if (q == (INT64_C(1) << 31)) {		/* mantissa rounded up to 1.0 */
		q /= 2;
		e += 1;
	}
	if (e < -31) {				/* < 2^-32: every output rounds to 0 */
		q = 0;
		e = 0;
	}
	if (e > 30) {				/* >= 2^30: meaningless, saturate */
		q = INT32_MAX;
		e = 30;
	}
	*multiplier = (int32_t)q;
	*shift = e;
	return 0;
}

/* 1.2: binary32 division, half to even; NaN is real 0. */
int8_t npu_ref_quantize(float x, float scale, int32_t zero_point)
{
	float r;

	if (isnan(x))
		return (int8_t)zero_point;
	r = rintf(x / scale);
	/* Keeps the conversion to int32 defined; any such value saturates. */
	r = fminf(fmaxf(r, -256.0f), 256.0f);
	return (int8_t)clamp64((int32_t)r + zero_point, -128, 127);
}

float npu_ref_dequantize(int8_t q, float scale, int32_t zero_point)
{
	return (float)(q - zero_point) * scale;
}

/* 1.1: weights exclude -128 so that the grid is symmetric. */
int8_t npu_ref_quantize_weight(float w, float scale)
{
	return (int8_t)clamp64(npu_ref_quantize(w, scale, 0), -127, 127);
}

/*
 * 1.1: bias_q = sat32(round_half_even(b / ((double)S_in * (double)S_w))).
 * NaN is not covered by the contract; like quantize, it becomes real 0.
 */
int32_t npu_ref_quantize_bias(float b, float input_scale, float weight_scale)
{
	double r = rint(b / ((double)input_scale * (double)weight_scale));

	if (isnan(r))
		return 0;
	if (r >= 2147483647.0)
		return INT32_MAX;
	if (r <= -2147483648.0)
		return INT32_MIN;
	return (int32_t)r;
}

/* 1.3: widened to contain 0 so that real 0 is exact. */
int npu_ref_choose_asymmetric(double min, double max, float *scale, int32_t *zero_point)
{
	double s;

	if (!isfinite(min) || !isfinite(max))
		return -EINVAL;
	min = fmin(min, 0.0);
	max = fmax(max, 0.0);
	s = (max - min) / 255.0;
	if (!(s >= FLT_MIN)) {			/* min == max == 0 */
		*scale = 1.0f;
		*zero_point = 0;
		return 0;
	}
	*zero_point = (int32_t)clamp64((int64_t)rint(-128.0 - min / s), -128, 127);
	*scale = (float)s;
	return 0;
}

int npu_ref_choose_symmetric(double min, double max, float *scale)
{
	double s;

	if (!isfinite(min) || !isfinite(max))
		return -EINVAL;
	s = fmax(fabs(min), fabs(max)) / 127.0;
	*scale = s >= FLT_MIN ? (float)s : 1.0f;	/* all-zero tensor or channel */
	return 0;
}

/* 3.7: TFLite's bounds; 6/S_out in binary32, rounded half away from zero. */
int npu_ref_act_bounds(enum npu_ref_act act, float output_scale, int32_t output_zero_point,
		       int32_t *act_min, int32_t *act_max)
{
	float six;

	if (output_zero_point < -128 || output_zero_point > 127)
		return -EINVAL;
	*act_min = -128;
	*act_max = 127;
	switch (act) {
	case NPU_REF_ACT_NONE:
		return 0;
	case NPU_REF_ACT_RELU:
		*act_min = output_zero_point;
		return 0;
	case NPU_REF_ACT_RELU6:
		if (!(output_scale > 0.0f) || !isfinite(output_scale))
			return -EINVAL;
		*act_min = output_zero_point;
		six = 6.0f / output_scale;
		/* At 256 or more no int8 value is out of reach: no conversion. */
		if (six < 256.0f)
			*act_max = (int32_t)clamp64(output_zero_point + (int32_t)roundf(six),
						    -128, 127);
		return 0;
	}
	return -EINVAL;
}
