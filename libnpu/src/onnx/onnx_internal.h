/* SPDX-License-Identifier: MIT */
/*
 * libnpu: ONNX reader internals shared with the importer.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_ONNX_INTERNAL_H
#define NPU_ONNX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "npu/graph.h"
#include "npu/onnx.h"
#include "onnx.pb-c.h"

int npu_onnx_decode(const Onnx__TensorProto *p, struct npu_onnx_tensor *t,
		    const char *where, char *err, size_t errlen);
const Onnx__GraphProto *npu_onnx_graph(const struct npu_onnx *m);
const Onnx__ModelProto *npu_onnx_model(const struct npu_onnx *m);
const Onnx__AttributeProto *npu_onnx_attr(const Onnx__NodeProto *nd,
					  const char *name);
int64_t npu_onnx_attr_i(const Onnx__NodeProto *nd, const char *name, int64_t dflt);
void npu_onnx_attr_ints(const Onnx__NodeProto *nd, const char *name,
			uint32_t *out, size_t n, uint32_t dflt);
/* An initializer or a Constant node's value named @name, or NULL. */
const Onnx__TensorProto *npu_onnx_constant(const Onnx__GraphProto *g,
					   const char *name);

/* onnx_qimport.c: models already quantized (QOperator, QDQ). */
/* An attribute an op honours: name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__*, list length (0: any). */
struct npu_onnx_attr_spec {
	const char *name;
	int type;
	size_t count;
};

#define NPU_ATTR_F(n)		{ n, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, 0 }
#define NPU_ATTR_I(n)		{ n, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, 0 }
#define NPU_ATTR_S(n)		{ n, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, 0 }
#define NPU_ATTR_INTS(n, c)	{ n, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, c }
/* The attributes of a 2-D convolution's or pool's window. */
#define NPU_ATTR_WINDOW		NPU_ATTR_S("auto_pad"), NPU_ATTR_INTS("kernel_shape", 2), \
				NPU_ATTR_INTS("strides", 2), NPU_ATTR_INTS("pads", 4), \
				NPU_ATTR_INTS("dilations", 2)

/*
 * 0 when every attribute of @nd is in @spec (ended by a NULL name; NULL:
 * none) with its type and length; else why not in @why, and an error.
 */
int npu_onnx_check_attrs(const Onnx__NodeProto *nd, const struct npu_onnx_attr_spec *spec,
			 char *why, size_t len);
/* A float attribute, @dflt when absent. */
float npu_onnx_attr_f(const Onnx__NodeProto *nd, const char *name, float dflt);

/* A 2-D window: kernel, strides, dilations, pads (top, left, bottom, right). */
struct npu_onnx_window {
	uint32_t kernel[2], stride[2], dil[2], pad[4];
};

/*
 * The window of a Conv (@kernel: the weights' KH, KW, which kernel_shape
 * must match) or pool (@kernel NULL: kernel_shape) over an input of @in
 * (H, W), auto_pad honoured: NOTSET, VALID, SAME_UPPER, SAME_LOWER.
 */
int npu_onnx_window(const Onnx__NodeProto *nd, const uint32_t in[2], const uint32_t *kernel,
		    struct npu_onnx_window *w, char *why, size_t len);
/*
 * ceil_mode of a max pool: trailing padding added so that floor rounding
 * gives ONNX's ceil count (windows that would start in the trailing
 * padding dropped); max pooling ignores padding, so the values are exact.
 */
void npu_onnx_ceil_pads(struct npu_onnx_window *w, const uint32_t in[2]);
/* The output extents (H, W) of window @w over @in, floor rounding. */
int npu_onnx_window_out(const struct npu_onnx_window *w, const uint32_t in[2], uint32_t out[2],
			char *why, size_t len);
/* Relu and Clip after an op (act.c): the real interval the chain keeps. */
struct npu_onnx_act {
	float lo, hi;
};

void npu_onnx_act_init(struct npu_onnx_act *a);
/* Relu is a Clip(0, FLT_MAX). */
void npu_onnx_act_clip(struct npu_onnx_act *a, float lo, float hi);
bool npu_onnx_act_none(const struct npu_onnx_act *a);
/* @op's act and clip from @a. */
void npu_onnx_act_apply(const struct npu_onnx_act *a, struct npu_op_info *op);

/* The model's opset of the default ONNX domain. */
int64_t npu_onnx_opset(const struct npu_onnx *m);

int npu_onnx_import_quantized(const struct npu_onnx *m,
			      const struct npu_onnx_import_opts *o,
			      struct npu_graph **out, char *err, size_t errlen);

#endif /* NPU_ONNX_INTERNAL_H */
