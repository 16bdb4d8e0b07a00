#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
"""PyTorch post-training static quantization of the qnpu Fashion-MNIST demo model.

Usage:

    /usr/bin/python3 bench/peers/torch_ptq.py --json FILE [--calib N] [--images N]

The peer for libnpu's own post-training quantization: the SAME FP32 model the
demo runs (models/fashion_mnist/fashion_mnist_cnn.onnx) is rebuilt as a torch
module (architecture of models/fashion_mnist/train.py, batch norms already
folded into the convolutions by the ONNX export, so the module has none),
its conv / fc weights and biases are loaded from the ONNX initializers
(onnx.numpy_helper, mapped in node order and checked by shape), and the
FP32 module is verified to reproduce the recorded FP32 top-1 (model.json)
on the 10,000 test images; the script stops if it does not.

Then eager-mode post-training static quantization with the `onednn` engine:
  - QuantStub / DeQuantStub around the network, FloatFunctional.add_relu for
    the residual add + ReLU;
  - conv+ReLU fused for conv1, dw, pw, conv3 (torch.ao.quantization.fuse_modules);
    the ReLU6 after the depthwise conv cannot be fused in 1.13 eager mode, so
    dw is fused with the ReLU the ONNX graph has (Conv -> Relu -> Clip(0, 6))
    and the clip is a separate nn.ReLU6, which has a quantized kernel
    (quantized.relu6: it clamps in the input's quantization, no requantize);
  - qconfig, explicit (not get_default_qconfig('onednn'), whose activation
    observer is a HistogramObserver): activations MinMaxObserver, quint8,
    per-tensor affine, reduce_range=False (as PyTorch's onednn qconfig);
    weights PerChannelMinMaxObserver, qint8, per-channel symmetric
    (the weight observer of get_default_qconfig('onednn'));
  - calibration on the first N (default 200, libnpu's default) training
    images, pixels / 255 as float32; convert; top-1 on the 10,000 test images.

Throughput: batch 1, torch.set_num_threads(1), FP32 and INT8: after a short
warm-up, 3 passes over the first --images (1000) test images, the median
pass's images/s is reported (with the CPU share other processes used
meanwhile, from /proc/stat; a warning above 10 %).

FP32 batch-1 throughput is plain eager PyTorch: for batch 1 its 1.13 conv
heuristic picks aten's im2col path (_slow_conv2d_forward) over oneDNN for
all but the depthwise conv, and Debian's torch calls whatever libblas.so.3
the system provides (netlib's reference BLAS unless OpenBLAS/BLIS is
installed), so FP32 is slow and the INT8/FP32 ratio overstates what INT8 buys.

For reference only (printed, not in the JSON), the same calibration is also
converted under onednn with 7-bit activations (quant_max 127, PyTorch's
reduce_range): on CPUs without VNNI, oneDNN's u8 x s8 kernels (vpmaddubsw)
can saturate 16-bit pair sums when activations use the full 8-bit range, and
7-bit activations make its integer arithmetic exact. The qnnpack engine is
not used: in 1.13 its quantized relu6 ignores channels_last strides and
returns its output in the wrong element order.

FILE receives a JSON list of {"name", "value", "unit", "peer"} objects:
fashion_mnist_fp32_top1, fashion_mnist_int8_top1,
fashion_mnist_fp32_images_per_s, fashion_mnist_int8_images_per_s.
Data: /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist).
Always run with Debian's /usr/bin/python3 (python3-torch, python3-onnx).
"""
import argparse
import copy
import json
import os
import statistics
import sys
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn
from torch.ao import quantization as tq

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL_DIR = os.path.join(ROOT, 'models', 'fashion_mnist')
sys.path.insert(0, MODEL_DIR)
from train import load  # noqa: E402  (the data as the model was trained on it)
DATA = '/usr/share/datasets/fashion-mnist'
TORCH_SERIES = '.'.join(torch.__version__.split('.')[:2]) + '.x'


