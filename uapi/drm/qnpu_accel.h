/* SPDX-License-Identifier: MIT */
/*
 * qnpu DRM accel driver: the kernel/user ABI.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef __UAPI_QNPU_ACCEL_H__
#define __UAPI_QNPU_ACCEL_H__

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_QNPU_QUERY			0x00
#define DRM_QNPU_BO_CREATE		0x01
#define DRM_QNPU_BO_INFO		0x02
#define DRM_QNPU_SUBMIT			0x03
#define DRM_QNPU_WAIT			0x04

#define DRM_IOCTL_QNPU_QUERY \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_QNPU_QUERY, struct drm_qnpu_query)
#define DRM_IOCTL_QNPU_BO_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_QNPU_BO_CREATE, struct drm_qnpu_bo_create)
#define DRM_IOCTL_QNPU_BO_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_QNPU_BO_INFO, struct drm_qnpu_bo_info)
#define DRM_IOCTL_QNPU_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_QNPU_SUBMIT, struct drm_qnpu_submit)
#define DRM_IOCTL_QNPU_WAIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_QNPU_WAIT, struct drm_qnpu_wait)

/**
 * DOC: qnpu uapi overview
 *
 * Each open file of ``/dev/accel/accelN`` is its own device address
 * space: buffer objects created through it are mapped at a device
 * virtual address that only jobs submitted through the same file can
 * reach. A job is a command buffer (see ``qnpu_cmdbuf.h``) inside a BO,
 * plus the list of BOs it touches. Jobs of one file run in submission
 * order; their completion is a fence that can be waited on with
 * %DRM_IOCTL_QNPU_WAIT or exported through a DRM syncobj.
 *
 * All structures are 64-bit aligned with explicit padding. Fields marked
 * "must be zero" are checked; a non-zero value gives -EINVAL, so they
 * can gain meaning later without breaking old binaries.
 */

/**
 * enum drm_qnpu_query_type - what %DRM_IOCTL_QNPU_QUERY returns
 * @DRM_QNPU_QUERY_DEVICE_INFO: &struct drm_qnpu_device_info
 * @DRM_QNPU_QUERY_COUNTERS: &struct drm_qnpu_counters
 */
enum drm_qnpu_query_type {
	DRM_QNPU_QUERY_DEVICE_INFO = 0,
	DRM_QNPU_QUERY_COUNTERS = 1,
};

/**
 * struct drm_qnpu_query - read device information
 *
 * With @size zero the kernel only sets @size to the length of the
 * structure it has for @type. Otherwise it copies min(@size, its length)
 * bytes to @data and sets @size to the number copied, so a newer header
 * and an older kernel (or the reverse) still work together.
 */
struct drm_qnpu_query {
	/** @type: &enum drm_qnpu_query_type */
	__u32 type;
	/** @size: in: bytes at @data; out: bytes written or available */
	__u32 size;
	/** @data: user pointer to the result structure */
	__u64 data;
	/** @flags: must be zero */
	__u32 flags;
	/** @pad: must be zero */
	__u32 pad;
};

/**
 * struct drm_qnpu_device_info - device parameters and capabilities
 *
 * The values come from the device's capability registers
 * (docs/hardware.md), except the driver version.
 */
