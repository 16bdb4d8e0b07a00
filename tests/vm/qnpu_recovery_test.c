// SPDX-License-Identifier: MIT
/*
 * Selftests of recovery, on a device with fault injection. The Makefile
 * starts the VM with the device property inject-hang=3 (every third job
 * the device reads hangs until a reset) and qnpu.job_timeout_ms=1000;
 * tests run in order and count on being the only user of the device.
 *
 * corrupt_status_is_reported runs alone (-t) in a second VM, with
 * inject-corrupt-status=2 and inject-spurious-irq=1; the others run with
 * -T corrupt_status_is_reported.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "qnpu_util.h"

FIXTURE(dev) {
	int fd;
	struct qnpu_bo cbo, src, dst;
};

FIXTURE_SETUP(dev)
{
	uint64_t i;

	self->fd = qnpu_open_node(NULL);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, qnpu_bo_new(self->fd, 16 * 256, 0, &self->cbo));
	ASSERT_EQ(0, qnpu_bo_new(self->fd, 4096, 0, &self->src));
	ASSERT_EQ(0, qnpu_bo_new(self->fd, 16 * 4096, 0, &self->dst));
	for (i = 0; i < self->src.size; i++)
		((uint8_t *)self->src.map)[i] = (uint8_t)(i * 5 + 9);
}

FIXTURE_TEARDOWN(dev)
{
	qnpu_bo_free(&self->cbo);
	qnpu_bo_free(&self->src);
	qnpu_bo_free(&self->dst);
	close(self->fd);
}

/* Job @n copies src to page @n of dst, from its own command buffer. */
static uint64_t job(struct __test_metadata *_metadata, FIXTURE_DATA(dev) *self,
		    int n)
{
	uint32_t bos[] = { self->src.handle, self->dst.handle };
	struct qnpu_submit_opts o = { .bos = bos, .bo_count = 2,
				      .cb_offset = n * 256 };
	struct qnpu_cb cb;
	uint64_t id = 0;

	qnpu_cb_init(&cb, (uint8_t *)self->cbo.map + n * 256);
	qnpu_cb_copy(&cb, self->src.addr, self->dst.addr + n * 4096, 4096);
	EXPECT_EQ(0, qnpu_submit(self->fd, &self->cbo, qnpu_cb_end(&cb), &o,
				 &id));
	return id;
}

static bool copied(FIXTURE_DATA(dev) *self, int n)
{
	return !memcmp((uint8_t *)self->dst.map + n * 4096, self->src.map, 4096);
}

static uint64_t resets(int fd)
{
	struct drm_qnpu_counters c = { 0 };
	struct drm_qnpu_query q = { .type = DRM_QNPU_QUERY_COUNTERS,
				    .size = sizeof(c), .data = (uintptr_t)&c };

	return qnpu_ioctl(fd, DRM_IOCTL_QNPU_QUERY, &q) ? ~0ull : c.resets;
}

