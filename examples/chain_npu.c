// SPDX-License-Identifier: MIT
/*
 * The userspace-app path: two saved programs run one after the other on
 * the NPU through the driver, chained by fences, the CPU waiting only for
 * the end. Program A (a 3x3 convolution) feeds program B (a 1x1
 * convolution with ReLU) through a COPY job on the device: A signals a
 * fence the COPY waits for, the COPY one that B waits for.
 *
 *   cc chain_npu.c $(pkg-config --cflags --libs libnpu) -o chain_npu
 *   chain_npu [A.qnpu B.qnpu]
 *
 * Without arguments it compiles the two programs itself (int8 in and out,
 * a batch of 4), saves them under /tmp and loads them back, as an app
 * would load the programs it ships. It checks the chained result against
 * running A then B on the CPU reference.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm/qnpu_cmdbuf.h>
#include <npu/graph.h>

#define N 4
#define HW 16
#define C0 8
#define C1 16
#define C2 8

static unsigned int seed = 1;

static int8_t rand8(void)
{
	seed = seed * 1103515245u + 12345u;
	return (int8_t)(seed >> 16);
}

static int tensor(struct npu_graph *g, enum npu_elem e, uint32_t n, uint32_t h, uint32_t w,
		  uint32_t c, float scale, int32_t zp, const void *data)
{
	struct npu_tensor_info t = { .elem = e, .shape = { n, h, w, c }, .qcount = 1,
				     .scales = &scale, .zero_points = &zp, .data = data };
	int id = -1;

	npu_graph_tensor(g, &t, &id);
	return id;
}

/* int8 [N,16,16,cin] -> conv k x k (+ ReLU) -> int8 [N,16,16,cout], saved to @path. */
static int make_program(const char *path, uint32_t k, uint32_t cin, uint32_t cout, int relu)
{
	int8_t *w = malloc((size_t)cout * k * k * cin);
	int32_t b[C1];
	struct npu_op_info op = { .type = NPU_OP_CONV2D, .inputs = { -1, -1, -1 },
				  .stride = { 1, 1 }, .dilation = { 1, 1 },
				  .pad = { k / 2, k / 2, k / 2, k / 2 } };
	struct npu_program *p = NULL;
	struct npu_graph *g = NULL;
	int x, y, ret;
	size_t i;

	for (i = 0; w && i < (size_t)cout * k * k * cin; i++)
		w[i] = rand8();
	for (i = 0; i < cout; i++)
		b[i] = rand8() * 16;
	ret = w ? npu_graph_new(&g) : -ENOMEM;
	if (ret)
		goto out;
	x = tensor(g, NPU_ELEM_INT8, N, HW, HW, cin, 0.05f, 3, NULL);
	y = tensor(g, NPU_ELEM_INT8, N, HW, HW, cout, 0.5f, relu ? -128 : 0, NULL);
	op.inputs[0] = x;
	op.inputs[1] = tensor(g, NPU_ELEM_INT8, cout, k, k, cin, 0.01f, 0, w);
	op.inputs[2] = tensor(g, NPU_ELEM_INT32, 1, 1, 1, cout, 0.0005f, 0, b);
	op.output = y;
	op.act = relu ? NPU_ACT_RELU : NPU_ACT_NONE;
	ret = npu_graph_op(g, &op) ?: npu_graph_io(g, &x, 1, &y, 1) ?: npu_compile(g, &p);
	if (ret)
		fprintf(stderr, "chain_npu: %s\n", npu_graph_error(g));
	ret = ret ?: npu_program_save(p, path);
out:
	npu_program_free(p);
	npu_graph_free(g);
	free(w);
	return ret;
}

/* A job copying @bytes from (@src, @soff) to (@dst, @doff), waiting and signalling. */
static int copy_job(struct npu_device *dev, struct npu_buffer *cb, struct npu_buffer *src,
		    uint64_t soff, struct npu_buffer *dst, uint64_t doff, struct npu_fence *wait,
		    struct npu_fence *signal)
{
	struct npu_buffer *bufs[] = { src, dst };
	struct npu_job job = { .cmdbuf = cb, .buffers = bufs, .buffer_count = 2,
			       .wait = &wait, .wait_count = 1, .signal = signal };
	struct qnpu_cmdbuf_header *h;
	struct qnpu_desc_copy *c;
	uint8_t *m;
	uint64_t id;
	int ret = npu_buffer_map(cb, (void **)&m);

	if (ret)
		return ret;
	memset(m, 0, sizeof(*h) + sizeof(*c));
	h = (void *)m;
	c = (void *)(m + sizeof(*h));
	c->hdr = (struct qnpu_desc_header){ QNPU_OP_COPY, 1, 0, sizeof(*c) };
	c->src = (struct qnpu_tensor){ .addr = npu_buffer_addr(src) + soff,
		.dim = { N, HW, HW, C1 }, .stride = { HW * HW * C1, HW * C1, C1, 1 },
		.dtype = QNPU_DTYPE_INT8 };
	c->dst = c->src;
	c->dst.addr = npu_buffer_addr(dst) + doff;
	*h = (struct qnpu_cmdbuf_header){ .magic = QNPU_CMDBUF_MAGIC,
		.version = QNPU_CMDBUF_VERSION, .size = sizeof(*h) + sizeof(*c), .count = 1 };
	job.size = h->size;
	npu_buffer_unmap(cb);
	return npu_submit(dev, &job, &id);
}

