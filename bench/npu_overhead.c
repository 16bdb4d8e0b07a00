// SPDX-License-Identifier: MIT
/*
 * npu_overhead: the fixed cost of running a job through the qnpu driver,
 * measured from userspace inside a VM (libnpu -> SUBMIT/WAIT ioctls ->
 * drm_sched -> ring -> device -> interrupt -> WAIT returns).
 *
 *   npu_overhead [--device N] [--jobs N] [--seconds S] [--threads T]
 *                [--window W] [--conv-jobs N] [--json FILE]
 *
 * - Round trip of an empty job (a 32-byte command buffer, header only,
 *   count 0: the cheapest job the device accepts, docs/hardware.md 10.3):
 *   submit -> wait returns, median and p99 over --jobs jobs, one submitter.
 * - Throughput of empty jobs, jobs/s, with 1 and with --threads submitters,
 *   each thread its own device handle (its own file, MMU context and
 *   drm_sched entities), for --seconds each, in two modes: "submit+wait"
 *   (one job in flight per submitter) and "window W" (each submitter keeps
 *   W jobs in flight, waiting for the oldest before submitting the next).
 * - A mid-size CONV2D job (1x28x28x64 -> 64, 3x3, stride 1, pad 1, packed
 *   weights, per-tensor requantization): round trip, the device's
 *   modelled cycles, and the share of the round trip that is fixed cost:
 *   empty-job median / conv-job median.
 *
 * Every job of a file names its command-buffer BO, which the driver fences
 * read-write (docs/driver.md), so consecutive jobs of one submitter depend
 * on each other; drm_sched pipelines such same-scheduler dependencies, so
 * a window still keeps the ring fed.
 *
 * Prints a table; --json FILE writes a list of {"name", "value", "unit"}.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <npu/npu.h>

#include "qnpu_cmdbuf.h"
#include "qnpu_regs.h"

#define WAIT_NS		(10 * 1000000000ll)
#define WARMUP_JOBS	20
#define MAX_WINDOW	64

/* The convolution: NHWC input, C_out outputs, square kernel, "same" pad. */
#define CONV_H		28
#define CONV_W		28
#define CONV_CIN	64
#define CONV_COUT	64
#define CONV_K		3
#define CONV_NAME	"conv 1x28x28x64->64 3x3"

/**
 * struct report - where results go
 * @json: the --json file, or NULL
 * @items: entries written to @json so far
 */
struct report {
	FILE *json;
	int items;
};

static void report(struct report *r, const char *name, double value,
		   const char *unit)
{
	printf("  %-50s %12.1f %s\n", name, value, unit);
	if (r->json)
		fprintf(r->json, "%s\n  {\"name\": \"%s\", \"value\": %.3f, \"unit\": \"%s\"}",
			r->items++ ? "," : "", name, value, unit);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile @p (0..1] of @n values, sorted in place. */
static double percentile(double *v, size_t n, double p)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_double);
	i = (size_t)ceil(p * n);
	return v[i ? i - 1 : 0];
}

/**
 * struct empty_job - a device handle with an empty job ready to submit
 * @dev: the handle (one file)
 * @cb: the command-buffer BO
 * @job: the job: the 32-byte header at offset 0 of @cb, no other BO
 */
struct empty_job {
	struct npu_device *dev;
	struct npu_buffer *cb;
	struct npu_job job;
};

static void empty_job_fini(struct empty_job *e)
{
	npu_buffer_free(e->cb);
	npu_device_close(e->dev);
	memset(e, 0, sizeof(*e));
}

static int empty_job_init(struct empty_job *e, unsigned int index)
{
	struct qnpu_cmdbuf_header *h;
	int ret;

	memset(e, 0, sizeof(*e));
	ret = npu_device_open(index, &e->dev);
	if (!ret)
		ret = npu_buffer_new(e->dev, 4096, 0, &e->cb);
	if (!ret)
		ret = npu_buffer_map(e->cb, (void **)&h);
	if (ret) {
		empty_job_fini(e);
		return ret;
	}
	*h = (struct qnpu_cmdbuf_header){ .magic = QNPU_CMDBUF_MAGIC,
		.version = QNPU_CMDBUF_VERSION, .size = sizeof(*h) };
	e->job.cmdbuf = e->cb;
	e->job.size = sizeof(*h);
	e->job.priority = NPU_PRIORITY_NORMAL;
	return 0;
}

