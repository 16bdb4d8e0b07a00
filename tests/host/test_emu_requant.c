// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The emulator's output stage, every kernel family against the portable
 * one, on the values where a vectorised version is most likely to slip:
 * exact rounding ties in both modes, accumulators at the int32 ends,
 * multipliers 0 and 2^31 - 1, every shift from -31 to 30, saturation, per
 * channel and per tensor, and lengths that leave a tail. The portable
 * stage itself is checked against libnpu's reference by test_emu_vs_ref.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qnpu_kernels.h"

#define N 203                   /* not a multiple of 8: a scalar tail */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* An accumulator: the ends of int32, ties for multiplier 2^k, or random. */
static int32_t pick_acc(int32_t m, int32_t s)
{
    switch (rnd() % 6) {
    case 0:
        return rnd() % 2 ? INT32_MIN + (int32_t)(rnd() % 4) : INT32_MAX - (int32_t)(rnd() % 4);
    case 1:
        return (int32_t)(rnd() % 2001) - 1000;
    case 2:
        /* acc * 2^30 hits a half exactly when acc is odd */
        return (int32_t)((rnd() % 1000) * 2 + 1) * (rnd() % 2 ? 1 : -1);
    case 3:
        /* a multiple of 2^(-s) plus half of it: a tie of the final shift */
        return s < 0 && s > -20 ? (int32_t)(((rnd() % 200) << -s) + (1 << (-s - 1))) *
                                  (rnd() % 2 ? 1 : -1) : (int32_t)rnd();
    default:
        (void)m;
        return (int32_t)rnd();
    }
}

static void check_family(const struct qnpu_kernels *k)
{
    int32_t acc[N], m[N], s[N];
    int8_t want[N], got[N];
    int iter, mode, i;

    for (iter = 0; iter < 4000; iter++) {
        struct qnpu_rq rq = { .mode = iter % 2 };
        int per_channel = iter % 3 != 0;
        int n = 1 + (int)(rnd() % N);

        mode = rq.mode;
        rq.zp = (int32_t)(rnd() % 256) - 128;
        rq.lo = -128 + (int32_t)(rnd() % 40);
        rq.hi = 127 - (int32_t)(rnd() % 40);
        for (i = 0; i < N; i++) {
            switch (rnd() % 5) {
            case 0:
                m[i] = 1 << 30;         /* 0.5: ties */
                break;
            case 1:
                m[i] = rnd() % 2 ? 0 : INT32_MAX;
                break;
            default:
                m[i] = (int32_t)(rnd() & 0x7fffffff);
                break;
            }
            s[i] = (int32_t)(rnd() % 62) - 31;
            if (!per_channel) {
                m[i] = m[0];
                s[i] = s[0];
            }
            acc[i] = pick_acc(m[i], s[i]);
        }
        if (per_channel) {
            rq.m = m;
            rq.s = s;
        } else {
            rq.m1 = m[0];
            rq.s1 = s[0];
        }
        qnpu_requant_portable(&rq, acc, n, 0, want);
        k->requant(&rq, acc, n, 0, got);
        for (i = 0; i < n; i++) {
            if (want[i] != got[i]) {
                fail_msg("%s, mode %d: acc %d m %d s %d zp %d: %d, portable %d",
                         k->name, mode, acc[i], per_channel ? m[i] : m[0],
                         per_channel ? s[i] : s[0], rq.zp, got[i], want[i]);
            }
        }
    }
}

static void test_every_family(void **state)
{
    int isa, checked = 0;

    (void)state;
    for (isa = 0; isa < QNPU_ISA_COUNT; isa++) {
        const struct qnpu_kernels *k = qnpu_kernels_get(isa);

        if (k) {
            check_family(k);
            checked++;
        }
    }
    assert_true(checked >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_family),
    };

    return cmocka_run_group_tests_name("emulator output stage", tests, NULL, NULL);
}
