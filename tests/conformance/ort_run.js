#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The qnpu authors
//
// Run conformance cases with ONNX Runtime (onnxruntime-node, CPU, installed
// by tools/ort-setup.sh into build/node) and write each case's reference
// output, ort_output.npy.
//
//   node tests/conformance/ort_run.js CASEDIR...
//   node tests/conformance/ort_run.js --all OUTDIR
//
// Each case directory holds model.onnx and input_N.npy, N the index of the
// graph input (session.inputNames order); see gen_models.py. One session per
// case, intraOpNumThreads 1, graphOptimizationLevel 'all'. Exits 1 if any
// case fails to load or run (the others still run), 2 on usage errors.
'use strict';

const fs = require('fs');
const path = require('path');
const { readNpy, writeNpy } = require('./npy.js');

const ROOT = path.resolve(__dirname, '..', '..');

function loadOrt() {
  const dir = path.join(ROOT, 'build', 'node', 'node_modules', 'onnxruntime-node');
  try {
    const ort = require(dir);
    const version = require(path.join(dir, 'package.json')).version;
    return { ort, version };
  } catch (e) {
    console.error(`ort_run: cannot load onnxruntime-node from ${dir}: ${e.message}`);
    console.error('ort_run: run tools/ort-setup.sh first');
    process.exit(2);
  }
}

function caseDirs(argv) {
  if (argv[0] === '--all') {
    if (argv.length !== 2) usage();
    const out = argv[1];
    return fs.readdirSync(out).filter((d) => /^case_\d+$/.test(d)).sort()
      .map((d) => path.join(out, d));
  }
  if (argv.length === 0 || argv[0].startsWith('-')) usage();
  return argv;
}

function usage() {
  console.error('usage: ort_run.js CASEDIR... | ort_run.js --all OUTDIR');
  process.exit(2);
}

async function runCase(ort, dir) {
  const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  try {
    const feeds = {};
    session.inputNames.forEach((name, i) => {
      const a = readNpy(path.join(dir, `input_${i}.npy`));
      feeds[name] = new ort.Tensor(a.dtype, a.data, a.shape);
    });
    const results = await session.run(feeds);
    const y = results[session.outputNames[0]];
    writeNpy(path.join(dir, 'ort_output.npy'), y.type, y.dims, y.data);
  } finally {
    if (session.release) await session.release();
  }
}

async function main() {
  const dirs = caseDirs(process.argv.slice(2));
  const { ort, version } = loadOrt();
  const t0 = process.hrtime.bigint();
  let failed = 0;
  for (const dir of dirs) {
    try {
      fs.rmSync(path.join(dir, 'ort_output.npy'), { force: true });
      await runCase(ort, dir);
    } catch (e) {
      failed++;
      console.error(`ort_run: ${dir}: ${String(e.message || e).split('\n')[0]}`);
    }
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`ort_run: onnxruntime-node ${version}: ${dirs.length - failed} of ${dirs.length} ` +
    `cases run in ${secs.toFixed(2)} s` + (failed ? `, ${failed} FAILED` : ''));
  process.exitCode = failed ? 1 : 0;
}

main();
