// SPDX-License-Identifier: MIT
/*
 * libnpu: the operations a program leaves to the CPU, shared by every
 * executor so that they give the same bytes.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <math.h>
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
	case NPU_STEP_SOFTMAX:
		softmax((const float *)(arena + s->in_offset),
			(float *)(arena + s->out_offset), s->count / s->inner,
			s->inner);
		break;
	}
}