class Net(nn.Module):
    """train.py's Net with the batch norms folded away, ready for eager PTQ."""

    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.dw = nn.Conv2d(32, 32, 3, padding=1, groups=32)
        self.dw_relu = nn.ReLU()
        self.dw_relu6 = nn.ReLU6()
        self.pw = nn.Conv2d(32, 64, 1)
        self.pw_relu = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.res = nn.Conv2d(64, 64, 3, padding=1)
        self.add = nn.quantized.FloatFunctional()
        self.pool2 = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(64, 128, 3, padding=1)
        self.relu3 = nn.ReLU()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, 10)
        self.dequant = tq.DeQuantStub()

    # The ONNX graph, in order: Conv Relu Conv Relu Clip Conv Relu MaxPool
    # Conv Add Relu MaxPool Conv Relu GlobalAveragePool Flatten Gemm.
    LAYERS = ['conv1', 'dw', 'pw', 'res', 'conv3', 'fc']
    FUSE = [['conv1', 'relu1'], ['dw', 'dw_relu'], ['pw', 'pw_relu'], ['conv3', 'relu3']]

    def forward(self, x):
        x = self.quant(x)
        x = self.relu1(self.conv1(x))
        x = self.dw_relu6(self.dw_relu(self.dw(x)))
        x = self.pool1(self.pw_relu(self.pw(x)))
        x = self.add.add_relu(x, self.res(x))        # relu(x + res(x))
        x = self.pool2(x)
        x = self.relu3(self.conv3(x))
        x = torch.flatten(self.gap(x), 1)
        return self.dequant(self.fc(x))


def load_onnx_weights(net, path):
    """Copy Conv / Gemm weights and biases from the ONNX initializers, in node order."""
    m = onnx.load(path)
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    nodes = [n for n in m.graph.node if n.op_type in ('Conv', 'Gemm')]
    if len(nodes) != len(Net.LAYERS):
        sys.exit(f'{path}: {len(nodes)} Conv/Gemm nodes, expected {len(Net.LAYERS)}')
    for node, name in zip(nodes, Net.LAYERS):
        layer = getattr(net, name)
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == 'Conv':
            assert attrs.get('group', 1) == layer.groups, (name, attrs)
            assert list(attrs.get('pads', [0] * 4)) == [layer.padding[0]] * 4, (name, attrs)
        else:
            assert attrs.get('transB', 0) == 1, (name, attrs)
        w, b = inits[node.input[1]], inits[node.input[2]]
        if tuple(w.shape) != tuple(layer.weight.shape) or \
                tuple(b.shape) != tuple(layer.bias.shape):
            sys.exit(f'{name}: ONNX {w.shape}/{b.shape} != module '
                     f'{tuple(layer.weight.shape)}/{tuple(layer.bias.shape)}')
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(w.copy()))
            layer.bias.copy_(torch.from_numpy(b.copy()))
    return net


def top1(model, x, y, batch=1000):
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def host_busy():
    """(busy CPU seconds of the whole host, this process's CPU seconds), from /proc/stat."""
    try:
        with open('/proc/stat') as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return float('nan'), 0.0
    t = os.times()
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf('SC_CLK_TCK'), t.user + t.system


def images_per_s(model, x, n, passes=3):
    """Batch-1 throughput: median over `passes` passes of the first n images.

    Also returns the share (%) of the host's CPUs other processes used meanwhile."""
    rates = []
    with torch.no_grad():
        for i in range(20):
            model(x[i:i + 1])
        b0, s0 = host_busy()
        t_start = time.perf_counter()
        for _ in range(passes):
            t0 = time.perf_counter()
            for i in range(n):
                model(x[i:i + 1])
            rates.append(n / (time.perf_counter() - t0))
        wall = time.perf_counter() - t_start
        b1, s1 = host_busy()
    other = max(0.0, 100.0 * ((b1 - b0) - (s1 - s0)) / (wall * (os.cpu_count() or 1)))
    return statistics.median(rates), other


def qconfig(reduce_range=False):
    return tq.QConfig(
        activation=tq.MinMaxObserver.with_args(dtype=torch.quint8,
                                               qscheme=torch.per_tensor_affine,
                                               quant_min=0,
                                               quant_max=127 if reduce_range else 255),
        weight=tq.PerChannelMinMaxObserver.with_args(dtype=torch.qint8,
                                                     qscheme=torch.per_channel_symmetric))


