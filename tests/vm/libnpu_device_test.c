// SPDX-License-Identifier: MIT
/*
 * Selftests of libnpu's device layer against the driver: discovery,
 * buffers, jobs, fences, dma-buf sharing, one handle used by many threads.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include <npu/npu.h>

#include "qnpu_regs.h"
#include "qnpu_util.h"

FIXTURE(lib) {
	struct npu_device *dev;
	struct npu_buffer *cb, *src, *dst;
	uint8_t *cbm, *srcm, *dstm;
};

FIXTURE_SETUP(lib)
{
	int i;

	ASSERT_EQ(0, npu_device_open(0, &self->dev));
	ASSERT_EQ(0, npu_buffer_new(self->dev, 64 * 256, 0, &self->cb));
	ASSERT_EQ(0, npu_buffer_new(self->dev, 65536, 0, &self->src));
	ASSERT_EQ(0, npu_buffer_new(self->dev, 65536, 0, &self->dst));
	ASSERT_EQ(0, npu_buffer_map(self->cb, (void **)&self->cbm));
	ASSERT_EQ(0, npu_buffer_map(self->src, (void **)&self->srcm));
	ASSERT_EQ(0, npu_buffer_map(self->dst, (void **)&self->dstm));
	for (i = 0; i < 65536; i++)
		self->srcm[i] = (uint8_t)(i * 11 + 2);
}

FIXTURE_TEARDOWN(lib)
{
	npu_buffer_free(self->cb);
	npu_buffer_free(self->src);
	npu_buffer_free(self->dst);
	npu_device_close(self->dev);
}

/* A COPY job in slot @slot of the command-buffer buffer. */
static struct npu_job copy_job(FIXTURE_DATA(lib) *self, int slot, uint64_t src,
			       uint64_t dst, uint32_t bytes,
			       struct npu_buffer **bufs)
{
	struct npu_job job = { .cmdbuf = self->cb, .offset = slot * 256,
			       .buffers = bufs, .buffer_count = 2 };
	struct qnpu_cb cb;

	bufs[0] = self->src;
	bufs[1] = self->dst;
	qnpu_cb_init(&cb, self->cbm + slot * 256);
	qnpu_cb_copy(&cb, src, dst, bytes);
	job.size = qnpu_cb_end(&cb);
	return job;
}

/*
 * The device's bus: the lane's ($QNPU_EXPECT_BUS) when it names one, else
 * PCI or the platform bus; the PCI ids that go with it; and the bus and
 * device sysfs shows behind the node.
 */
static void expect_bus(struct __test_metadata *_metadata,
		       const struct npu_device_info *info)
{
	const char *want = getenv("QNPU_EXPECT_BUS");
	char bus[16], bus_id[64];

	if (want)
		EXPECT_STREQ(want, info->bus);
	if (!strcmp(info->bus, "pci")) {
		EXPECT_EQ(QNPU_PCI_VENDOR_ID, info->pci_vendor);
		EXPECT_EQ(QNPU_PCI_DEVICE_ID, info->pci_device);
	} else {
		EXPECT_STREQ("platform", info->bus);
		EXPECT_EQ(0, info->pci_vendor);
		EXPECT_EQ(0, info->pci_device);
	}
	EXPECT_NE(0, info->bus_id[0]);
	/* libnpu goes by the char device's numbers, the helpers by its name. */
	ASSERT_EQ(0, qnpu_node_bus(info->path, bus, sizeof(bus)));
	EXPECT_STREQ(bus, info->bus);
	ASSERT_EQ(0, qnpu_node_device(info->path, bus_id, sizeof(bus_id)));
	EXPECT_STREQ(bus_id, info->bus_id);
}

TEST_F(lib, discovery_and_info)
{
	struct npu_device_info info;
	struct npu_device *d2;

	EXPECT_GE(npu_device_count(), 1);
	ASSERT_EQ(0, npu_device_info(self->dev, &info));
	EXPECT_STREQ("/dev/accel/accel0", info.path);
	expect_bus(_metadata, &info);
	ASSERT_EQ(0, npu_device_open_path("/dev/accel/accel0", &d2));
	npu_device_close(d2);
	EXPECT_EQ(-ENODEV, npu_device_open(99, &d2));
}

