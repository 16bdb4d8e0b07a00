/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef __QNPU_HW_H__
#define __QNPU_HW_H__

#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>

#include "qnpu_drv.h"
#include "qnpu_regs.h"

static inline u32 qnpu_read(struct qnpu_device *qdev, u32 reg)
{
	return readl(qdev->regs + reg);
}

static inline void qnpu_write(struct qnpu_device *qdev, u32 reg, u32 val)
{
	writel(val, qdev->regs + reg);
}

/* Perf counters latch HI when LO is read: lo_hi_readq is the right order. */
static inline u64 qnpu_read64(struct qnpu_device *qdev, u32 reg)
{
	return lo_hi_readq(qdev->regs + reg);
}

int qnpu_hw_init(struct qnpu_device *qdev);
void qnpu_hw_fini(struct qnpu_device *qdev);
int qnpu_hw_reset(struct qnpu_device *qdev);
int qnpu_hw_irq_init(struct qnpu_device *qdev);
void qnpu_hw_irq_fini(struct qnpu_device *qdev);

#endif /* __QNPU_HW_H__ */
