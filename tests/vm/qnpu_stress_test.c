// SPDX-License-Identifier: MIT
/*
 * Reset semantics under load. Chains of jobs whose every output is checked
 * run while resets fire, and jobs are counted in and out: every job ends
 * exactly once, with a status that tells the truth, and the device wrote
 * back exactly the jobs that report a device status (PERF_JOBS counts
 * write-backs, so a job run again after its write-back shows up there).
 *
 * resets_under_load: debugfs resets from a thread while the device takes
 * a little time per job (inject-delay-us=500); nothing times out, so every
 * job must end OK (innocent jobs run again). Start the VM with a long
 * qnpu.job_timeout_ms.
 *
 * timeouts_on_jobs_that_finish: the device delays every job by a little
 * less than the driver's timeout (inject-delay-us=45000, inject-hang=10,
 * qnpu.job_timeout_ms=50, qnpu.max_jobs_per_file=16) and jobs carry
 * copies of 0 to 12 MiB on top, so timeouts fire before, as and after
 * jobs complete: each job ends OK (written back) or TIMEOUT (not), a
 * reset for each TIMEOUT, and no job, context or queue slot leaks.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"

#include "qnpu_util.h"

#define SLOT 256	/* bytes per chained value */

static int counters(int fd, struct drm_qnpu_counters *c)
{
	struct drm_qnpu_query q = { .type = DRM_QNPU_QUERY_COUNTERS,
				    .size = sizeof(*c), .data = (uintptr_t)c };

	return qnpu_ioctl(fd, DRM_IOCTL_QNPU_QUERY, &q);
}

struct tally {
	atomic_int submitted;
	atomic_int ok;
	atomic_int timeout;
	atomic_int other;	/* a status no job here may end with */
	atomic_int wrong;	/* an OK job whose output is wrong */
	atomic_int errors;	/* an ioctl failed */
};

static void count_status(struct tally *t, uint32_t status)
{
	if (status == QNPU_STATUS_OK)
		atomic_fetch_add(&t->ok, 1);
	else if (status == QNPU_STATUS_TIMEOUT)
		atomic_fetch_add(&t->timeout, 1);
	else
		atomic_fetch_add(&t->other, 1);
}

/*
 * One file: step j copies C[j] into D (job A), then D into S[j] (job B).
 * Every job lists C, D and S, so each depends on the one before. S[j]
 * must equal C[j] whenever both jobs ended OK.
 */
struct chain {
	struct tally *t;
	int steps;
	int ballast;	/* add copies of up to this many MiB to jobs */
	int fd;
	struct qnpu_bo cbo, c, d, s, b;
	uint64_t ids[2 * 250];
	uint32_t status[2 * 250];
};

static int chain_open(struct chain *ch, int steps)
{
	ch->steps = steps;
	ch->fd = qnpu_open_node(NULL);
	if (ch->fd < 0)
		return -errno;
	if (qnpu_bo_new(ch->fd, 2 * steps * 256, 0, &ch->cbo) ||
	    qnpu_bo_new(ch->fd, steps * SLOT, 0, &ch->c) ||
	    qnpu_bo_new(ch->fd, SLOT, 0, &ch->d) ||
	    qnpu_bo_new(ch->fd, steps * SLOT, 0, &ch->s) ||
	    qnpu_bo_new(ch->fd, 2 * (ch->ballast + 1) << 20, 0, &ch->b))
		return -ENOMEM;
	qnpu_bo_fill(&ch->c, (uint8_t)ch->fd);
	memset(ch->s.map, 0, ch->s.size);
	return 0;
}

static void chain_close(struct chain *ch)
{
	qnpu_bo_free(&ch->cbo);
	qnpu_bo_free(&ch->c);
	qnpu_bo_free(&ch->d);
	qnpu_bo_free(&ch->s);
	qnpu_bo_free(&ch->b);
	close(ch->fd);
}