/* Submit @job and wait for it; 0 when it ended OK. */
static int run_job(struct npu_device *dev, const struct npu_job *job,
		   struct npu_job_result *res)
{
	uint64_t id;
	int ret;

	ret = npu_submit(dev, job, &id);
	if (!ret)
		ret = npu_wait(dev, id, WAIT_NS, res);
	if (!ret && res->status != QNPU_STATUS_OK) {
		fprintf(stderr, "npu_overhead: job %llu: %s\n",
			(unsigned long long)id, npu_status_str(res->status));
		return -EIO;
	}
	return ret;
}

/**
 * struct latency - round trips of one job, timed one at a time
 * @rt_median: submit -> wait returns, median, us
 * @rt_p99: the same, 99th percentile, us
 * @submit_median: the submit call alone, median, us
 * @cycles: modelled device cycles of the last job
 */
struct latency {
	double rt_median;
	double rt_p99;
	double submit_median;
	uint64_t cycles;
};

static int measure_latency(struct npu_device *dev, const struct npu_job *job,
			   unsigned int n, struct latency *out)
{
	double *rt = calloc(n, sizeof(*rt)), *sub = calloc(n, sizeof(*sub));
	struct npu_job_result res;
	unsigned int i;
	int ret = 0;

	if (!rt || !sub) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < WARMUP_JOBS && !ret; i++)
		ret = run_job(dev, job, &res);
	for (i = 0; i < n && !ret; i++) {
		double t0, t1, t2;
		uint64_t id;

		t0 = now();
		ret = npu_submit(dev, job, &id);
		t1 = now();
		if (!ret)
			ret = npu_wait(dev, id, WAIT_NS, &res);
		t2 = now();
		if (!ret && res.status != QNPU_STATUS_OK) {
			fprintf(stderr, "npu_overhead: job %llu: %s\n",
				(unsigned long long)id,
				npu_status_str(res.status));
			ret = -EIO;
		}
		rt[i] = (t2 - t0) * 1e6;
		sub[i] = (t1 - t0) * 1e6;
	}
	if (!ret) {
		out->rt_median = percentile(rt, n, 0.5);
		out->rt_p99 = percentile(rt, n, 0.99);
		out->submit_median = percentile(sub, n, 0.5);
		out->cycles = res.cycles;
	}
out:
	free(rt);
	free(sub);
	return ret;
}

/**
 * struct tput_run - one throughput measurement, shared by its threads
 * @index: device index
 * @window: jobs each submitter keeps in flight
 * @seconds: how long each submitter keeps submitting
 * @start: releases the submitters together, once all are set up
 */
struct tput_run {
	unsigned int index;
	unsigned int window;
	double seconds;
	pthread_barrier_t start;
};

/**
 * struct tput_thread - one submitter
 * @run: the measurement
 * @jobs: jobs completed OK
 * @t0: when it started submitting
 * @t1: when its last job had ended
 * @err: 0 or the first error
 */
struct tput_thread {
	struct tput_run *run;
	uint64_t jobs;
	double t0, t1;
	int err;
};

static int tput_loop(struct tput_thread *t, struct empty_job *e)
{
	const unsigned int window = t->run->window;
	uint64_t ids[MAX_WINDOW];
	unsigned int head = 0, inflight = 0;
	struct npu_job_result res;
	double deadline = t->t0 + t->run->seconds;
	int ret;

	for (;;) {
		if (inflight < window && now() < deadline) {
			ret = npu_submit(e->dev, &e->job,
					 &ids[(head + inflight) % window]);
			if (!ret) {
				inflight++;
				continue;
			}
			if (ret != -EBUSY || !inflight)
				return ret;
		}
		if (!inflight)
			return 0;
		ret = npu_wait(e->dev, ids[head], WAIT_NS, &res);
		if (ret)
			return ret;
		if (res.status != QNPU_STATUS_OK)
			return -EIO;
		t->jobs++;
		head = (head + 1) % window;
		inflight--;
	}
}

