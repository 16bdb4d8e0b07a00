// SPDX-License-Identifier: GPL-2.0
/*
 * qnpu jobs: submission through drm_sched onto the device ring, completion
 * fences, waiting, and recovery from hangs by device reset
 * (docs/hardware.md, sections 9 and 17).
 *
 * Copyright (c) 2026 The qnpu authors
 */

#include <linux/dma-resv.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/ww_mutex.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_drv.h>
#include <drm/drm_print.h>
#include <drm/drm_syncobj.h>

#include "qnpu_accel.h"
#include "qnpu_cmdbuf.h"
#include "qnpu_gem.h"
#include "qnpu_hw.h"
#include "qnpu_job.h"

#define QNPU_MAX_IN_SYNCOBJS	64

static struct qnpu_job *to_qnpu_job(struct drm_sched_job *sched_job)
{
	return container_of(sched_job, struct qnpu_job, base);
}

/* ---- hardware fences ---- */

static const char *qnpu_fence_driver_name(struct dma_fence *fence)
{
	return QNPU_DRIVER_NAME;
}

static const char *qnpu_fence_timeline_name(struct dma_fence *fence)
{
	return "qnpu-ring";
}

static const struct dma_fence_ops qnpu_fence_ops = {
	.get_driver_name = qnpu_fence_driver_name,
	.get_timeline_name = qnpu_fence_timeline_name,
};

/* ---- job records ---- */

static void qnpu_record_release(struct kref *ref)
{
	struct qnpu_job_record *rec = container_of(ref, struct qnpu_job_record,
						   ref);

	dma_fence_put(rec->finished);
	kfree(rec);
}

static void qnpu_record_put(struct qnpu_job_record *rec)
{
	kref_put(&rec->ref, qnpu_record_release);
}

/* ---- the ring ---- */

static struct qnpu_ring_slot *qnpu_slot(struct qnpu_device *qdev, u32 index)
{
	return (struct qnpu_ring_slot *)qdev->ring.cpu +
	       (index & (QNPU_RING_ENTRIES - 1));
}

/**
 * qnpu_job_hw_init() - program the ring and fence address, enable the
 *	device (at probe and after every reset)
 * @qdev: the device, just reset
 */
void qnpu_job_hw_init(struct qnpu_device *qdev)
{
	__le64 *fence = qdev->fence_page.cpu;

	WRITE_ONCE(*fence, 0);
	qdev->ring_tail = 0;
	qdev->ring_head = 0;
	qnpu_mmu_hw_init(qdev);
	qnpu_write(qdev, QNPU_REG_RING_BASE_LO, lower_32_bits(qdev->ring.dma));
	qnpu_write(qdev, QNPU_REG_RING_BASE_HI, upper_32_bits(qdev->ring.dma));
	qnpu_write(qdev, QNPU_REG_RING_SIZE, QNPU_RING_ENTRIES);
	qnpu_write(qdev, QNPU_REG_FENCE_ADDR_LO,
		   lower_32_bits(qdev->fence_page.dma));
	qnpu_write(qdev, QNPU_REG_FENCE_ADDR_HI,
		   upper_32_bits(qdev->fence_page.dma));
	qnpu_write(qdev, QNPU_REG_IRQ_ACK, QNPU_IRQ_ALL);
	qnpu_write(qdev, QNPU_REG_IRQ_MASK, QNPU_IRQ_JOB_DONE |
		   QNPU_IRQ_JOB_ERROR | QNPU_IRQ_MMU_FAULT);
	qnpu_write(qdev, QNPU_REG_CTRL, QNPU_CTRL_ENABLE);
}

/* Read back a finished slot into the job's record; signal its fence. */
static void qnpu_job_retire(struct qnpu_job *job, struct qnpu_ring_slot *slot)
{
	struct qnpu_job_record *rec = job->rec;

	rec->status = le32_to_cpu(READ_ONCE(slot->status));
	rec->error_offset = le32_to_cpu(READ_ONCE(slot->error_offset));
	rec->fault_addr = le64_to_cpu(READ_ONCE(slot->fault_addr));
	rec->cycles = le64_to_cpu(READ_ONCE(slot->cycles));
	if (rec->status != QNPU_STATUS_OK)
		dma_fence_set_error(job->hw_fence, -EIO);
	/* The fence lock is the ring lock, held here. */
	dma_fence_signal_locked(job->hw_fence);
}

