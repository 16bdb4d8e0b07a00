/* SPDX-License-Identifier: MIT */
/*
 * libnpu: plain CPU reference of the qnpu arithmetic (internal).
 *
 * This is the "ref" implementation of docs/arithmetic.md: written from the
 * documents alone, for clarity rather than speed, and sharing no code with
 * the device model, so that each can check the other bit for bit.
 *
 * Ops take the same descriptor the device executes (uapi/drm/qnpu_cmdbuf.h)
 * plus host pointers for the data. Address fields of the descriptor are not
 * dereferenced; only their being zero or not is used, where the format
 * gives zero a meaning (bias 0 = zeros, requant.channel_params 0 =
 * per-tensor, ADD input2.addr 0 = single-input rescale). Host buffers hold
 * device-format data: tensors as their qnpu_tensor strides say, packed
 * weights (npu_ref_pack_weights), bias and channel parameters as arrays of
 * little-endian int32 (the host's own order: x86-64 and AArch64).
 *
 * Return values: 0, or the errno that stands for the status the device
 * would end the job with (npu_ref_status()):
 *   -EINVAL           QNPU_STATUS_INVALID_DESCRIPTOR
 *   -E2BIG            QNPU_STATUS_LIMIT_EXCEEDED
 *   -EOVERFLOW        QNPU_STATUS_ACC_OVERFLOW
 *   -EPROTONOSUPPORT  QNPU_STATUS_UNSUPPORTED_VERSION (descriptor version)
 *   -EFAULT           a NULL host pointer where the descriptor needs data
 * A descriptor whose hdr.op is not the function's op is -EINVAL. On error
 * nothing is written.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_REF_H
#define NPU_REF_H

#include <stddef.h>
#include <stdint.h>

#include "qnpu_cmdbuf.h"

#define NPU_REF_MAX_DIM		65535	/* CAP_MAX_DIM of programming model 1.0 */
#define NPU_REF_MAX_K		65536	/* CAP_MAX_K */
#define NPU_REF_DESC_VERSION	1

/*
 * A strided view of host memory. stride is in bytes and may be 0
 * (broadcast) or negative; dtype is enum qnpu_dtype.
 */
struct npu_ref_tensor {
	void *data;
	uint32_t dim[4];
	int64_t stride[4];
	int dtype;
};

void npu_ref_tensor_init(struct npu_ref_tensor *t, const struct qnpu_tensor *desc,
			 const void *data);
int32_t npu_ref_tensor_get(const struct npu_ref_tensor *t, uint32_t n, uint32_t h,
			   uint32_t w, uint32_t c);
void npu_ref_tensor_set(const struct npu_ref_tensor *t, uint32_t n, uint32_t h,
			uint32_t w, uint32_t c, int32_t v);
/* Bytes from element [0][0][0][0] to the end of the span (hardware.md 11.3). */
uint64_t npu_ref_tensor_span(const struct qnpu_tensor *t);

/* ---- requantization (ref_requant.c), docs/arithmetic.md section 3 ---- */

int32_t npu_ref_srdhm(int32_t a, int32_t b);
int32_t npu_ref_rdbpot(int32_t x, int exponent);
int32_t npu_ref_mbqm_double(int32_t acc, int32_t multiplier, int32_t shift);
int32_t npu_ref_mbqm_single(int32_t acc, int32_t multiplier, int32_t shift);
/* multiplier in [0, 2^31 - 1], shift in [-31, 30]; rounding enum qnpu_rounding */
int32_t npu_ref_mbqm(int32_t acc, int32_t multiplier, int32_t shift, int rounding);
/*
 * clamp(Z_out + MBQM(acc, multiplier, shift), act_min, act_max) with Z_out,
 * the bounds and the rounding taken from @rq (its own multiplier and shift
 * are not used: per-channel parameters come from elsewhere).
 */
int8_t npu_ref_requant(int32_t acc, int32_t multiplier, int32_t shift,
		       const struct qnpu_requant *rq);
/* (M, shift) for a real multiplier; -EINVAL for negative, NaN or infinite. */
int npu_ref_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift);

/* ---- library float side (ref_requant.c), docs/arithmetic.md 1 and 3.7 ---- */

int8_t npu_ref_quantize(float x, float scale, int32_t zero_point);
float npu_ref_dequantize(int8_t q, float scale, int32_t zero_point);
/*
 * Layer normalisation of @rows rows of @C: (x - mean) / sqrt(variance +
 * @eps) * @scale[c] + @bias[c] (@bias may be NULL), in double.
 */
void npu_ref_layernorm(const float *x, float *y, uint64_t rows, uint32_t C,
		       const float *scale, const float *bias, float eps);
