/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: tensor descriptors, range checks, and moving tensors
 * between guest memory and dense host buffers.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <endian.h>
#include <string.h>

#include "qnpu_cmdbuf.h"
#include "qnpu_internal.h"

#define VA_LIMIT                (1ull << QNPU_VA_BITS)

static uint32_t esize_of(uint8_t dtype)
{
    return dtype == QNPU_DTYPE_INT8 ? 1 : dtype == QNPU_DTYPE_INT32 ? 4 : 0;
}

bool qnpu_all_zero(const void *p, size_t len)
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
 * zero dim or zero output stride; a dim over the limit or a tensor larger
 * than the model holds sets @t->over_limit (LIMIT_EXCEEDED, checked later).
 */
uint32_t qnpu_tensor_decode(const struct qnpu_tensor *raw, bool output,
                            bool int32_ok, struct qnpu_tens *t)
{
    int i;

    memset(t, 0, sizeof(*t));
    t->addr = le64toh(raw->addr);
    t->esize = esize_of(raw->dtype);
    if (!t->esize || (t->esize == 4 && !int32_ok) ||
        !qnpu_all_zero(raw->reserved, sizeof(raw->reserved))) {
        return QNPU_STATUS_INVALID_DESCRIPTOR;
    }
    t->elems = 1;
    for (i = 0; i < 4; i++) {
        t->dim[i] = le32toh(raw->dim[i]);
        t->stride[i] = le32toh(raw->stride[i]);
        if (t->dim[i] == 0 || (output && t->stride[i] == 0)) {
            return QNPU_STATUS_INVALID_DESCRIPTOR;
        }
        if (t->dim[i] > QNPU_MAX_DIM) {
            t->over_limit = true;
        }
        t->elems *= t->dim[i];
    }
    if (t->elems > QNPU_MAX_TENSOR_BYTES / t->esize) {
        t->over_limit = true;
    }
    return QNPU_STATUS_OK;
}

bool qnpu_range_ok(struct qnpu_vm *vm, uint64_t va, uint64_t len, bool write)
{
    if (va >= VA_LIMIT || len > VA_LIMIT - va) {
        vm->fault = (struct qnpu_fault) {
            .addr = va >= VA_LIMIT ? va : VA_LIMIT,
            .ctx = vm->ctx, .write = write, .reason = QNPU_FAULT_VA_RANGE,
        };
        return false;
    }
    return true;
}

/* Section 11.3: the span must end at or below 2^39. */
bool qnpu_tensor_in_range(struct qnpu_vm *vm, const struct qnpu_tens *t,
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

/*
 * Copy a tensor into (or out of) a dense NHWC host buffer, in the longest
 * runs its strides allow: one access for a dense tensor, one per row or
 * pixel otherwise, one per element for a strided C.
 */
int qnpu_tensor_move(struct qnpu_vm *vm, const struct qnpu_tens *t,
                     uint8_t *dense, bool write)
{
    uint64_t run = t->esize, count = t->elems, i;
    int inner = 4;

    /* Fold dimensions while each is laid out right after the previous. */
    while (inner > 0 && t->stride[inner - 1] == run) {
        run *= t->dim[inner - 1];
        inner--;
    }
    if (inner == 4 && t->dim[3] == 1) {
        inner = 3;      /* a lone channel is its own run */
    }
    count = t->elems * t->esize / run;
    for (i = 0; i < count; i++) {
        uint64_t rest = i, va = t->addr;
        int d;

        for (d = inner - 1; d >= 0; d--) {
            va += (rest % t->dim[d]) * t->stride[d];
            rest /= t->dim[d];
        }
        if (write ? qnpu_vm_write(vm, va, dense, run)
                  : qnpu_vm_read(vm, va, dense, run)) {
            return -1;
        }
        dense += run;
    }
    return 0;
}

uint64_t qnpu_div_up(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/* Section 15: DRAM cycles of @bytes at the configured bandwidth. */
uint64_t qnpu_dram_cycles(const struct qnpu_config *cfg, uint64_t bytes)
{
    unsigned __int128 v = (unsigned __int128)bytes * cfg->clock_mhz;

    v = (v + cfg->dram_mbps - 1) / cfg->dram_mbps;
    return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

uint64_t qnpu_max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

