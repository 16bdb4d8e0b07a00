// SPDX-License-Identifier: MIT
/*
 * Compiled random networks on the NPU, through the driver, against the
 * CPU-reference executor: the same program must give the same bytes.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"

#include <npu/graph.h>

#include "../lib/randnet.h"

static void fill(uint8_t *p, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		p[i] = (uint8_t)(seed >> 56);
	}
}

TEST(random_networks_npu_equals_ref)
{
	struct npu_device *dev;
	int seed, differ = 0, failed = 0;

	ASSERT_EQ(0, npu_device_open(0, &dev));
	for (seed = 1; seed <= 200; seed++) {
		struct npu_executor *npu, *ref;
		struct npu_program *p;
		struct npu_graph *g;
		struct randnet rn;
		uint8_t in[4096], a[64], b[64];
		const void *ins[1] = { in };
		void *oa[1] = { a }, *ob[1] = { b };
		struct npu_job_result res;
		size_t out_bytes;

		ASSERT_EQ(0, npu_graph_new(&g));
		randnet_build(g, &rn, seed);
		ASSERT_EQ(0, npu_compile(g, &p)) TH_LOG("%s", npu_graph_error(g));
		fill(in, sizeof(in), seed);
		ASSERT_EQ(0, npu_executor_new(p, NPU_EXEC_NPU, dev, &npu));
		ASSERT_EQ(0, npu_executor_new(p, NPU_EXEC_REF, NULL, &ref));
		if (npu_executor_run(npu, ins, oa, &res)) {
			TH_LOG("seed %d: device status %u (%s) at %u", seed,
			       res.status, npu_status_str(res.status),
			       res.error_offset);
			failed++;
		}
		ASSERT_EQ(0, npu_executor_run(ref, ins, ob, NULL));
		out_bytes = rn.out_shape[0] * rn.out_shape[3];
		if (memcmp(a, b, out_bytes)) {
			TH_LOG("seed %d: npu and ref differ", seed);
			differ++;
		}
		npu_executor_free(npu);
		npu_executor_free(ref);
		npu_program_free(p);
		npu_graph_free(g);
	}
	EXPECT_EQ(0, failed);
	EXPECT_EQ(0, differ);
	npu_device_close(dev);
}

/* One run queued with npu_executor_submit(): inputs and outputs in place, a fence at the end. */
static int submit_run(struct npu_device *dev, struct npu_executor *e, const uint8_t *in,
		      uint8_t *out, size_t out_bytes)
{
	struct npu_buffer *buf;
	struct npu_fence *done;
	uint64_t off, bytes;
	void *m;
	int ret = npu_executor_io(e, 0, 0, &buf, &off, &bytes) ?: npu_buffer_map(buf, &m);

	if (ret)
		return ret;
	memcpy((uint8_t *)m + off, in, bytes);
	npu_buffer_unmap(buf);
	ret = npu_fence_new(dev, &done);
	if (ret)
		return ret;
	ret = npu_executor_submit(e, NULL, 0, done, NULL) ?:
	      npu_fence_wait(done, 30000000000ll) ?:
	      npu_executor_io(e, 1, 0, &buf, &off, NULL) ?: npu_buffer_map(buf, &m);
	npu_fence_free(done);
	if (ret)
		return ret;
	memcpy(out, (uint8_t *)m + off, out_bytes);
	return npu_buffer_unmap(buf);
}

/*
 * The same networks queued without waiting: programs that are device work
 * alone give the reference's bytes at their fence; programs with CPU steps
 * are refused with -EOPNOTSUPP (both kinds occur among the seeds).
 */
TEST(random_networks_submitted_with_fences)
{
	int seed, device_only = 0, refused = 0;
	struct npu_device *dev;

	ASSERT_EQ(0, npu_device_open(0, &dev));
	for (seed = 1; seed <= 60; seed++) {
		struct npu_executor *npu, *ref;
		struct npu_program_stats st;
		struct npu_program *p;
		struct npu_graph *g;
		struct randnet rn;
		uint8_t in[4096], a[64], b[64];
		const void *ins[1] = { in };
		void *ob[1] = { b };
		size_t out_bytes;
		int ret;

		ASSERT_EQ(0, npu_graph_new(&g));
		randnet_build(g, &rn, seed);
		ASSERT_EQ(0, npu_compile(g, &p)) TH_LOG("%s", npu_graph_error(g));
		ASSERT_EQ(0, npu_program_stats(p, &st));
		fill(in, sizeof(in), seed);
		out_bytes = rn.out_shape[0] * rn.out_shape[3];
		ASSERT_EQ(0, npu_executor_new(p, NPU_EXEC_NPU, dev, &npu));
		ASSERT_EQ(0, npu_executor_new(p, NPU_EXEC_REF, NULL, &ref));
		ASSERT_EQ(0, npu_executor_run(ref, ins, ob, NULL));
		ret = submit_run(dev, npu, in, a, out_bytes);
		if (st.cpu_ops) {
			EXPECT_EQ(-EOPNOTSUPP, ret) TH_LOG("seed %d", seed);
			refused++;
		} else {
			EXPECT_EQ(0, ret) TH_LOG("seed %d: %s", seed, npu_strerror(ret));
			EXPECT_EQ(0, memcmp(a, b, out_bytes)) TH_LOG("seed %d differs", seed);
			device_only++;
		}
		EXPECT_EQ(-EINVAL, npu_executor_submit(ref, NULL, 0, NULL, NULL));
		npu_executor_free(npu);
		npu_executor_free(ref);
		npu_program_free(p);
		npu_graph_free(g);
	}
	EXPECT_LT(0, device_only);
	EXPECT_LT(0, refused);
	npu_device_close(dev);
}

TEST_HARNESS_MAIN
