// SPDX-License-Identifier: MIT
/*
 * Host tests of libnpu's quantization toolkit (<npu/quant.h>), through the
 * public API only: the worked examples of docs/arithmetic.md (1.4, 1.5,
 * the QuantizeMultiplier table of 3.2, the bounds of 3.7) as exact
 * assertions, round-trip bounds, per-channel and uint8 equivalences, each
 * calibration observer on synthetic data with a known answer, histogram
 * growth, the error metrics, and bad arguments.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <float.h>
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

#include <npu/quant.h>

/* ---- helpers ------------------------------------------------------------ */

#define CHECK_EQ(got, want, fmt, ...)						\
	do {									\
		long long _g = (got), _w = (want);				\
		if (_g != _w) {							\
			print_error("got %lld, want %lld: " fmt "\n",		\
				    _g, _w, __VA_ARGS__);			\
			fail();							\
		}								\
	} while (0)

#define CHECK_NEAR(got, want, tol, what)					\
	do {									\
		double _g = (got), _w = (want), _t = (tol);			\
		if (!(fabs(_g - _w) <= _t)) {					\
			print_error("%s: got %.9g, want %.9g +- %.3g\n",	\
				    what, _g, _w, _t);				\
			fail();							\
		}								\
	} while (0)

#define CHECK_IN(got, lo, hi, what)						\
	do {									\
		double _g = (got), _l = (lo), _h = (hi);			\
		if (!(_g >= _l && _g <= _h)) {					\
			print_error("%s: got %.9g, want in [%.9g, %.9g]\n",	\
				    what, _g, _l, _h);				\
			fail();							\
		}								\
	} while (0)

static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
	rng_state = s ? s : 0x9e3779b97f4a7c15ull;
}

/* xorshift64*: deterministic, so a failure can be replayed. */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Uniform in [0, 1). */
static double rnd_unit(void)
{
	return (double)(rnd() >> 11) * 0x1p-53;
}

static double rnd_uniform(double lo, double hi)
{
	return lo + (hi - lo) * rnd_unit();
}

