/* SPDX-License-Identifier: MIT */
/*
 * libnpu: the program format (internal to program/, compile/ and exec/).
 *
 * A program is a set of command buffers (one per run of device ops),
 * a weights blob, an activation arena plan and the CPU steps between
 * device segments. Addresses in the command buffers are written as
 * region-relative offsets; each executor relocates them to where it put
 * the regions.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_PROGRAM_H
#define NPU_PROGRAM_H

#include <stdbool.h>
#include <stdint.h>

#include "npu/graph.h"

#define NPU_PROGRAM_MAGIC	0x50555051u	/* "QPUP" */
#define NPU_PROGRAM_VERSION	3	/* 3: a note; 2 (none) still read */
#define NPU_PROGRAM_MAX_NOTE	(1u << 20)

enum npu_region {
	NPU_REGION_WEIGHTS = 0,
	NPU_REGION_ARENA = 1,
	NPU_REGION_COUNT
};

/* Where the reference executor places the regions (any distinct VAs). */
#define NPU_REF_REGION_BASE(r)	((uint64_t)((r) + 1) << 32)

struct npu_reloc {
	uint32_t offset;	/* of a little-endian u64 in the cmdbuf blob */
	uint32_t region;	/* enum npu_region */
};

enum npu_step_kind {
	NPU_STEP_DEVICE,
	NPU_STEP_QUANTIZE,
	NPU_STEP_DEQUANTIZE,
	NPU_STEP_SOFTMAX,
	NPU_STEP_CONV,		/* a convolution with wide weights, exact */
	NPU_STEP_DYNAMIC_QUANTIZE,
	NPU_STEP_DYNAMIC_SCALE,
	NPU_STEP_DYNAMIC_ZERO_POINT,
	NPU_STEP_FUNCTION,	/* enum npu_function @fn, in float */
	NPU_STEP_AVGPOOL,	/* a padded average pool that requantizes */
	NPU_STEP_LAYER_NORM,	/* over @inner, epsilon @alpha, scale and bias
				 * (2 x @inner floats) at @params_offset */
};

struct npu_step {
	uint32_t kind;		/* enum npu_step_kind */
	uint32_t cb_offset;	/* device: command buffer in the blob */
	uint32_t cb_size;
	uint32_t ndesc;
	uint64_t in_offset;	/* CPU steps: arena offsets */
	uint64_t out_offset;
	uint64_t count;		/* elements */
	uint32_t inner;		/* softmax and per-channel (de)quantize: C */
	uint32_t per_channel;	/* (de)quantize: parameters at params_offset */
	float scale;		/* quantize/dequantize parameters; softmax: */
	int32_t zero_point;	/* of its int8 output (when out_q) */
	float in_scale;		/* softmax of int8 input (when in_q) */
	int32_t in_zero_point;
	uint32_t in_q, out_q;	/* softmax: int8 at the seams, else float */
	uint64_t params_offset;	/* in the weights: per-channel (de)quantize
				 * parameters (struct npu_channel_q), or the
				 * struct qnpu_desc_conv2d of a CPU conv */
	uint32_t fn;		/* NPU_STEP_FUNCTION */
	float alpha, beta;
	uint32_t reserved;
};

/* A per-channel quantize/dequantize parameter pair (weights blob). */
struct npu_channel_q {
	float scale;
	int32_t zero_point;	/* as stored: uint8 shifted by -128 */
};

struct npu_io {
	uint64_t offset;	/* in the arena */
	uint64_t bytes;
	uint32_t elem;		/* enum npu_elem; UINT8 is int8 + 128 inside */
	uint32_t shape[4];
	float scale;
	int32_t zero_point;
};

struct npu_program {
	uint8_t *cmdbuf;
	uint32_t cmdbuf_size;
	struct npu_reloc *relocs;
	uint32_t nrelocs;
	uint8_t *weights;
	uint64_t weights_size;
	uint64_t arena_size;
	uint64_t arena_unshared;
	struct npu_step *steps;
	uint32_t nsteps;
	struct npu_io *inputs;
	uint32_t ninputs;
	struct npu_io *outputs;
	uint32_t noutputs;
	uint32_t device_ops;
	uint32_t cpu_ops;
	void *note;		/* npu_program_set_note() */
	uint32_t note_size;
};

#endif /* NPU_PROGRAM_H */
