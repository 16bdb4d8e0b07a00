/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef __QNPU_DRV_H__
#define __QNPU_DRV_H__

#include <linux/idr.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>
#include <drm/drm_mm.h>
#include <drm/gpu_scheduler.h>

#define QNPU_DRIVER_NAME	"qnpu"
#define QNPU_DRIVER_DESC	"qnpu INT8 neural processing unit"
#define QNPU_DRIVER_MAJOR	1
#define QNPU_DRIVER_MINOR	0
#define QNPU_DRIVER_PATCH	0

/* Device address range handed out to BOs; low 4 GiB stay unmapped. */
#define QNPU_VA_START		SZ_4G
#define QNPU_MAX_BO_SIZE	SZ_1G
#define QNPU_MAX_BO_HANDLES	256
#define QNPU_JOB_RECORDS	4096	/* statuses a file keeps */
#define QNPU_RING_ENTRIES	256

/* Limits an administrator can tune (module parameters, qnpu_drv.c). */
extern unsigned int qnpu_max_jobs_per_file;
extern unsigned int qnpu_max_bo_mib_per_file;
extern unsigned int qnpu_max_bo_mib_per_device;
extern unsigned int qnpu_job_timeout_ms;

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
 * struct qnpu_dma_page - one page of DMA-coherent memory
 * @cpu: kernel address
 * @dma: device (bus) address
 */
struct qnpu_dma_page {
	void *cpu;
	dma_addr_t dma;
};

struct drm_qnpu_device_info;
struct qnpu_device;
struct qnpu_job;

/**
 * struct qnpu_bus_ops - what differs between the buses a qnpu sits on
 * @stop_dma: at unplug, once the device has been reset for good: keep it
 *	off memory at the bus level too (PCI: clear bus mastering)
 * @fill_ids: optional: set the bus ids of a device info query (PCI ids);
 *	without it they stay zero
 *
 * One const instance per bus front end (qnpu_pci.c, qnpu_platform.c);
 * the core calls these from process context.
 */
struct qnpu_bus_ops {
	void (*stop_dma)(struct qnpu_device *qdev);
	void (*fill_ids)(struct qnpu_device *qdev,
			 struct drm_qnpu_device_info *info);
};

/**
 * struct qnpu_device - one qnpu device, on whichever bus
 * @drm: DRM device, embedded
 * @dev: the bus device: parent of @drm, owner of every DMA mapping
 * @bus: operations of the bus @dev sits on
 * @regs: the register window (PCI BAR0, or the first MMIO resource)
 * @irq: Linux interrupt number
 * @caps: device capabilities
 * @resets: device resets since probe
 * @irqs: interrupts handled
 * @ctx_ida: MMU context ids in use (1 .. contexts - 1)
 * @ctxtbl: the context table
 * @ctxtbl_size: bytes of @ctxtbl
 * @ring: the job ring
 * @ring_size: bytes of @ring
 * @fence_page: where the device writes the last completed seqno
 * @ring_lock: protects the ring indices, @ring_jobs and @next_seqno;
 *	also the lock of the hardware fences
 * @ring_tail: next slot the driver fills (free-running)
 * @ring_head: oldest slot whose job has not been retired
 * @ring_jobs: job occupying each slot, in submission order
 * @next_seqno: seqno of the next job put on the ring
 * @fence_context: dma_fence context of hardware fences
 * @sched: the job scheduler
 * @reset_wq: ordered queue of the scheduler's timeout handler, the debugfs
 *	reset and the unplug quiesce: recoveries never run concurrently
 * @reset_work: a reset asked for through debugfs
 * @jobs_lock: protects @jobs_alive
 * @jobs_alive: jobs created and not yet freed
 * @jobs_freed: woken when @jobs_alive drops to zero
 * @bo_bytes: BO memory held by all files
 * @bos: every BO of the device, to drop their DMA mappings at unplug
 * @bos_lock: protects @bos
 * @files: open files, for debugfs and unplug
 * @files_lock: protects @files
 */
struct qnpu_device {
	struct drm_device drm;
	struct device *dev;
	const struct qnpu_bus_ops *bus;
	void __iomem *regs;
	int irq;
	struct qnpu_caps caps;
	atomic64_t resets;
	atomic64_t irqs;

