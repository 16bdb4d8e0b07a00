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
const Onnx__AttributeProto *npu_onnx_attr(const Onnx__NodeProto *nd,
					  const char *name);
int64_t npu_onnx_attr_i(const Onnx__NodeProto *nd, const char *name, int64_t dflt);
void npu_onnx_attr_ints(const Onnx__NodeProto *nd, const char *name,
			uint32_t *out, size_t n, uint32_t dflt);
/* An initializer or a Constant node's value named @name, or NULL. */
const Onnx__TensorProto *npu_onnx_constant(const Onnx__GraphProto *g,
					   const char *name);

/* onnx_qimport.c: models already quantized (QOperator, QDQ). */
int npu_onnx_import_quantized(const struct npu_onnx *m,
			      const struct npu_onnx_import_opts *o,
			      struct npu_graph **out, char *err, size_t errlen);

#endif /* NPU_ONNX_INTERNAL_H */
