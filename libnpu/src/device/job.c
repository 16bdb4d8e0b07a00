// SPDX-License-Identifier: MIT
/*
 * libnpu: job submission, waiting, and fences (DRM syncobjs).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xf86drm.h>

#include "device.h"
#include "qnpu_accel.h"
#include "qnpu_cmdbuf.h"

#define MAX_BUFFERS	256
#define MAX_WAITS	64

NPU_API int npu_fence_new(struct npu_device *dev, struct npu_fence **out)
{
	struct npu_fence *f;
	int ret;

	if (!dev || !out)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	ret = drmSyncobjCreate(dev->fd, 0, &f->syncobj);
	if (ret) {
		ret = -errno;
		free(f);
		return ret;
	}
	f->dev = dev;
	*out = f;
	return 0;
}

NPU_API void npu_fence_free(struct npu_fence *fence)
{
	if (!fence)
		return;
	drmSyncobjDestroy(fence->dev->fd, fence->syncobj);
	free(fence);
}

NPU_API int npu_fence_wait(struct npu_fence *fence, int64_t timeout_ns)
{
	struct timespec now;
	int64_t abs;

	if (!fence || timeout_ns < 0)
		return -EINVAL;
	/* drmSyncobjWait takes an absolute CLOCK_MONOTONIC time. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	abs = now.tv_sec * 1000000000ll + now.tv_nsec;
	abs = timeout_ns > INT64_MAX - abs ? INT64_MAX : abs + timeout_ns;
	if (drmSyncobjWait(fence->dev->fd, &fence->syncobj, 1, abs, 0, NULL))
		return errno == ETIME ? -ETIME : -errno;
	return 0;
}

NPU_API int npu_submit(struct npu_device *dev, const struct npu_job *job,
		       uint64_t *id)
{
	uint32_t handles[MAX_BUFFERS], waits[MAX_WAITS];
	struct drm_qnpu_submit s = { 0 };
	size_t i;

	if (!dev || !job || !job->cmdbuf || !id ||
	    job->buffer_count > MAX_BUFFERS || job->wait_count > MAX_WAITS ||
	    (job->buffer_count && !job->buffers) ||
	    (job->wait_count && !job->wait) ||
	    job->priority > NPU_PRIORITY_HIGH)
		return -EINVAL;
	for (i = 0; i < job->buffer_count; i++) {
		if (!job->buffers[i] || job->buffers[i]->dev->fd != dev->fd)
			return -EINVAL;
		handles[i] = job->buffers[i]->handle;
	}
	for (i = 0; i < job->wait_count; i++) {
		if (!job->wait[i] || job->wait[i]->dev->fd != dev->fd)
			return -EINVAL;
		waits[i] = job->wait[i]->syncobj;
	}
	s.cmdbuf_handle = job->cmdbuf->handle;
	s.cmdbuf_offset = job->offset;
	s.cmdbuf_size = job->size;
	s.bo_handles = (uintptr_t)handles;
	s.bo_count = job->buffer_count;
	s.in_syncobjs = (uintptr_t)waits;
	s.in_syncobj_count = job->wait_count;
	s.out_syncobj = job->signal ? job->signal->syncobj : 0;
	s.priority = job->priority;
	if (drmIoctl(dev->fd, DRM_IOCTL_QNPU_SUBMIT, &s))
		return -errno;
	*id = s.job_id;
	return 0;
}

NPU_API int npu_wait(struct npu_device *dev, uint64_t id, int64_t timeout_ns,
		     struct npu_job_result *result)
{
	struct drm_qnpu_wait w = { .job_id = id, .timeout_ns = timeout_ns };

	if (!dev || timeout_ns < 0)
		return -EINVAL;
	if (drmIoctl(dev->fd, DRM_IOCTL_QNPU_WAIT, &w))
		return -errno;
	if (result) {
		result->status = w.status;
		result->error_offset = w.error_offset;
		result->fault_addr = w.fault_addr;
		result->cycles = w.cycles;
	}
	return 0;
}

NPU_API const char *npu_status_str(uint32_t status)
{
	static const char *const names[] = {
		[QNPU_STATUS_OK] = "ok",
		[QNPU_STATUS_INVALID_HEADER] = "invalid command-buffer header",
		[QNPU_STATUS_UNSUPPORTED_VERSION] = "unsupported version",
		[QNPU_STATUS_UNKNOWN_OP] = "unknown operation",
		[QNPU_STATUS_INVALID_DESCRIPTOR] = "invalid descriptor",
		[QNPU_STATUS_LIMIT_EXCEEDED] = "over a device limit",
		[QNPU_STATUS_ACC_OVERFLOW] = "accumulator could overflow (K too large)",
		[QNPU_STATUS_MMU_FAULT] = "MMU fault",
		[QNPU_STATUS_ABORTED] = "aborted by a reset",
		[QNPU_STATUS_BAD_CONTEXT] = "bad MMU context",
		[QNPU_STATUS_TIMEOUT] = "timed out (device reset)",
	};

	if (status < sizeof(names) / sizeof(names[0]) && names[status])
		return names[status];
	return "unknown status";
}
