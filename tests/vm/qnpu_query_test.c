// SPDX-License-Identifier: MIT
/*
 * Selftests of DRM_IOCTL_QNPU_QUERY and of device discovery, run inside
 * a VM against the QEMU qnpu device. The expected device parameters come
 * from the environment (QNPU_EXPECT_*, as tools/qnpu-vm was told to set
 * the device properties), or are the device defaults. The device is a PCI
 * function or a device-tree platform device: its bus decides the PCI ids
 * (zero off PCI) and the interrupt (MSI-X/MSI on PCI, a wired line on the
 * platform bus).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "qnpu_accel.h"
#include "qnpu_cmdbuf.h"
#include "qnpu_regs.h"
#include "qnpu_util.h"

#define MSI_FEATURES	(QNPU_FEATURE_MSIX | QNPU_FEATURE_MSI)

/* The bus device behind accel0. */
#define ACCEL0_DEVICE	"/sys/class/accel/accel0/device"

static unsigned long expect(const char *name, unsigned long dflt)
{
	const char *v = getenv(name);

	return v ? strtoul(v, NULL, 0) : dflt;
}

static int query(int fd, __u32 type, void *data, __u32 *size)
{
	struct drm_qnpu_query q = { .type = type, .size = *size,
				    .data = (__u64)(uintptr_t)data };
	int ret = ioctl(fd, DRM_IOCTL_QNPU_QUERY, &q);

	*size = q.size;
	return ret ? -errno : 0;
}

static int count_accel_nodes(void)
{
	struct dirent *de;
	DIR *dir = opendir("/dev/accel");
	int n = 0;

	if (!dir)
		return 0;
	while ((de = readdir(dir)))
		n += strncmp(de->d_name, "accel", 5) == 0;
	closedir(dir);
	return n;
}

