// SPDX-License-Identifier: MIT
/*
 * libnpu: FP32 ONNX models to quantized graphs, by post-training
 * calibration. The model is lowered to a small float network (fnet.c),
 * run on calibration data with one observer per activation, and rebuilt as
 * an npu_graph: per-channel symmetric int8 weights, int32 biases,
 * asymmetric int8 activations, ReLU/Clip folded into the op before them,
 * pools and flatten sharing their input's quantization, float edges
 * quantized and dequantized on the CPU.
 *
 * Supported FP32 ops: the table in fnet.c.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnet.h"

NPU_API int npu_onnx_run_float(const struct npu_onnx *m, const float *input,
			       size_t images, float *output, char *err, size_t errlen)
{
	struct fnet n;
	size_t k, isz, osz;
	int ret;

	if (!m || !input || !output)
		return -EINVAL;
	ret = fnet_build(&n, m, err, errlen);
	if (!ret) {
		isz = vcount(&n.vals[n.input]);
		osz = vcount(&n.vals[n.output]);
		for (k = 0; k < images; k++) {
			fnet_run(&n, input + k * isz);
			memcpy(output + k * osz, n.vals[n.output].data,
			       sizeof(float) * osz);
		}
	}
	fnet_free(&n);
	return ret;
}

NPU_API int npu_onnx_run_float_values(const struct npu_onnx *m, const float *input,
				      const char *const *names, size_t nnames,
				      float *const *outs, char *err, size_t errlen)
{
	struct fnet n;
	size_t k;
	int ret, v;

	if (!m || !input || (nnames && (!names || !outs)))
		return -EINVAL;
	ret = fnet_build(&n, m, err, errlen);
	if (!ret)
		fnet_run(&n, input);
	for (k = 0; !ret && k < nnames; k++) {
		v = value_id(&n, names[k], false);
		if (v < 0 || !n.vals[v].data)
			ret = ferr(&n, -ENOENT, "the model has no value '%s'", names[k]);
		else
			memcpy(outs[k], n.vals[v].data, sizeof(float) * vcount(&n.vals[v]));
	}
	fnet_free(&n);
	return ret;
}

/* The signature entry of a float (or int8 layer) value of the net, in the model's extents. */
static void fp_io(struct npu_onnx_io *io, const struct fvalue *v, int type,
		  const struct npu_qparams *q)
{
	int64_t dims[4];
	int i;

	memset(io, 0, sizeof(*io));
	snprintf(io->name, sizeof(io->name), "%s", v->name);
	io->type = type;
	io->ndims = fvalue_dims(v, v->shape[0], dims);
	for (i = 0; i < (int)io->ndims; i++)
		io->dims[i] = dims[i];
	io->nchw = v->rank == 4 && !v->plain;
	io->count = (size_t)v->shape[0] * v->shape[1] * v->shape[2] * v->shape[3];
	if (q) {
		io->scale = q->scale;
		io->zero_point = q->zero_point;
	}
}

static int q_tensor(struct npu_graph *g, const struct fvalue *v,
		    struct npu_qparams q, int *id)
{
	struct npu_tensor_info t = { .name = v->name, .elem = NPU_ELEM_INT8,
				     .qcount = 1, .scales = &q.scale,
				     .zero_points = &q.zero_point };

	memcpy(t.shape, v->shape, sizeof(t.shape));
	return npu_graph_tensor(g, &t, id);
}

/* The single consumer of value @v, or NULL. */
static struct fnode *only_consumer(struct fnet *n, int v)
{
	struct fnode *f = NULL;
	int i, k;

	if (n->vals[v].consumers != 1 || v == n->output)
		return NULL;
	for (i = 0; i < n->nnodes; i++) {
		for (k = 0; k < FNODE_MAX_IN; k++) {
			if (n->nodes[i].in[k] == v)
				f = &n->nodes[i];
		}
	}
	return f;
}


/* Calibrate: every value's range over the calibration images, as qparams. */
static int calibrate(struct fnet *n, const struct npu_onnx_import_opts *o,
		     struct npu_qparams *qp)
{
	size_t k, isz = vcount(&n->vals[n->input]);
	int i, ret = 0;

