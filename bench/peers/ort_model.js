#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The qnpu authors
//
// ONNX Runtime running an image model (FP32, or QDQ INT8) over N images,
// timed whole (the peer of bench_calib: the forward passes a calibration
// needs; and of npu-run --repeat on whole models). Input [B, 3, 224, 224]
// float32 of seeded pseudo-random values (the time does not depend on
// them); one session, intraOpNumThreads T (default 1), interOpNumThreads
// 1, graphOptimizationLevel 'all', session creation and one warm-up run
// outside the timing. The JSON value is the seconds, or with --rate the
// images per second.
//
//   node bench/peers/ort_model.js MODEL.onnx [--images N] [--threads T]
//        [--batch B] [--rate] [--json FILE --name NAME]
'use strict';

const fs = require('fs');
const { loadOrt, parseArgs } = require('./ort_fashion.js');

function usage() {
  console.error('usage: ort_model.js MODEL.onnx [--images N] [--threads T] [--batch B] [--rate] ' +
    '[--json FILE --name NAME]');
  process.exit(2);
}

async function main() {
  const o = parseArgs(process.argv.slice(2), { images: 100, threads: 1, batch: 1, rate: false,
    json: null, name: 'ort model' }, usage);
  const { ort } = loadOrt();
  const session = await ort.InferenceSession.create(o.model, {
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const name = session.inputNames[0];
  const dims = [o.batch, 3, 224, 224];
  const runs = Math.ceil(o.images / o.batch);
  const x = new Float32Array(dims.reduce((a, b) => a * b));
  let seed = 1;
  for (let k = 0; k < x.length; k++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    x[k] = (seed >>> 8) / (1 << 24) * 4 - 2;
  }
  const feeds = { [name]: new ort.Tensor('float32', x, dims) };
  await session.run(feeds);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) await session.run(feeds);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const images = runs * o.batch;
  if (session.release) await session.release();
  console.log(`  ${o.name.padEnd(52)} ${secs.toFixed(2).padStart(10)} s (${images} images)`);
  if (o.json) {
    const r = o.rate ? { value: images / secs, unit: 'images/s' } : { value: secs, unit: 's' };
    fs.writeFileSync(o.json, JSON.stringify({ name: o.name, ...r }) + '\n');
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
