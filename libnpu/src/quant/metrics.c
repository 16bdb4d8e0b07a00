// SPDX-License-Identifier: MIT
/*
 * libnpu quantization toolkit: error metrics between a reference and a
 * tested array (<npu/quant.h>). Sums are in double; a NaN anywhere makes
 * the result NaN, so that a metric never hides one.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>

#include "npu/quant.h"

NPU_API int npu_sqnr_db(const float *ref, const float *test, size_t n, double *db)
{
	double sig = 0.0, noise = 0.0;
	size_t i;

	if (!ref || !test || !n || !db)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		double r = ref[i], d = (double)ref[i] - (double)test[i];

		if (isnan(r) || isnan(test[i])) {
			*db = NAN;
			return 0;
		}
		sig += r * r;
		noise += d * d;
	}
	if (noise == 0.0)		/* equal arrays, including all zeros */
		*db = INFINITY;
	else if (sig == 0.0)
		*db = -INFINITY;
	else
		*db = 10.0 * log10(sig / noise);
	return 0;
}

NPU_API int npu_max_abs_error(const float *ref, const float *test, size_t n, double *err)
{
	double m = 0.0;
	size_t i;

	if (!ref || !test || !n || !err)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		double d = fabs((double)ref[i] - (double)test[i]);

		if (isnan(d)) {		/* fmax() would drop it */
			*err = NAN;
			return 0;
		}
		if (d > m)
			m = d;
	}
	*err = m;
	return 0;
}

NPU_API int npu_mean_abs_error(const float *ref, const float *test, size_t n, double *err)
{
	double s = 0.0;
	size_t i;

	if (!ref || !test || !n || !err)
		return -EINVAL;
	for (i = 0; i < n; i++)
		s += fabs((double)ref[i] - (double)test[i]);
	*err = s / (double)n;
	return 0;
}
