/* SPDX-License-Identifier: MIT */
/*
 * qnpu command-buffer format, version 1.
 *
 * A command buffer is what userspace (a compiler such as libnpu) writes
 * and the device executes; the kernel passes it through untouched and
 * reports the status the device gives it. docs/hardware.md describes
 * every field; docs/arithmetic.md the arithmetic each op performs.
 *
 * All fields are little-endian. Every structure has a fixed size that is
 * a multiple of 8 bytes; reserved fields must be zero.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef QNPU_CMDBUF_H
#define QNPU_CMDBUF_H

#include <linux/types.h>

#define QNPU_CMDBUF_MAGIC		0x42434e51	/* "QNCB" in memory */
#define QNPU_CMDBUF_VERSION		1
#define QNPU_CMDBUF_ALIGN		8

/**
 * struct qnpu_cmdbuf_header - start of every command buffer
 * @magic: %QNPU_CMDBUF_MAGIC
 * @version: command-buffer format version, %QNPU_CMDBUF_VERSION
 * @flags: must be zero
 * @size: total size in bytes, header included; equal to the job's size
 * @count: number of descriptors that follow
 * @reserved: must be zero
 */
struct qnpu_cmdbuf_header {
	__u32 magic;
	__u16 version;
	__u16 flags;
	__u32 size;
	__u32 count;
	__u64 reserved[2];
};

/**
 * enum qnpu_op - operation codes of descriptors
 * @QNPU_OP_NOP: does nothing; its payload is ignored (padding)
 * @QNPU_OP_BARRIER: later descriptors see every write of earlier ones
 * @QNPU_OP_COPY: strided tensor copy (also broadcast, with stride 0)
 * @QNPU_OP_CONV2D: 2-D convolution, grouped and depthwise included
 * @QNPU_OP_FULLY_CONNECTED: rows x packed weights
 * @QNPU_OP_MATMUL: product of two activation tensors
 * @QNPU_OP_MAXPOOL: max pooling
 * @QNPU_OP_AVGPOOL: average pooling over valid taps
 * @QNPU_OP_ADD: element-wise add with per-input rescale
 * @QNPU_OP_MUL: element-wise multiply
 * @QNPU_OP_LUT: element-wise table lookup, int8 to int8 (activation
 *	functions)
 * @QNPU_OP_COUNT: number of operation codes
 */
enum qnpu_op {
	QNPU_OP_NOP = 0,
	QNPU_OP_BARRIER = 1,
	QNPU_OP_COPY = 2,
	QNPU_OP_CONV2D = 3,
	QNPU_OP_FULLY_CONNECTED = 4,
	QNPU_OP_MATMUL = 5,
	QNPU_OP_MAXPOOL = 6,
	QNPU_OP_AVGPOOL = 7,
	QNPU_OP_ADD = 8,
	QNPU_OP_MUL = 9,
	QNPU_OP_LUT = 10,
	QNPU_OP_COUNT
};

/**
 * struct qnpu_desc_header - start of every descriptor
 * @op: &enum qnpu_op
 * @version: descriptor version, 1
 * @flags: must be zero
 * @size: bytes of the whole descriptor, header included; equal to the
 *	size of the op's structure (%QNPU_OP_NOP: any multiple of 8)
 */
struct qnpu_desc_header {
	__u16 op;
	__u8 version;
	__u8 flags;
	__u32 size;
};

/**
 * enum qnpu_dtype - element types
 * @QNPU_DTYPE_INT8: signed 8-bit
 * @QNPU_DTYPE_INT32: signed 32-bit (raw accumulators, bias)
 */
enum qnpu_dtype {
	QNPU_DTYPE_INT8 = 1,
	QNPU_DTYPE_INT32 = 2,
};

/**
 * struct qnpu_tensor - a strided 4-D tensor in device memory
 * @addr: device virtual address of element [0][0][0][0]
 * @dim: extent of N, H, W, C; each 1..CAP_MAX_DIM
 * @stride: byte distance between neighbours along N, H, W, C; 0 repeats
 *	(broadcast, inputs only)
 * @dtype: &enum qnpu_dtype
 * @reserved: must be zero
 */
struct qnpu_tensor {
	__u64 addr;
	__u32 dim[4];
	__u32 stride[4];
	__u8 dtype;
	__u8 reserved[7];
};

/**
 * enum qnpu_rounding - requantization rounding modes
 * @QNPU_ROUND_DOUBLE: gemmlowp doubling high multiply, then rounding
 *	divide by a power of two (TFLite's default)
 * @QNPU_ROUND_SINGLE: one rounding of the 64-bit product
 *	(TFLITE_SINGLE_ROUNDING)
 */
enum qnpu_rounding {
	QNPU_ROUND_DOUBLE = 0,
	QNPU_ROUND_SINGLE = 1,
};

/**
 * struct qnpu_channel_requant - one output channel's multiplier
 * @multiplier: Q31 multiplier, 0..2^31-1
 * @shift: power-of-two exponent, -31..30
 */
