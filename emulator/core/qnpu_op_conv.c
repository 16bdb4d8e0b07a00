/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: the MAC-array operations, CONV2D (depthwise too),
 * FULLY_CONNECTED and MATMUL, over one packed-weight GEMM (docs/hardware.md
 * 13.3-13.5, docs/arithmetic.md). Each checks its descriptor in the order
 * of section 14, stages its operands, computes and writes the output.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "qnpu_op_common.h"

/* Rows of the implicit-GEMM input staged at a time (bounds host memory). */
#define GEMM_CHUNK_BYTES    (4u << 20)

/* ---- packed-weight GEMM, shared by CONV2D, FULLY_CONNECTED, MATMUL ---- */

/*
 * dst = src XOR @flip per byte (0x80: int8 x to x + 128), eight bytes at a
 * time.
 */
static void qnpu_flip_sign(const uint8_t *src, uint8_t *dst, size_t n, uint8_t flip)
{
    uint64_t mask = flip * 0x0101010101010101ull;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t v;

        memcpy(&v, src + i, 8);
        v ^= mask;
        memcpy(dst + i, &v, 8);
    }
    for (; i < n; i++) {
        dst[i] = src[i] ^ flip;
    }
}

/*
 * bias_adj[o] = bias[o] - 128 * sum_k W(o, k): the GEMM kernels take the
 * input as x + 128 (unsigned, as VNNI wants it), so this cancels the shift.
 * Blocks of 16 channels are spread over the workers.
 */
struct fold_job {
    const struct qnpu_kernels *k;
    const int8_t *w;
    size_t kb, cols;
    const int32_t *bias;
    int32_t *bias_adj;
};

static void fold_range(void *opaque, size_t b0, size_t b1)
{
    const struct fold_job *j = opaque;
    size_t ch;

    j->k->wsum(j->w, j->kb, b0, b1, j->bias_adj);
    for (ch = b0 * 16; ch < b1 * 16; ch++) {
        j->bias_adj[ch] = (int32_t)((ch < j->cols && j->bias ? (uint32_t)j->bias[ch] : 0u) -
                                    128u * (uint32_t)j->bias_adj[ch]);
    }
}

static void fold_bias(struct qnpu_engine *eng, const int8_t *w, size_t ob, size_t kb,
                      const int32_t *bias, size_t cols, int32_t *bias_adj)
{
    struct fold_job j = {
        .k = eng->kernels, .w = w, .kb = kb, .cols = cols, .bias = bias,
        .bias_adj = bias_adj,
    };

    qnpu_parallel_rows(eng, fold_range, &j, ob);
}

struct conv_shape {
    uint32_t n, h, w, cin, oh, ow, cout;
    uint32_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups;
    int32_t izp;
    uint32_t cg_in, cg_out;
    uint64_t k;
    bool depthwise;
};

/*
 * A GEMM over rows, each worker doing its rows end to end: stage the
 * input (im2col, when @cs is set), multiply, and requantize into @out
 * (when set).
 */
struct gemm_job {
    const struct qnpu_kernels *k;
    uint8_t *a;
    size_t kb, ob;
    const int8_t *w;
    const int32_t *bias;
    int32_t *c;
    size_t ldc;
    /* staging: im2col of group @g, rows from @p0 */
    const struct conv_shape *cs;
    const uint8_t *in_u8;       /* the input as x + 128, padded (pad_image) */
    size_t hp, wp;              /* its images' height and width */
    uint32_t g;
    size_t p0;
    bool direct;        /* a 1x1 convolution of whole rows: no staging */
    /* output stage */
    const struct requant *rq;
    uint8_t *out;
    size_t cols, out_cols, col0;
};

static void im2col(const struct gemm_job *j, size_t p0, size_t p1, uint8_t *a);

/*
 * Rows per pass of staging, GEMM and output stage: small enough that the
 * staged rows and the accumulators are still in the cache when the next
 * step reads them.
 */
#define ROWS_PER_PASS 192

/* The most taps a convolution may have to run without staged rows. */
#define ICONV_MAX_TAPS 64

/*
 * Output pixel p's corner in padded images (@img, images of @hp x @wp
 * pixels of @pix_bytes): where its window's first tap starts. Every tap
 * is the corner plus its offset (tap_offsets), padding included.
 */
static const uint8_t *pixel_corner(const struct conv_shape *cs, const uint8_t *img,
                                   size_t hp, size_t wp, size_t pix_bytes, size_t p)
{
    size_t ox = p % cs->ow, oy = (p / cs->ow) % cs->oh, n = p / ((size_t)cs->ow * cs->oh);

    return img + ((n * hp + oy * cs->sh) * wp + ox * cs->sw) * pix_bytes;
}

static void tap_offsets(const struct conv_shape *cs, size_t wp, size_t pix_bytes,
                        size_t *off)
{
    size_t t;

    for (t = 0; t < (size_t)cs->kh * cs->kw; t++) {
        off[t] = ((t / cs->kw) * cs->dh * wp + (t % cs->kw) * cs->dw) * pix_bytes;
    }
}

/*
 * The corners (pixel_corner) of output pixels [p0, p0 + rows), a multiple
 * of 6 of them (the last tile's extra rows repeat the first), for the
 * kernels' iconv and dw_out. The position advances pixel by pixel: no
 * division per pixel.
 */
