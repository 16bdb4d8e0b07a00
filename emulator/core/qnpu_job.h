/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: running one job (docs/hardware.md, sections 9-11).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef QNPU_JOB_H
#define QNPU_JOB_H

#include "qnpu_engine.h"
#include "qnpu_regs.h"

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

#endif /* QNPU_JOB_H */