/**
 * qnpu_job_irq() - retire every job the device has completed
 * @qdev: the device
 *
 * Called from the interrupt handler. Jobs complete in ring order; the
 * fence word says how far.
 *
 * Return: true when at least one job was retired.
 */
bool qnpu_job_irq(struct qnpu_device *qdev)
{
	u64 done = le64_to_cpu(READ_ONCE(*(__le64 *)qdev->fence_page.cpu));
	bool any = false;
	unsigned long flags;

	/* The slot write-back is visible before the fence (9.2). */
	dma_rmb();
	spin_lock_irqsave(&qdev->ring_lock, flags);
	while (qdev->ring_head != qdev->ring_tail) {
		u32 i = qdev->ring_head & (QNPU_RING_ENTRIES - 1);
		struct qnpu_job *job = qdev->ring_jobs[i];

		if (!job || job->seqno > done)
			break;
		qnpu_job_retire(job, qnpu_slot(qdev, i));
		qdev->ring_jobs[i] = NULL;
		qdev->ring_head++;
		any = true;
	}
	spin_unlock_irqrestore(&qdev->ring_lock, flags);
	return any;
}

/* After a reset: fences of jobs the device dropped must not dangle. */
static void qnpu_ring_cancel(struct qnpu_device *qdev)
{
	unsigned long flags;
	u32 i;

	spin_lock_irqsave(&qdev->ring_lock, flags);
	for (i = 0; i < QNPU_RING_ENTRIES; i++) {
		struct qnpu_job *job = qdev->ring_jobs[i];

		if (!job)
			continue;
		dma_fence_set_error(job->hw_fence, -ECANCELED);
		dma_fence_signal_locked(job->hw_fence);
		qdev->ring_jobs[i] = NULL;
	}
	spin_unlock_irqrestore(&qdev->ring_lock, flags);
}

static struct dma_fence *qnpu_run_job(struct drm_sched_job *sched_job)
{
	struct qnpu_job *job = to_qnpu_job(sched_job);
	struct qnpu_device *qdev = job->qdev;
	struct dma_fence *fence, *old;
	struct qnpu_ring_slot *slot;
	unsigned long flags;
	int idx;

	/* Cancelled (guilty of a hang, or a dependency failed). */
	if (unlikely(job->base.s_fence->finished.error))
		return NULL;
	if (!drm_dev_enter(&qdev->drm, &idx))
		return ERR_PTR(-ENODEV);

	fence = kzalloc(sizeof(*fence), GFP_NOWAIT | __GFP_NOWARN);
	if (!fence) {
		drm_dev_exit(idx);
		return ERR_PTR(-ENOMEM);
	}

	spin_lock_irqsave(&qdev->ring_lock, flags);
	job->seqno = ++qdev->next_seqno;
	dma_fence_init(fence, &qnpu_fence_ops, &qdev->ring_lock,
		       qdev->fence_context, job->seqno);
	old = job->hw_fence;	/* of a run before a reset, signalled */
	job->hw_fence = dma_fence_get(fence);

	slot = qnpu_slot(qdev, qdev->ring_tail);
	memset(slot, 0, sizeof(*slot));
	slot->seqno = cpu_to_le64(job->seqno);
	slot->cmdbuf_va = cpu_to_le64(job->cmdbuf_va);
	slot->cmdbuf_size = cpu_to_le32(job->cmdbuf_size);
	slot->ctx = cpu_to_le16(job->qfile->ctx);
	slot->flags = cpu_to_le16(QNPU_JOB_IRQ);
	qdev->ring_jobs[qdev->ring_tail & (QNPU_RING_ENTRIES - 1)] = job;
	qdev->ring_tail++;
	/* writel orders the slot (coherent memory) before the doorbell. */
	qnpu_write(qdev, QNPU_REG_RING_TAIL, qdev->ring_tail);
	spin_unlock_irqrestore(&qdev->ring_lock, flags);

