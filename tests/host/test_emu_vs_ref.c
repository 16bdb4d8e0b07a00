/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Randomized bit-exactness of the emulator core against libnpu's CPU
 * reference (written independently, from the same documents): every op,
 * over random shapes, strides, padding, dilation, groups, per-channel
 * parameters, zero points at the extremes, multipliers and shifts over
 * their range, both rounding modes, saturation, raw int32 outputs; each
 * case on every kernel family the host runs (portable, AVX2, AVX-512
 * VNNI), with one and two worker threads.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emu_sim.h"
#include "qnpu_kernels.h"
#include "ref/ref.h"

/* xorshift64*: reproducible across hosts. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static int64_t rnd_range(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static bool chance(int percent)
{
    return rnd_range(1, 100) <= percent;
}

/*
 * A weight: full range (-128 now and then), or, for a share of the
 * layers, 7-bit [-64, 63] with the ends often: the AVX2 kernels take
 * another exact path for such weights.
 */
static int8_t rnd_weight(bool seven)
{
    if (seven) {
        return chance(20) ? (chance(50) ? -64 : 63) : (int8_t)rnd_range(-64, 63);
    }
    return chance(3) ? -128 : (int8_t)rnd_range(-127, 127);
}

/* A zero point, often at an extreme. */
static int32_t rnd_zp(void)
{
    switch (rnd_range(0, 5)) {
    case 0:
        return -128;
    case 1:
        return 127;
    default:
        return (int32_t)rnd_range(-128, 127);
    }
}

/* ---- buffers in the simulated system, with a host twin for ref ---- */

#define VA_BASE 0x40000000ull

struct buf {
    uint64_t va;
    uint8_t *dev;       /* the device's view, inside simulated RAM */
    uint8_t *ref;       /* the reference's copy */
    size_t len;
};

struct world {
    struct sys *s;
    uint64_t next_va;
    struct buf bufs[8];
    int nbufs;
};

static struct buf *buf_new(struct world *w, size_t len, bool fill)
{
    struct buf *b = &w->bufs[w->nbufs++];
    size_t i;

    b->len = len;
    b->va = w->next_va;
    w->next_va += (len + 4095) / 4096 * 4096 + 4096;
    b->dev = w->s->ram + map_range(w->s, 1, b->va, len, 6);
    b->ref = malloc(len);
    for (i = 0; i < len; i++) {
        b->dev[i] = fill ? (uint8_t)rnd() : 0xcd;
    }
    memcpy(b->ref, b->dev, len);
    return b;
}

static void world_init(struct world *w, struct sys *s)
{
    memset(w, 0, sizeof(*w));
    w->s = s;
    w->next_va = VA_BASE;
}

static void world_reset(struct world *w)
{
    struct sys *s = w->s;
    int i;

    for (i = 0; i < w->nbufs; i++) {
        free(w->bufs[i].ref);
    }
    /* Fresh page tables and data pages for the next case. */
    s->next_pt = PT_POOL_PA;
    s->next_page = DATA_PA;
    ctx_create(s, 1);
    qnpu_mmu_invalidate(&s->mmu, -1);
    world_init(w, s);
}

/* A tensor with random padding between elements, rows and images. */
static struct qnpu_tensor rnd_tensor(uint32_t n, uint32_t h, uint32_t w,
                                     uint32_t c, int dtype, size_t *span)
{
    uint32_t es = dtype == QNPU_DTYPE_INT32 ? 4 : 1;
    struct qnpu_tensor t = { .dim = { n, h, w, c }, .dtype = dtype };
    bool gaps = chance(30);

    t.stride[3] = es * (gaps && chance(30) ? 2 : 1);
    t.stride[2] = c * t.stride[3] + (gaps ? es * rnd_range(0, 3) : 0);
    t.stride[1] = w * t.stride[2] + (gaps ? es * rnd_range(0, 5) : 0);
    t.stride[0] = h * t.stride[1] + (gaps ? es * rnd_range(0, 7) : 0);
    *span = (size_t)(n - 1) * t.stride[0] + (size_t)(h - 1) * t.stride[1] +
            (size_t)(w - 1) * t.stride[2] + (size_t)(c - 1) * t.stride[3] +
            es;
    return t;
}

