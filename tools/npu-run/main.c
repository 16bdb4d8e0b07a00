// SPDX-License-Identifier: MIT
/*
 * npu-run: run an ONNX model on a chosen executor.
 *
 * Tensor mode (tensors.c): any supported model, FP32 or already quantized
 * (QOperator, QDQ), or a program compiled from one; inputs and outputs are
 * NumPy .npy files in the model's own layout, any number of the program's
 * batches along the first axis. An FP32 model is calibrated on
 * --calib-data, else on the inputs themselves.
 *
 * Dataset mode: quantize an FP32 model by calibration, compile it, and
 * evaluate it on Fashion-MNIST; or run a program compiled earlier
 * (--program). Reports INT8 (and FP32) top-1, per-layer SQNR against
 * FP32, model size, device counters and throughput; --json for machines.
 *
 *   npu-run [options] MODEL.onnx | --program FILE
 *     --executor npu|emu|ref    where to run (default npu)
 *     --calib minmax|percentile|entropy|mse   (default minmax)
 *     --granularity per-channel|per-tensor    weights (default per-channel)
 *     --save FILE               write the compiled program (with the model's
 *                               signature, so that it runs on .npy tensors)
 *     --program FILE            run a compiled program instead of a model
 *     --threads N               --executor emu: the emulator's compute threads
 *     --export-onnx FILE        FP32 models: also write libnpu's quantization as
 *                               a QDQ ONNX model that ONNX Runtime runs
 *     --rounding MODE           FP32 models: requantization rounding, double
 *                               (TFLite's, the default) or single (ONNX Runtime's)
 *     --weight-bits N           FP32 models: 8 (default) or 7 (what x86 without
 *                               VNNI multiplies exactly, ONNX Runtime's reduce_range)
 *   tensor mode:
 *     --input FILE.npy          the model's inputs, in order
 *     --output FILE.npy         where its outputs go, in order
 *     --calib-data FILE.npy     FP32 models: calibration samples [N, ...]
 *     --calib-count N           the first N of them (default all)
 *     --labels FILE.npy         int labels of the input samples: top-1/top-5
 *     --repeat N                N more timed runs: samples/s, latency p50/p99
 *   dataset mode:
 *     --calib-images N          calibration images (default 200)
 *     --images N                test images to evaluate (default 10000)
 *     --dataset DIR             Fashion-MNIST IDX files (default Debian's)
 *     --fp32                    also evaluate the FP32 model (CPU, slow)
 *     --sqnr N                  per-layer SQNR against FP32 over N images
 *     --plot-data DIR           data files for plots (per-layer SQNR, the
 *                               first layer's calibration histogram)
 *     --json FILE               results as JSON
 *
 * An option given where it does not apply is an error that names it.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <math.h>

#include <npu/graph.h>
#include <npu/npy.h>
#include <npu/onnx.h>

#include "npu-run.h"

#define PIX (28 * 28)

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The payload of a gzipped IDX file after its header, or NULL. */
static uint8_t *idx(const char *dir, const char *file, size_t header,
		    size_t want)
{
	uint8_t *buf = malloc(header + want);
	char cmd[512];
	FILE *p;
	size_t got;

	snprintf(cmd, sizeof(cmd), "gzip -dc '%s/%s'", dir, file);
	p = popen(cmd, "r");
	if (!p || !buf) {
		free(buf);
		return NULL;
	}
	got = fread(buf, 1, header + want, p);
	pclose(p);
	if (got != header + want) {
		fprintf(stderr, "npu-run: %s/%s: %zu bytes, expected %zu\n", dir, file,
			got, header + want);
		free(buf);
		return NULL;
	}
	memmove(buf, buf + header, want);
	return buf;
}

static float *to_float(const uint8_t *px, size_t n)
{
	float *f = malloc(sizeof(float) * n);
	size_t i;

	for (i = 0; f && i < n; i++)
		f[i] = px[i] / 255.0f;
	return f;
}

static int argmax(const float *v, int n)
{
	int i, best = 0;

	for (i = 1; i < n; i++)
		best = v[i] > v[best] ? i : best;
	return best;
}

void progress_bar(const char *what, const char *unit, size_t done, size_t total, double t0)
{
	double secs = now() - t0;

	if (!isatty(2) || getenv("NPU_RUN_QUIET") || !done)
		return;
	fprintf(stderr, "\r  %s %5zu/%zu %s  %5.1f %s/s  ETA %4.0f s", what, done, total, unit,
		done / (secs + 1e-9), unit, secs / done * (total - done));
	if (done == total)
		fprintf(stderr, "\n");
}