	dma_fence_put(old);
	drm_dev_exit(idx);
	return fence;
}

/**
 * qnpu_reset() - reset the device and re-run the jobs it lost
 * @qdev: the device
 * @bad: the job that hung (it fails with QNPU_STATUS_TIMEOUT), or NULL
 *
 * Innocent jobs that were on the ring run again from the start; the
 * scheduler keeps the order.
 */
void qnpu_reset(struct qnpu_device *qdev, struct drm_sched_job *bad)
{
	int idx;

	mutex_lock(&qdev->reset_lock);
	drm_sched_stop(&qdev->sched, bad);
	/*
	 * Only the hung job fails. drm_sched's karma would also cancel every
	 * later job of the same file; those are innocent and run again.
	 */
	if (bad) {
		to_qnpu_job(bad)->rec->status = QNPU_STATUS_TIMEOUT;
		dma_fence_set_error(&bad->s_fence->finished, -ETIME);
	}

	if (drm_dev_enter(&qdev->drm, &idx)) {
		qnpu_write(qdev, QNPU_REG_IRQ_MASK, 0);
		synchronize_irq(qdev->irq);
		qnpu_job_irq(qdev);	/* what finished before the reset */
		if (qnpu_hw_reset(qdev))
			drm_err(&qdev->drm, "reset failed; jobs will time out\n");
		qnpu_ring_cancel(qdev);
		atomic64_inc(&qdev->resets);
		qnpu_job_hw_init(qdev);
		drm_dev_exit(idx);
	} else {
		qnpu_ring_cancel(qdev);
	}

	drm_sched_resubmit_jobs(&qdev->sched);
	drm_sched_start(&qdev->sched);
	mutex_unlock(&qdev->reset_lock);
}

static enum drm_gpu_sched_stat qnpu_timedout_job(struct drm_sched_job *sched_job)
{
	struct qnpu_job *job = to_qnpu_job(sched_job);
	struct qnpu_device *qdev = job->qdev;

	if (job->hw_fence && dma_fence_is_signaled(job->hw_fence))
		return DRM_GPU_SCHED_STAT_NOMINAL;
	synchronize_irq(qdev->irq);
	if (job->hw_fence && dma_fence_is_signaled(job->hw_fence))
		return DRM_GPU_SCHED_STAT_NOMINAL;

	drm_warn(&qdev->drm, "job %llu of context %u timed out; resetting\n",
		 job->seqno, job->qfile->ctx);
	qnpu_reset(qdev, sched_job);
	return DRM_GPU_SCHED_STAT_NOMINAL;
}

static void qnpu_job_release(struct kref *ref)
{
	struct qnpu_job *job = container_of(ref, struct qnpu_job, ref);
	u32 i;

	for (i = 0; i < job->bo_count; i++) {
		if (job->maps[i])
			qnpu_mapping_put(job->maps[i]);
		drm_gem_object_put(job->bos[i]);
	}
	kvfree(job->maps);
	kvfree(job->bos);
	dma_fence_put(job->hw_fence);
	qnpu_record_put(job->rec);
	atomic_dec(&job->qfile->queued);
	qnpu_file_put(job->qfile);
	kfree(job);
}

static void qnpu_job_put(struct qnpu_job *job)
{
	kref_put(&job->ref, qnpu_job_release);
}

static void qnpu_free_job(struct drm_sched_job *sched_job)
{
	drm_sched_job_cleanup(sched_job);
	qnpu_job_put(to_qnpu_job(sched_job));
}

static const struct drm_sched_backend_ops qnpu_sched_ops = {
	.run_job = qnpu_run_job,
	.timedout_job = qnpu_timedout_job,
	.free_job = qnpu_free_job,
};

/**
 * qnpu_job_dev_init() - ring, fence word and scheduler of a device
 * @qdev: the device, reset, MMU set up
 *
 * Return: 0 or a negative errno.
 */
