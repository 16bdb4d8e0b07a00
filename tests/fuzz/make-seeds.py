#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write seed inputs for tests/fuzz/fuzz_job.c: one valid command buffer
per op, over the fuzz harness's data region (layouts: uapi/drm/qnpu_cmdbuf.h)."""
import os
import struct
import sys

DATA = 0x20000
MAGIC = 0x42434E51


def tensor(addr, n, h, w, c, dtype=1):
    es = 4 if dtype == 2 else 1
    return struct.pack('<Q4I4IB7x', addr, n, h, w, c,
                       h * w * c * es, w * c * es, c * es, es, dtype)


def requant(m=1 << 30, shift=-8, zp=0, lo=-128, hi=127, rounding=0, params=0):
    return struct.pack('<Qiiiiib3x', params, m, shift, zp, lo, hi, rounding)


def desc(op, body):
    return struct.pack('<HBBI', op, 1, 0, 8 + len(body)) + body


def cmdbuf(*descs):
    body = b''.join(descs)
    return struct.pack('<IHHII16x', MAGIC, 1, 0, 32 + len(body), len(descs)) + body


def seeds():
    src, dst, wts, bias = DATA, DATA + 0x4000, DATA + 0x8000, DATA + 0xc000
    yield 'nop', cmdbuf(desc(0, b''), desc(1, b''))
    yield 'copy', cmdbuf(desc(2, tensor(src, 1, 4, 4, 8) + tensor(dst, 1, 4, 4, 8)))
    conv = struct.pack('<QQ10HIiI', wts, bias, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, -5, 0)
    yield 'conv', cmdbuf(desc(3, tensor(src, 1, 6, 6, 8) + tensor(dst, 1, 6, 6, 16)
                              + conv + requant(params=DATA + 0xe000)))
    dw = struct.pack('<QQ10HIiI', wts, 0, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 8, 3, 0)
    yield 'depthwise', cmdbuf(desc(3, tensor(src, 1, 7, 7, 8) + tensor(dst, 1, 4, 4, 8)
                                   + dw + requant(rounding=1)))
    fc = struct.pack('<QQiI', wts, bias, 0, 0)
    yield 'fc', cmdbuf(desc(4, tensor(src, 2, 1, 1, 40) + tensor(dst, 2, 1, 1, 20)
                            + fc + requant()))
    mm = struct.pack('<Qii', bias, 3, -2)
    yield 'matmul', cmdbuf(desc(5, tensor(src, 1, 1, 6, 10) + tensor(wts, 1, 1, 10, 7)
                                + tensor(dst, 1, 1, 6, 7, 2) + mm + bytes(32)))
    pool = struct.pack('<8Hii', 3, 3, 2, 2, 1, 1, 1, 1, -128, 127)
    yield 'maxpool', cmdbuf(desc(6, tensor(src, 1, 8, 8, 4) + tensor(dst, 1, 4, 4, 4) + pool))
    yield 'avgpool', cmdbuf(desc(7, tensor(src, 1, 8, 8, 4) + tensor(dst, 1, 4, 4, 4) + pool))
    add = struct.pack('<iiiiiiiI', 1, -3, 1 << 30, -1, 1 << 30, 0, 20, 0)
    yield 'add', cmdbuf(desc(8, tensor(src, 1, 2, 2, 8) + tensor(wts, 1, 2, 2, 8)
                             + tensor(dst, 1, 2, 2, 8) + add + requant(shift=-20)))
    mul = struct.pack('<iiiiiiiI', 1, -3, 0, 0, 0, 0, 0, 0)
    yield 'mul', cmdbuf(desc(9, tensor(src, 1, 2, 2, 8) + tensor(wts, 1, 2, 2, 8)
                             + tensor(dst, 1, 2, 2, 8) + mul + requant()))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, cb in seeds():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(b'\x01' + cb)


if __name__ == '__main__':
    main()
