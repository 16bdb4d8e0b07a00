// SPDX-License-Identifier: MIT
/*
 * Host tests of libnpu's CPU reference (libnpu/src/ref_*.c): every worked
 * example of docs/arithmetic.md as an exact assertion, the rounding modes
 * against exact rational arithmetic (__int128) on random triples, and the
 * operations against direct formulas written here from the documents,
 * with the weights given unpacked (OHWI) so that the packer and the bias
 * folding are checked too.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ref/ref.h"

typedef __int128 i128;

/* ---- helpers ------------------------------------------------------------ */

/* Reports the failing case before cmocka stops the test. */
#define CHECK_EQ(got, want, fmt, ...)						\
	do {									\
		long long _g = (got), _w = (want);				\
		if (_g != _w) {							\
			print_error("got %lld, want %lld: " fmt "\n",		\
				    _g, _w, __VA_ARGS__);			\
			fail();							\
		}								\
	} while (0)

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64*: deterministic, so a failure can be replayed. */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static int64_t rnd_range(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static uint32_t f32_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	assert_non_null(p);
	return p;
}

/* A descriptor tensor, NHWC contiguous. addr only has to be non-zero. */
static void tdesc(struct qnpu_tensor *t, int dtype, uint32_t n, uint32_t h, uint32_t w,
		  uint32_t c)
{
	uint32_t es = dtype == QNPU_DTYPE_INT32 ? 4 : 1;

	memset(t, 0, sizeof(*t));
	t->addr = 0x100000;
	t->dim[0] = n;
	t->dim[1] = h;
	t->dim[2] = w;
	t->dim[3] = c;
	t->stride[3] = es;
	t->stride[2] = c * es;
	t->stride[1] = w * c * es;
	t->stride[0] = h * w * c * es;
	t->dtype = dtype;
}

static size_t tbytes(const struct qnpu_tensor *t)
{
	size_t end = t->dtype == QNPU_DTYPE_INT32 ? 4 : 1;
	int i;

	for (i = 0; i < 4; i++)
		end += (size_t)(t->dim[i] - 1) * t->stride[i];
	return end;
}

/* The test's own element access, written from hardware.md 11.1. */
static size_t toff(const struct qnpu_tensor *t, uint32_t n, uint32_t h, uint32_t w,
		   uint32_t c)
{
	return (size_t)n * t->stride[0] + (size_t)h * t->stride[1] +
	       (size_t)w * t->stride[2] + (size_t)c * t->stride[3];
}

static int32_t tget(const struct qnpu_tensor *t, const void *base, uint32_t n,
		    uint32_t h, uint32_t w, uint32_t c)
{
	const uint8_t *p = (const uint8_t *)base + toff(t, n, h, w, c);
	int32_t v;

	if (t->dtype == QNPU_DTYPE_INT8)
		return (int8_t)*p;
	memcpy(&v, p, 4);	/* the host is little-endian, like the device */
	return v;
}

static void tput(const struct qnpu_tensor *t, void *base, uint32_t n, uint32_t h,
		 uint32_t w, uint32_t c, int32_t v)
{
	uint8_t *p = (uint8_t *)base + toff(t, n, h, w, c);

	if (t->dtype == QNPU_DTYPE_INT8)
		*p = (uint8_t)v;
	else
		memcpy(p, &v, 4);
}

static void rq_set(struct qnpu_requant *rq, int32_t m, int32_t shift, int32_t z,
		   int32_t lo, int32_t hi, int rounding)
{
	memset(rq, 0, sizeof(*rq));
	rq->multiplier = m;
	rq->shift = shift;
	rq->output_zero_point = z;
	rq->act_min = lo;
	rq->act_max = hi;
	rq->rounding = rounding;
}

static void hdr_set(struct qnpu_desc_header *h, int op, size_t size)
{
	h->op = op;
	h->version = 1;
	h->flags = 0;
	h->size = size;
}

/* ---- exact arithmetic, independent of the implementation ---------------- */

/* floor(num / 2^sh + 1/2): round half up. */
static i128 ex_half_up(i128 num, int sh)
{
	i128 den = (i128)1 << sh;
	i128 q = num / den, r = num % den;

	if (r < 0) {		/* make q the floor and 0 <= r < den */
		q -= 1;
		r += den;
	}
	return 2 * r >= den ? q + 1 : q;
}

/* num / 2^sh rounded half away from zero. */
static i128 ex_half_away(i128 num, int sh)
{
	i128 den = (i128)1 << sh, a = num < 0 ? -num : num;
	i128 q = a / den, r = a % den;

	if (sh > 0 && 2 * r >= den)
		q += 1;
	return num < 0 ? -q : q;
}

static int32_t ex_sat32(i128 v)
{
	return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

/* single: the exact acc * M / 2^(31 - shift), half up, saturated. */
static int32_t ex_single(int32_t acc, int32_t m, int32_t shift)
{
	return ex_sat32(ex_half_up((i128)acc * m, 31 - shift));
}

/* Round half up of acc*2^left*M / 2^31, the doubling high multiply. */
static i128 ex_srdhm_of(int32_t acc, int32_t m, int32_t shift)
{
	int left = shift > 0 ? shift : 0;
	/* acc * 2^left modulo 2^32, as arithmetic.md 3.4 requires. */
	int32_t x = (int32_t)(uint32_t)(uint64_t)((int64_t)acc * ((int64_t)1 << left));

	return ex_half_up((i128)x * m, 31);
}

/* double: half up of the high product, then half away of the division. */
static int32_t ex_double(int32_t acc, int32_t m, int32_t shift)
{
	int right = shift > 0 ? 0 : -shift;

	return (int32_t)ex_half_away(ex_srdhm_of(acc, m, shift), right);
}

static int32_t ex_mbqm(int32_t acc, int32_t m, int32_t shift, int rounding)
{
	return rounding == QNPU_ROUND_SINGLE ? ex_single(acc, m, shift) :
					       ex_double(acc, m, shift);
}

static int32_t ex_requant(int64_t acc, int32_t m, int32_t shift, int32_t z, int32_t lo,
			  int32_t hi, int rounding)
{
	int64_t v = (int64_t)ex_mbqm((int32_t)acc, m, shift, rounding) + z;

	return v < lo ? lo : v > hi ? hi : (int32_t)v;
}

static int32_t ex_rq(int64_t acc, int32_t m, int32_t shift, const struct qnpu_requant *rq)
{
	return ex_requant(acc, m, shift, rq->output_zero_point, rq->act_min, rq->act_max,
			  rq->rounding);
}

/* Random (M, shift) for accumulators up to @max_abs: outputs around +-256. */
static void rnd_scale(int64_t max_abs, int32_t *m, int32_t *shift)
{
	int bits = 0;

	while (((int64_t)1 << bits) <= max_abs)
		bits++;
	*m = (int32_t)rnd_range(INT32_C(1) << 30, INT32_MAX);
	*shift = 8 - bits + (int32_t)rnd_range(-1, 1);
	if (*shift < -31)
		*shift = -31;
	if (*shift > 30)
		*shift = 30;
}

static int rnd_zp(void)
{
	/* The extremes are where a wrong width or clamp shows. */
	switch (rnd() % 4) {
	case 0:
		return -128;
	case 1:
		return 127;
	}
	return (int)rnd_range(-128, 127);
}

static void rnd_requant(struct qnpu_requant *rq, int64_t max_abs, int rounding)
{
	int32_t m, s, lo, hi;

	rnd_scale(max_abs, &m, &s);
	lo = rnd() % 2 ? -128 : (int32_t)rnd_range(-128, 0);
	hi = rnd() % 2 ? 127 : (int32_t)rnd_range(lo, 127);
	rq_set(rq, m, s, rnd_zp(), lo, hi, rounding);
}

/* ---- 1. quantization ---------------------------------------------------- */

/* arithmetic.md 1.4 */
static void test_quantize_example_symmetric(void **state)
{
	static const float w[5] = { -0.5f, -0.2f, 0.1f, 0.3f, 0.5f };
	static const float ws[5] = { -127.0f, -50.79999924f, 25.39999962f,
				     76.20000458f, 127.0f };
	static const int8_t q[5] = { -127, -51, 25, 76, 127 };
	static const float deq[5] = { -0.5f, -0.2007874f, 0.0984252f, 0.2992126f, 0.5f };
	float s;
	int i;

	assert_int_equal(npu_ref_choose_symmetric(-0.5, 0.5, &s), 0);
	assert_int_equal(f32_bits(s), 0x3B810204);
	for (i = 0; i < 5; i++) {
		assert_true(w[i] / s == ws[i]);
		assert_int_equal(npu_ref_quantize_weight(w[i], s), q[i]);
		assert_float_equal(npu_ref_dequantize(q[i], s, 0), deq[i], 5e-8);
		assert_true(fabsf(npu_ref_dequantize(q[i], s, 0) - w[i]) <= s / 2);
	}
	/* Weights exclude -128: the grid is symmetric. */
	assert_int_equal(npu_ref_quantize_weight(-0.6f, s), -127);
	assert_int_equal(npu_ref_quantize_weight(0.6f, s), 127);
	/* All-zero tensor or channel: scale 1. */
	assert_int_equal(npu_ref_choose_symmetric(0.0, 0.0, &s), 0);
	assert_true(s == 1.0f);
	assert_int_equal(npu_ref_choose_symmetric(-INFINITY, 1.0, &s), -EINVAL);
	assert_int_equal(npu_ref_choose_symmetric(0.0, NAN, &s), -EINVAL);
}

/* arithmetic.md 1.5 */
static void test_quantize_example_asymmetric(void **state)
{
	static const float x[8] = { -1.0f, -0.3f, 0.0f, 0.5f, 1.3f, 2.0f, 3.0f, 3.1f };
	static const float xs[8] = { -63.749996f, -19.125f, 0.0f, 31.874998f,
				     82.874992f, 127.499992f, 191.249985f, 197.624985f };
	static const int8_t q[8] = { -128, -83, -64, -32, 19, 63, 127, 127 };
	static const float deq[8] = { -1.0039216f, -0.2980392f, 0.0f, 0.5019608f,
				      1.3019608f, 1.9921570f, 2.9960785f, 2.9960785f };
	int32_t z;
	float s;
	int i;

	assert_int_equal(npu_ref_choose_asymmetric(-1.0, 3.0, &s, &z), 0);
	assert_int_equal(f32_bits(s), 0x3C808081);
	assert_int_equal(z, -64);
	for (i = 0; i < 8; i++) {
		assert_float_equal(x[i] / s, xs[i], 4e-6);
		assert_int_equal(npu_ref_quantize(x[i], s, z), q[i]);
		assert_float_equal(npu_ref_dequantize(q[i], s, z), deq[i], 1e-7);
	}
	/* x = 2.0 is 127.5 steps of 4/255 but just below the tie on the stored scale. */
	assert_true(2.0f / s < 127.5f);
	assert_true(npu_ref_dequantize(-64, s, z) == 0.0f);	/* real 0 is exact */

	/* Degenerate and rejected ranges (1.3). */
	assert_int_equal(npu_ref_choose_asymmetric(0.0, 0.0, &s, &z), 0);
	assert_true(s == 1.0f);
	assert_int_equal(z, 0);
	assert_int_equal(npu_ref_choose_asymmetric(NAN, 1.0, &s, &z), -EINVAL);
	assert_int_equal(npu_ref_choose_asymmetric(0.0, INFINITY, &s, &z), -EINVAL);
	/* Ranges are widened to contain 0: [0.5, 2] is [0, 2], Z = -128. */
	assert_int_equal(npu_ref_choose_asymmetric(0.5, 2.0, &s, &z), 0);
	assert_int_equal(z, -128);
	assert_int_equal(npu_ref_choose_asymmetric(-2.0, -0.5, &s, &z), 0);
	assert_int_equal(z, 127);
}

/* arithmetic.md 1.2: half to even, NaN, out of range. */
static void test_quantize_ties(void **state)
{
	assert_int_equal(npu_ref_quantize(0.625f, 0.25f, 0), 2);
	assert_int_equal(npu_ref_quantize(-0.625f, 0.25f, 0), -2);
	assert_int_equal(npu_ref_quantize(0.375f, 0.25f, 0), 2);
	assert_int_equal(npu_ref_quantize(0.875f, 0.25f, 0), 4);
	assert_int_equal(npu_ref_quantize(NAN, 0.25f, -17), -17);
	assert_int_equal(npu_ref_quantize(1e30f, 0.25f, 100), 127);
	assert_int_equal(npu_ref_quantize(-1e30f, 0.25f, -100), -128);
	assert_int_equal(npu_ref_quantize(INFINITY, 1e-30f, 0), 127);
	assert_int_equal(npu_ref_quantize(-INFINITY, 1.0f, 127), -128);
	assert_int_equal(npu_ref_quantize(10.0f, 0.25f, 127), 127);
	assert_int_equal(npu_ref_quantize(-10.0f, 0.25f, -128), -128);
}

/* arithmetic.md 1.1: bias = sat32(round_half_even(b / (S_in * S_w))). */
static void test_quantize_bias(void **state)
{
	assert_int_equal(npu_ref_quantize_bias(1.0f, 0.5f, 0.25f), 8);
	assert_int_equal(npu_ref_quantize_bias(0.625f, 0.5f, 0.5f), 2);	/* 2.5 */
	assert_int_equal(npu_ref_quantize_bias(0.875f, 0.5f, 0.5f), 4);	/* 3.5 */
	assert_int_equal(npu_ref_quantize_bias(-0.625f, 0.5f, 0.5f), -2);
	assert_int_equal(npu_ref_quantize_bias(1e30f, 0.5f, 0.5f), INT32_MAX);
	assert_int_equal(npu_ref_quantize_bias(-1e30f, 0.5f, 0.5f), INT32_MIN);
	assert_int_equal(npu_ref_quantize_bias(536870912.0f, 0.5f, 0.5f), INT32_MAX);
	assert_int_equal(npu_ref_quantize_bias(-536870912.0f, 0.5f, 0.5f), INT32_MIN);
	/* The product of the scales is in double: 0.1f * 0.1f is not rounded to binary32. */
	assert_int_equal(npu_ref_quantize_bias(1.0f, 0.1f, 0.1f),
			 (int32_t)rint(1.0 / ((double)0.1f * (double)0.1f)));
}

/* arithmetic.md 3.7 */
static void test_act_bounds(void **state)
{
	int32_t lo, hi;

	assert_int_equal(npu_ref_act_bounds(NPU_REF_ACT_RELU6, 0.05f, -20, &lo, &hi), 0);
	assert_int_equal(lo, -20);
	assert_int_equal(hi, 100);
	assert_int_equal(npu_ref_act_bounds(NPU_REF_ACT_RELU6, (float)(6.0 / 255), -128,
					    &lo, &hi), 0);
	assert_int_equal(lo, -128);
	assert_int_equal(hi, 127);
	assert_int_equal(npu_ref_act_bounds(NPU_REF_ACT_RELU6, 0.02f, 10, &lo, &hi), 0);
	assert_int_equal(lo, 10);
	assert_int_equal(hi, 127);
	/* 6/S = 0.5 and 1.5 exactly: half away from zero (to even: 0 and 2). */
	assert_int_equal(npu_ref_act_bounds(NPU_REF_ACT_RELU6, 12.0f, -3, &lo, &hi), 0);
	assert_int_equal(lo, -3);
	assert_int_equal(hi, -2);
	assert_int_equal(npu_ref_act_bounds(NPU_REF_ACT_RELU6, 4.0f, 0, &lo, &hi), 0);
	assert_int_equal(hi, 2);
	assert_int_equal(npu_ref_act_bounds(NPU_REF_ACT_RELU6, 1.6f, 0, &lo, &hi), 0);
	assert_int_equal(hi, 4);				/* 3.75 */
	/* 6/S >= 256: 127 with no conversion, even for a huge quotient. */
	assert_int_equal(npu_ref_act_bounds(NPU_REF_ACT_RELU6, 0.0234375f, -128, &lo, &hi), 0);
	assert_int_equal(hi, 127);
	assert_int_equal(npu_ref_act_bounds(NPU_REF_ACT_RELU6, 1e-30f, 5, &lo, &hi), 0);
	assert_int_equal(hi, 127);
	assert_int_equal(npu_ref_act_bounds(NPU_REF_ACT_RELU, 0.1f, -7, &lo, &hi), 0);
	assert_int_equal(lo, -7);
	assert_int_equal(hi, 127);
	assert_int_equal(npu_ref_act_bounds(NPU_REF_ACT_NONE, 0.1f, 30, &lo, &hi), 0);
	assert_int_equal(lo, -128);
	assert_int_equal(hi, 127);
	assert_int_equal(npu_ref_act_bounds(NPU_REF_ACT_RELU, 0.1f, 128, &lo, &hi), -EINVAL);
}

/* ---- 2. zero-point folding --------------------------------------------- */

/* arithmetic.md 2.2, through FC (all taps in bounds) and CONV2D (one padding tap). */
static void test_fold_example(void **state)
{
	static const int8_t w[3] = { -51, 25, 76 };
	static const int32_t bias = 300;
	struct qnpu_desc_conv2d cd;
	struct qnpu_desc_fc fd;
	int8_t x[3] = { 12, -40, 100 }, packed[64], out8;
	int32_t bias_f, out32;

	assert_int_equal(npu_ref_fold_bias(&bias_f, &bias, w, 1, 3, -64), 0);
	assert_int_equal(bias_f, 3500);
	assert_int_equal(npu_ref_weight_bytes(1, 1, 1, 3, 1), 64);
	assert_int_equal(npu_ref_pack_weights(packed, w, 1, 1, 1, 3, 1), 0);

	memset(&fd, 0, sizeof(fd));
	hdr_set(&fd.hdr, QNPU_OP_FULLY_CONNECTED, sizeof(fd));
	tdesc(&fd.input, QNPU_DTYPE_INT8, 1, 1, 1, 3);
	tdesc(&fd.output, QNPU_DTYPE_INT32, 1, 1, 1, 1);
	fd.weights = 0x2000;
	fd.bias = 0x3000;
	fd.input_zero_point = -64;
	assert_int_equal(npu_ref_fc(&fd, x, &out32, packed, &bias_f, NULL), 0);
	assert_int_equal(out32, 9488);
	/* 3.8: 9488 -> 68.763 -> 69 -> 64, in both modes. */
	fd.output.dtype = QNPU_DTYPE_INT8;
	fd.output.stride[2] = fd.output.stride[1] = fd.output.stride[0] = 1;
	rq_set(&fd.requant, 1992150143, -7, -5, -128, 127, QNPU_ROUND_DOUBLE);
	assert_int_equal(npu_ref_fc(&fd, x, &out8, packed, &bias_f, NULL), 0);
	assert_int_equal(out8, 64);
	fd.requant.rounding = QNPU_ROUND_SINGLE;
	assert_int_equal(npu_ref_fc(&fd, x, &out8, packed, &bias_f, NULL), 0);
	assert_int_equal(out8, 64);

	/* The third tap in the padding: W = 2, 1x3 kernel, pad_right 1. */
	memset(&cd, 0, sizeof(cd));
	hdr_set(&cd.hdr, QNPU_OP_CONV2D, sizeof(cd));
	tdesc(&cd.input, QNPU_DTYPE_INT8, 1, 1, 2, 1);
	tdesc(&cd.output, QNPU_DTYPE_INT32, 1, 1, 1, 1);
	cd.weights = 0x2000;
	cd.bias = 0x3000;
	cd.kernel_h = 1;
	cd.kernel_w = 3;
	cd.stride_h = cd.stride_w = cd.dilation_h = cd.dilation_w = 1;
	cd.pad_right = 1;
	cd.groups = 1;
	cd.input_zero_point = -64;
	assert_int_equal(npu_ref_pack_weights(packed, w, 1, 1, 3, 1, 1), 0);
	assert_int_equal(npu_ref_conv2d(&cd, x, &out32, packed, &bias_f, NULL), 0);
	assert_int_equal(out32, -2976);
	/* -2976 -> -21.568 -> -22 -> -27; with ReLU (act_min = Z_out = -5): -5. */
	cd.output.dtype = QNPU_DTYPE_INT8;
	cd.output.stride[2] = cd.output.stride[1] = cd.output.stride[0] = 1;
	rq_set(&cd.requant, 1992150143, -7, -5, -128, 127, QNPU_ROUND_DOUBLE);
	assert_int_equal(npu_ref_conv2d(&cd, x, &out8, packed, &bias_f, NULL), 0);
	assert_int_equal(out8, -27);
	cd.requant.rounding = QNPU_ROUND_SINGLE;
	assert_int_equal(npu_ref_conv2d(&cd, x, &out8, packed, &bias_f, NULL), 0);
	assert_int_equal(out8, -27);
	cd.requant.act_min = -5;
	assert_int_equal(npu_ref_conv2d(&cd, x, &out8, packed, &bias_f, NULL), 0);
	assert_int_equal(out8, -5);
}

static void test_fold_bias(void **state)
{
	static const int8_t w[6] = { 1, 2, 3, -127, -128, 127 };
	static const int32_t bias[2] = { (1 << 30) - 7, -(1 << 30) };
	int32_t f[2];

	/* sums 6 and -128; Z = -1 adds them. */
	assert_int_equal(npu_ref_fold_bias(f, bias, w, 2, 3, -1), 1);
	assert_int_equal(f[0], (1 << 30) - 1);
	assert_int_equal(f[1], -(1 << 30) - 128);
	assert_int_equal(npu_ref_fold_bias(f, bias, w, 2, 3, 0), 0);
	assert_int_equal(f[0], bias[0]);
	/* NULL bias is zeros; Z = 127, -128 at the extremes. */
	assert_int_equal(npu_ref_fold_bias(f, NULL, w, 2, 3, 127), 0);
	assert_int_equal(f[0], -762);
	assert_int_equal(f[1], 16256);
	assert_int_equal(npu_ref_fold_bias(f, NULL, w, 2, 3, -128), 0);
	assert_int_equal(f[0], 768);
	assert_int_equal(f[1], -16384);
	/* wrap32: INT32_MAX - (-1) * 6 wraps. */
	f[0] = INT32_MAX;
	assert_int_equal(npu_ref_fold_bias(f, f, w, 1, 3, -1), 1);
	assert_int_equal(f[0], INT32_MIN + 5);
	assert_int_equal(npu_ref_fold_bias(NULL, bias, w, 1, 3, 0), -EINVAL);
}

/* ---- 3. requantization -------------------------------------------------- */

/* arithmetic.md 3.2, the table. */
static void test_quantize_multiplier_examples(void **state)
{
	static const struct {
		double real;
		int32_t m, shift;
	} t[] = {
		{ 0.0072474, 1992150143, -7 },
		{ 0.5, 1073741824, 0 },
		{ 1.5, 1610612736, 1 },
		{ 1.0 - 0x1p-33, 1073741824, 1 },	/* carry */
		{ 3e-10, 1383505806, -31 },
		{ 0x1p-40, 0, 0 },			/* flushed */
		{ 0x1p30, INT32_MAX, 30 },		/* saturated */
		{ 0.0, 0, 0 },
		{ 1.0, 1073741824, 1 },
		{ 0x1p-32, 1073741824, -31 },		/* smallest kept */
		{ 0x1p-33, 0, 0 },
		{ 0x1p29, 1073741824, 30 },		/* largest kept */
		{ 1e300, INT32_MAX, 30 },
		{ 5e-324, 0, 0 },			/* denormal */
		{ 0.5 + 0x1p-32, 1073741825, 0 },	/* mantissa tie: away, not even */
		{ 0.5 + 0x1p-31 + 0x1p-32, 1073741826, 0 },
	};
	int32_t m, s;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(npu_ref_quantize_multiplier(t[i].real, &m, &s), 0);
		CHECK_EQ(m, t[i].m, "real %.17g", t[i].real);
		CHECK_EQ(s, t[i].shift, "real %.17g", t[i].real);
	}
	/* (1992150143, -7) represents 0.007247400000779. */
	assert_float_equal(ldexp(1992150143.0, -38), 0.007247400000779, 1e-15);
	assert_int_equal(npu_ref_quantize_multiplier(-1.0, &m, &s), -EINVAL);
	assert_int_equal(npu_ref_quantize_multiplier(NAN, &m, &s), -EINVAL);
	assert_int_equal(npu_ref_quantize_multiplier(INFINITY, &m, &s), -EINVAL);
}

