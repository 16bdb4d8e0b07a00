/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: compute kernels on dense host buffers.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef QNPU_KERNELS_H
#define QNPU_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* GCC vectorises simple loops at -O2 only when asked (QEMU builds -O2). */
#if defined(__GNUC__) && !defined(__clang__)
#define VECTORIZE   __attribute__((optimize("tree-vectorize")))
#else
#define VECTORIZE
#endif

/*
 * int8 GEMM over weights in the device's packed layout (docs/hardware.md
 * 13.3.2), the way the MAC array runs it:
 *
 *   C[r][o] = bias[o] + sum over k < KB*4 of A[r][k] * W(o, k)   (mod 2^32)
 *
 * A holds rows of KB*4 bytes as unsigned values (the int8 input XOR 0x80,
 * i.e. x + 128); the caller folds -128 * sum(W(o, .)) into bias. W is OB
 * blocks of KB 16x4 blocks; C rows are ldc int32 (ldc >= OB*16); bias has
 * OB*16 entries. Rows [r0, r1) are computed.
 */
struct qnpu_out;

typedef void qnpu_gemm_fn(const uint8_t *a, size_t r0, size_t r1, size_t kb,
                          const int8_t *w, size_t ob, const int32_t *bias,
                          int32_t *c, size_t ldc, const struct qnpu_out *o);

/*
 * A kernel family may want the weights in its own layout: prep() turns
 * the packed weights (KB x OB blocks) into prep_bytes() bytes once per
 * op, and gemm() then gets those in place of W.
 */
typedef size_t qnpu_prep_bytes_fn(size_t kb, size_t ob);
typedef void qnpu_prep_fn(const int8_t *w, size_t kb, size_t ob, void *out);

/**
 * struct qnpu_rq - an output stage (docs/arithmetic.md 3.7), decoded
 * @mode: enum qnpu_rounding
 * @zp: output zero point
 * @lo: lower clamp
 * @hi: upper clamp
 * @m: per-channel multipliers, indexed by channel, or NULL
 * @s: per-channel shifts, or NULL
 * @m1: the per-tensor multiplier (when @m is NULL)
 * @s1: the per-tensor shift
 */
struct qnpu_rq {
    int mode;
    int32_t zp, lo, hi;
    const int32_t *m, *s;
    int32_t m1, s1;
};

/* Requantize @n accumulators of channels @ch0.. into int8. */
typedef void qnpu_requant_fn(const struct qnpu_rq *rq, const int32_t *acc,
                             size_t n, size_t ch0, int8_t *out);

/**
 * struct qnpu_out - the output stage, for kernels that apply it as they
 * store their sums (qnpu_kernels.fused_out): row r's result for channel c
 * goes to @out[r * @ldo + c] in place of C (which then holds partial sums
 * only). Kernels without fused_out are passed NULL.
 * @rq: the output stage; channel c of the GEMM is its channel @ch0 + c
 * @out: the output rows, indexed like C's
 * @ldo: bytes between output rows
 * @cols: channels written (the GEMM's are padded to 16)
 * @ch0: see @rq
 */
struct qnpu_out {
    const struct qnpu_rq *rq;
    int8_t *out;
    size_t ldo, cols, ch0;
};

/*
 * Indirect convolution: the GEMM of qnpu_gemm_fn over @rows rows whose
 * input row r is, for each of @taps taps t, @tap_bytes (a multiple of 4)
 * bytes at @corner[r] + @off[t]: a row's corner in a padded copy of the
 * input and a tap's offset from it. @corner has a multiple of 6 entries
 * (those past @rows repeat a valid row). @w are prepared weights (prep).
 * Returns false when the weights are not of a kind this path takes: the
 * caller stages rows.
 */
typedef bool qnpu_iconv_fn(const uint8_t *const *corner, const size_t *off, size_t taps,
                           size_t tap_bytes, size_t rows, const int8_t *w, size_t ob,
                           const int32_t *bias, int32_t *c, size_t ldc,
                           const struct qnpu_out *o);

/*
 * Per-channel weight sums of blocks [@b0, @b1) of packed weights (KB
 * steps each): sum[b * 16 + o] = sum over k of W(b * 16 + o, k), mod 2^32.
 */
