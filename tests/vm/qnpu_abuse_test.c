// SPDX-License-Identifier: MIT
/*
 * Selftests of what users, careless or hostile, do to the uapi: threads
 * racing SUBMIT, WAIT, GEM_CLOSE and close(); processes killed with jobs
 * queued; a second handle to one BO; every context taken; ioctl sizes that
 * differ from the kernel's; arrays that run into an unmapped page; full
 * BO lists; the window of job records; file descriptors that are not
 * dma-bufs. Run in a VM with --strict: the kernel must report nothing.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#include "qnpu_util.h"

static int nop_job(int fd, struct qnpu_bo *cbo, uint64_t off, uint64_t *id)
{
	struct qnpu_submit_opts o = { .cb_offset = off };
	struct qnpu_cb cb;

	qnpu_cb_init(&cb, (uint8_t *)cbo->map + off);
	qnpu_cb_add(&cb, QNPU_OP_NOP, 8);
	return qnpu_submit(fd, cbo, qnpu_cb_end(&cb), &o, id);
}

/* A NOP job with @count BOs in its list. */
static int nop_job_with(int fd, struct qnpu_bo *cbo, uint32_t *bos,
			uint32_t count, uint64_t *id)
{
	struct qnpu_submit_opts o = { .bos = bos, .bo_count = count };
	struct qnpu_cb cb;

	qnpu_cb_init(&cb, cbo->map);
	qnpu_cb_add(&cb, QNPU_OP_NOP, 8);
	return qnpu_submit(fd, cbo, qnpu_cb_end(&cb), &o, id);
}

static int device_info(int fd, struct drm_qnpu_device_info *info)
{
	struct drm_qnpu_query q = { .type = DRM_QNPU_QUERY_DEVICE_INFO,
				    .size = sizeof(*info),
				    .data = (uintptr_t)info };

	return qnpu_ioctl(fd, DRM_IOCTL_QNPU_QUERY, &q);
}

/* ---- WAIT on the id SUBMIT is about to hand out ---- */

struct race {
	int fd;
	atomic_ullong last;
	atomic_int stop;
	atomic_int bad;
};

static void *waiter(void *arg)
{
	struct race *r = arg;

	while (!atomic_load(&r->stop)) {
		uint64_t next = atomic_load(&r->last) + 1;
		int ret = qnpu_wait(r->fd, next, 0, NULL);

		if (ret && ret != -ETIME && ret != -ENOENT)
			atomic_fetch_add(&r->bad, 1);
		ret = qnpu_wait(r->fd, next + 1, 1000, NULL);
		if (ret && ret != -ETIME && ret != -ENOENT)
			atomic_fetch_add(&r->bad, 1);
	}
	return NULL;
}

TEST(wait_races_submit)
{
	struct race r = { 0 };
	struct qnpu_bo cbo;
	pthread_t t[3];
	uint64_t id = 0;
	int i;

	r.fd = qnpu_open_node(NULL);
	ASSERT_GE(r.fd, 0);
	ASSERT_EQ(0, qnpu_bo_new(r.fd, 4096, 0, &cbo));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, waiter, &r));
	for (i = 0; i < 2000; i++) {
		ASSERT_EQ(0, nop_job(r.fd, &cbo, (i % 16) * 256, &id));
		atomic_store(&r.last, id);
		if (i % 64 == 63)
			ASSERT_EQ(0, qnpu_wait(r.fd, id, 10 * QNPU_SEC, NULL));
	}
	atomic_store(&r.stop, 1);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(0, atomic_load(&r.bad));
	EXPECT_EQ(0, qnpu_wait(r.fd, id, 10 * QNPU_SEC, NULL));
	qnpu_bo_free(&cbo);
	close(r.fd);
}

/* ---- two handles to one BO in one file ---- */

