/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: the AVX2 kernel family, compiled with per-function
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

#define AVX2 __attribute__((target("avx2")))

/*
 * AVX2 has no exact 8-bit dot product in general: vpmaddubsw adds two
 * u8 x s8 products into int16 and saturates. Two paths, both exact:
 *
 * - 7-bit weights (every weight in [-64, 63], as ONNX Runtime's
 *   reduce_range models have): a pair of products of an input (0..255)
 *   and such weights is at most 255 * 64 * 2 = 32640 in magnitude, so
 *   vpmaddubsw cannot saturate; vpmaddwd by ones widens the pairs to
 *   int32. The packed 16x4 weight blocks are used as they are.
 * - Any other weights: inputs and weights are widened to int16 and
 *   multiplied with vpmaddwd, whose pairwise int32 sums are exact: each
 *   32-bit lane of a weight vector holds one output channel's two weights
 *   of a pair of k, each 32-bit broadcast of the input the two inputs.
 *
 * prep() looks at the weights once per op and lays them out for the path
 * it picks (a header says which). The GEMM runs the GotoBLAS way: KC steps
 * of k by MC rows of packed input are reused across every 16-channel
 * block of weights, and a 6 x 16 tile of accumulators stays in 12
 * registers.
 */
#define MR 6
#define KC 256          /* at most this many steps of k per block: pairs
                         * (int16) or quads (int8); blocks split k evenly */
#define MC 96           /* rows per block, a multiple of MR */
#define PREP_HDR 64     /* bytes before the prepared weights */

enum prep_mode {
    PREP_INT16 = 1,     /* [ob][kb * 2 pairs][16 channels][2] int16 */
    PREP_INT7 = 2,      /* the packed blocks: [ob][kb quads][16][4] int8 */
};

/* The header: the mode, and for 7-bit weights where they are. */
struct prep_hdr {
    uint32_t mode;
    const int8_t *w7;   /* the packed weights themselves, or the copy after
                         * the header when they are not 32-byte aligned */
};

static const int8_t *prep_int7(const int8_t *w)
{
    return ((const struct prep_hdr *)w)->w7;
}

size_t qnpu_prep_bytes_avx2(size_t kb, size_t ob)
{
    return PREP_HDR + ob * kb * 2 * 16 * 2 * sizeof(int16_t);
}

void qnpu_prep_avx2(const int8_t *w, size_t kb, size_t ob, void *out)
{
    int16_t *o = (int16_t *)((uint8_t *)out + PREP_HDR);
    size_t b, q, ch, h, n = ob * kb * 64, i;
    bool seven = true;

    for (i = 0; i < n && seven; i++) {
        seven = w[i] >= -64 && w[i] <= 63;
    }
    ((struct prep_hdr *)out)->mode = seven ? PREP_INT7 : PREP_INT16;
    if (seven) {
        /* The layout is the packed one: used in place when aligned. */
        if ((uintptr_t)w % 32) {
            memcpy(o, w, n);
            w = (const int8_t *)o;
        }
        ((struct prep_hdr *)out)->w7 = w;
        return;
    }
    for (b = 0; b < ob; b++) {
        for (q = 0; q < kb; q++) {
            const int8_t *blk = w + (b * kb + q) * 64;

            for (h = 0; h < 2; h++) {
                int16_t *row = o + ((b * kb + q) * 2 + h) * 32;

                for (ch = 0; ch < 16; ch++) {
                    row[ch * 2] = blk[ch * 4 + h * 2];
                    row[ch * 2 + 1] = blk[ch * 4 + h * 2 + 1];
                }
            }
        }
    }
}

/*
 * c[r][0..15] (+)= sum over the kc steps of ap[p][r] . wp[p][ch]. Written
 * out row by row so that the 12 accumulators live in registers.
 */
#define ROW_MAC16(r)                                                          \
    do {                                                                      \
        __m256i av = _mm256_set1_epi32(a[r]);                                 \
        c##r##0 = _mm256_add_epi32(c##r##0, _mm256_madd_epi16(av, w0));      \
        c##r##1 = _mm256_add_epi32(c##r##1, _mm256_madd_epi16(av, w1));      \
    } while (0)

