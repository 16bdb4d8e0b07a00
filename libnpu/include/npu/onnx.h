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
	NPU_ONNX_BOOL = 9,	/* one byte, 0 or 1 (Dropout's training_mode) */
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

/**
 * npu_onnx_input_name() - name of the model's input @i (initializers
 *	listed as inputs are skipped); NULL past the end
 */
NPU_API const char *npu_onnx_input_name(const struct npu_onnx *m, size_t i);

/* ---- importing models ---------------------------------------------- */

#define NPU_ONNX_MAX_IO		64

/**
 * struct npu_onnx_io - a graph input or output as the model sees it
 * @name: the model's name for it
 * @type: enum npu_onnx_type
 * @ndims: the model's rank
 * @dims: the model's extents
 * @count: elements
 * @nchw: 4-D, NCHW in the model and NHWC in the graph (the executors'
 *	buffers): convert with npu_onnx_to_graph() / npu_onnx_from_graph()
 * @scale: the graph's quantization of an int8/uint8 tensor (0: none)
 * @zero_point: its zero point (uint8: 0..255)
 */
struct npu_onnx_io {
	char name[128];
	int type;
	uint32_t ndims;
	int64_t dims[NPU_ONNX_MAX_DIMS];
	size_t count;
	int nchw;
	float scale;
	int32_t zero_point;
};

/**
 * struct npu_onnx_signature - the imported graph's inputs and outputs, in
 *	npu_graph_io() order (the executors' buffer order)
 */
struct npu_onnx_signature {
	size_t ninputs, noutputs;
	struct npu_onnx_io inputs[NPU_ONNX_MAX_IO];
	struct npu_onnx_io outputs[NPU_ONNX_MAX_IO];
};

/**
 * npu_onnx_program_set_signature() - attach @sig to @p (npu_program_set_note()),
 *	so that a saved program still says what its inputs and outputs are in
 *	the model (names, layouts, extents)
 */
NPU_API int npu_onnx_program_set_signature(struct npu_program *p,
					   const struct npu_onnx_signature *sig);

/** npu_onnx_program_signature() - the signature attached to @p; -ENOENT if none */
NPU_API int npu_onnx_program_signature(const struct npu_program *p,
				       struct npu_onnx_signature *sig);

/** npu_onnx_elem_size() - bytes per element of an enum npu_onnx_type */
NPU_API size_t npu_onnx_elem_size(int type);

/** npu_onnx_to_graph() - @io's elements from the model's layout to the graph's */
NPU_API void npu_onnx_to_graph(const struct npu_onnx_io *io, const void *src,
			       void *dst);
/** npu_onnx_from_graph() - @io's elements from the graph's layout to the model's */
NPU_API void npu_onnx_from_graph(const struct npu_onnx_io *io, const void *src,
				 void *dst);

/**
 * npu_onnx_graph_samples() - image samples as calibration data wants them
 * @t: float32 [N, C, H, W] samples in the model's layout (npu_npy_load())
 * @count: how many (0: N); past N the samples repeat from the first
 * @out: @count images NHWC, one after the other (free() them), for
 *	&npu_onnx_import_opts.calib_data
 *
 * Return: 0, -EINVAL for another type or rank, -ENOMEM.
 */
NPU_API int npu_onnx_graph_samples(const struct npu_onnx_tensor *t, size_t count, float **out);

/** enum npu_onnx_granularity - weight quantization of an FP32 import */
enum npu_onnx_granularity {
	NPU_ONNX_PER_CHANNEL,	/* symmetric, one scale per output channel */
	NPU_ONNX_PER_TENSOR,	/* symmetric, one scale per layer */
};

