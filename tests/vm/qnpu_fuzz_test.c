// SPDX-License-Identifier: MIT
/*
 * A random-ioctl fuzzer of the driver: threads share a few files and issue
 * random sequences of the driver's, GEM, PRIME and syncobj ioctls, with
 * valid and invalid arguments, random command buffers among them, and
 * close and reopen files under each other. For QNPU_FUZZ_SECONDS (default
 * 30) seconds, with seed QNPU_FUZZ_SEED (default: the time, printed).
 *
 * It checks that every ioctl returns success or an errno the uapi can
 * give, that the device still runs a job afterwards, and that no BO memory
 * is left once every file is closed; run under qnpu-vm --strict (on the
 * debug kernel in make check), anything the kernel reports fails it.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kselftest_harness.h"

#include "qnpu_util.h"

#define FILES	4
#define HANDLES	32
#define THREADS	4

struct fuzz {
	pthread_mutex_t lock;	/* guards fds[] against close/reopen */
	int fds[FILES];
	atomic_int stop;
	atomic_int unexpected;
	atomic_long calls;
	unsigned int seed;
};

struct worker {
	struct fuzz *fz;
	unsigned int seed;
	uint32_t handles[HANDLES];	/* handles this thread has seen */
	uint32_t syncobjs[8];
	uint64_t jobs[8];
	int last_errno;
};

static uint32_t rnd(struct worker *w)
{
	return rand_r(&w->seed);
}

/* Mostly a handle seen before, sometimes garbage. */
static uint32_t pick_handle(struct worker *w)
{
	switch (rnd(w) % 8) {
	case 0:
		return rnd(w);
	case 1:
		return 0;
	default:
		return w->handles[rnd(w) % HANDLES];
	}
}

static uint64_t pick_size(struct worker *w)
{
	static const uint64_t sizes[] = {
		/* No 1 GiB: the guest has that much memory in all. */
		0, 1, 4095, 4096, 4097, 65536, 1 << 20, 16 << 20,
		(1ull << 30) + 1, ~0ull, 1ull << 63,
	};

	return sizes[rnd(w) % (sizeof(sizes) / sizeof(sizes[0]))];
}

static void remember(struct worker *w, uint32_t h)
{
	w->handles[rnd(w) % HANDLES] = h;
}

/* A command buffer: valid NOPs and copies, or bytes at random. */
static uint32_t random_cmdbuf(struct worker *w, uint8_t *mem, uint64_t size,
			      uint64_t addr)
{
	struct qnpu_cb cb;
	uint32_t i, n;

	if (size < 512)
		return 32;
	if (rnd(w) % 4 == 0) {
		n = 32 + (rnd(w) % 60) * 8;
		for (i = 0; i < n; i++)
			mem[i] = rnd(w);
		if (rnd(w) % 2)
			return n;
		((struct qnpu_cmdbuf_header *)mem)->magic = QNPU_CMDBUF_MAGIC;
		return n;
	}
	qnpu_cb_init(&cb, mem);
	n = 1 + rnd(w) % 3;
	for (i = 0; i < n; i++) {
		if (rnd(w) % 2)
			qnpu_cb_add(&cb, QNPU_OP_NOP, 8);
		else
			qnpu_cb_copy(&cb, addr + 256, addr + 384 + rnd(w) % 64,
				     64);
	}
	return qnpu_cb_end(&cb);
}

static int do_bo_create(struct worker *w, int fd)
{
	struct drm_qnpu_bo_create c = {
		.size = rnd(w) % 4 ? 4096 * (1 + rnd(w) % 16) : pick_size(w),
		.flags = rnd(w) % 8 ? 0 : rnd(w),
	};
	int ret = qnpu_ioctl(fd, DRM_IOCTL_QNPU_BO_CREATE, &c);

	if (!ret)
		remember(w, c.handle);
	return ret;
}

