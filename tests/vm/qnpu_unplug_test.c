// SPDX-License-Identifier: MIT
/*
 * Selftests of device removal and module unload: the device (a PCI
 * function, or a device-tree platform device) is unbound from its bus's
 * qnpu driver while a client holds a file (and a BO mapping), and while jobs
 * run and wait in the queue, then bound again; the module is unloaded
 * when idle and loaded again, and refuses to go while a sync_file it
 * backs lives. Runs alone in its VM (inject-delay-us keeps jobs in
 * flight).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/sync_file.h>

#include "kselftest_harness.h"

#include "qnpu_util.h"

/* The driver's directory on each bus qnpu.ko registers with. */
#define PCI_DRV "/sys/bus/pci/drivers/qnpu"
#define PLATFORM_DRV "/sys/bus/platform/drivers/qnpu"

static int write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fputs(s, f) < 0 ? -EIO : 0;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/* The device behind the node under test, and where its driver lives. */
struct bound_device {
	char driver_dir[64];	/* /sys/bus/<bus>/drivers/qnpu */
	char name[64];		/* what its bind and unbind take */
};

static int device_under_test(struct bound_device *dev)
{
	char bus[16];
	int ret = qnpu_node_bus(NULL, bus, sizeof(bus));

	if (!ret)
		ret = qnpu_node_device(NULL, dev->name, sizeof(dev->name));
	if (!ret)
		snprintf(dev->driver_dir, sizeof(dev->driver_dir),
			 "/sys/bus/%s/drivers/qnpu", bus);
	return ret;
}

/* Write the device's name to its driver's @file: "bind" or "unbind". */
static int driver_write(const struct bound_device *dev, const char *file)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/%s", dev->driver_dir, file);
	return write_file(path, dev->name);
}

static int query_ok(int fd)
{
	struct drm_qnpu_device_info info;
	struct drm_qnpu_query q = { .type = DRM_QNPU_QUERY_DEVICE_INFO,
				    .size = sizeof(info),
				    .data = (uintptr_t)&info };

	return qnpu_ioctl(fd, DRM_IOCTL_QNPU_QUERY, &q);
}

static int open_any_accel(void)
{
	char path[32];
	int i, fd;

	for (i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "/dev/accel/accel%d", i);
		fd = qnpu_open_node(path);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

TEST(unbind_while_a_file_is_open)
{
	struct drm_qnpu_bo_create c = { .size = 4096 };
	struct bound_device dev;
	struct qnpu_bo bo;
	int fd, fd2;

	ASSERT_EQ(0, device_under_test(&dev));
	fd = qnpu_open_node(NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, qnpu_bo_new(fd, 8192, 0, &bo));
	((uint8_t *)bo.map)[5] = 5;

	ASSERT_EQ(0, driver_write(&dev, "unbind"));
	/* The file stays valid; the device is gone. */
	EXPECT_EQ(-ENODEV, query_ok(fd));
	EXPECT_EQ(-ENODEV, qnpu_ioctl(fd, DRM_IOCTL_QNPU_BO_CREATE, &c));
	qnpu_bo_free(&bo);
	close(fd);

	ASSERT_EQ(0, driver_write(&dev, "bind"));
	fd2 = open_any_accel();
	ASSERT_GE(fd2, 0);
	EXPECT_EQ(0, query_ok(fd2));
	ASSERT_EQ(0, qnpu_bo_new(fd2, 4096, 0, &bo));
	qnpu_bo_free(&bo);
	close(fd2);
}

/* SYNC_IOC_FILE_INFO status: 1 signalled, 0 active, < 0 the error. */
static int sync_file_status(int fd, char *driver, size_t len)
{
	struct sync_file_info info;
	struct sync_fence_info fence;

	memset(&info, 0, sizeof(info));
	memset(&fence, 0, sizeof(fence));
	info.num_fences = 1;
	info.sync_fence_info = (uintptr_t)&fence;
	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info))
		return -1000 - errno;
	if (driver)
		snprintf(driver, len, "%s", fence.driver_name);
	return info.status;
}

static bool sync_file_signals(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1;
}