	for (i = 0; i < n->nvals && !ret; i++)
		ret = npu_observer_new(o->method, NULL, &n->vals[i].obs);
	for (k = 0; k < o->calib_count && !ret; k++) {
		fnet_run(n, o->calib_data + k * isz);
		for (i = 0; i < n->nvals && !ret; i++)
			ret = npu_observer_update(n->vals[i].obs, n->vals[i].data,
						  vcount(&n->vals[i]));
		if (o->progress)
			o->progress(o->progress_arg, k + 1, o->calib_count);
	}
	for (i = 0; i < n->nvals && !ret; i++)
		ret = npu_observer_qparams(n->vals[i].obs, NPU_INT8, false, &qp[i]);
	if (ret)
		ferr(n, ret, "calibration failed: %s", npu_strerror(ret));
	return ret;
}

/*
 * Pools and flatten keep their input's parameters; a concatenation's
 * inputs take its parameters (its range covers theirs), so that their
 * producers write them ready to be joined.
 */
static void propagate_qparams(struct fnet *n, struct npu_qparams *qp)
{
	int i, k;

	for (i = 0; i < n->nnodes; i++) {
		struct fnode *f = &n->nodes[i];

		if (f->kind == F_MAXPOOL || f->kind == F_AVGPOOL || f->kind == F_GAP ||
		    f->kind == F_FLATTEN || f->kind == F_IDENTITY || f->kind == F_GATHER ||
		    f->kind == F_UPSAMPLE || f->kind == F_PAD || f->kind == F_TRANSPOSE)
			qp[f->out] = qp[f->in[0]];
		/* a positive factor is a change of scale: the same int8 values */
		if (f->kind == F_SCALE) {
			qp[f->out] = qp[f->in[0]];
			qp[f->out].scale *= f->alpha;
		}
	}
	/* Backwards, so that a concatenation's parameters reach a nested one's inputs. */
	for (i = n->nnodes - 1; i >= 0; i--) {
		struct fnode *f = &n->nodes[i];

		for (k = 0; f->kind == F_CONCAT && k < FNODE_MAX_IN && f->in[k] >= 0; k++)
			qp[f->in[k]] = qp[f->out];
	}
}

/* The graph's float input and its QUANTIZE; n->input becomes the float tensor. */
static int graph_input(struct npu_graph *g, struct fnet *n, const struct npu_qparams *qp)
{
	struct npu_tensor_info fin = { .name = "input", .elem = NPU_ELEM_FLOAT32 };
	struct npu_op_info q = { .type = NPU_OP_QUANTIZE, .name = "input",
				 .inputs = { -1, -1, -1 } };
	int fid, ret;

	memcpy(fin.shape, n->vals[n->input].shape, sizeof(fin.shape));
	ret = npu_graph_tensor(g, &fin, &fid);
	if (!ret)
		ret = q_tensor(g, &n->vals[n->input], qp[n->input], &n->vals[n->input].tensor);
	q.inputs[0] = fid;
	q.output = n->vals[n->input].tensor;
	if (!ret)
		ret = npu_graph_op(g, &q);
	n->input = fid;
	return ret;
}

/*
 * Fold the Relu / Clip chain after @f into @op's activation, marking the
 * folded nodes in @skip; the value the chain ends in.
 */
static int fold_activations(struct fnet *n, const struct fnode *f, bool *skip,
			    struct npu_op_info *op)
{
	struct npu_onnx_act act;
	struct fnode *next;
	int outv = f->out;

	npu_onnx_act_init(&act);
	while ((next = only_consumer(n, outv)) && (next->kind == F_RELU || next->kind == F_CLIP)) {
		if (next->kind == F_RELU)
			npu_onnx_act_clip(&act, 0, FLT_MAX);
		else
			npu_onnx_act_clip(&act, next->lo, next->hi);
		skip[next - n->nodes] = true;
		outv = next->out;
	}
	npu_onnx_act_apply(&act, op);
	return outv;
}

/*
 * Weight ranges per output channel, or one range over all with per-tensor
 * granularity; for 7-bit weights widened by 127/63, so that the symmetric
 * scale puts them in [-63, 63].
 */
