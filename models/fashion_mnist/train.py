#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Train the small Fashion-MNIST CNN the qnpu demo runs, in FP32, and export
it to ONNX (opset 13).

    /usr/bin/python3 models/fashion_mnist/train.py [--epochs 4] [--out models/fashion_mnist]

Data: Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
Training is seeded and single-process; running it again on the same
machine reproduces the model and the accuracy recorded in model.json.

The network uses what the qnpu stack must handle: 3x3 conv, depthwise 3x3
conv, 1x1 conv, a residual add, max pool, global average pool, a fully
connected layer, ReLU and ReLU6.
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
from torch import nn

DATA = '/usr/share/datasets/fashion-mnist'
CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
           'Shirt', 'Sneaker', 'Bag', 'Ankle boot']


def idx(path):
    """Read a gzipped big-endian IDX file into a numpy array."""
    with gzip.open(path, 'rb') as f:
        magic, = struct.unpack('>I', f.read(4))
        dims = [struct.unpack('>I', f.read(4))[0] for _ in range(magic & 0xff)]
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def load(split):
    pre = 'train' if split == 'train' else 't10k'
    x = idx(os.path.join(DATA, f'{pre}-images-idx3-ubyte.gz'))
    y = idx(os.path.join(DATA, f'{pre}-labels-idx1-ubyte.gz'))
    # Inputs in [0, 1], as the demo feeds them.
    return torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1), \
        torch.from_numpy(y.astype(np.int64))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        # Batch norms are folded into the convolutions at export.
        self.conv1 = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32))
        self.dw = nn.Sequential(nn.Conv2d(32, 32, 3, padding=1, groups=32),
                                nn.BatchNorm2d(32))
        self.pw = nn.Sequential(nn.Conv2d(32, 64, 1), nn.BatchNorm2d(64))
        self.pool1 = nn.MaxPool2d(2)
        self.res = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64))
        self.pool2 = nn.MaxPool2d(2)
        self.conv3 = nn.Sequential(nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128))
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = nn.functional.relu6(self.dw(x))
        x = self.pool1(torch.relu(self.pw(x)))
        x = torch.relu(x + self.res(x))          # residual add
        x = self.pool2(x)
        x = torch.relu(self.conv3(x))
        x = torch.flatten(self.gap(x), 1)
        return self.fc(x)


def accuracy(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            correct += (model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--epochs', type=int, default=6)
    ap.add_argument('--out', default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()

    torch.manual_seed(0)
    np.random.seed(0)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    torch.use_deterministic_algorithms(True)

    xtr, ytr = load('train')
    xte, yte = load('test')
    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(xtr), 128):
            b = perm[i:i + 128]
            opt.zero_grad()
            loss = loss_fn(model(xtr[b]), ytr[b])
            loss.backward()
            opt.step()
        sched.step()
        print(f'epoch {epoch + 1}: loss {loss.item():.3f}, '
              f'test top-1 {accuracy(model, xte, yte):.4f} ({time.time() - t0:.0f} s)',
              flush=True)

    acc = accuracy(model, xte, yte)
    model.eval()
    onnx_path = os.path.join(args.out, 'fashion_mnist_cnn.onnx')
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), onnx_path, opset_version=13,
                      input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}},
                      do_constant_folding=True)
    meta = {
        'model': 'fashion_mnist_cnn.onnx',
        'fp32_top1': round(acc, 4),
        'test_images': len(xte),
        'epochs': args.epochs,
        'input': 'input: float32 [N, 1, 28, 28], pixels / 255',
        'output': 'logits: float32 [N, 10]',
        'classes': CLASSES,
        'parameters': sum(p.numel() for p in model.parameters()),
        'torch': torch.__version__,
    }
    with open(os.path.join(args.out, 'model.json'), 'w') as f:
        json.dump(meta, f, indent=2)
        f.write('\n')
    print(f'FP32 test top-1 {acc:.4f}; wrote {onnx_path}')


if __name__ == '__main__':
    main()
