/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The compiler and executors on the host: random quantized networks are
 * compiled by libnpu, run by the CPU-reference executor, and their very
 * command buffers run again on the emulator core (the device's own
 * arithmetic, in a simulated system); the two must agree byte for byte.
 * Also: saving and loading programs, memory reuse, error messages.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>

#include <cmocka.h>

#include "emu_sim.h"
#include "exec/exec.h"
#include "graph/graph.h"
#include "../lib/randnet.h"

#define EMU_CB_VA	0x300000000ull

/* Run @p's command buffers on the emulator core; 0 or a qnpu status. */
static uint32_t emu_run(struct sys *s, const struct npu_program *p,
			const void *input, void *output)
{
	uint64_t base[NPU_REGION_COUNT] = { NPU_REF_REGION_BASE(0),
					    NPU_REF_REGION_BASE(1) };
	uint8_t *cmd = npu_relocate(p, base), *w, *arena, *cb;
	uint32_t i, status = QNPU_STATUS_OK;

	s->next_pt = PT_POOL_PA;
	s->next_page = DATA_PA;
	ctx_create(s, 1);
	qnpu_mmu_invalidate(&s->mmu, -1);
	w = s->ram + map_range(s, 1, base[0], p->weights_size ? p->weights_size : 1, 2);
	arena = s->ram + map_range(s, 1, base[1], p->arena_size, 6);
	cb = s->ram + map_range(s, 1, EMU_CB_VA, p->cmdbuf_size ? p->cmdbuf_size : 1, 2);
	memcpy(w, p->weights, p->weights_size);
	memcpy(cb, cmd, p->cmdbuf_size);
	memset(arena, 0, p->arena_size);
	memcpy(arena + p->inputs[0].offset, input, p->inputs[0].bytes);
	for (i = 0; i < p->nsteps && status == QNPU_STATUS_OK; i++) {
		const struct npu_step *st = &p->steps[i];
		struct qnpu_ring_slot slot = {
			.seqno = i + 1, .cmdbuf_va = EMU_CB_VA + st->cb_offset,
			.cmdbuf_size = st->cb_size, .ctx = 1,
		};
		struct qnpu_job_result res;

		if (st->kind != NPU_STEP_DEVICE) {
			npu_cpu_step(st, arena, p->weights);
			continue;
		}
		assert_true(qnpu_job_run(&s->eng, &slot, CTXTBL_PA, &res));
		status = res.status;
	}
	memcpy(output, arena + p->outputs[0].offset, p->outputs[0].bytes);
	free(cmd);
	return status;
}

/*
 * An independent float model of the graph, for the compiler's semantics:
 * every tensor is dequantized, each op computed in double, and its result
 * rounded to the output's quantization grid (so saturation matches).
 */
static double fq(double v, const struct npu_gtensor *t)
{
	double q = nearbyint(v / t->scales[0]) + t->zero_points[0];

	q = q < -128 ? -128 : q > 127 ? 127 : q;
	return (q - t->zero_points[0]) * t->scales[0];
}

static double act(double v, enum npu_activation a)
{
	if (a != NPU_ACT_NONE && v < 0)
		v = 0;
	if (a == NPU_ACT_RELU6 && v > 6)
		v = 6;
	return v;
}

/* Element @i of output shape @os in a tensor of shape @s broadcast to it. */
static uint64_t broadcast_index(const uint32_t *s, const uint32_t *os, uint64_t i)
{
	uint64_t at = 0, stride = 1;
	int d;

	for (d = 3; d >= 0; d--) {
		at += s[d] == 1 ? 0 : (i % os[d]) * stride;
		stride *= s[d];
		i /= os[d];
	}
	return at;
}

/* The functions randnet.h draws, written out here in double. */
static double function(const struct npu_op_info *o, double x)
{
	switch (o->fn) {
	case NPU_FN_SIGMOID:
		return 1 / (1 + exp(-x));
	case NPU_FN_TANH:
		return tanh(x);
	case NPU_FN_HARD_SWISH:
		return x * fmin(fmax(x / 6 + 0.5, 0), 1);
	case NPU_FN_LEAKY_RELU:
		return x < 0 ? o->alpha * x : x;
	default:
		fail_msg("function %d not modelled", o->fn);
		return 0;
	}
}