static void progress(size_t done, size_t total, double t0)
{
	if (done % 100 == 0 || done == total)
		progress_bar("evaluating", "images", done, total, t0);
}

/* The import's calibration progress (struct npu_onnx_import_opts), with an ETA. */
void calib_progress(void *arg, size_t done, size_t total)
{
	progress_bar("calibrating", "images", done, total, *(const double *)arg);
}

static int calib_method(const char *s)
{
	return !strcmp(s, "minmax") ? NPU_CALIB_MINMAX :
	       !strcmp(s, "percentile") ? NPU_CALIB_PERCENTILE :
	       !strcmp(s, "entropy") ? NPU_CALIB_ENTROPY :
	       !strcmp(s, "mse") ? NPU_CALIB_MSE : -1;
}

int open_executor(const struct npu_program *p, const struct run_opts *ro,
			 struct npu_device **dev, struct npu_executor **e)
{
	int ret = 0;

	*dev = NULL;
	if (ro->kind == NPU_EXEC_NPU)
		ret = npu_device_open(0, dev);
	if (!ret)
		ret = npu_executor_new(p, ro->kind, *dev, e);
	if (ret)
		fprintf(stderr, "npu-run: executor %s: %s\n", ro->exec_name, npu_strerror(ret));
	return ret;
}

struct layer_sqnr {
	char name[128];
	double signal, noise;	/* sums of squares over the images */
	size_t elems;		/* per image */
};

/* Buffers for every output (int8 layers, their float references) and the layers' names. */
static int sqnr_buffers(const struct npu_onnx_signature *sig, void **gout, float **ref,
			const char **names, struct layer_sqnr *ls)
{
	size_t i;

	for (i = 0; i < sig->noutputs; i++) {
		gout[i] = malloc(sig->outputs[i].count * 4);
		ref[i] = malloc(sig->outputs[i].count * 4);
		names[i] = sig->outputs[i].name;
		if (!gout[i] || !ref[i])
			return -ENOMEM;
		if (i) {
			snprintf(ls[i - 1].name, sizeof(ls->name), "%s", names[i]);
			ls[i - 1].elems = sig->outputs[i].count;
		}
	}
	return 0;
}

/* One image's signal and noise, layer by layer (output 0 is the model's own). */
static void add_sqnr(const struct npu_onnx_signature *sig, void *const *gout,
		     float *const *ref, struct layer_sqnr *ls)
{
	size_t i, j;

	for (i = 1; i < sig->noutputs; i++) {
		const struct npu_onnx_io *io = &sig->outputs[i];
		const int8_t *q = gout[i];

		for (j = 0; j < io->count; j++) {
			double r = ref[i][j];
			double d = (double)(q[j] - io->zero_point) * io->scale - r;

			ls[i - 1].signal += r * r;
			ls[i - 1].noise += d * d;
		}
	}
}

/*
 * Per-layer SQNR against FP32: the same calibration, with every quantized
 * activation as an extra output, run on @images images; each is
 * dequantized and compared with the float model's value.
 */
static int layer_sqnr(struct npu_onnx *m, struct npu_onnx_import_opts o,
		      const struct run_opts *ro, const float *x, size_t images,
		      struct layer_sqnr **out, size_t *nout)
{
	struct npu_onnx_signature *sig = calloc(1, sizeof(*sig));
	struct npu_program *prog = NULL;
	struct npu_executor *e = NULL;
	struct npu_device *dev = NULL;
	struct layer_sqnr *ls = NULL;
	struct npu_graph *g = NULL;
	void *gout[NPU_ONNX_MAX_IO] = { 0 };
	float *ref[NPU_ONNX_MAX_IO] = { 0 };
	const char *names[NPU_ONNX_MAX_IO];
	char err[512] = "";
	size_t i, k, nl = 0;
	int ret = -ENOMEM;