static void corner_table(const struct conv_shape *cs, const uint8_t *img, size_t hp,
                         size_t wp, size_t pix_bytes, size_t p0, size_t rows,
                         const uint8_t **corner)
{
    const uint8_t *c = pixel_corner(cs, img, hp, wp, pix_bytes, p0);
    uint32_t ox = p0 % cs->ow, oy = (p0 / cs->ow) % cs->oh;
    size_t r;

    for (r = 0; r < rows; r++) {
        corner[r] = c;
        c += (size_t)cs->sw * pix_bytes;
        if (++ox == cs->ow) {
            ox = 0;
            c += ((size_t)cs->sh * wp - (size_t)cs->ow * cs->sw) * pix_bytes;
            if (++oy == cs->oh) {
                oy = 0;
                c += (hp - (size_t)cs->oh * cs->sh) * wp * pix_bytes;
            }
        }
    }
    for (; r % 6; r++) {
        corner[r] = corner[0];
    }
}

/* The padded input (x + 128) of @j's group. */
static const uint8_t *group_input(const struct gemm_job *j)
{
    return j->in_u8 + (size_t)j->g * j->cs->cg_in;
}

static void gemm_range(void *opaque, size_t r0, size_t r1)
{
    struct gemm_job *g = opaque;
    const struct conv_shape *cs = g->cs;
    size_t kp = g->kb * 4, s0, s1, taps = cs ? (size_t)cs->kh * cs->kw : 0;
    size_t off[ICONV_MAX_TAPS];
    const uint8_t **corner = NULL;
    bool iconv = cs && !g->direct && g->k->iconv && cs->cg_in % 4 == 0 &&
                 taps <= ICONV_MAX_TAPS;
    /* Kernels that requantize as they store write the output themselves. */
    bool fused = g->out && !g->rq->raw && g->k->fused_out;
    struct qnpu_rq rq = fused ? kernel_rq(g->rq) : (struct qnpu_rq) { 0 };
    struct qnpu_out o = {
        .rq = &rq, .ldo = g->out_cols, .cols = g->cols, .ch0 = g->col0,
    };

    if (iconv) {
        corner = malloc(sizeof(*corner) * (ROWS_PER_PASS + 5) / 6 * 6);
        iconv = corner;
        tap_offsets(cs, g->wp, cs->cin, off);
    }
    for (s0 = r0; s0 < r1; s0 = s1) {
        const uint8_t *a = g->a;

        s1 = r1 - s0 > ROWS_PER_PASS ? s0 + ROWS_PER_PASS : r1;
        if (iconv) {
            corner_table(cs, group_input(g), g->hp, g->wp, cs->cin, g->p0 + s0, s1 - s0,
                         corner);
            /* false: not weights the indirect kernel takes; stage rows */
            o.out = fused ? (int8_t *)g->out + s0 * g->out_cols + g->col0 : NULL;
            iconv = g->k->iconv(corner, off, taps, cs->cg_in, s1 - s0, g->w, g->ob,
                                g->bias, g->c + s0 * g->ldc, g->ldc, fused ? &o : NULL);
        }
        if (!iconv) {
            if (g->direct) {
                a = g->in_u8 + g->p0 * kp;  /* the input rows are the GEMM rows */
            } else if (cs) {
                im2col(g, g->p0 + s0, g->p0 + s1, g->a + s0 * kp);
            }
            o.out = fused ? (int8_t *)g->out + g->col0 : NULL;
            g->k->gemm(a, s0, s1, g->kb, g->w, g->ob, g->bias, g->c, g->ldc,
                       fused ? &o : NULL);
        }
        if (g->out && !fused) {
            qnpu_op_store_rows(g->k, g->rq, g->c + s0 * g->ldc, s1 - s0, g->cols, g->ldc,
                               g->out + s0 * g->out_cols * (g->rq->raw ? 4 : 1),
                               g->out_cols, g->col0);
        }
    }
    free(corner);
}

/*
 * The weights as the kernels want them: the packed layout itself, or
 * their own (prep), made once per op in the engine's buffer.
 */
static const int8_t *gemm_weights(struct qnpu_engine *eng, const int8_t *w,
                                  size_t kb, size_t ob)
{
    const struct qnpu_kernels *k = eng->kernels;
    void *buf;

    if (!k->prep) {
        return w;
    }
    buf = qnpu_engine_scratch(eng, QNPU_SCRATCH_WEIGHTS_PREP,
                              k->prep_bytes(kb, ob));
    if (buf) {
        k->prep(w, kb, ob, buf);
    }
    return buf;
}

/*
 * A convolution's weights for the GEMM and its bias with the input shift
 * folded in: the prepared weights and channel sums from the engine's
 * cache (the same weights run job after job), else made here.
 */
static const int8_t *cached_weights(struct qnpu_engine *eng, const int8_t *w, size_t kb,
                                    size_t ob, const int32_t *bias, size_t cols,
                                    int32_t *bias_adj)
{
    const struct qnpu_wcache_entry *e = qnpu_engine_weights(eng, w, kb, ob);
    size_t ch;

    if (!e) {
        fold_bias(eng, w, ob, kb, bias, cols, bias_adj);
        return gemm_weights(eng, w, kb, ob);
    }
    for (ch = 0; ch < ob * 16; ch++) {
        bias_adj[ch] = (int32_t)((ch < cols && bias ? (uint32_t)bias[ch] : 0u) -
                                 128u * (uint32_t)e->wsum[ch]);
    }
    return e->prep ? e->prep : e->raw;
}

/* ---- CONV2D ---- */


