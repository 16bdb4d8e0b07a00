/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu as a platform device: "qnpu-platform", the same register block as
 * one MMIO region, one level-triggered interrupt line, and DMA through
 * the system address space, coherent with the CPUs. On the arm virt
 * machine it goes on the platform bus (-device qnpu-platform), which
 * places it and writes its device-tree node (compatible "qnpu,npu-1.0";
 * emulator/qemu/virt-platform-bus.patch, docs/bindings/qnpu,npu.yaml).
 *
 * Copyright (c) 2026 The qnpu authors
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/irq.h"
#include "hw/sysbus.h"
#include "migration/vmstate.h"
#include "exec/address-spaces.h"

#include "qnpu_dev.h"

#define TYPE_QNPU_PLATFORM "qnpu-platform"
OBJECT_DECLARE_SIMPLE_TYPE(QnpuPlatformState, QNPU_PLATFORM)

struct QnpuPlatformState {
    SysBusDevice parent_obj;
    QnpuDev dev;
    qemu_irq irq;
};

/* A wired line: it follows the level of the unmasked pending causes. */
static void qnpu_platform_irq(Object *owner, uint32_t new_causes, bool level)
{
    qemu_set_irq(QNPU_PLATFORM(owner)->irq, level);
}

static void qnpu_platform_realize(DeviceState *dev, Error **errp)
{
    QnpuPlatformState *s = QNPU_PLATFORM(dev);

    if (!qnpu_dev_realize(&s->dev, OBJECT(s), &address_space_memory,
                          qnpu_platform_irq, errp)) {
        return;
    }
    sysbus_init_mmio(SYS_BUS_DEVICE(s), &s->dev.mmio);
    sysbus_init_irq(SYS_BUS_DEVICE(s), &s->irq);
}

static void qnpu_platform_unrealize(DeviceState *dev)
{
    qnpu_dev_unrealize(&QNPU_PLATFORM(dev)->dev);
}

static void qnpu_platform_instance_init(Object *obj)
{
    QnpuPlatformState *s = QNPU_PLATFORM(obj);

    qnpu_dev_init(&s->dev);
    s->dev.cfg.wired_irq = true;
}

static void qnpu_platform_reset(DeviceState *dev)
{
    qnpu_dev_reset(&QNPU_PLATFORM(dev)->dev);
}

static const Property qnpu_platform_properties[] = {
    QNPU_DEV_PROPERTIES(QnpuPlatformState, dev),
};

/* Jobs in flight live in guest memory and host threads: no migration. */
static const VMStateDescription vmstate_qnpu_platform = {
    .name = "qnpu-platform",
    .unmigratable = 1,
};

static void qnpu_platform_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);

    dc->realize = qnpu_platform_realize;
    dc->unrealize = qnpu_platform_unrealize;
    dc->desc = "qnpu INT8 neural processing unit (platform, device tree)";
    dc->vmsd = &vmstate_qnpu_platform;
    device_class_set_legacy_reset(dc, qnpu_platform_reset);
    device_class_set_props(dc, qnpu_platform_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo qnpu_platform_types[] = {
    {
        .name = TYPE_QNPU_PLATFORM,
        .parent = TYPE_DYNAMIC_SYS_BUS_DEVICE,
        .instance_size = sizeof(QnpuPlatformState),
        .instance_init = qnpu_platform_instance_init,
        .class_init = qnpu_platform_class_init,
    },
};

DEFINE_TYPES(qnpu_platform_types)
