/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu: the INT8 NPU of docs/hardware.md, the part both bus front ends
 * share: the register block, the job worker and DMA through an address
 * space. qnpu_pci.c (a PCI function, MSI-X) and qnpu_platform.c (a
 * sysbus device with a wired interrupt and a device-tree node) put it on
 * a bus. The device's behaviour that does not depend on QEMU lives in
 * emulator/core/.
 *
 * Copyright (c) 2026 The qnpu authors
 */

#include "qemu/osdep.h"
#include "qemu/bitops.h"
#include "qemu/host-utils.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "qapi/error.h"
#include "system/dma.h"
#include "trace/trace-hw_misc_qnpu.h"

#include "qnpu_cmdbuf.h"
#include "qnpu_dev.h"
#include "qnpu_regs.h"

/* Index of each PERF_* register in QnpuDev.perf. */
enum {
    PERF_JOBS = (QNPU_REG_PERF_JOBS - QNPU_REG_PERF_JOBS) / 8,
    PERF_MACS = (QNPU_REG_PERF_MACS - QNPU_REG_PERF_JOBS) / 8,
    PERF_DRAM_RD = (QNPU_REG_PERF_DRAM_RD - QNPU_REG_PERF_JOBS) / 8,
    PERF_DRAM_WR = (QNPU_REG_PERF_DRAM_WR - QNPU_REG_PERF_JOBS) / 8,
    PERF_SRAM_RD = (QNPU_REG_PERF_SRAM_RD - QNPU_REG_PERF_JOBS) / 8,
    PERF_SRAM_WR = (QNPU_REG_PERF_SRAM_WR - QNPU_REG_PERF_JOBS) / 8,
    PERF_CYCLES = (QNPU_REG_PERF_CYCLES - QNPU_REG_PERF_JOBS) / 8,
    PERF_ERRORS = (QNPU_REG_PERF_ERRORS - QNPU_REG_PERF_JOBS) / 8,
};

/* The bus front end delivers: a message per new cause, or a level. */
static void qnpu_irq_update(QnpuDev *s, uint32_t new_bits)
{
    uint32_t pending = s->irq_status & s->irq_mask;

    trace_qnpu_irq(s->irq_status, s->irq_mask);
    s->irq_notify(s->bus_owner, new_bits & s->irq_mask, pending != 0);
}

static void qnpu_irq_raise(QnpuDev *s, uint32_t bits)
{
    uint32_t new_bits = bits & ~s->irq_status;

    s->irq_status |= bits & QNPU_IRQ_ALL;
    qnpu_irq_update(s, new_bits);
}

static void qnpu_clear_state(QnpuDev *s)
{
    s->ctrl = 0;
    s->irq_status = 0;
    s->irq_mask = 0;
    s->ctxtbl = 0;
    s->fault_addr = 0;
    s->fault_info = 0;
    s->ring_base = 0;
    s->ring_size = 0;
    s->ring_head = 0;
    s->ring_tail = 0;
    s->fence_addr = 0;
    s->completed_seq = 0;
    qnpu_mmu_invalidate(&s->mmu, -1);
    qnpu_irq_update(s, 0);
}

/* The end of a reset: the running job (if any) has stopped. */
static void qnpu_reset_done(QnpuDev *s)
{
    s->resetting = false;
    atomic_store(&s->engine.abort, false);
    /* The mask is 0: RESET_DONE is recorded, not delivered. */
    s->irq_status = QNPU_IRQ_RESET_DONE;
    trace_qnpu_reset_done();
}

/* CTRL.RESET. Called with the BQL held. */
static void qnpu_soft_reset(QnpuDev *s)
{
    trace_qnpu_reset(s->busy);
    s->reset_gen++;
    qnpu_clear_state(s);
    if (s->busy) {
        s->resetting = true;
        atomic_store(&s->engine.abort, true);
        qemu_cond_broadcast(&s->kick);
    } else {
        qnpu_reset_done(s);
    }
}

static MemTxResult qnpu_dma_read(QnpuDev *s, uint64_t pa, void *buf,
                                 size_t len)
{
    return dma_memory_read(s->dma_as, pa, buf, len, MEMTXATTRS_UNSPECIFIED);
}