struct qnpu_channel_requant {
	__s32 multiplier;
	__s32 shift;
};

/**
 * struct qnpu_requant - int32 accumulator to int8 output
 * @channel_params: device VA of C &struct qnpu_channel_requant (one per
 *	output channel), or 0 for the per-tensor @multiplier and @shift
 * @multiplier: per-tensor Q31 multiplier, 0..2^31-1
 * @shift: per-tensor exponent, -31..30
 * @output_zero_point: added after scaling, -128..127
 * @act_min: lower clamp, -128..@act_max
 * @act_max: upper clamp, @act_min..127
 * @rounding: &enum qnpu_rounding
 * @reserved: must be zero
 */
struct qnpu_requant {
	__u64 channel_params;
	__s32 multiplier;
	__s32 shift;
	__s32 output_zero_point;
	__s32 act_min;
	__s32 act_max;
	__u8 rounding;
	__u8 reserved[3];
};

/**
 * struct qnpu_desc_copy - %QNPU_OP_COPY
 * @hdr: descriptor header
 * @src: source tensor
 * @dst: destination tensor; same dims and dtype as @src
 */
struct qnpu_desc_copy {
	struct qnpu_desc_header hdr;
	struct qnpu_tensor src;
	struct qnpu_tensor dst;
};

/**
 * struct qnpu_desc_conv2d - %QNPU_OP_CONV2D
 * @hdr: descriptor header
 * @input: NHWC int8 input
 * @output: NHWC int8 output (int32 when no requantization is wanted)
 * @weights: device VA of the packed weights (docs/hardware.md, "Weight
 *	layout")
 * @bias: device VA of C_out int32 biases (input zero point folded in),
 *	or 0 for zeros
 * @kernel_h: kernel height
 * @kernel_w: kernel width
 * @stride_h: vertical stride, >= 1
 * @stride_w: horizontal stride, >= 1
 * @dilation_h: vertical dilation, >= 1
 * @dilation_w: horizontal dilation, >= 1
 * @pad_top: rows of padding above
 * @pad_left: columns of padding left
 * @pad_bottom: rows of padding below
 * @pad_right: columns of padding right
 * @groups: input and output channels both divide by it
 * @input_zero_point: value of padding taps, -128..127
 * @reserved: must be zero
 * @requant: output requantization
 */
struct qnpu_desc_conv2d {
	struct qnpu_desc_header hdr;
	struct qnpu_tensor input;
	struct qnpu_tensor output;
	__u64 weights;
	__u64 bias;
	__u16 kernel_h;
	__u16 kernel_w;
	__u16 stride_h;
	__u16 stride_w;
	__u16 dilation_h;
	__u16 dilation_w;
	__u16 pad_top;
	__u16 pad_left;
	__u16 pad_bottom;
	__u16 pad_right;
	__u32 groups;
	__s32 input_zero_point;
	__u32 reserved;
	struct qnpu_requant requant;
};

/**
 * struct qnpu_desc_fc - %QNPU_OP_FULLY_CONNECTED
 * @hdr: descriptor header
 * @input: rows N*H*W of K = C int8 values
 * @output: rows N*H*W of C_out values
 * @weights: device VA of packed weights, C_out x K
 * @bias: device VA of C_out int32 biases (zero point folded), or 0
 * @input_zero_point: -128..127 (informative; folded into @bias)
 * @reserved: must be zero
 * @requant: output requantization
 */
struct qnpu_desc_fc {
	struct qnpu_desc_header hdr;
	struct qnpu_tensor input;
	struct qnpu_tensor output;
	__u64 weights;
	__u64 bias;
	__s32 input_zero_point;
	__u32 reserved;
	struct qnpu_requant requant;
};

/**
 * struct qnpu_desc_matmul - %QNPU_OP_MATMUL
 * @hdr: descriptor header
 * @a: [N][H][M][K] int8
 * @b: [N][H][K][P] int8 (stride 0 broadcasts over N or H)
 * @output: [N][H][M][P]
 * @bias: device VA of P int32 biases, or 0
 * @a_zero_point: subtracted from every element of @a
 * @b_zero_point: subtracted from every element of @b
 * @requant: output requantization, per tensor
 */
struct qnpu_desc_matmul {
	struct qnpu_desc_header hdr;
	struct qnpu_tensor a;
	struct qnpu_tensor b;
	struct qnpu_tensor output;
	__u64 bias;
	__s32 a_zero_point;
	__s32 b_zero_point;
	struct qnpu_requant requant;
};

/**
 * struct qnpu_desc_pool - %QNPU_OP_MAXPOOL and %QNPU_OP_AVGPOOL
 * @hdr: descriptor header
 * @input: NHWC int8
 * @output: NHWC int8, same C and quantization as @input
 * @kernel_h: window height
 * @kernel_w: window width
 * @stride_h: vertical stride, >= 1
 * @stride_w: horizontal stride, >= 1
 * @pad_top: rows of padding above (never part of the result)
 * @pad_left: columns of padding left
 * @pad_bottom: rows of padding below
 * @pad_right: columns of padding right
 * @act_min: lower clamp
 * @act_max: upper clamp
 */