static uint32_t conv_check(const struct qnpu_desc_conv2d *d,
                           const struct qnpu_tens *in,
                           const struct qnpu_tens *out, struct conv_shape *cs)
{
    cs->n = in->dim[0];
    cs->h = in->dim[1];
    cs->w = in->dim[2];
    cs->cin = in->dim[3];
    cs->oh = out->dim[1];
    cs->ow = out->dim[2];
    cs->cout = out->dim[3];
    cs->kh = le16toh(d->kernel_h);
    cs->kw = le16toh(d->kernel_w);
    cs->sh = le16toh(d->stride_h);
    cs->sw = le16toh(d->stride_w);
    cs->dh = le16toh(d->dilation_h);
    cs->dw = le16toh(d->dilation_w);
    cs->pt = le16toh(d->pad_top);
    cs->pl = le16toh(d->pad_left);
    cs->pb = le16toh(d->pad_bottom);
    cs->pr = le16toh(d->pad_right);
    cs->groups = le32toh(d->groups);
    cs->izp = (int32_t)le32toh(d->input_zero_point);

    if (!in_range(cs->kh, 1, 255) || !in_range(cs->kw, 1, 255) ||
        !in_range(cs->sh, 1, 255) || !in_range(cs->sw, 1, 255) ||
        !in_range(cs->dh, 1, 255) || !in_range(cs->dw, 1, 255) ||
        cs->pt >= (cs->kh - 1) * cs->dh + 1 ||
        cs->pb >= (cs->kh - 1) * cs->dh + 1 ||
        cs->pl >= (cs->kw - 1) * cs->dw + 1 ||
        cs->pr >= (cs->kw - 1) * cs->dw + 1 ||
        cs->groups == 0 || cs->cin % cs->groups || cs->cout % cs->groups ||
        !in_range(cs->izp, -128, 127) || d->reserved ||
        out->dim[0] != cs->n ||
        !out_extent(cs->h, cs->pt, cs->pb, cs->kh, cs->dh, cs->sh, cs->oh) ||
        !out_extent(cs->w, cs->pl, cs->pr, cs->kw, cs->dw, cs->sw, cs->ow)) {
        return INVALID;
    }
    cs->cg_in = cs->cin / cs->groups;
    cs->cg_out = cs->cout / cs->groups;
    cs->k = (uint64_t)cs->kh * cs->kw * cs->cg_in;
    cs->depthwise = cs->groups > 1 && cs->groups == cs->cin;
    return QNPU_STATUS_OK;
}

static uint64_t conv_weight_bytes(const struct conv_shape *cs)
{
    if (cs->depthwise) {
        return (uint64_t)cs->kh * cs->kw * cs->cout;
    }
    return (uint64_t)cs->groups * qnpu_div_up(cs->cg_out, 16) * 16 *
           qnpu_div_up(cs->k, 4) * 4;
}

/*
 * Depthwise: every output channel is its own small dot product over the
 * window, so it runs channel-vectorised over the taps instead of as a
 * GEMM (the kernels' dw). The input is expanded to C_out channels first
 * when the multiplier is > 1. Rows of output pixels go to the workers.
 */
struct dw_job {
    const struct qnpu_kernels *k;
    const struct conv_shape *cs;
    const int8_t *x, *w, *padrow;
    size_t hp, wp;      /* dw_out_range: x's padded images */
    const int32_t *bias;
    const struct requant *rq;
    uint8_t *out;
};

static void dw_range(void *opaque, size_t p0, size_t p1)
{
    const struct dw_job *j = opaque;
    const struct conv_shape *cs = j->cs;
    size_t taps = (size_t)cs->kh * cs->kw, p;
    const int8_t **xp = malloc(sizeof(*xp) * taps);
    int32_t *acc = malloc(sizeof(int32_t) * cs->cout);
    uint32_t ox = p0 % cs->ow, oy = (p0 / cs->ow) % cs->oh, ky, kx;
    uint32_t n = p0 / ((size_t)cs->ow * cs->oh);

    if (!xp || !acc) {
        abort();
    }
    for (p = p0; p < p1; p++) {
        if (j->bias) {
            memcpy(acc, j->bias, sizeof(int32_t) * cs->cout);
        } else {
            memset(acc, 0, sizeof(int32_t) * cs->cout);
        }
        for (ky = 0; ky < cs->kh; ky++) {
            int64_t iy = (int64_t)oy * cs->sh - cs->pt + ky * cs->dh;

            for (kx = 0; kx < cs->kw; kx++) {
                int64_t ix = (int64_t)ox * cs->sw - cs->pl + kx * cs->dw;
                bool inb = iy >= 0 && iy < cs->h && ix >= 0 && ix < cs->w;

                xp[ky * cs->kw + kx] = inb ? j->x + (((size_t)n * cs->h + iy) *
                                                     cs->w + ix) * cs->cout
                                           : j->padrow;
            }
        }
        j->k->dw(xp, j->w, taps, cs->cout, acc);
        qnpu_op_store_rows(j->k, j->rq, acc, 1, cs->cout, cs->cout,
                           j->out + p * cs->cout * (j->rq->raw ? 4 : 1), cs->cout, 0);
        if (++ox == cs->ow) {           /* the next output pixel */
            ox = 0;
            if (++oy == cs->oh) {
                oy = 0;
                n++;
            }
        }
    }
    free(xp);
    free(acc);
}

/*
 * Pixels [p0, p1) through the kernels' dw_out, over the padded input
 * (j->x, images of j->hp x j->wp pixels of cout channels): a pixel's taps
 * are its corner plus fixed offsets.
 */
