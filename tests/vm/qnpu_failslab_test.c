// SPDX-License-Identifier: MIT
/*
 * The driver's error paths under memory allocation failures: failslab and
 * fail_page_alloc (debug kernel only) fail a share of the allocations made
 * on behalf of the qnpu module (its text is the stack-trace filter) while
 * clients create, map, share and submit. Every call may fail, but nothing
 * may leak or warn: once every file is closed, the device holds no BO
 * memory and still runs a job.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"

#include "qnpu_util.h"

#define FI "/sys/kernel/debug/"

static int module_text(unsigned long long *start)
{
	FILE *f = fopen("/sys/module/qnpu/sections/.text", "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%llx", start) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* Fail @percent % of the module's allocations (0: stop). */
static int inject(const char *attr, int percent, unsigned long long text)
{
	char path[128], v[32];
	static const char *const knobs[][2] = {
		{ "interval", "1" }, { "times", "-1" }, { "verbose", "0" },
		{ "ignore-gfp-wait", "N" }, { "task-filter", "N" },
		{ "stacktrace-depth", "32" },
	};
	unsigned int i;
	int ret = 0;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]) && !ret; i++) {
		snprintf(path, sizeof(path), FI "%s/%s", attr, knobs[i][0]);
		ret = qnpu_write_file(path, knobs[i][1]);
	}
	snprintf(path, sizeof(path), FI "%s/require-start", attr);
	snprintf(v, sizeof(v), "%llu", text);
	ret = ret ? ret : qnpu_write_file(path, v);
	snprintf(path, sizeof(path), FI "%s/require-end", attr);
	snprintf(v, sizeof(v), "%llu", text + 0x40000);
	ret = ret ? ret : qnpu_write_file(path, v);
	snprintf(path, sizeof(path), FI "%s/probability", attr);
	snprintf(v, sizeof(v), "%d", percent);
	return ret ? ret : qnpu_write_file(path, v);
}

/* One round of everything a client does; any step may fail. */
static void churn(int fa, int fb, int round)
{
	struct drm_prime_handle p = { .flags = DRM_CLOEXEC | DRM_RDWR };
	struct qnpu_bo cbo = { 0 }, src = { 0 }, dst = { 0 };
	uint32_t bos[2], syncobj = 0;
	uint64_t id;

	if (qnpu_bo_new(fa, 4096, 0, &cbo) ||
	    qnpu_bo_new(fa, 4096 << (round % 6), 0, &src) ||
	    qnpu_bo_new(fa, 4096 << (round % 6), 0, &dst))
		goto out;
	bos[0] = src.handle;
	bos[1] = dst.handle;
	qnpu_syncobj_new(fa, &syncobj);
	if (!qnpu_submit_copy(fa, &cbo, 0, src.addr, dst.addr, 4096, bos, 2,
			      syncobj, &id))
		qnpu_wait(fa, id, 30 * QNPU_SEC, NULL);
	p.handle = dst.handle;
	if (!qnpu_ioctl(fa, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p)) {
		struct drm_gem_close c = { 0 };

		if (!qnpu_ioctl(fb, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p)) {
			c.handle = p.handle;
			qnpu_ioctl(fb, DRM_IOCTL_GEM_CLOSE, &c);
		}
		close(p.fd);
	}
	if (syncobj) {
		int sfd = qnpu_syncobj_export(fa, syncobj);

		if (sfd >= 0)
			close(sfd);
	}
out:
	qnpu_bo_free(&cbo);
	qnpu_bo_free(&src);
	qnpu_bo_free(&dst);
}

TEST(allocation_failures_leak_nothing)
{
	unsigned long long text;
	int round, fa, fb, i;

	ASSERT_EQ(0, access(FI "failslab", F_OK));
	ASSERT_EQ(0, module_text(&text));
	ASSERT_EQ(0, inject("failslab", 10, text));
	ASSERT_EQ(0, inject("fail_page_alloc", 5, text));
	for (round = 0; round < 300; round++) {
		/* Files come and go too: open may fail. */
		fa = qnpu_open_node(NULL);
		fb = qnpu_open_node(NULL);
		if (fa >= 0 && fb >= 0)
			churn(fa, fb, round);
		if (fa >= 0)
			close(fa);
		if (fb >= 0)
			close(fb);
	}
	ASSERT_EQ(0, inject("failslab", 0, text));
	ASSERT_EQ(0, inject("fail_page_alloc", 0, text));

	for (i = 0; i < 200 && qnpu_debugfs_counter("bo_bytes") != 0; i++)
		usleep(50000);
	EXPECT_EQ(0, qnpu_debugfs_counter("bo_bytes"));
	EXPECT_EQ(0, qnpu_device_runs_a_job(30 * QNPU_SEC));
}

TEST_HARNESS_MAIN
