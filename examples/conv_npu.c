// SPDX-License-Identifier: MIT
/*
 * Quantize a float 3x3 convolution (per-channel weights, calibrated
 * activations), compile it and run it on the NPU; report the SQNR of the
 * INT8 result against the float one.
 *
 *   cc conv_npu.c $(pkg-config --cflags --libs libnpu) -lm -o conv_npu
 *   conv_npu [npu|emu|ref]
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <npu/graph.h>

#define H 16
#define W 16
#define CIN 8
#define COUT 16
#define K (3 * 3 * CIN)

static float frand(unsigned int *s)
{
	*s = *s * 1103515245u + 12345u;
	return ((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/* The float layer: 3x3, padding 1, ReLU. */
static void conv_f32(const float *x, const float *w, const float *b, float *y)
{
	for (int oy = 0; oy < H; oy++)
	for (int ox = 0; ox < W; ox++)
	for (int o = 0; o < COUT; o++) {
		float acc = b[o];

		for (int ky = 0; ky < 3; ky++)
		for (int kx = 0; kx < 3; kx++) {
			int iy = oy + ky - 1, ix = ox + kx - 1;

			if (iy < 0 || iy >= H || ix < 0 || ix >= W)
				continue;
			for (int c = 0; c < CIN; c++)
				acc += x[(iy * W + ix) * CIN + c] *
				       w[((o * 3 + ky) * 3 + kx) * CIN + c];
		}
		y[(oy * W + ox) * COUT + o] = acc > 0 ? acc : 0;
	}
}

static int tensor(struct npu_graph *g, enum npu_elem e, const uint32_t *shape,
		  uint32_t n, const float *s, const int32_t *z, const void *data)
{
	struct npu_tensor_info t = { .elem = e, .qcount = n, .scales = s,
				     .zero_points = z, .data = data };
	int id = -1;

	memcpy(t.shape, shape, sizeof(t.shape));
	npu_graph_tensor(g, &t, &id);
	return id;
}

int main(int argc, char **argv)
{
	static float w[COUT * K], b[COUT], x[H * W * CIN], y[H * W * COUT];
	static float got[H * W * COUT];
	struct npu_qparams wq[COUT], xq, yq;
	float mins[COUT], maxs[COUT], ws[COUT];
	int32_t wz[COUT] = { 0 }, b32[COUT];
	int8_t w8[COUT * K];
	struct npu_observer *in_obs, *out_obs;
	enum npu_executor_kind kind = NPU_EXEC_NPU;
	struct npu_device *dev = NULL;
	struct npu_executor *exe;
	struct npu_program *prog;
	struct npu_graph *g;
	unsigned int seed = 1;
	double sqnr;
	int i, batch, ret;

	if (argc > 1)
		kind = !strcmp(argv[1], "ref") ? NPU_EXEC_REF :
		       !strcmp(argv[1], "emu") ? NPU_EXEC_EMU : NPU_EXEC_NPU;
	for (i = 0; i < COUT * K; i++)
		w[i] = 0.2f * frand(&seed);
	for (i = 0; i < COUT; i++)
		b[i] = 0.1f * frand(&seed);

	/* Weights: symmetric int8, one scale per output channel. */
	npu_channel_ranges(w, COUT, K, mins, maxs);
	npu_qparams_per_channel(mins, maxs, COUT, NPU_INT8, true, wq);
	npu_quantize_weights(w, COUT, K, wq, w8);
	for (i = 0; i < COUT; i++)
		ws[i] = wq[i].scale;

	/* Activations: calibrate input and output ranges on sample data. */
	npu_observer_new(NPU_CALIB_MINMAX, NULL, &in_obs);
	npu_observer_new(NPU_CALIB_MINMAX, NULL, &out_obs);
	for (batch = 0; batch < 8; batch++) {
		for (i = 0; i < H * W * CIN; i++)
			x[i] = frand(&seed) + 0.3f;
		conv_f32(x, w, b, y);
		npu_observer_update(in_obs, x, H * W * CIN);
		npu_observer_update(out_obs, y, H * W * COUT);
	}
	npu_observer_qparams(in_obs, NPU_INT8, false, &xq);
	npu_observer_qparams(out_obs, NPU_INT8, false, &yq);
	npu_quantize_bias(b, COUT, xq.scale, ws, b32);

	/* The graph: float in, quantize, conv + ReLU, dequantize, float out. */
	{
		const uint32_t sx[4] = { 1, H, W, CIN }, sy[4] = { 1, H, W, COUT };
		const uint32_t sw[4] = { COUT, 3, 3, CIN }, sb[4] = { 1, 1, 1, COUT };
		struct npu_op_info op = { .inputs = { -1, -1, -1 } };
		int xf, xi, wt, bt, yi, yf;

		npu_graph_new(&g);
		xf = tensor(g, NPU_ELEM_FLOAT32, sx, 0, NULL, NULL, NULL);
		xi = tensor(g, NPU_ELEM_INT8, sx, 1, &xq.scale, &xq.zero_point, NULL);
		wt = tensor(g, NPU_ELEM_INT8, sw, COUT, ws, wz, w8);
		bt = tensor(g, NPU_ELEM_INT32, sb, 0, NULL, NULL, b32);
		yi = tensor(g, NPU_ELEM_INT8, sy, 1, &yq.scale, &yq.zero_point, NULL);
		yf = tensor(g, NPU_ELEM_FLOAT32, sy, 0, NULL, NULL, NULL);
		op.type = NPU_OP_QUANTIZE;
		op.inputs[0] = xf;
		op.output = xi;
		npu_graph_op(g, &op);
		op = (struct npu_op_info){ .type = NPU_OP_CONV2D, .name = "conv",
					   .inputs = { xi, wt, bt }, .output = yi,
					   .pad = { 1, 1, 1, 1 }, .act = NPU_ACT_RELU };
		npu_graph_op(g, &op);
		op = (struct npu_op_info){ .type = NPU_OP_DEQUANTIZE,
					   .inputs = { yi, -1, -1 }, .output = yf };
		npu_graph_op(g, &op);
		npu_graph_io(g, &xf, 1, &yf, 1);
	}

	ret = npu_compile(g, &prog);
	if (ret) {
		fprintf(stderr, "conv_npu: %s\n", npu_graph_error(g));
		return 1;
	}
	if (kind == NPU_EXEC_NPU && (ret = npu_device_open(0, &dev))) {
		fprintf(stderr, "conv_npu: %s\n", npu_strerror(ret));
		return 2;
	}
	ret = npu_executor_new(prog, kind, dev, &exe);
	if (!ret) {
		const void *in[1] = { x };
		void *out[1] = { got };

		ret = npu_executor_run(exe, in, out, NULL);
	}
	if (ret) {
		fprintf(stderr, "conv_npu: %s\n", npu_strerror(ret));
		return 1;
	}
	npu_sqnr_db(y, got, H * W * COUT, &sqnr);	/* y: the last float batch */
	printf("conv 3x3 %dx%dx%d -> %d on %s: SQNR %.1f dB, weights %d bytes int8 "
	       "(float: %d)\n", H, W, CIN, COUT, argc > 1 ? argv[1] : "npu", sqnr,
	       COUT * K, COUT * K * 4);
	npu_executor_free(exe);
	npu_program_free(prog);
	npu_graph_free(g);
	npu_observer_free(in_obs);
	npu_observer_free(out_obs);
	npu_device_close(dev);
	return sqnr > 30 ? 0 : 1;
}
