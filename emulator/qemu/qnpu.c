/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu: a PCI INT8 NPU, as described in docs/hardware.md.
 *
 * This file is the QEMU side only: PCI identity, BAR0 register decode,
 * interrupt delivery and properties. The device's behaviour that does
 * not depend on QEMU lives in emulator/core/.
 *
 * Copyright (c) 2026 The qnpu authors
 */

#include "qemu/osdep.h"
#include "qemu/bitops.h"
#include "qemu/host-utils.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qom/object.h"
#include "trace/trace-hw_misc_qnpu.h"

#include "qnpu_core.h"
#include "qnpu_regs.h"

#define TYPE_QNPU "qnpu"
OBJECT_DECLARE_SIMPLE_TYPE(QnpuState, QNPU)

struct QnpuState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    struct qnpu_config cfg;

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
};

/* Interrupt delivery: an MSI(-X) message per newly raised cause, or INTx. */
static void qnpu_irq_update(QnpuState *s, uint32_t new_bits)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint32_t pending = s->irq_status & s->irq_mask;

    trace_qnpu_irq(s->irq_status, s->irq_mask);
    if (msix_enabled(pdev)) {
        if (new_bits & s->irq_mask) {
            msix_notify(pdev, 0);
        }
    } else if (msi_enabled(pdev)) {
        if (new_bits & s->irq_mask) {
            msi_notify(pdev, 0);
        }
    } else {
        pci_set_irq(pdev, pending != 0);
    }
}

static void qnpu_irq_raise(QnpuState *s, uint32_t bits)
{
    uint32_t new_bits = bits & ~s->irq_status;

    s->irq_status |= bits & QNPU_IRQ_ALL;
    qnpu_irq_update(s, new_bits);
}

static void qnpu_soft_reset(QnpuState *s)
{
    trace_qnpu_reset();
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
    qnpu_irq_update(s, 0);
    /* The mask is now 0: RESET_DONE is recorded, not delivered. */
    s->irq_status = QNPU_IRQ_RESET_DONE;
}

static uint64_t qnpu_perf_read(QnpuState *s, hwaddr addr, unsigned size)
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

static uint64_t qnpu_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    QnpuState *s = opaque;
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
        val = QNPU_STATUS_READY;
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

