// SPDX-License-Identifier: MIT
/*
 * libnpu quantization toolkit: calibration observers (<npu/quant.h>).
 *
 * An observer sees a tensor's values batch by batch and chooses a clipping
 * range for it: min-max, moving-average min-max (PyTorch), two-sided
 * percentiles, TensorRT's entropy (KL divergence) calibration and an L2
 * search in the manner of PyTorch's HistogramObserver. The last three keep
 * a fixed-size histogram that grows its range by merging whole bins; the
 * header documents every method and the histogram precisely.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "npu/quant.h"

#define DEFAULT_MOMENTUM	0.01
#define DEFAULT_PERCENTILE	99.99
#define DEFAULT_BINS		2048u
#define MIN_BINS		256u
#define MAX_BINS		65536u
/* Entropy candidates and MSE edges are thinned to about this many. */
#define MAX_CANDIDATES		2048u
/* Beyond this growth factor bins are moved by their centre (header). */
#define MAX_ALIGNED_GROWTH	0x1p52
/* MXNet's smoothing constant for the KL divergence. */
#define KL_EPS			1e-4

/*
 * A histogram of nbins bins of equal width: bin j is [lo + j*width,
 * lo + (j+1)*width), the last one closed. width == 0 while every sample
 * had the value lo (all counts in bin 0).
 */
struct hist {
	uint64_t *bins;
	uint64_t *scratch;	/* nbins counts, for rebinning */
	double *work;		/* 3 * (nbins + 1), for the range searches */
	uint32_t nbins;
	bool of_abs;		/* a histogram of |x|, lo pinned at 0 */
	double lo;
	double width;
	uint64_t total;
};

struct npu_observer {
	enum npu_calib method;
	double momentum;
	double percentile;
	bool have_data;
	/* Data min and max; the moving averages for NPU_CALIB_MOVING_AVG. */
	double min, max;
	struct hist h;
	bool range_valid;	/* rmin, rmax are the range for the data so far */
	float rmin, rmax;
};

static bool has_hist(enum npu_calib m)
{
	return m == NPU_CALIB_PERCENTILE || m == NPU_CALIB_ENTROPY || m == NPU_CALIB_MSE;
}

/* ---- histogram -------------------------------------------------------- */

static double hist_hi(const struct hist *h)
{
	return h->lo + h->width * h->nbins;
}

static uint32_t hist_index(const struct hist *h, double v)
{
	double f;

	if (!(h->width > 0.0))
		return 0;
	f = floor((v - h->lo) / h->width);
	if (f < 0.0)
		return 0;
	if (f >= h->nbins)		/* the upper edge, or rounding */
		return h->nbins - 1;
	return (uint32_t)f;
}

/*
 * Grow by an integer factor k with the new edges on old edges: old bin m
 * goes whole into new bin (m + a) / k, where a old widths are added below.
 * Returns false when the factor is too large for exact integer arithmetic.
 */
static bool hist_grow_aligned(struct hist *h, double vmin, double vmax)
{
	uint32_t nb = h->nbins, m;
	double w = h->width, hi = hist_hi(h);
	double need_lo_d = vmin < h->lo ? ceil((h->lo - vmin) / w) : 0.0;
	double need_hi_d = vmax > hi ? ceil((vmax - h->lo) / w) : (double)nb;
	uint64_t need_lo, need_hi, span, k, slack, a;

	if (need_hi_d < nb)
		need_hi_d = nb;
	if (!(need_lo_d + need_hi_d <= MAX_ALIGNED_GROWTH))
		return false;
	need_lo = (uint64_t)need_lo_d;
	need_hi = (uint64_t)need_hi_d;
	span = need_lo + need_hi;		/* old widths the new range needs */
	k = (span + nb - 1) / nb;
	slack = k * nb - span;
	a = need_lo;
	/* Leave the spare room on the side(s) that grew. */
	if (need_lo && vmax <= hi)
		a += slack;
	else if (need_lo)
		a += slack / 2;

	memset(h->scratch, 0, nb * sizeof(*h->scratch));
	for (m = 0; m < nb; m++)
		h->scratch[(m + a) / k] += h->bins[m];
	memcpy(h->bins, h->scratch, nb * sizeof(*h->bins));
	h->lo -= (double)a * w;
	h->width = (double)k * w;
	return true;
}

