// SPDX-License-Identifier: MIT
/*
 * libnpu: the ONNX reader. protobuf-c decodes; this file checks what the
 * decoder cannot (structure, sizes, types) and says where a file is wrong.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/util.h"
#include "npu/onnx.h"
#include "onnx.pb-c.h"
#include "onnx_internal.h"

#define MAX_FILE	(1ull << 30)

struct npu_onnx {
	Onnx__ModelProto *model;
	int64_t opset;
	size_t inputs;
};


/* Read a whole file (at most MAX_FILE bytes). */
static int slurp(const char *path, uint8_t **buf, size_t *len, char *err,
		 size_t errlen)
{
	struct stat st;
	FILE *f = fopen(path, "rb");

	if (!f)
		return npu_errf(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > MAX_FILE) {
		fclose(f);
		return npu_errf(err, errlen, -EPROTO, "%s: not a regular file of at most 1 GiB",
			    path);
	}
	*len = st.st_size;
	*buf = malloc(*len ? *len : 1);
	if (!*buf) {
		fclose(f);
		return -ENOMEM;
	}
	if (fread(*buf, 1, *len, f) != *len) {
		free(*buf);
		fclose(f);
		return npu_errf(err, errlen, -EIO, "%s: read error", path);
	}
	fclose(f);
	return 0;
}

static size_t type_size(int type)
{
	switch (type) {
	case NPU_ONNX_FLOAT:
	case NPU_ONNX_INT32:
		return 4;
	case NPU_ONNX_UINT8:
	case NPU_ONNX_INT8:
	case NPU_ONNX_BOOL:
		return 1;
	case NPU_ONNX_INT64:
		return 8;
	default:
		return 0;
	}
}

