// SPDX-License-Identifier: MIT
/*
 * Selftests of buffer objects, submission, waiting, faults and isolation,
 * run inside a VM against the QEMU qnpu device.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#include "qnpu_util.h"

FIXTURE(npu) {
	int fd;
	struct qnpu_bo cb, src, dst;
	struct drm_qnpu_device_info info;
};

FIXTURE_SETUP(npu)
{
	struct drm_qnpu_query q = { .type = DRM_QNPU_QUERY_DEVICE_INFO,
				    .size = sizeof(self->info),
				    .data = (uintptr_t)&self->info };
	unsigned int i;

	self->fd = qnpu_open_node(NULL);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_QUERY, &q));
	ASSERT_EQ(0, qnpu_bo_new(self->fd, 4096, 0, &self->cb));
	ASSERT_EQ(0, qnpu_bo_new(self->fd, 3 * 4096, 0, &self->src));
	ASSERT_EQ(0, qnpu_bo_new(self->fd, 3 * 4096, 0, &self->dst));
	for (i = 0; i < self->src.size; i++)
		((uint8_t *)self->src.map)[i] = (uint8_t)(i * 7 + 1);
}

FIXTURE_TEARDOWN(npu)
{
	qnpu_bo_free(&self->cb);
	qnpu_bo_free(&self->src);
	qnpu_bo_free(&self->dst);
	close(self->fd);
}

/* A one-COPY job from src to dst; returns the job id. */
static uint64_t copy_job(struct __test_metadata *_metadata,
			 FIXTURE_DATA(npu) *self, uint64_t src, uint64_t dst,
			 uint32_t bytes)
{
	uint32_t bos[] = { self->src.handle, self->dst.handle };
	struct qnpu_submit_opts o = { .bos = bos, .bo_count = 2 };
	struct qnpu_cb cb;
	uint64_t id = 0;

	qnpu_cb_init(&cb, self->cb.map);
	qnpu_cb_copy(&cb, src, dst, bytes);
	EXPECT_EQ(0, qnpu_submit(self->fd, &self->cb, qnpu_cb_end(&cb), &o, &id));
	return id;
}

TEST_F(npu, bo_create_info_mmap)
{
	struct drm_qnpu_bo_create c = { .size = 5000 };
	struct drm_qnpu_bo_info i = { 0 };
	uint8_t *p;

	ASSERT_EQ(0, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_BO_CREATE, &c));
	EXPECT_NE(0, c.handle);
	EXPECT_GE(c.device_addr, self->info.va_start);
	EXPECT_LT(c.device_addr, self->info.va_end);
	EXPECT_EQ(0, c.device_addr % self->info.page_size);
	i.handle = c.handle;
	ASSERT_EQ(0, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_BO_INFO, &i));
	EXPECT_EQ(8192, i.size);
	EXPECT_EQ(c.device_addr, i.device_addr);
	EXPECT_EQ(0, i.flags);
	p = mmap(NULL, i.size, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 i.mmap_offset);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, p[0] | p[4999] | p[8191]);	/* zero-filled */
	p[100] = 42;
	EXPECT_EQ(42, p[100]);
	munmap(p, i.size);
	/* Distinct BOs get distinct, non-overlapping addresses. */
	EXPECT_TRUE(self->src.addr + self->src.size <= self->dst.addr ||
		    self->dst.addr + self->dst.size <= self->src.addr);
}

TEST_F(npu, bo_create_errors)
{
	struct drm_qnpu_bo_create c = { .size = 4096, .flags = 0x80 };

	EXPECT_EQ(-EINVAL, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_BO_CREATE, &c));
	c.flags = 0;
	c.size = 0;
	EXPECT_EQ(-EINVAL, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_BO_CREATE, &c));
	c.size = self->info.max_bo_size + 1;
	EXPECT_EQ(-E2BIG, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_BO_CREATE, &c));
	c.size = ~0ull;
	EXPECT_EQ(-E2BIG, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_BO_CREATE, &c));
}

