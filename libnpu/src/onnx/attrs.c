// SPDX-License-Identifier: MIT
/*
 * libnpu ONNX: node attributes. Every op the importers accept declares the
 * attributes it honours (name, type, list length); any other attribute, or
 * one of another type or length, refuses the node by name, so that nothing
 * a model says is silently ignored. The window attributes of convolutions
 * and pools (kernel, strides, dilations, pads, auto_pad) are read here once.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "onnx_internal.h"

static const char *type_name(int type)
{
	switch (type) {
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
		return "a float";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
		return "an int";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
		return "a string";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
		return "a list of ints";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
		return "a list of floats";
	default:
		return "another type";
	}
}

/* The type of @a, from its tag or, in old models without one, its fields. */
static int attr_type(const Onnx__AttributeProto *a)
{
	if (a->type)
		return a->type;
	return a->has_f ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT :
	       a->has_i ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT :
	       a->has_s ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING :
	       a->n_ints ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS :
	       ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

static size_t attr_count(const Onnx__AttributeProto *a)
{
	return attr_type(a) == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS ? a->n_ints :
	       attr_type(a) == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS ? a->n_floats : 1;
}

int npu_onnx_check_attrs(const Onnx__NodeProto *nd, const struct npu_onnx_attr_spec *spec,
			 char *why, size_t len)
{
	size_t i;

	for (i = 0; i < nd->n_attribute; i++) {
		const Onnx__AttributeProto *a = nd->attribute[i];
		const struct npu_onnx_attr_spec *s = spec;

		while (s && s->name && strcmp(s->name, a->name))
			s++;
		if (!s || !s->name) {
			snprintf(why, len, "attribute '%s' is not supported", a->name);
			return -EOPNOTSUPP;
		}
		if (attr_type(a) != s->type) {
			snprintf(why, len, "attribute '%s' is %s, ONNX says %s", a->name,
				 type_name(attr_type(a)), type_name(s->type));
			return -EPROTO;
		}
		if (s->count && attr_count(a) != s->count) {
			snprintf(why, len, "attribute '%s' has %zu values, 2-D ops take %zu",
				 a->name, attr_count(a), s->count);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

float npu_onnx_attr_f(const Onnx__NodeProto *nd, const char *name, float dflt)
{
	const Onnx__AttributeProto *a = npu_onnx_attr(nd, name);

	return a && attr_type(a) == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT ? a->f : dflt;
}

/* Whether string attribute @name is @value; @dflt when absent. */
static bool attr_s_is(const Onnx__NodeProto *nd, const char *name, const char *value,
		      bool dflt)
{
	const Onnx__AttributeProto *a = npu_onnx_attr(nd, name);

	if (!a)
		return dflt;
	return a->s.len == strlen(value) && !memcmp(a->s.data, value, a->s.len);
}

/* SAME_UPPER / SAME_LOWER: the output is ceil(in / stride), the padding what that takes. */
static void same_pads(const struct npu_onnx_window *w, const uint32_t in[2], bool upper,
		      uint32_t pad[4])
{
	int i;

	for (i = 0; i < 2; i++) {
		int64_t out = ((int64_t)in[i] + w->stride[i] - 1) / w->stride[i];
		int64_t total = (out - 1) * w->stride[i] + (int64_t)(w->kernel[i] - 1) * w->dil[i] +
				1 - in[i];

		if (total < 0)
			total = 0;
		pad[i] = upper ? total / 2 : total - total / 2;
		pad[i + 2] = total - pad[i];
	}
}

int npu_onnx_window(const Onnx__NodeProto *nd, const uint32_t in[2], const uint32_t *kernel,
		    struct npu_onnx_window *w, char *why, size_t len)
{
	bool notset = attr_s_is(nd, "auto_pad", "NOTSET", true);
	bool valid = attr_s_is(nd, "auto_pad", "VALID", false);
	bool upper = attr_s_is(nd, "auto_pad", "SAME_UPPER", false);
	bool lower = attr_s_is(nd, "auto_pad", "SAME_LOWER", false);
	uint32_t k[2];

	npu_onnx_attr_ints(nd, "kernel_shape", k, 2, kernel ? kernel[0] : 0);
	if (kernel && !npu_onnx_attr(nd, "kernel_shape"))
		k[1] = kernel[1];
	if (kernel && (k[0] != kernel[0] || k[1] != kernel[1])) {
		snprintf(why, len, "kernel_shape %ux%u differs from the weights' %ux%u", k[0], k[1],
			 kernel[0], kernel[1]);
		return -EPROTO;
	}
	if (!k[0] || !k[1]) {
		snprintf(why, len, "no kernel_shape");
		return -EPROTO;
	}
	memcpy(w->kernel, k, sizeof(k));
	npu_onnx_attr_ints(nd, "strides", w->stride, 2, 1);
	npu_onnx_attr_ints(nd, "dilations", w->dil, 2, 1);
	npu_onnx_attr_ints(nd, "pads", w->pad, 4, 0);
	if (!w->stride[0] || !w->stride[1] || !w->dil[0] || !w->dil[1]) {
		snprintf(why, len, "a stride or dilation of 0");
		return -EPROTO;
	}
	if (!notset && !valid && !upper && !lower) {
		snprintf(why, len, "unknown auto_pad");
		return -EPROTO;
	}
	if (!notset && (w->pad[0] | w->pad[1] | w->pad[2] | w->pad[3])) {
		snprintf(why, len, "pads given with auto_pad");
		return -EPROTO;
	}
	if (upper || lower)
		same_pads(w, in, upper, w->pad);
	return 0;
}

int npu_onnx_window_out(const struct npu_onnx_window *w, const uint32_t in[2], uint32_t out[2],
			char *why, size_t len)
{
	int i;

	for (i = 0; i < 2; i++) {
		int64_t span = (int64_t)(w->kernel[i] - 1) * w->dil[i] + 1;
		int64_t padded = (int64_t)in[i] + w->pad[i] + w->pad[i + 2];

		if (padded < span) {
			snprintf(why, len, "the window (%lld) is larger than its padded input (%lld)",
				 (long long)span, (long long)padded);
			return -EPROTO;
		}
		out[i] = (padded - span) / w->stride[i] + 1;
	}
	return 0;
}

void npu_onnx_ceil_pads(struct npu_onnx_window *w, const uint32_t in[2])
{
	int i;

	for (i = 0; i < 2; i++) {
		int64_t span = (int64_t)(w->kernel[i] - 1) * w->dil[i] + 1;
		int64_t padded = (int64_t)in[i] + w->pad[i] + w->pad[i + 2];
		int64_t out = (padded - span + w->stride[i] - 1) / w->stride[i] + 1;

		/* The last window starts inside the input or its leading padding. */
		if ((out - 1) * w->stride[i] >= (int64_t)in[i] + w->pad[i])
			out--;
		if (padded >= span && (out - 1) * w->stride[i] + span > padded)
			w->pad[i + 2] += (out - 1) * w->stride[i] + span - padded;
	}
}
