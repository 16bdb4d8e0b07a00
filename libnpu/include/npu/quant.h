/* SPDX-License-Identifier: MIT */
/*
 * libnpu: the quantization toolkit.
 *
 * Everything a post-training quantization flow needs on the float side of
 * the qnpu arithmetic contract (docs/arithmetic.md): scale and zero-point
 * from ranges (per tensor and per channel, symmetric and asymmetric),
 * quantize / dequantize, the Q31 multipliers and activation bounds of the
 * requantization descriptors, calibration observers that choose a clipping
 * range from data, and error metrics. It needs no device.
 *
 * Conventions, as in <npu/npu.h>: functions return 0 or a negative errno
 * value; a NULL pointer, a zero count or length, an unknown enum value, a
 * non-positive or non-finite scale, or a zero-point outside its type's range
 * is -EINVAL, and on an error nothing is written to the outputs. The
 * functions keep no state besides the observers, which are opaque handles;
 * one observer must not be used by two threads at once.
 *
 * Data types: the device computes in int8. uint8 data (common in ONNX
 * models) is int8 shifted by 128, which is exact (arithmetic.md 1.6): a
 * uint8 tensor (q_u, S, Z_u) is the int8 tensor (q_u - 128, S, Z_u - 128).
 * Every function here that takes an enum npu_dtype follows that rule.
 *
 * Non-finite values: quantizing NaN gives the zero-point (real 0), +-inf
 * saturate (arithmetic.md 1.2). Range functions and observers skip
 * non-finite values: a NaN or infinity never widens a range, it is
 * quantized as above. Ranges given by the caller must be finite.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_QUANT_H
#define NPU_QUANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <npu/npu.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * enum npu_dtype - storage type of quantized data
 * @NPU_INT8: int8_t, q in [-128, 127], zero-point in [-128, 127]
 * @NPU_UINT8: uint8_t, q in [0, 255], zero-point in [0, 255]; the int8
 *	data shifted by 128 (arithmetic.md 1.6)
 */
enum npu_dtype {
	NPU_INT8,
	NPU_UINT8,
};

/**
 * struct npu_qparams - affine quantization parameters
 * @scale: S > 0, binary32: real = S * (q - zero_point)
 * @zero_point: Z, the q that stands for real 0; in the range of the
 *	data type it goes with (enum npu_dtype)
 */
struct npu_qparams {
	float scale;
	int32_t zero_point;
};

/* ---- scale and zero-point ------------------------------------------- */

/**
 * npu_qparams_from_range() - choose S and Z for a real range
 * @min: lower end of the range, finite
 * @max: upper end, finite, >= @min
 * @dtype: data type the parameters are for
 * @symmetric: symmetric parameters (weights) instead of asymmetric ones
 *	(activations)
 * @out: the parameters
 *
 * arithmetic.md 1.3. The range is first widened to contain 0, so that real
 * 0 is exact. Asymmetric: S = (max - min) / 255 and Z = round(-128 - min/S)
 * (computed in double, S stored as binary32). Symmetric: S = max(|min|,
 * |max|) / 127 and Z = 0, for weights whose q stay in [-127, 127] (see
 * npu_quantize_weights()). An all-zero range gives S = 1, Z = 0. For
 * %NPU_UINT8 the zero-point is the int8 one plus 128 (symmetric: 128).
 *
 * Return: 0, or -EINVAL for @min > @max, a NaN or infinite end, a NULL
 * @out or an unknown @dtype.
 */
NPU_API int npu_qparams_from_range(float min, float max, enum npu_dtype dtype,
				   bool symmetric, struct npu_qparams *out);

/**
 * npu_qparams_per_channel() - npu_qparams_from_range() for each channel
 * @mins: @channels lower ends (e.g. from npu_channel_ranges())
 * @maxs: @channels upper ends
 * @channels: number of channels, > 0
 * @dtype: data type the parameters are for
 * @symmetric: as for npu_qparams_from_range(); per-channel weights are
 *	symmetric int8 in the qnpu scheme
 * @out: @channels parameters
 *
 * The arguments are in the order of npu_qparams_from_range() (data type
 * before the symmetric flag).
 *
 * Return: 0, or -EINVAL if any channel's range is invalid (nothing is
 * written then) or an argument is.
 */