static struct buf *tensor_buf(struct world *w, struct qnpu_tensor *t,
                              uint32_t n, uint32_t h, uint32_t wd, uint32_t c,
                              int dtype, bool input)
{
    size_t span;
    struct buf *b;

    *t = rnd_tensor(n, h, wd, c, dtype, &span);
    b = buf_new(w, span, input);
    t->addr = b->va;
    return b;
}

/* Multiplier and shift: mostly normalised, shifts around useful scales. */
static void rnd_mult(int32_t *m, int32_t *s, int32_t lo_shift,
                     int32_t hi_shift)
{
    int pick = (int)rnd_range(0, 19);

    *m = pick == 0 ? 0 : pick < 4 ? (int32_t)rnd_range(0, INT32_MAX) :
         (int32_t)rnd_range(1 << 30, INT32_MAX);
    *s = chance(10) ? (int32_t)rnd_range(-31, 30) :
         (int32_t)rnd_range(lo_shift, hi_shift);
}

static void rnd_requant(struct qnpu_requant *rq, int32_t lo_shift,
                        int32_t hi_shift)
{
    int32_t a = (int32_t)rnd_range(-128, 127), b = (int32_t)rnd_range(-128, 127);

    memset(rq, 0, sizeof(*rq));
    rnd_mult(&rq->multiplier, &rq->shift, lo_shift, hi_shift);
    rq->output_zero_point = rnd_zp();
    if (chance(60)) {
        rq->act_min = -128;
        rq->act_max = 127;
    } else {
        rq->act_min = a < b ? a : b;
        rq->act_max = a < b ? b : a;
    }
    rq->rounding = chance(50) ? QNPU_ROUND_SINGLE : QNPU_ROUND_DOUBLE;
}

/* Per-channel parameters for @c channels, when chosen. */
static struct buf *rnd_channel_params(struct world *w, struct qnpu_requant *rq,
                                      uint32_t c, int32_t lo_shift,
                                      int32_t hi_shift)
{
    struct qnpu_channel_requant *p;
    struct buf *b;
    uint32_t i;

    if (!chance(50)) {
        return NULL;
    }
    b = buf_new(w, 8ull * c, false);
    p = (void *)b->dev;
    for (i = 0; i < c; i++) {
        rnd_mult(&p[i].multiplier, &p[i].shift, lo_shift, hi_shift);
    }
    memcpy(b->ref, b->dev, b->len);
    rq->channel_params = b->va;
    rq->multiplier = 0;
    rq->shift = 0;
    return b;
}

/* Run one descriptor on the device and compare its output with ref's. */
static void check_case(struct world *w, const void *desc, uint32_t size,
                       uint16_t op, const struct buf *out, const char *what)
{
    struct qnpu_job_result res;
    struct cb cb;

    cb_init(&cb);
    memcpy(cb_add(&cb, op, size), desc, size);
    /* cb_add wrote the header; restore the descriptor's own */
    memcpy(cb.buf + sizeof(struct qnpu_cmdbuf_header), desc, size);
    assert_true(run(w->s, &cb, 1, &res));
    if (res.status != QNPU_STATUS_OK) {
        fail_msg("%s: device status %u", what, res.status);
    }
    if (memcmp(out->dev, out->ref, out->len)) {
        size_t i;

        for (i = 0; out->dev[i] == out->ref[i]; i++) {
        }
        fail_msg("%s (%s): output byte %zu: device %d, ref %d", what,
                 w->s->eng.kernels->name, i, (int8_t)out->dev[i],
                 (int8_t)out->ref[i]);
    }
}

/* conv_case(): change one weight (the engine's weights cache must notice). */
static bool perturb_weights;

