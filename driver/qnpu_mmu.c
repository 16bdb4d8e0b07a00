// SPDX-License-Identifier: GPL-2.0
/*
 * qnpu device MMU: the context table and per-file page tables
 * (docs/hardware.md, section 8).
 *
 * Copyright (c) 2026 The qnpu authors
 */

#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_print.h>

#include "qnpu_drv.h"
#include "qnpu_hw.h"

static int qnpu_dma_page_alloc(struct qnpu_device *qdev,
			       struct qnpu_dma_page *p, size_t size)
{
	p->cpu = dma_alloc_coherent(qdev->dev, size, &p->dma, GFP_KERNEL);
	return p->cpu ? 0 : -ENOMEM;
}

static void qnpu_dma_page_free(struct qnpu_device *qdev,
			       struct qnpu_dma_page *p, size_t size)
{
	if (p->cpu)
		dma_free_coherent(qdev->dev, size, p->cpu, p->dma);
	p->cpu = NULL;
}

/**
 * qnpu_mmu_dev_init() - allocate the context table
 * @qdev: the device
 *
 * Return: 0 or -ENOMEM.
 */
int qnpu_mmu_dev_init(struct qnpu_device *qdev)
{
	qdev->ctxtbl_size = PAGE_ALIGN(qdev->caps.contexts *
				       sizeof(struct qnpu_ctx_entry));
	ida_init(&qdev->ctx_ida);
	return qnpu_dma_page_alloc(qdev, &qdev->ctxtbl, qdev->ctxtbl_size);
}

/**
 * qnpu_mmu_dev_fini() - free the context table
 * @qdev: the device, quiesced
 */
void qnpu_mmu_dev_fini(struct qnpu_device *qdev)
{
	/* Files still open keep their ids until they close: no ida_destroy. */
	qnpu_dma_page_free(qdev, &qdev->ctxtbl, qdev->ctxtbl_size);
}

/**
 * qnpu_mmu_hw_init() - point the device at the context table (after reset)
 * @qdev: the device
 */
void qnpu_mmu_hw_init(struct qnpu_device *qdev)
{
	qnpu_write(qdev, QNPU_REG_MMU_CTXTBL_LO, lower_32_bits(qdev->ctxtbl.dma));
	qnpu_write(qdev, QNPU_REG_MMU_CTXTBL_HI, upper_32_bits(qdev->ctxtbl.dma));
	qnpu_write(qdev, QNPU_REG_MMU_INVALIDATE, QNPU_MMU_INVALIDATE_ALL);
}

static struct qnpu_ctx_entry *qnpu_ctx_entry(struct qnpu_device *qdev, u16 ctx)
{
	return (struct qnpu_ctx_entry *)qdev->ctxtbl.cpu + ctx;
}

static int qnpu_pt_init(struct qnpu_device *qdev, struct qnpu_pt *pt,
			bool leaf)
{
	int ret = qnpu_dma_page_alloc(qdev, &pt->page, PAGE_SIZE);

	if (ret)
		return ret;
	pt->child = NULL;
	if (!leaf) {
		pt->child = kcalloc(QNPU_PT_ENTRIES, sizeof(*pt->child),
				    GFP_KERNEL);
		if (!pt->child) {
			qnpu_dma_page_free(qdev, &pt->page, PAGE_SIZE);
			return -ENOMEM;
		}
	}
	return 0;
}

static void qnpu_pt_free(struct qnpu_device *qdev, struct qnpu_pt *pt)
{
	int i;

	if (pt->child) {
		for (i = 0; i < QNPU_PT_ENTRIES; i++) {
			if (pt->child[i]) {
				qnpu_pt_free(qdev, pt->child[i]);
				kfree(pt->child[i]);
			}
		}
		kfree(pt->child);
	}
	qnpu_dma_page_free(qdev, &pt->page, PAGE_SIZE);
}

/**
 * qnpu_mmu_file_init() - give a file its own MMU context
 * @qfile: the file
 *
 * Return: 0, -ENOSPC when every context is taken, or -ENOMEM.
 */
int qnpu_mmu_file_init(struct qnpu_file *qfile)
{
	struct qnpu_device *qdev = qfile->qdev;
	struct qnpu_ctx_entry *e;
	int ctx, ret;

	ctx = ida_alloc_range(&qdev->ctx_ida, 1, qdev->caps.contexts - 1,
			      GFP_KERNEL);
	if (ctx < 0)
		return ctx == -ENOSPC ? -ENOSPC : ctx;
	qfile->ctx = ctx;

	ret = qnpu_pt_init(qdev, &qfile->root, false);
	if (ret) {
		ida_free(&qdev->ctx_ida, ctx);
		return ret;
	}
	mutex_init(&qfile->mm_lock);
	drm_mm_init(&qfile->mm, QNPU_VA_START,
		    (1ull << qdev->caps.va_bits) - QNPU_VA_START);

	e = qnpu_ctx_entry(qdev, ctx);
	WRITE_ONCE(e->reserved, 0);
	/* The device never caches a non-valid entry: no invalidation. */
	WRITE_ONCE(e->root, cpu_to_le64(qfile->root.page.dma | QNPU_CTX_VALID));
	return 0;
}

/**
 * qnpu_mmu_file_fini() - drop a file's context (no job of it may run)
 * @qfile: the file
 */
