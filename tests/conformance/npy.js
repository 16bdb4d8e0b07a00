// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The qnpu authors
//
// A tiny .npy reader/writer (format version 1.0 written; 1.0, 2.0 and 3.0
// read), for C-order arrays of the dtypes the conformance cases use:
// |u1 |i1 <f4 <i4 (and <i8 <f8 read-only for convenience).
'use strict';

const fs = require('fs');

const DTYPES = {
  '|u1': { type: 'uint8', array: Uint8Array },
  '|i1': { type: 'int8', array: Int8Array },
  '<i4': { type: 'int32', array: Int32Array },
  '<f4': { type: 'float32', array: Float32Array },
  '<i8': { type: 'int64', array: BigInt64Array },
  '<f8': { type: 'float64', array: Float64Array },
};
const DESCR = {};
for (const [d, v] of Object.entries(DTYPES)) DESCR[v.type] = d;
DESCR.bool = '|b1';
// numpy also spells the one-byte types with '<' or '>' or '='.
for (const p of ['<', '>', '=']) {
  DTYPES[p + 'u1'] = DTYPES['|u1'];
  DTYPES[p + 'i1'] = DTYPES['|i1'];
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

// Returns { dtype: 'uint8'|..., shape: [..], data: TypedArray }.
function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC))
    throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  let hlen, off;
  if (major === 1) {
    hlen = buf.readUInt16LE(8);
    off = 10;
  } else if (major === 2 || major === 3) {
    hlen = buf.readUInt32LE(8);
    off = 12;
  } else {
    throw new Error(`${file}: unsupported .npy version ${major}.${buf[7]}`);
  }
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', off, off + hlen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) throw new Error(`${file}: bad .npy header ${header}`);
  if (fortran[1] === 'True') throw new Error(`${file}: Fortran-order arrays are not supported`);
  const dt = DTYPES[descr[1]];
  if (!dt) throw new Error(`${file}: unsupported dtype ${descr[1]}`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length)
    .map((s) => parseInt(s, 10));
  const count = dims.reduce((a, b) => a * b, 1);
  const start = off + hlen;
  const bytes = count * dt.array.BYTES_PER_ELEMENT;
  if (buf.length < start + bytes) throw new Error(`${file}: truncated data`);
  // Copy into a fresh, aligned buffer (the file buffer's offset may be unaligned).
  const data = new dt.array(count);
  Buffer.from(data.buffer).set(buf.subarray(start, start + bytes));
  return { dtype: dt.type, shape: dims, data };
}

// Writes a version 1.0 .npy file; header padded to a multiple of 64 bytes
// as numpy does.
function writeNpy(file, dtype, shape, data) {
  const descr = DESCR[dtype];
  if (!descr) throw new Error(`writeNpy: unsupported dtype ${dtype}`);
  const shp = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shp}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  MAGIC.copy(pre, 0);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

module.exports = { readNpy, writeNpy };
