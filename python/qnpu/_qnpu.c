// SPDX-License-Identifier: MIT
/*
 * _qnpu: the C side of the Python module qnpu (python/qnpu/__init__.py), a
 * thin layer over libnpu: handles as capsules, tensors as buffers (any
 * object with the buffer protocol, numpy arrays among them) in and bytes
 * out; the Python side makes numpy arrays and classes of them. Errors
 * raise qnpu.Error with libnpu's message.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdlib.h>
#include <string.h>

#include <npu/graph.h>
#include <npu/npu.h>
#include <npu/onnx.h>
#include <npu/quant.h>

static PyObject *Error;

struct exec_handle {
	struct npu_executor *e;
	struct npu_device *dev;
};

static PyObject *fail(int ret, const char *msg)
{
	PyErr_Format(Error, "%s", msg && *msg ? msg : npu_strerror(ret));
	return NULL;
}

static void free_model(PyObject *c) { npu_onnx_free(PyCapsule_GetPointer(c, "npu_onnx")); }
static void free_program(PyObject *c) { npu_program_free(PyCapsule_GetPointer(c, "npu_program")); }
static void free_observer(PyObject *c) { npu_observer_free(PyCapsule_GetPointer(c, "npu_observer")); }

static void free_exec(PyObject *c)
{
	struct exec_handle *h = PyCapsule_GetPointer(c, "npu_exec");

	if (h) {
		npu_executor_free(h->e);
		npu_device_close(h->dev);
		free(h);
	}
}

static PyObject *load_model(PyObject *self, PyObject *args)
{
	struct npu_onnx *m;
	const char *path;
	char err[512] = "";
	int ret;

	if (!PyArg_ParseTuple(args, "s", &path))
		return NULL;
	ret = npu_onnx_load(path, &m, err, sizeof(err));
	if (ret)
		return fail(ret, err);
	return PyCapsule_New(m, "npu_onnx", free_model);
}

static PyObject *is_quantized(PyObject *self, PyObject *args)
{
	PyObject *c;
	struct npu_onnx *m;

	if (!PyArg_ParseTuple(args, "O", &c) || !(m = PyCapsule_GetPointer(c, "npu_onnx")))
		return NULL;
	return PyBool_FromLong(npu_onnx_is_quantized(m));
}

/* Calibration samples [n][c][h][w] float32 (model layout) as n images NHWC. */
static float *graph_samples(const Py_buffer *b, Py_ssize_t n, const int64_t dims[4])
{
	struct npu_onnx_tensor t = { .type = NPU_ONNX_FLOAT, .ndims = 4, .data = b->buf };
	float *g = NULL;

	memcpy(t.dims, dims, sizeof(int64_t) * 4);
	t.count = (size_t)(dims[0] * dims[1] * dims[2] * dims[3]);
	return npu_onnx_graph_samples(&t, (size_t)n, &g) ? NULL : g;
}

/*
 * compile(model, calib or None, (n, c, h, w), method, granularity, rounding,
 * weight_bits, export_onnx path or None) -> program
 */
static PyObject *compile_model(PyObject *self, PyObject *args)
{
	struct npu_onnx_import_opts o = { 0 };
	struct npu_onnx_signature *sig = calloc(1, sizeof(*sig));
	Py_buffer calib = { 0 };
	int64_t dims[4] = { 0 };
	struct npu_program *p = NULL;
	struct npu_graph *g = NULL;
	PyObject *c, *cal;
	struct npu_onnx *m;
	char err[512] = "";
	float *data = NULL;
	int method, gran, ret = 0;

	if (!sig)
		return PyErr_NoMemory();
	if (!PyArg_ParseTuple(args, "OO(LLLL)iiiiz", &c, &cal, &dims[0], &dims[1], &dims[2],
			      &dims[3], &method, &gran, &o.rounding, &o.weight_bits,
			      &o.qdq_path) ||
	    !(m = PyCapsule_GetPointer(c, "npu_onnx")) ||
	    (cal != Py_None && PyObject_GetBuffer(cal, &calib, PyBUF_C_CONTIGUOUS))) {
		free(sig);
		return NULL;
	}
	o.method = method;
	o.granularity = gran;
	o.sig = sig;
	if (cal != Py_None) {
		data = graph_samples(&calib, (Py_ssize_t)dims[0], dims);
		o.calib_data = data;
		o.calib_count = dims[0];
		ret = data ? 0 : -ENOMEM;
	}
	Py_BEGIN_ALLOW_THREADS
	ret = ret ?: npu_onnx_import(m, &o, &g, err, sizeof(err));
	if (!ret && npu_compile(g, &p)) {
		snprintf(err, sizeof(err), "%s", npu_graph_error(g));
		ret = -EINVAL;
	}
	ret = ret ?: npu_onnx_program_set_signature(p, sig);
	Py_END_ALLOW_THREADS
	if (cal != Py_None)
		PyBuffer_Release(&calib);
	npu_graph_free(g);
	free(data);
	free(sig);
	if (ret) {
		npu_program_free(p);
		return fail(ret, err);
	}
	return PyCapsule_New(p, "npu_program", free_program);
}

