// SPDX-License-Identifier: GPL-2.0
/*
 * qnpu buffer objects: shmem GEM objects, each mapped into the device
 * address space of every file that holds a handle to it.
 *
 * A mapping lives as long as the file's handle or any job that uses it,
 * whichever is longer, so closing a handle never pulls pages from under a
 * running job, and never waits for one either.
 *
 * Copyright (c) 2026 The qnpu authors
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>
#include <drm/drm_vma_manager.h>

#include "qnpu_accel.h"
#include "qnpu_gem.h"

/* Count @size against the device's limit, before creating a BO. */
static int qnpu_bo_bytes_reserve(struct qnpu_device *qdev, size_t size)
{
	if (atomic64_add_return(size, &qdev->bo_bytes) >
	    (u64)qnpu_max_bo_mib_per_device * SZ_1M) {
		atomic64_sub(size, &qdev->bo_bytes);
		return -ENOSPC;
	}
	return 0;
}

/* A complete BO: its bytes are its own now, and unplug will find it. */
static void qnpu_bo_track(struct qnpu_bo *bo, size_t reserved)
{
	struct qnpu_device *qdev = to_qnpu_device(bo->base.base.dev);

	bo->accounted = reserved;
	mutex_lock(&qdev->bos_lock);
	list_add_tail(&bo->link, &qdev->bos);
	mutex_unlock(&qdev->bos_lock);
}

static void qnpu_bo_free(struct drm_gem_object *obj)
{
	struct qnpu_device *qdev = to_qnpu_device(obj->dev);
	struct qnpu_bo *bo = to_qnpu_bo(obj);

	mutex_lock(&qdev->bos_lock);
	list_del(&bo->link);
	mutex_unlock(&qdev->bos_lock);
	atomic64_sub(bo->accounted, &qdev->bo_bytes);
	mutex_destroy(&bo->lock);
	drm_gem_shmem_free(&bo->base);
}

static void qnpu_mapping_release(struct kref *ref)
{
	struct qnpu_mapping *map = container_of(ref, struct qnpu_mapping, ref);
	struct qnpu_file *qfile = map->qfile;

	mutex_lock(&qfile->mm_lock);
	qnpu_mmu_unmap(qfile, map->node.start, map->bo->base.base.size);
	drm_mm_remove_node(&map->node);
	mutex_unlock(&qfile->mm_lock);
	atomic64_sub(map->bo->base.base.size, &qfile->bo_bytes);
	drm_gem_object_put(&map->bo->base.base);
	qnpu_file_put(qfile);
	kfree(map);
}

/**
 * qnpu_mapping_put() - drop a reference; the last one unmaps
 * @map: the mapping
 */
void qnpu_mapping_put(struct qnpu_mapping *map)
{
	kref_put(&map->ref, qnpu_mapping_release);
}

/* The mapping of @bo in @qfile, if the file holds a handle. */
static struct qnpu_mapping *qnpu_mapping_find(struct qnpu_bo *bo,
					      struct qnpu_file *qfile)
{
	struct qnpu_mapping *map;

	lockdep_assert_held(&bo->lock);
	list_for_each_entry(map, &bo->mappings, link)
		if (map->qfile == qfile)
			return map;
	return NULL;
}

/**
 * qnpu_mapping_get() - a reference on @bo's mapping in @qfile
 * @bo: the BO
 * @qfile: the file
 *
 * Return: the mapping, or NULL when @qfile holds no handle to @bo.
 */
struct qnpu_mapping *qnpu_mapping_get(struct qnpu_bo *bo,
				      struct qnpu_file *qfile)
{
	struct qnpu_mapping *map;

	mutex_lock(&bo->lock);
	map = qnpu_mapping_find(bo, qfile);
	if (map)
		kref_get(&map->ref);
	mutex_unlock(&bo->lock);
	return map;
}

/* One more handle of the file to a mapped BO: it holds the mapping too. */
static bool qnpu_mapping_add_handle(struct qnpu_bo *bo,
				    struct qnpu_file *qfile)
{
	struct qnpu_mapping *map;

	mutex_lock(&bo->lock);
	map = qnpu_mapping_find(bo, qfile);
	if (map) {
		kref_get(&map->ref);
		map->handles++;
	}
	mutex_unlock(&bo->lock);
	return map;
}