static int weight_ranges(const struct fnode *f, const struct npu_onnx_import_opts *o,
			 float *mins, float *maxs)
{
	bool per_tensor = o->granularity == NPU_ONNX_PER_TENSOR;
	uint32_t c;
	int ret = npu_channel_ranges(f->w, f->cout, f->kh * f->kw * f->cin_g, mins, maxs);

	for (c = 0; !ret && o->weight_bits == 7 && c < f->cout; c++) {
		mins[c] *= 127.0f / 63.0f;
		maxs[c] *= 127.0f / 63.0f;
	}

	for (c = 1; !ret && per_tensor && c < f->cout; c++) {
		mins[0] = fminf(mins[0], mins[c]);
		maxs[0] = fmaxf(maxs[0], maxs[c]);
	}
	for (c = 1; !ret && per_tensor && c < f->cout; c++) {
		mins[c] = mins[0];
		maxs[c] = maxs[0];
	}
	return ret;
}

void fnet_qweights_free(struct fnet_qweights *q)
{
	free(q->w8);
	free(q->scales);
	free(q->zero_points);
	free(q->b32);
	memset(q, 0, sizeof(*q));
}

int fnet_qweights(const struct fnode *f, const struct npu_onnx_import_opts *o, float in_scale,
		  struct fnet_qweights *q)
{
	size_t kk = (size_t)f->kh * f->kw * f->cin_g;
	float *mins = calloc(f->cout, sizeof(float)), *maxs = calloc(f->cout, sizeof(float));
	float *zb = calloc(f->cout, sizeof(float));
	struct npu_qparams *wq = calloc(f->cout, sizeof(*wq));
	uint32_t c;
	int ret;

	q->cout = f->cout;
	q->inner = kk;
	q->w8 = malloc((size_t)f->cout * kk);
	q->scales = calloc(f->cout, sizeof(float));
	q->zero_points = calloc(f->cout, sizeof(int32_t));
	q->b32 = calloc(f->cout, sizeof(int32_t));
	ret = mins && maxs && zb && wq && q->w8 && q->scales && q->zero_points && q->b32 ?
	      0 : -ENOMEM;
	ret = ret ?: weight_ranges(f, o, mins, maxs);
	ret = ret ?: npu_qparams_per_channel(mins, maxs, f->cout, NPU_INT8, true, wq);
	ret = ret ?: npu_quantize_weights(f->w, f->cout, kk, wq, q->w8);
	for (c = 0; !ret && c < f->cout; c++)
		q->scales[c] = wq[c].scale;
	ret = ret ?: npu_quantize_bias(f->b ? f->b : zb, f->cout, in_scale, q->scales, q->b32);
	free(mins);
	free(maxs);
	free(zb);
	free(wq);
	if (ret)
		fnet_qweights_free(q);
	return ret;
}

/* A conv or FC's weights (symmetric int8) and bias (int32 at S_in S_w) as graph tensors. */
static int quantize_conv(struct npu_graph *g, const struct npu_onnx_import_opts *o,
			 const struct fnode *f, float input_scale, struct npu_op_info *op)
{
	bool per_tensor = o->granularity == NPU_ONNX_PER_TENSOR;
	struct fnet_qweights q = { 0 };
	struct npu_tensor_info wt = { .name = f->name, .elem = NPU_ELEM_INT8,
				      .shape = { f->cout, f->kh, f->kw, f->cin_g },
				      .qcount = per_tensor ? 1 : f->cout };
	struct npu_tensor_info bt = { .name = f->name, .elem = NPU_ELEM_INT32,
				      .shape = { 1, 1, 1, f->cout } };
	int ret = fnet_qweights(f, o, input_scale, &q);

	wt.scales = q.scales;
	wt.zero_points = q.zero_points;
	wt.data = q.w8;
	bt.data = q.b32;
	ret = ret ?: npu_graph_tensor(g, &wt, &op->inputs[1]);
	ret = ret ?: npu_graph_tensor(g, &bt, &op->inputs[2]);
	fnet_qweights_free(&q);
	return ret;
}

/* A LayerNorm: its scale and bias float32 constants, on the CPU. */
static int layer_norm_op(struct npu_graph *g, const struct fnode *f, struct npu_op_info *op)
{
	struct npu_tensor_info t = { .name = f->name, .elem = NPU_ELEM_FLOAT32,
				     .shape = { 1, 1, 1, f->cout } };
	int ret;

	op->type = NPU_OP_LAYER_NORM;
	op->alpha = f->alpha;
	t.data = f->w;
	ret = npu_graph_tensor(g, &t, &op->inputs[1]);
	t.data = f->b;
	return ret || !f->b ? ret : npu_graph_tensor(g, &t, &op->inputs[2]);
}

