// SPDX-License-Identifier: GPL-2.0
/*
 * qnpu platform front end: the device described by a device-tree node
 * (docs/bindings/qnpu,npu.yaml): registers in its first MMIO resource,
 * interrupt in its first interrupt, optionally a clock and a reset.
 *
 *	npu@10000000 {
 *		compatible = "qnpu,npu-1.0";
 *		reg = <0x0 0x10000000 0x0 0x10000>;
 *		interrupts = <GIC_SPI 10 IRQ_TYPE_LEVEL_HIGH>;
 *	};
 *
 * Copyright (c) 2026 The qnpu authors
 */

#include <linux/clk.h>
#include <linux/dma-mapping.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/reset.h>

#include "qnpu_drv.h"

/*
 * Nothing to do: a platform bus has no bus-master bit to clear, and the
 * core calls this once the device has been reset and its ring stopped, so
 * it reads and writes no memory any more.
 */
static void qnpu_platform_stop_dma(struct qnpu_device *qdev)
{
}

/* No fill_ids: the PCI ids of the device info stay zero. */
static const struct qnpu_bus_ops qnpu_platform_bus_ops = {
	.stop_dma = qnpu_platform_stop_dma,
};

/*
 * Where the SoC gates the NPU's clock or holds it in reset, the node says
 * so; both are released for as long as the driver is bound.
 */
static int qnpu_platform_power_up(struct device *dev)
{
	struct reset_control *rst;
	struct clk *clk;

	clk = devm_clk_get_optional_enabled(dev, NULL);
	if (IS_ERR(clk))
		return dev_err_probe(dev, PTR_ERR(clk), "no clock\n");
	rst = devm_reset_control_get_optional_exclusive_deasserted(dev, NULL);
	if (IS_ERR(rst))
		return dev_err_probe(dev, PTR_ERR(rst), "no reset\n");
	return 0;
}

static int qnpu_platform_probe(struct platform_device *pdev)
{
	struct qnpu_device *qdev;
	int ret;

	qdev = qnpu_device_alloc(&pdev->dev, &qnpu_platform_bus_ops);
	if (IS_ERR(qdev))
		return PTR_ERR(qdev);

	ret = qnpu_platform_power_up(&pdev->dev);
	if (ret)
		return ret;
	qdev->regs = devm_platform_ioremap_resource(pdev, 0);
	if (IS_ERR(qdev->regs))
		return PTR_ERR(qdev->regs);
	ret = platform_get_irq(pdev, 0);
	if (ret < 0)
		return ret;
	qdev->irq = ret;
	/* The platform bus starts at 32 bits; the device MMU walks 52. */
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(52));
	if (ret)
		return ret;
	/* The MMU maps page by page: any segment length will do. */
	dma_set_max_seg_size(&pdev->dev, UINT_MAX);

	return qnpu_device_init(qdev);
}

static void qnpu_platform_remove(struct platform_device *pdev)
{
	qnpu_device_fini(platform_get_drvdata(pdev));
}

static const struct of_device_id qnpu_of_ids[] = {
	{ .compatible = "qnpu,npu-1.0" },
	{ }
};
MODULE_DEVICE_TABLE(of, qnpu_of_ids);

static struct platform_driver qnpu_platform_driver = {
	.driver = {
		.name = QNPU_DRIVER_NAME,
		.of_match_table = qnpu_of_ids,
	},
	.probe = qnpu_platform_probe,
	.remove = qnpu_platform_remove,
};

/**
 * qnpu_platform_register() - register the platform driver (module init)
 *
 * Without CONFIG_OF no device-tree node exists to bind it; it stays idle.
 *
 * Return: 0 or a negative errno.
 */
int qnpu_platform_register(void)
{
	return platform_driver_register(&qnpu_platform_driver);
}

/**
 * qnpu_platform_unregister() - unregister the platform driver, unbinding
 *	every device
 */
void qnpu_platform_unregister(void)
{
	platform_driver_unregister(&qnpu_platform_driver);
}
