/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the qnpu VM selftests: raw ioctls (no libnpu, so the tests
 * check the kernel ABI itself), small command buffers, and the bus a node's
 * device sits on (PCI, or the platform bus of a device-tree node).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef QNPU_UTIL_H
#define QNPU_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
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

/* The last component of the path @link resolves to; 0 or -errno. */
static inline int qnpu_resolved_name(const char *link, char *name, size_t len)
{
	char *real = realpath(link, NULL);
	int ret = 0;

	if (!real)
		return -errno;
	if ((size_t)snprintf(name, len, "%s", strrchr(real, '/') + 1) >= len)
		ret = -ENAMETOOLONG;
	free(real);
	return ret;
}

/*
 * /sys/class/accel/accelN/device@rest for the node /dev/accel/accelN
 * (NULL: QNPU_NODE); 0, or -EINVAL for a node not named accelN.
 */
static inline int qnpu_node_sysfs(const char *node, const char *rest,
				  char *path, size_t len)
{
	const char *base;
	unsigned int n;
	char extra;

	node = node ? node : QNPU_NODE;
	base = strrchr(node, '/') ? strrchr(node, '/') + 1 : node;
	if (sscanf(base, "accel%u%c", &n, &extra) != 1)
		return -EINVAL;
	if ((size_t)snprintf(path, len, "/sys/class/accel/accel%u/device%s", n,
			     rest) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * The bus the qnpu behind @node sits on: "pci" (the PCI function) or
 * "platform" (the device-tree node); 0 or -errno.
 */
static inline int qnpu_node_bus(const char *node, char *bus, size_t len)
{
	char path[128];
	int ret = qnpu_node_sysfs(node, "/subsystem", path, sizeof(path));

	return ret ? ret : qnpu_resolved_name(path, bus, len);
}

/*
 * The bus device behind @node, as its bus's drivers/qnpu/{bind,unbind}
 * take it: "0000:00:03.0" on PCI, "c000000.npu" on the platform bus;
 * 0 or -errno.
 */
static inline int qnpu_node_device(const char *node, char *name, size_t len)
{
	char path[128];
	int ret = qnpu_node_sysfs(node, "", path, sizeof(path));

	return ret ? ret : qnpu_resolved_name(path, name, len);
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

static inline int qnpu_syncobj_new(int fd, uint32_t *handle)
{
	struct drm_syncobj_create c = { 0 };
	int ret = qnpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);

	*handle = c.handle;
	return ret;
}

/* A sync_file fd holding the syncobj's fence, or -errno. */
static inline int qnpu_syncobj_export(int fd, uint32_t handle)
{
	struct drm_syncobj_handle h = {
		.handle = handle,
		.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
		.fd = -1,
	};
	int ret = qnpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h);

	return ret ? ret : h.fd;
}

/* Write @s to a sysfs or debugfs file; 0 or -errno. */
static inline int qnpu_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The debugfs directory of the (first) qnpu device; 0 or -errno. */
static inline int qnpu_debugfs_dir(char *buf, size_t len)
{
	DIR *d = opendir("/sys/kernel/debug/accel");
	struct dirent *de;
	int ret = -ENOENT;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(buf, len, "/sys/kernel/debug/accel/%s", de->d_name);
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

/* A line "NAME VALUE" of debugfs counters, or -1. */
static inline long long qnpu_debugfs_counter(const char *name)
{
	char dir[320], path[400], line[128];
	long long v = -1;
	size_t n = strlen(name);
	FILE *f;

	if (qnpu_debugfs_dir(dir, sizeof(dir)))
		return -1;
	snprintf(path, sizeof(path), "%s/counters", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ' ')
			v = atoll(line + n + 1);
	fclose(f);
	return v;
}

/* Force a device reset through debugfs; 0 or -errno. */
static inline int qnpu_debugfs_reset(void)
{
	char dir[320], path[400];
	int ret = qnpu_debugfs_dir(dir, sizeof(dir));

	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/reset", dir);
	return qnpu_write_file(path, "1");
}

/* Fill @bo with a pattern of @seed. */
static inline void qnpu_bo_fill(struct qnpu_bo *bo, uint8_t seed)
{
	uint64_t i;

	for (i = 0; i < bo->size; i++)
		((uint8_t *)bo->map)[i] = (uint8_t)(i * 13 + seed);
}

/* Submit a copy of @bytes from @src to @dst, from offset @cb_off of @cbo. */
static inline int qnpu_submit_copy(int fd, struct qnpu_bo *cbo, uint64_t cb_off,
				   uint64_t src, uint64_t dst, uint32_t bytes,
				   uint32_t *bos, uint32_t bo_count,
				   uint32_t out_syncobj, uint64_t *id)
{
	struct qnpu_submit_opts o = {
		.bos = bos, .bo_count = bo_count, .out_syncobj = out_syncobj,
		.cb_offset = cb_off,
	};
	struct qnpu_cb cb;

	qnpu_cb_init(&cb, (uint8_t *)cbo->map + cb_off);
	qnpu_cb_copy(&cb, src, dst, bytes);
	return qnpu_submit(fd, cbo, qnpu_cb_end(&cb), &o, id);
}


/* Open the device, run one small job and check it ends OK; 0 or -errno. */
static inline int qnpu_device_runs_a_job(int64_t timeout_ns)
{
	struct drm_qnpu_wait w = { 0 };
	struct qnpu_bo cbo;
	uint64_t id;
	int fd = qnpu_open_node(NULL), ret;

	if (fd < 0)
		return -errno;
	ret = qnpu_bo_new(fd, 4096, 0, &cbo);
	if (!ret)
		ret = qnpu_submit_copy(fd, &cbo, 0, cbo.addr + 256,
				       cbo.addr + 512, 64, NULL, 0, 0, &id);
	if (!ret)
		ret = qnpu_wait(fd, id, timeout_ns, &w);
	if (!ret && w.status != QNPU_STATUS_OK)
		ret = -EIO;
	qnpu_bo_free(&cbo);
	close(fd);
	return ret;
}

#endif /* QNPU_UTIL_H */
