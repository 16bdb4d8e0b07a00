#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
"""Compare executors' outputs with ONNX Runtime's on the conformance cases.

    /usr/bin/python3 tests/conformance/compare.py OUTDIR --ours NAME... [--tap] [--show N]

For every case OUTDIR/case_NNNN/ (gen_models.py), compares out_<NAME>.npy (written
by the executor NAME, e.g. emu or ref) element by element with ort_output.npy
(ort_run.js). Equal elements pass. For an element that differs, the exact answer
is recomputed from the model's own integer data and binary32 scales:

    acc = bias[c] + sum over in-bounds taps of (x - x_zp) * (w - w_zp[c])
          (conv; padding taps contribute 0)   or   sum_k (a - a_zp) * (b - b_zp)
    v   = acc * x_scale * w_scale[c] / y_scale        (exact rationals)

and the difference is accepted only if it is 1, v lies within ORT's binary32
error of a tie k + 1/2 (see TIE_BOUND below), and the two outputs are exactly
the two candidates clamp(k + y_zp) and clamp(k + 1 + y_zp). Anything else (a
difference > 1, a 1-LSB difference away from a tie, a missing or misshapen
output) is a failure.

The other quantized ops (gen_models.py --extra: QLinearAdd, QLinearAveragePool,
QLinearGlobalAveragePool, their QDQ forms, MaxPool), whose case.json "op" is
neither QLinearConv nor QLinearMatMul, are compared with the case's
"tolerance" instead: an element differing by more fails, differences within
it are counted apart from the ties ("extra-op differences accepted by
tolerance"). libnpu requantizes them another way than ORT (fixed-point add
and rescale, average pooling rounding ties away from zero; ORT: binary32,
half to even; docs/arithmetic.md 4 and 5), so their tolerance is 1; MaxPool's
is 0.

Prints one summary per executor, writes OUTDIR/summary.json, prints TAP lines
(one per executor) with --tap, and exits 1 on any failure.
"""

import argparse
import json
import os
import sys
from fractions import Fraction

import numpy as np
import onnx
from onnx import numpy_helper

RANGE = {np.dtype(np.uint8): (0, 255), np.dtype(np.int8): (-128, 127)}

# ORT (MLAS) requantizes as rint((float)acc * m), m = fl(fl(x_scale * w_scale) / y_scale),
# all in binary32 with round-to-nearest-even. With u = 2^-24 (binary32 unit
# roundoff), each of the four roundings -- the product of the scales, the
# quotient, the conversion of acc (exact when |acc| <= 2^24) and the final
# product -- contributes a relative error of at most u, so ORT's float value
# is p = v (1 + e), |e| <= (1 + u)^4 - 1 = 4u + 6u^2 + ... Rounding p to the
# nearest integer can give a different result from rounding v only if a half
# integer lies between them (inclusive), i.e. |frac(v) - 1/2| <= |p - v| <=
# (4u + 7u^2) |v|. The absolute u covers the second-order terms (7u^2 |v| < u
# for |v| < 2^21, far above any unsaturated output) with room to spare. The
# other executor (qnpu's `single` mode) rounds acc * M / 2^(31 - shift) with
# M / 2^(31 - shift) = m_real (1 + d), |d| <= 2^-31 + 2^-53 (QuantizeMultiplier,
# docs/arithmetic.md 3.2), so it, too, can leave exact rounding only inside
# this bound, and otherwise only on exact ties (up vs. ORT's to-even).
U = Fraction(1, 2 ** 24)


def tie_bound(v):
    return 4 * U * abs(v) + U


# Ops judged by the tie rule; the case.json "op" of any other case names an
# extra op, judged by its "tolerance".
TIE_OPS = ("QLinearConv", "QLinearMatMul")


def extra_tolerance(d):
    """(op, tolerance) for an extra-op case directory, (op, None) for a
    conv / matmul case (or one without a readable case.json)."""
    try:
        with open(os.path.join(d, "case.json")) as f:
            desc = json.load(f)
    except (OSError, ValueError):
        return None, None
    op = desc.get("op")
    if op in TIE_OPS:
        return op, None
    return op, int(desc.get("tolerance", 0))


def is_extra(d):
    return extra_tolerance(d)[1] is not None


