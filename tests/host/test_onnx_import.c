// SPDX-License-Identifier: MIT
/*
 * Post-training quantization of the project's FP32 Fashion-MNIST model:
 * import with calibration, compile, run on emu and ref (same bytes), and
 * check INT8 top-1 against the float model on test images.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <npu/graph.h>
#include <npu/onnx.h>

#define DATA "/usr/share/datasets/fashion-mnist"
#define MODEL "models/fashion_mnist/fashion_mnist_cnn.onnx"
#define PIX (28 * 28)

/* A gunzipped IDX file: the bytes after its header. */
static uint8_t *idx(const char *file, size_t header, size_t want)
{
	char cmd[256];
	uint8_t *buf = malloc(header + want);
	FILE *p;

	snprintf(cmd, sizeof(cmd), "gzip -dc %s/%s", DATA, file);
	p = popen(cmd, "r");
	if (!p || !buf || fread(buf, 1, header + want, p) != header + want)
		fail_msg("cannot read %s", file);
	pclose(p);
	memmove(buf, buf + header, want);
	return buf;
}

static int argmax(const float *v, int n)
{
	int i, best = 0;

	for (i = 1; i < n; i++)
		best = v[i] > v[best] ? i : best;
	return best;
}

static void test_ptq_fashion_mnist(void **state)
{
	const size_t calib = 100, test = 500, check_ref = 40;
	uint8_t *train = idx("train-images-idx3-ubyte.gz", 16, calib * PIX);
	uint8_t *images = idx("t10k-images-idx3-ubyte.gz", 16, test * PIX);
	uint8_t *labels = idx("t10k-labels-idx1-ubyte.gz", 8, test);
	float *cal = malloc(sizeof(float) * calib * PIX);
	float *x = malloc(sizeof(float) * test * PIX);
	float *fout = malloc(sizeof(float) * test * 10);
	struct npu_onnx_import_opts o = { .method = NPU_CALIB_MINMAX,
					  .calib_data = cal, .calib_count = calib };
	struct npu_program_stats st;
	struct npu_executor *emu, *ref;
	struct npu_program *p;
	struct npu_graph *g;
	struct npu_onnx *m;
	size_t i, fp_ok = 0, q_ok = 0, agree = 0;
	char err[512];

	for (i = 0; i < calib * PIX; i++)
		cal[i] = train[i] / 255.0f;
	for (i = 0; i < test * PIX; i++)
		x[i] = images[i] / 255.0f;
	if (npu_onnx_load(MODEL, &m, err, sizeof(err)))
		fail_msg("%s", err);
	if (npu_onnx_run_float(m, x, test, fout, err, sizeof(err)))
		fail_msg("%s", err);
	if (npu_onnx_import(m, &o, &g, err, sizeof(err)))
		fail_msg("%s", err);
	if (npu_compile(g, &p))
		fail_msg("%s", npu_graph_error(g));
	assert_int_equal(npu_program_stats(p, &st), 0);
	assert_true(st.device_ops >= 8);	/* conv x5, pools, add, gap, fc */
	assert_int_equal(st.cpu_ops, 2);	/* quantize in, dequantize out */

	setenv("NPU_EMU_PLUGIN", EMU_PLUGIN_PATH, 1);
	assert_int_equal(npu_executor_new(p, NPU_EXEC_EMU, NULL, &emu), 0);
	assert_int_equal(npu_executor_new(p, NPU_EXEC_REF, NULL, &ref), 0);
	for (i = 0; i < test; i++) {
		const void *in[1] = { x + i * PIX };
		float a[10], b[10];
		void *oa[1] = { a }, *ob[1] = { b };

		assert_int_equal(npu_executor_run(emu, in, oa, NULL), 0);
		if (i < check_ref) {
			assert_int_equal(npu_executor_run(ref, in, ob, NULL), 0);
			assert_memory_equal(a, b, sizeof(a));
		}
		q_ok += argmax(a, 10) == labels[i];
		fp_ok += argmax(fout + i * 10, 10) == labels[i];
		agree += argmax(a, 10) == argmax(fout + i * 10, 10);
	}
	print_message("FP32 %zu/%zu, INT8 %zu/%zu, same class %zu\n", fp_ok, test,
		      q_ok, test, agree);
	/* The float model is the committed one (model.json: 0.9133). */
	assert_true(fp_ok >= test * 88 / 100);
	/* INT8 within 1.5 points of FP32 on these images. */
	assert_true(q_ok * 1000 >= fp_ok * 1000 - test * 15);
	assert_true(agree >= test * 97 / 100);

	npu_executor_free(emu);
	npu_executor_free(ref);
	npu_program_free(p);
	npu_graph_free(g);
	npu_onnx_free(m);
	free(train);
	free(images);
	free(labels);
	free(cal);
	free(x);
	free(fout);
}

static void test_unsupported_op_is_named(void **state)
{
	char path[] = "/usr/share/libonnx-testdata/data/node/test_lrn/model.onnx";
	struct npu_onnx_import_opts o = { .method = NPU_CALIB_MINMAX };
	float cal[5 * 5 * 5 * 5] = { 0 };
	struct npu_graph *g;
	struct npu_onnx *m;
	char err[512];

	o.calib_data = cal;
	o.calib_count = 1;
	if (npu_onnx_load(path, &m, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(npu_onnx_import(m, &o, &g, err, sizeof(err)), -EOPNOTSUPP);
	assert_non_null(strstr(err, "LRN"));
	npu_onnx_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ptq_fashion_mnist),
		cmocka_unit_test(test_unsupported_op_is_named),
	};

	return cmocka_run_group_tests_name("onnx import", tests, NULL, NULL);
}
