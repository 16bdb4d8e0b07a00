/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Benchmark of the emulator core: int8 GEMM and convolutions run as
 * device jobs (MMU, staging, im2col, GEMM, requantization included), per
 * kernel family and thread count, next to the host's measured peak.
 * Prints a table and writes a JSON list of {"name", "value", "unit"}.
 *
 *   bench_emu [--quick] [--only SUBSTRING] [--isa NAME] [--threads 1|2]
 *             [--json FILE]
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "emu_sim.h"
#include "qnpu_kernels.h"

#define IN_VA   0x100000000ull
#define W_VA    0x200000000ull
#define OUT_VA  0x300000000ull

static FILE *json;
static int json_items;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void report(const char *name, double value, const char *unit)
{
    printf("  %-52s %10.2f %s\n", name, value, unit);
    if (json) {
        fprintf(json, "%s\n  {\"name\": \"%s\", \"value\": %.4f, \"unit\": \"%s\"}",
                json_items++ ? "," : "", name, value, unit);
    }
}

struct layer {
    const char *name;
    uint32_t n, h, w, cin, cout, kh, kw, stride, pad, groups;
    bool fc;
    bool full_range;    /* weights over all of int8, not 7-bit */
};

/*
 * The output stage rounds once, as libnpu compiles quantized ONNX models
 * (the peers run the same models).
 */
#define ROUNDING QNPU_ROUND_SINGLE

/* Build the layer's command buffer in @s; returns MACs per run. */
static uint64_t setup_layer(struct sys *s, const struct layer *l,
                            struct cb *cb)
{
    uint32_t oh = (l->h + 2 * l->pad - l->kh) / l->stride + 1;
    uint32_t ow = (l->w + 2 * l->pad - l->kw) / l->stride + 1;
    uint32_t cg_in = l->cin / l->groups, cg_out = l->cout / l->groups;
    uint64_t k = (uint64_t)l->kh * l->kw * cg_in, wbytes, in_bytes, i;
    bool dw = l->groups > 1 && l->groups == l->cin;
    uint8_t *p;

    wbytes = dw ? (uint64_t)l->kh * l->kw * l->cout :
             (uint64_t)l->groups * ((cg_out + 15) / 16 * 16) *
             ((k + 3) / 4 * 4);
    in_bytes = (uint64_t)l->n * l->h * l->w * l->cin;
    p = s->ram + map_range(s, 1, IN_VA, in_bytes, 2);
    for (i = 0; i < in_bytes; i++) {
        p[i] = (uint8_t)(i * 37 + 11);
    }
    p = s->ram + map_range(s, 1, W_VA, wbytes, 2);
    for (i = 0; i < wbytes; i++) {
        /*
         * 7-bit weights, as the peers' models have them (ONNX Runtime's
         * u8 x s8 kernel is exact only then on AVX2), unless asked.
         */
        p[i] = l->full_range ? (uint8_t)((i * 53 + 7) % 255 - 127) :
                               (uint8_t)((i * 53 + 7) % 128 - 64);
    }
    map_range(s, 1, OUT_VA, (uint64_t)l->n * oh * ow * l->cout, 6);
    qnpu_mmu_invalidate(&s->mmu, -1);