static int do_submit(struct worker *w, int fd)
{
	struct drm_qnpu_bo_info info = { .handle = pick_handle(w) };
	uint32_t bos[4], in[2];
	struct drm_qnpu_submit s = { 0 };
	uint8_t *mem = MAP_FAILED;
	int ret, i;

	ret = qnpu_ioctl(fd, DRM_IOCTL_QNPU_BO_INFO, &info);
	if (ret)
		return ret;
	if (info.size <= 1 << 20)
		mem = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, info.mmap_offset);
	s.cmdbuf_handle = info.handle;
	s.cmdbuf_size = 32;
	if (mem != MAP_FAILED) {
		s.cmdbuf_size = random_cmdbuf(w, mem, info.size,
					      info.device_addr);
		munmap(mem, info.size);
	}
	for (i = 0; i < 4; i++)
		bos[i] = pick_handle(w);
	for (i = 0; i < 2; i++)
		in[i] = w->syncobjs[rnd(w) % 8];
	s.bo_handles = (uintptr_t)bos;
	s.bo_count = rnd(w) % 5;
	s.in_syncobjs = (uintptr_t)in;
	s.in_syncobj_count = rnd(w) % 3;
	s.out_syncobj = rnd(w) % 2 ? w->syncobjs[rnd(w) % 8] : 0;
	s.priority = rnd(w) % 3;
	if (rnd(w) % 16 == 0)
		s.flags = rnd(w);
	if (rnd(w) % 16 == 0)
		s.cmdbuf_offset = pick_size(w);
	if (rnd(w) % 16 == 0)
		s.bo_handles = rnd(w);
	ret = qnpu_ioctl(fd, DRM_IOCTL_QNPU_SUBMIT, &s);
	if (!ret)
		w->jobs[rnd(w) % 8] = s.job_id;
	return ret;
}

static int do_wait(struct worker *w, int fd)
{
	struct drm_qnpu_wait wt = { .timeout_ns = rnd(w) % 2 ? 0 : 50000000 };

	if (rnd(w) % 3 == 0) {
		wt.flags = DRM_QNPU_WAIT_BO;
		wt.handle = pick_handle(w);
	} else {
		wt.job_id = rnd(w) % 8 ? w->jobs[rnd(w) % 8] : rnd(w);
	}
	if (rnd(w) % 16 == 0)
		wt.flags = rnd(w);
	return qnpu_ioctl(fd, DRM_IOCTL_QNPU_WAIT, &wt);
}

static int do_gem(struct worker *w, int fd)
{
	struct drm_gem_close c = { .handle = pick_handle(w) };
	struct drm_gem_flink f = { .handle = pick_handle(w) };
	struct drm_gem_open o = { 0 };
	int ret;

	switch (rnd(w) % 3) {
	case 0:
		return qnpu_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
	case 1:
		ret = qnpu_ioctl(fd, DRM_IOCTL_GEM_FLINK, &f);
		if (ret)
			return ret;
		o.name = f.name;
		ret = qnpu_ioctl(fd, DRM_IOCTL_GEM_OPEN, &o);
		if (!ret)
			remember(w, o.handle);
		return ret;
	default:
		o.name = rnd(w) % 64;
		ret = qnpu_ioctl(fd, DRM_IOCTL_GEM_OPEN, &o);
		if (!ret)
			remember(w, o.handle);
		return ret;
	}
}

static int do_prime(struct worker *w, int fd, int other)
{
	struct drm_prime_handle p = { .handle = pick_handle(w),
				      .flags = DRM_CLOEXEC | DRM_RDWR };
	int ret;

	if (rnd(w) % 8 == 0)
		p.flags = rnd(w);
	ret = qnpu_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);
	if (ret)
		return ret;
	p.handle = 0;
	/* Into another file (maybe the same one) of the device. */
	ret = qnpu_ioctl(other, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);
	if (!ret)
		remember(w, p.handle);
	close(p.fd);
	return ret;
}

static int do_syncobj(struct worker *w, int fd)
{
	uint32_t *h = &w->syncobjs[rnd(w) % 8];
	struct drm_syncobj_destroy d = { .handle = *h };
	struct drm_syncobj_wait wt = {
		.handles = (uintptr_t)h, .count_handles = 1,
		.flags = rnd(w) % 2 ? DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT : 0,
	};
	int ret, sfd;

	switch (rnd(w) % 4) {
	case 0:
		return qnpu_syncobj_new(fd, h);
	case 1:
		return qnpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
	case 2:
		return qnpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &wt);
	default:
		sfd = qnpu_syncobj_export(fd, *h);
		if (sfd < 0)
			return sfd;
		ret = 0;
		close(sfd);
		return ret;
	}
}

