// SPDX-License-Identifier: MIT
/*
 * libnpu compiler: tiling for the SRAM. A convolution whose input, weights
 * and output do not fit is split into bands of output rows, each with the
 * input rows (and the padding) it needs: the same arithmetic, bit for bit,
 * in pieces that fit.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include "compile.h"

static int emit_conv_desc(struct npu_compiler *c, const struct qnpu_desc_conv2d *d,
			  bool params)
{
	const struct reloc_spec r[] = {
		ARENA(struct qnpu_desc_conv2d, input.addr),
		ARENA(struct qnpu_desc_conv2d, output.addr),
		WEIGHTS(struct qnpu_desc_conv2d, weights, true),
		WEIGHTS(struct qnpu_desc_conv2d, bias, true),
		WEIGHTS(struct qnpu_desc_conv2d, requant.channel_params, params),
	};

	return npu_emit_relocated(c, d, sizeof(*d), r, 5);
}

/* The most output rows per band whose input rows, weights and output fit. */
static uint32_t band_rows(const struct npu_compiler *c, const struct qnpu_desc_conv2d *d,
			  uint64_t wbytes, uint64_t in_row, uint64_t out_row)
{
	uint32_t span = (d->kernel_h - 1) * d->dilation_h + 1, rows;

	for (rows = d->output.dim[1]; rows > 1; rows--) {
		uint64_t need = ((uint64_t)(rows - 1) * d->stride_h + span) * in_row +
				rows * out_row + wbytes;

		if (need <= c->sram)
			break;
	}
	return rows;
}

int npu_emit_conv_tiles(struct npu_compiler *c, const struct qnpu_desc_conv2d *d,
			uint64_t wbytes, bool params)
{
	uint32_t H = d->input.dim[1], OH = d->output.dim[1], rows, r0;
	uint32_t span = (d->kernel_h - 1) * d->dilation_h + 1;
	uint64_t in_row = (uint64_t)d->input.dim[0] * d->input.dim[2] * d->input.dim[3];
	uint64_t out_row = (uint64_t)d->output.dim[0] * d->output.dim[2] *
			   d->output.dim[3] * (d->output.dtype == QNPU_DTYPE_INT32 ? 4 : 1);
	int ret = 0;

	if (in_row * H + wbytes + out_row * OH <= c->sram)
		return emit_conv_desc(c, d, params);
	rows = band_rows(c, d, wbytes, in_row, out_row);
	for (r0 = 0; r0 < OH && !ret; r0 += rows) {
		uint32_t r1 = r0 + rows < OH ? r0 + rows : OH;
		int64_t start = (int64_t)r0 * d->stride_h - d->pad_top;
		int64_t end = (int64_t)(r1 - 1) * d->stride_h - d->pad_top + span;
		int64_t cs = start < 0 ? 0 : start, ce = end > H ? H : end;
		struct qnpu_desc_conv2d t = *d;

		t.pad_top = start < 0 ? -start : 0;
		t.pad_bottom = end > H ? end - H : 0;
		t.input.addr += cs * d->input.stride[1];
		t.input.dim[1] = ce - cs;
		t.output.addr += (uint64_t)r0 * d->output.stride[1];
		t.output.dim[1] = r1 - r0;
		ret = emit_conv_desc(c, &t, params);
	}
	return ret;
}