/* out[i0][i1][i2][i3] = x at the input index whose dim perm[k] is ik. */
static void transpose_model(const uint32_t *perm, const uint32_t *is, const uint32_t *os,
			    const double *x, double *y)
{
	uint64_t stride[4] = { (uint64_t)is[1] * is[2] * is[3], (uint64_t)is[2] * is[3], is[3], 1 };
	uint32_t i[4];
	uint64_t k = 0;

	for (i[0] = 0; i[0] < os[0]; i[0]++)
	for (i[1] = 0; i[1] < os[1]; i[1]++)
	for (i[2] = 0; i[2] < os[2]; i[2]++)
	for (i[3] = 0; i[3] < os[3]; i[3]++)
		y[k++] = x[i[0] * stride[perm[0]] + i[1] * stride[perm[1]] +
			   i[2] * stride[perm[2]] + i[3] * stride[perm[3]]];
}

static void layer_norm_model(const struct npu_graph *g, const struct npu_op_info *o,
			     const uint32_t *is, const double *x, double *y)
{
	const float *gamma = g->tensors[o->inputs[1]].data;
	const float *beta = o->inputs[2] >= 0 ? g->tensors[o->inputs[2]].data : NULL;
	const struct npu_gtensor *ot = &g->tensors[o->output];
	uint64_t px, pixels = npu_shape_count(is) / is[3];
	uint32_t c, C = is[3];

	for (px = 0; px < pixels; px++) {
		double mean = 0, var = 0;

		for (c = 0; c < C; c++)
			mean += x[px * C + c] / C;
		for (c = 0; c < C; c++)
			var += (x[px * C + c] - mean) * (x[px * C + c] - mean) / C;
		for (c = 0; c < C; c++)
			y[px * C + c] = fq((x[px * C + c] - mean) / sqrt(var + o->alpha) *
					   gamma[c] + (beta ? beta[c] : 0), ot);
	}
}

/* [N][H][M][K] x [N][H][K][P], requantized as fq() would after the activation. */
static void matmul_model(const struct npu_op_info *o, const struct npu_gtensor *ot,
			 const uint32_t *as, const uint32_t *bs, const double *a, const double *b,
			 double *y)
{
	uint32_t nh, m, p, k, M = as[2], K = as[3], P = bs[3];

	for (nh = 0; nh < as[0] * as[1]; nh++)
	for (m = 0; m < M; m++)
	for (p = 0; p < P; p++) {
		double acc = 0;

		for (k = 0; k < K; k++)
			acc += a[((uint64_t)nh * M + m) * K + k] * b[((uint64_t)nh * K + k) * P + p];
		y[((uint64_t)nh * M + m) * P + p] = fq(act(acc, o->act), ot);
	}
}

