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
 */
enum npu_error {
	NPU_E_NOT_QNPU = -4096,
	NPU_E_ABI = -4097,
};

/** npu_strerror() - a message for any error code libnpu returns */
NPU_API const char *npu_strerror(int err);

/** struct npu_device - an open qnpu device (opaque) */
struct npu_device;

/**
 * struct npu_device_info - what a device is and can do
 *
 * Filled by npu_device_info() from the driver's query ioctl.
 */
struct npu_device_info {
	char path[64];			/* device node */
	uint32_t driver_version;	/* major << 16 | minor << 8 | patch */
	uint16_t pci_vendor;
	uint16_t pci_device;
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

/** npu_device_info() - device parameters and capabilities */
NPU_API int npu_device_info(struct npu_device *dev,
			    struct npu_device_info *info);

/** npu_device_counters() - read the device's performance counters */
NPU_API int npu_device_counters(struct npu_device *dev,
				struct npu_counters *counters);

/** npu_device_fd() - the file descriptor behind a handle */
NPU_API int npu_device_fd(const struct npu_device *dev);

#ifdef __cplusplus
}
#endif

#endif /* NPU_NPU_H */
