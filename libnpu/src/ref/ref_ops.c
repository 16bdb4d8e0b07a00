// SPDX-License-Identifier: MIT
/*
 * libnpu CPU reference: the operations of the qnpu, the descriptor checks
 * the device applies before running them, and the weight packer and bias
 * folding the compiler uses.
 *
 * Loops are the obvious ones: over output elements, then over taps. The
 * accumulators are uint32_t because accumulation is defined modulo 2^32
 * (arithmetic.md 2.3); requantization is ref_requant.c.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ref.h"

/* ---- tensors ---------------------------------------------------------- */

void npu_ref_tensor_init(struct npu_ref_tensor *t, const struct qnpu_tensor *desc,
			 const void *data)
{
	int i;

	t->data = (void *)data;
	for (i = 0; i < 4; i++) {
		t->dim[i] = desc->dim[i];
		t->stride[i] = desc->stride[i];
	}
	t->dtype = desc->dtype;
}

static uint8_t *tensor_elem(const struct npu_ref_tensor *t, uint32_t n, uint32_t h,
			    uint32_t w, uint32_t c)
{
	int64_t off = n * t->stride[0] + h * t->stride[1] + w * t->stride[2] +
		      c * t->stride[3];

	return (uint8_t *)t->data + off;
}

/* INT32 elements are little-endian and need no alignment (hardware.md 11). */
int32_t npu_ref_tensor_get(const struct npu_ref_tensor *t, uint32_t n, uint32_t h,
			   uint32_t w, uint32_t c)
{
	const uint8_t *p = tensor_elem(t, n, h, w, c);

	if (t->dtype == QNPU_DTYPE_INT8)
		return (int8_t)p[0];
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 |
			 (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

void npu_ref_tensor_set(const struct npu_ref_tensor *t, uint32_t n, uint32_t h,
			uint32_t w, uint32_t c, int32_t v)
{
	uint8_t *p = tensor_elem(t, n, h, w, c);
	uint32_t u = (uint32_t)v;

	if (t->dtype == QNPU_DTYPE_INT8) {
		p[0] = (uint8_t)u;
		return;
	}
	p[0] = (uint8_t)u;
	p[1] = (uint8_t)(u >> 8);
	p[2] = (uint8_t)(u >> 16);
	p[3] = (uint8_t)(u >> 24);
}

static int32_t get_at(const struct npu_ref_tensor *t, const uint32_t i[4])
{
	return npu_ref_tensor_get(t, i[0], i[1], i[2], i[3]);
}

static void set_at(const struct npu_ref_tensor *t, const uint32_t i[4], int32_t v)
{
	npu_ref_tensor_set(t, i[0], i[1], i[2], i[3], v);
}

/*
 * Steps @i through every index of @dim in NHWC order, C fastest; false
 * after the last. Ops loop over their output with it.
 */
static bool next_index(uint32_t i[4], const uint32_t dim[4])
{
	int k;

	for (k = 3; k >= 0; k--) {
		if (++i[k] < dim[k])
			return true;
		i[k] = 0;
	}
	return false;
}

static unsigned int dtype_size(int dtype)
{
	return dtype == QNPU_DTYPE_INT32 ? 4 : 1;
}

uint64_t npu_ref_tensor_span(const struct qnpu_tensor *t)
{
	uint64_t end = dtype_size(t->dtype);
	int i;

	for (i = 0; i < 4; i++) {
		if (!t->dim[i])
			return 0;
		end += (uint64_t)(t->dim[i] - 1) * t->stride[i];
	}
	return end;
}

/* ---- descriptor checks (hardware.md 10.4, 11-14; arithmetic.md 8) ------ */

/*
 * Field checks collect every failure, because when several fail the device
 * reports INVALID_DESCRIPTOR first, then LIMIT_EXCEEDED, then ACC_OVERFLOW.
 */
struct check {
	bool invalid;
	bool limit;
	bool acc;
};

static int check_result(const struct check *c)
{
	if (c->invalid)
		return -EINVAL;
	if (c->limit)
		return -E2BIG;
	if (c->acc)
		return -EOVERFLOW;
	return 0;
}

/* Steps 1-3 of 10.4; each of these ends the checks at once. */
static int check_header(const struct qnpu_desc_header *h, unsigned int op, size_t size)
{
	if (h->op != op)
		return -EINVAL;
	if (h->version != NPU_REF_DESC_VERSION)
		return -EPROTONOSUPPORT;
	if (h->flags || h->size != size)
		return -EINVAL;
	return 0;
}

#define DT_INT8		(1u << QNPU_DTYPE_INT8)
#define DT_INT32	(1u << QNPU_DTYPE_INT32)

static void check_tensor(struct check *c, const struct qnpu_tensor *t,
			 unsigned int dtypes, bool output)
{
	int i;

	for (i = 0; i < 7; i++)
		if (t->reserved[i])
			c->invalid = true;
	if (t->dtype >= 32 || !(dtypes & (1u << t->dtype)))
		c->invalid = true;
	for (i = 0; i < 4; i++) {
		if (!t->dim[i])
			c->invalid = true;
		else if (t->dim[i] > NPU_REF_MAX_DIM)
			c->limit = true;
		/* A 0 stride broadcasts, which only makes sense when reading. */
		if (output && !t->stride[i])
			c->invalid = true;
	}
}

static bool same_dims(const struct qnpu_tensor *a, const struct qnpu_tensor *b)
{
	return !memcmp(a->dim, b->dim, sizeof(a->dim));
}

static bool tensor_is_zero(const struct qnpu_tensor *t)
{
	static const struct qnpu_tensor zero;

	return !memcmp(t, &zero, sizeof(*t));
}

static void check_zero_point(struct check *c, int32_t z)
{
	if (z < -128 || z > 127)
		c->invalid = true;
}

static void check_clamp(struct check *c, int32_t lo, int32_t hi)
{
	if (lo < -128 || hi > 127 || lo > hi)
		c->invalid = true;
}

static bool scale_ok(int32_t multiplier, int32_t shift)
{
	return multiplier >= 0 && shift >= -31 && shift <= 30;
}

/*
 * hardware.md 12: @raw is an INT32 output, for which every byte must be 0;
 * @per_channel_ok is false for MATMUL, ADD and MUL.
 */
static void check_requant(struct check *c, const struct qnpu_requant *rq,
			  bool per_channel_ok, bool raw)
{
	static const struct qnpu_requant zero;

	if (raw) {
		if (memcmp(rq, &zero, sizeof(*rq)))
			c->invalid = true;
		return;
	}
	if (rq->reserved[0] || rq->reserved[1] || rq->reserved[2])
		c->invalid = true;
	if (rq->rounding != QNPU_ROUND_DOUBLE && rq->rounding != QNPU_ROUND_SINGLE)
		c->invalid = true;
	if (rq->channel_params) {
		if (!per_channel_ok || rq->multiplier || rq->shift)
			c->invalid = true;
	} else if (!scale_ok(rq->multiplier, rq->shift)) {
		c->invalid = true;
	}
	check_zero_point(c, rq->output_zero_point);
	check_clamp(c, rq->act_min, rq->act_max);
}

/* Step 6 of 10.4, after every field check: the per-channel entries. */
static int check_channels(const struct qnpu_requant *rq,
			  const struct qnpu_channel_requant *ch, uint32_t c_out)
{
	uint32_t i;

	if (!rq->channel_params)
		return 0;
	if (!ch)
		return -EFAULT;
	for (i = 0; i < c_out; i++)
		if (!scale_ok(ch[i].multiplier, ch[i].shift))
			return -EINVAL;
	return 0;
}

/* Output extent of a window (13.3.1); -1 when the numerator is negative. */
static int64_t window_out(uint32_t in, uint32_t pad0, uint32_t pad1, uint32_t k,
			  uint32_t dilation, uint32_t stride)
{
	int64_t num = (int64_t)in + pad0 + pad1 - ((int64_t)(k - 1) * dilation + 1);

	if (num < 0)
		return -1;
	return num / stride + 1;
}

static bool in_u8_range(uint32_t v)
{
	return v >= 1 && v <= 255;
}

/* ---- weights ------------------------------------------------------------ */

/* Everything the weight layout of hardware.md 13.3.2 depends on. */
struct wgeom {
	uint32_t c_out, kh, kw, cg_in, cg_out;
	bool depthwise;
	uint64_t k;		/* taps per output channel */
	uint64_t kb;		/* blocks of QNPU_WEIGHT_BLOCK_K taps */
	uint64_t group_bytes;
};

static int wgeom_init(struct wgeom *g, uint32_t c_out, uint32_t kh, uint32_t kw,
		      uint32_t c_in, uint32_t groups)
{
	uint64_t ob;

	if (!groups || c_in % groups || c_out % groups)
		return -EINVAL;
	g->c_out = c_out;
	g->kh = kh;
	g->kw = kw;
	g->cg_in = c_in / groups;
	g->cg_out = c_out / groups;
	/* G == C_in == 1 is an ordinary convolution: packed. */
	g->depthwise = groups > 1 && groups == c_in;
	g->k = (uint64_t)kh * kw * g->cg_in;
	g->kb = (g->k + QNPU_WEIGHT_BLOCK_K - 1) / QNPU_WEIGHT_BLOCK_K;
	ob = ((uint64_t)g->cg_out + QNPU_WEIGHT_BLOCK_OC - 1) / QNPU_WEIGHT_BLOCK_OC;
	g->group_bytes = ob * QNPU_WEIGHT_BLOCK_OC * g->kb * QNPU_WEIGHT_BLOCK_K;
	return 0;
}

static uint64_t wgeom_bytes(const struct wgeom *g)
{
	if (g->depthwise)
		return (uint64_t)g->kh * g->kw * g->c_out;
	return g->group_bytes * (g->c_out / g->cg_out);
}

/* Byte offset of w[oc][kh][kw][ci] (ci within the group). */
static uint64_t weight_offset(const struct wgeom *g, uint32_t oc, uint32_t kh,
			      uint32_t kw, uint32_t ci)
{
	uint64_t grp, o, t;

	if (g->depthwise)
		return ((uint64_t)kh * g->kw + kw) * g->c_out + oc;
	grp = oc / g->cg_out;
	o = oc % g->cg_out;
	t = ((uint64_t)kh * g->kw + kw) * g->cg_in + ci;
	return grp * g->group_bytes +
	       ((o / QNPU_WEIGHT_BLOCK_OC) * g->kb + t / QNPU_WEIGHT_BLOCK_K) *
	       (QNPU_WEIGHT_BLOCK_OC * QNPU_WEIGHT_BLOCK_K) +
	       (o % QNPU_WEIGHT_BLOCK_OC) * QNPU_WEIGHT_BLOCK_K + t % QNPU_WEIGHT_BLOCK_K;
}

size_t npu_ref_weight_bytes(uint32_t c_out, uint32_t kh, uint32_t kw, uint32_t c_in,
			    uint32_t groups)
{
	struct wgeom g;

	if (wgeom_init(&g, c_out, kh, kw, c_in, groups))
		return 0;
	return wgeom_bytes(&g);
}

int npu_ref_pack_weights(int8_t *dst, const int8_t *ohwi, uint32_t c_out, uint32_t kh,
			 uint32_t kw, uint32_t c_in, uint32_t groups)
{
	uint32_t oc, y, x, ci;
	const int8_t *src = ohwi;
	struct wgeom g;

	if (!dst || !ohwi || wgeom_init(&g, c_out, kh, kw, c_in, groups))
		return -EINVAL;
	/* Channels past Cg_out and taps past K in a block are zero. */
	memset(dst, 0, wgeom_bytes(&g));
	for (oc = 0; oc < c_out; oc++)
		for (y = 0; y < kh; y++)
			for (x = 0; x < kw; x++)
				for (ci = 0; ci < g.cg_in; ci++)
					dst[weight_offset(&g, oc, y, x, ci)] = *src++;
	return 0;
}

int npu_ref_fold_bias(int32_t *bias_f, const int32_t *bias, const int8_t *ohwi,
		      uint32_t c_out, uint64_t k, int32_t input_zero_point)
{
	int64_t sum, v;
	uint32_t oc;
	uint64_t t;
	int far = 0;

	if (!bias_f || !ohwi)
		return -EINVAL;
	for (oc = 0; oc < c_out; oc++) {
		sum = 0;
		for (t = 0; t < k; t++)
			sum += ohwi[oc * k + t];
		v = (bias ? bias[oc] : 0) - (int64_t)input_zero_point * sum;
		/* wrap32: the device sums modulo 2^32, so the fold may too. */
		bias_f[oc] = (int32_t)(uint32_t)(uint64_t)v;
		if (v < -(INT64_C(1) << 30) || v > (INT64_C(1) << 30) - 1)
			far++;
	}
	return far;
}

/* ---- shared output stage ------------------------------------------------ */

/* The requantization scale of output channel @oc. */
static void channel_scale(const struct qnpu_requant *rq,
			  const struct qnpu_channel_requant *ch, uint32_t oc,
			  int32_t *multiplier, int32_t *shift)
{
	if (rq->channel_params) {
		*multiplier = ch[oc].multiplier;
		*shift = ch[oc].shift;
	} else {
		*multiplier = rq->multiplier;
		*shift = rq->shift;
	}
}

/* Output element @i (channel i[3]); INT32 takes the raw accumulator (12.2). */
static void store_acc(const struct npu_ref_tensor *out, const uint32_t i[4],
		      uint32_t acc, const struct qnpu_requant *rq,
		      const struct qnpu_channel_requant *ch)
{
	int32_t m, s;

	if (out->dtype == QNPU_DTYPE_INT32) {
		set_at(out, i, (int32_t)acc);
		return;
	}
	channel_scale(rq, ch, i[3], &m, &s);
	set_at(out, i, npu_ref_requant((int32_t)acc, m, s, rq));
}

/* ---- CONV2D ------------------------------------------------------------- */

static int check_conv2d(const struct qnpu_desc_conv2d *d)
{
	const struct qnpu_tensor *in = &d->input, *out = &d->output;
	uint32_t g = d->groups;
	struct check c = { 0 };
	int ret;

	ret = check_header(&d->hdr, QNPU_OP_CONV2D, sizeof(*d));
	if (ret)
		return ret;
	if (d->reserved)
		c.invalid = true;
	check_tensor(&c, in, DT_INT8, false);
	check_tensor(&c, out, DT_INT8 | DT_INT32, true);
	if (!in_u8_range(d->kernel_h) || !in_u8_range(d->kernel_w) ||
	    !in_u8_range(d->stride_h) || !in_u8_range(d->stride_w) ||
	    !in_u8_range(d->dilation_h) || !in_u8_range(d->dilation_w)) {
		c.invalid = true;
		return check_result(&c);	/* the window is meaningless */
	}
	/* Each pad is smaller than the dilated window. */
	if (d->pad_top >= (d->kernel_h - 1) * d->dilation_h + 1 ||
	    d->pad_bottom >= (d->kernel_h - 1) * d->dilation_h + 1 ||
	    d->pad_left >= (d->kernel_w - 1) * d->dilation_w + 1 ||
	    d->pad_right >= (d->kernel_w - 1) * d->dilation_w + 1)
		c.invalid = true;
	if (out->dim[0] != in->dim[0] ||
	    window_out(in->dim[1], d->pad_top, d->pad_bottom, d->kernel_h,
		       d->dilation_h, d->stride_h) != out->dim[1] ||
	    window_out(in->dim[2], d->pad_left, d->pad_right, d->kernel_w,
		       d->dilation_w, d->stride_w) != out->dim[2])
		c.invalid = true;
	check_zero_point(&c, d->input_zero_point);
	check_requant(&c, &d->requant, true, out->dtype == QNPU_DTYPE_INT32);
	if (!g || in->dim[3] % g || out->dim[3] % g) {
		c.invalid = true;
		return check_result(&c);	/* K is undefined */
	}
	if ((uint64_t)d->kernel_h * d->kernel_w * (in->dim[3] / g) > NPU_REF_MAX_K)
		c.acc = true;
	return check_result(&c);
}

/*
 * The taps of output element @o (n, oh, ow, oc) at kernel position (kh, kw)
 * added to @acc: arithmetic.md 2.2, device form.
 */
static uint32_t conv_taps(const struct qnpu_desc_conv2d *d, const struct wgeom *g,
			  const struct npu_ref_tensor *in, const int8_t *weights,
			  const uint32_t o[4], uint32_t kh, uint32_t kw, uint32_t acc)
{
	int64_t ih = (int64_t)o[1] * d->stride_h - d->pad_top +
		     (int64_t)kh * d->dilation_h;
	int64_t iw = (int64_t)o[2] * d->stride_w - d->pad_left +
		     (int64_t)kw * d->dilation_w;
	bool inside = ih >= 0 && ih < in->dim[1] && iw >= 0 && iw < in->dim[2];
	uint32_t c0 = o[3] / g->cg_out * g->cg_in;	/* the group's first channel */
	uint32_t ci;
	int32_t x, w;

	for (ci = 0; ci < g->cg_in; ci++) {
		/* A padding tap is Z_in, which the folded bias accounts for. */
		x = inside ? npu_ref_tensor_get(in, o[0], (uint32_t)ih, (uint32_t)iw,
						c0 + ci) :
			     d->input_zero_point;
		w = weights[weight_offset(g, o[3], kh, kw, ci)];
		acc += (uint32_t)(x * w);
	}
	return acc;
}

static uint32_t conv_acc(const struct qnpu_desc_conv2d *d, const struct wgeom *g,
			 const struct npu_ref_tensor *in, const int8_t *weights,
			 uint32_t acc, const uint32_t o[4])
{
	uint32_t kh, kw;

	for (kh = 0; kh < d->kernel_h; kh++)
		for (kw = 0; kw < d->kernel_w; kw++)
			acc = conv_taps(d, g, in, weights, o, kh, kw, acc);
	return acc;
}

int npu_ref_conv2d(const struct qnpu_desc_conv2d *d, const void *input, void *output,
		   const int8_t *weights, const int32_t *bias,
		   const struct qnpu_channel_requant *channel_params)
{
	struct npu_ref_tensor in, out;
	uint32_t o[4] = { 0 }, acc;
	struct wgeom g;
	int ret;

	ret = check_conv2d(d);
	if (ret)
		return ret;
	ret = check_channels(&d->requant, channel_params, d->output.dim[3]);
	if (ret)
		return ret;
	if (!input || !output || !weights || (d->bias && !bias))
		return -EFAULT;
	npu_ref_tensor_init(&in, &d->input, input);
	npu_ref_tensor_init(&out, &d->output, output);
	wgeom_init(&g, out.dim[3], d->kernel_h, d->kernel_w, in.dim[3], d->groups);

	do {
		acc = d->bias ? (uint32_t)bias[o[3]] : 0;
		acc = conv_acc(d, &g, &in, weights, acc, o);
		store_acc(&out, o, acc, &d->requant, channel_params);
	} while (next_index(o, out.dim));
	return 0;
}

/* ---- FULLY_CONNECTED ---------------------------------------------------- */

static int check_fc(const struct qnpu_desc_fc *d)
{
	const struct qnpu_tensor *in = &d->input, *out = &d->output;
	struct check c = { 0 };
	int ret;

	ret = check_header(&d->hdr, QNPU_OP_FULLY_CONNECTED, sizeof(*d));
	if (ret)
		return ret;
	if (d->reserved)
		c.invalid = true;
	check_tensor(&c, in, DT_INT8, false);
	check_tensor(&c, out, DT_INT8 | DT_INT32, true);
	if (out->dim[0] != in->dim[0] || out->dim[1] != in->dim[1] ||
	    out->dim[2] != in->dim[2])
		c.invalid = true;
	/* Informative only (folded into the bias), but range-checked. */
	check_zero_point(&c, d->input_zero_point);
	check_requant(&c, &d->requant, true, out->dtype == QNPU_DTYPE_INT32);
	if (in->dim[3] > NPU_REF_MAX_K)
		c.acc = true;
	return check_result(&c);
}

int npu_ref_fc(const struct qnpu_desc_fc *d, const void *input, void *output,
	       const int8_t *weights, const int32_t *bias,
	       const struct qnpu_channel_requant *channel_params)
{
	struct npu_ref_tensor in, out;
	uint32_t o[4] = { 0 }, k, acc;
	struct wgeom g;
	int32_t x, w;
	int ret;

	ret = check_fc(d);
	if (ret)
		return ret;
	ret = check_channels(&d->requant, channel_params, d->output.dim[3]);
	if (ret)
		return ret;
	if (!input || !output || !weights || (d->bias && !bias))
		return -EFAULT;
	npu_ref_tensor_init(&in, &d->input, input);
	npu_ref_tensor_init(&out, &d->output, output);
	/* Packed as a 1x1 convolution with one group (hardware.md 13.4). */
	wgeom_init(&g, out.dim[3], 1, 1, in.dim[3], 1);

	do {
		acc = d->bias ? (uint32_t)bias[o[3]] : 0;
		/* No padding, so input_zero_point is not used. */
		for (k = 0; k < in.dim[3]; k++) {
			x = npu_ref_tensor_get(&in, o[0], o[1], o[2], k);
			w = weights[weight_offset(&g, o[3], 0, 0, k)];
			acc += (uint32_t)(x * w);
		}
		store_acc(&out, o, acc, &d->requant, channel_params);
	} while (next_index(o, out.dim));
	return 0;
}

/* ---- MATMUL ------------------------------------------------------------- */

static int check_matmul(const struct qnpu_desc_matmul *d)
{
	const struct qnpu_tensor *a = &d->a, *b = &d->b, *out = &d->output;
	struct check c = { 0 };
	int ret;

	ret = check_header(&d->hdr, QNPU_OP_MATMUL, sizeof(*d));
	if (ret)
		return ret;
	check_tensor(&c, a, DT_INT8, false);
	check_tensor(&c, b, DT_INT8, false);
	check_tensor(&c, out, DT_INT8 | DT_INT32, true);
	/* a (N, H, M, K) x b (N, H, K, P) = out (N, H, M, P). */
	if (b->dim[0] != a->dim[0] || b->dim[1] != a->dim[1] || b->dim[2] != a->dim[3] ||
	    out->dim[0] != a->dim[0] || out->dim[1] != a->dim[1] ||
	    out->dim[2] != a->dim[2] || out->dim[3] != b->dim[3])
		c.invalid = true;
	check_zero_point(&c, d->a_zero_point);
	check_zero_point(&c, d->b_zero_point);
	check_requant(&c, &d->requant, false, out->dtype == QNPU_DTYPE_INT32);
	if (a->dim[3] > NPU_REF_MAX_K)
		c.acc = true;
	return check_result(&c);
}

/* out[n][h][m][p] for @o = (n, h, m, p): arithmetic.md 6. */
static uint32_t matmul_acc(const struct qnpu_desc_matmul *d,
			   const struct npu_ref_tensor *a, const struct npu_ref_tensor *b,
			   uint32_t acc, const uint32_t o[4])
{
	int32_t xa, xb;
	uint32_t k;

	/* B is not constant: the zero points cannot be folded, so subtract them. */
	for (k = 0; k < a->dim[3]; k++) {
		xa = npu_ref_tensor_get(a, o[0], o[1], o[2], k) - d->a_zero_point;
		xb = npu_ref_tensor_get(b, o[0], o[1], k, o[3]) - d->b_zero_point;
		acc += (uint32_t)(xa * xb);
	}
	return acc;
}

int npu_ref_matmul(const struct qnpu_desc_matmul *d, const void *a, const void *b,
		   void *output, const int32_t *bias)
{
	struct npu_ref_tensor ta, tb, out;
	uint32_t o[4] = { 0 }, acc;
	int ret;

	ret = check_matmul(d);
	if (ret)
		return ret;
	if (!a || !b || !output || (d->bias && !bias))
		return -EFAULT;
	npu_ref_tensor_init(&ta, &d->a, a);
	npu_ref_tensor_init(&tb, &d->b, b);
	npu_ref_tensor_init(&out, &d->output, output);

	do {
		acc = d->bias ? (uint32_t)bias[o[3]] : 0;
		acc = matmul_acc(d, &ta, &tb, acc, o);
		store_acc(&out, o, acc, &d->requant, NULL);
	} while (next_index(o, out.dim));
	return 0;
}

/* ---- MAXPOOL, AVGPOOL --------------------------------------------------- */

static int check_pool(const struct qnpu_desc_pool *d, unsigned int op)
{
	const struct qnpu_tensor *in = &d->input, *out = &d->output;
	struct check c = { 0 };
	int ret;

	ret = check_header(&d->hdr, op, sizeof(*d));
	if (ret)
		return ret;
	check_tensor(&c, in, DT_INT8, false);
	check_tensor(&c, out, DT_INT8, true);
	check_clamp(&c, d->act_min, d->act_max);
	if (!in_u8_range(d->kernel_h) || !in_u8_range(d->kernel_w) ||
	    !in_u8_range(d->stride_h) || !in_u8_range(d->stride_w)) {
		c.invalid = true;
		return check_result(&c);
	}
	/* Each pad is smaller than the window: every window has a valid tap. */
	if (d->pad_top >= d->kernel_h || d->pad_bottom >= d->kernel_h ||
	    d->pad_left >= d->kernel_w || d->pad_right >= d->kernel_w)
		c.invalid = true;
	if (out->dim[0] != in->dim[0] || out->dim[3] != in->dim[3] ||
	    window_out(in->dim[1], d->pad_top, d->pad_bottom, d->kernel_h, 1,
		       d->stride_h) != out->dim[1] ||
	    window_out(in->dim[2], d->pad_left, d->pad_right, d->kernel_w, 1,
		       d->stride_w) != out->dim[2])
		c.invalid = true;
	return check_result(&c);
}

struct window {
	int32_t sum;
	int32_t count;
	int32_t max;
};

/* The valid taps of one pooling window; padding taps are skipped, never read. */
static void pool_window(const struct qnpu_desc_pool *d, const struct npu_ref_tensor *in,
			const uint32_t o[4], struct window *win)
{
	int64_t ih, iw;
	uint32_t kh, kw;
	int32_t x;

	win->sum = 0;
	win->count = 0;
	win->max = -128;
	for (kh = 0; kh < d->kernel_h; kh++) {
		ih = (int64_t)o[1] * d->stride_h - d->pad_top + kh;
		if (ih < 0 || ih >= in->dim[1])
			continue;
		for (kw = 0; kw < d->kernel_w; kw++) {
			iw = (int64_t)o[2] * d->stride_w - d->pad_left + kw;
			if (iw < 0 || iw >= in->dim[2])
				continue;
			x = npu_ref_tensor_get(in, o[0], (uint32_t)ih, (uint32_t)iw,
					       o[3]);
			win->sum += x;		/* raw values, not x - Z */
			win->count++;
			if (x > win->max)
				win->max = x;
		}
	}
}

/* arithmetic.md 5.2: C division truncates, so this rounds half away from 0. */
static int32_t average(int32_t sum, int32_t count)
{
	if (sum >= 0)
		return (sum + count / 2) / count;
	return (sum - count / 2) / count;
}

static int32_t clamp32(int32_t v, int32_t lo, int32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int run_pool(const struct qnpu_desc_pool *d, unsigned int op,
		    const void *input, void *output)
{
	struct npu_ref_tensor in, out;
	uint32_t o[4] = { 0 };
	struct window win;
	int32_t v;
	int ret;

	ret = check_pool(d, op);
	if (ret)
		return ret;
	if (!input || !output)
		return -EFAULT;
	npu_ref_tensor_init(&in, &d->input, input);
	npu_ref_tensor_init(&out, &d->output, output);

	do {
		pool_window(d, &in, o, &win);
		v = op == QNPU_OP_MAXPOOL ? win.max : average(win.sum, win.count);
		set_at(&out, o, clamp32(v, d->act_min, d->act_max));
	} while (next_index(o, out.dim));
	return 0;
}

int npu_ref_maxpool(const struct qnpu_desc_pool *d, const void *input, void *output)
{
	return run_pool(d, QNPU_OP_MAXPOOL, input, output);
}

int npu_ref_avgpool(const struct qnpu_desc_pool *d, const void *input, void *output)
{
	return run_pool(d, QNPU_OP_AVGPOOL, input, output);
}

/* ---- ADD, MUL ----------------------------------------------------------- */

static void check_add_fields(struct check *c, const struct qnpu_desc_eltwise *d)
{
	if (!scale_ok(d->input1_multiplier, d->input1_shift) || d->input1_shift > 0 ||
	    !scale_ok(d->input2_multiplier, d->input2_shift) || d->input2_shift > 0 ||
	    d->left_shift < 0 || d->left_shift > 20)
		c->invalid = true;
	if (d->input2.addr)
		return;
	/* Single-input rescale: nothing of input 2 may be set. */
	if (!tensor_is_zero(&d->input2) || d->input2_zero_point ||
	    d->input2_multiplier || d->input2_shift)
		c->invalid = true;
}

static void check_mul_fields(struct check *c, const struct qnpu_desc_eltwise *d)
{
	if (!d->input2.addr || d->input1_multiplier || d->input1_shift ||
	    d->input2_multiplier || d->input2_shift || d->left_shift)
		c->invalid = true;
}

static int check_eltwise(const struct qnpu_desc_eltwise *d, unsigned int op)
{
	bool two = d->input2.addr != 0;
	struct check c = { 0 };
	int ret;

	ret = check_header(&d->hdr, op, sizeof(*d));
	if (ret)
		return ret;
	if (d->reserved)
		c.invalid = true;
	check_tensor(&c, &d->input1, DT_INT8, false);
	check_tensor(&c, &d->output, DT_INT8, true);
	if (!same_dims(&d->output, &d->input1))
		c.invalid = true;
	if (two) {
		check_tensor(&c, &d->input2, DT_INT8, false);
		if (!same_dims(&d->input2, &d->input1))
			c.invalid = true;
	}
	check_zero_point(&c, d->input1_zero_point);
	check_zero_point(&c, d->input2_zero_point);
	if (op == QNPU_OP_ADD)
		check_add_fields(&c, d);
	else
		check_mul_fields(&c, d);
	check_requant(&c, &d->requant, false, false);
	return check_result(&c);
}

/* arithmetic.md 4.1: one input's contribution, in the common scale. */
static int32_t add_scaled(int32_t x, int32_t z, int32_t multiplier, int32_t shift,
			  int32_t left_shift, int rounding)
{
	/* |x - z| <= 255 and left_shift <= 20: below 2^28, no overflow. */
	return npu_ref_mbqm((x - z) * (INT32_C(1) << left_shift), multiplier, shift,
			    rounding);
}

static int32_t add_elem(const struct qnpu_desc_eltwise *d, int32_t x1, int32_t x2,
			bool two)
{
	const struct qnpu_requant *rq = &d->requant;
	int32_t raw_sum;

	raw_sum = add_scaled(x1, d->input1_zero_point, d->input1_multiplier,
			     d->input1_shift, d->left_shift, rq->rounding);
	/* Each term is below 2^28 in magnitude: the sum cannot overflow. */
	if (two)
		raw_sum += add_scaled(x2, d->input2_zero_point, d->input2_multiplier,
				      d->input2_shift, d->left_shift, rq->rounding);
	return npu_ref_requant(raw_sum, rq->multiplier, rq->shift, rq);
}

/* arithmetic.md 4.3: |(x1 - Z1) * (x2 - Z2)| <= 255 * 255. */
static int32_t mul_elem(const struct qnpu_desc_eltwise *d, int32_t x1, int32_t x2)
{
	const struct qnpu_requant *rq = &d->requant;
	int32_t prod = (x1 - d->input1_zero_point) * (x2 - d->input2_zero_point);

	return npu_ref_requant(prod, rq->multiplier, rq->shift, rq);
}

static int run_eltwise(const struct qnpu_desc_eltwise *d, unsigned int op,
		       const void *input1, const void *input2, void *output)
{
	struct npu_ref_tensor t1, t2, out;
	bool two = d->input2.addr != 0;
	uint32_t o[4] = { 0 };
	int32_t x1, x2, v;
	int ret;

	ret = check_eltwise(d, op);
	if (ret)
		return ret;
	if (!input1 || !output || (two && !input2))
		return -EFAULT;
	npu_ref_tensor_init(&t1, &d->input1, input1);
	npu_ref_tensor_init(&t2, &d->input2, input2);
	npu_ref_tensor_init(&out, &d->output, output);

	/* Element by element: in place is well defined when out == input. */
	do {
		x1 = get_at(&t1, o);
		x2 = two ? get_at(&t2, o) : 0;
		v = op == QNPU_OP_ADD ? add_elem(d, x1, x2, two) : mul_elem(d, x1, x2);
		set_at(&out, o, v);
	} while (next_index(o, out.dim));
	return 0;
}

int npu_ref_add(const struct qnpu_desc_eltwise *d, const void *input1,
		const void *input2, void *output)
{
	return run_eltwise(d, QNPU_OP_ADD, input1, input2, output);
}

int npu_ref_mul(const struct qnpu_desc_eltwise *d, const void *input1,
		const void *input2, void *output)
{
	return run_eltwise(d, QNPU_OP_MUL, input1, input2, output);
}

/* ---- LUT ---------------------------------------------------------------- */

static int check_lut(const struct qnpu_desc_lut *d)
{
	struct check c = { 0 };
	int ret;

	ret = check_header(&d->hdr, QNPU_OP_LUT, sizeof(*d));
	if (ret)
		return ret;
	if (d->reserved)
		c.invalid = true;
	check_tensor(&c, &d->input, DT_INT8, false);
	check_tensor(&c, &d->output, DT_INT8, true);
	if (!same_dims(&d->input, &d->output))
		c.invalid = true;
	return check_result(&c);
}

int npu_ref_lut(const struct qnpu_desc_lut *d, const void *input, const int8_t *table,
		void *output)
{
	struct npu_ref_tensor in, out;
	uint32_t o[4] = { 0 };
	int ret = check_lut(d);

	if (ret)
		return ret;
	if (!input || !table || !output)
		return -EFAULT;
	npu_ref_tensor_init(&in, &d->input, input);
	npu_ref_tensor_init(&out, &d->output, output);
	do {
		set_at(&out, o, table[get_at(&in, o) + 128]);
	} while (next_index(o, out.dim));
	return 0;
}

/* ---- COPY --------------------------------------------------------------- */

static int check_copy(const struct qnpu_desc_copy *d)
{
	struct check c = { 0 };
	int ret;

	ret = check_header(&d->hdr, QNPU_OP_COPY, sizeof(*d));
	if (ret)
		return ret;
	check_tensor(&c, &d->src, DT_INT8 | DT_INT32, false);
	check_tensor(&c, &d->dst, DT_INT8 | DT_INT32, true);
	if (!same_dims(&d->src, &d->dst) || d->src.dtype != d->dst.dtype)
		c.invalid = true;
	return check_result(&c);
}

int npu_ref_copy(const struct qnpu_desc_copy *d, const void *src, void *dst)
{
	struct npu_ref_tensor s, t;
	uint32_t o[4] = { 0 };
	int ret;

	ret = check_copy(d);
	if (ret)
		return ret;
	if (!src || !dst)
		return -EFAULT;
	npu_ref_tensor_init(&s, &d->src, src);
	npu_ref_tensor_init(&t, &d->dst, dst);

	/* Element by element, so a COPY onto itself is harmless. */
	do {
		set_at(&t, o, get_at(&s, o));
	} while (next_index(o, t.dim));
	return 0;
}

/* ---- status ------------------------------------------------------------- */

int npu_ref_status(int err)
{
	switch (err) {
	case 0:
		return QNPU_STATUS_OK;
	case -EPROTONOSUPPORT:
		return QNPU_STATUS_UNSUPPORTED_VERSION;
	case -E2BIG:
		return QNPU_STATUS_LIMIT_EXCEEDED;
	case -EOVERFLOW:
		return QNPU_STATUS_ACC_OVERFLOW;
	case -EFAULT:
		return QNPU_STATUS_MMU_FAULT;
	}
	return QNPU_STATUS_INVALID_DESCRIPTOR;
}