static void float_model(const struct npu_graph *g, const int8_t *input,
			double **val)
{
	const struct npu_gtensor *x0 = &g->tensors[g->inputs[0]];
	uint64_t i;
	int op;

	for (i = 0; i < npu_shape_count(x0->shape); i++)
		val[g->inputs[0]][i] = (input[i] - x0->zero_points[0]) *
				       (double)x0->scales[0];
	for (op = 0; op < g->nops; op++) {
		const struct npu_op_info *o = &g->ops[op].info;
		const struct npu_gtensor *xt = &g->tensors[o->inputs[0]];
		const struct npu_gtensor *ot = &g->tensors[o->output];
		const double *x = val[o->inputs[0]];
		double *y = val[o->output];
		const uint32_t *is = xt->shape, *os = ot->shape;

		switch (o->type) {
		case NPU_OP_CONV2D:
		case NPU_OP_FULLY_CONNECTED: {
			const struct npu_gtensor *wt = &g->tensors[o->inputs[1]];
			const int8_t *w = wt->data;
			const int32_t *b = o->inputs[2] >= 0 ?
					   g->tensors[o->inputs[2]].data : NULL;
			uint32_t kh = wt->shape[1], kw = wt->shape[2], cg = wt->shape[3];
			uint32_t groups = o->type == NPU_OP_CONV2D && o->groups ?
					  o->groups : 1, cog = os[3] / groups;
			uint32_t sh = o->stride[0] ? o->stride[0] : 1;
			uint32_t sw = o->stride[1] ? o->stride[1] : 1;
			uint32_t dh = o->dilation[0] ? o->dilation[0] : 1;
			uint32_t dw = o->dilation[1] ? o->dilation[1] : 1;
			uint32_t n, oy, ox, oc, ky, kx, ci, H = is[1], W = is[2];

			if (o->type == NPU_OP_FULLY_CONNECTED)
				H = W = 1;
			for (n = 0; n < os[0]; n++)
			for (oy = 0; oy < os[1]; oy++)
			for (ox = 0; ox < os[2]; ox++)
			for (oc = 0; oc < os[3]; oc++) {
				double sc = wt->scales[wt->qcount > 1 ? oc : 0];
				double acc = b ? b[oc] * xt->scales[0] * sc : 0;
				uint32_t gi = oc / cog;

				for (ky = 0; ky < kh; ky++)
				for (kx = 0; kx < kw; kx++) {
					int64_t iy = (int64_t)oy * sh - o->pad[0] + ky * dh;
					int64_t ix = (int64_t)ox * sw - o->pad[1] + kx * dw;

					if (iy < 0 || iy >= H || ix < 0 || ix >= W)
						continue;
					for (ci = 0; ci < cg; ci++)
						acc += x[((n * H + iy) * W + ix) * is[3] +
							 gi * cg + ci] *
						       w[((oc * kh + ky) * kw + kx) * cg + ci] * sc;
				}
				y[((n * os[1] + oy) * os[2] + ox) * os[3] + oc] =
					fq(act(acc, o->act), ot);
			}
			break;
		}
		case NPU_OP_MAXPOOL:
		case NPU_OP_AVGPOOL: {
			uint32_t n, oy, ox, c, ky, kx;

			for (n = 0; n < os[0]; n++)
			for (oy = 0; oy < os[1]; oy++)
			for (ox = 0; ox < os[2]; ox++)
			for (c = 0; c < os[3]; c++) {
				double m = -1e30, sum = 0;

				for (ky = 0; ky < o->kernel[0]; ky++)
				for (kx = 0; kx < o->kernel[1]; kx++) {
					double v = x[((n * is[1] + oy * o->stride[0] + ky) *
						      is[2] + ox * o->stride[1] + kx) * is[3] + c];

					m = v > m ? v : m;
					sum += v;
				}
				y[((n * os[1] + oy) * os[2] + ox) * os[3] + c] =
					fq(o->type == NPU_OP_MAXPOOL ? m :
					   sum / (o->kernel[0] * o->kernel[1]), ot);
			}
			break;
		}
		case NPU_OP_ADD:
		case NPU_OP_MUL: {
			const double *b = val[o->inputs[1]];
			const uint32_t *bs = g->tensors[o->inputs[1]].shape;

			for (i = 0; i < npu_shape_count(os); i++) {
				double xa = x[broadcast_index(is, os, i)];
				double xb = b[broadcast_index(bs, os, i)];

				y[i] = fq(act(o->type == NPU_OP_ADD ? xa + xb : xa * xb, o->act), ot);
			}
			break;
		}
		case NPU_OP_FUNCTION:
			for (i = 0; i < npu_shape_count(os); i++)
				y[i] = fq(function(o, x[i]), ot);
			break;
		case NPU_OP_PAD: {
			uint32_t n, oy, ox, c;

			for (n = 0; n < os[0]; n++)
			for (oy = 0; oy < os[1]; oy++)
			for (ox = 0; ox < os[2]; ox++)
			for (c = 0; c < os[3]; c++) {
				int64_t iy = (int64_t)oy - o->pad[0], ix = (int64_t)ox - o->pad[1];
				bool in = iy >= 0 && iy < is[1] && ix >= 0 && ix < is[2];

				y[((n * os[1] + oy) * os[2] + ox) * os[3] + c] =
					in ? x[((n * is[1] + iy) * is[2] + ix) * is[3] + c] : 0;
			}
			break;
		}
		case NPU_OP_UPSAMPLE_NEAREST: {
			uint32_t n, oy, ox, c;

			for (n = 0; n < os[0]; n++)
			for (oy = 0; oy < os[1]; oy++)
			for (ox = 0; ox < os[2]; ox++)
			for (c = 0; c < os[3]; c++)
				y[((n * os[1] + oy) * os[2] + ox) * os[3] + c] =
					x[((n * is[1] + oy / o->kernel[0]) * is[2] +
					   ox / o->kernel[1]) * is[3] + c];
			break;
		}
		case NPU_OP_CHANNEL_GATHER: {
			const int32_t *index = g->tensors[o->inputs[1]].data;

			for (i = 0; i < npu_shape_count(os); i++)
				y[i] = x[i / os[3] * is[3] + index[i % os[3]]];
			break;
		}
		case NPU_OP_RESHAPE:
			memcpy(y, x, sizeof(double) * npu_shape_count(os));
			break;
		case NPU_OP_TRANSPOSE:
			transpose_model(o->perm, is, os, x, y);
			break;
		case NPU_OP_LAYER_NORM:
			layer_norm_model(g, o, is, x, y);
			break;
		case NPU_OP_MATMUL:
			matmul_model(o, ot, is, g->tensors[o->inputs[1]].shape, x,
				     val[o->inputs[1]], y);
			break;
		case NPU_OP_RESCALE:
			for (i = 0; i < npu_shape_count(os); i++)
				y[i] = fq(act(x[i], o->act), ot);
			break;
		case NPU_OP_GLOBAL_AVGPOOL: {
			uint32_t n, c, k, hw = is[1] * is[2];

			for (n = 0; n < os[0]; n++)
			for (c = 0; c < os[3]; c++) {
				double sum = 0;

				for (k = 0; k < hw; k++)
					sum += x[(n * hw + k) * is[3] + c];
				y[n * os[3] + c] = fq(sum / hw, ot);
			}
			break;
		}
		case NPU_OP_CONCAT: {
			uint64_t px, pixels = npu_shape_count(os) / os[3];
			uint32_t c0 = 0;
			int k;

			for (k = 0; k < 3 && o->inputs[k] >= 0; k++) {
				const uint32_t *ks = g->tensors[o->inputs[k]].shape;

				for (px = 0; px < pixels; px++)
					memcpy(y + px * os[3] + c0,
					       val[o->inputs[k]] + px * ks[3],
					       sizeof(double) * ks[3]);
				c0 += ks[3];
			}
			break;
		}
		default:
			break;
		}
	}
}