/* New range [vmin, vmax] joined with the old one; old bins by their centre. */
static void hist_restart(struct hist *h, double vmin, double vmax)
{
	struct hist old = *h;
	uint32_t m;

	h->lo = h->of_abs ? 0.0 : fmin(vmin, old.lo);
	h->width = (fmax(vmax, hist_hi(&old)) - h->lo) / h->nbins;
	memset(h->scratch, 0, h->nbins * sizeof(*h->scratch));
	for (m = 0; m < h->nbins; m++) {
		if (!old.bins[m])
			continue;
		h->scratch[hist_index(h, old.lo + (m + 0.5) * old.width)] += old.bins[m];
	}
	memcpy(h->bins, h->scratch, h->nbins * sizeof(*h->bins));
}

/* Make the histogram's range contain [vmin, vmax] (values of a batch). */
static void hist_cover(struct hist *h, double vmin, double vmax)
{
	if (h->of_abs)
		vmin = 0.0;
	if (!h->total) {
		h->lo = vmin;
		h->width = (vmax - vmin) / h->nbins;
		return;
	}
	if (vmin >= h->lo && vmax <= hist_hi(h))
		return;
	if (h->width > 0.0 && hist_grow_aligned(h, vmin, vmax))
		return;
	hist_restart(h, vmin, vmax);
}

/*
 * The value below which @target of the counts lie, interpolated linearly
 * inside its bin; empty bins are skipped, so target 0 is the lower edge of
 * the first non-empty bin and target total the upper edge of the last.
 */
static double hist_quantile(const struct hist *h, double target)
{
	double cum = 0.0;
	uint32_t b;

	if (!(h->width > 0.0))
		return h->lo;
	for (b = 0; b < h->nbins; b++) {
		double c = (double)h->bins[b];

		if (!c)
			continue;
		if (cum + c >= target) {
			double frac = (target - cum) / c;

			if (frac < 0.0)
				frac = 0.0;
			return h->lo + (b + frac) * h->width;
		}
		cum += c;
	}
	return hist_hi(h);
}

/* ---- entropy ---------------------------------------------------------- */

/*
 * MXNet's _smooth_distribution: move eps to every zero entry, taking it
 * evenly from the non-zero ones (eps is lowered if that would make an entry
 * non-positive). False if every entry is zero.
 */
static bool smooth(double *v, uint32_t n)
{
	double eps = KL_EPS, eps1, minpos = INFINITY;
	uint32_t j, zeros = 0;

	for (j = 0; j < n; j++) {
		if (v[j] == 0.0)
			zeros++;
		else if (v[j] < minpos)
			minpos = v[j];
	}
	if (zeros == n)
		return false;
	if (!zeros)
		return true;
	eps1 = eps * zeros / (n - zeros);
	if (eps1 >= 0.5 * minpos) {
		eps1 = 0.5 * minpos;
		eps = eps1 * (n - zeros) / zeros;
	}
	for (j = 0; j < n; j++)
		v[j] = v[j] == 0.0 ? eps : v[j] - eps1;
	return true;
}

/* KL(P || Q) of candidate i (header, NPU_CALIB_ENTROPY); INFINITY if undefined. */
static double kl_candidate(const struct hist *h, uint32_t i, uint32_t levels,
			   uint64_t outliers, double *p, double *q)
{
	double sp = 0.0, sq = 0.0, kl = 0.0;
	uint32_t g, j;

	for (j = 0; j < i; j++)
		p[j] = (double)h->bins[j];
	p[i - 1] += (double)outliers;

	for (g = 0; g < levels; g++) {
		uint32_t start = (uint32_t)((uint64_t)g * i / levels);
		uint32_t end = (uint32_t)((uint64_t)(g + 1) * i / levels);
		double sum = 0.0;
		uint32_t nz = 0;

		for (j = start; j < end; j++) {
			sum += (double)h->bins[j];	/* without the outliers */
			nz += p[j] != 0.0;
		}
		for (j = start; j < end; j++)
			q[j] = p[j] != 0.0 ? sum / nz : 0.0;
	}

	if (!smooth(p, i) || !smooth(q, i))
		return INFINITY;
	for (j = 0; j < i; j++) {
		sp += p[j];
		sq += q[j];
	}
	for (j = 0; j < i; j++) {
		double pj = p[j] / sp, qj = q[j] / sq;

		kl += pj * log(pj / qj);
	}
	return kl;
}

