/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: the engine that executes jobs, its reusable
 * buffers and its worker threads.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef QNPU_ENGINE_H
#define QNPU_ENGINE_H

#include <stdatomic.h>

#include "qnpu_config.h"
#include "qnpu_kernels.h"
#include "qnpu_mmu.h"

/** struct qnpu_stats - what a job (or an op) did, for the counters */
struct qnpu_stats {
    uint64_t cycles;
    uint64_t macs;
    uint64_t dram_rd;
    uint64_t dram_wr;
    uint64_t sram_rd;
    uint64_t sram_wr;
};

/** enum qnpu_scratch_slot - the engine's reusable host buffers */
enum qnpu_scratch_slot {
    QNPU_SCRATCH_INPUT,         /* an op's input, staged from guest memory */
    QNPU_SCRATCH_INPUT2,        /* a second input (matmul B) */
    QNPU_SCRATCH_OUTPUT,        /* an op's output, before the write back */
    QNPU_SCRATCH_WEIGHTS,
    QNPU_SCRATCH_WEIGHTS_PREP,  /* weights in a kernel family's layout */
    QNPU_SCRATCH_STAGE,         /* implicit-GEMM rows */
    QNPU_SCRATCH_ACC,           /* int32 accumulators */
    QNPU_SCRATCH_PADDED,        /* a depthwise input with its padding */
    QNPU_SCRATCH_SLOTS
};

/**
 * struct qnpu_engine - what executes jobs: configuration, MMU, state
 * @cfg: device configuration
 * @mmu: the device MMU
 * @kernels: compute kernels (qnpu_kernels_best() unless a test picks)
 * @abort: set by a reset; checked between descriptors
 * @scratch: host buffers kept from job to job (qnpu_engine_scratch()):
 *	allocating megabytes per op costs page faults that can take as long
 *	as the op itself
 * @scratch_size: their sizes
 * @pool: the worker threads, started on first use (qnpu_parallel.c)
 *
 * Zero-initialise; qnpu_engine_release() frees the buffers and stops the
 * threads.
 */
/**
 * struct qnpu_wcache_entry - a convolution's weights as its GEMM takes
 *	them, kept from job to job (a network runs the same weights again)
 * @k: the kernel family it was made for
 * @kb: 16x4 blocks along K
 * @ob: blocks of 16 output channels
 * @raw: the packed weights it was made from: a hit compares every byte
 * @prep: @k's own layout of them (NULL: the family takes @raw as it is)
 * @wsum: sum of the weights of each of the @ob * 16 output channels
 * @bytes: what the entry holds
 * @used: the engine's clock at its last use
 */
struct qnpu_wcache_entry {
    const struct qnpu_kernels *k;
    size_t kb, ob;
    int8_t *raw;
    void *prep;
    int32_t *wsum;
    size_t bytes;
    uint64_t used;
};

#define QNPU_WCACHE_ENTRIES     64
#define QNPU_WCACHE_BYTES       (256u << 20)

struct qnpu_engine {
    const struct qnpu_config *cfg;
    struct qnpu_mmu *mmu;
    const struct qnpu_kernels *kernels;
    atomic_bool abort;
    void *scratch[QNPU_SCRATCH_SLOTS];
    size_t scratch_size[QNPU_SCRATCH_SLOTS];
    struct qnpu_pool *pool;
    struct qnpu_wcache_entry wcache[QNPU_WCACHE_ENTRIES];
    size_t wcache_bytes;
    uint64_t wcache_clock;
};

/**
 * qnpu_engine_scratch() - the buffer of @slot, at least @bytes long and
 *	64-byte aligned, valid until the next call for @slot; contents are
 *	not kept when it grows. NULL when memory is short.
 */
void *qnpu_engine_scratch(struct qnpu_engine *eng, enum qnpu_scratch_slot slot,
                          size_t bytes);

/**
 * qnpu_engine_weights() - packed weights @w (@kb x @ob blocks) prepared for
 *	the engine's kernels, from the cache when a job ran the same bytes
 *	before; NULL when memory is short or they are too big to keep (the
 *	caller prepares them itself then)
 */
const struct qnpu_wcache_entry *qnpu_engine_weights(struct qnpu_engine *eng,
                                                    const int8_t *w, size_t kb,
                                                    size_t ob);

/** qnpu_engine_release() - free the engine's buffers (it stays usable) */
void qnpu_engine_release(struct qnpu_engine *eng);

/** qnpu_pool_stop() - stop and join the engine's worker threads, if any */
void qnpu_pool_stop(struct qnpu_engine *eng);

#endif /* QNPU_ENGINE_H */