int qnpu_job_dev_init(struct qnpu_device *qdev)
{
	struct drm_sched_init_args args = {
		.ops = &qnpu_sched_ops,
		.num_rqs = DRM_SCHED_PRIORITY_COUNT,
		.credit_limit = QNPU_RING_ENTRIES - 1,
		.hang_limit = 0,
		.timeout = msecs_to_jiffies(max(qnpu_job_timeout_ms, 10u)),
		.name = QNPU_DRIVER_NAME,
		.dev = qdev->drm.dev,
	};
	struct device *dev = &qdev->pdev->dev;
	int ret;

	if (qdev->caps.ring_entries < QNPU_RING_ENTRIES)
		return -ENODEV;
	spin_lock_init(&qdev->ring_lock);
	mutex_init(&qdev->reset_lock);
	qdev->fence_context = dma_fence_context_alloc(1);
	qdev->ring_size = QNPU_RING_ENTRIES * QNPU_RING_SLOT_SIZE;
	qdev->ring.cpu = dma_alloc_coherent(dev, qdev->ring_size, &qdev->ring.dma,
					    GFP_KERNEL);
	qdev->fence_page.cpu = dma_alloc_coherent(dev, PAGE_SIZE,
						  &qdev->fence_page.dma,
						  GFP_KERNEL);
	if (!qdev->ring.cpu || !qdev->fence_page.cpu) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = drm_sched_init(&qdev->sched, &args);
	if (ret)
		goto err_free;
	qnpu_job_hw_init(qdev);
	return 0;

err_free:
	if (qdev->ring.cpu)
		dma_free_coherent(dev, qdev->ring_size, qdev->ring.cpu,
				  qdev->ring.dma);
	if (qdev->fence_page.cpu)
		dma_free_coherent(dev, PAGE_SIZE, qdev->fence_page.cpu,
				  qdev->fence_page.dma);
	return ret;
}

/**
 * qnpu_job_dev_fini() - stop the scheduler and free the ring
 * @qdev: the device, unplugged and quiesced
 */
void qnpu_job_dev_fini(struct qnpu_device *qdev)
{
	struct device *dev = &qdev->pdev->dev;

	drm_sched_fini(&qdev->sched);
	qnpu_ring_cancel(qdev);
	dma_free_coherent(dev, qdev->ring_size, qdev->ring.cpu, qdev->ring.dma);
	dma_free_coherent(dev, PAGE_SIZE, qdev->fence_page.cpu,
			  qdev->fence_page.dma);
	mutex_destroy(&qdev->reset_lock);
}

/**
 * qnpu_job_file_init() - scheduler entities and job table of a new file
 * @qfile: the file
 *
 * Return: 0 or a negative errno.
 */
int qnpu_job_file_init(struct qnpu_file *qfile)
{
	struct drm_gpu_scheduler *sched = &qfile->qdev->sched;
	int i, ret;

	xa_init(&qfile->jobs);
	for (i = 0; i < DRM_SCHED_PRIORITY_COUNT; i++) {
		ret = drm_sched_entity_init(&qfile->entities[i], i, &sched, 1,
					    NULL);
		if (ret) {
			while (--i >= 0)
				drm_sched_entity_destroy(&qfile->entities[i]);
			return ret;
		}
	}
	return 0;
}

/**
 * qnpu_job_file_fini() - the file is closing: stop its queued jobs
 * @qfile: the file
 *
 * Jobs already running finish; their references keep the address space.
 */
void qnpu_job_file_fini(struct qnpu_file *qfile)
{
	int i;

	for (i = 0; i < DRM_SCHED_PRIORITY_COUNT; i++)
		drm_sched_entity_destroy(&qfile->entities[i]);
}

/**
 * qnpu_job_file_release() - free the job records of a file
 * @qfile: the file, with no job left
 */
void qnpu_job_file_release(struct qnpu_file *qfile)
{
	struct qnpu_job_record *rec;
	unsigned long id;

	xa_for_each(&qfile->jobs, id, rec)
		qnpu_record_put(rec);
	xa_destroy(&qfile->jobs);
}

/* ---- SUBMIT ---- */

