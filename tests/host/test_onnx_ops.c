// SPDX-License-Identifier: MIT
/*
 * FP32 ONNX models with ops on both sides of the device boundary: Conv,
 * Mul, Concat, pools and Gemm on the device; Sigmoid, LeakyRelu and
 * HardSwish too, as table lookups (QNPU_OP_LUT). The float runner must match numpy's
 * answer (tests/models/make_test_models.py); the INT8 program must give
 * the same bytes on ref and emu and stay close to float.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <npu/graph.h>
#include <npu/npy.h>
#include <npu/onnx.h>

#define DIR TEST_MODELS

static void test_fp32_ops_model(void **state)
{
	struct npu_onnx_tensor x, want;
	struct npu_onnx_signature sig;
	struct npu_onnx_import_opts o = { .method = NPU_CALIB_MINMAX, .sig = &sig };
	struct npu_program_stats st;
	struct npu_executor *emu, *ref;
	struct npu_program *p;
	struct npu_graph *g;
	struct npu_onnx *m;
	float *cal, *xg, fout[5], yemu[5], yref[5];
	double sig2 = 0, noise = 0;
	char err[512];
	size_t i, k;

	(void)state;
	assert_int_equal(npu_onnx_load(DIR "/fp32_ops.onnx", &m, err, sizeof(err)), 0);
	assert_int_equal(npu_npy_load(DIR "/fp32_ops_input.npy", &x, err, sizeof(err)), 0);
	assert_int_equal(npu_npy_load(DIR "/fp32_ops_output.npy", &want, err, sizeof(err)), 0);
	assert_int_equal(x.count, 3 * 12 * 12);
	assert_int_equal(want.count, 5);

	/* The graph holds NHWC: calibrate on the input and 15 random images. */
	cal = malloc(sizeof(float) * 16 * x.count);
	xg = cal;
	assert_non_null(cal);
	{
		struct npu_onnx_io io = { .type = NPU_ONNX_FLOAT, .ndims = 4,
					  .dims = { 1, 3, 12, 12 }, .count = x.count, .nchw = 1 };

		npu_onnx_to_graph(&io, x.data, cal);
	}
	for (k = x.count; k < 16 * x.count; k++)
		cal[k] = (float)((k * 2654435761u) % 1000) / 1000.0f;
	o.calib_data = cal;
	o.calib_count = 16;

	/* The float runner against numpy. */
	assert_int_equal(npu_onnx_run_float(m, xg, 1, fout, err, sizeof(err)), 0);
	for (i = 0; i < 5; i++)
		assert_true(fabsf(fout[i] - ((float *)want.data)[i]) < 1e-4f);

	assert_int_equal(npu_onnx_import(m, &o, &g, err, sizeof(err)), 0);
	assert_int_equal(npu_compile(g, &p), 0);
	assert_int_equal(npu_program_stats(p, &st), 0);
	print_message("device ops %u, CPU ops %u\n", st.device_ops, st.cpu_ops);
	assert_int_equal(st.cpu_ops, 2);	/* quantize, dequantize */
	assert_true(st.device_ops >= 9);	/* 3 conv, mul, gap, fc, 3 LUTs (+ concat) */
	assert_int_equal(npu_executor_new(p, NPU_EXEC_EMU, NULL, &emu), 0);
	assert_int_equal(npu_executor_new(p, NPU_EXEC_REF, NULL, &ref), 0);
	{
		const void *in[1] = { xg };
		void *oe[1] = { yemu }, *orf[1] = { yref };

		assert_int_equal(npu_executor_run(emu, in, oe, NULL), 0);
		assert_int_equal(npu_executor_run(ref, in, orf, NULL), 0);
	}
	assert_memory_equal(yemu, yref, sizeof(yemu));
	for (i = 0; i < 5; i++) {
		double w = ((float *)want.data)[i];

		sig2 += w * w;
		noise += (yemu[i] - w) * (yemu[i] - w);
	}
	print_message("INT8 vs numpy float: SQNR %.1f dB\n", 10 * log10(sig2 / noise));
	assert_true(10 * log10(sig2 / noise) > 25);

	npu_executor_free(emu);
	npu_executor_free(ref);
	npu_program_free(p);
	npu_graph_free(g);
	npu_onnx_free(m);
	npu_onnx_tensor_release(&x);
	npu_onnx_tensor_release(&want);
	free(cal);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fp32_ops_model),
	};

	setenv("NPU_EMU_PLUGIN", EMU_PLUGIN_PATH, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