TEST_F(npu, bo_info_errors)
{
	struct drm_qnpu_bo_info i = { .handle = 0xdead };
	struct drm_gem_close gc = { .handle = self->dst.handle };

	EXPECT_EQ(-ENOENT, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_BO_INFO, &i));
	i.handle = self->src.handle;
	i.flags = 1;
	EXPECT_EQ(-EINVAL, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_BO_INFO, &i));
	/* A freed handle is gone. */
	munmap(self->dst.map, self->dst.size);
	self->dst.map = NULL;
	ASSERT_EQ(0, qnpu_ioctl(self->fd, DRM_IOCTL_GEM_CLOSE, &gc));
	i.handle = self->dst.handle;
	i.flags = 0;
	EXPECT_EQ(-ENOENT, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_BO_INFO, &i));
	self->dst.handle = 0;
}

TEST_F(npu, copy_job_runs)
{
	struct drm_qnpu_wait w;
	uint64_t id;

	id = copy_job(_metadata, self, self->src.addr + 5, self->dst.addr + 100,
		      9000);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, qnpu_wait(self->fd, id, 10 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_OK, w.status);
	EXPECT_GT(w.cycles, 0);
	EXPECT_EQ(0, memcmp((uint8_t *)self->dst.map + 100,
			    (uint8_t *)self->src.map + 5, 9000));
	EXPECT_EQ(0, ((uint8_t *)self->dst.map)[99]);
	/* The status stays readable. */
	ASSERT_EQ(0, qnpu_wait(self->fd, id, 0, &w));
	EXPECT_EQ(QNPU_STATUS_OK, w.status);
}

TEST_F(npu, many_jobs_in_order)
{
	uint32_t bos[] = { self->src.handle, self->dst.handle };
	struct qnpu_submit_opts o = { .bos = bos, .bo_count = 2 };
	struct drm_qnpu_wait w;
	struct qnpu_bo cbs;
	uint64_t ids[64];
	int i;

	/* A command buffer per job, at its own offset of one BO. */
	ASSERT_EQ(0, qnpu_bo_new(self->fd, 64 * 256, 0, &cbs));
	for (i = 0; i < 64; i++) {
		struct qnpu_cb cb;

		qnpu_cb_init(&cb, (uint8_t *)cbs.map + i * 256);
		qnpu_cb_copy(&cb, self->src.addr + i, self->dst.addr + i * 16,
			     16);
		o.cb_offset = i * 256;
		ASSERT_EQ(0, qnpu_submit(self->fd, &cbs, qnpu_cb_end(&cb), &o,
					 &ids[i]));
	}
	for (i = 0; i < 64; i++) {
		ASSERT_EQ(0, qnpu_wait(self->fd, ids[i], 10 * QNPU_SEC, &w));
		EXPECT_EQ(QNPU_STATUS_OK, w.status);
		EXPECT_EQ(0, memcmp((uint8_t *)self->dst.map + i * 16,
				    (uint8_t *)self->src.map + i, 16));
		if (i)
			EXPECT_GT(ids[i], ids[i - 1]);
	}
	qnpu_bo_free(&cbs);
}

