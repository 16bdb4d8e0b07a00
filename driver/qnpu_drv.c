// SPDX-License-Identifier: GPL-2.0
/*
 * qnpu: DRM accel driver for the qnpu INT8 NPU (docs/hardware.md).
 * The bus-agnostic core: DRM driver, ioctls, files, device bring-up and
 * unplug. The bus front ends, qnpu_pci.c and qnpu_platform.c, find the
 * registers, the interrupt and the DMA limits, then call in here.
 *
 * Copyright (c) 2026 The qnpu authors
 */

#include <linux/device.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include <drm/drm_accel.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "qnpu_accel.h"
#include "qnpu_debugfs.h"
#include "qnpu_drv.h"
#include "qnpu_gem.h"
#include "qnpu_hw.h"
#include "qnpu_job.h"

unsigned int qnpu_max_jobs_per_file = 256;
module_param_named(max_jobs_per_file, qnpu_max_jobs_per_file, uint, 0444);
MODULE_PARM_DESC(max_jobs_per_file, "Jobs one file may have queued (default 256)");

unsigned int qnpu_max_bo_mib_per_file = 2048;
module_param_named(max_bo_mib_per_file, qnpu_max_bo_mib_per_file, uint, 0444);
MODULE_PARM_DESC(max_bo_mib_per_file, "BO memory one file may map, MiB (default 2048)");

unsigned int qnpu_max_bo_mib_per_device = 8192;
module_param_named(max_bo_mib_per_device, qnpu_max_bo_mib_per_device, uint, 0444);
MODULE_PARM_DESC(max_bo_mib_per_device, "BO memory of all files, MiB (default 8192)");

unsigned int qnpu_job_timeout_ms = 5000;
module_param_named(job_timeout_ms, qnpu_job_timeout_ms, uint, 0444);
MODULE_PARM_DESC(job_timeout_ms, "Time a job may run before the device is reset (default 5000)");

static void qnpu_fill_device_info(struct qnpu_device *qdev,
				  struct drm_qnpu_device_info *info)
{
	const struct qnpu_caps *caps = &qdev->caps;

	memset(info, 0, sizeof(*info));
	if (qdev->bus->fill_ids)
		qdev->bus->fill_ids(qdev, info);
	info->hw_version = caps->hw_version;
	info->driver_version = QNPU_DRIVER_MAJOR << 16 |
			       QNPU_DRIVER_MINOR << 8 | QNPU_DRIVER_PATCH;
	info->mac_rows = caps->mac_rows;
	info->mac_cols = caps->mac_cols;
	info->clock_mhz = caps->clock_mhz;
	info->dram_bw_mbps = caps->dram_bw_mbps;
	info->sram_bytes = caps->sram_bytes;
	info->ops = caps->ops;
	info->features = caps->features;
	info->mmu_contexts = caps->contexts;
	info->va_bits = caps->va_bits;
	info->page_size = 1u << caps->page_shift;
	info->cmdbuf_version_min = caps->cmdbuf_min;
	info->cmdbuf_version_max = caps->cmdbuf_max;
	info->max_dim = caps->max_dim;
	info->max_k = caps->max_k;
	info->max_cmdbuf_size = caps->max_cmdbuf;
	info->va_start = QNPU_VA_START;
	info->va_end = 1ull << caps->va_bits;
	info->max_bo_size = QNPU_MAX_BO_SIZE;
	info->max_bo_handles = QNPU_MAX_BO_HANDLES;
	info->max_jobs_per_file = qnpu_max_jobs_per_file;
	info->max_bo_bytes_per_file = (u64)qnpu_max_bo_mib_per_file * SZ_1M;
}

static void qnpu_fill_counters(struct qnpu_device *qdev,
			       struct drm_qnpu_counters *c)
{
	memset(c, 0, sizeof(*c));
	c->jobs = qnpu_read64(qdev, QNPU_REG_PERF_JOBS);
	c->errors = qnpu_read64(qdev, QNPU_REG_PERF_ERRORS);
	c->macs = qnpu_read64(qdev, QNPU_REG_PERF_MACS);
	c->dram_read_bytes = qnpu_read64(qdev, QNPU_REG_PERF_DRAM_RD);
	c->dram_write_bytes = qnpu_read64(qdev, QNPU_REG_PERF_DRAM_WR);
	c->sram_read_bytes = qnpu_read64(qdev, QNPU_REG_PERF_SRAM_RD);
	c->sram_write_bytes = qnpu_read64(qdev, QNPU_REG_PERF_SRAM_WR);
	c->cycles = qnpu_read64(qdev, QNPU_REG_PERF_CYCLES);
	c->resets = atomic64_read(&qdev->resets);
}

/**
 * qnpu_query_ioctl() - %DRM_IOCTL_QNPU_QUERY
 * @drm: the device
 * @data: &struct drm_qnpu_query
 * @file: the caller's file
 *
 * Return: 0, -EINVAL for an unknown type or non-zero flags/padding,
 * -EFAULT for an unwritable @data.
 */
