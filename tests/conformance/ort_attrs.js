#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The qnpu authors
//
// The honoured-attribute models (tests/models/make_test_models.py, h_*) run
// by ONNX Runtime: numpy's answer, which tests/host/test_onnx_attrs.c holds
// libnpu's INT8 result to, must be what ONNX Runtime computes in FP32 for
// the same model and input (so neither the model nor the answer is ours
// alone). TAP on stdout; exit 1 if any case differs or fails to run.
//
//   node tests/conformance/ort_attrs.js ATTRS_DIR
'use strict';

const fs = require('fs');
const path = require('path');
const { readNpy } = require('./npy.js');

const ROOT = path.resolve(__dirname, '..', '..');

async function check(ort, dir, name) {
  const session = await ort.InferenceSession.create(path.join(dir, `${name}.onnx`), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const x = readNpy(path.join(dir, `${name}_input.npy`));
  const want = readNpy(path.join(dir, `${name}_output.npy`));
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor(x.dtype, x.data, x.shape) });
  const y = out[session.outputNames[0]];
  if (session.release) await session.release();
  if (y.dims.join(',') !== want.shape.join(',')) return `shape [${y.dims}] vs numpy's [${want.shape}]`;
  let scale = 0;
  for (const v of want.data) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.data.length; i++) {
    if (Math.abs(y.data[i] - want.data[i]) > 1e-4 * scale + 1e-6) {
      return `element ${i}: ONNX Runtime ${y.data[i]}, numpy ${want.data[i]}`;
    }
  }
  return null;
}

async function main() {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: ort_attrs.js ATTRS_DIR');
    process.exit(2);
  }
  const ort = require(path.join(ROOT, 'build', 'node', 'node_modules', 'onnxruntime-node'));
  const names = fs.readdirSync(dir).filter((f) => /^h_.*\.onnx$/.test(f)).map((f) => f.slice(0, -5)).sort();
  let failed = 0;
  console.log(`1..${names.length}`);
  for (const [i, name] of names.entries()) {
    let why;
    try {
      why = await check(ort, dir, name);
    } catch (e) {
      why = String(e.message || e).split('\n')[0];
    }
    failed += why ? 1 : 0;
    console.log(why ? `not ok ${i + 1} - ${name}: ${why}` : `ok ${i + 1} - ${name}: ONNX Runtime = numpy`);
  }
  if (!names.length) failed = 1;
  process.exitCode = failed ? 1 : 0;
}

main();