TEST(unbind_with_jobs_in_flight)
{
	struct qnpu_bo cbo, src, dst;
	int sync_fd[12], n_enodev = 0, n_ok = 0, i, st;
	uint32_t bos[2], syncobj;
	struct bound_device dev;
	uint64_t id;
	int fd;

	ASSERT_EQ(0, device_under_test(&dev));
	fd = qnpu_open_node(NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, qnpu_bo_new(fd, 12 * 256, 0, &cbo));
	ASSERT_EQ(0, qnpu_bo_new(fd, 65536, 0, &src));
	ASSERT_EQ(0, qnpu_bo_new(fd, 65536, 0, &dst));
	bos[0] = src.handle;
	bos[1] = dst.handle;
	/* One running, the rest on the ring and in the queue. */
	for (i = 0; i < 12; i++) {
		ASSERT_EQ(0, qnpu_syncobj_new(fd, &syncobj));
		ASSERT_EQ(0, qnpu_submit_copy(fd, &cbo, i * 256, src.addr,
					      dst.addr, 65536, bos, 2, syncobj,
					      &id));
		sync_fd[i] = qnpu_syncobj_export(fd, syncobj);
		ASSERT_GE(sync_fd[i], 0);
	}

	ASSERT_EQ(0, driver_write(&dev, "unbind"));
	/* Every job has ended: done before the unbind, or -ENODEV. */
	for (i = 0; i < 12; i++) {
		EXPECT_TRUE(sync_file_signals(sync_fd[i], 0));
		st = sync_file_status(sync_fd[i], NULL, 0);
		n_ok += st == 1;
		n_enodev += st == -ENODEV;
		close(sync_fd[i]);
	}
	EXPECT_EQ(12, n_ok + n_enodev);
	EXPECT_LT(0, n_enodev);
	/* Closing after the unbind returns (it used to spin forever). */
	qnpu_bo_free(&cbo);
	qnpu_bo_free(&src);
	qnpu_bo_free(&dst);
	close(fd);

	ASSERT_EQ(0, driver_write(&dev, "bind"));
	fd = open_any_accel();
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, query_ok(fd));
	close(fd);
}

TEST(sync_file_holds_the_module)
{
	struct qnpu_bo cbo, src, dst;
	uint32_t bos[2], syncobj;
	char driver[32] = "";
	int fd, sync_fd;
	uint64_t id;

	fd = open_any_accel();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, qnpu_bo_new(fd, 4096, 0, &cbo));
	ASSERT_EQ(0, qnpu_bo_new(fd, 4096, 0, &src));
	ASSERT_EQ(0, qnpu_bo_new(fd, 4096, 0, &dst));
	bos[0] = src.handle;
	bos[1] = dst.handle;
	ASSERT_EQ(0, qnpu_syncobj_new(fd, &syncobj));
	ASSERT_EQ(0, qnpu_submit_copy(fd, &cbo, 0, src.addr, dst.addr, 4096,
				      bos, 2, syncobj, &id));
	ASSERT_EQ(0, qnpu_wait(fd, id, 30 * QNPU_SEC, NULL));
	sync_fd = qnpu_syncobj_export(fd, syncobj);
	ASSERT_GE(sync_fd, 0);
	qnpu_bo_free(&cbo);
	qnpu_bo_free(&src);
	qnpu_bo_free(&dst);
	close(fd);

	/* The fence's code is the module's: it stays while the fence does. */
	EXPECT_NE(0, system("rmmod qnpu 2>/dev/null"));
	EXPECT_EQ(1, sync_file_status(sync_fd, driver, sizeof(driver)));
	EXPECT_STREQ("qnpu", driver);
	close(sync_fd);
	EXPECT_EQ(0, system("rmmod qnpu"));
	EXPECT_EQ(0, system("insmod /lib/modules/qnpu.ko"));
	fd = open_any_accel();
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, query_ok(fd));
	close(fd);
}

TEST(unload_and_reload_module)
{
	int fd;

	/* Idle: nothing holds the module. */
	ASSERT_EQ(0, system("rmmod qnpu"));
	/* Both of its drivers went with it, whichever bus the device is on. */
	EXPECT_NE(0, access(PCI_DRV, F_OK));
	EXPECT_NE(0, access(PLATFORM_DRV, F_OK));
	ASSERT_EQ(0, system("insmod /lib/modules/qnpu.ko"));
	fd = open_any_accel();
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, query_ok(fd));
	/* A file holds the module: unload is refused, nothing breaks. */
	EXPECT_NE(0, system("rmmod qnpu 2>/dev/null"));
	EXPECT_EQ(0, query_ok(fd));
	close(fd);
	EXPECT_EQ(0, system("rmmod qnpu"));
	EXPECT_EQ(0, system("insmod /lib/modules/qnpu.ko"));
}

TEST_HARNESS_MAIN
