# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
"""qnpu: libnpu from Python, numpy arrays in and out.

    import numpy as np, qnpu
    model = qnpu.Model('resnet18.onnx')
    prog = model.compile(calib)                 # calib: float32 [N, C, H, W]
    prog.save('resnet18.qnpu')
    prog = qnpu.Program.load('resnet18.qnpu')
    y, = prog.run([x], executor='emu')          # x: any number of the model's batches

Executors: 'npu' (the device, through the driver), 'emu' (the emulator core
in process; NPU_EMU_PLUGIN names libnpu-emu.so.0 when it is not installed),
'ref' (the CPU reference); all three give the same bytes. Quantization
helpers: qparams(), quantize(), dequantize(), Observer, sqnr(). Errors raise
qnpu.Error with libnpu's message.
"""
import numpy as np

from . import _qnpu
from ._qnpu import Error

__all__ = ['Error', 'Model', 'Program', 'Observer', 'qparams', 'quantize', 'dequantize',
           'sqnr', 'device_count']

METHODS = {'minmax': 0, 'moving_avg': 1, 'percentile': 2, 'entropy': 3, 'mse': 4}
GRANULARITY = {'per-channel': 0, 'per-tensor': 1}
ROUNDING = {'double': 0, 'single': 1}
WEIGHT_BITS = {8: 8, 7: 7}
EXECUTORS = {'npu': 0, 'emu': 1, 'ref': 2}
DTYPES = {'int8': 0, 'uint8': 1}
# enum npu_onnx_type: the numpy type of each (libnpu/include/npu/onnx.h)
ONNX_TYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 6: np.int32, 7: np.int64, 9: np.bool_}


def _pick(table, key, what):
    if key not in table:
        raise Error('%s %r: one of %s' % (what, key, ', '.join(str(k) for k in table)))
    return table[key]


class Model:
    """An ONNX model (FP32, or quantized: QOperator, QDQ)."""

    def __init__(self, path):
        self._m = _qnpu.load_model(str(path))
        self.path = str(path)

    @property
    def quantized(self):
        return _qnpu.is_quantized(self._m)

    def compile(self, calib=None, method='minmax', granularity='per-channel', count=None,
                rounding='double', weight_bits=8, export_onnx=None):
        """Quantize (FP32: calibrated on calib, float32 [N, C, H, W]) and compile.

        rounding: 'double' (TFLite's) or 'single' (ONNX Runtime's); weight_bits:
        8 or 7 (ONNX Runtime's reduce_range); export_onnx: a path to write the
        quantization to as a QDQ ONNX model that ONNX Runtime runs."""
        if self.quantized:
            if (calib is not None or method != 'minmax' or granularity != 'per-channel' or
                    rounding != 'double' or weight_bits != 8 or export_onnx is not None):
                raise Error('%s is quantized already: calib, method, granularity, rounding, '
                            'weight_bits and export_onnx do not apply' % self.path)
            return Program(_qnpu.compile(self._m, None, (0, 0, 0, 0), 0, 0, 0, 0, None))
        if calib is None:
            raise Error('%s: an FP32 model needs calibration data' % self.path)
        calib = np.ascontiguousarray(calib, np.float32)
        if calib.ndim != 4:
            raise Error('calibration data is [N, C, H, W], not %s' % (calib.shape,))
        if count is not None:
            calib = calib[:count]
        return Program(_qnpu.compile(self._m, calib, calib.shape,
                                     _pick(METHODS, method, 'method'),
                                     _pick(GRANULARITY, granularity, 'granularity'),
                                     _pick(ROUNDING, rounding, 'rounding'),
                                     _pick(WEIGHT_BITS, weight_bits, 'weight_bits'),
                                     None if export_onnx is None else str(export_onnx)))


