/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: ADD and MUL with per-input rescaling (docs/hardware.md
 * 13.7, docs/arithmetic.md), and LUT, the table lookup (13.8).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "qnpu_op_common.h"

/* ---- ADD, MUL ---- */

/* ADD's first step: an input less its zero point, shifted, rescaled. */
static int32_t eltwise_rescale(int8_t x, int32_t z, int32_t m, int32_t sh, int32_t ls,
                               int mode)
{
    return qnpu_mbqm((int32_t)((uint32_t)(x - z) << ls), m, sh, mode);
}

/*
 * The element-wise ops of arithmetic.md 7 over @n elements: the int32
 * values of a run of elements (MUL's product; ADD's rescaled inputs
 * added), then the kernels' output stage over the run. Inputs are int8,
 * so for a large tensor ADD's rescales are tables of 256 made once.
 */
static void eltwise_run(const struct qnpu_kernels *k, const int8_t *x1, const int8_t *x2,
                        int8_t *o, uint64_t n, bool mul, bool single, int32_t z1,
                        int32_t z2, int32_t m1, int32_t s1, int32_t m2, int32_t s2,
                        int32_t ls, const struct requant *rq)
{
    struct qnpu_rq r = kernel_rq(rq);
    int32_t a[256], b[256], sum[256];
    bool tables = !mul && n >= 256;
    uint64_t i0, i;
    int v;

    for (v = -128; tables && v < 128; v++) {
        a[v + 128] = eltwise_rescale((int8_t)v, z1, m1, s1, ls, rq->mode);
        b[v + 128] = single ? 0 : eltwise_rescale((int8_t)v, z2, m2, s2, ls, rq->mode);
    }
    for (i0 = 0; i0 < n; i0 += 256) {
        uint64_t cnt = n - i0 < 256 ? n - i0 : 256;

        for (i = 0; i < cnt; i++) {
            int8_t p = x1[i0 + i], q = single ? 0 : x2[i0 + i];

            if (mul) {
                sum[i] = (p - z1) * (q - z2);
            } else if (tables) {
                sum[i] = (int32_t)((uint32_t)a[p + 128] + (uint32_t)b[q + 128]);
            } else {
                sum[i] = (int32_t)((uint32_t)eltwise_rescale(p, z1, m1, s1, ls, rq->mode) +
                                   (uint32_t)(single ? 0 :
                                              eltwise_rescale(q, z2, m2, s2, ls, rq->mode)));
            }
        }
        k->requant(&r, sum, cnt, 0, o + i0);
    }
}

/* Decode and check an ADD/MUL descriptor: parameters, shapes, limits, addresses. */
static uint32_t eltwise_decode(struct qnpu_vm *vm, const struct qnpu_desc_eltwise *d, bool mul,
                               bool single, struct qnpu_tens *t1, struct qnpu_tens *t2,
                               struct qnpu_tens *to, struct requant *rq)
{
    int32_t z1 = (int32_t)le32toh(d->input1_zero_point);
    int32_t z2 = (int32_t)le32toh(d->input2_zero_point);
    int32_t m1 = (int32_t)le32toh(d->input1_multiplier);
    int32_t s1 = (int32_t)le32toh(d->input1_shift);
    int32_t m2 = (int32_t)le32toh(d->input2_multiplier);
    int32_t s2 = (int32_t)le32toh(d->input2_shift);
    int32_t ls = (int32_t)le32toh(d->left_shift);
    uint32_t status = qnpu_tensor_decode(&d->input1, false, false, t1);
    int dd;

    if (status == QNPU_STATUS_OK && !single) {
        status = qnpu_tensor_decode(&d->input2, false, false, t2);
    }
    if (status == QNPU_STATUS_OK) {
        status = qnpu_tensor_decode(&d->output, true, false, to);
    }
    if (status == QNPU_STATUS_OK) {
        status = qnpu_op_requant_decode(&d->requant, false, false, rq);
    }
    if (status != QNPU_STATUS_OK) {
        return status;
    }
    if (!in_range(z1, -128, 127) || !in_range(z2, -128, 127) || d->reserved) {
        return INVALID;
    }
    if (mul) {
        if (m1 || s1 || m2 || s2 || ls || !d->input2.addr) {
            return INVALID;
        }
    } else if (m1 < 0 || m2 < 0 || !in_range(s1, -31, 0) ||
               !in_range(s2, -31, 0) || !in_range(ls, 0, 20)) {
        return INVALID;
    }
    if (single && (!qnpu_all_zero(&d->input2, sizeof(d->input2)) || z2 ||
                   m2 || s2)) {
        return INVALID;
    }
    for (dd = 0; dd < 4; dd++) {
        if (to->dim[dd] != t1->dim[dd] || (!single && t2->dim[dd] != t1->dim[dd])) {
            return INVALID;
        }
    }
    if (t1->over_limit || to->over_limit || (!single && t2->over_limit)) {
        return QNPU_STATUS_LIMIT_EXCEEDED;
    }
    if (!qnpu_tensor_in_range(vm, t1, false) ||
        (!single && !qnpu_tensor_in_range(vm, t2, false)) ||
        !qnpu_tensor_in_range(vm, to, true)) {
        return QNPU_STATUS_MMU_FAULT;
    }
    return QNPU_STATUS_OK;
}