static int qnpu_cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/* Copy and check the BO handles; @cmdbuf is appended when missing. */
static int qnpu_job_lookup_bos(struct qnpu_job *job, struct drm_file *file,
			       const struct drm_qnpu_submit *args)
{
	u32 count = args->bo_count, i, *handles, *sorted;
	bool has_cmdbuf = false;
	int ret = 0;

	handles = kvmalloc_array(count + 1, sizeof(u32), GFP_KERNEL);
	sorted = kvmalloc_array(count + 1, sizeof(u32), GFP_KERNEL);
	if (!handles || !sorted) {
		ret = -ENOMEM;
		goto out;
	}
	if (count && copy_from_user(handles, u64_to_user_ptr(args->bo_handles),
				    count * sizeof(u32))) {
		ret = -EFAULT;
		goto out;
	}
	memcpy(sorted, handles, count * sizeof(u32));
	sort(sorted, count, sizeof(u32), qnpu_cmp_u32, NULL);
	for (i = 0; i < count; i++) {
		if (i && sorted[i] == sorted[i - 1]) {
			ret = -EINVAL;		/* duplicate handle */
			goto out;
		}
		has_cmdbuf |= sorted[i] == args->cmdbuf_handle;
	}
	if (!has_cmdbuf)
		handles[count++] = args->cmdbuf_handle;

	job->bos = kvcalloc(count, sizeof(*job->bos), GFP_KERNEL);
	job->maps = kvcalloc(count, sizeof(*job->maps), GFP_KERNEL);
	if (!job->bos || !job->maps) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < count; i++) {
		job->bos[i] = drm_gem_object_lookup(file, handles[i]);
		if (!job->bos[i]) {
			ret = -ENOENT;
			goto out;
		}
		job->bo_count++;
		job->maps[i] = qnpu_mapping_get(to_qnpu_bo(job->bos[i]),
						job->qfile);
		if (!job->maps[i]) {
			ret = -ENOENT;	/* handle closed meanwhile */
			goto out;
		}
		if (handles[i] == args->cmdbuf_handle)
			job->cmdbuf_va = job->maps[i]->node.start +
					 args->cmdbuf_offset;
	}
out:
	kvfree(handles);
	kvfree(sorted);
	return ret;
}

static int qnpu_submit_check(struct qnpu_device *qdev,
			     const struct drm_qnpu_submit *args)
{
	if (args->flags || args->pad || args->job_id)
		return -EINVAL;
	if (args->priority > DRM_QNPU_PRIORITY_HIGH)
		return -EINVAL;
	if (args->priority == DRM_QNPU_PRIORITY_HIGH && !capable(CAP_SYS_NICE))
		return -EPERM;
	if (args->cmdbuf_size < sizeof(struct qnpu_cmdbuf_header) ||
	    args->cmdbuf_size % QNPU_CMDBUF_ALIGN ||
	    args->cmdbuf_offset % QNPU_CMDBUF_ALIGN)
		return -EINVAL;
	if (args->cmdbuf_size > qdev->caps.max_cmdbuf)
		return -E2BIG;
	if (args->bo_count > QNPU_MAX_BO_HANDLES ||
	    args->in_syncobj_count > QNPU_MAX_IN_SYNCOBJS)
		return -E2BIG;
	if ((args->bo_count && !args->bo_handles) ||
	    (args->in_syncobj_count && !args->in_syncobjs))
		return -EFAULT;
	return 0;
}

static int qnpu_job_add_in_fences(struct qnpu_job *job, struct drm_file *file,
				  const struct drm_qnpu_submit *args)
{
	u32 handles[QNPU_MAX_IN_SYNCOBJS], i;
	int ret;

	if (!args->in_syncobj_count)
		return 0;
	if (copy_from_user(handles, u64_to_user_ptr(args->in_syncobjs),
			   args->in_syncobj_count * sizeof(u32)))
		return -EFAULT;
	for (i = 0; i < args->in_syncobj_count; i++) {
		ret = drm_sched_job_add_syncobj_dependency(&job->base, file,
							   handles[i], 0);
		if (ret)
			return ret;
	}
	return 0;
}