static void dw_out_range(void *opaque, size_t p0, size_t p1)
{
    const struct dw_job *j = opaque;
    const struct conv_shape *cs = j->cs;
    size_t taps = (size_t)cs->kh * cs->kw, C = cs->cout, s0, s1;
    size_t off[ICONV_MAX_TAPS];
    const uint8_t **corner = malloc(sizeof(*corner) * (ROWS_PER_PASS + 5) / 6 * 6);
    struct qnpu_rq rq = kernel_rq(j->rq);
    struct qnpu_out o = { .rq = &rq, .ldo = C, .cols = C };

    if (!corner) {
        abort();
    }
    tap_offsets(cs, j->wp, C, off);
    for (s0 = p0; s0 < p1; s0 = s1) {
        s1 = p1 - s0 > ROWS_PER_PASS ? s0 + ROWS_PER_PASS : p1;
        corner_table(cs, (const uint8_t *)j->x, j->hp, j->wp, C, s0, s1 - s0, corner);
        o.out = (int8_t *)j->out + s0 * C;
        j->k->dw_out(corner, off, taps, s1 - s0, j->w, C, j->bias, &o);
    }
    free(corner);
}

/*
 * A convolution's input with its padding (the zero point) around each
 * image: images of @hp x @wp pixels of @C bytes, each byte XOR @flip (0x80
 * makes int8 x into x + 128), pixel channel c from input channel c / @mult
 * (a depthwise multiplier). Without padding and multiplier @pad may be @x.
 */
static void pad_image(const struct conv_shape *cs, const int8_t *x, size_t C, uint32_t mult,
                      uint8_t flip, size_t hp, size_t wp, int8_t *pad)
{
    uint8_t v = (uint8_t)cs->izp ^ flip;
    size_t n, y, i, c;

    for (n = 0; n < cs->n; n++) {
        int8_t *img = pad + n * hp * wp * C;

        memset(img, v, cs->pt * wp * C);
        memset(img + (cs->pt + cs->h) * wp * C, v, cs->pb * wp * C);
        for (y = 0; y < cs->h; y++) {
            int8_t *row = img + (y + cs->pt) * wp * C;
            const int8_t *src = x + (n * cs->h + y) * cs->w * cs->cin;

            memset(row, v, cs->pl * C);
            memset(row + (cs->pl + cs->w) * C, v, cs->pr * C);
            row += cs->pl * C;
            if (mult == 1) {
                qnpu_flip_sign((const uint8_t *)src, (uint8_t *)row, cs->w * C, flip);
                continue;
            }
            for (i = 0; i < cs->w; i++) {
                for (c = 0; c < C; c++) {
                    row[i * C + c] = (int8_t)(src[i * cs->cin + c / mult] ^ flip);
                }
            }
        }
    }
}

static void conv_depthwise(struct qnpu_engine *eng, const struct conv_shape *cs,
                           const uint8_t *in, const int8_t *w,
                           const int32_t *bias, const struct requant *rq,
                           uint8_t *out)
{
    uint32_t mult = cs->cout / cs->cin, c;
    int8_t *padrow;
    const int8_t *x = (const int8_t *)in;
    int8_t *wide = NULL;
    size_t npix_in = (size_t)cs->n * cs->h * cs->w, i;
    struct dw_job job = {
        .k = eng->kernels, .cs = cs, .w = w, .bias = bias, .rq = rq, .out = out,
        .hp = (size_t)cs->h + cs->pt + cs->pb, .wp = (size_t)cs->w + cs->pl + cs->pr,
    };
    int8_t *pad = NULL;

    if (eng->kernels->dw_out && !rq->raw && (size_t)cs->kh * cs->kw <= ICONV_MAX_TAPS) {
        pad = qnpu_engine_scratch(eng, QNPU_SCRATCH_PADDED,
                                  (size_t)cs->n * job.hp * job.wp * cs->cout);
    }
    if (pad) {
        pad_image(cs, x, cs->cout, mult, 0, job.hp, job.wp, pad);
        job.x = pad;
        qnpu_parallel_rows(eng, dw_out_range, &job, (size_t)cs->n * cs->oh * cs->ow);
        return;
    }
    padrow = malloc(cs->cout);
    if (!padrow) {
        abort();
    }
    memset(padrow, (int8_t)cs->izp, cs->cout);
    if (mult > 1) {
        wide = malloc(npix_in * cs->cout);
        if (!wide) {
            abort();
        }
        for (i = 0; i < npix_in; i++) {
            for (c = 0; c < cs->cout; c++) {
                wide[i * cs->cout + c] = x[i * cs->cin + c / mult];
            }
        }
        x = wide;
    }
    job.x = x;
    job.padrow = padrow;
    qnpu_parallel_rows(eng, dw_range, &job, (size_t)cs->n * cs->oh * cs->ow);
    free(wide);
    free(padrow);
}