NPU_API int npu_qparams_per_channel(const float *mins, const float *maxs, size_t channels,
				    enum npu_dtype dtype, bool symmetric,
				    struct npu_qparams *out);

/**
 * npu_channel_ranges() - per-channel minimum and maximum of an array
 * @w: @channels x @inner values, channel-major: [channels][inner], as OHWI
 *	weights are (inner = H * W * I)
 * @channels: number of channels, > 0
 * @inner: values per channel, > 0
 * @mins: the @channels minima
 * @maxs: the @channels maxima
 *
 * Non-finite values are skipped; a channel with no finite value gets the
 * range [0, 0].
 *
 * Return: 0 or -EINVAL.
 */
NPU_API int npu_channel_ranges(const float *w, size_t channels, size_t inner, float *mins,
			       float *maxs);

/* ---- quantize and dequantize ---------------------------------------- */

/**
 * npu_quantize() - quantize @n floats
 * @x: the values
 * @n: how many, > 0
 * @qp: the parameters
 * @dtype: type of @out: int8_t for %NPU_INT8, uint8_t for %NPU_UINT8
 * @out: @n quantized values
 *
 * arithmetic.md 1.2: q = clamp(rintf(x / S) + Z) to the type's full range,
 * a binary32 division rounded half to even; NaN gives Z. @out may not
 * overlap @x.
 *
 * Return: 0, or -EINVAL for a bad pointer, @n == 0, a scale that is not
 * positive and finite, a zero-point outside the type's range or an unknown
 * @dtype.
 */
NPU_API int npu_quantize(const float *x, size_t n, struct npu_qparams qp,
			 enum npu_dtype dtype, void *out);

/**
 * npu_dequantize() - real values of @n quantized values
 * @q: the values, int8_t or uint8_t as @dtype says
 * @n: how many, > 0
 * @qp: the parameters
 * @dtype: type of @q
 * @out: @n floats, (float)(q - Z) * S
 *
 * Return: 0 or -EINVAL (as npu_quantize()).
 */
NPU_API int npu_dequantize(const void *q, size_t n, struct npu_qparams qp,
			   enum npu_dtype dtype, float *out);

/**
 * npu_quantize_per_channel() - npu_quantize() with one set of parameters
 *	per channel
 * @x: @channels x @inner floats, [channels][inner]
 * @channels: number of channels, > 0
 * @inner: values per channel, > 0
 * @qp: @channels parameters
 * @dtype: type of @out
 * @out: @channels x @inner quantized values, [channels][inner]
 *
 * Channel c is exactly npu_quantize() of its @inner values with @qp[c]: the
 * type's full range. For symmetric int8 weights, which exclude -128, use
 * npu_quantize_weights().
 *
 * Return: 0, or -EINVAL (checked for every channel before anything is
 * written).
 */
NPU_API int npu_quantize_per_channel(const float *x, size_t channels, size_t inner,
				     const struct npu_qparams *qp, enum npu_dtype dtype,
				     void *out);

/**
 * npu_dequantize_per_channel() - npu_dequantize() with one set of
 *	parameters per channel
 * @q: @channels x @inner values, [channels][inner], of type @dtype
 * @channels: number of channels, > 0
 * @inner: values per channel, > 0
 * @qp: @channels parameters
 * @dtype: type of @q
 * @out: @channels x @inner floats
 *
 * Return: 0 or -EINVAL.
 */
NPU_API int npu_dequantize_per_channel(const void *q, size_t channels, size_t inner,
				       const struct npu_qparams *qp, enum npu_dtype dtype,
				       float *out);