/* Map a BO into a file that holds no handle to it yet. */
static int qnpu_bo_map(struct drm_gem_object *obj, struct qnpu_file *qfile)
{
	struct qnpu_bo *bo = to_qnpu_bo(obj);
	struct qnpu_mapping *map;
	struct sg_table *sgt;
	int ret;

	if (atomic64_add_return(obj->size, &qfile->bo_bytes) >
	    (u64)qnpu_max_bo_mib_per_file * SZ_1M) {
		ret = -ENOSPC;
		goto err_bytes;
	}

	sgt = drm_gem_shmem_get_pages_sgt(&bo->base);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto err_bytes;
	}

	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map) {
		ret = -ENOMEM;
		goto err_bytes;
	}
	kref_init(&map->ref);
	map->handles = 1;
	map->bo = bo;
	map->qfile = qfile;

	mutex_lock(&qfile->mm_lock);
	ret = drm_mm_insert_node_generic(&qfile->mm, &map->node,
					 obj->size + PAGE_SIZE, PAGE_SIZE, 0,
					 DRM_MM_INSERT_BEST);
	if (!ret) {
		ret = qnpu_mmu_map(qfile, map->node.start, sgt, obj->size,
				   !(bo->flags & DRM_QNPU_BO_DEVICE_READONLY));
		if (ret)
			drm_mm_remove_node(&map->node);
	}
	mutex_unlock(&qfile->mm_lock);
	if (ret) {
		kfree(map);
		goto err_bytes;
	}

	drm_gem_object_get(obj);
	qnpu_file_get(qfile);
	mutex_lock(&bo->lock);
	if (qnpu_mapping_find(bo, qfile)) {
		/* Another handle of this file won the race: use its mapping. */
		mutex_unlock(&bo->lock);
		qnpu_mapping_put(map);
		return qnpu_mapping_add_handle(bo, qfile) ? 0 : -ENOENT;
	}
	list_add_tail(&map->link, &bo->mappings);
	mutex_unlock(&bo->lock);
	return 0;

err_bytes:
	atomic64_sub(obj->size, &qfile->bo_bytes);
	return ret;
}

/* A new handle in @file: map the BO into the file's address space. */
static int qnpu_bo_open(struct drm_gem_object *obj, struct drm_file *file)
{
	struct qnpu_file *qfile = file->driver_priv;
	int ret, idx;

	if (qnpu_mapping_add_handle(to_qnpu_bo(obj), qfile))
		return 0;
	/* Unplug frees the page tables and the BOs' DMA mappings. */
	if (!drm_dev_enter(obj->dev, &idx))
		return -ENODEV;
	ret = qnpu_bo_map(obj, qfile);
	drm_dev_exit(idx);
	return ret;
}

/* A handle is gone: its reference goes; with the last, the BO's link. */
static void qnpu_bo_close(struct drm_gem_object *obj, struct drm_file *file)
{
	struct qnpu_file *qfile = file->driver_priv;
	struct qnpu_bo *bo = to_qnpu_bo(obj);
	struct qnpu_mapping *map;

	mutex_lock(&bo->lock);
	map = qnpu_mapping_find(bo, qfile);
	if (map && !--map->handles)
		list_del_init(&map->link);
	mutex_unlock(&bo->lock);
	if (map)
		qnpu_mapping_put(map);
}

static const struct drm_gem_object_funcs qnpu_gem_funcs = {
	.free = qnpu_bo_free,
	.open = qnpu_bo_open,
	.close = qnpu_bo_close,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

/**
 * qnpu_gem_create_object() - &drm_driver.gem_create_object
 * @drm: the device
 * @size: object size
 *
 * Return: the embedded GEM object, or an ERR_PTR.
 */
struct drm_gem_object *qnpu_gem_create_object(struct drm_device *drm,
					      size_t size)
{
	struct qnpu_bo *bo;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);
	mutex_init(&bo->lock);
	INIT_LIST_HEAD(&bo->mappings);
	INIT_LIST_HEAD(&bo->link);
	bo->base.map_wc = false;
	bo->base.base.funcs = &qnpu_gem_funcs;
	return &bo->base.base;
}

/**
 * qnpu_bo_create_ioctl() - %DRM_IOCTL_QNPU_BO_CREATE
 * @drm: the device
 * @data: &struct drm_qnpu_bo_create
 * @file: the caller
 *
 * Return: 0; -EINVAL for unknown flags or a zero size; -E2BIG over the
 * largest BO; -ENOSPC over the per-file or per-device BO memory.
 */
int qnpu_bo_create_ioctl(struct drm_device *drm, void *data,
			 struct drm_file *file)
{
	struct qnpu_device *qdev = to_qnpu_device(drm);
	struct drm_qnpu_bo_create *args = data;
	struct qnpu_file *qfile = file->driver_priv;
	struct drm_gem_shmem_object *shmem;
	struct qnpu_mapping *map;
	size_t size;
	u32 handle;
	int ret;

	if (args->flags & ~DRM_QNPU_BO_FLAGS || !args->size)
		return -EINVAL;
	if (args->size > QNPU_MAX_BO_SIZE)
		return -E2BIG;

