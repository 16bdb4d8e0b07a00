/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu on PCI: the "qnpu" device, a PCI function with the register block
 * in BAR0, MSI-X (its table in BAR2), MSI or INTx, and DMA as a bus
 * master (docs/hardware.md).
 *
 * Copyright (c) 2026 The qnpu authors
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci_device.h"
#include "migration/vmstate.h"

#include "qnpu_dev.h"

#define TYPE_QNPU_PCI "qnpu"
OBJECT_DECLARE_SIMPLE_TYPE(QnpuPciState, QNPU_PCI)

struct QnpuPciState {
    PCIDevice parent_obj;
    QnpuDev dev;
};

/* An MSI(-X) message per newly raised cause, or the INTx level. */
static void qnpu_pci_irq(Object *owner, uint32_t new_causes, bool level)
{
    PCIDevice *pdev = PCI_DEVICE(owner);

    if (msix_enabled(pdev)) {
        if (new_causes) {
            msix_notify(pdev, 0);
        }
    } else if (msi_enabled(pdev)) {
        if (new_causes) {
            msi_notify(pdev, 0);
        }
    } else {
        pci_set_irq(pdev, level);
    }
}

static void qnpu_pci_realize(PCIDevice *pdev, Error **errp)
{
    QnpuPciState *s = QNPU_PCI(pdev);

    pci_config_set_interrupt_pin(pdev->config, 1);
    if (msix_init_exclusive_bar(pdev, QNPU_MSIX_VECTORS, QNPU_BAR_MSIX,
                                errp)) {
        return;
    }
    msix_vector_use(pdev, 0);
    if (msi_init(pdev, 0, 1, true, false, errp)) {
        goto err_msix;
    }
    if (!qnpu_dev_realize(&s->dev, OBJECT(s), pci_get_address_space(pdev),
                          qnpu_pci_irq, errp)) {
        goto err_msi;
    }
    pci_register_bar(pdev, QNPU_BAR_REGS,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->dev.mmio);
    return;

err_msi:
    msi_uninit(pdev);
err_msix:
    msix_uninit_exclusive_bar(pdev);
}

static void qnpu_pci_exit(PCIDevice *pdev)
{
    QnpuPciState *s = QNPU_PCI(pdev);

    qnpu_dev_unrealize(&s->dev);
    msi_uninit(pdev);
    msix_uninit_exclusive_bar(pdev);
}

static void qnpu_pci_instance_init(Object *obj)
{
    qnpu_dev_init(&QNPU_PCI(obj)->dev);
}

static void qnpu_pci_reset(DeviceState *dev)
{
    qnpu_dev_reset(&QNPU_PCI(dev)->dev);
}

static const Property qnpu_pci_properties[] = {
    QNPU_DEV_PROPERTIES(QnpuPciState, dev),
};

/* Jobs in flight live in guest memory and host threads: no migration. */
static const VMStateDescription vmstate_qnpu_pci = {
    .name = "qnpu",
    .unmigratable = 1,
};

static void qnpu_pci_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = qnpu_pci_realize;
    k->exit = qnpu_pci_exit;
    k->vendor_id = QNPU_PCI_VENDOR_ID;
    k->device_id = QNPU_PCI_DEVICE_ID;
    k->revision = QNPU_PCI_REVISION;
    k->class_id = QNPU_PCI_CLASS;
    dc->desc = "qnpu INT8 neural processing unit (PCI)";
    dc->vmsd = &vmstate_qnpu_pci;
    device_class_set_legacy_reset(dc, qnpu_pci_reset);
    device_class_set_props(dc, qnpu_pci_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo qnpu_pci_types[] = {
    {
        .name = TYPE_QNPU_PCI,
        .parent = TYPE_PCI_DEVICE,
        .instance_size = sizeof(QnpuPciState),
        .instance_init = qnpu_pci_instance_init,
        .class_init = qnpu_pci_class_init,
        .interfaces = (InterfaceInfo[]) {
            { INTERFACE_CONVENTIONAL_PCI_DEVICE },
            { },
        },
    },
};

DEFINE_TYPES(qnpu_pci_types)