/* A's output into B's input on the device; the CPU waits for B alone. */
static int run_chained(struct npu_device *dev, struct npu_executor *a, struct npu_executor *b,
		       const int8_t *in, int8_t *out)
{
	struct npu_buffer *abuf, *bbuf, *cb = NULL;
	struct npu_fence *a_done = NULL, *copied = NULL, *b_done = NULL;
	uint64_t ain, aout, bin, bout, bytes, id;
	void *m;
	int ret;

	ret = npu_executor_io(a, 0, 0, &abuf, &ain, &bytes) ?:
	      npu_buffer_map(abuf, &m);
	if (ret)
		return ret;
	memcpy((uint8_t *)m + ain, in, bytes);
	npu_buffer_unmap(abuf);
	ret = npu_executor_io(a, 1, 0, &abuf, &aout, NULL) ?:
	      npu_executor_io(b, 0, 0, &bbuf, &bin, NULL) ?:
	      npu_executor_io(b, 1, 0, &bbuf, &bout, &bytes) ?:
	      npu_buffer_new(dev, 4096, 0, &cb) ?:
	      npu_fence_new(dev, &a_done) ?: npu_fence_new(dev, &copied) ?:
	      npu_fence_new(dev, &b_done) ?:
	      npu_executor_submit(a, NULL, 0, a_done, NULL) ?:
	      copy_job(dev, cb, abuf, aout, bbuf, bin, a_done, copied) ?:
	      npu_executor_submit(b, &copied, 1, b_done, &id) ?:
	      npu_fence_wait(b_done, 10000000000ll) ?:
	      npu_buffer_map(bbuf, &m);
	if (!ret) {
		memcpy(out, (uint8_t *)m + bout, bytes);
		npu_buffer_unmap(bbuf);
	}
	npu_fence_free(a_done);
	npu_fence_free(copied);
	npu_fence_free(b_done);
	npu_buffer_free(cb);
	return ret;
}

/* A then B on the CPU reference: what the chain must give. */
static int run_reference(const struct npu_program *pa, const struct npu_program *pb,
			 const int8_t *in, int8_t *mid, int8_t *out)
{
	struct npu_executor *a = NULL, *b = NULL;
	const void *ia[] = { in }, *ib[] = { mid };
	void *oa[] = { mid }, *ob[] = { out };
	int ret = npu_executor_new(pa, NPU_EXEC_REF, NULL, &a) ?:
		  npu_executor_new(pb, NPU_EXEC_REF, NULL, &b) ?:
		  npu_executor_run(a, ia, oa, NULL) ?: npu_executor_run(b, ib, ob, NULL);

	npu_executor_free(a);
	npu_executor_free(b);
	return ret;
}

int main(int argc, char **argv)
{
	static int8_t in[N * HW * HW * C0], mid[N * HW * HW * C1];
	static int8_t out[N * HW * HW * C2], want[N * HW * HW * C2];
	const char *pa_path = argc == 3 ? argv[1] : "/tmp/chain_a.qnpu";
	const char *pb_path = argc == 3 ? argv[2] : "/tmp/chain_b.qnpu";
	struct npu_program *pa = NULL, *pb = NULL;
	struct npu_executor *a = NULL, *b = NULL;
	struct npu_device *dev = NULL;
	size_t i;
	int ret;

	if (argc != 1 && argc != 3) {
		fprintf(stderr, "usage: chain_npu [A.qnpu B.qnpu]\n");
		return 2;
	}
	ret = argc == 3 ? 0 : make_program(pa_path, 3, C0, C1, 0) ?:
			      make_program(pb_path, 1, C1, C2, 1);
	ret = ret ?: npu_program_load(pa_path, &pa) ?: npu_program_load(pb_path, &pb) ?:
	      npu_device_open(0, &dev) ?:
	      npu_executor_new(pa, NPU_EXEC_NPU, dev, &a) ?:
	      npu_executor_new(pb, NPU_EXEC_NPU, dev, &b);
	for (i = 0; i < sizeof(in); i++)
		in[i] = rand8();
	ret = ret ?: run_chained(dev, a, b, in, out) ?: run_reference(pa, pb, in, mid, want);
	if (ret)
		fprintf(stderr, "chain_npu: %s\n", npu_strerror(ret));
	else
		printf("chain_npu: A -> copy -> B on the NPU, fences between, batch of %d: %s\n",
		       N, memcmp(out, want, sizeof(out)) ? "differs from the reference"
							  : "the reference's bytes");
	npu_executor_free(a);
	npu_executor_free(b);
	npu_program_free(pa);
	npu_program_free(pb);
	npu_device_close(dev);
	return ret ? 1 : memcmp(out, want, sizeof(out)) != 0;
}
