/* SPDX-License-Identifier: MIT */
/*
 * libnpu: reading ONNX models and tensors (protobuf-c, with the onnx.proto
 * Debian's libonnx-dev ships). This is the reader the importer stands on:
 * it parses and checks a file, and reports what is wrong and where.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_ONNX_H
#define NPU_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include <npu/graph.h>
#include <npu/npu.h>
#include <npu/quant.h>

#ifdef __cplusplus
extern "C" {
#endif

/** enum npu_onnx_type - element types libnpu reads */
enum npu_onnx_type {
	NPU_ONNX_FLOAT = 1,	/* the TensorProto.DataType values */
	NPU_ONNX_UINT8 = 2,
	NPU_ONNX_INT8 = 3,
	NPU_ONNX_INT32 = 6,
	NPU_ONNX_INT64 = 7,
};

#define NPU_ONNX_MAX_DIMS	8

/**
 * struct npu_onnx_tensor - a decoded TensorProto
 * @name: its name (may be empty)
 * @type: enum npu_onnx_type
 * @ndims: number of dimensions
 * @dims: extents
 * @count: elements
 * @data: @count elements of @type, little-endian, owned by the tensor
 */
struct npu_onnx_tensor {
	char name[128];
	int type;
	uint32_t ndims;
	int64_t dims[NPU_ONNX_MAX_DIMS];
	size_t count;
	void *data;
};

/**
 * npu_onnx_tensor_load() - read a serialized TensorProto (ONNX test data)
 * @path: the .pb file
 * @t: the tensor (release with npu_onnx_tensor_release())
 * @err: a message on failure (may be NULL)
 * @errlen: size of @err
 *
 * Return: 0; -EPROTO for a malformed or truncated file; -EOPNOTSUPP for an
 * element type or storage libnpu does not read; -errno for I/O.
 */
NPU_API int npu_onnx_tensor_load(const char *path, struct npu_onnx_tensor *t,
				 char *err, size_t errlen);
NPU_API void npu_onnx_tensor_release(struct npu_onnx_tensor *t);

/** struct npu_onnx - a parsed, checked ONNX model (opaque) */
struct npu_onnx;

/**
 * struct npu_onnx_info - what a model holds
 * @ir_version: ONNX IR version
 * @opset: opset of the default domain
 * @producer: producer name and version
 * @nodes: graph nodes
 * @initializers: constant tensors
 * @inputs: graph inputs that are not initializers
 * @outputs: graph outputs
 */
struct npu_onnx_info {
	int64_t ir_version;
	int64_t opset;
	char producer[96];
	size_t nodes;
	size_t initializers;
	size_t inputs;
	size_t outputs;
};

/**
 * npu_onnx_load() - parse and check a model file
 * @path: the .onnx file
 * @out: the model
 * @err: on failure, where and why ("model.onnx: node 3 (conv1, Conv): ...")
 * @errlen: size of @err
 *
 * Return: 0, -EPROTO (malformed, truncated, inconsistent), -EOPNOTSUPP
 * (external data, unknown opset domain), -errno.
 */
NPU_API int npu_onnx_load(const char *path, struct npu_onnx **out, char *err,
			  size_t errlen);
NPU_API void npu_onnx_free(struct npu_onnx *m);
NPU_API int npu_onnx_info(const struct npu_onnx *m, struct npu_onnx_info *info);

/** npu_onnx_node_op() - op type of node @i, its name in *name; NULL past the end */
NPU_API const char *npu_onnx_node_op(const struct npu_onnx *m, size_t i,
				     const char **name);

/* ---- FP32 models, quantized by calibration ------------------------- */

/**
 * struct npu_onnx_import_opts - post-training quantization of an FP32 model
 * @method: calibration observer for activations (weights are always
 *	per-channel symmetric)
 * @calib_data: @calib_count inputs, each one image in NHWC float32
 * @calib_count: how many
 */
struct npu_onnx_import_opts {
	enum npu_calib method;
	const float *calib_data;
	size_t calib_count;
};

/**
 * npu_onnx_import() - quantize an FP32 model into a graph
 * @m: the model (Conv, Relu, Clip, MaxPool, AveragePool, GlobalAveragePool,
 *	Add, Gemm/MatMul, Flatten, Reshape, Softmax, Constant)
 * @o: calibration
 * @out: a graph with a float32 input and output (quantize and dequantize
 *	run on the CPU), ready for npu_compile()
 * @err: on failure, the node and the reason
 * @errlen: size of @err
 */
NPU_API int npu_onnx_import(const struct npu_onnx *m,
			    const struct npu_onnx_import_opts *o,
			    struct npu_graph **out, char *err, size_t errlen);

/**
 * npu_onnx_run_float() - run an FP32 model on the CPU, in float (the
 *	reference the INT8 results are compared with)
 * @m: the model
 * @input: @images inputs, NHWC float32
 * @images: how many
 * @output: their outputs, one after the other
 * @err: on failure, why
 * @errlen: size of @err
 */
NPU_API int npu_onnx_run_float(const struct npu_onnx *m, const float *input,
			       size_t images, float *output, char *err,
			       size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* NPU_ONNX_H */