/*
 * The 7-bit path reads the input rows in place (no packing: bytes are
 * what vpmaddubsw takes). `ones` is a memory operand: with it in a
 * register the tile would need 17.
 */
#define ROW_MAC7(r)                                                           \
    do {                                                                      \
        __m256i av = _mm256_set1_epi32(qnpu_load4(a##r + 4 * p));                \
        c##r##0 = _mm256_add_epi32(c##r##0, _mm256_madd_epi16(               \
                      _mm256_maddubs_epi16(av, w0), *ones));                  \
        c##r##1 = _mm256_add_epi32(c##r##1, _mm256_madd_epi16(               \
                      _mm256_maddubs_epi16(av, w1), *ones));                  \
    } while (0)

/* Row r of the tile to C: plus the bias (first block of k) or C itself. */
#define STORE_ROW(r)                                                          \
    do {                                                                      \
        __m256i *out = (__m256i *)(c + (r) * ldc), b0, b1;                    \
                                                                              \
        if ((r) >= rows) {                                                    \
            break;                                                            \
        }                                                                     \
        b0 = _mm256_loadu_si256(init ? (const __m256i *)bias : out);          \
        b1 = _mm256_loadu_si256(init ? (const __m256i *)(bias + 8) : out + 1);\
        _mm256_storeu_si256(out, _mm256_add_epi32(c##r##0, b0));              \
        _mm256_storeu_si256(out + 1, _mm256_add_epi32(c##r##1, b1));          \
    } while (0)

AVX2 static void kernel16_6x16(const int32_t *ap, const int16_t *wp, size_t kc,
                               int32_t *c, size_t ldc, size_t rows, bool init,
                               const int32_t *bias)
{
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00;
    __m256i c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00;
    __m256i c50 = c00, c51 = c00;
    size_t p;

    for (p = 0; p < kc; p++) {
        __m256i w0 = _mm256_load_si256((const __m256i *)(wp + p * 32));
        __m256i w1 = _mm256_load_si256((const __m256i *)(wp + p * 32 + 16));
        const int32_t *a = ap + p * MR;

        ROW_MAC16(0);
        ROW_MAC16(1);
        ROW_MAC16(2);
        ROW_MAC16(3);
        ROW_MAC16(4);
        ROW_MAC16(5);
    }
    STORE_ROW(0);
    STORE_ROW(1);
    STORE_ROW(2);
    STORE_ROW(3);
    STORE_ROW(4);
    STORE_ROW(5);
}

static const __m256i ones16 = { 0x0001000100010001ll, 0x0001000100010001ll,
                                0x0001000100010001ll, 0x0001000100010001ll };

/*
 * The 7-bit kernels' assembly pieces: the 12 accumulators ymm0-11 from and
 * to acc[12], and one row's step: broadcast 4 input bytes at ADDR,
 * vpmaddubsw with the two weight vectors (ymm12, ymm13), widen the pairs
 * with vpmaddwd by ones, add into C0 and C1.
 */
#define ASM_ACC_LOAD \
    "vmovdqu 0(%[acc]), %%ymm0\n\t" \
    "vmovdqu 32(%[acc]), %%ymm1\n\t" \
    "vmovdqu 64(%[acc]), %%ymm2\n\t" \
    "vmovdqu 96(%[acc]), %%ymm3\n\t" \
    "vmovdqu 128(%[acc]), %%ymm4\n\t" \
    "vmovdqu 160(%[acc]), %%ymm5\n\t" \
    "vmovdqu 192(%[acc]), %%ymm6\n\t" \
    "vmovdqu 224(%[acc]), %%ymm7\n\t" \
    "vmovdqu 256(%[acc]), %%ymm8\n\t" \
    "vmovdqu 288(%[acc]), %%ymm9\n\t" \
    "vmovdqu 320(%[acc]), %%ymm10\n\t" \
    "vmovdqu 352(%[acc]), %%ymm11\n\t"

#define ASM_ACC_STORE \
    "vmovdqu %%ymm0, 0(%[acc])\n\t" \
    "vmovdqu %%ymm1, 32(%[acc])\n\t" \
    "vmovdqu %%ymm2, 64(%[acc])\n\t" \
    "vmovdqu %%ymm3, 96(%[acc])\n\t" \
    "vmovdqu %%ymm4, 128(%[acc])\n\t" \
    "vmovdqu %%ymm5, 160(%[acc])\n\t" \
    "vmovdqu %%ymm6, 192(%[acc])\n\t" \
    "vmovdqu %%ymm7, 224(%[acc])\n\t" \
    "vmovdqu %%ymm8, 256(%[acc])\n\t" \
    "vmovdqu %%ymm9, 288(%[acc])\n\t" \
    "vmovdqu %%ymm10, 320(%[acc])\n\t" \
    "vmovdqu %%ymm11, 352(%[acc])\n\t"

#define ASM_MAC7(addr, c0, c1)                                                \
    "vpbroadcastd " addr ", %%ymm14\n\t"                                      \
    "vpmaddubsw %%ymm12, %%ymm14, %%ymm15\n\t"                                \
    "vpmaddwd %[ones], %%ymm15, %%ymm15\n\t"                                  \
    "vpaddd %%ymm15, %%" c0 ", %%" c0 "\n\t"                                  \
    "vpmaddubsw %%ymm13, %%ymm14, %%ymm15\n\t"                                \
    "vpmaddwd %[ones], %%ymm15, %%ymm15\n\t"                                  \
    "vpaddd %%ymm15, %%" c1 ", %%" c1 "\n\t"

/*
 * @a: @rows input rows of @lda bytes (rows past the end read the last).
 * The loop is assembly: its 12 accumulators, two weight vectors, the
 * broadcast and a temporary are all 16 registers, which the compiler does
 * not manage without spilling an accumulator every step.
 */
AVX2 static void kernel7_6x16(const uint8_t *a, size_t lda, const int8_t *wp,
                              size_t kc, int32_t *c, size_t ldc, size_t rows,
                              bool init, const int32_t *bias)
{
    __m256i acc[12];
    uint8_t tail[MR * KC * 4];
    const uint8_t *a0 = a, *a3;
    const int8_t *wend = wp + kc * 64;
    size_t r;

    /* A partial tile: its rows, and zeros, in a buffer of whole rows. */
    if (rows < MR) {
        memset(tail, 0, MR * kc * 4);
        for (r = 0; r < rows; r++) {
            memcpy(tail + r * kc * 4, a + r * lda, kc * 4);
        }
        a0 = tail;
        lda = kc * 4;
    }
    a3 = a0 + 3 * lda;
    memset(acc, 0, sizeof(acc));
    __asm__ volatile(
        ASM_ACC_LOAD
        "cmp %[w], %[wend]\n\t"
        "je 2f\n"
        "1:\n\t"
        "vmovdqa (%[w]), %%ymm12\n\t"
        "vmovdqa 32(%[w]), %%ymm13\n\t"
        ASM_MAC7("(%[a0])", "ymm0", "ymm1")
        ASM_MAC7("(%[a0],%[lda],1)", "ymm2", "ymm3")
        ASM_MAC7("(%[a0],%[lda],2)", "ymm4", "ymm5")
        ASM_MAC7("(%[a3])", "ymm6", "ymm7")
        ASM_MAC7("(%[a3],%[lda],1)", "ymm8", "ymm9")
        ASM_MAC7("(%[a3],%[lda],2)", "ymm10", "ymm11")
        "add $64, %[w]\n\t"
        "add $4, %[a0]\n\t"
        "add $4, %[a3]\n\t"
        "cmp %[w], %[wend]\n\t"
        "jne 1b\n"
        "2:\n\t"
        ASM_ACC_STORE
        : [w] "+r"(wp), [a0] "+r"(a0), [a3] "+r"(a3)
        : [wend] "r"(wend), [lda] "r"(lda), [ones] "m"(ones16), [acc] "r"(acc)
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
          "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
          "memory", "cc");
    for (r = 0; r < rows; r++) {
        __m256i *out = (__m256i *)(c + r * ldc);
        __m256i b0 = _mm256_loadu_si256(init ? (const __m256i *)bias : out);
        __m256i b1 = _mm256_loadu_si256(init ? (const __m256i *)(bias + 8) : out + 1);

        _mm256_storeu_si256(out, _mm256_add_epi32(acc[2 * r], b0));
        _mm256_storeu_si256(out + 1, _mm256_add_epi32(acc[2 * r + 1], b1));
    }
}

/*
 * Rows [m0, m0 + mc), steps [k0, k0 + kc) of @step input bytes (2: int16
 * pairs, zero-extended; 4: quads of bytes), as tiles of MR rows: [p][r].
 */
static void pack_rows(const uint8_t *a, size_t lda, size_t m0, size_t mc,
                      size_t k0, size_t kc, size_t step, int32_t *dst)
{
    size_t t, p, r;

    for (t = 0; t < mc; t += MR) {
        int32_t *tile = dst + t * kc;

        for (r = 0; r < MR; r++) {
            const uint8_t *row = a + (m0 + t + r) * lda + k0 * step;

            if (t + r >= mc) {
                for (p = 0; p < kc; p++) {
                    tile[p * MR + r] = 0;
                }
            } else if (step == 4) {
                for (p = 0; p < kc; p++) {
                    memcpy(&tile[p * MR + r], row + 4 * p, 4);
                }
            } else {
                for (p = 0; p < kc; p++) {
                    tile[p * MR + r] = row[2 * p] | (int32_t)row[2 * p + 1] << 16;
                }
            }
        }
    }
}

AVX2 void qnpu_gemm_avx2(const uint8_t *a, size_t r0, size_t r1, size_t kb,
                         const int8_t *w, size_t ob, const int32_t *bias,
                         int32_t *c, size_t ldc, const struct qnpu_out *o)
{
    bool seven = ((const struct prep_hdr *)w)->mode == PREP_INT7;
    const void *wprep = seven ? (const void *)prep_int7(w) : (const void *)(w + PREP_HDR);
    size_t steps = seven ? kb : kb * 2, step = seven ? 4 : 2, lda = kb * 4;
    size_t k0, m0, b, t, i;
    size_t kblk = (steps + KC - 1) / KC, kcmax = (steps + kblk - 1) / kblk;
    int32_t *ap = aligned_alloc(32, sizeof(int32_t) * MC * kcmax);

    if (!ap) {
        abort();
    }
    for (k0 = 0; k0 < steps; k0 += kcmax) {
        size_t kc = steps - k0 < kcmax ? steps - k0 : kcmax;

        for (m0 = r0; m0 < r1; m0 += MC) {
            size_t mc = r1 - m0 < MC ? r1 - m0 : MC;

            if (!seven) {
                pack_rows(a, lda, m0, mc, k0, kc, step, ap);
            }
            /*
             * Few blocks of weights (a convolution's): each input tile
             * stays in L1 across all of them; else each block of weights
             * stays in L1 across the tiles.
             */
            for (i = 0; i < ob * ((mc + MR - 1) / MR); i++) {
                bool few = ob * kc * (seven ? 64 : 64) <= 32768;
                size_t ntiles = (mc + MR - 1) / MR;

                b = few ? i % ob : i / ntiles;
                t = (few ? i / ob : i % ntiles) * MR;
                {
                    int32_t *ct = c + (m0 + t) * ldc + b * 16;
                    size_t rows = mc - t < MR ? mc - t : MR;

                    if (seven) {
                        kernel7_6x16(a + (m0 + t) * lda + k0 * 4, lda,
                                     (const int8_t *)wprep + (b * steps + k0) * 64,
                                     kc, ct, ldc, rows, k0 == 0, bias + b * 16);
                    } else {
                        kernel16_6x16(ap + t * kc, (const int16_t *)wprep +
                                      (b * steps + k0) * 32, kc, ct, ldc, rows,
                                      k0 == 0, bias + b * 16);
                    }
                }
            }
        }
    }
    free(ap);
}

/*
 * The indirect 7-bit kernel: like kernel7_6x16, but each row's input is a
 * run of taps, each at the row's corner in the (padded) input image plus
 * the tap's offset, so a convolution needs no staged copy of its windows.
 * @px: the tile's 6 corners; @off: the offsets of the block's @ntaps taps
 * of @tap_bytes bytes; the accumulators start at @acc.
 */
AVX2 static void kernel7i_6x16(const uint8_t *const *px, const size_t *off, size_t ntaps,
                               size_t tap_bytes, const int8_t *wp, __m256i *acc)
{
    const size_t *oend = off + ntaps;
    const uint8_t *a0, *a1, *a2, *a3, *a4, *a5;
    size_t k;

    __asm__ volatile(
        ASM_ACC_LOAD
        "\n"
        "1:\n\t"
        "mov (%[off]), %[a0]\n\t"
        "mov %[a0], %[a1]\n\t"
        "mov %[a0], %[a2]\n\t"
        "mov %[a0], %[a3]\n\t"
        "mov %[a0], %[a4]\n\t"
        "mov %[a0], %[a5]\n\t"
        "add 0(%[px]), %[a0]\n\t"
        "add 8(%[px]), %[a1]\n\t"
        "add 16(%[px]), %[a2]\n\t"
        "add 24(%[px]), %[a3]\n\t"
        "add 32(%[px]), %[a4]\n\t"
        "add 40(%[px]), %[a5]\n\t"
        "xor %[k], %[k]\n"
        "2:\n\t"
        "vmovdqa (%[w]), %%ymm12\n\t"
        "vmovdqa 32(%[w]), %%ymm13\n\t"
        ASM_MAC7("(%[a0],%[k])", "ymm0", "ymm1")
        ASM_MAC7("(%[a1],%[k])", "ymm2", "ymm3")
        ASM_MAC7("(%[a2],%[k])", "ymm4", "ymm5")
        ASM_MAC7("(%[a3],%[k])", "ymm6", "ymm7")
        ASM_MAC7("(%[a4],%[k])", "ymm8", "ymm9")
        ASM_MAC7("(%[a5],%[k])", "ymm10", "ymm11")
        "add $64, %[w]\n\t"
        "add $4, %[k]\n\t"
        "cmp %[tb], %[k]\n\t"
        "jne 2b\n\t"
        "add $8, %[off]\n\t"
        "cmp %[off], %[oend]\n\t"
        "jne 1b\n\t"
        ASM_ACC_STORE
        : [w] "+r"(wp), [off] "+r"(off), [a0] "=&r"(a0), [a1] "=&r"(a1),
          [a2] "=&r"(a2), [a3] "=&r"(a3), [a4] "=&r"(a4), [a5] "=&r"(a5),
          [k] "=&r"(k)
        : [oend] "r"(oend), [px] "r"(px), [tb] "r"(tap_bytes), [ones] "m"(ones16),
          [acc] "r"(acc)
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
          "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
          "memory", "cc");
}

AVX2 bool qnpu_iconv_avx2(const uint8_t *const *corner, const size_t *off, size_t taps,
                          size_t tap_bytes, size_t rows, const int8_t *w, size_t ob,
                          const int32_t *bias, int32_t *c, size_t ldc,
                          const struct qnpu_out *o)
{
    const int8_t *wprep = prep_int7(w);
    size_t spt = tap_bytes / 4, steps = taps * spt, ntiles = (rows + MR - 1) / MR;
    /* Blocks of whole taps, at most KC steps (one tap at least). */
    size_t tpb = spt >= KC ? 1 : KC / spt, t0, b, t;

    if (((const struct prep_hdr *)w)->mode != PREP_INT7 || !spt) {
        return false;
    }
    for (t0 = 0; t0 < taps; t0 += tpb) {
        size_t nt = taps - t0 < tpb ? taps - t0 : tpb;
        bool few = ob * nt * spt * 64 <= 32768;
        size_t i;

        for (i = 0; i < ob * ntiles; i++) {
            __m256i acc[12];
            size_t r, n;

            b = few ? i % ob : i / ntiles;
            t = few ? i / ob : i % ntiles;
            n = rows - t * MR < MR ? rows - t * MR : MR;
            memset(acc, 0, sizeof(acc));
            kernel7i_6x16(corner + t * MR, off + t0, nt, tap_bytes,
                          wprep + (b * steps + t0 * spt) * 64, acc);
            for (r = 0; r < n; r++) {
                __m256i *out = (__m256i *)(c + (t * MR + r) * ldc + b * 16);
                __m256i b0 = _mm256_loadu_si256(t0 == 0 ? (const __m256i *)(bias + b * 16) :
                                                out);
                __m256i b1 = _mm256_loadu_si256(t0 == 0 ? (const __m256i *)(bias + b * 16 + 8) :
                                                out + 1);

                _mm256_storeu_si256(out, _mm256_add_epi32(acc[2 * r], b0));
                _mm256_storeu_si256(out + 1, _mm256_add_epi32(acc[2 * r + 1], b1));
            }
        }
    }
    return true;
}

/* x >> t per 64-bit lane, arithmetic (AVX2 has only the logical shift). */
AVX2 static inline __m256i sra64(__m256i x, __m256i t)
{
    __m256i sgn = _mm256_cmpgt_epi64(_mm256_setzero_si256(), x);

    return _mm256_xor_si256(_mm256_srlv_epi64(_mm256_xor_si256(x, sgn), t), sgn);
}

/* Clamp 64-bit lanes to [-2^16, 2^16]: the output clamp decides the same. */
AVX2 static inline __m256i clamp64(__m256i x)
{
    __m256i hi = _mm256_set1_epi64x(1 << 16), lo = _mm256_set1_epi64x(-(1 << 16));

    x = _mm256_blendv_epi8(x, hi, _mm256_cmpgt_epi64(x, hi));
    return _mm256_blendv_epi8(x, lo, _mm256_cmpgt_epi64(lo, x));
}

/*
 * gemmlowp's SRDHM on the even lanes: (a*m + nudge) / 2^31 truncated, with
 * nudge 2^30 or 1 - 2^30 by the product's sign. Both cases are
 * floor((a*m + 2^30) / 2^31) (for a negative product, truncation adds
 * 2^31 - 1 before flooring), and the result fits 32 bits (m >= 0, so
 * a = m = INT32_MIN cannot occur): the low half of a logical shift is it.
 */
AVX2 static inline __m256i srdhm4(__m256i a, __m256i m)
{
    __m256i prod = _mm256_mul_epi32(a, m);

    return _mm256_srli_epi64(_mm256_add_epi64(prod, _mm256_set1_epi64x(1 << 30)), 31);
}

AVX2 void qnpu_requant_avx2(const struct qnpu_rq *rq, const int32_t *acc,
                            size_t n, size_t ch0, int8_t *out)
{
    const __m256i zp = _mm256_set1_epi32(rq->zp), lo = _mm256_set1_epi32(rq->lo);
    const __m256i hi = _mm256_set1_epi32(rq->hi), zero = _mm256_setzero_si256();
    const __m256i lim = _mm256_set1_epi32(1 << 16);
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(acc + i));
        __m256i m = rq->m ? _mm256_loadu_si256((const __m256i *)(rq->m + ch0 + i)) :
                    _mm256_set1_epi32(rq->m1);
        __m256i s = rq->m ? _mm256_loadu_si256((const __m256i *)(rq->s + ch0 + i)) :
                    _mm256_set1_epi32(rq->s1);
        __m256i y, ev, od, pk;

        if (rq->mode == 1) {        /* QNPU_ROUND_SINGLE */
            __m256i se = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(
                _mm256_permutevar8x32_epi32(s, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7))));
            __m256i so = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(
                _mm256_permutevar8x32_epi32(s, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7)), 1));
            __m256i one = _mm256_set1_epi64x(1), t31 = _mm256_set1_epi64x(31);
            __m256i te = _mm256_sub_epi64(t31, se), to = _mm256_sub_epi64(t31, so);

            /* even lanes 0,2,4,6 of x/m pair with se; odd lanes with so */
            ev = _mm256_add_epi64(_mm256_mul_epi32(x, m),
                                  _mm256_sllv_epi64(one, _mm256_sub_epi64(te, one)));
            ev = clamp64(sra64(ev, te));
            od = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32),
                                                   _mm256_srli_epi64(m, 32)),
                                  _mm256_sllv_epi64(one, _mm256_sub_epi64(to, one)));
            od = clamp64(sra64(od, to));
            y = _mm256_blend_epi32(ev, _mm256_slli_epi64(od, 32), 0xaa);
        } else {
            __m256i left = _mm256_max_epi32(s, zero);
            __m256i right = _mm256_max_epi32(_mm256_sub_epi32(zero, s), zero);
            __m256i mask, rem, thr;

            x = _mm256_sllv_epi32(x, left);
            ev = srdhm4(x, m);
            od = srdhm4(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32));
            y = _mm256_blend_epi32(ev, _mm256_slli_epi64(od, 32), 0xaa);
            /* RoundingDivideByPOT(y, right): ties away from zero */
            mask = _mm256_sub_epi32(_mm256_sllv_epi32(_mm256_set1_epi32(1), right),
                                    _mm256_set1_epi32(1));
            rem = _mm256_and_si256(y, mask);
            thr = _mm256_sub_epi32(_mm256_srli_epi32(mask, 1),
                                   _mm256_cmpgt_epi32(zero, y));
            y = _mm256_sub_epi32(_mm256_srav_epi32(y, right),
                                 _mm256_cmpgt_epi32(rem, thr));
            y = _mm256_min_epi32(_mm256_max_epi32(y, _mm256_sub_epi32(zero, lim)), lim);
        }
        y = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(y, zp), lo), hi);
        pk = _mm256_packs_epi32(y, y);
        pk = _mm256_packs_epi16(pk, pk);
        pk = _mm256_permutevar8x32_epi32(pk, _mm256_setr_epi32(0, 4, 0, 4, 0, 4, 0, 4));
        _mm_storel_epi64((__m128i *)(out + i), _mm256_castsi256_si128(pk));
    }
    qnpu_requant_portable(rq, acc + i, n - i, ch0 + i, out + i);
}