/* Weights: symmetric, q in [-127, 127]. */
int8_t npu_ref_quantize_weight(float w, float scale);
int32_t npu_ref_quantize_bias(float b, float input_scale, float weight_scale);
int npu_ref_choose_asymmetric(double min, double max, float *scale, int32_t *zero_point);
int npu_ref_choose_symmetric(double min, double max, float *scale);

enum npu_ref_act {
	NPU_REF_ACT_NONE,
	NPU_REF_ACT_RELU,
	NPU_REF_ACT_RELU6,
};

int npu_ref_act_bounds(enum npu_ref_act act, float output_scale, int32_t output_zero_point,
		       int32_t *act_min, int32_t *act_max);

/* ---- weights (ref_ops.c) ---- */

/*
 * Device weight bytes of a convolution with @c_out output channels, a
 * @kh x @kw kernel, @c_in input channels and @groups groups (hardware.md
 * 13.3.2; FC is c_out x 1 x 1 x K, 1 group). 0 if @groups is 0 or does not
 * divide both channel counts.
 */
size_t npu_ref_weight_bytes(uint32_t c_out, uint32_t kh, uint32_t kw, uint32_t c_in,
			    uint32_t groups);
/*
 * Pack OHWI weights, [c_out][kh][kw][c_in / groups] as TFLite stores a
 * convolution (a depthwise one too: [c_out][kh][kw][1]), into the device
 * layout: depthwise when groups > 1 and groups == c_in, packed 16 x 4
 * blocks otherwise. @dst holds npu_ref_weight_bytes(); padding is zeroed.
 */
int npu_ref_pack_weights(int8_t *dst, const int8_t *ohwi, uint32_t c_out, uint32_t kh,
			 uint32_t kw, uint32_t c_in, uint32_t groups);
/*
 * bias_f[c] = wrap32(bias[c] - input_zero_point * sum of the K weights of
 * channel c) (arithmetic.md 2.2); @bias may be NULL for zeros, @ohwi has
 * @k contiguous weights per channel. Returns how many folded biases leave
 * [-2^30, 2^30 - 1], where the no-wrap guarantee of 2.3 ends (for a
 * warning), or -EINVAL.
 */
int npu_ref_fold_bias(int32_t *bias_f, const int32_t *bias, const int8_t *ohwi,
		      uint32_t c_out, uint64_t k, int32_t input_zero_point);

/* ---- operations (ref_ops.c) ---- */

int npu_ref_conv2d(const struct qnpu_desc_conv2d *d, const void *input, void *output,
		   const int8_t *weights, const int32_t *bias,
		   const struct qnpu_channel_requant *channel_params);
int npu_ref_fc(const struct qnpu_desc_fc *d, const void *input, void *output,
	       const int8_t *weights, const int32_t *bias,
	       const struct qnpu_channel_requant *channel_params);
int npu_ref_matmul(const struct qnpu_desc_matmul *d, const void *a, const void *b,
		   void *output, const int32_t *bias);
int npu_ref_maxpool(const struct qnpu_desc_pool *d, const void *input, void *output);
int npu_ref_avgpool(const struct qnpu_desc_pool *d, const void *input, void *output);
/* @input2 is not read when d->input2.addr is 0 (single-input rescale). */
int npu_ref_add(const struct qnpu_desc_eltwise *d, const void *input1,
		const void *input2, void *output);
int npu_ref_mul(const struct qnpu_desc_eltwise *d, const void *input1,
		const void *input2, void *output);
int npu_ref_copy(const struct qnpu_desc_copy *d, const void *src, void *dst);
/* @table: QNPU_LUT_ENTRIES entries, entry x + 128 for input x. */
int npu_ref_lut(const struct qnpu_desc_lut *d, const void *input, const int8_t *table,
		void *output);

/* ---- element-wise functions in float (ref_function.c) ---- */

/* One enum npu_function: the ONNX op it is, and its formula. */
struct npu_ref_function {
	const char *onnx;
	float (*apply)(float x, float alpha, float beta);
};

/* The description of enum npu_function @fn, NULL past the last. */
const struct npu_ref_function *npu_ref_function(uint32_t fn);
/* The enum npu_function named @op in ONNX, or -1. */
int npu_ref_function_by_onnx(const char *op);
/* @fn on one value (NaN for an unknown @fn): CPU steps and the float model. */
float npu_fn_apply(uint32_t fn, float x, float alpha, float beta);
/*
 * Function @fn of int8 @q between quantized tensors: dequantized, the
 * function in float, quantized. The CPU step computes it per element and
 * the compiler's table for QNPU_OP_LUT per int8 value, so both agree.
 */
int8_t npu_fn_apply_q(uint32_t fn, int8_t q, float alpha, float beta, float in_scale,
		      int32_t in_zero_point, float out_scale, int32_t out_zero_point);

/* The enum qnpu_status an npu_ref_* return value stands for. */
int npu_ref_status(int err);

#endif /* NPU_REF_H */
