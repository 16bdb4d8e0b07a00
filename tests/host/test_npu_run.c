// SPDX-License-Identifier: MIT
/*
 * npu-run's tensor mode, end to end: ONNX node test cases given as .npy
 * files (written here from the test data's TensorProtos), run on ref and
 * emu, the .npy outputs compared with the expected tensors byte for byte;
 * the FP32 model on a .npy image against the float model's argmax; and
 * bad files refused with a message.
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
#include <unistd.h>

#include <cmocka.h>

#include <npu/npy.h>
#include <npu/onnx.h>

#define NODE "/usr/share/libonnx-testdata/data/node"
#define MODEL "models/fashion_mnist/fashion_mnist_cnn.onnx"

static char tmp[64];

/* Run a shell command; its exit status, and its stderr in @errout. */
static int sh(char *errout, size_t len, const char *fmt, ...)
{
	char cmd[4096], path[128];
	va_list ap;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/stderr", tmp);
	strncat(cmd, " 2>", sizeof(cmd) - strlen(cmd) - 1);
	strncat(cmd, path, sizeof(cmd) - strlen(cmd) - 1);
	st = system(cmd);
	if (errout) {
		size_t n = 0;

		f = fopen(path, "r");
		if (f) {
			n = fread(errout, 1, len - 1, f);
			fclose(f);
		}
		errout[n] = 0;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void node_case(const char *name, const char *exec)
{
	struct npu_onnx_tensor t, want, got;
	char args[2048] = "", path[512], file[512], err[512];
	size_t n;

	for (n = 0;; n++) {
		snprintf(path, sizeof(path), "%s/%s/test_data_set_0/input_%zu.pb", NODE, name, n);
		if (access(path, R_OK))
			break;
		assert_int_equal(npu_onnx_tensor_load(path, &t, err, sizeof(err)), 0);
		snprintf(file, sizeof(file), "%s/%s_in%zu.npy", tmp, name, n);
		assert_int_equal(npu_npy_save(file, &t, err, sizeof(err)), 0);
		npu_onnx_tensor_release(&t);
		strncat(args, " --input ", sizeof(args) - strlen(args) - 1);
		strncat(args, file, sizeof(args) - strlen(args) - 1);
	}
	assert_true(n > 0);
	snprintf(file, sizeof(file), "%s/%s_out.npy", tmp, name);
	assert_int_equal(sh(err, sizeof(err), NPU_RUN " --executor %s %s/%s/model.onnx%s --output %s",
			    exec, NODE, name, args, file), 0);
	snprintf(path, sizeof(path), "%s/%s/test_data_set_0/output_0.pb", NODE, name);
	assert_int_equal(npu_onnx_tensor_load(path, &want, err, sizeof(err)), 0);
	assert_int_equal(npu_npy_load(file, &got, err, sizeof(err)), 0);
	assert_int_equal(got.type, want.type);
	assert_int_equal(got.ndims, want.ndims);
	assert_memory_equal(got.dims, want.dims, sizeof(int64_t) * want.ndims);
	assert_int_equal(got.count, want.count);
	assert_memory_equal(got.data, want.data, want.count * npu_onnx_elem_size(want.type));
	npu_onnx_tensor_release(&want);
	npu_onnx_tensor_release(&got);
}

static void test_node_cases(void **state)
{
	static const char *const cases[] = {
		"test_qlinearconv", "test_qlinearmatmul_3D", "test_convinteger_with_padding",
		"test_dequantizelinear_axis", "test_quantizelinear_axis",
		"test_dynamicquantizelinear",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		node_case(cases[i], "ref");
		node_case(cases[i], "emu");
	}
}

static int argmax(const float *v, int n)
{
	int i, best = 0;

	for (i = 1; i < n; i++)
		best = v[i] > v[best] ? i : best;
	return best;
}

static void test_fp32_model(void **state)
{
	struct npu_onnx_tensor img = { .type = NPU_ONNX_FLOAT, .ndims = 4,
				       .dims = { 1, 1, 28, 28 }, .count = 784 };
	struct npu_onnx_tensor got;
	struct npu_onnx *m;
	float x[784], ref[10];
	char in[128], out[128], err[512];
	int i, agree = 0;

	(void)state;
	assert_int_equal(npu_onnx_load(MODEL, &m, err, sizeof(err)), 0);
	img.data = x;
	snprintf(in, sizeof(in), "%s/img.npy", tmp);
	snprintf(out, sizeof(out), "%s/logits.npy", tmp);
	for (i = 0; i < 5; i++) {
		int k;

		/* A smooth blob at a different place each time. */
		for (k = 0; k < 784; k++) {
			int y = k / 28 - 8 - 2 * i, xx = k % 28 - 10 - i;

			x[k] = (float)(y * y + xx * xx < 60 ? 0.9 : 0.05);
		}
		assert_int_equal(npu_npy_save(in, &img, err, sizeof(err)), 0);
		assert_int_equal(sh(err, sizeof(err), NPU_RUN " --executor ref %s --input %s --output %s",
				    MODEL, in, out), 0);
		assert_int_equal(npu_npy_load(out, &got, err, sizeof(err)), 0);
		assert_int_equal(got.type, NPU_ONNX_FLOAT);
		assert_int_equal(got.count, 10);
		assert_int_equal(npu_onnx_run_float(m, x, 1, ref, err, sizeof(err)), 0);
		agree += argmax(got.data, 10) == argmax(ref, 10);
		npu_onnx_tensor_release(&got);
	}
	/* Calibrated on the image itself, the INT8 model agrees with FP32. */
	assert_true(agree >= 4);
	npu_onnx_free(m);
}

static void test_bad_input_files(void **state)
{
	char err[512], path[128];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.npy", tmp);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("\x93NUMPY\x01\x00garbage", f);
	fclose(f);
	assert_int_equal(sh(err, sizeof(err), NPU_RUN " --executor ref %s --input %s",
			    MODEL, path), 1);
	assert_non_null(strstr(err, "bad.npy"));

	/* The right format, the wrong size: named with both sizes. */
	assert_int_equal(sh(err, sizeof(err),
			    NPU_RUN " --executor ref %s/test_qlinearmatmul_2D/model.onnx --input %s/test_qlinearconv_in0.npy",
			    NODE, tmp), 1);
	assert_true(strlen(err) > 10);
	print_message("%s", err);

	assert_int_equal(sh(err, sizeof(err), NPU_RUN " --executor ref %s --input /nonexistent.npy",
			    MODEL), 1);
	assert_non_null(strstr(err, "/nonexistent.npy"));
}

/* @n pseudo-random images [n, 1, 28, 28] in [0, 1) into @path. */
static void random_images(const char *path, int n, unsigned int seed)
{
	struct npu_onnx_tensor t = { .type = NPU_ONNX_FLOAT, .ndims = 4,
				     .dims = { n, 1, 28, 28 }, .count = (size_t)n * 784 };
	float *x = malloc(sizeof(float) * t.count);
	char err[256];
	size_t i;

	assert_non_null(x);
	for (i = 0; i < t.count; i++) {
		seed = seed * 1103515245u + 12345u;
		x[i] = (float)((seed >> 8) & 0xffff) / 65536.0f;
	}
	t.data = x;
	assert_int_equal(npu_npy_save(path, &t, err, sizeof(err)), 0);
	free(x);
}

/*
 * The workflow: calibrate on a data set and save the program; run it on a
 * batch of samples (the program's batch is 1: 12 runs); the same bytes as
 * compiling and running in one go; labels scored; --repeat timed.
 */
static void test_compile_save_run(void **state)
{
	char calib[128], x[128], prog[128], y1[128], y2[128], lab[128], cmd[1024], err[512];
	struct npu_onnx_tensor a, b;
	struct npu_onnx_tensor l = { .type = NPU_ONNX_INT64, .ndims = 1, .dims = { 12 },
				     .count = 12 };
	int64_t labels[12];
	FILE *f;
	int i;

	(void)state;
	snprintf(calib, sizeof(calib), "%s/calib.npy", tmp);
	snprintf(x, sizeof(x), "%s/x.npy", tmp);
	snprintf(prog, sizeof(prog), "%s/model.qnpu", tmp);
	snprintf(y1, sizeof(y1), "%s/y1.npy", tmp);
	snprintf(y2, sizeof(y2), "%s/y2.npy", tmp);
	snprintf(lab, sizeof(lab), "%s/labels.npy", tmp);
	random_images(calib, 40, 1);
	random_images(x, 12, 2);
	assert_int_equal(sh(err, sizeof(err), NPU_RUN " --executor emu %s --calib-data %s "
			    "--calib-count 30 --save %s", MODEL, calib, prog), 0);
	assert_int_equal(sh(err, sizeof(err), NPU_RUN " --executor emu --program %s --input %s "
			    "--output %s", prog, x, y1), 0);
	assert_int_equal(sh(err, sizeof(err), NPU_RUN " --executor ref %s --calib-data %s "
			    "--calib-count 30 --input %s --output %s", MODEL, calib, x, y2), 0);
	assert_int_equal(npu_npy_load(y1, &a, err, sizeof(err)), 0);
	assert_int_equal(npu_npy_load(y2, &b, err, sizeof(err)), 0);
	assert_int_equal(a.ndims, 2);
	assert_int_equal(a.dims[0], 12);
	assert_int_equal(a.count, 120);
	assert_int_equal(b.count, 120);
	assert_memory_equal(a.data, b.data, sizeof(float) * 120);
	for (i = 0; i < 12; i++)
		labels[i] = argmax((const float *)a.data + 10 * i, 10);
	labels[0] = (labels[0] + 1) % 10;	/* one wrong: top-1 11/12 */
	l.data = labels;
	assert_int_equal(npu_npy_save(lab, &l, err, sizeof(err)), 0);
	snprintf(cmd, sizeof(cmd), NPU_RUN " --executor emu --program %s --input %s --labels %s "
		 "--repeat 2 2>&1", prog, x, lab);
	f = popen(cmd, "r");
	assert_non_null(f);
	i = (int)fread(err, 1, sizeof(err) - 1, f);
	err[i > 0 ? i : 0] = 0;
	assert_int_equal(pclose(f), 0);
	print_message("%s", err);
	assert_non_null(strstr(err, "12 samples on emu: top-1 0.9167"));
	assert_non_null(strstr(err, "2 runs of 12 batches of 1 on emu"));
	assert_non_null(strstr(err, "modelled device time per batch"));
	npu_onnx_tensor_release(&a);
	npu_onnx_tensor_release(&b);
}

/* Every option given where it does not apply is an error that names it. */
static void test_options_that_do_not_apply(void **state)
{
	static const struct {
		const char *args, *says;
		int status;
	} cases[] = {
		{ "--program P --calib-data X --input X", "does not apply to a compiled program", 2 },
		{ "--program P --calib fixed --input X", "--calib is minmax", 2 },
		{ "--program P --granularity per-tensor --input X", "does not apply to a compiled program", 2 },
		{ "--program P --save Q --input X", "--save does not apply", 2 },
		{ "M --input X --images 10", "--images does not apply to .npy tensors", 2 },
		{ "M --input X --json J", "--json does not apply", 2 },
		{ "M --input X --fp32", "--fp32 does not apply", 2 },
		{ "M --calib-count 3 --input X", "--calib-count does not apply without --calib-data", 2 },
		{ "M --labels X", "does not apply without --input", 2 },
		{ "M --repeat 2", "does not apply without --input", 2 },
		{ "M --calib-data X", "a model takes --input, or --calib-data and --save", 2 },
		{ "M --program P --input X", "a model or --program FILE, one of them", 2 },
		{ "M --input X --repeat 0", "--repeat takes a positive count", 2 },
		{ "M --input X --calib-count -1 --calib-data X", "--calib-count takes a positive count", 2 },
		{ "Q --input X --calib-data X", "do not apply to a model quantized already", 1 },
		{ "Q --input X --calib mse", "do not apply to a model quantized already", 1 },
		{ "--program M --input X", "not a program", 1 },
		{ "--program P --rounding single --input X", "--rounding does not apply to a compiled", 2 },
		{ "--program P --weight-bits 7 --input X", "--weight-bits does not apply to a compiled", 2 },
		{ "--program P --export-onnx X --input X", "--export-onnx does not apply to a compiled", 2 },
		{ "--program P --calib-images 10", "--calib-images does not apply to a compiled", 2 },
		{ "--program P --calib mse", "--calib does not apply to a compiled", 2 },
		{ "M --input X --rounding nearest", "--rounding is double or single", 2 },
		{ "M --input X --weight-bits 4", "--weight-bits is 8 or 7", 2 },
		{ "--executor ref M --input X --threads 2", "--threads does not apply to the npu", 2 },
		{ "--executor emu M --input X --threads 65", "--threads takes a count from 1 to 64", 2 },
		{ "Q --input X --rounding single", "do not apply to a model quantized already", 1 },
		{ "Q --input X --export-onnx X", "QDQ export, rounding and weight bits are for FP32", 1 },
	};
	char x[128], err[512], args[512], *p;
	const char *s;
	size_t i;

	(void)state;
	snprintf(x, sizeof(x), "%s/x.npy", tmp);
	random_images(x, 1, 3);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* M: the FP32 model, Q: a quantized one, P: a program, X: an input file */
		for (s = cases[i].args, p = args; *s && p < args + sizeof(args) - 200; s++) {
			if (*s == 'M' && (s[1] == ' ' || !s[1]))
				p += sprintf(p, "%s", MODEL);
			else if (*s == 'Q' && s[1] == ' ')
				p += sprintf(p, "%s/test_qlinearmatmul_2D/model.onnx", NODE);
			else if (*s == 'P' && s[1] == ' ')
				p += sprintf(p, "%s/model.qnpu", tmp);
			else if (*s == 'X' && (s[1] == ' ' || !s[1]))
				p += sprintf(p, "%s", x);
			else
				*p++ = *s;
		}
		*p = 0;
		assert_int_equal(sh(err, sizeof(err), NPU_RUN " --executor ref %s", args),
				 cases[i].status);
		if (!strstr(err, cases[i].says))
			fail_msg("'%s': '%s' does not say '%s'", args, err, cases[i].says);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_cases),
		cmocka_unit_test(test_fp32_model),
		cmocka_unit_test(test_bad_input_files),
		cmocka_unit_test(test_compile_save_run),
		cmocka_unit_test(test_options_that_do_not_apply),
	};
	int ret;

	snprintf(tmp, sizeof(tmp), "/tmp/test_npu_run.XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	setenv("NPU_EMU_PLUGIN", EMU_PLUGIN_PATH, 0);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	sh(NULL, 0, "rm -rf %s", tmp);
	return ret;
}
