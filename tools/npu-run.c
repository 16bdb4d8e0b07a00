// SPDX-License-Identifier: MIT
/*
 * npu-run: quantize an FP32 ONNX model by calibration, compile it, and
 * evaluate it on a dataset with a chosen executor; or run a program
 * compiled earlier (--program). Reports INT8 (and FP32) top-1, model size,
 * device counters and throughput; --json for machines.
 *
 *   npu-run [options] [MODEL.onnx]
 *     --executor npu|emu|ref    where to run (default npu)
 *     --calib minmax|percentile|entropy|mse   (default minmax)
 *     --calib-images N          calibration images (default 200)
 *     --images N                test images to evaluate (default 10000)
 *     --dataset DIR             Fashion-MNIST IDX files (default Debian's)
 *     --fp32                    also evaluate the FP32 model (CPU, slow)
 *     --save FILE               write the compiled program
 *     --program FILE            run a compiled program instead of a model
 *     --json FILE               results as JSON
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <npu/graph.h>
#include <npu/onnx.h>

#define PIX (28 * 28)

static double now(void)
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

static void progress(size_t done, size_t total, double t0)
{
	if (!isatty(2) || getenv("NPU_RUN_QUIET") || (done % 100 && done != total))
		return;
	fprintf(stderr, "\r  %5zu/%zu images  %5.0f images/s", done, total,
		done / (now() - t0 + 1e-9));
	if (done == total)
		fprintf(stderr, "\n");
}

static int calib_method(const char *s)
{
	return !strcmp(s, "minmax") ? NPU_CALIB_MINMAX :
	       !strcmp(s, "percentile") ? NPU_CALIB_PERCENTILE :
	       !strcmp(s, "entropy") ? NPU_CALIB_ENTROPY :
	       !strcmp(s, "mse") ? NPU_CALIB_MSE : -1;
}

int main(int argc, char **argv)
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
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *dataset = "/usr/share/datasets/fashion-mnist", *exec_name = "npu";
	const char *save = NULL, *program = NULL, *json = NULL, *model = NULL;
	size_t calib = 200, images = 10000, i, ok = 0, fp_ok = 0;
	int method = NPU_CALIB_MINMAX, fp32 = 0, c, ret;
	enum npu_executor_kind kind = NPU_EXEC_NPU;
	struct npu_counters c0 = { 0 }, c1 = { 0 };
	struct npu_program_stats st = { 0 };
	struct npu_device *dev = NULL;
	struct npu_program *prog = NULL;
	struct npu_executor *exe;
	uint64_t cycles = 0, fp32_bytes = 0;
	uint8_t *px, *labels;
	float *x;
	double t0, secs;
	char err[512];

	while ((c = getopt_long(argc, argv, "e:c:C:n:d:fs:p:j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			exec_name = optarg;
			if (!strcmp(optarg, "npu"))
				kind = NPU_EXEC_NPU;
			else if (!strcmp(optarg, "emu"))
				kind = NPU_EXEC_EMU;
			else if (!strcmp(optarg, "ref"))
				kind = NPU_EXEC_REF;
			else {
				fprintf(stderr, "npu-run: --executor is npu, emu or ref\n");
				return 2;
			}
			break;
		case 'c':
			method = calib_method(optarg);
			if (method < 0) {
				fprintf(stderr, "npu-run: --calib is minmax, percentile, entropy or mse\n");
				return 2;
			}
			break;
		case 'C':
			calib = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			images = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			dataset = optarg;
			break;
		case 'f':
			fp32 = 1;
			break;
		case 's':
			save = optarg;
			break;
		case 'p':
			program = optarg;
			break;
		case 'j':
			json = optarg;
			break;
		case 'h':
			printf("usage: npu-run [--executor npu|emu|ref] [--calib METHOD] "
			       "[--calib-images N] [--images N] [--dataset DIR] [--fp32] "
			       "[--save FILE] [--program FILE] [--json FILE] [MODEL.onnx]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc)
		model = argv[optind];
	if (!model == !program || !images || images > 10000 || !calib ||
	    calib > 60000) {
		fprintf(stderr, "npu-run: give a model or --program (see --help); "
			"1..10000 images, 1..60000 calibration images\n");
		return 2;
	}

	px = idx(dataset, "t10k-images-idx3-ubyte.gz", 16, images * PIX);
	labels = idx(dataset, "t10k-labels-idx1-ubyte.gz", 8, images);
	x = px ? to_float(px, images * PIX) : NULL;
	if (!px || !labels || !x) {
		fprintf(stderr, "npu-run: cannot read the dataset in %s\n", dataset);
		return 1;
	}

	if (model) {
		struct npu_onnx_import_opts o = { .method = method, .calib_count = calib };
		uint8_t *tpx = idx(dataset, "train-images-idx3-ubyte.gz", 16, calib * PIX);
		float *cal = tpx ? to_float(tpx, calib * PIX) : NULL;
		struct npu_onnx *m;
		struct npu_graph *g;
		struct stat sb;

		if (!cal) {
			fprintf(stderr, "npu-run: cannot read calibration images\n");
			return 1;
		}
		o.calib_data = cal;
		if (npu_onnx_load(model, &m, err, sizeof(err)) ||
		    npu_onnx_import(m, &o, &g, err, sizeof(err))) {
			fprintf(stderr, "npu-run: %s\n", err);
			return 1;
		}
		if (npu_compile(g, &prog)) {
			fprintf(stderr, "npu-run: %s\n", npu_graph_error(g));
			return 1;
		}
		if (!stat(model, &sb))
			fp32_bytes = sb.st_size;
		if (fp32) {
			float *fo = malloc(sizeof(float) * 10 * images);

			if (!fo || npu_onnx_run_float(m, x, images, fo, err, sizeof(err))) {
				fprintf(stderr, "npu-run: FP32: %s\n", err);
				return 1;
			}
			for (i = 0; i < images; i++)
				fp_ok += argmax(fo + 10 * i, 10) == labels[i];
			free(fo);
		}
		npu_graph_free(g);
		npu_onnx_free(m);
		free(cal);
		free(tpx);
		if (save && (ret = npu_program_save(prog, save))) {
			fprintf(stderr, "npu-run: %s: %s\n", save, npu_strerror(ret));
			return 1;
		}
	} else if ((ret = npu_program_load(program, &prog))) {
		fprintf(stderr, "npu-run: %s: %s\n", program, npu_strerror(ret));
		return 1;
	}
	npu_program_stats(prog, &st);

	if (kind == NPU_EXEC_NPU) {
		ret = npu_device_open(0, &dev);
		if (!ret)
			ret = npu_device_counters(dev, &c0);
		if (ret) {
			fprintf(stderr, "npu-run: %s\n", npu_strerror(ret));
			return 1;
		}
	}
	ret = npu_executor_new(prog, kind, dev, &exe);
	if (ret) {
		fprintf(stderr, "npu-run: executor %s: %s\n", exec_name,
			npu_strerror(ret));
		return 1;
	}
	t0 = now();
	for (i = 0; i < images; i++) {
		const void *in[1] = { x + i * PIX };
		struct npu_job_result r;
		float out[10];
		void *outs[1] = { out };

		ret = npu_executor_run(exe, in, outs, &r);
		if (ret) {
			fprintf(stderr, "npu-run: image %zu: %s (%s)\n", i,
				npu_strerror(ret), npu_status_str(r.status));
			return 1;
		}
		cycles += r.cycles;
		ok += argmax(out, 10) == labels[i];
		progress(i + 1, images, t0);
	}
	secs = now() - t0;
	if (dev)
		npu_device_counters(dev, &c1);

	printf("model        %s\n", model ? model : program);
	printf("executor     %s, %zu test images\n", exec_name, images);
	if (fp32)
		printf("top-1        FP32 %.4f   INT8 %.4f   (%+.2f points)\n",
		       (double)fp_ok / images, (double)ok / images,
		       100.0 * ((double)ok - fp_ok) / images);
	else
		printf("top-1        INT8 %.4f\n", (double)ok / images);
	if (fp32_bytes)
		printf("size         FP32 model %" PRIu64 " bytes, INT8 weights %" PRIu64
		       " bytes (%.1fx smaller)\n", fp32_bytes, st.weight_bytes,
		       (double)fp32_bytes / st.weight_bytes);
	printf("program      %u device ops, %u CPU ops, activations %" PRIu64
	       " bytes (%" PRIu64 " without reuse)\n", st.device_ops, st.cpu_ops,
	       st.arena_bytes, st.arena_bytes_unshared);
	if (dev) {
		double traffic = (c1.dram_read_bytes - c0.dram_read_bytes) +
				 (c1.dram_write_bytes - c0.dram_write_bytes);

		printf("device       %.2f GMAC, DRAM read %.1f MB, written %.1f MB, "
		       "%.1f M cycles\n", (c1.macs - c0.macs) / 1e9,
		       (c1.dram_read_bytes - c0.dram_read_bytes) / 1e6,
		       (c1.dram_write_bytes - c0.dram_write_bytes) / 1e6,
		       (c1.cycles - c0.cycles) / 1e6);
		/* Every tensor the device moves is int8; in FP32 each is 4x. */
		printf("traffic      INT8 %.1f MB, the same run in FP32 about %.1f MB\n",
		       traffic / 1e6, 4 * traffic / 1e6);
	}
	printf("throughput   %.1f images/s (wall)\n", images / secs);
	if (json) {
		FILE *f = fopen(json, "w");

		if (!f) {
			perror(json);
			return 1;
		}
		fprintf(f, "{\n  \"executor\": \"%s\",\n  \"images\": %zu,\n"
			"  \"int8_top1\": %.4f,\n", exec_name, images, (double)ok / images);
		if (fp32)
			fprintf(f, "  \"fp32_top1\": %.4f,\n", (double)fp_ok / images);
		fprintf(f, "  \"fp32_bytes\": %" PRIu64 ",\n  \"int8_bytes\": %" PRIu64 ",\n"
			"  \"images_per_s\": %.2f,\n  \"device_macs\": %" PRIu64 ",\n"
			"  \"dram_read_bytes\": %" PRIu64 ",\n  \"dram_write_bytes\": %" PRIu64
			",\n  \"cycles\": %" PRIu64 "\n}\n", fp32_bytes, st.weight_bytes,
			images / secs, c1.macs - c0.macs,
			c1.dram_read_bytes - c0.dram_read_bytes,
			c1.dram_write_bytes - c0.dram_write_bytes,
			dev ? c1.cycles - c0.cycles : cycles);
		fclose(f);
	}
	npu_executor_free(exe);
	npu_program_free(prog);
	npu_device_close(dev);
	free(px);
	free(labels);
	free(x);
	return 0;
}
