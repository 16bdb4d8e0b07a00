/* SPDX-License-Identifier: MIT */
/*
 * Random quantized networks for tests of the compiler and the executors:
 * a chain of convolutions (plain, grouped, depthwise, strided, dilated,
 * padded, per-channel or per-tensor), pools, residual adds, muls and a
 * fully connected head, with random but sane quantization parameters.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef RANDNET_H
#define RANDNET_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <npu/graph.h>

#define RANDNET_MAX_TENSORS 1024

struct randnet {
	uint64_t rng;
	float qs[RANDNET_MAX_TENSORS];	/* activation qparams by tensor id */
	int32_t qz[RANDNET_MAX_TENSORS];
	int input, output;
	uint32_t in_shape[4], out_shape[4];
	int layers;
};

static inline uint32_t rn_next(struct randnet *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return (uint32_t)(r->rng >> 16);
}

static inline int rn_range(struct randnet *r, int lo, int hi)
{
	return lo + (int)(rn_next(r) % (uint32_t)(hi - lo + 1));
}

/* An int8 activation tensor with random scale and zero point. */
static inline int rn_act(struct npu_graph *g, struct randnet *r,
			 const uint32_t shape[4], const char *name)
{
	float s = 0.01f + (rn_next(r) % 1000) / 20000.0f;
	int32_t z = rn_range(r, -20, 20);
	struct npu_tensor_info t = {
		.name = name, .elem = NPU_ELEM_INT8, .qcount = 1,
		.scales = &s, .zero_points = &z,
	};
	int id = -1;

	memcpy(t.shape, shape, sizeof(t.shape));
	npu_graph_tensor(g, &t, &id);
	if (id >= 0 && id < RANDNET_MAX_TENSORS) {
		r->qs[id] = s;
		r->qz[id] = z;
	}
	return id;
}

/* An int8 tensor of @shape with the quantization of tensor @like. */
static inline int randnet_same_q(struct npu_graph *g, struct randnet *r,
				 int like, const uint32_t shape[4])
{
	struct npu_tensor_info t = {
		.name = "same-q", .elem = NPU_ELEM_INT8, .qcount = 1,
		.scales = &r->qs[like], .zero_points = &r->qz[like],
	};
	int id = -1;

	memcpy(t.shape, shape, sizeof(t.shape));
	npu_graph_tensor(g, &t, &id);
	if (id >= 0 && id < RANDNET_MAX_TENSORS) {
		r->qs[id] = r->qs[like];
		r->qz[id] = r->qz[like];
	}
	return id;
}

/* Append @op writing @y; on success @y, of shape @os, is the next input. */
static inline void rn_append(struct npu_graph *g, struct randnet *r, struct npu_op_info *op,
			     int y, int *x, uint32_t shape[4], const uint32_t os[4])
{
	op->output = y;
	if (npu_graph_op(g, op) == 0) {
		*x = y;
		memmove(shape, os, 4 * sizeof(uint32_t));
		r->layers++;
	}
}

/* Constant weights [cout][kh][kw][cin_g], per-channel or per-tensor. */
static inline int rn_weights(struct npu_graph *g, struct randnet *r,
			     uint32_t cout, uint32_t kh, uint32_t kw,
			     uint32_t cin_g, int *bias)
{
	uint32_t n = cout * kh * kw * cin_g, i, per_channel = rn_next(r) & 1;
	int8_t *w = malloc(n);
	int32_t *b = malloc(4 * cout), *z = calloc(cout, 4);
	float *s = malloc(4 * cout);
	struct npu_tensor_info t = { .name = "weights", .elem = NPU_ELEM_INT8,
				     .shape = { cout, kh, kw, cin_g } };
	struct npu_tensor_info bt = { .name = "bias", .elem = NPU_ELEM_INT32,
				      .shape = { 1, 1, 1, cout } };
	int id = -1;

	for (i = 0; i < n; i++)
		w[i] = (int8_t)rn_range(r, -127, 127);
	for (i = 0; i < cout; i++) {
		s[i] = 0.002f + (rn_next(r) % 100) / 20000.0f;
		b[i] = rn_range(r, -3000, 3000);
	}
	t.qcount = per_channel ? cout : 1;
	t.scales = s;
	t.zero_points = z;
	t.data = w;
	npu_graph_tensor(g, &t, &id);
	bt.data = b;
	npu_graph_tensor(g, &bt, bias);
	free(w);
	free(b);
	free(z);
	free(s);
	return id;
}

