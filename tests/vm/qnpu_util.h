/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the qnpu VM selftests: raw ioctls (no libnpu, so the tests
 * check the kernel ABI itself) and small command buffers.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef QNPU_UTIL_H
#define QNPU_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "drm.h"
#include "qnpu_accel.h"
#include "qnpu_cmdbuf.h"

/* The device under test: $QNPU_NODE, or the first accel node. */
#define QNPU_NODE (getenv("QNPU_NODE") ? getenv("QNPU_NODE") : \
		   "/dev/accel/accel0")

static inline int qnpu_open_node(const char *path)
{
	return open(path ? path : QNPU_NODE, O_RDWR | O_CLOEXEC);
}

/* ioctl returning 0 or -errno. */
static inline int qnpu_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret && (errno == EINTR || errno == EAGAIN));
	return ret ? -errno : 0;
}

struct qnpu_bo {
	int fd;
	uint32_t handle;
	uint64_t size;
	uint64_t addr;		/* device address */
	void *map;
};

static inline int qnpu_bo_new(int fd, uint64_t size, uint32_t flags,
			      struct qnpu_bo *bo)
{
	struct drm_qnpu_bo_create c = { .size = size, .flags = flags };
	struct drm_qnpu_bo_info i = { 0 };
	int ret;

	memset(bo, 0, sizeof(*bo));
	ret = qnpu_ioctl(fd, DRM_IOCTL_QNPU_BO_CREATE, &c);
	if (ret)
		return ret;
	i.handle = c.handle;
	ret = qnpu_ioctl(fd, DRM_IOCTL_QNPU_BO_INFO, &i);
	if (ret)
		return ret;
	bo->fd = fd;
	bo->handle = c.handle;
	bo->size = i.size;
	bo->addr = i.device_addr;
	bo->map = mmap(NULL, i.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       i.mmap_offset);
	if (bo->map == MAP_FAILED) {
		bo->map = NULL;
		return -errno;
	}
	return c.device_addr == i.device_addr ? 0 : -EPROTO;
}

static inline void qnpu_bo_free(struct qnpu_bo *bo)
{
	struct drm_gem_close c = { .handle = bo->handle };

	if (bo->map)
		munmap(bo->map, bo->size);
	if (bo->handle)
		qnpu_ioctl(bo->fd, DRM_IOCTL_GEM_CLOSE, &c);
	memset(bo, 0, sizeof(*bo));
}

/* A command buffer being written into a mapped BO. */
struct qnpu_cb {
	uint8_t *base;
	uint32_t size;
	uint32_t count;
};

static inline void qnpu_cb_init(struct qnpu_cb *cb, void *mem)
{
	cb->base = mem;
	cb->size = sizeof(struct qnpu_cmdbuf_header);
	cb->count = 0;
	memset(mem, 0, cb->size);
}

static inline void *qnpu_cb_add(struct qnpu_cb *cb, uint16_t op, uint32_t size)
{
	struct qnpu_desc_header *h = (void *)(cb->base + cb->size);

	memset(h, 0, size);
	h->op = op;
	h->version = 1;
	h->size = size;
	cb->size += size;
	cb->count++;
	return h;
}

static inline uint32_t qnpu_cb_end(struct qnpu_cb *cb)
{
	struct qnpu_cmdbuf_header *h = (void *)cb->base;

	h->magic = QNPU_CMDBUF_MAGIC;
	h->version = QNPU_CMDBUF_VERSION;
	h->size = cb->size;
	h->count = cb->count;
	return cb->size;
}

static inline struct qnpu_tensor qnpu_t8(uint64_t addr, uint32_t n, uint32_t h,
					 uint32_t w, uint32_t c)
{
	struct qnpu_tensor t = {
		.addr = addr, .dim = { n, h, w, c },
		.stride = { h * w * c, w * c, c, 1 }, .dtype = QNPU_DTYPE_INT8,
	};

	return t;
}

/* Append a COPY of @bytes bytes from device address @src to @dst. */
static inline void qnpu_cb_copy(struct qnpu_cb *cb, uint64_t src, uint64_t dst,
				uint32_t bytes)
{
	struct qnpu_desc_copy *d = qnpu_cb_add(cb, QNPU_OP_COPY, sizeof(*d));
	uint32_t c = bytes < 65535 ? bytes : 65535;

	/* Rows of c bytes: a dimension holds at most 65535. */
	while (bytes % c)
		c--;
	d->src = qnpu_t8(src, 1, 1, bytes / c, c);
	d->dst = qnpu_t8(dst, 1, 1, bytes / c, c);
}

struct qnpu_submit_opts {
	uint32_t *bos;
	uint32_t bo_count;
	uint32_t *in_syncobjs;
	uint32_t in_count;
	uint32_t out_syncobj;
	uint32_t priority;
	uint64_t cb_offset;
};

/* Submit @size bytes at the start of @cb_bo; 0 or -errno. */
static inline int qnpu_submit(int fd, struct qnpu_bo *cb_bo, uint32_t size,
			      const struct qnpu_submit_opts *o, uint64_t *id)
{
	struct drm_qnpu_submit s = {
		.cmdbuf_handle = cb_bo->handle,
		.cmdbuf_size = size,
		.priority = o ? o->priority : DRM_QNPU_PRIORITY_NORMAL,
	};
	int ret;

	if (o) {
		s.bo_handles = (uintptr_t)o->bos;
		s.bo_count = o->bo_count;
		s.in_syncobjs = (uintptr_t)o->in_syncobjs;
		s.in_syncobj_count = o->in_count;
		s.out_syncobj = o->out_syncobj;
		s.cmdbuf_offset = o->cb_offset;
	}
	ret = qnpu_ioctl(fd, DRM_IOCTL_QNPU_SUBMIT, &s);
	if (!ret && id)
		*id = s.job_id;
	return ret;
}

/* Wait for job @id; 0 with *status, or -errno. */
static inline int qnpu_wait(int fd, uint64_t id, int64_t timeout_ns,
			    struct drm_qnpu_wait *out)
{
	struct drm_qnpu_wait w = { .job_id = id, .timeout_ns = timeout_ns };
	int ret = qnpu_ioctl(fd, DRM_IOCTL_QNPU_WAIT, &w);

	if (out)
		*out = w;
	return ret;
}

#define QNPU_SEC 1000000000ll

#endif /* QNPU_UTIL_H */
