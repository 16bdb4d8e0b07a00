// SPDX-License-Identifier: GPL-2.0
/*
 * qnpu debugfs: jobs in flight, address spaces, counters, a reset trigger.
 * Under /sys/kernel/debug/accel/<device name>/: the name of the bus device,
 * a PCI address or a platform device name.
 *
 * Copyright (c) 2026 The qnpu authors
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_drv.h>
#include <drm/drm_print.h>

#include "qnpu_debugfs.h"
#include "qnpu_hw.h"
#include "qnpu_job.h"

static struct qnpu_device *seq_to_qdev(struct seq_file *m)
{
	struct drm_debugfs_entry *entry = m->private;

	return to_qnpu_device(entry->dev);
}

static int qnpu_debugfs_jobs(struct seq_file *m, void *unused)
{
	struct qnpu_device *qdev = seq_to_qdev(m);
	unsigned long flags;
	u32 i;

	spin_lock_irqsave(&qdev->ring_lock, flags);
	seq_printf(m, "ring head %u tail %u, next seqno %llu\n",
		   qdev->ring_head, qdev->ring_tail, qdev->next_seqno + 1);
	for (i = qdev->ring_head; i != qdev->ring_tail; i++) {
		struct qnpu_job *job = qdev->ring_jobs[i & (QNPU_RING_ENTRIES - 1)];

		if (job)
			seq_printf(m, "slot %u: seqno %llu ctx %u cmdbuf 0x%llx+%u\n",
				   i, job->seqno, job->qfile->ctx,
				   job->cmdbuf_va, job->cmdbuf_size);
	}
	spin_unlock_irqrestore(&qdev->ring_lock, flags);
	return 0;
}

static int qnpu_debugfs_files(struct seq_file *m, void *unused)
{
	struct qnpu_device *qdev = seq_to_qdev(m);
	struct qnpu_file *qfile;

	mutex_lock(&qdev->files_lock);
	list_for_each_entry(qfile, &qdev->files, link) {
		struct drm_mm_node *node;
		u32 bos = 0;

		mutex_lock(&qfile->mm_lock);
		drm_mm_for_each_node(node, &qfile->mm)
			bos++;
		mutex_unlock(&qfile->mm_lock);
		seq_printf(m, "context %u: %u BOs, %lld bytes, %d jobs queued, %llu submitted\n",
			   qfile->ctx, bos, atomic64_read(&qfile->bo_bytes),
			   atomic_read(&qfile->queued), qfile->next_job_id);
	}
	mutex_unlock(&qdev->files_lock);
	return 0;
}

static int qnpu_debugfs_counters(struct seq_file *m, void *unused)
{
	static const struct {
		const char *name;
		u32 reg;
	} perf[] = {
		{ "jobs", QNPU_REG_PERF_JOBS },
		{ "errors", QNPU_REG_PERF_ERRORS },
		{ "macs", QNPU_REG_PERF_MACS },
		{ "dram_read_bytes", QNPU_REG_PERF_DRAM_RD },
		{ "dram_write_bytes", QNPU_REG_PERF_DRAM_WR },
		{ "sram_read_bytes", QNPU_REG_PERF_SRAM_RD },
		{ "sram_write_bytes", QNPU_REG_PERF_SRAM_WR },
		{ "cycles", QNPU_REG_PERF_CYCLES },
	};
	struct qnpu_device *qdev = seq_to_qdev(m);
	int i, idx;

	if (!drm_dev_enter(&qdev->drm, &idx))
		return -ENODEV;
	for (i = 0; i < ARRAY_SIZE(perf); i++)
		seq_printf(m, "%s %llu\n", perf[i].name,
			   qnpu_read64(qdev, perf[i].reg));
	drm_dev_exit(idx);
	seq_printf(m, "resets %lld\n", atomic64_read(&qdev->resets));
	seq_printf(m, "irqs %lld\n", atomic64_read(&qdev->irqs));
	seq_printf(m, "bo_bytes %lld\n", atomic64_read(&qdev->bo_bytes));
	return 0;
}

static ssize_t qnpu_debugfs_reset_write(struct file *file,
					const char __user *buf, size_t len,
					loff_t *pos)
{
	struct qnpu_device *qdev = file->private_data;

	qnpu_reset_request(qdev);
	return len;
}

static const struct file_operations qnpu_debugfs_reset_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = qnpu_debugfs_reset_write,
};

static const struct drm_debugfs_info qnpu_debugfs_list[] = {
	{ "jobs", qnpu_debugfs_jobs, 0 },
	{ "files", qnpu_debugfs_files, 0 },
	{ "counters", qnpu_debugfs_counters, 0 },
};

/**
 * qnpu_debugfs_init() - create the debugfs files (before registration)
 * @qdev: the device
 */
void qnpu_debugfs_init(struct qnpu_device *qdev)
{
	drm_debugfs_add_files(&qdev->drm, qnpu_debugfs_list,
			      ARRAY_SIZE(qnpu_debugfs_list));
	debugfs_create_file("reset", 0200, qdev->drm.debugfs_root, qdev,
			    &qnpu_debugfs_reset_fops);
}
