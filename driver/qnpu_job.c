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

#include <drm/drm_managed.h>

#include "qnpu_accel.h"
#include "qnpu_cmdbuf.h"
#include "qnpu_fence.h"
#include "qnpu_gem.h"
#include "qnpu_hw.h"
#include "qnpu_job.h"

#define QNPU_MAX_IN_SYNCOBJS	64

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

/**
 * qnpu_ring_drop() - forget the ring after a reset; the jobs it held are
 *	still pending in the scheduler, with unsignalled hardware fences
 * @qdev: the device, reset or gone
 */
void qnpu_ring_drop(struct qnpu_device *qdev)
{
	unsigned long flags;

	spin_lock_irqsave(&qdev->ring_lock, flags);
	memset(qdev->ring_jobs, 0, sizeof(qdev->ring_jobs));
	qdev->ring_head = qdev->ring_tail;
	spin_unlock_irqrestore(&qdev->ring_lock, flags);
}

/**
 * qnpu_job_fail() - end the current run of a job that the device will
 *	never write back
 * @job: the job, not on the ring
 * @status: what WAIT reports
 * @error: the fence error
 */
void qnpu_job_fail(struct qnpu_job *job, u32 status, int error)
{
	struct qnpu_device *qdev = job->qdev;
	unsigned long flags;

	spin_lock_irqsave(&qdev->ring_lock, flags);
	if (!dma_fence_is_signaled_locked(job->hw_fence)) {
		job->rec->status = status;
		dma_fence_set_error(job->hw_fence, error);
		dma_fence_signal_locked(job->hw_fence);
	}
	spin_unlock_irqrestore(&qdev->ring_lock, flags);
}

/**
 * qnpu_ring_push() - put a job on the ring with a new hardware fence
 * @job: the job; a previous run, lost to a reset, ends here
 *
 * Return: the new fence (a reference for the caller), or ERR_PTR(-ENOMEM).
 */
struct dma_fence *qnpu_ring_push(struct qnpu_job *job)
{
	struct qnpu_device *qdev = job->qdev;
	struct dma_fence *fence, *old;
	struct qnpu_ring_slot *slot;
	unsigned long flags;

	fence = kzalloc(sizeof(*fence), GFP_NOWAIT | __GFP_NOWARN);
	if (!fence)
		return ERR_PTR(-ENOMEM);

	spin_lock_irqsave(&qdev->ring_lock, flags);
	old = job->hw_fence;
	if (old && !dma_fence_is_signaled_locked(old)) {
		dma_fence_set_error(old, -ECANCELED);
		dma_fence_signal_locked(old);
	}
	job->seqno = ++qdev->next_seqno;
	dma_fence_init(fence, &qnpu_hw_fence_ops, &qdev->ring_lock,
		       qdev->fence_context, job->seqno);
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
	return fence;
}

static struct dma_fence *qnpu_run_job(struct drm_sched_job *sched_job)
{
	struct qnpu_job *job = to_qnpu_job(sched_job);
	struct dma_fence *fence;
	int idx;

	/* Cancelled: its entity was killed. */
	if (unlikely(job->base.s_fence->finished.error))
		return NULL;
	if (!drm_dev_enter(&job->qdev->drm, &idx))
		return ERR_PTR(-ENODEV);
	fence = qnpu_ring_push(job);
	drm_dev_exit(idx);
	return fence;
}

static enum drm_gpu_sched_stat qnpu_timedout_job(struct drm_sched_job *sched_job)
{
	struct qnpu_job *job = to_qnpu_job(sched_job);
	struct qnpu_device *qdev = job->qdev;
	bool hung = false;
	int idx;

	if (drm_dev_enter(&qdev->drm, &idx)) {
		/* A completion whose interrupt is still on its way. */
		qnpu_job_irq(qdev);
		hung = job->hw_fence && !dma_fence_is_signaled(job->hw_fence);
		drm_dev_exit(idx);
	}
	if (hung)
		drm_warn(&qdev->drm, "job %llu of context %u timed out; resetting\n",
			 job->seqno, job->qfile->ctx);
	/* Not hung: it still goes back on the pending list, to be freed. */
	qnpu_recover(qdev, sched_job, hung);
	return DRM_GPU_SCHED_STAT_NOMINAL;
}

static void qnpu_jobs_get(struct qnpu_device *qdev)
{
	spin_lock_irq(&qdev->jobs_lock);
	qdev->jobs_alive++;
	spin_unlock_irq(&qdev->jobs_lock);
}

/*
 * The last thing a job does with the device. Unplug waits for the count
 * and then takes the lock once more, so it cannot free the device while
 * the wake-up is still under way.
 */