/* The normalised mantissa is the real rounded to 31 bits, half away from zero. */
static void test_quantize_multiplier_random(void **state)
{
	double real, scaled;
	int32_t m, s;
	int i;

	for (i = 0; i < 20000; i++) {
		/* f * 2^e with f in [0.5, 1): neither flushed nor saturated. */
		real = ldexp(0.5 + (double)(rnd() >> 11) * 0x1p-54, (int)rnd_range(-31, 29));
		assert_int_equal(npu_ref_quantize_multiplier(real, &m, &s), 0);
		assert_true(s >= -31 && s <= 30);
		assert_true(m >= (INT32_C(1) << 30));
		/* real * 2^(31 - shift) is exact in double; so is the difference. */
		scaled = ldexp(real, 31 - s);
		assert_true(fabs(m - scaled) <= 0.5);
	}
	/* Mantissas with a half in the 32nd bit round away from zero. */
	for (i = 0; i < 2000; i++) {
		int64_t k = rnd_range(INT64_C(1) << 30, INT32_MAX - 1);

		real = ldexp((double)k + 0.5, (int)rnd_range(-62, -1));
		assert_int_equal(npu_ref_quantize_multiplier(real, &m, &s), 0);
		CHECK_EQ(m, k + 1, "real %.17g", real);
	}
}

static void test_srdhm_rdbpot(void **state)
{
	int32_t a, b, x;
	int e, i;

	/* 3.4: +1.5 -> 2, -1.5 -> -1; 3/2 -> 2, -3/2 -> -2. */
	assert_int_equal(npu_ref_srdhm(3, 1 << 30), 2);
	assert_int_equal(npu_ref_srdhm(-3, 1 << 30), -1);
	assert_int_equal(npu_ref_rdbpot(3, 1), 2);
	assert_int_equal(npu_ref_rdbpot(-3, 1), -2);
	assert_int_equal(npu_ref_rdbpot(-5, 0), -5);
	assert_int_equal(npu_ref_rdbpot(INT32_MIN, 31), -1);
	assert_int_equal(npu_ref_rdbpot(INT32_MAX, 31), 1);
	assert_int_equal(npu_ref_rdbpot(1 << 30, 31), 1);	/* 0.5 -> 1 */
	assert_int_equal(npu_ref_rdbpot(-(1 << 30), 31), -1);
	assert_int_equal(npu_ref_srdhm(INT32_MIN, INT32_MIN), INT32_MAX);
	assert_int_equal(npu_ref_srdhm(INT32_MIN, INT32_MAX), -INT32_MAX);

	for (i = 0; i < 100000; i++) {
		a = (int32_t)rnd();
		b = (int32_t)rnd();
		if (i % 3 == 0)
			a >>= rnd() % 31;
		if (a == INT32_MIN && b == INT32_MIN)
			continue;
		CHECK_EQ(npu_ref_srdhm(a, b), ex_sat32(ex_half_up((i128)a * b, 31)),
			 "srdhm(%d, %d)", a, b);
		x = (int32_t)rnd();
		e = (int)(rnd() % 32);
		CHECK_EQ(npu_ref_rdbpot(x, e), ex_half_away(x, e), "rdbpot(%d, %d)", x, e);
	}
}

/* arithmetic.md 3.8 (a)-(f), both modes. */
static void test_requant_examples(void **state)
{
	const int32_t m = 1992150143, sh = -7;
	struct qnpu_requant rq;
	int32_t acc, differ = 0;

	/* (a) */
	assert_int_equal(npu_ref_srdhm(12345, m), 11452);
	assert_int_equal(npu_ref_rdbpot(11452, 7), 89);
	assert_int_equal(npu_ref_mbqm(12345, m, sh, QNPU_ROUND_DOUBLE), 89);
	assert_int_equal(npu_ref_mbqm(12345, m, sh, QNPU_ROUND_SINGLE), 89);
	rq_set(&rq, m, sh, -5, -128, 127, QNPU_ROUND_DOUBLE);
	assert_int_equal(npu_ref_requant(12345, m, sh, &rq), 84);
	rq.rounding = QNPU_ROUND_SINGLE;
	assert_int_equal(npu_ref_requant(12345, m, sh, &rq), 84);

	/* (b) the first rounding creates a tie. */
	assert_int_equal(npu_ref_srdhm(3380, m), 3136);
	assert_int_equal(npu_ref_mbqm(3380, m, sh, QNPU_ROUND_DOUBLE), 25);
	assert_int_equal(npu_ref_mbqm(3380, m, sh, QNPU_ROUND_SINGLE), 24);
	assert_int_equal(npu_ref_mbqm(-3380, m, sh, QNPU_ROUND_DOUBLE), -25);
	assert_int_equal(npu_ref_mbqm(-3380, m, sh, QNPU_ROUND_SINGLE), -24);
	for (acc = 1; acc < 40000; acc++) {
		int32_t d = npu_ref_mbqm(acc, m, sh, QNPU_ROUND_DOUBLE);
		int32_t s = npu_ref_mbqm(acc, m, sh, QNPU_ROUND_SINGLE);

		if (d != s) {
			assert_int_equal(abs(d - s), 1);
			differ++;
		}
	}
	assert_int_equal(differ, 148);

	/* (c) negative exact tie, (2^30, -1) = 0.25. */
	assert_int_equal(npu_ref_srdhm(-6, 1 << 30), -3);
	assert_int_equal(npu_ref_mbqm(-6, 1 << 30, -1, QNPU_ROUND_DOUBLE), -2);
	assert_int_equal(npu_ref_mbqm(-6, 1 << 30, -1, QNPU_ROUND_SINGLE), -1);
	assert_int_equal(npu_ref_mbqm(6, 1 << 30, -1, QNPU_ROUND_DOUBLE), 2);
	assert_int_equal(npu_ref_mbqm(6, 1 << 30, -1, QNPU_ROUND_SINGLE), 2);
	assert_int_equal(npu_ref_mbqm(-3, 1 << 30, 0, QNPU_ROUND_DOUBLE), -1);
	assert_int_equal(npu_ref_mbqm(-3, 1 << 30, 0, QNPU_ROUND_SINGLE), -1);

	/* (d) saturation of the output stage. */
	rq_set(&rq, m, sh, -5, -128, 127, QNPU_ROUND_DOUBLE);
	assert_int_equal(npu_ref_mbqm(20000, m, sh, QNPU_ROUND_DOUBLE), 145);
	assert_int_equal(npu_ref_mbqm(-30000, m, sh, QNPU_ROUND_DOUBLE), -217);
	assert_int_equal(npu_ref_requant(20000, m, sh, &rq), 127);
	assert_int_equal(npu_ref_requant(-30000, m, sh, &rq), -128);
	rq.rounding = QNPU_ROUND_SINGLE;
	assert_int_equal(npu_ref_mbqm(20000, m, sh, QNPU_ROUND_SINGLE), 145);
	assert_int_equal(npu_ref_mbqm(-30000, m, sh, QNPU_ROUND_SINGLE), -217);
	assert_int_equal(npu_ref_requant(20000, m, sh, &rq), 127);
	assert_int_equal(npu_ref_requant(-30000, m, sh, &rq), -128);

	/* (e) shift > 0, M_real = 1.5. */
	rq_set(&rq, 1610612736, 1, 3, -128, 127, QNPU_ROUND_DOUBLE);
	assert_int_equal(npu_ref_mbqm(37, 1610612736, 1, QNPU_ROUND_DOUBLE), 56);
	assert_int_equal(npu_ref_mbqm(37, 1610612736, 1, QNPU_ROUND_SINGLE), 56);
	assert_int_equal(npu_ref_requant(37, 1610612736, 1, &rq), 59);
	assert_int_equal(npu_ref_requant(-37, 1610612736, 1, &rq), -52);
	rq.rounding = QNPU_ROUND_SINGLE;
	assert_int_equal(npu_ref_requant(37, 1610612736, 1, &rq), 59);
	assert_int_equal(npu_ref_requant(-37, 1610612736, 1, &rq), -52);
	/* acc << 1 wraps in double; single saturates. */
	assert_int_equal(npu_ref_mbqm(1073741829, 1610612736, 1, QNPU_ROUND_DOUBLE),
			 -1610612728);
	assert_int_equal(npu_ref_mbqm(1073741829, 1610612736, 1, QNPU_ROUND_SINGLE),
			 1610612744);
	rq_set(&rq, 1610612736, 1, 0, -128, 127, QNPU_ROUND_DOUBLE);
	assert_int_equal(npu_ref_requant(1073741829, 1610612736, 1, &rq), -128);
	rq.rounding = QNPU_ROUND_SINGLE;
	assert_int_equal(npu_ref_requant(1073741829, 1610612736, 1, &rq), 127);

	/* (f) tiny multipliers. */
	rq_set(&rq, 0, 0, -5, -128, 127, QNPU_ROUND_DOUBLE);
	assert_int_equal(npu_ref_requant(INT32_MAX, 0, 0, &rq), -5);
	assert_int_equal(npu_ref_requant(INT32_MIN, 0, 0, &rq), -5);
	rq.rounding = QNPU_ROUND_SINGLE;
	assert_int_equal(npu_ref_requant(INT32_MIN, 0, 0, &rq), -5);
	rq_set(&rq, 1383505806, -31, -5, -128, 127, QNPU_ROUND_DOUBLE);
	assert_int_equal(npu_ref_requant(2147483647, 1383505806, -31, &rq), -4);
	rq.rounding = QNPU_ROUND_SINGLE;
	assert_int_equal(npu_ref_requant(2147483647, 1383505806, -31, &rq), -4);
	assert_int_equal(npu_ref_srdhm(1666666666, 1383505806), 1 << 30);
	assert_int_equal(npu_ref_mbqm(1666666666, 1383505806, -31, QNPU_ROUND_DOUBLE), 1);
	assert_int_equal(npu_ref_mbqm(1666666666, 1383505806, -31, QNPU_ROUND_SINGLE), 0);
}

