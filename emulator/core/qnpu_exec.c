/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: descriptor checks and execution (docs/hardware.md,
 * sections 10-15). Tensors are gathered from guest memory into dense host
 * buffers, computed on, and scattered back, as the device streams them
 * through its SRAM.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "qnpu_cmdbuf.h"
#include "qnpu_job.h"

/* Host memory one tensor may take in the model (docs/hardware.md 11.2). */
#define QNPU_MAX_TENSOR_BYTES   (1ull << 30)
#define DESC_OVERHEAD_CYCLES    64
#define VA_LIMIT                (1ull << QNPU_VA_BITS)

/* A tensor descriptor, decoded and checked. */
struct tensor {
    uint64_t addr;
    uint32_t dim[4];
    uint32_t stride[4];
    uint32_t esize;
    uint64_t elems;
};

static uint32_t esize_of(uint8_t dtype)
{
    return dtype == QNPU_DTYPE_INT8 ? 1 : dtype == QNPU_DTYPE_INT32 ? 4 : 0;
}

static bool all_zero(const void *p, size_t len)
{
    const uint8_t *b = p;

    while (len--) {
        if (*b++) {
            return false;
        }
    }
    return true;
}

/*
 * Decode @raw into @t. INVALID_DESCRIPTOR for a bad dtype, reserved byte,
 * zero dim or zero output stride; LIMIT_EXCEEDED for a dim over the limit
 * or a tensor larger than the model holds.
 */
static uint32_t tensor_decode(const struct qnpu_tensor *raw, bool output,
                              bool int32_ok, struct tensor *t)
{
    int i;

    memset(t, 0, sizeof(*t));
    t->addr = le64toh(raw->addr);
    t->esize = esize_of(raw->dtype);
    if (!t->esize || (t->esize == 4 && !int32_ok) ||
        !all_zero(raw->reserved, sizeof(raw->reserved))) {
        return QNPU_STATUS_INVALID_DESCRIPTOR;
    }
    for (i = 0; i < 4; i++) {
        t->dim[i] = le32toh(raw->dim[i]);
        t->stride[i] = le32toh(raw->stride[i]);
        if (t->dim[i] == 0 || (output && t->stride[i] == 0)) {
            return QNPU_STATUS_INVALID_DESCRIPTOR;
        }
    }
    t->elems = 1;
    for (i = 0; i < 4; i++) {
        if (t->dim[i] > QNPU_MAX_DIM) {
            return QNPU_STATUS_LIMIT_EXCEEDED;
        }
        t->elems *= t->dim[i];
        if (t->elems * t->esize > QNPU_MAX_TENSOR_BYTES) {
            return QNPU_STATUS_LIMIT_EXCEEDED;
        }
    }
    return QNPU_STATUS_OK;
}

/* Section 11.3: the span must end at or below 2^39. */
static bool tensor_in_range(struct qnpu_vm *vm, const struct tensor *t,
                            bool write)
{
    uint64_t end = t->addr + t->esize;
    int i;

    for (i = 0; i < 4; i++) {
        end += (uint64_t)(t->dim[i] - 1) * t->stride[i];
    }
    if (t->addr >= VA_LIMIT || end > VA_LIMIT) {
        vm->fault = (struct qnpu_fault) {
            .addr = t->addr >= VA_LIMIT ? t->addr : VA_LIMIT,
            .ctx = vm->ctx, .write = write, .reason = QNPU_FAULT_VA_RANGE,
        };
        return false;
    }
    return true;
}

