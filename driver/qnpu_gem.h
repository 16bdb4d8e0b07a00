/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef __QNPU_GEM_H__
#define __QNPU_GEM_H__

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>

#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_mm.h>

#include "qnpu_drv.h"

/**
 * struct qnpu_bo - a buffer object
 * @base: shmem GEM object
 * @flags: DRM_QNPU_BO_*
 * @lock: protects @mappings and their @handles
 * @mappings: its &struct qnpu_mapping, one per file holding a handle
 * @accounted: bytes counted in &qnpu_device.bo_bytes (0 until the BO is
 *	complete: a failed creation frees it without calling us)
 * @link: in &qnpu_device.bos
 */
struct qnpu_bo {
	struct drm_gem_shmem_object base;
	u32 flags;
	struct mutex lock;		/* see kernel-doc */
	struct list_head mappings;
	size_t accounted;
	struct list_head link;
};

/**
 * struct qnpu_mapping - a BO mapped into one file's device address space
 * @ref: held by each of the file's handles and by each job using it
 * @handles: handles of the file to the BO (two after a GEM_OPEN of its
 *	flink name in the same file)
 * @bo: the BO (a GEM reference is held)
 * @qfile: the file (a reference is held)
 * @node: the device address range (a guard page follows the BO)
 * @link: in &qnpu_bo.mappings while the file holds a handle
 */
struct qnpu_mapping {
	struct kref ref;
	unsigned int handles;
	struct qnpu_bo *bo;
	struct qnpu_file *qfile;
	struct drm_mm_node node;
	struct list_head link;
};

static inline struct qnpu_bo *to_qnpu_bo(struct drm_gem_object *obj)
{
	return container_of(to_drm_gem_shmem_obj(obj), struct qnpu_bo, base);
}

struct drm_gem_object *qnpu_gem_create_object(struct drm_device *drm,
					      size_t size);
struct drm_gem_object *
qnpu_gem_prime_import_sg_table(struct drm_device *drm,
			       struct dma_buf_attachment *attach,
			       struct sg_table *sgt);
void qnpu_gem_unplug(struct qnpu_device *qdev);
struct qnpu_mapping *qnpu_mapping_get(struct qnpu_bo *bo,
				      struct qnpu_file *qfile);
void qnpu_mapping_put(struct qnpu_mapping *map);

int qnpu_bo_create_ioctl(struct drm_device *drm, void *data,
			 struct drm_file *file);
int qnpu_bo_info_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file);

/* qnpu_drv.c */
void qnpu_file_get(struct qnpu_file *qfile);
void qnpu_file_put(struct qnpu_file *qfile);

#endif /* __QNPU_GEM_H__ */
