#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
"""The model zoo: networks people deploy, made here, nothing downloaded.

    /usr/bin/python3 models/zoo/make_zoo.py OUTDIR [--models a,b] [--bn-images N]

For each network: torchvision's architecture (or, for vit_tiny, a small
vision transformer encoder written here: patch embedding, multi-head
self-attention, LayerNorm, GELU MLP) with random weights (seeded),
its BatchNorm statistics set by running real images through it in train
mode (Fashion-MNIST from Debian's dataset-fashion-mnist, resized to 224x224,
three channels, ImageNet normalisation), exported to ONNX at opsets 13 and
17, batch 1 and 4:

    OUTDIR/NAME_opset13_b1.onnx, NAME_opset13_b4.onnx, NAME_opset17_b1.onnx, ...

and, shared by all, OUTDIR/calib.npy (16 images, NCHW float32) and
OUTDIR/eval.npy (8 other images), prepared the same way; OUTDIR/NAME_logits.npy
holds PyTorch's FP32 logits of the first 4 eval images (the reference the
importer's float runner is checked against). The same weights
are quantized by PyTorch (onednn engine, per-channel weights, the first 4
calibration images): in eager mode where torchvision has a quantizable
version of the architecture, by FX graph mode otherwise (ops it cannot
quantize stay in float there, which favours it); OUTDIR/pytorch_sqnr.txt
gets a line "NAME SQNR1 SQNR4 eager|fx": the
SQNR in dB of its logits against the float model's on the first 1 and 4
eval images, the peer libnpu's quantization is compared with
(tests/host/test_zoo.c). Needs Debian's python3-torch and
python3-torchvision. Deterministic for a given torch.
"""
import argparse
import copy
import gzip
import os
import sys

import numpy as np
import torch
import torchvision

FASHION = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'
SIZE = 224
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)



# PyTorch's quantizable versions of the same architectures (same parameter names)
QUANTIZABLE = {
    'resnet18': lambda: torchvision.models.quantization.resnet18(weights=None, quantize=False),
    'mobilenet_v2': lambda: torchvision.models.quantization.mobilenet_v2(weights=None,
                                                                         quantize=False),
    'googlenet': lambda: torchvision.models.quantization.googlenet(
        weights=None, quantize=False, aux_logits=False, init_weights=True),
    'shufflenet_v2_x1_0': lambda: torchvision.models.quantization.shufflenet_v2_x1_0(
        weights=None, quantize=False),
}
CALIB_IMAGES = 4

# name: constructor (the architectures that import today; more as the importer grows)
ZOO = {
    'resnet18': lambda: torchvision.models.resnet18(weights=None),
    'mobilenet_v2': lambda: torchvision.models.mobilenet_v2(weights=None),
    'squeezenet1_1': lambda: torchvision.models.squeezenet1_1(weights=None),
    'googlenet': lambda: torchvision.models.googlenet(weights=None, aux_logits=False,
                                                      init_weights=True),
    'mobilenet_v3_small': lambda: torchvision.models.mobilenet_v3_small(weights=None),
    'efficientnet_b0': lambda: torchvision.models.efficientnet_b0(weights=None),
    'shufflenet_v2_x1_0': lambda: torchvision.models.shufflenet_v2_x1_0(weights=None),
    'vit_tiny': lambda: TinyViT(),
}