static MemTxResult qnpu_dma_write(QnpuDev *s, uint64_t pa, const void *buf,
                                  size_t len)
{
    return dma_memory_write(s->dma_as, pa, buf, len, MEMTXATTRS_UNSPECIFIED);
}

static int qnpu_bus_read(void *opaque, uint64_t pa, void *buf, size_t len)
{
    return qnpu_dma_read(opaque, pa, buf, len) == MEMTX_OK ? 0 : -1;
}

static int qnpu_bus_write(void *opaque, uint64_t pa, const void *buf,
                          size_t len)
{
    return qnpu_dma_write(opaque, pa, buf, len) == MEMTX_OK ? 0 : -1;
}

static bool qnpu_job_ready(QnpuDev *s)
{
    return (s->ctrl & QNPU_CTRL_ENABLE) && !s->resetting && s->ring_size &&
           s->ring_head != s->ring_tail;
}

static bool qnpu_every(uint32_t period, uint64_t n)
{
    return period && n % period == 0;
}

/* Write back the slot, the fence and the counters; raise the interrupt. */
static void qnpu_complete(QnpuDev *s, uint64_t slot_pa,
                          const struct qnpu_ring_slot *slot,
                          const struct qnpu_job_result *res, uint64_t job_no)
{
    struct qnpu_ring_slot wb = { 0 };
    uint32_t status = res->status, irq = 0;
    uint64_t seq = le64_to_cpu(slot->seqno), fence = cpu_to_le64(seq);

    if (qnpu_every(s->cfg.inject_corrupt_status, job_no)) {
        status |= 0xbad00000;
    }
    wb.status = cpu_to_le32(status);
    wb.error_offset = cpu_to_le32(res->error_offset);
    wb.fault_addr = cpu_to_le64(res->status == QNPU_STATUS_MMU_FAULT ?
                                res->fault.addr : 0);
    wb.cycles = cpu_to_le64(res->stats.cycles);
    wb.macs = cpu_to_le64(res->stats.macs);
    wb.dram_rd = cpu_to_le64(res->stats.dram_rd);
    wb.dram_wr = cpu_to_le64(res->stats.dram_wr);
    qnpu_dma_write(s, slot_pa + offsetof(struct qnpu_ring_slot, status),
                   &wb.status, QNPU_RING_SLOT_SIZE / 2);
    smp_wmb();
    if (s->fence_addr) {
        qnpu_dma_write(s, s->fence_addr, &fence, sizeof(fence));
    }
    s->completed_seq = seq;

    s->perf[PERF_JOBS]++;
    s->perf[PERF_ERRORS] += res->status != QNPU_STATUS_OK;
    s->perf[PERF_MACS] += res->stats.macs;
    s->perf[PERF_DRAM_RD] += res->stats.dram_rd;
    s->perf[PERF_DRAM_WR] += res->stats.dram_wr;
    s->perf[PERF_SRAM_RD] += res->stats.sram_rd;
    s->perf[PERF_SRAM_WR] += res->stats.sram_wr;
    s->perf[PERF_CYCLES] += res->stats.cycles;

    s->ring_head++;
    s->busy = false;
    trace_qnpu_job_done(seq, res->status, res->error_offset);

    if (res->faulted) {
        s->fault_addr = res->fault.addr;
        s->fault_info = QNPU_MMU_FAULT_VALID | res->fault.ctx |
                        (res->fault.write ? QNPU_MMU_FAULT_WRITE : 0) |
                        (uint32_t)res->fault.reason << 20;
        irq |= QNPU_IRQ_MMU_FAULT;
    }
    if (le16_to_cpu(slot->flags) & QNPU_JOB_IRQ) {
        irq |= res->status == QNPU_STATUS_OK ? QNPU_IRQ_JOB_DONE
                                             : QNPU_IRQ_JOB_ERROR;
    }
    if (irq) {
        qnpu_irq_raise(s, irq);
    }
    if (qnpu_every(s->cfg.inject_spurious_irq, job_no)) {
        qnpu_irq_update(s, QNPU_IRQ_ALL);
    }
}

