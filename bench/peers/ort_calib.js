#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The qnpu authors
//
// Calibration helper of quantize_fashion.py: run an FP32 Fashion-MNIST model
// with ONNX Runtime on the first N training images and print, as one JSON
// object on stdout, the range of every graph output:
//   {"OUTPUT_NAME": [min, max], ...}
//
//   node bench/peers/ort_calib.js MODEL.onnx [--images N] [--batch B]
//
// quantize_fashion.py passes a temporary copy of the model in which every
// intermediate value is a graph output. Inputs: pixels / 255, float32 NCHW
// [B, 1, 28, 28] (the model's batch dimension is symbolic), first N (default
// 200) images of train-images-idx3-ubyte.gz, in batches of B (default 50).
// One thread, graphOptimizationLevel 'all'.
'use strict';

const { loadImages, loadOrt } = require('./ort_fashion.js');

function usage() {
  console.error('usage: ort_calib.js MODEL.onnx [--images N] [--batch B]');
  process.exit(2);
}

async function main() {
  const argv = process.argv.slice(2);
  let model = null;
  let images = 200;
  let batch = 50;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--images' && i + 1 < argv.length) images = parseInt(argv[++i], 10);
    else if (argv[i] === '--batch' && i + 1 < argv.length) batch = parseInt(argv[++i], 10);
    else if (!argv[i].startsWith('-') && model === null) model = argv[i];
    else usage();
  }
  if (model === null || !(images >= 1) || !(batch >= 1)) usage();

  const { ort } = loadOrt();
  const { n, pixels } = loadImages('train', images);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const range = {};
  for (const name of session.outputNames) range[name] = [Infinity, -Infinity];
  for (let i0 = 0; i0 < n; i0 += batch) {
    const b = Math.min(batch, n - i0);
    const x = new Float32Array(b * 784);
    for (let k = 0; k < b * 784; k++) x[k] = pixels[i0 * 784 + k] / 255;
    const out = await session.run({
      [session.inputNames[0]]: new ort.Tensor('float32', x, [b, 1, 28, 28]),
    });
    for (const name of session.outputNames) {
      const d = out[name].data;
      const r = range[name];
      for (let k = 0; k < d.length; k++) {
        const v = d[k];
        if (v < r[0]) r[0] = v;
        if (v > r[1]) r[1] = v;
      }
    }
  }
  if (session.release) await session.release();
  process.stdout.write(JSON.stringify(range) + '\n');
}

main().catch((e) => {
  console.error(`ort_calib: ${e.message || e}`);
  process.exit(1);
});
