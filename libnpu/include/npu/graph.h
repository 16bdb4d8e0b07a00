/* SPDX-License-Identifier: MIT */
/*
 * libnpu: a graph of quantized layers, the compiler that turns it into a
 * qnpu program (command buffers, packed weights, a memory plan), and the
 * executors that run a program: on the NPU through the driver, or on the
 * plain CPU reference. Every executor runs the same command buffers, so
 * they give the same bytes.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_GRAPH_H
#define NPU_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include <npu/npu.h>
#include <npu/quant.h>

#ifdef __cplusplus
extern "C" {
#endif

/** enum npu_elem - element types of graph tensors */
enum npu_elem {
	NPU_ELEM_INT8,
	NPU_ELEM_INT32,		/* biases */
	NPU_ELEM_FLOAT32,	/* graph edges quantized/dequantized on the CPU */
	NPU_ELEM_UINT8,		/* activations, zero point 0..255: handled as
				 * int8 shifted by 128 (exact), converted at
				 * the graph's inputs and outputs */
};

/**
 * struct npu_tensor_info - a tensor of the graph
 * @name: for error messages (copied)
 * @elem: element type
 * @shape: NHWC extents (1 for unused leading dimensions); weights are
 *	OHWI: [C_out][KH][KW][C_in / groups]
 * @qcount: 0 (float, int32, or integer data without a scale), 1 (per
 *	tensor) or the channel count (per output channel for weights; per C
 *	for an activation that only QUANTIZE writes or DEQUANTIZE reads)
 * @scales: @qcount scales
 * @zero_points: @qcount zero points (weights: 0)
 * @data: contents of a constant tensor (weights, bias), copied; NULL for
 *	activations. Convolution weights may be INT32 when their values do not
 *	fit int8 (a QLinearConv weight zero point far from the weights): such
 *	a convolution runs on the CPU, exactly. A MATMUL's second operand may
 *	be constant.
 *
 * A CONV2D, FULLY_CONNECTED or MATMUL whose output is INT32 (no
 * quantization) writes the raw accumulators (ONNX ConvInteger,
 * MatMulInteger).
 */
struct npu_tensor_info {
	const char *name;
	enum npu_elem elem;
	uint32_t shape[4];
	uint32_t qcount;
	const float *scales;
	const int32_t *zero_points;
	const void *data;
};

