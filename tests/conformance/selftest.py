#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
"""Check the conformance harness itself: that compare.py passes an exact
reference and catches the errors it must catch.

    /usr/bin/python3 tests/conformance/selftest.py OUTDIR

OUTDIR holds cases (gen_models.py) already run by ORT (ort_run.js) and by
ref_single.py (out_pyref.npy). Writes throw-away outputs out_st_*.npy into a
few case directories, compares them with compare.compare_executor, removes
them, and prints TAP:

  1  pyref (exact, ties up) against ORT: no failures
  2  one element off by 1 away from a tie: fails, "not at a tie"
  3  one element off by 2: fails, "difference 2"
  4  at an accepted tie, ours set to ORT's value (round to even): passes
  5  at an accepted tie, ours off by 1 on the far side: fails, "not the two
     rounding candidates"
  6  one case's output missing: fails
  7  one case's output of the wrong dtype: fails

Checks 1-7 use the QLinearConv / QLinearMatMul cases only (ref_single.py
models those); the extra ops (gen_models.py --extra) are checked on ORT's own
output, moved by a few LSBs:

  8  an extra op (tolerance 1) off by 1: passes, counted as accepted by tolerance
  9  an extra op (tolerance 1) off by 2: fails, "beyond the tolerance"
 10  a MaxPool (tolerance 0) off by 1: fails, "beyond the tolerance"

each skipped when the cases hold no such op.
"""

import os
import sys
from fractions import Fraction

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402


def cases_of(outdir, extra=False):
    """The conv / matmul cases, or with extra=True the extra-op cases."""
    return sorted(c for c in os.listdir(outdir) if c.startswith("case_") and
                  compare.is_extra(os.path.join(outdir, c)) == extra)


def find_extra(outdir, xcases, tolerance, step):
    """An extra-op (case, index) of that tolerance whose ORT output stays
    inside the type range when moved by step."""
    for c in xcases:
        d = os.path.join(outdir, c)
        if compare.extra_tolerance(d)[1] != tolerance:
            continue
        ort = np.load(os.path.join(d, "ort_output.npy"))
        lo, hi = compare.RANGE[ort.dtype]
        for idx in np.ndindex(ort.shape):
            if lo <= int(ort[idx]) + step <= hi:
                return c, idx
    return None, None


def find_non_tie(outdir, cases, step):
    """A (case, index) whose exact value is far from a tie and whose
    reference output stays inside the type range when moved by step."""
    for c in cases:
        d = os.path.join(outdir, c)
        ref = np.load(os.path.join(d, "out_pyref.npy"))
        lo, hi = compare.RANGE[ref.dtype]
        op, ins, attrs = compare.load_case(d)
        acc, mult_of, yz = compare.exact(op, ins, attrs)
        for idx in np.ndindex(ref.shape):
            if lo <= int(ref[idx]) + step <= hi and lo < int(ref[idx]) < hi:
                v = int(acc[idx]) * mult_of(idx)
                frac = v - v.numerator // v.denominator
                if abs(frac - Fraction(1, 2)) > Fraction(1, 10):
                    return c, idx
    raise SystemExit("selftest: no suitable element")


def find_tie(outdir, cases):
    for c in cases:
        d = os.path.join(outdir, c)
        ref = np.load(os.path.join(d, "out_pyref.npy"))
        ort = np.load(os.path.join(d, "ort_output.npy"))
        diff = np.argwhere(ref.astype(int) != ort.astype(int))
        if len(diff):
            return c, tuple(diff[0])
    return None, None


