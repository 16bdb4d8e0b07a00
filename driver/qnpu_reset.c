// SPDX-License-Identifier: GPL-2.0
/*
 * qnpu recovery: device reset after a hang or on request, and the quiesce
 * of the device at unplug (docs/hardware.md 7 and 17.5, docs/driver.md).
 *
 * Every recovery runs on one ordered workqueue, the scheduler's timeout
 * queue, so a timeout, a debugfs reset and the unplug quiesce never
 * overlap, and each sees every job the scheduler has given the device.
 *
 * The rules: a job the device wrote back ends with the status it wrote and
 * never runs again; the job that hung ends TIMEOUT; every other job that
 * was on the ring runs again from its start, in ring order; once the device
 * is gone, they end ABORTED with -ENODEV.
 *
 * Copyright (c) 2026 The qnpu authors
 */

#include <linux/interrupt.h>

#include <drm/drm_drv.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "qnpu_cmdbuf.h"
#include "qnpu_hw.h"
#include "qnpu_job.h"

static void qnpu_reset_work(struct work_struct *work)
{
	struct qnpu_device *qdev = container_of(work, struct qnpu_device,
						reset_work);

	qnpu_recover(qdev, NULL, true);
}

static void qnpu_reset_wq_destroy(struct drm_device *drm, void *wq)
{
	destroy_workqueue(wq);
}

/**
 * qnpu_reset_init() - the ordered queue recoveries run on
 * @qdev: the device
 *
 * It is destroyed with the DRM device, after the scheduler that uses it.
 *
 * Return: 0 or -ENOMEM.
 */
int qnpu_reset_init(struct qnpu_device *qdev)
{
	qdev->reset_wq = alloc_ordered_workqueue("qnpu-reset", 0);
	if (!qdev->reset_wq)
		return -ENOMEM;
	INIT_WORK(&qdev->reset_work, qnpu_reset_work);
	return drmm_add_action_or_reset(&qdev->drm, qnpu_reset_wq_destroy,
					qdev->reset_wq);
}

/**
 * qnpu_reset_request() - reset the device now (debugfs) and wait for it
 * @qdev: the device
 */
void qnpu_reset_request(struct qnpu_device *qdev)
{
	int idx;

	/* Unplug waits for us, and then owns @reset_work. */
	if (!drm_dev_enter(&qdev->drm, &idx))
		return;
	queue_work(qdev->reset_wq, &qdev->reset_work);
	flush_work(&qdev->reset_work);
	drm_dev_exit(idx);
}

/*
 * Soft reset, then read the fence word: once the reset is done the device
 * writes nothing back, so what it says completed did, and everything else
 * on the ring was lost.
 */
static int qnpu_hw_recover(struct qnpu_device *qdev)
{
	int ret;

	qnpu_write(qdev, QNPU_REG_IRQ_MASK, 0);
	synchronize_irq(qdev->irq);
	ret = qnpu_hw_reset(qdev);
	qnpu_job_irq(qdev);
	qnpu_ring_drop(qdev);
	atomic64_inc(&qdev->resets);
	if (ret)
		drm_err(&qdev->drm, "reset failed; jobs on the ring fail\n");
	else
		qnpu_job_hw_init(qdev);
	return ret;
}

/* A job the reset took off the ring: it fails, or runs again. */
static void qnpu_job_lost(struct qnpu_job *job, bool guilty, int reset_err)
{
	struct dma_fence *fence;

	if (guilty) {
		qnpu_job_fail(job, QNPU_STATUS_TIMEOUT, -ETIME);
		return;
	}
	if (reset_err) {
		qnpu_job_fail(job, QNPU_STATUS_ABORTED, reset_err);
		return;
	}
	fence = qnpu_ring_push(job);
	if (IS_ERR(fence))
		qnpu_job_fail(job, QNPU_STATUS_ABORTED, PTR_ERR(fence));
	else
		dma_fence_put(fence);	/* job->hw_fence holds it */
}

/*
 * With the scheduler stopped: every pending job follows its hardware fence
 * again (drm_sched_stop took them away; drm_sched_start would cancel a job
 * without one).
 */
static void qnpu_sched_reattach(struct qnpu_device *qdev)
{
	struct drm_sched_job *s_job;

	list_for_each_entry(s_job, &qdev->sched.pending_list, list) {
		struct qnpu_job *job = to_qnpu_job(s_job);

		if (job->hw_fence)
			s_job->s_fence->parent = dma_fence_get(job->hw_fence);
	}
}

/**
 * qnpu_recover() - stop the scheduler, reset the device if asked to, give
 *	every job its fate, restart
 * @qdev: the device
 * @bad: the job whose timeout fired, or NULL
 * @reset: reset the device (false: @bad completed as its timeout fired)
 *
 * Runs on @qdev->reset_wq only.
 */
void qnpu_recover(struct qnpu_device *qdev, struct drm_sched_job *bad,
		  bool reset)
{
	struct drm_gpu_scheduler *sched = &qdev->sched;
	struct drm_sched_job *s_job;
	int idx, err;

	drm_sched_stop(sched, bad);
	/* Unplugged: the unplug quiesce fails whatever is left. */
	if (reset && drm_dev_enter(&qdev->drm, &idx)) {
		err = qnpu_hw_recover(qdev);
		list_for_each_entry(s_job, &sched->pending_list, list) {
			struct qnpu_job *job = to_qnpu_job(s_job);

			if (job->hw_fence && !dma_fence_is_signaled(job->hw_fence))
				qnpu_job_lost(job, s_job == bad, err);
		}
		drm_dev_exit(idx);
	}
	qnpu_sched_reattach(qdev);
	drm_sched_start(sched);
}

static void qnpu_unplug_work(struct work_struct *work)
{
	struct qnpu_device *qdev = container_of(work, struct qnpu_device,
						reset_work);
	struct drm_gpu_scheduler *sched = &qdev->sched;
	struct drm_sched_job *s_job;

	drm_sched_stop(sched, NULL);
	qnpu_write(qdev, QNPU_REG_IRQ_MASK, 0);
	synchronize_irq(qdev->irq);
	qnpu_hw_fini(qdev);
	qdev->bus->stop_dma(qdev);
	qnpu_job_irq(qdev);
	qnpu_ring_drop(qdev);
	list_for_each_entry(s_job, &sched->pending_list, list) {
		struct qnpu_job *job = to_qnpu_job(s_job);

		if (job->hw_fence && !dma_fence_is_signaled(job->hw_fence))
			qnpu_job_fail(job, QNPU_STATUS_ABORTED, -ENODEV);
	}
	qnpu_sched_reattach(qdev);
	drm_sched_start(sched);
}

/**
 * qnpu_reset_unplug() - stop the device for good: no job runs or writes
 *	memory after this, and every job that was on the ring has ended
 * @qdev: the device, unplugged (drm_dev_enter() fails)
 */
void qnpu_reset_unplug(struct qnpu_device *qdev)
{
	/* No debugfs reset can start now; one in flight finishes first. */
	flush_work(&qdev->reset_work);
	INIT_WORK(&qdev->reset_work, qnpu_unplug_work);
	queue_work(qdev->reset_wq, &qdev->reset_work);
	flush_work(&qdev->reset_work);
}