uint32_t qnpu_exec_eltwise(struct qnpu_engine *eng, struct qnpu_vm *vm,
                           const struct qnpu_desc_eltwise *d, bool mul,
                           struct qnpu_stats *st)
{
    const struct qnpu_config *cfg = eng->cfg;
    bool single = !mul && d->input2.addr == 0;
    struct qnpu_tens t1, t2, to;
    struct requant rq;
    int8_t *x1 = NULL, *x2 = NULL, *o = NULL;
    uint32_t status = eltwise_decode(vm, d, mul, single, &t1, &t2, &to, &rq);

    if (status != QNPU_STATUS_OK) {
        return status;
    }
    x1 = qnpu_op_fetch_tensor(vm, &t1, &status);
    if (x1 && !single) {
        x2 = qnpu_op_fetch_tensor(vm, &t2, &status);
    }
    if (status == QNPU_STATUS_OK) {
        o = malloc(tbytes(&to));
        status = o ? QNPU_STATUS_OK : QNPU_STATUS_LIMIT_EXCEEDED;
    }
    if (status == QNPU_STATUS_OK) {
        eltwise_run(eng->kernels, x1, x2, o, to.elems, mul, single,
                    (int32_t)le32toh(d->input1_zero_point),
                    (int32_t)le32toh(d->input2_zero_point),
                    (int32_t)le32toh(d->input1_multiplier),
                    (int32_t)le32toh(d->input1_shift),
                    (int32_t)le32toh(d->input2_multiplier),
                    (int32_t)le32toh(d->input2_shift),
                    (int32_t)le32toh(d->left_shift), &rq);
    }
    if (status == QNPU_STATUS_OK &&
        qnpu_tensor_move(vm, &to, (uint8_t *)o, true)) {
        status = QNPU_STATUS_MMU_FAULT;
    }
    free(x1);
    free(x2);
    free(o);
    if (status != QNPU_STATUS_OK) {
        return status;
    }
    qnpu_op_simple_stats(cfg, st,
                         qnpu_div_up(to.elems,
                         (uint64_t)cfg->array_rows * cfg->array_cols),
                         tbytes(&t1) + (single ? 0 : tbytes(&t2)), tbytes(&to));
    return QNPU_STATUS_OK;
}

/* ---- LUT ---- */

/* Decode and check a LUT descriptor: tensors, shapes, limits, addresses. */
static uint32_t lut_decode(struct qnpu_vm *vm, const struct qnpu_desc_lut *d,
                           struct qnpu_tens *ti, struct qnpu_tens *to)
{
    uint32_t status = qnpu_tensor_decode(&d->input, false, false, ti);
    int dd;

    if (status == QNPU_STATUS_OK) {
        status = qnpu_tensor_decode(&d->output, true, false, to);
    }
    if (status != QNPU_STATUS_OK) {
        return status;
    }
    if (d->reserved) {
        return INVALID;
    }
    for (dd = 0; dd < 4; dd++) {
        if (to->dim[dd] != ti->dim[dd]) {
            return INVALID;
        }
    }
    if (ti->over_limit || to->over_limit) {
        return QNPU_STATUS_LIMIT_EXCEEDED;
    }
    if (!qnpu_tensor_in_range(vm, ti, false) || !qnpu_tensor_in_range(vm, to, true)) {
        return QNPU_STATUS_MMU_FAULT;
    }
    return QNPU_STATUS_OK;
}

uint32_t qnpu_exec_lut(struct qnpu_engine *eng, struct qnpu_vm *vm,
                       const struct qnpu_desc_lut *d, struct qnpu_stats *st)
{
    struct qnpu_tens ti, to;
    int8_t table[QNPU_LUT_ENTRIES], *x = NULL;
    uint32_t status = lut_decode(vm, d, &ti, &to);
    uint64_t i;

    if (status != QNPU_STATUS_OK) {
        return status;
    }
    if (qnpu_vm_read(vm, le64toh(d->table), table, sizeof(table))) {
        return QNPU_STATUS_MMU_FAULT;
    }
    x = qnpu_op_fetch_tensor(vm, &ti, &status);
    if (!x) {
        return status;
    }
    /* In place: the output is dense and as large as the input's copy. */
    for (i = 0; i < to.elems; i++) {
        x[i] = table[x[i] + 128];
    }
    if (qnpu_tensor_move(vm, &to, (uint8_t *)x, true)) {
        status = QNPU_STATUS_MMU_FAULT;
    }
    free(x);
    if (status != QNPU_STATUS_OK) {
        return status;
    }
    qnpu_op_simple_stats(eng->cfg, st,
                         qnpu_div_up(to.elems,
                                     (uint64_t)eng->cfg->array_rows * eng->cfg->array_cols),
                         tbytes(&ti) + QNPU_LUT_ENTRIES, tbytes(&to));
    return QNPU_STATUS_OK;
}