struct qnpu_desc_pool {
	struct qnpu_desc_header hdr;
	struct qnpu_tensor input;
	struct qnpu_tensor output;
	__u16 kernel_h;
	__u16 kernel_w;
	__u16 stride_h;
	__u16 stride_w;
	__u16 pad_top;
	__u16 pad_left;
	__u16 pad_bottom;
	__u16 pad_right;
	__s32 act_min;
	__s32 act_max;
};

/**
 * struct qnpu_desc_eltwise - %QNPU_OP_ADD and %QNPU_OP_MUL
 * @hdr: descriptor header
 * @input1: int8
 * @input2: int8, same dims as @input1 (stride 0 broadcasts); for
 *	%QNPU_OP_ADD an address of 0 means a single input (a rescale)
 * @output: int8
 * @input1_zero_point: -128..127
 * @input2_zero_point: -128..127
 * @input1_multiplier: ADD: Q31 rescale of input 1; MUL: must be zero
 * @input1_shift: ADD: -31..0; MUL: must be zero
 * @input2_multiplier: ADD: Q31 rescale of input 2; MUL: must be zero
 * @input2_shift: ADD: -31..0; MUL: must be zero
 * @left_shift: ADD: 0..20 (20 as TFLite); MUL: must be zero
 * @reserved: must be zero
 * @requant: output requantization, per tensor
 */
struct qnpu_desc_eltwise {
	struct qnpu_desc_header hdr;
	struct qnpu_tensor input1;
	struct qnpu_tensor input2;
	struct qnpu_tensor output;
	__s32 input1_zero_point;
	__s32 input2_zero_point;
	__s32 input1_multiplier;
	__s32 input1_shift;
	__s32 input2_multiplier;
	__s32 input2_shift;
	__s32 left_shift;
	__u32 reserved;
	struct qnpu_requant requant;
};

/**
 * struct qnpu_desc_lut - %QNPU_OP_LUT
 * @hdr: descriptor header
 * @input: int8 (stride 0 broadcasts)
 * @output: int8, the input's dims
 * @table: device VA of 256 int8 entries; entry x + 128 is the output for
 *	input x
 * @reserved: must be zero
 */
struct qnpu_desc_lut {
	struct qnpu_desc_header hdr;
	struct qnpu_tensor input;
	struct qnpu_tensor output;
	__u64 table;
	__u64 reserved;
};

#define QNPU_LUT_ENTRIES		256

/*
 * Packed weights (conv2d other than depthwise, fully connected): blocks
 * of QNPU_WEIGHT_BLOCK_OC output channels by QNPU_WEIGHT_BLOCK_K taps,
 * the shape of one pass of the MAC array. See docs/hardware.md.
 */
#define QNPU_WEIGHT_BLOCK_OC		16
#define QNPU_WEIGHT_BLOCK_K		4

/**
 * enum qnpu_status - how a job ended (written by the device)
 * @QNPU_STATUS_OK: every descriptor ran
 * @QNPU_STATUS_INVALID_HEADER: bad magic, size or count
 * @QNPU_STATUS_UNSUPPORTED_VERSION: unknown buffer or descriptor version
 * @QNPU_STATUS_UNKNOWN_OP: unknown operation code
 * @QNPU_STATUS_INVALID_DESCRIPTOR: a field out of its range, non-zero
 *	reserved bytes, wrong descriptor size, inconsistent shapes
 * @QNPU_STATUS_LIMIT_EXCEEDED: a dimension or size over the device limits
 * @QNPU_STATUS_ACC_OVERFLOW: taps per output over CAP_MAX_K
 * @QNPU_STATUS_MMU_FAULT: an access the job's context does not map
 * @QNPU_STATUS_ABORTED: stopped by a device reset
 * @QNPU_STATUS_BAD_CONTEXT: the job names an invalid MMU context
 * @QNPU_STATUS_TIMEOUT: set by the driver, never by the device: the job
 *	did not end in time and the device was reset
 */
enum qnpu_status {
	QNPU_STATUS_OK = 0,
	QNPU_STATUS_INVALID_HEADER = 1,
	QNPU_STATUS_UNSUPPORTED_VERSION = 2,
	QNPU_STATUS_UNKNOWN_OP = 3,
	QNPU_STATUS_INVALID_DESCRIPTOR = 4,
	QNPU_STATUS_LIMIT_EXCEEDED = 5,
	QNPU_STATUS_ACC_OVERFLOW = 6,
	QNPU_STATUS_MMU_FAULT = 7,
	QNPU_STATUS_ABORTED = 8,
	QNPU_STATUS_BAD_CONTEXT = 9,
	QNPU_STATUS_TIMEOUT = 10,
};

#endif /* QNPU_CMDBUF_H */
