#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
"""Small ONNX models for libnpu's importer tests, written to OUTDIR:

  fp32_ops.onnx       an FP32 model with ops the device has (Conv, Mul,
                      Concat, GlobalAveragePool, Gemm) and ops only the CPU
                      fallback runs (Sigmoid, LeakyRelu, HardSwish), with
                      fp32_ops_input.npy and the numpy float answer
                      fp32_ops_output.npy (an independent float reference)

  attrs/*.onnx        one model per attribute class the importers must honour
                      (h_*: with NAME_input.npy and numpy's NAME_output.npy,
                      NCHW; h_conv_batch4 with N = 4), refuse by name (r_*) or apply in a QDQ model (q_*);
                      tests/host/test_onnx_attrs.c says what each must give

    /usr/bin/python3 tests/models/make_test_models.py OUTDIR

Needs Debian's python3-onnx and python3-numpy. Deterministic (seeded).
"""
import math
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


def save(out, name, nodes, inputs, outputs, init, opset=13, check=True):
    graph = helper.make_graph(nodes, name, inputs, outputs, init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)])
    model.ir_version = 7
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + '.onnx'))


def vinfo(name, shape, t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def conv_general(x, w, b, stride, pads):
    """NCHW convolution with strides and (top, left, bottom, right) pads, float64."""
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    o, ci, kh, kw = w.shape
    oh = (xp.shape[2] - kh) // stride + 1
    ow = (xp.shape[3] - kw) // stride + 1
    y = np.zeros((x.shape[0], o, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
            y += np.einsum('nchw,oc->nohw', patch, w[:, :, i, j])
    return y + b[None, :, None, None]


def honoured(out, rng):
    """FP32 models whose attributes the importer must honour, with numpy's answers."""
    def conv_case(name, h, k, stride, auto_pad, pads, batch=1):
        w = (rng.standard_normal((3, 2, k, k)) * 0.4).astype(np.float32)
        b = (rng.standard_normal(3) * 0.1).astype(np.float32)
        x = rng.random((batch, 2, h, h)).astype(np.float32) - 0.3
        y = conv_general(x.astype(np.float64), w, b, stride, pads)
        save(out, name, [helper.make_node('Conv', ['x', 'w', 'b'], ['y'], kernel_shape=[k, k],
                                          strides=[stride, stride], auto_pad=auto_pad)],
             [vinfo('x', list(x.shape))], [vinfo('y', list(y.shape))],
             [numpy_helper.from_array(w, 'w'), numpy_helper.from_array(b, 'b')])
        np.save(os.path.join(out, name + '_input.npy'), x)
        np.save(os.path.join(out, name + '_output.npy'), y.astype(np.float32))

    # SAME_UPPER, 8 by stride 2: out 4, total pad 1 (3x3), at the end.
    conv_case('h_conv_same_upper', 8, 3, 2, 'SAME_UPPER', [0, 0, 1, 1])
    # SAME_LOWER with an even kernel: total pad 3, 2 before and 1 after.
    conv_case('h_conv_same_lower', 7, 4, 1, 'SAME_LOWER', [2, 2, 1, 1])
    conv_case('h_conv_valid', 7, 3, 1, 'VALID', [0, 0, 0, 0])
    # Batch 4: the graph runs four images (calibrated one at a time).
    conv_case('h_conv_batch4', 6, 3, 1, 'SAME_UPPER', [1, 1, 1, 1], batch=4)

    w = (rng.standard_normal((3, 4)) * 0.5).astype(np.float32)
    b = (rng.standard_normal(3) * 0.5).astype(np.float32)
    x = rng.random((1, 4, 1, 1)).astype(np.float32)
    y = 0.5 * x.reshape(1, 4).astype(np.float64) @ w.T + 2.0 * b
    save(out, 'h_gemm_alpha_beta',
         [helper.make_node('Flatten', ['x'], ['f']),
          helper.make_node('Gemm', ['f', 'w', 'b'], ['y'], alpha=0.5, beta=2.0, transB=1)],
         [vinfo('x', [1, 4, 1, 1])], [vinfo('y', [1, 3])],
         [numpy_helper.from_array(w, 'w'), numpy_helper.from_array(b, 'b')])
    np.save(os.path.join(out, 'h_gemm_alpha_beta_input.npy'), x)
    np.save(os.path.join(out, 'h_gemm_alpha_beta_output.npy'), y.astype(np.float32))

    # Clip's bounds as attributes (opset 6), folded into the convolution.
    w = (rng.standard_normal((3, 2, 3, 3)) * 0.5).astype(np.float32)
    b = np.zeros(3, np.float32)
    x = rng.random((1, 2, 6, 6)).astype(np.float32) - 0.5
    y = np.clip(conv_general(x.astype(np.float64), w, b, 1, [1, 1, 1, 1]), -0.25, 0.5)
    save(out, 'h_clip_attrs',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c'], pads=[1, 1, 1, 1]),
          helper.make_node('Clip', ['c'], ['y'], min=-0.25, max=0.5)],
         [vinfo('x', [1, 2, 6, 6])], [vinfo('y', [1, 3, 6, 6])],
         [numpy_helper.from_array(w, 'w'), numpy_helper.from_array(b, 'b')], opset=6)
    np.save(os.path.join(out, 'h_clip_attrs_input.npy'), x)
    np.save(os.path.join(out, 'h_clip_attrs_output.npy'), y.astype(np.float32))

    # MaxPool SAME_UPPER after a convolution: 7 by stride 2 -> 4, padding at the end.
    w = (rng.standard_normal((3, 2, 1, 1)) * 0.5).astype(np.float32)
    b = np.zeros(3, np.float32)
    x = rng.random((1, 2, 7, 7)).astype(np.float32)
    c = conv_general(x.astype(np.float64), w, b, 1, [0, 0, 0, 0])
    cp = np.pad(c, ((0, 0), (0, 0), (0, 1), (0, 1)), constant_values=-np.inf)
    y = np.max([cp[:, :, i:i + 8:2, j:j + 8:2] for i in range(2) for j in range(2)], axis=0)
    save(out, 'h_maxpool_same_upper',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
          helper.make_node('MaxPool', ['c'], ['y'], kernel_shape=[2, 2], strides=[2, 2],
                           auto_pad='SAME_UPPER')],
         [vinfo('x', [1, 2, 7, 7])], [vinfo('y', [1, 3, 4, 4])],
         [numpy_helper.from_array(w, 'w'), numpy_helper.from_array(b, 'b')])
    np.save(os.path.join(out, 'h_maxpool_same_upper_input.npy'), x)
    np.save(os.path.join(out, 'h_maxpool_same_upper_output.npy'), y.astype(np.float32))

    # MaxPool ceil_mode: 8 by 3 with stride 2 gives 4 windows, the last one cut by the edge.
    x = rng.random((1, 2, 8, 8)).astype(np.float32)
    c = conv_general(x.astype(np.float64), w, b, 1, [0, 0, 0, 0])
    cp = np.pad(c, ((0, 0), (0, 0), (0, 1), (0, 1)), constant_values=-np.inf)
    y = np.max([cp[:, :, i:i + 8:2, j:j + 8:2] for i in range(3) for j in range(3)], axis=0)
    save(out, 'h_maxpool_ceil',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
          helper.make_node('MaxPool', ['c'], ['y'], kernel_shape=[3, 3], strides=[2, 2],
                           ceil_mode=1)],
         [vinfo('x', [1, 2, 8, 8])], [vinfo('y', [1, 3, 4, 4])],
         [numpy_helper.from_array(w, 'w'), numpy_helper.from_array(b, 'b')])
    np.save(os.path.join(out, 'h_maxpool_ceil_input.npy'), x)
    np.save(os.path.join(out, 'h_maxpool_ceil_output.npy'), y.astype(np.float32))

    # Squeeze-excitation: a [1,C,1,1] gate times the [1,C,H,W] map (the gate first),
    # then a [1,C,H,W] map plus a [1,1,H,W] one (broadcast along C).
    w4 = (rng.standard_normal((4, 2, 1, 1)) * 0.5).astype(np.float32)
    b4 = (rng.standard_normal(4) * 0.1).astype(np.float32)
    x = rng.random((1, 2, 5, 6)).astype(np.float32)
    c = conv_general(x.astype(np.float64), w4, b4, 1, [0, 0, 0, 0])
    gate = 1 / (1 + np.exp(-c.mean(axis=(2, 3), keepdims=True)))
    m = gate * c
    y = m + c[:, :1]
    save(out, 'h_broadcast_se',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
          helper.make_node('GlobalAveragePool', ['c'], ['p']),
          helper.make_node('Sigmoid', ['p'], ['g']),
          helper.make_node('Mul', ['g', 'c'], ['m']),
          helper.make_node('Conv', ['c', 'w1'], ['c1']),
          helper.make_node('Add', ['m', 'c1'], ['y'])],
         [vinfo('x', [1, 2, 5, 6])], [vinfo('y', [1, 4, 5, 6])],
         [numpy_helper.from_array(w4, 'w'), numpy_helper.from_array(b4, 'b'),
          numpy_helper.from_array(np.eye(1, 4, dtype=np.float32).reshape(1, 4, 1, 1), 'w1')])
    np.save(os.path.join(out, 'h_broadcast_se_input.npy'), x)
    np.save(os.path.join(out, 'h_broadcast_se_output.npy'), y.astype(np.float32))

    # Concat of five inputs along C (an inception block has four).
    x = rng.random((1, 2, 4, 4)).astype(np.float32)
    ws = [(rng.standard_normal((k + 1, 2, 1, 1)) * 0.5).astype(np.float32) for k in range(5)]
    parts = [conv_general(x.astype(np.float64), w, np.zeros(len(w)), 1, [0, 0, 0, 0])
             for w in ws]
    save(out, 'h_concat5',
         [helper.make_node('Conv', ['x', 'w%d' % k], ['c%d' % k]) for k in range(5)] +
         [helper.make_node('Concat', ['c%d' % k for k in range(5)], ['y'], axis=1)],
         [vinfo('x', [1, 2, 4, 4])], [vinfo('y', [1, 15, 4, 4])],
         [numpy_helper.from_array(w, 'w%d' % k) for k, w in enumerate(ws)])
    np.save(os.path.join(out, 'h_concat5_input.npy'), x)

    # x.view(x.size(0), -1) as older exporters write it: Shape, Gather, Unsqueeze,
    # Concat with -1, and the half of C through Div and Mul, folded to constants.
    x = rng.random((2, 2, 3, 3)).astype(np.float32)
    c = conv_general(x.astype(np.float64), w4, b4, 1, [0, 0, 0, 0]).mean(axis=(2, 3))
    wf = (rng.standard_normal((4, 4)) * 0.5).astype(np.float32)
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
    save(out, 'h_flatten_by_shape',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
          helper.make_node('GlobalAveragePool', ['c'], ['p']),
          helper.make_node('Shape', ['p'], ['s']),
          helper.make_node('Gather', ['s', 'zero'], ['n'], axis=0),
          helper.make_node('Gather', ['s', 'one'], ['ch']),
          helper.make_node('Div', ['ch', 'two'], ['half']),
          helper.make_node('Mul', ['half', 'two'], ['ch2']),
          helper.make_node('Unsqueeze', ['n', 'axes'], ['n1']),
          helper.make_node('Unsqueeze', ['ch2', 'axes'], ['c1']),
          helper.make_node('Concat', ['n1', 'c1'], ['shape'], axis=0),
          helper.make_node('Reshape', ['p', 'shape'], ['f']),
          helper.make_node('Gemm', ['f', 'wf'], ['y'], transB=1)],
         [vinfo('x', [2, 2, 3, 3])], [vinfo('y', [2, 4])],
         [numpy_helper.from_array(w4, 'w'), numpy_helper.from_array(b4, 'b'),
          numpy_helper.from_array(wf, 'wf'), i64('zero', 0), i64('one', 1), i64('two', 2),
          i64('axes', [0])])
    np.save(os.path.join(out, 'h_flatten_by_shape_input.npy'), x)
    np.save(os.path.join(out, 'h_flatten_by_shape_output.npy'), (c @ wf.T).astype(np.float32))

    # ReduceMean over H and W (negative axes, keepdims 0) into a Gemm, as ShuffleNetV2 ends.
    save(out, 'h_reducemean',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
          helper.make_node('ReduceMean', ['c'], ['f'], axes=[-1, 2], keepdims=0),
          helper.make_node('Gemm', ['f', 'wf'], ['y'], transB=1)],
         [vinfo('x', [2, 2, 3, 3])], [vinfo('y', [2, 4])],
         [numpy_helper.from_array(w4, 'w'), numpy_helper.from_array(b4, 'b'),
          numpy_helper.from_array(wf, 'wf')])
    np.save(os.path.join(out, 'h_reducemean_input.npy'), x)
    np.save(os.path.join(out, 'h_reducemean_output.npy'), (c @ wf.T).astype(np.float32))

    # ShuffleNetV2's unit: a channel shuffle (Reshape, Transpose, Reshape) of 6 channels
    # in 2 groups, then Slices of its halves (one with a step, one from the end).
    w6 = (rng.standard_normal((6, 2, 1, 1)) * 0.5).astype(np.float32)
    x = rng.random((1, 2, 3, 4)).astype(np.float32)
    c = conv_general(x.astype(np.float64), w6, np.zeros(6), 1, [0, 0, 0, 0])
    sh = c.reshape(1, 2, 3, 3, 4).transpose(0, 2, 1, 3, 4).reshape(1, 6, 3, 4)
    y = np.concatenate([sh[:, 4:1:-2], sh[:, -3:]], axis=1)
    save(out, 'h_channel_shuffle',
         [helper.make_node('Conv', ['x', 'w'], ['c']),
          helper.make_node('Reshape', ['c', 's5'], ['r5']),
          helper.make_node('Transpose', ['r5'], ['t5'], perm=[0, 2, 1, 3, 4]),
          helper.make_node('Reshape', ['t5', 's4'], ['sh']),
          helper.make_node('Slice', ['sh', 'st0', 'en0', 'ax1', 'stp0'], ['a']),
          helper.make_node('Slice', ['sh', 'st1', 'en1', 'ax1'], ['b']),
          helper.make_node('Concat', ['a', 'b'], ['y'], axis=1)],
         [vinfo('x', [1, 2, 3, 4])], [vinfo('y', [1, 5, 3, 4])],
         [numpy_helper.from_array(w6, 'w'), i64('s5', [1, 2, 3, 3, 4]),
          i64('s4', [1, -1, 3, 4]), i64('st0', [4]), i64('en0', [1]), i64('stp0', [-2]),
          i64('ax1', [1]), i64('st1', [-3]), i64('en1', [100])])
    np.save(os.path.join(out, 'h_channel_shuffle_input.npy'), x)
    np.save(os.path.join(out, 'h_channel_shuffle_output.npy'), y.astype(np.float32))

    # Split [1, 3] of the channels, a BatchNormalization on its own (DenseNet's
    # pre-activation) of the second part, a Dropout (inference: identity), Concat.
    x = rng.random((1, 2, 3, 4)).astype(np.float32)
    c = conv_general(x.astype(np.float64), w4, b4, 1, [0, 0, 0, 0])
    gam, bet = rng.random(3) + 0.5, rng.standard_normal(3) * 0.1
    mu, var = rng.standard_normal(3) * 0.1, rng.random(3) + 0.5
    bn = (c[:, 1:] - mu[:, None, None]) / np.sqrt(var[:, None, None] + 1e-3) * \
        gam[:, None, None] + bet[:, None, None]
    f32 = lambda name, v: numpy_helper.from_array(np.asarray(v, np.float32), name)
    save(out, 'h_split_batchnorm',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
          helper.make_node('Split', ['c', 'sizes'], ['s0', 's1'], axis=1),
          helper.make_node('BatchNormalization', ['s1', 'g', 'be', 'mu', 'var'], ['n'],
                           epsilon=1e-3),
          helper.make_node('Dropout', ['n', 'ratio'], ['d'], seed=7),
          helper.make_node('Concat', ['s0', 'd'], ['y'], axis=1)],
         [vinfo('x', [1, 2, 3, 4])], [vinfo('y', [1, 4, 3, 4])],
         [numpy_helper.from_array(w4, 'w'), numpy_helper.from_array(b4, 'b'),
          i64('sizes', [1, 3]), f32('g', gam), f32('be', bet), f32('mu', mu), f32('var', var),
          f32('ratio', 0.3)])
    np.save(os.path.join(out, 'h_split_batchnorm_input.npy'), x)
    np.save(os.path.join(out, 'h_split_batchnorm_output.npy'),
            np.concatenate([c[:, :1], bn], 1).astype(np.float32))

    # An FPN's top-down path: Resize nearest 2x (scales, as PyTorch exports it) and
    # 3x2 (sizes, half_pixel), each joined by Concat to a map of the larger size.
    x = rng.random((1, 2, 4, 6)).astype(np.float32)
    c = conv_general(x.astype(np.float64), w4, b4, 1, [0, 0, 0, 0])
    pooled = c[:, :, ::2, ::2]          # MaxPool 1x1 stride 2
    up = pooled.repeat(2, axis=2).repeat(2, axis=3)
    small = c[:, :, ::4, ::2]
    up3 = small.repeat(4, axis=2).repeat(2, axis=3)
    y = np.concatenate([up, c, up3], 1)
    save(out, 'h_resize_nearest',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
          helper.make_node('MaxPool', ['c'], ['p'], kernel_shape=[1, 1], strides=[2, 2]),
          helper.make_node('Resize', ['p', '', 'sc'], ['u'], mode='nearest',
                           coordinate_transformation_mode='asymmetric', nearest_mode='floor'),
          helper.make_node('MaxPool', ['c'], ['q'], kernel_shape=[1, 1], strides=[4, 2]),
          helper.make_node('Resize', ['q', '', '', 'sz'], ['u3'], mode='nearest'),
          helper.make_node('Concat', ['u', 'c', 'u3'], ['y'], axis=1)],
         [vinfo('x', [1, 2, 4, 6])], [vinfo('y', [1, 12, 4, 6])],
         [numpy_helper.from_array(w4, 'w'), numpy_helper.from_array(b4, 'b'),
          f32('sc', [1, 1, 2, 2]), i64('sz', [1, 4, 4, 6])])
    np.save(os.path.join(out, 'h_resize_nearest_input.npy'), x)
    np.save(os.path.join(out, 'h_resize_nearest_output.npy'), y.astype(np.float32))

    # Pad (constant 0, uneven) before a convolution without padding, as TensorFlow's
    # exporters write SAME padding.
    x = rng.random((1, 2, 4, 5)).astype(np.float32)
    c = conv_general(x.astype(np.float64), w4, b4, 1, [0, 0, 0, 0])
    p = np.pad(c, ((0, 0), (0, 0), (1, 2), (2, 1)))
    w3 = (rng.standard_normal((3, 4, 3, 3)) * 0.3).astype(np.float32)
    y = conv_general(p, w3, np.zeros(3), 1, [0, 0, 0, 0])
    save(out, 'h_pad',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
          helper.make_node('Pad', ['c', 'pads', 'zero'], ['p'], mode='constant'),
          helper.make_node('Conv', ['p', 'w3'], ['y'])],
         [vinfo('x', [1, 2, 4, 5])], [vinfo('y', [1, 3, 5, 6])],
         [numpy_helper.from_array(w4, 'w'), numpy_helper.from_array(b4, 'b'),
          numpy_helper.from_array(w3, 'w3'), i64('pads', [0, 0, 1, 2, 0, 0, 2, 1]),
          f32('zero', 0.0)])
    np.save(os.path.join(out, 'h_pad_input.npy'), x)
    np.save(os.path.join(out, 'h_pad_output.npy'), y.astype(np.float32))
    np.save(os.path.join(out, 'h_concat5_output.npy'), np.concatenate(parts, 1).astype(np.float32))

