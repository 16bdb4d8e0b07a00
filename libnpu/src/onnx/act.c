// SPDX-License-Identifier: MIT
/*
 * libnpu ONNX: Relu and Clip folded into the op before them. A chain of
 * them keeps one real interval; the graph op gets NONE, RELU or a CLIP with
 * those bounds (quantized half to even by the compiler, as ONNX Runtime
 * computes a Clip).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <float.h>

#include "onnx_internal.h"

void npu_onnx_act_init(struct npu_onnx_act *a)
{
	a->lo = -FLT_MAX;
	a->hi = FLT_MAX;
}

void npu_onnx_act_clip(struct npu_onnx_act *a, float lo, float hi)
{
	a->lo = lo > a->lo ? lo : a->lo;
	a->hi = hi < a->hi ? hi : a->hi;
}

bool npu_onnx_act_none(const struct npu_onnx_act *a)
{
	return a->lo <= -FLT_MAX && a->hi >= FLT_MAX;
}

void npu_onnx_act_apply(const struct npu_onnx_act *a, struct npu_op_info *op)
{
	op->clip[0] = op->clip[1] = 0;
	if (npu_onnx_act_none(a)) {
		op->act = NPU_ACT_NONE;
	} else if (a->lo == 0 && a->hi >= FLT_MAX) {
		op->act = NPU_ACT_RELU;
	} else {
		op->act = NPU_ACT_CLIP;
		op->clip[0] = a->lo;
		op->clip[1] = a->hi;
	}
}
