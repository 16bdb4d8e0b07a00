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

/* A pool's window from the descriptor. */
struct pool_window {
    uint32_t kh, kw, sh, sw, pt, pl, pb, pr;
    int32_t lo, hi;
};

static uint32_t pool_decode(struct qnpu_vm *vm, const struct qnpu_desc_pool *d,
                            struct qnpu_tens *in, struct qnpu_tens *out, struct pool_window *pw)
{
    uint32_t status = qnpu_tensor_decode(&d->input, false, false, in);

    if (status == QNPU_STATUS_OK) {
        status = qnpu_tensor_decode(&d->output, true, false, out);
    }
    if (status != QNPU_STATUS_OK) {
        return status;
    }
    *pw = (struct pool_window) {
        le16toh(d->kernel_h), le16toh(d->kernel_w), le16toh(d->stride_h),
        le16toh(d->stride_w), le16toh(d->pad_top), le16toh(d->pad_left),
        le16toh(d->pad_bottom), le16toh(d->pad_right),
        (int32_t)le32toh(d->act_min), (int32_t)le32toh(d->act_max),
    };
    if (!in_range(pw->kh, 1, 255) || !in_range(pw->kw, 1, 255) ||
        !in_range(pw->sh, 1, 255) || !in_range(pw->sw, 1, 255) || pw->pt >= pw->kh ||
        pw->pb >= pw->kh || pw->pl >= pw->kw || pw->pr >= pw->kw || pw->lo < -128 ||
        pw->hi > 127 || pw->lo > pw->hi || out->dim[0] != in->dim[0] ||
        out->dim[3] != in->dim[3] ||
        !out_extent(in->dim[1], pw->pt, pw->pb, pw->kh, 1, pw->sh, out->dim[1]) ||
        !out_extent(in->dim[2], pw->pl, pw->pr, pw->kw, 1, pw->sw, out->dim[2])) {
        return INVALID;
    }
    if (in->over_limit || out->over_limit) {
        return QNPU_STATUS_LIMIT_EXCEEDED;
    }
    if (!qnpu_tensor_in_range(vm, in, false) || !qnpu_tensor_in_range(vm, out, true)) {
        return QNPU_STATUS_MMU_FAULT;
    }
    return QNPU_STATUS_OK;
}

/* Every output pixel; valid taps only: padding never takes part (arithmetic.md 5). */
static void pool_all(const struct qnpu_tens *in, const struct qnpu_tens *out,
                     const struct pool_window *pw, bool avg, const int8_t *x, int8_t *o,
                     int32_t *acc)
{
    uint32_t h = in->dim[1], w = in->dim[2], ch = in->dim[3], n, oy, ox;

    for (n = 0; n < in->dim[0]; n++) {
        for (oy = 0; oy < out->dim[1]; oy++) {
            int64_t y0 = (int64_t)oy * pw->sh - pw->pt, y1 = y0 + pw->kh;
            int64_t ya = y0 < 0 ? 0 : y0, yb = y1 > h ? h : y1;

            for (ox = 0; ox < out->dim[2]; ox++) {
                int64_t x0 = (int64_t)ox * pw->sw - pw->pl, x1 = x0 + pw->kw;
                int64_t xa = x0 < 0 ? 0 : x0, xb = x1 > w ? w : x1;
                int32_t count = (int32_t)((yb - ya) * (xb - xa));
                int8_t *dst = o + (((size_t)n * out->dim[1] + oy) *
                                   out->dim[2] + ox) * ch;

                pool_pixel(x + (size_t)n * h * w * ch, w, ch, ya, yb, xa, xb, avg, count,
                           pw->lo, pw->hi, acc, dst);
            }
        }
    }
}

uint32_t qnpu_exec_pool(struct qnpu_engine *eng, struct qnpu_vm *vm,
                        const struct qnpu_desc_pool *d, bool avg,
                        struct qnpu_stats *st)
{
    const struct qnpu_config *cfg = eng->cfg;
    struct qnpu_tens in, out;
    struct pool_window pw;
    uint32_t status = pool_decode(vm, d, &in, &out, &pw);
    const int8_t *x;
    int8_t *o;
    int32_t *acc;
    uint64_t npix;

    if (status != QNPU_STATUS_OK) {
        return status;
    }
    x = qnpu_op_fetch_tensor(vm, &in, &status);
    if (!x) {
        return status;
    }
    o = malloc(tbytes(&out));
    acc = malloc(sizeof(*acc) * in.dim[3]);
    status = o && acc ? QNPU_STATUS_OK : QNPU_STATUS_LIMIT_EXCEEDED;
    if (status == QNPU_STATUS_OK) {
        pool_all(&in, &out, &pw, avg, x, o, acc);
        status = qnpu_tensor_move(vm, &out, (uint8_t *)o, true) ?
                 QNPU_STATUS_MMU_FAULT : QNPU_STATUS_OK;
    }
    free((void *)x);
    free(o);
    free(acc);
    if (status != QNPU_STATUS_OK) {
        return status;
    }
    npix = (uint64_t)out.dim[0] * out.dim[1] * out.dim[2];
    qnpu_op_simple_stats(cfg, st,
                         qnpu_div_up(npix, cfg->array_rows) *
                         qnpu_div_up(in.dim[3], cfg->array_cols) * pw.kh * pw.kw,
                         tbytes(&in), tbytes(&out));
    return QNPU_STATUS_OK;
}