static PyObject *io_tuple(const struct npu_onnx_io *io)
{
	PyObject *dims = PyTuple_New(io->ndims);
	uint32_t d;

	if (!dims)
		return NULL;
	for (d = 0; d < io->ndims; d++)
		PyTuple_SET_ITEM(dims, d, PyLong_FromLongLong(io->dims[d]));
	return Py_BuildValue("(siNifi)", io->name, io->type, dims, io->nchw,
			     (double)io->scale, io->zero_point);
}

/* signature(program) -> ([(name, type, dims, nchw, scale, zp)...], [...]) */
static PyObject *signature(PyObject *self, PyObject *args)
{
	struct npu_onnx_signature *sig = calloc(1, sizeof(*sig));
	PyObject *c, *ins = NULL, *outs = NULL;
	struct npu_program *p;
	size_t i;
	int ret;

	if (!sig)
		return PyErr_NoMemory();
	if (!PyArg_ParseTuple(args, "O", &c) || !(p = PyCapsule_GetPointer(c, "npu_program"))) {
		free(sig);
		return NULL;
	}
	ret = npu_onnx_program_signature(p, sig);
	if (!ret) {
		ins = PyList_New(sig->ninputs);
		outs = PyList_New(sig->noutputs);
		/* PyList_SET_ITEM steals the reference io_tuple() returns */
		for (i = 0; ins && i < sig->ninputs; i++)
			PyList_SET_ITEM(ins, i, io_tuple(&sig->inputs[i]));
		for (i = 0; outs && i < sig->noutputs; i++)
			PyList_SET_ITEM(outs, i, io_tuple(&sig->outputs[i]));
	}
	free(sig);
	if (ret)
		return fail(ret, ret == -ENOENT ? "the program carries no model signature" : NULL);
	if (!ins || !outs || PyErr_Occurred()) {
		Py_XDECREF(ins);
		Py_XDECREF(outs);
		return NULL;
	}
	return Py_BuildValue("(NN)", ins, outs);
}

static PyObject *save_program(PyObject *self, PyObject *args)
{
	struct npu_program *p;
	const char *path;
	PyObject *c;
	int ret;

	if (!PyArg_ParseTuple(args, "Os", &c, &path) ||
	    !(p = PyCapsule_GetPointer(c, "npu_program")))
		return NULL;
	ret = npu_program_save(p, path);
	if (ret)
		return fail(ret, NULL);
	Py_RETURN_NONE;
}

static PyObject *load_program(PyObject *self, PyObject *args)
{
	struct npu_program *p;
	const char *path;
	int ret;

	if (!PyArg_ParseTuple(args, "s", &path))
		return NULL;
	ret = npu_program_load(path, &p);
	if (ret)
		return fail(ret, ret == -EPROTO ? "not a program file, or a damaged one" : NULL);
	return PyCapsule_New(p, "npu_program", free_program);
}

/* executor(program, kind) -> handle; kind 0 npu, 1 emu, 2 ref (enum npu_executor_kind) */
static PyObject *new_executor(PyObject *self, PyObject *args)
{
	struct exec_handle *h = calloc(1, sizeof(*h));
	struct npu_program *p;
	PyObject *c;
	int kind, ret = 0;

	if (!h)
		return PyErr_NoMemory();
	if (!PyArg_ParseTuple(args, "Oi", &c, &kind) ||
	    !(p = PyCapsule_GetPointer(c, "npu_program"))) {
		free(h);
		return NULL;
	}
	if (kind == NPU_EXEC_NPU)
		ret = npu_device_open(0, &h->dev);
	ret = ret ?: npu_executor_new(p, kind, h->dev, &h->e);
	if (ret) {
		npu_device_close(h->dev);
		free(h);
		return fail(ret, NULL);
	}
	return PyCapsule_New(h, "npu_exec", free_exec);
}