/* Standard normal, Box-Muller. */
static double rnd_normal(void)
{
	double u = 1.0 - rnd_unit(), v = rnd_unit();

	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
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

static struct npu_observer *obs_new(enum npu_calib m, const struct npu_observer_opts *o)
{
	struct npu_observer *obs = NULL;

	assert_int_equal(npu_observer_new(m, o, &obs), 0);
	assert_non_null(obs);
	return obs;
}

static void obs_range(struct npu_observer *obs, float *lo, float *hi)
{
	assert_int_equal(npu_observer_range(obs, lo, hi), 0);
	assert_true(*lo <= *hi);
}

/* ---- arithmetic.md 1.2 - 1.6 ------------------------------------------- */

/* 1.4: symmetric weights. */
static void test_example_symmetric(void **state)
{
	static const float w[5] = { -0.5f, -0.2f, 0.1f, 0.3f, 0.5f };
	static const int8_t want[5] = { -127, -51, 25, 76, 127 };
	struct npu_qparams qp, qpc;
	float mn, mx, deq[5];
	int8_t q[5], qw[5];
	int i;

	assert_int_equal(npu_channel_ranges(w, 1, 5, &mn, &mx), 0);
	assert_true(mn == -0.5f && mx == 0.5f);
	assert_int_equal(npu_qparams_from_range(mn, mx, NPU_INT8, true, &qp), 0);
	CHECK_EQ(f32_bits(qp.scale), 0x3B810204, "%s", "S bits");
	CHECK_EQ(qp.zero_point, 0, "%s", "Z");
	assert_int_equal(npu_qparams_per_channel(&mn, &mx, 1, NPU_INT8, true, &qpc), 0);
	assert_memory_equal(&qp, &qpc, sizeof(qp));

	assert_int_equal(npu_quantize(w, 5, qp, NPU_INT8, q), 0);
	assert_int_equal(npu_quantize_weights(w, 1, 5, &qp, qw), 0);
	assert_int_equal(npu_dequantize(q, 5, qp, NPU_INT8, deq), 0);
	for (i = 0; i < 5; i++) {
		CHECK_EQ(q[i], want[i], "w[%d]", i);
		CHECK_EQ(qw[i], want[i], "weights w[%d]", i);
		/* one binary32 product, exactly */
		assert_true(deq[i] == (float)want[i] * qp.scale);
		assert_true(fabsf(deq[i] - w[i]) <= qp.scale / 2);
	}
	CHECK_NEAR(deq[1], -0.2007874, 1e-7, "deq(-0.2)");
	CHECK_NEAR(deq[2], 0.0984252, 1e-7, "deq(0.1)");
	CHECK_NEAR(deq[3], 0.2992126, 1e-7, "deq(0.3)");
	assert_true(deq[0] == -0.5f && deq[4] == 0.5f);
}

/* 1.5: asymmetric activations, int8 and the same in uint8. */
static void test_example_asymmetric(void **state)
{
	static const float x[8] = { -1.0f, -0.3f, 0.0f, 0.5f, 1.3f, 2.0f, 3.0f, 3.1f };
	static const int8_t want[8] = { -128, -83, -64, -32, 19, 63, 127, 127 };
	static const double want_deq[8] = { -1.0039216, -0.2980392, 0.0, 0.5019608,
					    1.3019608, 1.9921570, 2.9960785, 2.9960785 };
	struct npu_qparams qp, qpu;
	int8_t q[8];
	uint8_t qu[8];
	float deq[8], dequ[8];
	int i;

	assert_int_equal(npu_qparams_from_range(-1.0f, 3.0f, NPU_INT8, false, &qp), 0);
	CHECK_EQ(f32_bits(qp.scale), 0x3C808081, "%s", "S bits");
	CHECK_EQ(qp.zero_point, -64, "%s", "Z");
	assert_int_equal(npu_quantize(x, 8, qp, NPU_INT8, q), 0);
	assert_int_equal(npu_dequantize(q, 8, qp, NPU_INT8, deq), 0);
	for (i = 0; i < 8; i++) {
		CHECK_EQ(q[i], want[i], "x[%d]", i);
		CHECK_NEAR(deq[i], want_deq[i], 1e-7, "dequantized");
	}
	assert_true(deq[2] == 0.0f);		/* real 0 is exact */

	assert_int_equal(npu_qparams_from_range(-1.0f, 3.0f, NPU_UINT8, false, &qpu), 0);
	assert_true(qpu.scale == qp.scale);
	CHECK_EQ(qpu.zero_point, 64, "%s", "uint8 Z");
	assert_int_equal(npu_quantize(x, 8, qpu, NPU_UINT8, qu), 0);
	assert_int_equal(npu_dequantize(qu, 8, qpu, NPU_UINT8, dequ), 0);
	for (i = 0; i < 8; i++) {
		CHECK_EQ(qu[i], want[i] + 128, "uint8 x[%d]", i);
		assert_true(dequ[i] == deq[i]);
	}
}

/* 1.2: ties to even, NaN to Z, infinities saturate, range widened to 0. */
static void test_quantize_rules(void **state)
{
	static const float x[6] = { 0.625f, -0.625f, 0.375f, NAN, INFINITY, -INFINITY };
	static const int8_t want[6] = { 2, -2, 2, 0, 127, -128 };
	struct npu_qparams qp = { 0.25f, 0 }, qz = { 0.25f, 10 };
	int8_t q[6];
	uint8_t qu[6];
	int i;

	assert_int_equal(npu_quantize(x, 6, qp, NPU_INT8, q), 0);
	for (i = 0; i < 6; i++)
		CHECK_EQ(q[i], want[i], "x[%d]", i);
	assert_int_equal(npu_quantize(x, 6, qz, NPU_INT8, q), 0);
	CHECK_EQ(q[3], 10, "%s", "NaN -> Z");
	qz.zero_point = 138;
	assert_int_equal(npu_quantize(x, 6, qz, NPU_UINT8, qu), 0);
	CHECK_EQ(qu[3], 138, "%s", "uint8 NaN -> Z");
	CHECK_EQ(qu[4], 255, "%s", "uint8 +inf");
	CHECK_EQ(qu[5], 0, "%s", "uint8 -inf");

	/* [2, 5] is widened to [0, 5]: Z = -128, real 0 exact. */
	assert_int_equal(npu_qparams_from_range(2.0f, 5.0f, NPU_INT8, false, &qp), 0);
	CHECK_EQ(qp.zero_point, -128, "%s", "Z of [2, 5]");
	assert_true(qp.scale == (float)(5.0 / 255.0));
	assert_int_equal(npu_qparams_from_range(-5.0f, -2.0f, NPU_INT8, false, &qp), 0);
	CHECK_EQ(qp.zero_point, 127, "%s", "Z of [-5, -2]");
	/* all-zero range: S = 1, Z = 0 (uint8: 128), either kind */
	assert_int_equal(npu_qparams_from_range(0.0f, 0.0f, NPU_INT8, false, &qp), 0);
	assert_true(qp.scale == 1.0f && qp.zero_point == 0);
	assert_int_equal(npu_qparams_from_range(0.0f, 0.0f, NPU_UINT8, true, &qp), 0);
	assert_true(qp.scale == 1.0f && qp.zero_point == 128);
	/* symmetric: the larger magnitude */
	assert_int_equal(npu_qparams_from_range(-0.2f, 0.6f, NPU_INT8, true, &qp), 0);
	assert_true(qp.scale == (float)((double)0.6f / 127.0) && qp.zero_point == 0);
}

/* |x - deq(q(x))| <= S/2 inside the representable range. */
static void test_roundtrip_bound(void **state)
{
	enum { N = 4096 };
	float *x = xmalloc(N * sizeof(float)), *d = xmalloc(N * sizeof(float));
	int8_t *q = xmalloc(N);
	int trial, i;

	rng_seed(11);
	for (trial = 0; trial < 200; trial++) {
		double span = exp(rnd_uniform(-8.0, 8.0));
		double a = rnd_uniform(-1.0, 0.5) * span, b = a + span * rnd_uniform(0.01, 1.0);
		bool sym = trial & 1;
		struct npu_qparams qp;
		float lo, hi;

		assert_int_equal(npu_qparams_from_range((float)a, (float)b, NPU_INT8, sym, &qp),
				 0);
		/* representable range: [S*(qmin - Z), S*(127 - Z)] */
		lo = qp.scale * (float)((sym ? -127 : -128) - qp.zero_point);
		hi = qp.scale * (float)(127 - qp.zero_point);
		for (i = 0; i < N; i++)
			x[i] = (float)rnd_uniform(lo, hi);
		x[0] = lo;
		x[1] = hi;
		x[2] = 0.0f;
		assert_int_equal(npu_quantize(x, N, qp, NPU_INT8, q), 0);
		assert_int_equal(npu_dequantize(q, N, qp, NPU_INT8, d), 0);
		for (i = 0; i < N; i++) {
			double err = fabs((double)x[i] - d[i]);

			/* S/2, plus the binary32 rounding of x/S and of the product */
			if (!(err <= qp.scale * 0.5 * (1 + 1e-4))) {
				print_error("trial %d: x %.9g deq %.9g S %.9g Z %d\n", trial,
					    x[i], d[i], qp.scale, qp.zero_point);
				fail();
			}
			if (sym)
				assert_true(q[i] >= -127);
		}
		assert_true(d[2] == 0.0f);
	}
	free(x);
	free(d);
	free(q);
}

/* Per channel is per tensor on each channel; weights never reach -128. */
static void test_per_channel(void **state)
{
	enum { C = 7, K = 50 };
	float w[C][K], mins[C], maxs[C], deq[C][K], deq1[K];
	struct npu_qparams qp[C], one;
	int8_t q[C][K], qw[C][K], q1[K];
	uint8_t qu[C][K];
	int c, k;

	rng_seed(12);
	for (c = 0; c < C; c++) {
		double s = exp(rnd_uniform(-6, 2));

		for (k = 0; k < K; k++)
			w[c][k] = (float)(rnd_normal() * s);
	}
	for (k = 0; k < K; k++)		/* channel 3 all zero, channel 4 positive */
		w[3][k] = 0.0f;
	for (k = 0; k < K; k++)
		w[4][k] = fabsf(w[4][k]);
	w[5][7] = NAN;			/* skipped by the range, quantized as 0 */

	assert_int_equal(npu_channel_ranges(&w[0][0], C, K, mins, maxs), 0);
	for (c = 0; c < C; c++) {
		float mn = INFINITY, mx = -INFINITY;

		for (k = 0; k < K; k++) {
			if (isnan(w[c][k]))
				continue;
			mn = fminf(mn, w[c][k]);
			mx = fmaxf(mx, w[c][k]);
		}
		assert_true(mins[c] == mn && maxs[c] == mx);
	}
	assert_int_equal(npu_qparams_per_channel(mins, maxs, C, NPU_INT8, true, qp), 0);
	assert_true(qp[3].scale == 1.0f);
	assert_int_equal(npu_quantize_per_channel(&w[0][0], C, K, qp, NPU_INT8, q), 0);
	assert_int_equal(npu_quantize_weights(&w[0][0], C, K, qp, &qw[0][0]), 0);
	assert_int_equal(npu_dequantize_per_channel(q, C, K, qp, NPU_INT8, &deq[0][0]), 0);
	for (c = 0; c < C; c++) {
		assert_int_equal(npu_qparams_from_range(mins[c], maxs[c], NPU_INT8, true, &one),
				 0);
		assert_memory_equal(&one, &qp[c], sizeof(one));
		assert_int_equal(npu_quantize(w[c], K, qp[c], NPU_INT8, q1), 0);
		assert_memory_equal(q1, q[c], K);
		assert_memory_equal(q1, qw[c], K);
		assert_int_equal(npu_dequantize(q1, K, qp[c], NPU_INT8, deq1), 0);
		assert_memory_equal(deq1, deq[c], sizeof(deq1));
		for (k = 0; k < K; k++) {
			assert_true(qw[c][k] >= -127);
			if (!isnan(w[c][k]))
				assert_true(fabsf(deq[c][k] - w[c][k]) <=
					    qp[c].scale * 0.5f * (1 + 1e-4f));
		}
	}
	CHECK_EQ(q[5][7], 0, "%s", "NaN weight");

	/* Asymmetric uint8 per channel: the int8 result shifted. */
	assert_int_equal(npu_qparams_per_channel(mins, maxs, C, NPU_UINT8, false, qp), 0);
	assert_int_equal(npu_quantize_per_channel(&w[0][0], C, K, qp, NPU_UINT8, qu), 0);
	for (c = 0; c < C; c++) {
		one = qp[c];
		one.zero_point -= 128;
		assert_int_equal(npu_quantize(w[c], K, one, NPU_INT8, q1), 0);
		for (k = 0; k < K; k++)
			CHECK_EQ(qu[c][k], q1[k] + 128, "c %d k %d", c, k);
	}

	/* Weights clamp to -127 where plain quantization gives -128. */
	{
		float x[2] = { -1.0f, 1.0f };
		struct npu_qparams s = { 1.0f / 128, 0 };
		int8_t a[2], b[2];

		assert_int_equal(npu_quantize(x, 2, s, NPU_INT8, a), 0);
		assert_int_equal(npu_quantize_weights(x, 1, 2, &s, b), 0);
		CHECK_EQ(a[0], -128, "%s", "activation");
		CHECK_EQ(b[0], -127, "%s", "weight");
		CHECK_EQ(b[1], 127, "%s", "weight");
	}
}

/* uint8 is int8 shifted by 128, exactly (1.6). */
static void test_uint8_shift(void **state)
{
	enum { N = 1000 };
	float x[N], d8[N], du[N];
	int8_t q8[N], qs[N], s8[256];
	uint8_t qu[N], u8[256], back[256];
	int trial, i;

	rng_seed(13);
	for (trial = 0; trial < 100; trial++) {
		struct npu_qparams p8, pu, p;

		p8.scale = (float)exp(rnd_uniform(-10, 3));
		p8.zero_point = (int32_t)(rnd() % 256) - 128;
		assert_int_equal(npu_qparams_s8_to_u8(p8, &pu), 0);
		assert_true(pu.scale == p8.scale && pu.zero_point == p8.zero_point + 128);
		assert_int_equal(npu_qparams_u8_to_s8(pu, &p), 0);
		assert_memory_equal(&p, &p8, sizeof(p));
		for (i = 0; i < N; i++)
			x[i] = (float)(rnd_uniform(-300, 300) * p8.scale);
		assert_int_equal(npu_quantize(x, N, p8, NPU_INT8, q8), 0);
		assert_int_equal(npu_quantize(x, N, pu, NPU_UINT8, qu), 0);
		assert_int_equal(npu_dequantize(q8, N, p8, NPU_INT8, d8), 0);
		assert_int_equal(npu_dequantize(qu, N, pu, NPU_UINT8, du), 0);
		for (i = 0; i < N; i++)
			CHECK_EQ(qu[i], q8[i] + 128, "trial %d i %d", trial, i);
		assert_memory_equal(d8, du, sizeof(d8));
		assert_int_equal(npu_u8_to_s8(qu, N, qs), 0);
		assert_memory_equal(qs, q8, N);
	}
	for (i = 0; i < 256; i++)
		u8[i] = (uint8_t)i;
	assert_int_equal(npu_u8_to_s8(u8, 256, s8), 0);
	for (i = 0; i < 256; i++)
		CHECK_EQ(s8[i], i - 128, "u8 %d", i);
	assert_int_equal(npu_s8_to_u8(s8, 256, back), 0);
	assert_memory_equal(back, u8, 256);
	/* in place */
	assert_int_equal(npu_u8_to_s8(u8, 256, (int8_t *)u8), 0);
	assert_memory_equal(u8, s8, 256);
	assert_int_equal(npu_s8_to_u8((int8_t *)u8, 256, u8), 0);
	assert_memory_equal(u8, back, 256);
}

/* ---- arithmetic.md 3 ----------------------------------------------------- */

static void test_quantize_multiplier_table(void **state)
{
	static const struct {
		double real;
		int32_t m, shift;
	} t[] = {
		{ 0.0072474, 1992150143, -7 },
		{ 0.5, 1073741824, 0 },
		{ 1.5, 1610612736, 1 },
		{ 1.0 - 0x1p-33, 1073741824, 1 },
		{ 3e-10, 1383505806, -31 },
		{ 0x1p-40, 0, 0 },
		{ 0x1p30, 2147483647, 30 },
		{ 0.0, 0, 0 },
		{ 1e300, 2147483647, 30 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int32_t m = -1, s = -100;

		assert_int_equal(npu_quantize_multiplier(t[i].real, &m, &s), 0);
		CHECK_EQ(m, t[i].m, "M of %.17g", t[i].real);
		CHECK_EQ(s, t[i].shift, "shift of %.17g", t[i].real);
	}
}

static void test_requantize_params(void **state)
{
	/* 6: Sa = 0.1, Sb = 0.05, S_out = 0.2 -> (1717986944, -5) */
	static const float s_w[4] = { 0.05f, 0.001f, 3.0f, 1e-20f };
	int32_t m[4], s[4];
	int c;

	assert_int_equal(npu_requantize_params(0.1f, s_w, 4, 0.2f, m, s), 0);
	CHECK_EQ(m[0], 1717986944, "%s", "M");
	CHECK_EQ(s[0], -5, "%s", "shift");
	for (c = 0; c < 4; c++) {
		int32_t mm, ss;

		assert_int_equal(npu_quantize_multiplier((double)0.1f * (double)s_w[c] /
							 (double)0.2f, &mm, &ss), 0);
		CHECK_EQ(m[c], mm, "channel %d", c);
		CHECK_EQ(s[c], ss, "channel %d", c);
	}
	CHECK_EQ(m[3], 0, "%s", "tiny flushed");
	CHECK_EQ(s[3], 0, "%s", "tiny flushed");
	CHECK_EQ(s[2], 1, "%s", ">= 1 multiplier");
}

/* 3.7. */
static void test_act_bounds(void **state)
{
	static const struct {
		enum npu_activation act;
		float s;
		int32_t z, lo, hi;
	} t[] = {
		{ NPU_ACT_NONE, 0.05f, -20, -128, 127 },
		{ NPU_ACT_RELU, 0.05f, -20, -20, 127 },
		{ NPU_ACT_RELU6, 0.05f, -20, -20, 100 },
		{ NPU_ACT_RELU6, (float)(6.0 / 255.0), -128, -128, 127 },
		{ NPU_ACT_RELU6, 0.02f, 10, 10, 127 },
		{ NPU_ACT_RELU6, 1e-30f, 0, 0, 127 },
		{ NPU_ACT_RELU6, 1.0f, 127, 127, 127 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct npu_qparams qp = { t[i].s, t[i].z }, qu = { t[i].s, t[i].z + 128 };
		int32_t lo, hi;

		assert_int_equal(npu_act_bounds(t[i].act, qp, NPU_INT8, &lo, &hi), 0);
		CHECK_EQ(lo, t[i].lo, "row %zu", i);
		CHECK_EQ(hi, t[i].hi, "row %zu", i);
		assert_int_equal(npu_act_bounds(t[i].act, qu, NPU_UINT8, &lo, &hi), 0);
		CHECK_EQ(lo, t[i].lo + 128, "uint8 row %zu", i);
		CHECK_EQ(hi, t[i].hi + 128, "uint8 row %zu", i);
	}
}

static void test_quantize_bias(void **state)
{
	static const float b[4] = { 1.0f, -2.5f, NAN, 1e30f };
	static const float s_w[4] = { 0.01f, 0.02f, 0.01f, 1e-6f };
	int32_t q[4];
	int c;

	assert_int_equal(npu_quantize_bias(b, 4, 0.5f, s_w, q), 0);
	for (c = 0; c < 2; c++)
		CHECK_EQ(q[c], (int32_t)rint(b[c] / ((double)0.5f * (double)s_w[c])), "c %d",
			 c);
	CHECK_EQ(q[2], 0, "%s", "NaN");
	CHECK_EQ(q[3], INT32_MAX, "%s", "saturated");
}

/* ---- observers ----------------------------------------------------------- */

static void test_observer_minmax(void **state)
{
	static const float b1[4] = { 0.5f, -1.25f, 2.0f, NAN };
	static const float b2[3] = { INFINITY, 3.5f, -INFINITY };
	static const float b3[2] = { NAN, NAN };
	struct npu_observer *obs = obs_new(NPU_CALIB_MINMAX, NULL);
	struct npu_qparams qp, want;
	const uint64_t *bins;
	size_t nb;
	float lo, hi;

	assert_int_equal(npu_observer_range(obs, &lo, &hi), -ENODATA);
	assert_int_equal(npu_observer_qparams(obs, NPU_INT8, false, &qp), -ENODATA);
	assert_int_equal(npu_observer_update(obs, b3, 2), 0);	/* nothing finite */
	assert_int_equal(npu_observer_range(obs, &lo, &hi), -ENODATA);
	assert_int_equal(npu_observer_update(obs, b1, 4), 0);
	obs_range(obs, &lo, &hi);
	assert_true(lo == -1.25f && hi == 2.0f);
	assert_int_equal(npu_observer_update(obs, b2, 3), 0);
	obs_range(obs, &lo, &hi);
	assert_true(lo == -1.25f && hi == 3.5f);
	assert_int_equal(npu_observer_qparams(obs, NPU_UINT8, false, &qp), 0);
	assert_int_equal(npu_qparams_from_range(-1.25f, 3.5f, NPU_UINT8, false, &want), 0);
	assert_memory_equal(&qp, &want, sizeof(qp));
	assert_int_equal(npu_observer_histogram(obs, &bins, &nb, &lo, &hi), -EOPNOTSUPP);
	npu_observer_free(obs);
}

/* PyTorch's MovingAverageMinMaxObserver: first batch sets, then v += c(b - v). */
static void test_observer_moving_avg(void **state)
{
	struct npu_observer_opts o = { .momentum = 0.25 };
	struct npu_observer *obs = obs_new(NPU_CALIB_MOVING_AVG, &o), *def;
	double mn = 0, mx = 0;
	float lo, hi, x[16];
	int b, i;

	rng_seed(14);
	for (b = 0; b < 20; b++) {
		double bmin = INFINITY, bmax = -INFINITY;

		for (i = 0; i < 16; i++) {
			x[i] = (float)rnd_uniform(-3 - b, 1 + 0.5 * b);
			bmin = fmin(bmin, x[i]);
			bmax = fmax(bmax, x[i]);
		}
		if (b == 0) {
			mn = bmin;
			mx = bmax;
		} else {
			mn = mn + 0.25 * (bmin - mn);
			mx = mx + 0.25 * (bmax - mx);
		}
		assert_int_equal(npu_observer_update(obs, x, 16), 0);
		obs_range(obs, &lo, &hi);
		CHECK_NEAR(lo, (float)mn, fabs(mn) * 1e-6, "moving min");
		CHECK_NEAR(hi, (float)mx, fabs(mx) * 1e-6, "moving max");
	}
	npu_observer_free(obs);

	/* The default momentum is 0.01: [0, 1] then [-100, 101] -> [-1, 2]. */
	def = obs_new(NPU_CALIB_MOVING_AVG, NULL);
	x[0] = 0.0f;
	x[1] = 1.0f;
	assert_int_equal(npu_observer_update(def, x, 2), 0);
	x[0] = -100.0f;
	x[1] = 101.0f;
	assert_int_equal(npu_observer_update(def, x, 2), 0);
	obs_range(def, &lo, &hi);
	CHECK_NEAR(lo, -1.0, 1e-6, "default momentum min");
	CHECK_NEAR(hi, 2.0, 1e-6, "default momentum max");
	npu_observer_free(def);
}

/* Percentiles of a ramp 0..N-1 are where the ramp says, within a bin. */
static void test_observer_percentile_ramp(void **state)
{
	enum { N = 10000 };
	struct npu_observer_opts o = { .percentile = 99.0 };
	struct npu_observer *obs = obs_new(NPU_CALIB_PERCENTILE, &o);
	float *x = xmalloc(N * sizeof(float)), lo, hi, hlo, hhi;
	const uint64_t *bins;
	size_t nb, i;
	uint64_t total = 0;
	double w;

	for (i = 0; i < N; i++)
		x[N - 1 - i] = (float)i;		/* order does not matter */
	/* in 10 batches */
	for (i = 0; i < 10; i++)
		assert_int_equal(npu_observer_update(obs, x + i * (N / 10), N / 10), 0);
	assert_int_equal(npu_observer_histogram(obs, &bins, &nb, &hlo, &hhi), 0);
	CHECK_EQ(nb, 2048, "%s", "default bins");
	for (i = 0; i < nb; i++)
		total += bins[i];
	CHECK_EQ(total, N, "%s", "histogram total");
	w = (hhi - hlo) / nb;
	obs_range(obs, &lo, &hi);
	CHECK_NEAR(hi, 0.99 * N, w, "99th percentile");
	CHECK_NEAR(lo, 0.01 * N, w, "1st percentile");
	npu_observer_free(obs);

	/* 100 is min-max. */
	o.percentile = 100.0;
	obs = obs_new(NPU_CALIB_PERCENTILE, &o);
	assert_int_equal(npu_observer_update(obs, x, N), 0);
	obs_range(obs, &lo, &hi);
	assert_true(lo == 0.0f && hi == (float)(N - 1));
	npu_observer_free(obs);

	/* Default 99.99 on a standard normal: about +-3.72. */
	obs = obs_new(NPU_CALIB_PERCENTILE, NULL);
	rng_seed(15);
	for (i = 0; i < N; i++)
		x[i] = (float)rnd_normal();
	for (i = 0; i < 50; i++)
		assert_int_equal(npu_observer_update(obs, x, N), 0);	/* same batch */
	obs_range(obs, &lo, &hi);
	CHECK_IN(hi, 3.0, 4.5, "99.99th percentile of N(0,1)");
	CHECK_IN(lo, -4.5, -3.0, "0.01th percentile of N(0,1)");
	npu_observer_free(obs);
	free(x);
}

/* N(0, 1) samples, plus @nout outliers at +-@out. */
static float *gaussian_with_outliers(size_t n, size_t nout, float out, uint64_t seed)
{
	float *x = xmalloc((n + nout) * sizeof(float));
	size_t i;

	rng_seed(seed);
	for (i = 0; i < n; i++)
		x[i] = (float)rnd_normal();
	for (i = 0; i < nout; i++)
		x[n + i] = i & 1 ? -out : out;
	return x;
}

static void test_observer_entropy(void **state)
{
	enum { N = 200000 };
	float *x = gaussian_with_outliers(N, 6, 40.0f, 16), lo, hi;
	struct npu_observer *obs = obs_new(NPU_CALIB_ENTROPY, NULL);
	struct npu_qparams qp;
	const uint64_t *bins;
	size_t nb;
	float hlo, hhi, t_pos;
	int i;

	/* Gaussian with a few huge outliers: clipped between 2 and 6 sigma. */
	for (i = 0; i < 4; i++)
		assert_int_equal(npu_observer_update(obs, x + i * (N / 4), N / 4 + (i == 3) * 6),
				 0);
	assert_int_equal(npu_observer_histogram(obs, &bins, &nb, &hlo, &hhi), 0);
	assert_true(hlo == 0.0f && hhi >= 40.0f);	/* a histogram of |x| */
	obs_range(obs, &lo, &hi);
	print_message("# entropy, N(0,1) + outliers at 40: [%g, %g]\n", lo, hi);
	CHECK_IN(hi, 2.0, 6.0, "entropy threshold");
	assert_true(lo == -hi);				/* both signs: [-t, t] */
	assert_int_equal(npu_observer_qparams(obs, NPU_INT8, true, &qp), 0);
	assert_true(qp.scale == (float)((double)hi / 127.0));
	npu_observer_free(obs);

	/* Uniform: (almost) the full range. */
	rng_seed(17);
	for (i = 0; i < N; i++)
		x[i] = (float)rnd_uniform(-1.0, 1.0);
	obs = obs_new(NPU_CALIB_ENTROPY, NULL);
	assert_int_equal(npu_observer_update(obs, x, N), 0);
	obs_range(obs, &lo, &hi);
	print_message("# entropy, U(-1,1): [%g, %g]\n", lo, hi);
	CHECK_IN(hi, 0.97, 1.0, "entropy, uniform");
	CHECK_IN(lo, -1.0, -0.97, "entropy, uniform");
	npu_observer_free(obs);

	/*
	 * Non-negative data (ReLU): [0, t], outliers still clipped, and t
	 * larger than for the same magnitudes with both signs, since 256
	 * levels rather than 128 cover [0, t].
	 */
	free(x);
	x = gaussian_with_outliers(N, 6, 40.0f, 18);
	obs = obs_new(NPU_CALIB_ENTROPY, NULL);
	assert_int_equal(npu_observer_update(obs, x, N + 6), 0);
	obs_range(obs, &lo, &hi);
	npu_observer_free(obs);
	for (i = 0; i < N + 6; i++)
		x[i] = fabsf(x[i]);
	obs = obs_new(NPU_CALIB_ENTROPY, NULL);
	assert_int_equal(npu_observer_update(obs, x, N + 6), 0);
	assert_int_equal(npu_observer_histogram(obs, &bins, &nb, &hlo, &hhi), 0);
	obs_range(obs, &lo, &t_pos);
	print_message("# entropy, |N(0,1)| + outliers at 40: [%g, %g], signed: %g\n", lo,
		      t_pos, hi);
	assert_true(lo >= 0.0f && lo < 1e-3f);
	CHECK_IN(t_pos, 2.0, 6.0, "entropy threshold, non-negative");
	assert_true(t_pos > hi + 2 * (hhi - hlo) / nb);
	npu_observer_free(obs);
	free(x);
}

static void test_observer_mse(void **state)
{
	enum { N = 1000000 };
	float *x = gaussian_with_outliers(N, 2, 30.0f, 19), lo, hi;
	struct npu_observer *obs = obs_new(NPU_CALIB_MSE, NULL);
	int i;

	/*
	 * The outliers are clipped where the estimate is least: for [-t, t],
	 * N (2t/255)^2 / 12 + 2 (30 - t)^2 (the Gaussian tail beyond 8 sigma is
	 * negligible), least at t = 120 / (4 + 8N / 780300) = 8.42. An L2
	 * criterion weighs two samples 30 sigma out that heavily.
	 */
	assert_int_equal(npu_observer_update(obs, x, N + 2), 0);
	obs_range(obs, &lo, &hi);
	print_message("# mse, N(0,1) + outliers at +-30: [%g, %g]\n", lo, hi);
	CHECK_NEAR(hi, 120.0 / (4 + 8.0 * N / 780300), 0.06, "mse max");
	CHECK_NEAR(lo, -120.0 / (4 + 8.0 * N / 780300), 0.06, "mse min");
	npu_observer_free(obs);

	/* With 20 times fewer samples the same outliers move the range further. */
	obs = obs_new(NPU_CALIB_MSE, NULL);
	assert_int_equal(npu_observer_update(obs, x, N / 20), 0);
	assert_int_equal(npu_observer_update(obs, x + N, 2), 0);
	obs_range(obs, &lo, &hi);
	print_message("# mse, N/20 samples: [%g, %g]\n", lo, hi);
	CHECK_NEAR(hi, 120.0 / (4 + 8.0 * N / 20 / 780300), 0.1, "mse max, N/20");
	npu_observer_free(obs);

	/* Uniform: (almost) the full range. */
	rng_seed(20);
	for (i = 0; i < N / 4; i++)
		x[i] = (float)rnd_uniform(-1.0, 3.0);
	obs = obs_new(NPU_CALIB_MSE, NULL);
	assert_int_equal(npu_observer_update(obs, x, N / 4), 0);
	obs_range(obs, &lo, &hi);
	print_message("# mse, U(-1,3): [%g, %g]\n", lo, hi);
	CHECK_IN(hi, 2.95, 3.0, "mse, uniform");
	CHECK_IN(lo, -1.0, -0.95, "mse, uniform");
	npu_observer_free(obs);

	/* Positive data: the lower end stays at the data (the grid starts at 0). */
	for (i = 0; i < N / 4; i++)
		x[i] = (float)rnd_uniform(2.0, 3.0);
	obs = obs_new(NPU_CALIB_MSE, NULL);
	assert_int_equal(npu_observer_update(obs, x, N / 4), 0);
	obs_range(obs, &lo, &hi);
	CHECK_NEAR(lo, 2.0, 1e-3, "mse, positive data, min");
	CHECK_IN(hi, 2.99, 3.0, "mse, positive data, max");
	npu_observer_free(obs);
	free(x);
}

/* Direct binning of @x with the histogram's final edges. */
static void rebin(const float *x, size_t n, bool absolute, double lo, double hi, size_t nb,
		  uint64_t *out)
{
	double w = (hi - lo) / nb;
	size_t i;

	memset(out, 0, nb * sizeof(*out));
	for (i = 0; i < n; i++) {
		double v = absolute ? fabs(x[i]) : x[i];
		double f = floor((v - lo) / w);

		if (!isfinite(x[i]))
			continue;
		out[f < 0 ? 0 : f >= nb ? nb - 1 : (size_t)f]++;
	}
}

/* Growth keeps every count and merges whole bins. */
static void test_histogram_growth(void **state)
{
	enum { N1 = 3000, N2 = 2000, N3 = 1000, NB = 256 };
	static const enum npu_calib methods[3] = {
		NPU_CALIB_PERCENTILE, NPU_CALIB_MSE, NPU_CALIB_ENTROPY };
	struct npu_observer_opts o = { .bins = NB };
	float *x = xmalloc((N1 + N2 + N3) * sizeof(float)), hlo, hhi, lo, hi;
	uint64_t want[NB];
	const uint64_t *bins;
	size_t nb, i, m;

	rng_seed(21);
	for (i = 0; i < N1; i++)
		x[i] = (float)rnd_uniform(0.0, 1.0);
	for (i = 0; i < N2; i++)
		x[N1 + i] = (float)rnd_uniform(-3.0, 7.0);
	for (i = 0; i < N3; i++)
		x[N1 + N2 + i] = (float)rnd_uniform(-20.0, 2.0);
	x[N1 + N2] = NAN;		/* skipped: not counted */

	for (m = 0; m < 3; m++) {
		struct npu_observer *obs = obs_new(methods[m], &o);
		bool absolute = methods[m] == NPU_CALIB_ENTROPY;
		uint64_t total = 0, diff = 0;

		assert_int_equal(npu_observer_histogram(obs, &bins, &nb, &hlo, &hhi), -ENODATA);
		assert_int_equal(npu_observer_update(obs, x, N1), 0);
		assert_int_equal(npu_observer_histogram(obs, &bins, &nb, &hlo, &hhi), 0);
		assert_true(hhi <= 1.0f && (absolute ? hlo == 0.0f : hlo >= 0.0f));
		assert_int_equal(npu_observer_update(obs, x + N1, N2), 0);
		assert_int_equal(npu_observer_update(obs, x + N1 + N2, N3), 0);
		assert_int_equal(npu_observer_histogram(obs, &bins, &nb, &hlo, &hhi), 0);
		CHECK_EQ(nb, NB, "%s", "bins");
		for (i = 0; i < nb; i++)
			total += bins[i];
		CHECK_EQ(total, N1 + N2 + N3 - 1, "method %zu: total count", m);
		if (absolute)
			assert_true(hlo == 0.0f && hhi >= 20.0f);
		else
			assert_true(hlo <= -20.0f && hhi >= 7.0f);
		/* Here no more than twice the width the data needs. */
		assert_true(hhi - hlo <= 2 * (absolute ? 20.0 : 27.0) + 1e-3);

		/* Same bins as binning everything at the end (whole bins merged). */
		rebin(x, N1 + N2 + N3, absolute, hlo, hhi, nb, want);
		for (i = 0; i < nb; i++)
			diff += bins[i] > want[i] ? bins[i] - want[i] : want[i] - bins[i];
		if (diff > 10) {	/* float edges may move a sample or two */
			print_error("method %zu: %llu samples in other bins\n", m,
				    (unsigned long long)diff);
			fail();
		}
		obs_range(obs, &lo, &hi);
		assert_true(lo >= -20.0f && hi <= 7.0f);
		npu_observer_free(obs);
	}
	free(x);
}

/*
 * One update of a histogram observer, checking the geometry of growth: the
 * new range covers the old one and the batch, exceeds their union by less
 * than the old range plus two old bins (k is the least factor), and a side
 * that did not need to grow stays where it was.
 */
static void grow_step(struct npu_observer *obs, const float *x, size_t n, bool absolute)
{
	float olo, ohi, nlo, nhi, vmin = INFINITY, vmax = -INFINITY;
	const uint64_t *bins;
	double ulo, uhi, tol;
	size_t nb, i;

	assert_int_equal(npu_observer_histogram(obs, &bins, &nb, &olo, &ohi), 0);
	for (i = 0; i < n; i++) {
		float v = absolute ? fabsf(x[i]) : x[i];

		vmin = fminf(vmin, absolute ? 0.0f : v);
		vmax = fmaxf(vmax, v);
	}
	assert_int_equal(npu_observer_update(obs, x, n), 0);
	assert_int_equal(npu_observer_histogram(obs, &bins, &nb, &nlo, &nhi), 0);
	ulo = fmin(olo, vmin);
	uhi = fmax(ohi, vmax);
	tol = (uhi - ulo) * 1e-6;
	assert_true(nlo <= ulo + tol && nhi >= uhi - tol);
	/* k minimal: k - 1 old spans would not reach the union (whole old bins). */
	if (nlo != olo || nhi != ohi)
		assert_true((double)nhi - nlo <
			    (uhi - ulo) + ((double)ohi - olo) * (1 + 2.0 / nb) + tol);
	if (vmin >= olo)
		CHECK_NEAR(nlo, olo, tol, "lower end that did not grow");
	if (vmax <= ohi)
		CHECK_NEAR(nhi, ohi, tol, "upper end that did not grow");
	/* Both grew: the spare room is split, to within whole old bins. */
	if (vmin < olo && vmax > ohi)
		CHECK_NEAR((double)vmin - nlo, (double)nhi - vmax,
			   3.0 * ((double)ohi - olo) / nb + tol, "spare room");
}

static void test_histogram_growth_geometry(void **state)
{
	static const double batches[][2] = {
		{ 0.0, 1.0 }, { -0.5, 0.5 }, { 0.2, 3.0 }, { -20.0, 30.0 }, { -25.0, 0.0 },
		{ -1000.0, 0.5 }, { 0.0, 1e6 },
	};
	static const enum npu_calib methods[3] = {
		NPU_CALIB_PERCENTILE, NPU_CALIB_MSE, NPU_CALIB_ENTROPY };
	struct npu_observer_opts o = { .bins = 300 };
	float x[500];
	size_t b, i, m;

	for (m = 0; m < 3; m++) {
		struct npu_observer *obs = obs_new(methods[m], &o);

		rng_seed(23);
		for (b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
			for (i = 0; i < 500; i++)
				x[i] = (float)rnd_uniform(batches[b][0], batches[b][1]);
			if (b == 0)
				assert_int_equal(npu_observer_update(obs, x, 500), 0);
			else
				grow_step(obs, x, 500, methods[m] == NPU_CALIB_ENTROPY);
		}
		npu_observer_free(obs);

		/* A growth factor beyond 2^52: old bins moved by their centre. */
		obs = obs_new(methods[m], &o);
		for (i = 0; i < 500; i++)
			x[i] = (float)rnd_uniform(0.0, 1e-30);
		assert_int_equal(npu_observer_update(obs, x, 500), 0);
		for (i = 0; i < 500; i++)
			x[i] = (float)rnd_uniform(-1e30, 1e30);
		grow_step(obs, x, 500, methods[m] == NPU_CALIB_ENTROPY);
		{
			const uint64_t *bins;
			uint64_t total = 0;
			float lo, hi;
			size_t nb;

			assert_int_equal(npu_observer_histogram(obs, &bins, &nb, &lo, &hi), 0);
			for (i = 0; i < nb; i++)
				total += bins[i];
			CHECK_EQ(total, 1000, "method %zu: total after a huge growth", m);
		}
		npu_observer_free(obs);
	}
}

/* A constant tensor: a degenerate histogram, then growth from it. */
static void test_histogram_degenerate(void **state)
{
	static const enum npu_calib methods[3] = {
		NPU_CALIB_PERCENTILE, NPU_CALIB_MSE, NPU_CALIB_ENTROPY };
	float c[100], y[50], hlo, hhi, lo, hi;
	const uint64_t *bins;
	size_t nb, i, m;

	for (i = 0; i < 100; i++)
		c[i] = 2.5f;
	for (i = 0; i < 50; i++)
		y[i] = -1.0f + 0.08f * i;		/* [-1, 2.92] */
	for (m = 0; m < 3; m++) {
		struct npu_observer *obs = obs_new(methods[m], NULL);
		uint64_t total = 0;

		assert_int_equal(npu_observer_update(obs, c, 100), 0);
		assert_int_equal(npu_observer_update(obs, c, 100), 0);
		obs_range(obs, &lo, &hi);
		assert_true(lo == 2.5f && hi == 2.5f);
		assert_int_equal(npu_observer_histogram(obs, &bins, &nb, &hlo, &hhi), 0);
		if (methods[m] == NPU_CALIB_ENTROPY)	/* |x| from 0: a real range */
			assert_true(hlo == 0.0f && hhi == 2.5f && bins[nb - 1] == 200);
		else
			assert_true(hlo == 2.5f && hhi == 2.5f && bins[0] == 200);
		assert_int_equal(npu_observer_update(obs, y, 50), 0);
		assert_int_equal(npu_observer_histogram(obs, &bins, &nb, &hlo, &hhi), 0);
		for (i = 0; i < nb; i++)
			total += bins[i];
		CHECK_EQ(total, 250, "method %zu", m);
		assert_true(hlo <= (methods[m] == NPU_CALIB_ENTROPY ? 0.0f : -1.0f));
		assert_true(hhi >= y[49]);
		obs_range(obs, &lo, &hi);
		assert_true(lo >= -1.0f && hi <= y[49]);
		npu_observer_free(obs);
	}
}

/* ---- metrics ------------------------------------------------------------- */

static void test_metrics(void **state)
{
	static const float ref[4] = { 1, 2, 3, 4 }, test[4] = { 1, 2, 3, 5 };
	static const float t2[4] = { 1.5f, 2, 2.5f, 4 }, zero[4] = { 0 };
	static const float nan4[4] = { 1, NAN, 3, 4 };
	double v;

	/* 30 / 1 */
	assert_int_equal(npu_sqnr_db(ref, test, 4, &v), 0);
	CHECK_NEAR(v, 14.771212547196624, 1e-12, "sqnr");
	/* 30 / 0.5 = 60 */
	assert_int_equal(npu_sqnr_db(ref, t2, 4, &v), 0);
	CHECK_NEAR(v, 17.781512503836436, 1e-12, "sqnr");
	assert_int_equal(npu_sqnr_db(ref, ref, 4, &v), 0);
	assert_true(isinf(v) && v > 0);
	assert_int_equal(npu_sqnr_db(zero, zero, 4, &v), 0);
	assert_true(isinf(v) && v > 0);
	assert_int_equal(npu_sqnr_db(zero, ref, 4, &v), 0);
	assert_true(isinf(v) && v < 0);
	assert_int_equal(npu_sqnr_db(ref, nan4, 4, &v), 0);
	assert_true(isnan(v));

	assert_int_equal(npu_max_abs_error(ref, t2, 4, &v), 0);
	assert_true(v == 0.5);
	assert_int_equal(npu_mean_abs_error(ref, t2, 4, &v), 0);
	assert_true(v == 0.25);
	assert_int_equal(npu_max_abs_error(ref, ref, 4, &v), 0);
	assert_true(v == 0.0);
	assert_int_equal(npu_max_abs_error(nan4, ref, 4, &v), 0);
	assert_true(isnan(v));
	assert_int_equal(npu_mean_abs_error(ref, nan4, 4, &v), 0);
	assert_true(isnan(v));

	/* Quantization noise of a uniform signal: about 6.02 dB per bit. */
	{
		enum { N = 100000 };
		float *x = xmalloc(N * sizeof(float)), *d = xmalloc(N * sizeof(float));
		int8_t *q = xmalloc(N);
		struct npu_qparams qp;
		int i;

		rng_seed(22);
		for (i = 0; i < N; i++)
			x[i] = (float)rnd_uniform(-1.0, 1.0);
		assert_int_equal(npu_qparams_from_range(-1.0f, 1.0f, NPU_INT8, false, &qp), 0);
		assert_int_equal(npu_quantize(x, N, qp, NPU_INT8, q), 0);
		assert_int_equal(npu_dequantize(q, N, qp, NPU_INT8, d), 0);
		assert_int_equal(npu_sqnr_db(x, d, N, &v), 0);
		/* 10 log10((1/3) / (S^2/12)), S = 2/255 */
		CHECK_NEAR(v, 10 * log10(4.0 / (2.0 / 255 * 2.0 / 255)), 0.1, "sqnr 8 bit");
		assert_int_equal(npu_max_abs_error(x, d, N, &v), 0);
		assert_true(v <= qp.scale / 2 * (1 + 1e-4));
		assert_int_equal(npu_mean_abs_error(x, d, N, &v), 0);
		CHECK_NEAR(v, qp.scale / 4, qp.scale / 40, "mean abs error");
		free(x);
		free(d);
		free(q);
	}
}

/* ---- bad arguments ------------------------------------------------------- */

static void test_bad_args(void **state)
{
	struct npu_qparams qp = { 0.1f, 0 }, bad_s = { 0.0f, 0 }, bad_z = { 0.1f, 128 };
	struct npu_qparams nan_s = { NAN, 0 }, inf_s = { INFINITY, 0 }, qps[2];
	struct npu_observer_opts o;
	struct npu_observer *obs;
	float x[4] = { 1, 2, 3, 4 }, f[4], mn[2], mx[2], lo, hi;
	const uint64_t *bins;
	int8_t q[4] = { 0 };
	uint8_t u[4] = { 0 };
	int32_t a, b, m[2];
	double v;
	size_t nb;

	/* ranges */
	assert_int_equal(npu_qparams_from_range(1.0f, 0.0f, NPU_INT8, false, &qp), -EINVAL);
	assert_int_equal(npu_qparams_from_range(NAN, 1.0f, NPU_INT8, false, &qp), -EINVAL);
	assert_int_equal(npu_qparams_from_range(0.0f, NAN, NPU_INT8, true, &qp), -EINVAL);
	assert_int_equal(npu_qparams_from_range(-INFINITY, 1, NPU_INT8, true, &qp), -EINVAL);
	assert_int_equal(npu_qparams_from_range(0, 1, NPU_INT8, false, NULL), -EINVAL);
	assert_int_equal(npu_qparams_from_range(0, 1, (enum npu_dtype)7, false, &qp), -EINVAL);
	assert_true(qp.scale == 0.1f && qp.zero_point == 0);	/* untouched */
	mn[0] = 0;
	mx[0] = 1;
	mn[1] = 2;
	mx[1] = 1;
	qps[0].scale = 42;
	assert_int_equal(npu_qparams_per_channel(mn, mx, 2, NPU_INT8, true, qps), -EINVAL);
	assert_true(qps[0].scale == 42);			/* nothing written */
	assert_int_equal(npu_qparams_per_channel(mn, mx, 0, NPU_INT8, true, qps), -EINVAL);
	assert_int_equal(npu_qparams_per_channel(NULL, mx, 1, NPU_INT8, true, qps), -EINVAL);
	assert_int_equal(npu_channel_ranges(x, 0, 4, mn, mx), -EINVAL);
	assert_int_equal(npu_channel_ranges(x, 1, 0, mn, mx), -EINVAL);
	assert_int_equal(npu_channel_ranges(NULL, 1, 4, mn, mx), -EINVAL);
	assert_int_equal(npu_channel_ranges(x, 1, 4, mn, NULL), -EINVAL);
	assert_int_equal(npu_channel_ranges(x, SIZE_MAX, 2, mn, mx), -EINVAL);

	/* quantize / dequantize */
	assert_int_equal(npu_quantize(x, 0, qp, NPU_INT8, q), -EINVAL);
	assert_int_equal(npu_quantize(NULL, 4, qp, NPU_INT8, q), -EINVAL);
	assert_int_equal(npu_quantize(x, 4, qp, NPU_INT8, NULL), -EINVAL);
	assert_int_equal(npu_quantize(x, 4, bad_s, NPU_INT8, q), -EINVAL);
	assert_int_equal(npu_quantize(x, 4, nan_s, NPU_INT8, q), -EINVAL);
	assert_int_equal(npu_quantize(x, 4, inf_s, NPU_INT8, q), -EINVAL);
	assert_int_equal(npu_quantize(x, 4, bad_z, NPU_INT8, q), -EINVAL);
	bad_z.zero_point = 256;
	assert_int_equal(npu_quantize(x, 4, bad_z, NPU_UINT8, u), -EINVAL);
	bad_z.zero_point = -1;
	assert_int_equal(npu_quantize(x, 4, bad_z, NPU_UINT8, u), -EINVAL);
	assert_int_equal(npu_quantize(x, 4, qp, (enum npu_dtype)-1, q), -EINVAL);
	assert_int_equal(npu_dequantize(q, 0, qp, NPU_INT8, f), -EINVAL);
	assert_int_equal(npu_dequantize(NULL, 4, qp, NPU_INT8, f), -EINVAL);
	assert_int_equal(npu_dequantize(q, 4, bad_s, NPU_INT8, f), -EINVAL);
	assert_int_equal(npu_dequantize(q, 4, qp, NPU_INT8, NULL), -EINVAL);
	qps[0] = qp;
	qps[1] = bad_s;
	assert_int_equal(npu_quantize_per_channel(x, 2, 2, qps, NPU_INT8, q), -EINVAL);
	assert_int_equal(npu_dequantize_per_channel(q, 2, 2, qps, NPU_INT8, f), -EINVAL);
	assert_int_equal(npu_quantize_weights(x, 2, 2, qps, q), -EINVAL);
	qps[1] = qp;
	assert_int_equal(npu_quantize_per_channel(x, 0, 2, qps, NPU_INT8, q), -EINVAL);
	assert_int_equal(npu_quantize_per_channel(x, 2, 0, qps, NPU_INT8, q), -EINVAL);
	assert_int_equal(npu_quantize_per_channel(x, 2, 2, NULL, NPU_INT8, q), -EINVAL);
	assert_int_equal(npu_dequantize_per_channel(q, 2, 2, qps, NPU_INT8, NULL), -EINVAL);
	qps[1].zero_point = -1;				/* fine for int8, not uint8 */
	assert_int_equal(npu_quantize_per_channel(x, 2, 2, qps, NPU_UINT8, u), -EINVAL);
	qps[1].zero_point = 3;				/* weights are symmetric */
	assert_int_equal(npu_quantize_weights(x, 2, 2, qps, q), -EINVAL);
	assert_int_equal(npu_quantize_bias(x, 2, 0.0f, x, m), -EINVAL);
	assert_int_equal(npu_quantize_bias(x, 0, 1.0f, x, m), -EINVAL);
	assert_int_equal(npu_quantize_bias(x, 2, 1.0f, NULL, m), -EINVAL);
	assert_int_equal(npu_u8_to_s8(u, 0, q), -EINVAL);
	assert_int_equal(npu_u8_to_s8(NULL, 4, q), -EINVAL);
	assert_int_equal(npu_s8_to_u8(q, 4, NULL), -EINVAL);
	bad_z.zero_point = 200;
	assert_int_equal(npu_qparams_s8_to_u8(bad_z, &qp), -EINVAL);
	bad_z.zero_point = -5;
	assert_int_equal(npu_qparams_u8_to_s8(bad_z, &qp), -EINVAL);
	assert_int_equal(npu_qparams_u8_to_s8(qp, NULL), -EINVAL);

	/* requantization */
	assert_int_equal(npu_quantize_multiplier(-1.0, &a, &b), -EINVAL);
	assert_int_equal(npu_quantize_multiplier(NAN, &a, &b), -EINVAL);
	assert_int_equal(npu_quantize_multiplier(INFINITY, &a, &b), -EINVAL);
	assert_int_equal(npu_quantize_multiplier(0.5, NULL, &b), -EINVAL);
	assert_int_equal(npu_requantize_params(0.0f, x, 2, 1.0f, m, m), -EINVAL);
	assert_int_equal(npu_requantize_params(1.0f, x, 2, NAN, m, m), -EINVAL);
	assert_int_equal(npu_requantize_params(1.0f, x, 0, 1.0f, m, m), -EINVAL);
	assert_int_equal(npu_requantize_params(1.0f, NULL, 2, 1.0f, m, m), -EINVAL);
	f[0] = 1.0f;
	f[1] = -1.0f;
	assert_int_equal(npu_requantize_params(1.0f, f, 2, 1.0f, m, m), -EINVAL);
	assert_int_equal(npu_act_bounds((enum npu_activation)9, qp, NPU_INT8, &a, &b),
			 -EINVAL);
	assert_int_equal(npu_act_bounds(NPU_ACT_RELU6, bad_s, NPU_INT8, &a, &b), -EINVAL);
	bad_z.zero_point = 128;
	assert_int_equal(npu_act_bounds(NPU_ACT_RELU, bad_z, NPU_INT8, &a, &b), -EINVAL);
	bad_z.zero_point = -1;
	assert_int_equal(npu_act_bounds(NPU_ACT_RELU, bad_z, NPU_UINT8, &a, &b), -EINVAL);
	assert_int_equal(npu_act_bounds(NPU_ACT_NONE, qp, NPU_INT8, NULL, &b), -EINVAL);

	/* observers */
	obs = (struct npu_observer *)&o;	/* must not be touched */
	assert_int_equal(npu_observer_new((enum npu_calib)5, NULL, &obs), -EINVAL);
	assert_int_equal(npu_observer_new(NPU_CALIB_MINMAX, NULL, NULL), -EINVAL);
	memset(&o, 0, sizeof(o));
	o.momentum = 1.5;
	assert_int_equal(npu_observer_new(NPU_CALIB_MOVING_AVG, &o, &obs), -EINVAL);
	o.momentum = -0.1;
	assert_int_equal(npu_observer_new(NPU_CALIB_MOVING_AVG, &o, &obs), -EINVAL);
	o.momentum = NAN;
	assert_int_equal(npu_observer_new(NPU_CALIB_MOVING_AVG, &o, &obs), -EINVAL);
	memset(&o, 0, sizeof(o));
	o.percentile = 100.5;
	assert_int_equal(npu_observer_new(NPU_CALIB_PERCENTILE, &o, &obs), -EINVAL);
	o.percentile = 10;
	assert_int_equal(npu_observer_new(NPU_CALIB_PERCENTILE, &o, &obs), -EINVAL);
	memset(&o, 0, sizeof(o));
	o.bins = 100;
	assert_int_equal(npu_observer_new(NPU_CALIB_ENTROPY, &o, &obs), -EINVAL);
	o.bins = 1u << 20;
	assert_int_equal(npu_observer_new(NPU_CALIB_MSE, &o, &obs), -EINVAL);
	assert_ptr_equal(obs, (struct npu_observer *)&o);

	obs = obs_new(NPU_CALIB_ENTROPY, NULL);
	assert_int_equal(npu_observer_update(NULL, x, 4), -EINVAL);
	assert_int_equal(npu_observer_update(obs, NULL, 4), -EINVAL);
	assert_int_equal(npu_observer_update(obs, x, 0), -EINVAL);
	assert_int_equal(npu_observer_range(obs, &lo, &hi), -ENODATA);
	assert_int_equal(npu_observer_update(obs, x, 4), 0);
	assert_int_equal(npu_observer_range(NULL, &lo, &hi), -EINVAL);
	assert_int_equal(npu_observer_range(obs, NULL, &hi), -EINVAL);
	assert_int_equal(npu_observer_qparams(obs, (enum npu_dtype)3, false, &qp), -EINVAL);
	assert_int_equal(npu_observer_qparams(obs, NPU_INT8, false, NULL), -EINVAL);
	assert_int_equal(npu_observer_histogram(obs, NULL, &nb, &lo, &hi), -EINVAL);
	assert_int_equal(npu_observer_histogram(NULL, &bins, &nb, &lo, &hi), -EINVAL);
	npu_observer_free(obs);
	npu_observer_free(NULL);

	/* metrics */
	assert_int_equal(npu_sqnr_db(x, x, 0, &v), -EINVAL);
	assert_int_equal(npu_sqnr_db(NULL, x, 4, &v), -EINVAL);
	assert_int_equal(npu_sqnr_db(x, x, 4, NULL), -EINVAL);
	assert_int_equal(npu_max_abs_error(x, NULL, 4, &v), -EINVAL);
	assert_int_equal(npu_max_abs_error(x, x, 0, &v), -EINVAL);
	assert_int_equal(npu_mean_abs_error(x, x, 0, &v), -EINVAL);
	assert_int_equal(npu_mean_abs_error(x, x, 4, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_symmetric),
		cmocka_unit_test(test_example_asymmetric),
		cmocka_unit_test(test_quantize_rules),
		cmocka_unit_test(test_roundtrip_bound),
		cmocka_unit_test(test_per_channel),
		cmocka_unit_test(test_uint8_shift),
		cmocka_unit_test(test_quantize_multiplier_table),
		cmocka_unit_test(test_requantize_params),
		cmocka_unit_test(test_act_bounds),
		cmocka_unit_test(test_quantize_bias),
		cmocka_unit_test(test_observer_minmax),
		cmocka_unit_test(test_observer_moving_avg),
		cmocka_unit_test(test_observer_percentile_ramp),
		cmocka_unit_test(test_observer_entropy),
		cmocka_unit_test(test_observer_mse),
		cmocka_unit_test(test_histogram_growth),
		cmocka_unit_test(test_histogram_growth_geometry),
		cmocka_unit_test(test_histogram_degenerate),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests_name("quant", tests, NULL, NULL);
}
