#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
"""Merge one `make bench` run into build/bench.json, print the table, and
write docs/performance.md.

    /usr/bin/python3 bench/report.py DIR OUT_JSON [--doc FILE]

DIR holds what bench/run produced: emu.json (bench_emu), ort.jsonl
(bench/peers/ort_bench.js), torch.json (bench/peers/torch_bench.py),
fashion_*.json(l) (npu-run, ort_fashion.js, torch_ptq.py), vm.json
(npu-run --program on the NPU and npu_overhead, inside the VM) and
machine.txt. Every figure goes to OUT_JSON as {"name", "value", "unit"},
with "peer" on the peers' figures; for each kernel the ratio of the
emulator core to the best peer at the same thread count is added
("unit": "x").
"""
import json
import os
import re
import sys

LAYERS = {      # the peers' names -> the emulator's
    'gemm_256': 'gemm 256x256x256', 'gemm_1024': 'gemm 1024x1024x1024',
    'gemm_2048': 'gemm 2048x2048x2048', 'conv3x3_56x56x64': 'conv 3x3 1x56x56x64->64',
    'conv1x1_56x56x64_128': 'conv 1x1 1x56x56x64->128',
    'dwconv3x3_56x56x128': 'depthwise 3x3 1x56x56x128',
}
FLOORS = ('gemm 1024x1024x1024', 'conv 3x3 1x56x56x64->64')