/*
 * Depthwise, 16 channels at a time, two taps per step: the int16 inputs of
 * taps t and t+1 interleaved, and their weights likewise, so one vpmaddwd
 * gives x_t * w_t + x_t+1 * w_t+1 per channel, exactly (each product is
 * at most 2^14). Unpacking works within 128-bit lanes, so the accumulators
 * hold channels 0-3, 8-11 and 4-7, 12-15; they are put back in order once.
 */
AVX2 void qnpu_dw_avx2(const int8_t *const *x, const int8_t *w, size_t taps,
                       size_t C, int32_t *acc)
{
    const __m128i zero = _mm_setzero_si128();
    size_t c = 0, t;

    for (; c + 16 <= C; c += 16) {
        __m256i lo = _mm256_setzero_si256(), hi = lo, a0, a1;

        for (t = 0; t < taps; t += 2) {
            bool two = t + 1 < taps;
            __m256i x0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x[t] + c)));
            __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + t * C + c)));
            __m256i x1 = _mm256_cvtepi8_epi16(two ? _mm_loadu_si128((const __m128i *)(x[t + 1] + c)) :
                                              zero);
            __m256i w1 = _mm256_cvtepi8_epi16(two ? _mm_loadu_si128((const __m128i *)
                                                                    (w + (t + 1) * C + c)) :
                                              zero);

            lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1),
                                                        _mm256_unpacklo_epi16(w0, w1)));
            hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1),
                                                        _mm256_unpackhi_epi16(w0, w1)));
        }
        a0 = _mm256_loadu_si256((const __m256i *)(acc + c));
        a1 = _mm256_loadu_si256((const __m256i *)(acc + c + 8));
        _mm256_storeu_si256((__m256i *)(acc + c),
                            _mm256_add_epi32(a0, _mm256_permute2x128_si256(lo, hi, 0x20)));
        _mm256_storeu_si256((__m256i *)(acc + c + 8),
                            _mm256_add_epi32(a1, _mm256_permute2x128_si256(lo, hi, 0x31)));
    }
    for (t = 0; c < C && t < taps; t++) {     /* the last channels */
        size_t cc;

        for (cc = c; cc < C; cc++) {
            acc[cc] = (int32_t)((uint32_t)acc[cc] +
                                (uint32_t)((int32_t)x[t][cc] * w[t * C + cc]));
        }
    }
}

#endif /* __x86_64__ */
