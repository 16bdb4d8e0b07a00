// SPDX-License-Identifier: MIT
/*
 * No program that compiles is rejected by the device for a limit the
 * compiler knows (docs/arithmetic.md 8): convolutions whose padding reaches
 * the dilated kernel, whose stride is over 255 or whose K is over
 * CAP_MAX_K, and average pools whose window is over 255, run on the CPU
 * with the device's arithmetic; each is compared with a graph the device
 * takes that must give the same bytes (an input padded or sampled by
 * hand), or with the formula. What has no exact form is refused at
 * compile time, naming the op.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <npu/graph.h>

#define SX	0.05f	/* input scale, zero point */
#define ZX	3
#define SW	0.02f	/* weights */
#define SY	0.1f	/* output */
#define ZY	-5

static int tensor(struct npu_graph *g, const uint32_t shape[4], float s, int32_t z,
		  const void *data, enum npu_elem e)
{
	struct npu_tensor_info t = { .name = "t", .elem = e, .qcount = e == NPU_ELEM_INT32 ? 0 : 1,
				     .scales = &s, .zero_points = &z, .data = data };
	int id;

	memcpy(t.shape, shape, sizeof(t.shape));
	assert_int_equal(npu_graph_tensor(g, &t, &id), 0);
	return id;
}

/* A one-op graph: x -> op -> y, int8 in and out. */
static struct npu_graph *one_op(const uint32_t xs[4], const uint32_t ys[4],
				struct npu_op_info op, const uint32_t ws[4], const int8_t *w)
{
	struct npu_graph *g;
	int x, y;

	assert_int_equal(npu_graph_new(&g), 0);
	x = tensor(g, xs, SX, ZX, NULL, NPU_ELEM_INT8);
	y = tensor(g, ys, SY, ZY, NULL, NPU_ELEM_INT8);
	op.inputs[0] = x;
	op.inputs[1] = w ? tensor(g, ws, SW, 0, w, NPU_ELEM_INT8) : -1;
	op.inputs[2] = -1;
	op.output = y;
	op.name = "op";
	assert_int_equal(npu_graph_op(g, &op), 0);
	assert_int_equal(npu_graph_io(g, &x, 1, &y, 1), 0);
	return g;
}

/* Compile and run on emu and ref, which must both succeed and agree; *cpu: CPU ops. */
static void run(struct npu_graph *g, const int8_t *x, int8_t *y, size_t ny, uint32_t *cpu)
{
	struct npu_executor *emu, *ref;
	struct npu_program_stats st;
	struct npu_job_result res;
	struct npu_program *p;
	int8_t *y2 = malloc(ny);
	const void *in[1] = { x };
	void *oe[1] = { y }, *orf[1] = { y2 };

	if (npu_compile(g, &p))
		fail_msg("%s", npu_graph_error(g));
	assert_int_equal(npu_program_stats(p, &st), 0);
	*cpu = st.cpu_ops;
	assert_int_equal(npu_executor_new(p, NPU_EXEC_EMU, NULL, &emu), 0);
	assert_int_equal(npu_executor_new(p, NPU_EXEC_REF, NULL, &ref), 0);
	assert_int_equal(npu_executor_run(emu, in, oe, &res), 0);
	assert_int_equal(npu_executor_run(ref, in, orf, NULL), 0);
	assert_memory_equal(y, y2, ny);
	npu_executor_free(emu);
	npu_executor_free(ref);
	npu_program_free(p);
	free(y2);
}

static void fill(int8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (int8_t)(seed >> 16);
	}
}

/*
 * Padding as large as the kernel's extent (a 1x1 with pads 2, a 3x3 with
 * pads 3): the same bytes as the convolution without padding of the input
 * padded by hand with its zero point.
 */
