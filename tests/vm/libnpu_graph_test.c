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

TEST_HARNESS_MAIN