/* Bytes [lo, hi) of the arena a tensor field at cmdbuf position @pos spans; false if not arena. */
static bool arena_span(const struct npu_program *p, uint32_t pos, uint64_t *lo, uint64_t *hi)
{
	struct qnpu_tensor t;
	uint32_t i, d, es;
	bool arena = false;

	for (i = 0; i < p->nrelocs; i++)
		arena |= p->relocs[i].offset == pos && p->relocs[i].region == NPU_REGION_ARENA;
	memcpy(&t, p->cmdbuf + pos, sizeof(t));
	es = t.dtype == QNPU_DTYPE_INT32 ? 4 : 1;
	*lo = t.addr;
	*hi = t.addr + es;
	for (d = 0; d < 4; d++)
		*hi += (uint64_t)(t.dim[d] - 1) * t.stride[d];
	return arena && t.addr;
}

/* The tensor fields each descriptor reads and writes, from the uapi structs. */
static void tensor_fields(uint16_t op, size_t *reads, int *nreads, size_t *write)
{
	*nreads = 1;
	reads[0] = offsetof(struct qnpu_desc_conv2d, input);
	*write = offsetof(struct qnpu_desc_conv2d, output);
	if (op == QNPU_OP_COPY) {
		reads[0] = offsetof(struct qnpu_desc_copy, src);
		*write = offsetof(struct qnpu_desc_copy, dst);
	} else if (op == QNPU_OP_MATMUL) {
		reads[0] = offsetof(struct qnpu_desc_matmul, a);
		reads[(*nreads)++] = offsetof(struct qnpu_desc_matmul, b);
		*write = offsetof(struct qnpu_desc_matmul, output);
	} else if (op == QNPU_OP_ADD || op == QNPU_OP_MUL) {
		reads[0] = offsetof(struct qnpu_desc_eltwise, input1);
		reads[(*nreads)++] = offsetof(struct qnpu_desc_eltwise, input2);
		*write = offsetof(struct qnpu_desc_eltwise, output);
	} else if (op == QNPU_OP_FULLY_CONNECTED) {
		reads[0] = offsetof(struct qnpu_desc_fc, input);
		*write = offsetof(struct qnpu_desc_fc, output);
	} else if (op == QNPU_OP_MAXPOOL || op == QNPU_OP_AVGPOOL) {
		reads[0] = offsetof(struct qnpu_desc_pool, input);
		*write = offsetof(struct qnpu_desc_pool, output);
	} else if (op == QNPU_OP_LUT) {
		reads[0] = offsetof(struct qnpu_desc_lut, input);
		*write = offsetof(struct qnpu_desc_lut, output);
	}
}

