// SPDX-License-Identifier: MIT
/*
 * npu-run, tensor mode: .npy tensors in the model's layout through an ONNX
 * model or a program compiled from one.
 *
 *   compile:  MODEL.onnx --calib-data C.npy [--calib-count N] --save P.qnpu
 *   run:      MODEL.onnx | --program P.qnpu  --input X.npy... [--output Y.npy...]
 *             [--labels L.npy] [--repeat N]
 *
 * An FP32 model is calibrated on --calib-data (samples along its first
 * axis), or else on the --input samples themselves. Inputs may hold any
 * whole number of the program's batches along the first axis; the outputs
 * then hold as many. A saved program carries the model's signature
 * (npu_onnx_program_set_signature()), so it runs on the model's tensors.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <npu/npy.h>

#include "npu-run.h"

/* The emulator's clock unless configured otherwise (docs/hardware.md, clock-mhz). */
#define QNPU_DEFAULT_MHZ 1000

struct tensor_run {
	const struct run_opts *ro;
	struct npu_onnx_tensor in[MAX_FILES];
	int bound[NPU_ONNX_MAX_IO];	/* the file of each program input */
	void *gin[NPU_ONNX_MAX_IO], *gout[NPU_ONNX_MAX_IO];	/* one batch, graph layout */
	void *out[NPU_ONNX_MAX_IO];	/* every batch, the model's layout */
	struct npu_onnx_signature sig;
	size_t chunks;			/* program batches in the input files */
	double *lat;			/* --repeat: seconds of each batch run */
	size_t nlat;
	uint64_t cycles;		/* modelled device cycles of the last batch */
	uint32_t clock_mhz;		/* the device's (npu) or the emulator's default */
	struct npu_onnx *m;
	struct npu_program *prog;
	char err[512];
};

static int fail(struct tensor_run *t, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct tensor_run *t, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	return ret;
}

/* @x's samples (the first @want, 0: all), each one image in the graph's layout (NHWC). */
static float *samples(struct tensor_run *t, const struct npu_onnx_tensor *x, size_t want,
		      size_t *count)
{
	size_t n = x->ndims ? (size_t)x->dims[0] : 0;
	float *g = NULL;

	if (x->type != NPU_ONNX_FLOAT || x->ndims != 4 || !n) {
		fail(t, -EINVAL, "%s: FP32 models take samples as float32 [N, C, H, W]",
		     x->name);
		return NULL;
	}
	*count = want && want < n ? want : n;
	return npu_onnx_graph_samples(x, *count, &g) ? NULL : g;
}

/* Quantize and compile the model: calibrated on --calib-data, or on the inputs. */
static int compile(struct tensor_run *t)
{
	const struct run_opts *ro = t->ro;
	struct npu_onnx_import_opts o = { .method = ro->method, .sig = &t->sig,
					  .granularity = ro->granularity,
					  .values = t->in, .nvalues = ro->ninputs,
					  .qdq_path = ro->export_onnx, .rounding = ro->rounding,
					  .weight_bits = ro->weight_bits };
	struct npu_onnx_tensor calib = { 0 };
	struct npu_graph *g = NULL;
	float *cal = NULL;
	double t0 = now();
	int ret = 0, i;

	if (npu_onnx_load(ro->model, &t->m, t->err, sizeof(t->err)))
		return -EINVAL;
	for (i = 0; i < ro->ninputs; i++) {
		if (!npu_onnx_input_name(t->m, i))
			return fail(t, -EINVAL, "%s: the model has fewer inputs than --input files",
				    ro->model);
		snprintf(t->in[i].name, sizeof(t->in[i].name), "%s", npu_onnx_input_name(t->m, i));
	}
	if (npu_onnx_is_quantized(t->m) && (ro->ncalib || ro->calib_given))
		return fail(t, -EINVAL, "%s: --calib-data, --calib, --granularity, --rounding and --weight-bits do not apply to a model quantized already",
			    ro->model);
	if (!npu_onnx_is_quantized(t->m)) {
		if (ro->ncalib > 1 || (!ro->ncalib && ro->ninputs != 1))
			return fail(t, -EINVAL, "%s: an FP32 model takes one input, so one calibration file",
				    ro->model);
		if (ro->ncalib && npu_npy_load(ro->calib[0], &calib, t->err, sizeof(t->err)))
			return -EINVAL;
		snprintf(calib.name, sizeof(calib.name), "%s", ro->ncalib ? ro->calib[0] : ro->inputs[0]);
		cal = samples(t, ro->ncalib ? &calib : &t->in[0], ro->calib_count, &o.calib_count);
		o.calib_data = cal;
		o.progress = calib_progress;
		o.progress_arg = &t0;
		ret = cal ? 0 : t->err[0] ? -EINVAL : -ENOMEM;
	}
	if (!ret && npu_onnx_import(t->m, &o, &g, t->err, sizeof(t->err)))
		ret = -EINVAL;
	if (!ret && npu_compile(g, &t->prog))
		ret = fail(t, -EINVAL, "%s", npu_graph_error(g));
	ret = ret ?: npu_onnx_program_set_signature(t->prog, &t->sig);
	if (!ret && ro->save && npu_program_save(t->prog, ro->save))
		ret = fail(t, -EIO, "%s: cannot write", ro->save);
	npu_graph_free(g);
	npu_onnx_tensor_release(&calib);
	free(cal);
	return ret;
}

