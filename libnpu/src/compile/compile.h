/* SPDX-License-Identifier: MIT */
/*
 * libnpu: the compiler's internals, shared by the files of compile/.
 *
 * A compile runs in passes over a copy of the graph's op list: every op is
 * checked against its description (ops.c), standalone activations are fused
 * into their producers and the activation memory is planned (plan.c), then
 * each op is lowered, in order, to device descriptors in command-buffer
 * segments or to CPU steps between them (emit.c holds what lowering shares;
 * one file per op family does the rest).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_COMPILE_H
#define NPU_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph/graph.h"
#include "program/program.h"
#include "ref/ref.h"

#define ARENA_ALIGN	64
#define WEIGHTS_ALIGN	64
#define DEVICE_MAX_WINDOW	255	/* kernel, stride, dilation (hardware.md 13) */

/* A growable byte buffer. */
struct blob {
	uint8_t *data;
	size_t size, cap;
};

struct npu_compiler {
	struct npu_graph *g;
	struct blob cmd, weights;
	struct npu_reloc *relocs;
	uint32_t nrelocs, reloc_cap;
	struct npu_step *steps;
	uint32_t nsteps;
	int seg;		/* open device segment step, or -1 */
	uint64_t *offset;	/* arena offset per tensor (activations) */
	int *storage;		/* tensor whose memory a tensor uses */
	int *last_use;
	uint64_t arena, unshared;
	uint32_t device_ops, cpu_ops;
	uint64_t sram;		/* bytes a tiled layer must fit in */
	bool *written;		/* per storage tensor: written in segment written_seg
				 * since its last BARRIER (hardware.md 10.4) */
	int written_seg;
};

/* ---- the op table (ops.c) ---- */

/* Attributes of struct npu_op_info an op reads; the others must be 0. */
enum npu_op_attr {
	NPU_ATTR_KERNEL		= 1 << 0,
	NPU_ATTR_STRIDE		= 1 << 1,
	NPU_ATTR_DILATION	= 1 << 2,
	NPU_ATTR_PAD		= 1 << 3,
	NPU_ATTR_GROUPS		= 1 << 4,
	NPU_ATTR_ACT		= 1 << 5,
	NPU_ATTR_ROUNDING	= 1 << 6,
	NPU_ATTR_FN		= 1 << 7,	/* fn, alpha, beta */
	NPU_ATTR_PERM		= 1 << 8,
	NPU_ATTR_EPSILON	= 1 << 9,	/* alpha alone */
};

/**
 * struct npu_op_desc - everything the compiler knows of one graph op
 * @name: in messages and docs
 * @min_inputs: operands that must be given (inputs[0..min-1])
 * @max_inputs: operands it reads; inputs past these must be -1
 * @attrs: enum npu_op_attr it honours; any other field set to a value
 *	that would change the result is refused (npu_op_check())
 * @device_op: the QNPU_OP_* descriptor it lowers to (0: none), whose
 *	arithmetic the reference (ref/) and the emulator implement
 * @cpu_step: the NPU_STEP_* it runs as on the CPU, or falls back to when
 *	the device cannot run it exactly (0: none)
 * @check: legality: operand types, quantization and shapes (NULL: none
 *	beyond the above); fails through npu_graph_fail()
 * @lower: emit its descriptors or CPU steps
 */
struct npu_op_desc {
	const char *name;
	uint8_t min_inputs, max_inputs;
	uint32_t attrs;
	uint32_t device_op;
	uint32_t cpu_step;
	int (*check)(struct npu_compiler *c, const struct npu_gop *op);
	int (*lower)(struct npu_compiler *c, const struct npu_gop *op);
};

/* The description of @type, NULL for a value outside enum npu_op_type. */
const struct npu_op_desc *npu_op_desc(enum npu_op_type type);
/* @op against its description: type, operand count, attributes, legality. */
int npu_op_check(struct npu_compiler *c, const struct npu_gop *op);

/* ---- passes (plan.c) ---- */

int npu_fuse_activations(struct npu_graph *g, struct npu_gop *ops, int nops);
int npu_plan_memory(struct npu_compiler *c);

/* ---- what lowering shares (emit.c) ---- */

int npu_blob_add(struct blob *b, const void *src, size_t len, size_t align,
		 uint64_t *off);
void npu_close_segment(struct npu_compiler *c);
int npu_add_cpu_step(struct npu_compiler *c, const struct npu_step *step);
/* A BARRIER in the open segment: later descriptors see earlier writes. */
int npu_emit_barrier(struct npu_compiler *c);

/* A descriptor's address field and the region it is relative to. */
struct reloc_spec {
	size_t field;		/* offsetof() in the descriptor */
	uint32_t region;	/* enum npu_region */
	bool when;		/* false: the field holds no address */
};

#define ARENA(type, f)		{ offsetof(type, f), NPU_REGION_ARENA, true }
#define WEIGHTS(type, f, w)	{ offsetof(type, f), NPU_REGION_WEIGHTS, (w) }

/* Append a descriptor to the open segment and relocate its @n fields @r. */
int npu_emit_relocated(struct npu_compiler *c, const void *desc, size_t size,
		       const struct reloc_spec *r, size_t n);
