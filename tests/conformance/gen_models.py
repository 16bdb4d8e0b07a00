#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
"""Generate random QLinearConv / QLinearMatMul conformance cases.

    /usr/bin/python3 tests/conformance/gen_models.py OUTDIR [--count N] [--seed S]
        [--max-batch B] [--u8-weights SHARE] [--weight-zp symmetric|any]

Each case is a directory OUTDIR/case_NNNN/ holding

  model.onnx    one QLinearConv or QLinearMatMul node, opset 13, default domain.
                Weights, scales, zero-points and bias are initializers; only
                activations are graph inputs (x; or a, and b when the second
                matmul operand is a runtime input). Output y has the input's
                type. Checked with onnx.checker.
  input_0.npy   the first graph input (NCHW for conv)
  input_1.npy   the second matmul operand, when it is a graph input
  case.json     everything needed to recompute the exact answer: op, shapes,
                dtypes, scales (binary32 values, written as the exact decimal
                of the double holding them and as the hex bits), zero-points,
                conv attributes, and tags describing what the case exercises.

Case i depends only on (seed, i), so `--count 10` makes the first ten cases of
`--count 500`. Python 3 (Debian's /usr/bin/python3: python3-onnx 1.12, numpy).

What ONNX Runtime 1.30 (CPU) accepts, checked by hand (see README.md):
  activations uint8 x weights int8 and uint8, activations int8 x weights int8;
  int8 activations x uint8 weights has no kernel. QLinearMatMul likewise
  (u8 x u8, u8 x s8, s8 x s8). Per-channel weight zero-points are accepted.

Weights follow the qnpu contract (docs/arithmetic.md 1.1, 1.6) unless
--weight-zp any: int8 weights are symmetric (zero-point 0); uint8 weights have
zero-point 128, or another zero-point z with every w - z in [-128, 127].
With uint8 activations, int8 weights (and int8 B) are 7-bit unless
--u8s8-range full: see U8S8_NOTE.

Regenerating into an existing OUTDIR rewrites cases 0..N-1 (dropping their old
outputs) and removes case directories numbered N and above.
"""

import argparse
import json
import os
import re
import shutil
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
MS_DOMAIN = "com.microsoft"     # ONNX Runtime's contrib ops (QLinearAdd, QLinear*Pool)

# U8S8_NOTE. ONNX Runtime's uint8 x int8 GEMM on x86-64 CPUs without VNNI
# (AVX2 only: vpmaddubsw) adds pairs of adjacent u8*s8 products in int16 with
# saturation, so for full-range weights it is not exact: 2*255*127 > 32767.
# Checked on this project's AVX2 machine with ORT 1.30: every differing
# QLinearMatMul u8 x s8 output is reproduced by saturating those pair sums.
# ORT's documented remedy is reduce_range (7-bit weights): with w in
# [-64, 63], |pair| <= 2*255*64 = 32640 never saturates, so ORT is exact on
# every x86 path. Full-range int8 weights are still covered by the int8 x
# int8 cases (exact in ORT), and --u8s8-range full brings them back here.
NP = {"uint8": np.uint8, "int8": np.int8}
ONNX_T = {"uint8": TensorProto.UINT8, "int8": TensorProto.INT8}
RANGE = {"uint8": (0, 255), "int8": (-128, 127)}


def f32(v):
    """The binary32 value nearest v, as a Python float (exact)."""
    return float(np.float32(v))


def f32_hex(v):
    return "0x%08x" % struct.unpack("<I", struct.pack("<f", v))[0]


def log_uniform(rng, lo_exp, hi_exp):
    return f32(2.0 ** rng.uniform(lo_exp, hi_exp))


def pick_zp(rng, dtype, extreme_share=0.35):
    lo, hi = RANGE[dtype]
    if rng.random() < extreme_share:
        return int(rng.choice([lo, hi]))
    return int(rng.integers(lo, hi + 1))


def activations(rng, shape, dtype, zp, limits=None):
    """Uniform over the whole range (or limits), or clustered around the
    zero-point, or mostly at the extremes (saturation of the accumulator's
    inputs)."""
    lo, hi = limits or RANGE[dtype]
    r = rng.random()
    if r < 0.6:
        a = rng.integers(lo, hi + 1, size=shape)
    elif r < 0.9:
        spread = rng.uniform(2, 60)
        a = np.rint(rng.normal(zp, spread, size=shape))
    else:
        a = rng.choice([lo, hi, zp], size=shape)
    return np.clip(a, lo, hi).astype(NP[dtype])