/* Decode a TensorProto into @t, checking sizes; -EPROTO/-EOPNOTSUPP. */
int npu_onnx_decode(const Onnx__TensorProto *p, struct npu_onnx_tensor *t,
			 const char *where, char *err, size_t errlen)
{
	size_t es, i, count = 1, have;

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", p->name ? p->name : "");
	if (p->n_external_data || p->data_location ==
	    ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
		return npu_errf(err, errlen, -EOPNOTSUPP,
			    "%s: tensor '%s' keeps its data in an external file",
			    where, t->name);
	if (p->n_dims > NPU_ONNX_MAX_DIMS)
		return npu_errf(err, errlen, -EOPNOTSUPP, "%s: tensor '%s' has %zu dimensions",
			    where, t->name, p->n_dims);
	t->type = p->data_type;
	es = type_size(t->type);
	if (!es)
		return npu_errf(err, errlen, -EOPNOTSUPP,
			    "%s: tensor '%s' has element type %d (libnpu reads float, uint8, int8, int32, int64, bool)",
			    where, t->name, t->type);
	t->ndims = p->n_dims;
	for (i = 0; i < p->n_dims; i++) {
		if (p->dims[i] < 0 || (p->dims[i] && count > SIZE_MAX / p->dims[i]) ||
		    (uint64_t)p->dims[i] * count > MAX_FILE)
			return npu_errf(err, errlen, -EPROTO, "%s: tensor '%s' has bad dimension %zu",
				    where, t->name, i);
		t->dims[i] = p->dims[i];
		count *= p->dims[i];
	}
	t->count = count;
	t->data = malloc(count ? count * es : 1);
	if (!t->data)
		return -ENOMEM;
	if (p->has_raw_data) {
		have = p->raw_data.len;
		if (have != count * es)
			goto size;
		memcpy(t->data, p->raw_data.data, have);
		return 0;
	}
	switch (t->type) {
	case NPU_ONNX_FLOAT:
		if (p->n_float_data != count)
			goto size;
		memcpy(t->data, p->float_data, count * 4);
		break;
	case NPU_ONNX_INT64:
		if (p->n_int64_data != count)
			goto size;
		memcpy(t->data, p->int64_data, count * 8);
		break;
	default:	/* int8, uint8, bool and int32 live in int32_data */
		if (p->n_int32_data != count)
			goto size;
		for (i = 0; i < count; i++) {
			if (es == 1)
				((uint8_t *)t->data)[i] = (uint8_t)p->int32_data[i];
			else
				((int32_t *)t->data)[i] = p->int32_data[i];
		}
		break;
	}
	return 0;
size:
	free(t->data);
	t->data = NULL;
	return npu_errf(err, errlen, -EPROTO,
		    "%s: tensor '%s' holds a different number of elements than its %zu",
		    where, t->name, count);
}

NPU_API int npu_onnx_tensor_load(const char *path, struct npu_onnx_tensor *t,
				 char *err, size_t errlen)
{
	Onnx__TensorProto *p;
	uint8_t *buf;
	size_t len;
	int ret;

	if (!path || !t)
		return -EINVAL;
	ret = slurp(path, &buf, &len, err, errlen);
	if (ret)
		return ret;
	p = onnx__tensor_proto__unpack(NULL, len, buf);
	free(buf);
	if (!p)
		return npu_errf(err, errlen, -EPROTO,
			    "%s: not a TensorProto (truncated or corrupt)", path);
	ret = npu_onnx_decode(p, t, path, err, errlen);
	onnx__tensor_proto__free_unpacked(p, NULL);
	return ret;
}

NPU_API void npu_onnx_tensor_release(struct npu_onnx_tensor *t)
{
	if (t) {
		free(t->data);
		t->data = NULL;
	}
}

/* Structure the decoder does not check. */
static int check_model(struct npu_onnx *m, const char *path, char *err,
		       size_t errlen)
{
	const Onnx__GraphProto *g = m->model->graph;
	size_t i, j;
	int ret;


	if (!g)
		return npu_errf(err, errlen, -EPROTO, "%s: the model has no graph", path);
	m->opset = -1;
	for (i = 0; i < m->model->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *o = m->model->opset_import[i];

		if (!o->domain || !o->domain[0] || !strcmp(o->domain, "ai.onnx"))
			m->opset = o->version;
	}
	if (m->opset < 0)
		return npu_errf(err, errlen, -EOPNOTSUPP,
			    "%s: no opset for the ONNX domain (only other domains)",
			    path);
	for (i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *n = g->node[i];

		if (!n->op_type || !n->op_type[0])
			return npu_errf(err, errlen, -EPROTO, "%s: node %zu (%s) has no op type",
				    path, i, n->name ? n->name : "");
		/* ONNX Runtime's quantized contrib ops are read too. */
		if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") &&
		    !(!strcmp(n->domain, "com.microsoft") &&
		      (!strcmp(n->op_type, "QLinearAdd") ||
		       !strcmp(n->op_type, "QLinearAveragePool") ||
		       !strcmp(n->op_type, "QLinearGlobalAveragePool"))))
			return npu_errf(err, errlen, -EOPNOTSUPP,
				    "%s: node %zu (%s, %s) is in domain '%s'", path, i,
				    n->name ? n->name : "", n->op_type, n->domain);
		/* An empty output name is an omitted optional output. */
		if (!n->n_output)
			return npu_errf(err, errlen, -EPROTO, "%s: node %zu (%s, %s) has no outputs",
				    path, i, n->name ? n->name : "", n->op_type);
	}
	for (i = 0; i < g->n_initializer; i++) {
		struct npu_onnx_tensor t;
		char where[512];

		snprintf(where, sizeof(where), "%s: initializer %zu", path, i);
		ret = npu_onnx_decode(g->initializer[i], &t, where, err, errlen);
		npu_onnx_tensor_release(&t);
		if (ret)
			return ret;
	}
	m->inputs = 0;
	for (i = 0; i < g->n_input; i++) {
		bool init = false;

		for (j = 0; j < g->n_initializer && !init; j++)
			init = g->input[i]->name && g->initializer[j]->name &&
			       !strcmp(g->input[i]->name, g->initializer[j]->name);
		m->inputs += !init;
	}
	if (!g->n_output)
		return npu_errf(err, errlen, -EPROTO, "%s: the graph has no outputs", path);
	return 0;
}

