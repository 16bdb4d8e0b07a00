#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The qnpu authors
//
// Time ONNX Runtime (onnxruntime-node, CPU) on the models that
// make_bench_models.py wrote, as the peer for bench/bench_emu.c.
//
//   node bench/peers/ort_bench.js MODELDIR [--json FILE] [--threads 1,2]
//                                 [--min-time SECONDS] [--quick] [--only SUBSTRING]
//
// For each model and thread count (intraOpNumThreads; interOpNumThreads 1,
// sequential execution, graphOptimizationLevel 'all'): one session, random
// inputs, two warm-up runs, then timed runs until at least --min-time seconds
// (default 1) and at least 3 runs. Reports GOPS = 2 x MACs / seconds of the
// MEDIAN run (the best run is printed too). --quick: 0.2 s, skips 2048^3.
// --json FILE writes one JSON object a line:
//   {"name": ..., "value": GOPS, "unit": "GOPS", "peer": "onnxruntime-node V",
//    "threads": T, "stat": "median", "runs": N}
// onnxruntime-node comes from build/node (tools/ort-setup.sh).
'use strict';

const fs = require('fs');
const path = require('path');
const os = require('os');

const ROOT = path.resolve(__dirname, '..', '..');

function usage() {
  console.error('usage: ort_bench.js MODELDIR [--json FILE] [--threads 1,2] ' +
    '[--min-time SECONDS] [--quick] [--only SUBSTRING]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { dir: null, json: null, threads: [1, 2], minTime: 1.0, quick: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json' && i + 1 < argv.length) o.json = argv[++i];
    else if (a === '--threads' && i + 1 < argv.length)
      o.threads = argv[++i].split(',').map((s) => parseInt(s, 10));
    else if (a === '--min-time' && i + 1 < argv.length) o.minTime = parseFloat(argv[++i]);
    else if (a === '--quick') o.quick = true;
    else if (a === '--only' && i + 1 < argv.length) o.only = argv[++i];
    else if (!a.startsWith('-') && o.dir === null) o.dir = a;
    else usage();
  }
  if (o.dir === null || o.threads.some((t) => !(t >= 1)) || !(o.minTime > 0)) usage();
  if (o.quick) o.minTime = Math.min(o.minTime, 0.2);
  return o;
}

function loadOrt() {
  const dir = path.join(ROOT, 'build', 'node', 'node_modules', 'onnxruntime-node');
  try {
    return { ort: require(dir), version: require(path.join(dir, 'package.json')).version };
  } catch (e) {
    console.error(`ort_bench: cannot load onnxruntime-node from ${dir}: ${e.message}`);
    console.error('ort_bench: run tools/ort-setup.sh first');
    process.exit(2);
  }
}

function randomTensor(ort, spec) {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  let data;
  if (spec.dtype === 'uint8') data = new Uint8Array(n).map(() => (Math.random() * 256) | 0);
  else if (spec.dtype === 'int8') data = new Int8Array(n).map(() => ((Math.random() * 256) | 0) - 128);
  else if (spec.dtype === 'float32') data = new Float32Array(n).map(() => Math.random() * 2 - 1);
  else throw new Error(`unsupported input dtype ${spec.dtype}`);
  return new ort.Tensor(spec.dtype, data, spec.shape);
}

const now = () => Number(process.hrtime.bigint()) / 1e9;

async function timeModel(ort, file, feeds, threads, minTime) {
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  try {
    for (let i = 0; i < 2; i++) await session.run(feeds);
    const times = [];
    const t0 = now();
    while (times.length < 3 || now() - t0 < minTime) {
      const t = now();
      await session.run(feeds);
      times.push(now() - t);
    }
    times.sort((a, b) => a - b);
    const mid = times.length >> 1;
    const median = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
    return { best: times[0], median, runs: times.length };
  } finally {
    if (session.release) await session.release();
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const { ort, version } = loadOrt();
  const manifest = JSON.parse(fs.readFileSync(path.join(o.dir, 'bench.json'), 'utf8'));
  const peer = `onnxruntime-node ${version}`;
  const lines = [];
  const cpu = (os.cpus()[0] || {}).model || 'unknown CPU';
  console.log(`${peer} benchmark on ${cpu}, ${os.cpus().length} CPUs ` +
    `(GOPS = 2 x MACs / s of the median run; best run in brackets)`);
  console.log(`  ${'model'.padEnd(42)} ${'threads'.padStart(7)} ${'median ms'.padStart(10)} ` +
    `${'GOPS'.padStart(8)} ${'(best)'.padStart(9)} ${'runs'.padStart(5)}`);
  let failed = 0;
  for (const m of manifest) {
    if (o.quick && m.macs > 2 ** 32) continue;
    if (o.only && !m.name.includes(o.only)) continue;
    const feeds = {};
    for (const spec of m.inputs) feeds[spec.name] = randomTensor(ort, spec);
    for (const t of o.threads) {
      let r;
      try {
        r = await timeModel(ort, path.join(o.dir, m.file), feeds, t, o.minTime);
      } catch (e) {
        failed++;
        console.error(`ort_bench: ${m.name}, ${t} threads: ${String(e.message || e).split('\n')[0]}`);
        continue;
      }
      const gops = (2 * m.macs) / r.median / 1e9;
      const best = (2 * m.macs) / r.best / 1e9;
      console.log(`  ${m.name.padEnd(42)} ${String(t).padStart(7)} ${(r.median * 1e3).toFixed(2).padStart(10)} ` +
        `${gops.toFixed(2).padStart(8)} ${('(' + best.toFixed(2) + ')').padStart(9)} ${String(r.runs).padStart(5)}`);
      lines.push(JSON.stringify({
        name: `ort ${m.name} ${t}t`, value: Number(gops.toFixed(4)), unit: 'GOPS', peer,
        threads: t, stat: 'median', runs: r.runs,
      }));
    }
  }
  if (o.json) fs.writeFileSync(o.json, lines.length ? lines.join('\n') + '\n' : '');
  process.exitCode = failed ? 1 : 0;
}

main();