	o.sig = sig;
	o.layer_outputs = 1;
	if (!sig)
		return -ENOMEM;
	ret = npu_onnx_import(m, &o, &g, err, sizeof(err));
	if (!ret && npu_compile(g, &prog)) {
		snprintf(err, sizeof(err), "%s", npu_graph_error(g));
		ret = -EINVAL;
	}
	if (ret) {
		fprintf(stderr, "npu-run: SQNR: %s\n", err);
		goto out;
	}
	nl = sig->noutputs - 1;
	ls = calloc(nl + 1, sizeof(*ls));
	ret = ls ? sqnr_buffers(sig, gout, ref, names, ls) : -ENOMEM;
	if (!ret)
		ret = open_executor(prog, ro, &dev, &e);
	for (k = 0; !ret && k < images; k++) {
		const void *in[1] = { x + k * PIX };

		ret = npu_executor_run(e, in, gout, NULL);
		if (!ret)
			ret = npu_onnx_run_float_values(m, x + k * PIX, names + 1, nl,
							ref + 1, err, sizeof(err));
		if (!ret)
			add_sqnr(sig, gout, ref, ls);
	}
	if (ret)
		fprintf(stderr, "npu-run: SQNR: %s\n", err[0] ? err : npu_strerror(ret));
out:
	for (i = 0; i < NPU_ONNX_MAX_IO; i++) {
		free(gout[i]);
		free(ref[i]);
	}
	npu_executor_free(e);
	npu_device_close(dev);
	npu_program_free(prog);
	npu_graph_free(g);
	free(sig);
	if (ret) {
		free(ls);
		return ret;
	}
	*out = ls;
	*nout = nl;
	return 0;
}

static double sqnr_db(const struct layer_sqnr *l)
{
	return l->noise > 0 ? 10 * log10(l->signal / l->noise) : INFINITY;
}

/*
 * Plot data: per-layer SQNR, and one layer's calibration histogram with
 * the range the calibration chose (recomputed with the same observer over
 * the same images).
 */
static int plot_data(const char *dir, struct npu_onnx *m, int method,
		     const float *cal, size_t ncal, const struct layer_sqnr *ls,
		     size_t nl)
{
	struct npu_observer *obs = NULL, *range = NULL;
	const uint64_t *bins;
	size_t nbins, i;
	float lo, hi, mn, mx, *v = NULL;
	char path[512], err[256];
	const char *name;
	FILE *f;
	int ret;

	if (!nl)
		return -EINVAL;
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/sqnr.dat", dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "# layer  name  sqnr_db\n");
	for (i = 0; i < nl; i++)
		fprintf(f, "%zu \"%s\" %.3f\n", i, ls[i].name,
			isinf(sqnr_db(&ls[i])) ? 99.0 : sqnr_db(&ls[i]));
	fclose(f);

	/* The first layer's activations; entropy and MSE are histogram based. */
	name = ls[0].name;
	v = malloc(sizeof(float) * ls[0].elems + 1);
	/* A histogram (min-max keeps none: a percentile observer draws it). */
	ret = v ? npu_observer_new(method == NPU_CALIB_MINMAX ? NPU_CALIB_PERCENTILE :
				   method, NULL, &obs) : -ENOMEM;
	if (!ret)
		ret = npu_observer_new(method, NULL, &range);
	for (i = 0; !ret && i < ncal; i++) {
		const char *names[1] = { name };
		float *outs[1] = { v };

		ret = npu_onnx_run_float_values(m, cal + i * PIX, names, 1, outs, err,
						sizeof(err));
		if (!ret)
			ret = npu_observer_update(obs, v, ls[0].elems);
		if (!ret)
			ret = npu_observer_update(range, v, ls[0].elems);
	}
	if (!ret)
		ret = npu_observer_histogram(obs, &bins, &nbins, &lo, &hi);
	if (!ret)
		ret = npu_observer_range(range, &mn, &mx);
	if (!ret) {
		snprintf(path, sizeof(path), "%s/hist.dat", dir);
		f = fopen(path, "w");
		if (!f) {
			ret = -errno;
		} else {
			fprintf(f, "# %s: bin_centre count; clipping range [%g, %g]\n", name,
				mn, mx);
			for (i = 0; i < nbins; i++)
				fprintf(f, "%g %llu\n", lo + (i + 0.5) * (hi - lo) / nbins,
					(unsigned long long)bins[i]);
			fclose(f);
			snprintf(path, sizeof(path), "%s/hist_range.dat", dir);
			f = fopen(path, "w");
			if (f) {
				fprintf(f, "\"%s\" %g %g %s\n", name, mn, mx,
					method == NPU_CALIB_MINMAX ? "minmax" :
					method == NPU_CALIB_PERCENTILE ? "percentile" :
					method == NPU_CALIB_ENTROPY ? "entropy" : "mse");
				fclose(f);
			}
		}
	}
	npu_observer_free(obs);
	npu_observer_free(range);
	free(v);
	return ret;
}

