// SPDX-License-Identifier: MIT
/*
 * Every attribute of an accepted ONNX op is honoured or refused by name
 * (tests/models/make_test_models.py writes the models): auto_pad, Gemm's
 * alpha and beta, Clip's bounds as attributes, MaxPool's auto_pad are
 * honoured, checked against numpy's answers (which ONNX Runtime agrees
 * with); dilated pooling, unknown attributes, attributes of the wrong
 * type, a Softmax, Flatten or Reshape the NHWC graph cannot express, a
 * per-channel weight axis other than the output channels and a quantized
 * Gemm's alpha are refused, naming the node and the reason; a Relu after a
 * QDQ MatMul of two activations is applied, a fused Clip's bound on a
 * rounding tie is quantized half to even, as ONNX says, and an FP32 model of
 * batch 4 runs four images.
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

#define DIR TEST_MODELS "/attrs/"
#define MAX_IO 4

/* A model imported, compiled and loaded on emu and ref. */
struct loaded {
	struct npu_onnx *m;
	struct npu_onnx_signature sig;
	struct npu_graph *g;
	struct npu_program *p;
	struct npu_executor *emu, *ref;
	char err[512];
};

/* Import @name; an FP32 model is calibrated on @images images @calib (graph layout). */
static int import(struct loaded *l, const char *name, const float *calib, size_t images)
{
	struct npu_onnx_import_opts o = { .method = NPU_CALIB_MINMAX, .sig = &l->sig };
	char path[256];
	int ret;

	memset(l, 0, sizeof(*l));
	snprintf(path, sizeof(path), DIR "%s.onnx", name);
	ret = npu_onnx_load(path, &l->m, l->err, sizeof(l->err));
	if (ret)
		return ret;
	if (!npu_onnx_is_quantized(l->m)) {
		o.calib_data = calib;
		o.calib_count = images;
	}
	ret = npu_onnx_import(l->m, &o, &l->g, l->err, sizeof(l->err));
	if (!ret && npu_compile(l->g, &l->p)) {
		snprintf(l->err, sizeof(l->err), "%s", npu_graph_error(l->g));
		ret = -EINVAL;
	}
	return ret;
}

static void unload(struct loaded *l)
{
	npu_executor_free(l->emu);
	npu_executor_free(l->ref);
	npu_program_free(l->p);
	npu_graph_free(l->g);
	npu_onnx_free(l->m);
}

/*
 * Run model-layout inputs @x on emu and ref, which must agree byte for
 * byte; output 0 in the model's layout into @y (floats).
 */
static void run_both(struct loaded *l, const float *const *x, float *y)
{
	void *gin[MAX_IO], *oe[MAX_IO], *orf[MAX_IO];
	size_t i, n = l->sig.outputs[0].count;

	assert_true(l->sig.ninputs <= MAX_IO && l->sig.noutputs <= MAX_IO);
	assert_int_equal(npu_executor_new(l->p, NPU_EXEC_EMU, NULL, &l->emu), 0);
	assert_int_equal(npu_executor_new(l->p, NPU_EXEC_REF, NULL, &l->ref), 0);
	for (i = 0; i < l->sig.ninputs; i++) {
		gin[i] = malloc(sizeof(float) * l->sig.inputs[i].count);
		assert_non_null(gin[i]);
		npu_onnx_to_graph(&l->sig.inputs[i], x[i], gin[i]);
	}
	for (i = 0; i < l->sig.noutputs; i++) {
		oe[i] = calloc(l->sig.outputs[i].count, 4);
		orf[i] = calloc(l->sig.outputs[i].count, 4);
		assert_true(oe[i] && orf[i]);
	}
	assert_int_equal(npu_executor_run(l->emu, (const void *const *)gin, oe, NULL), 0);
	assert_int_equal(npu_executor_run(l->ref, (const void *const *)gin, orf, NULL), 0);
	assert_int_equal(l->sig.outputs[0].type, NPU_ONNX_FLOAT);
	assert_memory_equal(oe[0], orf[0], sizeof(float) * n);
	npu_onnx_from_graph(&l->sig.outputs[0], oe[0], y);
	for (i = 0; i < l->sig.ninputs; i++)
		free(gin[i]);
	for (i = 0; i < l->sig.noutputs; i++) {
		free(oe[i]);
		free(orf[i]);
	}
}

static const char *const honoured[] = {
	"h_conv_same_upper", "h_conv_same_lower", "h_conv_valid", "h_conv_batch4",
	"h_gemm_alpha_beta", "h_clip_attrs", "h_maxpool_same_upper", "h_maxpool_ceil",
	"h_broadcast_se", "h_concat5", "h_flatten_by_shape", "h_reducemean",
	"h_channel_shuffle", "h_split_batchnorm", "h_resize_nearest", "h_pad",
	"h_image_to_sequence", "h_attention", "h_layernorm_spelled", "h_concat_hw",
	"h_concat_tokens", "h_gelu_tanh", "h_slice_hw", "h_slice_tokens",
};