/*
 * hardware.md 10.4: a descriptor that reads arena bytes an earlier
 * descriptor of its job wrote needs a BARRIER between them. The number of
 * reads that would miss one (0 is right).
 */
static int unfenced_reads(const struct npu_program *p)
{
	uint64_t wlo[256], whi[256], lo, hi;
	uint32_t i, k, off;
	int nw, bad = 0, r, j, nreads;

	for (i = 0; i < p->nsteps; i++) {
		const struct npu_step *s = &p->steps[i];
		struct qnpu_desc_header h;

		off = s->cb_offset + sizeof(struct qnpu_cmdbuf_header);
		for (k = 0, nw = 0; s->kind == NPU_STEP_DEVICE && k < s->ndesc; k++, off += h.size) {
			size_t reads[2], write;

			memcpy(&h, p->cmdbuf + off, sizeof(h));
			if (h.op == QNPU_OP_BARRIER)
				nw = 0;
			if (h.op == QNPU_OP_BARRIER || h.op == QNPU_OP_NOP)
				continue;
			tensor_fields(h.op, reads, &nreads, &write);
			for (r = 0; r < nreads; r++) {
				if (!arena_span(p, off + reads[r], &lo, &hi))
					continue;
				for (j = 0; j < nw; j++)
					bad += lo < whi[j] && wlo[j] < hi;
			}
			if (nw < 256 && arena_span(p, off + write, &lo, &hi)) {
				wlo[nw] = lo;
				whi[nw++] = hi;
			}
		}
	}
	return bad;
}

static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		p[i] = (uint8_t)(seed >> 56);
	}
}

static void test_random_networks_ref_equals_emu(void **state)
{
	struct sys *s = *state;
	int seed, shared = 0, devops = 0;
	uint64_t total = 0, near = 0;

	for (seed = 1; seed <= 250; seed++) {
		struct npu_program_stats st;
		struct npu_executor *ref;
		struct npu_program *p;
		struct npu_graph *g;
		struct randnet rn;
		uint8_t in[4096], out_ref[64], out_emu[64];
		struct npu_job_result res;
		const void *ins[1] = { in };
		void *outs[1] = { out_ref };

		assert_int_equal(npu_graph_new(&g), 0);
		randnet_build(g, &rn, seed);
		if (npu_compile(g, &p))
			fail_msg("seed %d: %s", seed, npu_graph_error(g));
		assert_int_equal(npu_program_stats(p, &st), 0);
		if (unfenced_reads(p))
			fail_msg("seed %d: %d reads of earlier writes without a BARRIER", seed,
				 unfenced_reads(p));
		devops += st.device_ops;
		shared += st.arena_bytes < st.arena_bytes_unshared;
		assert_true(p->inputs[0].bytes <= sizeof(in));
		assert_true(p->outputs[0].bytes <= sizeof(out_ref));
		fill_random(in, sizeof(in), seed);

		assert_int_equal(npu_executor_new(p, NPU_EXEC_REF, NULL, &ref), 0);
		if (npu_executor_run(ref, ins, outs, &res))
			fail_msg("seed %d: ref status %u at %u", seed, res.status,
				 res.error_offset);
		s->cfg.workers = seed % 2 + 1;
		assert_int_equal(emu_run(s, p, in, out_emu), QNPU_STATUS_OK);
		if (memcmp(out_ref, out_emu, p->outputs[0].bytes))
			fail_msg("seed %d: emulator and reference differ", seed);

		/* Semantics: close to the float model, within a few steps. */
		{
			double **val = calloc(g->ntensors, sizeof(double *));
			const struct npu_gtensor *ot = &g->tensors[g->outputs[0]];
			uint64_t n = npu_shape_count(ot->shape), k, close = 0;
			int t;

			for (t = 0; t < g->ntensors; t++)
				val[t] = calloc(npu_shape_count(g->tensors[t].shape),
						sizeof(double));
			float_model(g, (const int8_t *)in, val);
			for (k = 0; k < n; k++) {
				double q = ((int8_t)out_ref[k] - ot->zero_points[0]) *
					   (double)ot->scales[0];

				close += fabs(q - val[g->outputs[0]][k]) <=
					 3.01 * ot->scales[0];
			}
			total += n;
			near += close;
			for (t = 0; t < g->ntensors; t++)
				free(val[t]);
			free(val);
		}
		npu_executor_free(ref);
		npu_program_free(p);
		npu_graph_free(g);
	}
	/* The nets are not trivial, and buffers do get reused. */
	assert_true(devops > 250 * 2);
	assert_true(shared > 100);
	/* Rounding differences may cascade through layers, rarely. */
	if (near < total * 95 / 100)
		fail_msg("only %llu of %llu outputs within 3 steps of the float model",
			 (unsigned long long)near, (unsigned long long)total);
}

