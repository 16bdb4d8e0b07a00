/* SPDX-License-Identifier: MIT */
/*
 * libnpu: the userspace library of the qnpu INT8 NPU stack.
 *
 * Conventions: functions return 0 or a negative error code (a negative
 * errno value, or one of enum npu_error); npu_strerror() turns either into
 * a message. Handles are opaque. The library keeps no global state.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_NPU_H
#define NPU_NPU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define NPU_API __attribute__((visibility("default")))
#else
#define NPU_API
#endif

/**
 * enum npu_error - library error codes, beyond negative errno values
 * @NPU_E_NOT_QNPU: the device node belongs to another driver
 * @NPU_E_ABI: the kernel driver speaks an incompatible interface
 * @NPU_E_DEVICE_OPS: the program uses an operation the device lacks (an
 *	older programming model: its CAP_OPS)
 */
enum npu_error {
	NPU_E_NOT_QNPU = -4096,
	NPU_E_ABI = -4097,
	NPU_E_DEVICE_OPS = -4098,
};

/** npu_strerror() - a message for any error code libnpu returns */
NPU_API const char *npu_strerror(int err);

/** struct npu_device - an open qnpu device (opaque) */
struct npu_device;

/**
 * struct npu_device_info - what a device is and can do
 *
 * Filled by npu_device_info() from the driver's query ioctl, except @bus
 * and @bus_id, which come from sysfs (/sys/dev/char/MAJOR:MINOR/device of
 * the open node, so any path to the node will do): the bus the device sits
 * on, "pci" (a PCI function) or "platform" (a device-tree node), and its
 * name there, e.g. "0000:00:03.0" or "c000000.npu"; both empty where
 * sysfs is not mounted. The PCI ids are zero off PCI.
 */
struct npu_device_info {
	char path[64];			/* device node */
	char bus[16];			/* "pci" or "platform" */
	char bus_id[64];		/* the device's name on its bus */
	uint32_t driver_version;	/* major << 16 | minor << 8 | patch */
	uint16_t pci_vendor;		/* zero off PCI */
	uint16_t pci_device;		/* zero off PCI */
	uint32_t hw_version;		/* major << 16 | minor */
	uint32_t mac_rows;
	uint32_t mac_cols;
	uint32_t clock_mhz;
	uint32_t dram_bw_mbps;
	uint64_t sram_bytes;
	uint64_t ops;			/* bit n: enum qnpu_op n supported */
	uint32_t features;
	uint32_t mmu_contexts;
	uint32_t va_bits;
	uint32_t page_size;
	uint16_t cmdbuf_version_min;
	uint16_t cmdbuf_version_max;
	uint32_t max_dim;
	uint32_t max_k;
	uint32_t max_cmdbuf_size;
};

/** struct npu_counters - device performance counters, totals since probe */
struct npu_counters {
	uint64_t jobs;
	uint64_t errors;
	uint64_t macs;
	uint64_t dram_read_bytes;
	uint64_t dram_write_bytes;
	uint64_t sram_read_bytes;
	uint64_t sram_write_bytes;
	uint64_t cycles;
	uint64_t resets;
};

/**
 * npu_device_count() - number of qnpu devices on the system
 *
 * Return: the count (0 when there are none), or a negative error code.
 */
NPU_API int npu_device_count(void);

/**
 * npu_device_open() - open the @index-th qnpu device (0-based, in the
 *	order of their /dev/accel/accelN nodes)
 * @index: which device
 * @out: the new handle
 *
 * Return: 0, -ENODEV when there is no such device, or an error code.
 */
NPU_API int npu_device_open(unsigned int index, struct npu_device **out);

/**
 * npu_device_open_path() - open a qnpu device by its node
 * @path: e.g. "/dev/accel/accel0"
 * @out: the new handle
 *
 * Return: 0, NPU_E_NOT_QNPU for another driver's node, or an error code.
 */
NPU_API int npu_device_open_path(const char *path, struct npu_device **out);

/** npu_device_close() - close a handle; NULL is allowed */
NPU_API void npu_device_close(struct npu_device *dev);

/**
 * npu_device_info() - device parameters and capabilities
 * @dev: the device
 * @info: filled in full on success, untouched on failure
 *
 * Return: 0, or the query ioctl's error code (-ENODEV once the device is
 * gone).
 */
NPU_API int npu_device_info(struct npu_device *dev,
			    struct npu_device_info *info);

/** npu_device_counters() - read the device's performance counters */
NPU_API int npu_device_counters(struct npu_device *dev,
				struct npu_counters *counters);

/** npu_device_fd() - the file descriptor behind a handle */
NPU_API int npu_device_fd(const struct npu_device *dev);

/* ---- buffers ------------------------------------------------------- */

/** struct npu_buffer - device memory, mapped for the CPU (opaque) */
struct npu_buffer;

/** Buffer flag: the device may read but not write it (weights). */
#define NPU_BUFFER_DEVICE_READONLY	(1u << 0)

/**
 * npu_buffer_new() - allocate zeroed device memory
 * @dev: the device
 * @size: bytes (rounded up to the page size)
 * @flags: NPU_BUFFER_*
 * @out: the buffer
 *
 * Return: 0, -EINVAL, -E2BIG over the device's largest buffer, -ENOSPC
 * over the memory a process may hold, or another negative errno.
 */
