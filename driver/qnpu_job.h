/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef __QNPU_JOB_H__
#define __QNPU_JOB_H__

#include <linux/dma-fence.h>
#include <linux/kref.h>

#include <drm/gpu_scheduler.h>

#include "qnpu_drv.h"

struct qnpu_mapping;
struct qnpu_job_fence;

/**
 * struct qnpu_job_record - what WAIT reports about a job
 * @ref: held by the file's job table and by the job
 * @finished: the job's scheduler "finished" fence
 * @status: &enum qnpu_status (the device's value, or the driver's)
 * @error_offset: offset of the failing descriptor
 * @fault_addr: device address of an MMU fault
 * @cycles: modelled device cycles
 */
struct qnpu_job_record {
	struct kref ref;
	struct dma_fence *finished;
	u32 status;
	u32 error_offset;
	u64 fault_addr;
	u64 cycles;
};

/**
 * struct qnpu_job - one submitted command buffer
 * @base: scheduler job
 * @ref: held by the scheduler (until free_job) and by the submit ioctl
 * @qdev: the device
 * @qfile: the submitting file (a reference is held)
 * @rec: its record
 * @bos: BOs the job uses (references held)
 * @maps: their mappings in @qfile (references held)
 * @bo_count: entries of @bos and @maps
 * @cmdbuf_va: device address of the command buffer
 * @cmdbuf_size: its size
 * @prio: index of its entity in &qnpu_file.entities
 * @job_fence: its fence for the world outside the driver (allocated at
 *	submit, armed with the scheduler job)
 * @hw_fence: of the current run; signalled by the interrupt handler when
 *	the device is done, or by recovery
 * @seqno: the ring seqno of the current run
 */
struct qnpu_job {
	struct drm_sched_job base;
	struct kref ref;
	struct qnpu_device *qdev;
	struct qnpu_file *qfile;
	struct qnpu_job_record *rec;
	struct drm_gem_object **bos;
	struct qnpu_mapping **maps;
	u32 bo_count;
	u64 cmdbuf_va;
	u32 cmdbuf_size;
	u8 prio;
	struct qnpu_job_fence *job_fence;
	struct dma_fence *hw_fence;
	u64 seqno;
};

static inline struct qnpu_job *to_qnpu_job(struct drm_sched_job *sched_job)
{
	return container_of(sched_job, struct qnpu_job, base);
}

int qnpu_job_dev_init(struct qnpu_device *qdev);
void qnpu_job_dev_fini(struct qnpu_device *qdev);
void qnpu_job_dev_unplug(struct qnpu_device *qdev);
void qnpu_job_hw_init(struct qnpu_device *qdev);
int qnpu_job_file_init(struct qnpu_file *qfile);
void qnpu_job_file_fini(struct qnpu_file *qfile);
void qnpu_job_file_release(struct qnpu_file *qfile);
bool qnpu_job_irq(struct qnpu_device *qdev);
void qnpu_ring_drop(struct qnpu_device *qdev);
struct dma_fence *qnpu_ring_push(struct qnpu_job *job);
void qnpu_job_fail(struct qnpu_job *job, u32 status, int error);

/* qnpu_reset.c */
int qnpu_reset_init(struct qnpu_device *qdev);
void qnpu_reset_request(struct qnpu_device *qdev);
void qnpu_recover(struct qnpu_device *qdev, struct drm_sched_job *bad,
		  bool reset);
void qnpu_reset_unplug(struct qnpu_device *qdev);

int qnpu_submit_ioctl(struct drm_device *drm, void *data,
		      struct drm_file *file);
int qnpu_wait_ioctl(struct drm_device *drm, void *data,
		    struct drm_file *file);

#endif /* __QNPU_JOB_H__ */
