// SPDX-License-Identifier: GPL-2.0
/*
 * qnpu PCI front end: the device as a PCI function (docs/hardware.md),
 * registers in BAR0, one interrupt vector.
 *
 * Copyright (c) 2026 The qnpu authors
 */

#include <linux/dma-mapping.h>
#include <linux/pci.h>

#include "qnpu_accel.h"
#include "qnpu_drv.h"
#include "qnpu_hw.h"

static void qnpu_pci_stop_dma(struct qnpu_device *qdev)
{
	pci_clear_master(to_pci_dev(qdev->dev));
}

static void qnpu_pci_fill_ids(struct qnpu_device *qdev,
			      struct drm_qnpu_device_info *info)
{
	struct pci_dev *pdev = to_pci_dev(qdev->dev);

	info->pci_vendor = pdev->vendor;
	info->pci_device = pdev->device;
	info->pci_revision = pdev->revision;
}

static const struct qnpu_bus_ops qnpu_pci_bus_ops = {
	.stop_dma = qnpu_pci_stop_dma,
	.fill_ids = qnpu_pci_fill_ids,
};

/* One vector, whichever kind the platform offers; pcim frees it. */
static int qnpu_pci_irq_init(struct qnpu_device *qdev, struct pci_dev *pdev)
{
	int ret;

	ret = pci_alloc_irq_vectors(pdev, 1, 1,
				    PCI_IRQ_MSIX | PCI_IRQ_MSI | PCI_IRQ_INTX);
	if (ret < 0)
		return ret;
	ret = pci_irq_vector(pdev, 0);
	if (ret < 0)
		return ret;
	qdev->irq = ret;
	return 0;
}

static int qnpu_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct qnpu_device *qdev;
	int ret;

	qdev = qnpu_device_alloc(&pdev->dev, &qnpu_pci_bus_ops);
	if (IS_ERR(qdev))
		return PTR_ERR(qdev);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	qdev->regs = pcim_iomap_region(pdev, QNPU_BAR_REGS, QNPU_DRIVER_NAME);
	if (IS_ERR(qdev->regs))
		return PTR_ERR(qdev->regs);
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(52));
	if (ret)
		return ret;
	/* The MMU maps page by page: any segment length will do. */
	dma_set_max_seg_size(&pdev->dev, UINT_MAX);
	pci_set_master(pdev);

	ret = qnpu_pci_irq_init(qdev, pdev);
	if (!ret)
		ret = qnpu_device_init(qdev);
	if (ret)
		pci_clear_master(pdev);
	return ret;
}

static void qnpu_pci_remove(struct pci_dev *pdev)
{
	qnpu_device_fini(pci_get_drvdata(pdev));
}

static const struct pci_device_id qnpu_pci_ids[] = {
	{ PCI_DEVICE(QNPU_PCI_VENDOR_ID, QNPU_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, qnpu_pci_ids);

static struct pci_driver qnpu_pci_driver = {
	.name = QNPU_DRIVER_NAME,
	.id_table = qnpu_pci_ids,
	.probe = qnpu_pci_probe,
	.remove = qnpu_pci_remove,
};

/**
 * qnpu_pci_register() - register the PCI driver (module init)
 *
 * Return: 0 or a negative errno.
 */
int qnpu_pci_register(void)
{
	return pci_register_driver(&qnpu_pci_driver);
}

/**
 * qnpu_pci_unregister() - unregister the PCI driver, unbinding every device
 */
void qnpu_pci_unregister(void)
{
	pci_unregister_driver(&qnpu_pci_driver);
}