static void test_padding_beyond_the_kernel(void **state)
{
	static const uint32_t k[2] = { 1, 3 }, pad[2] = { 2, 3 };
	int c;

	(void)state;
	for (c = 0; c < 2; c++) {
		uint32_t H = 5, P = pad[c], HP = H + 2 * P, OH = HP - k[c] + 1, cpu, cpu2;
		const uint32_t xs[4] = { 1, H, H, 8 }, ps[4] = { 1, HP, HP, 8 };
		const uint32_t ys[4] = { 1, OH, OH, 4 }, ws[4] = { 4, k[c], k[c], 8 };
		struct npu_op_info op = { .type = NPU_OP_CONV2D, .pad = { P, P, P, P } };
		int8_t x[5 * 5 * 8], xp[11 * 11 * 8], w[4 * 9 * 8], y[9 * 9 * 4], y2[9 * 9 * 4];
		struct npu_graph *g;
		uint32_t i, j;

		fill(x, sizeof(x), 1 + c);
		fill(w, sizeof(w), 7 + c);
		g = one_op(xs, ys, op, ws, w);
		run(g, x, y, OH * OH * 4, &cpu);
		npu_graph_free(g);
		assert_true(cpu >= 1);	/* the device cannot take it */

		memset(xp, ZX, sizeof(xp));
		for (i = 0; i < H; i++)
			for (j = 0; j < H; j++)
				memcpy(xp + ((i + P) * HP + j + P) * 8, x + (i * H + j) * 8, 8);
		op.pad[0] = op.pad[1] = op.pad[2] = op.pad[3] = 0;
		g = one_op(ps, ys, op, ws, w);
		run(g, xp, y2, OH * OH * 4, &cpu2);
		npu_graph_free(g);
		assert_int_equal(cpu2, 0);
		assert_memory_equal(y, y2, OH * OH * 4);
	}
}

/* A stride of 300: the same bytes as stride 1 over the sampled columns. */
static void test_stride_over_255(void **state)
{
	const uint32_t xs[4] = { 1, 2, 601, 8 }, ss[4] = { 1, 2, 3, 8 };
	const uint32_t ys[4] = { 1, 2, 3, 4 }, ws[4] = { 4, 1, 1, 8 };
	struct npu_op_info op = { .type = NPU_OP_CONV2D, .stride = { 1, 300 } };
	static int8_t x[2 * 601 * 8];
	int8_t w[32], xs3[2 * 3 * 8], y[24], y2[24];
	struct npu_graph *g;
	uint32_t cpu, r, j;

	(void)state;
	fill(x, sizeof(x), 3);
	fill(w, sizeof(w), 4);
	g = one_op(xs, ys, op, ws, w);
	run(g, x, y, sizeof(y), &cpu);
	npu_graph_free(g);
	assert_true(cpu >= 1);
	for (r = 0; r < 2; r++)
		for (j = 0; j < 3; j++)
			memcpy(xs3 + (r * 3 + j) * 8, x + (r * 601 + j * 300) * 8, 8);
	op.stride[1] = 1;
	g = one_op(ss, ys, op, ws, w);
	run(g, xs3, y2, sizeof(y2), &cpu);
	npu_graph_free(g);
	assert_int_equal(cpu, 0);
	assert_memory_equal(y, y2, sizeof(y));
}

/* The real result of requantizing @acc (a float, so 1 LSB from the device's MBQM at most). */
static int expect(double real)
{
	long v = lrint(real / SY) + ZY;

	return v < -128 ? -128 : v > 127 ? 127 : (int)v;
}

/* K = 3 x 3 x 8192 = 73728, over CAP_MAX_K: on the CPU, within 1 LSB of the formula. */
static void test_k_over_the_limit(void **state)
{
	enum { C = 8192, K = 9 * C };
	const uint32_t xs[4] = { 1, 3, 3, C }, ys[4] = { 1, 1, 1, 2 }, ws[4] = { 2, 3, 3, C };
	struct npu_op_info op = { .type = NPU_OP_CONV2D };
	static int8_t x[K], w[2 * K];
	struct npu_graph *g;
	int8_t y[2];
	uint32_t cpu;
	int o, i;

	(void)state;
	fill(x, sizeof(x), 5);
	fill(w, sizeof(w), 6);
	g = one_op(xs, ys, op, ws, w);
	run(g, x, y, sizeof(y), &cpu);
	npu_graph_free(g);
	assert_true(cpu >= 1);
	for (o = 0; o < 2; o++) {
		int64_t acc = 0;

		for (i = 0; i < K; i++)
			acc += (int64_t)(x[i] - ZX) * w[o * K + i];
		assert_true(abs(y[o] - expect((double)acc * SX * SW)) <= 1);
	}
}