/* The signature's buffers for one batch: inputs to the graph's layout. */
static int stage_inputs(const struct npu_onnx_signature *sig, PyObject *list, void **gin)
{
	Py_ssize_t i;
	Py_buffer b;

	if (!PyList_Check(list) || (size_t)PyList_Size(list) != sig->ninputs) {
		PyErr_Format(Error, "the program takes %zu inputs", sig->ninputs);
		return -1;
	}
	for (i = 0; i < PyList_Size(list); i++) {
		const struct npu_onnx_io *io = &sig->inputs[i];
		size_t bytes = io->count * npu_onnx_elem_size(io->type);

		if (PyObject_GetBuffer(PyList_GetItem(list, i), &b, PyBUF_C_CONTIGUOUS))
			return -1;
		if ((size_t)b.len != bytes) {
			PyBuffer_Release(&b);
			PyErr_Format(Error, "input '%s' takes %zu bytes, not %zd", io->name, bytes,
				     b.len);
			return -1;
		}
		gin[i] = malloc(bytes + 1);
		if (gin[i])
			npu_onnx_to_graph(io, b.buf, gin[i]);
		PyBuffer_Release(&b);
		if (!gin[i]) {
			PyErr_NoMemory();
			return -1;
		}
	}
	return 0;
}

/* The outputs, back in the model's layout, as bytes. */
static PyObject *unstage_outputs(const struct npu_onnx_signature *sig, void **gout)
{
	PyObject *list = PyList_New(0), *bytes;
	size_t i;

	for (i = 0; list && i < sig->noutputs; i++) {
		const struct npu_onnx_io *io = &sig->outputs[i];

		bytes = PyBytes_FromStringAndSize(NULL, io->count * npu_onnx_elem_size(io->type));
		if (!bytes) {
			Py_DECREF(list);
			return NULL;
		}
		npu_onnx_from_graph(io, gout[i], PyBytes_AS_STRING(bytes));
		PyList_Append(list, bytes);
		Py_DECREF(bytes);
	}
	return list;
}

/* run(executor, program, [input buffers, one batch]) -> [output bytes] */
static PyObject *run(PyObject *self, PyObject *args)
{
	struct npu_onnx_signature *sig = calloc(1, sizeof(*sig));
	void *gin[NPU_ONNX_MAX_IO] = { 0 }, *gout[NPU_ONNX_MAX_IO] = { 0 };
	PyObject *ce, *cp, *list, *res = NULL;
	struct npu_job_result r = { 0 };
	struct exec_handle *h;
	struct npu_program *p;
	size_t i;
	int ret;

	if (!sig)
		return PyErr_NoMemory();
	if (!PyArg_ParseTuple(args, "OOO", &ce, &cp, &list) ||
	    !(h = PyCapsule_GetPointer(ce, "npu_exec")) ||
	    !(p = PyCapsule_GetPointer(cp, "npu_program")))
		goto out;
	if (npu_onnx_program_signature(p, sig)) {
		fail(0, "the program carries no model signature");
		goto out;
	}
	if (stage_inputs(sig, list, gin))
		goto out;
	for (i = 0; i < sig->noutputs; i++) {
		gout[i] = calloc(1, sig->outputs[i].count * npu_onnx_elem_size(sig->outputs[i].type) + 1);
		if (!gout[i]) {
			PyErr_NoMemory();
			goto out;
		}
	}
	Py_BEGIN_ALLOW_THREADS
	ret = npu_executor_run(h->e, (const void *const *)gin, gout, &r);
	Py_END_ALLOW_THREADS
	if (ret)
		PyErr_Format(Error, "%s (%s)", npu_strerror(ret), npu_status_str(r.status));
	else
		res = unstage_outputs(sig, gout);
out:
	for (i = 0; i < NPU_ONNX_MAX_IO; i++) {
		free(gin[i]);
		free(gout[i]);
	}
	free(sig);
	return res;
}

/* ---- quantization helpers ---- */

static PyObject *qparams(PyObject *self, PyObject *args)
{
	struct npu_qparams q;
	float lo, hi;
	int dtype, sym, ret;

	if (!PyArg_ParseTuple(args, "ffip", &lo, &hi, &dtype, &sym))
		return NULL;
	ret = npu_qparams_from_range(lo, hi, dtype, sym, &q);
	if (ret)
		return fail(ret, "a range with min > max, a NaN or an infinite end");
	return Py_BuildValue("(fi)", (double)q.scale, q.zero_point);
}

/* quantize(float32 buffer, scale, zp, dtype) -> bytes; dequantize the other way */
static PyObject *convert(PyObject *args, bool to_q)
{
	struct npu_qparams q;
	PyObject *res;
	Py_buffer b;
	size_t n;
	int dtype, ret;

	if (!PyArg_ParseTuple(args, "y*fii", &b, &q.scale, &q.zero_point, &dtype))
		return NULL;
	n = to_q ? b.len / sizeof(float) : (size_t)b.len;
	res = n ? PyBytes_FromStringAndSize(NULL, to_q ? n : n * sizeof(float)) : NULL;
	ret = res ? (to_q ? npu_quantize(b.buf, n, q, dtype, PyBytes_AS_STRING(res)) :
			    npu_dequantize(b.buf, n, q, dtype, (float *)PyBytes_AS_STRING(res))) :
		    -EINVAL;
	PyBuffer_Release(&b);
	if (ret) {
		Py_XDECREF(res);
		return fail(ret, "no values, or parameters outside the type's range");
	}
	return res;
}