/* A program saved with its model's signature. */
static int load_program(struct tensor_run *t)
{
	int ret = npu_program_load(t->ro->program, &t->prog);

	if (ret)
		return fail(t, ret, "%s: %s", t->ro->program,
			    ret == -EPROTO ? "not a program file, or a damaged one" :
			    ret == -EPROTONOSUPPORT ? "a program file of another version" :
			    npu_strerror(ret));
	if (npu_onnx_program_signature(t->prog, &t->sig))
		return fail(t, -EINVAL, "%s: %s", t->ro->program,
			    "saved without its model's signature (compile it with npu-run --save)");
	return 0;
}

/* The files of a model's inputs, named as the model names them, in order. */
static int read_inputs(struct tensor_run *t)
{
	const struct run_opts *ro = t->ro;
	int i;

	for (i = 0; i < ro->ninputs; i++) {
		if (npu_npy_load(ro->inputs[i], &t->in[i], t->err, sizeof(t->err)))
			return -EINVAL;
	}
	return 0;
}

/* Each program input's file (by name for models, by position for programs) and the batches. */
static int bind(struct tensor_run *t)
{
	const struct run_opts *ro = t->ro;
	size_t i, chunks;
	int k, d;

	for (i = 0; i < t->sig.ninputs; i++) {
		const struct npu_onnx_io *io = &t->sig.inputs[i];

		k = ro->program ? (int)i : 0;
		for (; !ro->program && k < ro->ninputs &&
		       strcmp(npu_onnx_input_name(t->m, k) ?: "", io->name); k++)
			;
		if (k >= ro->ninputs)
			return fail(t, -EINVAL, "no --input for the program's input '%s'", io->name);
		t->bound[i] = k;
		chunks = io->ndims && io->dims[0] ? t->in[k].dims[0] / io->dims[0] : 1;
		for (d = 1; d < (int)io->ndims; d++)
			chunks = t->in[k].dims[d] == io->dims[d] ? chunks : 0;
		if (t->in[k].type != io->type || t->in[k].ndims != io->ndims || !chunks ||
		    chunks * io->count != t->in[k].count || (i && chunks != t->chunks))
			return fail(t, -EINVAL, "%s: not whole batches of input '%s' (its extents and type, the same number for every input)",
				    ro->inputs[k], io->name);
		t->chunks = chunks;
	}
	if ((size_t)ro->ninputs > t->sig.ninputs && ro->program)
		return fail(t, -EINVAL, "%s takes fewer inputs", ro->program);
	if ((size_t)ro->noutputs > t->sig.noutputs)
		return fail(t, -EINVAL, "more --output files than the program's outputs");
	return 0;
}