def load(path):
    """A JSON list, or JSON lines; [] when the file is missing."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        text = f.read().strip()
    if not text:
        return []
    if text.startswith('['):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


CALIB_FLOOR = 2.0   # libnpu's calibration at most this many times ORT FP32's time


def calibration(d, items):
    """The calibration rounds: best time of each side, the ratio against its floor."""
    npu = load(os.path.join(d, 'calib_npu.jsonl'))
    ort = [it['value'] for it in load(os.path.join(d, 'calib_ort.jsonl'))]
    lines = ['| calibration, ResNet-18 224x224, 100 images, 1 thread | seconds (best of %d) '
             '| / ONNX Runtime FP32 |' % len(ort), '|---|---|---|']
    text = []
    if not ort:
        return lines, text
    best_ort = min(ort)
    lines.append('| ONNX Runtime FP32, the 100 forward passes | %.2f | 1.00 |' % best_ort)
    for method in ('minmax', 'mse'):
        mine = [it['value'] for it in npu if ' %s ' % method in it['name']]
        if not mine:
            continue
        ratio = min(mine) / best_ort
        items.append({'name': 'calibration resnet18 100 images libnpu %s / ort fp32' % method,
                      'value': round(ratio, 3), 'unit': 'x'})
        floor = method == 'minmax'
        lines.append('| libnpu import, %s observers%s | %.2f | %.2f |' % (
            method, ' (floor: at most %.1f)' % CALIB_FLOOR if floor else '', min(mine), ratio))
        text.append('%-42s  libnpu %6.2f s  ORT %6.2f s  ratio %.2f %s' % (
            'calibration %s, 100 images' % method, min(mine), best_ort, ratio,
            ('ok' if ratio <= CALIB_FLOOR else 'ABOVE %.1f' % CALIB_FLOOR) if floor else ''))
    items.extend(npu)
    items.extend(load(os.path.join(d, 'calib_ort.jsonl')))
    return lines, text


MODELS = ('resnet18', 'mobilenet_v2', 'squeezenet1_1')


def whole_models(d, items):
    """images/s of each model and batch: emu and ORT INT8/FP32 at 1 and 2 threads, the ratios."""
    got = {it['name']: it['value'] for it in load(os.path.join(d, 'models.jsonl'))}
    items.extend(load(os.path.join(d, 'models.jsonl')))
    lines = ['| model, batch | emu 1t | emu 2t | ORT INT8 1t | ORT INT8 2t | ORT FP32 1t '
             '| ORT FP32 2t | emu / ORT INT8, 1t | 2t | emu 2t / 1t |',
             '|---|---|---|---|---|---|---|---|---|---|']
    text = []
    for m in MODELS:
        for b in (1, 4):
            v = {(who, t): got.get('%s b%d images/s %s %dt' % (m, b, who, t))
                 for who in ('emu', 'ort int8', 'ort fp32') for t in (1, 2)}
            if None in v.values():
                continue
            r1, r2 = v['emu', 1] / v['ort int8', 1], v['emu', 2] / v['ort int8', 2]
            sc = v['emu', 2] / v['emu', 1]
            for name, val in (('emu / ort int8 1t', r1), ('emu / ort int8 2t', r2),
                              ('emu 2t / 1t', sc)):
                items.append({'name': '%s b%d %s' % (m, b, name), 'value': round(val, 3),
                              'unit': 'x'})
            lines.append('| %s, %d | %s | %.2f | %.2f | %.2f |' % (
                m, b, ' | '.join('%.1f' % v[k] for k in (
                    ('emu', 1), ('emu', 2), ('ort int8', 1), ('ort int8', 2), ('ort fp32', 1),
                    ('ort fp32', 2))), r1, r2, sc))
            text.append('%-22s emu %6.1f/%6.1f  ORT int8 %6.1f/%6.1f  fp32 %6.1f/%6.1f  '
                        'emu/ORT int8 %.2f %.2f  2t/1t %.2f' % (
                            '%s b%d images/s' % (m, b), v['emu', 1], v['emu', 2],
                            v['ort int8', 1], v['ort int8', 2], v['ort fp32', 1],
                            v['ort fp32', 2], r1, r2, sc))
    return lines, text


def main():
    d, out = sys.argv[1], sys.argv[2]
    doc = sys.argv[sys.argv.index('--doc') + 1] if '--doc' in sys.argv else None
    items = []
    ours, peers = {}, {}        # (layer, threads) -> GOPS; -> {peer: GOPS}

    families = {}       # (layer, family) -> {threads or 'peak': value}
    peaks = []
    for it in load(os.path.join(d, 'emu.json')):
        items.append(it)
        if it['name'].startswith('host peak'):
            peaks.append(it)
        m = re.fullmatch(r'(.*) (portable|avx2|avx512-vnni) (\d)t( of peak)?', it['name'])
        if m:
            families.setdefault((m.group(1), m.group(2)), {})[
                'peak' if m.group(4) else int(m.group(3))] = it['value']
        if m and it['unit'] == 'GOPS':
            key = (m.group(1), int(m.group(3)))
            rank = {'portable': 0, 'avx2': 1, 'avx512-vnni': 2}[m.group(2)]
            if key not in ours or rank >= ours[key][1]:
                ours[key] = (it['value'], rank, m.group(2))
    for it in load(os.path.join(d, 'ort.jsonl')):
        items.append(it)
        m = re.fullmatch(r'ort (.*) u8s8 (\d)t', it['name'])
        if m:
            peers.setdefault((m.group(1), int(m.group(2))), {})['ONNX Runtime'] = it['value']
    for it in load(os.path.join(d, 'torch.json')):
        it = dict(it)
        layer = LAYERS.get(it['name'], it['name'])
        it['name'] = 'pytorch %s %dt' % (layer, it.get('threads', 1))
        items.append(it)
        peers.setdefault((layer, it.get('threads', 1)), {})['PyTorch onednn'] = it['value']

    rows = []
    for key in sorted(ours, key=lambda k: (list(LAYERS.values()).index(k[0])
                                           if k[0] in LAYERS.values() else 99, k[0], k[1])):
        value, _, isa = ours[key]
        p = peers.get(key, {})
        best = max(p.values()) if p else None
        ratio = value / best if best else None
        if ratio is not None:
            items.append({'name': '%s %dt: emulator / best peer' % key, 'value': round(ratio, 3),
                          'unit': 'x'})
        rows.append((key[0], key[1], isa, value, p.get('ONNX Runtime'),
                     p.get('PyTorch onednn'), ratio))

    # The floors: 1 thread, emulator and ORT in turn, best median of the rounds.
    floor_lines = ['| kernel, 1 thread | emulator core | ONNX Runtime | ratio |',
                   '|---|---|---|---|']
    floor_text = []
    for layer in FLOORS:
        emu = [it['value'] for it in load(os.path.join(d, 'floor_emu.jsonl'))
               if re.fullmatch(re.escape(layer) + r' (avx2|avx512-vnni|portable) 1t', it['name'])]
        ort = [it['value'] for it in load(os.path.join(d, 'floor_ort.jsonl'))
               if it['name'] == 'ort %s u8s8 1t' % layer]
        if not emu or not ort:
            continue
        ratio = max(emu) / max(ort)
        items.append({'name': 'floor %s 1t: emulator, best of %d rounds' % (layer, len(emu)),
                      'value': max(emu), 'unit': 'GOPS'})
        items.append({'name': 'floor %s 1t: ONNX Runtime, best of %d rounds' % (layer, len(ort)),
                      'value': max(ort), 'unit': 'GOPS', 'peer': 'onnxruntime-node'})
        items.append({'name': 'floor %s 1t: emulator / ONNX Runtime' % layer,
                      'value': round(ratio, 3), 'unit': 'x'})
        floor_text.append('%-42s  emu %7.1f  ORT %7.1f  ratio %.2f %s' % (
            layer, max(emu), max(ort), ratio, 'ok' if ratio >= 1 else 'BELOW 1.0'))
        floor_lines.append('| %s | %.1f | %.1f | %.2f |' % (layer, max(emu), max(ort), ratio))

    calib_lines, calib_text = calibration(d, items)
    model_lines, model_text = whole_models(d, items)

    extra = []
    for name in sorted(os.listdir(d)):
        if (name.startswith('fashion') and name.endswith(('.json', '.jsonl'))) or \
                name == 'vm.json':
            for it in load(os.path.join(d, name)):
                items.append(it)
                extra.append(it)

    with open(out, 'w') as f:
        json.dump(items, f, indent=1)
        f.write('\n')

    def fmt(v):
        return '%7.1f' % v if v is not None else '      -'

    lines = ['| kernel | threads | emulator core | ONNX Runtime | PyTorch onednn | emulator / best peer |',
             '|---|---|---|---|---|---|']
    text = ['%-42s %2s %8s %8s %8s %8s' % ('kernel (GOPS)', 't', 'emu', 'ORT', 'PyTorch', 'ratio')]
    for layer, t, isa, v, ort, pt, ratio in rows:
        flag = ' (floor)' if layer in FLOORS and t == 1 else ''
        text.append('%-42s %2d %8s %8s %8s %8s%s' % (layer, t, fmt(v), fmt(ort), fmt(pt),
                                                    '%.2f' % ratio if ratio else '-', flag))
        lines.append('| %s%s | %d | %.1f (%s) | %s | %s | %s |' % (
            layer, flag, t, v, isa, '%.1f' % ort if ort else '-', '%.1f' % pt if pt else '-',
            '%.2f' % ratio if ratio else '-'))
    fam = ['| kernel | family | 1 thread | 2 threads | 1 thread, share of the vpdpbusd peak |',
           '|---|---|---|---|---|']
    for (layer, family), v in families.items():
        fam.append('| %s | %s | %s | %s | %s |' % (
            layer, family, '%.1f' % v[1] if 1 in v else '-', '%.1f' % v[2] if 2 in v else '-',
            '%.0f%%' % v['peak'] if 'peak' in v else '-'))
    peak_text = '\n'.join('- %s: %.1f %s' % (it['name'], it['value'], it['unit'])
                           for it in peaks) or '- no peak measured'
    other = ['| figure | value | unit | peer |', '|---|---|---|---|']
    for it in extra:
        text.append('%-60s %10.4g %s %s' % (it['name'], it['value'], it['unit'],
                                            ('(' + it['peer'] + ')') if it.get('peer') else ''))
        other.append('| %s | %.4g | %s | %s |' % (it['name'], it['value'], it['unit'],
                                                   it.get('peer', 'qnpu')))
    print('\n'.join(text))
    print('\nfloors (1 thread, best median of the alternating rounds):')
    print('\n'.join(floor_text + calib_text))
    print('\nwhole models (images/s, 1t/2t):')
    print('\n'.join(model_text))
    print('written', out)

    if doc:
        machine = open(os.path.join(d, 'machine.txt')).read().strip() \
            if os.path.exists(os.path.join(d, 'machine.txt')) else 'unknown'
        with open(doc, 'w') as f:
            f.write(DOC.format(machine=machine, kernels='\n'.join(lines),
                               floors='\n'.join(floor_lines), other='\n'.join(other),
                               families='\n'.join(fam), peaks=peak_text,
                               calib='\n'.join(calib_lines),
                               models='\n'.join(model_lines)))
        print('written', doc)


DOC = """# Performance