/* Job @n: the chain's copy, after a ballast copy of some MiB. */
static int chain_job(struct chain *ch, int n, uint64_t src, uint64_t dst)
{
	uint32_t bos[] = { ch->c.handle, ch->d.handle, ch->s.handle,
			   ch->b.handle };
	struct qnpu_submit_opts o = { .bos = bos, .bo_count = 4,
				      .cb_offset = n * 256 };
	uint32_t mib = ch->ballast ? (n * 7) % (ch->ballast + 1) : 0;
	struct qnpu_cb cb;

	qnpu_cb_init(&cb, (uint8_t *)ch->cbo.map + n * 256);
	if (mib)
		qnpu_cb_copy(&cb, ch->b.addr, ch->b.addr + (ch->ballast << 20),
			     mib << 20);
	qnpu_cb_copy(&cb, src, dst, SLOT);
	return qnpu_submit(ch->fd, &ch->cbo, qnpu_cb_end(&cb), &o, &ch->ids[n]);
}

static int chain_submit(struct chain *ch, int n)
{
	int j = n / 2;
	uint64_t src = n % 2 ? ch->d.addr : ch->c.addr + j * SLOT;
	uint64_t dst = n % 2 ? ch->s.addr + j * SLOT : ch->d.addr;
	int ret;

	do {
		ret = chain_job(ch, n, src, dst);
		/* The queue is full: let the oldest job end. */
		if (ret == -EBUSY && n > 0)
			qnpu_wait(ch->fd, ch->ids[n - 1], 60 * QNPU_SEC, NULL);
	} while (ret == -EBUSY);
	return ret;
}

static void *chain_run(void *arg)
{
	struct chain *ch = arg;
	struct tally *t = ch->t;
	struct drm_qnpu_wait w;
	int n, j;

	for (n = 0; n < 2 * ch->steps; n++) {
		if (chain_submit(ch, n)) {
			atomic_fetch_add(&t->errors, 1);
			return NULL;
		}
		atomic_fetch_add(&t->submitted, 1);
	}
	for (n = 0; n < 2 * ch->steps; n++) {
		if (qnpu_wait(ch->fd, ch->ids[n], 120 * QNPU_SEC, &w)) {
			atomic_fetch_add(&t->errors, 1);
			continue;
		}
		ch->status[n] = w.status;
		count_status(t, w.status);
	}
	for (j = 0; j < ch->steps; j++) {
		if (ch->status[2 * j] != QNPU_STATUS_OK ||
		    ch->status[2 * j + 1] != QNPU_STATUS_OK)
			continue;
		if (memcmp((uint8_t *)ch->c.map + j * SLOT,
			   (uint8_t *)ch->s.map + j * SLOT, SLOT))
			atomic_fetch_add(&t->wrong, 1);
	}
	return NULL;
}

/* A producer in one file, a consumer in another, one dma-buf between. */
struct pair {
	struct tally *t;
	int steps;
	int fdx, fdy;
	struct qnpu_bo cbx, cby, c, p, s;
	uint32_t py;		/* P imported into Y */
	uint64_t py_addr;
};

static int pair_open(struct pair *pr, int steps)
{
	struct drm_prime_handle e = { .flags = DRM_CLOEXEC | DRM_RDWR };
	struct drm_qnpu_bo_info i = { 0 };
	int ret;

	pr->steps = steps;
	pr->fdx = qnpu_open_node(NULL);
	pr->fdy = qnpu_open_node(NULL);
	if (pr->fdx < 0 || pr->fdy < 0)
		return -ENODEV;
	if (qnpu_bo_new(pr->fdx, steps * 256, 0, &pr->cbx) ||
	    qnpu_bo_new(pr->fdy, steps * 256, 0, &pr->cby) ||
	    qnpu_bo_new(pr->fdx, steps * SLOT, 0, &pr->c) ||
	    qnpu_bo_new(pr->fdx, SLOT, 0, &pr->p) ||
	    qnpu_bo_new(pr->fdy, steps * SLOT, 0, &pr->s))
		return -ENOMEM;
	qnpu_bo_fill(&pr->c, 77);
	memset(pr->s.map, 0, pr->s.size);
	e.handle = pr->p.handle;
	ret = qnpu_ioctl(pr->fdx, DRM_IOCTL_PRIME_HANDLE_TO_FD, &e);
	if (ret)
		return ret;
	e.handle = 0;
	ret = qnpu_ioctl(pr->fdy, DRM_IOCTL_PRIME_FD_TO_HANDLE, &e);
	close(e.fd);
	if (ret)
		return ret;
	pr->py = e.handle;
	i.handle = pr->py;
	ret = qnpu_ioctl(pr->fdy, DRM_IOCTL_QNPU_BO_INFO, &i);
	pr->py_addr = i.device_addr;
	return ret;
}