/* Stage rows [p0, p1) of group @g's implicit-GEMM input, as x + 128. */
static void im2col(const struct gemm_job *j, size_t p0, size_t p1, uint8_t *a)
{
    const struct conv_shape *cs = j->cs;
    size_t kp = j->kb * 4, p, t, off[ICONV_MAX_TAPS];
    /* Few taps: their offsets once (else each row works them out). */
    bool offsets = (size_t)cs->kh * cs->kw <= ICONV_MAX_TAPS;
    /* One group, dilation 1: a row of kw taps is one run of bytes. */
    bool runs = cs->groups == 1 && cs->dw == 1;

    if (offsets) {
        tap_offsets(cs, j->wp, cs->cin, off);
    }
    for (p = p0; p < p1; p++) {
        uint8_t *row = a + (p - p0) * kp;
        const uint8_t *corner = pixel_corner(cs, group_input(j), j->hp, j->wp, cs->cin, p);
        uint32_t ky, kx;

        for (ky = 0, t = 0; ky < cs->kh; ky++) {
            const uint8_t *src = corner + (size_t)ky * cs->dh * j->wp * cs->cin;

            if (runs) {
                memcpy(row, src, (size_t)cs->kw * cs->cin);
                row += (size_t)cs->kw * cs->cin;
                t += cs->kw;
                continue;
            }
            for (kx = 0; kx < cs->kw; kx++, t++) {
                memcpy(row, offsets ? corner + off[t] : src + (size_t)kx * cs->dw * cs->cin,
                       cs->cg_in);
                row += cs->cg_in;
            }
        }
        memset(row, 0x80, kp - cs->k);
    }
}

static uint32_t conv_packed(struct qnpu_engine *eng,
                            const struct conv_shape *cs, uint8_t *in,
                            const int8_t *w, const int32_t *bias,
                            const struct requant *rq, uint8_t *out)
{
    size_t kb = qnpu_div_up(cs->k, 4), kp = kb * 4;
    size_t ob = qnpu_div_up(cs->cg_out, 16), ldc = ob * 16;
    size_t npix = (size_t)cs->n * cs->oh * cs->ow;
    size_t hp = (size_t)cs->h + cs->pt + cs->pb, wp = (size_t)cs->w + cs->pl + cs->pr;
    size_t chunk = qnpu_max_u64(1, GEMM_CHUNK_BYTES / (kp + 4 * ldc));
    size_t esize = rq->raw ? 4 : 1, p0;
    int32_t *bias_adj = malloc(sizeof(int32_t) * ldc);
    uint8_t *in_u8, *a;
    int32_t *c;
    uint32_t g, status = QNPU_STATUS_OK;

    /*
     * x + 128, and the padding (the zero point) around each image with it;
     * without padding, in place (the staged input is the job's own copy).
     */
    in_u8 = hp == cs->h && wp == cs->w ? in :
            qnpu_engine_scratch(eng, QNPU_SCRATCH_PADDED, (size_t)cs->n * hp * wp * cs->cin);
    a = qnpu_engine_scratch(eng, QNPU_SCRATCH_STAGE, qnpu_min_size(chunk, npix) * kp);
    c = qnpu_engine_scratch(eng, QNPU_SCRATCH_ACC,
                            sizeof(int32_t) * qnpu_min_size(chunk, npix) * ldc);
    if (!bias_adj || !in_u8 || !a || !c) {
        free(bias_adj);
        return QNPU_STATUS_LIMIT_EXCEEDED;
    }
    pad_image(cs, (const int8_t *)in, cs->cin, 1, 0x80, hp, wp, (int8_t *)in_u8);

    for (g = 0; g < cs->groups && status == QNPU_STATUS_OK; g++) {
        const int8_t *wg = w + (size_t)g * ob * 16 * kp;
        struct gemm_job job = {
            .k = eng->kernels, .a = a, .kb = kb, .ob = ob,
            .bias = bias_adj, .c = c, .ldc = ldc, .cs = cs, .in_u8 = in_u8,
            .hp = hp, .wp = wp,
            .g = g, .rq = rq, .cols = cs->cg_out, .out_cols = cs->cout,
            .col0 = (size_t)g * cs->cg_out,
            .direct = cs->kh == 1 && cs->kw == 1 && cs->sh == 1 && cs->sw == 1 &&
                      !cs->pt && !cs->pl && !cs->pb && !cs->pr &&
                      cs->groups == 1 && kp == cs->cin,
        };
        job.w = cached_weights(eng, wg, kb, ob,
                               bias ? bias + (size_t)g * cs->cg_out : NULL,
                               cs->cg_out, bias_adj);
        if (!job.w) {
            status = QNPU_STATUS_LIMIT_EXCEEDED;
            break;
        }
        for (p0 = 0; p0 < npix; p0 += chunk) {
            size_t p1 = qnpu_min_size(npix, p0 + chunk);

            if (atomic_load(&eng->abort)) {
                status = QNPU_STATUS_ABORTED;
                break;
            }
            job.p0 = p0;
            job.out = out + p0 * cs->cout * esize;
            qnpu_parallel_rows(eng, gemm_range, &job, p1 - p0);
        }
    }
    free(bias_adj);
    return status;
}

/* A convolution's operands, decoded and checked. */
struct conv_operands {
    struct qnpu_tens in, out;
    struct conv_shape cs;
    struct requant rq;
    uint64_t wbytes, weights_va, bias_va;
};

/* Decode and check the descriptor: shapes, limits, then addresses. */
static uint32_t conv_decode(struct qnpu_vm *vm, const struct qnpu_desc_conv2d *d,
                            struct conv_operands *c)
{
    uint32_t status = qnpu_tensor_decode(&d->input, false, false, &c->in);