static void conv_case(struct world *w, char *what, size_t len)
{
    struct qnpu_desc_conv2d d = { .hdr = { QNPU_OP_CONV2D, 1, 0,
                                           sizeof(d) } };
    uint32_t n = rnd_range(1, 2), h = rnd_range(1, 11), wd = rnd_range(1, 11);
    uint32_t groups, cin, cout, cg_in, k, oh, ow;
    int32_t ohwi_len, span_h, span_w;
    bool seven;
    struct buf *in, *out, *wt, *bias = NULL, *cp;
    int8_t *ohwi;
    bool raw = chance(10);
    int mode = (int)rnd_range(0, 3);

    d.kernel_h = rnd_range(1, 4);
    d.kernel_w = rnd_range(1, 4);
    d.stride_h = rnd_range(1, 3);
    d.stride_w = rnd_range(1, 3);
    d.dilation_h = chance(25) ? 2 : 1;
    d.dilation_w = chance(25) ? 2 : 1;
    span_h = (d.kernel_h - 1) * d.dilation_h + 1;
    span_w = (d.kernel_w - 1) * d.dilation_w + 1;
    d.pad_top = rnd_range(0, span_h - 1);
    d.pad_bottom = rnd_range(0, span_h - 1);
    d.pad_left = rnd_range(0, span_w - 1);
    d.pad_right = rnd_range(0, span_w - 1);
    if ((int32_t)h + d.pad_top + d.pad_bottom < span_h) {
        h = span_h;
    }
    if ((int32_t)wd + d.pad_left + d.pad_right < span_w) {
        wd = span_w;
    }
    oh = (h + d.pad_top + d.pad_bottom - span_h) / d.stride_h + 1;
    ow = (wd + d.pad_left + d.pad_right - span_w) / d.stride_w + 1;

    if (mode == 0) {            /* depthwise, multiplier 1..2 */
        cin = groups = rnd_range(2, 40);
        cout = cin * rnd_range(1, 2);
    } else if (mode == 1) {     /* grouped */
        groups = rnd_range(2, 4);
        cin = groups * rnd_range(1, 6);
        cout = groups * rnd_range(1, 20);
    } else {                    /* ordinary, odd sizes */
        groups = 1;
        cin = rnd_range(1, 37);
        cout = rnd_range(1, 40);
    }
    cg_in = cin / groups;
    k = d.kernel_h * d.kernel_w * cg_in;
    d.groups = groups;
    d.input_zero_point = rnd_zp();
    snprintf(what, len, "conv n%u %ux%ux%u->%ux%ux%u k%ux%u s%ux%u d%ux%u g%u",
             n, h, wd, cin, oh, ow, cout, d.kernel_h, d.kernel_w, d.stride_h,
             d.stride_w, d.dilation_h, d.dilation_w, groups);

    in = tensor_buf(w, &d.input, n, h, wd, cin, QNPU_DTYPE_INT8, true);
    out = tensor_buf(w, &d.output, n, oh, ow, cout,
                     raw ? QNPU_DTYPE_INT32 : QNPU_DTYPE_INT8, false);
    ohwi_len = (int32_t)(cout * k);
    ohwi = malloc(ohwi_len);
    seven = chance(35);
    for (int32_t i = 0; i < ohwi_len; i++) {
        ohwi[i] = rnd_weight(seven);
    }
    if (perturb_weights) {
        ohwi[ohwi_len / 2] ^= 1;
    }
    wt = buf_new(w, npu_ref_weight_bytes(cout, d.kernel_h, d.kernel_w, cin,
                                         groups), false);
    assert_int_equal(npu_ref_pack_weights((int8_t *)wt->dev, ohwi, cout,
                                          d.kernel_h, d.kernel_w, cin, groups),
                     0);
    memcpy(wt->ref, wt->dev, wt->len);
    d.weights = wt->va;
    if (chance(80)) {
        int32_t *bv;

        bias = buf_new(w, 4ull * cout, false);
        bv = (int32_t *)bias->dev;
        for (uint32_t c = 0; c < cout; c++) {
            bv[c] = chance(10) ? (int32_t)rnd() : (int32_t)rnd_range(-70000,
                                                                     70000);
        }
        memcpy(bias->ref, bias->dev, bias->len);
        d.bias = bias->va;
    }
    cp = NULL;
    if (!raw) {
        rnd_requant(&d.requant, -18, 2);
        cp = rnd_channel_params(w, &d.requant, cout, -18, 2);
    }
    assert_int_equal(npu_ref_conv2d(&d, in->ref, out->ref, (int8_t *)wt->ref,
                                    bias ? (int32_t *)bias->ref : NULL,
                                    cp ? (void *)cp->ref : NULL), 0);
    check_case(w, &d, sizeof(d), QNPU_OP_CONV2D, out, what);
    free(ohwi);
}