TEST_F(npu, device_rejects_bad_command_buffer)
{
	struct qnpu_cmdbuf_header *h = self->cb.map;
	struct drm_qnpu_wait w;
	struct qnpu_cb cb;
	uint64_t id;

	qnpu_cb_init(&cb, self->cb.map);
	qnpu_cb_add(&cb, QNPU_OP_NOP, 8);
	qnpu_cb_end(&cb);
	h->magic = 0x12345678;
	ASSERT_EQ(0, qnpu_submit(self->fd, &self->cb, 40, NULL, &id));
	ASSERT_EQ(0, qnpu_wait(self->fd, id, 10 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_INVALID_HEADER, w.status);

	qnpu_cb_init(&cb, self->cb.map);
	qnpu_cb_add(&cb, QNPU_OP_NOP, 8);
	((struct qnpu_desc_header *)qnpu_cb_add(&cb, QNPU_OP_NOP, 8))->op = 77;
	ASSERT_EQ(0, qnpu_submit(self->fd, &self->cb, qnpu_cb_end(&cb), NULL,
				 &id));
	ASSERT_EQ(0, qnpu_wait(self->fd, id, 10 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_UNKNOWN_OP, w.status);
	EXPECT_EQ(40, w.error_offset);

	/* The device keeps working. */
	id = copy_job(_metadata, self, self->src.addr, self->dst.addr, 64);
	ASSERT_EQ(0, qnpu_wait(self->fd, id, 10 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_OK, w.status);
}

TEST_F(npu, mmu_fault_fails_only_that_job)
{
	struct drm_qnpu_wait w;
	uint64_t id, guess = self->info.va_start + (1ull << 34);

	id = copy_job(_metadata, self, guess, self->dst.addr, 64);
	ASSERT_EQ(0, qnpu_wait(self->fd, id, 10 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_MMU_FAULT, w.status);
	EXPECT_EQ(guess, w.fault_addr);
	EXPECT_EQ(32, w.error_offset);

	/* Past the end of a BO is the guard page: a fault too. */
	id = copy_job(_metadata, self, self->src.addr, self->dst.addr + 4096,
		      3 * 4096);
	ASSERT_EQ(0, qnpu_wait(self->fd, id, 10 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_MMU_FAULT, w.status);
	EXPECT_EQ(self->dst.addr + self->dst.size, w.fault_addr);

	id = copy_job(_metadata, self, self->src.addr, self->dst.addr, 64);
	ASSERT_EQ(0, qnpu_wait(self->fd, id, 10 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_OK, w.status);
}

TEST_F(npu, readonly_bo_cannot_be_written)
{
	struct qnpu_bo ro;
	struct drm_qnpu_wait w;
	uint32_t bos[] = { self->src.handle, 0 };
	struct qnpu_submit_opts o = { .bos = bos, .bo_count = 2 };
	struct qnpu_cb cb;
	uint64_t id;

	ASSERT_EQ(0, qnpu_bo_new(self->fd, 4096, DRM_QNPU_BO_DEVICE_READONLY,
				 &ro));
	bos[1] = ro.handle;
	qnpu_cb_init(&cb, self->cb.map);
	qnpu_cb_copy(&cb, self->src.addr, ro.addr, 64);
	ASSERT_EQ(0, qnpu_submit(self->fd, &self->cb, qnpu_cb_end(&cb), &o, &id));
	ASSERT_EQ(0, qnpu_wait(self->fd, id, 10 * QNPU_SEC, &w));
	EXPECT_EQ(QNPU_STATUS_MMU_FAULT, w.status);
	EXPECT_EQ(ro.addr, w.fault_addr);
	EXPECT_EQ(0, ((uint8_t *)ro.map)[0]);
	qnpu_bo_free(&ro);
}

TEST_F(npu, submit_errors)
{
	struct drm_qnpu_submit s = { .cmdbuf_handle = self->cb.handle,
				     .cmdbuf_size = 40 };
	uint32_t dup[] = { self->src.handle, self->src.handle };
	uint32_t bad[] = { self->src.handle, 0xbad };
	uint32_t many[300];
	struct drm_qnpu_submit t;
	struct qnpu_cb cb;
	int i;

	qnpu_cb_init(&cb, self->cb.map);
	qnpu_cb_add(&cb, QNPU_OP_NOP, 8);
	qnpu_cb_end(&cb);

#define SUBMIT_ERR(err, field, value) do {				\
		t = s; t.field = value;					\
		EXPECT_EQ(err, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_SUBMIT, &t)); \
	} while (0)
	SUBMIT_ERR(-EINVAL, flags, 1);
	SUBMIT_ERR(-EINVAL, pad, 1);
	SUBMIT_ERR(-EINVAL, priority, 3);
	SUBMIT_ERR(-EINVAL, cmdbuf_size, 0);
	SUBMIT_ERR(-EINVAL, cmdbuf_size, 24);
	SUBMIT_ERR(-EINVAL, cmdbuf_size, 44);
	SUBMIT_ERR(-E2BIG, cmdbuf_size, self->info.max_cmdbuf_size + 8);
	SUBMIT_ERR(-EINVAL, cmdbuf_size, 4096 + 8);	/* past the BO */
	SUBMIT_ERR(-EINVAL, cmdbuf_offset, 4);
	SUBMIT_ERR(-EINVAL, cmdbuf_offset, 4096);
	SUBMIT_ERR(-EINVAL, cmdbuf_offset, ~7ull);	/* overflow */
	SUBMIT_ERR(-ENOENT, cmdbuf_handle, 0xbad);
	SUBMIT_ERR(-ENOENT, cmdbuf_handle, 0);
	SUBMIT_ERR(-ENOENT, out_syncobj, 0xbad);

	t = s;
	t.bo_handles = (uintptr_t)dup;
	t.bo_count = 2;
	EXPECT_EQ(-EINVAL, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_SUBMIT, &t));
	t.bo_handles = (uintptr_t)bad;
	EXPECT_EQ(-ENOENT, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_SUBMIT, &t));
	t.bo_handles = 0;
	EXPECT_EQ(-EFAULT, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_SUBMIT, &t));
	t.bo_handles = 8;
	EXPECT_EQ(-EFAULT, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_SUBMIT, &t));
	for (i = 0; i < 300; i++)
		many[i] = self->src.handle;
	t.bo_handles = (uintptr_t)many;
	t.bo_count = 300;
	EXPECT_EQ(-E2BIG, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_SUBMIT, &t));

	t = s;
	t.in_syncobjs = (uintptr_t)bad;
	t.in_syncobj_count = 1;
	EXPECT_NE(0, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_SUBMIT, &t));
	t.in_syncobjs = 0;
	EXPECT_EQ(-EFAULT, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_SUBMIT, &t));
	t.in_syncobj_count = 1000;
	EXPECT_EQ(-E2BIG, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_SUBMIT, &t));

	/* After all of that, a good submission still works; job_id is
	 * output only, whatever it held on input.
	 */
	t = s;
	t.job_id = 12345;
	EXPECT_EQ(0, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_SUBMIT, &t));
	EXPECT_NE(12345, t.job_id);
	EXPECT_EQ(0, qnpu_wait(self->fd, t.job_id, 10 * QNPU_SEC, NULL));
}