    if (status == QNPU_STATUS_OK) {
        status = qnpu_tensor_decode(&d->output, true, true, &c->out);
    }
    if (status == QNPU_STATUS_OK) {
        status = conv_check(d, &c->in, &c->out, &c->cs);
    }
    if (status == QNPU_STATUS_OK) {
        status = qnpu_op_requant_decode(&d->requant, c->out.esize == 4, true, &c->rq);
    }
    if (status != QNPU_STATUS_OK) {
        return status;
    }
    c->wbytes = conv_weight_bytes(&c->cs);
    c->weights_va = le64toh(d->weights);
    c->bias_va = le64toh(d->bias);
    if (c->in.over_limit || c->out.over_limit || c->wbytes > QNPU_MAX_TENSOR_BYTES) {
        return QNPU_STATUS_LIMIT_EXCEEDED;
    }
    if (c->cs.k > QNPU_MAX_K) {
        return QNPU_STATUS_ACC_OVERFLOW;
    }
    if (!qnpu_tensor_in_range(vm, &c->in, false) ||
        !qnpu_tensor_in_range(vm, &c->out, true) ||
        !qnpu_range_ok(vm, c->weights_va, c->wbytes, false) ||
        (c->bias_va && !qnpu_range_ok(vm, c->bias_va, 4ull * c->cs.cout, false)) ||
        (c->rq.params_va &&
         !qnpu_range_ok(vm, c->rq.params_va, 8ull * c->cs.cout, false))) {
        return QNPU_STATUS_MMU_FAULT;
    }
    return QNPU_STATUS_OK;
}

/* Fetch the operands, run the array, write the output back. */
static uint32_t conv_run(struct qnpu_engine *eng, struct qnpu_vm *vm, struct conv_operands *c)
{
    uint32_t status = qnpu_op_requant_fetch(vm, &c->rq, c->cs.cout);
    uint8_t *ib = NULL, *ob = NULL;
    int8_t *wb = NULL;
    int32_t *bb = NULL;

    if (status == QNPU_STATUS_OK) {
        wb = qnpu_op_fetch_s(eng, QNPU_SCRATCH_WEIGHTS, vm, c->weights_va, c->wbytes,
                             &status);
    }
    if (wb && c->bias_va) {
        bb = qnpu_op_fetch(vm, c->bias_va, 4ull * c->cs.cout, &status);
    }
    if (status == QNPU_STATUS_OK) {
        ib = qnpu_op_fetch_tensor_s(eng, QNPU_SCRATCH_INPUT, vm, &c->in, &status);
    }
    if (status == QNPU_STATUS_OK) {
        ob = qnpu_engine_scratch(eng, QNPU_SCRATCH_OUTPUT, tbytes(&c->out));
        status = ob ? QNPU_STATUS_OK : QNPU_STATUS_LIMIT_EXCEEDED;
    }
    if (status == QNPU_STATUS_OK) {
        if (c->cs.depthwise) {
            conv_depthwise(eng, &c->cs, ib, wb, bb, &c->rq, ob);
        } else {
            status = conv_packed(eng, &c->cs, ib, wb, bb, &c->rq, ob);
        }
    }
    if (status == QNPU_STATUS_OK && qnpu_tensor_move(vm, &c->out, ob, true)) {
        status = QNPU_STATUS_MMU_FAULT;
    }
    free(bb);
    return status;
}

/* The timing model's account of a convolution (docs/hardware.md 15). */
static void conv_stats(const struct qnpu_config *cfg, const struct conv_operands *c,
                       struct qnpu_stats *st)
{
    const struct conv_shape *cs = &c->cs;
    uint64_t npix = (uint64_t)cs->n * cs->oh * cs->ow;
    uint64_t params = (c->bias_va ? 4ull * cs->cout : 0) +
                      (c->rq.params_va ? 8ull * cs->cout : 0);
    uint64_t row_passes = qnpu_div_up(npix, cfg->array_rows);

    if (cs->depthwise) {
        uint64_t taps = (uint64_t)cs->kh * cs->kw;

        qnpu_op_gemm_stats(cfg, st,
                           row_passes * qnpu_div_up(cs->cout, cfg->array_cols) * taps,
                           npix * cs->cout * taps,
                           npix * taps * cs->cout + c->wbytes * row_passes,
                           c->wbytes, params, tbytes(&c->in), tbytes(&c->out));
    } else {
        uint64_t col_passes = qnpu_div_up(cs->cg_out, cfg->array_cols);

        qnpu_op_gemm_stats(cfg, st, cs->groups * row_passes * col_passes * cs->k,
                           npix * cs->cout * cs->k,
                           cs->groups * npix * cs->k * col_passes + c->wbytes * row_passes,
                           c->wbytes, params, tbytes(&c->in), tbytes(&c->out));
    }
}

uint32_t qnpu_exec_conv2d(struct qnpu_engine *eng, struct qnpu_vm *vm,
                          const struct qnpu_desc_conv2d *d,
                          struct qnpu_stats *st)
{
    struct conv_operands c;
    uint32_t status = conv_decode(vm, d, &c);

    if (status != QNPU_STATUS_OK) {
        return status;
    }
    status = conv_run(eng, vm, &c);
    qnpu_op_requant_free(&c.rq);
    if (status == QNPU_STATUS_OK) {
        conv_stats(eng->cfg, &c, st);
    }
    return status;
}

/* ---- FULLY_CONNECTED: a 1x1 convolution over rows ---- */