/* The graph op of node @f (its weights quantized), but for its tensors' ids. */
static int node_op(struct npu_graph *g, const struct npu_onnx_import_opts *o,
		   const struct fnet *n, const struct fnode *f, float input_scale,
		   struct npu_op_info *op)
{
	switch (f->kind) {
	case F_CONV:
	case F_FC:
		op->type = f->kind == F_CONV ? NPU_OP_CONV2D : NPU_OP_FULLY_CONNECTED;
		op->groups = f->groups;
		memcpy(op->stride, f->stride, sizeof(op->stride));
		memcpy(op->dilation, f->dil, sizeof(op->dilation));
		memcpy(op->pad, f->pad, sizeof(op->pad));
		return quantize_conv(g, o, f, input_scale, op);
	case F_MAXPOOL:
	case F_AVGPOOL:
		op->type = f->kind == F_MAXPOOL ? NPU_OP_MAXPOOL : NPU_OP_AVGPOOL;
		memcpy(op->kernel, f->kernel, sizeof(op->kernel));
		memcpy(op->stride, f->stride, sizeof(op->stride));
		memcpy(op->pad, f->pad, sizeof(op->pad));
		return 0;
	case F_ADD:
	case F_MUL:
		op->type = f->kind == F_ADD ? NPU_OP_ADD : NPU_OP_MUL;
		op->inputs[1] = n->vals[f->in[1]].tensor;
		return 0;
	case F_FN:
		op->type = NPU_OP_FUNCTION;
		op->fn = f->fn;
		op->alpha = f->alpha;
		op->beta = f->beta;
		return 0;
	case F_GAP:
		op->type = NPU_OP_GLOBAL_AVGPOOL;
		return 0;
	case F_SOFTMAX:
		op->type = NPU_OP_SOFTMAX;
		return 0;
	case F_MATMUL:
		op->type = NPU_OP_MATMUL;
		op->inputs[1] = n->vals[f->in[1]].tensor;
		return 0;
	case F_LAYERNORM:
		return layer_norm_op(g, f, op);
	default:	/* activations are folded before */
		return -EINVAL;
	}
}

/*
 * A concatenation as a chain of graph ops of up to three inputs, each
 * joining the previous link with the next inputs; all share the output's
 * parameters (propagate_qparams), so each link is an exact copy.
 */
static int build_concat(struct npu_graph *g, struct fnet *n, const struct fnode *f,
			struct npu_qparams q, struct npu_op_info *op)
{
	const struct fvalue *out = &n->vals[f->out];
	struct fvalue link = *out;
	int k = 0, slot, ret;

	link.shape[3] = 0;
	op->type = NPU_OP_CONCAT;
	for (;;) {
		for (slot = op->inputs[0] >= 0; slot < 3; slot++) {
			bool more = k < FNODE_MAX_IN && f->in[k] >= 0;

			op->inputs[slot] = more ? n->vals[f->in[k]].tensor : -1;
			link.shape[3] += more ? n->vals[f->in[k++]].shape[3] : 0;
		}
		if (k == FNODE_MAX_IN || f->in[k] < 0) {
			op->output = out->tensor;
			return npu_graph_op(g, op);
		}
		snprintf(link.name, sizeof(link.name), "%.100s (first %d)", out->name, k);
		ret = q_tensor(g, &link, q, &op->output) ?: npu_graph_op(g, op);
		if (ret)
			return ret;
		op->inputs[0] = op->output;
	}
}

/*
 * Data movement that keeps its input's values (a channel gather, its index
 * a constant INT32 tensor; an upsample, a pad, a transpose, a reshape) or rescales
 * them (a positive factor: the same int8 values, a RESHAPE): its output's
 * parameters follow from the input's; where a concatenation gave the
 * output others, it writes a tensor of those and a RESCALE follows.
 */