static int flink_open(int fd, uint32_t handle, uint32_t *second)
{
	struct drm_gem_flink f = { .handle = handle };
	struct drm_gem_open o = { 0 };
	int ret = qnpu_ioctl(fd, DRM_IOCTL_GEM_FLINK, &f);

	if (ret)
		return ret;
	o.name = f.name;
	ret = qnpu_ioctl(fd, DRM_IOCTL_GEM_OPEN, &o);
	*second = o.handle;
	return ret;
}

TEST(second_handle_keeps_the_mapping)
{
	struct drm_qnpu_bo_info i1 = { 0 }, i2 = { 0 };
	struct qnpu_bo cbo, src, dst;
	struct drm_gem_close c;
	struct drm_qnpu_wait w;
	uint32_t h2, bos[2];
	uint64_t id;
	int fd = qnpu_open_node(NULL);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, qnpu_bo_new(fd, 4096, 0, &cbo));
	ASSERT_EQ(0, qnpu_bo_new(fd, 4096, 0, &src));
	ASSERT_EQ(0, qnpu_bo_new(fd, 4096, 0, &dst));
	qnpu_bo_fill(&src, 3);
	ASSERT_EQ(0, flink_open(fd, dst.handle, &h2));
	ASSERT_NE(dst.handle, h2);
	i1.handle = dst.handle;
	i2.handle = h2;
	ASSERT_EQ(0, qnpu_ioctl(fd, DRM_IOCTL_QNPU_BO_INFO, &i1));
	ASSERT_EQ(0, qnpu_ioctl(fd, DRM_IOCTL_QNPU_BO_INFO, &i2));
	EXPECT_EQ(i1.device_addr, i2.device_addr);

	/* Both handles in one list: the same BO twice. */
	bos[0] = dst.handle;
	bos[1] = h2;
	EXPECT_EQ(-EINVAL, nop_job_with(fd, &cbo, bos, 2, &id));

	/* Closing the first handle leaves the second one's mapping. */
	c.handle = dst.handle;
	c.pad = 0;
	ASSERT_EQ(0, qnpu_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c));
	dst.handle = h2;
	i2.device_addr = 0;
	ASSERT_EQ(0, qnpu_ioctl(fd, DRM_IOCTL_QNPU_BO_INFO, &i2));
	EXPECT_EQ(i1.device_addr, i2.device_addr);
	bos[0] = src.handle;
	bos[1] = h2;
	ASSERT_EQ(0, qnpu_submit_copy(fd, &cbo, 0, src.addr, i2.device_addr,
				      4096, bos, 2, 0, &id));
	ASSERT_EQ(0, qnpu_wait(fd, id, 10 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_OK, w.status);
	EXPECT_EQ(0, memcmp(src.map, dst.map, 4096));

	/* The command buffer's BO in the list under a second handle. */
	ASSERT_EQ(0, flink_open(fd, cbo.handle, &h2));
	bos[0] = h2;
	ASSERT_EQ(0, nop_job_with(fd, &cbo, bos, 1, &id));
	ASSERT_EQ(0, qnpu_wait(fd, id, 10 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_OK, w.status);
	qnpu_bo_free(&cbo);
	qnpu_bo_free(&src);
	qnpu_bo_free(&dst);
	close(fd);
}

/* ---- threads racing submission, handle close and file close ---- */

static void *churn(void *arg)
{
	atomic_int *bad = arg;
	int round;

	for (round = 0; round < 12; round++) {
		struct qnpu_bo cbo, src, dst;
		uint32_t bos[2];
		uint64_t id = 0;
		int fd = qnpu_open_node(NULL), j;

		if (fd < 0 || qnpu_bo_new(fd, 8192, 0, &cbo) ||
		    qnpu_bo_new(fd, 65536, 0, &src) ||
		    qnpu_bo_new(fd, 65536, 0, &dst)) {
			atomic_fetch_add(bad, 1);
			return NULL;
		}
		bos[0] = src.handle;
		bos[1] = dst.handle;
		for (j = 0; j < 16; j++)
			if (qnpu_submit_copy(fd, &cbo, j * 256, src.addr, dst.addr,
					     65536, bos, 2, 0, &id))
				atomic_fetch_add(bad, 1);
		/* Handles go while their jobs are queued; sometimes a wait. */
		qnpu_bo_free(&src);
		if (round % 3 == 0 &&
		    qnpu_wait(fd, id, 30 * QNPU_SEC, NULL))
			atomic_fetch_add(bad, 1);
		qnpu_bo_free(&dst);
		if (round % 2)
			qnpu_bo_free(&cbo);
		close(fd);
		if (!(round % 2)) {
			/* After close only the CPU mapping is left: the fd
			 * number may be another thread's file by now.
			 */
			cbo.handle = 0;
			qnpu_bo_free(&cbo);
		}
	}
	return NULL;
}

TEST(threads_race_submit_close)
{
	atomic_int bad = 0;
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, churn, &bad));
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(0, atomic_load(&bad));

	/* The device still works. */
	EXPECT_EQ(0, qnpu_device_runs_a_job(30 * QNPU_SEC));
}