/* The dataset mode's options, and what its steps work out. */
struct dataset_run {
	const char *dataset, *save, *program, *json, *model, *plot;
	size_t calib, images, sqnr_images;
	int fp32;
	struct run_opts ro;
	/* the data set */
	uint8_t *px, *labels;
	float *x;
	/* the program and what it ran on */
	struct npu_program *prog;
	struct npu_program_stats st;
	struct npu_device *dev;
	struct npu_counters c0, c1;
	struct layer_sqnr *ls;
	size_t nl;
	uint64_t fp32_bytes, cycles;
	/* results */
	size_t ok, fp_ok;
	double secs;
	bool given[128];	/* the options on the command line, by short name */
};

static const char usage[] =
	"usage: npu-run [--executor npu|emu|ref] MODEL.onnx --calib-data C.npy "
	"[--calib-count N] [--calib METHOD] [--granularity G] [--rounding R] [--weight-bits B] "
	"--save PROG.qnpu\n"
	"       npu-run [--executor npu|emu|ref] MODEL.onnx | --program PROG.qnpu "
	"--input X.npy... [--output Y.npy...] [--calib-data C.npy [--calib-count N]] "
	"[--labels L.npy] [--repeat N] [--threads N] [--save PROG.qnpu] [--export-onnx Q.onnx]\n"
	"       npu-run [--executor npu|emu|ref] [--calib METHOD] "
	"[--granularity per-channel|per-tensor] [--calib-images N] "
	"[--images N] [--dataset DIR] [--fp32] [--sqnr N] [--plot-data DIR] "
	"[--save FILE] [--json FILE] [--export-onnx Q.onnx] MODEL.onnx | --program FILE\n"
	"METHOD: minmax percentile entropy mse; G: per-channel per-tensor; R: double single; "
	"B: 8 7\n";

static int parse_executor(const char *s, struct run_opts *ro)
{
	ro->exec_name = s;
	if (!strcmp(s, "npu"))
		ro->kind = NPU_EXEC_NPU;
	else if (!strcmp(s, "emu"))
		ro->kind = NPU_EXEC_EMU;
	else if (!strcmp(s, "ref"))
		ro->kind = NPU_EXEC_REF;
	else
		return -1;
	return 0;
}

static int add_file(struct run_opts *ro, int c, const char *path)
{
	int *n = c == 'i' ? &ro->ninputs : c == 'o' ? &ro->noutputs : &ro->ncalib;
	const char **files = c == 'i' ? ro->inputs : c == 'o' ? ro->outputs : ro->calib;

	if (*n == MAX_FILES)
		return -1;
	files[(*n)++] = path;
	return 0;
}

static int bad_option(const char *msg)
{
	fprintf(stderr, "npu-run: %s\n", msg);
	return 2;
}

/* A count option's value: 0 when it is not a positive integer. */
static size_t count_arg(const char *arg)
{
	char *end;
	unsigned long long v = strtoull(arg, &end, 10);

	return *arg && !*end && arg[0] != '-' ? (size_t)v : 0;
}

/* One option into @r: 0, or the exit status (2 for a bad one). */
static int parse_option(int c, const char *arg, struct dataset_run *r)
{
	if (c > 0 && c < 128)
		r->given[c] = true;
	switch (c) {
	case 'k':
		if (add_file(&r->ro, c, arg))
			return bad_option("at most " XSTR(MAX_FILES) " calibration files");
		return 0;
	case 'K':
		r->ro.calib_count = count_arg(arg);
		return r->ro.calib_count ? 0 : bad_option("--calib-count takes a positive count");
	case 'L': r->ro.labels = arg; return 0;
	case 'R':
		r->ro.repeat = count_arg(arg);
		return r->ro.repeat ? 0 : bad_option("--repeat takes a positive count");
	case 'e':
		if (parse_executor(arg, &r->ro))
			return bad_option("--executor is npu, emu or ref");
		return 0;
	case 'c':
		r->ro.method = calib_method(arg);
		if (r->ro.method < 0)
			return bad_option("--calib is minmax, percentile, entropy or mse");
		return 0;
	case 'C': r->calib = strtoul(arg, NULL, 0); return 0;
	case 'n': r->images = strtoul(arg, NULL, 0); return 0;
	case 'd': r->dataset = arg; return 0;
	case 'f': r->fp32 = 1; return 0;
	case 's': r->save = arg; return 0;
	case 'p': r->program = arg; return 0;
	case 'X': r->ro.export_onnx = arg; return 0;
	case 'T':
		if (!count_arg(arg) || count_arg(arg) > 64)
			return bad_option("--threads takes a count from 1 to 64");
		return setenv("NPU_EMU_WORKERS", arg, 1) ? bad_option("--threads: no memory") : 0;
	case 'r':
		r->ro.rounding = !strcmp(arg, "single") ? 1 : !strcmp(arg, "double") ? 0 : -1;
		return r->ro.rounding >= 0 ? 0 : bad_option("--rounding is double or single");
	case 'w':
		r->ro.weight_bits = (int)count_arg(arg);
		return r->ro.weight_bits == 7 || r->ro.weight_bits == 8 ? 0 :
		       bad_option("--weight-bits is 8 or 7");
	case 'j': r->json = arg; return 0;
	case 'q': r->sqnr_images = strtoul(arg, NULL, 0); return 0;
	case 'P': r->plot = arg; return 0;
	case 'i':
	case 'o':
		if (add_file(&r->ro, c, arg))
			return bad_option("at most " XSTR(MAX_FILES) " inputs and outputs");
		return 0;
	case 'g':
		if (!strcmp(arg, "per-channel"))
			r->ro.granularity = NPU_ONNX_PER_CHANNEL;
		else if (!strcmp(arg, "per-tensor"))
			r->ro.granularity = NPU_ONNX_PER_TENSOR;
		else
			return bad_option("--granularity is per-channel or per-tensor");
		return 0;
	default:
		return 2;
	}
}