TEST_F(npu, wait_errors)
{
	struct drm_qnpu_wait w = { .job_id = 12345, .timeout_ns = 0 };

	EXPECT_EQ(-ENOENT, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_WAIT, &w));
	w.job_id = 0;
	EXPECT_EQ(-ENOENT, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_WAIT, &w));
	w.flags = 2;
	EXPECT_EQ(-EINVAL, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_WAIT, &w));
	w.flags = 0;
	w.timeout_ns = -1;
	EXPECT_EQ(-EINVAL, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_WAIT, &w));
	w.timeout_ns = 0;
	w.handle = self->src.handle;
	EXPECT_EQ(-EINVAL, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_WAIT, &w));
	w.flags = DRM_QNPU_WAIT_BO;
	w.handle = 0xbad;
	EXPECT_EQ(-ENOENT, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_WAIT, &w));
	w.handle = self->src.handle;
	w.job_id = 1;
	EXPECT_EQ(-EINVAL, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_WAIT, &w));
}

TEST_F(npu, wait_on_bo)
{
	struct drm_qnpu_wait w = { .flags = DRM_QNPU_WAIT_BO,
				   .timeout_ns = 10 * QNPU_SEC };

	copy_job(_metadata, self, self->src.addr, self->dst.addr, 4096);
	w.handle = self->dst.handle;
	ASSERT_EQ(0, qnpu_ioctl(self->fd, DRM_IOCTL_QNPU_WAIT, &w));
	EXPECT_EQ(0, memcmp(self->dst.map, self->src.map, 4096));
}