/**
 * npu_quantize_weights() - quantize symmetric int8 weights
 * @w: @channels x @inner weights, [channels][inner] (OHWI: inner = H*W*I)
 * @channels: number of output channels, > 0; 1 for per-tensor weights
 * @inner: weights per channel, > 0
 * @qp: @channels parameters, each with zero-point 0 (from
 *	npu_qparams_per_channel() with %NPU_INT8, symmetric)
 * @out: the int8 weights
 *
 * As npu_quantize_per_channel() but clamped to [-127, 127]: qnpu weights
 * exclude -128 so that their grid is symmetric (arithmetic.md 1.1).
 *
 * Return: 0, or -EINVAL (also for a non-zero zero-point).
 */
NPU_API int npu_quantize_weights(const float *w, size_t channels, size_t inner,
				 const struct npu_qparams *qp, int8_t *out);

/**
 * npu_quantize_bias() - quantize a float bias to int32
 * @b: @channels biases
 * @channels: number of output channels, > 0
 * @s_in: input scale
 * @s_w: @channels weight scales (repeat the scale for per-tensor weights)
 * @out: @channels int32 biases
 *
 * arithmetic.md 1.1: sat32(round_half_even(b / ((double)s_in * s_w[c]))).
 * A NaN bias gives 0.
 *
 * Return: 0 or -EINVAL.
 */
NPU_API int npu_quantize_bias(const float *b, size_t channels, float s_in, const float *s_w,
			      int32_t *out);

/**
 * npu_u8_to_s8() - uint8 data to int8: q - 128 (a bit flip)
 * @in: @n values
 * @n: how many, > 0
 * @out: @n values; may be the same memory as @in
 *
 * The parameters go with npu_qparams_u8_to_s8().
 *
 * Return: 0 or -EINVAL.
 */
NPU_API int npu_u8_to_s8(const uint8_t *in, size_t n, int8_t *out);

/**
 * npu_s8_to_u8() - int8 data to uint8: q + 128
 * @in: @n values
 * @n: how many, > 0
 * @out: @n values; may be the same memory as @in
 *
 * Return: 0 or -EINVAL.
 */
NPU_API int npu_s8_to_u8(const int8_t *in, size_t n, uint8_t *out);

/**
 * npu_qparams_u8_to_s8() - parameters of uint8 data for its int8 form
 * @in: uint8 parameters, zero-point in [0, 255]
 * @out: the same scale, zero-point - 128
 *
 * Return: 0 or -EINVAL.
 */
NPU_API int npu_qparams_u8_to_s8(struct npu_qparams in, struct npu_qparams *out);

/**
 * npu_qparams_s8_to_u8() - parameters of int8 data for its uint8 form
 * @in: int8 parameters, zero-point in [-128, 127]
 * @out: the same scale, zero-point + 128
 *
 * Return: 0 or -EINVAL.
 */
NPU_API int npu_qparams_s8_to_u8(struct npu_qparams in, struct npu_qparams *out);

/* ---- requantization parameters ------------------------------------- */

/**
 * npu_quantize_multiplier() - TFLite's QuantizeMultiplier
 * @real: the real multiplier, finite and >= 0
 * @multiplier: Q31 mantissa M, in [2^30, 2^31) when normal
 * @shift: exponent, in [-31, 30]: real ~= M / 2^31 * 2^shift
 *
 * arithmetic.md 3.2, including the carry of a mantissa that rounds to 1.0,
 * the flush of multipliers below 2^-32 to (0, 0) and the saturation of
 * those >= 2^30 to (2^31 - 1, 30).
 *
 * Return: 0, or -EINVAL for a negative, NaN or infinite @real or a NULL
 * pointer.
 */
NPU_API int npu_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift);