/* The command line into @r: -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, struct dataset_run *r)
{
	static const struct option opts[] = {
		{ "executor", required_argument, NULL, 'e' },
		{ "calib", required_argument, NULL, 'c' },
		{ "calib-images", required_argument, NULL, 'C' },
		{ "images", required_argument, NULL, 'n' },
		{ "dataset", required_argument, NULL, 'd' },
		{ "fp32", no_argument, NULL, 'f' },
		{ "save", required_argument, NULL, 's' },
		{ "program", required_argument, NULL, 'p' },
		{ "json", required_argument, NULL, 'j' },
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "granularity", required_argument, NULL, 'g' },
		{ "sqnr", required_argument, NULL, 'q' },
		{ "plot-data", required_argument, NULL, 'P' },
		{ "calib-data", required_argument, NULL, 'k' },
		{ "calib-count", required_argument, NULL, 'K' },
		{ "labels", required_argument, NULL, 'L' },
		{ "repeat", required_argument, NULL, 'R' },
		{ "export-onnx", required_argument, NULL, 'X' },
		{ "rounding", required_argument, NULL, 'r' },
		{ "threads", required_argument, NULL, 'T' },
		{ "weight-bits", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c, ret;

	while ((c = getopt_long(argc, argv, "e:c:C:n:d:fs:p:j:i:o:g:q:P:k:K:L:R:X:r:w:T:h", opts,
				NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		ret = parse_option(c, optarg, r);
		if (ret)
			return ret;
	}
	if (optind < argc)
		r->model = argv[optind];
	if (optind + 1 < argc)
		return bad_option("one model at most (see --help)");
	return -1;
}

/* Tensor mode: .npy files in or out, or a program compiled from a calibration set. */
static bool tensor_mode(const struct dataset_run *r)
{
	static const char tensor_opts[] = "ioKkLR";
	size_t i;

	for (i = 0; tensor_opts[i]; i++) {
		if (r->given[(int)tensor_opts[i]])
			return true;
	}
	return false;
}

/* An option given that does not apply: which, and why. */
static int not_applicable(const char *opt, const char *why)
{
	fprintf(stderr, "npu-run: %s does not apply %s (see --help)\n", opt, why);
	return 2;
}

/* A compiled program takes no option of quantization; 0 or the exit status. */
static int check_program_options(const struct dataset_run *r)
{
	static const struct { int c; const char *name; } quantizing[] = {
		{ 'k', "--calib-data" }, { 'K', "--calib-count" }, { 'c', "--calib" },
		{ 'C', "--calib-images" }, { 'g', "--granularity" }, { 'r', "--rounding" },
		{ 'w', "--weight-bits" }, { 'X', "--export-onnx" },
	};
	size_t i;

	for (i = 0; r->program && i < sizeof(quantizing) / sizeof(quantizing[0]); i++) {
		if (r->given[quantizing[i].c])
			return not_applicable(quantizing[i].name,
					      "to a compiled program (it is quantized already)");
	}
	return 0;
}