static void fc_case(struct world *w, char *what, size_t len)
{
    struct qnpu_desc_fc d = { .hdr = { QNPU_OP_FULLY_CONNECTED, 1, 0,
                                       sizeof(d) } };
    uint32_t n = rnd_range(1, 3), h = rnd_range(1, 3);
    /* Now and then a K long enough for several blocks of k in the kernels. */
    uint32_t k = chance(15) ? rnd_range(1000, 2200) : rnd_range(1, 300);
    uint32_t cout = rnd_range(1, 70), i;
    struct buf *in, *out, *wt, *bias = NULL, *cp = NULL;
    bool raw = chance(10), seven;
    int8_t *ohwi = malloc((size_t)cout * k);

    snprintf(what, len, "fc %ux%ux%u -> %u", n, h, k, cout);
    in = tensor_buf(w, &d.input, n, h, 1, k, QNPU_DTYPE_INT8, true);
    out = tensor_buf(w, &d.output, n, h, 1, cout,
                     raw ? QNPU_DTYPE_INT32 : QNPU_DTYPE_INT8, false);
    seven = chance(35);
    for (i = 0; i < cout * k; i++) {
        ohwi[i] = rnd_weight(seven);
    }
    wt = buf_new(w, npu_ref_weight_bytes(cout, 1, 1, k, 1), false);
    assert_int_equal(npu_ref_pack_weights((int8_t *)wt->dev, ohwi, cout, 1, 1,
                                          k, 1), 0);
    memcpy(wt->ref, wt->dev, wt->len);
    d.weights = wt->va;
    d.input_zero_point = rnd_zp();
    if (chance(70)) {
        bias = buf_new(w, 4ull * cout, true);
        d.bias = bias->va;
    }
    if (!raw) {
        rnd_requant(&d.requant, -20, 0);
        cp = rnd_channel_params(w, &d.requant, cout, -20, 0);
    }
    assert_int_equal(npu_ref_fc(&d, in->ref, out->ref, (int8_t *)wt->ref,
                                bias ? (int32_t *)bias->ref : NULL,
                                cp ? (void *)cp->ref : NULL), 0);
    check_case(w, &d, sizeof(d), QNPU_OP_FULLY_CONNECTED, out, what);
    free(ohwi);
}

static void matmul_case(struct world *w, char *what, size_t len)
{
    struct qnpu_desc_matmul d = { .hdr = { QNPU_OP_MATMUL, 1, 0,
                                           sizeof(d) } };
    uint32_t n = rnd_range(1, 2), h = rnd_range(1, 2), m = rnd_range(1, 20);
    uint32_t k = rnd_range(1, 80), p = rnd_range(1, 40);
    struct buf *a, *b, *out, *bias = NULL;
    bool raw = chance(10);

    snprintf(what, len, "matmul %ux%u: %ux%u * %ux%u", n, h, m, k, k, p);
    a = tensor_buf(w, &d.a, n, h, m, k, QNPU_DTYPE_INT8, true);
    b = tensor_buf(w, &d.b, n, h, k, p, QNPU_DTYPE_INT8, true);
    if (chance(20)) {           /* one B for every batch */
        d.b.stride[0] = 0;
        d.b.stride[1] = 0;
    }
    out = tensor_buf(w, &d.output, n, h, m, p,
                     raw ? QNPU_DTYPE_INT32 : QNPU_DTYPE_INT8, false);
    d.a_zero_point = rnd_zp();
    d.b_zero_point = rnd_zp();
    if (chance(50)) {
        bias = buf_new(w, 4ull * p, true);
        d.bias = bias->va;
    }
    if (!raw) {
        rnd_requant(&d.requant, -22, 0);
    }
    assert_int_equal(npu_ref_matmul(&d, a->ref, b->ref, out->ref,
                                    bias ? (int32_t *)bias->ref : NULL), 0);
    check_case(w, &d, sizeof(d), QNPU_OP_MATMUL, out, what);
}