    cb_init(cb);
    if (l->fc) {
        struct qnpu_desc_fc *d = cb_add(cb, QNPU_OP_FULLY_CONNECTED,
                                        sizeof(*d));

        d->input = tensor(IN_VA, 1, 1, l->n, l->cin);
        d->output = tensor(OUT_VA, 1, 1, l->n, l->cout);
        d->weights = W_VA;
        d->requant = (struct qnpu_requant) {
            .multiplier = 1 << 30, .shift = -12, .act_min = -128,
            .act_max = 127, .rounding = ROUNDING,
        };
        return (uint64_t)l->n * l->cout * l->cin;
    }
    {
        struct qnpu_desc_conv2d *d = cb_add(cb, QNPU_OP_CONV2D, sizeof(*d));

        d->input = tensor(IN_VA, l->n, l->h, l->w, l->cin);
        d->output = tensor(OUT_VA, l->n, oh, ow, l->cout);
        d->weights = W_VA;
        d->kernel_h = l->kh;
        d->kernel_w = l->kw;
        d->stride_h = d->stride_w = l->stride;
        d->dilation_h = d->dilation_w = 1;
        d->pad_top = d->pad_left = d->pad_bottom = d->pad_right = l->pad;
        d->groups = l->groups;
        d->requant = (struct qnpu_requant) {
            .multiplier = 1 << 30, .shift = -10, .act_min = -128,
            .act_max = 127, .rounding = ROUNDING,
        };
    }
    return (uint64_t)l->n * oh * ow * l->cout * (dw ? l->kh * l->kw : k);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/*
 * Median time of one job over at least @min_s seconds and 5 runs (the
 * peers' benchmarks report medians too).
 */
static bool use_best;   /* --best: the fastest run, not the median */

static double time_job(struct sys *s, struct cb *cb, double min_s)
{
    struct qnpu_job_result res;
    double t0 = now(), *times = NULL, med;
    int runs = 0;

    do {
        double t = now();

        run(s, cb, 1, &res);
        t = now() - t;
        if (res.status != QNPU_STATUS_OK) {
            fprintf(stderr, "bench: job failed with status %u\n", res.status);
            exit(1);
        }
        times = realloc(times, sizeof(double) * (runs + 1));
        if (!times) {
            exit(1);
        }
        times[runs++] = t;
    } while (now() - t0 < min_s || runs < 5);
    qsort(times, runs, sizeof(double), cmp_double);
    med = use_best ? times[0] : times[runs / 2];
    free(times);
    return med;
}

#if defined(__x86_64__)
/*
 * Peak int8 MAC rate of one core: 16 independent vpdpbusd chains, in
 * assembly so that every accumulator stays in a register (more chains
 * than latency x throughput of any current core).
 */
#define DP16(op) \
    op " %%zmm17, %%zmm16, %%zmm0\n\t" op " %%zmm17, %%zmm16, %%zmm1\n\t" \
    op " %%zmm17, %%zmm16, %%zmm2\n\t" op " %%zmm17, %%zmm16, %%zmm3\n\t" \
    op " %%zmm17, %%zmm16, %%zmm4\n\t" op " %%zmm17, %%zmm16, %%zmm5\n\t" \
    op " %%zmm17, %%zmm16, %%zmm6\n\t" op " %%zmm17, %%zmm16, %%zmm7\n\t" \
    op " %%zmm17, %%zmm16, %%zmm8\n\t" op " %%zmm17, %%zmm16, %%zmm9\n\t" \
    op " %%zmm17, %%zmm16, %%zmm10\n\t" op " %%zmm17, %%zmm16, %%zmm11\n\t" \
    op " %%zmm17, %%zmm16, %%zmm12\n\t" op " %%zmm17, %%zmm16, %%zmm13\n\t" \
    op " %%zmm17, %%zmm16, %%zmm14\n\t" op " %%zmm17, %%zmm16, %%zmm15\n\t"

__attribute__((target("avx512f,avx512bw,avx512vnni")))
static double vnni_peak(void)
{
    long iters = 20000000, n = iters;
    double t = now();

    __asm__ volatile(
        "vpternlogd $0xff, %%zmm16, %%zmm16, %%zmm16\n\t"
        "vpabsb %%zmm16, %%zmm17\n"
        "1:\n\t"
        DP16("vpdpbusd")
        "dec %[n]\n\t"
        "jnz 1b\n\t"
        : [n] "+r"(n)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
          "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
          "xmm16", "xmm17", "cc");
    t = now() - t;
    return 2.0 * iters * 16 * 64 / t / 1e9;
}

/* The AVX2 equivalent: 8 independent vpmaddwd + vpaddd chains. */
#define MADD2(acc, tmp) \
    "vpmaddwd %%ymm15, %%ymm14, %%" tmp "\n\t" \
    "vpaddd %%" tmp ", %%" acc ", %%" acc "\n\t"

__attribute__((target("avx2")))
static double avx2_peak(void)
{
    long iters = 20000000, n = iters;
    double t = now();

    __asm__ volatile(
        "vpcmpeqd %%ymm14, %%ymm14, %%ymm14\n\t"
        "vpabsw %%ymm14, %%ymm15\n"
        "1:\n\t"
        MADD2("ymm0", "ymm8") MADD2("ymm1", "ymm9") MADD2("ymm2", "ymm10")
        MADD2("ymm3", "ymm11") MADD2("ymm4", "ymm12") MADD2("ymm5", "ymm13")
        MADD2("ymm6", "ymm8") MADD2("ymm7", "ymm9")
        "dec %[n]\n\t"
        "jnz 1b\n\t"
        : [n] "+r"(n)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
          "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
          "cc");
    t = now() - t;
    return 2.0 * iters * 8 * 16 / t / 1e9;
}
#endif

int main(int argc, char **argv)
{
    static const struct layer layers[] = {
        /* name, n, h, w, cin, cout, kh, kw, stride, pad, groups, fc, full */
        { "gemm 256x256x256", 256, 1, 1, 256, 256, 1, 1, 1, 0, 1, true, false },
        { "gemm 1024x1024x1024", 1024, 1, 1, 1024, 1024, 1, 1, 1, 0, 1, true,
          false },
        { "gemm 2048x2048x2048", 2048, 1, 1, 2048, 2048, 1, 1, 1, 0, 1, true,
          false },
        { "gemm 1024x1024x1024 full-range weights", 1024, 1, 1, 1024, 1024, 1, 1,
          1, 0, 1, true, true },
        { "conv 3x3 1x56x56x64->64", 1, 56, 56, 64, 64, 3, 3, 1, 1, 1, false,
          false },
        { "conv 1x1 1x56x56x64->128", 1, 56, 56, 64, 128, 1, 1, 1, 0, 1, false,
          false },
        { "conv 1x1 1x28x28x128->256", 1, 28, 28, 128, 256, 1, 1, 1, 0, 1,
          false, false },
        { "depthwise 3x3 1x112x112x32", 1, 112, 112, 32, 32, 3, 3, 1, 1, 32,
          false, false },
        { "depthwise 3x3 1x56x56x128", 1, 56, 56, 128, 128, 3, 3, 1, 1, 128,
          false, false },
    };
    const char *json_path = NULL, *only = NULL, *isa_only = NULL;
    unsigned threads_only = 0;      /* --threads: only this many workers */
    bool quick = false;
    double peak = 0;
    void *state;
    struct sys *s;
    size_t li;
    int i, isa;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            quick = true;
        } else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
            json_path = argv[++i];
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(argv[i], "--best")) {
            use_best = true;
        } else if (!strcmp(argv[i], "--isa") && i + 1 < argc) {
            isa_only = argv[++i];
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc &&
                   atoi(argv[i + 1]) >= 1 && atoi(argv[i + 1]) <= 2) {
            threads_only = (unsigned)atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: bench_emu [--quick] [--only SUBSTRING] [--isa NAME] "
                    "[--threads 1|2] [--json FILE]\n");
            return 2;
        }
    }
    if (json_path) {
        json = fopen(json_path, "w");
        if (!json) {
            perror(json_path);
            return 1;
        }
        fprintf(json, "[");
    }

    printf("qnpu emulator core benchmark (GOPS = 2 x MACs / s)\n");