int qnpu_query_ioctl(struct drm_device *drm, void *data,
		     struct drm_file *file)
{
	struct qnpu_device *qdev = to_qnpu_device(drm);
	struct drm_qnpu_query *args = data;
	union {
		struct drm_qnpu_device_info info;
		struct drm_qnpu_counters counters;
	} out;
	u32 len;
	int idx;

	if (args->flags || args->pad)
		return -EINVAL;

	switch (args->type) {
	case DRM_QNPU_QUERY_DEVICE_INFO:
		len = sizeof(out.info);
		break;
	case DRM_QNPU_QUERY_COUNTERS:
		len = sizeof(out.counters);
		break;
	default:
		return -EINVAL;
	}

	if (args->size == 0) {
		args->size = len;
		return 0;
	}

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	if (args->type == DRM_QNPU_QUERY_DEVICE_INFO)
		qnpu_fill_device_info(qdev, &out.info);
	else
		qnpu_fill_counters(qdev, &out.counters);
	drm_dev_exit(idx);

	len = min(len, args->size);
	if (copy_to_user(u64_to_user_ptr(args->data), &out, len))
		return -EFAULT;
	args->size = len;
	return 0;
}

/*
 * The last reference: no job, mapping or handle is left. The file leaves
 * the device's list and frees its page tables under one lock hold, so
 * unplug either frees them first or finds the file gone.
 */
static void qnpu_file_release(struct kref *ref)
{
	struct qnpu_file *qfile = container_of(ref, struct qnpu_file, ref);
	struct qnpu_device *qdev = qfile->qdev;

	qnpu_job_file_release(qfile);
	mutex_lock(&qdev->files_lock);
	list_del(&qfile->link);
	qnpu_mmu_file_fini(qfile);
	mutex_unlock(&qdev->files_lock);
	drm_dev_put(&qdev->drm);
	kfree(qfile);
}

/**
 * qnpu_file_get() - take a reference on a file's address space
 * @qfile: the file
 */
void qnpu_file_get(struct qnpu_file *qfile)
{
	kref_get(&qfile->ref);
}

/**
 * qnpu_file_put() - drop one; the last frees the MMU context
 * @qfile: the file
 */
void qnpu_file_put(struct qnpu_file *qfile)
{
	kref_put(&qfile->ref, qnpu_file_release);
}

static int qnpu_open(struct drm_device *drm, struct drm_file *file)
{
	struct qnpu_device *qdev = to_qnpu_device(drm);
	struct qnpu_file *qfile;
	int ret, idx;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	qfile = kzalloc(sizeof(*qfile), GFP_KERNEL);
	if (!qfile) {
		ret = -ENOMEM;
		goto out;
	}
	kref_init(&qfile->ref);
	qfile->qdev = qdev;
	qfile->drm_file = file;
	atomic_set(&qfile->queued, 0);
	atomic64_set(&qfile->bo_bytes, 0);

	ret = qnpu_mmu_file_init(qfile);
	if (ret) {
		kfree(qfile);
		goto out;
	}
	ret = qnpu_job_file_init(qfile);
	if (ret) {
		qnpu_mmu_file_fini(qfile);
		kfree(qfile);
		goto out;
	}
	drm_dev_get(drm);
	file->driver_priv = qfile;
	mutex_lock(&qdev->files_lock);
	list_add_tail(&qfile->link, &qdev->files);
	mutex_unlock(&qdev->files_lock);
out:
	drm_dev_exit(idx);
	return ret;
}

static void qnpu_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct qnpu_file *qfile = file->driver_priv;

	WRITE_ONCE(qfile->drm_file, NULL);
	qnpu_job_file_fini(qfile);
	qnpu_file_put(qfile);
}

static void qnpu_show_fdinfo(struct drm_printer *p, struct drm_file *file)
{
	struct qnpu_file *qfile = file->driver_priv;

	drm_printf(p, "qnpu-context:\t%u\n", qfile->ctx);
	drm_printf(p, "qnpu-jobs-queued:\t%d\n", atomic_read(&qfile->queued));
	drm_show_memory_stats(p, file);
}