class Tensor:
    """One input or output of a program, as the model sees it."""

    def __init__(self, name, onnx_type, shape, nchw, scale, zero_point):
        self.name, self.shape, self.nchw = name, tuple(shape), bool(nchw)
        self.dtype = np.dtype(ONNX_TYPES.get(onnx_type, np.uint8))
        self.scale, self.zero_point = scale, zero_point

    def __repr__(self):
        return 'Tensor(%r, %s, %s)' % (self.name, self.shape, self.dtype)


class Program:
    """A compiled program; it keeps its model's signature through save and load."""

    def __init__(self, handle):
        self._p = handle
        ins, outs = _qnpu.signature(handle)
        self.inputs = [Tensor(*t) for t in ins]
        self.outputs = [Tensor(*t) for t in outs]
        self._executors = {}

    @classmethod
    def load(cls, path):
        return cls(_qnpu.load_program(str(path)))

    def save(self, path):
        _qnpu.save_program(self._p, str(path))

    def _executor(self, name):
        if name not in self._executors:
            self._executors[name] = _qnpu.executor(self._p, _pick(EXECUTORS, name, 'executor'))
        return self._executors[name]

    def run(self, inputs, executor='emu'):
        """Arrays in the model's layout, any number of its batches each; the outputs."""
        if len(inputs) != len(self.inputs):
            raise Error('the program takes %d inputs, not %d' % (len(self.inputs), len(inputs)))
        xs = [np.ascontiguousarray(x, t.dtype) for x, t in zip(inputs, self.inputs)]
        chunks = None
        for x, t in zip(xs, self.inputs):
            if x.shape[1:] != t.shape[1:] or x.shape[0] % t.shape[0]:
                raise Error('input %r: %s is not whole batches of %s' % (t.name, x.shape, t.shape))
            n = x.shape[0] // t.shape[0]
            if chunks is not None and n != chunks:
                raise Error('inputs hold different numbers of batches')
            chunks = n
        e = self._executor(executor)
        outs = [[] for _ in self.outputs]
        for c in range(chunks):
            parts = [x[c * t.shape[0]:(c + 1) * t.shape[0]] for x, t in zip(xs, self.inputs)]
            for k, (b, t) in enumerate(zip(_qnpu.run(e, self._p, parts), self.outputs)):
                outs[k].append(np.frombuffer(b, t.dtype).reshape(t.shape))
        return [np.concatenate(o, 0) for o in outs]


class Observer:
    """A calibration observer: 'minmax', 'moving_avg', 'percentile', 'entropy' or 'mse'."""

    def __init__(self, method='minmax'):
        self._o = _qnpu.observer(_pick(METHODS, method, 'method'))

    def update(self, x):
        _qnpu.observer_update(self._o, np.ascontiguousarray(x, np.float32))

    def range(self):
        return _qnpu.observer_qparams(self._o, 0, False)[:2]

    def qparams(self, dtype='int8', symmetric=False):
        return _qnpu.observer_qparams(self._o, _pick(DTYPES, dtype, 'dtype'), symmetric)[2:]


def qparams(lo, hi, dtype='int8', symmetric=False):
    """(scale, zero_point) that cover [lo, hi] (docs/arithmetic.md 1.3)."""
    return _qnpu.qparams(lo, hi, _pick(DTYPES, dtype, 'dtype'), symmetric)


def quantize(x, scale, zero_point, dtype='int8'):
    x = np.ascontiguousarray(x, np.float32)
    q = _qnpu.quantize(x, scale, zero_point, _pick(DTYPES, dtype, 'dtype'))
    return np.frombuffer(q, np.dtype(dtype)).reshape(x.shape)


def dequantize(q, scale, zero_point, dtype='int8'):
    q = np.ascontiguousarray(q, np.dtype(dtype))
    return np.frombuffer(_qnpu.dequantize(q, scale, zero_point, _pick(DTYPES, dtype, 'dtype')),
                         np.float32).reshape(q.shape)


def sqnr(ref, got):
    """Signal to quantization noise of got against ref, in dB."""
    return _qnpu.sqnr(np.ascontiguousarray(ref, np.float32), np.ascontiguousarray(got, np.float32))


def device_count():
    return _qnpu.device_count()
