// SPDX-License-Identifier: MIT
/*
 * libnpu's executors on the host, through the public API only: the "emu"
 * executor (the emulator core loaded as a plugin) and the "ref" executor
 * must give the same bytes for the same program; a missing plugin is a
 * clean error.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <npu/graph.h>

#include "../lib/randnet.h"

static void fill(uint8_t *p, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		p[i] = (uint8_t)(seed >> 56);
	}
}

static void test_emu_equals_ref(void **state)
{
	int seed;

	int layers = 0;

	setenv("NPU_EMU_PLUGIN", EMU_PLUGIN_PATH, 1);
	for (seed = 1000; seed < 1500; seed++) {
		/* a third of the seeds on three compute threads ($NPU_EMU_WORKERS) */
		const char *workers = seed % 3 ? "1" : "3";
		struct npu_executor *emu, *ref;
		struct npu_program *p;
		struct npu_graph *g;
		struct randnet rn;
		uint8_t in[4096], a[64], b[64];
		const void *ins[1] = { in };
		void *oa[1] = { a }, *ob[1] = { b };
		struct npu_job_result res;

		assert_int_equal(npu_graph_new(&g), 0);
		randnet_build(g, &rn, seed);
		layers += rn.layers + 1;
		assert_int_equal(npu_compile(g, &p), 0);
		fill(in, sizeof(in), seed);
		setenv("NPU_EMU_WORKERS", workers, 1);
		assert_int_equal(npu_executor_new(p, NPU_EXEC_EMU, NULL, &emu), 0);
		assert_int_equal(npu_executor_new(p, NPU_EXEC_REF, NULL, &ref), 0);
		if (npu_executor_run(emu, ins, oa, &res))
			fail_msg("seed %d: emu (%s workers) status %u", seed, workers, res.status);
		assert_int_equal(npu_executor_run(ref, ins, ob, NULL), 0);
		assert_memory_equal(a, b, rn.out_shape[0] * rn.out_shape[3]);
		npu_executor_free(emu);
		npu_executor_free(ref);
		npu_program_free(p);
		npu_graph_free(g);
	}
	/* Issue 5's floor: at least 2,000 random layers, emu against ref. */
	assert_true(layers >= 2000);
	unsetenv("NPU_EMU_WORKERS");
}

static void test_missing_plugin(void **state)
{
	struct npu_executor *e;
	struct npu_program *p;
	struct npu_graph *g;
	struct randnet rn;

	setenv("NPU_EMU_PLUGIN", "/nonexistent/libnpu-emu.so.0", 1);
	assert_int_equal(npu_graph_new(&g), 0);
	randnet_build(g, &rn, 1);
	assert_int_equal(npu_compile(g, &p), 0);
	assert_int_equal(npu_executor_new(p, NPU_EXEC_EMU, NULL, &e), -ENOENT);
	setenv("NPU_EMU_PLUGIN", EMU_PLUGIN_PATH, 1);
	setenv("NPU_EMU_WORKERS", "0", 1);
	assert_int_equal(npu_executor_new(p, NPU_EXEC_EMU, NULL, &e), -EINVAL);
	setenv("NPU_EMU_WORKERS", "65", 1);
	assert_int_equal(npu_executor_new(p, NPU_EXEC_EMU, NULL, &e), -EINVAL);
	unsetenv("NPU_EMU_WORKERS");
	assert_int_equal(npu_executor_new(p, NPU_EXEC_NPU, NULL, &e), -EINVAL);
	assert_int_equal(npu_executor_new(p, 7, NULL, &e), -EINVAL);
	npu_program_free(p);
	npu_graph_free(g);
}

/* Tiling to a small SRAM changes the program, not the result. */
static void test_tiling_is_exact(void **state)
{
	int seed, tiled = 0;

	for (seed = 1; seed <= 120; seed++) {
		struct npu_compile_opts small = { .sram_bytes = 256 };
		struct npu_program_stats sa, sb;
		struct npu_executor *ea, *eb;
		struct npu_program *pa, *pb;
		struct npu_graph *g;
		struct randnet rn;
		uint8_t in[4096], a[64], b[64];
		const void *ins[1] = { in };
		void *oa[1] = { a }, *ob[1] = { b };

		assert_int_equal(npu_graph_new(&g), 0);
		randnet_build(g, &rn, seed);
		assert_int_equal(npu_compile(g, &pa), 0);
		assert_int_equal(npu_compile_with(g, &small, &pb), 0);
		npu_program_stats(pa, &sa);
		npu_program_stats(pb, &sb);
		tiled += sb.device_ops > sa.device_ops;
		fill(in, sizeof(in), seed);
		assert_int_equal(npu_executor_new(pa, NPU_EXEC_REF, NULL, &ea), 0);
		assert_int_equal(npu_executor_new(pb, NPU_EXEC_REF, NULL, &eb), 0);
		assert_int_equal(npu_executor_run(ea, ins, oa, NULL), 0);
		assert_int_equal(npu_executor_run(eb, ins, ob, NULL), 0);
		assert_memory_equal(a, b, rn.out_shape[0] * rn.out_shape[3]);
		npu_executor_free(ea);
		npu_executor_free(eb);
		npu_program_free(pa);
		npu_program_free(pb);
		npu_graph_free(g);
	}
	assert_true(tiled > 30);
}