/* arithmetic.md 3.6, on constructed ties. */
static void test_requant_ties(void **state)
{
	int32_t k, acc;
	int r;

	/* M_real = 2^(shift - 1) with shift = -r: acc = (2k + 1) * 2^r is k + 1/2. */
	for (r = 1; r <= 20; r++) {
		for (k = -50; k < 50; k++) {
			acc = (2 * k + 1) * (1 << r);
			CHECK_EQ(npu_ref_mbqm(acc, 1 << 30, -r, QNPU_ROUND_SINGLE), k + 1,
				 "r %d k %d", r, k);
			CHECK_EQ(npu_ref_mbqm(acc, 1 << 30, -r, QNPU_ROUND_DOUBLE),
				 k >= 0 ? k + 1 : k, "r %d k %d", r, k);
		}
	}
	/* shift >= 0, both modes toward +inf: M_real 0.5 (shift 0), 0.75 (shift 1). */
	for (k = -50; k < 50; k++) {
		acc = 2 * k + 1;	/* 0.5 * acc = k + 1/2 */
		CHECK_EQ(npu_ref_mbqm(acc, 1 << 30, 0, QNPU_ROUND_DOUBLE), k + 1, "k %d", k);
		CHECK_EQ(npu_ref_mbqm(acc, 1 << 30, 0, QNPU_ROUND_SINGLE), k + 1, "k %d", k);
		acc = 4 * k + 2;	/* 0.75 * acc = 3k + 3/2 */
		CHECK_EQ(npu_ref_mbqm(acc, 3 << 28, 1, QNPU_ROUND_DOUBLE), 3 * k + 2,
			 "k %d", k);
		CHECK_EQ(npu_ref_mbqm(acc, 3 << 28, 1, QNPU_ROUND_SINGLE), 3 * k + 2,
			 "k %d", k);
	}
}

/* A random (acc, M, shift) over the descriptor range, often near ties. */
static void rnd_triple(int32_t *acc, int32_t *m, int32_t *shift)
{
	switch (rnd() % 4) {
	case 0:
		*acc = (int32_t)rnd();
		break;
	case 1:
		*acc = (int32_t)rnd_range(-65536, 65536);
		break;
	case 2:		/* powers of two times small odd numbers: ties */
		*acc = (int32_t)(rnd_range(-64, 64) * 2 + 1) * (INT32_C(1) << (rnd() % 24));
		break;
	default:
		*acc = rnd() % 2 ? INT32_MAX - (int32_t)(rnd() % 4) :
				   INT32_MIN + (int32_t)(rnd() % 4);
	}
	switch (rnd() % 4) {
	case 0:
		*m = (int32_t)(rnd() & INT32_MAX);
		break;
	case 1:		/* few significant bits: ties */
		*m = (int32_t)(rnd() % 64) << (rnd() % 25);
		break;
	default:
		*m = (int32_t)rnd_range(INT32_C(1) << 30, INT32_MAX);
	}
	*shift = (int32_t)rnd_range(-31, 30);
}

/* single == exact rounding of acc*M/2^(31-shift), half up, saturated. */
static void test_mbqm_single_exact(void **state)
{
	int32_t acc, m, s;
	int i;

	for (i = 0; i < 300000; i++) {
		rnd_triple(&acc, &m, &s);
		CHECK_EQ(npu_ref_mbqm_single(acc, m, s), ex_single(acc, m, s),
			 "acc %d M %d shift %d", acc, m, s);
		CHECK_EQ(npu_ref_mbqm(acc, m, s, QNPU_ROUND_SINGLE), ex_single(acc, m, s),
			 "acc %d M %d shift %d", acc, m, s);
	}
}

/*
 * double is the half-up high product then the half-away division; it
 * differs from exact rounding only for shift < 0, by 1, when the high
 * product lands on a tie of the division (3.6, 3.9).
 */
static void test_mbqm_double_exact(void **state)
{
	int32_t acc, m, s, d, e;
	int i, r, differ = 0;
	i128 hp;

	for (i = 0; i < 300000; i++) {
		rnd_triple(&acc, &m, &s);
		d = npu_ref_mbqm_double(acc, m, s);
		CHECK_EQ(d, ex_double(acc, m, s), "acc %d M %d shift %d", acc, m, s);
		CHECK_EQ(npu_ref_mbqm(acc, m, s, QNPU_ROUND_DOUBLE), d,
			 "acc %d M %d shift %d", acc, m, s);
		e = ex_single(acc, m, s);
		if (s > 0) {
			/* Without wrap-around the one rounding is exact. */
			if (acc < (INT32_C(1) << (31 - s)) && acc >= -(INT32_C(1) << (31 - s)))
				CHECK_EQ(d, e, "acc %d M %d shift %d", acc, m, s);
			continue;
		}
		r = -s;
		hp = ex_half_up((i128)acc * m, 31);
		if (d != e) {
			differ++;
			CHECK_EQ(llabs((long long)d - e), 1, "acc %d M %d shift %d",
				 acc, m, s);
			CHECK_EQ((long long)(hp & (((i128)1 << r) - 1)),
				 (long long)((i128)1 << r) / 2, "acc %d M %d shift %d",
				 acc, m, s);
		}
	}
	/* The random ties must have exercised the difference. */
	assert_true(differ > 100);
}

/* 3.9: for right shift r about 2^-(r+1) of ordinary outputs differ. */
static void test_mbqm_double_rate(void **state)
{
	static const int shifts[3] = { -2, -5, -8 };
	int32_t m, acc, lim;
	int i, j, differ;
	double rate, want;

	for (j = 0; j < 3; j++) {
		differ = 0;
		for (i = 0; i < 100000; i++) {
			m = (int32_t)rnd_range(INT32_C(1) << 30, INT32_MAX);
			/* |acc * M_real| <= 128 */
			lim = (int32_t)(128.0 / ldexp(m, shifts[j] - 31));
			acc = (int32_t)rnd_range(-lim, lim);
			if (npu_ref_mbqm_double(acc, m, shifts[j]) !=
			    npu_ref_mbqm_single(acc, m, shifts[j]))
				differ++;
		}
		rate = differ / 100000.0;
		want = ldexp(1.0, shifts[j] - 1);
		assert_true(rate > want * 0.7 && rate < want * 1.4);
	}
}

/* ---- weights -------------------------------------------------------------- */

/* Byte positions written out from hardware.md 13.3.2. */
static void test_pack_layout(void **state)
{
	int8_t w[2 * 18 * 5], *p;
	int i;

	for (i = 0; i < (int)sizeof(w); i++)
		w[i] = (int8_t)(i % 251 - 125);
	p = xmalloc(2048);

	/* FC-like, C_out 18, K 5: OB = 2, KB = 2, 16*4 * 2*2 = 256 bytes. */
	assert_int_equal(npu_ref_weight_bytes(18, 1, 1, 5, 1), 256);
	memset(p, 0x77, 2048);
	assert_int_equal(npu_ref_pack_weights(p, w, 18, 1, 1, 5, 1), 0);
	assert_int_equal(p[0], w[0 * 5 + 0]);		/* o 0, t 0 */
	assert_int_equal(p[3], w[0 * 5 + 3]);		/* o 0, t 3 */
	assert_int_equal(p[64], w[0 * 5 + 4]);		/* o 0, t 4: second tap block */
	assert_int_equal(p[4], w[1 * 5 + 0]);		/* o 1 */
	assert_int_equal(p[60 + 2], w[15 * 5 + 2]);	/* o 15, t 2 */
	assert_int_equal(p[64 + 60], w[15 * 5 + 4]);	/* o 15, t 4 */
	assert_int_equal(p[128], w[16 * 5 + 0]);	/* o 16: second channel block */
	assert_int_equal(p[128 + 4 + 3], w[17 * 5 + 3]);
	assert_int_equal(p[192 + 4], w[17 * 5 + 4]);
	assert_int_equal(p[65], 0);			/* t 5 >= K */
	assert_int_equal(p[67], 0);
	assert_int_equal(p[128 + 8], 0);		/* o 18 >= Cg_out */
	assert_int_equal(p[255], 0);
	assert_int_equal(p[256], 0x77);			/* nothing past the end */

	/* t = (kh*KW + kw)*Cg_in + ci: KH 2, KW 1, C_in 3; K = 6. */
	assert_int_equal(npu_ref_weight_bytes(1, 2, 1, 3, 1), 16 * 8);
	assert_int_equal(npu_ref_pack_weights(p, w, 1, 2, 1, 3, 1), 0);
	assert_int_equal(p[0], w[0]);
	assert_int_equal(p[2], w[2]);			/* kh 0, ci 2: t 2 */
	assert_int_equal(p[3], w[3]);			/* kh 1, ci 0: t 3 */
	assert_int_equal(p[64 + 1], w[5]);		/* kh 1, ci 2: t 5 */
	assert_int_equal(p[4], 0);			/* o 1 is padding */

	/* Two groups, C_in 4 -> Cg_in 2, C_out 4 -> Cg_out 2, 1x1: K 2. */
	assert_int_equal(npu_ref_weight_bytes(4, 1, 1, 4, 2), 2 * 64);
	assert_int_equal(npu_ref_pack_weights(p, w, 4, 1, 1, 4, 2), 0);
	assert_int_equal(p[0], w[0]);			/* oc 0 */
	assert_int_equal(p[4 + 1], w[1 * 2 + 1]);	/* oc 1, t 1 */
	assert_int_equal(p[64], w[2 * 2]);		/* oc 2: group 1, o_local 0 */
	assert_int_equal(p[64 + 4 + 1], w[3 * 2 + 1]);	/* oc 3, t 1 */
	assert_int_equal(p[2], 0);

	/* Depthwise, C_in 3, multiplier 2, 2x2: [KH][KW][C_out]. */
	assert_int_equal(npu_ref_weight_bytes(6, 2, 2, 3, 3), 2 * 2 * 6);
	memset(p, 0x77, 2048);
	assert_int_equal(npu_ref_pack_weights(p, w, 6, 2, 2, 3, 3), 0);
	for (i = 0; i < 6; i++) {
		assert_int_equal(p[(0 * 2 + 0) * 6 + i], w[i * 4 + 0]);
		assert_int_equal(p[(0 * 2 + 1) * 6 + i], w[i * 4 + 1]);
		assert_int_equal(p[(1 * 2 + 0) * 6 + i], w[i * 4 + 2]);
		assert_int_equal(p[(1 * 2 + 1) * 6 + i], w[i * 4 + 3]);
	}
	assert_int_equal(p[24], 0x77);

	/* G == C_in == 1 is packed, not depthwise. */
	assert_int_equal(npu_ref_weight_bytes(1, 3, 3, 1, 1), 16 * 12);
	/* Invalid group counts. */
	assert_int_equal(npu_ref_weight_bytes(4, 1, 1, 4, 0), 0);
	assert_int_equal(npu_ref_weight_bytes(4, 1, 1, 6, 4), 0);
	assert_int_equal(npu_ref_pack_weights(p, w, 4, 1, 1, 6, 4), -EINVAL);
	free(p);
}

/* ---- convolution ---------------------------------------------------------- */

/* arithmetic.md 2.2 on a 1x3x3x1 input, 2x2 kernel, padding top and left. */
static void test_conv_hand(void **state)
{
	static const int8_t x[9] = { 10, -20, 30, -40, 50, -60, 70, -80, 90 };
	static const int8_t w[4] = { 1, -1, 2, 3 };		/* [kh][kw] */
	/* bias 10 folded with Z_in = -2: 10 + 2 * (1 - 1 + 2 + 3) = 20. */
	static const int32_t raw[9] = { 46, -20, 70, -116, 120, -110, 264, -170, 240 };
	/* raw / 4, + 3, at most 60; -27.5 and -42.5 are ties. */
	static const int8_t dbl[9] = { 15, -2, 21, -26, 33, -25, 60, -40, 60 };
	static const int8_t sgl[9] = { 15, -2, 21, -26, 33, -24, 60, -39, 60 };
	struct qnpu_desc_conv2d d;
	int8_t packed[64], out8[9];
	int32_t bias = 10, bias_f, out32[9];
	int i;

	assert_int_equal(npu_ref_fold_bias(&bias_f, &bias, w, 1, 4, -2), 0);
	assert_int_equal(bias_f, 20);
	assert_int_equal(npu_ref_pack_weights(packed, w, 1, 2, 2, 1, 1), 0);

	memset(&d, 0, sizeof(d));
	hdr_set(&d.hdr, QNPU_OP_CONV2D, sizeof(d));
	tdesc(&d.input, QNPU_DTYPE_INT8, 1, 3, 3, 1);
	tdesc(&d.output, QNPU_DTYPE_INT32, 1, 3, 3, 1);
	d.weights = 0x2000;
	d.bias = 0x3000;
	d.kernel_h = d.kernel_w = 2;
	d.stride_h = d.stride_w = d.dilation_h = d.dilation_w = 1;
	d.pad_top = d.pad_left = 1;
	d.groups = 1;
	d.input_zero_point = -2;
	assert_int_equal(npu_ref_conv2d(&d, x, out32, packed, &bias_f, NULL), 0);
	for (i = 0; i < 9; i++)
		assert_int_equal(out32[i], raw[i]);

	tdesc(&d.output, QNPU_DTYPE_INT8, 1, 3, 3, 1);
	rq_set(&d.requant, 1 << 30, -1, 3, -128, 60, QNPU_ROUND_DOUBLE);
	assert_int_equal(npu_ref_conv2d(&d, x, out8, packed, &bias_f, NULL), 0);
	for (i = 0; i < 9; i++)
		assert_int_equal(out8[i], dbl[i]);
	d.requant.rounding = QNPU_ROUND_SINGLE;
	assert_int_equal(npu_ref_conv2d(&d, x, out8, packed, &bias_f, NULL), 0);
	for (i = 0; i < 9; i++)
		assert_int_equal(out8[i], sgl[i]);

	/* No bias at all: the accumulator starts at 0. */
	tdesc(&d.output, QNPU_DTYPE_INT32, 1, 3, 3, 1);
	memset(&d.requant, 0, sizeof(d.requant));
	d.bias = 0;
	assert_int_equal(npu_ref_conv2d(&d, x, out32, packed, NULL, NULL), 0);
	for (i = 0; i < 9; i++)
		assert_int_equal(out32[i], raw[i] - 20);
}

struct conv_case {
	uint32_t n, h, w, c_in, c_out, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups;
	int32_t z_in;
	bool per_channel;
	int in_layout;		/* 0 NHWC, 1 NCHW strides, 2 NHWC with gaps */
	bool out_gaps;
};