TEST_F(dev, hang_recovery_reruns_innocent_jobs)
{
	struct drm_qnpu_wait w;
	uint64_t id[8];
	int n;


	/* Device jobs 1 and 2 run. */
	for (n = 0; n < 2; n++) {
		id[n] = job(_metadata, self, n);
		ASSERT_EQ(0, qnpu_wait(self->fd, id[n], 10 * QNPU_SEC, &w));
		EXPECT_EQ(QNPU_STATUS_OK, w.status);
		EXPECT_TRUE(copied(self, n));
	}
	EXPECT_EQ(0, resets(self->fd));

	/* Job 3 hangs; 4 and 5 wait behind it on the ring. */
	for (n = 2; n < 5; n++)
		id[n] = job(_metadata, self, n);
	ASSERT_EQ(0, qnpu_wait(self->fd, id[2], 30 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_TIMEOUT, w.status);
	EXPECT_FALSE(copied(self, 2));
	for (n = 3; n < 5; n++) {
		ASSERT_EQ(0, qnpu_wait(self->fd, id[n], 30 * QNPU_SEC, &w));
		EXPECT_EQ(QNPU_STATUS_OK, w.status);
		EXPECT_TRUE(copied(self, n));
	}
	EXPECT_EQ(1, resets(self->fd));

	/* Device job 6 hangs alone; 7 runs after it. */
	id[5] = job(_metadata, self, 5);
	ASSERT_EQ(0, qnpu_wait(self->fd, id[5], 30 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_TIMEOUT, w.status);
	id[6] = job(_metadata, self, 6);
	ASSERT_EQ(0, qnpu_wait(self->fd, id[6], 30 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_OK, w.status);
	EXPECT_TRUE(copied(self, 6));
	EXPECT_EQ(2, resets(self->fd));
}

TEST_F(dev, wait_timeout_then_result)
{
	struct drm_qnpu_wait w;
	uint64_t a, b;


	/* Device job 8 runs, 9 hangs: a short wait times out first. */
	a = job(_metadata, self, 0);
	ASSERT_EQ(0, qnpu_wait(self->fd, a, 10 * QNPU_SEC, &w));
	b = job(_metadata, self, 1);
	EXPECT_EQ(-ETIME, qnpu_wait(self->fd, b, 100000000, &w));
	ASSERT_EQ(0, qnpu_wait(self->fd, b, 30 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_TIMEOUT, w.status);
}

TEST_F(dev, close_while_a_job_hangs)
{

	/* Device jobs 10, 11 run, 12 hangs; close does not wait for it. */
	job(_metadata, self, 0);
	job(_metadata, self, 1);
	job(_metadata, self, 2);
	qnpu_bo_free(&self->cbo);
	qnpu_bo_free(&self->src);
	qnpu_bo_free(&self->dst);
	close(self->fd);
	self->fd = qnpu_open_node(NULL);
	ASSERT_GE(self->fd, 0);
}

static int syncobj_new(int fd, uint32_t *h)
{
	struct drm_syncobj_create c = { 0 };
	int ret = qnpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);

	*h = c.handle;
	return ret;
}

TEST_F(dev, dependency_on_a_hung_job)
{
	struct drm_qnpu_wait w;
	uint32_t bos[] = { self->src.handle, self->dst.handle }, s;
	struct qnpu_submit_opts o = { .bos = bos, .bo_count = 2 };
	struct qnpu_cb cb;
	uint64_t a, c, d;

	/* Device jobs 13 and 14 run; 15 hangs; the next depends on it. */
	a = job(_metadata, self, 0);
	ASSERT_EQ(0, qnpu_wait(self->fd, a, 10 * QNPU_SEC, &w));
	a = job(_metadata, self, 1);
	ASSERT_EQ(0, qnpu_wait(self->fd, a, 10 * QNPU_SEC, &w));
	ASSERT_EQ(0, syncobj_new(self->fd, &s));
	qnpu_cb_init(&cb, (uint8_t *)self->cbo.map + 2 * 256);
	qnpu_cb_copy(&cb, self->src.addr, self->dst.addr + 2 * 4096, 4096);
	o.cb_offset = 2 * 256;
	o.out_syncobj = s;
	ASSERT_EQ(0, qnpu_submit(self->fd, &self->cbo, qnpu_cb_end(&cb), &o, &c));
	qnpu_cb_init(&cb, (uint8_t *)self->cbo.map + 3 * 256);
	qnpu_cb_copy(&cb, self->dst.addr + 2 * 4096, self->dst.addr + 3 * 4096,
		     4096);
	o.cb_offset = 3 * 256;
	o.out_syncobj = 0;
	o.in_syncobjs = &s;
	o.in_count = 1;
	ASSERT_EQ(0, qnpu_submit(self->fd, &self->cbo, qnpu_cb_end(&cb), &o, &d));
	/* The dependent job waits: the hung one has not ended. */
	EXPECT_EQ(-ETIME, qnpu_wait(self->fd, d, 200000000, &w));
	ASSERT_EQ(0, qnpu_wait(self->fd, c, 30 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_TIMEOUT, w.status);
	/*
	 * Then it runs: a failed dependency does not cancel its dependents
	 * (as in other drm_sched drivers); the submitter reads the
	 * producer's status.
	 */
	ASSERT_EQ(0, qnpu_wait(self->fd, d, 30 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_OK, w.status);
}

TEST_F(dev, corrupt_status_is_reported)
{
	struct drm_qnpu_wait w;
	uint64_t id;
	int n, odd = 0;


	/* Every second device job reports a status outside the enum. */
	for (n = 0; n < 6; n++) {
		id = job(_metadata, self, n);
		ASSERT_EQ(0, qnpu_wait(self->fd, id, 10 * QNPU_SEC, &w));
		if (n % 2) {
			EXPECT_EQ(0xbad00000u, w.status & 0xfff00000u);
			odd++;
		} else {
			EXPECT_EQ(QNPU_STATUS_OK, w.status);
		}
		EXPECT_TRUE(copied(self, n));
	}
	EXPECT_EQ(3, odd);
}

TEST_HARNESS_MAIN