def pick_output_quant(rng, real, dtype, pow2, tags):
    """Output scale and zero-point from the exact real outputs (acc * x_scale *
    w_scale, float64), as a calibrating quantizer would, so that outputs are
    neither all saturated nor all zero: the 2..98th percentile range, widened
    to hold 0, spans 30..400 output steps (above 255, the tails saturate). In 35% of the cases
    the zero-point is the type's minimum or maximum instead (a ReLU-like or
    all-negative output), when at least 40% of the values lie on the side
    it can represent."""
    lo, hi = RANGE[dtype]
    r = real.ravel()
    steps = 2.0 ** rng.uniform(np.log2(30), np.log2(400))
    y_zp = None
    if rng.random() < 0.35 and r.size:
        sides = [(z, side) for z, side in ((lo, r[r > 0]), (hi, -r[r < 0]))
                 if side.size >= 0.4 * r.size]
        if sides:
            y_zp, side = sides[int(rng.integers(len(sides)))]
            y = float(np.percentile(side, 90)) / (steps * 0.6)
    if y_zp is None:
        # Asymmetric min/max calibration over the 2..98th percentiles, the
        # range widened to hold real 0 (as quantizers do, so 0 is exact).
        a, b = (float(v) for v in np.percentile(r, [2, 98])) if r.size else (0.0, 0.0)
        a, b = min(a, 0.0), max(b, 0.0)
        if b - a <= 0.0:                 # all-zero output
            a, b = -1e-3, 1e-3
        y = (b - a) / steps
        zp = lo - a / y + rng.normal(0.0, 4.0)
        y_zp = int(min(max(round(zp), lo), hi))
    if pow2:
        y = 2.0 ** round(np.log2(y))
    if y_zp in (lo, hi) and "zp_extreme" not in tags:
        tags.append("zp_extreme")
    return f32(min(max(y, 2.0 ** -30), 2.0 ** 10)), y_zp


def conv_acc_int(x, w, bias, xzp, wzp, strides, pads, dilations, group):
    """Exact int64 accumulators (the generator's own helper, used only to pick
    y_scale). x NCHW, w [Co, Ci/g, KH, KW], padding filled with xzp."""
    n, ci, h, wd = x.shape
    co, cig, kh, kw = w.shape
    pt, pl, pb, pr = pads
    xp = np.full((n, ci, h + pt + pb, wd + pl + pr), xzp, np.int64)
    xp[:, :, pt:pt + h, pl:pl + wd] = x
    xp -= xzp
    wz = w.astype(np.int64) - np.asarray(wzp, np.int64).reshape(-1, 1, 1, 1)
    oh = (h + pt + pb - (dilations[0] * (kh - 1) + 1)) // strides[0] + 1
    ow = (wd + pl + pr - (dilations[1] * (kw - 1) + 1)) // strides[1] + 1
    cog = co // group
    out = np.zeros((n, co, oh, ow), np.int64)
    for g in range(group):
        for i in range(kh):
            for j in range(kw):
                r0, c0 = i * dilations[0], j * dilations[1]
                patch = xp[:, g * cig:(g + 1) * cig,
                           r0:r0 + strides[0] * (oh - 1) + 1:strides[0],
                           c0:c0 + strides[1] * (ow - 1) + 1:strides[1]]
                out[:, g * cog:(g + 1) * cog] += np.einsum(
                    "nchw,oc->nohw", patch, wz[g * cog:(g + 1) * cog, :, i, j])
    if bias is not None:
        out += bias.astype(np.int64).reshape(1, -1, 1, 1)
    return out


def make_model(node, inputs, output, inits):
    nodes = node if isinstance(node, list) else [node]
    graph = helper.make_graph(nodes, "qnpu_conformance", inputs, [output], inits)
    opsets = [helper.make_opsetid("", OPSET)]
    if any(n.domain == MS_DOMAIN for n in nodes):
        opsets.append(helper.make_opsetid(MS_DOMAIN, 1))
    model = helper.make_model(graph, producer_name="qnpu-gen_models",
                              opset_imports=opsets)
    model.ir_version = 8            # what onnx 1.12 writes for opset 13..17
    onnx.checker.check_model(model, full_check=True)
    return model


def scalar_init(name, value, dtype):
    return numpy_helper.from_array(np.array(value, dtype=dtype), name)