static PyObject *quantize(PyObject *self, PyObject *args) { return convert(args, true); }
static PyObject *dequantize(PyObject *self, PyObject *args) { return convert(args, false); }

static PyObject *observer_new(PyObject *self, PyObject *args)
{
	struct npu_observer *o;
	int method, ret;

	if (!PyArg_ParseTuple(args, "i", &method))
		return NULL;
	ret = npu_observer_new(method, NULL, &o);
	if (ret)
		return fail(ret, "unknown calibration method");
	return PyCapsule_New(o, "npu_observer", free_observer);
}

static PyObject *observer_update(PyObject *self, PyObject *args)
{
	struct npu_observer *o;
	PyObject *c;
	Py_buffer b;
	int ret;

	if (!PyArg_ParseTuple(args, "Oy*", &c, &b))
		return NULL;
	o = PyCapsule_GetPointer(c, "npu_observer");
	ret = o ? npu_observer_update(o, b.buf, b.len / sizeof(float)) : -EINVAL;
	PyBuffer_Release(&b);
	if (ret)
		return o ? fail(ret, "no values") : NULL;
	Py_RETURN_NONE;
}

static PyObject *observer_qparams(PyObject *self, PyObject *args)
{
	struct npu_observer *o;
	struct npu_qparams q;
	float lo, hi;
	PyObject *c;
	int dtype, sym, ret;

	if (!PyArg_ParseTuple(args, "Oip", &c, &dtype, &sym) ||
	    !(o = PyCapsule_GetPointer(c, "npu_observer")))
		return NULL;
	ret = npu_observer_range(o, &lo, &hi) ?: npu_observer_qparams(o, dtype, sym, &q);
	if (ret)
		return fail(ret, ret == -ENODATA ? "the observer has seen no finite value" : NULL);
	return Py_BuildValue("(fffi)", (double)lo, (double)hi, (double)q.scale, q.zero_point);
}

static PyObject *sqnr(PyObject *self, PyObject *args)
{
	Py_buffer a, b;
	double db = 0;
	int ret;

	if (!PyArg_ParseTuple(args, "y*y*", &a, &b))
		return NULL;
	ret = a.len == b.len && a.len ? npu_sqnr_db(a.buf, b.buf, a.len / sizeof(float), &db) :
					-EINVAL;
	PyBuffer_Release(&a);
	PyBuffer_Release(&b);
	if (ret)
		return fail(ret, "two float32 arrays of the same size");
	return PyFloat_FromDouble(db);
}

static PyObject *device_count(PyObject *self, PyObject *args)
{
	return PyLong_FromLong(npu_device_count());
}

static PyMethodDef methods[] = {
	{ "load_model", load_model, METH_VARARGS, "an ONNX model" },
	{ "is_quantized", is_quantized, METH_VARARGS, "whether a model is quantized" },
	{ "compile", compile_model, METH_VARARGS, "import (calibrating) and compile" },
	{ "signature", signature, METH_VARARGS, "a program's inputs and outputs" },
	{ "save_program", save_program, METH_VARARGS, "write a program" },
	{ "load_program", load_program, METH_VARARGS, "read a program" },
	{ "executor", new_executor, METH_VARARGS, "an executor of a program" },
	{ "run", run, METH_VARARGS, "one batch through an executor" },
	{ "qparams", qparams, METH_VARARGS, "scale and zero point of a range" },
	{ "quantize", quantize, METH_VARARGS, "float32 to int8/uint8" },
	{ "dequantize", dequantize, METH_VARARGS, "int8/uint8 to float32" },
	{ "observer", observer_new, METH_VARARGS, "a calibration observer" },
	{ "observer_update", observer_update, METH_VARARGS, "observe values" },
	{ "observer_qparams", observer_qparams, METH_VARARGS, "range and parameters" },
	{ "sqnr", sqnr, METH_VARARGS, "SQNR in dB" },
	{ "device_count", device_count, METH_NOARGS, "NPU devices present" },
	{ NULL, NULL, 0, NULL }
};

static struct PyModuleDef module = { PyModuleDef_HEAD_INIT, "_qnpu", NULL, -1, methods };

PyMODINIT_FUNC PyInit__qnpu(void)
{
	PyObject *m = PyModule_Create(&module);

	if (!m)
		return NULL;
	Error = PyErr_NewException("qnpu.Error", PyExc_RuntimeError, NULL);
	Py_XINCREF(Error);
	if (PyModule_AddObject(m, "Error", Error) < 0) {
		Py_XDECREF(Error);
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