static void qnpu_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    QnpuState *s = opaque;
    bool running = s->ctrl & QNPU_CTRL_ENABLE;

    trace_qnpu_mmio_write(addr, val, size);
    switch (addr) {
    case QNPU_REG_CTRL:
        if (val & QNPU_CTRL_RESET) {
            qnpu_soft_reset(s);
        } else {
            s->ctrl = val & QNPU_CTRL_ENABLE;
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
        qnpu_write64(&s->ctxtbl, addr, val, size);
        break;
    case QNPU_REG_MMU_INVALIDATE:
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
        }
        break;
    case QNPU_REG_RING_SIZE:
        if (!running) {
            s->ring_size = (val >= 2 && val <= QNPU_MAX_RING_ENTRIES &&
                            is_power_of_2(val)) ? val : 0;
        }
        break;
    case QNPU_REG_RING_TAIL:
        if ((uint32_t)(val - s->ring_head) <= s->ring_size) {
            s->ring_tail = val;
        }
        break;
    case QNPU_REG_FENCE_ADDR_LO:
    case QNPU_REG_FENCE_ADDR_HI:
        if (!running) {
            qnpu_write64(&s->fence_addr, addr, val, size);
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

static void qnpu_realize(PCIDevice *pdev, Error **errp)
{
    QnpuState *s = QNPU(pdev);
    char why[128];

    if (qnpu_config_check(&s->cfg, why, sizeof(why))) {
        error_setg(errp, "qnpu: %s", why);
        return;
    }

    pci_config_set_interrupt_pin(pdev->config, 1);
    memory_region_init_io(&s->mmio, OBJECT(s), &qnpu_mmio_ops, s,
                          "qnpu-regs", QNPU_BAR_REGS_SIZE);
    pci_register_bar(pdev, QNPU_BAR_REGS,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->mmio);

    if (msix_init_exclusive_bar(pdev, QNPU_MSIX_VECTORS, QNPU_BAR_MSIX,
                                errp)) {
        return;
    }
    msix_vector_use(pdev, 0);
    if (msi_init(pdev, 0, 1, true, false, errp)) {
        msix_uninit_exclusive_bar(pdev);
        return;
    }
}

static void qnpu_exit(PCIDevice *pdev)
{
    msi_uninit(pdev);
    msix_uninit_exclusive_bar(pdev);
}

static void qnpu_instance_init(Object *obj)
{
    QnpuState *s = QNPU(obj);

    qnpu_config_defaults(&s->cfg);
}

static void qnpu_device_reset(DeviceState *dev)
{
    QnpuState *s = QNPU(dev);

    qnpu_soft_reset(s);
    s->irq_status = 0;
    s->scratch = 0;
    memset(s->perf, 0, sizeof(s->perf));
}

static const Property qnpu_properties[] = {
    DEFINE_PROP_UINT32("array-rows", QnpuState, cfg.array_rows,
                       QNPU_DEFAULT_ARRAY_ROWS),
    DEFINE_PROP_UINT32("array-cols", QnpuState, cfg.array_cols,
                       QNPU_DEFAULT_ARRAY_COLS),
    DEFINE_PROP_UINT32("sram-kib", QnpuState, cfg.sram_kib,
                       QNPU_DEFAULT_SRAM_KIB),
    DEFINE_PROP_UINT32("clock-mhz", QnpuState, cfg.clock_mhz,
                       QNPU_DEFAULT_CLOCK_MHZ),
    DEFINE_PROP_UINT32("dram-mbps", QnpuState, cfg.dram_mbps,
                       QNPU_DEFAULT_DRAM_MBPS),
    DEFINE_PROP_UINT32("workers", QnpuState, cfg.workers,
                       QNPU_DEFAULT_WORKERS),
    DEFINE_PROP_UINT32("contexts", QnpuState, cfg.contexts,
                       QNPU_DEFAULT_CONTEXTS),
    DEFINE_PROP_UINT32("inject-hang", QnpuState, cfg.inject_hang, 0),
    DEFINE_PROP_UINT32("inject-delay-us", QnpuState, cfg.inject_delay_us, 0),
    DEFINE_PROP_UINT32("inject-corrupt-status", QnpuState,
                       cfg.inject_corrupt_status, 0),
    DEFINE_PROP_UINT32("inject-spurious-irq", QnpuState,
                       cfg.inject_spurious_irq, 0),
};

/* Jobs in flight live in guest memory and host threads: no migration. */
static const VMStateDescription vmstate_qnpu = {
    .name = "qnpu",
    .unmigratable = 1,
};

static void qnpu_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = qnpu_realize;
    k->exit = qnpu_exit;
    k->vendor_id = QNPU_PCI_VENDOR_ID;
    k->device_id = QNPU_PCI_DEVICE_ID;
    k->revision = QNPU_PCI_REVISION;
    k->class_id = QNPU_PCI_CLASS;
    dc->desc = "qnpu INT8 neural processing unit";
    dc->vmsd = &vmstate_qnpu;
    device_class_set_legacy_reset(dc, qnpu_device_reset);
    device_class_set_props(dc, qnpu_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo qnpu_types[] = {
    {
        .name = TYPE_QNPU,
        .parent = TYPE_PCI_DEVICE,
        .instance_size = sizeof(QnpuState),
        .instance_init = qnpu_instance_init,
        .class_init = qnpu_class_init,
        .interfaces = (InterfaceInfo[]) {
            { INTERFACE_CONVENTIONAL_PCI_DEVICE },
            { },
        },
    },
};

DEFINE_TYPES(qnpu_types)