/* ---- a process killed with jobs queued ---- */

TEST(killed_with_jobs_queued)
{
	int pipefd[2], status, fd, i;
	struct qnpu_bo cbo;
	uint64_t id;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct qnpu_bo src, dst;
		uint32_t bos[2];

		fd = qnpu_open_node(NULL);
		if (fd < 0 || qnpu_bo_new(fd, 65536, 0, &cbo) ||
		    qnpu_bo_new(fd, 1 << 20, 0, &src) ||
		    qnpu_bo_new(fd, 1 << 20, 0, &dst))
			_exit(1);
		bos[0] = src.handle;
		bos[1] = dst.handle;
		for (i = 0; i < 200; i++)
			if (qnpu_submit_copy(fd, &cbo, i * 256, src.addr,
					     dst.addr, 1 << 20, bos, 2, 0, &id))
				_exit(2);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	close(pipefd[0]);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));

	EXPECT_EQ(0, qnpu_device_runs_a_job(60 * QNPU_SEC));
}

/* ---- every MMU context taken ---- */

TEST(context_exhaustion)
{
	struct drm_qnpu_device_info info;
	int fds[512], n = 0, i, err = 0, fd;

	fd = qnpu_open_node(NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, device_info(fd, &info));
	ASSERT_LE(info.mmu_contexts, 512);
	fds[n++] = fd;
	while (n < 512) {
		fd = qnpu_open_node(NULL);
		if (fd < 0) {
			err = errno;
			break;
		}
		fds[n++] = fd;
	}
	/* Context 0 is never handed out. */
	EXPECT_EQ(info.mmu_contexts - 1, n);
	EXPECT_EQ(ENOSPC, err);
	close(fds[--n]);
	fd = qnpu_open_node(NULL);
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		fds[n++] = fd;
	for (i = 0; i < n; i++)
		close(fds[i]);
	/* All came back. */
	for (i = 0; i < (int)info.mmu_contexts - 1; i++) {
		fds[i] = qnpu_open_node(NULL);
		ASSERT_GE(fds[i], 0);
	}
	for (i = 0; i < (int)info.mmu_contexts - 1; i++)
		close(fds[i]);
}

/* ---- ioctl argument sizes other than the kernel's ---- */

#define QNPU_IOC(nr, size) _IOC(_IOC_READ | _IOC_WRITE, DRM_IOCTL_BASE, \
				DRM_COMMAND_BASE + (nr), (size))