/* FP32 models whose attributes change the answer: INT8 against numpy, in the model's layout. */
static void test_honoured(void **state)
{
	size_t c, i;

	(void)state;
	for (c = 0; c < sizeof(honoured) / sizeof(honoured[0]); c++) {
		struct npu_onnx_tensor x, want;
		struct npu_onnx_io io = { .type = NPU_ONNX_FLOAT, .ndims = 4, .nchw = 1 };
		char path[256];
		double sig2 = 0, noise = 0;
		struct loaded l;
		float *xg, *y;

		snprintf(path, sizeof(path), DIR "%s_input.npy", honoured[c]);
		assert_int_equal(npu_npy_load(path, &x, l.err, sizeof(l.err)), 0);
		snprintf(path, sizeof(path), DIR "%s_output.npy", honoured[c]);
		assert_int_equal(npu_npy_load(path, &want, l.err, sizeof(l.err)), 0);
		memcpy(io.dims, x.dims, sizeof(io.dims));
		io.count = x.count;
		xg = malloc(sizeof(float) * x.count);
		assert_non_null(xg);
		npu_onnx_to_graph(&io, x.data, xg);
		if (import(&l, honoured[c], xg, x.dims[0]))
			fail_msg("%s: %s", honoured[c], l.err);
		assert_int_equal(l.sig.outputs[0].count, want.count);
		y = malloc(sizeof(float) * want.count);
		assert_non_null(y);
		run_both(&l, (const float *const[]){ x.data }, y);
		for (i = 0; i < want.count; i++) {
			double w = ((float *)want.data)[i];

			sig2 += w * w;
			noise += (y[i] - w) * (y[i] - w);
		}
		print_message("%-22s INT8 vs numpy: SQNR %.1f dB\n", honoured[c],
			      10 * log10(sig2 / (noise + 1e-30)));
		assert_true(10 * log10(sig2 / (noise + 1e-30)) > 25);
		unload(&l);
		free(xg);
		free(y);
		npu_onnx_tensor_release(&x);
		npu_onnx_tensor_release(&want);
	}
}

/* Each refused model and what the error must say. */
static const struct {
	const char *name, *says;
} refused[] = {
	{ "r_maxpool_dilations", "dilated pooling" },
	{ "r_unknown_attr", "attribute 'bogus' is not supported" },
	{ "r_softmax_axis", "Softmax over axis 3" },
	{ "r_flatten_axis", "Flatten at axis 2" },
	{ "r_reshape_batch", "the batch 1 first" },
	{ "r_transpose_batch", "a Transpose that moves the batch axis" },
	{ "r_layernorm_axis", "normalising from axis 1 (the last axis only)" },
	{ "r_matmul_image", "MatMul over the W axis of an image" },
	{ "r_add_constant", "an Add of a constant other than the bias of the MatMul" },
	{ "r_mul_negative", "a factor -2 (positive scalars only)" },
	{ "r_concat_batch", "concatenation along axis 0 (any axis but the batch)" },
	{ "r_reducemean_channels", "ReduceMean over axes other than an image's H and W" },
	{ "r_slice_batch", "a Slice of the batch axis" },
	{ "r_squeeze_axes_attr", "attribute 'axes' (an input from opset 13)" },
	{ "r_dropout_training", "Dropout in training mode" },
	{ "r_resize_linear", "Resize mode 'linear'" },
	{ "r_pad_reflect", "Pad other than constant 0" },
	{ "r_gemm_alpha_int", "attribute 'alpha' is an int, ONNX says a float" },
	{ "r_qdq_weight_axis", "quantized along axis 1" },
	{ "r_qdq_gemm_alpha", "alpha 2" },
};

static void test_refused(void **state)
{
	static float calib[64];
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(refused) / sizeof(refused[0]); c++) {
		struct loaded l;
		int ret = import(&l, refused[c].name, calib, 1);

		print_message("%-20s %s\n", refused[c].name, l.err);
		assert_int_not_equal(ret, 0);
		if (!strstr(l.err, refused[c].says))
			fail_msg("%s: '%s' does not say '%s'", refused[c].name, l.err,
				 refused[c].says);
		unload(&l);
	}
}

/* QDQ MatMul of two activations, then Relu: no output below 0. */
static void test_qdq_matmul_relu(void **state)
{
	float a[4 * 8], b[8 * 5], y[4 * 5];
	int i, j, k, negative = 0;
	struct loaded l;

	(void)state;
	for (i = 0; i < 32; i++)
		a[i] = (float)((i * 37) % 17 - 8) / 8.0f;
	for (i = 0; i < 40; i++)
		b[i] = (float)((i * 11) % 13 - 6) / 6.0f;
	for (i = 0; i < 4; i++) {
		for (j = 0; j < 5; j++) {
			float acc = 0;

			for (k = 0; k < 8; k++)
				acc += a[i * 8 + k] * b[k * 5 + j];
			negative += acc < -0.1f;
		}
	}
	assert_true(negative > 0);	/* the Relu has work to do */
	if (import(&l, "q_matmul_relu", NULL, 0))
		fail_msg("%s", l.err);
	run_both(&l, (const float *const[]){ a, b }, y);
	for (i = 0; i < 20; i++)
		assert_true(y[i] >= 0.0f);
	unload(&l);
}

/*
 * Conv, Clip(0, 6), QuantizeLinear with a scale where 6 / S is 100.5: the
 * bound is quantize(6) = 100 (half to even, as ONNX Runtime computes), not
 * TFLite ReLU6's 101.
 */
static void test_qdq_clip_tie(void **state)
{
	const float x[4] = { 10, 10, 10, 10 }, s = 0.05970149f;
	float y[8];
	struct loaded l;
	int i;

	(void)state;
	if (import(&l, "q_clip_tie", NULL, 0))
		fail_msg("%s", l.err);
	run_both(&l, (const float *const[]){ x }, y);
	for (i = 0; i < 8; i++)
		assert_int_equal((int)lrintf(y[i] / s), 100);
	unload(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_honoured),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_qdq_matmul_relu),
		cmocka_unit_test(test_qdq_clip_tie),
	};

	setenv("NPU_EMU_PLUGIN", EMU_PLUGIN_PATH, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