/* Strides for a logical NHWC tensor stored in one of the three layouts. */
static void layout_strides(struct qnpu_tensor *t, int layout)
{
	uint32_t es = t->dtype == QNPU_DTYPE_INT32 ? 4 : 1;
	uint32_t h = t->dim[1], w = t->dim[2], c = t->dim[3];

	if (layout == 1) {
		t->stride[2] = es;
		t->stride[1] = w * es;
		t->stride[3] = h * w * es;
		t->stride[0] = c * h * w * es;
	} else if (layout == 2) {
		t->stride[3] = es;
		t->stride[2] = (c + 3) * es;
		t->stride[1] = (w + 1) * t->stride[2];
		t->stride[0] = (h + 2) * t->stride[1];
	}
}

/* arithmetic.md 2.1, reference form: the bias unfolded, (x - Z_in) over in-bounds taps. */
static int64_t conv_direct(const struct conv_case *cc, const int8_t *x,
			   const int8_t *ohwi, const int32_t *bias,
			   uint32_t n, uint32_t oh, uint32_t ow, uint32_t oc)
{
	uint32_t cg_in = cc->c_in / cc->groups, cg_out = cc->c_out / cc->groups;
	uint32_t g = oc / cg_out, kh, kw, ci;
	int64_t acc = bias[oc], ih, iw;

	for (kh = 0; kh < cc->kh; kh++) {
		for (kw = 0; kw < cc->kw; kw++) {
			ih = (int64_t)oh * cc->sh - cc->pt + kh * cc->dh;
			iw = (int64_t)ow * cc->sw - cc->pl + kw * cc->dw;
			if (ih < 0 || ih >= cc->h || iw < 0 || iw >= cc->w)
				continue;
			for (ci = 0; ci < cg_in; ci++)
				acc += (int64_t)(x[((n * cc->h + ih) * cc->w + iw) * cc->c_in +
						   g * cg_in + ci] - cc->z_in) *
				       ohwi[((oc * cc->kh + kh) * cc->kw + kw) * cg_in + ci];
		}
	}
	return acc;
}

/* The bytes of an output buffer outside every element keep their sentinel. */
static void check_gaps(const struct qnpu_tensor *t, const uint8_t *buf, size_t size)
{
	uint32_t es = t->dtype == QNPU_DTYPE_INT32 ? 4 : 1, n, h, w, c;
	uint8_t *mask = calloc(size, 1);
	size_t i;

	assert_non_null(mask);
	for (n = 0; n < t->dim[0]; n++)
		for (h = 0; h < t->dim[1]; h++)
			for (w = 0; w < t->dim[2]; w++)
				for (c = 0; c < t->dim[3]; c++)
					memset(mask + toff(t, n, h, w, c), 1, es);
	for (i = 0; i < size; i++)
		if (!mask[i])
			CHECK_EQ(buf[i], 0xA5, "byte %zu", i);
	free(mask);
}

struct conv_data {
	int8_t *x, *ohwi, *packed, *in;
	int32_t *bias, *bias_f;
	int64_t *want;
	struct qnpu_channel_requant *ch;
};

static void conv_desc(const struct conv_case *cc, struct qnpu_desc_conv2d *d)
{
	uint32_t oh = (cc->h + cc->pt + cc->pb - ((cc->kh - 1) * cc->dh + 1)) / cc->sh + 1;
	uint32_t ow = (cc->w + cc->pl + cc->pr - ((cc->kw - 1) * cc->dw + 1)) / cc->sw + 1;

	memset(d, 0, sizeof(*d));
	hdr_set(&d->hdr, QNPU_OP_CONV2D, sizeof(*d));
	tdesc(&d->input, QNPU_DTYPE_INT8, cc->n, cc->h, cc->w, cc->c_in);
	layout_strides(&d->input, cc->in_layout);
	tdesc(&d->output, QNPU_DTYPE_INT32, cc->n, oh, ow, cc->c_out);
	d->weights = 0x2000;
	d->bias = 0x3000;
	d->kernel_h = cc->kh;
	d->kernel_w = cc->kw;
	d->stride_h = cc->sh;
	d->stride_w = cc->sw;
	d->dilation_h = cc->dh;
	d->dilation_w = cc->dw;
	d->pad_top = cc->pt;
	d->pad_left = cc->pl;
	d->pad_bottom = cc->pb;
	d->pad_right = cc->pr;
	d->groups = cc->groups;
	d->input_zero_point = cc->z_in;
}

/* Random OHWI weights and biases; the device's packed weights and folded biases. */
static void conv_weights(const struct conv_case *cc, struct conv_data *cd)
{
	uint32_t cg_in = cc->c_in / cc->groups, oc;
	size_t nw = (size_t)cc->c_out * cc->kh * cc->kw * cg_in, i;
	int ret;

	/* The device accepts -128 weights too, though libnpu never emits them. */
	cd->ohwi = xmalloc(nw);
	for (i = 0; i < nw; i++)
		cd->ohwi[i] = (int8_t)rnd_range(i % 97 ? -127 : -128, 127);
	cd->bias = xmalloc(cc->c_out * sizeof(int32_t));
	cd->bias_f = xmalloc(cc->c_out * sizeof(int32_t));
	for (oc = 0; oc < cc->c_out; oc++)
		cd->bias[oc] = (int32_t)rnd_range(-200000, 200000);
	ret = npu_ref_fold_bias(cd->bias_f, cd->bias, cd->ohwi, cc->c_out,
				(uint64_t)cc->kh * cc->kw * cg_in, cc->z_in);
	assert_int_equal(ret, 0);
	cd->packed = xmalloc(npu_ref_weight_bytes(cc->c_out, cc->kh, cc->kw, cc->c_in,
						  cc->groups));
	assert_int_equal(npu_ref_pack_weights(cd->packed, cd->ohwi, cc->c_out, cc->kh,
					      cc->kw, cc->c_in, cc->groups), 0);
}

/* Random NHWC values, stored in the device layout with garbage between them. */
static void conv_input(const struct conv_case *cc, const struct qnpu_desc_conv2d *d,
		       struct conv_data *cd)
{
	size_t nx = (size_t)cc->n * cc->h * cc->w * cc->c_in, size = tbytes(&d->input), i;
	uint32_t n, h, w, c;

	cd->x = xmalloc(nx);
	for (i = 0; i < nx; i++)
		cd->x[i] = (int8_t)rnd();
	cd->in = xmalloc(size);
	for (i = 0; i < size; i++)
		cd->in[i] = (int8_t)rnd();
	i = 0;
	for (n = 0; n < cc->n; n++)
		for (h = 0; h < cc->h; h++)
			for (w = 0; w < cc->w; w++)
				for (c = 0; c < cc->c_in; c++)
					tput(&d->input, cd->in, n, h, w, c, cd->x[i++]);
}

static void conv_prepare(const struct conv_case *cc, struct qnpu_desc_conv2d *d,
			 struct conv_data *cd)
{
	const uint32_t *od = d->output.dim;
	uint32_t n, oh, ow, oc;
	size_t i = 0;

	conv_desc(cc, d);
	conv_weights(cc, cd);
	conv_input(cc, d, cd);
	cd->want = xmalloc((size_t)od[0] * od[1] * od[2] * od[3] * sizeof(int64_t));
	for (n = 0; n < od[0]; n++)
		for (oh = 0; oh < od[1]; oh++)
			for (ow = 0; ow < od[2]; ow++)
				for (oc = 0; oc < od[3]; oc++)
					cd->want[i++] = conv_direct(cc, cd->x, cd->ohwi,
								    cd->bias, n, oh, ow, oc);
	cd->ch = xmalloc(cc->c_out * sizeof(*cd->ch));
}

static void conv_data_free(struct conv_data *cd)
{
	free(cd->x);
	free(cd->ohwi);
	free(cd->packed);
	free(cd->in);
	free(cd->bias);
	free(cd->bias_f);
	free(cd->want);
	free(cd->ch);
}

/* Runs @d with output dtype @dtype and compares every element with cd->want. */
static void conv_run_check(const struct conv_case *cc, struct qnpu_desc_conv2d *d,
			   struct conv_data *cd, int dtype, int rounding)
{
	uint32_t oc, dim[4], n, h, w, c;
	int64_t max_abs = 1;
	int32_t m, s;
	size_t size, i;
	uint8_t *out;

	memcpy(dim, d->output.dim, sizeof(dim));
	tdesc(&d->output, dtype, dim[0], dim[1], dim[2], dim[3]);
	if (cc->out_gaps)
		layout_strides(&d->output, 2);
	memset(&d->requant, 0, sizeof(d->requant));
	for (i = 0; i < (size_t)dim[0] * dim[1] * dim[2] * dim[3]; i++)
		max_abs = llabs(cd->want[i]) > max_abs ? llabs(cd->want[i]) : max_abs;
	if (dtype == QNPU_DTYPE_INT8) {
		rnd_requant(&d->requant, max_abs, rounding);
		if (cc->per_channel) {
			d->requant.channel_params = 0x4000;
			d->requant.multiplier = d->requant.shift = 0;
			for (oc = 0; oc < cc->c_out; oc++)
				rnd_scale(max_abs, &cd->ch[oc].multiplier, &cd->ch[oc].shift);
		}
	}
	size = tbytes(&d->output);
	out = xmalloc(size);
	memset(out, 0xA5, size);
	assert_int_equal(npu_ref_conv2d(d, cd->in, out, cd->packed, cd->bias_f,
					cc->per_channel ? cd->ch : NULL), 0);
	i = 0;
	for (n = 0; n < dim[0]; n++)
		for (h = 0; h < dim[1]; h++)
			for (w = 0; w < dim[2]; w++)
				for (c = 0; c < dim[3]; c++, i++) {
					int32_t got = tget(&d->output, out, n, h, w, c);

					if (dtype == QNPU_DTYPE_INT32) {
						CHECK_EQ(got, cd->want[i], "conv [%u %u %u %u]",
							 n, h, w, c);
						continue;
					}
					m = cc->per_channel ? cd->ch[c].multiplier :
							      d->requant.multiplier;
					s = cc->per_channel ? cd->ch[c].shift : d->requant.shift;
					CHECK_EQ(got, ex_rq(cd->want[i], m, s, &d->requant),
						 "conv [%u %u %u %u] acc %lld", n, h, w, c,
						 (long long)cd->want[i]);
				}
	check_gaps(&d->output, out, size);
	free(out);
}

static void conv_case_run(const struct conv_case *cc)
{
	struct qnpu_desc_conv2d d;
	struct conv_data cd;

	conv_prepare(cc, &d, &cd);
	conv_run_check(cc, &d, &cd, QNPU_DTYPE_INT32, 0);
	conv_run_check(cc, &d, &cd, QNPU_DTYPE_INT8, QNPU_ROUND_DOUBLE);
	conv_run_check(cc, &d, &cd, QNPU_DTYPE_INT8, QNPU_ROUND_SINGLE);
	conv_data_free(&cd);
}

/* Random geometry; @kind 0 dense, 1 grouped, 2 depthwise. */
static void rnd_conv_case(struct conv_case *cc, int kind)
{
	uint32_t cg_in, cg_out, eh, ew;

	memset(cc, 0, sizeof(*cc));
	if (kind == 2) {
		cc->groups = (uint32_t)rnd_range(2, 6);
		cg_in = 1;
		cg_out = (uint32_t)rnd_range(1, 4);		/* depth multiplier */
	} else {
		cc->groups = kind == 1 ? (uint32_t)rnd_range(2, 3) : 1;
		cg_in = (uint32_t)rnd_range(kind == 1 ? 2 : 1, 7);
		cg_out = (uint32_t)rnd_range(1, 20);		/* crosses 16 */
	}
	cc->c_in = cc->groups * cg_in;
	cc->c_out = cc->groups * cg_out;
	cc->n = (uint32_t)rnd_range(1, 2);
	cc->kh = (uint32_t)rnd_range(1, 3);
	cc->kw = (uint32_t)rnd_range(1, 3);
	cc->sh = (uint32_t)rnd_range(1, 3);
	cc->sw = (uint32_t)rnd_range(1, 2);
	cc->dh = (uint32_t)rnd_range(1, 2);
	cc->dw = (uint32_t)rnd_range(1, 3);
	eh = (cc->kh - 1) * cc->dh + 1;
	ew = (cc->kw - 1) * cc->dw + 1;
	cc->pt = (uint32_t)rnd_range(0, eh - 1);
	cc->pb = (uint32_t)rnd_range(0, eh - 1);
	cc->pl = (uint32_t)rnd_range(0, ew - 1);
	cc->pr = (uint32_t)rnd_range(0, ew - 1);
	/* Big enough that the window fits once: the numerator is >= 0. */
	cc->h = (uint32_t)rnd_range(eh > cc->pt + cc->pb ? eh - cc->pt - cc->pb : 1, 7);
	cc->w = (uint32_t)rnd_range(ew > cc->pl + cc->pr ? ew - cc->pl - cc->pr : 1, 7);
	cc->z_in = rnd_zp();
	cc->per_channel = rnd() % 2;
	cc->in_layout = (int)(rnd() % 3);
	cc->out_gaps = rnd() % 2;
}

static void test_conv_depthwise(void **state)
{
	struct conv_case cc;
	int i;

	for (i = 0; i < 150; i++) {
		rnd_conv_case(&cc, 2);
		conv_case_run(&cc);
	}
}

static void test_conv_grouped(void **state)
{
	struct conv_case cc;
	int i;

	for (i = 0; i < 150; i++) {
		rnd_conv_case(&cc, 1);
		conv_case_run(&cc);
	}
}

static void test_conv_dense(void **state)
{
	struct conv_case cc;
	int i;

	for (i = 0; i < 150; i++) {
		rnd_conv_case(&cc, 0);
		conv_case_run(&cc);
	}
}

/* Padding is the zero point: at -128 and 127 the products are largest. */
static void test_conv_zero_point_extremes(void **state)
{
	static const int32_t zs[2] = { -128, 127 };
	struct conv_case cc = {
		.n = 1, .h = 4, .w = 5, .c_in = 3, .c_out = 17, .kh = 3, .kw = 3,
		.sh = 1, .sw = 2, .dh = 1, .dw = 1, .pt = 2, .pl = 1, .pb = 2, .pr = 2,
		.groups = 1, .per_channel = true,
	};
	struct conv_case dw = {
		.n = 1, .h = 3, .w = 3, .c_in = 4, .c_out = 8, .kh = 3, .kw = 3,
		.sh = 1, .sw = 1, .dh = 2, .dw = 2, .pt = 4, .pl = 4, .pb = 4, .pr = 4,
		.groups = 4,
	};
	int i;

	for (i = 0; i < 2; i++) {
		cc.z_in = zs[i];
		conv_case_run(&cc);
		dw.z_in = zs[i];
		conv_case_run(&dw);	/* 7x7 outputs, most of their taps padding */
	}
}

/* K = CAP_MAX_K is accepted and cannot wrap; bias + products wrap modulo 2^32. */
static void test_conv_k_limit_and_wrap(void **state)
{
	struct qnpu_desc_conv2d d;
	int8_t *x, *w, *packed;
	int32_t bias, out;
	size_t wb;

	/* 128 x 128 x 4 = 65536 taps of 127 * 127. */
	memset(&d, 0, sizeof(d));
	hdr_set(&d.hdr, QNPU_OP_CONV2D, sizeof(d));
	tdesc(&d.input, QNPU_DTYPE_INT8, 1, 128, 128, 4);
	tdesc(&d.output, QNPU_DTYPE_INT32, 1, 1, 1, 1);
	d.weights = 0x2000;
	d.kernel_h = d.kernel_w = 128;
	d.stride_h = d.stride_w = d.dilation_h = d.dilation_w = 1;
	d.groups = 1;
	x = xmalloc(65536);
	w = xmalloc(65536);
	memset(x, 127, 65536);
	memset(w, 127, 65536);
	wb = npu_ref_weight_bytes(1, 128, 128, 4, 1);
	assert_int_equal(wb, 16 * 65536);
	packed = xmalloc(wb);
	assert_int_equal(npu_ref_pack_weights(packed, w, 1, 128, 128, 4, 1), 0);
	assert_int_equal(npu_ref_conv2d(&d, x, &out, packed, NULL, NULL), 0);
	assert_int_equal(out, 65536 * 16129);
	/* 2.3: with a bias in [-2^30, 2^30 - 1] and |w| <= 128 nothing wraps. */
	memset(x, -128, 65536);
	memset(w, -128, 65536);
	assert_int_equal(npu_ref_pack_weights(packed, w, 1, 128, 128, 4, 1), 0);
	bias = (1 << 30) - 1;
	d.bias = 0x3000;
	assert_int_equal(npu_ref_conv2d(&d, x, &out, packed, &bias, NULL), 0);
	assert_int_equal(out, INT32_MAX);
	/* One more: modulo 2^32, not saturation. */
	bias = 1 << 30;
	assert_int_equal(npu_ref_conv2d(&d, x, &out, packed, &bias, NULL), 0);
	assert_int_equal(out, INT32_MIN);
	/* and requantization sees the wrapped value: -2^31 * 2^-31 = -1, not +1. */
	tdesc(&d.output, QNPU_DTYPE_INT8, 1, 1, 1, 1);
	rq_set(&d.requant, 1 << 30, -30, 0, -128, 127, QNPU_ROUND_SINGLE);
	assert_int_equal(npu_ref_conv2d(&d, x, &out, packed, &bias, NULL), 0);
	assert_int_equal((int8_t)out, -1);
	d.requant.rounding = QNPU_ROUND_DOUBLE;
	assert_int_equal(npu_ref_conv2d(&d, x, &out, packed, &bias, NULL), 0);
	assert_int_equal((int8_t)out, -1);
	free(x);
	free(w);
	free(packed);
}