This file is written by `make bench` (bench/run, bench/report.py) from one run
on one machine: the emulator core, ONNX Runtime and PyTorch measured side by
side, and the stack end to end. Numbers move a few percent between runs; the
2-thread figures move more on a shared machine. Rerun `make bench` (after
`make check`) to refresh it; `build/bench.json` holds every figure.

## The machine

```
{machine}
```

## Kernels (GOPS = 2 x MACs / s, median run)

The emulator core runs a whole device job (descriptor checks, its MMU, the
GEMM or convolution, requantization) with 1 or 2 worker threads; ONNX
Runtime (`onnxruntime-node`, QLinearMatMul/QLinearConv models, u8
activations x s8 weights, its fast path) and PyTorch (`python3-torch`, the
`onednn` quantized engine) run the same shapes with `intra_op`/`set_num_threads`
at 1 or 2. The emulator's output stage rounds once, as libnpu compiles
quantized ONNX models. Weights are 7-bit in every model (ONNX Runtime's
`reduce_range`): on a host without VNNI, ONNX Runtime's and oneDNN's u8 x s8
kernels add two u8 x s8 products in saturating 16 bits (`vpmaddubsw`) and are
exact only then; there the emulator, which must be exact for any weights,
takes a `vpmaddubsw` path for such weights and a `vpmaddwd` path otherwise.
With AVX-512 VNNI (the flags above say) everyone multiplies with
`vpdpbusd`, exact for any weights (the "full-range weights" line shows the
emulator does not care). The floors of the performance issue are the
1-thread GEMM 1024^3 and 3x3 convolution (marked).