static const enum drm_sched_priority qnpu_prio[] = {
	[DRM_QNPU_PRIORITY_LOW] = DRM_SCHED_PRIORITY_LOW,
	[DRM_QNPU_PRIORITY_NORMAL] = DRM_SCHED_PRIORITY_NORMAL,
	[DRM_QNPU_PRIORITY_HIGH] = DRM_SCHED_PRIORITY_HIGH,
};

/* Lock the BOs, take their fences as dependencies, queue the job. */
static int qnpu_job_push(struct qnpu_job *job, struct qnpu_file *qfile,
			 u64 *job_id)
{
	struct ww_acquire_ctx ww;
	u32 i;
	int ret;

	ret = drm_gem_lock_reservations(job->bos, job->bo_count, &ww);
	if (ret)
		return ret;
	for (i = 0; i < job->bo_count; i++) {
		ret = dma_resv_reserve_fences(job->bos[i]->resv, 1);
		if (!ret)
			ret = drm_sched_job_add_implicit_dependencies(&job->base,
								      job->bos[i],
								      true);
		if (ret)
			goto out;
	}

	mutex_lock(&qfile->mm_lock);
	*job_id = ++qfile->next_job_id;
	ret = xa_err(xa_store(&qfile->jobs, *job_id, job->rec, GFP_KERNEL));
	if (ret) {
		mutex_unlock(&qfile->mm_lock);
		goto out;
	}
	kref_get(&job->rec->ref);
	if (*job_id > QNPU_JOB_RECORDS) {
		struct qnpu_job_record *old;

		old = xa_erase(&qfile->jobs, *job_id - QNPU_JOB_RECORDS);
		if (old)
			qnpu_record_put(old);
	}
	drm_sched_job_arm(&job->base);
	job->rec->finished = dma_fence_get(&job->base.s_fence->finished);
	for (i = 0; i < job->bo_count; i++)
		dma_resv_add_fence(job->bos[i]->resv, job->rec->finished,
				   DMA_RESV_USAGE_WRITE);
	/* The scheduler's reference: the job may end before we return. */
	kref_get(&job->ref);
	drm_sched_entity_push_job(&job->base);
	mutex_unlock(&qfile->mm_lock);
out:
	drm_gem_unlock_reservations(job->bos, job->bo_count, &ww);
	return ret;
}

/**
 * qnpu_submit_ioctl() - %DRM_IOCTL_QNPU_SUBMIT
 * @drm: the device
 * @data: &struct drm_qnpu_submit
 * @file: the caller
 *
 * Return: 0 with the job queued; -EINVAL for non-zero flags/padding, a
 * bad size or alignment, duplicate handles or a command buffer outside
 * its BO; -E2BIG over a limit; -ENOENT for an unknown handle or syncobj;
 * -EFAULT for a bad pointer; -EBUSY with too many jobs queued; -EPERM for
 * high priority without CAP_SYS_NICE.
 */
int qnpu_submit_ioctl(struct drm_device *drm, void *data,
		      struct drm_file *file)
{
	struct qnpu_device *qdev = to_qnpu_device(drm);
	struct qnpu_file *qfile = file->driver_priv;
	struct drm_qnpu_submit *args = data;
	struct drm_syncobj *out_sync = NULL;
	struct drm_gem_object *cmdbuf;
	struct qnpu_job *job;
	u64 job_id = 0;
	int ret;

	ret = qnpu_submit_check(qdev, args);
	if (ret)
		return ret;

	cmdbuf = drm_gem_object_lookup(file, args->cmdbuf_handle);
	if (!cmdbuf)
		return -ENOENT;
	if (args->cmdbuf_offset > cmdbuf->size ||
	    args->cmdbuf_size > cmdbuf->size - args->cmdbuf_offset) {
		drm_gem_object_put(cmdbuf);
		return -EINVAL;
	}
	drm_gem_object_put(cmdbuf);

	if (args->out_syncobj) {
		out_sync = drm_syncobj_find(file, args->out_syncobj);
		if (!out_sync)
			return -ENOENT;
	}