/** enum npu_op_type - graph operations */
enum npu_op_type {
	NPU_OP_CONV2D,		/* inputs: x, weights, bias (or -1) */
	NPU_OP_FULLY_CONNECTED,	/* inputs: x, weights [C_out][1][1][K], bias */
	NPU_OP_MAXPOOL,		/* inputs: x */
	NPU_OP_AVGPOOL,		/* inputs: x */
	NPU_OP_ADD,		/* inputs: a, b; each extent of each equal to
				 * the output's or 1 (broadcast) */
	NPU_OP_MUL,		/* inputs: a, b; broadcast as ADD */
	NPU_OP_RESHAPE,		/* inputs: x; same bytes, output's shape */
	NPU_OP_QUANTIZE,	/* float32 -> int8, on the CPU */
	NPU_OP_DEQUANTIZE,	/* int8 -> float32, on the CPU */
	NPU_OP_SOFTMAX,		/* float32 over C, on the CPU */
	NPU_OP_MATMUL,		/* inputs: a [N][H][M][K], b [N][H][K][P], bias */
	NPU_OP_CONCAT,		/* inputs: up to 3, joined along C; all with the
				 * output's scale and zero point */
	NPU_OP_RESCALE,		/* inputs: x; requantized to the output's scale
				 * and zero point, with the fused activation:
				 * standalone ReLU, ReLU6, clamp, int8 requantize */
	NPU_OP_GLOBAL_AVGPOOL,	/* inputs: x; mean over H and W */
	NPU_OP_DYNAMIC_QUANTIZE,	/* float32 -> uint8 with parameters
					 * from the data's range (ONNX
					 * DynamicQuantizeLinear), on the CPU;
					 * the output has no static quantization */
	NPU_OP_DYNAMIC_SCALE,		/* the scale it chose: float32 [1] */
	NPU_OP_DYNAMIC_ZERO_POINT,	/* the zero point it chose: uint8 [1] */
	NPU_OP_FUNCTION,	/* inputs: x; the element-wise function @fn: a
				 * table lookup on the device between int8
				 * tensors, else on the CPU in float */
	NPU_OP_CHANNEL_GATHER,	/* inputs: x, index (constant INT32, one entry
				 * per output channel): out[n][h][w][c] =
				 * x[n][h][w][index[c]], the same scale and
				 * zero point (slices, splits and shuffles of
				 * channels, as device copies) */
	NPU_OP_UPSAMPLE_NEAREST,	/* inputs: x; each pixel repeated @kernel[0]
					 * times down and @kernel[1] across (ONNX
					 * Resize, nearest, integer scales), the same
					 * scale and zero point, as device copies */
	NPU_OP_PAD,		/* inputs: x; @pad (top, left, bottom, right)
				 * pixels of real 0 (the zero point) around
				 * it, the same scale and zero point */
	NPU_OP_TRANSPOSE,	/* inputs: x; out[i0][i1][i2][i3] with dim k
				 * of the output dim @perm[k] of x, the same
				 * scale and zero point (one device copy) */
	NPU_OP_LAYER_NORM,	/* inputs: x, scale, bias (float32 constants
				 * of C, bias optional); over C, epsilon
				 * @alpha, on the CPU (float32 or int8) */
};

/** enum npu_function - element-wise functions of %NPU_OP_FUNCTION (ONNX names) */
enum npu_function {
	NPU_FN_SIGMOID,
	NPU_FN_TANH,
	NPU_FN_EXP,
	NPU_FN_ABS,
	NPU_FN_NEG,
	NPU_FN_SQRT,
	NPU_FN_ERF,
	NPU_FN_LEAKY_RELU,	/* x < 0 ? alpha * x : x */
	NPU_FN_HARD_SIGMOID,	/* max(0, min(1, alpha * x + beta)) */
	NPU_FN_HARD_SWISH,	/* x * max(0, min(1, x / 6 + 1 / 2)) */
	NPU_FN_ELU,		/* x < 0 ? alpha * (exp(x) - 1) : x */
	NPU_FN_SOFTPLUS,	/* log(1 + exp(x)) */
	NPU_FN_GELU,		/* x / 2 * (1 + erf(x / sqrt 2)) */
	NPU_FN_GELU_TANH,	/* x / 2 * (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) */
	NPU_FN_COUNT
};

/**
 * struct npu_op_info - an operation of the graph
 * @type: what it computes
 * @name: for error messages (copied)
 * @inputs: tensor ids (-1 for an absent optional input)
 * @output: tensor id of the result
 * @kernel: pooling window (KH, KW); convolutions take it from the weights
 * @stride: (SH, SW), 0 means 1
 * @dilation: (DH, DW), 0 means 1
 * @pad: top, left, bottom, right
 * @groups: convolution groups, 0 means 1
 * @act: fused activation
 * @clip: %NPU_ACT_CLIP's real bounds (lo, hi); lo may be -FLT_MAX, hi FLT_MAX
 * @rounding: enum qnpu_rounding of the requantization (0: TFLite double)
 * @fn: %NPU_OP_FUNCTION: which function
 * @alpha: its first parameter, where it has one
 * @beta: its second parameter
 * @perm: %NPU_OP_TRANSPOSE: the input dim each output dim is (all 0: none)
 */
