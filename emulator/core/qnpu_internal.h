/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: helpers shared by the op implementations.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef QNPU_INTERNAL_H
#define QNPU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qnpu_cmdbuf.h"
#include "qnpu_config.h"
#include "qnpu_mmu.h"
#include "qnpu_regs.h"

/* Host memory one tensor may take in the model (docs/hardware.md 11.2). */
#define QNPU_MAX_TENSOR_BYTES   (1ull << 30)
#define DESC_OVERHEAD_CYCLES    64

/* A tensor descriptor, decoded and checked. */
struct qnpu_tens {
    uint64_t addr;
    uint32_t dim[4];
    uint32_t stride[4];
    uint32_t esize;
    uint64_t elems;
    bool over_limit;            /* a dim or the size over the limits */
};

bool qnpu_all_zero(const void *p, size_t len);
uint32_t qnpu_tensor_decode(const struct qnpu_tensor *raw, bool output,
                            bool int32_ok, struct qnpu_tens *t);
bool qnpu_range_ok(struct qnpu_vm *vm, uint64_t va, uint64_t len,
                   bool write);
bool qnpu_tensor_in_range(struct qnpu_vm *vm, const struct qnpu_tens *t,
                          bool write);
int qnpu_tensor_move(struct qnpu_vm *vm, const struct qnpu_tens *t,
                     uint8_t *dense, bool write);
uint64_t qnpu_div_up(uint64_t a, uint64_t b);
uint64_t qnpu_dram_cycles(const struct qnpu_config *cfg, uint64_t bytes);
uint64_t qnpu_max_u64(uint64_t a, uint64_t b);

static inline size_t qnpu_min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

#endif /* QNPU_INTERNAL_H */