uint32_t qnpu_exec_fc(struct qnpu_engine *eng, struct qnpu_vm *vm,
                      const struct qnpu_desc_fc *d, struct qnpu_stats *st)
{
    struct qnpu_desc_conv2d conv;

    /*
     * FC is exactly CONV2D with a 1x1 kernel on the rows: map it so both
     * share one checked path. The descriptor's own rules come first.
     */
    if (d->reserved || !in_range((int32_t)le32toh(d->input_zero_point),
                                 -128, 127)) {
        return INVALID;
    }
    memset(&conv, 0, sizeof(conv));
    conv.input = d->input;
    conv.output = d->output;
    if (le32toh(d->output.dim[0]) != le32toh(d->input.dim[0]) ||
        le32toh(d->output.dim[1]) != le32toh(d->input.dim[1]) ||
        le32toh(d->output.dim[2]) != le32toh(d->input.dim[2])) {
        return INVALID;
    }
    conv.weights = d->weights;
    conv.bias = d->bias;
    conv.kernel_h = conv.kernel_w = htole16(1);
    conv.stride_h = conv.stride_w = htole16(1);
    conv.dilation_h = conv.dilation_w = htole16(1);
    conv.groups = htole32(1);
    conv.input_zero_point = 0;
    conv.requant = d->requant;
    return qnpu_exec_conv2d(eng, vm, &conv, st);
}

/* ---- MATMUL ---- */

/* A matmul's operands, decoded and checked, and its working buffers. */
struct matmul_op {
    struct qnpu_tens ta, tb, to;
    struct requant rq;
    uint64_t bias_va, batches, m, k, p, kb, ob, ldc;
    int32_t za, zb;
    uint8_t *a, *b, *o, *au;    /* scratch: operands, output, staged A */
    int8_t *w;                  /* B packed as GEMM weights */
    int32_t *bias, *badj, *c;
    uint32_t *colsum;
};

static uint32_t matmul_decode(struct qnpu_vm *vm, const struct qnpu_desc_matmul *d,
                              struct matmul_op *mm)
{
    uint32_t status = qnpu_tensor_decode(&d->a, false, false, &mm->ta);

    if (status == QNPU_STATUS_OK) {
        status = qnpu_tensor_decode(&d->b, false, false, &mm->tb);
    }
    if (status == QNPU_STATUS_OK) {
        status = qnpu_tensor_decode(&d->output, true, true, &mm->to);
    }
    if (status == QNPU_STATUS_OK) {
        status = qnpu_op_requant_decode(&d->requant, mm->to.esize == 4, false, &mm->rq);
    }
    if (status != QNPU_STATUS_OK) {
        return status;
    }
    mm->bias_va = le64toh(d->bias);
    mm->za = (int32_t)le32toh(d->a_zero_point);
    mm->zb = (int32_t)le32toh(d->b_zero_point);
    if (!in_range(mm->za, -128, 127) || !in_range(mm->zb, -128, 127) ||
        mm->tb.dim[0] != mm->ta.dim[0] || mm->tb.dim[1] != mm->ta.dim[1] ||
        mm->to.dim[0] != mm->ta.dim[0] || mm->to.dim[1] != mm->ta.dim[1] ||
        mm->tb.dim[2] != mm->ta.dim[3] || mm->to.dim[2] != mm->ta.dim[2] ||
        mm->to.dim[3] != mm->tb.dim[3]) {
        return INVALID;
    }
    if (mm->ta.over_limit || mm->tb.over_limit || mm->to.over_limit) {
        return QNPU_STATUS_LIMIT_EXCEEDED;
    }
    mm->batches = (uint64_t)mm->ta.dim[0] * mm->ta.dim[1];
    mm->m = mm->ta.dim[2];
    mm->k = mm->ta.dim[3];
    mm->p = mm->tb.dim[3];
    if (mm->k > QNPU_MAX_K) {
        return QNPU_STATUS_ACC_OVERFLOW;
    }
    if (!qnpu_tensor_in_range(vm, &mm->ta, false) ||
        !qnpu_tensor_in_range(vm, &mm->tb, false) ||
        !qnpu_tensor_in_range(vm, &mm->to, true) ||
        (mm->bias_va && !qnpu_range_ok(vm, mm->bias_va, 4 * mm->p, false))) {
        return QNPU_STATUS_MMU_FAULT;
    }
    return QNPU_STATUS_OK;
}

/* Fetch the operands and get the working buffers. */
static uint32_t matmul_fetch(struct qnpu_engine *eng, struct qnpu_vm *vm, struct matmul_op *mm)
{
    uint32_t status = QNPU_STATUS_OK;

    mm->kb = qnpu_div_up(mm->k, 4);
    mm->ob = qnpu_div_up(mm->p, 16);
    mm->ldc = mm->ob * 16;
    if (mm->bias_va) {
        mm->bias = qnpu_op_fetch(vm, mm->bias_va, 4 * mm->p, &status);
    }
    if (status == QNPU_STATUS_OK) {
        mm->a = qnpu_op_fetch_tensor_s(eng, QNPU_SCRATCH_INPUT, vm, &mm->ta, &status);
    }
    if (status == QNPU_STATUS_OK) {
        mm->b = qnpu_op_fetch_tensor_s(eng, QNPU_SCRATCH_INPUT2, vm, &mm->tb, &status);
    }
    if (status != QNPU_STATUS_OK) {
        return status;
    }
    mm->o = qnpu_engine_scratch(eng, QNPU_SCRATCH_OUTPUT, tbytes(&mm->to));
    mm->au = qnpu_engine_scratch(eng, QNPU_SCRATCH_STAGE, mm->m * mm->kb * 4);
    mm->w = calloc(mm->ob * mm->kb, 64);
    mm->badj = malloc(sizeof(int32_t) * mm->ldc);
    mm->c = qnpu_engine_scratch(eng, QNPU_SCRATCH_ACC, sizeof(int32_t) * mm->m * mm->ldc);
    mm->colsum = malloc(sizeof(uint32_t) * mm->p);
    if (!mm->o || !mm->au || !mm->w || !mm->badj || !mm->c || !mm->colsum) {
        return QNPU_STATUS_LIMIT_EXCEEDED;
    }
    return QNPU_STATUS_OK;
}

