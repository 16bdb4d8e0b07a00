/* SPDX-License-Identifier: MIT */
/*
 * libnpu: the graph under construction (internal). The public API builds it
 * (npu/graph.h); the compiler reads it.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_GRAPH_INTERNAL_H
#define NPU_GRAPH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "npu/graph.h"

struct npu_gtensor {
	char name[64];
	enum npu_elem elem;	/* UINT8 tensors are stored as INT8 here */
	bool uint8;		/* ...and flagged, for the graph's edges */
	uint32_t shape[4];
	uint32_t qcount;
	float *scales;
	int32_t *zero_points;
	void *data;
	size_t bytes;
};

struct npu_gop {
	struct npu_op_info info;
	char name[64];
};

struct npu_graph {
	struct npu_gtensor *tensors;
	int ntensors;
	struct npu_gop *ops;
	int nops;
	int *inputs, *outputs;
	int ninputs, noutputs;
	char error[256];
};

int npu_graph_fail(struct npu_graph *g, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
size_t npu_elem_size(enum npu_elem e);
uint64_t npu_shape_count(const uint32_t shape[4]);

#endif /* NPU_GRAPH_INTERNAL_H */