/* Buffers: one batch of each input and output in the graph's layout, all outputs in the model's. */
static int alloc_io(struct tensor_run *t)
{
	size_t i;

	for (i = 0; i < t->sig.ninputs; i++) {
		t->gin[i] = malloc(t->sig.inputs[i].count * npu_onnx_elem_size(t->sig.inputs[i].type) + 1);
		if (!t->gin[i])
			return -ENOMEM;
	}
	for (i = 0; i < t->sig.noutputs; i++) {
		size_t bytes = t->sig.outputs[i].count * npu_onnx_elem_size(t->sig.outputs[i].type);

		t->gout[i] = malloc(bytes + 1);
		t->out[i] = malloc(bytes * t->chunks + 1);
		if (!t->gout[i] || !t->out[i])
			return -ENOMEM;
	}
	return 0;
}

/* Batch @c through the executor, its outputs into place. */
static int run_batch(struct tensor_run *t, struct npu_executor *e, size_t c)
{
	struct npu_job_result r;
	size_t i, es;
	int ret;

	for (i = 0; i < t->sig.ninputs; i++) {
		const struct npu_onnx_io *io = &t->sig.inputs[i];

		es = npu_onnx_elem_size(io->type);
		npu_onnx_to_graph(io, (const char *)t->in[t->bound[i]].data + c * io->count * es,
				  t->gin[i]);
	}
	ret = npu_executor_run(e, (const void *const *)t->gin, t->gout, &r);
	if (ret)
		return fail(t, ret, "%s (%s)", npu_strerror(ret), npu_status_str(r.status));
	t->cycles = r.cycles;
	for (i = 0; i < t->sig.noutputs; i++) {
		const struct npu_onnx_io *io = &t->sig.outputs[i];

		es = npu_onnx_elem_size(io->type);
		npu_onnx_from_graph(io, t->gout[i], (char *)t->out[i] + c * io->count * es);
	}
	return 0;
}