/**
 * struct npu_onnx_import_opts - how to import a model
 * @method: FP32 models: calibration observer for activations
 * @calib_data: FP32 models: @calib_count inputs, each one image in NHWC
 *	float32
 * @calib_count: how many
 * @granularity: FP32 models: weights per channel (default) or per tensor
 * @values: values for graph inputs that must be constant (quantized
 *	models whose weights, scales or zero points are graph inputs, as in
 *	ONNX's node tests); inputs the importer does not need constant stay
 *	inputs even when a value is given
 * @nvalues: how many
 * @sig: filled with the graph's inputs and outputs when not NULL
 * @layer_outputs: FP32 models: also output every quantized activation
 *	(int8, named after the model's value) after the model's own outputs,
 *	for per-layer error analysis
 * @progress: FP32 models, when not NULL: called after each calibration
 *	image with how many are done of @calib_count (a progress bar)
 * @progress_arg: passed to @progress
 * @qdq_path: FP32 models, when not NULL: also write the quantization the
 *	graph got to this file as a QDQ ONNX model of the same network:
 *	QuantizeLinear/DequantizeLinear around every value the graph holds
 *	in int8 (its scale and zero point), the int8 weights and int32
 *	biases of Conv, Gemm and MatMul behind DequantizeLinear (per-channel
 *	scales on the output-channel axis), what the graph folds (Relu/Clip
 *	after an op, fused chains) left without a pair, so that a QDQ runtime
 *	such as ONNX Runtime runs the same numbers. Needs opset 13 or newer;
 *	an error for a model already quantized.
 * @rounding: FP32 models: how requantization rounds, 0 (double, as
 *	TFLite: gemmlowp's doubling high multiply, then a shift) or 1 (single,
 *	one rounding of the exact product, as ONNX Runtime); enum qnpu_rounding
 * @weight_bits: FP32 models: 8 (or 0: weights in [-127, 127]) or 7
 *	(in [-63, 63]: what x86 CPUs without VNNI multiply without saturating
 *	their 16-bit sums, ONNX Runtime's reduce_range)
 */
struct npu_onnx_import_opts {
	enum npu_calib method;
	const float *calib_data;
	size_t calib_count;
	enum npu_onnx_granularity granularity;
	const struct npu_onnx_tensor *values;
	size_t nvalues;
	struct npu_onnx_signature *sig;
	int layer_outputs;
	void (*progress)(void *arg, size_t done, size_t total);
	void *progress_arg;
	const char *qdq_path;
	int rounding;
	int weight_bits;
};

/**
 * npu_onnx_is_quantized() - whether a model is already quantized (QOperator
 *	or QDQ: QuantizeLinear, DequantizeLinear, QLinear*, *Integer nodes)
 */
NPU_API int npu_onnx_is_quantized(const struct npu_onnx *m);

/**
 * npu_onnx_import() - turn a model into a graph
 * @m: the model. FP32 models (Conv, Relu, Clip, MaxPool, AveragePool,
 *	GlobalAveragePool, Add, Mul, Concat, Gemm/MatMul, Flatten, Reshape,
 *	Softmax, Constant; and on the CPU fallback, in float between int8
 *	tensors: Sigmoid, Tanh, Exp, Abs, Neg, Sqrt, Erf, LeakyRelu,
 *	HardSigmoid, HardSwish, Elu, Softplus) are quantized by calibration
 *	and get a float32 input and output. Quantized models keep their own quantization: QuantizeLinear,
 *	DequantizeLinear (per tensor or per axis), QLinearConv, ConvInteger,
 *	QLinearMatMul, MatMulInteger, DynamicQuantizeLinear, com.microsoft
 *	QLinearAdd and QLinearGlobalAveragePool, MaxPool, Flatten/Reshape,
 *	and QDQ groups (DequantizeLinear -> Conv, MatMul, Gemm, Add, pools,
 *	with Relu/Clip -> QuantizeLinear). A convolution whose weights do not
 *	fit int8 runs on the CPU; anything else unsupported is an error that
 *	names the node, the op and the reason.
 * @o: options
 * @out: the graph, ready for npu_compile()
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

/**
 * npu_onnx_run_float_values() - run an FP32 model on one input, in float,
 *	and copy out the values named @names (in the graph's layout: NHWC)
 * @m: the model
 * @input: one input, NHWC float32
 * @names: value names, e.g. the layer outputs of a signature
 * @nnames: how many
 * @outs: a buffer per name, large enough for the value
 * @err: on failure, why (-ENOENT: no such value)
 * @errlen: size of @err
 */
NPU_API int npu_onnx_run_float_values(const struct npu_onnx *m, const float *input,
				      const char *const *names, size_t nnames,
				      float *const *outs, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* NPU_ONNX_H */
