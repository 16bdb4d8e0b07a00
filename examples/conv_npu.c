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

/* The float layer and what quantizing it gives. */
struct layer {
	float w[COUT * K], b[COUT];		/* float weights and bias */
	float x[H * W * CIN], y[H * W * COUT];	/* the last calibration image */
	struct npu_qparams xq, yq;		/* activations */
	float ws[COUT];				/* weight scale per channel */
	int8_t w8[COUT * K];
	int32_t b32[COUT];
};

/* Weights: symmetric int8, one scale per output channel. */
static void quantize_weights(struct layer *l)
{
	struct npu_qparams wq[COUT];
	float mins[COUT], maxs[COUT];
	int i;

	npu_channel_ranges(l->w, COUT, K, mins, maxs);
	npu_qparams_per_channel(mins, maxs, COUT, NPU_INT8, true, wq);
	npu_quantize_weights(l->w, COUT, K, wq, l->w8);
	for (i = 0; i < COUT; i++)
		l->ws[i] = wq[i].scale;
}

/* Activations: input and output ranges calibrated on sample data; then the bias. */
static void calibrate(struct layer *l, unsigned int *seed)
{
	struct npu_observer *in_obs, *out_obs;
	int i, batch;

	npu_observer_new(NPU_CALIB_MINMAX, NULL, &in_obs);
	npu_observer_new(NPU_CALIB_MINMAX, NULL, &out_obs);
	for (batch = 0; batch < 8; batch++) {
		for (i = 0; i < H * W * CIN; i++)
			l->x[i] = frand(seed) + 0.3f;
		conv_f32(l->x, l->w, l->b, l->y);
		npu_observer_update(in_obs, l->x, H * W * CIN);
		npu_observer_update(out_obs, l->y, H * W * COUT);
	}
	npu_observer_qparams(in_obs, NPU_INT8, false, &l->xq);
	npu_observer_qparams(out_obs, NPU_INT8, false, &l->yq);
	npu_quantize_bias(l->b, COUT, l->xq.scale, l->ws, l->b32);
	npu_observer_free(in_obs);
	npu_observer_free(out_obs);
}

/* The graph: float in, quantize, conv + ReLU, dequantize, float out. */
static struct npu_graph *build_graph(const struct layer *l)
{
	const uint32_t sx[4] = { 1, H, W, CIN }, sy[4] = { 1, H, W, COUT };
	const uint32_t sw[4] = { COUT, 3, 3, CIN }, sb[4] = { 1, 1, 1, COUT };
	static const int32_t wz[COUT];
	struct npu_op_info op = { .inputs = { -1, -1, -1 } };
	struct npu_graph *g;
	int xf, xi, wt, bt, yi, yf;

	if (npu_graph_new(&g))
		return NULL;
	xf = tensor(g, NPU_ELEM_FLOAT32, sx, 0, NULL, NULL, NULL);
	xi = tensor(g, NPU_ELEM_INT8, sx, 1, &l->xq.scale, &l->xq.zero_point, NULL);
	wt = tensor(g, NPU_ELEM_INT8, sw, COUT, l->ws, wz, l->w8);
	bt = tensor(g, NPU_ELEM_INT32, sb, 0, NULL, NULL, l->b32);
	yi = tensor(g, NPU_ELEM_INT8, sy, 1, &l->yq.scale, &l->yq.zero_point, NULL);
	yf = tensor(g, NPU_ELEM_FLOAT32, sy, 0, NULL, NULL, NULL);
	op.type = NPU_OP_QUANTIZE;
	op.inputs[0] = xf;
	op.output = xi;
	npu_graph_op(g, &op);
	op = (struct npu_op_info){ .type = NPU_OP_CONV2D, .name = "conv",
				   .inputs = { xi, wt, bt }, .output = yi,
				   .pad = { 1, 1, 1, 1 }, .act = NPU_ACT_RELU };
	npu_graph_op(g, &op);
	op = (struct npu_op_info){ .type = NPU_OP_DEQUANTIZE, .inputs = { yi, -1, -1 },
				   .output = yf };
	npu_graph_op(g, &op);
	npu_graph_io(g, &xf, 1, &yf, 1);
	return g;
}

/* Compile and run on @kind; 0, or the exit status. */
static int run(struct npu_graph *g, enum npu_executor_kind kind, const float *x, float *got)
{
	const void *in[1] = { x };
	void *out[1] = { got };
	struct npu_device *dev = NULL;
	struct npu_executor *exe = NULL;
	struct npu_program *prog;
	int ret = npu_compile(g, &prog);

	if (ret) {
		fprintf(stderr, "conv_npu: %s\n", npu_graph_error(g));
		return 1;
	}
	if (kind == NPU_EXEC_NPU && (ret = npu_device_open(0, &dev))) {
		fprintf(stderr, "conv_npu: %s\n", npu_strerror(ret));
		npu_program_free(prog);
		return 2;
	}
	ret = npu_executor_new(prog, kind, dev, &exe);
	if (!ret)
		ret = npu_executor_run(exe, in, out, NULL);
	if (ret)
		fprintf(stderr, "conv_npu: %s\n", npu_strerror(ret));
	npu_executor_free(exe);
	npu_program_free(prog);
	npu_device_close(dev);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	static struct layer l;
	static float got[H * W * COUT];
	enum npu_executor_kind kind = NPU_EXEC_NPU;
	unsigned int seed = 1;
	struct npu_graph *g;
	double sqnr;
	int i, ret;

	if (argc > 1)
		kind = !strcmp(argv[1], "ref") ? NPU_EXEC_REF :
		       !strcmp(argv[1], "emu") ? NPU_EXEC_EMU : NPU_EXEC_NPU;
	for (i = 0; i < COUT * K; i++)
		l.w[i] = 0.2f * frand(&seed);
	for (i = 0; i < COUT; i++)
		l.b[i] = 0.1f * frand(&seed);
	quantize_weights(&l);
	calibrate(&l, &seed);
	g = build_graph(&l);
	ret = g ? run(g, kind, l.x, got) : 1;
	npu_graph_free(g);
	if (ret)
		return ret;
	npu_sqnr_db(l.y, got, H * W * COUT, &sqnr);	/* y: the last float image */
	printf("conv 3x3 %dx%dx%d -> %d on %s: SQNR %.1f dB, weights %d bytes int8 "
	       "(float: %d)\n", H, W, CIN, COUT, argc > 1 ? argv[1] : "npu", sqnr,
	       COUT * K, COUT * K * 4);
	return sqnr > 30 ? 0 : 1;
}