/* The threshold t on |x|. */
static double entropy_threshold(const struct npu_observer *obs)
{
	const struct hist *h = &obs->h;
	double absmax = fmax(fabs(obs->min), fabs(obs->max));
	uint32_t levels = obs->min >= 0.0 ? 256 : 128;
	uint32_t nb = h->nbins, stride, i, best_i = nb;
	double *p = h->work, *q = h->work + nb, best = INFINITY;
	uint64_t below = 0;

	if (!(h->width > 0.0))
		return absmax;
	stride = (nb + MAX_CANDIDATES - 1) / MAX_CANDIDATES;
	for (i = 0; i < levels - 1; i++)
		below += h->bins[i];
	for (i = levels; ; ) {
		double kl;

		kl = kl_candidate(h, i, levels, h->total - below - h->bins[i - 1], p, q);
		if (kl <= best) {		/* a tie keeps the larger i */
			best = kl;
			best_i = i;
		}
		if (i == nb)
			break;
		/* below = count of bins[0 .. i-1) for the next i */
		for (uint32_t j = i; j < i + stride && j < nb; j++)
			below += h->bins[j - 1];
		i = i + stride < nb ? i + stride : nb;
	}
	return fmin((best_i + 0.5) * h->width, absmax);
}

/* ---- MSE -------------------------------------------------------------- */

static void mse_range(const struct npu_observer *obs, double *rmin, double *rmax)
{
	const struct hist *h = &obs->h;
	uint32_t nb = h->nbins, step, ne, ka, kb, e;
	double *c0 = h->work, *c1 = c0 + nb + 1, *c2 = c1 + nb + 1;
	double total = (double)h->total, best = INFINITY;
	uint32_t best_a = 0, best_b = nb;

	if (!(h->width > 0.0)) {
		*rmin = obs->min;
		*rmax = obs->max;
		return;
	}
	/* Prefix sums of count, count * centre, count * centre^2; bin units. */
	c0[0] = c1[0] = c2[0] = 0.0;
	for (e = 0; e < nb; e++) {
		double n = (double)h->bins[e], m = e + 0.5;

		c0[e + 1] = c0[e] + n;
		c1[e + 1] = c1[e] + n * m;
		c2[e + 1] = c2[e] + n * m * m;
	}
	step = (nb + MAX_CANDIDATES - 1) / MAX_CANDIDATES;
	ne = (nb + step - 1) / step + 1;	/* edges 0, step, ..., nb */

	for (ka = 0; ka + 1 < ne; ka++) {
		double a = (double)ka * step;
		double n_lo = c0[ka * step];
		/* sum over bins below a of n * ((a - m)^2 + 1/12) */
		double err_lo = a * a * n_lo - 2.0 * a * c1[ka * step] + c2[ka * step] +
				n_lo / 12.0;
		double a_real = h->lo + a * h->width;

		/*
		 * The grid always holds 0, so a range leaving 0 out stands for
		 * one ending at 0, where nothing is clipped: only the
		 * histogram's own ends may lie on the far side of 0.
		 */
		if (ka > 0 && a_real > 0.0)
			break;
		if (err_lo >= best)
			break;		/* only grows with a */
		for (kb = ne - 1; kb > ka; kb--) {
			uint32_t be = kb * step < nb ? kb * step : nb;
			double b = be;
			double n_hi = total - c0[be];
			double err_hi = (c2[nb] - c2[be]) - 2.0 * b * (c1[nb] - c1[be]) +
					b * b * n_hi + n_hi / 12.0;
			double b_real = h->lo + b * h->width;
			double d;
			double err;

			if (be < nb && b_real < 0.0)
				break;
			d = (fmax(b_real, 0.0) - fmin(a_real, 0.0)) / 255.0 / h->width;
			err = err_lo + err_hi + (c0[be] - n_lo) * d * d / 12.0;

			if (err < best) {
				best = err;
				best_a = ka * step;
				best_b = be;
			}
		}
	}
	*rmin = fmax(h->lo + best_a * h->width, obs->min);
	*rmax = fmin(h->lo + best_b * h->width, obs->max);
	if (*rmin > *rmax)
		*rmax = *rmin;
}

