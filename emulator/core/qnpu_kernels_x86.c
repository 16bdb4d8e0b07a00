/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: x86 SIMD GEMM kernels, compiled with per-function
 * target attributes and chosen at run time (qnpu_kernels.c), so the
 * binary still runs on hosts without them.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#if defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

#include "qnpu_kernels.h"

#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define AVX2 __attribute__((target("avx2")))

static inline int32_t load_a4(const uint8_t *p)
{
    int32_t v;

    memcpy(&v, p, 4);
    return v;
}

/*
 * AVX-512 VNNI: one vpdpbusd multiplies 4 unsigned input bytes (broadcast)
 * by a 16x4 weight block into 16 int32 accumulators, exactly one pass of
 * the packed layout. R rows x B blocks of accumulators stay in registers.
 */
#define VNNI_TILE(R, B)                                                       \
VNNI static void vnni_tile_##R##x##B(const uint8_t *a, size_t lda, size_t kb, \
                                     const int8_t *w, size_t wstride,         \
                                     const int32_t *bias, int32_t *c,         \
                                     size_t ldc)                              \
{                                                                             \
    __m512i acc[R][B], wv[B];                                                 \
    size_t k;                                                                 \
    int r, b;                                                                 \
                                                                              \
    for (b = 0; b < B; b++) {                                                 \
        __m512i bv = _mm512_loadu_si512(bias + b * 16);                       \
        for (r = 0; r < R; r++) {                                             \
            acc[r][b] = bv;                                                   \
        }                                                                     \
    }                                                                         \
    for (k = 0; k < kb; k++) {                                                \
        for (b = 0; b < B; b++) {                                             \
            wv[b] = _mm512_loadu_si512(w + b * wstride + k * 64);             \
        }                                                                     \
        for (r = 0; r < R; r++) {                                             \
            __m512i av = _mm512_set1_epi32(load_a4(a + r * lda + k * 4));     \
            for (b = 0; b < B; b++) {                                         \
                acc[r][b] = _mm512_dpbusd_epi32(acc[r][b], av, wv[b]);        \
            }                                                                 \
        }                                                                     \
    }                                                                         \
    for (r = 0; r < R; r++) {                                                 \
        for (b = 0; b < B; b++) {                                             \
            _mm512_storeu_si512(c + r * ldc + b * 16, acc[r][b]);             \
        }                                                                     \
    }                                                                         \
}

VNNI_TILE(6, 4)
VNNI_TILE(1, 4)
VNNI_TILE(6, 1)
VNNI_TILE(1, 1)

VNNI void qnpu_gemm_avx512_vnni(const uint8_t *a, size_t r0, size_t r1,
                                size_t kb, const int8_t *w, size_t ob,
                                const int32_t *bias, int32_t *c, size_t ldc)
{
    size_t lda = kb * 4, wstride = kb * 64, b = 0, r;

    for (; b + 4 <= ob; b += 4) {
        for (r = r0; r + 6 <= r1; r += 6) {
            vnni_tile_6x4(a + r * lda, lda, kb, w + b * wstride, wstride,
                          bias + b * 16, c + r * ldc + b * 16, ldc);
        }
        for (; r < r1; r++) {
            vnni_tile_1x4(a + r * lda, lda, kb, w + b * wstride, wstride,
                          bias + b * 16, c + r * ldc + b * 16, ldc);
        }
    }
    for (; b < ob; b++) {
        for (r = r0; r + 6 <= r1; r += 6) {
            vnni_tile_6x1(a + r * lda, lda, kb, w + b * wstride, wstride,
                          bias + b * 16, c + r * ldc + b * 16, ldc);
        }
        for (; r < r1; r++) {
            vnni_tile_1x1(a + r * lda, lda, kb, w + b * wstride, wstride,
                          bias + b * 16, c + r * ldc + b * 16, ldc);
        }
    }
}

/*
 * AVX2 has no exact 8-bit dot product (vpmaddubsw saturates), so inputs
 * and weights are widened to int16 and multiplied with vpmaddwd, whose
 * pairwise int32 sums are exact. Lane 2i / 2i+1 of an accumulator hold
 * the two halves of one output channel's sum; they are added at the end.
 */
AVX2 static inline __m256i widen_a4(const uint8_t *p)
{
    __m128i v = _mm_cvtsi32_si128(load_a4(p));

    return _mm256_broadcastq_epi64(_mm_cvtepu8_epi16(v));
}

/* Pairwise sums of acc[0..1] (channels 0..7 of a block, in order). */
AVX2 static inline __m256i fold_pairs(__m256i lo, __m256i hi)
{
    return _mm256_permute4x64_epi64(_mm256_hadd_epi32(lo, hi), 0xd8);
}

AVX2 static void avx2_tile(const uint8_t *a, size_t lda, int rows, size_t kb,
                           const int8_t *w, const int32_t *bias, int32_t *c,
                           size_t ldc)
{
    __m256i acc[2][4], wv[4];
    size_t k;
    int r, j;

    for (r = 0; r < 2; r++) {
        for (j = 0; j < 4; j++) {
            acc[r][j] = _mm256_setzero_si256();
        }
    }
    for (k = 0; k < kb; k++) {
        const int8_t *blk = w + k * 64;

        for (j = 0; j < 4; j++) {
            wv[j] = _mm256_cvtepi8_epi16(
                _mm_loadu_si128((const __m128i *)(blk + j * 16)));
        }
        for (r = 0; r < rows; r++) {
            __m256i av = widen_a4(a + r * lda + k * 4);

            for (j = 0; j < 4; j++) {
                acc[r][j] = _mm256_add_epi32(acc[r][j],
                                             _mm256_madd_epi16(av, wv[j]));
            }
        }
    }
    for (r = 0; r < rows; r++) {
        __m256i lo = fold_pairs(acc[r][0], acc[r][1]);
        __m256i hi = fold_pairs(acc[r][2], acc[r][3]);

        lo = _mm256_add_epi32(lo, _mm256_loadu_si256((const __m256i *)bias));
        hi = _mm256_add_epi32(hi,
                              _mm256_loadu_si256((const __m256i *)(bias + 8)));
        _mm256_storeu_si256((__m256i *)(c + r * ldc), lo);
        _mm256_storeu_si256((__m256i *)(c + r * ldc + 8), hi);
    }
}

AVX2 void qnpu_gemm_avx2(const uint8_t *a, size_t r0, size_t r1, size_t kb,
                         const int8_t *w, size_t ob, const int32_t *bias,
                         int32_t *c, size_t ldc)
{
    size_t lda = kb * 4, b, r;

    for (b = 0; b < ob; b++) {
        for (r = r0; r < r1; r += 2) {
            avx2_tile(a + r * lda, lda, r + 2 <= r1 ? 2 : 1, kb,
                      w + b * kb * 64, bias + b * 16, c + r * ldc + b * 16,
                      ldc);
        }
    }
}

#endif /* __x86_64__ */
