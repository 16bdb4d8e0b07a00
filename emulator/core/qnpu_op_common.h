/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: what the operations share, internal to the op
 * files (qnpu_op_*.c): requantization parameters, operand staging, the
 * timing model's figures.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef QNPU_OP_COMMON_H
#define QNPU_OP_COMMON_H

#include "qnpu_internal.h"
#include "qnpu_kernels.h"
#include "qnpu_ops.h"

#define INVALID     QNPU_STATUS_INVALID_DESCRIPTOR

/* Requantization parameters, decoded and fetched. */
struct requant {
    bool raw;                   /* INT32 output: no requantization */
    int mode;
    int32_t zp, lo, hi;
    int32_t m, s;               /* per tensor */
    uint64_t params_va;         /* per channel, when non-zero */
    int32_t *pm, *ps;           /* per-channel multipliers and shifts */
};

static inline bool in_range(int64_t v, int64_t lo, int64_t hi)
{
    return v >= lo && v <= hi;
}

static inline uint64_t tbytes(const struct qnpu_tens *t)
{
    return t->elems * t->esize;
}

/* The output stage as the kernels take it. */
static inline struct qnpu_rq kernel_rq(const struct requant *rq)
{
    return (struct qnpu_rq) {
        .mode = rq->mode, .zp = rq->zp, .lo = rq->lo, .hi = rq->hi,
        .m = rq->pm, .s = rq->ps, .m1 = rq->m, .s1 = rq->s,
    };
}

/* Whether @out is the output extent of a window over @in (section 13.3). */
static inline bool out_extent(uint32_t in, uint32_t p0, uint32_t p1, uint32_t k,
                       uint32_t d, uint32_t s, uint32_t out)
{
    int64_t span = (int64_t)in + p0 + p1 - ((int64_t)(k - 1) * d + 1);

    return span >= 0 && (uint64_t)(span / s + 1) == out;
}

uint32_t qnpu_op_requant_decode(const struct qnpu_requant *r, bool raw,
                                bool per_channel_ok, struct requant *rq);
uint32_t qnpu_op_requant_fetch(struct qnpu_vm *vm, struct requant *rq,
                               uint32_t channels);

void qnpu_op_requant_free(struct requant *rq);

void qnpu_op_store_rows(const struct qnpu_kernels *k, const struct requant *rq,
                        const int32_t *acc, size_t rows, size_t cols, size_t ldc,
                        uint8_t *out, size_t out_cols, size_t col0);

void *qnpu_op_fetch(struct qnpu_vm *vm, uint64_t va, uint64_t len,
                    uint32_t *status);

void *qnpu_op_fetch_tensor(struct qnpu_vm *vm, const struct qnpu_tens *t,
                           uint32_t *status);

void *qnpu_op_fetch_s(struct qnpu_engine *eng, enum qnpu_scratch_slot slot,
                      struct qnpu_vm *vm, uint64_t va, uint64_t len,
                      uint32_t *status);

void *qnpu_op_fetch_tensor_s(struct qnpu_engine *eng, enum qnpu_scratch_slot slot,
                             struct qnpu_vm *vm, const struct qnpu_tens *t,
                             uint32_t *status);

void qnpu_op_gemm_stats(const struct qnpu_config *cfg, struct qnpu_stats *st,
                        uint64_t compute, uint64_t macs, uint64_t sram_rd,
                        uint64_t weight_bytes, uint64_t extra_bytes,
                        uint64_t in_bytes, uint64_t out_bytes);

void qnpu_op_simple_stats(const struct qnpu_config *cfg, struct qnpu_stats *st,
                          uint64_t compute, uint64_t rd, uint64_t wr);

#endif /* QNPU_OP_COMMON_H */