TEST(ioctl_size_variants)
{
	uint8_t buf[512];
	struct drm_qnpu_query *q = (void *)buf;
	struct drm_qnpu_bo_create *c = (void *)buf;
	int fd = qnpu_open_node(NULL);
	unsigned int size;

	ASSERT_GE(fd, 0);
	/* Shorter: the kernel zero-fills the rest; longer: ignores it. */
	for (size = 0; size <= 64; size += 4) {
		memset(buf, 0, sizeof(buf));
		q->type = DRM_QNPU_QUERY_DEVICE_INFO;
		errno = 0;
		ioctl(fd, QNPU_IOC(DRM_QNPU_QUERY, size), buf);
		EXPECT_NE(EFAULT, errno);
	}
	memset(buf, 0xff, sizeof(buf));
	memset(buf, 0, sizeof(*q));
	q->type = DRM_QNPU_QUERY_DEVICE_INFO;
	EXPECT_EQ(0, ioctl(fd, QNPU_IOC(DRM_QNPU_QUERY, 256), buf));
	EXPECT_NE(0, q->size);
	/* A BO_CREATE cut inside its size field: the kernel sees the low
	 * half only (0 here), and refuses it.
	 */
	memset(buf, 0, sizeof(buf));
	c->size = 1ull << 32;
	EXPECT_EQ(-1, ioctl(fd, QNPU_IOC(DRM_QNPU_BO_CREATE, 4), buf));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/* ---- arrays that run into an unmapped page ---- */

TEST(pointers_straddle_unmapped_pages)
{
	long page = sysconf(_SC_PAGESIZE);
	struct drm_qnpu_query q = { .type = DRM_QNPU_QUERY_DEVICE_INFO,
				    .size = sizeof(struct drm_qnpu_device_info) };
	struct drm_qnpu_submit s = { 0 };
	struct qnpu_bo cbo, a, b;
	uint32_t *tail;
	uint8_t *mem;
	struct qnpu_cb cb;
	int fd = qnpu_open_node(NULL);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, qnpu_bo_new(fd, 4096, 0, &cbo));
	ASSERT_EQ(0, qnpu_bo_new(fd, 4096, 0, &a));
	ASSERT_EQ(0, qnpu_bo_new(fd, 4096, 0, &b));
	mem = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, munmap(mem + page, page));
	tail = (uint32_t *)(mem + page) - 2;
	tail[0] = a.handle;
	tail[1] = b.handle;

	qnpu_cb_init(&cb, cbo.map);
	qnpu_cb_add(&cb, QNPU_OP_NOP, 8);
	s.cmdbuf_handle = cbo.handle;
	s.cmdbuf_size = qnpu_cb_end(&cb);
	s.bo_handles = (uintptr_t)tail;
	s.bo_count = 2;
	EXPECT_EQ(0, qnpu_ioctl(fd, DRM_IOCTL_QNPU_SUBMIT, &s));
	EXPECT_EQ(0, qnpu_wait(fd, s.job_id, 10 * QNPU_SEC, NULL));
	s.bo_count = 3;
	EXPECT_EQ(-EFAULT, qnpu_ioctl(fd, DRM_IOCTL_QNPU_SUBMIT, &s));
	s.bo_count = 0;
	s.in_syncobjs = (uintptr_t)tail;
	s.in_syncobj_count = 3;
	EXPECT_EQ(-EFAULT, qnpu_ioctl(fd, DRM_IOCTL_QNPU_SUBMIT, &s));
	q.data = (uintptr_t)(mem + page - 8);
	EXPECT_EQ(-EFAULT, qnpu_ioctl(fd, DRM_IOCTL_QNPU_QUERY, &q));
	munmap(mem, page);
	qnpu_bo_free(&cbo);
	qnpu_bo_free(&a);
	qnpu_bo_free(&b);
	close(fd);
}

/* ---- a full list of 256 BOs ---- */