/* Errnos the uapi documents (plus what GEM, PRIME and syncobj give). */
static bool expected(int ret)
{
	switch (-ret) {
	case 0: case EINVAL: case ENOENT: case EFAULT: case E2BIG:
	case EBUSY: case ENOSPC: case ETIME: case EBADF: case EPERM:
	case ENOMEM: case ENODEV: case EOPNOTSUPP: case ERANGE:
	case EIO:
		return true;
	default:
		return false;
	}
}

static void reopen(struct fuzz *fz, struct worker *w)
{
	int i = rnd(w) % FILES, fd;

	pthread_mutex_lock(&fz->lock);
	fd = fz->fds[i];
	fz->fds[i] = qnpu_open_node(NULL);
	pthread_mutex_unlock(&fz->lock);
	close(fd);	/* other threads may still be in an ioctl on it */
}

static void *fuzz_run(void *arg)
{
	struct worker *w = arg;
	struct fuzz *fz = w->fz;

	while (!atomic_load(&fz->stop)) {
		int fd, other, ret = 0, op = rnd(w) % 64;

		if (op == 0) {
			reopen(fz, w);
			continue;
		}
		pthread_mutex_lock(&fz->lock);
		fd = dup(fz->fds[rnd(w) % FILES]);
		other = dup(fz->fds[rnd(w) % FILES]);
		pthread_mutex_unlock(&fz->lock);
		if (fd < 0 || other < 0) {
			atomic_fetch_add(&fz->unexpected, 1);
			break;
		}
		if (op < 12)
			ret = do_bo_create(w, fd);
		else if (op < 30)
			ret = do_submit(w, fd);
		else if (op < 40)
			ret = do_wait(w, fd);
		else if (op < 50)
			ret = do_gem(w, fd);
		else if (op < 56)
			ret = do_prime(w, fd, other);
		else
			ret = do_syncobj(w, fd);
		if (!expected(ret)) {
			w->last_errno = -ret;
			atomic_fetch_add(&fz->unexpected, 1);
		}
		atomic_fetch_add(&fz->calls, 1);
		close(fd);
		close(other);
	}
	return NULL;
}

/* The harness's 30 s per test is too short for a fuzzer. */
FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

TEST_F_TIMEOUT(fuzz, random_ioctls, 900)
{
	const char *secs = getenv("QNPU_FUZZ_SECONDS");
	const char *seed = getenv("QNPU_FUZZ_SEED");
	struct worker w[THREADS];
	struct fuzz fz = { .lock = PTHREAD_MUTEX_INITIALIZER };
	pthread_t t[THREADS];
	int i;

	fz.seed = seed ? strtoul(seed, NULL, 0) : (unsigned int)time(NULL);
	TH_LOG("seed %u (QNPU_FUZZ_SEED to repeat)", fz.seed);
	for (i = 0; i < FILES; i++) {
		fz.fds[i] = qnpu_open_node(NULL);
		ASSERT_GE(fz.fds[i], 0);
	}
	memset(w, 0, sizeof(w));
	for (i = 0; i < THREADS; i++) {
		w[i].fz = &fz;
		w[i].seed = fz.seed * 31 + i;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, fuzz_run, &w[i]));
	}
	ASSERT_GE(600, secs ? atoi(secs) : 30);
	sleep(secs ? atoi(secs) : 30);
	atomic_store(&fz.stop, 1);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		if (w[i].last_errno)
			TH_LOG("thread %d: unexpected errno %d", i,
			       w[i].last_errno);
	}
	TH_LOG("%ld calls", atomic_load(&fz.calls));
	EXPECT_EQ(0, atomic_load(&fz.unexpected));
	EXPECT_LT(1000, atomic_load(&fz.calls));
	for (i = 0; i < FILES; i++)
		close(fz.fds[i]);

	EXPECT_EQ(0, qnpu_device_runs_a_job(60 * QNPU_SEC));

	/* Nothing held once every file is closed (jobs end a little later). */
	for (i = 0; i < 200 && qnpu_debugfs_counter("bo_bytes") != 0; i++)
		usleep(50000);
	EXPECT_EQ(0, qnpu_debugfs_counter("bo_bytes"));
}

TEST_HARNESS_MAIN
