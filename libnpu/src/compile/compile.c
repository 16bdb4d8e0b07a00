// SPDX-License-Identifier: MIT
/*
 * libnpu: the compiler from a graph of quantized layers to a qnpu program:
 * the passes in order (compile.h says what each file does).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

static void free_compiler(struct npu_compiler *c)
{
	free(c->cmd.data);
	free(c->weights.data);
	free(c->relocs);
	free(c->steps);
	free(c->offset);
	free(c->storage);
	free(c->last_use);
}

/*
 * A view of @g whose op list the passes may change (fusion), in *view;
 * its ops are the caller's to free.
 */
static int make_view(struct npu_graph *g, struct npu_graph *view)
{
	struct npu_gop *ops = malloc(sizeof(*ops) * (g->nops ? g->nops : 1));

	if (!ops)
		return -ENOMEM;
	memcpy(ops, g->ops, sizeof(*ops) * g->nops);
	*view = *g;
	view->ops = ops;
	view->nops = npu_fuse_activations(g, ops, g->nops);
	if (view->nops < 0) {
		free(ops);
		return npu_graph_fail(g, -EINVAL, "activation fusion failed");
	}
	return 0;
}

/*
 * Whether @op reads a tensor a descriptor of the open segment wrote since
 * its last BARRIER: the format needs one between them (hardware.md 10.4),
 * for a device that overlaps independent descriptors.
 */
static bool reads_unfenced(const struct npu_compiler *c, const struct npu_gop *op)
{
	int k;

	if (c->seg < 0 || c->seg != c->written_seg)
		return false;
	for (k = 0; k < 3; k++) {
		if (op->info.inputs[k] >= 0 && c->written[c->storage[op->info.inputs[k]]])
			return true;
	}
	return false;
}

/* After @op: its output is written, if it went to the device. */
static void mark_written(struct npu_compiler *c, const struct npu_gop *op)
{
	if (c->seg < 0)
		return;
	if (c->seg != c->written_seg) {	/* a new segment: a new job, ordered */
		memset(c->written, 0, sizeof(bool) * c->g->ntensors);
		c->written_seg = c->seg;
	}
	c->written[c->storage[op->info.output]] = true;
}

/* Every op, in order: checked against its description, fenced, then lowered. */
static int lower_all(struct npu_compiler *c)
{
	int i, ret = npu_plan_memory(c);

	c->written = calloc(c->g->ntensors + 1, sizeof(bool));
	c->written_seg = -1;
	if (!c->written && !ret)
		ret = -ENOMEM;
	for (i = 0; !ret && i < c->g->nops; i++) {
		const struct npu_gop *op = &c->g->ops[i];

		ret = npu_op_check(c, op);
		if (!ret && reads_unfenced(c, op))
			ret = npu_emit_barrier(c);
		if (!ret)
			ret = npu_op_desc(op->info.type)->lower(c, op);
		if (!ret)
			mark_written(c, op);
	}
	npu_close_segment(c);
	free(c->written);
	c->written = NULL;
	return ret;
}

static struct npu_io io_of(struct npu_compiler *c, int t)
{
	const struct npu_gtensor *gt = &c->g->tensors[t];
	struct npu_io io = {
		.offset = c->offset[t],
		.bytes = gt->bytes,
		.elem = gt->uint8 ? NPU_ELEM_UINT8 : gt->elem,
		.scale = gt->qcount ? gt->scales[0] : 0,
		.zero_point = gt->qcount ? gt->zero_points[0] + (gt->uint8 ? 128 : 0) : 0,
	};

	memcpy(io.shape, gt->shape, sizeof(io.shape));
	return io;
}

/* The program from what lowering built; the compiler's buffers move into it. */
static int build_program(struct npu_compiler *c, struct npu_program **out)
{
	struct npu_graph *g = c->g;
	struct npu_program *p = calloc(1, sizeof(*p));
	int i;

	if (!p)
		return -ENOMEM;
	p->ninputs = g->ninputs;
	p->noutputs = g->noutputs;
	p->inputs = calloc(g->ninputs + 1, sizeof(*p->inputs));
	p->outputs = calloc(g->noutputs, sizeof(*p->outputs));
	if (!p->inputs || !p->outputs) {
		npu_program_free(p);
		return -ENOMEM;
	}
	for (i = 0; i < g->ninputs; i++)
		p->inputs[i] = io_of(c, g->inputs[i]);
	for (i = 0; i < g->noutputs; i++)
		p->outputs[i] = io_of(c, g->outputs[i]);
	p->cmdbuf = c->cmd.data;
	p->cmdbuf_size = c->cmd.size;
	p->relocs = c->relocs;
	p->nrelocs = c->nrelocs;
	p->weights = c->weights.data;
	p->weights_size = c->weights.size;
	p->arena_size = c->arena ? c->arena : ARENA_ALIGN;
	p->arena_unshared = c->unshared;
	p->steps = c->steps;
	p->nsteps = c->nsteps;
	p->device_ops = c->device_ops;
	p->cpu_ops = c->cpu_ops;
	c->cmd.data = c->weights.data = NULL;
	c->relocs = NULL;
	c->steps = NULL;
	*out = p;
	return 0;
}

NPU_API int npu_compile(struct npu_graph *g, struct npu_program **out)
{
	return npu_compile_with(g, NULL, out);
}

NPU_API int npu_compile_with(struct npu_graph *g,
			     const struct npu_compile_opts *opts,
			     struct npu_program **out)
{
	struct npu_compiler c = { .seg = -1 };
	struct npu_graph view;
	int ret;

	if (!g || !out)
		return -EINVAL;
	c.sram = opts && opts->sram_bytes ? opts->sram_bytes : 1u << 20;
	g->error[0] = 0;
	if (!g->noutputs)
		return npu_graph_fail(g, -EINVAL, "the graph has no outputs (npu_graph_io)");
	ret = make_view(g, &view);
	if (ret)
		return ret;
	c.g = &view;
	ret = lower_all(&c);
	if (!ret)
		ret = build_program(&c, out);
	memcpy(g->error, view.error, sizeof(g->error));
	free(view.ops);
	free_compiler(&c);
	return ret;
}
