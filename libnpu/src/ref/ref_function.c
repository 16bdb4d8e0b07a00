// SPDX-License-Identifier: MIT
/*
 * libnpu: the element-wise functions the CPU runs in float (enum
 * npu_function), described once: the ONNX op each one is and its formula.
 * The importer finds them by ONNX name, the CPU steps and the float model
 * apply them.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "npu/graph.h"
#include "ref.h"

static float sigmoid(float x, float a, float b) { return 1.0f / (1.0f + expf(-x)); }
static float tanh_(float x, float a, float b) { return tanhf(x); }
static float exp_(float x, float a, float b) { return expf(x); }
static float abs_(float x, float a, float b) { return fabsf(x); }
static float neg(float x, float a, float b) { return -x; }
static float sqrt_(float x, float a, float b) { return sqrtf(x); }
static float erf_(float x, float a, float b) { return erff(x); }
static float leaky_relu(float x, float a, float b) { return x < 0 ? a * x : x; }

static float hard_sigmoid(float x, float a, float b)
{
	return fmaxf(0.0f, fminf(1.0f, a * x + b));
}

static float hard_swish(float x, float a, float b)
{
	return x * fmaxf(0.0f, fminf(1.0f, x / 6.0f + 0.5f));
}

static float elu(float x, float a, float b) { return x < 0 ? a * (expf(x) - 1.0f) : x; }

/* log1p(exp(x)) is x to float precision above 20, and exp would overflow later. */
static float softplus(float x, float a, float b) { return x > 20.0f ? x : log1pf(expf(x)); }

static float gelu(float x, float a, float b)
{
	return (float)(0.5 * x * (1.0 + erf(x * M_SQRT1_2)));
}

static float gelu_tanh(float x, float a, float b)
{
	double u = sqrt(2.0 / M_PI) * (x + 0.044715 * (double)x * x * x);

	return (float)(0.5 * x * (1.0 + tanh(u)));
}

/* Where two share an ONNX op, the first is found by name, the other by an attribute. */
static const struct npu_ref_function functions[NPU_FN_COUNT] = {
	[NPU_FN_SIGMOID]	= { "Sigmoid", sigmoid },
	[NPU_FN_TANH]		= { "Tanh", tanh_ },
	[NPU_FN_EXP]		= { "Exp", exp_ },
	[NPU_FN_ABS]		= { "Abs", abs_ },
	[NPU_FN_NEG]		= { "Neg", neg },
	[NPU_FN_SQRT]		= { "Sqrt", sqrt_ },
	[NPU_FN_ERF]		= { "Erf", erf_ },
	[NPU_FN_LEAKY_RELU]	= { "LeakyRelu", leaky_relu },
	[NPU_FN_HARD_SIGMOID]	= { "HardSigmoid", hard_sigmoid },
	[NPU_FN_HARD_SWISH]	= { "HardSwish", hard_swish },
	[NPU_FN_ELU]		= { "Elu", elu },
	[NPU_FN_SOFTPLUS]	= { "Softplus", softplus },
	[NPU_FN_GELU]		= { "Gelu", gelu },
	[NPU_FN_GELU_TANH]	= { "Gelu", gelu_tanh },
};

const struct npu_ref_function *npu_ref_function(uint32_t fn)
{
	return fn < NPU_FN_COUNT ? &functions[fn] : NULL;
}

int npu_ref_function_by_onnx(const char *op)
{
	int fn;

	for (fn = 0; fn < NPU_FN_COUNT; fn++) {
		if (!strcmp(functions[fn].onnx, op))
			return fn;
	}
	return -1;
}

int8_t npu_fn_apply_q(uint32_t fn, int8_t q, float alpha, float beta, float in_scale,
		      int32_t in_zero_point, float out_scale, int32_t out_zero_point)
{
	float x = npu_ref_dequantize(q, in_scale, in_zero_point);

	return npu_ref_quantize(npu_fn_apply(fn, x, alpha, beta), out_scale, out_zero_point);
}

float npu_fn_apply(uint32_t fn, float x, float alpha, float beta)
{
	const struct npu_ref_function *f = npu_ref_function(fn);

	return f ? f->apply(x, alpha, beta) : NAN;
}

void npu_ref_layernorm(const float *x, float *y, uint64_t rows, uint32_t C,
		       const float *scale, const float *bias, float eps)
{
	uint64_t r;
	uint32_t c;

	for (r = 0; r < rows; r++, x += C, y += C) {
		double mean = 0, var = 0, inv;

		for (c = 0; c < C; c++)
			mean += x[c];
		mean /= C;
		for (c = 0; c < C; c++)
			var += (x[c] - mean) * (x[c] - mean);
		inv = 1.0 / sqrt(var / C + eps);
		for (c = 0; c < C; c++)
			y[c] = (float)((x[c] - mean) * inv * scale[c] + (bias ? bias[c] : 0));
	}
}
