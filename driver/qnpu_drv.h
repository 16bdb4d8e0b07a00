/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef __QNPU_DRV_H__
#define __QNPU_DRV_H__

#include <linux/pci.h>
#include <linux/types.h>

#include <drm/drm_device.h>

#define QNPU_DRIVER_NAME	"qnpu"
#define QNPU_DRIVER_DESC	"qnpu INT8 neural processing unit"
#define QNPU_DRIVER_MAJOR	1
#define QNPU_DRIVER_MINOR	0
#define QNPU_DRIVER_PATCH	0

/**
 * struct qnpu_caps - what the device said it can do, read at probe
 * @hw_version: programming model, major << 16 | minor
 * @mac_rows: MAC array rows
 * @mac_cols: MAC array columns
 * @sram_bytes: on-chip SRAM
 * @clock_mhz: modelled clock
 * @dram_bw_mbps: modelled DRAM bandwidth
 * @ops: supported &enum qnpu_op bits
 * @features: QNPU_FEATURE_* bits
 * @contexts: MMU contexts
 * @va_bits: device virtual address width
 * @page_shift: device page size, log2
 * @ring_entries: largest ring the device accepts
 * @cmdbuf_min: oldest command-buffer version
 * @cmdbuf_max: newest command-buffer version
 * @max_dim: largest tensor dimension
 * @max_k: largest number of taps per output
 * @max_cmdbuf: largest command buffer, bytes
 */
struct qnpu_caps {
	u32 hw_version;
	u32 mac_rows;
	u32 mac_cols;
	u64 sram_bytes;
	u32 clock_mhz;
	u32 dram_bw_mbps;
	u32 ops;
	u32 features;
	u32 contexts;
	u32 va_bits;
	u32 page_shift;
	u32 ring_entries;
	u16 cmdbuf_min;
	u16 cmdbuf_max;
	u32 max_dim;
	u32 max_k;
	u32 max_cmdbuf;
};

/**
 * struct qnpu_device - one qnpu PCI function
 * @drm: DRM device, embedded
 * @pdev: the PCI function
 * @regs: BAR0 registers
 * @irq: Linux interrupt number
 * @caps: device capabilities
 * @resets: device resets since probe
 * @irqs: interrupts handled
 */
struct qnpu_device {
	struct drm_device drm;
	struct pci_dev *pdev;
	void __iomem *regs;
	int irq;
	struct qnpu_caps caps;
	atomic64_t resets;
	atomic64_t irqs;
};

static inline struct qnpu_device *to_qnpu_device(struct drm_device *drm)
{
	return container_of(drm, struct qnpu_device, drm);
}

int qnpu_query_ioctl(struct drm_device *drm, void *data,
		     struct drm_file *file);

#endif /* __QNPU_DRV_H__ */