static void *qnpu_worker(void *opaque)
{
    QnpuDev *s = opaque;

    bql_lock();
    for (;;) {
        struct qnpu_ring_slot slot;
        struct qnpu_job_result res;
        uint64_t slot_pa, gen, job_no;
        bool ran;

        while (!s->stopping && !qnpu_job_ready(s)) {
            qemu_cond_wait_bql(&s->kick);
        }
        if (s->stopping) {
            break;
        }
        slot_pa = s->ring_base + QNPU_RING_SLOT_SIZE *
                  (uint64_t)(s->ring_head & (s->ring_size - 1));
        if (qnpu_dma_read(s, slot_pa, &slot,
                          QNPU_RING_SLOT_SIZE / 2) != MEMTX_OK) {
            memset(&slot, 0xff, QNPU_RING_SLOT_SIZE / 2);
        }
        gen = s->reset_gen;
        job_no = ++s->jobs_seen;
        s->busy = true;
        trace_qnpu_job_start(le64_to_cpu(slot.seqno), le16_to_cpu(slot.ctx));

        if (qnpu_every(s->cfg.inject_hang, job_no)) {
            /* Hang until a reset stops us. */
            while (!s->stopping && gen == s->reset_gen) {
                qemu_cond_wait_bql(&s->kick);
            }
            ran = false;
        } else {
            uint64_t ctxtbl = s->ctxtbl;

            bql_unlock();
            if (s->cfg.inject_delay_us) {
                g_usleep(s->cfg.inject_delay_us);
            }
            ran = qnpu_job_run(&s->engine, &slot, ctxtbl, &res);
            bql_lock();
        }

        if (gen != s->reset_gen || !ran) {
            /* A reset stopped the job: no write-back. */
            s->busy = false;
            if (s->resetting) {
                qnpu_reset_done(s);
            }
            continue;
        }
        qnpu_complete(s, slot_pa, &slot, &res, job_no);
    }
    bql_unlock();
    return NULL;
}

static uint64_t qnpu_perf_read(QnpuDev *s, hwaddr addr, unsigned size)
{
    unsigned idx = (addr - QNPU_REG_PERF_JOBS) / 8;
    uint64_t v = s->perf[idx];

    if (size == 8) {
        return v;
    }
    if (addr & 4) {
        return s->perf_hi_latch;
    }
    s->perf_hi_latch = v >> 32;
    return (uint32_t)v;
}

/*
 * (long: one case per register of docs/hardware.md 4, in the order of the
 * register map, so that the function reads like the datasheet)
 */