/**
 * npu_requantize_params() - per-channel multipliers of a convolution or
 *	fully connected layer
 * @s_in: input scale
 * @s_w: @channels weight scales
 * @channels: number of output channels, > 0 (1 for per-tensor)
 * @s_out: output scale
 * @mult: @channels multipliers
 * @shift: @channels shifts
 *
 * arithmetic.md 3.1: M_real[c] = (double)s_in * (double)s_w[c] /
 * (double)s_out, in that order, then npu_quantize_multiplier().
 *
 * Return: 0, or -EINVAL for a scale that is not positive and finite or a
 * bad pointer or count.
 */
NPU_API int npu_requantize_params(float s_in, const float *s_w, size_t channels, float s_out,
				  int32_t *mult, int32_t *shift);

/**
 * enum npu_activation - activation fused into a requantization
 * @NPU_ACT_NONE: no activation
 * @NPU_ACT_RELU: max(x, 0)
 * @NPU_ACT_RELU6: min(max(x, 0), 6), upper bound rounded half away (TFLite)
 * @NPU_ACT_CLIP: min(max(x, lo), hi) for the op's real bounds, each quantized
 *	half to even (ONNX Clip); graph ops only (npu_op_info.clip)
 */
enum npu_activation {
	NPU_ACT_NONE,
	NPU_ACT_RELU,
	NPU_ACT_RELU6,
	NPU_ACT_CLIP,
};

/**
 * npu_act_bounds() - clamp bounds of a fused activation
 * @act: the activation
 * @out: the output's parameters
 * @dtype: the output's type (the bounds are in its range)
 * @lo: lower bound (act_min)
 * @hi: upper bound (act_max)
 *
 * arithmetic.md 3.7, TFLite's formulas: none [-128, 127]; ReLU [max(Z,
 * -128), 127]; ReLU6 upper bound min(127, Z + round_half_away(6.0f / S)),
 * a binary32 division. For %NPU_UINT8 everything is shifted by 128.
 *
 * Return: 0 or -EINVAL.
 */
NPU_API int npu_act_bounds(enum npu_activation act, struct npu_qparams out,
			   enum npu_dtype dtype, int32_t *lo, int32_t *hi);

/* ---- calibration observers ------------------------------------------ */