static int read_sysfs(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

enum bus { BUS_UNKNOWN, BUS_PCI, BUS_PLATFORM };

static enum bus node_bus(const char *node)
{
	char name[16];

	if (qnpu_node_bus(node, name, sizeof(name)))
		return BUS_UNKNOWN;
	if (!strcmp(name, "pci"))
		return BUS_PCI;
	return strcmp(name, "platform") ? BUS_UNKNOWN : BUS_PLATFORM;
}

/* The identity fields of @info: the PCI ids on PCI, zero elsewhere. */
static void expect_bus_ids(struct __test_metadata *_metadata, enum bus bus,
			   const struct drm_qnpu_device_info *info)
{
	if (bus == BUS_PCI) {
		EXPECT_EQ(QNPU_PCI_VENDOR_ID, info->pci_vendor);
		EXPECT_EQ(QNPU_PCI_DEVICE_ID, info->pci_device);
		EXPECT_EQ(QNPU_PCI_REVISION, info->pci_revision);
	} else {
		EXPECT_EQ(BUS_PLATFORM, bus);
		EXPECT_EQ(0, info->pci_vendor);
		EXPECT_EQ(0, info->pci_device);
		EXPECT_EQ(0, info->pci_revision);
	}
}

FIXTURE(dev) {
	int fd;
	enum bus bus;
};

FIXTURE_SETUP(dev)
{
	self->fd = open("/dev/accel/accel0", O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->fd, 0) TH_LOG("open /dev/accel/accel0: %s", strerror(errno));
	self->bus = node_bus("/dev/accel/accel0");
	ASSERT_NE(BUS_UNKNOWN, self->bus) TH_LOG("accel0 on neither PCI nor platform bus");
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST(sysfs_identity)
{
	enum bus bus = node_bus("/dev/accel/accel0");
	char buf[256];
	ssize_t n;

	ASSERT_NE(BUS_UNKNOWN, bus);
	if (bus == BUS_PCI) {
		ASSERT_EQ(0, read_sysfs(ACCEL0_DEVICE "/vendor", buf, sizeof(buf)));
		EXPECT_STREQ("0x1234", buf);
		ASSERT_EQ(0, read_sysfs(ACCEL0_DEVICE "/device", buf, sizeof(buf)));
		EXPECT_STREQ("0x4e50", buf);
		ASSERT_EQ(0, read_sysfs(ACCEL0_DEVICE "/class", buf, sizeof(buf)));
		EXPECT_STREQ("0x120000", buf);
	} else {
		/* No ids off PCI: the device-tree node names the device. */
		ASSERT_EQ(0, read_sysfs(ACCEL0_DEVICE "/of_node/compatible", buf, sizeof(buf)));
		EXPECT_STREQ("qnpu,npu-1.0", buf);
	}
	n = readlink(ACCEL0_DEVICE "/driver", buf, sizeof(buf) - 1);
	ASSERT_GT(n, 0);
	buf[n] = 0;
	EXPECT_STREQ("qnpu", strrchr(buf, '/') + 1);
}

TEST(device_count)
{
	EXPECT_EQ((int)expect("QNPU_EXPECT_DEVICES", 1), count_accel_nodes());
}

TEST(interrupt_vector)
{
	enum bus bus = node_bus("/dev/accel/accel0");
	char buf[256];
	FILE *f = fopen("/proc/interrupts", "r");
	int found = 0;
	DIR *dir;

	ASSERT_NE(BUS_UNKNOWN, bus);
	ASSERT_NE(NULL, f);
	while (fgets(buf, sizeof(buf), f))
		found += strstr(buf, "qnpu") != NULL;
	fclose(f);
	/* One interrupt per device: a message-signalled one on PCI only. */
	EXPECT_EQ((int)expect("QNPU_EXPECT_DEVICES", 1), found);
	if (bus == BUS_PLATFORM) {
		EXPECT_NE(0, access(ACCEL0_DEVICE "/msi_irqs", F_OK))
			TH_LOG("an MSI vector on the wired-interrupt device");
		return;
	}
	dir = opendir(ACCEL0_DEVICE "/msi_irqs");
	ASSERT_NE(NULL, dir) TH_LOG("no MSI/MSI-X vector in use");
	closedir(dir);
}

TEST_F(dev, size_probe)
{
	__u32 size = 0;

	ASSERT_EQ(0, query(self->fd, DRM_QNPU_QUERY_DEVICE_INFO, NULL, &size));
	EXPECT_EQ(sizeof(struct drm_qnpu_device_info), size);
	size = 0;
	ASSERT_EQ(0, query(self->fd, DRM_QNPU_QUERY_COUNTERS, NULL, &size));
	EXPECT_EQ(sizeof(struct drm_qnpu_counters), size);
}

TEST_F(dev, device_info_matches_properties)
{
	struct drm_qnpu_device_info info;
	__u32 size = sizeof(info);

	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, query(self->fd, DRM_QNPU_QUERY_DEVICE_INFO, &info, &size));
	ASSERT_EQ(sizeof(info), size);

	expect_bus_ids(_metadata, self->bus, &info);
	EXPECT_EQ(0, info.pad0[0] | info.pad0[1] | info.pad0[2]);
	EXPECT_EQ(1u << 16 | 1, info.hw_version);
	EXPECT_EQ(1u << 16, info.driver_version);
	EXPECT_EQ(expect("QNPU_EXPECT_ARRAY_ROWS", 32), info.mac_rows);
	EXPECT_EQ(expect("QNPU_EXPECT_ARRAY_COLS", 32), info.mac_cols);
	EXPECT_EQ(expect("QNPU_EXPECT_SRAM_KIB", 1024) * 1024, info.sram_bytes);
	EXPECT_EQ(expect("QNPU_EXPECT_CLOCK_MHZ", 1000), info.clock_mhz);
	EXPECT_EQ(expect("QNPU_EXPECT_DRAM_MBPS", 12800), info.dram_bw_mbps);
	EXPECT_EQ(expect("QNPU_EXPECT_CONTEXTS", 64), info.mmu_contexts);
	EXPECT_EQ((1ull << QNPU_OP_COUNT) - 1, info.ops);
	EXPECT_EQ(39, info.va_bits);
	EXPECT_EQ(4096, info.page_size);
	EXPECT_EQ(QNPU_CMDBUF_VERSION, info.cmdbuf_version_min);
	EXPECT_EQ(QNPU_CMDBUF_VERSION, info.cmdbuf_version_max);
	EXPECT_EQ(65535, info.max_dim);
	EXPECT_EQ(65536, info.max_k);
	EXPECT_EQ(1u << 20, info.max_cmdbuf_size);
	/* MSI-X and MSI on PCI; the platform device has a wired interrupt. */
	EXPECT_EQ(self->bus == BUS_PCI ? MSI_FEATURES : 0,
		  info.features & MSI_FEATURES);
	EXPECT_TRUE(info.features & QNPU_FEATURE_ROUND_DOUBLE);
	EXPECT_TRUE(info.features & QNPU_FEATURE_ROUND_SINGLE);
	EXPECT_FALSE(info.features & QNPU_FEATURE_FAULT_INJECT);
	EXPECT_LT(info.va_start, info.va_end);
	EXPECT_EQ(1ull << 39, info.va_end);
	EXPECT_NE(0, info.max_bo_size);
	EXPECT_NE(0, info.max_bo_handles);
	EXPECT_NE(0, info.max_jobs_per_file);
}

TEST_F(dev, every_device_answers)
{
	int n = count_accel_nodes(), i;

	for (i = 0; i < n; i++) {
		struct drm_qnpu_device_info info;
		__u32 size = sizeof(info);
		char path[32];
		int fd;

		snprintf(path, sizeof(path), "/dev/accel/accel%d", i);
		fd = open(path, O_RDWR);
		ASSERT_GE(fd, 0);
		EXPECT_EQ(0, query(fd, DRM_QNPU_QUERY_DEVICE_INFO, &info, &size));
		expect_bus_ids(_metadata, node_bus(path), &info);
		EXPECT_EQ(expect("QNPU_EXPECT_ARRAY_ROWS", 32), info.mac_rows);
		close(fd);
	}
}

TEST_F(dev, short_buffer_gets_prefix)
{
	struct drm_qnpu_device_info info;
	__u32 size = 8;

	/* A pattern, not zeros: the platform device writes zero ids. */
	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, query(self->fd, DRM_QNPU_QUERY_DEVICE_INFO, &info, &size));
	EXPECT_EQ(8, size);
	expect_bus_ids(_metadata, self->bus, &info);
	EXPECT_EQ(0, info.pad0[0] | info.pad0[1] | info.pad0[2]);
	EXPECT_EQ(0xa5a5a5a5, info.driver_version);	/* past the 8 bytes: untouched */
}

