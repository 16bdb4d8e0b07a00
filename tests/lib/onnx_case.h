/* SPDX-License-Identifier: MIT */
/*
 * Running one of ONNX's node test cases (model.onnx and
 * test_data_set_0/{input,output}_N.pb) through libnpu's importer,
 * compiler and an executor, and comparing every output byte for byte
 * with the expected one. Shared by the host test (ref, emu) and the VM
 * test (npu).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef QNPU_TESTS_ONNX_CASE_H
#define QNPU_TESTS_ONNX_CASE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <npu/graph.h>
#include <npu/onnx.h>

#define ONNX_NODE_DIR "/usr/share/libonnx-testdata/data/node"
#define ONNX_CASE_MAX 16

/* ONNX's quantized-op node tests: every one must pass, or be refused
 * with the reason docs/libnpu.md gives. */
static const char *const onnx_quantized_cases[] = {
	"test_basic_convinteger", "test_convinteger_with_padding",
	"test_convinteger_without_padding", "test_dequantizelinear",
	"test_dequantizelinear_axis", "test_dynamicquantizelinear",
	"test_dynamicquantizelinear_max_adjusted",
	"test_dynamicquantizelinear_min_adjusted", "test_matmulinteger",
	"test_qlinearconv", "test_qlinearmatmul_2D", "test_qlinearmatmul_3D",
	"test_quantizelinear", "test_quantizelinear_axis",
};

/* The function-expanded forms compute scales with float graph ops. */
static const char *const onnx_refused_cases[] = {
	"test_dynamicquantizelinear_expanded",
	"test_dynamicquantizelinear_max_adjusted_expanded",
	"test_dynamicquantizelinear_min_adjusted_expanded",
};

struct onnx_case_result {
	size_t elements;	/* output elements compared */
	size_t differ;		/* of them, not identical */
	char msg[512];		/* why it failed */
};

static void onnx_case_free_tensors(struct npu_onnx_tensor *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		npu_onnx_tensor_release(&t[i]);
}

/*
 * Returns 0 when the case ran and @r says how many elements differ;
 * negative when it could not run (@r->msg says why).
 */
static int onnx_case_run(const char *name, enum npu_executor_kind kind,
			 struct npu_device *dev, struct onnx_case_result *r)
{
	struct npu_onnx_tensor in[ONNX_CASE_MAX], want[ONNX_CASE_MAX];
	struct npu_onnx_signature *sig = calloc(1, sizeof(*sig));
	struct npu_onnx_import_opts o = { .sig = sig };
	const void *inputs[ONNX_CASE_MAX];
	void *outputs[ONNX_CASE_MAX];
	struct npu_program *p = NULL;
	struct npu_executor *e = NULL;
	struct npu_graph *g = NULL;
	struct npu_onnx *m = NULL;
	size_t nin = 0, nout = 0, i, k;
	const char *dir = getenv("ONNX_NODE_DIR") ? getenv("ONNX_NODE_DIR") : ONNX_NODE_DIR;
	char path[512];
	int ret;

	memset(r, 0, sizeof(*r));
	memset(outputs, 0, sizeof(outputs));
	memset(inputs, 0, sizeof(inputs));
	snprintf(path, sizeof(path), "%s/%s/model.onnx", dir, name);
	ret = sig ? npu_onnx_load(path, &m, r->msg, sizeof(r->msg)) : -ENOMEM;
	for (; !ret && nin < ONNX_CASE_MAX; nin++) {
		snprintf(path, sizeof(path), "%s/%s/test_data_set_0/input_%zu.pb",
			 dir, name, nin);
		if (npu_onnx_tensor_load(path, &in[nin], r->msg, sizeof(r->msg)))
			break;
	}
	for (; !ret && nout < ONNX_CASE_MAX; nout++) {
		snprintf(path, sizeof(path), "%s/%s/test_data_set_0/output_%zu.pb",
			 dir, name, nout);
		if (npu_onnx_tensor_load(path, &want[nout], r->msg, sizeof(r->msg)))
			break;
	}
	r->msg[0] = 0;
	/* The test data names its tensors after the model's inputs. */
	o.values = in;
	o.nvalues = nin;
	if (!ret)
		ret = npu_onnx_import(m, &o, &g, r->msg, sizeof(r->msg));
	if (!ret && (ret = npu_compile(g, &p)))
		snprintf(r->msg, sizeof(r->msg), "compile: %s", npu_graph_error(g));
	if (!ret && (ret = npu_executor_new(p, kind, dev, &e)))
		snprintf(r->msg, sizeof(r->msg), "executor: %d", ret);
	if (!ret && sig->noutputs != nout) {
		snprintf(r->msg, sizeof(r->msg), "%zu outputs, %zu expected", sig->noutputs, nout);
		ret = -EPROTO;
	}
	for (i = 0; !ret && i < sig->ninputs; i++) {
		void *buf;

		for (k = 0; k < nin && strcmp(in[k].name, sig->inputs[i].name); k++)
			;
		if (k == nin || in[k].count != sig->inputs[i].count) {
			snprintf(r->msg, sizeof(r->msg), "no test data for input '%s'",
				 sig->inputs[i].name);
			ret = -ENOENT;
			break;
		}
		buf = malloc(in[k].count * npu_onnx_elem_size(in[k].type) + 1);
		if (!buf) {
			ret = -ENOMEM;
			break;
		}
		npu_onnx_to_graph(&sig->inputs[i], in[k].data, buf);
		inputs[i] = buf;
	}
	for (i = 0; !ret && i < nout; i++) {
		outputs[i] = calloc(1, want[i].count * npu_onnx_elem_size(want[i].type) + 1);
		if (!outputs[i] || want[i].count != sig->outputs[i].count ||
		    want[i].type != sig->outputs[i].type) {
			snprintf(r->msg, sizeof(r->msg),
				 "output %zu: %zu values of type %d, expected %zu of type %d", i,
				 sig->outputs[i].count, sig->outputs[i].type, want[i].count,
				 want[i].type);
			ret = -EPROTO;
		}
	}
	if (!ret && (ret = npu_executor_run(e, inputs, outputs, NULL)))
		snprintf(r->msg, sizeof(r->msg), "run: %d", ret);
	for (i = 0; !ret && i < nout; i++) {
		size_t es = npu_onnx_elem_size(want[i].type);
		uint8_t *got = malloc(want[i].count * es + 1);

		if (!got) {
			ret = -ENOMEM;
			break;
		}
		npu_onnx_from_graph(&sig->outputs[i], outputs[i], got);
		for (k = 0; k < want[i].count; k++) {
			r->elements++;
			if (memcmp(got + k * es, (uint8_t *)want[i].data + k * es, es)) {
				if (!r->differ)
					snprintf(r->msg, sizeof(r->msg),
						 "output %zu element %zu differs", i, k);
				r->differ++;
			}
		}
		free(got);
	}
	for (i = 0; i < ONNX_CASE_MAX; i++) {
		free((void *)inputs[i]);
		free(outputs[i]);
	}
	onnx_case_free_tensors(in, nin);
	onnx_case_free_tensors(want, nout);
	npu_executor_free(e);
	npu_program_free(p);
	npu_graph_free(g);
	npu_onnx_free(m);
	free(sig);
	return ret;
}

#endif /* QNPU_TESTS_ONNX_CASE_H */