class EncoderBlock(torch.nn.Module):
    """A pre-norm transformer encoder block: multi-head self-attention, then a GELU MLP."""

    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.heads, self.dim, self.scale = heads, dim, (dim // heads) ** -0.5
        self.ln1 = torch.nn.LayerNorm(dim)
        self.q = torch.nn.Linear(dim, dim)
        self.k = torch.nn.Linear(dim, dim)
        self.v = torch.nn.Linear(dim, dim)
        self.proj = torch.nn.Linear(dim, dim)
        self.ln2 = torch.nn.LayerNorm(dim)
        self.fc1 = torch.nn.Linear(dim, hidden)
        self.act = torch.nn.GELU()
        self.fc2 = torch.nn.Linear(hidden, dim)

    def forward(self, x):
        n, t, d, h = x.shape[0], x.shape[1], self.dim, self.heads
        y = self.ln1(x)
        q = self.q(y).reshape(n, t, h, d // h).transpose(1, 2)
        k = self.k(y).reshape(n, t, h, d // h).transpose(1, 2)
        v = self.v(y).reshape(n, t, h, d // h).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-2, -1) * self.scale, dim=-1)
        x = x + self.proj((a @ v).transpose(1, 2).reshape(n, t, d))
        return x + self.fc2(self.act(self.fc1(self.ln2(x))))


class TinyViT(torch.nn.Module):
    """A small vision transformer encoder: 16x16 patches, 2 blocks, mean over tokens."""

    def __init__(self, dim=96, depth=2, heads=3, patch=16, classes=1000):
        super().__init__()
        self.embed = torch.nn.Conv2d(3, dim, patch, patch)
        self.blocks = torch.nn.Sequential(*[EncoderBlock(dim, heads, 4 * dim)
                                            for _ in range(depth)])
        self.norm = torch.nn.LayerNorm(dim)
        self.head = torch.nn.Linear(dim, classes)
        for m in self.modules():
            if isinstance(m, torch.nn.LayerNorm):  # not the identity they start as
                torch.nn.init.normal_(m.weight, 1.0, 0.1)
                torch.nn.init.normal_(m.bias, 0.0, 0.1)

    def forward(self, x):
        x = self.embed(x).flatten(2).transpose(1, 2)
        x = self.norm(self.blocks(x))
        return self.head(x.mean(dim=1))


def images(first, count):
    """Fashion-MNIST test images [first, first + count) as normalised NCHW 224x224x3."""
    with gzip.open(FASHION, 'rb') as f:
        raw = f.read()
    n = int.from_bytes(raw[4:8], 'big')
    if first + count > n:
        sys.exit('make_zoo: only %d images' % n)
    px = np.frombuffer(raw, np.uint8, offset=16).reshape(n, 1, 28, 28)[first:first + count]
    x = torch.from_numpy(px.astype(np.float32) / 255.0)
    x = torch.nn.functional.interpolate(x, size=(SIZE, SIZE), mode='bilinear',
                                        align_corners=False)
    x = x.repeat(1, 3, 1, 1).numpy()
    return ((x - MEAN[None, :, None, None]) / STD[None, :, None, None]).astype(np.float32)


def calibrate_batchnorm(model, x, batch=16):
    """BatchNorm running statistics: the exact average over @x, in train mode."""
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        for i in range(0, len(x), batch):
            model(torch.from_numpy(x[i:i + batch]))
    model.eval()


def export(model, path, opset, batch):
    dummy = torch.zeros(batch, 3, SIZE, SIZE)
    torch.onnx.export(model, dummy, path, opset_version=opset, input_names=['input'],
                      output_names=['logits'], do_constant_folding=True)


def sqnr_db(ref, got):
    ref = ref.astype(np.float64)
    return 10 * np.log10((ref ** 2).sum() / ((got - ref) ** 2).sum())


def eager_quantized(name, model, calib):
    """torchvision's quantizable version of @model, quantized in eager mode."""
    q = QUANTIZABLE[name]()
    q.load_state_dict(model.state_dict())
    q.eval()
    q.fuse_model(is_qat=False)
    q.qconfig = torch.ao.quantization.get_default_qconfig('onednn')
    torch.ao.quantization.prepare(q, inplace=True)
    with torch.no_grad():
        q(calib)
    return torch.ao.quantization.convert(q, inplace=True)


def fx_quantized(model, calib):
    """@model quantized by PyTorch's FX graph mode (ops it cannot quantize stay float)."""
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    qmap = torch.ao.quantization.get_default_qconfig_mapping('onednn')
    q = prepare_fx(copy.deepcopy(model).eval(), qmap, example_inputs=(calib[:1],))
    with torch.no_grad():
        q(calib)
    return convert_fx(q)


def pytorch_sqnr(name, model, calib, evals):
    """PyTorch's post-training quantization of @model's weights: SQNR on 1 and 4 images."""
    torch.backends.quantized.engine = 'onednn'
    c = torch.from_numpy(calib[:CALIB_IMAGES])
    q = eager_quantized(name, model, c) if name in QUANTIZABLE else fx_quantized(model, c)
    with torch.no_grad():
        x = torch.from_numpy(evals[:4])
        ref = model(x).numpy()
        got = q(x).numpy()
    return sqnr_db(ref[:1], got[:1]), sqnr_db(ref, got), 'eager' if name in QUANTIZABLE else 'fx'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--models', default=','.join(ZOO))
    ap.add_argument('--bn-images', type=int, default=64)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(2)
    bn = images(0, a.bn_images)
    calib, evals = images(1000, 16), images(2000, 8)
    np.save(os.path.join(a.out, 'calib.npy'), calib)
    np.save(os.path.join(a.out, 'eval.npy'), evals)
    peers = []
    for name in a.models.split(','):
        if name not in ZOO:
            sys.exit('make_zoo: no model %s (have %s)' % (name, ', '.join(ZOO)))
        torch.manual_seed(0)
        model = ZOO[name]()
        calibrate_batchnorm(model, bn)
        for opset in (13, 17):
            for batch in (1, 4):
                export(model, os.path.join(a.out, '%s_opset%d_b%d.onnx' % (name, opset, batch)),
                       opset, batch)
        with torch.no_grad():
            np.save(os.path.join(a.out, '%s_logits.npy' % name),
                    model(torch.from_numpy(evals[:4])).numpy())
        peers.append('%s %.2f %.2f %s\n' % ((name,) + pytorch_sqnr(name, model, calib, evals)))
        print('make_zoo: %s' % name)
    with open(os.path.join(a.out, 'pytorch_sqnr.txt'), 'w') as f:
        f.writelines(peers)


if __name__ == '__main__':
    main()