NPU_API int npu_onnx_load(const char *path, struct npu_onnx **out, char *err,
			  size_t errlen)
{
	struct npu_onnx *m;
	uint8_t *buf;
	size_t len;
	int ret;

	if (!path || !out)
		return -EINVAL;
	ret = slurp(path, &buf, &len, err, errlen);
	if (ret)
		return ret;
	m = calloc(1, sizeof(*m));
	if (!m) {
		free(buf);
		return -ENOMEM;
	}
	m->model = onnx__model_proto__unpack(NULL, len, buf);
	free(buf);
	if (!m->model) {
		free(m);
		return npu_errf(err, errlen, -EPROTO,
			    "%s: not an ONNX model (truncated or corrupt protobuf)", path);
	}
	ret = check_model(m, path, err, errlen);
	if (ret) {
		npu_onnx_free(m);
		return ret;
	}
	*out = m;
	return 0;
}

NPU_API void npu_onnx_free(struct npu_onnx *m)
{
	if (!m)
		return;
	if (m->model)
		onnx__model_proto__free_unpacked(m->model, NULL);
	free(m);
}

int64_t npu_onnx_opset(const struct npu_onnx *m)
{
	return m->opset;
}

const Onnx__GraphProto *npu_onnx_graph(const struct npu_onnx *m)
{
	return m->model->graph;
}

const Onnx__ModelProto *npu_onnx_model(const struct npu_onnx *m)
{
	return m->model;
}

NPU_API int npu_onnx_info(const struct npu_onnx *m, struct npu_onnx_info *info)
{
	if (!m || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->ir_version = m->model->ir_version;
	info->opset = m->opset;
	snprintf(info->producer, sizeof(info->producer), "%s %s",
		 m->model->producer_name ? m->model->producer_name : "",
		 m->model->producer_version ? m->model->producer_version : "");
	info->nodes = m->model->graph->n_node;
	info->initializers = m->model->graph->n_initializer;
	info->inputs = m->inputs;
	info->outputs = m->model->graph->n_output;
	return 0;
}

NPU_API const char *npu_onnx_node_op(const struct npu_onnx *m, size_t i,
				     const char **name)
{
	const Onnx__NodeProto *n;

	if (!m || i >= m->model->graph->n_node)
		return NULL;
	n = m->model->graph->node[i];
	if (name)
		*name = n->name ? n->name : "";
	return n->op_type;
}

/* ---- helpers for the importers ---- */

const Onnx__AttributeProto *npu_onnx_attr(const Onnx__NodeProto *nd,
					const char *name)
{
	size_t i;

	for (i = 0; i < nd->n_attribute; i++) {
		if (!strcmp(nd->attribute[i]->name, name))
			return nd->attribute[i];
	}
	return NULL;
}

int64_t npu_onnx_attr_i(const Onnx__NodeProto *nd, const char *name, int64_t dflt)
{
	const Onnx__AttributeProto *a = npu_onnx_attr(nd, name);

	return a && a->has_i ? a->i : dflt;
}

void npu_onnx_attr_ints(const Onnx__NodeProto *nd, const char *name,
		      uint32_t *out, size_t n, uint32_t dflt)
{
	const Onnx__AttributeProto *a = npu_onnx_attr(nd, name);
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = a && i < a->n_ints ? (uint32_t)a->ints[i] : dflt;
}

/* A float constant: an initializer or a Constant node's value. */
const Onnx__TensorProto *npu_onnx_constant(const Onnx__GraphProto *g,
					 const char *name)
{
	size_t i;

	for (i = 0; i < g->n_initializer; i++) {
		if (!strcmp(g->initializer[i]->name, name))
			return g->initializer[i];
	}
	for (i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *nd = g->node[i];
		const Onnx__AttributeProto *a;

		if (!nd->n_output || strcmp(nd->output[0], name))
			continue;
		/* An Identity of a constant (exporters share biases so) is that constant. */
		if (!strcmp(nd->op_type, "Identity") && nd->n_input == 1 &&
		    strcmp(nd->input[0], name))
			return npu_onnx_constant(g, nd->input[0]);
		if (strcmp(nd->op_type, "Constant"))
			continue;
		a = npu_onnx_attr(nd, "value");
		return a ? a->t : NULL;
	}
	return NULL;
}

NPU_API int npu_onnx_is_quantized(const struct npu_onnx *m)
{
	static const char *const ops[] = {
		"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
		"QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger",
		"QLinearAdd", "QLinearAveragePool", "QLinearGlobalAveragePool",
	};
	const Onnx__GraphProto *g = m ? npu_onnx_graph(m) : NULL;
	size_t i, k;

	for (i = 0; g && i < g->n_node; i++) {
		for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
			if (!strcmp(g->node[i]->op_type, ops[k]))
				return 1;
		}
	}
	/* Or it takes 8-bit tensors (a MaxPool on uint8, say). */
	for (i = 0; g && i < g->n_input; i++) {
		const Onnx__TypeProto *t = g->input[i]->type;

		if (t && t->tensor_type && (t->tensor_type->elem_type == NPU_ONNX_UINT8 ||
					    t->tensor_type->elem_type == NPU_ONNX_INT8))
			return 1;
	}
	return 0;
}

