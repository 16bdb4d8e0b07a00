#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
"""PyTorch (oneDNN) INT8 peer for the qnpu benchmark: GEMM and conv2d throughput.

Usage:

    /usr/bin/python3 bench/peers/torch_bench.py --json FILE [--quick]

Measures quantized int8 throughput of PyTorch's `onednn` quantized engine
(Debian's python3-torch 1.13 has no fbgemm) at torch.set_num_threads(1) and
(2), in GOPS = 2 * MACs / second:

  gemm_256, gemm_1024, gemm_2048
      quantized linear, M = N = K: activation [M, K] quint8 (per-tensor
      affine) x weight [N, K] qint8 (per-channel symmetric), via
      torch.nn.quantized.Linear (prepacked weight, quantized output).
  conv3x3_56x56x64        1x64x56x56 -> 64, 3x3, pad 1
  conv1x1_56x56x64_128    1x64x56x56 -> 128, 1x1
  dwconv3x3_56x56x128     1x128x56x56 -> 128, 3x3, pad 1, groups 128
      torch.nn.quantized.Conv2d, quint8 activations, per-channel qint8
      weights, quantized output.

Each case is warmed up (>= 2 runs and >= 0.1 s), then run repeatedly until at least 1 s (0.3 s with
--quick) has elapsed and at least 3 runs were made; the reported time is the
MEDIAN of the per-run wall times (time.perf_counter). Inputs are quantized
once, outside the timed region; each timed run is one call of the quantized
operator (including its output requantization).

The table's errLSB column checks each operator once against a float
computation of the same quantized operands: the largest |output - exact| in
output quantization steps (0.5 = correctly rounded). Without VNNI (AVX2 only)
oneDNN's u8 x s8 kernels sum u8*s8 pairs in saturating 16 bits (vpmaddubsw), so
full-range u8 activations give errors of many steps; the speed is the same
with 7-bit activations (PyTorch's reduce_range), for which it is exact.

The other% column is the share of the host's CPUs that OTHER processes used
while a case was timed (from /proc/stat); above 10 % a warning is printed, as
the timings (the 2-thread ones especially: OpenMP threads wait on a
descheduled peer) are then not clean. Run it on an otherwise idle machine.

If the onednn engine fails for an operator, that operator is measured with
qnnpack instead and its JSON "peer" says so; the failure is printed.

FILE receives a JSON list of
    {"name": ..., "value": GOPS, "unit": "GOPS", "peer": "pytorch-onednn 1.13.x",
     "threads": T}
Always run with Debian's /usr/bin/python3 (it has python3-torch).
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

TORCH_SERIES = '.'.join(torch.__version__.split('.')[:2]) + '.x'


def peer_name(engine):
    return f'pytorch-{engine} {TORCH_SERIES}'


def qweight_per_channel(w):
    """Quantize a float weight [C_out, ...] to qint8, symmetric per output channel."""
    amax = w.reshape(w.shape[0], -1).abs().amax(dim=1).clamp(min=1e-8)
    scales = (amax / 127.0).double()
    zps = torch.zeros(w.shape[0], dtype=torch.long)
    return torch.quantize_per_channel(w, scales, zps, axis=0, dtype=torch.qint8)


def qinput(x):
    """Quantize a float activation to quint8, per-tensor affine (min-max)."""
    lo, hi = min(x.min().item(), 0.0), max(x.max().item(), 0.0)
    scale = (hi - lo) / 255.0
    zp = int(round(-lo / scale))
    return torch.quantize_per_tensor(x, scale, zp, torch.quint8)


def out_qparams(fn_float, *args):
    """Output scale / zero point from a float reference run (keeps outputs in range)."""
    y = fn_float(*args)
    lo, hi = min(y.min().item(), 0.0), max(y.max().item(), 0.0)
    scale = (hi - lo) / 255.0
    return scale, int(round(-lo / scale))


def make_gemm(n):
    g = torch.Generator().manual_seed(n)
    x = torch.rand(n, n, generator=g) * 2 - 1          # activation [M, K]
    w = torch.randn(n, n, generator=g) * 0.05          # weight [N, K]
    b = torch.randn(n, generator=g) * 0.1
    m = torch.nn.quantized.Linear(n, n, bias_=True, dtype=torch.qint8)
    m.set_weight_bias(qweight_per_channel(w), b)
    m.scale, m.zero_point = out_qparams(torch.nn.functional.linear, x, w, b)
    qx = qinput(x)
    ref = torch.nn.functional.linear(qx.dequantize(), m.weight().dequantize(), b)
    return (lambda: m(qx)), n * n * n, ref


def make_conv(cin, cout, k, pad, groups, hw=56):
    g = torch.Generator().manual_seed(cin * 1000 + cout * 10 + k)
    x = torch.rand(1, cin, hw, hw, generator=g)
    w = torch.randn(cout, cin // groups, k, k, generator=g) * 0.1
    b = torch.randn(cout, generator=g) * 0.1
    m = torch.nn.quantized.Conv2d(cin, cout, k, padding=pad, groups=groups)
    m.set_weight_bias(qweight_per_channel(w), b)

    def ref(x_, w_, b_):
        return torch.nn.functional.conv2d(x_, w_, b_, padding=pad, groups=groups)
    m.scale, m.zero_point = out_qparams(ref, x, w, b)
    qx = qinput(x)
    hout = hw + 2 * pad - k + 1
    macs = cout * hout * hout * (cin // groups) * k * k
    return (lambda: m(qx)), macs, ref(qx.dequantize(), m.weight().dequantize(), b)


CASES = [
    ('gemm_256', lambda: make_gemm(256)),
    ('gemm_1024', lambda: make_gemm(1024)),
    ('gemm_2048', lambda: make_gemm(2048)),
    ('conv3x3_56x56x64', lambda: make_conv(64, 64, 3, 1, 1)),
    ('conv1x1_56x56x64_128', lambda: make_conv(64, 128, 1, 0, 1)),
    ('dwconv3x3_56x56x128', lambda: make_conv(128, 128, 3, 1, 128)),
]


def max_err_lsb(q, ref):
    """Largest |output - exact| in output quantization steps (0.5 = exact rounding)."""
    exact = (ref / q.q_scale() + q.q_zero_point()).clamp(0, 255)
    return (q.int_repr().float() - exact).abs().max().item()


def cpu_snapshot():
    """(busy seconds of the whole host, this process's CPU seconds, wall) or None."""
    try:
        with open('/proc/stat') as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    hz = os.sysconf('SC_CLK_TCK')
    busy = (sum(v[:8]) - v[3] - v[4]) / hz          # all but idle and iowait
    t = os.times()
    return busy, t.user + t.system, time.perf_counter()


def other_load(before, after):
    """Percent of the host's CPUs used by other processes between two snapshots."""
    if before is None or after is None:
        return float('nan')
    wall = after[2] - before[2]
    other = (after[0] - before[0]) - (after[1] - before[1])
    return max(0.0, 100.0 * other / (wall * (os.cpu_count() or 1)))


def time_median(fn, min_time, min_runs=3, warmup=2):
    """Warm up (>= warmup runs and >= 0.1 s), then run until >= min_runs and >= min_time.

    Returns the median per-run wall time and the number of timed runs."""
    t_start = time.perf_counter()
    n = 0
    while n < warmup or time.perf_counter() - t_start < 0.1:
        fn()
        n += 1
    times = []
    t_start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - t_start < min_time:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)