def qlinear_node(g):
    """The case's op as (op_type, input names, attributes) of a QLinearConv or
    QLinearMatMul, also when the model writes it in QDQ form
    (DequantizeLinear -> Conv/MatMul -> QuantizeLinear)."""
    if len(g.node) == 1:
        node = g.node[0]
        return node.op_type, list(node.input), node.attribute
    by_out = {o: n for n in g.node for o in n.output}
    core = [n for n in g.node if n.op_type in ("Conv", "MatMul")]
    quant = [n for n in g.node if n.op_type == "QuantizeLinear"]
    if len(core) != 1 or len(quant) != 1:
        raise ValueError("expected one QLinear op or one QDQ group")
    core, q = core[0], quant[0]

    def dq(name):
        n = by_out[name]
        if n.op_type != "DequantizeLinear":
            raise ValueError("%s is not dequantized" % name)
        return list(n.input) + [""] * (3 - len(n.input))

    ins = dq(core.input[0]) + dq(core.input[1]) + list(q.input[1:3])
    if core.op_type == "Conv":
        if len(core.input) > 2 and core.input[2]:
            ins.append(dq(core.input[2])[0])
        return "QLinearConv", ins, core.attribute
    return "QLinearMatMul", ins, core.attribute


def load_case(d):
    model = onnx.load(os.path.join(d, "model.onnx"))
    g = model.graph
    op, names, attributes = qlinear_node(g)
    vals = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    inits = set(vals)
    graph_inputs = [i.name for i in g.input if i.name not in inits]
    for i, name in enumerate(graph_inputs):
        vals[name] = np.load(os.path.join(d, "input_%d.npy" % i))
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in attributes}
    ins = [vals[n] if n else None for n in names]
    return op, ins, attrs