typedef void qnpu_wsum_fn(const int8_t *w, size_t kb, size_t b0, size_t b1,
                          int32_t *sum);

/*
 * Depthwise: acc[c] += sum over taps t of x[t][c] * w[t * C + c] (mod
 * 2^32) for c < C, int8 inputs and weights.
 */
typedef void qnpu_dw_fn(const int8_t *const *x, const int8_t *w, size_t taps,
                        size_t C, int32_t *acc);

/*
 * Depthwise with the output stage, over @rows output pixels of a padded
 * input: pixel r's tap t is the C int8 channels at @corner[r] + @off[t]
 * (@corner has a multiple of 6 entries; those past @rows are readable
 * pixels too). Pixel r's channel c, the output stage of bias[c] (0 when
 * @bias is NULL) + sum over taps t of x_t[c] * w[t * C + c] (mod 2^32),
 * goes to @o->out[r * @o->ldo + c].
 */
typedef void qnpu_dw_out_fn(const uint8_t *const *corner, const size_t *off,
                            size_t taps, size_t rows, const int8_t *w, size_t C,
                            const int32_t *bias, const struct qnpu_out *o);

#if defined(__x86_64__)
/* Four bytes as one int32 (any alignment), to broadcast in a kernel. */
static inline int32_t qnpu_load4(const uint8_t *p)
{
    int32_t v;

    memcpy(&v, p, 4);
    return v;
}

/*
 * qnpu_kernels_avx2.c and qnpu_kernels_avx512.c: call only after
 * qnpu_kernels_get() said yes.
 */
extern qnpu_gemm_fn qnpu_gemm_avx2, qnpu_gemm_avx512_vnni;
extern qnpu_prep_bytes_fn qnpu_prep_bytes_avx2;
extern qnpu_prep_fn qnpu_prep_avx2;
extern qnpu_requant_fn qnpu_requant_avx2, qnpu_requant_avx512;
extern qnpu_dw_fn qnpu_dw_avx2;
extern qnpu_dw_out_fn qnpu_dw_out_avx512;
extern qnpu_wsum_fn qnpu_wsum_avx512;
extern qnpu_iconv_fn qnpu_iconv_avx2, qnpu_iconv_avx512_vnni;
#endif

/** enum qnpu_isa - the kernel families, best last */
enum qnpu_isa {
    QNPU_ISA_PORTABLE,
    QNPU_ISA_AVX2,
    QNPU_ISA_AVX512_VNNI,
    QNPU_ISA_COUNT,
};

struct qnpu_kernels {
    enum qnpu_isa isa;
    const char *name;
    qnpu_gemm_fn *gemm;
    qnpu_prep_bytes_fn *prep_bytes;     /* NULL: gemm takes packed weights */
    qnpu_prep_fn *prep;
    qnpu_requant_fn *requant;
    qnpu_dw_fn *dw;
    qnpu_iconv_fn *iconv;       /* NULL: always stage rows (im2col) */
    bool fused_out;             /* gemm and iconv take a struct qnpu_out */
    qnpu_dw_out_fn *dw_out;     /* NULL: depthwise pixel by pixel (dw) */
    qnpu_wsum_fn *wsum;
};

/* The portable output stage, loops (every family may use them). */
qnpu_requant_fn qnpu_requant_portable;
qnpu_dw_fn qnpu_dw_portable;
qnpu_wsum_fn qnpu_wsum_portable;

/** qnpu_kernels_get() - kernels of @isa, or NULL if the host lacks it */
const struct qnpu_kernels *qnpu_kernels_get(enum qnpu_isa isa);

/** qnpu_kernels_best() - the fastest kernels this host runs */
const struct qnpu_kernels *qnpu_kernels_best(void);

/* Requantization, docs/arithmetic.md section 3. */
int32_t qnpu_mbqm(int32_t acc, int32_t multiplier, int32_t shift, int mode);

static inline int8_t qnpu_clamp8(int64_t v, int32_t lo, int32_t hi)
{
    return (int8_t)(v < lo ? lo : v > hi ? hi : v);
}

#endif /* QNPU_KERNELS_H */