static void pair_close(struct pair *pr)
{
	struct drm_gem_close c = { .handle = pr->py };

	qnpu_ioctl(pr->fdy, DRM_IOCTL_GEM_CLOSE, &c);
	qnpu_bo_free(&pr->cbx);
	qnpu_bo_free(&pr->cby);
	qnpu_bo_free(&pr->c);
	qnpu_bo_free(&pr->p);
	qnpu_bo_free(&pr->s);
	close(pr->fdx);
	close(pr->fdy);
}

static void *pair_run(void *arg)
{
	struct pair *pr = arg;
	struct tally *t = pr->t;
	uint64_t idx[250], idy[250];
	struct drm_qnpu_wait w;
	uint32_t sx, sy;
	int j;

	for (j = 0; j < pr->steps; j++) {
		uint32_t bx[] = { pr->c.handle, pr->p.handle };
		uint32_t by[] = { pr->py, pr->s.handle };

		/* Y's job depends on X's through the dma-buf's fences. */
		if (qnpu_submit_copy(pr->fdx, &pr->cbx, j * 256,
				     pr->c.addr + j * SLOT, pr->p.addr, SLOT,
				     bx, 2, 0, &idx[j]) ||
		    qnpu_submit_copy(pr->fdy, &pr->cby, j * 256, pr->py_addr,
				     pr->s.addr + j * SLOT, SLOT, by, 2, 0,
				     &idy[j])) {
			atomic_fetch_add(&t->errors, 1);
			return NULL;
		}
		atomic_fetch_add(&t->submitted, 2);
	}
	for (j = 0; j < pr->steps; j++) {
		if (qnpu_wait(pr->fdx, idx[j], 120 * QNPU_SEC, &w)) {
			atomic_fetch_add(&t->errors, 1);
			continue;
		}
		sx = w.status;
		if (qnpu_wait(pr->fdy, idy[j], 120 * QNPU_SEC, &w)) {
			atomic_fetch_add(&t->errors, 1);
			continue;
		}
		sy = w.status;
		count_status(t, sx);
		count_status(t, sy);
		if (sx == QNPU_STATUS_OK && sy == QNPU_STATUS_OK &&
		    memcmp((uint8_t *)pr->c.map + j * SLOT,
			   (uint8_t *)pr->s.map + j * SLOT, SLOT))
			atomic_fetch_add(&t->wrong, 1);
	}
	return NULL;
}

struct resetter {
	atomic_int stop;
	atomic_int done;
	atomic_int failed;
};

static void *reset_run(void *arg)
{
	struct resetter *r = arg;
	unsigned int seed = 1;

	while (!atomic_load(&r->stop)) {
		if (qnpu_debugfs_reset())
			atomic_fetch_add(&r->failed, 1);
		else
			atomic_fetch_add(&r->done, 1);
		usleep(500 + rand_r(&seed) % 5000);
	}
	return NULL;
}

/* Longer than the harness's 30 s default: the debug kernel is slow. */
FIXTURE(load) {
	int unused;
};

FIXTURE_SETUP(load)
{
}

FIXTURE_TEARDOWN(load)
{
}