/* A global average pool over 300 x 2: on the CPU, within 1 LSB of the mean. */
static void test_global_pool_over_255(void **state)
{
	const uint32_t xs[4] = { 1, 300, 2, 4 }, ys[4] = { 1, 1, 1, 4 };
	struct npu_op_info op = { .type = NPU_OP_GLOBAL_AVGPOOL };
	static int8_t x[300 * 2 * 4];
	struct npu_graph *g;
	int8_t y[4];
	uint32_t cpu;
	int c, i;

	(void)state;
	fill(x, sizeof(x), 9);
	g = one_op(xs, ys, op, NULL, NULL);
	run(g, x, y, sizeof(y), &cpu);
	npu_graph_free(g);
	assert_true(cpu >= 1);
	for (c = 0; c < 4; c++) {
		int64_t sum = 0;

		for (i = 0; i < 600; i++)
			sum += x[i * 4 + c] - ZX;
		assert_true(abs(y[c] - expect((double)sum / 600 * SX)) <= 1);
	}
}

/* What has no exact form is refused when compiling, naming the op. */
static void test_refused_at_compile_time(void **state)
{
	const uint32_t xs[4] = { 1, 4, 300, 4 };
	const uint32_t y1[4] = { 1, 4, 1, 4 }, y2[4] = { 1, 6, 300, 4 };
	struct npu_op_info big = { .type = NPU_OP_MAXPOOL, .kernel = { 1, 300 } };
	struct npu_op_info padded = { .type = NPU_OP_MAXPOOL, .kernel = { 1, 1 },
				      .pad = { 1, 0, 1, 0 } };
	struct npu_graph *g;
	struct npu_program *p;

	(void)state;
	/* A max pool keeps its input's scale: the output has the input's. */
	{
		struct npu_tensor_info t = { .name = "x", .elem = NPU_ELEM_INT8, .qcount = 1 };
		float s = SX;
		int32_t z = ZX;
		int x, y, k;
		const uint32_t *shapes[2] = { y1, y2 };
		struct npu_op_info *ops[2] = { &big, &padded };
		const char *says[2] = { "over the device's 255", "leaves windows with no input" };

		for (k = 0; k < 2; k++) {
			assert_int_equal(npu_graph_new(&g), 0);
			t.scales = &s;
			t.zero_points = &z;
			memcpy(t.shape, xs, sizeof(t.shape));
			assert_int_equal(npu_graph_tensor(g, &t, &x), 0);
			memcpy(t.shape, shapes[k], sizeof(t.shape));
			assert_int_equal(npu_graph_tensor(g, &t, &y), 0);
			ops[k]->inputs[0] = x;
			ops[k]->inputs[1] = ops[k]->inputs[2] = -1;
			ops[k]->output = y;
			ops[k]->name = "pool";
			assert_int_equal(npu_graph_op(g, ops[k]), 0);
			assert_int_equal(npu_graph_io(g, &x, 1, &y, 1), 0);
			assert_int_not_equal(npu_compile(g, &p), 0);
			print_message("%s\n", npu_graph_error(g));
			assert_non_null(strstr(npu_graph_error(g), "op pool"));
			assert_non_null(strstr(npu_graph_error(g), says[k]));
			npu_graph_free(g);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_padding_beyond_the_kernel),
		cmocka_unit_test(test_stride_over_255),
		cmocka_unit_test(test_k_over_the_limit),
		cmocka_unit_test(test_global_pool_over_255),
		cmocka_unit_test(test_refused_at_compile_time),
	};

	setenv("NPU_EMU_PLUGIN", EMU_PLUGIN_PATH, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