def np_layernorm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps) * g + b


def np_gelu(x, tanh=False):
    if tanh:
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / np.sqrt(2)))


def sequences(out, rng):
    """Sequence models (tensors [N, T, D] and [N, heads, T, d]) with numpy's answers."""
    f32 = lambda name, v: numpy_helper.from_array(np.asarray(v, np.float32), name)
    i64 = lambda name, v: numpy_helper.from_array(np.asarray(v, np.int64), name)
    x = rng.random((1, 4, 3, 4)).astype(np.float32)
    w = (rng.standard_normal((8, 4, 1, 1)) * 0.5).astype(np.float32)
    b = rng.standard_normal(8) * 0.1
    c = conv_general(x.astype(np.float64), w, b, 1, [0, 0, 0, 0])   # [1, 8, 3, 4]
    t = c.reshape(1, 8, 12).transpose(0, 2, 1)                      # [1, 12, 8] tokens
    wp = (rng.standard_normal((8, 5)) * 0.4).astype(np.float32)
    bp = (rng.standard_normal(5) * 0.1).astype(np.float32)

    # An image's features as a sequence (Reshape of NCHW, Transpose), a MatMul with
    # constant weights and its bias Add (the constant first, as PyTorch writes it).
    save(out, 'h_image_to_sequence',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
          helper.make_node('Reshape', ['c', 'shape'], ['r']),
          helper.make_node('Transpose', ['r'], ['t'], perm=[0, 2, 1]),
          helper.make_node('MatMul', ['t', 'wp'], ['m']),
          helper.make_node('Add', ['bp', 'm'], ['y'])],
         [vinfo('x', [1, 4, 3, 4])], [vinfo('y', [1, 12, 5])],
         [numpy_helper.from_array(w, 'w'), f32('b', b), i64('shape', [1, 8, -1]),
          numpy_helper.from_array(wp, 'wp'), f32('bp', bp)])
    np.save(os.path.join(out, 'h_image_to_sequence_input.npy'), x)
    np.save(os.path.join(out, 'h_image_to_sequence_output.npy'),
            np.ascontiguousarray(t @ wp + bp, np.float32))

    # Self-attention of 2 heads over the 12 tokens: LayerNormalization, q/k/v
    # projections split into heads, scores scaled by a Div, Softmax over the last
    # axis, heads joined, a residual Add, a GELU (as exporters spell it before
    # opset 20), the mean over the tokens and a Gemm.
    g1, b1 = rng.random(8) + 0.5, rng.standard_normal(8) * 0.1
    wq, wk, wv = [(rng.standard_normal((8, 8)) * 0.4).astype(np.float32) for _ in range(3)]
    wf = (rng.standard_normal((3, 8)) * 0.4).astype(np.float32)
    n1 = np_layernorm(t, g1, b1, 1e-5)
    q, k, v = [(n1 @ m).reshape(1, 12, 2, 4).transpose(0, 2, 1, 3) for m in (wq, wk, wv)]
    s = q @ k.transpose(0, 1, 3, 2) / 2.0
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    h = (a @ v).transpose(0, 2, 1, 3).reshape(1, 12, 8) + t
    y = np_gelu(h).mean(1) @ wf.T
    heads = []
    for nm in ('q', 'k', 'v'):
        perm = [0, 2, 3, 1] if nm == 'k' else [0, 2, 1, 3]
        heads += [helper.make_node('MatMul', ['n1', 'w' + nm], [nm + 'm']),
                  helper.make_node('Reshape', [nm + 'm', 'hshape'], [nm + 'r']),
                  helper.make_node('Transpose', [nm + 'r'], [nm], perm=perm)]
    save(out, 'h_attention',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
          helper.make_node('Reshape', ['c', 'shape'], ['r']),
          helper.make_node('Transpose', ['r'], ['t'], perm=[0, 2, 1]),
          helper.make_node('LayerNormalization', ['t', 'g1', 'b1'], ['n1'], axis=-1,
                           epsilon=1e-5)] + heads +
         [helper.make_node('MatMul', ['q', 'k'], ['s']),
          helper.make_node('Div', ['s', 'two'], ['ss']),
          helper.make_node('Softmax', ['ss'], ['a'], axis=-1),
          helper.make_node('MatMul', ['a', 'v'], ['av']),
          helper.make_node('Transpose', ['av'], ['at'], perm=[0, 2, 1, 3]),
          helper.make_node('Reshape', ['at', 'tshape'], ['ar']),
          helper.make_node('Add', ['ar', 't'], ['h']),
          helper.make_node('Div', ['h', 'sqrt2'], ['gd']),
          helper.make_node('Erf', ['gd'], ['ge']),
          helper.make_node('Add', ['ge', 'one'], ['ga']),
          helper.make_node('Mul', ['h', 'ga'], ['gm']),
          helper.make_node('Mul', ['gm', 'half'], ['gelu']),
          helper.make_node('ReduceMean', ['gelu'], ['p'], axes=[1], keepdims=0),
          helper.make_node('Gemm', ['p', 'wf'], ['y'], transB=1)],
         [vinfo('x', [1, 4, 3, 4])], [vinfo('y', [1, 3])],
         [numpy_helper.from_array(w, 'w'), f32('b', b), i64('shape', [1, 8, -1]),
          f32('g1', g1), f32('b1', b1), numpy_helper.from_array(wq, 'wq'),
          numpy_helper.from_array(wk, 'wk'), numpy_helper.from_array(wv, 'wv'),
          i64('hshape', [1, 12, 2, 4]), i64('tshape', [1, 12, 8]), f32('two', 2.0),
          f32('sqrt2', np.sqrt(2.0)), f32('one', 1.0), f32('half', 0.5),
          numpy_helper.from_array(wf, 'wf')], opset=17)
    np.save(os.path.join(out, 'h_attention_input.npy'), x)
    np.save(os.path.join(out, 'h_attention_output.npy'), y.astype(np.float32))

    # LayerNorm as opset 13 spells it (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt,
    # Div, Mul, Add), then Squeeze/Unsqueeze and a Concat on the last axis; the
    # output stays [N, T, D]. Then the Gelu op of opset 20, tanh form.
    g2, b2 = rng.random(8) + 0.5, rng.standard_normal(8) * 0.1
    n2 = np_layernorm(t, g2, b2, 1e-3)
    y = np.concatenate([n2, t], -1)
    save(out, 'h_layernorm_spelled',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
          helper.make_node('Reshape', ['c', 'shape'], ['r']),
          helper.make_node('Transpose', ['r'], ['t'], perm=[0, 2, 1]),
          helper.make_node('ReduceMean', ['t'], ['mu'], axes=[-1]),
          helper.make_node('Sub', ['t', 'mu'], ['d']),
          helper.make_node('Pow', ['d', 'two'], ['d2']),
          helper.make_node('ReduceMean', ['d2'], ['var'], axes=[-1]),
          helper.make_node('Add', ['var', 'eps'], ['ve']),
          helper.make_node('Sqrt', ['ve'], ['sd']),
          helper.make_node('Div', ['d', 'sd'], ['nd']),
          helper.make_node('Mul', ['nd', 'g2'], ['ng']),
          helper.make_node('Add', ['ng', 'b2'], ['n2']),
          helper.make_node('Unsqueeze', ['n2', 'ax1'], ['u']),
          helper.make_node('Squeeze', ['u', 'ax1'], ['sq']),
          helper.make_node('Concat', ['sq', 't'], ['y'], axis=-1)],
         [vinfo('x', [1, 4, 3, 4])], [vinfo('y', [1, 12, 16])],
         [numpy_helper.from_array(w, 'w'), f32('b', b), i64('shape', [1, 8, -1]),
          f32('two', 2.0), f32('eps', 1e-3), f32('g2', g2), f32('b2', b2), i64('ax1', [1])])
    np.save(os.path.join(out, 'h_layernorm_spelled_input.npy'), x)
    np.save(os.path.join(out, 'h_layernorm_spelled_output.npy'), np.ascontiguousarray(y, np.float32))
    save(out, 'h_gelu_tanh',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
          helper.make_node('Reshape', ['c', 'shape'], ['r']),
          helper.make_node('Transpose', ['r'], ['t'], perm=[0, 2, 1]),
          helper.make_node('Gelu', ['t'], ['y'], approximate='tanh')],
         [vinfo('x', [1, 4, 3, 4])], [vinfo('y', [1, 12, 8])],
         [numpy_helper.from_array(w, 'w'), f32('b', b), i64('shape', [1, 8, -1])],
         opset=20, check=False)   # python3-onnx 1.12 knows opsets up to 17
    np.save(os.path.join(out, 'h_gelu_tanh_input.npy'), x)
    np.save(os.path.join(out, 'h_gelu_tanh_output.npy'),
            np.ascontiguousarray(np_gelu(t, tanh=True), np.float32))

    # Concat of images along H, then W (a U-Net's or a tiling's joins), and of
    # sequences along the tokens.
    w2 = (rng.standard_normal((8, 4, 1, 1)) * 0.5).astype(np.float32)
    c2 = conv_general(x.astype(np.float64), w2, np.zeros(8), 1, [0, 0, 0, 0])
    ch = np.concatenate([c, c2], 2)
    save(out, 'h_concat_hw',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
          helper.make_node('Conv', ['x', 'w2'], ['c2']),
          helper.make_node('Concat', ['c', 'c2'], ['ch'], axis=2),
          helper.make_node('Concat', ['ch', 'ch'], ['y'], axis=-1)],
         [vinfo('x', [1, 4, 3, 4])], [vinfo('y', [1, 8, 6, 8])],
         [numpy_helper.from_array(w, 'w'), f32('b', b), numpy_helper.from_array(w2, 'w2')])
    np.save(os.path.join(out, 'h_concat_hw_input.npy'), x)
    np.save(os.path.join(out, 'h_concat_hw_output.npy'),
            np.ascontiguousarray(np.concatenate([ch, ch], 3), np.float32))
    t2 = c2.reshape(1, 8, 12).transpose(0, 2, 1)
    save(out, 'h_concat_tokens',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
          helper.make_node('Conv', ['x', 'w2'], ['c2']),
          helper.make_node('Reshape', ['c', 'shape'], ['r']),
          helper.make_node('Reshape', ['c2', 'shape'], ['r2']),
          helper.make_node('Transpose', ['r'], ['t'], perm=[0, 2, 1]),
          helper.make_node('Transpose', ['r2'], ['t2'], perm=[0, 2, 1]),
          helper.make_node('Concat', ['t2', 't'], ['y'], axis=1)],
         [vinfo('x', [1, 4, 3, 4])], [vinfo('y', [1, 24, 8])],
         [numpy_helper.from_array(w, 'w'), f32('b', b), numpy_helper.from_array(w2, 'w2'),
          i64('shape', [1, 8, -1])])
    # Slices of an image along H (from the end), W (a step) and C at once, and of a
    # sequence along its tokens (a negative step).
    hw = c[:, 1:7:3, -3:, ::2]
    save(out, 'h_slice_hw',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
          helper.make_node('Slice', ['c', 'st', 'en', 'ax', 'sp'], ['y'])],
         [vinfo('x', [1, 4, 3, 4])], [vinfo('y', list(hw.shape))],
         [numpy_helper.from_array(w, 'w'), f32('b', b), i64('st', [-3, 0, 1]),
          i64('en', [100, 4, 7]), i64('ax', [2, -1, 1]), i64('sp', [1, 2, 3])])
    np.save(os.path.join(out, 'h_slice_hw_input.npy'), x)
    np.save(os.path.join(out, 'h_slice_hw_output.npy'), np.ascontiguousarray(hw, np.float32))
    save(out, 'h_slice_tokens',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
          helper.make_node('Reshape', ['c', 'shape'], ['r']),
          helper.make_node('Transpose', ['r'], ['t'], perm=[0, 2, 1]),
          helper.make_node('Slice', ['t', 'st', 'en', 'ax', 'sp'], ['y'])],
         [vinfo('x', [1, 4, 3, 4])], [vinfo('y', [1, 5, 8])],
         [numpy_helper.from_array(w, 'w'), f32('b', b), i64('shape', [1, 8, -1]),
          i64('st', [10]), i64('en', [0]), i64('ax', [1]), i64('sp', [-2])])
    np.save(os.path.join(out, 'h_slice_tokens_input.npy'), x)
    np.save(os.path.join(out, 'h_slice_tokens_output.npy'),
            np.ascontiguousarray(t[:, 10:0:-2], np.float32))
    np.save(os.path.join(out, 'h_concat_tokens_input.npy'), x)
    np.save(os.path.join(out, 'h_concat_tokens_output.npy'),
            np.ascontiguousarray(np.concatenate([t2, t], 1), np.float32))