/* ---- fully connected, matmul --------------------------------------------- */

static void test_fc_random(void **state)
{
	struct qnpu_desc_fc d;
	int8_t *x, *w, *packed, *out;
	int32_t *bias, m, s;
	struct qnpu_channel_requant ch[40];
	uint32_t rows, k, c_out, r, oc, j;
	int64_t acc, *want, max_abs;
	int it, rounding;

	for (it = 0; it < 60; it++) {
		rows = (uint32_t)rnd_range(1, 6);
		k = (uint32_t)rnd_range(1, 70);
		c_out = (uint32_t)rnd_range(1, 40);
		memset(&d, 0, sizeof(d));
		hdr_set(&d.hdr, QNPU_OP_FULLY_CONNECTED, sizeof(d));
		/* Rows as N x H x W = 1 x rows x 1, input rows padded apart. */
		tdesc(&d.input, QNPU_DTYPE_INT8, 1, rows, 1, k);
		d.input.stride[1] = k + 5;
		d.input.stride[0] = rows * (k + 5);
		tdesc(&d.output, QNPU_DTYPE_INT8, 1, rows, 1, c_out);
		d.weights = 0x2000;
		d.bias = it % 5 ? 0x3000 : 0;
		d.input_zero_point = rnd_zp();
		x = xmalloc(rows * (k + 5));
		w = xmalloc(c_out * k);
		bias = xmalloc(c_out * sizeof(*bias));
		want = xmalloc(rows * c_out * sizeof(*want));
		out = xmalloc(rows * c_out);
		for (j = 0; j < rows * (k + 5); j++)
			x[j] = (int8_t)rnd();
		for (j = 0; j < c_out * k; j++)
			w[j] = (int8_t)rnd_range(-127, 127);
		for (oc = 0; oc < c_out; oc++)
			bias[oc] = (int32_t)rnd_range(-100000, 100000);
		packed = xmalloc(npu_ref_weight_bytes(c_out, 1, 1, k, 1));
		assert_int_equal(npu_ref_pack_weights(packed, w, c_out, 1, 1, k, 1), 0);
		max_abs = 1;
		for (r = 0; r < rows; r++)
			for (oc = 0; oc < c_out; oc++) {
				acc = d.bias ? bias[oc] : 0;
				for (j = 0; j < k; j++)
					acc += x[r * (k + 5) + j] * w[oc * k + j];
				want[r * c_out + oc] = acc;
				max_abs = llabs(acc) > max_abs ? llabs(acc) : max_abs;
			}
		rounding = it % 2;
		rnd_requant(&d.requant, max_abs, rounding);
		if (it % 3 == 0) {
			d.requant.channel_params = 0x4000;
			d.requant.multiplier = d.requant.shift = 0;
			for (oc = 0; oc < c_out; oc++)
				rnd_scale(max_abs, &ch[oc].multiplier, &ch[oc].shift);
		}
		assert_int_equal(npu_ref_fc(&d, x, out, packed, bias, ch), 0);
		for (r = 0; r < rows; r++)
			for (oc = 0; oc < c_out; oc++) {
				m = d.requant.channel_params ? ch[oc].multiplier :
							       d.requant.multiplier;
				s = d.requant.channel_params ? ch[oc].shift : d.requant.shift;
				CHECK_EQ(out[r * c_out + oc],
					 ex_rq(want[r * c_out + oc], m, s, &d.requant),
					 "fc row %u oc %u", r, oc);
			}
		free(x);
		free(w);
		free(bias);
		free(want);
		free(out);
		free(packed);
	}
}

/* arithmetic.md 6 */
static void test_matmul_example(void **state)
{
	static const int8_t a[3] = { 100, -40, 70 }, b[3] = { 60, 10, -90 };
	struct qnpu_desc_matmul d;
	int32_t m, s, out32;
	int8_t out8;

	assert_int_equal(npu_ref_quantize_multiplier((double)0.1f * (double)0.05f /
						     (double)0.2f, &m, &s), 0);
	assert_int_equal(m, 1717986944);
	assert_int_equal(s, -5);

	memset(&d, 0, sizeof(d));
	hdr_set(&d.hdr, QNPU_OP_MATMUL, sizeof(d));
	tdesc(&d.a, QNPU_DTYPE_INT8, 1, 1, 1, 3);
	tdesc(&d.b, QNPU_DTYPE_INT8, 1, 1, 3, 1);
	tdesc(&d.output, QNPU_DTYPE_INT32, 1, 1, 1, 1);
	d.a_zero_point = 3;
	d.b_zero_point = -2;
	assert_int_equal(npu_ref_matmul(&d, a, b, &out32, NULL), 0);
	assert_int_equal(out32, -398);
	tdesc(&d.output, QNPU_DTYPE_INT8, 1, 1, 1, 1);
	rq_set(&d.requant, m, s, -1, -128, 127, QNPU_ROUND_DOUBLE);
	assert_int_equal(npu_ref_matmul(&d, a, b, &out8, NULL), 0);
	assert_int_equal(out8, -11);
	d.requant.rounding = QNPU_ROUND_SINGLE;
	assert_int_equal(npu_ref_matmul(&d, a, b, &out8, NULL), 0);
	assert_int_equal(out8, -11);
}

struct mm {
	uint32_t n, h, m, k, p;
	int32_t za, zb;
	const int8_t *a, *b;		/* a [n][h][m][k], b [h][k][p] */
	const int32_t *bias;		/* NULL for none */
};

/* arithmetic.md 6: out[n][h][i][p], with b shared by every n. */
static int64_t matmul_direct(const struct mm *s, uint32_t n, uint32_t h, uint32_t i,
			     uint32_t p)
{
	int64_t acc = s->bias ? s->bias[p] : 0;
	int32_t xa, xb;
	uint32_t k;

	for (k = 0; k < s->k; k++) {
		xa = s->a[((n * s->h + h) * s->m + i) * s->k + k] - s->za;
		xb = s->b[(h * s->k + k) * s->p + p] - s->zb;
		acc += (int64_t)xa * xb;
	}
	return acc;
}

/* Random batches, b broadcast over N with stride 0, zero points at the ends. */
static void test_matmul_random(void **state)
{
	struct qnpu_desc_matmul d;
	uint32_t n, h, i, p, j, total;
	int64_t *want, max_abs;
	int8_t *a, *b, *out8;
	int32_t *bias, *out32;
	struct mm s;
	int it;

	for (it = 0; it < 60; it++) {
		s.n = (uint32_t)rnd_range(1, 3);
		s.h = (uint32_t)rnd_range(1, 2);
		s.m = (uint32_t)rnd_range(1, 5);
		s.k = (uint32_t)rnd_range(1, 9);
		s.p = (uint32_t)rnd_range(1, 5);
		s.za = rnd_zp();
		s.zb = rnd_zp();
		total = s.n * s.h * s.m * s.p;
		a = xmalloc(s.n * s.h * s.m * s.k);
		b = xmalloc(s.h * s.k * s.p);
		bias = xmalloc(s.p * sizeof(*bias));
		want = xmalloc(total * sizeof(*want));
		out8 = xmalloc(total);
		out32 = xmalloc(total * sizeof(*out32));
		/* Every fourth case has |a - Za| = |b - Zb| = 255 where the zps allow. */
		for (j = 0; j < s.n * s.h * s.m * s.k; j++)
			a[j] = it % 4 == 0 ? 127 : (int8_t)rnd();
		for (j = 0; j < s.h * s.k * s.p; j++)
			b[j] = it % 4 == 0 ? -128 : (int8_t)rnd();
		for (p = 0; p < s.p; p++)
			bias[p] = (int32_t)rnd_range(-1000000, 1000000);
		s.a = a;
		s.b = b;
		s.bias = it % 2 ? bias : NULL;

		memset(&d, 0, sizeof(d));
		hdr_set(&d.hdr, QNPU_OP_MATMUL, sizeof(d));
		tdesc(&d.a, QNPU_DTYPE_INT8, s.n, s.h, s.m, s.k);
		tdesc(&d.b, QNPU_DTYPE_INT8, s.n, s.h, s.k, s.p);
		d.b.stride[0] = 0;			/* one b for every n */
		d.a_zero_point = s.za;
		d.b_zero_point = s.zb;
		d.bias = s.bias ? 0x3000 : 0;

		j = 0;
		max_abs = 1;
		for (n = 0; n < s.n; n++)
			for (h = 0; h < s.h; h++)
				for (i = 0; i < s.m; i++)
					for (p = 0; p < s.p; p++, j++) {
						want[j] = matmul_direct(&s, n, h, i, p);
						if (llabs(want[j]) > max_abs)
							max_abs = llabs(want[j]);
					}
		tdesc(&d.output, QNPU_DTYPE_INT32, s.n, s.h, s.m, s.p);
		assert_int_equal(npu_ref_matmul(&d, a, b, out32, bias), 0);
		for (j = 0; j < total; j++)
			CHECK_EQ(out32[j], want[j], "matmul raw %u", j);
		tdesc(&d.output, QNPU_DTYPE_INT8, s.n, s.h, s.m, s.p);
		rnd_requant(&d.requant, max_abs, it % 3 ? QNPU_ROUND_DOUBLE : QNPU_ROUND_SINGLE);
		assert_int_equal(npu_ref_matmul(&d, a, b, out8, bias), 0);
		for (j = 0; j < total; j++)
			CHECK_EQ(out8[j], ex_rq(want[j], d.requant.multiplier, d.requant.shift,
						&d.requant), "matmul %u", j);
		free(a);
		free(b);
		free(bias);
		free(want);
		free(out8);
		free(out32);
	}
}

/* ---- pooling ---------------------------------------------------------------- */

static void pool_desc(struct qnpu_desc_pool *d, int op, uint32_t h, uint32_t w, uint32_t c,
		      uint32_t k, uint32_t stride, uint32_t pad)
{
	uint32_t oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;

	memset(d, 0, sizeof(*d));
	hdr_set(&d->hdr, op, sizeof(*d));
	tdesc(&d->input, QNPU_DTYPE_INT8, 1, h, w, c);
	tdesc(&d->output, QNPU_DTYPE_INT8, 1, oh, ow, c);
	d->kernel_h = d->kernel_w = k;
	d->stride_h = d->stride_w = stride;
	d->pad_top = d->pad_left = d->pad_bottom = d->pad_right = pad;
	d->act_min = -128;
	d->act_max = 127;
}

