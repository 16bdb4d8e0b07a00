// SPDX-License-Identifier: GPL-2.0
/*
 * qnpu hardware access: identification, reset, capabilities, interrupts.
 *
 * Copyright (c) 2026 The qnpu authors
 */

#include <linux/interrupt.h>
#include <linux/iopoll.h>

#include <drm/drm_print.h>

#include "qnpu_hw.h"
#include "qnpu_job.h"

#define QNPU_RESET_TIMEOUT_US	100000

/**
 * qnpu_hw_reset() - soft-reset the device and wait until it is ready
 * @qdev: the device
 *
 * A reset drops every job and clears the ring, MMU and interrupt
 * configuration; the caller programs them again.
 *
 * Return: 0, or -ETIMEDOUT when the device does not come back.
 */
int qnpu_hw_reset(struct qnpu_device *qdev)
{
	u32 status;
	int ret;

	qnpu_write(qdev, QNPU_REG_CTRL, QNPU_CTRL_RESET);
	ret = readl_poll_timeout(qdev->regs + QNPU_REG_STATUS, status,
				 (status & QNPU_STATUS_READY) &&
				 !(status & QNPU_STATUS_RESETTING),
				 10, QNPU_RESET_TIMEOUT_US);
	if (ret) {
		drm_err(&qdev->drm, "device did not leave reset (status %#x)\n",
			status);
		return ret;
	}
	qnpu_write(qdev, QNPU_REG_IRQ_ACK, QNPU_IRQ_ALL);
	return 0;
}

static void qnpu_hw_read_caps(struct qnpu_device *qdev)
{
	struct qnpu_caps *caps = &qdev->caps;
	u32 v;

	caps->hw_version = qnpu_read(qdev, QNPU_REG_VERSION);
	v = qnpu_read(qdev, QNPU_REG_CAP_ARRAY);
	caps->mac_rows = QNPU_CAP_ARRAY_ROWS(v);
	caps->mac_cols = QNPU_CAP_ARRAY_COLS(v);
	caps->sram_bytes = (u64)qnpu_read(qdev, QNPU_REG_CAP_SRAM) * SZ_1K;
	caps->clock_mhz = qnpu_read(qdev, QNPU_REG_CAP_CLOCK);
	caps->dram_bw_mbps = qnpu_read(qdev, QNPU_REG_CAP_DRAM_BW);
	caps->ops = qnpu_read(qdev, QNPU_REG_CAP_OPS);
	caps->features = qnpu_read(qdev, QNPU_REG_CAP_FEATURES);
	v = qnpu_read(qdev, QNPU_REG_CAP_MMU);
	caps->contexts = QNPU_CAP_MMU_CONTEXTS(v);
	caps->va_bits = QNPU_CAP_MMU_VA_BITS(v);
	caps->page_shift = QNPU_CAP_MMU_PAGE_SHIFT(v);
	v = qnpu_read(qdev, QNPU_REG_CAP_RING);
	caps->ring_entries = QNPU_CAP_RING_MAX_ENTRIES(v);
	v = qnpu_read(qdev, QNPU_REG_CAP_CMDBUF);
	caps->cmdbuf_min = QNPU_CAP_CMDBUF_MIN(v);
	caps->cmdbuf_max = QNPU_CAP_CMDBUF_MAX(v);
	caps->max_dim = qnpu_read(qdev, QNPU_REG_CAP_MAX_DIM);
	caps->max_k = qnpu_read(qdev, QNPU_REG_CAP_MAX_K);
	caps->max_cmdbuf = qnpu_read(qdev, QNPU_REG_CAP_MAX_CMDBUF);
}

/**
 * qnpu_hw_init() - identify the device, reset it and read its capabilities
 * @qdev: the device, with @qdev->regs mapped
 *
 * Return: 0, -ENODEV for a device that is not a qnpu programming model
 * this driver speaks, or the reset error.
 */
int qnpu_hw_init(struct qnpu_device *qdev)
{
	u32 id = qnpu_read(qdev, QNPU_REG_ID);
	u32 version = qnpu_read(qdev, QNPU_REG_VERSION);
	int ret;

	if (id != QNPU_ID_MAGIC) {
		drm_err(&qdev->drm, "unexpected device id %#x\n", id);
		return -ENODEV;
	}
	if (QNPU_VERSION_MAJOR(version) != QNPU_HW_VERSION_MAJOR) {
		drm_err(&qdev->drm, "programming model %u.%u not supported\n",
			QNPU_VERSION_MAJOR(version), QNPU_VERSION_MINOR(version));
		return -ENODEV;
	}

	ret = qnpu_hw_reset(qdev);
	if (ret)
		return ret;

	qnpu_hw_read_caps(qdev);
	if (qdev->caps.page_shift != PAGE_SHIFT || qdev->caps.contexts < 2 ||
	    qdev->caps.ring_entries < 2) {
		drm_err(&qdev->drm, "unusable capabilities (page shift %u, %u contexts, %u ring entries)\n",
			qdev->caps.page_shift, qdev->caps.contexts,
			qdev->caps.ring_entries);
		return -ENODEV;
	}
	return 0;
}

/**
 * qnpu_hw_fini() - quiesce the device before the driver lets go of it
 * @qdev: the device
 *
 * The soft reset stops a running job: after it the device writes no
 * memory and raises no interrupt.
 */
void qnpu_hw_fini(struct qnpu_device *qdev)
{
	qnpu_write(qdev, QNPU_REG_IRQ_MASK, 0);
	qnpu_hw_reset(qdev);
	qnpu_write(qdev, QNPU_REG_CTRL, 0);
	qnpu_write(qdev, QNPU_REG_IRQ_ACK, QNPU_IRQ_ALL);
}

static irqreturn_t qnpu_irq_handler(int irq, void *arg)
{
	struct qnpu_device *qdev = arg;
	u32 pending;

	pending = qnpu_read(qdev, QNPU_REG_IRQ_STATUS) &
		  qnpu_read(qdev, QNPU_REG_IRQ_MASK);
	if (!pending)
		/* A message with no cause; completions may still be due. */
		return qnpu_job_irq(qdev) ? IRQ_HANDLED : IRQ_NONE;

	qnpu_write(qdev, QNPU_REG_IRQ_ACK, pending);
	atomic64_inc(&qdev->irqs);
	if (pending & (QNPU_IRQ_JOB_DONE | QNPU_IRQ_JOB_ERROR |
		       QNPU_IRQ_MMU_FAULT))
		qnpu_job_irq(qdev);
	return IRQ_HANDLED;
}

/**
 * qnpu_hw_irq_init() - install the interrupt handler
 * @qdev: the device, @qdev->irq found by the bus front end
 *
 * The line may be shared (PCI INTx): the handler checks the device's
 * status first.
 *
 * Return: 0 or a negative errno.
 */
int qnpu_hw_irq_init(struct qnpu_device *qdev)
{
	/* Not devm: the handler reads the ring, freed before devres runs. */
	return request_irq(qdev->irq, qnpu_irq_handler, IRQF_SHARED,
			   QNPU_DRIVER_NAME, qdev);
}

/**
 * qnpu_hw_irq_fini() - remove the handler (the line itself belongs to the
 *	bus device)
 * @qdev: the device, its interrupts masked
 */
void qnpu_hw_irq_fini(struct qnpu_device *qdev)
{
	free_irq(qdev->irq, qdev);
}