static void pool_case(struct world *w, char *what, size_t len)
{
    struct qnpu_desc_pool d = { 0 };
    bool avg = chance(50);
    uint32_t n = rnd_range(1, 2), h = rnd_range(1, 12), wd = rnd_range(1, 12);
    uint32_t c = rnd_range(1, 20), oh, ow;
    struct buf *in, *out;
    int32_t a = (int32_t)rnd_range(-128, 127), b = (int32_t)rnd_range(-128, 127);

    d.hdr = (struct qnpu_desc_header) {
        avg ? QNPU_OP_AVGPOOL : QNPU_OP_MAXPOOL, 1, 0, sizeof(d),
    };
    if (chance(15)) {           /* global */
        d.kernel_h = h;
        d.kernel_w = wd;
        d.stride_h = d.stride_w = 1;
    } else {
        d.kernel_h = rnd_range(1, 4);
        d.kernel_w = rnd_range(1, 4);
        d.stride_h = rnd_range(1, 3);
        d.stride_w = rnd_range(1, 3);
        d.pad_top = rnd_range(0, d.kernel_h - 1);
        d.pad_bottom = rnd_range(0, d.kernel_h - 1);
        d.pad_left = rnd_range(0, d.kernel_w - 1);
        d.pad_right = rnd_range(0, d.kernel_w - 1);
    }
    if (h + d.pad_top + d.pad_bottom < d.kernel_h) {
        h = d.kernel_h;
    }
    if (wd + d.pad_left + d.pad_right < d.kernel_w) {
        wd = d.kernel_w;
    }
    oh = (h + d.pad_top + d.pad_bottom - d.kernel_h) / d.stride_h + 1;
    ow = (wd + d.pad_left + d.pad_right - d.kernel_w) / d.stride_w + 1;
    d.act_min = chance(50) ? -128 : (a < b ? a : b);
    d.act_max = chance(50) ? 127 : (a < b ? b : a);
    if (d.act_min > d.act_max) {
        d.act_min = -128;
    }
    snprintf(what, len, "%s n%u %ux%ux%u k%ux%u s%ux%u", avg ? "avgpool" :
             "maxpool", n, h, wd, c, d.kernel_h, d.kernel_w, d.stride_h,
             d.stride_w);
    in = tensor_buf(w, &d.input, n, h, wd, c, QNPU_DTYPE_INT8, true);
    out = tensor_buf(w, &d.output, n, oh, ow, c, QNPU_DTYPE_INT8, false);
    assert_int_equal(avg ? npu_ref_avgpool(&d, in->ref, out->ref) :
                     npu_ref_maxpool(&d, in->ref, out->ref), 0);
    check_case(w, &d, sizeof(d), d.hdr.op, out, what);
}

