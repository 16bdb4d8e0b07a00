// SPDX-License-Identifier: MIT
/*
 * npu-top: live per-device utilisation, jobs and counters of qnpu devices,
 * refreshed like top. Busy time is the device's modelled cycles over the
 * wall time of each interval.
 *
 *   npu-top [-d SECONDS] [-n ITERATIONS] [--once]
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <npu/npu.h>

#define MAX_DEV 16

struct sample {
	struct npu_counters c;
	double t;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void human(char *buf, size_t len, double v, const char *unit)
{
	const char *pre[] = { "", "K", "M", "G", "T", "P" };
	int i = 0;

	while (v >= 1000 && i < 5) {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, "%.1f %s%s", v, pre[i], unit);
}

struct top_opts {
	double delay;
	long iterations;	/* -1: until interrupted */
};

/* 0 to go on, or the exit status. */
static int parse_args(int argc, char **argv, struct top_opts *o)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "once", no_argument, NULL, '1' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c;

	while ((c = getopt_long(argc, argv, "d:n:1h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->delay = atof(optarg);
			break;
		case 'n':
			o->iterations = atol(optarg);
			break;
		case '1':
			o->iterations = 1;
			break;
		case 'h':
			printf("usage: npu-top [-d SECONDS] [-n ITERATIONS] [--once]\n");
			exit(0);
		default:
			return 2;
		}
	}
	if (o->delay <= 0 || o->delay > 3600) {
		fprintf(stderr, "npu-top: delay must be in (0, 3600] seconds\n");
		return 2;
	}
	return 0;
}

/* One device's line: rates since its previous sample, which it replaces. */
static void print_device(int i, struct npu_device *dev, const struct npu_device_info *info,
			 struct sample *prev)
{
	struct sample s;
	double dt, busy, hz = info->clock_mhz * 1e6;
	char macs[32], rd[32], wr[32];

	if (npu_device_counters(dev, &s.c)) {
		printf("npu%-3d (gone)\n", i);
		return;
	}
	s.t = now();
	dt = s.t - prev->t;
	busy = 100.0 * (s.c.cycles - prev->c.cycles) / (hz * dt);
	human(macs, sizeof(macs), (s.c.macs - prev->c.macs) / dt, "");
	human(rd, sizeof(rd), (s.c.dram_read_bytes - prev->c.dram_read_bytes) / dt, "B");
	human(wr, sizeof(wr), (s.c.dram_write_bytes - prev->c.dram_write_bytes) / dt, "B");
	printf("npu%-3d %5.1f%% %9.1f %9" PRIu64 " %6" PRIu64 " %12s %12s %12s %7" PRIu64 "\n",
	       i, busy > 100 ? 100 : busy, (s.c.jobs - prev->c.jobs) / dt, s.c.jobs,
	       s.c.errors, macs, rd, wr, s.c.resets);
	*prev = s;
}

int main(int argc, char **argv)
{
	struct top_opts o = { .delay = 1.0, .iterations = -1 };
	struct npu_device *dev[MAX_DEV];
	struct npu_device_info info[MAX_DEV];
	struct sample prev[MAX_DEV];
	int n, i, tty = isatty(1), ret = parse_args(argc, argv, &o);
	long it;

	if (ret)
		return ret;
	n = npu_device_count();
	if (n <= 0) {
		fprintf(stderr, "npu-top: no qnpu device found\n");
		return 1;
	}
	n = n > MAX_DEV ? MAX_DEV : n;
	for (i = 0; i < n; i++) {
		ret = npu_device_open(i, &dev[i]);
		if (!ret)
			ret = npu_device_info(dev[i], &info[i]);
		if (!ret)
			ret = npu_device_counters(dev[i], &prev[i].c);
		if (ret) {
			fprintf(stderr, "npu-top: device %d: %s\n", i, npu_strerror(ret));
			return 1;
		}
		prev[i].t = now();
	}
	for (it = 0; o.iterations < 0 || it < o.iterations; it++) {
		usleep((useconds_t)(o.delay * 1e6));
		if (tty)
			printf("\033[H\033[2J");
		printf("npu-top  %d device%s, every %.1f s\n\n", n, n > 1 ? "s" : "", o.delay);
		printf("%-6s %6s %9s %9s %6s %12s %12s %12s %7s\n", "DEV", "BUSY", "JOBS/s",
		       "JOBS", "ERR", "MAC/s", "DRAM RD/s", "DRAM WR/s", "RESETS");
		for (i = 0; i < n; i++)
			print_device(i, dev[i], &info[i], &prev[i]);
		fflush(stdout);
	}
	for (i = 0; i < n; i++)
		npu_device_close(dev[i]);
	return 0;
}