static void *tput_thread(void *arg)
{
	struct tput_thread *t = arg;
	struct npu_job_result res;
	struct empty_job e;

	t->err = empty_job_init(&e, t->run->index);
	if (!t->err)
		t->err = run_job(e.dev, &e.job, &res);	/* warm-up */
	pthread_barrier_wait(&t->run->start);
	if (!t->err) {
		t->t0 = now();
		t->err = tput_loop(t, &e);
		t->t1 = now();
	}
	empty_job_fini(&e);
	return NULL;
}

/**
 * measure_tput() - empty jobs/s of @threads submitters
 * @index: device index
 * @threads: submitters, one device handle each
 * @window: jobs each keeps in flight (1: submit+wait)
 * @seconds: duration
 * @rate: out: jobs/s, all submitters together
 * @spread: out: slowest and fastest submitter, jobs/s
 */
static int measure_tput(unsigned int index, unsigned int threads,
			unsigned int window, double seconds, double *rate,
			double spread[2])
{
	struct tput_run run = { .index = index, .window = window,
				.seconds = seconds };
	struct tput_thread *t = calloc(threads, sizeof(*t));
	pthread_t *tid = calloc(threads, sizeof(*tid));
	double t0 = 0, t1 = 0;
	uint64_t jobs = 0;
	unsigned int i;
	int ret = 0;

	if (!t || !tid || pthread_barrier_init(&run.start, NULL, threads)) {
		free(t);
		free(tid);
		return -ENOMEM;
	}
	for (i = 0; i < threads; i++) {
		t[i].run = &run;
		ret = pthread_create(&tid[i], NULL, tput_thread, &t[i]);
		if (ret) {
			/* Those started would wait at the barrier for ever. */
			fprintf(stderr, "npu_overhead: pthread_create: %s\n",
				strerror(ret));
			exit(1);
		}
	}
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	spread[0] = INFINITY;
	spread[1] = 0;
	for (i = 0; i < threads && !ret; i++) {
		double r;

		ret = t[i].err;
		if (ret)
			break;
		if (!i || t[i].t0 < t0)
			t0 = t[i].t0;
		if (t[i].t1 > t1)
			t1 = t[i].t1;
		jobs += t[i].jobs;
		r = t[i].jobs / (t[i].t1 - t[i].t0);
		spread[0] = fmin(spread[0], r);
		spread[1] = fmax(spread[1], r);
	}
	if (!ret)
		*rate = jobs / (t1 - t0);
	pthread_barrier_destroy(&run.start);
	free(t);
	free(tid);
	return ret;
}

/**
 * struct conv_job - a CONV2D job and its buffers
 * @cb: command buffer
 * @in: 1 x H x W x C_in int8
 * @w: packed weights, device read-only
 * @bias: C_out int32
 * @out: 1 x H x W x C_out int8
 * @bufs: the BOs of the job
 * @job: the job
 * @macs: multiply-accumulates per run
 */
struct conv_job {
	struct npu_buffer *cb, *in, *w, *bias, *out;
	struct npu_buffer *bufs[4];
	struct npu_job job;
	uint64_t macs;
};

static void conv_job_fini(struct conv_job *c)
{
	npu_buffer_free(c->cb);
	npu_buffer_free(c->in);
	npu_buffer_free(c->w);
	npu_buffer_free(c->bias);
	npu_buffer_free(c->out);
}

static struct qnpu_tensor tensor8(uint64_t addr, uint32_t h, uint32_t w,
				  uint32_t c)
{
	return (struct qnpu_tensor){
		.addr = addr, .dim = { 1, h, w, c },
		.stride = { h * w * c, w * c, c, 1 }, .dtype = QNPU_DTYPE_INT8,
	};
}

