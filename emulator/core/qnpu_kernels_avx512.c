/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: the AVX-512 VNNI kernel family, compiled with per-function
 * target attributes and chosen at run time (qnpu_kernels.c), so the
 * binary still runs on hosts without it.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#if defined(__x86_64__)

#include <immintrin.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "qnpu_kernels.h"

#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

/*
 * AVX-512 VNNI: one vpdpbusd multiplies 4 unsigned input bytes, broadcast
 * to every lane, by a 16x4 block of weights (exactly one step of k of the
 * packed layout) into 16 int32 sums. A tile is 6 rows by NB blocks of 16
 * channels: its 6 * NB accumulators (at most 24) and NB weight vectors
 * stay in the 32 registers. A row's input is a run of taps, each at the
 * row's corner plus the tap's offset, so the GEMM (its rows cut into
 * equal taps) and the indirect convolution share the kernel.
 */
#define VNNI_MR 6
#define VNNI_KC 256     /* steps of k per block: NB * 16 KiB of weights */

/* Where a tile's sums go: see vnni_store(). */
struct vnni_dst {
    int32_t *c;                 /* the tile's first row of C */
    size_t ldc, rows, ch;       /* @ch: the tile's first channel */
    const int32_t *bias;        /* first block of k: C = sums + bias */
    const struct qnpu_out *o;   /* last block of k with an output stage */
    int8_t *out;                /* then: the tile's first output row */
};

/*
 * An output stage's parameters for 16 channels, in registers, with what
 * depends on them alone worked out once (a tile applies them to 6 rows).
 * Single rounding: @a, @b the even and odd lanes' right shifts 31 - shift
 * (64-bit), @c, @d their rounding terms. Double rounding: @a, @b the left
 * and right shifts, @c the mask of the bits shifted out, @d half of it.
 */
struct rq16 {
    __m512i m, m_odd, a, b, c, d, zp, lo, hi;
    bool single;
};

VNNI static inline struct rq16 rq16_load(const struct qnpu_rq *rq, size_t ch, __mmask16 k)
{
    const __m512i zero = _mm512_setzero_si512();
    __m512i m = rq->m ? _mm512_maskz_loadu_epi32(k, rq->m + ch) : _mm512_set1_epi32(rq->m1);
    __m512i s = rq->m ? _mm512_maskz_loadu_epi32(k, rq->s + ch) : _mm512_set1_epi32(rq->s1);
    struct rq16 p = {
        .m = m, .m_odd = _mm512_srli_epi64(m, 32), .zp = _mm512_set1_epi32(rq->zp),
        .lo = _mm512_set1_epi32(rq->lo), .hi = _mm512_set1_epi32(rq->hi),
        .single = rq->mode == 1,
    };

    if (p.single) {
        const __m512i one = _mm512_set1_epi64(1), t31 = _mm512_set1_epi64(31);

        p.a = _mm512_sub_epi64(t31, _mm512_srai_epi64(_mm512_slli_epi64(s, 32), 32));
        p.b = _mm512_sub_epi64(t31, _mm512_srai_epi64(s, 32));
        p.c = _mm512_sllv_epi64(one, _mm512_sub_epi64(p.a, one));
        p.d = _mm512_sllv_epi64(one, _mm512_sub_epi64(p.b, one));
    } else {
        p.a = _mm512_max_epi32(s, zero);
        p.b = _mm512_max_epi32(_mm512_sub_epi32(zero, s), zero);
        p.c = _mm512_sub_epi32(_mm512_sllv_epi32(_mm512_set1_epi32(1), p.b),
                               _mm512_set1_epi32(1));
        p.d = _mm512_srli_epi32(p.c, 1);
    }
    return p;
}

/*
 * The output stage (docs/arithmetic.md 3), as qnpu_requant_portable but
 * 16 lanes at a time with AVX-512's 64-bit arithmetic shifts and min/max.
 * Even and odd lanes form their 64-bit products apart (vpmuldq reads the
 * even halves).
 */
VNNI static inline __m512i single_round16(const struct rq16 *p, __m512i x)
{
    const __m512i hi = _mm512_set1_epi64(1 << 16), lo = _mm512_set1_epi64(-(1 << 16));
    __m512i ev = _mm512_add_epi64(_mm512_mul_epi32(x, p->m), p->c);
    __m512i od = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), p->m_odd), p->d);

    /* clamped to +-2^16 in 64 bits: the output clamp decides the same */
    ev = _mm512_min_epi64(_mm512_max_epi64(_mm512_srav_epi64(ev, p->a), lo), hi);
    od = _mm512_min_epi64(_mm512_max_epi64(_mm512_srav_epi64(od, p->b), lo), hi);
    return _mm512_mask_blend_epi32(0xaaaa, ev, _mm512_slli_epi64(od, 32));
}

