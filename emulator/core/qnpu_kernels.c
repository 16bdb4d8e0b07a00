/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: portable kernels, requantization and the choice of
 * the SIMD kernels at run time.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <string.h>

#include "qnpu_cmdbuf.h"
#include "qnpu_kernels.h"

/* gemmlowp's SaturatingRoundingDoublingHighMul. */
static int32_t srdhm(int32_t a, int32_t b)
{
    int64_t ab, nudge;

    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    ab = (int64_t)a * b;
    nudge = ab >= 0 ? (1ll << 30) : 1 - (1ll << 30);
    return (int32_t)((ab + nudge) / (1ll << 31));
}

/* gemmlowp's RoundingDivideByPOT: ties away from zero. */
static int32_t rdbpot(int32_t x, int e)
{
    int32_t mask = (int32_t)((1ll << e) - 1);
    int32_t rem = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0);

    return (x >> e) + (rem > threshold);
}

int32_t qnpu_mbqm(int32_t acc, int32_t m, int32_t shift, int mode)
{
    if (mode == QNPU_ROUND_SINGLE) {
        int total = 31 - shift;
        int64_t r = ((int64_t)acc * m + (1ll << (total - 1))) >> total;

        return r > INT32_MAX ? INT32_MAX : r < INT32_MIN ? INT32_MIN :
               (int32_t)r;
    }
    if (shift > 0) {
        acc = (int32_t)((uint32_t)acc << shift);
        return srdhm(acc, m);
    }
    return rdbpot(srdhm(acc, m), -shift);
}

/* One 16-channel block of one row: the reference shape of the array pass. */
static void gemm_portable(const uint8_t *a, size_t r0, size_t r1, size_t kb,
                          const int8_t *w, size_t ob, const int32_t *bias,
                          int32_t *c, size_t ldc, const struct qnpu_out *ostage)
{
    size_t r, b, k, o;

    for (r = r0; r < r1; r++) {
        const uint8_t *row = a + r * kb * 4;

        for (b = 0; b < ob; b++) {
            const int8_t *blk = w + b * kb * 64;
            uint32_t acc[16];

            for (o = 0; o < 16; o++) {
                acc[o] = (uint32_t)bias[b * 16 + o];
            }
            for (k = 0; k < kb; k++) {
                const uint8_t *x = row + k * 4;
                const int8_t *wk = blk + k * 64;

                for (o = 0; o < 16; o++) {
                    acc[o] += (uint32_t)(x[0] * wk[o * 4] +
                                         x[1] * wk[o * 4 + 1] +
                                         x[2] * wk[o * 4 + 2] +
                                         x[3] * wk[o * 4 + 3]);
                }
            }
            for (o = 0; o < 16; o++) {
                c[r * ldc + b * 16 + o] = (int32_t)acc[o];
            }
        }
    }
}

void qnpu_requant_portable(const struct qnpu_rq *rq, const int32_t *acc,
                           size_t n, size_t ch0, int8_t *out)
{
    size_t i;

    for (i = 0; i < n; i++) {
        int32_t m = rq->m ? rq->m[ch0 + i] : rq->m1;
        int32_t s = rq->m ? rq->s[ch0 + i] : rq->s1;

        out[i] = qnpu_clamp8((int64_t)qnpu_mbqm(acc[i], m, s, rq->mode) +
                             rq->zp, rq->lo, rq->hi);
    }
}

VECTORIZE
void qnpu_wsum_portable(const int8_t *w, size_t kb, size_t b0, size_t b1,
                        int32_t *sum)
{
    size_t b, q, o, j;

    for (b = b0; b < b1; b++) {
        int32_t lane[64] = { 0 };       /* byte j of every 16x4 block */

        for (q = 0; q < kb; q++) {
            const int8_t *blk = w + (b * kb + q) * 64;

            for (j = 0; j < 64; j++) {
                lane[j] += blk[j];
            }
        }
        for (o = 0; o < 16; o++) {
            sum[b * 16 + o] = (int32_t)((uint32_t)lane[o * 4] + (uint32_t)lane[o * 4 + 1] +
                                        (uint32_t)lane[o * 4 + 2] + (uint32_t)lane[o * 4 + 3]);
        }
    }
}

void qnpu_dw_portable(const int8_t *const *x, const int8_t *w, size_t taps,
                      size_t C, int32_t *acc)
{
    size_t t, c;

    for (t = 0; t < taps; t++) {
        for (c = 0; c < C; c++) {
            acc[c] = (int32_t)((uint32_t)acc[c] +
                               (uint32_t)((int32_t)x[t][c] * w[t * C + c]));
        }
    }
}

static const struct qnpu_kernels portable = {
    .isa = QNPU_ISA_PORTABLE,
    .name = "portable",
    .gemm = gemm_portable,
    .requant = qnpu_requant_portable,
    .dw = qnpu_dw_portable,
    .wsum = qnpu_wsum_portable,
};

#if defined(__x86_64__)
static const struct qnpu_kernels avx2 = {
    .isa = QNPU_ISA_AVX2,
    .name = "avx2",
    .gemm = qnpu_gemm_avx2,
    .prep_bytes = qnpu_prep_bytes_avx2,
    .prep = qnpu_prep_avx2,
    .requant = qnpu_requant_avx2,
    .dw = qnpu_dw_avx2,
    .iconv = qnpu_iconv_avx2,
    .wsum = qnpu_wsum_portable,
};

static const struct qnpu_kernels avx512_vnni = {
    .isa = QNPU_ISA_AVX512_VNNI,
    .name = "avx512-vnni",
    .gemm = qnpu_gemm_avx512_vnni,
    .requant = qnpu_requant_avx512,
    .dw = qnpu_dw_avx2,
    .iconv = qnpu_iconv_avx512_vnni,
    .fused_out = true,
    .dw_out = qnpu_dw_out_avx512,
    .wsum = qnpu_wsum_avx512,
};
#endif

const struct qnpu_kernels *qnpu_kernels_get(enum qnpu_isa isa)
{
    switch (isa) {
    case QNPU_ISA_PORTABLE:
        return &portable;
#if defined(__x86_64__)
    case QNPU_ISA_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") ? &avx2 : NULL;
    case QNPU_ISA_AVX512_VNNI:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512vnni") ? &avx512_vnni : NULL;
#endif
    default:
        return NULL;
    }
}

const struct qnpu_kernels *qnpu_kernels_best(void)
{
    int isa;

    for (isa = QNPU_ISA_COUNT - 1; isa > 0; isa--) {
        const struct qnpu_kernels *k = qnpu_kernels_get(isa);

        if (k) {
            return k;
        }
    }
    return &portable;
}
