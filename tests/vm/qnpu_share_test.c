// SPDX-License-Identifier: MIT
/*
 * Selftests of fences, sharing and concurrency: syncobj in/out fences,
 * dma-buf export and import between files, many processes at once, the
 * per-file limits (the VM loads qnpu.ko with small limits: see the
 * Makefile), fdinfo and debugfs.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#include "qnpu_util.h"

static int syncobj_create(int fd, uint32_t *handle)
{
	struct drm_syncobj_create c = { 0 };
	int ret = qnpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);

	*handle = c.handle;
	return ret;
}

static int syncobj_wait(int fd, uint32_t handle, int64_t timeout_ns)
{
	struct drm_syncobj_wait w = {
		.handles = (uintptr_t)&handle, .count_handles = 1,
		.timeout_nsec = timeout_ns,
	};

	return qnpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w);
}

static void fill(struct qnpu_bo *bo, uint8_t seed)
{
	uint64_t i;

	for (i = 0; i < bo->size; i++)
		((uint8_t *)bo->map)[i] = (uint8_t)(i * 13 + seed);
}

/* Copy @bytes from @src to @dst of one file, waiting for @in, signalling
 * @out; returns the job id. */
static uint64_t chained_copy(struct __test_metadata *_metadata, int fd,
			     struct qnpu_bo *cbo, uint64_t cb_off,
			     struct qnpu_bo *src, struct qnpu_bo *dst,
			     uint32_t bytes, uint32_t *in, uint32_t out)
{
	uint32_t bos[] = { src->handle, dst->handle };
	struct qnpu_submit_opts o = {
		.bos = bos, .bo_count = src == dst ? 1 : 2, .in_syncobjs = in,
		.in_count = in ? 1 : 0, .out_syncobj = out, .cb_offset = cb_off,
	};
	struct qnpu_cb cb;
	uint64_t id = 0;

	qnpu_cb_init(&cb, (uint8_t *)cbo->map + cb_off);
	qnpu_cb_copy(&cb, src->addr, dst->addr, bytes);
	EXPECT_EQ(0, qnpu_submit(fd, cbo, qnpu_cb_end(&cb), &o, &id));
	return id;
}

TEST(syncobj_chain)
{
	struct qnpu_bo cbo, a, b, c;
	struct drm_qnpu_wait w;
	uint32_t s1, s2, empty;
	uint64_t id1, id2;
	int fd = qnpu_open_node(NULL);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, qnpu_bo_new(fd, 4096, 0, &cbo));
	ASSERT_EQ(0, qnpu_bo_new(fd, 65536, 0, &a));
	ASSERT_EQ(0, qnpu_bo_new(fd, 65536, 0, &b));
	ASSERT_EQ(0, qnpu_bo_new(fd, 65536, 0, &c));
	fill(&a, 3);
	ASSERT_EQ(0, syncobj_create(fd, &s1));
	ASSERT_EQ(0, syncobj_create(fd, &s2));

	/* a -> b signals s1; b -> c waits for s1, signals s2. */
	id1 = chained_copy(_metadata, fd, &cbo, 0, &a, &b, 65536, NULL, s1);
	id2 = chained_copy(_metadata, fd, &cbo, 256, &b, &c, 65536, &s1, s2);
	EXPECT_EQ(0, syncobj_wait(fd, s2, INT64_MAX));
	ASSERT_EQ(0, qnpu_wait(fd, id2, 0, &w));
	EXPECT_EQ(QNPU_STATUS_OK, w.status);
	ASSERT_EQ(0, qnpu_wait(fd, id1, 0, &w));
	EXPECT_EQ(QNPU_STATUS_OK, w.status);
	EXPECT_EQ(0, memcmp(a.map, c.map, 65536));

	/* A syncobj without a fence is not a valid dependency. */
	ASSERT_EQ(0, syncobj_create(fd, &empty));
	EXPECT_NE(0, qnpu_submit(fd, &cbo, 40, &(struct qnpu_submit_opts){
		.in_syncobjs = &empty, .in_count = 1 }, NULL));
	qnpu_bo_free(&cbo);
	qnpu_bo_free(&a);
	qnpu_bo_free(&b);
	qnpu_bo_free(&c);
	close(fd);
}