/* arithmetic.md 5.1 */
static void test_maxpool_example(void **state)
{
	static const int8_t x[4] = { -100, -50, -90, -120 };
	struct qnpu_desc_pool d;
	int8_t out[4];
	int i;

	pool_desc(&d, QNPU_OP_MAXPOOL, 2, 2, 1, 3, 1, 1);
	assert_int_equal(npu_ref_maxpool(&d, x, out), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(out[i], -50);	/* not 0, not Z */
	d.act_min = -40;
	assert_int_equal(npu_ref_maxpool(&d, x, out), 0);
	assert_int_equal(out[0], -40);
	d.act_min = -128;
	d.act_max = -60;
	assert_int_equal(npu_ref_maxpool(&d, x, out), 0);
	assert_int_equal(out[3], -60);
}

/* arithmetic.md 5.2: the corner window of a 3x3 input has 4 valid taps of 9. */
static void test_avgpool_corner(void **state)
{
	/* 3 channels, one example each in the top-left 2x2. */
	static const int8_t tl[4][3] = {
		{ 5, -7, 13 }, { -2, -3, 12 }, { 3, 0, -3 }, { 0, 4, -4 },
	};
	static const int8_t want[3] = { 2, -2, 5 };
	struct qnpu_desc_pool d;
	int8_t x[27], out[27];
	int32_t sum, cnt, v;
	int h, w, c, oh, ow, kh, kw;

	for (h = 0; h < 27; h++)
		x[h] = (int8_t)rnd();
	for (h = 0; h < 2; h++)
		for (w = 0; w < 2; w++)
			for (c = 0; c < 3; c++)
				x[(h * 3 + w) * 3 + c] = tl[h * 2 + w][c];
	pool_desc(&d, QNPU_OP_AVGPOOL, 3, 3, 3, 3, 1, 1);
	assert_int_equal(npu_ref_avgpool(&d, x, out), 0);
	for (c = 0; c < 3; c++)
		assert_int_equal(out[c], want[c]);	/* 6/9 would give 1 */
	/* Every other window against the formula of 5.2. */
	for (oh = 0; oh < 3; oh++)
		for (ow = 0; ow < 3; ow++)
			for (c = 0; c < 3; c++) {
				sum = cnt = 0;
				for (kh = oh - 1; kh <= oh + 1; kh++)
					for (kw = ow - 1; kw <= ow + 1; kw++)
						if (kh >= 0 && kh < 3 && kw >= 0 && kw < 3) {
							sum += x[(kh * 3 + kw) * 3 + c];
							cnt++;
						}
				v = (int32_t)lround((double)sum / cnt);
				CHECK_EQ(out[(oh * 3 + ow) * 3 + c], v, "[%d %d %d]", oh, ow, c);
			}
}

/* Random pools: max and average against a direct formula, both with clamps. */
static void test_pool_random(void **state)
{
	uint32_t h, w, c, k, s, p, oh, ow, ch, i, j;
	struct qnpu_desc_pool d;
	int8_t *x, *out;
	int32_t mx, sum, cnt, avg;
	int64_t ih, iw;
	int it;

	for (it = 0; it < 200; it++) {
		k = (uint32_t)rnd_range(1, 4);
		s = (uint32_t)rnd_range(1, 3);
		p = (uint32_t)rnd_range(0, k - 1);
		h = (uint32_t)rnd_range(k > 2 * p ? k - 2 * p : 1, 8);
		w = (uint32_t)rnd_range(k > 2 * p ? k - 2 * p : 1, 8);
		c = (uint32_t)rnd_range(1, 3);
		pool_desc(&d, it % 2 ? QNPU_OP_AVGPOOL : QNPU_OP_MAXPOOL, h, w, c, k, s, p);
		d.act_min = (int32_t)rnd_range(-128, 0);
		d.act_max = (int32_t)rnd_range(d.act_min, 127);
		x = xmalloc(h * w * c);
		out = xmalloc(d.output.dim[1] * d.output.dim[2] * c);
		for (i = 0; i < h * w * c; i++)
			x[i] = (int8_t)rnd();
		assert_int_equal(it % 2 ? npu_ref_avgpool(&d, x, out) :
					  npu_ref_maxpool(&d, x, out), 0);
		for (oh = 0; oh < d.output.dim[1]; oh++)
			for (ow = 0; ow < d.output.dim[2]; ow++)
				for (ch = 0; ch < c; ch++) {
					mx = -128;
					sum = cnt = 0;
					for (i = 0; i < k; i++)
						for (j = 0; j < k; j++) {
							ih = (int64_t)oh * s - p + i;
							iw = (int64_t)ow * s - p + j;
							if (ih < 0 || ih >= h || iw < 0 || iw >= w)
								continue;
							sum += x[(ih * w + iw) * c + ch];
							cnt++;
							if (x[(ih * w + iw) * c + ch] > mx)
								mx = x[(ih * w + iw) * c + ch];
						}
					/* lround rounds half away from zero. */
					avg = it % 2 ? (int32_t)lround((double)sum / cnt) : mx;
					avg = avg < d.act_min ? d.act_min :
					      avg > d.act_max ? d.act_max : avg;
					CHECK_EQ(out[(oh * d.output.dim[2] + ow) * c + ch], avg,
						 "pool it %d", it);
				}
		free(x);
		free(out);
	}
}

/* arithmetic.md 5.3 and the rounding of 5.2 on ties. */
static void test_avgpool_ties(void **state)
{
	static const int8_t x[4][2] = { { 0, -1 }, { 1, 2 }, { -1, -2 }, { 127, 126 } };
	static const int8_t want[4] = { -1, 2, -2, 127 };
	struct qnpu_desc_pool d;
	int8_t out;
	int i;

	pool_desc(&d, QNPU_OP_AVGPOOL, 1, 2, 1, 1, 1, 0);
	d.kernel_w = 2;
	d.output.dim[2] = 1;
	for (i = 0; i < 4; i++) {
		assert_int_equal(npu_ref_avgpool(&d, x[i], &out), 0);
		assert_int_equal(out, want[i]);
	}
}

/* ---- add, rescale, mul ------------------------------------------------------ */

static void eltwise_desc(struct qnpu_desc_eltwise *d, int op, uint32_t h, uint32_t w,
			 uint32_t c)
{
	memset(d, 0, sizeof(*d));
	hdr_set(&d->hdr, op, sizeof(*d));
	tdesc(&d->input1, QNPU_DTYPE_INT8, 1, h, w, c);
	tdesc(&d->input2, QNPU_DTYPE_INT8, 1, h, w, c);
	tdesc(&d->output, QNPU_DTYPE_INT8, 1, h, w, c);
	if (op == QNPU_OP_ADD)
		d->left_shift = 20;
}

static int32_t ex_add(const struct qnpu_desc_eltwise *d, int32_t x1, int32_t x2, bool two)
{
	int rnd_mode = d->requant.rounding;
	int32_t s1, s2 = 0;

	s1 = ex_mbqm((x1 - d->input1_zero_point) * (1 << d->left_shift),
		     d->input1_multiplier, d->input1_shift, rnd_mode);
	if (two)
		s2 = ex_mbqm((x2 - d->input2_zero_point) * (1 << d->left_shift),
			     d->input2_multiplier, d->input2_shift, rnd_mode);
	return ex_rq(s1 + s2, d->requant.multiplier, d->requant.shift, &d->requant);
}

/* arithmetic.md 4.1; all 65536 pairs through two broadcast (stride 0) inputs. */
static void test_add_example(void **state)
{
	const float s1 = 0.05f, s2 = 0.1f, so = 0.12f;
	double twice_max = 2 * fmax(s1, s2);
	int32_t m1, sh1, m2, sh2, mo, sho;
	struct qnpu_desc_eltwise d;
	int8_t x1, x2, out, *grid_d, *grid_s, row[256];
	int i, j;

	assert_int_equal(npu_ref_quantize_multiplier(s1 / twice_max, &m1, &sh1), 0);
	assert_int_equal(npu_ref_quantize_multiplier(s2 / twice_max, &m2, &sh2), 0);
	assert_int_equal(npu_ref_quantize_multiplier(twice_max / ((1 << 20) * (double)so),
						     &mo, &sho), 0);
	assert_int_equal(m1, 1 << 30);
	assert_int_equal(sh1, -1);
	assert_int_equal(m2, 1 << 30);
	assert_int_equal(sh2, 0);
	assert_int_equal(mo, 1789569773);
	assert_int_equal(sho, -19);

	eltwise_desc(&d, QNPU_OP_ADD, 1, 1, 1);
	d.input1_zero_point = -10;
	d.input2_zero_point = 3;
	d.input1_multiplier = m1;
	d.input1_shift = sh1;
	d.input2_multiplier = m2;
	d.input2_shift = sh2;
	rq_set(&d.requant, mo, sho, -7, -128, 127, QNPU_ROUND_DOUBLE);
	x1 = 50;
	x2 = -20;
	assert_int_equal(npu_ref_mbqm(62914560, m1, sh1, QNPU_ROUND_DOUBLE), 15728640);
	assert_int_equal(npu_ref_mbqm(-24117248, m2, sh2, QNPU_ROUND_DOUBLE), -12058624);
	assert_int_equal(npu_ref_mbqm(3670016, mo, sho, QNPU_ROUND_DOUBLE), 6);
	assert_int_equal(npu_ref_add(&d, &x1, &x2, &out), 0);
	assert_int_equal(out, -1);
	d.requant.rounding = QNPU_ROUND_SINGLE;
	assert_int_equal(npu_ref_add(&d, &x1, &x2, &out), 0);
	assert_int_equal(out, -1);

	/* x1 varies along H, x2 along W, each from one row of 256 values. */
	for (i = 0; i < 256; i++)
		row[i] = (int8_t)(i - 128);
	d.input1.dim[1] = d.input1.dim[2] = 256;
	d.input1.stride[1] = 1;
	d.input1.stride[2] = 0;
	d.input2.dim[1] = d.input2.dim[2] = 256;
	d.input2.stride[1] = 0;
	d.input2.stride[2] = 1;
	tdesc(&d.output, QNPU_DTYPE_INT8, 1, 256, 256, 1);
	grid_d = xmalloc(65536);
	grid_s = xmalloc(65536);
	d.requant.rounding = QNPU_ROUND_DOUBLE;
	assert_int_equal(npu_ref_add(&d, row, row, grid_d), 0);
	d.requant.rounding = QNPU_ROUND_SINGLE;
	assert_int_equal(npu_ref_add(&d, row, row, grid_s), 0);
	for (i = 0; i < 256; i++)
		for (j = 0; j < 256; j++) {
			CHECK_EQ(grid_d[i * 256 + j], grid_s[i * 256 + j], "x1 %d x2 %d",
				 i - 128, j - 128);
			CHECK_EQ(grid_s[i * 256 + j], ex_add(&d, i - 128, j - 128, true),
				 "x1 %d x2 %d", i - 128, j - 128);
		}
	free(grid_d);
	free(grid_s);
}

/* arithmetic.md 4.2 */
static void test_rescale_example(void **state)
{
	static const int8_t x[4] = { 50, 17, -128, 127 };
	static const int8_t want[4] = { 18, 4, -56, 50 };
	const float s1 = 0.05f, so = 0.12f;
	struct qnpu_desc_eltwise d;
	int32_t m1, sh1, mo, sho, z, v;
	int8_t out[4];
	int r;

	assert_int_equal(npu_ref_quantize_multiplier(s1 / (2 * (double)s1), &m1, &sh1), 0);
	assert_int_equal(m1, 1 << 30);
	assert_int_equal(sh1, 0);
	assert_int_equal(npu_ref_quantize_multiplier(2 * (double)s1 /
						     ((1 << 20) * (double)so), &mo, &sho), 0);
	assert_int_equal(mo, 1789569773);
	assert_int_equal(sho, -20);

	eltwise_desc(&d, QNPU_OP_ADD, 1, 1, 4);
	memset(&d.input2, 0, sizeof(d.input2));	/* single input */
	d.input1_zero_point = -10;
	d.input1_multiplier = m1;
	d.input1_shift = sh1;
	for (r = 0; r < 2; r++) {
		rq_set(&d.requant, mo, sho, -7, -128, 127, r);
		memset(out, 0, sizeof(out));
		assert_int_equal(npu_ref_add(&d, x, NULL, out), 0);
		assert_memory_equal(out, want, 4);
		/* scaled1 = (x1 - Z1) << 19 exactly, whatever x and Z. */
		for (z = -128; z <= 127; z++)
			for (v = -128; v <= 127; v++)
				CHECK_EQ(npu_ref_mbqm((v - z) * (1 << 20), 1 << 30, 0, r),
					 (v - z) * (1 << 19), "x %d z %d", v, z);
	}
}

/* arithmetic.md 4.3 */
static void test_mul_example(void **state)
{
	static const int8_t x1[3] = { 60, 100, 13 }, x2[3] = { -50, 90, 1 };
	static const int8_t want[3] = { -28, 109, 2 };
	const float s1 = 0.02f, s2 = 0.03f, so = 0.05f;
	float real = (s1 * s2) / so;			/* binary32, as TFLite */
	struct qnpu_desc_eltwise d;
	int32_t m, sh;
	int8_t out[3];
	int r;

	assert_int_equal(npu_ref_quantize_multiplier(real, &m, &sh), 0);
	assert_int_equal(m, 1649267328);
	assert_int_equal(sh, -6);
	assert_int_equal(npu_ref_quantize_multiplier((double)s1 * s2 / so, &m, &sh), 0);
	assert_int_equal(m, 1649267343);	/* what double would have given */
	assert_int_equal(npu_ref_quantize_multiplier(real, &m, &sh), 0);

	eltwise_desc(&d, QNPU_OP_MUL, 1, 1, 3);
	d.input1_zero_point = 5;
	d.input2_zero_point = -4;
	for (r = 0; r < 2; r++) {
		rq_set(&d.requant, m, sh, 2, -128, 127, r);
		assert_int_equal(npu_ref_mul(&d, x1, x2, out), 0);
		assert_memory_equal(out, want, 3);
	}
}

/* A per-channel vector broadcast over H and W with stride 0, and strided output. */
static void test_add_broadcast(void **state)
{
	struct qnpu_desc_eltwise d;
	int8_t x1[2 * 3 * 4], vec[4], out[2 * 3 * 8];
	uint32_t h, w, c;
	int i;

	for (i = 0; i < 24; i++)
		x1[i] = (int8_t)rnd();
	for (i = 0; i < 4; i++)
		vec[i] = (int8_t)rnd();
	eltwise_desc(&d, QNPU_OP_ADD, 2, 3, 4);
	d.input2.stride[1] = d.input2.stride[2] = 0;
	d.output.stride[2] = 8;				/* every other 4 bytes unused */
	d.output.stride[1] = 24;
	d.input1_zero_point = -128;
	d.input2_zero_point = 127;
	d.input1_multiplier = 1 << 30;
	d.input1_shift = 0;
	d.input2_multiplier = 1500000000;
	d.input2_shift = -1;
	rq_set(&d.requant, 1300000000, -20, 5, -100, 110, QNPU_ROUND_DOUBLE);
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(npu_ref_add(&d, x1, vec, out), 0);
	for (h = 0; h < 2; h++)
		for (w = 0; w < 3; w++)
			for (c = 0; c < 8; c++) {
				if (c >= 4) {
					assert_int_equal((uint8_t)out[h * 24 + w * 8 + c], 0x5a);
					continue;
				}
				CHECK_EQ(out[h * 24 + w * 8 + c],
					 ex_add(&d, x1[(h * 3 + w) * 4 + c], vec[c], true),
					 "[%u %u %u]", h, w, c);
			}
}

/* Random ADD (two inputs and single), MUL, over the whole descriptor range. */
static void test_eltwise_random(void **state)
{
	struct qnpu_desc_eltwise d;
	int8_t x1[64], x2[64], out[64];
	int32_t want;
	bool two;
	int it, i;

	for (it = 0; it < 3000; it++) {
		bool add = it % 3 != 0;

		eltwise_desc(&d, add ? QNPU_OP_ADD : QNPU_OP_MUL, 1, 8, 8);
		for (i = 0; i < 64; i++) {
			x1[i] = (int8_t)rnd();
			x2[i] = (int8_t)rnd();
		}
		d.input1_zero_point = rnd_zp();
		d.input2_zero_point = rnd_zp();
		two = !add || it % 4;
		if (add) {
			d.input1_multiplier = (int32_t)(rnd() & INT32_MAX);
			d.input1_shift = (int32_t)rnd_range(-31, 0);
			d.input2_multiplier = (int32_t)(rnd() & INT32_MAX);
			d.input2_shift = (int32_t)rnd_range(-31, 0);
			d.left_shift = (int32_t)rnd_range(0, 20);
			if (!two) {
				memset(&d.input2, 0, sizeof(d.input2));
				d.input2_zero_point = d.input2_multiplier = 0;
				d.input2_shift = 0;
			}
		}
		/* Any shift, even those that wrap (double) or saturate (single). */
		rq_set(&d.requant, (int32_t)(rnd() & INT32_MAX), (int32_t)rnd_range(-31, 30),
		       rnd_zp(), -128, 127, (int)(rnd() % 2));
		if (rnd() % 2) {
			d.requant.act_min = (int32_t)rnd_range(-128, 0);
			d.requant.act_max = (int32_t)rnd_range(d.requant.act_min, 127);
		}
		if (!add)
			d.requant.shift = (int32_t)rnd_range(-20, 0);
		assert_int_equal(add ? npu_ref_add(&d, x1, two ? x2 : NULL, out) :
				       npu_ref_mul(&d, x1, x2, out), 0);
		for (i = 0; i < 64; i++) {
			if (add)
				want = ex_add(&d, x1[i], x2[i], two);
			else
				want = ex_rq((x1[i] - d.input1_zero_point) *
					     (x2[i] - d.input2_zero_point),
					     d.requant.multiplier, d.requant.shift, &d.requant);
			CHECK_EQ(out[i], want, "it %d i %d", it, i);
		}
	}
}

/* In place is allowed for ADD and MUL when output and input are identical. */
static void test_eltwise_in_place(void **state)
{
	struct qnpu_desc_eltwise d;
	int8_t x[16], y[16], copy[16];
	int i;

	for (i = 0; i < 16; i++) {
		x[i] = (int8_t)rnd();
		y[i] = (int8_t)rnd();
	}
	memcpy(copy, x, sizeof(x));
	eltwise_desc(&d, QNPU_OP_MUL, 1, 4, 4);
	d.input1_zero_point = -3;
	d.input2_zero_point = 9;
	rq_set(&d.requant, 1649267328, -8, 1, -128, 127, QNPU_ROUND_SINGLE);
	assert_int_equal(npu_ref_mul(&d, x, y, x), 0);
	for (i = 0; i < 16; i++)
		CHECK_EQ(x[i], ex_rq((copy[i] + 3) * (y[i] - 9), 1649267328, -8, &d.requant),
			 "i %d", i);
}

/* Saturation in every output stage. */
static void test_saturation(void **state)
{
	/* The extreme products of MUL, |x - Z| = 255, at M_real = 1. */
	static const int8_t x1[4] = { 127, -128, 127, 0 };
	static const int8_t x2[4] = { -128, 127, 127, 0 };
	struct qnpu_desc_eltwise d;
	int8_t out[4];
	int r;

	eltwise_desc(&d, QNPU_OP_MUL, 1, 1, 4);
	d.input1_zero_point = -128;
	d.input2_zero_point = 127;
	for (r = 0; r < 2; r++) {
		rq_set(&d.requant, 1 << 30, 1, 0, -128, 127, r);
		assert_int_equal(npu_ref_mul(&d, x1, x2, out), 0);
		assert_int_equal(out[0], -128);		/* 255 * -255 */
		assert_int_equal(out[1], 0);		/* 0 * 0 */
		assert_int_equal(out[2], 0);		/* 255 * 0 */
		assert_int_equal(out[3], -128);		/* 128 * -127 */
		d.input2_zero_point = -128;
		assert_int_equal(npu_ref_mul(&d, x1, x2, out), 0);
		assert_int_equal(out[0], 0);		/* 255 * 0 */
		assert_int_equal(out[2], 127);		/* 255 * 255 */
		d.input2_zero_point = 127;
	}

	/* single saturates to int32 before Z_out is added (3.7): no wrap. */
	assert_int_equal(npu_ref_mbqm_single(INT32_MAX, INT32_MAX, 30), INT32_MAX);
	assert_int_equal(npu_ref_mbqm_single(INT32_MIN, INT32_MAX, 30), INT32_MIN);
	{
		struct qnpu_requant rq;

		rq_set(&rq, INT32_MAX, 30, -128, -128, 127, QNPU_ROUND_SINGLE);
		assert_int_equal(npu_ref_requant(INT32_MAX, INT32_MAX, 30, &rq), 127);
		rq_set(&rq, INT32_MAX, 30, 127, -128, 127, QNPU_ROUND_SINGLE);
		assert_int_equal(npu_ref_requant(INT32_MIN, INT32_MAX, 30, &rq), -128);
		/* Z_out is added in 64 bits: INT32_MAX + 127 does not wrap. */
		assert_int_equal(npu_ref_requant(INT32_MAX, INT32_MAX, 30, &rq), 127);
		rq_set(&rq, INT32_MAX, 30, -128, -128, 127, QNPU_ROUND_SINGLE);
		assert_int_equal(npu_ref_requant(INT32_MIN, INT32_MAX, 30, &rq), -128);
		/* double's wrap: 2^30 << 1 = INT32_MIN, times ~1 = -2^31 + 1. */
		rq_set(&rq, INT32_MAX, 1, 0, -128, 127, QNPU_ROUND_DOUBLE);
		assert_int_equal(npu_ref_mbqm_double(1 << 30, INT32_MAX, 1), -INT32_MAX);
		assert_int_equal(npu_ref_requant(1 << 30, INT32_MAX, 1, &rq), -128);
	}
}

/* ---- copy ------------------------------------------------------------------ */

static void test_copy(void **state)
{
	struct qnpu_desc_copy d;
	int8_t src[24], dst[24], b[8];
	uint8_t s32[1 + 6 * 4], d32[2 + 6 * 4];
	int32_t v;
	int h, w, c, i;

	for (i = 0; i < 24; i++)
		src[i] = (int8_t)(i * 7 - 80);
	/* Transpose HWC (2x3x4) into CWH order through the destination strides. */
	memset(&d, 0, sizeof(d));
	hdr_set(&d.hdr, QNPU_OP_COPY, sizeof(d));
	tdesc(&d.src, QNPU_DTYPE_INT8, 1, 2, 3, 4);
	tdesc(&d.dst, QNPU_DTYPE_INT8, 1, 2, 3, 4);
	d.dst.stride[1] = 1;
	d.dst.stride[2] = 2;
	d.dst.stride[3] = 6;
	assert_int_equal(npu_ref_copy(&d, src, dst), 0);
	for (h = 0; h < 2; h++)
		for (w = 0; w < 3; w++)
			for (c = 0; c < 4; c++)
				assert_int_equal(dst[c * 6 + w * 2 + h],
						 src[(h * 3 + w) * 4 + c]);

	/* Broadcast one row of 8 to 3 rows. */
	for (i = 0; i < 8; i++)
		b[i] = (int8_t)(100 - i);
	tdesc(&d.src, QNPU_DTYPE_INT8, 1, 3, 1, 8);
	tdesc(&d.dst, QNPU_DTYPE_INT8, 1, 3, 1, 8);
	d.src.stride[1] = 0;
	assert_int_equal(npu_ref_copy(&d, b, dst), 0);
	for (i = 0; i < 24; i++)
		assert_int_equal(dst[i], b[i % 8]);

	/* INT32, unaligned on both sides, little-endian. */
	for (i = 0; i < 6; i++) {
		v = INT32_MIN + i * 123456789;
		memcpy(s32 + 1 + 4 * i, &v, 4);
	}
	tdesc(&d.src, QNPU_DTYPE_INT32, 1, 1, 6, 1);
	tdesc(&d.dst, QNPU_DTYPE_INT32, 1, 1, 6, 1);
	assert_int_equal(npu_ref_copy(&d, s32 + 1, d32 + 2), 0);
	assert_memory_equal(d32 + 2, s32 + 1, 24);

	/* In place. */
	memcpy(dst, src, 24);
	tdesc(&d.src, QNPU_DTYPE_INT8, 1, 2, 3, 4);
	tdesc(&d.dst, QNPU_DTYPE_INT8, 1, 2, 3, 4);
	assert_int_equal(npu_ref_copy(&d, dst, dst), 0);
	assert_memory_equal(dst, src, 24);
}

/* The ref's own tensor accessors, with negative strides. */
static void test_tensor_access(void **state)
{
	struct npu_ref_tensor t = { 0 };
	struct qnpu_tensor q;
	int8_t buf[6] = { 1, 2, 3, 4, 5, 6 };
	uint8_t b32[8] = { 0x78, 0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff };

	t.data = buf + 5;
	t.dim[0] = t.dim[1] = t.dim[2] = 1;
	t.dim[3] = 6;
	t.stride[3] = -1;
	t.dtype = QNPU_DTYPE_INT8;
	assert_int_equal(npu_ref_tensor_get(&t, 0, 0, 0, 0), 6);
	assert_int_equal(npu_ref_tensor_get(&t, 0, 0, 0, 5), 1);
	npu_ref_tensor_set(&t, 0, 0, 0, 1, -3);
	assert_int_equal(buf[4], -3);
	t.data = b32;
	t.stride[3] = 4;
	t.dtype = QNPU_DTYPE_INT32;
	assert_int_equal(npu_ref_tensor_get(&t, 0, 0, 0, 0), 0x12345678);
	assert_int_equal(npu_ref_tensor_get(&t, 0, 0, 0, 1), -1);

	tdesc(&q, QNPU_DTYPE_INT32, 2, 3, 4, 5);
	assert_int_equal(npu_ref_tensor_span(&q), 2 * 3 * 4 * 5 * 4);
	q.stride[0] = 0;
	assert_int_equal(npu_ref_tensor_span(&q), 3 * 4 * 5 * 4);
	npu_ref_tensor_init(&t, &q, buf);
	assert_ptr_equal(t.data, buf);
	assert_int_equal(t.stride[1], 4 * 5 * 4);
	assert_int_equal(t.dim[3], 5);
}

/* ---- descriptor checks ------------------------------------------------------ */

/* A valid 1x4x4x8 -> 1x4x4x16 3x3 pad-1 conv, per-tensor requant. */
static void conv_valid(struct qnpu_desc_conv2d *d)
{
	memset(d, 0, sizeof(*d));
	hdr_set(&d->hdr, QNPU_OP_CONV2D, sizeof(*d));
	tdesc(&d->input, QNPU_DTYPE_INT8, 1, 4, 4, 8);
	tdesc(&d->output, QNPU_DTYPE_INT8, 1, 4, 4, 16);
	d->weights = 0x2000;
	d->bias = 0x3000;
	d->kernel_h = d->kernel_w = 3;
	d->stride_h = d->stride_w = d->dilation_h = d->dilation_w = 1;
	d->pad_top = d->pad_left = d->pad_bottom = d->pad_right = 1;
	d->groups = 1;
	rq_set(&d->requant, 1 << 30, -8, 0, -128, 127, QNPU_ROUND_DOUBLE);
}

/* Every mutation breaks one documented rule: INVALID_DESCRIPTOR. */
static bool conv_mutate(struct qnpu_desc_conv2d *d, int i)
{
	switch (i) {
	case 0: d->hdr.flags = 1; break;
	case 1: d->hdr.size = 176; break;
	case 2: d->hdr.op = QNPU_OP_MAXPOOL; break;
	case 3: d->reserved = 1; break;
	case 4: d->input.reserved[6] = 1; break;
	case 5: d->input.dtype = QNPU_DTYPE_INT32; break;
	case 6: d->input.dtype = 3; break;
	case 7: d->output.dtype = 0; break;
	case 8: d->input.dim[1] = 0; break;
	case 9: d->output.stride[2] = 0; break;
	case 10: d->kernel_h = 0; break;
	case 11: d->stride_w = 0; break;
	case 12: d->dilation_h = 256; break;
	case 13: d->kernel_w = 256; break;
	/* A pad equal to the window, (KH-1)*DH + 1, with consistent OH/OW. */
	case 14: d->pad_top = 3; d->output.dim[1] = 6; break;
	case 15: d->pad_right = 3; d->output.dim[2] = 6; break;
	case 39: d->dilation_h = 2; d->pad_bottom = 5; d->output.dim[1] = 6;
		 break;					/* window 5 */
	case 16: d->groups = 0; break;
	case 17: d->groups = 3; break;			/* divides neither 8 nor 16 */
	case 18: d->groups = 16; break;			/* divides C_out, not C_in */
	case 19: d->input_zero_point = 128; break;
	case 20: d->input_zero_point = -129; break;
	case 21: d->requant.rounding = 2; break;
	case 22: d->requant.multiplier = -1; break;
	case 23: d->requant.shift = 31; break;
	case 24: d->requant.shift = -32; break;
	case 25: d->requant.output_zero_point = 128; break;
	case 26: d->requant.act_min = -129; break;
	case 27: d->requant.act_max = 128; break;
	case 28: d->requant.act_min = 10; d->requant.act_max = 9; break;
	case 29: d->requant.reserved[2] = 1; break;
	case 30: d->requant.channel_params = 0x4000; break;	/* M still set */
	case 31: d->output.dtype = QNPU_DTYPE_INT32; break;	/* requant not zero */
	case 32: d->output.dim[1] = 5; break;
	case 33: d->output.dim[2] = 3; break;
	case 34: d->output.dim[0] = 2; break;
	case 35: d->stride_h = 2; break;			/* OH would be 2 */
	case 36: d->pad_bottom = 0; break;			/* OH would be 3 */
	case 37: d->dilation_w = 2; break;			/* OW would be 2 */
	case 38: d->input.dim[1] = 1; d->pad_top = d->pad_bottom = 0;
		 d->output.dim[1] = 1; break;			/* numerator < 0 */
	default: return false;
	}
	return true;
}

static void test_check_conv(void **state)
{
	struct qnpu_desc_conv2d d;
	struct qnpu_channel_requant ch[16];
	int8_t in[128], w[2048], out[1024];
	int32_t bias[16] = { 0 };
	int i;

	memset(in, 1, sizeof(in));
	memset(w, 1, sizeof(w));
	conv_valid(&d);
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, NULL), 0);
	for (i = 0; ; i++) {
		conv_valid(&d);
		if (!conv_mutate(&d, i))
			break;
		memset(out, 0x33, sizeof(out));
		CHECK_EQ(npu_ref_conv2d(&d, in, out, w, bias, NULL), -EINVAL,
			 "mutation %d", i);
		for (size_t j = 0; j < sizeof(out); j++)	/* nothing written */
			CHECK_EQ(out[j], 0x33, "mutation %d", i);
	}
	assert_true(i > 30);

	/* Range ends are valid. */
	conv_valid(&d);
	d.input_zero_point = -128;
	d.requant.output_zero_point = 127;
	d.requant.multiplier = INT32_MAX;
	d.requant.shift = 30;
	d.requant.act_min = d.requant.act_max = -128;
	d.requant.rounding = QNPU_ROUND_SINGLE;
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, NULL), 0);
	d.requant.multiplier = 0;
	d.requant.shift = -31;
	d.input_zero_point = 127;
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, NULL), 0);
	conv_valid(&d);
	d.pad_top = d.pad_bottom = 2;			/* < 3, OH = 6 */
	d.output.dim[1] = 6;
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, NULL), 0);
	/* groups 8 == C_in: depthwise, multiplier 2. */
	conv_valid(&d);
	d.groups = 8;
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, NULL), 0);
	conv_valid(&d);
	d.hdr.version = 2;
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, NULL), -EPROTONOSUPPORT);
	assert_int_equal(npu_ref_status(-EPROTONOSUPPORT), QNPU_STATUS_UNSUPPORTED_VERSION);

	/* Per-channel: entries checked after the fields. */
	conv_valid(&d);
	d.requant.channel_params = 0x4000;
	d.requant.multiplier = d.requant.shift = 0;
	for (i = 0; i < 16; i++) {
		ch[i].multiplier = 1 << 30;
		ch[i].shift = -8 - i;
	}
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, ch), 0);
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, NULL), -EFAULT);
	ch[15].shift = 31;
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, ch), -EINVAL);
	ch[15].shift = -31;
	ch[7].multiplier = -5;
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, ch), -EINVAL);

	/* LIMIT_EXCEEDED: a dimension over 65535, shapes otherwise consistent. */
	conv_valid(&d);
	d.input.dim[0] = d.output.dim[0] = 65536;
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, NULL), -E2BIG);
	d.input_zero_point = 300;			/* INVALID first */
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, NULL), -EINVAL);

	/* ACC_OVERFLOW: 255 x 255 x 2 taps. */
	conv_valid(&d);
	d.input.dim[1] = d.input.dim[2] = 255;
	d.input.dim[3] = 2;
	d.output.dim[1] = d.output.dim[2] = 1;
	d.kernel_h = d.kernel_w = 255;
	d.pad_top = d.pad_left = d.pad_bottom = d.pad_right = 0;
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, NULL), -EOVERFLOW);
	d.groups = 2;					/* K = 65025: fits */
	memset(&d.requant, 0, sizeof(d.requant));	/* checks only: no data */
	d.requant.act_min = 1;				/* (made invalid on purpose) */
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, NULL), -EINVAL);
	rq_set(&d.requant, 1 << 30, -8, 0, -128, 127, QNPU_ROUND_DOUBLE);
	/* groups 2 == C_in: depthwise, [KH][KW][C_out]. */
	assert_int_equal(npu_ref_weight_bytes(16, 255, 255, 2, 2), 255 * 255 * 16);
	d.groups = 1;
	d.output.dim[3] = 65536;			/* LIMIT before ACC */
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, NULL), -E2BIG);
	d.output.dim[3] = 16;
	d.requant.channel_params = 0x4000;		/* bad entries: ACC first */
	d.requant.multiplier = d.requant.shift = 0;
	ch[0].multiplier = -1;
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, ch), -EOVERFLOW);
	d.requant.act_min = 1;
	d.requant.act_max = 0;				/* INVALID before ACC */
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, bias, ch), -EINVAL);

	/* NULL data the descriptor needs. */
	conv_valid(&d);
	assert_int_equal(npu_ref_conv2d(&d, in, out, NULL, bias, NULL), -EFAULT);
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, NULL, NULL), -EFAULT);
	d.bias = 0;
	assert_int_equal(npu_ref_conv2d(&d, in, out, w, NULL, NULL), 0);
}