	size = PAGE_ALIGN(args->size);
	ret = qnpu_bo_bytes_reserve(qdev, size);
	if (ret)
		return ret;
	shmem = drm_gem_shmem_create(drm, size);
	if (IS_ERR(shmem)) {
		atomic64_sub(size, &qdev->bo_bytes);
		return PTR_ERR(shmem);
	}
	to_qnpu_bo(&shmem->base)->flags = args->flags;
	qnpu_bo_track(to_qnpu_bo(&shmem->base), size);

	ret = drm_gem_handle_create(file, &shmem->base, &handle);
	if (!ret) {
		map = qnpu_mapping_get(to_qnpu_bo(&shmem->base), qfile);
		if (map) {
			args->handle = handle;
			args->device_addr = map->node.start;
			qnpu_mapping_put(map);
		} else {
			/* Another thread closed the new handle already. */
			ret = -ENOENT;
		}
	}
	drm_gem_object_put(&shmem->base);
	return ret;
}

/**
 * qnpu_bo_info_ioctl() - %DRM_IOCTL_QNPU_BO_INFO
 * @drm: the device
 * @data: &struct drm_qnpu_bo_info
 * @file: the caller
 *
 * Return: 0, -EINVAL for non-zero flags, -ENOENT for a bad handle.
 */
int qnpu_bo_info_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct drm_qnpu_bo_info *args = data;
	struct qnpu_file *qfile = file->driver_priv;
	struct drm_gem_object *obj;
	struct qnpu_mapping *map;
	int ret;

	if (args->flags)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	ret = drm_gem_create_mmap_offset(obj);
	map = qnpu_mapping_get(to_qnpu_bo(obj), qfile);
	if (!ret && !map)
		ret = -ENOENT;
	if (!ret) {
		args->flags = to_qnpu_bo(obj)->flags;
		args->size = obj->size;
		args->device_addr = map->node.start;
		args->mmap_offset = drm_vma_node_offset_addr(&obj->vma_node);
	}
	if (map)
		qnpu_mapping_put(map);
	drm_gem_object_put(obj);
	return ret;
}

/**
 * qnpu_gem_prime_import_sg_table() - &drm_driver.gem_prime_import_sg_table
 * @drm: the device
 * @attach: the dma-buf attachment
 * @sgt: its mapping for this device
 *
 * Return: the GEM object, or an ERR_PTR (-ENOSPC over the device's BO
 * memory).
 */
struct drm_gem_object *
qnpu_gem_prime_import_sg_table(struct drm_device *drm,
			       struct dma_buf_attachment *attach,
			       struct sg_table *sgt)
{
	struct qnpu_device *qdev = to_qnpu_device(drm);
	size_t size = PAGE_ALIGN(attach->dmabuf->size);
	struct drm_gem_object *obj;
	int ret;

	ret = qnpu_bo_bytes_reserve(qdev, size);
	if (ret)
		return ERR_PTR(ret);
	obj = drm_gem_shmem_prime_import_sg_table(drm, attach, sgt);
	if (IS_ERR(obj)) {
		atomic64_sub(size, &qdev->bo_bytes);
		return obj;
	}
	qnpu_bo_track(to_qnpu_bo(obj), size);
	return obj;
}

/* Undo the DMA mapping of a BO for a device that is going away. */
static void qnpu_bo_unplug(struct qnpu_bo *bo)
{
	struct drm_gem_object *obj = &bo->base.base;
	struct sg_table *sgt;

	dma_resv_lock(obj->resv, NULL);
	sgt = bo->base.sgt;
	bo->base.sgt = NULL;
	if (sgt && obj->import_attach) {
		dma_buf_unmap_attachment(obj->import_attach, sgt,
					 DMA_BIDIRECTIONAL);
	} else if (sgt) {
		/* The pages stay pinned until the BO is freed. */
		dma_unmap_sgtable(obj->dev->dev, sgt, DMA_BIDIRECTIONAL, 0);
		sg_free_table(sgt);
		kfree(sgt);
	}
	dma_resv_unlock(obj->resv);
}

/**
 * qnpu_gem_unplug() - drop every BO's mapping for the device's DMA, which
 *	must not outlive the binding (BOs themselves live on in open files
 *	and dma-bufs)
 * @qdev: the device, quiesced, its page tables freed
 */
void qnpu_gem_unplug(struct qnpu_device *qdev)
{
	struct qnpu_bo *bo;

	mutex_lock(&qdev->bos_lock);
	list_for_each_entry(bo, &qdev->bos, link)
		qnpu_bo_unplug(bo);
	mutex_unlock(&qdev->bos_lock);
}