/* B of one batch packed as GEMM weights, with its column sums. */
static void matmul_pack_b(struct matmul_op *mm, const int8_t *bb)
{
    uint64_t j, kk;

    for (j = 0; j < mm->p; j++) {
        mm->colsum[j] = 0;
        for (kk = 0; kk < mm->k; kk++) {
            int8_t v = bb[kk * mm->p + j];

            mm->w[((j / 16) * mm->kb + kk / 4) * 64 + (j % 16) * 4 + kk % 4] = v;
            mm->colsum[j] += (uint32_t)(int32_t)v;
        }
    }
}

/*
 * One batch. sum (a - za)(b - zb) = sum a*b - zb*sum(a) - za*sum(b) +
 * K*za*zb. B goes into the packed layout as the weights, so the product
 * runs on the same GEMM as convolutions; all of it modulo 2^32.
 */
static uint32_t matmul_batch(struct qnpu_engine *eng, struct matmul_op *mm, uint64_t bt)
{
    const int8_t *ab = (const int8_t *)mm->a + bt * mm->m * mm->k;
    struct gemm_job job = {
        .k = eng->kernels, .a = mm->au, .kb = mm->kb, .ob = mm->ob,
        .bias = mm->badj, .c = mm->c, .ldc = mm->ldc,
    };
    uint64_t i, j, kk;

    matmul_pack_b(mm, (const int8_t *)mm->b + bt * mm->k * mm->p);
    fold_bias(eng, mm->w, mm->ob, mm->kb, NULL, 0, mm->badj);
    job.w = gemm_weights(eng, mm->w, mm->kb, mm->ob);
    if (!job.w) {
        return QNPU_STATUS_LIMIT_EXCEEDED;
    }
    for (j = 0; j < mm->p; j++) {
        mm->badj[j] = (int32_t)((uint32_t)mm->badj[j] +
                                (mm->bias ? (uint32_t)mm->bias[j] : 0) -
                                (uint32_t)mm->za * mm->colsum[j] +
                                (uint32_t)mm->k * (uint32_t)(mm->za * mm->zb));
    }
    for (i = 0; i < mm->m; i++) {
        for (kk = 0; kk < mm->kb * 4; kk++) {
            mm->au[i * mm->kb * 4 + kk] = kk < mm->k ?
                (uint8_t)(ab[i * mm->k + kk] ^ 0x80) : 0x80;
        }
    }
    qnpu_parallel_rows(eng, gemm_range, &job, mm->m);
    for (i = 0; i < mm->m; i++) {
        uint32_t rowsum = 0;

        for (kk = 0; kk < mm->k; kk++) {
            rowsum += (uint32_t)(int32_t)ab[i * mm->k + kk];
        }
        for (j = 0; j < mm->p; j++) {
            mm->c[i * mm->ldc + j] = (int32_t)((uint32_t)mm->c[i * mm->ldc + j] -
                                               (uint32_t)mm->zb * rowsum);
        }
    }
    qnpu_op_store_rows(eng->kernels, &mm->rq, mm->c, mm->m, mm->p, mm->ldc,
                       mm->o + bt * mm->m * mm->p * mm->to.esize, mm->p, 0);
    return QNPU_STATUS_OK;
}

uint32_t qnpu_exec_matmul(struct qnpu_engine *eng, struct qnpu_vm *vm,
                          const struct qnpu_desc_matmul *d,
                          struct qnpu_stats *st)
{
    const struct qnpu_config *cfg = eng->cfg;
    struct matmul_op mm = { 0 };
    uint32_t status = matmul_decode(vm, d, &mm);
    uint64_t bt;

    if (status != QNPU_STATUS_OK) {
        return status;
    }
    status = matmul_fetch(eng, vm, &mm);
    for (bt = 0; status == QNPU_STATUS_OK && bt < mm.batches; bt++) {
        status = matmul_batch(eng, &mm, bt);
    }
    if (status == QNPU_STATUS_OK && qnpu_tensor_move(vm, &mm.to, mm.o, true)) {
        status = QNPU_STATUS_MMU_FAULT;
    }
    free(mm.w);
    free(mm.bias);
    free(mm.badj);
    free(mm.colsum);
    qnpu_op_requant_free(&mm.rq);
    if (status != QNPU_STATUS_OK) {
        return status;
    }
    qnpu_op_gemm_stats(cfg, st,
                       mm.batches * qnpu_div_up(mm.m, cfg->array_rows) *
                       qnpu_div_up(mm.p, cfg->array_cols) * mm.k,
                       mm.batches * mm.m * mm.p * mm.k,
                       mm.batches * mm.m * mm.k * qnpu_div_up(mm.p, cfg->array_cols) +
                       tbytes(&mm.tb) * qnpu_div_up(mm.m, cfg->array_rows),
                       tbytes(&mm.tb), mm.bias_va ? 4 * mm.p : 0, tbytes(&mm.ta),
                       tbytes(&mm.to));
    return QNPU_STATUS_OK;
}
