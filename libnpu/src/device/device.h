/* SPDX-License-Identifier: MIT */
/*
 * libnpu: device handle internals shared by the device-layer files.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_DEVICE_H
#define NPU_DEVICE_H

#include <pthread.h>

#include "npu/npu.h"

/* Immutable after open, so a handle is safe to share between threads. */
struct npu_device {
	int fd;
	char path[64];
};

struct npu_buffer {
	struct npu_device *dev;
	uint32_t handle;
	uint64_t size;
	uint64_t addr;
	uint64_t mmap_offset;
	pthread_mutex_t lock;	/* protects map and maps */
	void *map;
	unsigned int maps;
};

struct npu_fence {
	struct npu_device *dev;
	uint32_t syncobj;
};

#endif /* NPU_DEVICE_H */
