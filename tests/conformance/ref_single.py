#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
"""An independent Python reference of qnpu's `single` rounding mode, used only
to check the conformance harness itself (compare.py, ort_run.js, the cases).

    /usr/bin/python3 tests/conformance/ref_single.py OUTDIR [--name pyref]

Writes OUTDIR/case_NNNN/out_<name>.npy for every case, computed as
docs/arithmetic.md specifies for ONNX models:
accumulators from the model's integers (padding taps skipped, 2.1), the real
multiplier in double from the binary32 scales (3.1), QuantizeMultiplier (3.2),
MultiplyByQuantizedMultiplier in `single` mode, ties toward +inf (3.5, in
int64, spot-checked against unbounded Python integers), plus the output
zero-point, clamped to the output type. uint8 tensors are computed
directly in uint8 (equal to the library's shift by 128, 1.6).

The extra ops of gen_models.py --extra (QLinearAdd, pools) are skipped: no
out_<name>.npy is written for them, and selftest.py leaves them out.

Shares no code with compare.py (whose exact accumulators are computed another
way: padded im2col, versus masked gathers here).
"""

import argparse
import math
import os
import sys
from fractions import Fraction

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (qlinear_node: the case's op, QDQ or not; is_extra)

LIMITS = {np.dtype(np.uint8): (0, 255), np.dtype(np.int8): (-128, 127)}


def quantize_multiplier(m):
    """docs/arithmetic.md 3.2: m ~= M / 2^31 * 2^shift."""
    if m == 0.0:
        return 0, 0
    f, e = math.frexp(m)
    q = math.floor(Fraction(f) * 2 ** 31 + Fraction(1, 2))      # half away (f > 0)
    if q == 2 ** 31:
        q //= 2
        e += 1
    if e < -31:
        q, e = 0, 0
    if e > 30:
        q, e = 2 ** 31 - 1, 30
    return q, e


def mbqm_single(acc, M, shift):
    """floor(acc * M / 2^(31 - shift) + 1/2), saturated to int32; Python ints."""
    total = 31 - shift
    r = (acc * M + (1 << (total - 1))) >> total
    return max(-2 ** 31, min(2 ** 31 - 1, r))


def requantize(acc, mults, chan_axis, yz, dtype):
    """acc: int64 array; mults: list of (M, shift), one per channel along
    chan_axis (or a single one). mbqm_single vectorised in int64: with
    |acc| < 2^31 and 0 <= M < 2^31, |acc*M| < 2^62 and the rounding term is
    at most 2^61, so nothing overflows; numpy's >> on int64 is arithmetic
    (floor), as the contract requires."""
    lo, hi = LIMITS[np.dtype(dtype)]
    assert np.all(np.abs(acc) < 2 ** 31), "accumulator outside int32"
    shape = [1] * acc.ndim
    shape[chan_axis] = len(mults)
    M = np.array([m for m, _ in mults], np.int64).reshape(shape)
    total = np.array([31 - s for _, s in mults], np.int64).reshape(shape)
    r = (acc * M + (np.int64(1) << (total - 1))) >> total
    r = np.clip(r, -2 ** 31, 2 ** 31 - 1)
    out = np.clip(r + yz, lo, hi)
    # Spot-check the vectorised form against the scalar one (Python ints).
    for idx in list(np.ndindex(acc.shape))[:: max(1, acc.size // 16)]:
        m, sh = mults[idx[chan_axis] if len(mults) > 1 else 0]
        assert out[idx] == min(max(mbqm_single(int(acc[idx]), m, sh) + yz, lo), hi)
    return out.astype(dtype)


def multiplier(s_in, s_w, s_out):
    # docs/arithmetic.md 3.1: double, in this order, from the binary32 values.
    return quantize_multiplier(float(np.float64(s_in) * np.float64(s_w) / np.float64(s_out)))


def conv(x, xs, xz, w, ws, wz, ys, yz, bias, attrs):
    n, ci, h, wd = x.shape
    co, cig, kh, kw = w.shape
    g = attrs.get("group", 1)
    sh, sw = attrs.get("strides", [1, 1])
    dh, dw = attrs.get("dilations", [1, 1])
    pt, pl, pb, pr = attrs.get("pads", [0, 0, 0, 0])
    oh = (h + pt + pb - (dh * (kh - 1) + 1)) // sh + 1
    ow = (wd + pl + pr - (dw * (kw - 1) + 1)) // sw + 1
    cog = co // g
    wzs = np.broadcast_to(np.asarray(wz, np.int64).reshape(-1), (co,))
    wc = w.astype(np.int64) - wzs.reshape(co, 1, 1, 1)
    xc = x.astype(np.int64) - int(xz)
    acc = np.zeros((n, co, oh, ow), np.int64)
    if bias is not None:
        acc += bias.astype(np.int64).reshape(1, co, 1, 1)
    for i in range(kh):
        r = np.arange(oh) * sh - pt + i * dh          # input row of each output row
        rin = (r >= 0) & (r < h)
        for j in range(kw):
            c = np.arange(ow) * sw - pl + j * dw
            cin = (c >= 0) & (c < wd)
            # Gather the tap for every output position; skip the padding ones.
            tap = xc[:, :, np.clip(r, 0, h - 1)][:, :, :, np.clip(c, 0, wd - 1)]
            tap = np.where(rin[:, None] & cin[None, :], tap, 0)          # [n, ci, oh, ow]
            for grp in range(g):
                acc[:, grp * cog:(grp + 1) * cog] += np.einsum(
                    "nchw,oc->nohw", tap[:, grp * cig:(grp + 1) * cig],
                    wc[grp * cog:(grp + 1) * cog, :, i, j])
    wsl = np.asarray(ws, np.float32).reshape(-1)
    mults = [multiplier(np.float32(xs), s, np.float32(ys)) for s in wsl]
    return requantize(acc, mults, 1, int(yz), x.dtype)


def matmul(a, as_, az, b, bs, bz, ys, yz):
    # Plain sum over k (einsum of the broadcast operands), exact in int64.
    a64 = a.astype(np.int64) - int(az)
    b64 = b.astype(np.int64) - int(bz)
    if b64.ndim == 2 and a64.ndim == 3:
        b64 = np.broadcast_to(b64, (a64.shape[0],) + b64.shape)
    acc = (a64[..., :, :, None] * b64[..., None, :, :]).sum(axis=-2)
    mults = [multiplier(np.float32(as_), np.float32(bs), np.float32(ys))]
    return requantize(acc, mults, 0, int(yz), a.dtype)


def run_case(d):
    model = onnx.load(os.path.join(d, "model.onnx"))
    op, names, attributes = compare.qlinear_node(model.graph)    # QDQ read as QLinear
    vals = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for i, gi in enumerate(n for n in model.graph.input if n.name not in vals):
        vals[gi.name] = np.load(os.path.join(d, "input_%d.npy" % i))
    ins = [vals[n] if n else None for n in names]
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in attributes}
    if op == "QLinearConv":
        return conv(*ins[:8], ins[8] if len(ins) > 8 else None, attrs)
    if op == "QLinearMatMul":
        return matmul(*ins)
    raise ValueError("%s: unsupported op %s" % (d, op))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--name", default="pyref", help="writes out_NAME.npy (default pyref)")
    args = ap.parse_args()
    cases = sorted(c for c in os.listdir(args.outdir) if c.startswith("case_"))
    skipped = 0
    for c in cases:
        d = os.path.join(args.outdir, c)
        if compare.is_extra(d):         # QLinearAdd, pools (--extra): not modelled here
            skipped += 1
            continue
        np.save(os.path.join(d, "out_%s.npy" % args.name), run_case(d))
    print("ref_single: %d cases, out_%s.npy%s" % (
        len(cases) - skipped, args.name,
        " (%d extra-op cases skipped)" % skipped if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
