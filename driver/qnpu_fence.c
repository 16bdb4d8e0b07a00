// SPDX-License-Identifier: GPL-2.0
/*
 * qnpu fences.
 *
 * Hardware fences follow one run of a job on the ring; they stay inside the
 * driver (the scheduler holds them as the parent of its own fences).
 *
 * Job fences are what leaves the driver: the out-syncobj, the BOs'
 * reservation objects, and from there sync_files, dma-bufs and other
 * drivers. They can outlive every file, the device and the scheduler, so
 * they refer to none of them, and each holds a reference on this module:
 * rmmod fails while one lives, instead of leaving fences whose ops point
 * into freed module text.
 *
 * Copyright (c) 2026 The qnpu authors
 */

#include <linux/module.h>
#include <linux/slab.h>

#include "qnpu_drv.h"
#include "qnpu_fence.h"

/**
 * struct qnpu_job_fence - a job's completion, as other drivers see it
 * @base: the fence; first, so that dma_fence_free() frees the whole
 * @lock: the fence lock
 * @cb: on the scheduler's finished fence
 */
struct qnpu_job_fence {
	struct dma_fence base;
	spinlock_t lock;		/* see kernel-doc */
	struct dma_fence_cb cb;
};

static const char *qnpu_fence_driver_name(struct dma_fence *fence)
{
	return QNPU_DRIVER_NAME;
}

static const char *qnpu_hw_fence_timeline_name(struct dma_fence *fence)
{
	return "qnpu-ring";
}

const struct dma_fence_ops qnpu_hw_fence_ops = {
	.get_driver_name = qnpu_fence_driver_name,
	.get_timeline_name = qnpu_hw_fence_timeline_name,
};

static const char *qnpu_job_fence_timeline_name(struct dma_fence *fence)
{
	return "qnpu-job";
}

static void qnpu_job_fence_release(struct dma_fence *fence)
{
	dma_fence_free(fence);
	module_put(THIS_MODULE);
}

static const struct dma_fence_ops qnpu_job_fence_ops = {
	.get_driver_name = qnpu_fence_driver_name,
	.get_timeline_name = qnpu_job_fence_timeline_name,
	.release = qnpu_job_fence_release,
};

/**
 * qnpu_job_fence_alloc() - memory for a job fence, before the point of no
 *	return of a submission
 *
 * Return: the fence, not yet initialised, or NULL.
 */
struct qnpu_job_fence *qnpu_job_fence_alloc(void)
{
	return kzalloc(sizeof(struct qnpu_job_fence), GFP_KERNEL);
}

/**
 * qnpu_job_fence_free() - free a job fence that was never armed
 * @jf: the fence, or NULL
 */
void qnpu_job_fence_free(struct qnpu_job_fence *jf)
{
	kfree(jf);
}

static void qnpu_job_fence_done(struct dma_fence *finished,
				struct dma_fence_cb *cb)
{
	struct qnpu_job_fence *jf = container_of(cb, struct qnpu_job_fence, cb);

	if (finished->error)
		dma_fence_set_error(&jf->base, finished->error);
	dma_fence_signal(&jf->base);
	dma_fence_put(&jf->base);
}

/**
 * qnpu_job_fence_arm() - make @jf signal with @finished, and with its error
 * @jf: from qnpu_job_fence_alloc()
 * @finished: the scheduler's finished fence of the job
 * @context: fence context (one per file and priority: jobs of one entity
 *	finish in order)
 * @seqno: the job's place in that context
 *
 * Return: @jf's fence, with one reference for the caller.
 */
struct dma_fence *qnpu_job_fence_arm(struct qnpu_job_fence *jf,
				     struct dma_fence *finished,
				     u64 context, u64 seqno)
{
	spin_lock_init(&jf->lock);
	dma_fence_init(&jf->base, &qnpu_job_fence_ops, &jf->lock, context,
		       seqno);
	/* Called from an ioctl of this module: it is loaded. */
	__module_get(THIS_MODULE);
	dma_fence_get(&jf->base);	/* the callback's */
	if (dma_fence_add_callback(finished, &jf->cb, qnpu_job_fence_done))
		qnpu_job_fence_done(finished, &jf->cb);
	return &jf->base;
}