NPU_API size_t npu_onnx_elem_size(int type)
{
	return type_size(type);
}

/* NCHW <-> NHWC of a 4-D io; other ranks are the same in both. */
static void transpose_io(const struct npu_onnx_io *io, const uint8_t *src,
			 uint8_t *dst, bool to_graph)
{
	size_t es = npu_onnx_elem_size(io->type);
	uint64_t N, C, HW, n, c, p;

	if (!io->nchw || io->ndims != 4) {
		memcpy(dst, src, io->count * es);
		return;
	}
	N = io->dims[0];
	C = io->dims[1];
	HW = (uint64_t)io->dims[2] * io->dims[3];
	for (n = 0; n < N; n++)
		for (c = 0; c < C; c++)
			for (p = 0; p < HW; p++) {
				uint64_t nchw = (n * C + c) * HW + p, nhwc = (n * HW + p) * C + c;

				memcpy(dst + es * (to_graph ? nhwc : nchw),
				       src + es * (to_graph ? nchw : nhwc), es);
			}
}

NPU_API void npu_onnx_to_graph(const struct npu_onnx_io *io, const void *src,
			       void *dst)
{
	transpose_io(io, src, dst, true);
}

NPU_API void npu_onnx_from_graph(const struct npu_onnx_io *io, const void *src,
				 void *dst)
{
	transpose_io(io, src, dst, false);
}

NPU_API int npu_onnx_graph_samples(const struct npu_onnx_tensor *t, size_t count, float **out)
{
	struct npu_onnx_io io = { .type = NPU_ONNX_FLOAT, .ndims = 4, .nchw = 1 };
	size_t per, k;
	float *g;

	if (!t || !out || t->type != NPU_ONNX_FLOAT || t->ndims != 4 || t->dims[0] < 1)
		return -EINVAL;
	count = count ? count : (size_t)t->dims[0];
	per = t->count / (size_t)t->dims[0];
	memcpy(io.dims, t->dims, sizeof(io.dims));
	io.dims[0] = 1;
	io.count = per;
	g = malloc(sizeof(float) * per * count + 1);
	if (!g)
		return -ENOMEM;
	for (k = 0; k < count; k++)
		npu_onnx_to_graph(&io, (const float *)t->data + (k % t->dims[0]) * per,
				  g + k * per);
	*out = g;
	return 0;
}

NPU_API const char *npu_onnx_input_name(const struct npu_onnx *m, size_t i)
{
	const Onnx__GraphProto *g = m ? npu_onnx_graph(m) : NULL;
	size_t k;

	for (k = 0; g && k < g->n_input; k++) {
		if (npu_onnx_constant(g, g->input[k]->name))
			continue;	/* an initializer listed as an input */
		if (!i--)
			return g->input[k]->name;
	}
	return NULL;
}