VNNI static inline __m512i double_round16(const struct rq16 *p, __m512i x)
{
    const __m512i zero = _mm512_setzero_si512(), nudge = _mm512_set1_epi64(1 << 30);
    const __m512i one = _mm512_set1_epi32(1);
    __m512i ev, od, y, rem, thr;

    x = _mm512_sllv_epi32(x, p->a);
    /* SRDHM: floor((x*m + 2^30) / 2^31) fits 32 bits (see srdhm4) */
    ev = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, p->m), nudge), 31);
    od = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32),
                                                             p->m_odd), nudge), 31);
    y = _mm512_mask_blend_epi32(0xaaaa, ev, _mm512_slli_epi64(od, 32));
    /* RoundingDivideByPOT(y, right): ties away from zero */
    rem = _mm512_and_si512(y, p->c);
    thr = _mm512_mask_add_epi32(p->d, _mm512_cmplt_epi32_mask(y, zero), p->d, one);
    y = _mm512_srav_epi32(y, p->b);
    y = _mm512_mask_add_epi32(y, _mm512_cmpgt_epi32_mask(rem, thr), y, one);
    return _mm512_min_epi32(_mm512_max_epi32(y, _mm512_set1_epi32(-(1 << 16))),
                            _mm512_set1_epi32(1 << 16));
}

VNNI static inline __m512i rq16_apply(const struct rq16 *p, __m512i x)
{
    __m512i y = p->single ? single_round16(p, x) : double_round16(p, x);

    return _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(y, p->zp), p->lo), p->hi);
}

/*
 * 16 int32 lanes (already within int8) to bytes: narrowed in a register
 * and stored with a byte mask. vpmovdb straight to memory is slow on AMD
 * cores; the empty asm keeps the compiler from folding the two into it.
 */
VNNI static inline void store16(int8_t *out, __mmask16 k, __m512i y)
{
    __m128i b = _mm512_cvtepi32_epi8(y);

    __asm__("" : "+v"(b));
    if (k == 0xffff) {
        _mm_storeu_si128((__m128i *)out, b);
    } else {
        _mm_mask_storeu_epi8(out, k, b);
    }
}

VNNI void qnpu_requant_avx512(const struct qnpu_rq *rq, const int32_t *acc,
                              size_t n, size_t ch0, int8_t *out)
{
    size_t i;

    for (i = 0; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        struct rq16 p = rq16_load(rq, ch0 + i, k);

        store16(out + i, k, rq16_apply(&p, _mm512_maskz_loadu_epi32(k, acc + i)));
    }
}

/*
 * A tile's sums @acc ([row][4], NB blocks used) plus the bias (first
 * block of k) or plus C (a later one): to C, or on the last block of k
 * with an output stage through it to the output rows (no round trip
 * through C).
 */
VNNI static void vnni_store(const __m512i *acc, size_t nb, const struct vnni_dst *d)
{
    const int32_t *bias = d->bias;
    size_t r, j, rows = d->rows, ldc = d->ldc;
    int32_t *c = d->c;

    if (d->o) {
        int8_t *out = d->out + d->ch;
        size_t ldo = d->o->ldo, cols = d->o->cols;

        /* By block of channels (that exist): their parameters once. */
        for (j = 0; j < nb && d->ch + j * 16 < cols; j++) {
            size_t left = cols - d->ch - j * 16;
            __mmask16 k = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
            struct rq16 p = rq16_load(d->o->rq, d->o->ch0 + d->ch + j * 16, k);
            __m512i b = bias ? _mm512_loadu_si512(bias + j * 16) : _mm512_setzero_si512();

            for (r = 0; r < rows; r++) {
                __m512i v = _mm512_add_epi32(acc[r * 4 + j], bias ? b :
                                             _mm512_loadu_si512(c + r * ldc + j * 16));

                store16(out + r * ldo + j * 16, k, rq16_apply(&p, v));
            }
        }
        return;
    }
    /* Row by row: C's rows are far apart (4K aliasing between them). */
    for (r = 0; r < rows; r++) {
        for (j = 0; j < nb; j++) {
            int32_t *cj = c + r * ldc + j * 16;

            _mm512_storeu_si512(cj, _mm512_add_epi32(acc[r * 4 + j], _mm512_loadu_si512(
                                                         bias ? bias + j * 16 : cj)));
        }
    }
}