def quantize(fp32, xcal, engine, reduce_range=False):
    """Eager PTQ: fuse, prepare, calibrate on xcal, convert (packs for `engine`)."""
    torch.backends.quantized.engine = engine
    m = copy.deepcopy(fp32).eval()
    m = tq.fuse_modules(m, Net.FUSE)
    m.qconfig = qconfig(reduce_range)
    tq.prepare(m, inplace=True)
    with torch.no_grad():
        for i in range(0, len(xcal), 100):
            m(xcal[i:i + 100])
    tq.convert(m, inplace=True)
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--json', required=True, metavar='FILE', help='write results here')
    ap.add_argument('--calib', type=int, default=200, metavar='N',
                    help='calibrate on the first N training images (default 200)')
    ap.add_argument('--images', type=int, default=1000, metavar='N',
                    help='images for the batch-1 throughput runs (default 1000)')
    ap.add_argument('--model', default=os.path.join(MODEL_DIR, 'fashion_mnist_cnn.onnx'))
    args = ap.parse_args()

    t_all = time.perf_counter()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.backends.quantized.engine = 'onednn'
    with open(os.path.join(os.path.dirname(args.model), 'model.json')) as f:
        expect = json.load(f)['fp32_top1']

    xtr, _ = load('train')
    xte, yte = load('test')
    xcal = xtr[:args.calib]

    fp32 = load_onnx_weights(Net(), args.model).eval()
    fp32_top1 = top1(fp32, xte, yte)
    print(f'FP32 (torch module from {os.path.relpath(args.model, ROOT)}): '
          f'top-1 {fp32_top1:.4f} on {len(xte)} test images (model.json: {expect:.4f})')
    if round(fp32_top1, 4) != expect:
        sys.exit('FP32 module does not reproduce the ONNX model\'s recorded top-1')

    int8 = quantize(fp32, xcal, 'onednn')
    int8_top1 = top1(int8, xte, yte)
    print(f'INT8 onednn, per-channel symmetric weights, min-max activations '
          f'(reduce_range=False), calibrated on {len(xcal)} training images: '
          f'top-1 {int8_top1:.4f}')

    # Reference variant, printed only.
    ref_rr = quantize(fp32, xcal, 'onednn', reduce_range=True)
    print(f'  reference (not in JSON): onednn with 7-bit activations (reduce_range, '
          f'exact int arithmetic without VNNI): top-1 {top1(ref_rr, xte, yte):.4f}')
    del ref_rr

    torch.backends.quantized.engine = 'onednn'
    torch.set_num_threads(1)
    fp32_ips, fp32_other = images_per_s(fp32, xte, args.images)
    int8_ips, int8_other = images_per_s(int8, xte, args.images)
    print(f'batch 1, 1 thread, median of 3 passes over {args.images} images: '
          f'FP32 {fp32_ips:.1f} images/s '
          f'(eager, im2col + system BLAS), INT8 onednn {int8_ips:.1f} images/s '
          f'(other processes used {fp32_other:.0f}% / {int8_other:.0f}% of the CPUs)')
    if max(fp32_other, int8_other) > 10:
        print('WARNING: the host was busy during the throughput runs; they are not clean')

    peer_fp32 = f'pytorch {TORCH_SERIES}'
    peer_int8 = f'pytorch-onednn {TORCH_SERIES} ptq per-channel minmax'
    results = [
        {'name': 'fashion_mnist_fp32_top1', 'value': round(fp32_top1, 4),
         'unit': 'top1', 'peer': peer_fp32},
        {'name': 'fashion_mnist_int8_top1', 'value': round(int8_top1, 4),
         'unit': 'top1', 'peer': peer_int8},
        {'name': 'fashion_mnist_fp32_images_per_s', 'value': round(fp32_ips, 1),
         'unit': 'images/s', 'peer': peer_fp32, 'threads': 1},
        {'name': 'fashion_mnist_int8_images_per_s', 'value': round(int8_ips, 1),
         'unit': 'images/s', 'peer': f'pytorch-onednn {TORCH_SERIES}', 'threads': 1},
    ]
    with open(args.json, 'w') as f:
        json.dump(results, f, indent=2)
        f.write('\n')
    print(f'wrote {args.json} ({time.perf_counter() - t_all:.1f} s)')


if __name__ == '__main__':
    main()