/* Two files are two address spaces: a guessed address faults. */
TEST_F(npu, files_are_isolated)
{
	struct qnpu_bo cb2, out2;
	struct drm_qnpu_wait w;
	uint32_t bos[1];
	struct qnpu_submit_opts o = { .bos = bos, .bo_count = 1 };
	struct qnpu_cb cb;
	uint64_t id;
	int fd2;

	fd2 = qnpu_open_node(NULL);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, qnpu_bo_new(fd2, 4096, 0, &cb2));
	ASSERT_EQ(0, qnpu_bo_new(fd2, 4096, 0, &out2));
	bos[0] = out2.handle;

	/* Read file 1's src at its address, from file 2. */
	qnpu_cb_init(&cb, cb2.map);
	qnpu_cb_copy(&cb, self->src.addr, out2.addr, 64);
	ASSERT_EQ(0, qnpu_submit(fd2, &cb2, qnpu_cb_end(&cb), &o, &id));
	ASSERT_EQ(0, qnpu_wait(fd2, id, 10 * QNPU_SEC, &w));
	if (self->src.addr >= out2.addr + out2.size ||
	    self->src.addr + 64 <= out2.addr) {
		EXPECT_EQ(QNPU_STATUS_MMU_FAULT, w.status);
	}
	/* Write into file 1's dst address, from file 2. */
	qnpu_cb_init(&cb, cb2.map);
	qnpu_cb_copy(&cb, out2.addr, self->dst.addr, 64);
	ASSERT_EQ(0, qnpu_submit(fd2, &cb2, qnpu_cb_end(&cb), &o, &id));
	ASSERT_EQ(0, qnpu_wait(fd2, id, 10 * QNPU_SEC, &w));
	EXPECT_EQ(0, ((uint8_t *)self->dst.map)[0]);
	/* Job ids are per file; file 1 knows nothing of file 2's. */
	EXPECT_EQ(-ENOENT, qnpu_wait(self->fd, id + 1000, 0, NULL));

	qnpu_bo_free(&cb2);
	qnpu_bo_free(&out2);
	close(fd2);
}

TEST_F(npu, close_with_jobs_in_flight)
{
	int i;

	for (i = 0; i < 100; i++)
		copy_job(_metadata, self, self->src.addr, self->dst.addr, 8192);
	close(self->fd);
	self->fd = qnpu_open_node(NULL);
	ASSERT_GE(self->fd, 0);
	/* The old handles died with the file. */
	self->cb.handle = self->src.handle = self->dst.handle = 0;
}

TEST_F(npu, fork_shares_the_file)
{
	pid_t pid = fork();
	int status;

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct drm_qnpu_wait w;
		uint64_t id;

		id = copy_job(_metadata, self, self->src.addr, self->dst.addr,
			      128);
		_exit(qnpu_wait(self->fd, id, 10 * QNPU_SEC, &w) ||
		      w.status != QNPU_STATUS_OK);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, memcmp(self->dst.map, self->src.map, 128));
}

/*
 * What the udev rule (driver/70-qnpu.rules) sets up: the node in group
 * render, mode 0660. A user in that group submits jobs without root; one
 * outside it cannot open the node.
 */
TEST(non_root_user_in_render_group)
{
	const gid_t render = 105;
	struct stat st;
	int status, as_member;

	ASSERT_EQ(0, stat(QNPU_NODE, &st));
	ASSERT_EQ(0, chown(QNPU_NODE, 0, render));
	ASSERT_EQ(0, chmod(QNPU_NODE, 0660));
	for (as_member = 0; as_member < 2; as_member++) {
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (pid == 0) {
			struct qnpu_bo cb;
			struct qnpu_cb c;
			uint64_t id;
			int fd;

			if (setgroups(as_member, &render) || setgid(1000) ||
			    setuid(1000))
				_exit(10);
			fd = qnpu_open_node(NULL);
			if (!as_member)
				_exit(fd < 0 && errno == EACCES ? 0 : 11);
			if (fd < 0 || qnpu_bo_new(fd, 4096, 0, &cb))
				_exit(12);
			qnpu_cb_init(&c, cb.map);
			qnpu_cb_add(&c, QNPU_OP_NOP, 8);
			if (qnpu_submit(fd, &cb, qnpu_cb_end(&c), NULL, &id) ||
			    qnpu_wait(fd, id, 10 * QNPU_SEC, NULL))
				_exit(13);
			/* High priority needs CAP_SYS_NICE. */
			_exit(qnpu_submit(fd, &cb, c.size,
					  &(struct qnpu_submit_opts){
						.priority = DRM_QNPU_PRIORITY_HIGH },
					  NULL) == -EPERM ? 0 : 14);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
	chown(QNPU_NODE, st.st_uid, st.st_gid);
	chmod(QNPU_NODE, st.st_mode & 07777);
}

TEST_HARNESS_MAIN
