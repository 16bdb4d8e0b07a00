// SPDX-License-Identifier: MIT
/*
 * ONNX's own quantized-op node tests (Debian's libonnx-testdata) through
 * libnpu's importer on the ref and emu executors: every output byte must
 * equal the expected one. The expanded forms, which compute quantization
 * parameters with float graph ops, must be refused with a clear error.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../lib/onnx_case.h"

static void run_all(enum npu_executor_kind kind)
{
	size_t i;

	for (i = 0; i < sizeof(onnx_quantized_cases) / sizeof(onnx_quantized_cases[0]); i++) {
		struct onnx_case_result r;
		int ret = onnx_case_run(onnx_quantized_cases[i], kind, NULL, &r);

		print_message("%s: %d, %zu/%zu elements differ %s\n", onnx_quantized_cases[i],
			      ret, r.differ, r.elements, r.msg);
		assert_int_equal(ret, 0);
		assert_true(r.elements > 0);
		assert_int_equal(r.differ, 0);
	}
}

static void test_ref(void **state)
{
	(void)state;
	run_all(NPU_EXEC_REF);
}

static void test_emu(void **state)
{
	(void)state;
	run_all(NPU_EXEC_EMU);
}

static void test_expanded_refused(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(onnx_refused_cases) / sizeof(onnx_refused_cases[0]); i++) {
		struct onnx_case_result r;
		int ret = onnx_case_run(onnx_refused_cases[i], NPU_EXEC_REF, NULL, &r);

		print_message("%s: %d %s\n", onnx_refused_cases[i], ret, r.msg);
		assert_int_equal(ret, -EOPNOTSUPP);
		/* The message names the node and its op. */
		assert_non_null(strstr(r.msg, "node "));
		assert_non_null(strstr(r.msg, "ReduceMin"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref),
		cmocka_unit_test(test_emu),
		cmocka_unit_test(test_expanded_refused),
	};

	setenv("NPU_EMU_PLUGIN", EMU_PLUGIN_PATH, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