#define VNNI_KERNEL(NB)                                                       \
VNNI static void vnni_6x##NB(const uint8_t *const *px, const size_t *off,    \
                             size_t ntaps, size_t tap_bytes, const int8_t *w, \
                             size_t wstride, const struct vnni_dst *d)        \
{                                                                             \
    __m512i acc[VNNI_MR][NB], wv[NB], sums[VNNI_MR * 4];                      \
    size_t t, k;                                                              \
    int r, j;                                                                 \
                                                                              \
    _Pragma("GCC unroll 6") for (r = 0; r < VNNI_MR; r++) {                   \
        _Pragma("GCC unroll 4") for (j = 0; j < NB; j++) {                    \
            acc[r][j] = _mm512_setzero_si512();                               \
        }                                                                     \
    }                                                                         \
    for (t = 0; t < ntaps; t++) {                                             \
        const uint8_t *a0 = px[0] + off[t], *a1 = px[1] + off[t];             \
        const uint8_t *a2 = px[2] + off[t], *a3 = px[3] + off[t];             \
        const uint8_t *a4 = px[4] + off[t], *a5 = px[5] + off[t];             \
                                                                              \
        for (k = 0; k < tap_bytes; k += 4, w += 64) {                         \
            __m512i x;                                                        \
                                                                              \
            _Pragma("GCC unroll 4") for (j = 0; j < NB; j++) {                \
                wv[j] = _mm512_loadu_si512(w + j * wstride);                  \
            }                                                                 \
            VNNI_ROW(NB, 0, a0);                                              \
            VNNI_ROW(NB, 1, a1);                                              \
            VNNI_ROW(NB, 2, a2);                                              \
            VNNI_ROW(NB, 3, a3);                                              \
            VNNI_ROW(NB, 4, a4);                                              \
            VNNI_ROW(NB, 5, a5);                                              \
        }                                                                     \
    }                                                                         \
    _Pragma("GCC unroll 6") for (r = 0; r < VNNI_MR; r++) {                   \
        _Pragma("GCC unroll 4") for (j = 0; j < NB; j++) {                    \
            sums[r * 4 + j] = acc[r][j];                                      \
        }                                                                     \
    }                                                                         \
    vnni_store(sums, NB, d);                                                  \
}

#define VNNI_ROW(NB, r, ar)                                                   \
    do {                                                                      \
        x = _mm512_set1_epi32(qnpu_load4(ar + k));                               \
        _Pragma("GCC unroll 4") for (j = 0; j < NB; j++) {                    \
            acc[r][j] = _mm512_dpbusd_epi32(acc[r][j], x, wv[j]);             \
        }                                                                     \
    } while (0)

VNNI_KERNEL(1)
VNNI_KERNEL(2)
VNNI_KERNEL(3)
VNNI_KERNEL(4)

typedef void vnni_kernel_fn(const uint8_t *const *px, const size_t *off,
                            size_t ntaps, size_t tap_bytes, const int8_t *w,
                            size_t wstride, const struct vnni_dst *d);

static vnni_kernel_fn *const vnni_kernels[5] = {
    NULL, vnni_6x1, vnni_6x2, vnni_6x3, vnni_6x4,
};

/*
 * The loops around the kernel, for the GEMM and the convolution alike:
 * @corner has each row's corner, @off each of @taps taps' offset, taps of
 * @spt steps; C's and the output's rows start at @c and @out. Blocks
 * of whole taps (of about VNNI_KC steps, as even as they come) by groups
 * of up to 4 weight blocks. With few weights (a convolution's) each tile
 * runs all its blocks of k and groups in turn, its rows and sums staying
 * in L1; else each group runs its blocks of k over all tiles, a block's
 * weights staying in L1 across the tiles and the group's sums in L2.
 */
struct vnni_gemm {
    const uint8_t *const *corner;
    const size_t *off;
    size_t taps, spt, rows, ob, ldc;
    size_t tpb;                 /* taps per block of k (vnni_run) */
    const int8_t *w;
    const int32_t *bias;
    int32_t *c;
    const struct qnpu_out *o;
    int8_t *out;
};