static void test_save_load_roundtrip(void **state)
{
	char path[] = "/tmp/qnpu-program-XXXXXX";
	struct npu_executor *a, *b;
	struct npu_program *p, *q;
	struct npu_graph *g;
	struct randnet rn;
	uint8_t in[4096], o1[64], o2[64];
	const void *ins[1] = { in };
	void *out1[1] = { o1 }, *out2[1] = { o2 };
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(npu_graph_new(&g), 0);
	randnet_build(g, &rn, 4242);
	assert_int_equal(npu_compile(g, &p), 0);
	assert_int_equal(npu_program_save(p, path), 0);
	assert_int_equal(npu_program_load(path, &q), 0);
	fill_random(in, sizeof(in), 7);
	assert_int_equal(npu_executor_new(p, NPU_EXEC_REF, NULL, &a), 0);
	assert_int_equal(npu_executor_new(q, NPU_EXEC_REF, NULL, &b), 0);
	assert_int_equal(npu_executor_run(a, ins, out1, NULL), 0);
	assert_int_equal(npu_executor_run(b, ins, out2, NULL), 0);
	assert_memory_equal(o1, o2, p->outputs[0].bytes);
	npu_executor_free(a);
	npu_executor_free(b);
	npu_program_free(q);

	/* The note goes through the file; a version 2 file (no note) still loads. */
	{
		static const char note[] = "what the inputs mean";
		size_t size;

		assert_int_equal(npu_program_set_note(p, note, sizeof(note)), 0);
		assert_int_equal(npu_program_save(p, path), 0);
		assert_int_equal(npu_program_load(path, &q), 0);
		assert_non_null(npu_program_note(q, &size));
		assert_int_equal(size, sizeof(note));
		assert_memory_equal(npu_program_note(q, NULL), note, sizeof(note));
		npu_program_free(q);
		assert_int_equal(npu_program_set_note(p, NULL, 0), 0);
		assert_int_equal(npu_program_save(p, path), 0);
		f = fopen(path, "r+b");
		assert_non_null(f);
		fseek(f, 4, SEEK_SET);
		fputc(2, f);	/* version 2 */
		fclose(f);
		assert_int_equal(npu_program_load(path, &q), 0);
		assert_null(npu_program_note(q, &size));
		assert_int_equal(size, 0);
		npu_program_free(q);
		assert_int_equal(npu_program_set_note(p, note, (1u << 20) + 1), -EINVAL);
	}

	/* A truncated file, a wrong version, garbage: errors, no crash. */
	f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, 4, SEEK_SET);
	fputc(9, f);		/* version 9 */
	fclose(f);
	assert_int_equal(npu_program_load(path, &q), -EPROTONOSUPPORT);
	assert_int_equal(npu_program_save(p, path), 0);
	assert_int_equal(truncate(path, 100), 0);
	assert_int_equal(npu_program_load(path, &q), -EPROTO);
	assert_int_equal(npu_program_load("/nonexistent/x", &q), -ENOENT);
	unlink(path);
	npu_program_free(p);
	npu_graph_free(g);
}