/* The combinations of tensor mode's options that mean something; 0 or the exit status. */
static int check_tensor_options(struct dataset_run *r)
{
	static const struct { int c; const char *name; } dataset_only[] = {
		{ 'C', "--calib-images" }, { 'n', "--images" }, { 'd', "--dataset" },
		{ 'f', "--fp32" }, { 'q', "--sqnr" }, { 'P', "--plot-data" }, { 'j', "--json" },
	};
	size_t i;

	for (i = 0; i < sizeof(dataset_only) / sizeof(dataset_only[0]); i++) {
		if (r->given[dataset_only[i].c])
			return not_applicable(dataset_only[i].name,
					      "to .npy tensors (it is for the Fashion-MNIST mode)");
	}
	if (!!r->model == !!r->program)
		return bad_option("tensor mode takes a model or --program FILE, one of them");
	if (r->program && r->save)
		return not_applicable("--save", "to a compiled program (it is saved already)");
	if (r->given['K'] && !r->given['k'])
		return not_applicable("--calib-count", "without --calib-data");
	if (!r->ro.ninputs && (r->given['o'] || r->given['L'] || r->given['R']))
		return not_applicable("--output, --labels or --repeat", "without --input");
	if (!r->ro.ninputs && !(r->given['k'] && r->save))
		return bad_option("a model takes --input, or --calib-data and --save");
	r->ro.model = r->model;
	r->ro.program = r->program;
	r->ro.save = r->save;
	r->ro.calib_given = r->given['c'] || r->given['g'] || r->given['r'] || r->given['w'];
	return 0;
}

/* Quantize, calibrate and compile the model; FP32 accuracy, SQNR, plots. */
static int compile_model(struct dataset_run *r)
{
	struct npu_onnx_import_opts o = { .method = r->ro.method, .calib_count = r->calib,
					  .granularity = r->ro.granularity };
	uint8_t *tpx = idx(r->dataset, "train-images-idx3-ubyte.gz", 16, r->calib * PIX);
	float *cal = tpx ? to_float(tpx, r->calib * PIX) : NULL;
	struct npu_onnx *m;
	struct npu_graph *g;
	struct stat sb;
	char err[512];
	double t0;
	size_t i;
	int ret;

	if (!cal) {
		fprintf(stderr, "npu-run: cannot read calibration images\n");
		return 1;
	}
	o.calib_data = cal;
	o.progress = calib_progress;
	o.progress_arg = &t0;
	o.qdq_path = r->ro.export_onnx;
	o.rounding = r->ro.rounding;
	o.weight_bits = r->ro.weight_bits;
	o.sig = calloc(1, sizeof(*o.sig));
	t0 = now();
	if (!o.sig || npu_onnx_load(r->model, &m, err, sizeof(err)) ||
	    npu_onnx_import(m, &o, &g, err, sizeof(err))) {
		fprintf(stderr, "npu-run: %s\n", o.sig ? err : "out of memory");
		return 1;
	}
	/* the saved program runs on .npy tensors too (npu-run --program --input) */
	if (npu_compile(g, &r->prog) || npu_onnx_program_set_signature(r->prog, o.sig)) {
		fprintf(stderr, "npu-run: %s\n", npu_graph_error(g));
		return 1;
	}
	free(o.sig);
	o.sig = NULL;
	if (!stat(r->model, &sb))
		r->fp32_bytes = sb.st_size;
	if (r->fp32) {
		float *fo = malloc(sizeof(float) * 10 * r->images);

		if (!fo || npu_onnx_run_float(m, r->x, r->images, fo, err, sizeof(err))) {
			fprintf(stderr, "npu-run: FP32: %s\n", err);
			return 1;
		}
		for (i = 0; i < r->images; i++)
			r->fp_ok += argmax(fo + 10 * i, 10) == r->labels[i];
		free(fo);
	}
	if (r->sqnr_images &&
	    layer_sqnr(m, o, &r->ro, r->x, r->sqnr_images, &r->ls, &r->nl))
		return 1;
	if (r->plot &&
	    (ret = plot_data(r->plot, m, r->ro.method, cal, r->calib, r->ls, r->nl))) {
		fprintf(stderr, "npu-run: plot data in %s: %s\n", r->plot, npu_strerror(ret));
		return 1;
	}
	npu_graph_free(g);
	npu_onnx_free(m);
	free(cal);
	free(tpx);
	if (r->save && (ret = npu_program_save(r->prog, r->save))) {
		fprintf(stderr, "npu-run: %s: %s\n", r->save, npu_strerror(ret));
		return 1;
	}
	return 0;
}