TEST_F(lib, buffers)
{
	struct npu_buffer *b;
	uint8_t *p, *q;

	ASSERT_EQ(0, npu_buffer_new(self->dev, 5000, NPU_BUFFER_DEVICE_READONLY,
				    &b));
	EXPECT_EQ(8192, npu_buffer_size(b));
	EXPECT_NE(0, npu_buffer_addr(b));
	ASSERT_EQ(0, npu_buffer_map(b, (void **)&p));
	ASSERT_EQ(0, npu_buffer_map(b, (void **)&q));
	EXPECT_EQ(p, q);
	EXPECT_EQ(0, p[0] | p[8191]);
	EXPECT_EQ(0, npu_buffer_unmap(b));
	EXPECT_EQ(0, npu_buffer_unmap(b));
	EXPECT_EQ(-EINVAL, npu_buffer_unmap(b));
	npu_buffer_free(b);
	EXPECT_EQ(-EINVAL, npu_buffer_new(self->dev, 0, 0, &b));
	EXPECT_EQ(-EINVAL, npu_buffer_new(self->dev, 4096, 0x10, &b));
	EXPECT_EQ(-E2BIG, npu_buffer_new(self->dev, 1ull << 40, 0, &b));
}

TEST_F(lib, submit_and_wait)
{
	struct npu_buffer *bufs[2];
	struct npu_job job = copy_job(self, 0, npu_buffer_addr(self->src),
				      npu_buffer_addr(self->dst), 65536, bufs);
	struct npu_job_result r;
	uint64_t id;

	ASSERT_EQ(0, npu_submit(self->dev, &job, &id));
	ASSERT_EQ(0, npu_wait(self->dev, id, 10 * QNPU_SEC, &r));
	EXPECT_EQ(QNPU_STATUS_OK, r.status);
	EXPECT_STREQ("ok", npu_status_str(r.status));
	EXPECT_EQ(0, memcmp(self->srcm, self->dstm, 65536));

	/* A fault comes back as a status, with its address. */
	job = copy_job(self, 1, 0x10, npu_buffer_addr(self->dst), 16, bufs);
	ASSERT_EQ(0, npu_submit(self->dev, &job, &id));
	ASSERT_EQ(0, npu_wait(self->dev, id, 10 * QNPU_SEC, &r));
	EXPECT_EQ(QNPU_STATUS_MMU_FAULT, r.status);
	EXPECT_EQ(0x10, r.fault_addr);
	EXPECT_STREQ("MMU fault", npu_status_str(r.status));
	EXPECT_STREQ("unknown status", npu_status_str(0xbad00007));

	job.cmdbuf = NULL;
	EXPECT_EQ(-EINVAL, npu_submit(self->dev, &job, &id));
}

TEST_F(lib, fence_chain)
{
	struct npu_buffer *bufs[2], *bufs2[2];
	struct npu_fence *f;
	struct npu_job a, b;
	uint64_t ida, idb;

	ASSERT_EQ(0, npu_fence_new(self->dev, &f));
	a = copy_job(self, 0, npu_buffer_addr(self->src),
		     npu_buffer_addr(self->dst), 32768, bufs);
	a.signal = f;
	b = copy_job(self, 1, npu_buffer_addr(self->dst),
		     npu_buffer_addr(self->dst) + 32768, 32768, bufs2);
	b.wait = &f;
	b.wait_count = 1;
	ASSERT_EQ(0, npu_submit(self->dev, &a, &ida));
	ASSERT_EQ(0, npu_submit(self->dev, &b, &idb));
	EXPECT_EQ(0, npu_fence_wait(f, 10 * QNPU_SEC));
	ASSERT_EQ(0, npu_wait(self->dev, idb, 10 * QNPU_SEC, NULL));
	EXPECT_EQ(0, memcmp(self->srcm, self->dstm + 32768, 32768));
	npu_fence_free(f);
}