NPU_API int npu_buffer_new(struct npu_device *dev, size_t size, uint32_t flags,
			   struct npu_buffer **out);

/** npu_buffer_free() - release a buffer (jobs using it keep it alive) */
NPU_API void npu_buffer_free(struct npu_buffer *buf);

/**
 * npu_buffer_map() - the CPU address of a buffer's contents
 * @buf: the buffer
 * @ptr: the address, valid until npu_buffer_unmap() or npu_buffer_free()
 *
 * Maps on first use; maps nest.
 */
NPU_API int npu_buffer_map(struct npu_buffer *buf, void **ptr);

/** npu_buffer_unmap() - undo one npu_buffer_map() */
NPU_API int npu_buffer_unmap(struct npu_buffer *buf);

/** npu_buffer_addr() - the buffer's device address (for descriptors) */
NPU_API uint64_t npu_buffer_addr(const struct npu_buffer *buf);

/** npu_buffer_size() - the buffer's size in bytes */
NPU_API size_t npu_buffer_size(const struct npu_buffer *buf);

/**
 * npu_buffer_export() - share a buffer as a dma-buf
 * @buf: the buffer
 * @fd: a new dma-buf file descriptor (the caller closes it)
 */
NPU_API int npu_buffer_export(struct npu_buffer *buf, int *fd);

/**
 * npu_buffer_import() - use a dma-buf (from this or another device handle,
 *	or another driver) as a buffer of @dev
 * @dev: the device
 * @fd: the dma-buf; not consumed
 * @out: the buffer, at its own device address in @dev
 */
NPU_API int npu_buffer_import(struct npu_device *dev, int fd,
			      struct npu_buffer **out);

/* ---- jobs and fences ----------------------------------------------- */

/** struct npu_fence - a point other jobs or the CPU can wait for (opaque) */
struct npu_fence;

/** npu_fence_new() - a fence a job will signal (a DRM syncobj) */
NPU_API int npu_fence_new(struct npu_device *dev, struct npu_fence **out);

/** npu_fence_free() - release a fence */
NPU_API void npu_fence_free(struct npu_fence *fence);

/**
 * npu_fence_wait() - wait until a fence has signalled
 * @fence: the fence
 * @timeout_ns: relative; 0 polls
 *
 * Return: 0, -ETIME on timeout, -EINVAL for a fence no job signals yet.
 */
NPU_API int npu_fence_wait(struct npu_fence *fence, int64_t timeout_ns);

/** enum npu_priority - scheduling priority of a job */
enum npu_priority {
	NPU_PRIORITY_LOW = 0,
	NPU_PRIORITY_NORMAL = 1,
	NPU_PRIORITY_HIGH = 2,	/* needs CAP_SYS_NICE */
};

/**
 * struct npu_job - a command buffer to run
 * @cmdbuf: the buffer holding it
 * @offset: its offset in @cmdbuf, 8-byte aligned
 * @size: its size in bytes
 * @buffers: every buffer the job reads or writes (@cmdbuf may be left out)
 * @buffer_count: entries of @buffers
 * @wait: fences to wait for before running
 * @wait_count: entries of @wait
 * @signal: fence to signal when the job ends, or NULL
 * @priority: enum npu_priority
 */
struct npu_job {
	struct npu_buffer *cmdbuf;
	size_t offset;
	size_t size;
	struct npu_buffer *const *buffers;
	size_t buffer_count;
	struct npu_fence *const *wait;
	size_t wait_count;
	struct npu_fence *signal;
	enum npu_priority priority;
};

/**
 * struct npu_job_result - how a job ended
 * @status: enum qnpu_status of <drm/qnpu_cmdbuf.h>; npu_status_str()
 * @error_offset: offset of the failing descriptor in the command buffer
 * @fault_addr: device address of an MMU fault
 * @cycles: modelled device cycles
 */
struct npu_job_result {
	uint32_t status;
	uint32_t error_offset;
	uint64_t fault_addr;
	uint64_t cycles;
};

/**
 * npu_submit() - queue a job
 * @dev: the device
 * @job: what to run
 * @id: the job's id, for npu_wait()
 *
 * Return: 0; -EBUSY when too many jobs are queued (wait for one, retry);
 * -EINVAL, -ENOENT, -E2BIG for a malformed job.
 */
NPU_API int npu_submit(struct npu_device *dev, const struct npu_job *job,
		       uint64_t *id);

/**
 * npu_wait() - wait for a job to end
 * @dev: the device
 * @id: from npu_submit()
 * @timeout_ns: relative; 0 polls
 * @result: how it ended (may be NULL)
 *
 * Return: 0 once the job has ended (whatever its status); -ETIME.
 */
NPU_API int npu_wait(struct npu_device *dev, uint64_t id, int64_t timeout_ns,
		     struct npu_job_result *result);

/** npu_status_str() - the name of a job status */
NPU_API const char *npu_status_str(uint32_t status);

#ifdef __cplusplus
}
#endif

#endif /* NPU_NPU_H */
