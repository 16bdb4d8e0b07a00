/* SPDX-License-Identifier: MIT */
/*
 * qnpu hardware interface: PCI identity, BAR0 register map, job ring,
 * device MMU page-table format.
 *
 * This header is the machine-readable half of docs/hardware.md and is
 * shared by the kernel driver and the QEMU device model, so that both
 * sides read the same datasheet. It holds constants and fixed-layout
 * structures only. All multi-byte fields are little-endian.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef QNPU_REGS_H
#define QNPU_REGS_H

#include <linux/types.h>

/* ---- PCI identity --------------------------------------------------- */

#define QNPU_PCI_VENDOR_ID		0x1234
#define QNPU_PCI_DEVICE_ID		0x4e50	/* "NP" */
#define QNPU_PCI_REVISION		0x01
#define QNPU_PCI_CLASS			0x1200	/* processing accelerator */

#define QNPU_BAR_REGS			0	/* 64 KiB, 32/64-bit MMIO */
#define QNPU_BAR_MSIX			2	/* MSI-X table and PBA */
#define QNPU_BAR_REGS_SIZE		0x10000
#define QNPU_MSIX_VECTORS		1

/* ---- identity and capability registers (read-only) ------------------ */

#define QNPU_REG_ID			0x0000	/* QNPU_ID_MAGIC */
#define QNPU_ID_MAGIC			0x55504e51	/* "QNPU" in memory */

#define QNPU_REG_VERSION		0x0004	/* programming model */
#define QNPU_VERSION_MAJOR(v)		(((v) >> 16) & 0xffff)
#define QNPU_VERSION_MINOR(v)		((v) & 0xffff)
#define QNPU_HW_VERSION_MAJOR		1
#define QNPU_HW_VERSION_MINOR		1

#define QNPU_REG_CAP_ARRAY		0x0010	/* MAC array geometry */
#define QNPU_CAP_ARRAY_ROWS(v)		((v) & 0xffff)
#define QNPU_CAP_ARRAY_COLS(v)		(((v) >> 16) & 0xffff)

#define QNPU_REG_CAP_SRAM		0x0014	/* on-chip SRAM, KiB */
#define QNPU_REG_CAP_CLOCK		0x0018	/* array clock, MHz */
#define QNPU_REG_CAP_DRAM_BW		0x001c	/* DRAM bandwidth, MB/s */
#define QNPU_REG_CAP_OPS		0x0020	/* bit n: op n supported */

#define QNPU_REG_CAP_MMU		0x0024
#define QNPU_CAP_MMU_CONTEXTS(v)	((v) & 0xffff)
#define QNPU_CAP_MMU_VA_BITS(v)		(((v) >> 16) & 0xff)
#define QNPU_CAP_MMU_PAGE_SHIFT(v)	(((v) >> 24) & 0xff)

#define QNPU_REG_CAP_RING		0x0028
#define QNPU_CAP_RING_MAX_ENTRIES(v)	((v) & 0xffff)
#define QNPU_CAP_RING_COUNT(v)		(((v) >> 16) & 0xff)

#define QNPU_REG_CAP_CMDBUF		0x002c	/* command-buffer versions */
#define QNPU_CAP_CMDBUF_MIN(v)		((v) & 0xffff)
#define QNPU_CAP_CMDBUF_MAX(v)		(((v) >> 16) & 0xffff)

#define QNPU_REG_CAP_MAX_DIM		0x0030	/* largest tensor dimension */
#define QNPU_REG_CAP_MAX_K		0x0034	/* largest taps per output */
#define QNPU_REG_CAP_MAX_CMDBUF		0x0038	/* largest command buffer, B */

#define QNPU_REG_CAP_FEATURES		0x003c
#define QNPU_FEATURE_MSIX		(1u << 0)
#define QNPU_FEATURE_MSI		(1u << 1)
#define QNPU_FEATURE_ROUND_DOUBLE	(1u << 2)
#define QNPU_FEATURE_ROUND_SINGLE	(1u << 3)
#define QNPU_FEATURE_PER_CHANNEL	(1u << 4)
#define QNPU_FEATURE_FAULT_INJECT	(1u << 5)

/* ---- control and status --------------------------------------------- */

#define QNPU_REG_CTRL			0x0040
#define QNPU_CTRL_ENABLE		(1u << 0)	/* process the ring */
#define QNPU_CTRL_RESET			(1u << 1)	/* write 1: soft reset */

#define QNPU_REG_STATUS			0x0044	/* read-only */
#define QNPU_STATUS_READY		(1u << 0)
#define QNPU_STATUS_BUSY		(1u << 1)	/* a job is running */
#define QNPU_STATUS_RESETTING		(1u << 2)

#define QNPU_REG_SCRATCH		0x0048	/* read/write, no effect */

/* ---- interrupts ----------------------------------------------------- */

#define QNPU_REG_IRQ_STATUS		0x0050	/* raw, read-only */
#define QNPU_REG_IRQ_MASK		0x0054	/* 1 = delivered */
#define QNPU_REG_IRQ_ACK		0x0058	/* write 1 to clear */
#define QNPU_REG_IRQ_RAISE		0x005c	/* write 1 to set (test) */
#define QNPU_IRQ_JOB_DONE		(1u << 0)
#define QNPU_IRQ_JOB_ERROR		(1u << 1)
#define QNPU_IRQ_MMU_FAULT		(1u << 2)
#define QNPU_IRQ_RESET_DONE		(1u << 3)
#define QNPU_IRQ_ALL			0x0000000fu

/* ---- device MMU ----------------------------------------------------- */