static int tensor8(struct npu_graph *g, enum npu_elem e, uint32_t n, uint32_t h,
		   uint32_t w, uint32_t c, float s, int32_t z)
{
	struct npu_tensor_info t = { .name = "t", .elem = e,
				     .shape = { n, h, w, c }, .qcount = 1,
				     .scales = &s, .zero_points = &z };
	int id = -1;

	assert_int_equal(npu_graph_tensor(g, &t, &id), 0);
	return id;
}

/* A uint8 edge is the int8 graph shifted by 128, exactly. */
static void test_uint8_edges(void **state)
{
	struct npu_program *p[2];
	struct npu_executor *e[2];
	uint8_t in[2][6 * 6 * 3], out[2][6 * 6 * 4];
	int variant, i;

	fill(in[0], sizeof(in[0]), 99);
	for (i = 0; i < (int)sizeof(in[0]); i++)
		in[1][i] = in[0][i] ^ 0x80;
	for (variant = 0; variant < 2; variant++) {
		enum npu_elem edge = variant ? NPU_ELEM_UINT8 : NPU_ELEM_INT8;
		int32_t shift = variant ? 128 : 0;
		struct npu_graph *g;
		struct randnet rn = { .rng = 5 };
		struct npu_op_info op = { .type = NPU_OP_CONV2D, .name = "conv",
					  .act = NPU_ACT_RELU };
		int x, y, bias;
		const void *ins[1] = { in[variant] };
		void *outs[1] = { out[variant] };

		assert_int_equal(npu_graph_new(&g), 0);
		x = tensor8(g, edge, 1, 6, 6, 3, 0.05f, -7 + shift);
		y = tensor8(g, edge, 1, 6, 6, 4, 0.1f, 3 + shift);
		op.inputs[0] = x;
		op.inputs[1] = rn_weights(g, &rn, 4, 3, 3, 3, &bias);
		op.inputs[2] = bias;
		op.output = y;
		op.pad[0] = op.pad[1] = op.pad[2] = op.pad[3] = 1;
		assert_int_equal(npu_graph_op(g, &op), 0);
		assert_int_equal(npu_graph_io(g, &x, 1, &y, 1), 0);
		assert_int_equal(npu_compile(g, &p[variant]), 0);
		assert_int_equal(npu_executor_new(p[variant], NPU_EXEC_REF, NULL,
						  &e[variant]), 0);
		assert_int_equal(npu_executor_run(e[variant], ins, outs, NULL), 0);
		npu_graph_free(g);
	}
	for (i = 0; i < (int)sizeof(out[0]); i++)
		assert_int_equal(out[1][i], out[0][i] ^ 0x80);
	for (variant = 0; variant < 2; variant++) {
		npu_executor_free(e[variant]);
		npu_program_free(p[variant]);
	}
}

/* Matmul of two activations against double arithmetic. */
static void test_matmul(void **state)
{
	const uint32_t M = 7, K = 13, P = 5;
	const float sa = 0.04f, sb = 0.03f, so = 0.2f;
	const int32_t za = 5, zb = -3, zo = -10;
	int8_t A[7 * 13], B[13 * 5], out[7 * 5];
	const void *ins[2] = { A, B };
	void *outs[1] = { out };
	struct npu_op_info op = { .type = NPU_OP_MATMUL, .name = "mm" };
	struct npu_executor *e;
	struct npu_program *p;
	struct npu_graph *g;
	uint32_t i, j, k;
	int io[2], y;

	fill((uint8_t *)A, sizeof(A), 1);
	fill((uint8_t *)B, sizeof(B), 2);
	assert_int_equal(npu_graph_new(&g), 0);
	io[0] = tensor8(g, NPU_ELEM_INT8, 1, 1, M, K, sa, za);
	io[1] = tensor8(g, NPU_ELEM_INT8, 1, 1, K, P, sb, zb);
	y = tensor8(g, NPU_ELEM_INT8, 1, 1, M, P, so, zo);
	op.inputs[0] = io[0];
	op.inputs[1] = io[1];
	op.inputs[2] = -1;
	op.output = y;
	assert_int_equal(npu_graph_op(g, &op), 0);
	assert_int_equal(npu_graph_io(g, io, 2, &y, 1), 0);
	assert_int_equal(npu_compile(g, &p), 0);
	assert_int_equal(npu_executor_new(p, NPU_EXEC_REF, NULL, &e), 0);
	assert_int_equal(npu_executor_run(e, ins, outs, NULL), 0);
	for (i = 0; i < M; i++) {
		for (j = 0; j < P; j++) {
			double acc = 0, q;

			for (k = 0; k < K; k++)
				acc += (A[i * K + k] - za) * (double)(B[k * P + j] - zb);
			q = nearbyint(acc * sa * sb / so) + zo;
			q = q < -128 ? -128 : q > 127 ? 127 : q;
			assert_true(fabs(out[i * P + j] - q) <= 1);
		}
	}
	npu_executor_free(e);
	npu_program_free(p);
	npu_graph_free(g);
}