static void test_check_fc_matmul(void **state)
{
	struct qnpu_desc_matmul m;
	struct qnpu_desc_fc f;
	int8_t in[64] = { 0 }, w[1024] = { 0 }, out[64];
	int32_t out32[16];

	memset(&f, 0, sizeof(f));
	hdr_set(&f.hdr, QNPU_OP_FULLY_CONNECTED, sizeof(f));
	tdesc(&f.input, QNPU_DTYPE_INT8, 2, 1, 1, 8);
	tdesc(&f.output, QNPU_DTYPE_INT8, 2, 1, 1, 4);
	rq_set(&f.requant, 1 << 30, 0, 0, -128, 127, QNPU_ROUND_DOUBLE);
	assert_int_equal(npu_ref_fc(&f, in, out, w, NULL, NULL), 0);
	f.output.dim[0] = 1;
	assert_int_equal(npu_ref_fc(&f, in, out, w, NULL, NULL), -EINVAL);
	f.output.dim[0] = 2;
	f.input_zero_point = 200;		/* informative, but range-checked */
	assert_int_equal(npu_ref_fc(&f, in, out, w, NULL, NULL), -EINVAL);
	f.input_zero_point = 0;
	f.reserved = 1;
	assert_int_equal(npu_ref_fc(&f, in, out, w, NULL, NULL), -EINVAL);
	f.reserved = 0;
	f.input.dim[3] = 65536;			/* K: LIMIT, as a dim, before ACC */
	assert_int_equal(npu_ref_fc(&f, in, out, w, NULL, NULL), -E2BIG);
	f.input.dim[3] = 8;
	f.hdr.op = QNPU_OP_CONV2D;
	assert_int_equal(npu_ref_fc(&f, in, out, w, NULL, NULL), -EINVAL);

	memset(&m, 0, sizeof(m));
	hdr_set(&m.hdr, QNPU_OP_MATMUL, sizeof(m));
	tdesc(&m.a, QNPU_DTYPE_INT8, 1, 2, 2, 4);
	tdesc(&m.b, QNPU_DTYPE_INT8, 1, 2, 4, 3);
	tdesc(&m.output, QNPU_DTYPE_INT32, 1, 2, 2, 3);
	assert_int_equal(npu_ref_matmul(&m, in, in, out32, NULL), 0);
	m.output.dtype = QNPU_DTYPE_INT8;	/* requant all zero: act 0..0 is valid */
	assert_int_equal(npu_ref_matmul(&m, in, in, out, NULL), 0);
	m.output.dtype = QNPU_DTYPE_INT32;
	m.requant.act_max = 1;			/* raw output needs a zero requant */
	assert_int_equal(npu_ref_matmul(&m, in, in, out32, NULL), -EINVAL);
	m.requant.act_max = 0;
	m.requant.channel_params = 0x4000;
	m.output.dtype = QNPU_DTYPE_INT8;
	assert_int_equal(npu_ref_matmul(&m, in, in, out, NULL), -EINVAL);
	m.requant.channel_params = 0;
	m.b.dim[2] = 3;
	assert_int_equal(npu_ref_matmul(&m, in, in, out, NULL), -EINVAL);
	m.b.dim[2] = 4;
	m.b.dim[1] = 1;				/* broadcast is by stride, not by dim */
	assert_int_equal(npu_ref_matmul(&m, in, in, out, NULL), -EINVAL);
	m.b.dim[1] = 2;
	m.a_zero_point = 128;
	assert_int_equal(npu_ref_matmul(&m, in, in, out, NULL), -EINVAL);
	m.a_zero_point = 0;
	m.b_zero_point = -129;
	assert_int_equal(npu_ref_matmul(&m, in, in, out, NULL), -EINVAL);
	m.b_zero_point = 0;
	m.output.dim[3] = 4;
	assert_int_equal(npu_ref_matmul(&m, in, in, out, NULL), -EINVAL);
	m.output.dim[3] = 3;
	m.output.stride[0] = 0;
	assert_int_equal(npu_ref_matmul(&m, in, in, out, NULL), -EINVAL);
	m.output.stride[0] = 12;
	m.b.stride[0] = m.b.stride[1] = 0;	/* inputs may broadcast */
	assert_int_equal(npu_ref_matmul(&m, in, in, out, NULL), 0);
	m.bias = 0x3000;
	assert_int_equal(npu_ref_matmul(&m, in, in, out, NULL), -EFAULT);
}

