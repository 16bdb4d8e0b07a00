// SPDX-License-Identifier: MIT
/*
 * libnpu ONNX: the float executor of the float network, one function per
 * node kind (calibration data and the FP32 reference answers come from
 * here). Convolutions and fully connected layers go through a BLAS sgemm
 * (im2col) when one is installed, else plain loops in double accumulators.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fnet.h"
#include "ref/ref.h"

/* The operands of a node: its input and output buffers and shapes. */
struct frun {
	const float *x;
	float *y;
	const uint32_t *s, *o;
	uint64_t count;		/* output elements */
};

/* Group @g's patches of image @b: row p holds output pixel p's taps (ky, kx, ci). */
static void im2col(const struct fnode *f, const struct frun *r, uint32_t b, uint32_t g,
		   float *cols)
{
	const uint32_t *s = r->s, *o = r->o;
	uint32_t oy, ox, ky, kx;

	for (oy = 0; oy < o[1]; oy++)
	for (ox = 0; ox < o[2]; ox++)
	for (ky = 0; ky < f->kh; ky++)
	for (kx = 0; kx < f->kw; kx++) {
		int64_t iy = (int64_t)oy * f->stride[0] - f->pad[0] + ky * f->dil[0];
		int64_t ix = (int64_t)ox * f->stride[1] - f->pad[1] + kx * f->dil[1];
		float *dst = cols + (((uint64_t)oy * o[2] + ox) * f->kh * f->kw +
				     ky * f->kw + kx) * f->cin_g;

		if (iy < 0 || iy >= s[1] || ix < 0 || ix >= s[2])
			memset(dst, 0, sizeof(float) * f->cin_g);
		else
			memcpy(dst, r->x + ((b * s[1] + iy) * s[2] + ix) * s[3] + g * f->cin_g,
			       sizeof(float) * f->cin_g);
	}
}

/*
 * Convolution as a matrix product per image and group: patches [P][K] times
 * the group's weights [cog][K] transposed, into [P][cog], plus the bias.
 * false when there is no BLAS or the layer is depthwise (loops are as fast).
 */
static bool conv_blas(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	const uint32_t *o = r->o;
	uint32_t cog = f->cout / f->groups, K = f->kh * f->kw * f->cin_g, b, g, c;
	uint64_t P = (uint64_t)o[1] * o[2], p;
	float *cols, *prod;

	/* a pointwise convolution's patches are its input's pixels: no im2col */
	bool pointwise = K == r->s[3] && P == (uint64_t)r->s[1] * r->s[2] && f->groups == 1 &&
			 f->kh == 1 && f->kw == 1 && !(f->pad[0] | f->pad[1]);

	if (!n->sgemm || cog < 4 || P * K > (1u << 28))
		return false;
	cols = pointwise ? NULL : malloc(sizeof(float) * P * K);
	prod = malloc(sizeof(float) * P * cog);
	for (b = 0; (cols || pointwise) && prod && b < o[0]; b++) {
		for (g = 0; g < f->groups; g++) {
			const float *a = pointwise ? r->x + b * P * K : cols;

			if (!pointwise)
				im2col(f, r, b, g, cols);
			n->sgemm(101, 111, 112, (int)P, (int)cog, (int)K, 1.0f, a, (int)K,
				 f->w + (uint64_t)g * cog * K, (int)K, 0.0f, prod, (int)cog);
			for (p = 0; p < P; p++)
				for (c = 0; c < cog; c++)
					r->y[(b * P + p) * o[3] + g * cog + c] =
						prod[p * cog + c] + (f->b ? f->b[g * cog + c] : 0);
		}
	}
	free(prod);
	free(cols);
	return (cols || pointwise) && prod;
}

static void run_conv(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	const uint32_t *s = r->s, *o = r->o;
	uint32_t cog = f->cout / f->groups, b, oy, ox, c, ky, kx, ci;

	if (conv_blas(n, f, r))
		return;
	for (b = 0; b < o[0]; b++)
	for (oy = 0; oy < o[1]; oy++)
	for (ox = 0; ox < o[2]; ox++)
	for (c = 0; c < o[3]; c++) {
		double acc = f->b ? f->b[c] : 0;
		uint32_t g = c / cog;

		for (ky = 0; ky < f->kh; ky++)
		for (kx = 0; kx < f->kw; kx++) {
			int64_t iy = (int64_t)oy * f->stride[0] - f->pad[0] + ky * f->dil[0];
			int64_t ix = (int64_t)ox * f->stride[1] - f->pad[1] + kx * f->dil[1];

			if (iy < 0 || iy >= s[1] || ix < 0 || ix >= s[2])
				continue;
			for (ci = 0; ci < f->cin_g; ci++)
				acc += r->x[((b * s[1] + iy) * s[2] + ix) * s[3] + g * f->cin_g + ci] *
				       f->w[((c * f->kh + ky) * f->kw + kx) * f->cin_g + ci];
		}
		r->y[((b * o[1] + oy) * o[2] + ox) * o[3] + c] = acc;
	}
}