/* A ReLU after a conv is fused into it: one device op, same bytes. */
static void test_activation_fusion(void **state)
{
	uint8_t in[6 * 6 * 3], out[2][6 * 6 * 4];
	int variant;

	fill(in, sizeof(in), 3);
	for (variant = 0; variant < 3; variant++) {
		struct npu_op_info conv = { .type = NPU_OP_CONV2D, .name = "conv",
					    .pad = { 1, 1, 1, 1 } };
		struct npu_op_info relu = { .type = NPU_OP_RESCALE, .name = "relu",
					    .act = NPU_ACT_RELU6 };
		struct npu_program_stats st;
		struct npu_executor *e;
		struct npu_program *p;
		struct npu_graph *g;
		struct randnet rn = { .rng = 11 };
		const void *ins[1] = { in };
		void *outs[2] = { out[variant & 1], out[1] };
		int x, y, z, bias, io[2];

		assert_int_equal(npu_graph_new(&g), 0);
		x = tensor8(g, NPU_ELEM_INT8, 1, 6, 6, 3, 0.05f, -7);
		y = tensor8(g, NPU_ELEM_INT8, 1, 6, 6, 4, 0.05f, 3);
		z = tensor8(g, NPU_ELEM_INT8, 1, 6, 6, 4, 0.05f, 3);
		conv.inputs[0] = x;
		conv.inputs[1] = rn_weights(g, &rn, 4, 3, 3, 3, &bias);
		conv.inputs[2] = bias;
		conv.output = y;
		if (variant == 0)		/* reference: the act fused by hand */
			conv.act = NPU_ACT_RELU6;
		assert_int_equal(npu_graph_op(g, &conv), 0);
		relu.inputs[0] = y;
		relu.inputs[1] = relu.inputs[2] = -1;
		relu.output = z;
		if (variant)
			assert_int_equal(npu_graph_op(g, &relu), 0);
		io[0] = variant ? z : y;
		io[1] = y;			/* variant 2: y is an output too */
		assert_int_equal(npu_graph_io(g, &x, 1, io, variant == 2 ? 2 : 1), 0);
		assert_int_equal(npu_compile(g, &p), 0);
		npu_program_stats(p, &st);
		assert_int_equal(st.device_ops, variant == 2 ? 2 : 1);
		assert_int_equal(npu_executor_new(p, NPU_EXEC_REF, NULL, &e), 0);
		assert_int_equal(npu_executor_run(e, ins, outs, NULL), 0);
		npu_executor_free(e);
		npu_program_free(p);
		npu_graph_free(g);
		if (variant == 1)
			assert_memory_equal(out[0], out[1], sizeof(out[0]));
	}
}

/* Modelled cycles of a run on emu: @segments device segments split by CPU softmaxes. */
static uint64_t cycles_of(int segments)
{
	int8_t in[20], out[20];
	const void *ins[1] = { in };
	void *outs[1] = { out };
	struct npu_job_result r;
	struct npu_executor *e;
	struct npu_program *p;
	struct npu_graph *g;
	int x, y, k;

	fill((uint8_t *)in, sizeof(in), 9);
	assert_int_equal(npu_graph_new(&g), 0);
	x = tensor8(g, NPU_ELEM_INT8, 2, 1, 1, 10, 0.1f, 4);
	for (k = 0; k < segments; k++) {
		struct npu_op_info op = { .type = NPU_OP_RESCALE, .inputs = { x, -1, -1 } };

		op.output = y = tensor8(g, NPU_ELEM_INT8, 2, 1, 1, 10, 0.05f, 0);
		assert_int_equal(npu_graph_op(g, &op), 0);
		if (k + 1 == segments)
			break;
		op.type = NPU_OP_SOFTMAX;
		op.inputs[0] = y;
		op.output = x = tensor8(g, NPU_ELEM_INT8, 2, 1, 1, 10, 1.0f / 256, -128);
		assert_int_equal(npu_graph_op(g, &op), 0);
	}
	x = 0;
	assert_int_equal(npu_graph_io(g, &x, 1, &y, 1), 0);
	assert_int_equal(npu_compile(g, &p), 0);
	assert_int_equal(npu_executor_new(p, NPU_EXEC_EMU, NULL, &e), 0);
	assert_int_equal(npu_executor_run(e, ins, outs, &r), 0);
	npu_executor_free(e);
	npu_program_free(p);
	npu_graph_free(g);
	return r.cycles;
}

