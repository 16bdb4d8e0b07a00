// SPDX-License-Identifier: MIT
/*
 * The ONNX reader against ONNX's own node test data (Debian's
 * libonnx-testdata), the project's model, and broken files.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <npu/onnx.h>

#define NODE_DATA "/usr/share/libonnx-testdata/data/node"

/* The quantized cases the importer must run (issue 6). */
static const struct {
	const char *dir, *op;
	int in_type;
} quantized[] = {
	{ "test_qlinearconv", "QLinearConv", NPU_ONNX_UINT8 },
	{ "test_qlinearmatmul_2D", "QLinearMatMul", NPU_ONNX_UINT8 },
	{ "test_qlinearmatmul_3D", "QLinearMatMul", NPU_ONNX_UINT8 },
	{ "test_quantizelinear", "QuantizeLinear", NPU_ONNX_FLOAT },
	{ "test_quantizelinear_axis", "QuantizeLinear", NPU_ONNX_FLOAT },
	{ "test_dequantizelinear", "DequantizeLinear", NPU_ONNX_UINT8 },
	{ "test_dequantizelinear_axis", "DequantizeLinear", NPU_ONNX_UINT8 },
	{ "test_basic_convinteger", "ConvInteger", NPU_ONNX_UINT8 },
	{ "test_convinteger_with_padding", "ConvInteger", NPU_ONNX_UINT8 },
	{ "test_convinteger_without_padding", "ConvInteger", NPU_ONNX_UINT8 },
	{ "test_matmulinteger", "MatMulInteger", NPU_ONNX_UINT8 },
	{ "test_dynamicquantizelinear", "DynamicQuantizeLinear", NPU_ONNX_FLOAT },
};

static void test_quantized_node_cases(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(quantized) / sizeof(quantized[0]); i++) {
		char path[512], err[512];
		struct npu_onnx_tensor in, out;
		struct npu_onnx_info info;
		struct npu_onnx *m;
		const char *name;

		snprintf(path, sizeof(path), NODE_DATA "/%s/model.onnx",
			 quantized[i].dir);
		if (npu_onnx_load(path, &m, err, sizeof(err)))
			fail_msg("%s", err);
		assert_int_equal(npu_onnx_info(m, &info), 0);
		assert_int_equal(info.nodes, 1);
		assert_true(info.opset >= 10);
		assert_string_equal(npu_onnx_node_op(m, 0, &name), quantized[i].op);
		assert_null(npu_onnx_node_op(m, 1, &name));
		npu_onnx_free(m);

		snprintf(path, sizeof(path), NODE_DATA "/%s/test_data_set_0/input_0.pb",
			 quantized[i].dir);
		if (npu_onnx_tensor_load(path, &in, err, sizeof(err)))
			fail_msg("%s", err);
		assert_int_equal(in.type, quantized[i].in_type);
		assert_true(in.count > 0);
		snprintf(path, sizeof(path), NODE_DATA "/%s/test_data_set_0/output_0.pb",
			 quantized[i].dir);
		if (npu_onnx_tensor_load(path, &out, err, sizeof(err)))
			fail_msg("%s", err);
		assert_true(out.count > 0);
		npu_onnx_tensor_release(&in);
		npu_onnx_tensor_release(&out);
	}
}

/* Every node test model: read, or refused with a reason, never a crash. */
static void test_all_node_models(void **state)
{
	DIR *d = opendir(NODE_DATA);
	struct dirent *de;
	int ok = 0, unsupported = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[600], err[512];
		struct npu_onnx *m;
		int ret;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), NODE_DATA "/%s/model.onnx", de->d_name);
		err[0] = 0;
		ret = npu_onnx_load(path, &m, err, sizeof(err));
		if (!ret) {
			ok++;
			npu_onnx_free(m);
		} else {
			assert_int_equal(ret, -EOPNOTSUPP);
			assert_non_null(strstr(err, de->d_name));
			unsupported++;
		}
	}
	closedir(d);
	assert_true(ok > 500);
	assert_true(unsupported < ok / 4);
}

