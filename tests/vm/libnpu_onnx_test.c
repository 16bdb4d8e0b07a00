// SPDX-License-Identifier: MIT
/*
 * ONNX's quantized-op node tests through libnpu's importer on the NPU,
 * through the driver: every output byte must equal the expected one
 * (the host test runs the same cases on ref and emu).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"

#include "../lib/onnx_case.h"

TEST(quantized_node_cases_on_the_npu)
{
	struct npu_device *dev;
	size_t i, cases = sizeof(onnx_quantized_cases) / sizeof(onnx_quantized_cases[0]);
	int failed = 0;

	ASSERT_EQ(0, npu_device_open(0, &dev));
	for (i = 0; i < cases; i++) {
		struct onnx_case_result r;
		int ret = onnx_case_run(onnx_quantized_cases[i], NPU_EXEC_NPU, dev, &r);

		TH_LOG("%s: %d, %zu/%zu elements differ %s", onnx_quantized_cases[i], ret,
		       r.differ, r.elements, r.msg);
		failed += ret || r.differ || !r.elements;
	}
	npu_device_close(dev);
	EXPECT_EQ(0, failed);
}

TEST_HARNESS_MAIN
