// SPDX-License-Identifier: MIT
/*
 * libnpu compiler: the ops that run on the CPU between device segments:
 * QUANTIZE, DEQUANTIZE, the dynamic quantization of ONNX
 * DynamicQuantizeLinear, SOFTMAX, LAYER_NORM and the element-wise
 * FUNCTIONs (in float, int8 at the seams dequantized and quantized).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

/* A CPU step from the op's input to its output, over the output's elements. */
static struct npu_step cpu_step(struct npu_compiler *c, const struct npu_gop *op,
				uint32_t kind)
{
	return (struct npu_step){
		.kind = kind,
		.in_offset = c->offset[op->info.inputs[0]],
		.out_offset = c->offset[op->info.output],
		.count = npu_shape_count(npu_result(c, op)->shape),
	};
}

static int check_same_size(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);

	if (npu_shape_count(x->shape) != npu_shape_count(out->shape))
		return npu_graph_fail(c->g, -EINVAL, "op %s: %s and %s differ in size",
				      op->name, x->name, out->name);
	return 0;
}

/* Quantized int8 per tensor, or per channel along C (QUANTIZE/DEQUANTIZE). */
static bool quantized8_axis(const struct npu_gtensor *t)
{
	return t->elem == NPU_ELEM_INT8 &&
	       (t->qcount == 1 || (t->qcount > 1 && t->qcount == t->shape[3]));
}

/* Per-channel quantization parameters of @t into the weights blob. */
static int channel_q(struct npu_compiler *c, const struct npu_gtensor *t,
		     struct npu_step *s)
{
	struct npu_channel_q *q;
	uint32_t i;
	int ret;

	if (t->qcount == 1)
		return 0;
	q = calloc(t->qcount, sizeof(*q));
	if (!q)
		return -ENOMEM;
	for (i = 0; i < t->qcount; i++) {
		q[i].scale = t->scales[i];
		q[i].zero_point = t->zero_points[i];
	}
	s->per_channel = 1;
	s->inner = t->qcount;
	ret = npu_blob_add(&c->weights, q, sizeof(*q) * t->qcount, WEIGHTS_ALIGN,
			   &s->params_offset);
	free(q);
	return ret;
}

int npu_check_quantize(struct npu_compiler *c, const struct npu_gop *op)
{
	if (npu_operand(c, op, 0)->elem != NPU_ELEM_FLOAT32 ||
	    !quantized8_axis(npu_result(c, op)))
		return npu_graph_fail(c->g, -EINVAL, "op %s: quantize takes float32 to int8",
				      op->name);
	return check_same_size(c, op);
}

int npu_lower_quantize(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *out = npu_result(c, op);
	struct npu_step s = cpu_step(c, op, NPU_STEP_QUANTIZE);

	s.scale = out->scales[0];
	s.zero_point = out->zero_points[0];
	return channel_q(c, out, &s) ?: npu_add_cpu_step(c, &s);
}

int npu_check_dequantize(struct npu_compiler *c, const struct npu_gop *op)
{
	if (!quantized8_axis(npu_operand(c, op, 0)) ||
	    npu_result(c, op)->elem != NPU_ELEM_FLOAT32)
		return npu_graph_fail(c->g, -EINVAL, "op %s: dequantize takes int8 to float32",
				      op->name);
	return check_same_size(c, op);
}

int npu_lower_dequantize(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0);
	struct npu_step s = cpu_step(c, op, NPU_STEP_DEQUANTIZE);

	s.scale = x->scales[0];
	s.zero_point = x->zero_points[0];
	return channel_q(c, x, &s) ?: npu_add_cpu_step(c, &s);
}

/* DYNAMIC_QUANTIZE, DYNAMIC_SCALE and DYNAMIC_ZERO_POINT: the three outputs of one ONNX op. */
int npu_check_dynamic(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);
	enum npu_op_type type = op->info.type;
	uint64_t n = npu_shape_count(out->shape);
	bool ok = type == NPU_OP_DYNAMIC_SCALE ?
		  out->elem == NPU_ELEM_FLOAT32 && n == 1 :
		  out->elem == NPU_ELEM_INT8 && out->uint8 && !out->qcount &&
		  n == (type == NPU_OP_DYNAMIC_QUANTIZE ? npu_shape_count(x->shape) : 1);

	if (x->elem != NPU_ELEM_FLOAT32 || !ok)
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: dynamic quantization takes float32 to uint8 without static parameters, a float32 scale or a uint8 zero point",
				      op->name);
	return 0;
}

int npu_lower_dynamic(struct npu_compiler *c, const struct npu_gop *op)
{
	struct npu_step s = cpu_step(c, op, npu_op_desc(op->info.type)->cpu_step);

	/* Each of the three reads the whole input to find its range. */
	s.count = npu_shape_count(npu_operand(c, op, 0)->shape);
	return npu_add_cpu_step(c, &s);
}

/* A float CPU step between int8 tensors: the dequantization and quantization at its seams. */
static void int8_seams(struct npu_step *s, const struct npu_gtensor *x,
		       const struct npu_gtensor *out)
{
	s->in_q = x->elem == NPU_ELEM_INT8;
	s->out_q = out->elem == NPU_ELEM_INT8;
	if (s->in_q) {
		s->in_scale = x->scales[0];
		s->in_zero_point = x->zero_points[0];
	}
	if (s->out_q) {
		s->scale = out->scales[0];
		s->zero_point = out->zero_points[0];
	}
}