static const struct drm_ioctl_desc qnpu_ioctls[] = {
	DRM_IOCTL_DEF_DRV(QNPU_QUERY, qnpu_query_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(QNPU_BO_CREATE, qnpu_bo_create_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(QNPU_BO_INFO, qnpu_bo_info_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(QNPU_SUBMIT, qnpu_submit_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(QNPU_WAIT, qnpu_wait_ioctl, DRM_RENDER_ALLOW),
};

static const struct file_operations qnpu_fops = {
	.owner = THIS_MODULE,
	DRM_ACCEL_FOPS,
	.show_fdinfo = drm_show_fdinfo,
};

static const struct drm_driver qnpu_drm_driver = {
	.driver_features = DRIVER_COMPUTE_ACCEL | DRIVER_GEM | DRIVER_SYNCOBJ,
	.open = qnpu_open,
	.postclose = qnpu_postclose,
	.show_fdinfo = qnpu_show_fdinfo,
	.gem_create_object = qnpu_gem_create_object,
	.gem_prime_import_sg_table = qnpu_gem_prime_import_sg_table,
	.ioctls = qnpu_ioctls,
	.num_ioctls = ARRAY_SIZE(qnpu_ioctls),
	.fops = &qnpu_fops,
	.name = QNPU_DRIVER_NAME,
	.desc = QNPU_DRIVER_DESC,
	.major = QNPU_DRIVER_MAJOR,
	.minor = QNPU_DRIVER_MINOR,
	.patchlevel = QNPU_DRIVER_PATCH,
};

/**
 * qnpu_device_alloc() - allocate the device state of a bus device
 * @dev: the bus device; its driver data becomes the result
 * @bus: how that bus stops DMA and names the device
 *
 * The DRM device is device-managed: it goes when @dev unbinds and the last
 * open file has closed.
 *
 * Return: the new device, or an ERR_PTR().
 */
struct qnpu_device *qnpu_device_alloc(struct device *dev,
				      const struct qnpu_bus_ops *bus)
{
	struct qnpu_device *qdev;
	int ret;

	qdev = devm_drm_dev_alloc(dev, &qnpu_drm_driver, struct qnpu_device,
				  drm);
	if (IS_ERR(qdev))
		return qdev;
	qdev->dev = dev;
	qdev->bus = bus;
	dev_set_drvdata(dev, qdev);
	INIT_LIST_HEAD(&qdev->files);
	INIT_LIST_HEAD(&qdev->bos);
	ret = drmm_mutex_init(&qdev->drm, &qdev->files_lock);
	if (!ret)
		ret = drmm_mutex_init(&qdev->drm, &qdev->bos_lock);
	return ret ? ERR_PTR(ret) : qdev;
}

static void qnpu_device_announce(struct qnpu_device *qdev)
{
	const struct qnpu_caps *caps = &qdev->caps;

	drm_info(&qdev->drm, "qnpu %u.%u, %ux%u MACs, %llu KiB SRAM, %u contexts\n",
		 QNPU_VERSION_MAJOR(caps->hw_version),
		 QNPU_VERSION_MINOR(caps->hw_version),
		 caps->mac_rows, caps->mac_cols,
		 caps->sram_bytes / SZ_1K, caps->contexts);
}

/**
 * qnpu_device_init() - bring the device up and register it
 * @qdev: the device, from qnpu_device_alloc(); the bus front end has mapped
 *	@qdev->regs, found @qdev->irq, set the DMA mask and enabled DMA
 *
 * On failure the core has undone its own set-up (what is DRM-managed goes
 * with the DRM device); the front end then turns its DMA off again.
 *
 * Return: 0 or a negative errno.
 */
int qnpu_device_init(struct qnpu_device *qdev)
{
	int ret;

	ret = qnpu_hw_init(qdev);
	if (ret)
		return ret;
	ret = qnpu_reset_init(qdev);
	if (ret)
		return ret;
	ret = qnpu_mmu_dev_init(qdev);
	if (ret)
		return ret;
	ret = qnpu_job_dev_init(qdev);
	if (ret)
		goto err_mmu;
	ret = qnpu_hw_irq_init(qdev);
	if (ret)
		goto err_job;

	qnpu_debugfs_init(qdev);
	ret = drm_dev_register(&qdev->drm, 0);
	if (ret)
		goto err_irq;

	qnpu_device_announce(qdev);
	return 0;

err_irq:
	qnpu_write(qdev, QNPU_REG_IRQ_MASK, 0);
	qnpu_hw_irq_fini(qdev);
err_job:
	qnpu_hw_fini(qdev);
	qnpu_job_dev_fini(qdev);
err_mmu:
	qnpu_mmu_dev_fini(qdev);
	return ret;
}

/**
 * qnpu_device_fini() - unplug the device; called by the bus remove hook
 * @qdev: the device, registered by qnpu_device_init()
 *
 * The order keeps the device from writing memory the driver has freed: no
 * new ioctl or job; the device reset, its DMA stopped by the bus, and every
 * job on the ring ended (-ENODEV); every job freed; then the interrupt, the
 * ring, all page tables and all DMA mappings of BOs. Open files stay valid
 * (their ioctls fail with -ENODEV) and close later; the scheduler and the
 * DRM device go with the last of them.
 */
void qnpu_device_fini(struct qnpu_device *qdev)
{
	drm_dev_unplug(&qdev->drm);
	qnpu_reset_unplug(qdev);
	qnpu_job_dev_unplug(qdev);
	qnpu_mmu_dev_unplug(qdev);
	qnpu_gem_unplug(qdev);
}

static int __init qnpu_init(void)
{
	int ret;

	ret = qnpu_pci_register();
	if (ret)
		return ret;
	ret = qnpu_platform_register();
	if (ret)
		goto err_pci;
	return 0;

err_pci:
	qnpu_pci_unregister();
	return ret;
}
module_init(qnpu_init);

static void __exit qnpu_exit(void)
{
	qnpu_platform_unregister();
	qnpu_pci_unregister();
}
module_exit(qnpu_exit);

MODULE_DESCRIPTION(QNPU_DRIVER_DESC);
MODULE_AUTHOR("The qnpu authors");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
