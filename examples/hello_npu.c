// SPDX-License-Identifier: MIT
/*
 * The smallest libnpu program: find a qnpu device, print what it is, run
 * one job (a COPY of 16 bytes) and check its result.
 *
 *   cc hello_npu.c $(pkg-config --cflags --libs libnpu) -o hello_npu
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <stdio.h>
#include <string.h>

#include <drm/qnpu_cmdbuf.h>
#include <npu/npu.h>

int main(void)
{
	struct qnpu_desc_copy *copy;
	struct npu_buffer *cb, *data, *bufs[1];
	struct npu_device_info info;
	struct npu_job_result res;
	struct npu_device *dev;
	struct npu_job job = { 0 };
	uint8_t *cbm, *d;
	uint64_t id;
	int ret;

	ret = npu_device_open(0, &dev);
	if (ret) {
		fprintf(stderr, "hello_npu: no qnpu device: %s\n", npu_strerror(ret));
		return 2;
	}
	npu_device_info(dev, &info);
	printf("%s: %ux%u MACs at %u MHz\n", info.path, info.mac_rows,
	       info.mac_cols, info.clock_mhz);

	if (npu_buffer_new(dev, 4096, 0, &cb) || npu_buffer_new(dev, 4096, 0, &data) ||
	    npu_buffer_map(cb, (void **)&cbm) || npu_buffer_map(data, (void **)&d))
		return 1;
	memcpy(d, "hello, qnpu NPU!", 16);

	/* Command buffer: header + one COPY of data[0..16) to data[64..80). */
	struct qnpu_cmdbuf_header *h = (void *)cbm;
	copy = (void *)(cbm + sizeof(*h));
	memset(cbm, 0, 4096);
	copy->hdr = (struct qnpu_desc_header){ QNPU_OP_COPY, 1, 0, sizeof(*copy) };
	copy->src = (struct qnpu_tensor){ .addr = npu_buffer_addr(data),
		.dim = { 1, 1, 1, 16 }, .stride = { 16, 16, 16, 1 },
		.dtype = QNPU_DTYPE_INT8 };
	copy->dst = copy->src;
	copy->dst.addr += 64;
	*h = (struct qnpu_cmdbuf_header){ .magic = QNPU_CMDBUF_MAGIC,
		.version = QNPU_CMDBUF_VERSION, .size = sizeof(*h) + sizeof(*copy),
		.count = 1 };

	bufs[0] = data;
	job.cmdbuf = cb;
	job.size = h->size;
	job.buffers = bufs;
	job.buffer_count = 1;
	ret = npu_submit(dev, &job, &id);
	if (!ret)
		ret = npu_wait(dev, id, 5000000000ll, &res);
	if (ret) {
		fprintf(stderr, "hello_npu: %s\n", npu_strerror(ret));
		return 1;
	}
	printf("job %llu: %s, %llu cycles: \"%.16s\"\n", (unsigned long long)id,
	       npu_status_str(res.status), (unsigned long long)res.cycles, d + 64);
	ret = res.status == QNPU_STATUS_OK && !memcmp(d + 64, d, 16) ? 0 : 1;
	npu_buffer_free(cb);
	npu_buffer_free(data);
	npu_device_close(dev);
	return ret;
}
