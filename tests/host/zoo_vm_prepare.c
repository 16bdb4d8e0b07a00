// SPDX-License-Identifier: MIT
/*
 * zoo_vm_prepare ZOO OUT MODEL...: the VM lane's share of the model zoo.
 * Each MODEL (an .onnx file of ZOO) is imported with MSE calibration on the
 * first 4 images of ZOO/calib.npy, compiled and saved as OUT/NAME.qnpu
 * (NAME: MODEL less .onnx), with the first image of ZOO/eval.npy (graph
 * layout, float32) as OUT/NAME.in and what emu gives for it as
 * OUT/NAME.out. The guest runs
 * each program on the device through the driver and must give the same
 * bytes (tests/vm/libnpu_zoo_test.c); the host compiles, so the float
 * calibration does not run in the TCG guest.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <npu/graph.h>
#include <npu/npy.h>
#include <npu/onnx.h>

#define CALIB_IMAGES	4

/* The first @count images of ZOO/@name in the graph's layout. */
static float *images(const char *zoo, const char *name, size_t count, size_t *pixels)
{
	struct npu_onnx_io io = { .type = NPU_ONNX_FLOAT, .ndims = 4, .nchw = 1 };
	struct npu_onnx_tensor t;
	char path[512], err[256];
	float *x;
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", zoo, name);
	if (npu_npy_load(path, &t, err, sizeof(err)) || t.dims[0] < (int64_t)count) {
		fprintf(stderr, "zoo_vm_prepare: %s: %s\n", path, err);
		return NULL;
	}
	*pixels = t.count / t.dims[0];
	memcpy(io.dims, t.dims, sizeof(io.dims));
	io.dims[0] = 1;
	io.count = *pixels;
	x = malloc(sizeof(float) * count * *pixels);
	for (i = 0; x && i < count; i++)
		npu_onnx_to_graph(&io, (float *)t.data + i * *pixels, x + i * *pixels);
	npu_onnx_tensor_release(&t);
	return x;
}

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(p, 1, n, f) == n;

	if (f && fclose(f))
		ok = 0;
	return ok ? 0 : -1;
}

/* Compile @model, run it on emu, write the three files. */
static int prepare(const char *zoo, const char *out, const char *model, const float *calib,
		   const float *image, size_t pixels)
{
	struct npu_onnx_signature sig;
	struct npu_onnx_import_opts o = { .method = NPU_CALIB_MSE, .sig = &sig,
					  .calib_data = calib, .calib_count = CALIB_IMAGES };
	struct npu_executor *emu = NULL;
	struct npu_program *p = NULL;
	struct npu_graph *g = NULL;
	struct npu_onnx *m = NULL;
	char path[512], err[512] = "";
	int stem = (int)strcspn(model, ".");	/* the name without .onnx */
	float *y = NULL;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", zoo, model);
	ret = npu_onnx_load(path, &m, err, sizeof(err)) ?:
	      npu_onnx_import(m, &o, &g, err, sizeof(err));
	if (!ret && sig.inputs[0].count != pixels) {
		snprintf(err, sizeof(err), "not a batch-1 model");
		ret = -1;
	}
	ret = ret ?: npu_compile(g, &p);
	if (!ret && !(y = malloc(sizeof(float) * sig.outputs[0].count)))
		ret = -1;
	ret = ret ?: npu_executor_new(p, NPU_EXEC_EMU, NULL, &emu);
	ret = ret ?: npu_executor_run(emu, (const void *[]){ image }, (void *[]){ y }, NULL);
	snprintf(path, sizeof(path), "%s/%.*s.qnpu", out, stem, model);
	ret = ret ?: npu_program_save(p, path);
	snprintf(path, sizeof(path), "%s/%.*s.in", out, stem, model);
	ret = ret ?: write_file(path, image, sizeof(float) * pixels);
	snprintf(path, sizeof(path), "%s/%.*s.out", out, stem, model);
	ret = ret ?: write_file(path, y, sizeof(float) * sig.outputs[0].count);
	if (ret)
		fprintf(stderr, "zoo_vm_prepare: %s: %s\n", model,
			err[0] ? err : g && npu_graph_error(g)[0] ? npu_graph_error(g) :
			npu_strerror(ret));
	npu_executor_free(emu);
	npu_program_free(p);
	npu_graph_free(g);
	npu_onnx_free(m);
	free(y);
	return ret;
}

int main(int argc, char **argv)
{
	size_t pc, pe;
	float *calib, *eval;
	int i, ret = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: zoo_vm_prepare ZOO OUT MODEL...\n");
		return 2;
	}
	calib = images(argv[1], "calib.npy", CALIB_IMAGES, &pc);
	eval = images(argv[1], "eval.npy", 1, &pe);
	if (!calib || !eval || pc != pe)
		return 1;
	for (i = 3; i < argc && !ret; i++)
		ret = prepare(argv[1], argv[2], argv[i], calib, eval, pe);
	free(calib);
	free(eval);
	return ret ? 1 : 0;
}