TEST_F(lib, share_between_handles)
{
	struct npu_device *d2;
	struct npu_buffer *imp, *cb2, *out2, *bufs[2];
	struct npu_job job = { 0 };
	struct qnpu_cb cb;
	uint8_t *cbm2, *outm;
	uint64_t id;
	int fd;

	ASSERT_EQ(0, npu_device_open(0, &d2));
	ASSERT_EQ(0, npu_buffer_export(self->src, &fd));
	ASSERT_EQ(0, npu_buffer_import(d2, fd, &imp));
	close(fd);
	EXPECT_EQ(npu_buffer_size(self->src), npu_buffer_size(imp));
	ASSERT_EQ(0, npu_buffer_new(d2, 4096, 0, &cb2));
	ASSERT_EQ(0, npu_buffer_new(d2, 4096, 0, &out2));
	ASSERT_EQ(0, npu_buffer_map(cb2, (void **)&cbm2));
	ASSERT_EQ(0, npu_buffer_map(out2, (void **)&outm));
	qnpu_cb_init(&cb, cbm2);
	qnpu_cb_copy(&cb, npu_buffer_addr(imp) + 1000, npu_buffer_addr(out2),
		     4096);
	bufs[0] = imp;
	bufs[1] = out2;
	job.cmdbuf = cb2;
	job.size = qnpu_cb_end(&cb);
	job.buffers = bufs;
	job.buffer_count = 2;
	ASSERT_EQ(0, npu_submit(d2, &job, &id));
	ASSERT_EQ(0, npu_wait(d2, id, 10 * QNPU_SEC, NULL));
	EXPECT_EQ(0, memcmp(outm, self->srcm + 1000, 4096));
	/* A buffer of one handle is not a buffer of another. */
	bufs[1] = self->dst;
	EXPECT_EQ(-EINVAL, npu_submit(d2, &job, &id));
	npu_buffer_free(imp);
	npu_buffer_free(cb2);
	npu_buffer_free(out2);
	npu_device_close(d2);
}

struct worker {
	struct npu_device *dev;
	int index, bad;
};

/* Each thread: its own buffers, one shared device handle. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct npu_buffer *cbb, *src, *dst, *bufs[2];
	uint8_t *cbm, *s, *d;
	int j;

	if (npu_buffer_new(w->dev, 50 * 256, 0, &cbb) ||
	    npu_buffer_new(w->dev, 4096, 0, &src) ||
	    npu_buffer_new(w->dev, 50 * 64, 0, &dst) ||
	    npu_buffer_map(cbb, (void **)&cbm) ||
	    npu_buffer_map(src, (void **)&s) || npu_buffer_map(dst, (void **)&d)) {
		w->bad = 1000;
		return NULL;
	}
	for (j = 0; j < 4096; j++)
		s[j] = (uint8_t)(j + w->index * 40);
	bufs[0] = src;
	bufs[1] = dst;
	for (j = 0; j < 50; j++) {
		struct npu_job job = { .cmdbuf = cbb, .offset = j * 256,
				       .buffers = bufs, .buffer_count = 2 };
		struct npu_job_result r;
		struct qnpu_cb cb;
		uint64_t id;
		int ret;

		qnpu_cb_init(&cb, cbm + j * 256);
		qnpu_cb_copy(&cb, npu_buffer_addr(src) + j,
			     npu_buffer_addr(dst) + j * 64, 64);
		job.size = qnpu_cb_end(&cb);
		while ((ret = npu_submit(w->dev, &job, &id)) == -EBUSY)
			;
		if (ret || npu_wait(w->dev, id, 30 * QNPU_SEC, &r) ||
		    r.status != QNPU_STATUS_OK || memcmp(d + j * 64, s + j, 64))
			w->bad++;
	}
	npu_buffer_free(cbb);
	npu_buffer_free(src);
	npu_buffer_free(dst);
	return NULL;
}

TEST_F(lib, one_handle_many_threads)
{
	struct worker w[4];
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ .dev = self->dev, .index = i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, worker_main, &w[i]));
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, w[i].bad);
	}
}

TEST_HARNESS_MAIN
