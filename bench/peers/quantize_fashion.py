#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
"""Post-training static quantization of the Fashion-MNIST model into a QDQ
ONNX model for ONNX Runtime's int8 path (the ORT peer of the benchmark).

Usage:

    /usr/bin/python3 bench/peers/quantize_fashion.py IN.onnx OUT.onnx \\
        [--calib N] [--per-tensor]

IN is models/fashion_mnist/fashion_mnist_cnn.onnx (FP32, opset 13, batch
norms folded into the convolutions): Conv (3x3, depthwise 3x3, 1x1), Relu,
Clip(0, 6), MaxPool, Add (the residual), GlobalAveragePool, Flatten, Gemm.
Any other op type is refused.

The quantization follows ONNX Runtime's own QDQ quantizer (what
onnxruntime.quantization.quantize_static writes with QuantFormat.QDQ):

  - Activations: uint8, per tensor, asymmetric, min-max calibration: ranges
    (widened to include 0) are the min and max over the first N (--calib,
    default 200) Fashion-MNIST training images, pixels / 255 as float32 NCHW
    [1, 1, 28, 28]. They are measured by running the FP32 model itself with
    ONNX Runtime: a temporary copy of IN with every intermediate value added
    as a graph output is run by bench/peers/ort_calib.js (onnxruntime-node
    from build/node, tools/ort-setup.sh). scale = (max - min) / 255,
    zero_point = round(-min / scale).
  - Weights (Conv, Gemm): int8, symmetric (zero_point 0), per output channel
    (axis 0; --per-tensor: one scale per tensor), with 7-BIT VALUES in
    [-63, 63], scale = max|w| / 63. This is ONNX Runtime's documented
    reduce_range remedy: on this project's AVX2 host (no VNNI), MLAS's
    uint8 x int8 kernels add pairs of u8*s8 products in int16 with
    saturation (vpmaddubsw), which full-range int8 weights overflow
    (2*255*127 > 32767; see U8S8_NOTE in tests/conformance/gen_models.py);
    with |w| <= 63 a pair is at most 2*255*63 = 32130 and ORT is exact.
  - Biases: int32, zero_point 0, scale = x_scale * w_scale (per channel),
    computed in float32 as ORT does.
  - Layout: the graph input is quantized (QuantizeLinear -> DequantizeLinear);
    every quantized op output gets a QuantizeLinear / DequantizeLinear pair,
    the DequantizeLinear feeding the consumers. A Relu or Clip is left in the
    graph and the pair goes after it, with the activation's output range
    (Conv -> Relu -> Q, Conv -> Relu -> Clip -> Q, Add -> Relu -> Q): ORT's
    graph optimizer removes the Relu / Clip into the QuantizeLinear
    (zero_point 0 and a range inside [0, 6]) and fuses DQ -> Conv -> Q into
    QLinearConv, DQ -> Add -> Q into QLinearAdd, DQ -> GlobalAveragePool -> Q
    into QLinearGlobalAveragePool and DQ -> Gemm -> Q into QGemm. MaxPool and
    Flatten keep their input's scale and zero-point, so ORT drops their
    Q/DQ pair and runs them on uint8. The logits are quantized too and
    dequantized to the float32 graph output, as ORT's quantizer does.

OUT is checked with onnx.checker (full check). Always run with Debian's
/usr/bin/python3 (python3-onnx, numpy); node is /usr/bin/node.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
CALIB_JS = os.path.join(HERE, "ort_calib.js")
NODE = "/usr/bin/node"

W_QMAX = 63                     # 7-bit symmetric weights: see the docstring
SUPPORTED = {"Conv", "Relu", "Clip", "MaxPool", "Add", "GlobalAveragePool",
             "Flatten", "Gemm", "Constant"}
ACTIVATIONS = {"Relu", "Clip"}
SAME_PARAMS = {"MaxPool", "Flatten"}  # output keeps the input's quantization


def die(msg):
    print(f"quantize_fashion: {msg}", file=sys.stderr)
    sys.exit(1)


def calibrate(model, n):
    """{tensor: (min, max)} over every float value of `model` (FP32, via ORT)."""
    aug = onnx.ModelProto()
    aug.CopyFrom(model)
    have = {o.name for o in aug.graph.output}
    for node in aug.graph.node:
        if node.op_type == "Constant":
            continue
        for o in node.output:
            if o not in have:
                aug.graph.output.append(helper.make_tensor_value_info(o, TensorProto.FLOAT, None))
                have.add(o)
    for i in aug.graph.input:            # the input range too: an Identity output
        name = i.name + "__calib"
        aug.graph.node.append(helper.make_node("Identity", [i.name], [name]))
        aug.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    with tempfile.TemporaryDirectory(prefix="qfashion") as tmp:
        path = os.path.join(tmp, "calib.onnx")
        onnx.save(aug, path)
        r = subprocess.run([NODE, CALIB_JS, path, "--images", str(n)],
                           stdout=subprocess.PIPE, check=False)
        if r.returncode != 0:
            die(f"{CALIB_JS} failed (exit {r.returncode})")
    ranges = json.loads(r.stdout)
    for i in model.graph.input:
        ranges[i.name] = ranges.pop(i.name + "__calib")
    return {k: (float(v[0]), float(v[1])) for k, v in ranges.items()}


def act_params(rmin, rmax):
    """uint8 asymmetric (scale, zero_point) for the range [rmin, rmax]."""
    rmin, rmax = min(rmin, 0.0), max(rmax, 0.0)
    if rmax == rmin:
        return np.float32(1.0), 0
    scale = np.float32((rmax - rmin) / 255.0)
    zp = int(np.clip(np.rint(-rmin / float(scale)), 0, 255))
    return scale, zp


def quant_weight(w, per_channel):
    """int8 symmetric 7-bit weights: (q, scales float32 [C] or [1])."""
    flat = np.abs(w.reshape(w.shape[0], -1)).max(axis=1) if per_channel \
        else np.array([np.abs(w).max()])
    scale = (flat / W_QMAX).astype(np.float32)
    scale[scale == 0] = np.float32(1.0)
    s = scale.reshape((-1,) + (1,) * (w.ndim - 1)) if per_channel else scale[0]
    q = np.clip(np.rint(w / s), -W_QMAX, W_QMAX).astype(np.int8)
    return q, scale


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--calib", type=int, default=200, metavar="N",
                    help="calibration images (first N training images, default 200)")
    ap.add_argument("--per-tensor", action="store_true",
                    help="per-tensor weight scales (default: per output channel)")
    args = ap.parse_args()
    if args.calib < 1:
        die("--calib must be >= 1")

    model = onnx.load(args.input)
    onnx.checker.check_model(model)
    g = model.graph
    for node in g.node:
        if node.op_type not in SUPPORTED or node.domain not in ("", "ai.onnx"):
            die(f"unsupported op {node.domain}:{node.op_type} ({node.name})")
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    consts = {n.output[0] for n in g.node if n.op_type == "Constant"}
    consumers = {}
    for node in g.node:
        for i in node.input:
            consumers.setdefault(i, []).append(node)
    graph_outputs = {o.name for o in g.output}

    ranges = calibrate(model, args.calib)

    # Which float activations get a Q/DQ pair: the graph inputs and every op
    # output, except an output whose only consumer is a Relu / Clip (the pair
    # goes after the activation instead).
    quantized = [i.name for i in g.input if i.name not in inits]
    for node in g.node:
        if node.op_type == "Constant":
            continue
        for o in node.output:
            c = consumers.get(o, [])
            if len(c) == 1 and c[0].op_type in ACTIVATIONS and o not in graph_outputs:
                continue
            quantized.append(o)
    producer = {o: n for n in g.node for o in n.output}

    params = {}                      # tensor -> (scale, zero_point)

    def params_of(t):
        if t not in params:
            p = producer.get(t)
            if p is not None and p.op_type in SAME_PARAMS:
                params[t] = params_of(p.input[0])
            else:
                if t not in ranges:
                    die(f"no calibration range for {t}")
                params[t] = act_params(*ranges[t])
        return params[t]

    new_inits = [i for i in g.initializer]
    nodes = []
    dq_name = {}                     # quantized tensor -> its DequantizeLinear output
    float_name = {}                  # graph output -> the producer's renamed output

    def add_init(name, arr):
        new_inits.append(numpy_helper.from_array(arr, name))
        return name

    def emit_qdq(t):
        scale, zp = params_of(t)
        s = add_init(t + "_scale", np.array(scale, dtype=np.float32))
        z = add_init(t + "_zero_point", np.array(zp, dtype=np.uint8))
        src = float_name.get(t, t)
        q = t + "_QuantizeLinear_Output"
        dq = t if t in graph_outputs else t + "_DequantizeLinear_Output"
        nodes.append(helper.make_node("QuantizeLinear", [src, s, z], [q],
                                      name=t + "_QuantizeLinear"))
        nodes.append(helper.make_node("DequantizeLinear", [q, s, z], [dq],
                                      name=t + "_DequantizeLinear"))
        dq_name[t] = dq

    def emit_const_dq(name, q, scale, zp_dtype, axis):
        """DequantizeLinear of a quantized initializer; returns its output."""
        qn = add_init(name + "_quantized", q)
        sn = add_init(name + "_quantized_scale", scale if axis is not None else scale.reshape(()))
        zn = add_init(name + "_quantized_zero_point",
                      np.zeros(scale.shape if axis is not None else (), dtype=zp_dtype))
        out = name + "_DequantizeLinear_Output"
        kw = {"axis": axis} if axis is not None else {}
        nodes.append(helper.make_node("DequantizeLinear", [qn, sn, zn], [out],
                                      name=name + "_DequantizeLinear", **kw))
        return out

    quantized_set = set(quantized)
    for t in quantized:              # graph outputs: the producer writes a float copy
        if t in graph_outputs:
            float_name[t] = t + "_float"
    for i in g.input:
        if i.name in quantized_set:
            emit_qdq(i.name)

    used_inits = set()
    for node in g.node:
        new = onnx.NodeProto()
        new.CopyFrom(node)
        if node.op_type in ("Conv", "Gemm"):
            x, w = node.input[0], node.input[1]
            if x not in dq_name:
                die(f"{node.name}: input {x} is not quantized")
            if w not in inits:
                die(f"{node.name}: weight {w} is not an initializer")
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            wt = inits[w].astype(np.float32)
            if node.op_type == "Gemm":
                if attrs.get("transA", 0) or attrs.get("alpha", 1.0) != 1.0 \
                        or attrs.get("beta", 1.0) != 1.0:
                    die(f"{node.name}: Gemm with transA / alpha / beta != 1")
                if not attrs.get("transB", 0):
                    wt = wt.T        # channels on axis 0 for quantization
            per_channel = not args.per_tensor
            q, ws = quant_weight(wt, per_channel)
            if node.op_type == "Gemm" and not attrs.get("transB", 0):
                q = np.ascontiguousarray(q.T)
                axis = 1
            else:
                axis = 0
            new.input[1] = emit_const_dq(w, q, ws, np.int8, axis if per_channel else None)
            used_inits.add(w)
            if len(node.input) > 2 and node.input[2]:
                b = node.input[2]
                if b not in inits:
                    die(f"{node.name}: bias {b} is not an initializer")
                xs = params_of(x)[0]
                bs = (np.float32(xs) * ws).astype(np.float32)
                bias = inits[b].astype(np.float64)
                bs_full = np.broadcast_to(bs, bias.shape).astype(np.float64)
                bq = np.clip(np.rint(bias / bs_full), -2**31, 2**31 - 1).astype(np.int32)
                new.input[2] = emit_const_dq(b, bq, bs, np.int32, 0 if per_channel else None)
                used_inits.add(b)
        for k, i in enumerate(node.input):
            if k > 0 and node.op_type in ("Conv", "Gemm"):
                continue
            if i in dq_name:
                new.input[k] = dq_name[i]
        for k, o in enumerate(node.output):
            if o in float_name:
                new.output[k] = float_name[o]
        nodes.append(new)
        for o in node.output:
            if o in quantized_set:
                emit_qdq(o)

    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(i for i in new_inits if i.name not in used_inits)
    del g.value_info[:]
    g.doc_string = ("QDQ int8 (uint8 activations min-max over %d training images, "
                    "7-bit int8 %s weights) by bench/peers/quantize_fashion.py"
                    % (args.calib, "per-tensor" if args.per_tensor else "per-channel"))
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, args.output)

    nq = sum(1 for n in nodes if n.op_type == "QuantizeLinear")
    print(f"{args.output}: {len(nodes)} nodes, {nq} quantized activations, "
          f"weights {'per-tensor' if args.per_tensor else 'per-channel'} int8 [-{W_QMAX}, {W_QMAX}], "
          f"calibration {args.calib} images")
    for t in quantized:
        s, z = params_of(t)
        lo, hi = ranges.get(t, (float("nan"), float("nan")))
        print(f"  {t:40s} range [{lo:9.4f}, {hi:9.4f}]  scale {float(s):.6g}  zp {z}")


if __name__ == "__main__":
    main()