/* Run every test image through the program on the executor. */
static int evaluate(struct dataset_run *r)
{
	struct npu_executor *exe;
	double t0;
	size_t i;
	int ret;

	if (r->ro.kind == NPU_EXEC_NPU) {
		ret = npu_device_open(0, &r->dev);
		if (!ret)
			ret = npu_device_counters(r->dev, &r->c0);
		if (ret) {
			fprintf(stderr, "npu-run: %s\n", npu_strerror(ret));
			return 1;
		}
	}
	ret = npu_executor_new(r->prog, r->ro.kind, r->dev, &exe);
	if (ret) {
		fprintf(stderr, "npu-run: executor %s: %s\n", r->ro.exec_name,
			npu_strerror(ret));
		return 1;
	}
	t0 = now();
	for (i = 0; i < r->images; i++) {
		const void *in[1] = { r->x + i * PIX };
		struct npu_job_result res;
		float out[10];
		void *outs[1] = { out };

		ret = npu_executor_run(exe, in, outs, &res);
		if (ret) {
			fprintf(stderr, "npu-run: image %zu: %s (%s)\n", i,
				npu_strerror(ret), npu_status_str(res.status));
			return 1;
		}
		r->cycles += res.cycles;
		r->ok += argmax(out, 10) == r->labels[i];
		progress(i + 1, r->images, t0);
	}
	r->secs = now() - t0;
	if (r->dev)
		npu_device_counters(r->dev, &r->c1);
	npu_executor_free(exe);
	return 0;
}

static void report_device(const struct dataset_run *r)
{
	const struct npu_counters *c0 = &r->c0, *c1 = &r->c1;
	double traffic = (c1->dram_read_bytes - c0->dram_read_bytes) +
			 (c1->dram_write_bytes - c0->dram_write_bytes);

	printf("device       %.2f GMAC, DRAM read %.1f MB, written %.1f MB, "
	       "SRAM read %.1f MB, written %.1f MB, %.1f M cycles\n",
	       (c1->macs - c0->macs) / 1e9,
	       (c1->dram_read_bytes - c0->dram_read_bytes) / 1e6,
	       (c1->dram_write_bytes - c0->dram_write_bytes) / 1e6,
	       (c1->sram_read_bytes - c0->sram_read_bytes) / 1e6,
	       (c1->sram_write_bytes - c0->sram_write_bytes) / 1e6,
	       (c1->cycles - c0->cycles) / 1e6);
	/* Every tensor the device moves is int8; in FP32 each is 4x. */
	printf("traffic      INT8 %.1f MB, the same run in FP32 about %.1f MB\n",
	       traffic / 1e6, 4 * traffic / 1e6);
}

static void report(const struct dataset_run *r)
{
	size_t n = r->images, i;

	printf("model        %s\n", r->model ? r->model : r->program);
	printf("executor     %s, %zu test images\n", r->ro.exec_name, n);
	if (r->fp32)
		printf("top-1        FP32 %.4f   INT8 %.4f   (%+.2f points)\n",
		       (double)r->fp_ok / n, (double)r->ok / n,
		       100.0 * ((double)r->ok - r->fp_ok) / n);
	else
		printf("top-1        INT8 %.4f\n", (double)r->ok / n);
	if (r->fp32_bytes)
		printf("size         FP32 model %" PRIu64 " bytes, INT8 weights %" PRIu64
		       " bytes (%.1fx smaller)\n", r->fp32_bytes, r->st.weight_bytes,
		       (double)r->fp32_bytes / r->st.weight_bytes);
	printf("program      %u device ops, %u CPU ops, activations %" PRIu64
	       " bytes (%" PRIu64 " without reuse)\n", r->st.device_ops, r->st.cpu_ops,
	       r->st.arena_bytes, r->st.arena_bytes_unshared);
	if (r->dev)
		report_device(r);
	printf("throughput   %.1f images/s (wall)\n", n / r->secs);
	if (r->nl) {
		printf("SQNR         per layer against FP32, %zu images (dB)\n", r->sqnr_images);
		for (i = 0; i < r->nl; i++)
			printf("  %-40s %6.1f\n", r->ls[i].name, sqnr_db(&r->ls[i]));
	}
}

static const char *calib_name(int method)
{
	return method == NPU_CALIB_MINMAX ? "minmax" :
	       method == NPU_CALIB_PERCENTILE ? "percentile" :
	       method == NPU_CALIB_ENTROPY ? "entropy" : "mse";
}