struct npu_op_info {
	enum npu_op_type type;
	const char *name;
	int inputs[3];
	int output;
	uint32_t kernel[2];
	uint32_t stride[2];
	uint32_t dilation[2];
	uint32_t pad[4];
	uint32_t groups;
	enum npu_activation act;
	float clip[2];
	int rounding;
	enum npu_function fn;
	float alpha, beta;
	uint32_t perm[4];
};

/** struct npu_graph - a graph under construction (opaque) */
struct npu_graph;

NPU_API int npu_graph_new(struct npu_graph **out);
NPU_API void npu_graph_free(struct npu_graph *g);

/** npu_graph_tensor() - add a tensor; *id is its id */
NPU_API int npu_graph_tensor(struct npu_graph *g,
			     const struct npu_tensor_info *t, int *id);

/**
 * npu_graph_op() - append an operation; operations run in the order they
 *	are added, so inputs must be graph inputs, constants or outputs of
 *	earlier operations
 */
NPU_API int npu_graph_op(struct npu_graph *g, const struct npu_op_info *op);

/** npu_graph_io() - declare the graph's inputs and outputs */
NPU_API int npu_graph_io(struct npu_graph *g, const int *inputs, size_t ninputs,
			 const int *outputs, size_t noutputs);

/**
 * npu_graph_error() - why the last call on @g failed, naming the tensor or
 *	op and the reason ("" when nothing failed)
 */
NPU_API const char *npu_graph_error(const struct npu_graph *g);

/* ---- programs ------------------------------------------------------ */

/** struct npu_program - a compiled graph (opaque) */
struct npu_program;

/**
 * npu_compile() - compile a graph for the qnpu device
 * @g: the graph (npu_graph_error() explains a failure)
 * @out: the program
 *
 * Packs weights in the device layout, folds input zero points into the
 * biases, builds per-channel requantization, fuses activations, plans
 * the activation memory with buffer reuse by liveness, and leaves
 * quantize/dequantize/softmax to the CPU between device segments.
 */
NPU_API int npu_compile(struct npu_graph *g, struct npu_program **out);

/**
 * struct npu_compile_opts - how to compile
 * @sram_bytes: on-chip SRAM to tile for (0: 1 MiB, the device default);
 *	a convolution whose input, weights and output do not fit is split
 *	into bands of output rows that do
 */
struct npu_compile_opts {
	uint64_t sram_bytes;
};

/** npu_compile_with() - npu_compile() with options (NULL: defaults) */
NPU_API int npu_compile_with(struct npu_graph *g,
			     const struct npu_compile_opts *opts,
			     struct npu_program **out);
NPU_API void npu_program_free(struct npu_program *p);

/** npu_program_save() - write a program to a versioned file */
NPU_API int npu_program_save(const struct npu_program *p, const char *path);

/** npu_program_load() - read a file written by npu_program_save() */
NPU_API int npu_program_load(const char *path, struct npu_program **out);

/**
 * npu_program_set_note() - attach @size bytes (at most 1 MiB; 0 removes
 *	them) that the program carries through save and load, unread by the
 *	executors: what its inputs and outputs mean to the application (the
 *	ONNX importer's signature, npu_onnx_program_set_signature())
 */
NPU_API int npu_program_set_note(struct npu_program *p, const void *data, size_t size);

/** npu_program_note() - the attached bytes and their *size; NULL if none */
NPU_API const void *npu_program_note(const struct npu_program *p, size_t *size);

/**
 * struct npu_program_stats - what a program holds
 * @device_ops: operations for the device (its BARRIERs not counted)
 * @cpu_ops: operations left to the CPU
 * @weight_bytes: packed weights, biases and requantization parameters
 * @arena_bytes: activation memory after buffer reuse
 * @arena_bytes_unshared: what it would be without reuse
 */
struct npu_program_stats {
	uint32_t device_ops;
	uint32_t cpu_ops;
	uint64_t weight_bytes;
	uint64_t arena_bytes;
	uint64_t arena_bytes_unshared;
};

NPU_API int npu_program_stats(const struct npu_program *p,
			      struct npu_program_stats *st);

