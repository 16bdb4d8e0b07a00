// SPDX-License-Identifier: MIT
/*
 * libnpu's executors on the host, through the public API only: the "emu"
 * executor (the emulator core loaded as a plugin) and the "ref" executor
 * must give the same bytes for the same program; a missing plugin is a
 * clean error.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

static void test_emu_equals_ref(void **state)
{
	int seed;

	setenv("NPU_EMU_PLUGIN", EMU_PLUGIN_PATH, 1);
	for (seed = 1000; seed < 1300; seed++) {
		struct npu_executor *emu, *ref;
		struct npu_program *p;
		struct npu_graph *g;
		struct randnet rn;
		uint8_t in[4096], a[64], b[64];
		const void *ins[1] = { in };
		void *oa[1] = { a }, *ob[1] = { b };
		struct npu_job_result res;

		assert_int_equal(npu_graph_new(&g), 0);
		randnet_build(g, &rn, seed);
		assert_int_equal(npu_compile(g, &p), 0);
		fill(in, sizeof(in), seed);
		assert_int_equal(npu_executor_new(p, NPU_EXEC_EMU, NULL, &emu), 0);
		assert_int_equal(npu_executor_new(p, NPU_EXEC_REF, NULL, &ref), 0);
		if (npu_executor_run(emu, ins, oa, &res))
			fail_msg("seed %d: emu status %u", seed, res.status);
		assert_int_equal(npu_executor_run(ref, ins, ob, NULL), 0);
		assert_memory_equal(a, b, rn.out_shape[0] * rn.out_shape[3]);
		npu_executor_free(emu);
		npu_executor_free(ref);
		npu_program_free(p);
		npu_graph_free(g);
	}
}

static void test_missing_plugin(void **state)
{
	struct npu_executor *e;
	struct npu_program *p;
	struct npu_graph *g;
	struct randnet rn;

	setenv("NPU_EMU_PLUGIN", "/nonexistent/libnpu-emu.so.0", 1);
	assert_int_equal(npu_graph_new(&g), 0);
	randnet_build(g, &rn, 1);
	assert_int_equal(npu_compile(g, &p), 0);
	assert_int_equal(npu_executor_new(p, NPU_EXEC_EMU, NULL, &e), -ENOENT);
	assert_int_equal(npu_executor_new(p, NPU_EXEC_NPU, NULL, &e), -EINVAL);
	assert_int_equal(npu_executor_new(p, 7, NULL, &e), -EINVAL);
	npu_program_free(p);
	npu_graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emu_equals_ref),
		cmocka_unit_test(test_missing_plugin),
	};

	return cmocka_run_group_tests_name("executors", tests, NULL, NULL);
}