/**
 * enum npu_calib - how an observer chooses a clipping range
 * @NPU_CALIB_MINMAX: the running minimum and maximum of all the data
 * @NPU_CALIB_MOVING_AVG: moving averages of the per-batch minimum and
 *	maximum, as PyTorch's MovingAverageMinMaxObserver: the first batch
 *	sets them, then v += momentum * (batch_v - v)
 * @NPU_CALIB_PERCENTILE: two-sided percentiles of a histogram of x: the
 *	range is [(100 - p)th percentile, p-th percentile], each linearly
 *	interpolated inside its bin and kept within the data's min and max
 * @NPU_CALIB_ENTROPY: TensorRT's KL-divergence calibration over a histogram
 *	of |x|, giving a threshold t (see below); the range is [max(min, -t),
 *	min(max, t)] with min and max those of the data
 * @NPU_CALIB_MSE: the range, among pairs of histogram bin edges, that
 *	minimises an estimate of the squared quantization error (see below)
 *
 * Histogram observers keep one histogram of a fixed number of bins (@bins
 * of struct npu_observer_opts): of x for %NPU_CALIB_PERCENTILE and
 * %NPU_CALIB_MSE, of |x| (lower edge pinned at 0) for %NPU_CALIB_ENTROPY.
 * The first batch sets its range to the batch's [min, max] ([0, max|x|]).
 * When a later batch has values outside it, the range grows: the new bin
 * width is an integer multiple k of the old one, the new edges lie on old
 * edges, and each old bin is merged whole into the new bin containing it,
 * so no count is split or lost and the total always equals the number of
 * finite samples seen. k is the smallest that covers both the old range and
 * the new data, so the new range is less than twice that union; the spare
 * room goes to the side(s) that grew. (Past a growth factor of 2^52 the old
 * bins are moved to the new bin holding their centre instead.) While every
 * sample seen has had the same value the histogram is degenerate: one bin
 * holds all counts and lo == hi.
 *
 * %NPU_CALIB_ENTROPY, for a histogram of B bins of width w: with L = 128
 * quantization levels (L = 256 when the data has no negative value, since
 * then the asymmetric int8 grid spends all 256 levels on [0, t], as NVIDIA's
 * pytorch-quantization does for unsigned data), for each i from L to B
 * (every ceil(B / 2048)-th i when B > 2048, and B): P = bins[0..i) with the
 * counts of bins[i..B) added to P[i-1]; Q = bins[0..i) (without the
 * outliers) merged into L groups of consecutive bins (group of bin j:
 * j * L / i) and expanded back, each group's count spread evenly over the
 * bins of the group where P is non-zero; P and Q are smoothed as MXNet does
 * (1e-4 moved to the zero bins), normalised, and KL(P || Q) computed. The i
 * of least divergence wins (the largest on a tie) and t = min((i + 0.5) * w,
 * max|x|). As in TensorRT, t >= L * w: a histogram stretched by far outliers
 * cannot resolve a threshold below L/B of max|x| (6.25% with the defaults);
 * use more bins for such data.
 *
 * %NPU_CALIB_MSE, a simplified form of PyTorch's HistogramObserver L2
 * search: candidate ranges [a, b] are all pairs of histogram edges (at most
 * 2049 edges, evenly spaced, are considered: every ceil(B / 2048)-th) with
 * a <= 0 <= b, except that a may be the histogram's lower end and b its
 * upper end whatever their sign (the grid always holds 0, so a range leaving
 * 0 out is widened to 0 anyway). The counts of a bin are taken as spread
 * uniformly over it. The estimate is N_in * D^2 / 12 (uniform rounding noise
 * of the samples inside [a, b], with step D = (max(b, 0) - min(a, 0)) / 255:
 * the 256-level asymmetric grid over the range widened to 0, as
 * npu_qparams_from_range() will build it) plus the exact squared distance to
 * a or b of every sample outside (clipping error). The global minimum of the
 * estimate over the candidates wins (PyTorch shrinks greedily in quantile
 * steps and stops at the first increase); on a tie the lower a, then the
 * higher b. The range is kept within the data's min and max. Being an L2
 * criterion it weighs far outliers heavily: with N samples of one scale and
 * k outliers at distance D, the end settles where k * (D - t) balances
 * N * t / 195075 for a symmetric range [-t, t] (e.g. 2 outliers at 30 sigma
 * among 10^6 normal samples: t = 8.4 sigma).
 */
enum npu_calib {
	NPU_CALIB_MINMAX,
	NPU_CALIB_MOVING_AVG,
	NPU_CALIB_PERCENTILE,
	NPU_CALIB_ENTROPY,
	NPU_CALIB_MSE,
};

/**
 * struct npu_observer_opts - observer options; a field left 0 takes its
 *	default
 * @momentum: %NPU_CALIB_MOVING_AVG averaging constant, in (0, 1]; default
 *	0.01
 * @percentile: %NPU_CALIB_PERCENTILE p, in [50, 100]; default 99.99
 * @bins: histogram bins of the histogram observers, in [256, 65536];
 *	default 2048
 */
struct npu_observer_opts {
	double momentum;
	double percentile;
	uint32_t bins;
};

/** struct npu_observer - a calibration observer (opaque) */
struct npu_observer;

/**
 * npu_observer_new() - create an observer
 * @method: how it chooses a range
 * @opts: options, or NULL for all the defaults
 * @out: the new observer, to be freed with npu_observer_free()
 *
 * Return: 0, -EINVAL for an unknown method or an option out of range, or
 * -ENOMEM.
 */
NPU_API int npu_observer_new(enum npu_calib method, const struct npu_observer_opts *opts,
			     struct npu_observer **out);

/**
 * npu_observer_update() - observe one batch of data
 * @obs: the observer
 * @x: the batch
 * @n: its length, > 0
 *
 * Non-finite values are skipped; a batch with no finite value changes
 * nothing (for %NPU_CALIB_MOVING_AVG it is not a batch).
 *
 * Return: 0 or -EINVAL.
 */