VNNI static void vnni_call(const struct vnni_gemm *g, size_t grp, size_t tile, size_t t0)
{
    size_t b = grp * 4, nb = g->ob - b < 4 ? g->ob - b : 4, r = tile * VNNI_MR;
    size_t nt = g->taps - t0 < g->tpb ? g->taps - t0 : g->tpb, steps = g->taps * g->spt;
    struct vnni_dst d = {
        .c = g->c + r * g->ldc + b * 16, .ldc = g->ldc, .ch = b * 16,
        .rows = g->rows - r < VNNI_MR ? g->rows - r : VNNI_MR,
        .bias = t0 == 0 ? g->bias + b * 16 : NULL,
        .o = t0 + nt == g->taps ? g->o : NULL,
        .out = g->o ? g->out + r * g->o->ldo : NULL,
    };

    vnni_kernels[nb](g->corner + r, g->off + t0, nt, g->spt * 4,
                     g->w + (b * steps + t0 * g->spt) * 64, steps * 64, &d);
}

VNNI static void vnni_run(struct vnni_gemm *g)
{
    size_t steps = g->taps * g->spt, ntiles = (g->rows + VNNI_MR - 1) / VNNI_MR;
    size_t nblk = (steps + VNNI_KC - 1) / VNNI_KC, ngroups = (g->ob + 3) / 4;
    size_t grp, tile, t0;

    g->tpb = (g->taps + nblk - 1) / nblk;
    if (g->ob * g->tpb * g->spt * 64 <= 32768) {
        for (tile = 0; tile < ntiles; tile++) {
            for (t0 = 0; t0 < g->taps; t0 += g->tpb) {
                for (grp = 0; grp < ngroups; grp++) {
                    vnni_call(g, grp, tile, t0);
                }
            }
        }
        return;
    }
    for (grp = 0; grp < ngroups; grp++) {
        for (t0 = 0; t0 < g->taps; t0 += g->tpb) {
            for (tile = 0; tile < ntiles; tile++) {
                vnni_call(g, grp, tile, t0);
            }
        }
    }
}

VNNI bool qnpu_iconv_avx512_vnni(const uint8_t *const *corner, const size_t *off,
                                 size_t taps, size_t tap_bytes, size_t rows,
                                 const int8_t *w, size_t ob, const int32_t *bias,
                                 int32_t *c, size_t ldc, const struct qnpu_out *o)
{
    struct vnni_gemm g = {
        .corner = corner, .off = off, .taps = taps, .spt = tap_bytes / 4, .rows = rows,
        .ob = ob,
        .ldc = ldc, .w = w, .bias = bias, .c = c, .o = o, .out = o ? o->out : NULL,
    };

    if (!tap_bytes || tap_bytes % 4) {
        return false;
    }
    vnni_run(&g);
    return true;
}

/*
 * The GEMM as a convolution of 1x1 taps: each row cut into taps of equal
 * length (a divisor of KB near VNNI_KC), so that blocks of k come out of
 * the same loops.
 */
VNNI void qnpu_gemm_avx512_vnni(const uint8_t *a, size_t r0, size_t r1,
                                size_t kb, const int8_t *w, size_t ob,
                                const int32_t *bias, int32_t *c, size_t ldc,
                                const struct qnpu_out *o)
{
    struct vnni_gemm g = {
        .spt = kb, .rows = r1 - r0, .ob = ob, .ldc = ldc, .w = w, .bias = bias,
        .c = c + r0 * ldc, .o = o, .out = o ? o->out + r0 * o->ldo : NULL,
    };
    size_t ntiles = (g.rows + VNNI_MR - 1) / VNNI_MR, d, r;
    const uint8_t **corner;
    size_t *off;

    for (d = VNNI_KC; kb > VNNI_KC && d >= 16; d--) {
        if (kb % d == 0) {
            g.spt = d;
            break;
        }
    }
    g.taps = kb / g.spt;
    corner = malloc(sizeof(*corner) * ntiles * VNNI_MR);
    off = malloc(sizeof(*off) * g.taps);
    if (!corner || !off) {
        abort();
    }
    for (r = 0; r < ntiles * VNNI_MR; r++) {
        corner[r] = a + (r0 + r < r1 ? r0 + r : r1 - 1) * kb * 4;
    }
    for (r = 0; r < g.taps; r++) {
        off[r] = r * g.spt * 4;
    }
    g.corner = corner;
    g.off = off;
    vnni_run(&g);
    free(corner);
    free(off);
}


