// SPDX-License-Identifier: MIT
/*
 * libnpu: the reference executor's descriptors: each device op a program
 * can hold, described once by the function that finds its operands in the
 * regions (a missing one is the device's MMU fault) and runs the plain CPU
 * reference of ref/ on them.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "exec.h"
#include "ref/ref.h"

/* Host address of [va, va + len) in one region, or NULL (a fault). */
static void *ref_addr(const struct npu_ref_mem *m, uint64_t va, uint64_t len)
{
	int r;

	for (r = 0; r < NPU_REGION_COUNT; r++) {
		if (va >= m->base[r] && va - m->base[r] <= m->size[r] &&
		    len <= m->size[r] - (va - m->base[r]))
			return m->host[r] + (va - m->base[r]);
	}
	return NULL;
}

static void *ref_tensor(const struct npu_ref_mem *m, const struct qnpu_tensor *t)
{
	return ref_addr(m, t->addr, npu_ref_tensor_span(t));
}

/* The per-channel parameters and bias of an op with @cout outputs. */
static bool ref_params(const struct npu_ref_mem *m, uint64_t bias, uint64_t channel_params,
		       uint32_t cout, void **b, void **cp)
{
	*b = bias ? ref_addr(m, bias, 4ull * cout) : NULL;
	*cp = channel_params ? ref_addr(m, channel_params, 8ull * cout) : NULL;
	return (!bias || *b) && (!channel_params || *cp);
}

static int run_conv2d(const struct npu_ref_mem *m, const uint8_t *p)
{
	struct qnpu_desc_conv2d d;
	void *x, *y, *w, *b, *cp;

	memcpy(&d, p, sizeof(d));
	x = ref_tensor(m, &d.input);
	y = ref_tensor(m, &d.output);
	w = ref_addr(m, d.weights, npu_ref_weight_bytes(d.output.dim[3], d.kernel_h, d.kernel_w,
							 d.input.dim[3], d.groups));
	if (!ref_params(m, d.bias, d.requant.channel_params, d.output.dim[3], &b, &cp) ||
	    !x || !y || !w)
		return -EFAULT;
	return npu_ref_conv2d(&d, x, y, w, b, cp);
}

static int run_fc(const struct npu_ref_mem *m, const uint8_t *p)
{
	struct qnpu_desc_fc d;
	void *x, *y, *w, *b, *cp;

	memcpy(&d, p, sizeof(d));
	x = ref_tensor(m, &d.input);
	y = ref_tensor(m, &d.output);
	w = ref_addr(m, d.weights, npu_ref_weight_bytes(d.output.dim[3], 1, 1, d.input.dim[3], 1));
	if (!ref_params(m, d.bias, d.requant.channel_params, d.output.dim[3], &b, &cp) ||
	    !x || !y || !w)
		return -EFAULT;
	return npu_ref_fc(&d, x, y, w, b, cp);
}

static int run_pool(const struct npu_ref_mem *m, const uint8_t *p)
{
	struct qnpu_desc_pool d;
	void *x, *y;

	memcpy(&d, p, sizeof(d));
	x = ref_tensor(m, &d.input);
	y = ref_tensor(m, &d.output);
	if (!x || !y)
		return -EFAULT;
	return d.hdr.op == QNPU_OP_MAXPOOL ? npu_ref_maxpool(&d, x, y) :
	       npu_ref_avgpool(&d, x, y);
}

static int run_eltwise(const struct npu_ref_mem *m, const uint8_t *p)
{
	struct qnpu_desc_eltwise d;
	void *a, *b = NULL, *y;

	memcpy(&d, p, sizeof(d));
	a = ref_tensor(m, &d.input1);
	if (d.input2.addr)
		b = ref_tensor(m, &d.input2);
	y = ref_tensor(m, &d.output);
	if (!a || !y || (d.input2.addr && !b))
		return -EFAULT;
	return d.hdr.op == QNPU_OP_ADD ? npu_ref_add(&d, a, b, y) : npu_ref_mul(&d, a, b, y);
}

static int run_matmul(const struct npu_ref_mem *m, const uint8_t *p)
{
	struct qnpu_desc_matmul d;
	void *a, *b, *y, *bias = NULL;

	memcpy(&d, p, sizeof(d));
	a = ref_tensor(m, &d.a);
	b = ref_tensor(m, &d.b);
	y = ref_tensor(m, &d.output);
	if (d.bias)
		bias = ref_addr(m, d.bias, 4ull * d.output.dim[3]);
	if (!a || !b || !y || (d.bias && !bias))
		return -EFAULT;
	return npu_ref_matmul(&d, a, b, y, bias);
}

static int run_copy(const struct npu_ref_mem *m, const uint8_t *p)
{
	struct qnpu_desc_copy d;
	void *x, *y;

	memcpy(&d, p, sizeof(d));
	x = ref_tensor(m, &d.src);
	y = ref_tensor(m, &d.dst);
	if (!x || !y)
		return -EFAULT;
	return npu_ref_copy(&d, x, y);
}

static int run_lut(const struct npu_ref_mem *m, const uint8_t *p)
{
	struct qnpu_desc_lut d;
	void *x, *y, *table;

	memcpy(&d, p, sizeof(d));
	x = ref_tensor(m, &d.input);
	y = ref_tensor(m, &d.output);
	table = ref_addr(m, d.table, QNPU_LUT_ENTRIES);
	if (!x || !y || !table)
		return -EFAULT;
	return npu_ref_lut(&d, x, table, y);
}

static int run_nothing(const struct npu_ref_mem *m, const uint8_t *p)
{
	return 0;
}

/* One entry per enum qnpu_op. */
static int (*const run[QNPU_OP_COUNT])(const struct npu_ref_mem *m, const uint8_t *p) = {
	[QNPU_OP_NOP]			= run_nothing,
	[QNPU_OP_BARRIER]		= run_nothing,	/* the reference runs in order */
	[QNPU_OP_COPY]			= run_copy,
	[QNPU_OP_CONV2D]		= run_conv2d,
	[QNPU_OP_FULLY_CONNECTED]	= run_fc,
	[QNPU_OP_MATMUL]		= run_matmul,
	[QNPU_OP_MAXPOOL]		= run_pool,
	[QNPU_OP_AVGPOOL]		= run_pool,
	[QNPU_OP_ADD]			= run_eltwise,
	[QNPU_OP_MUL]			= run_eltwise,
	[QNPU_OP_LUT]			= run_lut,
};

uint32_t npu_ref_run_desc(const struct npu_ref_mem *m, const uint8_t *desc)
{
	struct qnpu_desc_header h;

	memcpy(&h, desc, sizeof(h));
	if (h.op >= QNPU_OP_COUNT || !run[h.op])
		return QNPU_STATUS_UNKNOWN_OP;
	/* -EFAULT, an operand outside the regions, is the MMU fault. */
	return (uint32_t)npu_ref_status(run[h.op](m, desc));
}
