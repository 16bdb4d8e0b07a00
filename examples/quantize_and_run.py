#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
"""Post-training quantization from Python: calibrate the demo's FP32 model
on Fashion-MNIST training images, save the program, run it on the test
images on an executor, and compare top-1 with the FP32 model's labels.

    PYTHONPATH=build/python NPU_EMU_PLUGIN=build/lib/libnpu-emu.so.0 \\
        examples/quantize_and_run.py [--executor emu] [--images 1000]

(After `make install` neither variable is needed; `--executor npu` runs on
the device through the driver.)
"""
import argparse
import gzip
import os
import tempfile

import numpy as np

import qnpu

DATA = '/usr/share/datasets/fashion-mnist'
MODEL = os.path.join(os.path.dirname(__file__), '..', 'models', 'fashion_mnist',
                     'fashion_mnist_cnn.onnx')


def idx(name, header, count, shape):
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = f.read()
    return np.frombuffer(raw, np.uint8, offset=header)[:count * int(np.prod(shape))].reshape(
        (count,) + shape)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--executor', default='emu')
    ap.add_argument('--images', type=int, default=1000)
    a = ap.parse_args()
    calib = idx('train-images-idx3-ubyte.gz', 16, 200, (1, 28, 28)).astype(np.float32) / 255
    test = idx('t10k-images-idx3-ubyte.gz', 16, a.images, (1, 28, 28)).astype(np.float32) / 255
    labels = idx('t10k-labels-idx1-ubyte.gz', 8, a.images, ())

    prog = qnpu.Model(MODEL).compile(calib, method='percentile')
    with tempfile.TemporaryDirectory() as tmp:          # compile once, deploy the file
        prog.save(os.path.join(tmp, 'fashion.qnpu'))
        prog = qnpu.Program.load(os.path.join(tmp, 'fashion.qnpu'))
    logits, = prog.run([test], executor=a.executor)
    top1 = float((logits.argmax(1) == labels).mean())
    print('%d images on %s: INT8 top-1 %.4f' % (a.images, a.executor, top1))
    return 0 if top1 > 0.85 else 1


if __name__ == '__main__':
    raise SystemExit(main())
