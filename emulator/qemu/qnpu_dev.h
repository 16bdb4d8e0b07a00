/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu: the device both bus front ends embed (qnpu_dev.c).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef HW_MISC_QNPU_DEV_H
#define HW_MISC_QNPU_DEV_H

#include "exec/memory.h"
#include "hw/qdev-properties.h"
#include "qemu/thread.h"
#include "qom/object.h"

#include "qnpu_core.h"
#include "qnpu_regs.h"

/*
 * Deliver the interrupt: @new_causes are causes raised now and unmasked
 * (what a message-signalled bus sends on), @level whether any unmasked
 * cause is pending (what a wired line shows).
 */
typedef void (*QnpuIrqNotify)(Object *owner, uint32_t new_causes,
                              bool level);

/**
 * QnpuDev: the register block of docs/hardware.md and its job worker.
 * Jobs run on the worker thread, which holds the BQL only to read the
 * ring and to complete a job; compute runs without it.
 */
typedef struct QnpuDev {
    MemoryRegion mmio;
    struct qnpu_config cfg;
    Object *bus_owner;
    AddressSpace *dma_as;
    QnpuIrqNotify irq_notify;

    uint32_t ctrl;
    uint32_t scratch;
    uint32_t irq_status;
    uint32_t irq_mask;

    uint64_t ctxtbl;
    uint64_t fault_addr;
    uint32_t fault_info;

    uint64_t ring_base;
    uint32_t ring_size;
    uint32_t ring_head;
    uint32_t ring_tail;
    uint64_t fence_addr;
    uint64_t completed_seq;

    uint64_t perf[QNPU_PERF_COUNT];
    uint32_t perf_hi_latch;

    QemuThread worker;
    QemuCond kick;              /* waited on with the BQL */
    bool stopping;
    bool busy;                  /* a job is running */
    bool resetting;             /* reset waits for the running job */
    uint64_t reset_gen;
    uint64_t jobs_seen;         /* since power-on, for fault injection */
    struct qnpu_bus bus;
    struct qnpu_mmu mmu;
    struct qnpu_engine engine;
} QnpuDev;

void qnpu_dev_init(QnpuDev *s);
bool qnpu_dev_realize(QnpuDev *s, Object *owner, AddressSpace *dma_as,
                      QnpuIrqNotify notify, Error **errp);
void qnpu_dev_unrealize(QnpuDev *s);
void qnpu_dev_reset(QnpuDev *s);

/* The properties of docs/hardware.md 6, for a state with a QnpuDev @f. */
#define QNPU_DEV_PROPERTIES(T, f) \
    DEFINE_PROP_UINT32("array-rows", T, f.cfg.array_rows, \
                       QNPU_DEFAULT_ARRAY_ROWS), \
    DEFINE_PROP_UINT32("array-cols", T, f.cfg.array_cols, \
                       QNPU_DEFAULT_ARRAY_COLS), \
    DEFINE_PROP_UINT32("sram-kib", T, f.cfg.sram_kib, QNPU_DEFAULT_SRAM_KIB), \
    DEFINE_PROP_UINT32("clock-mhz", T, f.cfg.clock_mhz, \
                       QNPU_DEFAULT_CLOCK_MHZ), \
    DEFINE_PROP_UINT32("dram-mbps", T, f.cfg.dram_mbps, \
                       QNPU_DEFAULT_DRAM_MBPS), \
    DEFINE_PROP_UINT32("workers", T, f.cfg.workers, QNPU_DEFAULT_WORKERS), \
    DEFINE_PROP_UINT32("contexts", T, f.cfg.contexts, QNPU_DEFAULT_CONTEXTS), \
    DEFINE_PROP_UINT32("inject-hang", T, f.cfg.inject_hang, 0), \
    DEFINE_PROP_UINT32("inject-delay-us", T, f.cfg.inject_delay_us, 0), \
    DEFINE_PROP_UINT32("inject-corrupt-status", T, \
                       f.cfg.inject_corrupt_status, 0), \
    DEFINE_PROP_UINT32("inject-spurious-irq", T, \
                       f.cfg.inject_spurious_irq, 0), \
    DEFINE_PROP_UINT32("version-minor", T, f.cfg.version_minor, \
                       QNPU_HW_VERSION_MINOR)

#endif /* HW_MISC_QNPU_DEV_H */