	if (atomic_inc_return(&qfile->queued) > qnpu_max_jobs_per_file) {
		atomic_dec(&qfile->queued);
		ret = -EBUSY;
		goto out_sync;
	}

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (job)
		job->rec = kzalloc(sizeof(*job->rec), GFP_KERNEL);
	if (!job || !job->rec) {
		if (job)
			kfree(job->rec);
		kfree(job);
		atomic_dec(&qfile->queued);
		ret = -ENOMEM;
		goto out_sync;
	}
	kref_init(&job->rec->ref);
	kref_init(&job->ref);
	job->rec->status = QNPU_STATUS_ABORTED;
	job->qdev = qdev;
	job->qfile = qfile;
	qnpu_file_get(qfile);
	job->cmdbuf_size = args->cmdbuf_size;

	ret = drm_sched_job_init(&job->base,
				 &qfile->entities[qnpu_prio[args->priority]], 1,
				 qfile, file->client_id);
	if (ret) {
		job->base.sched = NULL;
		goto err_job;
	}
	ret = qnpu_job_lookup_bos(job, file, args);
	if (!ret)
		ret = qnpu_job_add_in_fences(job, file, args);
	if (!ret)
		ret = qnpu_job_push(job, qfile, &job_id);
	if (ret) {
		drm_sched_job_cleanup(&job->base);
		job->base.sched = NULL;
		goto err_job;
	}

	if (out_sync)
		drm_syncobj_replace_fence(out_sync, job->rec->finished);
	args->job_id = job_id;
	qnpu_job_put(job);
	goto out_sync;

err_job:
	qnpu_job_put(job);
out_sync:
	if (out_sync)
		drm_syncobj_put(out_sync);
	return ret;
}

/* ---- WAIT ---- */

static long qnpu_timeout_jiffies(s64 timeout_ns)
{
	u64 j = nsecs_to_jiffies64(timeout_ns);

	return j >= MAX_SCHEDULE_TIMEOUT ? MAX_SCHEDULE_TIMEOUT : (long)j;
}

/**
 * qnpu_wait_ioctl() - %DRM_IOCTL_QNPU_WAIT
 * @drm: the device
 * @data: &struct drm_qnpu_wait
 * @file: the caller
 *
 * Return: 0 once the job (or every job using the BO) has ended; -ETIME
 * on timeout; -ENOENT for an unknown job id or handle; -EINVAL for bad
 * flags, a negative timeout or fields that must be zero.
 */
int qnpu_wait_ioctl(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct qnpu_file *qfile = file->driver_priv;
	struct drm_qnpu_wait *args = data;
	struct qnpu_job_record *rec;
	long timeout, ret;

	if (args->flags & ~DRM_QNPU_WAIT_FLAGS || args->timeout_ns < 0)
		return -EINVAL;
	timeout = qnpu_timeout_jiffies(args->timeout_ns);

	if (args->flags & DRM_QNPU_WAIT_BO) {
		struct drm_gem_object *obj;

		if (args->job_id)
			return -EINVAL;
		obj = drm_gem_object_lookup(file, args->handle);
		if (!obj)
			return -ENOENT;
		ret = dma_resv_wait_timeout(obj->resv, DMA_RESV_USAGE_READ, true,
					    timeout);
		drm_gem_object_put(obj);
		if (ret == 0)
			return -ETIME;
		if (ret < 0)
			return ret;
		args->status = QNPU_STATUS_OK;
		args->error_offset = 0;
		args->fault_addr = 0;
		args->cycles = 0;
		return 0;
	}

	if (args->handle)
		return -EINVAL;
	xa_lock(&qfile->jobs);
	rec = xa_load(&qfile->jobs, args->job_id);
	if (rec)
		kref_get(&rec->ref);
	xa_unlock(&qfile->jobs);
	if (!rec)
		return -ENOENT;

	ret = dma_fence_wait_timeout(rec->finished, true, timeout);
	if (ret == 0)
		ret = -ETIME;
	if (ret > 0) {
		args->status = READ_ONCE(rec->status);
		args->error_offset = rec->error_offset;
		args->fault_addr = rec->fault_addr;
		args->cycles = rec->cycles;
		ret = 0;
	}
	qnpu_record_put(rec);
	return ret;
}