static int write_json(const struct dataset_run *r)
{
	const struct npu_counters *c0 = &r->c0, *c1 = &r->c1;
	FILE *f = fopen(r->json, "w");
	size_t i;

	if (!f) {
		perror(r->json);
		return 1;
	}
	fprintf(f, "{\n  \"executor\": \"%s\",\n  \"images\": %zu,\n"
		"  \"int8_top1\": %.4f,\n", r->ro.exec_name, r->images,
		(double)r->ok / r->images);
	if (r->fp32)
		fprintf(f, "  \"fp32_top1\": %.4f,\n", (double)r->fp_ok / r->images);
	fprintf(f, "  \"fp32_bytes\": %" PRIu64 ",\n  \"int8_bytes\": %" PRIu64 ",\n"
		"  \"images_per_s\": %.2f,\n  \"device_macs\": %" PRIu64 ",\n"
		"  \"dram_read_bytes\": %" PRIu64 ",\n  \"dram_write_bytes\": %" PRIu64
		",\n  \"cycles\": %" PRIu64, r->fp32_bytes, r->st.weight_bytes,
		r->images / r->secs, c1->macs - c0->macs,
		c1->dram_read_bytes - c0->dram_read_bytes,
		c1->dram_write_bytes - c0->dram_write_bytes,
		r->dev ? c1->cycles - c0->cycles : r->cycles);
	fprintf(f, ",\n  \"sram_read_bytes\": %" PRIu64 ",\n  \"sram_write_bytes\": %" PRIu64,
		c1->sram_read_bytes - c0->sram_read_bytes,
		c1->sram_write_bytes - c0->sram_write_bytes);
	fprintf(f, ",\n  \"granularity\": \"%s\"",
		r->ro.granularity == NPU_ONNX_PER_TENSOR ? "per-tensor" : "per-channel");
	if (r->model)
		fprintf(f, ",\n  \"calibration\": \"%s\",\n  \"calibration_images\": %zu",
			calib_name(r->ro.method), r->calib);
	if (r->nl) {
		fprintf(f, ",\n  \"sqnr_images\": %zu,\n  \"layers\": [", r->sqnr_images);
		for (i = 0; i < r->nl; i++)
			fprintf(f, "%s\n    { \"name\": \"%s\", \"sqnr_db\": %.3f }",
				i ? "," : "", r->ls[i].name,
				isinf(sqnr_db(&r->ls[i])) ? 999.0 : sqnr_db(&r->ls[i]));
		fprintf(f, "\n  ]");
	}
	fprintf(f, "\n}\n");
	fclose(f);
	return 0;
}

/* Dataset mode: compile (or load) a program, evaluate it, report. */
static int run_dataset(struct dataset_run *r)
{
	int ret;

	if (r->plot && !r->sqnr_images)
		r->sqnr_images = 100;
	if (r->sqnr_images > r->images)
		r->sqnr_images = r->images;
	if (!r->model == !r->program || !r->images || r->images > 10000 || !r->calib ||
	    r->calib > 60000) {
		fprintf(stderr, "npu-run: give a model or --program (see --help); "
			"1..10000 images, 1..60000 calibration images\n");
		return 2;
	}
	r->px = idx(r->dataset, "t10k-images-idx3-ubyte.gz", 16, r->images * PIX);
	r->labels = idx(r->dataset, "t10k-labels-idx1-ubyte.gz", 8, r->images);
	r->x = r->px ? to_float(r->px, r->images * PIX) : NULL;
	if (!r->px || !r->labels || !r->x) {
		fprintf(stderr, "npu-run: cannot read the dataset in %s\n", r->dataset);
		return 1;
	}
	if (r->model) {
		if (compile_model(r))
			return 1;
	} else if ((ret = npu_program_load(r->program, &r->prog))) {
		fprintf(stderr, "npu-run: %s: %s\n", r->program, npu_strerror(ret));
		return 1;
	}
	npu_program_stats(r->prog, &r->st);
	if (evaluate(r))
		return 1;
	report(r);
	return r->json ? write_json(r) : 0;
}

int main(int argc, char **argv)
{
	struct dataset_run r = {
		.dataset = "/usr/share/datasets/fashion-mnist",
		.calib = 200, .images = 10000,
		.ro = { .kind = NPU_EXEC_NPU, .exec_name = "npu",
			.method = NPU_CALIB_MINMAX },
	};
	int ret = parse_args(argc, argv, &r);

	if (ret >= 0)
		return ret;
	ret = check_program_options(&r);
	if (ret)
		return ret;
	if (r.given['T'] && r.ro.kind != NPU_EXEC_EMU)
		return not_applicable("--threads", "to the npu and ref executors (the device, "
				      "the reference: one thread each)");
	if (tensor_mode(&r)) {
		ret = check_tensor_options(&r);
		return ret ? ret : run_tensors(&r.ro);
	}
	ret = run_dataset(&r);
	npu_program_free(r.prog);
	npu_device_close(r.dev);
	free(r.px);
	free(r.labels);
	free(r.x);
	free(r.ls);
	return ret;
}