	struct ida ctx_ida;
	struct qnpu_dma_page ctxtbl;
	size_t ctxtbl_size;

	struct qnpu_dma_page ring;
	size_t ring_size;
	struct qnpu_dma_page fence_page;
	spinlock_t ring_lock;		/* see kernel-doc */
	u32 ring_tail;
	u32 ring_head;
	struct qnpu_job *ring_jobs[QNPU_RING_ENTRIES];
	u64 next_seqno;
	u64 fence_context;

	struct drm_gpu_scheduler sched;
	struct workqueue_struct *reset_wq;
	struct work_struct reset_work;
	spinlock_t jobs_lock;		/* see kernel-doc */
	unsigned int jobs_alive;
	wait_queue_head_t jobs_freed;
	atomic64_t bo_bytes;
	struct list_head bos;
	struct mutex bos_lock;		/* see kernel-doc */

	struct list_head files;
	struct mutex files_lock;	/* see kernel-doc */
};

/**
 * struct qnpu_pt - one page-table page and its children
 * @page: the table the device reads
 * @child: next-level tables (NULL at level 0)
 */
struct qnpu_pt {
	struct qnpu_dma_page page;
	struct qnpu_pt **child;
};

/**
 * struct qnpu_file - per-open-file state: one device address space
 * @ref: held by the open file, its BO mappings and its jobs
 * @qdev: the device
 * @ctx: MMU context id
 * @root: level-2 page table
 * @mm: device VA allocator
 * @mm_lock: protects @mm and the page tables; orders job ids
 * @tables_freed: the device went away and took the page tables with it
 * @entities: one scheduler entity per priority
 * @fence_context: first of the fence contexts of the job fences, one per
 *	priority
 * @fence_seqno: last job fence seqno, per priority
 * @jobs: job records, by id
 * @next_job_id: id of the next job
 * @queued: jobs submitted and not yet freed
 * @bo_bytes: BO memory this file holds
 * @link: in &qnpu_device.files
 * @drm_file: the DRM file
 */
struct qnpu_file {
	struct kref ref;
	struct qnpu_device *qdev;
	u16 ctx;
	struct qnpu_pt root;
	struct drm_mm mm;
	struct mutex mm_lock;		/* see kernel-doc */
	bool tables_freed;
	struct drm_sched_entity entities[DRM_SCHED_PRIORITY_COUNT];
	u64 fence_context;
	u64 fence_seqno[DRM_SCHED_PRIORITY_COUNT];
	struct xarray jobs;
	u64 next_job_id;
	atomic_t queued;
	atomic64_t bo_bytes;
	struct list_head link;
	struct drm_file *drm_file;
};

static inline struct qnpu_device *to_qnpu_device(struct drm_device *drm)
{
	return container_of(drm, struct qnpu_device, drm);
}

int qnpu_query_ioctl(struct drm_device *drm, void *data,
		     struct drm_file *file);

/* Core entry points for the bus front ends (qnpu_pci.c, qnpu_platform.c). */
struct qnpu_device *qnpu_device_alloc(struct device *dev,
				      const struct qnpu_bus_ops *bus);
int qnpu_device_init(struct qnpu_device *qdev);
void qnpu_device_fini(struct qnpu_device *qdev);

/* qnpu_pci.c */
int qnpu_pci_register(void);
void qnpu_pci_unregister(void);

/* qnpu_platform.c */
int qnpu_platform_register(void);
void qnpu_platform_unregister(void);

/* qnpu_mmu.c */
int qnpu_mmu_dev_init(struct qnpu_device *qdev);
void qnpu_mmu_dev_fini(struct qnpu_device *qdev);
void qnpu_mmu_dev_unplug(struct qnpu_device *qdev);
void qnpu_mmu_hw_init(struct qnpu_device *qdev);
int qnpu_mmu_file_init(struct qnpu_file *qfile);
void qnpu_mmu_file_fini(struct qnpu_file *qfile);
int qnpu_mmu_map(struct qnpu_file *qfile, u64 va, struct sg_table *sgt,
		 u64 size, bool writable);
void qnpu_mmu_unmap(struct qnpu_file *qfile, u64 va, u64 size);

#endif /* __QNPU_DRV_H__ */