/* Weight sums: vpdpbusd of the blocks by ones, 16 channels a step. */
VNNI void qnpu_wsum_avx512(const int8_t *w, size_t kb, size_t b0, size_t b1,
                           int32_t *sum)
{
    const __m512i ones = _mm512_set1_epi8(1);
    size_t b, q;

    for (b = b0; b < b1; b++) {
        const int8_t *blk = w + b * kb * 64;
        __m512i s0 = _mm512_setzero_si512(), s1 = s0;

        /* two chains: vpdpbusd's latency */
        for (q = 0; q + 1 < kb; q += 2) {
            s0 = _mm512_dpbusd_epi32(s0, ones, _mm512_loadu_si512(blk + q * 64));
            s1 = _mm512_dpbusd_epi32(s1, ones, _mm512_loadu_si512(blk + q * 64 + 64));
        }
        if (q < kb) {
            s0 = _mm512_dpbusd_epi32(s0, ones, _mm512_loadu_si512(blk + q * 64));
        }
        _mm512_storeu_si512(sum + b * 16, _mm512_add_epi32(s0, s1));
    }
}

/*
 * Depthwise, a tile of 6 pixels by 32 channels at a time, two taps per
 * step: vpdpwssd multiplies pairs of int16 (exact: each product is at
 * most 2^14) and adds both into int32. The inputs of taps t and t+1, and
 * their weights, are widened and interleaved; unpacking works within
 * 128-bit lanes, so the low accumulator holds channels 0-3 of each group
 * of 8 and the high one channels 4-7, put back in order once per tile.
 */
VNNI static inline __m512i load32x8(const int8_t *p, __mmask32 k)
{
    return _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(k, p));
}

VNNI void qnpu_dw_out_avx512(const uint8_t *const *corner, const size_t *off,
                             size_t taps, size_t rows, const int8_t *w, size_t C,
                             const int32_t *bias, const struct qnpu_out *o)
{
    const __m512i first = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19,
                                            4, 5, 6, 7, 20, 21, 22, 23);
    const __m512i second = _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27,
                                             12, 13, 14, 15, 28, 29, 30, 31);
    size_t tile, c, t, r, h;

    for (tile = 0; tile * VNNI_MR < rows; tile++) {
        const uint8_t *const *px = corner + tile * VNNI_MR;
        size_t n = rows - tile * VNNI_MR < VNNI_MR ? rows - tile * VNNI_MR : VNNI_MR;
        int8_t *out = o->out + tile * VNNI_MR * o->ldo;

        for (c = 0; c < C; c += 32) {
            __mmask32 k = C - c >= 32 ? 0xffffffffu : (__mmask32)((1u << (C - c)) - 1);
            __m512i lo[VNNI_MR], hi[VNNI_MR];

            _Pragma("GCC unroll 6") for (r = 0; r < VNNI_MR; r++) {
                lo[r] = hi[r] = _mm512_setzero_si512();
            }
            for (t = 0; t < taps; t += 2) {
                bool two = t + 1 < taps;
                __m512i w0 = load32x8(w + t * C + c, k);
                __m512i w1 = two ? load32x8(w + (t + 1) * C + c, k) : _mm512_setzero_si512();
                __m512i wl = _mm512_unpacklo_epi16(w0, w1), wh = _mm512_unpackhi_epi16(w0, w1);
                size_t o0 = off[t] + c, o1 = (two ? off[t + 1] : off[t]) + c;

                _Pragma("GCC unroll 6") for (r = 0; r < VNNI_MR; r++) {
                    __m512i x0 = load32x8((const int8_t *)px[r] + o0, k);
                    __m512i x1 = load32x8((const int8_t *)px[r] + o1, k);

                    lo[r] = _mm512_dpwssd_epi32(lo[r], _mm512_unpacklo_epi16(x0, x1), wl);
                    hi[r] = _mm512_dpwssd_epi32(hi[r], _mm512_unpackhi_epi16(x0, x1), wh);
                }
            }
            for (h = 0; h < 2 && c + h * 16 < C; h++) {
                size_t ch = c + h * 16, left = C - ch;
                __mmask16 k16 = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
                __m512i b = bias ? _mm512_maskz_loadu_epi32(k16, bias + ch) :
                                   _mm512_setzero_si512();
                struct rq16 p = rq16_load(o->rq, o->ch0 + ch, k16);

                _Pragma("GCC unroll 6") for (r = 0; r < VNNI_MR; r++) {
                    __m512i v = _mm512_permutex2var_epi32(lo[r], h ? second : first, hi[r]);

                    if (r < n) {
                        store16(out + r * o->ldo + ch, k16, rq16_apply(&p, _mm512_add_epi32(v, b)));
                    }
                }
            }
        }
    }
}

#endif /* __x86_64__ */
