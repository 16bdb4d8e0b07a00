// SPDX-License-Identifier: MIT
/*
 * libnpu: device buffers (GEM buffer objects of the qnpu driver).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "device.h"
#include "qnpu_accel.h"

static int buffer_wrap(struct npu_device *dev, uint32_t handle,
		       struct npu_buffer **out)
{
	struct drm_qnpu_bo_info info = { .handle = handle };
	struct npu_buffer *buf;

	if (drmIoctl(dev->fd, DRM_IOCTL_QNPU_BO_INFO, &info))
		return -errno;
	buf = calloc(1, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	buf->dev = dev;
	buf->handle = handle;
	buf->size = info.size;
	buf->addr = info.device_addr;
	buf->mmap_offset = info.mmap_offset;
	pthread_mutex_init(&buf->lock, NULL);
	*out = buf;
	return 0;
}

static void gem_close(struct npu_device *dev, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	drmIoctl(dev->fd, DRM_IOCTL_GEM_CLOSE, &c);
}

NPU_API int npu_buffer_new(struct npu_device *dev, size_t size, uint32_t flags,
			   struct npu_buffer **out)
{
	struct drm_qnpu_bo_create c = { .size = size };
	int ret;

	if (!dev || !out || !size || flags & ~NPU_BUFFER_DEVICE_READONLY)
		return -EINVAL;
	if (flags & NPU_BUFFER_DEVICE_READONLY)
		c.flags |= DRM_QNPU_BO_DEVICE_READONLY;
	if (drmIoctl(dev->fd, DRM_IOCTL_QNPU_BO_CREATE, &c))
		return -errno;
	ret = buffer_wrap(dev, c.handle, out);
	if (ret)
		gem_close(dev, c.handle);
	return ret;
}

NPU_API void npu_buffer_free(struct npu_buffer *buf)
{
	if (!buf)
		return;
	if (buf->map)
		munmap(buf->map, buf->size);
	gem_close(buf->dev, buf->handle);
	pthread_mutex_destroy(&buf->lock);
	free(buf);
}

NPU_API int npu_buffer_map(struct npu_buffer *buf, void **ptr)
{
	int ret = 0;

	if (!buf || !ptr)
		return -EINVAL;
	pthread_mutex_lock(&buf->lock);
	if (!buf->map) {
		void *p = mmap(NULL, buf->size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, buf->dev->fd, buf->mmap_offset);

		if (p == MAP_FAILED)
			ret = -errno;
		else
			buf->map = p;
	}
	if (!ret) {
		buf->maps++;
		*ptr = buf->map;
	}
	pthread_mutex_unlock(&buf->lock);
	return ret;
}

NPU_API int npu_buffer_unmap(struct npu_buffer *buf)
{
	int ret = 0;

	if (!buf)
		return -EINVAL;
	pthread_mutex_lock(&buf->lock);
	if (!buf->maps) {
		ret = -EINVAL;
	} else if (--buf->maps == 0) {
		munmap(buf->map, buf->size);
		buf->map = NULL;
	}
	pthread_mutex_unlock(&buf->lock);
	return ret;
}

NPU_API uint64_t npu_buffer_addr(const struct npu_buffer *buf)
{
	return buf ? buf->addr : 0;
}

NPU_API size_t npu_buffer_size(const struct npu_buffer *buf)
{
	return buf ? buf->size : 0;
}

NPU_API int npu_buffer_export(struct npu_buffer *buf, int *fd)
{
	if (!buf || !fd)
		return -EINVAL;
	if (drmPrimeHandleToFD(buf->dev->fd, buf->handle, DRM_CLOEXEC | DRM_RDWR,
			       fd))
		return -errno;
	return 0;
}

NPU_API int npu_buffer_import(struct npu_device *dev, int fd,
			      struct npu_buffer **out)
{
	uint32_t handle;
	int ret;

	if (!dev || fd < 0 || !out)
		return -EINVAL;
	if (drmPrimeFDToHandle(dev->fd, fd, &handle))
		return -errno;
	ret = buffer_wrap(dev, handle, out);
	if (ret)
		gem_close(dev, handle);
	return ret;
}
