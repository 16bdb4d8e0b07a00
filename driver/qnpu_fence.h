/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef __QNPU_FENCE_H__
#define __QNPU_FENCE_H__

#include <linux/dma-fence.h>

struct qnpu_job_fence;

extern const struct dma_fence_ops qnpu_hw_fence_ops;

struct qnpu_job_fence *qnpu_job_fence_alloc(void);
void qnpu_job_fence_free(struct qnpu_job_fence *jf);
struct dma_fence *qnpu_job_fence_arm(struct qnpu_job_fence *jf,
				     struct dma_fence *finished,
				     u64 context, u64 seqno);

#endif /* __QNPU_FENCE_H__ */