static void eltwise_case(struct world *w, char *what, size_t len)
{
    struct qnpu_desc_eltwise d = { 0 };
    bool mul = chance(40), single = !mul && chance(20);
    uint32_t n = rnd_range(1, 2), h = rnd_range(1, 6), wd = rnd_range(1, 6);
    uint32_t c = rnd_range(1, 24);
    struct buf *a, *b = NULL, *out;

    d.hdr = (struct qnpu_desc_header) {
        mul ? QNPU_OP_MUL : QNPU_OP_ADD, 1, 0, sizeof(d),
    };
    snprintf(what, len, "%s %ux%ux%ux%u", mul ? "mul" : single ? "rescale" :
             "add", n, h, wd, c);
    a = tensor_buf(w, &d.input1, n, h, wd, c, QNPU_DTYPE_INT8, true);
    d.input1_zero_point = rnd_zp();
    if (!single) {
        b = tensor_buf(w, &d.input2, n, h, wd, c, QNPU_DTYPE_INT8, true);
        if (chance(25)) {       /* broadcast over H and W */
            d.input2.stride[1] = 0;
            d.input2.stride[2] = 0;
        }
        d.input2_zero_point = rnd_zp();
    }
    out = tensor_buf(w, &d.output, n, h, wd, c, QNPU_DTYPE_INT8, false);
    if (mul) {
        rnd_requant(&d.requant, -16, 0);
    } else {
        d.left_shift = chance(80) ? 20 : (int32_t)rnd_range(0, 20);
        d.input1_multiplier = (int32_t)rnd_range(1 << 30, INT32_MAX);
        d.input1_shift = (int32_t)rnd_range(-3, 0);
        if (!single) {
            d.input2_multiplier = (int32_t)rnd_range(1 << 30, INT32_MAX);
            d.input2_shift = (int32_t)rnd_range(-3, 0);
        }
        rnd_requant(&d.requant, -24, -14);
    }
    assert_int_equal(mul ? npu_ref_mul(&d, a->ref, b->ref, out->ref) :
                     npu_ref_add(&d, a->ref, b ? b->ref : NULL, out->ref), 0);
    check_case(w, &d, sizeof(d), d.hdr.op, out, what);
}

/* A random table over a strided (sometimes broadcast) input. */
static void lut_case(struct world *w, char *what, size_t len)
{
    struct qnpu_desc_lut d = { .hdr = { QNPU_OP_LUT, 1, 0, sizeof(d) } };
    uint32_t n = rnd_range(1, 2), h = rnd_range(1, 9), wd = rnd_range(1, 9);
    uint32_t c = rnd_range(1, 40);
    struct buf *in, *table, *out;

    snprintf(what, len, "lut %ux%ux%ux%u", n, h, wd, c);
    in = tensor_buf(w, &d.input, n, h, wd, c, QNPU_DTYPE_INT8, true);
    if (chance(20)) {
        d.input.stride[1] = 0;
    }
    table = buf_new(w, QNPU_LUT_ENTRIES, true);
    d.table = table->va;
    out = tensor_buf(w, &d.output, n, h, wd, c, QNPU_DTYPE_INT8, false);
    assert_int_equal(npu_ref_lut(&d, in->ref, (const int8_t *)table->ref, out->ref), 0);
    check_case(w, &d, sizeof(d), d.hdr.op, out, what);
}

typedef void case_fn(struct world *w, char *what, size_t len);

/* A device modelling programming model 1.0 has no LUT: UNKNOWN_OP, nothing written. */
static void test_lut_unknown_on_1_0(void **state)
{
    struct sys *s = *state;
    struct qnpu_desc_lut d = { .hdr = { QNPU_OP_LUT, 1, 0, sizeof(d) } };
    struct qnpu_job_result res;
    struct buf *out;
    struct world w;
    struct cb cb;

    world_init(&w, s);
    tensor_buf(&w, &d.input, 1, 2, 2, 8, QNPU_DTYPE_INT8, true);
    d.table = buf_new(&w, QNPU_LUT_ENTRIES, true)->va;
    out = tensor_buf(&w, &d.output, 1, 2, 2, 8, QNPU_DTYPE_INT8, false);
    cb_init(&cb);
    memcpy(cb_add(&cb, QNPU_OP_LUT, sizeof(d)), &d, sizeof(d));
    memcpy(cb.buf + sizeof(struct qnpu_cmdbuf_header), &d, sizeof(d));
    s->cfg.version_minor = 0;
    assert_true(run(s, &cb, 1, &res));
    s->cfg.version_minor = QNPU_HW_VERSION_MINOR;
    assert_int_equal(res.status, QNPU_STATUS_UNKNOWN_OP);
    assert_memory_equal(out->dev, out->ref, out->len);
    world_reset(&w);
}