static int act8(struct npu_graph *g, uint32_t n, uint32_t h, uint32_t w,
		uint32_t c, const char *name)
{
	static float s = 0.1f;
	static int32_t z = 0;
	struct npu_tensor_info t = { .name = name, .elem = NPU_ELEM_INT8,
				     .shape = { n, h, w, c }, .qcount = 1,
				     .scales = &s, .zero_points = &z };
	int id = -1;

	assert_int_equal(npu_graph_tensor(g, &t, &id), 0);
	return id;
}

static void test_errors_name_the_culprit(void **state)
{
	struct npu_tensor_info t = { .name = "noq", .elem = NPU_ELEM_INT8,
				     .shape = { 1, 2, 2, 2 } };
	struct npu_op_info op = { .type = NPU_OP_CONV2D, .name = "conv7" };
	struct npu_program *p;
	struct npu_graph *g;
	int8_t w[3 * 3 * 3 * 5] = { 0 };
	float ws = 0.01f;
	int32_t wz = 0;
	struct npu_tensor_info wt = { .name = "conv7.weight", .elem = NPU_ELEM_INT8,
				      .shape = { 5, 3, 3, 3 }, .qcount = 1,
				      .scales = &ws, .zero_points = &wz,
				      .data = w };
	int id, x, y, wid;

	assert_int_equal(npu_graph_new(&g), 0);
	/* Integer activations may be raw (no scale); constants may not. */
	assert_int_equal(npu_graph_tensor(g, &t, &id), 0);
	t.data = w;
	assert_int_equal(npu_graph_tensor(g, &t, &id), -EINVAL);
	assert_non_null(strstr(npu_graph_error(g), "noq"));
	assert_non_null(strstr(npu_graph_error(g), "quantization"));

	x = act8(g, 1, 8, 8, 4, "x");		/* C 4, weights expect 3 */
	y = act8(g, 1, 8, 8, 5, "y");
	assert_int_equal(npu_graph_tensor(g, &wt, &wid), 0);
	op.inputs[0] = x;
	op.inputs[1] = wid;
	op.inputs[2] = -1;
	op.output = y;
	op.pad[0] = op.pad[1] = op.pad[2] = op.pad[3] = 1;
	assert_int_equal(npu_graph_op(g, &op), 0);
	assert_int_equal(npu_graph_io(g, &x, 1, &y, 1), 0);
	assert_int_equal(npu_compile(g, &p), -EINVAL);
	assert_non_null(strstr(npu_graph_error(g), "conv7"));
	assert_non_null(strstr(npu_graph_error(g), "input C 4"));
	npu_graph_free(g);

	/* An input nobody computes. */
	assert_int_equal(npu_graph_new(&g), 0);
	x = act8(g, 1, 4, 4, 3, "x");
	y = act8(g, 1, 4, 4, 5, "y");
	id = act8(g, 1, 4, 4, 5, "z");
	wt.shape[1] = wt.shape[2] = 1;
	assert_int_equal(npu_graph_tensor(g, &wt, &wid), 0);
	op.inputs[0] = id;
	op.pad[0] = op.pad[1] = op.pad[2] = op.pad[3] = 0;
	op.output = y;
	assert_int_equal(npu_graph_op(g, &op), 0);
	assert_int_equal(npu_graph_io(g, &x, 1, &y, 1), 0);
	assert_int_equal(npu_compile(g, &p), -EINVAL);
	assert_non_null(strstr(npu_graph_error(g), "computed by no earlier op"));
	assert_non_null(strstr(npu_graph_error(g), "conv7"));
	npu_graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_networks_ref_equals_emu,
						sim_setup, sim_teardown),
		cmocka_unit_test(test_save_load_roundtrip),
		cmocka_unit_test(test_errors_name_the_culprit),
	};

	return cmocka_run_group_tests_name("compiler and executors", tests,
					   NULL, NULL);
}
