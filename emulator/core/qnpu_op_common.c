/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: what the operations share: requantization
 * parameters, staging operands through the MMU, the timing model (section 15).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "qnpu_op_common.h"

uint32_t qnpu_op_requant_decode(const struct qnpu_requant *r, bool raw,
                                bool per_channel_ok, struct requant *rq)
{
    memset(rq, 0, sizeof(*rq));
    rq->raw = raw;
    if (raw) {
        return qnpu_all_zero(r, sizeof(*r)) ? QNPU_STATUS_OK : INVALID;
    }
    rq->params_va = le64toh(r->channel_params);
    rq->m = (int32_t)le32toh(r->multiplier);
    rq->s = (int32_t)le32toh(r->shift);
    rq->zp = (int32_t)le32toh(r->output_zero_point);
    rq->lo = (int32_t)le32toh(r->act_min);
    rq->hi = (int32_t)le32toh(r->act_max);
    rq->mode = r->rounding;
    if (!qnpu_all_zero(r->reserved, sizeof(r->reserved)) || rq->mode > 1 ||
        !in_range(rq->zp, -128, 127) || rq->lo < -128 || rq->hi > 127 ||
        rq->lo > rq->hi) {
        return INVALID;
    }
    if (rq->params_va) {
        if (!per_channel_ok || rq->m || rq->s) {
            return INVALID;
        }
    } else if (rq->m < 0 || !in_range(rq->s, -31, 30)) {
        return INVALID;
    }
    return QNPU_STATUS_OK;
}

/* Fetch and check per-channel parameters (after the range checks). */
uint32_t qnpu_op_requant_fetch(struct qnpu_vm *vm, struct requant *rq,
                               uint32_t channels)
{
    struct qnpu_channel_requant *p;
    uint32_t i;

    if (rq->raw || !rq->params_va) {
        return QNPU_STATUS_OK;
    }
    p = malloc(sizeof(*p) * channels);
    rq->pm = malloc(sizeof(int32_t) * channels);
    rq->ps = malloc(sizeof(int32_t) * channels);
    if (!p || !rq->pm || !rq->ps) {
        free(p);
        return QNPU_STATUS_LIMIT_EXCEEDED;
    }
    if (qnpu_vm_read(vm, rq->params_va, p, sizeof(*p) * channels)) {
        free(p);
        return QNPU_STATUS_MMU_FAULT;
    }
    for (i = 0; i < channels; i++) {
        rq->pm[i] = (int32_t)le32toh(p[i].multiplier);
        rq->ps[i] = (int32_t)le32toh(p[i].shift);
        if (rq->pm[i] < 0 || !in_range(rq->ps[i], -31, 30)) {
            free(p);
            return INVALID;
        }
    }
    free(p);
    return QNPU_STATUS_OK;
}

void qnpu_op_requant_free(struct requant *rq)
{
    free(rq->pm);
    free(rq->ps);
}

/* Store @rows x @cols accumulators (row stride @ldc) into @out at @col0. */
void qnpu_op_store_rows(const struct qnpu_kernels *k, const struct requant *rq,
                        const int32_t *acc, size_t rows, size_t cols, size_t ldc,
                        uint8_t *out, size_t out_cols, size_t col0)
{
    struct qnpu_rq r1 = kernel_rq(rq);
    size_t r;

    for (r = 0; r < rows; r++) {
        const int32_t *a = acc + r * ldc;

        if (rq->raw) {
            memcpy(out + (r * out_cols + col0) * 4, a, cols * 4);
            continue;
        }
        k->requant(&r1, a, cols, col0, (int8_t *)out + r * out_cols + col0);
    }
}

/* Read @len bytes at @va into a new buffer; NULL with *status set. */
void *qnpu_op_fetch(struct qnpu_vm *vm, uint64_t va, uint64_t len,
                    uint32_t *status)
{
    void *buf = malloc(len ? len : 1);

    if (!buf) {
        *status = QNPU_STATUS_LIMIT_EXCEEDED;
        return NULL;
    }
    if (len && qnpu_vm_read(vm, va, buf, len)) {
        free(buf);
        *status = QNPU_STATUS_MMU_FAULT;
        return NULL;
    }
    return buf;
}

void *qnpu_op_fetch_tensor(struct qnpu_vm *vm, const struct qnpu_tens *t,
                           uint32_t *status)
{
    void *buf = malloc(t->elems * t->esize);

    if (!buf) {
        *status = QNPU_STATUS_LIMIT_EXCEEDED;
        return NULL;
    }
    if (qnpu_tensor_move(vm, t, buf, false)) {
        free(buf);
        *status = QNPU_STATUS_MMU_FAULT;
        return NULL;
    }
    return buf;
}

/* qnpu_op_fetch() and qnpu_op_fetch_tensor() into one of the engine's kept buffers. */
void *qnpu_op_fetch_s(struct qnpu_engine *eng, enum qnpu_scratch_slot slot,
                      struct qnpu_vm *vm, uint64_t va, uint64_t len,
                      uint32_t *status)
{
    void *buf = qnpu_engine_scratch(eng, slot, len);

    if (!buf) {
        *status = QNPU_STATUS_LIMIT_EXCEEDED;
        return NULL;
    }
    if (len && qnpu_vm_read(vm, va, buf, len)) {
        *status = QNPU_STATUS_MMU_FAULT;
        return NULL;
    }
    return buf;
}

void *qnpu_op_fetch_tensor_s(struct qnpu_engine *eng, enum qnpu_scratch_slot slot,
                             struct qnpu_vm *vm, const struct qnpu_tens *t,
                             uint32_t *status)
{
    void *buf = qnpu_engine_scratch(eng, slot, t->elems * t->esize);

    if (!buf) {
        *status = QNPU_STATUS_LIMIT_EXCEEDED;
        return NULL;
    }
    if (qnpu_tensor_move(vm, t, buf, false)) {
        *status = QNPU_STATUS_MMU_FAULT;
        return NULL;
    }
    return buf;
}

/* Section 15.2 for the GEMM-like ops. */
void qnpu_op_gemm_stats(const struct qnpu_config *cfg, struct qnpu_stats *st,
                        uint64_t compute, uint64_t macs, uint64_t sram_rd,
                        uint64_t weight_bytes, uint64_t extra_bytes,
                        uint64_t in_bytes, uint64_t out_bytes)
{
    uint64_t half = (uint64_t)cfg->sram_kib * 1024 / 2;
    uint64_t passes = qnpu_max_u64(1, qnpu_div_up(weight_bytes, half));

    st->macs = macs;
    st->dram_rd = weight_bytes + extra_bytes + passes * in_bytes;
    st->dram_wr = out_bytes;
    st->sram_rd = sram_rd;
    st->sram_wr = st->dram_rd + out_bytes;
    st->cycles = qnpu_max_u64(compute,
                              qnpu_dram_cycles(cfg, st->dram_rd + st->dram_wr)) +
                 DESC_OVERHEAD_CYCLES;
}

void qnpu_op_simple_stats(const struct qnpu_config *cfg, struct qnpu_stats *st,
                          uint64_t compute, uint64_t rd, uint64_t wr)
{
    st->dram_rd = rd;
    st->dram_wr = wr;
    st->sram_rd = rd;
    st->sram_wr = rd + wr;
    st->cycles = qnpu_max_u64(compute, qnpu_dram_cycles(cfg, rd + wr)) +
                 DESC_OVERHEAD_CYCLES;
}