TEST(full_bo_list)
{
	struct drm_qnpu_device_info info;
	static struct qnpu_bo bos[257];
	uint32_t handles[257];
	struct qnpu_submit_opts o = { .bos = handles };
	struct drm_qnpu_wait w;
	struct qnpu_cb cb;
	uint64_t id;
	int fd = qnpu_open_node(NULL), i;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, device_info(fd, &info));
	ASSERT_EQ(256, info.max_bo_handles);
	for (i = 0; i < 257; i++) {
		ASSERT_EQ(0, qnpu_bo_new(fd, 4096, 0, &bos[i]));
		handles[i] = bos[i].handle;
	}
	/* The last BO copies from the first: every one is mapped. */
	qnpu_cb_init(&cb, bos[0].map);
	qnpu_cb_copy(&cb, bos[1].addr, bos[255].addr, 4096);
	qnpu_bo_fill(&bos[1], 9);
	o.bo_count = 256;
	ASSERT_EQ(0, qnpu_submit(fd, &bos[0], qnpu_cb_end(&cb), &o, &id));
	ASSERT_EQ(0, qnpu_wait(fd, id, 10 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_OK, w.status);
	EXPECT_EQ(0, memcmp(bos[1].map, bos[255].map, 4096));
	o.bo_count = 257;
	EXPECT_EQ(-E2BIG, qnpu_submit(fd, &bos[0], cb.size, &o, &id));
	for (i = 0; i < 257; i++)
		qnpu_bo_free(&bos[i]);
	close(fd);
}

/* ---- the window of 4096 job records ---- */

TEST(job_record_window)
{
	struct qnpu_bo cbo;
	uint64_t id = 0, first = 0;
	int fd = qnpu_open_node(NULL), i;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, qnpu_bo_new(fd, 4096, 0, &cbo));
	for (i = 0; i < 4097; i++) {
		ASSERT_EQ(0, nop_job(fd, &cbo, (i % 16) * 256, &id));
		if (!first)
			first = id;
		if (i % 128 == 127)
			ASSERT_EQ(0, qnpu_wait(fd, id, 30 * QNPU_SEC, NULL));
	}
	ASSERT_EQ(0, qnpu_wait(fd, id, 30 * QNPU_SEC, NULL));
	EXPECT_EQ(first + 4096, id);
	EXPECT_EQ(-ENOENT, qnpu_wait(fd, first, 0, NULL));
	EXPECT_EQ(0, qnpu_wait(fd, first + 1, 0, NULL));
	EXPECT_EQ(-ENOENT, qnpu_wait(fd, id + 1, 0, NULL));
	qnpu_bo_free(&cbo);
	close(fd);
}

/* ---- PRIME with file descriptors that are not dma-bufs ---- */

TEST(bad_prime_fds)
{
	struct drm_syncobj_handle h = { .fd = -1 };
	struct drm_prime_handle p = { 0 };
	struct qnpu_bo bo;
	uint32_t sync;
	int fd = qnpu_open_node(NULL), null_fd, sync_fd;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, qnpu_bo_new(fd, 4096, 0, &bo));
	null_fd = open("/dev/null", O_RDWR);
	ASSERT_GE(null_fd, 0);
	ASSERT_EQ(0, qnpu_syncobj_new(fd, &sync));

	p.fd = -1;
	EXPECT_EQ(-EBADF, qnpu_ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p));
	p.fd = 999;
	EXPECT_EQ(-EBADF, qnpu_ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p));
	p.fd = null_fd;
	EXPECT_EQ(-EINVAL, qnpu_ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p));
	p.fd = fd;
	EXPECT_EQ(-EINVAL, qnpu_ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p));
	h.handle = sync;
	ASSERT_EQ(0, qnpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h));
	sync_fd = h.fd;
	p.fd = sync_fd;
	EXPECT_EQ(-EINVAL, qnpu_ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p));
	memset(&p, 0, sizeof(p));
	p.handle = 0xbad;
	p.flags = DRM_CLOEXEC | DRM_RDWR;
	EXPECT_EQ(-ENOENT, qnpu_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p));
	p.handle = bo.handle;
	p.flags = 0x40000000;
	EXPECT_EQ(-EINVAL, qnpu_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p));
	close(sync_fd);
	close(null_fd);
	qnpu_bo_free(&bo);
	close(fd);
}

TEST_HARNESS_MAIN
