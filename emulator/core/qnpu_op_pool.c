/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: MAXPOOL and AVGPOOL (docs/hardware.md 13.6).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "qnpu_op_common.h"

/* ---- MAXPOOL, AVGPOOL ---- */

/*
 * One output pixel of a pool over the window [ya, yb) x [xa, xb) of an
 * image of @w pixels of @ch channels: taps outer, channels inner (the
 * loops vectorise). @acc: @ch int32 of scratch.
 */
VECTORIZE
static void pool_pixel(const int8_t *img, uint32_t w, uint32_t ch, int64_t ya, int64_t yb,
                       int64_t xa, int64_t xb, bool avg, int32_t count, int32_t lo,
                       int32_t hi, int32_t *acc, int8_t *dst)
{
    int64_t yy, xx;
    uint32_t c;

    for (c = 0; c < ch; c++) {
        acc[c] = avg ? 0 : -128;
    }
    for (yy = ya; yy < yb; yy++) {
        for (xx = xa; xx < xb; xx++) {
            const int8_t *v = img + ((size_t)yy * w + xx) * ch;

            if (avg) {
                for (c = 0; c < ch; c++) {
                    acc[c] += v[c];
                }
            } else {
                for (c = 0; c < ch; c++) {
                    acc[c] = v[c] > acc[c] ? v[c] : acc[c];
                }
            }
        }
    }
    for (c = 0; c < ch; c++) {
        int32_t r = acc[c];

        if (avg) {
            r = r >= 0 ? (r + count / 2) / count : (r - count / 2) / count;
        }
        dst[c] = qnpu_clamp8(r, lo, hi);
    }
}

uint32_t qnpu_exec_pool(struct qnpu_engine *eng, struct qnpu_vm *vm,
                        const struct qnpu_desc_pool *d, bool avg,
                        struct qnpu_stats *st)
{
    const struct qnpu_config *cfg = eng->cfg;
    struct qnpu_tens in, out;
    uint32_t kh = le16toh(d->kernel_h), kw = le16toh(d->kernel_w);
    uint32_t sh = le16toh(d->stride_h), sw = le16toh(d->stride_w);
    uint32_t pt = le16toh(d->pad_top), pl = le16toh(d->pad_left);
    uint32_t pb = le16toh(d->pad_bottom), pr = le16toh(d->pad_right);
    int32_t lo = (int32_t)le32toh(d->act_min), hi = (int32_t)le32toh(d->act_max);
    uint32_t status, n, oy, ox, ch, h, w;
    const int8_t *x;
    int8_t *o;
    int32_t *acc;
    uint64_t npix;

    status = qnpu_tensor_decode(&d->input, false, false, &in);
    if (status == QNPU_STATUS_OK) {
        status = qnpu_tensor_decode(&d->output, true, false, &out);
    }
    if (status != QNPU_STATUS_OK) {
        return status;
    }
    h = in.dim[1];
    w = in.dim[2];
    ch = in.dim[3];
    if (!in_range(kh, 1, 255) || !in_range(kw, 1, 255) ||
        !in_range(sh, 1, 255) || !in_range(sw, 1, 255) || pt >= kh ||
        pb >= kh || pl >= kw || pr >= kw || lo < -128 || hi > 127 ||
        lo > hi || out.dim[0] != in.dim[0] || out.dim[3] != ch ||
        !out_extent(h, pt, pb, kh, 1, sh, out.dim[1]) ||
        !out_extent(w, pl, pr, kw, 1, sw, out.dim[2])) {
        return INVALID;
    }
    if (in.over_limit || out.over_limit) {
        return QNPU_STATUS_LIMIT_EXCEEDED;
    }
    if (!qnpu_tensor_in_range(vm, &in, false) ||
        !qnpu_tensor_in_range(vm, &out, true)) {
        return QNPU_STATUS_MMU_FAULT;
    }
    x = qnpu_op_fetch_tensor(vm, &in, &status);
    if (!x) {
        return status;
    }
    o = malloc(tbytes(&out));
    acc = malloc(sizeof(*acc) * ch);
    if (!o || !acc) {
        free((void *)x);
        free(o);
        free(acc);
        return QNPU_STATUS_LIMIT_EXCEEDED;
    }
    for (n = 0; n < in.dim[0]; n++) {
        for (oy = 0; oy < out.dim[1]; oy++) {
            /* Valid taps only: padding never takes part (arithmetic.md 5). */
            int64_t y0 = (int64_t)oy * sh - pt, y1 = y0 + kh;
            int64_t ya = y0 < 0 ? 0 : y0, yb = y1 > h ? h : y1;

            for (ox = 0; ox < out.dim[2]; ox++) {
                int64_t x0 = (int64_t)ox * sw - pl, x1 = x0 + kw;
                int64_t xa = x0 < 0 ? 0 : x0, xb = x1 > w ? w : x1;
                int32_t count = (int32_t)((yb - ya) * (xb - xa));
                int8_t *dst = o + (((size_t)n * out.dim[1] + oy) *
                                   out.dim[2] + ox) * ch;

                pool_pixel(x + (size_t)n * h * w * ch, w, ch, ya, yb, xa, xb, avg, count,
                           lo, hi, acc, dst);
            }
        }
    }
    status = qnpu_tensor_move(vm, &out, (uint8_t *)o, true) ?
             QNPU_STATUS_MMU_FAULT : QNPU_STATUS_OK;
    free((void *)x);
    free(o);
    free(acc);
    if (status != QNPU_STATUS_OK) {
        return status;
    }
    npix = (uint64_t)out.dim[0] * out.dim[1] * out.dim[2];
    qnpu_op_simple_stats(cfg, st,
                         qnpu_div_up(npix, cfg->array_rows) *
                         qnpu_div_up(ch, cfg->array_cols) * kh * kw,
                         tbytes(&in), tbytes(&out));
    return QNPU_STATUS_OK;
}