/* Every batch once, then --repeat more times timed (each batch's latency kept). */
static int run_all(struct tensor_run *t)
{
	struct npu_executor *e = NULL;
	struct npu_device *dev = NULL;
	size_t c, k, runs = t->ro->repeat, done = 0, total;
	double t0, start = now();
	struct npu_device_info info;
	int ret = open_executor(t->prog, t->ro, &dev, &e);

	if (ret)
		return ret;
	t->clock_mhz = dev && !npu_device_info(dev, &info) ? info.clock_mhz : QNPU_DEFAULT_MHZ;
	t->lat = runs ? malloc(sizeof(double) * runs * t->chunks) : NULL;
	ret = runs && !t->lat ? -ENOMEM : 0;
	total = t->chunks * (runs + 1);
	for (c = 0; !ret && c < t->chunks; c++) {
		ret = run_batch(t, e, c);
		progress_bar("running", "batches", ++done, total, start);
	}
	for (k = 0; !ret && k < runs; k++) {
		for (c = 0; !ret && c < t->chunks; c++) {
			t0 = now();
			ret = run_batch(t, e, c);
			t->lat[t->nlat++] = now() - t0;
			progress_bar("running", "batches", ++done, total, start);
		}
	}
	npu_executor_free(e);
	npu_device_close(dev);
	return ret;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* --repeat: samples per second and the batch latency's median and 99th percentile. */
static void report_timing(const struct tensor_run *t)
{
	double sum = 0, *l = t->lat;
	size_t i, n = t->nlat, batch = t->sig.ninputs && t->sig.inputs[0].ndims ?
				      (size_t)t->sig.inputs[0].dims[0] : 1;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		sum += l[i];
	qsort(l, n, sizeof(*l), by_value);
	printf("%zu runs of %zu batches of %zu on %s: %.1f samples/s, latency p50 %.3f ms, p99 %.3f ms\n",
	       (size_t)t->ro->repeat, t->chunks, batch, t->ro->exec_name, n * batch / sum,
	       l[n / 2] * 1e3, l[(n * 99 + 99) / 100 - 1] * 1e3);
	/* what the modelled device would take (docs/hardware.md 15), next to the host's time */
	if (t->cycles)
		printf("modelled device time per batch %.3f ms (%" PRIu64 " cycles at %u MHz)\n",
		       t->cycles / (t->clock_mhz * 1e3), t->cycles, t->clock_mhz);
}

/* Whether class @label is among the @k highest of @v[@n]. */
static bool in_top(const float *v, size_t n, int64_t label, int k)
{
	size_t i;
	int above = 0;

	if (label < 0 || (size_t)label >= n)
		return false;
	for (i = 0; i < n; i++)
		above += v[i] > v[label] || (v[i] == v[label] && i < (size_t)label);
	return above < k;
}

/* --labels: top-1 and top-5 of the first output's scores against the labels. */
static int report_labels(struct tensor_run *t)
{
	const struct npu_onnx_io *io = &t->sig.outputs[0];
	struct npu_onnx_tensor l;
	size_t n = t->chunks * (io->ndims ? (size_t)io->dims[0] : 1), classes, i, top1 = 0, top5 = 0;
	int64_t label;

	if (npu_npy_load(t->ro->labels, &l, t->err, sizeof(t->err)))
		return -EINVAL;
	classes = io->count * t->chunks / n;
	if ((l.type != NPU_ONNX_INT64 && l.type != NPU_ONNX_INT32) || l.count != n ||
	    io->type != NPU_ONNX_FLOAT) {
		npu_onnx_tensor_release(&l);
		return fail(t, -EINVAL, "%s: %s", t->ro->labels,
			    "int32 or int64 labels, one per sample of a float32 output");
	}
	for (i = 0; i < n; i++) {
		label = l.type == NPU_ONNX_INT64 ? ((int64_t *)l.data)[i] : ((int32_t *)l.data)[i];
		top1 += in_top((const float *)t->out[0] + i * classes, classes, label, 1);
		top5 += in_top((const float *)t->out[0] + i * classes, classes, label, 5);
	}
	npu_onnx_tensor_release(&l);
	printf("%zu samples on %s: top-1 %.4f, top-5 %.4f\n", n, t->ro->exec_name,
	       (double)top1 / n, (double)top5 / n);
	return 0;
}

/* The outputs the command line names, in the model's layout, every batch. */
static int save_outputs(struct tensor_run *t)
{
	int i;

	for (i = 0; i < t->ro->noutputs; i++) {
		const struct npu_onnx_io *io = &t->sig.outputs[i];
		struct npu_onnx_tensor y = { .type = io->type, .ndims = io->ndims,
					     .count = io->count * t->chunks, .data = t->out[i] };

		memcpy(y.dims, io->dims, sizeof(y.dims));
		y.dims[0] *= io->ndims ? (int64_t)t->chunks : 1;
		if (npu_npy_save(t->ro->outputs[i], &y, t->err, sizeof(t->err)))
			return -EINVAL;
	}
	return 0;
}

static void tensor_run_free(struct tensor_run *t)
{
	int i;

	for (i = 0; i < MAX_FILES; i++)
		npu_onnx_tensor_release(&t->in[i]);
	for (i = 0; i < NPU_ONNX_MAX_IO; i++) {
		free(t->gin[i]);
		free(t->gout[i]);
		free(t->out[i]);
	}
	free(t->lat);
	npu_program_free(t->prog);
	npu_onnx_free(t->m);
}

int run_tensors(const struct run_opts *ro)
{
	struct tensor_run *t = calloc(1, sizeof(*t));
	int ret = t ? 0 : -ENOMEM;

	if (t)
		t->ro = ro;
	ret = ret ?: read_inputs(t);
	ret = ret ?: ro->program ? load_program(t) : compile(t);
	if (!ret && ro->ninputs) {
		ret = bind(t) ?: alloc_io(t) ?: run_all(t);
		ret = ret ?: save_outputs(t);
		ret = ret ?: ro->labels ? report_labels(t) : 0;
		if (!ret)
			report_timing(t);
	}
	if (ret && t && t->err[0])
		fprintf(stderr, "npu-run: %s\n", t->err);
	if (t)
		tensor_run_free(t);
	free(t);
	return ret ? 1 : 0;
}