struct drm_qnpu_device_info {
	/** @pci_vendor: PCI vendor id; zero on a platform (device-tree) device */
	__u16 pci_vendor;
	/** @pci_device: PCI device id; zero on a platform (device-tree) device */
	__u16 pci_device;
	/** @pci_revision: PCI revision id; zero on a platform (device-tree) device */
	__u8 pci_revision;
	/** @pad0: zero */
	__u8 pad0[3];
	/** @hw_version: programming model, major << 16 | minor */
	__u32 hw_version;
	/** @driver_version: major << 16 | minor << 8 | patch */
	__u32 driver_version;
	/** @mac_rows: MAC array rows */
	__u32 mac_rows;
	/** @mac_cols: MAC array columns */
	__u32 mac_cols;
	/** @clock_mhz: modelled array clock */
	__u32 clock_mhz;
	/** @dram_bw_mbps: modelled DRAM bandwidth, MB/s */
	__u32 dram_bw_mbps;
	/** @sram_bytes: on-chip SRAM */
	__u64 sram_bytes;
	/** @ops: bit n set when &enum qnpu_op n is supported */
	__u64 ops;
	/** @features: QNPU_FEATURE_* bits of the device */
	__u32 features;
	/** @mmu_contexts: device MMU contexts (bounds open files) */
	__u32 mmu_contexts;
	/** @va_bits: width of a device virtual address */
	__u32 va_bits;
	/** @page_size: device MMU page size */
	__u32 page_size;
	/** @cmdbuf_version_min: oldest command-buffer version accepted */
	__u16 cmdbuf_version_min;
	/** @cmdbuf_version_max: newest command-buffer version accepted */
	__u16 cmdbuf_version_max;
	/** @max_dim: largest tensor dimension */
	__u32 max_dim;
	/** @max_k: largest number of taps per output */
	__u32 max_k;
	/** @max_cmdbuf_size: largest command buffer, bytes */
	__u32 max_cmdbuf_size;
	/** @va_start: first device address BOs are placed at */
	__u64 va_start;
	/** @va_end: end (exclusive) of the BO address range */
	__u64 va_end;
	/** @max_bo_size: largest BO */
	__u64 max_bo_size;
	/** @max_bo_handles: largest BO list of one job */
	__u32 max_bo_handles;
	/** @max_jobs_per_file: jobs one file may have queued */
	__u32 max_jobs_per_file;
	/** @max_bo_bytes_per_file: BO memory one file may hold */
	__u64 max_bo_bytes_per_file;
};

/**
 * struct drm_qnpu_counters - device performance counters
 *
 * Totals since the device was probed; resets do not clear them.
 */
struct drm_qnpu_counters {
	/** @jobs: jobs completed */
	__u64 jobs;
	/** @errors: jobs that ended with a status other than OK */
	__u64 errors;
	/** @macs: multiply-accumulates performed */
	__u64 macs;
	/** @dram_read_bytes: bytes read from system memory */
	__u64 dram_read_bytes;
	/** @dram_write_bytes: bytes written to system memory */
	__u64 dram_write_bytes;
	/** @sram_read_bytes: bytes read from on-chip SRAM */
	__u64 sram_read_bytes;
	/** @sram_write_bytes: bytes written to on-chip SRAM */
	__u64 sram_write_bytes;
	/** @cycles: modelled busy cycles */
	__u64 cycles;
	/** @resets: device resets after a hang or fault */
	__u64 resets;
};

/**
 * DRM_QNPU_BO_DEVICE_READONLY - map the BO read-only for the device
 *
 * A job that writes to it faults. Meant for weights.
 */
#define DRM_QNPU_BO_DEVICE_READONLY	(1u << 0)
#define DRM_QNPU_BO_FLAGS		DRM_QNPU_BO_DEVICE_READONLY

/**
 * struct drm_qnpu_bo_create - create a buffer object
 *
 * The BO is zero-filled, page aligned, and mapped into the device
 * address space of the file that creates it.
 */
struct drm_qnpu_bo_create {
	/** @size: in: bytes, rounded up to the page size; non-zero */
	__u64 size;
	/** @flags: in: DRM_QNPU_BO_* */
	__u32 flags;
	/** @handle: out: GEM handle */
	__u32 handle;
	/** @device_addr: out: device virtual address */
	__u64 device_addr;
};

/**
 * struct drm_qnpu_bo_info - information about a BO
 */
struct drm_qnpu_bo_info {
	/** @handle: in: GEM handle */
	__u32 handle;
	/** @flags: in: must be zero; out: DRM_QNPU_BO_* of the BO */
	__u32 flags;
	/** @size: out: size in bytes */
	__u64 size;
	/** @device_addr: out: device address in this file's space */
	__u64 device_addr;
	/** @mmap_offset: out: offset to pass to mmap() on the file */
	__u64 mmap_offset;
};