#if defined(__x86_64__)
    if (qnpu_kernels_get(QNPU_ISA_AVX512_VNNI)) {
        peak = vnni_peak();
        report("host peak: vpdpbusd, 1 core", peak, "GOPS");
    } else {
        printf("  host peak: no AVX-512 VNNI on this CPU\n");
    }
    if (qnpu_kernels_get(QNPU_ISA_AVX2)) {
        report("host peak: vpmaddwd, 1 core", avx2_peak(), "GOPS");
    }
#endif

    sim_setup(&state);
    s = state;
    free(s->ram);
    /* Room for the largest GEMM: 3 x 4 MiB plus tables. */
    s->ram = calloc(1, RAM_SIZE);
    for (li = 0; li < sizeof(layers) / sizeof(layers[0]); li++) {
        const struct layer *l = &layers[li];
        struct cb cb;
        uint64_t macs;

        if ((quick && l->n == 2048) || (only && !strstr(l->name, only))) {
            continue;
        }
        s->next_pt = PT_POOL_PA;
        s->next_page = DATA_PA;
        ctx_create(s, 1);
        macs = setup_layer(s, l, &cb);
        for (isa = 0; isa < QNPU_ISA_COUNT; isa++) {
            const struct qnpu_kernels *k = qnpu_kernels_get(isa);
            unsigned threads;

            if (!k || (isa_only && strcmp(isa_only, "best") &&
                       strcmp(k->name, isa_only)) ||
                (isa_only && !strcmp(isa_only, "best") && k != qnpu_kernels_best())) {
                continue;
            }
            for (threads = 1; threads <= 2; threads++) {
                char name[128];
                double t, gops;

                if (threads_only && threads != threads_only) {
                    continue;
                }
                /* The portable path is slow: one run of the big GEMMs. */
                if (isa == QNPU_ISA_PORTABLE && macs > (1ull << 31)) {
                    continue;
                }
                s->eng.kernels = k;
                s->cfg.workers = threads;
                t = time_job(s, &cb, quick ? 0.05 : 0.3);
                gops = 2.0 * macs / t / 1e9;
                snprintf(name, sizeof(name), "%s %s %ut", l->name, k->name,
                         threads);
                report(name, gops, "GOPS");
                if (isa == QNPU_ISA_AVX512_VNNI && threads == 1 && peak > 0) {
                    snprintf(name, sizeof(name), "%s %s 1t of peak", l->name,
                             k->name);
                    report(name, 100.0 * gops / peak, "%");
                }
            }
        }
    }
    if (json) {
        fprintf(json, "\n]\n");
        fclose(json);
    }
    sim_teardown(&state);
    return 0;
}