void qnpu_mmu_file_fini(struct qnpu_file *qfile)
{
	struct qnpu_device *qdev = qfile->qdev;
	int idx;

	/* Called under the device's files_lock, so unplug sees it or not. */
	if (!qfile->tables_freed) {
		if (drm_dev_enter(&qdev->drm, &idx)) {
			WRITE_ONCE(qnpu_ctx_entry(qdev, qfile->ctx)->root, 0);
			qnpu_write(qdev, QNPU_REG_MMU_INVALIDATE, qfile->ctx);
			drm_dev_exit(idx);
		}
		qnpu_pt_free(qdev, &qfile->root);
	}
	drm_mm_takedown(&qfile->mm);
	mutex_destroy(&qfile->mm_lock);
	ida_free(&qdev->ctx_ida, qfile->ctx);
}

/*
 * Free a file's page tables with the device (the file itself may stay
 * open); mapping and unmapping do nothing after.
 */
static void qnpu_mmu_file_unplug(struct qnpu_file *qfile)
{
	mutex_lock(&qfile->mm_lock);
	if (!qfile->tables_freed)
		qnpu_pt_free(qfile->qdev, &qfile->root);
	qfile->tables_freed = true;
	mutex_unlock(&qfile->mm_lock);
}

static unsigned int qnpu_pt_index(u64 va, int level)
{
	return (va >> (QNPU_PAGE_SHIFT + 9 * level)) & (QNPU_PT_ENTRIES - 1);
}

/* The level-0 table covering @va, created on the way if needed. */
static struct qnpu_pt *qnpu_pt_leaf(struct qnpu_file *qfile, u64 va)
{
	struct qnpu_pt *pt = &qfile->root;
	int level, ret;

	for (level = QNPU_PT_LEVELS - 1; level > 0; level--) {
		unsigned int i = qnpu_pt_index(va, level);
		__le64 *entries = pt->page.cpu;

		if (!pt->child[i]) {
			struct qnpu_pt *next = kzalloc(sizeof(*next), GFP_KERNEL);

			if (!next)
				return NULL;
			ret = qnpu_pt_init(qfile->qdev, next, level == 1);
			if (ret) {
				kfree(next);
				return NULL;
			}
			pt->child[i] = next;
			WRITE_ONCE(entries[i],
				   cpu_to_le64(next->page.dma | QNPU_PTE_VALID));
		}
		pt = pt->child[i];
	}
	return pt;
}

/**
 * qnpu_mmu_map() - map pages at a device address of a file
 * @qfile: the file
 * @va: device address, page aligned
 * @sgt: DMA-mapped pages
 * @size: bytes to map, page aligned, at most what @sgt holds
 * @writable: whether the device may write
 *
 * Called with @qfile->mm_lock held. Mapping needs no TLB invalidation:
 * the device never caches non-valid entries.
 *
 * Return: 0 or -ENOMEM (nothing mapped then).
 */
int qnpu_mmu_map(struct qnpu_file *qfile, u64 va, struct sg_table *sgt,
		 u64 size, bool writable)
{
	u64 perms = QNPU_PTE_VALID | QNPU_PTE_READ |
		    (writable ? QNPU_PTE_WRITE : 0);
	struct scatterlist *sg;
	u64 done = 0;
	int i;

	if (qfile->tables_freed)
		return -ENODEV;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t dma = sg_dma_address(sg);
		u64 len = sg_dma_len(sg), off;

		for (off = 0; off < len && done < size; off += PAGE_SIZE) {
			struct qnpu_pt *leaf = qnpu_pt_leaf(qfile, va + done);
			__le64 *entries;

			if (!leaf) {
				qnpu_mmu_unmap(qfile, va, done);
				return -ENOMEM;
			}
			entries = leaf->page.cpu;
			WRITE_ONCE(entries[qnpu_pt_index(va + done, 0)],
				   cpu_to_le64((dma + off) | perms));
			done += PAGE_SIZE;
		}
	}
	if (done == size)
		return 0;
	/* A short table (an imported dma-buf): leave nothing mapped. */
	qnpu_mmu_unmap(qfile, va, done);
	return -EINVAL;
}

/**
 * qnpu_mmu_unmap() - unmap a range and drop the device's cached entries
 * @qfile: the file
 * @va: device address, page aligned
 * @size: bytes, page aligned
 *
 * Called with @qfile->mm_lock held, once no job uses the range.
 */
void qnpu_mmu_unmap(struct qnpu_file *qfile, u64 va, u64 size)
{
	struct qnpu_device *qdev = qfile->qdev;
	u64 off;
	int idx;

	if (qfile->tables_freed)
		return;
	for (off = 0; off < size; off += PAGE_SIZE) {
		struct qnpu_pt *pt = &qfile->root;
		int level;

		for (level = QNPU_PT_LEVELS - 1; level > 0 && pt; level--)
			pt = pt->child[qnpu_pt_index(va + off, level)];
		if (pt) {
			__le64 *entries = pt->page.cpu;

			WRITE_ONCE(entries[qnpu_pt_index(va + off, 0)], 0);
		}
	}
	if (drm_dev_enter(&qdev->drm, &idx)) {
		qnpu_write(qdev, QNPU_REG_MMU_INVALIDATE, qfile->ctx);
		drm_dev_exit(idx);
	}
}

/**
 * qnpu_mmu_dev_unplug() - free every page table and the context table
 *	while the device is still bound (no DMA memory outlives it)
 * @qdev: the device, quiesced, no job left
 */
void qnpu_mmu_dev_unplug(struct qnpu_device *qdev)
{
	struct qnpu_file *qfile;

	mutex_lock(&qdev->files_lock);
	list_for_each_entry(qfile, &qdev->files, link)
		qnpu_mmu_file_unplug(qfile);
	mutex_unlock(&qdev->files_lock);
	qnpu_mmu_dev_fini(qdev);
}