/* A run's modelled cycles are those of all its device segments, not the last one's. */
static void test_cycles_of_all_segments(void **state)
{
	uint64_t one;

	(void)state;
	setenv("NPU_EMU_PLUGIN", EMU_PLUGIN_PATH, 1);
	one = cycles_of(1);
	/* three like segments (their addresses differ: a few cycles apart), not one */
	assert_true(one > 20);
	assert_in_range(cycles_of(3), 3 * one - 6, 3 * one + 6);
}

/* Softmax on int8 runs on the CPU, dequantized and requantized there. */
static void test_int8_softmax(void **state)
{
	int8_t in[2 * 10], out[2][2 * 10];
	int variant, i;

	fill((uint8_t *)in, sizeof(in), 8);
	for (variant = 0; variant < 2; variant++) {
		struct npu_op_info op = { .inputs = { -1, -1, -1 } };
		struct npu_executor *e;
		struct npu_program *p;
		struct npu_graph *g;
		const void *ins[1] = { in };
		void *outs[1] = { out[variant] };
		struct npu_tensor_info f = { .elem = NPU_ELEM_FLOAT32,
					     .shape = { 2, 1, 1, 10 } };
		int x, y, xf, yf;

		assert_int_equal(npu_graph_new(&g), 0);
		x = tensor8(g, NPU_ELEM_INT8, 2, 1, 1, 10, 0.1f, 4);
		y = tensor8(g, NPU_ELEM_INT8, 2, 1, 1, 10, 1.0f / 256, -128);
		if (variant == 0) {
			op.type = NPU_OP_SOFTMAX;
			op.inputs[0] = x;
			op.output = y;
			assert_int_equal(npu_graph_op(g, &op), 0);
		} else {
			assert_int_equal(npu_graph_tensor(g, &f, &xf), 0);
			assert_int_equal(npu_graph_tensor(g, &f, &yf), 0);
			op.type = NPU_OP_DEQUANTIZE;
			op.inputs[0] = x;
			op.output = xf;
			assert_int_equal(npu_graph_op(g, &op), 0);
			op.type = NPU_OP_SOFTMAX;
			op.inputs[0] = xf;
			op.output = yf;
			assert_int_equal(npu_graph_op(g, &op), 0);
			op.type = NPU_OP_QUANTIZE;
			op.inputs[0] = yf;
			op.output = y;
			assert_int_equal(npu_graph_op(g, &op), 0);
		}
		assert_int_equal(npu_graph_io(g, &x, 1, &y, 1), 0);
		assert_int_equal(npu_compile(g, &p), 0);
		assert_int_equal(npu_executor_new(p, NPU_EXEC_REF, NULL, &e), 0);
		assert_int_equal(npu_executor_run(e, ins, outs, NULL), 0);
		npu_executor_free(e);
		npu_program_free(p);
		npu_graph_free(g);
	}
	assert_memory_equal(out[0], out[1], sizeof(out[0]));
	/* Probabilities: each row's dequantized values sum to about 1. */
	for (i = 0; i < 2; i++) {
		int sum = 0, k;

		for (k = 0; k < 10; k++)
			sum += out[0][i * 10 + k] + 128;
		assert_true(sum > 240 && sum < 272);
	}
}

static void test_limits_are_errors(void **state)
{
	struct npu_tensor_info t = { .name = "huge", .elem = NPU_ELEM_INT8,
				     .shape = { 1, 1, 1, 70000 }, .qcount = 1 };
	float s = 1;
	int32_t z = 0;
	struct npu_graph *g;
	int id;

	t.scales = &s;
	t.zero_points = &z;
	assert_int_equal(npu_graph_new(&g), 0);
	assert_int_equal(npu_graph_tensor(g, &t, &id), -E2BIG);
	assert_non_null(strstr(npu_graph_error(g), "huge"));
	assert_non_null(strstr(npu_graph_error(g), "65535"));
	npu_graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emu_equals_ref),
		cmocka_unit_test(test_missing_plugin),
		cmocka_unit_test(test_tiling_is_exact),
		cmocka_unit_test(test_uint8_edges),
		cmocka_unit_test(test_matmul),
		cmocka_unit_test(test_activation_fusion),
		cmocka_unit_test(test_int8_softmax),
		cmocka_unit_test(test_cycles_of_all_segments),
		cmocka_unit_test(test_limits_are_errors),
	};

	return cmocka_run_group_tests_name("executors", tests, NULL, NULL);
}