static uint64_t qnpu_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    QnpuDev *s = opaque;
    uint32_t cap;
    uint64_t val = 0;

    if (addr >= QNPU_REG_PERF_JOBS &&
        addr < QNPU_REG_PERF_JOBS + 8 * QNPU_PERF_COUNT) {
        val = qnpu_perf_read(s, addr, size);
        goto out;
    }
    if (size == 8 && (addr & 7)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "qnpu: unaligned 64-bit read at 0x%" HWADDR_PRIx "\n",
                      addr);
        return 0;
    }
    if (qnpu_cap_read(&s->cfg, addr, &cap)) {
        val = cap;
        goto out;
    }

    switch (addr) {
    case QNPU_REG_CTRL:
        val = s->ctrl;
        break;
    case QNPU_REG_STATUS:
        val = s->resetting ? QNPU_STATUS_RESETTING : QNPU_STATUS_READY;
        val |= s->busy ? QNPU_STATUS_BUSY : 0;
        break;
    case QNPU_REG_SCRATCH:
        val = s->scratch;
        break;
    case QNPU_REG_IRQ_STATUS:
        val = s->irq_status;
        break;
    case QNPU_REG_IRQ_MASK:
        val = s->irq_mask;
        break;
    case QNPU_REG_MMU_CTXTBL_LO:
        val = size == 8 ? s->ctxtbl : (uint32_t)s->ctxtbl;
        break;
    case QNPU_REG_MMU_CTXTBL_HI:
        val = s->ctxtbl >> 32;
        break;
    case QNPU_REG_MMU_FAULT_ADDR_LO:
        val = size == 8 ? s->fault_addr : (uint32_t)s->fault_addr;
        break;
    case QNPU_REG_MMU_FAULT_ADDR_HI:
        val = s->fault_addr >> 32;
        break;
    case QNPU_REG_MMU_FAULT_INFO:
        val = s->fault_info;
        break;
    case QNPU_REG_RING_BASE_LO:
        val = size == 8 ? s->ring_base : (uint32_t)s->ring_base;
        break;
    case QNPU_REG_RING_BASE_HI:
        val = s->ring_base >> 32;
        break;
    case QNPU_REG_RING_SIZE:
        val = s->ring_size;
        break;
    case QNPU_REG_RING_HEAD:
        val = s->ring_head;
        break;
    case QNPU_REG_RING_TAIL:
        val = s->ring_tail;
        break;
    case QNPU_REG_FENCE_ADDR_LO:
        val = size == 8 ? s->fence_addr : (uint32_t)s->fence_addr;
        break;
    case QNPU_REG_FENCE_ADDR_HI:
        val = s->fence_addr >> 32;
        break;
    case QNPU_REG_COMPLETED_SEQ_LO:
        val = size == 8 ? s->completed_seq : (uint32_t)s->completed_seq;
        break;
    case QNPU_REG_COMPLETED_SEQ_HI:
        val = s->completed_seq >> 32;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "qnpu: read of unknown register 0x%" HWADDR_PRIx "\n",
                      addr);
        break;
    }
out:
    trace_qnpu_mmio_read(addr, val, size);
    return val;
}

/* Writes to a 64-bit register as one 8-byte access or as two halves. */
static void qnpu_write64(uint64_t *reg, hwaddr addr, uint64_t val,
                         unsigned size)
{
    if (size == 8) {
        *reg = val;
    } else if (addr & 4) {
        *reg = deposit64(*reg, 32, 32, val);
    } else {
        *reg = deposit64(*reg, 0, 32, val);
    }
}

/* (long: one case per writable register, as qnpu_mmio_read()) */
static void qnpu_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    QnpuDev *s = opaque;
    bool running = s->ctrl & QNPU_CTRL_ENABLE;

    trace_qnpu_mmio_write(addr, val, size);
    switch (addr) {
    case QNPU_REG_CTRL:
        if (val & QNPU_CTRL_RESET) {
            qnpu_soft_reset(s);
        } else if (!s->resetting) {
            s->ctrl = val & QNPU_CTRL_ENABLE;
            if (!s->ring_size) {
                s->ctrl = 0;
            }
            qemu_cond_broadcast(&s->kick);
        }
        break;
    case QNPU_REG_SCRATCH:
        s->scratch = val;
        break;
    case QNPU_REG_IRQ_MASK:
        s->irq_mask = val & QNPU_IRQ_ALL;
        qnpu_irq_update(s, s->irq_status);
        break;
    case QNPU_REG_IRQ_ACK:
        s->irq_status &= ~val;
        qnpu_irq_update(s, 0);
        break;
    case QNPU_REG_IRQ_RAISE:
        qnpu_irq_raise(s, val);
        break;
    case QNPU_REG_MMU_CTXTBL_LO:
    case QNPU_REG_MMU_CTXTBL_HI:
        if (!running) {
            qnpu_write64(&s->ctxtbl, addr, val, size);
            s->ctxtbl &= ~0xfffull;
        }
        break;
    case QNPU_REG_MMU_INVALIDATE:
        qnpu_mmu_invalidate(&s->mmu, val & QNPU_MMU_INVALIDATE_ALL ? -1 :
                            (int)(val & 0xffff));
        break;
    case QNPU_REG_MMU_FAULT_INFO:
        if (val == 0) {
            s->fault_info = 0;
        }
        break;
    case QNPU_REG_RING_BASE_LO:
    case QNPU_REG_RING_BASE_HI:
        if (!running) {
            qnpu_write64(&s->ring_base, addr, val, size);
            s->ring_base &= ~0xfffull;
        }
        break;
    case QNPU_REG_RING_SIZE:
        if (!running) {
            s->ring_size = (val >= 2 && val <= QNPU_MAX_RING_ENTRIES &&
                            is_power_of_2(val)) ? val : 0;
        }
        break;
    case QNPU_REG_RING_TAIL:
        if ((uint32_t)(val - s->ring_head) <= s->ring_size &&
            (uint32_t)(val - s->ring_head) >=
            (uint32_t)(s->ring_tail - s->ring_head)) {
            s->ring_tail = val;
            qemu_cond_broadcast(&s->kick);
        }
        break;
    case QNPU_REG_FENCE_ADDR_LO:
    case QNPU_REG_FENCE_ADDR_HI:
        if (!running) {
            qnpu_write64(&s->fence_addr, addr, val, size);
            s->fence_addr &= ~7ull;
        }
        break;
    case QNPU_REG_PERF_CTRL:
        if (val & 1) {
            memset(s->perf, 0, sizeof(s->perf));
        }
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "qnpu: write to read-only or unknown register 0x%"
                      HWADDR_PRIx "\n", addr);
        break;
    }
}

