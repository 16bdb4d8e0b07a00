/* SPDX-License-Identifier: MIT */
/*
 * npu-run: what its two modes share (main.c: options and the Fashion-MNIST
 * data set mode; tensors.c: .npy tensors through a model or a program).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_RUN_H
#define NPU_RUN_H

#include <stddef.h>

#include <npu/graph.h>
#include <npu/onnx.h>

#define MAX_FILES 16
#define STR(x) #x
#define XSTR(x) STR(x)

struct run_opts {
	enum npu_executor_kind kind;
	const char *exec_name;
	int method;
	enum npu_onnx_granularity granularity;
	const char *inputs[MAX_FILES], *outputs[MAX_FILES], *calib[MAX_FILES];
	int ninputs, noutputs, ncalib;
	size_t calib_count;		/* --calib-count; 0: every sample */
	const char *labels;		/* --labels */
	unsigned int repeat;		/* --repeat */
	const char *model, *program, *save;
	const char *export_onnx;	/* --export-onnx: the QDQ model to write */
	int rounding;			/* --rounding: enum qnpu_rounding */
	int weight_bits;		/* --weight-bits: 0 (8) or 7 */
	int calib_given;		/* --calib, --granularity, --rounding or --weight-bits given */
};

double now(void);
int open_executor(const struct npu_program *p, const struct run_opts *ro,
		  struct npu_device **dev, struct npu_executor **e);
/* On a terminal (and without NPU_RUN_QUIET): "WHAT done/total UNIT  rate  ETA". */
void progress_bar(const char *what, const char *unit, size_t done, size_t total, double t0);
/* npu_onnx_import_opts.progress: a bar with an ETA on a terminal; @arg the start time */
void calib_progress(void *arg, size_t done, size_t total);

/* tensors.c: tensor mode; the exit status. */
int run_tensors(const struct run_opts *ro);

#endif /* NPU_RUN_H */
