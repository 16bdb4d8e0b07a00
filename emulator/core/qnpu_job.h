/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: running one job (docs/hardware.md, sections 9-11).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef QNPU_JOB_H
#define QNPU_JOB_H

#include <stdatomic.h>

#include "qnpu_core.h"
#include "qnpu_kernels.h"
#include "qnpu_mmu.h"
#include "qnpu_regs.h"

/** struct qnpu_stats - what a job (or an op) did, for the counters */
struct qnpu_stats {
    uint64_t cycles;
    uint64_t macs;
    uint64_t dram_rd;
    uint64_t dram_wr;
    uint64_t sram_rd;
    uint64_t sram_wr;
};

/**
 * struct qnpu_job_result - how a job ended
 * @status: enum qnpu_status
 * @error_offset: offset of the failing descriptor
 * @fault: the fault, when @faulted
 * @faulted: the job latched an MMU fault (MMU_FAULT or BAD_CONTEXT)
 * @stats: figures of the descriptors that completed
 */
struct qnpu_job_result {
    uint32_t status;
    uint32_t error_offset;
    struct qnpu_fault fault;
    bool faulted;
    struct qnpu_stats stats;
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
struct qnpu_engine {
    const struct qnpu_config *cfg;
    struct qnpu_mmu *mmu;
    const struct qnpu_kernels *kernels;
    atomic_bool abort;
    void *scratch[QNPU_SCRATCH_SLOTS];
    size_t scratch_size[QNPU_SCRATCH_SLOTS];
    struct qnpu_pool *pool;
};

/**
 * qnpu_engine_scratch() - the buffer of @slot, at least @bytes long and
 *	64-byte aligned, valid until the next call for @slot; contents are
 *	not kept when it grows. NULL when memory is short.
 */
void *qnpu_engine_scratch(struct qnpu_engine *eng, enum qnpu_scratch_slot slot,
                          size_t bytes);

/** qnpu_engine_release() - free the engine's buffers (it stays usable) */
void qnpu_engine_release(struct qnpu_engine *eng);

/** qnpu_pool_stop() - stop and join the engine's worker threads, if any */
void qnpu_pool_stop(struct qnpu_engine *eng);

/**
 * qnpu_job_run() - run the job of one ring slot
 * @eng: the engine
 * @slot: first half of the slot, already read (little-endian fields)
 * @ctxtbl: MMU_CTXTBL
 * @res: the result
 *
 * Return: false when the job was stopped by @eng->abort (no result).
 */
bool qnpu_job_run(struct qnpu_engine *eng, const struct qnpu_ring_slot *slot,
                  uint64_t ctxtbl, struct qnpu_job_result *res);

/* Descriptor execution, per op (qnpu_exec.c). */
uint32_t qnpu_exec_desc(struct qnpu_engine *eng, struct qnpu_vm *vm,
                        const uint8_t *desc, uint32_t size,
                        struct qnpu_stats *stats);

#endif /* QNPU_JOB_H */