def refused(out, rng):
    """Models whose attributes the importer cannot honour: each must be refused by name."""
    w = numpy_helper.from_array((rng.standard_normal((3, 2, 1, 1))).astype(np.float32), 'w')
    wf = numpy_helper.from_array((rng.standard_normal((3, 3))).astype(np.float32), 'wf')
    conv = helper.make_node('Conv', ['x', 'w'], ['c'])
    x = [vinfo('x', [1, 2, 4, 4])]

    def case(name, tail, shape, init=(), opset=13, check=True):
        save(out, name, [conv] + tail, x, [vinfo('y', shape)], [w] + list(init), opset, check)

    case('r_maxpool_dilations', [helper.make_node('MaxPool', ['c'], ['y'], kernel_shape=[2, 2],
                                                  dilations=[2, 2])], [1, 3, 2, 2])
    case('r_unknown_attr', [helper.make_node('Relu', ['c'], ['y'], bogus=1)], [1, 3, 4, 4],
         check=False)
    case('r_softmax_axis', [helper.make_node('Softmax', ['c'], ['y'], axis=-1)], [1, 3, 4, 4])
    case('r_flatten_axis', [helper.make_node('Flatten', ['c'], ['y'], axis=2)], [3, 16])
    case('r_reshape_batch', [helper.make_node('Reshape', ['c', 'shape'], ['y'])], [3, 16],
         [numpy_helper.from_array(np.array([3, -1], np.int64), 'shape')])
    case('r_transpose_batch', [helper.make_node('Transpose', ['c'], ['y'], perm=[1, 0, 2, 3])],
         [3, 1, 4, 4])
    case('r_layernorm_axis', [helper.make_node('LayerNormalization', ['c', 'g'], ['y'],
                                               axis=1)], [1, 3, 4, 4],
         [numpy_helper.from_array(np.ones((3, 4, 4), np.float32), 'g')], opset=17)
    case('r_matmul_image', [helper.make_node('MatMul', ['c', 'wf4'], ['y'])], [1, 3, 4, 3],
         [numpy_helper.from_array(np.ones((4, 3), np.float32), 'wf4')])
    case('r_add_constant', [helper.make_node('Add', ['c', 'k'], ['y'])], [1, 3, 4, 4],
         [numpy_helper.from_array(np.ones((1, 3, 4, 4), np.float32), 'k')])
    case('r_concat_batch', [helper.make_node('Concat', ['c', 'c'], ['y'], axis=0)],
         [2, 3, 4, 4])
    case('r_mul_negative', [helper.make_node('Mul', ['c', 'k'], ['y'])], [1, 3, 4, 4],
         [numpy_helper.from_array(np.array(-2.0, np.float32), 'k')])
    case('r_reducemean_channels', [helper.make_node('ReduceMean', ['c'], ['y'], axes=[1])],
         [1, 1, 4, 4])
    case('r_dropout_training', [helper.make_node('Dropout', ['c', 'r', 't'], ['y'])],
         [1, 3, 4, 4], [numpy_helper.from_array(np.array(0.5, np.float32), 'r'),
                        numpy_helper.from_array(np.array(True), 't')])
    case('r_pad_reflect', [helper.make_node('Pad', ['c', 'pads'], ['y'], mode='reflect')],
         [1, 3, 6, 6], [numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64),
                                                'pads')])
    case('r_resize_linear', [helper.make_node('Resize', ['c', '', 'sc'], ['y'], mode='linear')],
         [1, 3, 8, 8], [numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), 'sc')])
    # ONNX 13 made Squeeze's axes an input: an attribute there is invalid, so refused.
    case('r_squeeze_axes_attr', [helper.make_node('Unsqueeze', ['c'], ['u'], axes=[2]),
                                 helper.make_node('Squeeze', ['u'], ['y'], axes=[2])],
         [1, 3, 4, 4], check=False)
    case('r_slice_batch', [helper.make_node('Slice', ['c', 'st', 'en', 'ax'], ['y'])],
         [1, 3, 4, 4], [numpy_helper.from_array(np.array(v, np.int64), k)
                        for k, v in (('st', [1]), ('en', [3]), ('ax', [0]))])
    gemm = helper.make_node('Gemm', ['f', 'wf'], ['y'], transB=1)
    gemm.attribute.append(helper.make_attribute('alpha', 2))   # an int: ONNX says float
    case('r_gemm_alpha_int', [helper.make_node('GlobalAveragePool', ['c'], ['g']),
                              helper.make_node('Flatten', ['g'], ['f']), gemm], [1, 3],
         [wf], check=False)


