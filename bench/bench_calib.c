// SPDX-License-Identifier: MIT
/*
 * Benchmark of post-training calibration: an FP32 ONNX model imported with
 * N calibration images (the float runner over each, every activation
 * observed, the graph quantized), timed whole. The images are the first of
 * CALIB.npy (NCHW float32), repeated to N.
 *
 *   bench_calib MODEL.onnx CALIB.npy [--images N] [--method minmax|mse]
 *               [--name NAME] [--json FILE]
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <npu/graph.h>
#include <npu/npy.h>
#include <npu/onnx.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* @n images in the graph's layout (NHWC), @t's repeated. */
static float *calib_images(const struct npu_onnx_tensor *t, size_t n, size_t *pixels)
{
	float *out = NULL;

	*pixels = t->count / t->dims[0];
	return npu_onnx_graph_samples(t, n, &out) ? NULL : out;
}

int main(int argc, char **argv)
{
	struct npu_onnx_import_opts o = { .method = NPU_CALIB_MINMAX };
	const char *json = NULL, *name = "libnpu calibration";
	struct npu_onnx_tensor t;
	struct npu_graph *g;
	struct npu_onnx *m;
	size_t images = 100, pixels;
	char err[512];
	double t0, secs;
	float *data;
	int i;

	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--images") && i + 1 < argc)
			images = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--method") && i + 1 < argc)
			o.method = strcmp(argv[++i], "mse") ? NPU_CALIB_MINMAX : NPU_CALIB_MSE;
		else if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json = argv[++i];
		else if (!strcmp(argv[i], "--name") && i + 1 < argc)
			name = argv[++i];
		else
			argc = 0;
	}
	if (argc < 3 || !images) {
		fprintf(stderr, "usage: bench_calib MODEL.onnx CALIB.npy [--images N] "
			"[--method minmax|mse] [--name NAME] [--json FILE]\n");
		return 2;
	}
	if (npu_onnx_load(argv[1], &m, err, sizeof(err)) ||
	    npu_npy_load(argv[2], &t, err, sizeof(err))) {
		fprintf(stderr, "bench_calib: %s\n", err);
		return 1;
	}
	data = calib_images(&t, images, &pixels);
	o.calib_data = data;
	o.calib_count = images;
	t0 = now();
	if (!data || npu_onnx_import(m, &o, &g, err, sizeof(err))) {
		fprintf(stderr, "bench_calib: %s\n", data ? err : "out of memory");
		return 1;
	}
	secs = now() - t0;
	printf("  %-52s %10.2f s (%zu images, %.1f images/s)\n", name, secs, images,
	       images / secs);
	if (json) {
		FILE *f = fopen(json, "w");

		if (!f)
			return 1;
		fprintf(f, "{\"name\": \"%s\", \"value\": %.4f, \"unit\": \"s\"}\n", name, secs);
		fclose(f);
	}
	npu_graph_free(g);
	npu_onnx_free(m);
	npu_onnx_tensor_release(&t);
	free(data);
	return 0;
}
