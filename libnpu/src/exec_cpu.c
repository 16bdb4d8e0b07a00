// SPDX-License-Identifier: MIT
/*
 * libnpu: the operations a program leaves to the CPU, shared by every
 * executor so that they give the same bytes.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "program.h"
#include "ref.h"

static void softmax(const float *x, float *y, uint64_t rows, uint32_t n)
{
	uint64_t r;
	uint32_t i;

	for (r = 0; r < rows; r++, x += n, y += n) {
		float max = x[0], sum = 0;

		for (i = 1; i < n; i++)
			max = x[i] > max ? x[i] : max;
		for (i = 0; i < n; i++) {
			y[i] = expf(x[i] - max);
			sum += y[i];
		}
		for (i = 0; i < n; i++)
			y[i] /= sum;
	}
}

void npu_cpu_step(const struct npu_step *s, uint8_t *arena)
{
	uint64_t i;

	switch (s->kind) {
	case NPU_STEP_QUANTIZE: {
		float v;

		for (i = 0; i < s->count; i++) {
			memcpy(&v, arena + s->in_offset + 4 * i, 4);
			arena[s->out_offset + i] =
				(uint8_t)npu_ref_quantize(v, s->scale, s->zero_point);
		}
		break;
	}
	case NPU_STEP_DEQUANTIZE:
		for (i = 0; i < s->count; i++) {
			float v = npu_ref_dequantize((int8_t)arena[s->in_offset + i],
						     s->scale, s->zero_point);

			memcpy(arena + s->out_offset + 4 * i, &v, 4);
		}
		break;
	case NPU_STEP_SOFTMAX: {
		float *x = malloc(sizeof(float) * s->count);
		float *y = malloc(sizeof(float) * s->count);

		if (!x || !y) {
			free(x);
			free(y);
			break;
		}
		/* An unsupported op on int8 data: dequantize, run, quantize. */
		for (i = 0; i < s->count; i++)
			x[i] = s->in_q ?
			       npu_ref_dequantize((int8_t)arena[s->in_offset + i],
						  s->in_scale, s->in_zero_point) :
			       ((const float *)(arena + s->in_offset))[i];
		softmax(x, y, s->count / s->inner, s->inner);
		for (i = 0; i < s->count; i++) {
			if (s->out_q)
				arena[s->out_offset + i] =
					(uint8_t)npu_ref_quantize(y[i], s->scale,
								  s->zero_point);
			else
				((float *)(arena + s->out_offset))[i] = y[i];
		}
		free(x);
		free(y);
		break;
	}
	}
}