/* Copy a tensor into (or out of) a dense NHWC host buffer. */
static int tensor_move(struct qnpu_vm *vm, const struct tensor *t,
                       uint8_t *dense, bool write)
{
    bool runs = t->stride[3] == t->esize;
    uint32_t n, h, w, c;
    size_t row = (size_t)t->dim[3] * t->esize;

    for (n = 0; n < t->dim[0]; n++) {
        for (h = 0; h < t->dim[1]; h++) {
            for (w = 0; w < t->dim[2]; w++) {
                uint64_t va = t->addr + (uint64_t)n * t->stride[0] +
                              (uint64_t)h * t->stride[1] +
                              (uint64_t)w * t->stride[2];

                if (runs) {
                    if (write ? qnpu_vm_write(vm, va, dense, row)
                              : qnpu_vm_read(vm, va, dense, row)) {
                        return -1;
                    }
                    dense += row;
                    continue;
                }
                for (c = 0; c < t->dim[3]; c++) {
                    uint64_t e = va + (uint64_t)c * t->stride[3];

                    if (write ? qnpu_vm_write(vm, e, dense, t->esize)
                              : qnpu_vm_read(vm, e, dense, t->esize)) {
                        return -1;
                    }
                    dense += t->esize;
                }
            }
        }
    }
    return 0;
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/* Section 15: DRAM cycles of @bytes at the configured bandwidth. */
static uint64_t dram_cycles(const struct qnpu_config *cfg, uint64_t bytes)
{
    return div_up(bytes * cfg->clock_mhz, cfg->dram_mbps);
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static uint32_t exec_copy(struct qnpu_engine *eng, struct qnpu_vm *vm,
                          const struct qnpu_desc_copy *d,
                          struct qnpu_stats *st)
{
    struct tensor src, dst;
    uint32_t status;
    uint64_t bytes;
    uint8_t *buf;
    int i;

    status = tensor_decode(&d->src, false, true, &src);
    if (status == QNPU_STATUS_OK) {
        status = tensor_decode(&d->dst, true, true, &dst);
    }
    if (status != QNPU_STATUS_OK) {
        return status;
    }
    if (d->src.dtype != d->dst.dtype) {
        return QNPU_STATUS_INVALID_DESCRIPTOR;
    }
    for (i = 0; i < 4; i++) {
        if (src.dim[i] != dst.dim[i]) {
            return QNPU_STATUS_INVALID_DESCRIPTOR;
        }
    }
    if (!tensor_in_range(vm, &src, false) || !tensor_in_range(vm, &dst, true)) {
        return QNPU_STATUS_MMU_FAULT;
    }

    bytes = src.elems * src.esize;
    buf = malloc(bytes);
    if (!buf) {
        return QNPU_STATUS_LIMIT_EXCEEDED;
    }
    if (tensor_move(vm, &src, buf, false) || tensor_move(vm, &dst, buf, true)) {
        free(buf);
        return QNPU_STATUS_MMU_FAULT;
    }
    free(buf);

    st->dram_rd = bytes;
    st->dram_wr = bytes;
    st->sram_rd = bytes;
    st->sram_wr = 2 * bytes;
    st->cycles = max_u64(div_up(bytes, 64), dram_cycles(eng->cfg, 2 * bytes)) +
                 DESC_OVERHEAD_CYCLES;
    return QNPU_STATUS_OK;
}

/* Structure size of each op; 0 for ops this model does not implement. */
static const uint32_t op_size[QNPU_OP_COUNT] = {
    [QNPU_OP_NOP] = 0,
    [QNPU_OP_BARRIER] = sizeof(struct qnpu_desc_header),
    [QNPU_OP_COPY] = sizeof(struct qnpu_desc_copy),
};

uint32_t qnpu_ops_supported(void)
{
    return 1u << QNPU_OP_NOP | 1u << QNPU_OP_BARRIER | 1u << QNPU_OP_COPY;
}

uint32_t qnpu_exec_desc(struct qnpu_engine *eng, struct qnpu_vm *vm,
                        const uint8_t *desc, uint32_t size,
                        struct qnpu_stats *st)
{
    struct qnpu_desc_header h;
    uint16_t op;

    memcpy(&h, desc, sizeof(h));
    op = le16toh(h.op);
    if (op >= QNPU_OP_COUNT || !(qnpu_ops_supported() & (1u << op))) {
        return QNPU_STATUS_UNKNOWN_OP;
    }
    if (h.version != 1) {
        return QNPU_STATUS_UNSUPPORTED_VERSION;
    }
    if (h.flags || (op != QNPU_OP_NOP && size != op_size[op])) {
        return QNPU_STATUS_INVALID_DESCRIPTOR;
    }

    switch (op) {
    case QNPU_OP_NOP:
    case QNPU_OP_BARRIER:
        st->cycles = 1;
        return QNPU_STATUS_OK;
    case QNPU_OP_COPY: {
        struct qnpu_desc_copy d;

        memcpy(&d, desc, sizeof(d));
        return exec_copy(eng, vm, &d, st);
    }
    }
    return QNPU_STATUS_UNKNOWN_OP;
}