static int build_moved(struct npu_graph *g, struct fnet *n, const struct fnode *f,
		       const struct npu_qparams *qp, struct npu_op_info *op)
{
	struct npu_tensor_info it = { .name = "channel index", .elem = NPU_ELEM_INT32,
				      .shape = { 1, 1, 1, f->cout }, .data = f->index };
	struct npu_op_info rs = { .type = NPU_OP_RESCALE, .name = f->name,
				  .inputs = { -1, -1, -1 }, .output = op->output };
	struct fvalue kept = n->vals[f->out];
	struct npu_qparams q = qp[f->in[0]];
	bool same;
	int ret = 0;

	if (f->kind == F_SCALE)
		q.scale *= f->alpha;
	same = qp[f->out].scale == q.scale && qp[f->out].zero_point == q.zero_point;
	op->inputs[0] = n->vals[f->in[0]].tensor;
	if (f->kind == F_SCALE || f->kind == F_FLATTEN || f->kind == F_IDENTITY) {
		op->type = NPU_OP_RESHAPE;
	} else if (f->kind == F_TRANSPOSE) {
		op->type = NPU_OP_TRANSPOSE;
		memcpy(op->perm, f->perm, sizeof(op->perm));
	} else if (f->kind == F_GATHER) {
		op->type = NPU_OP_CHANNEL_GATHER;
		ret = npu_graph_tensor(g, &it, &op->inputs[1]);
	} else if (f->kind == F_PAD) {
		op->type = NPU_OP_PAD;
		memcpy(op->pad, f->pad, sizeof(op->pad));
	} else {
		op->type = NPU_OP_UPSAMPLE_NEAREST;
		memcpy(op->kernel, f->kernel, sizeof(op->kernel));
	}
	if (!ret && !same) {
		snprintf(kept.name, sizeof(kept.name), "%.100s (moved)", n->vals[f->out].name);
		ret = q_tensor(g, &kept, q, &op->output);
		rs.inputs[0] = op->output;
	}
	ret = ret ?: npu_graph_op(g, op);
	return ret || same ? ret : npu_graph_op(g, &rs);
}

/* Node @i as a graph op, activations after it folded in. */
static int build_node(struct npu_graph *g, struct fnet *n, int i, bool *skip,
		      const struct npu_qparams *qp, const struct npu_onnx_import_opts *o)
{
	struct fnode *f = &n->nodes[i];
	struct npu_op_info op = { .name = f->name, .inputs = { -1, -1, -1 },
				  .rounding = o->rounding };
	int outv = f->out, ret;

	if (f->kind == F_CONV || f->kind == F_FC || f->kind == F_ADD || f->kind == F_MATMUL)
		outv = fold_activations(n, f, skip, &op);
	else if (f->kind == F_RELU || f->kind == F_CLIP)
		return ferr(n, -EOPNOTSUPP, "node %s (%s): an activation not after a conv, FC or add",
			    f->name, f->op);
	ret = q_tensor(g, &n->vals[outv], qp[outv], &n->vals[outv].tensor);
	if (ret)
		return ret;
	op.output = n->vals[outv].tensor;
	if (f->kind == F_CONCAT) {
		ret = build_concat(g, n, f, qp[outv], &op);
	} else if (f->kind == F_GATHER || f->kind == F_UPSAMPLE || f->kind == F_PAD ||
		   f->kind == F_TRANSPOSE || f->kind == F_SCALE || f->kind == F_FLATTEN ||
		   f->kind == F_IDENTITY) {
		ret = build_moved(g, n, f, qp, &op);
	} else {
		op.inputs[0] = n->vals[f->in[0]].tensor;
		ret = node_op(g, o, n, f, qp[f->in[0]].scale, &op);
		if (!ret)
			ret = npu_graph_op(g, &op);
	}
	if (ret && npu_graph_error(g)[0])
		ferr(n, ret, "node %s (%s): %s", f->name, f->op, npu_graph_error(g));
	return ret;
}

/*
 * The graph's outputs: the model's output dequantized, then (with
 * layer_outputs) every quantized activation, for per-layer error analysis;
 * the signature says what each is.
 */