static const MemoryRegionOps qnpu_mmio_ops = {
    .read = qnpu_mmio_read,
    .write = qnpu_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 8,
    },
};


/**
 * qnpu_dev_realize: the register block, the MMU and the job worker
 * @s: the device, its properties set
 * @owner: the QOM object that owns the register region
 * @dma_as: where the device's DMA goes
 * @notify: how the bus front end delivers the interrupt
 * @errp: error out
 *
 * Returns: false with @errp set when the properties are inconsistent.
 */
bool qnpu_dev_realize(QnpuDev *s, Object *owner, AddressSpace *dma_as,
                      QnpuIrqNotify notify, Error **errp)
{
    char why[128];

    if (qnpu_config_check(&s->cfg, why, sizeof(why))) {
        error_setg(errp, "qnpu: %s", why);
        return false;
    }
    memory_region_init_io(&s->mmio, owner, &qnpu_mmio_ops, s, "qnpu-regs",
                          QNPU_BAR_REGS_SIZE);
    s->bus_owner = owner;
    s->dma_as = dma_as;
    s->irq_notify = notify;
    s->bus = (struct qnpu_bus) {
        .read = qnpu_bus_read, .write = qnpu_bus_write, .opaque = s,
    };
    qnpu_mmu_init(&s->mmu, &s->bus);
    s->engine.cfg = &s->cfg;
    s->engine.mmu = &s->mmu;
    s->engine.kernels = qnpu_kernels_best();
    atomic_init(&s->engine.abort, false);
    qemu_cond_init(&s->kick);
    s->stopping = false;
    qemu_thread_create(&s->worker, "qnpu", qnpu_worker, s,
                       QEMU_THREAD_JOINABLE);
    return true;
}

/**
 * qnpu_dev_unrealize: stop the worker (a running job is aborted) and
 * free what realize made
 * @s: the device; called with the BQL held
 */
void qnpu_dev_unrealize(QnpuDev *s)
{
    s->stopping = true;
    atomic_store(&s->engine.abort, true);
    qemu_cond_broadcast(&s->kick);
    bql_unlock();
    qemu_thread_join(&s->worker);
    bql_lock();
    qemu_cond_destroy(&s->kick);
    qnpu_engine_release(&s->engine);
    qnpu_mmu_destroy(&s->mmu);
}

/**
 * qnpu_dev_init: the configuration's defaults, before properties apply
 * @s: the device
 */
void qnpu_dev_init(QnpuDev *s)
{
    qnpu_config_defaults(&s->cfg);
}

/**
 * qnpu_dev_reset: a machine reset (CTRL.RESET plus what it keeps)
 * @s: the device
 */
void qnpu_dev_reset(QnpuDev *s)
{
    qnpu_soft_reset(s);
    if (!s->resetting) {
        s->irq_status = 0;
    }
    s->scratch = 0;
    memset(s->perf, 0, sizeof(s->perf));
}