TEST_F(dev, larger_buffer_is_trimmed)
{
	char buf[sizeof(struct drm_qnpu_device_info) + 64];
	__u32 size = sizeof(buf);

	memset(buf, 0x5a, sizeof(buf));
	ASSERT_EQ(0, query(self->fd, DRM_QNPU_QUERY_DEVICE_INFO, buf, &size));
	EXPECT_EQ(sizeof(struct drm_qnpu_device_info), size);
	EXPECT_EQ(0x5a, (unsigned char)buf[sizeof(buf) - 1]);
}

TEST_F(dev, counters)
{
	struct drm_qnpu_counters c;
	__u32 size = sizeof(c);

	memset(&c, 0xff, sizeof(c));
	ASSERT_EQ(0, query(self->fd, DRM_QNPU_QUERY_COUNTERS, &c, &size));
	EXPECT_EQ(sizeof(c), size);
	EXPECT_EQ(0, c.resets);
	EXPECT_LE(c.errors, c.jobs);
}

TEST_F(dev, unknown_type)
{
	struct drm_qnpu_device_info info;
	__u32 size = sizeof(info);

	EXPECT_EQ(-EINVAL, query(self->fd, 2, &info, &size));
	size = 0;
	EXPECT_EQ(-EINVAL, query(self->fd, 0xffffffff, NULL, &size));
}

TEST_F(dev, nonzero_flags_and_pad)
{
	struct drm_qnpu_device_info info;
	struct drm_qnpu_query q = { .type = DRM_QNPU_QUERY_DEVICE_INFO,
				    .size = sizeof(info),
				    .data = (__u64)(uintptr_t)&info };

	q.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_QNPU_QUERY, &q));
	EXPECT_EQ(EINVAL, errno);
	q.flags = 0;
	q.pad = 1;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_QNPU_QUERY, &q));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, bad_pointers)
{
	struct drm_qnpu_query q = { .type = DRM_QNPU_QUERY_DEVICE_INFO,
				    .size = sizeof(struct drm_qnpu_device_info) };
	void *ro;

	q.data = 0;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_QNPU_QUERY, &q));
	EXPECT_EQ(EFAULT, errno);

	q.data = 0xffffffffffff0000ull;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_QNPU_QUERY, &q));
	EXPECT_EQ(EFAULT, errno);

	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	q.data = (__u64)(uintptr_t)ro;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_QNPU_QUERY, &q));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, 4096);

	/* The ioctl argument itself unreadable. */
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_QNPU_QUERY, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, unknown_ioctl)
{
	char arg[64] = { 0 };

	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOWR(DRM_COMMAND_BASE + 0x3f, arg), arg));
	EXPECT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