static void test_project_model(void **state)
{
	const char *want[] = { "Conv", "Relu", "Clip", "MaxPool", "Add",
			       "GlobalAveragePool", "Gemm" };
	char err[512];
	struct npu_onnx_info info;
	struct npu_onnx *m;
	size_t i, k;

	if (npu_onnx_load("models/fashion_mnist/fashion_mnist_cnn.onnx", &m, err,
			  sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(npu_onnx_info(m, &info), 0);
	assert_int_equal(info.inputs, 1);
	assert_int_equal(info.outputs, 1);
	assert_true(info.initializers >= 12);
	for (k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		int found = 0;

		for (i = 0; i < info.nodes; i++)
			found += !strcmp(npu_onnx_node_op(m, i, NULL), want[k]);
		if (!found)
			fail_msg("no %s node in the model", want[k]);
	}
	npu_onnx_free(m);
}

/* NCHW samples to NHWC images, repeated past N; other shapes refused. */
static void test_graph_samples(void **state)
{
	float x[2 * 3 * 1 * 2], *g = NULL;
	struct npu_onnx_tensor t = { .type = NPU_ONNX_FLOAT, .ndims = 4, .dims = { 2, 3, 1, 2 },
				     .count = 12, .data = x };
	size_t i, k, c, w;

	(void)state;
	for (i = 0; i < 12; i++)
		x[i] = (float)i;
	assert_int_equal(npu_onnx_graph_samples(&t, 3, &g), 0);
	for (k = 0; k < 3; k++)
		for (w = 0; w < 2; w++)
			for (c = 0; c < 3; c++)
				assert_true(g[k * 6 + w * 3 + c] == x[(k % 2) * 6 + c * 2 + w]);
	free(g);
	t.ndims = 3;
	assert_int_equal(npu_onnx_graph_samples(&t, 1, &g), -EINVAL);
	t.ndims = 4;
	t.type = NPU_ONNX_INT8;
	assert_int_equal(npu_onnx_graph_samples(&t, 1, &g), -EINVAL);
}

static void test_broken_files(void **state)
{
	char path[] = "/tmp/qnpu-onnx-XXXXXX", err[512];
	struct npu_onnx_tensor t;
	struct npu_onnx *m = NULL;
	uint8_t buf[4096];
	FILE *in, *out;
	size_t n;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	/* The first 3000 bytes of a real model: truncated. */
	in = fopen("models/fashion_mnist/fashion_mnist_cnn.onnx", "rb");
	assert_non_null(in);
	n = fread(buf, 1, 3000, in);
	fclose(in);
	out = fopen(path, "wb");
	fwrite(buf, 1, n, out);
	fclose(out);
	assert_int_equal(npu_onnx_load(path, &m, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "truncated"));
	assert_null(m);
	/* Not protobuf at all. */
	out = fopen(path, "wb");
	fputs("this is not an onnx model, this is a text file\n", out);
	fclose(out);
	assert_int_equal(npu_onnx_load(path, &m, err, sizeof(err)), -EPROTO);
	assert_int_equal(npu_onnx_tensor_load(path, &t, err, sizeof(err)), -EPROTO);
	/* Empty: a valid empty message, but no graph. */
	out = fopen(path, "wb");
	fclose(out);
	assert_int_equal(npu_onnx_load(path, &m, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "no graph"));
	unlink(path);
	assert_int_equal(npu_onnx_load("/nonexistent.onnx", &m, err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(npu_onnx_load("/tmp", &m, err, sizeof(err)), -EPROTO);
	assert_int_equal(npu_onnx_load(NULL, &m, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantized_node_cases),
		cmocka_unit_test(test_all_node_models),
		cmocka_unit_test(test_project_model),
		cmocka_unit_test(test_broken_files),
		cmocka_unit_test(test_graph_samples),
	};

	return cmocka_run_group_tests_name("onnx reader", tests, NULL, NULL);
}
