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