static void qnpu_jobs_put(struct qnpu_device *qdev)
{
	unsigned long flags;

	spin_lock_irqsave(&qdev->jobs_lock, flags);
	if (!--qdev->jobs_alive)
		wake_up_all(&qdev->jobs_freed);
	spin_unlock_irqrestore(&qdev->jobs_lock, flags);
}

static void qnpu_job_release(struct kref *ref)
{
	struct qnpu_job *job = container_of(ref, struct qnpu_job, ref);
	struct qnpu_device *qdev = job->qdev;
	u32 i;

	for (i = 0; i < job->bo_count; i++) {
		if (job->maps[i])
			qnpu_mapping_put(job->maps[i]);
		drm_gem_object_put(job->bos[i]);
	}
	kvfree(job->maps);
	kvfree(job->bos);
	dma_fence_put(job->hw_fence);
	qnpu_job_fence_free(job->job_fence);
	qnpu_record_put(job->rec);
	atomic_dec(&job->qfile->queued);
	qnpu_file_put(job->qfile);
	kfree(job);
	qnpu_jobs_put(qdev);
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

static void qnpu_ring_free(struct qnpu_device *qdev)
{
	struct device *dev = qdev->dev;

	if (qdev->ring.cpu)
		dma_free_coherent(dev, qdev->ring_size, qdev->ring.cpu,
				  qdev->ring.dma);
	if (qdev->fence_page.cpu)
		dma_free_coherent(dev, PAGE_SIZE, qdev->fence_page.cpu,
				  qdev->fence_page.dma);
	qdev->ring.cpu = NULL;
	qdev->fence_page.cpu = NULL;
}

/* With the DRM device: open files' entities use it until they close. */
static void qnpu_sched_release(struct drm_device *drm, void *sched)
{
	drm_sched_fini(sched);
}

/**
 * qnpu_job_dev_init() - ring, fence word and scheduler of a device
 * @qdev: the device, reset, MMU and reset queue set up
 *
 * On success the device is enabled; on failure nothing is left.
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
		.timeout_wq = qdev->reset_wq,
		.timeout = msecs_to_jiffies(max(qnpu_job_timeout_ms, 10u)),
		.name = QNPU_DRIVER_NAME,
		.dev = qdev->dev,
	};
	struct device *dev = qdev->dev;
	int ret;

	if (qdev->caps.ring_entries < QNPU_RING_ENTRIES)
		return -ENODEV;
	spin_lock_init(&qdev->ring_lock);
	spin_lock_init(&qdev->jobs_lock);
	init_waitqueue_head(&qdev->jobs_freed);
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
	ret = drmm_add_action_or_reset(&qdev->drm, qnpu_sched_release,
				       &qdev->sched);
	if (ret)
		goto err_free;
	qnpu_job_hw_init(qdev);
	return 0;

err_free:
	qnpu_ring_free(qdev);
	return ret;
}

/**
 * qnpu_job_dev_fini() - free the ring (probe failed after
 *	qnpu_job_dev_init(); the device is disabled)
 * @qdev: the device
 */
void qnpu_job_dev_fini(struct qnpu_device *qdev)
{
	qnpu_ring_free(qdev);
}

/**
 * qnpu_job_dev_unplug() - wait until every job is freed, then let go of
 *	the ring and the interrupt
 * @qdev: the device, quiesced by qnpu_reset_unplug()
 *
 * Jobs still queued in entities run into -ENODEV and end. The scheduler
 * stays (stopped) until the DRM device is released: files open across the
 * unplug still have entities on it.
 */
void qnpu_job_dev_unplug(struct qnpu_device *qdev)
{
	spin_lock_irq(&qdev->jobs_lock);
	wait_event_lock_irq(qdev->jobs_freed, !qdev->jobs_alive,
			    qdev->jobs_lock);
	spin_unlock_irq(&qdev->jobs_lock);

	cancel_delayed_work_sync(&qdev->sched.work_tdr);
	drm_sched_wqueue_stop(&qdev->sched);
	qnpu_hw_irq_fini(qdev);
	qnpu_ring_free(qdev);
}

/**
 * qnpu_job_file_init() - scheduler entities, fence contexts and job table
 *	of a new file
 * @qfile: the file
 *
 * Return: 0 or a negative errno.
 */
int qnpu_job_file_init(struct qnpu_file *qfile)
{
	struct drm_gpu_scheduler *sched = &qfile->qdev->sched;
	int i, ret;

	xa_init(&qfile->jobs);
	qfile->fence_context = dma_fence_context_alloc(DRM_SCHED_PRIORITY_COUNT);
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

static int qnpu_cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* Two handles to one BO (GEM_OPEN of its flink name gives a second one). */
static bool qnpu_has_duplicates(struct drm_gem_object **bos, u32 count)
{
	struct drm_gem_object **sorted;
	bool dup = false;
	u32 i;

	sorted = kvmemdup(bos, count * sizeof(*bos), GFP_KERNEL);
	if (!sorted)
		return true;
	sort(sorted, count, sizeof(*sorted), qnpu_cmp_ptr, NULL);
	for (i = 1; i < count && !dup; i++)
		dup = sorted[i] == sorted[i - 1];
	kvfree(sorted);
	return dup;
}

/* Look up and check the BOs; the command buffer's is added when missing. */
static int qnpu_job_lookup_bos(struct qnpu_job *job, struct drm_file *file,
			       const struct drm_qnpu_submit *args)
{
	u32 count = args->bo_count, i, *handles;
	struct drm_gem_object *cmdbuf;
	int ret = 0;

	handles = kvmalloc_array(count + 1, sizeof(u32), GFP_KERNEL);
	job->bos = kvcalloc(count + 1, sizeof(*job->bos), GFP_KERNEL);
	job->maps = kvcalloc(count + 1, sizeof(*job->maps), GFP_KERNEL);
	if (!handles || !job->bos || !job->maps) {
		ret = -ENOMEM;
		goto out;
	}
	if (count && copy_from_user(handles, u64_to_user_ptr(args->bo_handles),
				    count * sizeof(u32))) {
		ret = -EFAULT;
		goto out;
	}
	for (i = 0; i < count; i++) {
		job->bos[i] = drm_gem_object_lookup(file, handles[i]);
		if (!job->bos[i]) {
			ret = -ENOENT;
			goto out;
		}
		job->bo_count++;
	}
	if (qnpu_has_duplicates(job->bos, count)) {
		ret = -EINVAL;
		goto out;
	}

	cmdbuf = drm_gem_object_lookup(file, args->cmdbuf_handle);
	if (!cmdbuf) {
		ret = -ENOENT;
		goto out;
	}
	for (i = 0; i < count && job->bos[i] != cmdbuf; i++)
		;
	if (i < count)
		drm_gem_object_put(cmdbuf);
	else
		job->bos[job->bo_count++] = cmdbuf;

	for (i = 0; i < job->bo_count; i++) {
		job->maps[i] = qnpu_mapping_get(to_qnpu_bo(job->bos[i]),
						job->qfile);
		if (!job->maps[i]) {
			ret = -ENOENT;	/* handle closed meanwhile */
			goto out;
		}
		if (job->bos[i] == cmdbuf)
			job->cmdbuf_va = job->maps[i]->node.start +
					 args->cmdbuf_offset;
	}
out:
	kvfree(handles);
	return ret;
}

static int qnpu_submit_check(struct qnpu_device *qdev,
			     const struct drm_qnpu_submit *args)
{
	/* job_id is output only: whatever it holds on input is ignored. */
	if (args->flags || args->pad)
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

/*
 * Past drm_sched_job_arm() nothing may fail: publish the record (its slot
 * reserved beforehand, so the store allocates nothing) only once its fence
 * is set, so WAIT never sees a record without one.
 */
static struct dma_fence *qnpu_job_commit(struct qnpu_job *job,
					 struct qnpu_file *qfile, u64 job_id)
{
	struct qnpu_job_record *rec = job->rec, *old;
	struct dma_fence *out;
	u32 i;

	drm_sched_job_arm(&job->base);
	rec->finished = dma_fence_get(&job->base.s_fence->finished);
	out = qnpu_job_fence_arm(job->job_fence, rec->finished,
				 qfile->fence_context + job->prio,
				 ++qfile->fence_seqno[job->prio]);
	job->job_fence = NULL;
	for (i = 0; i < job->bo_count; i++)
		dma_resv_add_fence(job->bos[i]->resv, out, DMA_RESV_USAGE_WRITE);

	kref_get(&rec->ref);
	xa_store(&qfile->jobs, job_id, rec, GFP_KERNEL);
	if (job_id > QNPU_JOB_RECORDS) {
		old = xa_erase(&qfile->jobs, job_id - QNPU_JOB_RECORDS);
		if (old)
			qnpu_record_put(old);
	}
	/* The scheduler's reference: the job may end before we return. */
	kref_get(&job->ref);
	drm_sched_entity_push_job(&job->base);
	return out;
}

/* Lock the BOs, take their fences as dependencies, queue the job. */
static int qnpu_job_push(struct qnpu_job *job, struct qnpu_file *qfile,
			 u64 *job_id, struct dma_fence **out)
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
	ret = xa_reserve(&qfile->jobs, qfile->next_job_id + 1, GFP_KERNEL);
	if (!ret) {
		*job_id = ++qfile->next_job_id;
		*out = qnpu_job_commit(job, qfile, *job_id);
	}
	mutex_unlock(&qfile->mm_lock);
out:
	drm_gem_unlock_reservations(job->bos, job->bo_count, &ww);
	return ret;
}

static struct qnpu_job *qnpu_job_alloc(struct qnpu_file *qfile,
				       const struct drm_qnpu_submit *args)
{
	struct qnpu_job *job = kzalloc(sizeof(*job), GFP_KERNEL);

	if (!job)
		return NULL;
	job->rec = kzalloc(sizeof(*job->rec), GFP_KERNEL);
	job->job_fence = qnpu_job_fence_alloc();
	if (!job->rec || !job->job_fence) {
		qnpu_job_fence_free(job->job_fence);
		kfree(job->rec);
		kfree(job);
		return NULL;
	}
	kref_init(&job->rec->ref);
	kref_init(&job->ref);
	job->rec->status = QNPU_STATUS_ABORTED;
	job->qdev = qfile->qdev;
	job->qfile = qfile;
	job->prio = qnpu_prio[args->priority];
	job->cmdbuf_size = args->cmdbuf_size;
	qnpu_file_get(qfile);
	qnpu_jobs_get(qfile->qdev);
	return job;
}

static int qnpu_check_cmdbuf_range(struct drm_file *file,
				   const struct drm_qnpu_submit *args)
{
	struct drm_gem_object *cmdbuf;
	int ret = 0;

	cmdbuf = drm_gem_object_lookup(file, args->cmdbuf_handle);
	if (!cmdbuf)
		return -ENOENT;
	if (args->cmdbuf_offset > cmdbuf->size ||
	    args->cmdbuf_size > cmdbuf->size - args->cmdbuf_offset)
		ret = -EINVAL;
	drm_gem_object_put(cmdbuf);
	return ret;
}

static int qnpu_submit(struct drm_file *file, struct drm_qnpu_submit *args,
		       struct drm_syncobj *out_sync)
{
	struct qnpu_file *qfile = file->driver_priv;
	struct dma_fence *out = NULL;
	struct qnpu_job *job;
	u64 job_id = 0;
	int ret;

	if (atomic_inc_return(&qfile->queued) > qnpu_max_jobs_per_file) {
		atomic_dec(&qfile->queued);
		return -EBUSY;
	}
	job = qnpu_job_alloc(qfile, args);
	if (!job) {
		atomic_dec(&qfile->queued);
		return -ENOMEM;
	}

	ret = drm_sched_job_init(&job->base, &qfile->entities[job->prio], 1,
				 qfile, file->client_id);
	if (ret) {
		job->base.sched = NULL;
		goto out_put;
	}
	ret = qnpu_job_lookup_bos(job, file, args);
	if (!ret)
		ret = qnpu_job_add_in_fences(job, file, args);
	if (!ret)
		ret = qnpu_job_push(job, qfile, &job_id, &out);
	if (ret) {
		drm_sched_job_cleanup(&job->base);
		job->base.sched = NULL;
		goto out_put;
	}

	if (out_sync)
		drm_syncobj_replace_fence(out_sync, out);
	dma_fence_put(out);
	args->job_id = job_id;
out_put:
	qnpu_job_put(job);
	return ret;
}

/**
 * qnpu_submit_ioctl() - %DRM_IOCTL_QNPU_SUBMIT
 * @drm: the device
 * @data: &struct drm_qnpu_submit
 * @file: the caller
 *
 * Return: 0 with the job queued; -EINVAL for non-zero flags/padding, a
 * bad size or alignment, the same BO twice in the list (two handles of
 * one BO included) or a command buffer outside its BO; -E2BIG over a
 * limit; -ENOENT for an unknown handle or syncobj; -EFAULT for a bad
 * pointer; -EBUSY with too many jobs queued; -EPERM for high priority
 * without CAP_SYS_NICE; -ENODEV once the device is gone.
 */
int qnpu_submit_ioctl(struct drm_device *drm, void *data,
		      struct drm_file *file)
{
	struct qnpu_device *qdev = to_qnpu_device(drm);
	struct drm_qnpu_submit *args = data;
	struct drm_syncobj *out_sync = NULL;
	int ret, idx;

	ret = qnpu_submit_check(qdev, args);
	if (ret)
		return ret;
	ret = qnpu_check_cmdbuf_range(file, args);
	if (ret)
		return ret;
	if (args->out_syncobj) {
		out_sync = drm_syncobj_find(file, args->out_syncobj);
		if (!out_sync)
			return -ENOENT;
	}

	/* Unplug waits for this section: no job is queued after it. */
	if (drm_dev_enter(drm, &idx)) {
		ret = qnpu_submit(file, args, out_sync);
		drm_dev_exit(idx);
	} else {
		ret = -ENODEV;
	}
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
