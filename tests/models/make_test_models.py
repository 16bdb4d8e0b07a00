#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
"""Small ONNX models for libnpu's importer tests, written to OUTDIR:

  fp32_ops.onnx       an FP32 model with ops the device has (Conv, Mul,
                      Concat, GlobalAveragePool, Gemm) and ops only the CPU
                      fallback runs (Sigmoid, LeakyRelu, HardSwish), with
                      fp32_ops_input.npy and the numpy float answer
                      fp32_ops_output.npy (an independent float reference)

    /usr/bin/python3 tests/models/make_test_models.py OUTDIR

Needs Debian's python3-onnx and python3-numpy. Deterministic (seeded).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def conv(x, w, b, pad):
    """NCHW float convolution, stride 1, in float64."""
    n, c, h, wd = x.shape
    o, ci, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    y = np.zeros((n, o, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + oh, j:j + ow]
            y += np.einsum('nchw,oc->nohw', patch, w[:, :, i, j])
    return y + b[None, :, None, None]


def fp32_ops(out):
    rng = np.random.default_rng(7)
    w1 = (rng.standard_normal((8, 3, 3, 3)) * 0.3).astype(np.float32)
    b1 = (rng.standard_normal(8) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((8, 3, 1, 1)) * 0.5).astype(np.float32)
    b2 = (rng.standard_normal(8) * 0.1).astype(np.float32)
    w3 = (rng.standard_normal((8, 16, 3, 3)) * 0.15).astype(np.float32)
    b3 = (rng.standard_normal(8) * 0.1).astype(np.float32)
    wf = (rng.standard_normal((5, 8)) * 0.5).astype(np.float32)
    bf = (rng.standard_normal(5) * 0.1).astype(np.float32)
    init = [numpy_helper.from_array(a, n) for a, n in
            [(w1, 'w1'), (b1, 'b1'), (w2, 'w2'), (b2, 'b2'), (w3, 'w3'), (b3, 'b3'),
             (wf, 'wf'), (bf, 'bf'), (np.array([1, -1], dtype=np.int64), 'shape')]]
    nodes = [
        helper.make_node('Conv', ['x', 'w1', 'b1'], ['c1'], pads=[1, 1, 1, 1], name='conv1'),
        helper.make_node('Sigmoid', ['c1'], ['a'], name='sigmoid'),
        helper.make_node('Conv', ['x', 'w2', 'b2'], ['c2'], name='conv2'),
        helper.make_node('LeakyRelu', ['c2'], ['b'], alpha=0.1, name='leaky'),
        helper.make_node('Mul', ['a', 'b'], ['m'], name='mul'),
        helper.make_node('Concat', ['m', 'a'], ['cat'], axis=1, name='concat'),
        helper.make_node('Conv', ['cat', 'w3', 'b3'], ['c3'], pads=[1, 1, 1, 1], name='conv3'),
        helper.make_node('HardSwish', ['c3'], ['h'], name='hardswish'),
        helper.make_node('GlobalAveragePool', ['h'], ['g'], name='gap'),
        helper.make_node('Reshape', ['g', 'shape'], ['f'], name='flatten'),
        helper.make_node('Gemm', ['f', 'wf', 'bf'], ['y'], transB=1, name='fc'),
    ]
    graph = helper.make_graph(
        nodes, 'fp32_ops',
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 12, 12])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 5])], init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 14)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, 'fp32_ops.onnx'))

    x = rng.random((1, 3, 12, 12)).astype(np.float32)
    c1 = conv(x.astype(np.float64), w1, b1, 1)
    a = 1 / (1 + np.exp(-c1))
    c2 = conv(x.astype(np.float64), w2, b2, 0)
    b = np.where(c2 < 0, 0.1 * c2, c2)
    cat = np.concatenate([a * b, a], axis=1)
    c3 = conv(cat, w3, b3, 1)
    h = c3 * np.clip(c3 / 6 + 0.5, 0, 1)
    y = h.mean(axis=(2, 3)) @ wf.T.astype(np.float64) + bf
    np.save(os.path.join(out, 'fp32_ops_input.npy'), x)
    np.save(os.path.join(out, 'fp32_ops_output.npy'), y.astype(np.float32))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    fp32_ops(out)


if __name__ == '__main__':
    main()