static void test_check_pool(void **state)
{
	struct qnpu_desc_pool d;
	int8_t in[64] = { 0 }, out[128];

	pool_desc(&d, QNPU_OP_AVGPOOL, 4, 4, 2, 3, 1, 1);
	assert_int_equal(npu_ref_avgpool(&d, in, out), 0);
	assert_int_equal(npu_ref_maxpool(&d, in, out), -EINVAL);	/* wrong op */
	d.pad_top = 3;					/* = KH; OH 6 is consistent */
	d.output.dim[1] = 6;
	assert_int_equal(npu_ref_avgpool(&d, in, out), -EINVAL);
	d.pad_top = 2;
	d.output.dim[1] = 5;
	assert_int_equal(npu_ref_avgpool(&d, in, out), 0);
	pool_desc(&d, QNPU_OP_AVGPOOL, 4, 4, 2, 3, 1, 1);
	d.pad_right = 3;
	d.output.dim[2] = 6;
	assert_int_equal(npu_ref_avgpool(&d, in, out), -EINVAL);
	pool_desc(&d, QNPU_OP_AVGPOOL, 4, 4, 2, 3, 1, 2);
	d.output.dim[1] = d.output.dim[2] = 6;
	assert_int_equal(npu_ref_avgpool(&d, in, out), 0);	/* pad 2 < 3 */
	pool_desc(&d, QNPU_OP_MAXPOOL, 4, 4, 2, 3, 1, 1);
	d.kernel_h = 0;
	assert_int_equal(npu_ref_maxpool(&d, in, out), -EINVAL);
	pool_desc(&d, QNPU_OP_MAXPOOL, 4, 4, 2, 3, 1, 1);
	d.stride_w = 256;
	assert_int_equal(npu_ref_maxpool(&d, in, out), -EINVAL);
	pool_desc(&d, QNPU_OP_MAXPOOL, 4, 4, 2, 3, 1, 1);
	d.act_min = 5;
	d.act_max = 4;
	assert_int_equal(npu_ref_maxpool(&d, in, out), -EINVAL);
	pool_desc(&d, QNPU_OP_MAXPOOL, 4, 4, 2, 3, 1, 1);
	d.output.dtype = QNPU_DTYPE_INT32;
	assert_int_equal(npu_ref_maxpool(&d, in, out), -EINVAL);
	pool_desc(&d, QNPU_OP_MAXPOOL, 4, 4, 2, 3, 1, 1);
	d.output.dim[3] = 3;
	assert_int_equal(npu_ref_maxpool(&d, in, out), -EINVAL);
	pool_desc(&d, QNPU_OP_MAXPOOL, 4, 4, 2, 3, 1, 1);
	d.output.dim[1] = 3;
	assert_int_equal(npu_ref_maxpool(&d, in, out), -EINVAL);
	pool_desc(&d, QNPU_OP_MAXPOOL, 2, 2, 1, 5, 1, 1);	/* window > input + pads */
	d.output.dim[1] = d.output.dim[2] = 1;
	assert_int_equal(npu_ref_maxpool(&d, in, out), -EINVAL);
	pool_desc(&d, QNPU_OP_MAXPOOL, 4, 4, 2, 3, 1, 1);
	d.input.dim[2] = 70000;
	d.output.dim[2] = 70000;
	assert_int_equal(npu_ref_maxpool(&d, in, out), -E2BIG);
}

/* LUT: each element through the table, a broadcast input, the checks. */
static void test_lut(void **state)
{
	struct qnpu_desc_lut d;
	int8_t x[24], y[24], table[QNPU_LUT_ENTRIES], row[4] = { -128, -1, 0, 127 };
	int i;

	(void)state;
	for (i = 0; i < QNPU_LUT_ENTRIES; i++)
		table[i] = (int8_t)(i * 37 + 11);
	for (i = 0; i < 24; i++)
		x[i] = (int8_t)(i * 11 - 128);
	memset(&d, 0, sizeof(d));
	hdr_set(&d.hdr, QNPU_OP_LUT, sizeof(d));
	tdesc(&d.input, QNPU_DTYPE_INT8, 1, 2, 3, 4);
	tdesc(&d.output, QNPU_DTYPE_INT8, 1, 2, 3, 4);
	assert_int_equal(npu_ref_lut(&d, x, table, y), 0);
	for (i = 0; i < 24; i++)
		assert_int_equal(y[i], (int8_t)((x[i] + 128) * 37 + 11));
	/* One row of 4 read for all 6 pixels; the ends of the table. */
	d.input.stride[1] = d.input.stride[2] = 0;
	assert_int_equal(npu_ref_lut(&d, row, table, y), 0);
	for (i = 0; i < 24; i++)
		assert_int_equal(y[i], table[row[i % 4] + 128]);
	assert_int_equal(npu_ref_lut(&d, row, NULL, y), -EFAULT);
	d.reserved = 1;
	assert_int_equal(npu_ref_lut(&d, row, table, y), -EINVAL);
	d.reserved = 0;
	d.output.dim[3] = 3;
	assert_int_equal(npu_ref_lut(&d, row, table, y), -EINVAL);
	tdesc(&d.output, QNPU_DTYPE_INT32, 1, 2, 3, 4);
	assert_int_equal(npu_ref_lut(&d, row, table, y), -EINVAL);
}

static void test_check_eltwise_copy(void **state)
{
	struct qnpu_desc_eltwise d;
	struct qnpu_desc_copy c;
	int8_t a[16] = { 0 }, b[16] = { 0 }, out[16];

	eltwise_desc(&d, QNPU_OP_ADD, 1, 4, 4);
	d.input1_multiplier = d.input2_multiplier = 1 << 30;
	d.input1_shift = -31;
	rq_set(&d.requant, 1 << 30, 30, 0, -128, 127, QNPU_ROUND_DOUBLE);
	assert_int_equal(npu_ref_add(&d, a, b, out), 0);
	assert_int_equal(npu_ref_add(&d, a, NULL, out), -EFAULT);
	assert_int_equal(npu_ref_mul(&d, a, b, out), -EINVAL);	/* wrong op */
	d.input1_shift = 1;
	assert_int_equal(npu_ref_add(&d, a, b, out), -EINVAL);
	d.input1_shift = 0;
	d.input2_shift = -32;
	assert_int_equal(npu_ref_add(&d, a, b, out), -EINVAL);
	d.input2_shift = 0;
	d.left_shift = 21;
	assert_int_equal(npu_ref_add(&d, a, b, out), -EINVAL);
	d.left_shift = -1;
	assert_int_equal(npu_ref_add(&d, a, b, out), -EINVAL);
	d.left_shift = 0;
	d.input2_multiplier = -1;
	assert_int_equal(npu_ref_add(&d, a, b, out), -EINVAL);
	d.input2_multiplier = 0;
	d.reserved = 1;
	assert_int_equal(npu_ref_add(&d, a, b, out), -EINVAL);
	d.reserved = 0;
	d.requant.channel_params = 0x4000;
	d.requant.multiplier = d.requant.shift = 0;
	assert_int_equal(npu_ref_add(&d, a, b, out), -EINVAL);
	rq_set(&d.requant, 1 << 30, 0, 0, -128, 127, QNPU_ROUND_DOUBLE);
	d.input2.dim[3] = 2;
	assert_int_equal(npu_ref_add(&d, a, b, out), -EINVAL);
	d.input2.dim[3] = 4;
	d.output.dim[1] = 2;
	assert_int_equal(npu_ref_add(&d, a, b, out), -EINVAL);
	d.output.dim[1] = 4;
	d.output.stride[3] = 0;
	assert_int_equal(npu_ref_add(&d, a, b, out), -EINVAL);
	d.output.stride[3] = 1;
	d.input2.dtype = QNPU_DTYPE_INT32;
	assert_int_equal(npu_ref_add(&d, a, b, out), -EINVAL);

	/* Single input: every input2 field must be zero. */
	eltwise_desc(&d, QNPU_OP_ADD, 1, 4, 4);
	memset(&d.input2, 0, sizeof(d.input2));
	d.input1_multiplier = 1 << 30;
	rq_set(&d.requant, 1 << 30, 0, 0, -128, 127, QNPU_ROUND_DOUBLE);
	assert_int_equal(npu_ref_add(&d, a, NULL, out), 0);
	d.input2.dim[0] = 1;
	assert_int_equal(npu_ref_add(&d, a, NULL, out), -EINVAL);
	d.input2.dim[0] = 0;
	d.input2_zero_point = 1;
	assert_int_equal(npu_ref_add(&d, a, NULL, out), -EINVAL);
	d.input2_zero_point = 0;
	d.input2_multiplier = 1;
	assert_int_equal(npu_ref_add(&d, a, NULL, out), -EINVAL);
	d.input2_multiplier = 0;
	d.input2_shift = -1;
	assert_int_equal(npu_ref_add(&d, a, NULL, out), -EINVAL);

	/* MUL: two inputs, no rescale fields. */
	eltwise_desc(&d, QNPU_OP_MUL, 1, 4, 4);
	rq_set(&d.requant, 1 << 30, 0, 0, -128, 127, QNPU_ROUND_SINGLE);
	assert_int_equal(npu_ref_mul(&d, a, b, out), 0);
	d.left_shift = 20;
	assert_int_equal(npu_ref_mul(&d, a, b, out), -EINVAL);
	d.left_shift = 0;
	d.input1_multiplier = 1;
	assert_int_equal(npu_ref_mul(&d, a, b, out), -EINVAL);
	d.input1_multiplier = 0;
	d.input2_shift = -1;
	assert_int_equal(npu_ref_mul(&d, a, b, out), -EINVAL);
	d.input2_shift = 0;
	d.input2.addr = 0;
	assert_int_equal(npu_ref_mul(&d, a, b, out), -EINVAL);
	d.input2.addr = 0x1000;
	d.input1_zero_point = 128;
	assert_int_equal(npu_ref_mul(&d, a, b, out), -EINVAL);

	/* COPY */
	memset(&c, 0, sizeof(c));
	hdr_set(&c.hdr, QNPU_OP_COPY, sizeof(c));
	tdesc(&c.src, QNPU_DTYPE_INT8, 1, 1, 4, 4);
	tdesc(&c.dst, QNPU_DTYPE_INT8, 1, 1, 4, 4);
	assert_int_equal(npu_ref_copy(&c, a, out), 0);
	c.dst.dtype = QNPU_DTYPE_INT32;
	assert_int_equal(npu_ref_copy(&c, a, out), -EINVAL);
	c.src.dtype = QNPU_DTYPE_INT32;
	c.dst.stride[3] = c.src.stride[3] = 4;
	c.dst.stride[2] = c.src.stride[2] = 16;
	c.dst.dim[2] = c.src.dim[2] = 1;
	assert_int_equal(npu_ref_copy(&c, a, out), 0);
	c.dst.dim[3] = 3;
	assert_int_equal(npu_ref_copy(&c, a, out), -EINVAL);
	c.dst.dim[3] = 4;
	c.dst.stride[3] = 0;
	assert_int_equal(npu_ref_copy(&c, a, out), -EINVAL);
	c.dst.stride[3] = 4;
	c.src.dtype = c.dst.dtype = 0;
	assert_int_equal(npu_ref_copy(&c, a, out), -EINVAL);
	c.src.dtype = c.dst.dtype = QNPU_DTYPE_INT8;
	c.src.dim[0] = c.dst.dim[0] = 65536;
	assert_int_equal(npu_ref_copy(&c, a, out), -E2BIG);
	c.src.dim[0] = c.dst.dim[0] = 1;
	c.hdr.size = 96;
	assert_int_equal(npu_ref_copy(&c, a, out), -EINVAL);
}

static void test_status(void **state)
{
	assert_int_equal(npu_ref_status(0), QNPU_STATUS_OK);
	assert_int_equal(npu_ref_status(-EINVAL), QNPU_STATUS_INVALID_DESCRIPTOR);
	assert_int_equal(npu_ref_status(-E2BIG), QNPU_STATUS_LIMIT_EXCEEDED);
	assert_int_equal(npu_ref_status(-EOVERFLOW), QNPU_STATUS_ACC_OVERFLOW);
	assert_int_equal(npu_ref_status(-EFAULT), QNPU_STATUS_MMU_FAULT);
	assert_int_equal(npu_ref_status(-EPROTONOSUPPORT), QNPU_STATUS_UNSUPPORTED_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantize_example_symmetric),
		cmocka_unit_test(test_quantize_example_asymmetric),
		cmocka_unit_test(test_quantize_ties),
		cmocka_unit_test(test_quantize_bias),
		cmocka_unit_test(test_act_bounds),
		cmocka_unit_test(test_fold_example),
		cmocka_unit_test(test_fold_bias),
		cmocka_unit_test(test_quantize_multiplier_examples),
		cmocka_unit_test(test_quantize_multiplier_random),
		cmocka_unit_test(test_srdhm_rdbpot),
		cmocka_unit_test(test_requant_examples),
		cmocka_unit_test(test_requant_ties),
		cmocka_unit_test(test_mbqm_single_exact),
		cmocka_unit_test(test_mbqm_double_exact),
		cmocka_unit_test(test_mbqm_double_rate),
		cmocka_unit_test(test_pack_layout),
		cmocka_unit_test(test_conv_hand),
		cmocka_unit_test(test_conv_depthwise),
		cmocka_unit_test(test_conv_grouped),
		cmocka_unit_test(test_conv_dense),
		cmocka_unit_test(test_conv_zero_point_extremes),
		cmocka_unit_test(test_conv_k_limit_and_wrap),
		cmocka_unit_test(test_fc_random),
		cmocka_unit_test(test_matmul_example),
		cmocka_unit_test(test_matmul_random),
		cmocka_unit_test(test_maxpool_example),
		cmocka_unit_test(test_avgpool_corner),
		cmocka_unit_test(test_pool_random),
		cmocka_unit_test(test_avgpool_ties),
		cmocka_unit_test(test_add_example),
		cmocka_unit_test(test_rescale_example),
		cmocka_unit_test(test_mul_example),
		cmocka_unit_test(test_add_broadcast),
		cmocka_unit_test(test_eltwise_random),
		cmocka_unit_test(test_eltwise_in_place),
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_tensor_access),
		cmocka_unit_test(test_check_conv),
		cmocka_unit_test(test_check_fc_matmul),
		cmocka_unit_test(test_check_pool),
		cmocka_unit_test(test_lut),
		cmocka_unit_test(test_check_eltwise_copy),
		cmocka_unit_test(test_status),
	};

	return cmocka_run_group_tests_name("ref", tests, NULL, NULL);
}