/**
 * enum drm_qnpu_priority - scheduling priority of a job
 * @DRM_QNPU_PRIORITY_LOW: background work
 * @DRM_QNPU_PRIORITY_NORMAL: the default
 * @DRM_QNPU_PRIORITY_HIGH: needs CAP_SYS_NICE
 */
enum drm_qnpu_priority {
	DRM_QNPU_PRIORITY_LOW = 0,
	DRM_QNPU_PRIORITY_NORMAL = 1,
	DRM_QNPU_PRIORITY_HIGH = 2,
};

/**
 * struct drm_qnpu_submit - queue a job
 *
 * The command buffer is @cmdbuf_size bytes at @cmdbuf_offset in BO
 * @cmdbuf_handle. Every BO the job reads or writes must be in
 * @bo_handles (the command-buffer BO may be listed too): they are kept
 * alive and fenced until the job ends. The job starts once every
 * syncobj in @in_syncobjs has signalled; its completion fence replaces
 * the fence of @out_syncobj when that is non-zero.
 */
struct drm_qnpu_submit {
	/** @cmdbuf_handle: BO holding the command buffer */
	__u32 cmdbuf_handle;
	/** @flags: must be zero */
	__u32 flags;
	/** @cmdbuf_offset: byte offset in the BO, 8-byte aligned */
	__u64 cmdbuf_offset;
	/** @cmdbuf_size: bytes, at most &drm_qnpu_device_info.max_cmdbuf_size */
	__u64 cmdbuf_size;
	/** @bo_handles: user pointer to @bo_count __u32 handles */
	__u64 bo_handles;
	/** @in_syncobjs: user pointer to @in_syncobj_count __u32 handles */
	__u64 in_syncobjs;
	/** @bo_count: number of @bo_handles, no duplicates */
	__u32 bo_count;
	/** @in_syncobj_count: number of @in_syncobjs */
	__u32 in_syncobj_count;
	/** @out_syncobj: syncobj to receive the job's fence, or 0 */
	__u32 out_syncobj;
	/** @priority: &enum drm_qnpu_priority */
	__u32 priority;
	/** @job_id: out: id to wait on, unique within the file */
	__u64 job_id;
	/** @pad: must be zero */
	__u64 pad;
};

/** DRM_QNPU_WAIT_BO - wait for every job using BO @handle, not a job */
#define DRM_QNPU_WAIT_BO		(1u << 0)
#define DRM_QNPU_WAIT_FLAGS		DRM_QNPU_WAIT_BO

/**
 * struct drm_qnpu_wait - wait for a job (or a BO) to be idle
 *
 * Returns 0 once the job has ended, whatever its status, -ETIME if it
 * has not ended after @timeout_ns, -ENOENT for an unknown job id. The
 * status of the last 4096 jobs of a file stays readable until the file
 * is closed. A job whose in-fence failed still runs: the producer's own
 * status says whether its output is valid.
 */
struct drm_qnpu_wait {
	/** @job_id: in: from &drm_qnpu_submit.job_id */
	__u64 job_id;
	/** @timeout_ns: in: relative timeout; 0 polls */
	__s64 timeout_ns;
	/** @handle: in: with %DRM_QNPU_WAIT_BO, the BO; else zero */
	__u32 handle;
	/** @flags: in: DRM_QNPU_WAIT_* */
	__u32 flags;
	/** @status: out: &enum qnpu_status the job ended with */
	__u32 status;
	/** @error_offset: out: byte offset of the failing descriptor */
	__u32 error_offset;
	/** @fault_addr: out: device address of an MMU fault */
	__u64 fault_addr;
	/** @cycles: out: modelled device cycles of the job */
	__u64 cycles;
};

#if defined(__cplusplus)
}
#endif

#endif /* __UAPI_QNPU_ACCEL_H__ */