def exact_conv(ins, attrs):
    """acc (int64, NCHW) and, per output channel, the rational multiplier."""
    x, xs, xz, w, ws, wz, ys, yz = ins[:8]
    bias = ins[8] if len(ins) > 8 and ins[8] is not None else None
    n, ci, h, wd = x.shape
    co, cig, kh, kw = w.shape
    group = attrs.get("group", 1)
    sh, sw = attrs.get("strides", [1, 1])
    dh, dw = attrs.get("dilations", [1, 1])
    pt, pl, pb, pr = attrs.get("pads", [0, 0, 0, 0])
    # x - x_zp, zero-padded: a padding tap contributes (x_zp - x_zp) * w = 0.
    xp = np.zeros((n, ci, h + pt + pb, wd + pl + pr), np.int64)
    xp[:, :, pt:pt + h, pl:pl + wd] = x.astype(np.int64) - int(xz)
    wzc = np.broadcast_to(np.asarray(wz, np.int64).reshape(-1), (co,))
    wm = w.astype(np.int64) - wzc.reshape(co, 1, 1, 1)
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    # im2col: cols[n, g, cig*kh*kw, oh*ow]
    cols = np.empty((n, ci, kh, kw, oh, ow), np.int64)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                                  j * dw:j * dw + sw * (ow - 1) + 1:sw]
    cols = cols.reshape(n, group, cig * kh * kw, oh * ow)
    wg = wm.reshape(group, co // group, cig * kh * kw)
    acc = np.einsum("gok,ngkp->ngop", wg, cols).reshape(n, co, oh, ow)
    if bias is not None:
        acc += bias.astype(np.int64).reshape(1, co, 1, 1)
    wsc = np.broadcast_to(np.asarray(ws, np.float32).reshape(-1), (co,))
    mult = [Fraction(float(xs)) * Fraction(float(s)) / Fraction(float(ys)) for s in wsc]
    return acc, (lambda idx: mult[idx[1]]), int(yz)


def exact_matmul(ins):
    a, as_, az, b, bs, bz, ys, yz = ins
    acc = np.matmul(a.astype(np.int64) - int(az), b.astype(np.int64) - int(bz))
    m = Fraction(float(as_)) * Fraction(float(bs)) / Fraction(float(ys))
    return acc, (lambda idx: m), int(yz)


def exact(op, ins, attrs):
    if op == "QLinearConv":
        return exact_conv(ins, attrs)
    if op == "QLinearMatMul":
        return exact_matmul(ins)
    raise ValueError("unsupported op %s" % op)


def judge(ours, ort, acc, mult_of, yz, dtype, idxs):
    """Classify differing elements. Returns (accepted list, failures list)."""
    lo, hi = RANGE[dtype]
    acc_ok, bad = [], []
    for idx in idxs:
        idx = tuple(int(i) for i in idx)
        o, r = int(ours[idx]), int(ort[idx])
        v = int(acc[idx]) * mult_of(idx)
        k = v.numerator // v.denominator                 # floor(v)
        frac = v - k
        c0 = min(max(k + yz, lo), hi)
        c1 = min(max(k + 1 + yz, lo), hi)
        rec = {"index": list(idx), "ours": o, "ort": r, "acc": int(acc[idx]),
               "exact": float(v), "exact_plus_zp": float(v + yz)}
        near = abs(frac - Fraction(1, 2)) <= tie_bound(v)
        if abs(o - r) == 1 and near and c0 != c1 and {o, r} == {c0, c1}:
            rec["tie"] = "exact" if frac == Fraction(1, 2) else "near"
            acc_ok.append(rec)
        else:
            rec["why"] = ("difference %d" % abs(o - r) if abs(o - r) > 1 else
                          "1-LSB difference not at a tie (frac %.9f)" % float(frac) if not near else
                          "values are not the two rounding candidates %d, %d" % (c0, c1))
            bad.append(rec)
    return acc_ok, bad


def compare_executor(outdir, cases, name, show):
    st = {"executor": name, "cases": 0, "missing": 0, "elements": 0, "identical": 0,
          "accepted": 0, "accepted_exact_ties": 0, "accepted_near_ties": 0,
          "accepted_cases": 0, "max_diff": 0, "failures": 0, "failed_cases": 0,
          "extra_cases": 0, "extra_elements": 0, "extra_accepted": 0,
          "extra_accepted_cases": 0, "extra_ops": {},
          "failure_examples": [], "accepted_examples": [], "extra_accepted_examples": []}
    for c in cases:
        d = os.path.join(outdir, c)
        st["cases"] += 1
        fails = []
        xop, tol = extra_tolerance(d)
        if tol is not None:
            st["extra_cases"] += 1
            per_op = st["extra_ops"].setdefault(xop, {"cases": 0, "elements": 0, "accepted": 0,
                                                      "max_diff": 0, "failed_cases": 0,
                                                      "tolerance": tol})
            per_op["cases"] += 1
        try:
            ort = np.load(os.path.join(d, "ort_output.npy"))
        except OSError as e:
            fails.append({"why": "no ORT output: %s" % e})
            ort = None
        path = os.path.join(d, "out_%s.npy" % name)
        ours = None
        if ort is not None:
            if not os.path.exists(path):
                st["missing"] += 1
                fails.append({"why": "missing out_%s.npy" % name})
            else:
                ours = np.load(path)
                if ours.dtype != ort.dtype or ours.shape != ort.shape:
                    fails.append({"why": "got %s %s, ORT %s %s" % (
                        ours.dtype, list(ours.shape), ort.dtype, list(ort.shape))})
                    ours = None
        if ours is not None:
            diff = np.abs(ours.astype(np.int64) - ort.astype(np.int64))
            st["elements"] += diff.size
            st["identical"] += int(np.count_nonzero(diff == 0))
            st["max_diff"] = max(st["max_diff"], int(diff.max()) if diff.size else 0)
            idxs = np.argwhere(diff != 0)
            if tol is not None:
                # An extra op: within the tolerance is accepted (counted), beyond fails.
                within = int(np.count_nonzero((diff != 0) & (diff <= tol)))
                st["extra_elements"] += diff.size
                st["extra_accepted"] += within
                st["extra_accepted_cases"] += bool(within)
                per_op["elements"] += diff.size
                per_op["accepted"] += within
                per_op["max_diff"] = max(per_op["max_diff"], int(diff.max()) if diff.size else 0)
                for idx in idxs:
                    idx = tuple(int(i) for i in idx)
                    rec = {"op": xop, "index": list(idx), "ours": int(ours[idx]),
                           "ort": int(ort[idx])}
                    if diff[idx] > tol:
                        rec["why"] = "%s: difference %d beyond the tolerance %d" % (
                            xop, diff[idx], tol)
                        fails.append(rec)
                    elif len(st["extra_accepted_examples"]) < 20:
                        st["extra_accepted_examples"].append(dict(case=c, **rec))
            elif len(idxs):
                try:
                    op, ins, attrs = load_case(d)
                    acc, mult_of, yz = exact(op, ins, attrs)
                    if acc.shape != ort.shape:
                        raise ValueError("exact shape %s != ORT %s" % (list(acc.shape),
                                                                      list(ort.shape)))
                    ok, bad = judge(ours, ort, acc, mult_of, yz, ort.dtype, idxs)
                except Exception as e:            # a harness problem is a failure too
                    ok, bad = [], [{"why": "cannot recompute: %s" % e}]
                st["accepted"] += len(ok)
                st["accepted_exact_ties"] += sum(r["tie"] == "exact" for r in ok)
                st["accepted_near_ties"] += sum(r["tie"] == "near" for r in ok)
                st["accepted_cases"] += bool(ok)
                for r in ok:
                    # every near tie, and a few exact ones
                    if r["tie"] == "near" or len(st["accepted_examples"]) < 10:
                        if len(st["accepted_examples"]) < 100:
                            st["accepted_examples"].append(dict(case=c, **r))
                fails += bad
        if fails:
            if tol is not None:
                per_op["failed_cases"] += 1
            st["failed_cases"] += 1
            st["failures"] += len(fails)
            for f in fails:
                if len(st["failure_examples"]) < max(show, 20):
                    st["failure_examples"].append(dict(case=c, **f))
    st["identical_share"] = st["identical"] / st["elements"] if st["elements"] else 0.0
    return st


def fmt_failure(f):
    s = "  %s" % f["case"]
    if "index" in f and "exact" not in f:          # an extra op
        s += " %s: ours %d, ORT %d: " % (f["index"], f["ours"], f["ort"])
    elif "index" in f:
        s += " %s: ours %d, ORT %d, exact %.6f + zp = %.6f (acc %d): " % (
            f["index"], f["ours"], f["ort"], f["exact"], f["exact_plus_zp"], f["acc"])
    else:
        s += ": "
    return s + f["why"]


def ort_version():
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = os.path.join(top, "build", "node", "node_modules", "onnxruntime-node", "package.json")
    try:
        with open(p) as f:
            return "onnxruntime-node " + json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--ours", nargs="+", required=True, metavar="NAME",
                    help="executor names: compares out_NAME.npy with ort_output.npy")
    ap.add_argument("--tap", action="store_true", help="also print TAP, one test per executor")
    ap.add_argument("--show", type=int, default=5, help="failures printed per executor")
    args = ap.parse_args()

    cases = sorted(c for c in os.listdir(args.outdir)
                   if c.startswith("case_") and os.path.isdir(os.path.join(args.outdir, c)))
    if not cases:
        print("compare: no cases in %s" % args.outdir, file=sys.stderr)
        return 2
    results = [compare_executor(args.outdir, cases, n, args.show) for n in args.ours]
    ref = ort_version() or "onnxruntime"

    tap = []
    for st in results:
        extra = ""
        if st["extra_cases"]:
            extra = ("%d 1-LSB differences in extra ops, accepted by tolerance (%d of %d "
                     "extra-op cases, %d elements), " % (
                         st["extra_accepted"], st["extra_accepted_cases"], st["extra_cases"],
                         st["extra_elements"]))
        print("%s vs %s: %d cases (%d missing), %d elements, %.4f%% identical, "
              "%d accepted 1-LSB tie differences (%d exact ties, %d near ties) in %d cases, "
              "%slargest difference %d, %d failures in %d cases" % (
                  st["executor"], ref, st["cases"], st["missing"], st["elements"],
                  100.0 * st["identical_share"], st["accepted"], st["accepted_exact_ties"],
                  st["accepted_near_ties"], st["accepted_cases"], extra, st["max_diff"],
                  st["failures"], st["failed_cases"]))
        if st["extra_cases"]:
            print("  extra ops: " + "; ".join(
                "%s %d cases, %d accepted, largest %d (tolerance %d)%s" % (
                    op, o["cases"], o["accepted"], o["max_diff"], o["tolerance"],
                    ", %d failed" % o["failed_cases"] if o["failed_cases"] else "")
                for op, o in sorted(st["extra_ops"].items())))
        for f in st["failure_examples"][:args.show]:
            print(fmt_failure(f))
        if st["failures"] > args.show:
            print("  ... %d more failures (see summary.json)" % (st["failures"] - args.show))
        desc = "conformance %s vs %s: %d cases, %d elements, %.4f%% identical, %d ties accepted" % (
            st["executor"], ref, st["cases"], st["elements"], 100.0 * st["identical_share"],
            st["accepted"])
        if st["extra_cases"]:
            desc += ", %d extra-op 1-LSB differences accepted by tolerance in %d extra-op cases" % (
                st["extra_accepted"], st["extra_cases"])
        if st["failures"]:
            desc += ", %d failures in %d cases" % (st["failures"], st["failed_cases"])
        tap.append(("not ok" if st["failures"] else "ok", desc))

    with open(os.path.join(args.outdir, "summary.json"), "w") as f:
        json.dump({"reference": ref, "tie_bound": "4*2^-24*|v| + 2^-24",
                   "executors": {st["executor"]: st for st in results}}, f, indent=1)
        f.write("\n")
    if args.tap:
        print("1..%d" % len(tap))
        for i, (res, desc) in enumerate(tap, 1):
            print("%s %d - %s" % (res, i, desc))
    return 1 if any(st["failures"] for st in results) else 0


if __name__ == "__main__":
    sys.exit(main())