#define QNPU_REG_MMU_CTXTBL_LO		0x0080	/* context table base */
#define QNPU_REG_MMU_CTXTBL_HI		0x0084
#define QNPU_REG_MMU_INVALIDATE		0x0088	/* write: drop TLB entries */
#define QNPU_MMU_INVALIDATE_ALL		(1u << 31)	/* else ctx in 15:0 */
#define QNPU_REG_MMU_FAULT_ADDR_LO	0x0090	/* latest fault, RO */
#define QNPU_REG_MMU_FAULT_ADDR_HI	0x0094
#define QNPU_REG_MMU_FAULT_INFO		0x0098	/* RO; write 0 clears */
#define QNPU_MMU_FAULT_CTX(v)		((v) & 0xffff)
#define QNPU_MMU_FAULT_WRITE		(1u << 16)
#define QNPU_MMU_FAULT_REASON(v)	(((v) >> 20) & 0xf)
#define QNPU_MMU_FAULT_VALID		(1u << 31)

/* enum qnpu_mmu_fault_reason (QNPU_MMU_FAULT_REASON) */
#define QNPU_FAULT_NOT_MAPPED		1	/* no valid PTE */
#define QNPU_FAULT_PERMISSION		2	/* write to read-only */
#define QNPU_FAULT_VA_RANGE		3	/* beyond VA bits */
#define QNPU_FAULT_BAD_CONTEXT		4	/* context entry invalid */
#define QNPU_FAULT_BUS_ERROR		5	/* table outside RAM */

/* ---- job ring ------------------------------------------------------- */

#define QNPU_REG_RING_BASE_LO		0x00c0	/* 4 KiB aligned */
#define QNPU_REG_RING_BASE_HI		0x00c4
#define QNPU_REG_RING_SIZE		0x00c8	/* entries, power of 2 */
#define QNPU_REG_RING_HEAD		0x00cc	/* device consumer, RO */
#define QNPU_REG_RING_TAIL		0x00d0	/* producer; the doorbell */
#define QNPU_REG_FENCE_ADDR_LO		0x00d8	/* u64 fence write-back */
#define QNPU_REG_FENCE_ADDR_HI		0x00dc
#define QNPU_REG_COMPLETED_SEQ_LO	0x00e0	/* last completed seqno */
#define QNPU_REG_COMPLETED_SEQ_HI	0x00e4

/* ---- performance counters (64-bit, read-only) ----------------------- */

#define QNPU_REG_PERF_CTRL		0x0100	/* write 1: clear all */
#define QNPU_REG_PERF_JOBS		0x0108
#define QNPU_REG_PERF_MACS		0x0110
#define QNPU_REG_PERF_DRAM_RD		0x0118	/* bytes */
#define QNPU_REG_PERF_DRAM_WR		0x0120
#define QNPU_REG_PERF_SRAM_RD		0x0128
#define QNPU_REG_PERF_SRAM_WR		0x0130
#define QNPU_REG_PERF_CYCLES		0x0138	/* modelled busy cycles */
#define QNPU_REG_PERF_ERRORS		0x0140	/* jobs ended != OK */
#define QNPU_PERF_COUNT			8

/* ---- memory structures ---------------------------------------------- */

/*
 * Context table: an array of CAP_MMU_CONTEXTS entries in system memory.
 * Context 0 is reserved and never valid.
 */
struct qnpu_ctx_entry {
	__le64 root;		/* level-2 table PA | QNPU_CTX_VALID */
	__le64 reserved;
};

#define QNPU_CTX_VALID			(1ull << 0)

/*
 * Page tables: three levels of 512 eight-byte entries (4 KiB each),
 * 39-bit device VA: [38:30] level 2, [29:21] level 1, [20:12] level 0.
 * A valid level-2/level-1 entry points at the next table; level-0
 * entries map one 4 KiB page.
 */
#define QNPU_PAGE_SHIFT			12
#define QNPU_PAGE_SIZE			(1ull << QNPU_PAGE_SHIFT)
#define QNPU_VA_BITS			39
#define QNPU_PT_ENTRIES			512
#define QNPU_PT_LEVELS			3
#define QNPU_PTE_VALID			(1ull << 0)
#define QNPU_PTE_READ			(1ull << 1)
#define QNPU_PTE_WRITE			(1ull << 2)
#define QNPU_PTE_ADDR_MASK		0x000ffffffffff000ull

/*
 * Job ring slot: 128 bytes. The driver fills the first half, then
 * advances RING_TAIL; the device writes the second half back before
 * it writes the fence.
 */
struct qnpu_ring_slot {
	/* written by the driver */
	__le64 seqno;		/* fence value of this job, increasing */
	__le64 cmdbuf_va;	/* device VA in the job's context */
	__le32 cmdbuf_size;	/* bytes */
	__le16 ctx;		/* MMU context, 1..contexts-1 */
	__le16 flags;		/* QNPU_JOB_* */
	__le64 reserved0[5];
	/* written by the device on completion */
	__le32 status;		/* enum qnpu_status (qnpu_cmdbuf.h) */
	__le32 error_offset;	/* byte offset of the failing descriptor */
	__le64 fault_addr;	/* device VA of an MMU fault */
	__le64 cycles;		/* modelled cycles of this job */
	__le64 macs;
	__le64 dram_rd;
	__le64 dram_wr;
	__le64 reserved1[2];
};

#define QNPU_RING_SLOT_SIZE		128
#define QNPU_JOB_IRQ			(1u << 0)	/* interrupt on end */

#endif /* QNPU_REGS_H */