def gen_conv(rng, args, tags):
    xdt = "uint8" if rng.random() < 0.5 else "int8"
    wdt = "int8"
    if xdt == "uint8" and rng.random() < args.u8_weights:
        wdt = "uint8"

    # Channel structure.
    r = rng.random()
    if r < 0.5:
        group, cig, cog = 1, int(rng.integers(1, 25)), int(rng.integers(1, 25))
    elif r < 0.7:
        group = int(rng.integers(2, 5))
        cig = int(rng.integers(1, 24 // group + 1))
        cog = int(rng.integers(1, 24 // group + 1))
        tags.append("grouped")
    else:
        group = int(rng.integers(1, 25))
        cig, cog = 1, 1
        tags.append("depthwise")
    ci, co = group * cig, group * cog
    batch = 1 if args.max_batch <= 1 or rng.random() < 0.85 else int(rng.integers(2, args.max_batch + 1))

    # Geometry: kernel 1..5 (dilated extent within the padded input).
    while True:
        h, wd = int(rng.integers(1, 18)), int(rng.integers(1, 18))
        kh, kw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        if rng.random() < 0.6:
            kw = kh
        dh = 1 if rng.random() < 0.7 else 2
        dw = dh if rng.random() < 0.7 else 3 - dh
        sh = int(rng.integers(1, 4))
        sw = sh if rng.random() < 0.7 else int(rng.integers(1, 4))
        eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
        pr = rng.random()
        if pr < 0.25:
            pads = [0, 0, 0, 0]
        elif pr < 0.6:                   # symmetric, "same"-like
            pads = [min(eh // 2, 3), min(ew // 2, 3)] * 2
        else:                            # asymmetric, each below the window
            pads = [int(rng.integers(0, min(eh, 4))), int(rng.integers(0, min(ew, 4))),
                    int(rng.integers(0, min(eh, 4))), int(rng.integers(0, min(ew, 4)))]
        if eh <= h + pads[0] + pads[2] and ew <= wd + pads[1] + pads[3]:
            break
    if pads[0] != pads[2] or pads[1] != pads[3]:
        tags.append("asym_pads")
    if max(dh, dw) > 1:
        tags.append("dilated")
    if max(sh, sw) > 1:
        tags.append("strided")
    strides, dilations = [sh, sw], [dh, dw]

    pow2 = rng.random() < 0.12
    if pow2:
        tags.append("pow2_scales")
    x_zp = pick_zp(rng, xdt)
    if x_zp in RANGE[xdt]:
        tags.append("zp_extreme")
    x_scale = f32(2.0 ** int(rng.integers(-10, -1))) if pow2 else log_uniform(rng, -10, -2)

    per_channel = rng.random() < 0.6
    nws = co if per_channel else 1
    if per_channel:
        tags.append("per_channel")
    if pow2:
        w_scale = [f32(2.0 ** int(rng.integers(-12, -3))) for _ in range(nws)]
    else:
        w_scale = [log_uniform(rng, -12, -4) for _ in range(nws)]

    x = activations(rng, (batch, ci, h, wd), xdt, x_zp)
    wshape = (co, cig, kh, kw)
    if wdt == "int8":
        if args.weight_zp == "any":
            w_zp = [int(rng.integers(-128, 128)) for _ in range(nws)]
        else:
            w_zp = [0] * nws
        if xdt == "uint8" and args.u8s8_range == "reduced":
            w = rng.integers(-64, 64, size=wshape)      # 7 bits: see U8S8_NOTE
            tags.append("w7bit")
        else:
            w = rng.integers(-128, 128, size=wshape)
            if rng.random() < 0.2:       # symmetric quantizers never emit -128
                w = np.clip(w, -127, 127)
    else:
        tags.append("u8_weights")
        if args.weight_zp == "any":
            w_zp = [int(rng.integers(0, 256)) for _ in range(nws)]
            w = rng.integers(0, 256, size=wshape)
        else:
            # 128, or z with w - z in [-128, 127] (docs/arithmetic.md 1.6)
            z = 128 if rng.random() < 0.6 else int(rng.integers(0, 256))
            w_zp = [z] * nws
            lo, hi = max(0, z - 128), min(255, z + 127)
            w = rng.integers(lo, hi + 1, size=wshape)
    w = w.astype(NP[wdt])
    if len(set(w_zp)) > 1:
        tags.append("per_channel_wzp")
    elif w_zp[0] != (0 if wdt == "int8" else 128):
        tags.append("wzp_offset")

    acc = conv_acc_int(x, w, None, x_zp, w_zp, strides, pads, dilations, group)
    bias = None
    if rng.random() < 0.6:
        tags.append("bias")
        sd = max(float(np.std(acc)), 1.0)
        if rng.random() < 0.1:
            bias = rng.integers(-2 ** 24, 2 ** 24, size=co)     # large: saturating channels
            tags.append("large_bias")
        else:
            bias = np.rint(rng.uniform(-2, 2, size=co) * sd)
        bias = bias.astype(np.int32)
        acc = acc + bias.astype(np.int64).reshape(1, -1, 1, 1)
    ws_arr = np.array(w_scale, np.float64).reshape(1, -1, 1, 1)
    real = acc.astype(np.float64) * x_scale * ws_arr
    y_scale, y_zp = pick_output_quant(rng, real, xdt, pow2, tags)
    y_shape = list(acc.shape)

    ws_np = np.array(w_scale, np.float32)
    wz_np = np.array(w_zp, NP[wdt])
    if not per_channel:
        ws_np, wz_np = ws_np.reshape(()), wz_np.reshape(())
    inits = [
        scalar_init("x_scale", x_scale, np.float32),
        scalar_init("x_zero_point", x_zp, NP[xdt]),
        numpy_helper.from_array(w, "w"),
        numpy_helper.from_array(ws_np, "w_scale"),
        numpy_helper.from_array(wz_np, "w_zero_point"),
        scalar_init("y_scale", y_scale, np.float32),
        scalar_init("y_zero_point", y_zp, NP[xdt]),
    ]
    node_in = ["x", "x_scale", "x_zero_point", "w", "w_scale", "w_zero_point",
               "y_scale", "y_zero_point"]
    if bias is not None:
        inits.append(numpy_helper.from_array(bias, "bias"))
        node_in.append("bias")
    node = helper.make_node("QLinearConv", node_in, ["y"], kernel_shape=[kh, kw],
                            strides=strides, pads=pads, dilations=dilations, group=group)
    if rng.random() < args.qdq:
        # The same computation in QDQ form: DequantizeLinear -> Conv ->
        # QuantizeLinear, the bias an int32 tensor of scale x_scale * w_scale.
        tags.append("qdq")
        node = [
            helper.make_node("DequantizeLinear", ["x", "x_scale", "x_zero_point"], ["xf"]),
            helper.make_node("DequantizeLinear", ["w", "w_scale", "w_zero_point"], ["wf"],
                             axis=0),
            helper.make_node("Conv", ["xf", "wf"] + (["bf"] if bias is not None else []),
                             ["yf"], kernel_shape=[kh, kw], strides=strides, pads=pads,
                             dilations=dilations, group=group),
            helper.make_node("QuantizeLinear", ["yf", "y_scale", "y_zero_point"], ["y"]),
        ]
        if bias is not None:
            bs = (np.float32(x_scale) * ws_np).astype(np.float32)
            inits += [numpy_helper.from_array(bs, "bias_scale"),
                      numpy_helper.from_array(np.zeros(bs.shape, np.int32), "bias_zero_point")]
            node.insert(2, helper.make_node("DequantizeLinear",
                                            ["bias", "bias_scale", "bias_zero_point"], ["bf"],
                                            axis=0))
    model = make_model(node, [helper.make_tensor_value_info("x", ONNX_T[xdt], list(x.shape))],
                       helper.make_tensor_value_info("y", ONNX_T[xdt], y_shape), inits)
    desc = {
        "op": "QLinearConv", "dtype": xdt, "w_dtype": wdt,
        "x_shape": list(x.shape), "w_shape": list(wshape), "y_shape": y_shape,
        "kernel_shape": [kh, kw], "strides": strides, "pads": pads,
        "dilations": dilations, "group": group,
        "x_scale": x_scale, "x_zero_point": x_zp,
        "w_scale": w_scale, "w_zero_point": w_zp, "per_channel": per_channel,
        "y_scale": y_scale, "y_zero_point": y_zp, "has_bias": bias is not None,
        "inputs": [{"name": "x", "file": "input_0.npy", "dtype": xdt, "shape": list(x.shape)}],
    }
    return model, [x], desc


def gen_matmul(rng, args, tags):
    adt = "uint8" if rng.random() < 0.5 else "int8"
    # ORT kernels: u8 x u8, u8 x s8, s8 x s8.
    bdt = ("uint8" if rng.random() < 0.5 else "int8") if adt == "uint8" else "int8"
    b_input = rng.random() < 0.5
    tags.append("b_input" if b_input else "b_const")
    m, k, n = (int(v) for v in rng.integers(1, 41, size=3))
    if rng.random() < 0.15:
        k = int(rng.integers(41, 300))
        tags.append("long_k")
    if rng.random() < 0.5:
        ashape, bshape = [m, k], [k, n]
    else:
        nb = int(rng.integers(1, 5))
        ashape = [nb, m, k]
        bshape = [nb, k, n] if rng.random() < 0.6 else [k, n]
        tags.append("batched" if len(bshape) == 3 else "batched_bcast_b")
    pow2 = rng.random() < 0.12
    if pow2:
        tags.append("pow2_scales")
    a_zp, b_zp = pick_zp(rng, adt), pick_zp(rng, bdt)
    if a_zp in RANGE[adt] or b_zp in RANGE[bdt]:
        tags.append("zp_extreme")
    if pow2:
        a_scale = f32(2.0 ** int(rng.integers(-10, -1)))
        b_scale = f32(2.0 ** int(rng.integers(-10, -1)))
    else:
        a_scale, b_scale = log_uniform(rng, -10, -2), log_uniform(rng, -10, -2)
    a = activations(rng, ashape, adt, a_zp)
    if adt == "uint8" and bdt == "int8" and args.u8s8_range == "reduced":
        b = activations(rng, bshape, bdt, b_zp, limits=(-64, 63))     # see U8S8_NOTE
        tags.append("b7bit")
    else:
        b = activations(rng, bshape, bdt, b_zp)
    acc = np.matmul(a.astype(np.int64) - a_zp, b.astype(np.int64) - b_zp)
    y_scale, y_zp = pick_output_quant(rng, acc.astype(np.float64) * a_scale * b_scale,
                                      adt, pow2, tags)
    y_shape = list(acc.shape)

    inits = [
        scalar_init("a_scale", a_scale, np.float32),
        scalar_init("a_zero_point", a_zp, NP[adt]),
        scalar_init("b_scale", b_scale, np.float32),
        scalar_init("b_zero_point", b_zp, NP[bdt]),
        scalar_init("y_scale", y_scale, np.float32),
        scalar_init("y_zero_point", y_zp, NP[adt]),
    ]
    gin = [helper.make_tensor_value_info("a", ONNX_T[adt], ashape)]
    ins = [{"name": "a", "file": "input_0.npy", "dtype": adt, "shape": ashape}]
    arrays = [a]
    if b_input:
        gin.append(helper.make_tensor_value_info("b", ONNX_T[bdt], bshape))
        ins.append({"name": "b", "file": "input_1.npy", "dtype": bdt, "shape": bshape})
        arrays.append(b)
    else:
        inits.append(numpy_helper.from_array(b, "b"))
    node = helper.make_node("QLinearMatMul", ["a", "a_scale", "a_zero_point", "b", "b_scale",
                                              "b_zero_point", "y_scale", "y_zero_point"], ["y"])
    if rng.random() < args.qdq:
        tags.append("qdq")
        node = [
            helper.make_node("DequantizeLinear", ["a", "a_scale", "a_zero_point"], ["af"]),
            helper.make_node("DequantizeLinear", ["b", "b_scale", "b_zero_point"], ["bf"]),
            helper.make_node("MatMul", ["af", "bf"], ["yf"]),
            helper.make_node("QuantizeLinear", ["yf", "y_scale", "y_zero_point"], ["y"]),
        ]
    model = make_model(node, gin, helper.make_tensor_value_info("y", ONNX_T[adt], y_shape), inits)
    desc = {
        "op": "QLinearMatMul", "dtype": adt, "b_dtype": bdt,
        "a_shape": ashape, "b_shape": bshape, "y_shape": y_shape, "b_is_input": b_input,
        "a_scale": a_scale, "a_zero_point": a_zp, "b_scale": b_scale, "b_zero_point": b_zp,
        "y_scale": y_scale, "y_zero_point": y_zp, "inputs": ins,
    }
    return model, arrays, desc


# ---- The other quantized ops libnpu imports (--extra) ----
#
# They requantize differently from ONNX Runtime: libnpu adds with TFLite's
# fixed-point scheme, averages raw int8 values rounding ties away from zero
# and then rescales (docs/arithmetic.md 4.1, 4.2, 5.2, 5.3), while ORT
# computes in binary32 and rounds half to even. compare.py accepts a 1-LSB
# difference for them ("tolerance": 1 in case.json); max pooling only moves
# values, so MaxPool must be exact ("tolerance": 0).
EXTRA_KINDS = ("QLinearAdd", "QDQ Add", "QLinearAveragePool", "QDQ AveragePool",
               "QLinearGlobalAveragePool", "QDQ GlobalAveragePool", "MaxPool", "QDQ MaxPool")


def pool_shape(rng, args, tags):
    batch = 1 if args.max_batch <= 1 or rng.random() < 0.85 else int(rng.integers(2, args.max_batch + 1))
    if batch > 1:
        tags.append("batched")
    return [batch, int(rng.integers(1, 25)), int(rng.integers(1, 18)), int(rng.integers(1, 18))]


def pool_geometry(rng, h, w, tags):
    """kernel 1..5, strides 1..3, pads each below the kernel (ORT's rule,
    which also gives every window a tap inside the input), no ceil_mode."""
    while True:
        kh, kw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        if rng.random() < 0.6:
            kw = kh
        sh = int(rng.integers(1, 4))
        sw = sh if rng.random() < 0.7 else int(rng.integers(1, 4))
        pr = rng.random()
        if pr < 0.4:
            pads = [0, 0, 0, 0]
        elif pr < 0.7:                   # symmetric, "same"-like
            pads = [kh // 2, kw // 2] * 2
        else:                            # asymmetric, each below the window
            pads = [int(rng.integers(0, kh)), int(rng.integers(0, kw)),
                    int(rng.integers(0, kh)), int(rng.integers(0, kw))]
        if kh <= h + pads[0] + pads[2] and kw <= w + pads[1] + pads[3]:
            break
    if any(pads):
        tags.append("padded")
    if pads[0] != pads[2] or pads[1] != pads[3]:
        tags.append("asym_pads")
    if max(sh, sw) > 1:
        tags.append("strided")
    return [kh, kw], [sh, sw], pads


def pool_reduce(x, kernel, strides, pads):
    """Sums, tap counts and maxima over the in-bounds taps of every window
    (int64; padding taps skipped, as count_include_pad = 0 and MaxPool do)."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (pt, pl, pb, pr) = kernel, strides, pads
    oh, ow = (h + pt + pb - kh) // sh + 1, (w + pl + pr - kw) // sw + 1
    sums = np.zeros((n, c, oh, ow), np.int64)
    maxs = np.zeros((n, c, oh, ow), np.int64)
    counts = np.zeros((oh, ow), np.int64)
    x64 = x.astype(np.int64)
    for i in range(oh):
        r0, r1 = max(i * sh - pt, 0), min(i * sh - pt + kh, h)
        for j in range(ow):
            c0, c1 = max(j * sw - pl, 0), min(j * sw - pl + kw, w)
            win = x64[:, :, r0:r1, c0:c1]
            sums[:, :, i, j] = win.sum(axis=(2, 3))
            maxs[:, :, i, j] = win.max(axis=(2, 3))
            counts[i, j] = (r1 - r0) * (c1 - c0)
    return sums, counts, maxs


def x_quant(rng, dtype, pow2, tags):
    zp = pick_zp(rng, dtype)
    if zp in RANGE[dtype] and "zp_extreme" not in tags:
        tags.append("zp_extreme")
    scale = f32(2.0 ** int(rng.integers(-10, -1))) if pow2 else log_uniform(rng, -10, -2)
    return scale, zp


def gen_add(rng, args, tags, qdq):
    dt = "uint8" if rng.random() < 0.5 else "int8"
    r = rng.random()
    if r < 0.6:
        shape = pool_shape(rng, args, tags)
    elif r < 0.8:
        shape = [int(v) for v in rng.integers(1, 41, size=2)]
    else:
        shape = [int(rng.integers(1, 5))] + [int(v) for v in rng.integers(1, 25, size=2)]
    pow2 = rng.random() < 0.12
    if pow2:
        tags.append("pow2_scales")
    a_scale, a_zp = x_quant(rng, dt, pow2, tags)
    b_scale, b_zp = x_quant(rng, dt, pow2, tags)
    if rng.random() < 0.2:
        b_scale = a_scale
        tags.append("same_scales")
    a = activations(rng, shape, dt, a_zp)
    b = activations(rng, shape, dt, b_zp)
    real = (a.astype(np.float64) - a_zp) * a_scale + (b.astype(np.float64) - b_zp) * b_scale
    y_scale, y_zp = pick_output_quant(rng, real, dt, pow2, tags)
    inits = [
        scalar_init("a_scale", a_scale, np.float32),
        scalar_init("a_zero_point", a_zp, NP[dt]),
        scalar_init("b_scale", b_scale, np.float32),
        scalar_init("b_zero_point", b_zp, NP[dt]),
        scalar_init("y_scale", y_scale, np.float32),
        scalar_init("y_zero_point", y_zp, NP[dt]),
    ]
    if qdq:
        node = [
            helper.make_node("DequantizeLinear", ["a", "a_scale", "a_zero_point"], ["af"]),
            helper.make_node("DequantizeLinear", ["b", "b_scale", "b_zero_point"], ["bf"]),
            helper.make_node("Add", ["af", "bf"], ["yf"]),
            helper.make_node("QuantizeLinear", ["yf", "y_scale", "y_zero_point"], ["y"]),
        ]
    else:
        node = helper.make_node("QLinearAdd", ["a", "a_scale", "a_zero_point", "b", "b_scale",
                                               "b_zero_point", "y_scale", "y_zero_point"], ["y"],
                                domain=MS_DOMAIN)
    model = make_model(node, [helper.make_tensor_value_info("a", ONNX_T[dt], shape),
                              helper.make_tensor_value_info("b", ONNX_T[dt], shape)],
                       helper.make_tensor_value_info("y", ONNX_T[dt], shape), inits)
    desc = {
        "op": "QDQ Add" if qdq else "QLinearAdd", "dtype": dt,
        "a_shape": shape, "b_shape": shape, "y_shape": shape,
        "a_scale": a_scale, "a_zero_point": a_zp, "b_scale": b_scale, "b_zero_point": b_zp,
        "y_scale": y_scale, "y_zero_point": y_zp,
        "inputs": [{"name": "a", "file": "input_0.npy", "dtype": dt, "shape": shape},
                   {"name": "b", "file": "input_1.npy", "dtype": dt, "shape": shape}],
    }
    return model, [a, b], desc


def gen_pool(rng, args, tags, kind):
    """kind: an EXTRA_KINDS pool: QLinear (com.microsoft) or QDQ average
    pools, MaxPool on 8-bit data (opset 12+) or QDQ MaxPool."""
    qdq = kind.startswith("QDQ ")
    base = kind.split()[-1]
    if base.startswith("QLinear"):
        base = base[len("QLinear"):]
    dt = "uint8" if rng.random() < 0.5 else "int8"
    shape = pool_shape(rng, args, tags)
    if base == "GlobalAveragePool":
        if rng.random() < 0.2:           # larger windows, up to 40 x 40
            shape[2], shape[3] = int(rng.integers(10, 41)), int(rng.integers(10, 41))
            shape[1] = int(rng.integers(1, 9))
        kernel, strides, pads = shape[2:], [1, 1], [0, 0, 0, 0]
    else:
        kernel, strides, pads = pool_geometry(rng, shape[2], shape[3], tags)
    pow2 = rng.random() < 0.12
    if pow2:
        tags.append("pow2_scales")
    x_scale, x_zp = x_quant(rng, dt, pow2, tags)
    x = activations(rng, shape, dt, x_zp)
    sums, counts, maxs = pool_reduce(x, kernel, strides, pads)
    y_shape = list(sums.shape)
    if base == "MaxPool" or rng.random() < 0.4:
        y_scale, y_zp = x_scale, x_zp    # max pooling keeps the quantization
        tags.append("same_quant")
    else:
        real = (sums / counts - x_zp) * x_scale
        y_scale, y_zp = pick_output_quant(rng, real, dt, pow2, tags)
        tags.append("rescaled")
    inits = [
        scalar_init("x_scale", x_scale, np.float32),
        scalar_init("x_zero_point", x_zp, NP[dt]),
        scalar_init("y_scale", y_scale, np.float32),
        scalar_init("y_zero_point", y_zp, NP[dt]),
    ]
    attrs = {}
    if base != "GlobalAveragePool":
        attrs = {"kernel_shape": kernel, "strides": strides, "pads": pads}
        if base == "AveragePool":
            attrs["count_include_pad"] = 0
    if qdq:
        node = [
            helper.make_node("DequantizeLinear", ["x", "x_scale", "x_zero_point"], ["xf"]),
            helper.make_node(base, ["xf"], ["yf"], **attrs),
            helper.make_node("QuantizeLinear", ["yf", "y_scale", "y_zero_point"], ["y"]),
        ]
    elif base == "MaxPool":
        node = helper.make_node("MaxPool", ["x"], ["y"], **attrs)
        inits = []                       # no quantization parameters at all
        tags[:] = [t for t in tags if t not in ("pow2_scales", "same_quant", "zp_extreme")]
    else:
        node = helper.make_node("QLinear" + base, ["x", "x_scale", "x_zero_point", "y_scale",
                                                   "y_zero_point"], ["y"],
                                domain=MS_DOMAIN, channels_last=0, **attrs)
    model = make_model(node, [helper.make_tensor_value_info("x", ONNX_T[dt], shape)],
                       helper.make_tensor_value_info("y", ONNX_T[dt], y_shape), inits)
    desc = {"op": kind, "dtype": dt,
            "x_shape": shape, "y_shape": y_shape}
    if base != "GlobalAveragePool":
        desc.update({"kernel_shape": kernel, "strides": strides, "pads": pads})
    if base == "AveragePool":
        desc["count_include_pad"] = 0
    if inits:
        desc.update({"x_scale": x_scale, "x_zero_point": x_zp,
                     "y_scale": y_scale, "y_zero_point": y_zp})
    desc["inputs"] = [{"name": "x", "file": "input_0.npy", "dtype": dt, "shape": shape}]
    return model, [x], desc


def gen_extra(rng, args, tags):
    kind = EXTRA_KINDS[int(rng.integers(len(EXTRA_KINDS)))]
    tags.append("extra")
    if kind.startswith("QDQ "):
        tags.append("qdq")
    if kind.endswith("Add"):
        model, arrays, desc = gen_add(rng, args, tags, kind.startswith("QDQ "))
    else:
        model, arrays, desc = gen_pool(rng, args, tags, kind)
    desc["tolerance"] = 0 if kind.endswith("MaxPool") else 1
    return model, arrays, desc


def gen_case(seed, index, args, outdir):
    rng = np.random.default_rng([seed, index])
    tags = []
    # A stream of its own for the extra ops, so that the conv / matmul cases
    # stay those of the same (seed, index) without --extra.
    xrng = np.random.default_rng([seed, index, 1])
    if xrng.random() < args.extra:
        model, arrays, desc = gen_extra(xrng, args, tags)
    elif rng.random() < 0.5:
        model, arrays, desc = gen_conv(rng, args, tags)
    else:
        model, arrays, desc = gen_matmul(rng, args, tags)
    d = os.path.join(outdir, "case_%04d" % index)
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):           # stale outputs of an earlier generation
        if name.endswith(".npy") or name == "case.json":
            os.unlink(os.path.join(d, name))
    onnx.save(model, os.path.join(d, "model.onnx"))
    for i, arr in enumerate(arrays):
        np.save(os.path.join(d, "input_%d.npy" % i), arr)
    hexes = {}
    for key in ("x_scale", "a_scale", "b_scale", "y_scale"):
        if key in desc:
            hexes[key] = f32_hex(desc[key])
    if "w_scale" in desc:
        hexes["w_scale"] = [f32_hex(v) for v in desc["w_scale"]]
    desc.update({"case": index, "seed": seed, "opset": OPSET, "output": "y",
                 "scale_bits": hexes, "tags": tags})
    with open(os.path.join(d, "case.json"), "w") as f:     # one key a line
        f.write("{\n" + ",\n".join(" %s: %s" % (json.dumps(k), json.dumps(v))
                                    for k, v in desc.items()) + "\n}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-batch", type=int, default=2,
                    help="largest conv batch N (N > 1 in 15%% of conv cases; default 2)")
    ap.add_argument("--u8-weights", type=float, default=0.3,
                    help="share of uint8-activation conv cases with uint8 weights (default 0.3)")
    ap.add_argument("--u8s8-range", choices=("reduced", "full"), default="reduced",
                    help="int8 weights / B values with uint8 activations: 7-bit "
                         "[-64, 63] (default) or the full int8 range (see U8S8_NOTE)")
    ap.add_argument("--qdq", type=float, default=0.2,
                    help="share of cases written in QDQ form (DequantizeLinear -> "
                         "Conv/MatMul -> QuantizeLinear) instead of QLinear ops (default 0.2)")
    ap.add_argument("--extra", type=float, default=0.15, metavar="SHARE",
                    help="share of cases that are one of the other quantized ops libnpu "
                         "imports: QLinearAdd, QLinearAveragePool, QLinearGlobalAveragePool "
                         "(com.microsoft), their QDQ forms, MaxPool and QDQ MaxPool; "
                         "compared with a tolerance (default 0.15)")
    ap.add_argument("--weight-zp", choices=("symmetric", "any"), default="symmetric",
                    help="conv weight zero-points: the qnpu contract's (default) or any value")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    for name in os.listdir(args.outdir):            # cases of a larger, earlier run
        m = re.fullmatch(r"case_(\d+)", name)
        if m and int(m.group(1)) >= args.count:
            shutil.rmtree(os.path.join(args.outdir, name))
    for f in ("summary.json",):
        if os.path.exists(os.path.join(args.outdir, f)):
            os.unlink(os.path.join(args.outdir, f))
    for i in range(args.count):
        gen_case(args.seed, i, args, args.outdir)
    print("gen_models: %d cases in %s (seed %d)" % (args.count, args.outdir, args.seed))


if __name__ == "__main__":
    sys.exit(main())