static int graph_outputs(struct npu_graph *g, struct fnet *n, const struct npu_qparams *qp,
			 const struct npu_onnx_import_opts *o, int in_value)
{
	struct npu_tensor_info fout = { .name = "output", .elem = NPU_ELEM_FLOAT32 };
	struct npu_op_info dq = { .type = NPU_OP_DEQUANTIZE, .name = "output",
				  .inputs = { n->vals[n->output].tensor, -1, -1 } };
	int fid, in_id = n->input, outs[NPU_ONNX_MAX_IO], nout = 1, i, ret;
	struct npu_onnx_signature *sig = o->sig;

	memcpy(fout.shape, n->vals[n->output].shape, sizeof(fout.shape));
	ret = npu_graph_tensor(g, &fout, &fid);
	dq.output = fid;
	ret = ret ?: npu_graph_op(g, &dq);
	outs[0] = fid;
	if (sig) {
		sig->ninputs = 1;
		sig->noutputs = 1;
		fp_io(&sig->inputs[0], &n->vals[in_value], NPU_ONNX_FLOAT, NULL);
		fp_io(&sig->outputs[0], &n->vals[n->output], NPU_ONNX_FLOAT, NULL);
	}
	for (i = 0; !ret && o->layer_outputs && i < n->nvals; i++) {
		if (n->vals[i].tensor < 0 || n->vals[i].is_const || i == in_value)
			continue;
		if (nout == NPU_ONNX_MAX_IO)
			return ferr(n, -E2BIG, "more than %d layer outputs", NPU_ONNX_MAX_IO);
		outs[nout] = n->vals[i].tensor;
		if (sig) {
			fp_io(&sig->outputs[nout], &n->vals[i], NPU_ONNX_INT8, &qp[i]);
			sig->noutputs = nout + 1;
		}
		nout++;
	}
	return ret ?: npu_graph_io(g, &in_id, 1, outs, nout);
}

/*
 * The graph runs the model's batch: calibration ran the net one image at a
 * time, the graph's tensors (and the signature) take N images.
 */
static void set_batch(struct fnet *n)
{
	int i;

	for (i = 0; i < n->nvals; i++)
		n->vals[i].shape[0] = n->batch;
}

/* Quantize: the calibrated float net rebuilt as a graph in *out. */
static int build_graph(struct fnet *n, const struct npu_onnx_import_opts *o,
		       const struct npu_qparams *qp, struct npu_graph **out)
{
	bool *skip = calloc(n->nnodes ? n->nnodes : 1, sizeof(*skip));
	int i, in_value = n->input, ret = skip ? npu_graph_new(out) : -ENOMEM;

	if (!ret)
		ret = graph_input(*out, n, qp);
	for (i = 0; i < n->nnodes && !ret; i++) {
		if (!skip[i])
			ret = build_node(*out, n, i, skip, qp, o);
	}
	if (!ret)
		ret = graph_outputs(*out, n, qp, o, in_value);
	free(skip);
	return ret;
}

NPU_API int npu_onnx_import(const struct npu_onnx *m,
			    const struct npu_onnx_import_opts *o,
			    struct npu_graph **out, char *err, size_t errlen)
{
	struct npu_qparams *qp = NULL;
	struct npu_graph *g = NULL;
	struct fnet n;
	int ret;

	if (!m || !o || !out)
		return -EINVAL;
	if (npu_onnx_is_quantized(m) && (o->qdq_path || o->rounding || o->weight_bits)) {
		snprintf(err, errlen, "QDQ export, rounding and weight bits are for FP32 models: "
			 "this one is quantized already");
		return -EINVAL;
	}
	if ((o->rounding != 0 && o->rounding != 1) ||
	    (o->weight_bits && o->weight_bits != 7 && o->weight_bits != 8)) {
		snprintf(err, errlen, "rounding is 0 (double) or 1 (single), weight bits 7 or 8");
		return -EINVAL;
	}
	if (npu_onnx_is_quantized(m))
		return npu_onnx_import_quantized(m, o, out, err, errlen);
	if (!o->calib_data || !o->calib_count)
		return -EINVAL;
	ret = fnet_build(&n, m, err, errlen);
	if (!ret) {
		qp = calloc(n.nvals, sizeof(*qp));
		ret = qp ? calibrate(&n, o, qp) : -ENOMEM;
	}
	if (!ret) {
		propagate_qparams(&n, qp);
		set_batch(&n);
		ret = build_graph(&n, o, qp, &g);
	}
	if (!ret && o->qdq_path)
		ret = fnet_export_qdq(&n, m, qp, o, o->qdq_path);
	free(qp);
	fnet_free(&n);
	if (ret) {
		npu_graph_free(g);
		return ret;
	}
	*out = g;
	return 0;
}