/* SOFTMAX and FUNCTION: float, or int8 with the (de)quantization on the CPU. */
int npu_check_float_fn(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);

	if ((x->elem != NPU_ELEM_FLOAT32 && !npu_quantized8(x)) ||
	    (out->elem != NPU_ELEM_FLOAT32 && !npu_quantized8(out)))
		return npu_graph_fail(c->g, -EINVAL, "op %s: %s takes float32 or int8 per tensor",
				      op->name, op->info.type == NPU_OP_SOFTMAX ?
				      "softmax" : "a CPU function");
	if (op->info.type == NPU_OP_FUNCTION && !npu_ref_function(op->info.fn))
		return npu_graph_fail(c->g, -EINVAL, "op %s: unknown function %d",
				      op->name, op->info.fn);
	return check_same_size(c, op);
}

/*
 * A FUNCTION between int8 tensors is a table on the device (QNPU_OP_LUT):
 * entry q is what the CPU step gives for q, so the two agree byte for byte.
 */
static int lower_fn_table(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);
	struct qnpu_desc_lut d = { .hdr = { QNPU_OP_LUT, 1, 0, sizeof(d) } };
	const struct reloc_spec r[] = {
		ARENA(struct qnpu_desc_lut, input.addr),
		ARENA(struct qnpu_desc_lut, output.addr),
		WEIGHTS(struct qnpu_desc_lut, table, true),
	};
	int8_t table[QNPU_LUT_ENTRIES];
	uint64_t off;
	int v, ret;

	for (v = -128; v < 128; v++)
		table[v + 128] = npu_fn_apply_q(op->info.fn, (int8_t)v, op->info.alpha,
						op->info.beta, x->scales[0], x->zero_points[0],
						out->scales[0], out->zero_points[0]);
	ret = npu_blob_add(&c->weights, table, sizeof(table), WEIGHTS_ALIGN, &off);
	d.table = off;
	d.input = npu_arena_tensor(c, op->info.inputs[0], NULL);
	d.output = npu_arena_tensor(c, op->info.output, NULL);
	return ret ?: npu_emit_relocated(c, &d, sizeof(d), r, 3);
}

int npu_lower_float_fn(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);
	struct npu_step s = cpu_step(c, op, npu_op_desc(op->info.type)->cpu_step);

	if (op->info.type == NPU_OP_FUNCTION && npu_quantized8(x) && npu_quantized8(out))
		return lower_fn_table(c, op);

	s.inner = x->shape[3];
	s.fn = op->info.fn;
	s.alpha = op->info.alpha;
	s.beta = op->info.beta;
	int8_seams(&s, x, out);
	return npu_add_cpu_step(c, &s);
}

/* Float32 constants of @count values, or absent where @optional. */
static bool float_params(const struct npu_gtensor *t, uint32_t count, bool optional)
{
	return t ? t->elem == NPU_ELEM_FLOAT32 && t->data && npu_shape_count(t->shape) == count :
		   optional;
}

int npu_check_layer_norm(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);
	uint32_t C = x->shape[3];

	if ((x->elem != NPU_ELEM_FLOAT32 && !npu_quantized8(x)) ||
	    (out->elem != NPU_ELEM_FLOAT32 && !npu_quantized8(out)) || !npu_same_shape(x, out))
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: layer norm takes float32 or int8 per tensor to the same shape",
				      op->name);
	if (!float_params(npu_operand(c, op, 1), C, false) ||
	    !float_params(npu_operand(c, op, 2), C, true))
		return npu_graph_fail(c->g, -EINVAL,
				      "op %s: scale and bias must be float32 constants of %u values",
				      op->name, C);
	if (!(op->info.alpha >= 0) || !isfinite(op->info.alpha))
		return npu_graph_fail(c->g, -EINVAL, "op %s: epsilon %g", op->name,
				      (double)op->info.alpha);
	return 0;
}

/* Scale then bias (zeros when absent) in the weights, read by the CPU step. */
int npu_lower_layer_norm(struct npu_compiler *c, const struct npu_gop *op)
{
	const struct npu_gtensor *x = npu_operand(c, op, 0), *out = npu_result(c, op);
	const struct npu_gtensor *scale = npu_operand(c, op, 1), *bias = npu_operand(c, op, 2);
	struct npu_step s = cpu_step(c, op, NPU_STEP_LAYER_NORM);
	uint32_t C = x->shape[3];
	float *params = calloc(2 * (size_t)C, sizeof(float));
	int ret;

	if (!params)
		return -ENOMEM;
	memcpy(params, scale->data, sizeof(float) * C);
	if (bias)
		memcpy(params + C, bias->data, sizeof(float) * C);
	ret = npu_blob_add(&c->weights, params, sizeof(float) * 2 * C, WEIGHTS_ALIGN,
			   &s.params_offset);
	free(params);
	s.inner = C;
	s.alpha = op->info.alpha;
	int8_seams(&s, x, out);
	return ret ?: npu_add_cpu_step(c, &s);
}
