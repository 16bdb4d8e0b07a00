// SPDX-License-Identifier: MIT
/*
 * libnpu ONNX: a model's signature (its inputs and outputs as the model
 * sees them) kept in a compiled program's note, so that a program saved
 * once can be run on the model's own tensors later (npu-run --program).
 * The note is a tag, a version and the structure's size, then the
 * structure; a note of another tag, version or size is not a signature.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "npu/graph.h"
#include "npu/onnx.h"

#define SIG_TAG		0x47495351u	/* "QSIG" */
#define SIG_VERSION	1u

struct sig_note {
	uint32_t tag, version, size, pad;
	struct npu_onnx_signature sig;
};

NPU_API int npu_onnx_program_set_signature(struct npu_program *p,
					   const struct npu_onnx_signature *sig)
{
	struct sig_note *n;
	int ret;

	if (!p || !sig || sig->ninputs > NPU_ONNX_MAX_IO || sig->noutputs > NPU_ONNX_MAX_IO)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->tag = SIG_TAG;
	n->version = SIG_VERSION;
	n->size = sizeof(n->sig);
	n->sig = *sig;
	ret = npu_program_set_note(p, n, sizeof(*n));
	free(n);
	return ret;
}

/* Whether an io read from a file is one this library could have written. */
static bool io_sane(const struct npu_onnx_io *io)
{
	size_t count = 1, d;

	if (!memchr(io->name, 0, sizeof(io->name)) || io->ndims > NPU_ONNX_MAX_DIMS ||
	    !npu_onnx_elem_size(io->type))
		return false;
	for (d = 0; d < io->ndims; d++) {
		if (io->dims[d] <= 0 || io->dims[d] > (1 << 30))
			return false;
		count *= io->dims[d];
	}
	return count == io->count;
}

NPU_API int npu_onnx_program_signature(const struct npu_program *p,
				       struct npu_onnx_signature *sig)
{
	size_t size, i;
	const struct sig_note *n = npu_program_note(p, &size);

	if (!p || !sig)
		return -EINVAL;
	if (!n || size != sizeof(*n) || n->tag != SIG_TAG || n->version != SIG_VERSION ||
	    n->size != sizeof(n->sig))
		return -ENOENT;
	if (n->sig.ninputs > NPU_ONNX_MAX_IO || n->sig.noutputs > NPU_ONNX_MAX_IO)
		return -EPROTO;
	for (i = 0; i < n->sig.ninputs; i++)
		if (!io_sane(&n->sig.inputs[i]))
			return -EPROTO;
	for (i = 0; i < n->sig.noutputs; i++)
		if (!io_sane(&n->sig.outputs[i]))
			return -EPROTO;
	*sig = n->sig;
	return 0;
}
