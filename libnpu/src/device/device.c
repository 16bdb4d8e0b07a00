// SPDX-License-Identifier: MIT
/*
 * libnpu: device access over libdrm.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <xf86drm.h>

#include "device.h"
#include "npu/npu.h"
#include "qnpu_accel.h"

#define ACCEL_DIR	"/dev/accel"
#define MAX_NODES	64

/* Open @path and check that the qnpu driver is behind it. */
static int open_qnpu_node(const char *path, int *fd_out)
{
	drmVersionPtr ver;
	int fd, ret = 0;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	ver = drmGetVersion(fd);
	if (!ver) {
		ret = NPU_E_NOT_QNPU;
	} else {
		if (strcmp(ver->name, "qnpu") != 0)
			ret = NPU_E_NOT_QNPU;
		else if (ver->version_major != 1)
			ret = NPU_E_ABI;
		drmFreeVersion(ver);
	}
	if (ret) {
		close(fd);
		return ret;
	}
	*fd_out = fd;
	return 0;
}

static int cmp_node(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The accel minors present, ascending. */
static int list_nodes(int *minors, int max)
{
	struct dirent *de;
	DIR *dir;
	int n = 0, minor;

	dir = opendir(ACCEL_DIR);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir)) && n < max) {
		if (sscanf(de->d_name, "accel%d", &minor) == 1)
			minors[n++] = minor;
	}
	closedir(dir);
	qsort(minors, n, sizeof(*minors), cmp_node);
	return n;
}

/* Path of the @index-th qnpu node; -ENODEV when there are fewer. */
static int find_qnpu(unsigned int index, char *path, size_t len, int *count)
{
	int minors[MAX_NODES], n, i, fd, found = 0;

	n = list_nodes(minors, MAX_NODES);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		char p[64];

		snprintf(p, sizeof(p), ACCEL_DIR "/accel%d", minors[i]);
		if (open_qnpu_node(p, &fd))
			continue;
		close(fd);
		if (path && (unsigned int)found == index) {
			snprintf(path, len, "%s", p);
			return 0;
		}
		found++;
	}
	if (count)
		*count = found;
	return -ENODEV;
}

NPU_API int npu_device_count(void)
{
	int count = 0, ret;

	ret = find_qnpu(0, NULL, 0, &count);
	return ret == -ENODEV ? count : ret;
}

NPU_API int npu_device_open_path(const char *path, struct npu_device **out)
{
	struct npu_device *dev;
	int fd, ret;

	if (!path || !out)
		return -EINVAL;
	if (strlen(path) >= sizeof(dev->path))
		return -ENAMETOOLONG;
	ret = open_qnpu_node(path, &fd);
	if (ret)
		return ret;
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		close(fd);
		return -ENOMEM;
	}
	dev->fd = fd;
	snprintf(dev->path, sizeof(dev->path), "%s", path);
	*out = dev;
	return 0;
}

NPU_API int npu_device_open(unsigned int index, struct npu_device **out)
{
	char path[64];
	int ret;

	if (!out)
		return -EINVAL;
	ret = find_qnpu(index, path, sizeof(path), NULL);
	if (ret)
		return ret;
	return npu_device_open_path(path, out);
}

NPU_API void npu_device_close(struct npu_device *dev)
{
	if (!dev)
		return;
	close(dev->fd);
	free(dev);
}

NPU_API int npu_device_fd(const struct npu_device *dev)
{
	return dev ? dev->fd : -EINVAL;
}

static int query(struct npu_device *dev, __u32 type, void *data, __u32 size)
{
	struct drm_qnpu_query q = {
		.type = type,
		.size = size,
		.data = (__u64)(uintptr_t)data,
	};

	if (drmIoctl(dev->fd, DRM_IOCTL_QNPU_QUERY, &q))
		return -errno;
	if (q.size != size)
		return NPU_E_ABI;
	return 0;
}

/* The last component of the path @link resolves to; 0 or -errno. */
static int resolved_name(const char *link, char *name, size_t len)
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
 * The bus device behind the node open as @fd: its bus ("pci", "platform")
 * and its name there. Found from the char device's numbers, not the node's
 * path, which npu_device_open_path() lets be anything.
 */
static int node_bus(int fd, char *bus, size_t bus_len, char *id, size_t id_len)
{
	char dev_dir[64], subsystem[96];
	struct stat st;
	int ret;

	if (fstat(fd, &st))
		return -errno;
	snprintf(dev_dir, sizeof(dev_dir), "/sys/dev/char/%u:%u/device",
		 major(st.st_rdev), minor(st.st_rdev));
	snprintf(subsystem, sizeof(subsystem), "%s/subsystem", dev_dir);
	ret = resolved_name(subsystem, bus, bus_len);
	return ret ? ret : resolved_name(dev_dir, id, id_len);
}

NPU_API int npu_device_info(struct npu_device *dev,
			    struct npu_device_info *info)
{
	char bus[sizeof(info->bus)], bus_id[sizeof(info->bus_id)];
	struct drm_qnpu_device_info k;
	int ret;

	if (!dev || !info)
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	ret = query(dev, DRM_QNPU_QUERY_DEVICE_INFO, &k, sizeof(k));
	if (ret)
		return ret;
	/* Without sysfs the bus is unknown; the compute parameters are not. */
	if (node_bus(dev->fd, bus, sizeof(bus), bus_id, sizeof(bus_id)))
		bus[0] = bus_id[0] = '\0';

	memset(info, 0, sizeof(*info));
	snprintf(info->path, sizeof(info->path), "%s", dev->path);
	snprintf(info->bus, sizeof(info->bus), "%s", bus);
	snprintf(info->bus_id, sizeof(info->bus_id), "%s", bus_id);
	info->driver_version = k.driver_version;
	info->pci_vendor = k.pci_vendor;
	info->pci_device = k.pci_device;
	info->hw_version = k.hw_version;
	info->mac_rows = k.mac_rows;
	info->mac_cols = k.mac_cols;
	info->clock_mhz = k.clock_mhz;
	info->dram_bw_mbps = k.dram_bw_mbps;
	info->sram_bytes = k.sram_bytes;
	info->ops = k.ops;
	info->features = k.features;
	info->mmu_contexts = k.mmu_contexts;
	info->va_bits = k.va_bits;
	info->page_size = k.page_size;
	info->cmdbuf_version_min = k.cmdbuf_version_min;
	info->cmdbuf_version_max = k.cmdbuf_version_max;
	info->max_dim = k.max_dim;
	info->max_k = k.max_k;
	info->max_cmdbuf_size = k.max_cmdbuf_size;
	return 0;
}

NPU_API int npu_device_counters(struct npu_device *dev,
				struct npu_counters *c)
{
	struct drm_qnpu_counters k;
	int ret;

	if (!dev || !c)
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	ret = query(dev, DRM_QNPU_QUERY_COUNTERS, &k, sizeof(k));
	if (ret)
		return ret;
	c->jobs = k.jobs;
	c->errors = k.errors;
	c->macs = k.macs;
	c->dram_read_bytes = k.dram_read_bytes;
	c->dram_write_bytes = k.dram_write_bytes;
	c->sram_read_bytes = k.sram_read_bytes;
	c->sram_write_bytes = k.sram_write_bytes;
	c->cycles = k.cycles;
	c->resets = k.resets;
	return 0;
}
