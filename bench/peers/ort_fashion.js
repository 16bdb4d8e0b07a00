#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The qnpu authors
//
// Run a Fashion-MNIST model (FP32, or the QDQ INT8 model quantize_fashion.py
// writes) with ONNX Runtime (onnxruntime-node, CPU): top-1 and batch-1
// throughput, the ORT peer of the qnpu Fashion-MNIST benchmark.
//
//   node bench/peers/ort_fashion.js MODEL.onnx [--images N] [--threads T]
//                                   [--json FILE --name NAME]
//
// One session (intraOpNumThreads T, default 1; interOpNumThreads 1,
// sequential execution, graphOptimizationLevel 'all'). Inputs are the first N
// (default 10000) test images (t10k-images/labels-idx*-ubyte.gz of
// /usr/share/datasets/fashion-mnist, read here with zlib), pixels / 255 as
// float32 NCHW [1, 1, 28, 28], batch 1. After 20 warm-up runs, every image
// is run once; only the session.run calls are timed (tensor creation and the
// argmax are not). images/s = N / sum of those times.
//
// --json FILE --name NAME writes two JSON lines:
//   {"name": "NAME top1", "value": top1, "unit": "top1", "peer": "onnxruntime-node V"}
//   {"name": "NAME images/s", "value": ips, "unit": "images/s", "peer": ..., "threads": T}
//
// Also a module: readIdx(), loadImages(), loadOrt() are used by ort_calib.js.
// onnxruntime-node comes from build/node (tools/ort-setup.sh).
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const ROOT = path.resolve(__dirname, '..', '..');
const DATA = '/usr/share/datasets/fashion-mnist';
const WARMUP = 20;

// A gzipped big-endian IDX file: {dims, data (Uint8Array)}.
function readIdx(file) {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const magic = buf.readUInt32BE(0);
  if ((magic >>> 8) !== 0x08)          // 0x08: unsigned byte
    throw new Error(`${file}: not a ubyte IDX file (magic 0x${magic.toString(16)})`);
  const ndim = magic & 0xff;
  const dims = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const off = 4 + 4 * ndim;
  const n = dims.reduce((a, b) => a * b, 1);
  if (buf.length !== off + n) throw new Error(`${file}: size ${buf.length}, expected ${off + n}`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + off, n) };
}

// The first n images of a split ('train' or 't10k') and their labels.
function loadImages(split, n) {
  const x = readIdx(path.join(DATA, `${split}-images-idx3-ubyte.gz`));
  const y = readIdx(path.join(DATA, `${split}-labels-idx1-ubyte.gz`));
  if (x.dims.length !== 3 || x.dims[1] !== 28 || x.dims[2] !== 28 || y.dims[0] !== x.dims[0])
    throw new Error(`${split}: unexpected IDX shapes ${x.dims} / ${y.dims}`);
  if (n === undefined || n > x.dims[0]) n = x.dims[0];
  return { n, pixels: x.data.subarray(0, n * 784), labels: y.data.subarray(0, n) };
}

function loadOrt() {
  const dir = path.join(ROOT, 'build', 'node', 'node_modules', 'onnxruntime-node');
  try {
    return { ort: require(dir), version: require(path.join(dir, 'package.json')).version };
  } catch (e) {
    console.error(`cannot load onnxruntime-node from ${dir}: ${e.message}`);
    console.error('run tools/ort-setup.sh first');
    process.exit(2);
  }
}

function usage() {
  console.error('usage: ort_fashion.js MODEL.onnx [--images N] [--threads T] ' +
    '[--json FILE --name NAME]');
  process.exit(2);
}

/*
 * The peers' command lines: MODEL.onnx and --KEY VALUE for each key of
 * @defaults (an integer >= 1 where the default is a number), --KEY alone
 * where it is a boolean; anything else calls @usage.
 */
function parseArgs(argv, defaults, usage) {
  const o = { model: null, ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const key = a.startsWith('--') ? a.slice(2) : null;
    if (key && key in defaults && typeof defaults[key] === 'boolean') o[key] = true;
    else if (key && key in defaults && i + 1 < argv.length) {
      const v = argv[++i];
      o[key] = typeof defaults[key] === 'number' ? parseInt(v, 10) : v;
    } else if (!a.startsWith('-') && o.model === null) o.model = a;
    else usage();
  }
  if (o.model === null) usage();
  for (const k of Object.keys(defaults)) {
    if (typeof defaults[k] === 'number' && !(o[k] >= 1)) usage();
  }
  return o;
}

const now = () => process.hrtime.bigint();

async function main() {
  const o = parseArgs(process.argv.slice(2),
    { images: 10000, threads: 1, json: null, name: null }, usage);
  if ((o.json === null) !== (o.name === null)) usage();
  const { ort, version } = loadOrt();
  const peer = `onnxruntime-node ${version}`;
  const { n, pixels, labels } = loadImages('t10k', o.images);

  const session = await ort.InferenceSession.create(o.model, {
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const inName = session.inputNames[0];
  const outName = session.outputNames[0];
  const input = (i) => {
    const x = new Float32Array(784);
    for (let k = 0; k < 784; k++) x[k] = pixels[i * 784 + k] / 255;
    return { [inName]: new ort.Tensor('float32', x, [1, 1, 28, 28]) };
  };

  for (let i = 0; i < WARMUP; i++) await session.run(input(i % n));

  let correct = 0;
  let ns = 0n;
  for (let i = 0; i < n; i++) {
    const feeds = input(i);
    const t0 = now();
    const out = await session.run(feeds);
    ns += now() - t0;
    const logits = out[outName].data;
    let best = 0;
    for (let c = 1; c < logits.length; c++) if (logits[c] > logits[best]) best = c;
    if (best === labels[i]) correct++;
  }
  if (session.release) await session.release();

  const secs = Number(ns) / 1e9;
  const top1 = correct / n;
  const ips = n / secs;
  console.log(`${path.basename(o.model)}: ${peer}, ${o.threads} thread(s), ${n} test images`);
  console.log(`  top-1 ${top1.toFixed(4)} (${correct}/${n}), ${ips.toFixed(1)} images/s ` +
    `(${(secs * 1e6 / n).toFixed(1)} us/image in session.run)`);
  if (o.json) {
    const lines = [
      { name: `${o.name} top1`, value: Number(top1.toFixed(4)), unit: 'top1', peer },
      { name: `${o.name} images/s`, value: Number(ips.toFixed(1)), unit: 'images/s', peer,
        threads: o.threads },
    ];
    fs.writeFileSync(o.json, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  }
}

module.exports = { readIdx, loadImages, loadOrt, parseArgs };

if (require.main === module) {
  main().catch((e) => {
    console.error(`ort_fashion: ${e.message || e}`);
    process.exit(1);
  });
}