/* One BO, two files, two device addresses, the same pages. */
TEST(dmabuf_between_files)
{
	struct drm_prime_handle exp = { 0 }, imp = { 0 }, again = { 0 };
	struct drm_qnpu_bo_info info = { 0 };
	struct qnpu_bo cbo2, shared, out2;
	struct drm_qnpu_wait w;
	struct qnpu_cb cb;
	uint32_t bos[2];
	uint64_t id;
	int fd1 = qnpu_open_node(NULL), fd2 = qnpu_open_node(NULL);

	ASSERT_GE(fd1, 0);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, qnpu_bo_new(fd1, 8192, 0, &shared));
	fill(&shared, 77);
	exp.handle = shared.handle;
	exp.flags = DRM_CLOEXEC | DRM_RDWR;
	ASSERT_EQ(0, qnpu_ioctl(fd1, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp));
	imp.fd = exp.fd;
	ASSERT_EQ(0, qnpu_ioctl(fd2, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	again.fd = exp.fd;
	ASSERT_EQ(0, qnpu_ioctl(fd2, DRM_IOCTL_PRIME_FD_TO_HANDLE, &again));
	EXPECT_EQ(imp.handle, again.handle);
	close(exp.fd);

	info.handle = imp.handle;
	ASSERT_EQ(0, qnpu_ioctl(fd2, DRM_IOCTL_QNPU_BO_INFO, &info));
	EXPECT_EQ(8192, info.size);

	/* File 2 copies from the shared BO at its own address, then writes
	 * into it; file 1 sees the write through its mapping. */
	ASSERT_EQ(0, qnpu_bo_new(fd2, 4096, 0, &cbo2));
	ASSERT_EQ(0, qnpu_bo_new(fd2, 8192, 0, &out2));
	bos[0] = imp.handle;
	bos[1] = out2.handle;
	qnpu_cb_init(&cb, cbo2.map);
	qnpu_cb_copy(&cb, info.device_addr, out2.addr, 8192);
	qnpu_cb_copy(&cb, out2.addr + 100, info.device_addr, 16);
	ASSERT_EQ(0, qnpu_submit(fd2, &cbo2, qnpu_cb_end(&cb),
				 &(struct qnpu_submit_opts){ .bos = bos,
							     .bo_count = 2 },
				 &id));
	ASSERT_EQ(0, qnpu_wait(fd2, id, 10 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_OK, w.status);
	EXPECT_EQ(0, memcmp((uint8_t *)out2.map + 16, (uint8_t *)shared.map + 16,
			    8192 - 16));
	EXPECT_EQ(0, memcmp(shared.map, (uint8_t *)out2.map + 100, 16));

	/* The exporter's handle can go; the importer keeps the pages. */
	qnpu_bo_free(&shared);
	close(fd1);
	qnpu_cb_init(&cb, cbo2.map);
	qnpu_cb_copy(&cb, info.device_addr, out2.addr, 64);
	ASSERT_EQ(0, qnpu_submit(fd2, &cbo2, qnpu_cb_end(&cb),
				 &(struct qnpu_submit_opts){ .bos = bos,
							     .bo_count = 2 },
				 &id));
	ASSERT_EQ(0, qnpu_wait(fd2, id, 10 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_OK, w.status);
	qnpu_bo_free(&cbo2);
	qnpu_bo_free(&out2);
	close(fd2);
}

/* Several processes, many jobs each, every result checked. */
TEST(concurrent_processes)
{
	const int procs = 4, jobs = 40;
	pid_t pids[4];
	int p, status;

	for (p = 0; p < procs; p++) {
		pids[p] = fork();
		ASSERT_GE(pids[p], 0);
		if (pids[p] == 0) {
			struct qnpu_bo cbo, src, dst;
			uint64_t ids[40];
			int fd = qnpu_open_node(NULL), j, bad = 0, ret;

			if (fd < 0 || qnpu_bo_new(fd, jobs * 256, 0, &cbo) ||
			    qnpu_bo_new(fd, 4096, 0, &src) ||
			    qnpu_bo_new(fd, jobs * 64, 0, &dst))
				_exit(2);
			fill(&src, (uint8_t)(p * 31));
			for (j = 0; j < jobs; j++) {
				uint32_t bos[] = { src.handle, dst.handle };
				struct qnpu_submit_opts o = {
					.bos = bos, .bo_count = 2,
					.cb_offset = j * 256,
					.priority = j % 3,
				};
				struct qnpu_cb cb;

				if (o.priority == DRM_QNPU_PRIORITY_HIGH)
					o.priority = DRM_QNPU_PRIORITY_NORMAL;
				qnpu_cb_init(&cb, (uint8_t *)cbo.map + j * 256);
				qnpu_cb_copy(&cb, src.addr + j, dst.addr + j * 64,
					     64);
				/* Over the queue limit: wait a little, retry. */
				while ((ret = qnpu_submit(fd, &cbo, qnpu_cb_end(&cb),
							  &o, &ids[j])) == -EBUSY)
					qnpu_wait(fd, ids[j - 1], QNPU_SEC, NULL);
				if (ret)
					_exit(3);
			}
			for (j = 0; j < jobs; j++) {
				struct drm_qnpu_wait w;

				if (qnpu_wait(fd, ids[j], 30 * QNPU_SEC, &w) ||
				    w.status != QNPU_STATUS_OK)
					bad++;
				if (memcmp((uint8_t *)dst.map + j * 64,
					   (uint8_t *)src.map + j, 64))
					bad++;
			}
			_exit(bad ? 4 : 0);
		}
	}
	for (p = 0; p < procs; p++) {
		ASSERT_EQ(pids[p], waitpid(pids[p], &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
}

/*
 * The VM runs this with max_bo_mib_per_file=8, max_jobs_per_file=16 and
 * max_bo_mib_per_device=16.
 */
TEST(per_file_limits)
{
	struct drm_qnpu_device_info info;
	struct drm_qnpu_query q = { .type = DRM_QNPU_QUERY_DEVICE_INFO,
				    .size = sizeof(info),
				    .data = (uintptr_t)&info };
	struct drm_qnpu_bo_create c = { .size = 3 << 20 };
	struct drm_gem_close gc = { 0 };
	struct qnpu_bo cbo, a, b;
	uint32_t h[4];
	uint64_t id = 0;
	int fd = qnpu_open_node(NULL), fd2, fd3, i, busy = 0, ok = 0;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, qnpu_ioctl(fd, DRM_IOCTL_QNPU_QUERY, &q));
	ASSERT_EQ(8ull << 20, info.max_bo_bytes_per_file);
	ASSERT_EQ(16, info.max_jobs_per_file);

	/* 8 MiB per file: two 3 MiB BOs fit, the third does not. */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, qnpu_ioctl(fd, DRM_IOCTL_QNPU_BO_CREATE, &c));
		h[i] = c.handle;
	}
	EXPECT_EQ(-ENOSPC, qnpu_ioctl(fd, DRM_IOCTL_QNPU_BO_CREATE, &c));
	/* Another file has its own budget... */
	fd2 = qnpu_open_node(NULL);
	ASSERT_GE(fd2, 0);
	EXPECT_EQ(0, qnpu_ioctl(fd2, DRM_IOCTL_QNPU_BO_CREATE, &c));
	EXPECT_EQ(0, qnpu_ioctl(fd2, DRM_IOCTL_QNPU_BO_CREATE, &c));
	c.size = 2 << 20;
	EXPECT_EQ(0, qnpu_ioctl(fd2, DRM_IOCTL_QNPU_BO_CREATE, &c));
	/* ...but the device's 16 MiB (now 14 used) bind a third file. */
	fd3 = qnpu_open_node(NULL);
	ASSERT_GE(fd3, 0);
	c.size = 3 << 20;
	EXPECT_EQ(-ENOSPC, qnpu_ioctl(fd3, DRM_IOCTL_QNPU_BO_CREATE, &c));
	c.size = 2 << 20;
	EXPECT_EQ(0, qnpu_ioctl(fd3, DRM_IOCTL_QNPU_BO_CREATE, &c));
	close(fd3);
	close(fd2);
	c.size = 3 << 20;
	/* Freeing gives the budget back. */
	gc.handle = h[1];
	ASSERT_EQ(0, qnpu_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc));
	EXPECT_EQ(0, qnpu_ioctl(fd, DRM_IOCTL_QNPU_BO_CREATE, &c));
	gc.handle = c.handle;
	ASSERT_EQ(0, qnpu_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc));

	/* 16 jobs queued at most: big copies back to back. */
	ASSERT_EQ(0, qnpu_bo_new(fd, 4096, 0, &cbo));
	ASSERT_EQ(0, qnpu_bo_new(fd, 1 << 20, 0, &a));
	ASSERT_EQ(0, qnpu_bo_new(fd, 1 << 20, 0, &b));
	for (i = 0; i < 200; i++) {
		uint32_t bos[] = { a.handle, b.handle };
		struct qnpu_cb cb;
		int ret;

		qnpu_cb_init(&cb, cbo.map);
		qnpu_cb_copy(&cb, a.addr, b.addr, 1 << 20);
		ret = qnpu_submit(fd, &cbo, qnpu_cb_end(&cb),
				  &(struct qnpu_submit_opts){ .bos = bos,
							      .bo_count = 2 },
				  &id);
		if (ret == -EBUSY)
			busy++;
		else if (ret == 0)
			ok++;
		else
			EXPECT_EQ(0, ret);
	}
	EXPECT_GT(busy, 0);
	EXPECT_GE(ok, 16);
	EXPECT_EQ(0, qnpu_wait(fd, id, 30 * QNPU_SEC, NULL));
	qnpu_bo_free(&cbo);
	qnpu_bo_free(&a);
	qnpu_bo_free(&b);
	close(fd);
}

TEST(fdinfo_and_debugfs)
{
	char path[64], line[256];
	struct qnpu_bo bo;
	int fd = qnpu_open_node(NULL), ctx = 0, mem = 0, n = 0;
	FILE *f;
	DIR *d;
	struct dirent *de;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, qnpu_bo_new(fd, 1 << 20, 0, &bo));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		ctx += strncmp(line, "qnpu-context:", 13) == 0;
		mem += strncmp(line, "drm-total-memory:", 17) == 0 ||
		       strncmp(line, "drm-resident-memory:", 20) == 0;
		n += strncmp(line, "drm-driver:\tqnpu", 16) == 0;
	}
	fclose(f);
	EXPECT_EQ(1, ctx);
	EXPECT_GE(mem, 1);
	EXPECT_EQ(1, n);

	/* /sys/kernel/debug/accel/<bus device>/{jobs,files,counters,reset} */
	d = opendir("/sys/kernel/debug/accel");
	ASSERT_NE(NULL, d);
	n = 0;
	while ((de = readdir(d))) {
		char p2[300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(p2, sizeof(p2), "/sys/kernel/debug/accel/%s/counters",
			 de->d_name);
		f = fopen(p2, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			n += strncmp(line, "jobs ", 5) == 0;
		fclose(f);
		snprintf(p2, sizeof(p2), "/sys/kernel/debug/accel/%s/files",
			 de->d_name);
		f = fopen(p2, "r");
		if (f) {
			while (fgets(line, sizeof(line), f))
				n += strstr(line, "BOs") != NULL;
			fclose(f);
		}
	}
	closedir(d);
	EXPECT_GE(n, 2);
	qnpu_bo_free(&bo);
	close(fd);
}

TEST_HARNESS_MAIN