/* Distinct buffers (restrict) and branch-free selects: the compiler vectorises these. */
static void run_relu(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	const float *restrict x = r->x;
	float *restrict y = r->y;
	uint64_t i, count = r->count;

	for (i = 0; i < count; i++)
		y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

static void run_clip(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	const float *restrict x = r->x;
	float *restrict y = r->y;
	uint64_t i, count = r->count;
	float lo = f->lo, hi = f->hi, v;

	for (i = 0; i < count; i++) {
		v = x[i] > lo ? x[i] : lo;
		y[i] = v < hi ? v : hi;
	}
}

/* Max or average over the valid taps of the window at output (b, oy, ox, c). */
static double pool_at(const struct fnode *f, const struct frun *r, uint32_t b, uint32_t oy,
		      uint32_t ox, uint32_t c)
{
	const uint32_t *s = r->s;
	double m = -DBL_MAX, sum = 0;
	uint32_t ky, kx;
	int count = 0;

	for (ky = 0; ky < f->kernel[0]; ky++)
	for (kx = 0; kx < f->kernel[1]; kx++) {
		int64_t iy = (int64_t)oy * f->stride[0] - f->pad[0] + ky;
		int64_t ix = (int64_t)ox * f->stride[1] - f->pad[1] + kx;
		double v;

		if (iy < 0 || iy >= s[1] || ix < 0 || ix >= s[2])
			continue;
		v = r->x[((b * s[1] + iy) * s[2] + ix) * s[3] + c];
		m = v > m ? v : m;
		sum += v;
		count++;
	}
	return f->kind == F_MAXPOOL ? m : sum / count;
}

static void run_pool(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	const uint32_t *o = r->o;
	uint32_t b, oy, ox, c;

	for (b = 0; b < o[0]; b++)
	for (oy = 0; oy < o[1]; oy++)
	for (ox = 0; ox < o[2]; ox++)
	for (c = 0; c < o[3]; c++)
		r->y[((b * o[1] + oy) * o[2] + ox) * o[3] + c] = pool_at(f, r, b, oy, ox, c);
}

static void run_gap(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	const uint32_t *s = r->s;
	uint64_t i;
	uint32_t b, c;

	for (b = 0; b < r->o[0]; b++) {
		for (c = 0; c < r->o[3]; c++) {
			double sum = 0;

			for (i = 0; i < (uint64_t)s[1] * s[2]; i++)
				sum += r->x[(b * s[1] * s[2] + i) * s[3] + c];
			r->y[b * r->o[3] + c] = sum / (s[1] * s[2]);
		}
	}
}

/* The offset in @v of output element @i of shape @o, @v broadcast to it. */
static uint64_t broadcast_at(const struct fvalue *v, const uint32_t *o, uint64_t i)
{
	uint64_t at = 0, stride = 1;
	int d;

	for (d = 3; d >= 0; d--) {
		if (v->shape[d] != 1)
			at += (i % o[d]) * stride;
		stride *= v->shape[d];
		i /= o[d];
	}
	return at;
}

static void run_binary(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	const struct fvalue *a = &n->vals[f->in[0]], *b = &n->vals[f->in[1]];
	bool same = !memcmp(a->shape, b->shape, sizeof(a->shape));
	uint64_t i;

	for (i = 0; i < r->count; i++) {
		float x = same ? a->data[i] : a->data[broadcast_at(a, r->o, i)];
		float z = same ? b->data[i] : b->data[broadcast_at(b, r->o, i)];

		r->y[i] = f->kind == F_ADD ? x + z : x * z;
	}
}

static void run_concat(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	uint32_t at = 0, C = r->o[3];
	uint64_t i;
	int k;

	for (k = 0; k < FNODE_MAX_IN && f->in[k] >= 0; k++) {
		const struct fvalue *v = &n->vals[f->in[k]];
		uint32_t ck = v->shape[3];

		for (i = 0; i < r->count / C; i++)
			memcpy(r->y + i * C + at, v->data + i * ck, sizeof(float) * ck);
		at += ck;
	}
}

static void run_gather(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	uint32_t C = r->s[3], c;
	uint64_t px;

	for (px = 0; px < r->count / f->cout; px++)
		for (c = 0; c < f->cout; c++)
			r->y[px * f->cout + c] = r->x[px * C + f->index[c]];
}

static void run_upsample(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	const uint32_t *s = r->s, *o = r->o;
	uint32_t b, y, x;

	for (b = 0; b < o[0]; b++)
	for (y = 0; y < o[1]; y++)
	for (x = 0; x < o[2]; x++)
		memcpy(r->y + ((uint64_t)(b * o[1] + y) * o[2] + x) * o[3],
		       r->x + ((uint64_t)(b * s[1] + y / f->kernel[0]) * s[2] + x / f->kernel[1]) * s[3],
		       sizeof(float) * o[3]);
}

static void run_pad(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	const uint32_t *s = r->s, *o = r->o;
	uint32_t b, y;

	memset(r->y, 0, sizeof(float) * r->count);
	for (b = 0; b < s[0]; b++)
		for (y = 0; y < s[1]; y++)
			memcpy(r->y + ((uint64_t)(b * o[1] + y + f->pad[0]) * o[2] + f->pad[1]) * o[3],
			       r->x + (uint64_t)(b * s[1] + y) * s[2] * s[3],
			       sizeof(float) * s[2] * s[3]);
}

static void run_function(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	uint64_t i;

	for (i = 0; i < r->count; i++)
		r->y[i] = npu_fn_apply(f->fn, r->x[i], f->alpha, f->beta);
}

static void run_flatten(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	memcpy(r->y, r->x, sizeof(float) * r->count);
}

static void run_softmax(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	uint32_t C = r->o[3], c;
	uint64_t b;

	for (b = 0; b < r->count / C; b++) {
		const float *x = r->x + b * C;
		double m = -DBL_MAX, sum = 0;

		for (c = 0; c < C; c++)
			m = x[c] > m ? x[c] : m;
		for (c = 0; c < C; c++)
			sum += exp(x[c] - m);
		for (c = 0; c < C; c++)
			r->y[b * C + c] = exp(x[c] - m) / sum;
	}
}

/* Output element [b][y][x][c] is input element [...] at the dims f->perm names. */
static void run_transpose(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	const uint32_t *s = r->s, *o = r->o;
	uint64_t stride[4] = { (uint64_t)s[1] * s[2] * s[3], (uint64_t)s[2] * s[3], s[3], 1 };
	uint64_t st[4], i = 0;
	uint32_t b, y, x, c;
	int d;

	for (d = 0; d < 4; d++)
		st[d] = stride[f->perm[d]];
	for (b = 0; b < o[0]; b++)
	for (y = 0; y < o[1]; y++)
	for (x = 0; x < o[2]; x++)
	for (c = 0; c < o[3]; c++)
		r->y[i++] = r->x[b * st[0] + y * st[1] + x * st[2] + c * st[3]];
}

/* [H][M][K] x [H][K][P] per image, a side with H = 1 broadcast. */
static void run_matmul(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	const struct fvalue *bv = &n->vals[f->in[1]];
	const uint32_t *as = r->s, *bs = bv->shape, *o = r->o;
	uint32_t M = o[2], P = o[3], K = as[3], h, m, p, k;

	for (h = 0; h < o[1]; h++) {
		const float *a = r->x + (uint64_t)(as[1] == 1 ? 0 : h) * M * K;
		const float *b = bv->data + (uint64_t)(bs[1] == 1 ? 0 : h) * K * P;
		float *y = r->y + (uint64_t)h * M * P;

		if (n->sgemm) {
			n->sgemm(101, 111, 111, (int)M, (int)P, (int)K, 1.0f, a, (int)K, b,
				 (int)P, 0.0f, y, (int)P);
			continue;
		}
		for (m = 0; m < M; m++)
			for (p = 0; p < P; p++) {
				double acc = 0;

				for (k = 0; k < K; k++)
					acc += (double)a[m * K + k] * b[k * P + p];
				y[m * P + p] = acc;
			}
	}
}

static void run_scale(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	uint64_t i;

	for (i = 0; i < r->count; i++)
		r->y[i] = r->x[i] * f->alpha;
}

/* (x - mean) / sqrt(variance + epsilon) * scale + bias over each row of C. */
static void run_layernorm(const struct fnet *n, const struct fnode *f, const struct frun *r)
{
	npu_ref_layernorm(r->x, r->y, r->count / f->cout, f->cout, f->w, f->b, f->alpha);
}

static void (*const run[F_KIND_COUNT])(const struct fnet *n, const struct fnode *f,
				       const struct frun *r) = {
	[F_CONV] = run_conv,		[F_FC] = run_conv,
	[F_RELU] = run_relu,		[F_CLIP] = run_clip,
	[F_MAXPOOL] = run_pool,		[F_AVGPOOL] = run_pool,
	[F_GAP] = run_gap,
	[F_ADD] = run_binary,		[F_MUL] = run_binary,
	[F_CONCAT] = run_concat,	[F_FN] = run_function,
	[F_FLATTEN] = run_flatten,	[F_SOFTMAX] = run_softmax,
	[F_IDENTITY] = run_flatten,	[F_GATHER] = run_gather,
	[F_UPSAMPLE] = run_upsample,	[F_PAD] = run_pad,
	[F_TRANSPOSE] = run_transpose,	[F_MATMUL] = run_matmul,
	[F_SCALE] = run_scale,		[F_LAYERNORM] = run_layernorm,
};

void fnet_run(struct fnet *n, const float *in)
{
	int i;

	memcpy(n->vals[n->input].data, in, sizeof(float) * vcount(&n->vals[n->input]));
	for (i = 0; i < n->nnodes; i++) {
		const struct fnode *f = &n->nodes[i];
		const struct frun r = {
			.x = n->vals[f->in[0]].data, .y = n->vals[f->out].data,
			.s = n->vals[f->in[0]].shape, .o = n->vals[f->out].shape,
			.count = vcount(&n->vals[f->out]),
		};

		run[f->kind](n, f, &r);
	}
}