/* ---- observer --------------------------------------------------------- */

NPU_API int npu_observer_new(enum npu_calib method, const struct npu_observer_opts *opts,
			     struct npu_observer **out)
{
	double momentum = DEFAULT_MOMENTUM, percentile = DEFAULT_PERCENTILE;
	uint32_t bins = DEFAULT_BINS;
	struct npu_observer *obs;

	if (!out)
		return -EINVAL;
	switch (method) {
	case NPU_CALIB_MINMAX:
	case NPU_CALIB_MOVING_AVG:
	case NPU_CALIB_PERCENTILE:
	case NPU_CALIB_ENTROPY:
	case NPU_CALIB_MSE:
		break;
	default:
		return -EINVAL;
	}
	if (opts) {
		if (opts->momentum != 0.0)
			momentum = opts->momentum;
		if (opts->percentile != 0.0)
			percentile = opts->percentile;
		if (opts->bins)
			bins = opts->bins;
	}
	/* Written so that NaN fails too. */
	if (!(momentum > 0.0 && momentum <= 1.0) ||
	    !(percentile >= 50.0 && percentile <= 100.0) ||
	    bins < MIN_BINS || bins > MAX_BINS)
		return -EINVAL;

	obs = calloc(1, sizeof(*obs));
	if (!obs)
		return -ENOMEM;
	obs->method = method;
	obs->momentum = momentum;
	obs->percentile = percentile;
	if (has_hist(method)) {
		obs->h.nbins = bins;
		obs->h.of_abs = method == NPU_CALIB_ENTROPY;
		obs->h.bins = calloc(bins, sizeof(*obs->h.bins));
		obs->h.scratch = calloc(bins, sizeof(*obs->h.scratch));
		obs->h.work = calloc(3 * ((size_t)bins + 1), sizeof(*obs->h.work));
		if (!obs->h.bins || !obs->h.scratch || !obs->h.work) {
			npu_observer_free(obs);
			return -ENOMEM;
		}
	}
	*out = obs;
	return 0;
}

NPU_API void npu_observer_free(struct npu_observer *obs)
{
	if (!obs)
		return;
	free(obs->h.bins);
	free(obs->h.scratch);
	free(obs->h.work);
	free(obs);
}

/*
 * The range of @x's finite values; false if it has none. Eight running
 * minima and maxima by comparison (which NaN never wins), so the compiler
 * can vectorise it; an infinity found sends it to the exact loop.
 */
static bool finite_range(const float *x, size_t n, double *lo, double *hi)
{
	float a[8], b[8], v;
	size_t i, k;

	for (k = 0; k < 8; k++) {
		a[k] = INFINITY;
		b[k] = -INFINITY;
	}
	for (i = 0; i + 8 <= n; i += 8) {
		for (k = 0; k < 8; k++) {
			v = x[i + k];
			a[k] = v < a[k] ? v : a[k];
			b[k] = v > b[k] ? v : b[k];
		}
	}
	for (k = 1; k < 8; k++) {
		a[0] = a[k] < a[0] ? a[k] : a[0];
		b[0] = b[k] > b[0] ? b[k] : b[0];
	}
	for (; i < n; i++) {
		a[0] = x[i] < a[0] ? x[i] : a[0];
		b[0] = x[i] > b[0] ? x[i] : b[0];
	}
	if (isinf(a[0]) || isinf(b[0])) {
		a[0] = INFINITY;
		b[0] = -INFINITY;
		for (i = 0; i < n; i++) {
			if (!isfinite(x[i]))
				continue;
			a[0] = x[i] < a[0] ? x[i] : a[0];
			b[0] = x[i] > b[0] ? x[i] : b[0];
		}
	}
	*lo = a[0];
	*hi = b[0];
	return a[0] <= b[0];
}

