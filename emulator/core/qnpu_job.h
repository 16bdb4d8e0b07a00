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

/**
 * struct qnpu_engine - what executes jobs: configuration, MMU, state
 * @cfg: device configuration
 * @mmu: the device MMU
 * @kernels: compute kernels (qnpu_kernels_best() unless a test picks)
 * @abort: set by a reset; checked between descriptors
 */
struct qnpu_engine {
    const struct qnpu_config *cfg;
    struct qnpu_mmu *mmu;
    const struct qnpu_kernels *kernels;
    atomic_bool abort;
};

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