static void run_cases(void **state, case_fn *fn, int count)
{
    struct sys *s = *state;
    struct world w;
    int isa, i;

    world_init(&w, s);
    for (isa = 0; isa < QNPU_ISA_COUNT; isa++) {
        const struct qnpu_kernels *k = qnpu_kernels_get(isa);

        if (!k) {
            continue;
        }
        s->eng.kernels = k;
        rng_state = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)fn;
        for (i = 0; i < count; i++) {
            char what[160];

            s->cfg.workers = (i & 1) ? 2 : 1;
            fn(&w, what, sizeof(what));
            world_reset(&w);
        }
    }
}

static void test_conv2d(void **state)
{
    run_cases(state, conv_case, 700);
}

/* Convolution @seed in a fresh world (the same addresses as any other). */
static void conv_seeded(struct world *w, uint64_t seed, bool perturb)
{
    char what[160];

    rng_state = seed;
    perturb_weights = perturb;
    conv_case(w, what, sizeof(what));
    perturb_weights = false;
    world_reset(w);
}

/*
 * The weights scratch moved and its old memory overwritten, as a buffer
 * that grows for a bigger layer is: a cache entry must not point into it.
 * The old buffer (returned) is freed by the caller.
 */
static void *move_weights_scratch(struct sys *s)
{
    void *old = s->eng.scratch[QNPU_SCRATCH_WEIGHTS], *p = NULL;
    size_t n = s->eng.scratch_size[QNPU_SCRATCH_WEIGHTS];

    if (!old) {
        return NULL;
    }
    assert_int_equal(posix_memalign(&p, 64, n), 0);
    s->eng.scratch[QNPU_SCRATCH_WEIGHTS] = p;
    memset(old, 0x55, n);
    return old;
}

/*
 * The engine keeps prepared weights from job to job: A, B, A again (a hit
 * that must not see B's weights, nor the memory A was staged in), then A
 * with one weight changed at the same address (a miss), on every kernel
 * family.
 */
static void test_weights_cache(void **state)
{
    struct sys *s = *state;
    struct world w;
    int isa, i;

    world_init(&w, s);
    for (isa = 0; isa < QNPU_ISA_COUNT; isa++) {
        if (!qnpu_kernels_get(isa)) {
            continue;
        }
        s->eng.kernels = qnpu_kernels_get(isa);
        for (i = 0; i < 60; i++) {
            uint64_t a = 0x51ed270b27c1f3a5ull * (i + 1), b = a ^ 0xabcdef;

            void *old;

            conv_seeded(&w, a, false);
            old = move_weights_scratch(s);
            conv_seeded(&w, b, false);
            conv_seeded(&w, a, false);
            conv_seeded(&w, a, true);
            free(old);
        }
    }
}

static void test_fully_connected(void **state)
{
    run_cases(state, fc_case, 300);
}

static void test_matmul(void **state)
{
    run_cases(state, matmul_case, 300);
}

static void test_pool(void **state)
{
    run_cases(state, pool_case, 500);
}

static void test_eltwise(void **state)
{
    run_cases(state, eltwise_case, 500);
}

static void test_lut(void **state)
{
    run_cases(state, lut_case, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_conv2d, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_weights_cache, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_fully_connected, sim_setup,
                                        sim_teardown),
        cmocka_unit_test_setup_teardown(test_matmul, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_pool, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_eltwise, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_lut, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_lut_unknown_on_1_0, sim_setup, sim_teardown),
    };

    return cmocka_run_group_tests_name("emulator vs reference", tests, NULL,
                                       NULL);
}