{kernels}

The floors again, measured apart: the emulator core and ONNX Runtime run the
two floor kernels in turn, five rounds, 1 thread; the best median of each
is kept, so that a moment of load on the machine does not decide the ratio.

{floors}

## Kernel families

Every kernel family of the emulator core this host runs (chosen at run
time by cpuid; the device uses the best), next to the host's peak int8
rate measured in the same run by loops of independent instructions:

{peaks}

{families}

## End to end and accuracy

Fashion-MNIST CNN of the demo: INT8 images/s on the emulator core in
process (`emu`, 1 worker) and on the NPU through the driver inside the VM
(`npu`, QEMU under TCG), ONNX Runtime FP32 and INT8 (a QDQ model quantized
by `bench/peers/quantize_fashion.py`, per-channel 7-bit weights), top-1 of
libnpu's post-training quantization and of PyTorch's (onednn, per channel)
over the same 10,000 test images; driver overhead measured in the VM by
`npu_overhead` (empty jobs: round trip and jobs/s with 1 and 8 submitters;
the share of a mid-size convolution's wall time that is fixed cost).

{other}

## Calibration

Post-training calibration of torchvision's ResNet-18 (the zoo's, 224x224)
over 100 images: libnpu's whole FP32 import (`bench/bench_calib`: the float
runner over every image, im2col and OpenBLAS `cblas_sgemm` with
`OPENBLAS_NUM_THREADS=1`, every activation observed, weights and graph
quantized), with min-max observers (the floor) and with MSE's histograms,
next to ONNX Runtime running the same FP32 model over 100 images on one
thread (`bench/peers/ort_model.js`), three rounds in turn, the best of each.

{calib}

## Whole models

Zoo models (torchvision's, 224x224, the batch in the file: 1 or 4), quantized by
libnpu with single rounding and 7-bit weights (`npu-run --rounding single
--weight-bits 7`), run on eight images: on `emu` (`npu-run --executor emu
--threads T --repeat 3`, the first pass excluded), and the same quantization
exported as QDQ (`--export-onnx`) in ONNX Runtime, whose INT8 kernels then compute
the same numbers (`tests/conformance/export-check`); ONNX Runtime FP32 on the
original model. Images per second; the issue's floors are emu / ORT INT8 >= 1.0 at
1 and at 2 threads and emu 2t / 1t >= 1.7 on ResNet-18.

{models}

## Reproduce

```sh
make check      # builds everything and installs the test dependencies
make bench      # about 10 minutes; prints the tables, writes build/bench.json and this file
```
"""

if __name__ == '__main__':
    main()