def qdq(out, rng):
    """QDQ models: a per-channel weight axis and Gemm scaling refused; activations applied."""
    def q(name, x, s, z, axis=None):
        kw = {} if axis is None else {'axis': axis}
        return [helper.make_node('QuantizeLinear', [x, s, z], [name + '_q'], **kw),
                helper.make_node('DequantizeLinear', [name + '_q', s, z], [name], **kw)]

    def scalar(n, v, t=np.float32):
        return numpy_helper.from_array(np.array(v, t), n)

    # Weights quantized per channel along axis 1 of OIHW (the input channels).
    wq = rng.integers(-100, 100, (3, 2, 1, 1)).astype(np.int8)
    init = [scalar('s', 0.05), scalar('z', 0, np.int8), numpy_helper.from_array(wq, 'wq'),
            numpy_helper.from_array(np.array([0.01, 0.02], np.float32), 'ws'),
            numpy_helper.from_array(np.zeros(2, np.int8), 'wz')]
    nodes = q('xd', 'x', 's', 'z') + [
        helper.make_node('DequantizeLinear', ['wq', 'ws', 'wz'], ['w'], axis=1),
        helper.make_node('Conv', ['xd', 'w'], ['c'])] + q('y', 'c', 's', 'z')
    save(out, 'r_qdq_weight_axis', nodes, [vinfo('x', [1, 2, 4, 4])], [vinfo('y', [1, 3, 4, 4])],
         init)

    wq = rng.integers(-100, 100, (3, 4)).astype(np.int8)
    init = [scalar('s', 0.05), scalar('z', 0, np.int8), numpy_helper.from_array(wq, 'wq'),
            scalar('ws', 0.01), scalar('wz', 0, np.int8)]
    nodes = q('xd', 'x', 's', 'z') + [
        helper.make_node('DequantizeLinear', ['wq', 'ws', 'wz'], ['w']),
        helper.make_node('Gemm', ['xd', 'w'], ['c'], alpha=2.0, transB=1)] + q('y', 'c', 's', 'z')
    save(out, 'r_qdq_gemm_alpha', nodes, [vinfo('x', [1, 4])], [vinfo('y', [1, 3])], init)

    # MatMul of two activations, then Relu: the Relu must not be dropped.
    init = [scalar('s', 0.05), scalar('z', 0, np.int8)]
    nodes = q('ad', 'a', 's', 'z') + q('bd', 'b', 's', 'z') + [
        helper.make_node('MatMul', ['ad', 'bd'], ['m']),
        helper.make_node('Relu', ['m'], ['r'])] + q('y', 'r', 's', 'z')
    save(out, 'q_matmul_relu', nodes, [vinfo('a', [4, 8]), vinfo('b', [8, 5])],
         [vinfo('y', [4, 5])], init)

    # Conv + Clip(0, 6) with y_scale S where 6.0f / S is exactly 100.5: ONNX quantizes
    # the bound half to even, 100 (ReLU6's TFLite formula would give 101).
    s_out = np.float32(0.05970149)
    assert np.float32(6) / s_out == np.float32(100.5)
    init = [scalar('s', 0.05), scalar('z', 0, np.int8), scalar('so', s_out),
            numpy_helper.from_array(np.full((2, 1, 1, 1), 100, np.int8), 'wq'),
            scalar('ws', 0.01), scalar('wz', 0, np.int8),
            scalar('lo', 0.0), scalar('hi', 6.0)]
    nodes = q('xd', 'x', 's', 'z') + [
        helper.make_node('DequantizeLinear', ['wq', 'ws', 'wz'], ['w']),
        helper.make_node('Conv', ['xd', 'w'], ['c']),
        helper.make_node('Clip', ['c', 'lo', 'hi'], ['r'])] + q('y', 'r', 'so', 'z')
    save(out, 'q_clip_tie', nodes, [vinfo('x', [1, 1, 2, 2])], [vinfo('y', [1, 2, 2, 2])], init)


def attr_models(out):
    out = os.path.join(out, 'attrs')
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(11)
    honoured(out, rng)
    sequences(out, rng)
    refused(out, rng)
    qdq(out, rng)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    fp32_ops(out)
    attr_models(out)


if __name__ == '__main__':
    main()