def main():
    if len(sys.argv) != 2:
        print("usage: selftest.py OUTDIR", file=sys.stderr)
        return 2
    outdir = sys.argv[1]
    cases = cases_of(outdir)
    xcases = cases_of(outdir, extra=True)
    if not cases:
        print("selftest: no QLinearConv / QLinearMatMul cases in %s" % outdir, file=sys.stderr)
        return 2
    written = []

    def put(name, case, arr):
        p = os.path.join(outdir, case, "out_%s.npy" % name)
        np.save(p, arr)
        written.append(p)

    def copy_all(name, skip=()):
        for c in cases:
            if c not in skip:
                put(name, c, np.load(os.path.join(outdir, c, "out_pyref.npy")))

    def ref_of(case):
        return np.load(os.path.join(outdir, case, "out_pyref.npy"))

    results = []

    def check(desc, name, want_fail, why=None, on=None, extra_accepted=None):
        st = compare.compare_executor(outdir, on or cases, name, 5)
        ok = (st["failures"] > 0) == want_fail
        if ok and why:
            ok = st["failures"] == 1 and why in st["failure_examples"][0]["why"]
        if ok and extra_accepted is not None:
            ok = st["extra_accepted"] == extra_accepted
        detail = "%d failures" % st["failures"]
        if st["failure_examples"]:
            detail += ": " + st["failure_examples"][0]["why"]
        if on:
            results.append((ok, "%s (%s; %d accepted by tolerance)" % (desc, detail,
                                                                        st["extra_accepted"])))
        else:
            results.append((ok, "%s (%s; %d ties accepted)" % (desc, detail, st["accepted"])))

    def ort_of(case):
        return np.load(os.path.join(outdir, case, "ort_output.npy"))

    def extra_check(desc, name, tolerance, step, want_fail):
        c, idx = find_extra(outdir, xcases, tolerance, step)
        if c is None:
            results.append((True, "# SKIP no extra op of tolerance %d in these cases" % tolerance))
            return
        for x in xcases:
            a = ort_of(x)
            if x == c:
                a[idx] += step
            put(name, x, a)
        check("%s %s%s %s" % (compare.extra_tolerance(os.path.join(outdir, c))[0], c,
                                list(idx), desc), name, want_fail,
              "beyond the tolerance" if want_fail else None, on=xcases,
              extra_accepted=None if want_fail else 1)

    try:
        check("pyref vs ORT has no failures", "pyref", False)

        c, idx = find_non_tie(outdir, cases, 1)
        copy_all("st_plus1", skip=(c,))
        a = ref_of(c)
        a[idx] += 1
        put("st_plus1", c, a)
        check("off by 1 at a non-tie %s%s is caught" % (c, list(idx)), "st_plus1", True,
              "not at a tie")

        c, idx = find_non_tie(outdir, cases, -2)
        copy_all("st_minus2", skip=(c,))
        a = ref_of(c)
        a[idx] -= 2
        put("st_minus2", c, a)
        check("off by 2 %s%s is caught" % (c, list(idx)), "st_minus2", True, "difference 2")

        c, idx = find_tie(outdir, cases)
        if c is None:
            results.append((True, "# SKIP no tie in these cases"))
            results.append((True, "# SKIP no tie in these cases"))
        else:
            ort = np.load(os.path.join(outdir, c, "ort_output.npy"))
            copy_all("st_even", skip=(c,))
            a = ref_of(c)
            a[idx] = ort[idx]
            put("st_even", c, a)
            check("tie %s%s rounded to even passes" % (c, list(idx)), "st_even", False)
            copy_all("st_far", skip=(c,))
            a = ref_of(c)
            far = 2 * int(ort[idx]) - int(a[idx])        # ORT's other side
            lo, hi = compare.RANGE[a.dtype]
            if lo <= far <= hi:
                a[idx] = far
                put("st_far", c, a)
                check("tie %s%s off by 1 on the far side is caught" % (c, list(idx)),
                      "st_far", True, "not the two rounding candidates")
            else:
                results.append((True, "# SKIP far side out of range"))

        copy_all("st_missing", skip=(cases[0],))
        check("a missing output is caught", "st_missing", True, "missing")

        copy_all("st_dtype", skip=(cases[0],))
        put("st_dtype", cases[0], ref_of(cases[0]).astype(np.int32))
        check("an output of the wrong dtype is caught", "st_dtype", True, "got int32")

        extra_check("off by 1 is accepted by tolerance", "st_x1", 1, 1, False)
        extra_check("off by 2 is caught", "st_x2", 1, -2, True)
        extra_check("off by 1 is caught (tolerance 0)", "st_xmax", 0, 1, True)
    finally:
        for p in written:
            if os.path.exists(p):
                os.unlink(p)

    print("1..%d" % len(results))
    for i, (ok, desc) in enumerate(results, 1):
        if desc.startswith("# SKIP"):
            print("ok %d %s" % (i, desc))
        else:
            print("%s %d - %s" % ("ok" if ok else "not ok", i, desc))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
