#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
"""The model zoo: networks people deploy, made here, nothing downloaded.

    /usr/bin/python3 models/zoo/make_zoo.py OUTDIR [--models a,b] [--bn-images N]

For each network: torchvision's architecture with random weights (seeded),
its BatchNorm statistics set by running real images through it in train
mode (Fashion-MNIST from Debian's dataset-fashion-mnist, resized to 224x224,
three channels, ImageNet normalisation), exported to ONNX at opsets 13 and
17, batch 1 and 4:

    OUTDIR/NAME_opset13_b1.onnx, NAME_opset13_b4.onnx, NAME_opset17_b1.onnx, ...

and, shared by all, OUTDIR/calib.npy (16 images, NCHW float32) and
OUTDIR/eval.npy (8 other images), prepared the same way. Needs Debian's
python3-torch and python3-torchvision. Deterministic for a given torch.
"""
import argparse
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

# name: constructor (the architectures that import today; more as the importer grows)
ZOO = {
    'resnet18': lambda: torchvision.models.resnet18(weights=None),
    'mobilenet_v2': lambda: torchvision.models.mobilenet_v2(weights=None),
}


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--models', default=','.join(ZOO))
    ap.add_argument('--bn-images', type=int, default=64)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(2)
    bn = images(0, a.bn_images)
    np.save(os.path.join(a.out, 'calib.npy'), images(1000, 16))
    np.save(os.path.join(a.out, 'eval.npy'), images(2000, 8))
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
        print('make_zoo: %s' % name)


if __name__ == '__main__':
    main()