static int conv_job_init(struct conv_job *c, struct npu_device *dev,
			 const struct npu_device_info *info)
{
	const uint32_t taps = CONV_K * CONV_K * CONV_CIN;
	const size_t in_bytes = CONV_H * CONV_W * CONV_CIN;
	const size_t out_bytes = CONV_H * CONV_W * CONV_COUT;
	/* Packed layout, docs/hardware.md 13.3.2: 16 x 4 blocks. */
	const size_t w_bytes = (size_t)(CONV_COUT + 15) / 16 * 16 *
			       ((taps + 3) / 4 * 4);
	struct qnpu_cmdbuf_header *h;
	struct qnpu_desc_conv2d *d;
	int8_t *in, *w;
	int32_t *bias;
	size_t i;
	int ret;

	memset(c, 0, sizeof(*c));
	if (!(info->ops & (1ull << QNPU_OP_CONV2D)) || info->max_k < taps ||
	    info->max_dim < CONV_CIN || info->max_dim < CONV_COUT)
		return -EOPNOTSUPP;
	ret = npu_buffer_new(dev, 4096, 0, &c->cb);
	if (!ret)
		ret = npu_buffer_new(dev, in_bytes, 0, &c->in);
	if (!ret)
		ret = npu_buffer_new(dev, w_bytes, NPU_BUFFER_DEVICE_READONLY,
				     &c->w);
	if (!ret)
		ret = npu_buffer_new(dev, CONV_COUT * sizeof(int32_t), 0,
				     &c->bias);
	if (!ret)
		ret = npu_buffer_new(dev, out_bytes, 0, &c->out);
	if (!ret)
		ret = npu_buffer_map(c->cb, (void **)&h);
	if (!ret)
		ret = npu_buffer_map(c->in, (void **)&in);
	if (!ret)
		ret = npu_buffer_map(c->w, (void **)&w);
	if (!ret)
		ret = npu_buffer_map(c->bias, (void **)&bias);
	if (ret) {
		conv_job_fini(c);
		return ret;
	}
	/* Any bytes make valid packed weights: C_out and K need no padding. */
	for (i = 0; i < in_bytes; i++)
		in[i] = (int8_t)(i * 37 + 11);
	for (i = 0; i < w_bytes; i++)
		w[i] = (int8_t)((i * 53 + 7) % 15) - 7;
	for (i = 0; i < CONV_COUT; i++)
		bias[i] = (int32_t)(i * 100) - 3200;

	memset(h, 0, 4096);
	d = (void *)(h + 1);
	d->hdr = (struct qnpu_desc_header){ QNPU_OP_CONV2D, 1, 0, sizeof(*d) };
	d->input = tensor8(npu_buffer_addr(c->in), CONV_H, CONV_W, CONV_CIN);
	d->output = tensor8(npu_buffer_addr(c->out), CONV_H, CONV_W, CONV_COUT);
	d->weights = npu_buffer_addr(c->w);
	d->bias = npu_buffer_addr(c->bias);
	d->kernel_h = d->kernel_w = CONV_K;
	d->stride_h = d->stride_w = 1;
	d->dilation_h = d->dilation_w = 1;
	d->pad_top = d->pad_left = d->pad_bottom = d->pad_right = CONV_K / 2;
	d->groups = 1;
	d->requant = (struct qnpu_requant){ .multiplier = 1 << 30, .shift = -8,
		.act_min = -128, .act_max = 127,
		.rounding = info->features & QNPU_FEATURE_ROUND_DOUBLE ?
			    QNPU_ROUND_DOUBLE : QNPU_ROUND_SINGLE };
	*h = (struct qnpu_cmdbuf_header){ .magic = QNPU_CMDBUF_MAGIC,
		.version = QNPU_CMDBUF_VERSION, .size = sizeof(*h) + sizeof(*d),
		.count = 1 };

	c->bufs[0] = c->in;
	c->bufs[1] = c->w;
	c->bufs[2] = c->bias;
	c->bufs[3] = c->out;
	c->job.cmdbuf = c->cb;
	c->job.size = h->size;
	c->job.buffers = c->bufs;
	c->job.buffer_count = 4;
	c->job.priority = NPU_PRIORITY_NORMAL;
	c->macs = (uint64_t)CONV_H * CONV_W * CONV_COUT * taps;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: npu_overhead [--device N] [--jobs N] [--seconds S] "
		"[--threads T]\n"
		"                    [--window W] [--conv-jobs N] [--json FILE]\n");
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "npu_overhead: %s: %s\n", what, npu_strerror(err));
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "jobs", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "window", required_argument, NULL, 'w' },
		{ "conv-jobs", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	unsigned int index = 0, jobs = 2000, threads = 8, window = 8;
	unsigned int conv_jobs = 200, ti, wi;
	struct report rep = { 0 };
	const char *json = NULL;
	struct npu_device_info info;
	struct latency empty, conv;
	struct empty_job e;
	struct conv_job cj;
	double seconds = 2.0, share;
	char name[128];
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			index = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			jobs = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seconds = strtod(optarg, NULL);
			break;
		case 't':
			threads = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			window = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			conv_jobs = strtoul(optarg, NULL, 0);
			break;
		case 'j':
			json = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !jobs || !conv_jobs || !threads || !window ||
	    window > MAX_WINDOW || !(seconds > 0)) {
		usage(stderr);
		return 2;
	}

	ret = empty_job_init(&e, index);
	if (ret)
		return fail("open device", ret);
	ret = npu_device_info(e.dev, &info);
	if (ret)
		return fail("device info", ret);
	if (json) {
		rep.json = fopen(json, "w");
		if (!rep.json) {
			perror(json);
			return 1;
		}
		fprintf(rep.json, "[");
	}

	printf("qnpu driver overhead, %s: %ux%u MACs at %u MHz, driver %u.%u.%u\n",
	       info.path, info.mac_rows, info.mac_cols, info.clock_mhz,
	       info.driver_version >> 16, (info.driver_version >> 8) & 0xff,
	       info.driver_version & 0xff);
	printf("empty job = 32-byte command buffer (header, 0 descriptors), "
	       "no BO but its own\n\n");

	ret = measure_latency(e.dev, &e.job, jobs, &empty);
	if (ret)
		return fail("empty jobs", ret);
	snprintf(name, sizeof(name), "empty job round trip, median of %u", jobs);
	report(&rep, name, empty.rt_median, "us");
	snprintf(name, sizeof(name), "empty job round trip, p99 of %u", jobs);
	report(&rep, name, empty.rt_p99, "us");
	report(&rep, "empty job submit call alone, median", empty.submit_median,
	       "us");

	for (ti = 0; ti < 2; ti++) {
		unsigned int n = ti ? threads : 1;

		if (ti && threads == 1)
			break;
		for (wi = 0; wi < 2; wi++) {
			unsigned int w = wi ? window : 1;
			double rate, spread[2];

			if (wi && window == 1)
				break;
			ret = measure_tput(index, n, w, seconds, &rate, spread);
			if (ret)
				return fail("throughput", ret);
			if (w == 1)
				snprintf(name, sizeof(name),
					 "empty jobs/s, %u submitter%s, submit+wait",
					 n, n > 1 ? "s" : "");
			else
				snprintf(name, sizeof(name),
					 "empty jobs/s, %u submitter%s, %u in flight each",
					 n, n > 1 ? "s" : "", w);
			report(&rep, name, rate, "jobs/s");
			if (n > 1)
				printf("  %-50s %12s (%.0f..%.0f jobs/s per file)\n",
				       "", "", spread[0], spread[1]);
		}
	}

	ret = conv_job_init(&cj, e.dev, &info);
	if (ret)
		return fail("conv job", ret);
	ret = measure_latency(e.dev, &cj.job, conv_jobs, &conv);
	if (ret)
		return fail("conv jobs", ret);
	snprintf(name, sizeof(name), CONV_NAME " round trip, median of %u",
		 conv_jobs);
	report(&rep, name, conv.rt_median, "us");
	snprintf(name, sizeof(name), CONV_NAME " round trip, p99 of %u",
		 conv_jobs);
	report(&rep, name, conv.rt_p99, "us");
	report(&rep, CONV_NAME " modelled device cycles", conv.cycles,
	       "cycles");
	report(&rep, CONV_NAME " modelled device time",
	       info.clock_mhz ? (double)conv.cycles / info.clock_mhz : 0, "us");
	/* Fixed cost of going through the driver, relative to the whole. */
	share = 100.0 * empty.rt_median / conv.rt_median;
	report(&rep, "empty / conv round trip (fixed-cost share)", share, "%");
	printf("\n(%.1f M MACs per conv job; times are wall clock in the guest)\n",
	       cj.macs / 1e6);

	if (rep.json) {
		fprintf(rep.json, "\n]\n");
		fclose(rep.json);
	}
	conv_job_fini(&cj);
	empty_job_fini(&e);
	return 0;
}