/* A tensor descriptor for graph tensor @t (@shape: its own when NULL). */
struct qnpu_tensor npu_arena_tensor(struct npu_compiler *c, int t,
				    const uint32_t *shape);
int npu_requant_of(struct npu_compiler *c, const struct npu_gop *op, double real_in,
		   double total, const struct npu_gtensor *w, const struct npu_gtensor *out,
		   struct qnpu_requant *rq, uint64_t *params_off);
int npu_output_bounds(struct npu_compiler *c, const struct npu_gop *op,
		   const struct npu_gtensor *out, int32_t *lo, int32_t *hi);
/* int8, one scale and zero point. */
bool npu_quantized8(const struct npu_gtensor *t);
/* An INT32 activation without quantization: raw accumulators. */
bool npu_raw_out(const struct npu_gtensor *t);
bool npu_same_shape(const struct npu_gtensor *a, const struct npu_gtensor *b);

/* The operand @k of @op, NULL when absent. */
static inline const struct npu_gtensor *npu_operand(const struct npu_compiler *c,
						    const struct npu_gop *op, int k)
{
	return op->info.inputs[k] >= 0 ? &c->g->tensors[op->info.inputs[k]] : NULL;
}

/* The output of @op. */
static inline const struct npu_gtensor *npu_result(const struct npu_compiler *c,
						   const struct npu_gop *op)
{
	return &c->g->tensors[op->info.output];
}

/* ---- lowering, by op family ---- */

/* conv.c: CONV2D and FULLY_CONNECTED, with the CPU fallback for wide weights */
int npu_check_conv(struct npu_compiler *c, const struct npu_gop *op);
int npu_lower_conv(struct npu_compiler *c, const struct npu_gop *op);
/* tile.c: a convolution descriptor, in bands of rows when it overflows the SRAM */
int npu_emit_conv_tiles(struct npu_compiler *c, const struct qnpu_desc_conv2d *d,
			uint64_t wbytes, bool params);
int npu_pack_conv(struct npu_compiler *c, const char *op, const int8_t *ohwi,
		  const void *bias, uint32_t cout, uint32_t kh, uint32_t kw,
		  uint32_t cin, uint32_t groups, int32_t input_zero_point,
		  uint64_t *w_off, uint64_t *b_off, size_t *wbytes);
/* pool.c */
int npu_check_pool(struct npu_compiler *c, const struct npu_gop *op);
int npu_lower_pool(struct npu_compiler *c, const struct npu_gop *op);
/* eltwise.c: ADD, MUL, RESCALE */
int npu_check_eltwise(struct npu_compiler *c, const struct npu_gop *op);
int npu_lower_eltwise(struct npu_compiler *c, const struct npu_gop *op);
int npu_check_rescale(struct npu_compiler *c, const struct npu_gop *op);
int npu_lower_rescale(struct npu_compiler *c, const struct npu_gop *op);
/* matmul.c */
int npu_check_matmul(struct npu_compiler *c, const struct npu_gop *op);
int npu_lower_matmul(struct npu_compiler *c, const struct npu_gop *op);
/* data.c: CONCAT, RESHAPE */
int npu_check_concat(struct npu_compiler *c, const struct npu_gop *op);
int npu_lower_concat(struct npu_compiler *c, const struct npu_gop *op);
int npu_check_reshape(struct npu_compiler *c, const struct npu_gop *op);
int npu_check_channel_gather(struct npu_compiler *c, const struct npu_gop *op);
int npu_lower_channel_gather(struct npu_compiler *c, const struct npu_gop *op);
int npu_check_upsample(struct npu_compiler *c, const struct npu_gop *op);
int npu_lower_upsample(struct npu_compiler *c, const struct npu_gop *op);
int npu_check_pad(struct npu_compiler *c, const struct npu_gop *op);
int npu_lower_pad(struct npu_compiler *c, const struct npu_gop *op);
int npu_check_transpose(struct npu_compiler *c, const struct npu_gop *op);
int npu_lower_transpose(struct npu_compiler *c, const struct npu_gop *op);
int npu_lower_reshape(struct npu_compiler *c, const struct npu_gop *op);
/* cpu.c: the ops that run on the CPU */
int npu_check_quantize(struct npu_compiler *c, const struct npu_gop *op);
int npu_lower_quantize(struct npu_compiler *c, const struct npu_gop *op);
int npu_check_dequantize(struct npu_compiler *c, const struct npu_gop *op);
int npu_lower_dequantize(struct npu_compiler *c, const struct npu_gop *op);
int npu_check_dynamic(struct npu_compiler *c, const struct npu_gop *op);
int npu_lower_dynamic(struct npu_compiler *c, const struct npu_gop *op);
int npu_check_float_fn(struct npu_compiler *c, const struct npu_gop *op);
int npu_check_layer_norm(struct npu_compiler *c, const struct npu_gop *op);
int npu_lower_layer_norm(struct npu_compiler *c, const struct npu_gop *op);
int npu_lower_float_fn(struct npu_compiler *c, const struct npu_gop *op);

#endif /* NPU_COMPILE_H */
