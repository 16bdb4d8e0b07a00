// SPDX-License-Identifier: MIT
/*
 * Selftests of device removal and module unload: the PCI function is
 * unbound while a client holds a file (and a BO mapping), then bound
 * again; the module is unloaded when idle and loaded again. Runs last,
 * alone in its VM.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#include "qnpu_util.h"

#define DRV "/sys/bus/pci/drivers/qnpu"

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

/* PCI address of the first bound qnpu function. */
static int first_device(char *addr, size_t len)
{
	struct dirent *de;
	DIR *d = opendir(DRV);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (strchr(de->d_name, ':')) {
			snprintf(addr, len, "%s", de->d_name);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return -ENODEV;
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
	char addr[256];
	struct qnpu_bo bo;
	int fd, fd2;

	ASSERT_EQ(0, first_device(addr, sizeof(addr)));
	fd = qnpu_open_node(NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, qnpu_bo_new(fd, 8192, 0, &bo));
	((uint8_t *)bo.map)[5] = 5;

	ASSERT_EQ(0, write_file(DRV "/unbind", addr));
	/* The file stays valid; the device is gone. */
	EXPECT_EQ(-ENODEV, query_ok(fd));
	EXPECT_EQ(-ENODEV, qnpu_ioctl(fd, DRM_IOCTL_QNPU_BO_CREATE, &c));
	qnpu_bo_free(&bo);
	close(fd);

	ASSERT_EQ(0, write_file(DRV "/bind", addr));
	fd2 = open_any_accel();
	ASSERT_GE(fd2, 0);
	EXPECT_EQ(0, query_ok(fd2));
	ASSERT_EQ(0, qnpu_bo_new(fd2, 4096, 0, &bo));
	qnpu_bo_free(&bo);
	close(fd2);
}

TEST(unload_and_reload_module)
{
	int fd;

	/* Idle: nothing holds the module. */
	ASSERT_EQ(0, system("rmmod qnpu"));
	EXPECT_NE(0, access(DRV, F_OK));
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
