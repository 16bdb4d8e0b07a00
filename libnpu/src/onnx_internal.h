/* SPDX-License-Identifier: MIT */
/*
 * libnpu: ONNX reader internals shared with the importer.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_ONNX_INTERNAL_H
#define NPU_ONNX_INTERNAL_H

#include "npu/onnx.h"
#include "onnx.pb-c.h"

int npu_onnx_decode(const Onnx__TensorProto *p, struct npu_onnx_tensor *t,
		    const char *where, char *err, size_t errlen);
const Onnx__GraphProto *npu_onnx_graph(const struct npu_onnx *m);

#endif /* NPU_ONNX_INTERNAL_H */