TEST_F_TIMEOUT(load, resets_under_load, 400)
{
	struct drm_qnpu_counters before, after;
	struct resetter r = { 0 };
	struct tally t = { 0 };
	struct chain ch[3];
	struct pair pr;
	pthread_t th[4], rt;
	int i, fd = qnpu_open_node(NULL);

	ASSERT_GE(fd, 0);
	memset(ch, 0, sizeof(ch));
	memset(&pr, 0, sizeof(pr));
	for (i = 0; i < 3; i++) {
		ch[i].t = &t;
		ASSERT_EQ(0, chain_open(&ch[i], 200));
	}
	pr.t = &t;
	ASSERT_EQ(0, pair_open(&pr, 200));
	ASSERT_EQ(0, counters(fd, &before));

	ASSERT_EQ(0, pthread_create(&rt, NULL, reset_run, &r));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, chain_run, &ch[i]));
	ASSERT_EQ(0, pthread_create(&th[3], NULL, pair_run, &pr));
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	atomic_store(&r.stop, 1);
	pthread_join(rt, NULL);
	ASSERT_EQ(0, counters(fd, &after));

	TH_LOG("%d jobs, %d resets", atomic_load(&t.submitted),
	       atomic_load(&r.done));
	EXPECT_EQ(0, atomic_load(&t.errors));
	EXPECT_EQ(0, atomic_load(&r.failed));
	EXPECT_LT(0, atomic_load(&r.done));
	EXPECT_EQ(3 * 400 + 400, atomic_load(&t.submitted));
	/* Nothing hung: every job ran, innocent ones again after a reset. */
	EXPECT_EQ(atomic_load(&t.submitted), atomic_load(&t.ok));
	EXPECT_EQ(0, atomic_load(&t.timeout));
	EXPECT_EQ(0, atomic_load(&t.other));
	EXPECT_EQ(0, atomic_load(&t.wrong));
	EXPECT_EQ((uint64_t)atomic_load(&r.done), after.resets - before.resets);
	/* Each job written back exactly once. */
	EXPECT_EQ((uint64_t)atomic_load(&t.ok), after.jobs - before.jobs);
	for (i = 0; i < 3; i++)
		chain_close(&ch[i]);
	pair_close(&pr);
	close(fd);
}

/* qnpu-jobs-queued of a file's fdinfo, or -1. */
static int jobs_queued(int fd)
{
	char path[64], line[128];
	int v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "qnpu-jobs-queued:", 17))
			v = atoi(line + 17);
	fclose(f);
	return v;
}

TEST_F_TIMEOUT(load, timeouts_on_jobs_that_finish, 400)
{
	struct drm_qnpu_counters before, after;
	struct tally t = { 0 };
	struct chain ch = { .t = &t, .ballast = 12 };
	int i, n, fds[32];

	ASSERT_EQ(0, chain_open(&ch, 60));
	ASSERT_EQ(0, counters(ch.fd, &before));
	/* 120 jobs through a queue of 16: a leaked job would block it. */
	chain_run(&ch);
	ASSERT_EQ(0, counters(ch.fd, &after));

	TH_LOG("%d OK, %d TIMEOUT", atomic_load(&t.ok),
	       atomic_load(&t.timeout));
	EXPECT_EQ(0, atomic_load(&t.errors));
	EXPECT_EQ(120, atomic_load(&t.submitted));
	EXPECT_EQ(120, atomic_load(&t.ok) + atomic_load(&t.timeout));
	EXPECT_EQ(0, atomic_load(&t.other));
	EXPECT_EQ(0, atomic_load(&t.wrong));
	/* Both kinds of ending happened, or the test proves nothing. */
	EXPECT_LT(0, atomic_load(&t.ok));
	EXPECT_LT(0, atomic_load(&t.timeout));
	/*
	 * A reset for every TIMEOUT; one more when a job completes between
	 * the timeout's check and the reset (it then ends OK, as it should).
	 */
	EXPECT_LE((uint64_t)atomic_load(&t.timeout), after.resets - before.resets);
	EXPECT_EQ((uint64_t)atomic_load(&t.ok), after.jobs - before.jobs);

	/* Every job is freed (the scheduler frees them a little later). */
	for (i = 0; i < 100 && jobs_queued(ch.fd) != 0; i++)
		usleep(50000);
	EXPECT_EQ(0, jobs_queued(ch.fd));
	chain_close(&ch);

	/* No context leaked with a job: all can be opened, twice over. */
	for (n = 0; n < 2; n++) {
		for (i = 0; i < 32; i++) {
			fds[i] = qnpu_open_node(NULL);
			ASSERT_GE(fds[i], 0);
		}
		for (i = 0; i < 32; i++)
			close(fds[i]);
	}
}

TEST_HARNESS_MAIN