NPU_API int npu_observer_update(struct npu_observer *obs, const float *x, size_t n)
{
	struct hist *h;
	double bmin = INFINITY, bmax = -INFINITY, amax = 0.0;
	uint64_t count = 0;
	size_t i;

	if (!obs || !x || !n)
		return -EINVAL;
	if (!finite_range(x, n, &bmin, &bmax))
		return 0;
	obs->range_valid = false;

	if (obs->method == NPU_CALIB_MOVING_AVG && obs->have_data) {
		obs->min = obs->min + obs->momentum * (bmin - obs->min);
		obs->max = obs->max + obs->momentum * (bmax - obs->max);
	} else if (obs->have_data) {
		obs->min = fmin(obs->min, bmin);
		obs->max = fmax(obs->max, bmax);
	} else {
		obs->min = bmin;
		obs->max = bmax;
	}
	obs->have_data = true;
	if (!has_hist(obs->method))
		return 0;

	h = &obs->h;
	if (h->of_abs) {
		amax = fmax(fabs(bmin), fabs(bmax));
		hist_cover(h, 0.0, amax);
	} else {
		hist_cover(h, bmin, bmax);
	}
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			continue;
		h->bins[hist_index(h, h->of_abs ? fabs(x[i]) : x[i])]++;
		count++;
	}
	h->total += count;
	return 0;
}

static void compute_range(struct npu_observer *obs)
{
	double lo = obs->min, hi = obs->max, t, p;

	switch (obs->method) {
	case NPU_CALIB_MINMAX:
	case NPU_CALIB_MOVING_AVG:
		break;
	case NPU_CALIB_PERCENTILE:
		p = obs->percentile;
		lo = fmax(hist_quantile(&obs->h, (double)obs->h.total * (100.0 - p) / 100.0),
			  obs->min);
		hi = fmin(hist_quantile(&obs->h, (double)obs->h.total * p / 100.0), obs->max);
		if (lo > hi)
			lo = hi;
		break;
	case NPU_CALIB_ENTROPY:
		t = entropy_threshold(obs);
		lo = fmax(obs->min, -t);
		hi = fmin(obs->max, t);
		break;
	case NPU_CALIB_MSE:
		mse_range(obs, &lo, &hi);
		break;
	}
	obs->rmin = (float)lo;
	obs->rmax = (float)hi;
	obs->range_valid = true;
}

NPU_API int npu_observer_range(struct npu_observer *obs, float *min, float *max)
{
	if (!obs || !min || !max)
		return -EINVAL;
	if (!obs->have_data)
		return -ENODATA;
	if (!obs->range_valid)
		compute_range(obs);
	*min = obs->rmin;
	*max = obs->rmax;
	return 0;
}

NPU_API int npu_observer_qparams(struct npu_observer *obs, enum npu_dtype dtype,
				 bool symmetric, struct npu_qparams *out)
{
	float lo, hi;
	int ret;

	if (!obs || !out || (dtype != NPU_INT8 && dtype != NPU_UINT8))
		return -EINVAL;
	ret = npu_observer_range(obs, &lo, &hi);
	if (ret)
		return ret;
	return npu_qparams_from_range(lo, hi, dtype, symmetric, out);
}

NPU_API int npu_observer_histogram(const struct npu_observer *obs, const uint64_t **bins,
				   size_t *nbins, float *lo, float *hi)
{
	if (!obs || !bins || !nbins || !lo || !hi)
		return -EINVAL;
	if (!has_hist(obs->method))
		return -EOPNOTSUPP;
	if (!obs->have_data)
		return -ENODATA;
	*bins = obs->h.bins;
	*nbins = obs->h.nbins;
	*lo = (float)obs->h.lo;
	*hi = (float)hist_hi(&obs->h);
	return 0;
}