/* ---- executors ----------------------------------------------------- */

/** enum npu_executor_kind - where a program runs */
enum npu_executor_kind {
	NPU_EXEC_NPU,	/* the device, through the kernel driver */
	NPU_EXEC_REF,	/* the plain CPU reference */
	NPU_EXEC_EMU,	/* the emulator core in process (libnpu-emu.so.0,
			 * or the file $NPU_EMU_PLUGIN names); no VM needed */
};

/** struct npu_executor - a program loaded for running (opaque) */
struct npu_executor;

/**
 * npu_executor_new() - prepare @p to run on @kind
 * @p: the program (must outlive the executor)
 * @kind: where
 * @dev: the device, for NPU_EXEC_NPU; NULL otherwise
 * @out: the executor
 *
 * NPU_EXEC_EMU computes on $NPU_EMU_WORKERS host threads (1 to 64; 1 when
 * unset), as the device model's "workers" property does in QEMU.
 *
 * Return: 0; -ENOENT when NPU_EXEC_EMU cannot find its plugin, -EINVAL
 * when $NPU_EMU_WORKERS is not a count from 1 to 64.
 */
NPU_API int npu_executor_new(const struct npu_program *p,
			     enum npu_executor_kind kind, struct npu_device *dev,
			     struct npu_executor **out);
NPU_API void npu_executor_free(struct npu_executor *e);

/**
 * npu_executor_run() - run once
 * @e: the executor
 * @inputs: one buffer per graph input, in npu_graph_io() order, holding
 *	the input's elements (NHWC, dense)
 * @outputs: one buffer per graph output
 * @result: the device's status of the failing segment, or OK, and the
 *	modelled device cycles of all the run's device segments (may be NULL)
 *
 * Return: 0, or a negative error; a job that the device fails gives
 * -EIO with @result saying why.
 */
NPU_API int npu_executor_run(struct npu_executor *e, const void *const *inputs,
			     void *const *outputs, struct npu_job_result *result);

/**
 * npu_executor_io() - where an NPU executor keeps a graph input or output
 * @e: an executor of kind %NPU_EXEC_NPU
 * @output: 0 for input @index, 1 for output @index
 * @index: which one, in npu_graph_io() order
 * @buf: the device buffer that holds it (the executor's, alive as long as @e)
 * @offset: its byte offset in @buf (NHWC, dense)
 * @bytes: its size (may be NULL)
 *
 * For apps that chain programs on the device: another job reads an output
 * or writes an input in place (a COPY, or an imported dma-buf's producer).
 *
 * Return: 0; -EINVAL for another kind of executor or an index out of range.
 */
NPU_API int npu_executor_io(struct npu_executor *e, int output, uint32_t index,
			    struct npu_buffer **buf, uint64_t *offset, uint64_t *bytes);

/**
 * npu_executor_submit() - queue one run on the device, without waiting
 * @e: an executor of kind %NPU_EXEC_NPU whose inputs are in place
 *	(npu_executor_io())
 * @wait: fences the run waits for (other programs', other jobs')
 * @nwait: entries of @wait
 * @signal: fence the run signals when its last job ends, or NULL
 * @id: the last job's id, for npu_wait() (may be NULL)
 *
 * The program's device segments are queued one after the other, each
 * waiting for the one before; the CPU is not involved until someone waits.
 * Only for programs that are device work alone: int8 or int32 inputs and
 * outputs, no CPU step (npu_program_stats().cpu_ops == 0).
 *
 * Return: 0; -EOPNOTSUPP for a program with CPU steps or uint8 inputs or
 * outputs (npu_executor_run() runs those); an npu_submit() error.
 */
NPU_API int npu_executor_submit(struct npu_executor *e, struct npu_fence *const *wait,
				size_t nwait, struct npu_fence *signal, uint64_t *id);

#ifdef __cplusplus
}
#endif

#endif /* NPU_GRAPH_H */