def check_engine(name, build):
    """Build and run a case once under onednn; on failure, fall back to qnnpack."""
    torch.backends.quantized.engine = 'onednn'
    try:
        fn, macs, ref = build()
        return 'onednn', fn, macs, max_err_lsb(fn(), ref)
    except Exception as e:  # report exactly what failed
        print(f'# {name}: onednn failed: {type(e).__name__}: {e}'.rstrip(), file=sys.stderr)
    torch.backends.quantized.engine = 'qnnpack'
    fn, macs, ref = build()
    return 'qnnpack', fn, macs, max_err_lsb(fn(), ref)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--json', required=True, metavar='FILE', help='write results here')
    ap.add_argument('--quick', action='store_true', help='0.3 s per case instead of 1 s')
    args = ap.parse_args()
    min_time = 0.3 if args.quick else 1.0

    torch.backends.quantized.engine = 'onednn'
    cap = [ln.split(':', 1)[1].strip() for ln in torch.__config__.show().splitlines()
           if 'CPU capability usage' in ln]
    print(f'# torch {torch.__version__}, quantized engine onednn, '
          f'CPU capability {cap[0] if cap else "?"}')
    print(f'# median of >= 3 runs and >= {min_time:g} s per case; GOPS = 2*MACs/s; '
          'errLSB = max |int8 out - exact| in output steps (0.5 = exact rounding); '
          'other% = CPU used by other processes')
    print(f'{"case":<24} {"thr":>3} {"MACs":>12} {"median ms":>10} {"runs":>5} '
          f'{"GOPS":>8} {"errLSB":>7} {"other%":>6}  peer')

    results, errs, busy = [], [], False
    t_all = time.perf_counter()
    with torch.no_grad():
        for name, build in CASES:
            engine, fn, macs, err = check_engine(name, build)
            errs.append(err)
            torch.backends.quantized.engine = engine
            for threads in (1, 2):
                torch.set_num_threads(threads)
                snap = cpu_snapshot()
                t, runs = time_median(fn, min_time)
                other = other_load(snap, cpu_snapshot())
                busy = busy or other > 10
                gops = 2.0 * macs / t / 1e9
                peer = peer_name(engine)
                print(f'{name:<24} {threads:>3} {macs:>12} {t * 1e3:>10.3f} {runs:>5} '
                      f'{gops:>8.2f} {err:>7.2f} {other:>6.0f}  {peer}', flush=True)
                results.append({'name': name, 'value': round(gops, 3), 'unit': 'GOPS',
                                'peer': peer, 'threads': threads})
            torch.backends.quantized.engine = 'onednn'
    if any(e > 1.0 for e in errs):
        print('# note: errLSB > 1: oneDNN u8 x s8 on this CPU saturates 16-bit pair sums '
              '(no VNNI); timings are unaffected')
    if busy:
        print('# WARNING: other processes used > 10% of the CPUs during some cases '
              '(other% column): those timings, the 2-thread ones above all, are not clean')
    print(f'# total {time.perf_counter() - t_all:.1f} s')

    with open(args.json, 'w') as f:
        json.dump(results, f, indent=2)
        f.write('\n')
    print(f'# wrote {args.json}')


if __name__ == '__main__':
    main()