NPU_API int npu_observer_update(struct npu_observer *obs, const float *x, size_t n);

/**
 * npu_observer_range() - the clipping range chosen from the data so far
 * @obs: the observer
 * @min: its lower end
 * @max: its upper end (@min <= @max)
 *
 * The range is not widened to contain 0 (npu_observer_qparams() does it).
 * Histogram methods compute it here, at most once per update.
 *
 * Return: 0, -ENODATA before any finite sample, or -EINVAL.
 */
NPU_API int npu_observer_range(struct npu_observer *obs, float *min, float *max);

/**
 * npu_observer_qparams() - parameters for the chosen range
 * @obs: the observer
 * @dtype: data type
 * @symmetric: symmetric parameters, from the larger magnitude of the range
 * @out: npu_qparams_from_range() of npu_observer_range()
 *
 * The percentile, entropy and MSE ranges are chosen with asymmetric
 * activations in mind (entropy: symmetric for data of both signs, since t
 * bounds both ends); symmetric parameters from them use max(|min|, |max|).
 *
 * Return: 0, -ENODATA before any finite sample, or -EINVAL.
 */
NPU_API int npu_observer_qparams(struct npu_observer *obs, enum npu_dtype dtype,
				 bool symmetric, struct npu_qparams *out);

/**
 * npu_observer_histogram() - the histogram of a histogram observer
 * @obs: the observer
 * @bins: its counts (valid until the next update or free)
 * @nbins: number of bins
 * @lo: lower edge of the first bin
 * @hi: upper edge of the last bin; bin j covers [lo + j*w, lo + (j+1)*w)
 *	with w = (hi - lo) / nbins (the last bin includes @hi). When @lo ==
 *	@hi every sample had the value @lo and bin 0 holds them all.
 *
 * Of x for %NPU_CALIB_PERCENTILE and %NPU_CALIB_MSE, of |x| for
 * %NPU_CALIB_ENTROPY.
 *
 * Return: 0, -EOPNOTSUPP for an observer without a histogram (min-max,
 * moving average), -ENODATA before any finite sample, or -EINVAL.
 */
NPU_API int npu_observer_histogram(const struct npu_observer *obs, const uint64_t **bins,
				   size_t *nbins, float *lo, float *hi);

/** npu_observer_free() - free an observer; NULL is allowed */
NPU_API void npu_observer_free(struct npu_observer *obs);

/* ---- error metrics --------------------------------------------------- */

/**
 * npu_sqnr_db() - signal to quantization noise ratio
 * @ref: the reference values
 * @test: the values under test (e.g. dequantized)
 * @n: length of both, > 0
 * @db: 10 * log10(sum ref^2 / sum (ref - test)^2), in double; +inf when
 *	the arrays are equal (also when both are all zero), -inf when @ref
 *	is all zero and @test is not; NaN when either array holds a NaN
 *	(infinities follow IEEE arithmetic)
 *
 * Return: 0 or -EINVAL.
 */
NPU_API int npu_sqnr_db(const float *ref, const float *test, size_t n, double *db);

/**
 * npu_max_abs_error() - largest |ref - test|
 * @ref: the reference values
 * @test: the values under test
 * @n: length of both, > 0
 * @err: the error, in double; NaN when either array holds a NaN
 *
 * Return: 0 or -EINVAL.
 */
NPU_API int npu_max_abs_error(const float *ref, const float *test, size_t n, double *err);

/**
 * npu_mean_abs_error() - mean of |ref - test|
 * @ref: the reference values
 * @test: the values under test
 * @n: length of both, > 0
 * @err: the error, in double; NaN when either array holds a NaN
 *
 * Return: 0 or -EINVAL.
 */
NPU_API int npu_mean_abs_error(const float *ref, const float *test, size_t n, double *err);

#ifdef __cplusplus
}
#endif

#endif /* NPU_QUANT_H */