/* @x with its dims permuted by @perm (the same quantization); 0 on success. */
static inline int rn_transpose_to(struct npu_graph *g, struct randnet *r, int *x,
				  uint32_t shape[4], const uint32_t perm[4])
{
	struct npu_op_info op = { .type = NPU_OP_TRANSPOSE, .name = "transpose",
				  .inputs = { *x, -1, -1 } };
	uint32_t os[4];
	int i, layers = r->layers;

	for (i = 0; i < 4; i++) {
		op.perm[i] = perm[i];
		os[i] = shape[perm[i]];
	}
	rn_append(g, r, &op, randnet_same_q(g, r, *x, os), x, shape, os);
	return r->layers == layers;
}

/* A random permutation of H, W and C. */
static inline void rn_transpose(struct npu_graph *g, struct randnet *r, int *x,
				uint32_t shape[4])
{
	uint32_t perm[4] = { 0, 1, 2, 3 }, t;
	int i, j;

	for (i = 3; i > 1; i--) {
		j = rn_range(r, 1, i);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	rn_transpose_to(g, r, x, shape, perm);
}

/* Layer norm over C with random float scale and bias (or none). */
static inline void rn_layer_norm(struct npu_graph *g, struct randnet *r, int *x,
				 uint32_t shape[4])
{
	struct npu_op_info op = { .type = NPU_OP_LAYER_NORM, .name = "layer norm",
				  .inputs = { *x, -1, -1 }, .alpha = 1e-5f };
	struct npu_tensor_info t = { .name = "gamma", .elem = NPU_ELEM_FLOAT32,
				     .shape = { 1, 1, 1, shape[3] } };
	float v[2][64];
	uint32_t c;

	if (shape[3] > 64 || shape[3] < 2)
		return;
	for (c = 0; c < shape[3]; c++) {
		v[0][c] = 0.5f + (rn_next(r) % 100) / 100.0f;
		v[1][c] = ((int)(rn_next(r) % 100) - 50) / 100.0f;
	}
	t.data = v[0];
	npu_graph_tensor(g, &t, &op.inputs[1]);
	t.data = v[1];
	if (rn_range(r, 0, 1))
		npu_graph_tensor(g, &t, &op.inputs[2]);
	rn_append(g, r, &op, rn_act(g, r, shape, "normed"), x, shape, shape);
}

/*
 * Build a random network on @g: input [1][h][w][c] int8, output int8.
 * @seed makes it reproducible.
 */
static inline void randnet_build(struct npu_graph *g, struct randnet *r,
				 uint64_t seed)
{
	uint32_t shape[4];
	int x, i, layers;

	memset(r, 0, sizeof(*r));
	r->rng = seed * 0x9e3779b97f4a7c15ull + 1;
	shape[0] = rn_range(r, 1, 2);
	shape[1] = rn_range(r, 4, 12);
	shape[2] = rn_range(r, 4, 12);
	shape[3] = rn_range(r, 1, 8);
	memcpy(r->in_shape, shape, sizeof(shape));
	x = r->input = rn_act(g, r, shape, "input");
	layers = rn_range(r, 2, 6);
	for (i = 0; i < layers; i++) {
		struct npu_op_info op = { .inputs = { x, -1, -1 }, .name = "layer" };
		uint32_t os[4];
		int kind = rn_range(r, 0, 16), y;

		memcpy(os, shape, sizeof(os));
		op.act = (enum npu_activation)rn_range(r, 0, 2);
		op.rounding = rn_range(r, 0, 1);
		if (kind <= 2) {	/* conv: plain, depthwise, grouped */
			uint32_t k = rn_range(r, 1, 3), groups = 1, cout;
			uint32_t d = k > 1 && rn_range(r, 0, 3) == 0 ? 2 : 1;
			uint32_t span = (k - 1) * d + 1, st = rn_range(r, 1, 2);
			uint32_t pad = span / 2;
			int bias;

			if (shape[1] + 2 * pad < span || shape[2] + 2 * pad < span)
				continue;
			if (kind == 1 && shape[3] > 1) {
				groups = shape[3];
				cout = shape[3];
			} else if (kind == 2 && shape[3] % 2 == 0) {
				groups = 2;
				cout = 2 * rn_range(r, 1, 6);
			} else {
				cout = rn_range(r, 1, 20);
			}
			os[1] = (shape[1] + 2 * pad - span) / st + 1;
			os[2] = (shape[2] + 2 * pad - span) / st + 1;
			os[3] = cout;
			op.type = NPU_OP_CONV2D;
			op.inputs[1] = rn_weights(g, r, cout, k, k, shape[3] / groups,
						  &bias);
			op.inputs[2] = bias;
			op.stride[0] = op.stride[1] = st;
			op.dilation[0] = op.dilation[1] = d;
			op.pad[0] = op.pad[1] = op.pad[2] = op.pad[3] = pad;
			op.groups = groups;
		} else if (kind == 3) {	/* pool: shares the input's qparams */
			if (shape[1] < 2 || shape[2] < 2)
				continue;
			op.type = rn_range(r, 0, 1) ? NPU_OP_MAXPOOL : NPU_OP_AVGPOOL;
			op.kernel[0] = op.kernel[1] = 2;
			op.stride[0] = op.stride[1] = 2;
			op.act = NPU_ACT_NONE;
			os[1] = shape[1] / 2;
			os[2] = shape[2] / 2;
			y = randnet_same_q(g, r, x, os);
			rn_append(g, r, &op, y, &x, shape, os);
			continue;
		} else if (kind == 6) {	/* standalone activation or requantize */
			op.type = NPU_OP_RESCALE;
			if (op.act == NPU_ACT_NONE || rn_range(r, 0, 1)) {
				y = rn_act(g, r, os, "rescaled");
			} else {
				y = randnet_same_q(g, r, x, os);
			}
			rn_append(g, r, &op, y, &x, shape, shape);
			continue;
		} else if (kind == 7) {	/* concat with a 1x1 conv of itself */
			struct npu_op_info side = op;
			uint32_t cs = rn_range(r, 1, 6), ss[4];
			int bias, b;

			memcpy(ss, shape, sizeof(ss));
			ss[3] = cs;
			side.type = NPU_OP_CONV2D;
			side.inputs[1] = rn_weights(g, r, cs, 1, 1, shape[3], &bias);
			side.inputs[2] = bias;
			b = randnet_same_q(g, r, x, ss);
			side.output = b;
			if (npu_graph_op(g, &side))
				continue;
			op.type = NPU_OP_CONCAT;
			op.inputs[1] = b;
			op.act = NPU_ACT_NONE;
			os[3] = shape[3] + cs;
			y = randnet_same_q(g, r, x, os);
			rn_append(g, r, &op, y, &x, shape, os);
			continue;
		} else if (kind == 9) {	/* an element-wise function (a LUT) */
			static const enum npu_function fns[] = {
				NPU_FN_SIGMOID, NPU_FN_TANH, NPU_FN_HARD_SWISH, NPU_FN_LEAKY_RELU,
			};

			op.type = NPU_OP_FUNCTION;
			op.fn = fns[rn_range(r, 0, 3)];
			op.alpha = 0.1f;
			op.act = NPU_ACT_NONE;
			op.rounding = 0;
			y = rn_act(g, r, os, "function");
			rn_append(g, r, &op, y, &x, shape, shape);
			continue;
		} else if (kind == 10) {	/* squeeze-excitation: x times its mean per C */
			struct npu_op_info gap = { .type = NPU_OP_GLOBAL_AVGPOOL, .name = "squeeze",
						   .inputs = { x, -1, -1 } };
			uint32_t gs[4] = { shape[0], 1, 1, shape[3] };

			gap.output = randnet_same_q(g, r, x, gs);
			if (npu_graph_op(g, &gap))
				continue;
			op.type = NPU_OP_MUL;
			op.inputs[rn_range(r, 0, 1)] = gap.output;
			if (op.inputs[0] == gap.output)
				op.inputs[1] = x;
			y = rn_act(g, r, os, "excited");
			rn_append(g, r, &op, y, &x, shape, shape);
			continue;
		} else if (kind == 11) {	/* channels picked, reordered, repeated */
			struct npu_tensor_info it = { .name = "index", .elem = NPU_ELEM_INT32 };
			int32_t index[24];
			uint32_t k, step = rn_range(r, 0, 2);

			os[3] = rn_range(r, 1, 24);
			for (k = 0; k < os[3]; k++)	/* runs of a step, or anything */
				index[k] = (int32_t)((step ? k * step : rn_next(r)) % shape[3]);
			it.shape[0] = it.shape[1] = it.shape[2] = 1;
			it.shape[3] = os[3];
			it.data = index;
			op.type = NPU_OP_CHANNEL_GATHER;
			op.act = NPU_ACT_NONE;
			op.rounding = 0;
			if (npu_graph_tensor(g, &it, &op.inputs[1]))
				continue;
			y = randnet_same_q(g, r, x, os);
			rn_append(g, r, &op, y, &x, shape, os);
			continue;
		} else if (kind == 12) {	/* nearest upsampling, while maps are small */
			if (shape[1] > 12 || shape[2] > 12)
				continue;
			op.type = NPU_OP_UPSAMPLE_NEAREST;
			op.kernel[0] = rn_range(r, 1, 2);
			op.kernel[1] = rn_range(r, 1, 3);
			op.act = NPU_ACT_NONE;
			op.rounding = 0;
			os[1] = shape[1] * op.kernel[0];
			os[2] = shape[2] * op.kernel[1];
			y = randnet_same_q(g, r, x, os);
			rn_append(g, r, &op, y, &x, shape, os);
			continue;
		} else if (kind == 13) {	/* zero padding, uneven */
			int k;

			if (shape[1] > 12 || shape[2] > 12)
				continue;
			op.type = NPU_OP_PAD;
			for (k = 0; k < 4; k++)
				op.pad[k] = rn_range(r, 0, 2);
			op.act = NPU_ACT_NONE;
			op.rounding = 0;
			os[1] = shape[1] + op.pad[0] + op.pad[2];
			os[2] = shape[2] + op.pad[1] + op.pad[3];
			rn_append(g, r, &op, randnet_same_q(g, r, x, os), &x, shape, os);
			continue;
		} else if (kind == 14) {	/* the non-batch dims permuted */
			rn_transpose(g, r, &x, shape);
			continue;
		} else if (kind == 15) {	/* layer norm over C, on the CPU */
			rn_layer_norm(g, r, &x, shape);
			continue;
		} else if (kind == 16) {	/* x times its own transpose: [W][C] x [C][W] */
			uint32_t xs[4];
			int a = x;

			if (shape[2] > 16)
				continue;
			memcpy(xs, shape, sizeof(xs));
			op.type = NPU_OP_MATMUL;
			if (rn_transpose_to(g, r, &x, shape, (const uint32_t[4]){ 0, 1, 3, 2 }))
				continue;
			op.inputs[0] = a;
			op.inputs[1] = x;
			memcpy(os, xs, sizeof(os));
			os[3] = xs[2];
			memcpy(shape, xs, sizeof(xs));
		} else if (kind == 8) {	/* global average pool, now and then */
			if (rn_range(r, 0, 2))
				continue;
			op.type = NPU_OP_GLOBAL_AVGPOOL;
			op.act = NPU_ACT_NONE;
			os[1] = os[2] = 1;
			y = randnet_same_q(g, r, x, os);
			rn_append(g, r, &op, y, &x, shape, os);
			continue;
		} else {		/* residual add or mul with a 1x1 conv */
			struct npu_op_info side = op;
			int bias, b;

			side.type = NPU_OP_CONV2D;
			side.inputs[1] = rn_weights(g, r, shape[3], 1, 1, shape[3],
						    &bias);
			side.inputs[2] = bias;
			side.act = NPU_ACT_NONE;
			b = rn_act(g, r, shape, "side");
			side.output = b;
			if (npu_graph_op(g, &side))
				continue;
			op.type = kind == 4 ? NPU_OP_ADD : NPU_OP_MUL;
			op.inputs[1] = b;
		}
		y = rn_act(g, r, os, "out");
		rn_append(g, r, &op, y, &x, shape, os);
	}
	/* A fully connected head over the flattened features. */
	{
		uint32_t flat[4] = { shape[0], 1, 1, shape[1] * shape[2] * shape[3] };
		uint32_t cls = rn_range(r, 2, 12), os[4] = { shape[0], 1, 1, cls };
		struct npu_op_info rs = { .type = NPU_OP_RESHAPE, .name = "flatten",
					  .inputs = { x, -1, -1 } };
		struct npu_op_info fc = { .type = NPU_OP_FULLY_CONNECTED,
					  .name = "fc" };
		int bias;

		rs.output = randnet_same_q(g, r, x, flat);
		npu_graph_op(g, &rs);
		fc.inputs[0] = rs.output;
		fc.inputs[1] = rn_weights(g, r, cls, 1, 1, flat[3], &bias);
		fc.inputs[2] = bias;
		fc.output = rn_act(g, r, os, "logits");
		fc.rounding = rn_range(r, 0, 1);
		npu_graph_op(g, &fc);
		r->output = fc.output;
		memcpy(r->out_shape, os, sizeof(os));
	}
	npu_graph_io(g, &r->input, 1, &r->output, 1);
}

#endif /* RANDNET_H */
