#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
"""Make the ONNX models the peer benchmark (ort_bench.js) times.

    /usr/bin/python3 bench/peers/make_bench_models.py OUTDIR

Writes OUTDIR/<name>.onnx (opset 13, one node each) and OUTDIR/bench.json,
a list of {"name", "file", "op", "macs", "inputs": [{"name", "dtype",
"shape"}]}. The shapes are those of bench/bench_emu.c, plus the MobileNet
shapes asked for the peer comparison:

  QLinearMatMul uint8 x int8, B constant: 256^3, 1024^3, 2048^3
  QLinearMatMul int8 x int8, B constant: 1024^3 (ORT's slower signed path)
  QLinearConv uint8 x int8 weights per channel, NCHW:
    3x3 1x56x56x64->64 pad 1; 1x1 1x56x56x64->128; 1x1 1x28x28x128->256;
    depthwise 3x3 1x56x56x128 (groups 128) pad 1; depthwise 3x3 1x112x112x32 pad 1
  FP32 MatMul 1024^3, for reference

Weights are random 7-bit values ([-64, 63], ORT's reduce_range, exact on every
x86 path; see tests/conformance/gen_models.py), scales plausible. Speed does
not depend on the values. Needs python3-onnx and numpy (Debian's /usr/bin/python3).
"""

import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

T = {"uint8": TensorProto.UINT8, "int8": TensorProto.INT8, "float32": TensorProto.FLOAT}
NP = {"uint8": np.uint8, "int8": np.int8, "float32": np.float32}


def save(outdir, name, node, inputs, output, inits):
    g = helper.make_graph([node], name, inputs, [output], inits)
    m = helper.make_model(g, producer_name="qnpu-make_bench_models",
                          opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    fname = name.replace(" ", "_").replace(">", "").replace("^", "") + ".onnx"
    onnx.save(m, os.path.join(outdir, fname))
    return fname


def scalar(name, v, dt):
    return numpy_helper.from_array(np.array(v, dtype=dt), name)


def qgemm(outdir, rng, n, adt="uint8"):
    name = "gemm %dx%dx%d %s" % (n, n, n, "u8s8" if adt == "uint8" else "s8s8")
    b = rng.integers(-64, 64, size=(n, n)).astype(np.int8)
    zp = 128 if adt == "uint8" else 0
    inits = [scalar("a_scale", 0.02, np.float32), scalar("a_zero_point", zp, NP[adt]),
             numpy_helper.from_array(b, "b"), scalar("b_scale", 0.004, np.float32),
             scalar("b_zero_point", 0, np.int8),
             scalar("y_scale", 0.02 * 0.004 * 32 * np.sqrt(n) / 4, np.float32),
             scalar("y_zero_point", zp, NP[adt])]
    node = helper.make_node("QLinearMatMul", ["a", "a_scale", "a_zero_point", "b", "b_scale",
                                              "b_zero_point", "y_scale", "y_zero_point"], ["y"])
    f = save(outdir, name, node, [helper.make_tensor_value_info("a", T[adt], [n, n])],
             helper.make_tensor_value_info("y", T[adt], [n, n]), inits)
    return {"name": name, "file": f, "op": "QLinearMatMul", "macs": n ** 3,
            "inputs": [{"name": "a", "dtype": adt, "shape": [n, n]}]}


def qconv(outdir, rng, label, h, w, ci, co, k, pad, groups):
    name = "%s 1x%dx%dx%d%s u8s8" % (label, h, w, ci, "" if groups > 1 else "->%d" % co)
    wt = rng.integers(-64, 64, size=(co, ci // groups, k, k)).astype(np.int8)
    ws = (0.002 * 2.0 ** rng.uniform(-1, 1, size=co)).astype(np.float32)
    bias = rng.integers(-2000, 2000, size=co).astype(np.int32)
    kk = k * k * (ci // groups)
    inits = [scalar("x_scale", 0.02, np.float32), scalar("x_zero_point", 0, np.uint8),
             numpy_helper.from_array(wt, "w"), numpy_helper.from_array(ws, "w_scale"),
             numpy_helper.from_array(np.zeros(co, np.int8), "w_zero_point"),
             scalar("y_scale", 0.02 * 0.002 * 24 * np.sqrt(kk), np.float32),
             scalar("y_zero_point", 128, np.uint8), numpy_helper.from_array(bias, "bias")]
    node = helper.make_node("QLinearConv", ["x", "x_scale", "x_zero_point", "w", "w_scale",
                                            "w_zero_point", "y_scale", "y_zero_point", "bias"],
                            ["y"], kernel_shape=[k, k], pads=[pad] * 4, strides=[1, 1],
                            group=groups)
    oh, ow = h + 2 * pad - k + 1, w + 2 * pad - k + 1
    f = save(outdir, name, node, [helper.make_tensor_value_info("x", T["uint8"], [1, ci, h, w])],
             helper.make_tensor_value_info("y", T["uint8"], [1, co, oh, ow]), inits)
    return {"name": name, "file": f, "op": "QLinearConv", "macs": oh * ow * co * kk,
            "inputs": [{"name": "x", "dtype": "uint8", "shape": [1, ci, h, w]}]}


def fgemm(outdir, rng, n):
    name = "gemm %dx%dx%d fp32" % (n, n, n)
    b = rng.standard_normal((n, n)).astype(np.float32)
    node = helper.make_node("MatMul", ["a", "b"], ["y"])
    f = save(outdir, name, node, [helper.make_tensor_value_info("a", T["float32"], [n, n])],
             helper.make_tensor_value_info("y", T["float32"], [n, n]),
             [numpy_helper.from_array(b, "b")])
    return {"name": name, "file": f, "op": "MatMul", "macs": n ** 3,
            "inputs": [{"name": "a", "dtype": "float32", "shape": [n, n]}]}


def main():
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        print("usage: make_bench_models.py OUTDIR", file=sys.stderr)
        return 2
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(2026)
    models = [
        qgemm(outdir, rng, 256),
        qgemm(outdir, rng, 1024),
        qgemm(outdir, rng, 2048),
        qgemm(outdir, rng, 1024, "int8"),
        qconv(outdir, rng, "conv 3x3", 56, 56, 64, 64, 3, 1, 1),
        qconv(outdir, rng, "conv 1x1", 56, 56, 64, 128, 1, 0, 1),
        qconv(outdir, rng, "conv 1x1", 28, 28, 128, 256, 1, 0, 1),
        qconv(outdir, rng, "depthwise 3x3", 56, 56, 128, 128, 3, 1, 128),
        qconv(outdir, rng, "depthwise 3x3", 112, 112, 32, 32, 3, 1, 32),
        fgemm(outdir, rng, 1024),
    ]
    with open(os.path.join(outdir, "bench.json"), "w") as f:
        json.dump(models, f, indent=1)
        f.write("\n")
    print("make_bench_models: %d models in %s" % (len(models), outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
