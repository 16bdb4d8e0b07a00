#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
"""The Python module qnpu (python/qnpu) from the build tree; TAP.

    PYTHONPATH=build/python NPU_EMU_PLUGIN=build/lib/libnpu-emu.so.0 \\
        tests/host/test_python.py BUILD

The same program from Python as from npu-run (the same calibration data:
the same bytes out), save and load both ways, a zoo transformer against
PyTorch's own FP32 logits, the quantization helpers against numpy, and the
errors.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

import qnpu

B = sys.argv[1] if len(sys.argv) > 1 else 'build'
MODEL = 'models/fashion_mnist/fashion_mnist_cnn.onnx'
results = []


def check(name, cond, detail=''):
    results.append((name, bool(cond), detail))


def same_as_npu_run(tmp):
    rng = np.random.default_rng(5)
    calib = rng.random((24, 1, 28, 28), np.float32)
    x = rng.random((6, 1, 28, 28), np.float32)
    np.save(os.path.join(tmp, 'calib.npy'), calib)
    np.save(os.path.join(tmp, 'x.npy'), x)
    prog = qnpu.Model(MODEL).compile(calib, method='mse', count=20)
    y_emu, = prog.run([x], executor='emu')
    y_ref, = prog.run([x], executor='ref')
    check('emu and ref give the same bytes', np.array_equal(y_emu, y_ref))
    subprocess.run([os.path.join(B, 'bin', 'npu-run'), '--executor', 'ref', MODEL,
                    '--calib-data', os.path.join(tmp, 'calib.npy'), '--calib-count', '20',
                    '--calib', 'mse', '--input', os.path.join(tmp, 'x.npy'), '--output',
                    os.path.join(tmp, 'y.npy'), '--save', os.path.join(tmp, 'c.qnpu')],
                   check=True)
    check('the same bytes as npu-run with the same calibration data',
          np.array_equal(y_emu, np.load(os.path.join(tmp, 'y.npy'))))
    from_c = qnpu.Program.load(os.path.join(tmp, 'c.qnpu'))
    check('a program npu-run saved runs in Python',
          np.array_equal(from_c.run([x], 'emu')[0], y_emu)
          and from_c.inputs[0].shape == (1, 1, 28, 28) and from_c.outputs[0].shape == (1, 10))
    prog.save(os.path.join(tmp, 'p.qnpu'))
    out = subprocess.run([os.path.join(B, 'bin', 'npu-run'), '--executor', 'emu', '--program',
                          os.path.join(tmp, 'p.qnpu'), '--input', os.path.join(tmp, 'x.npy'),
                          '--output', os.path.join(tmp, 'y2.npy')], capture_output=True)
    check('a program Python saved runs in npu-run', out.returncode == 0 and
          np.array_equal(np.load(os.path.join(tmp, 'y2.npy')), y_emu), out.stderr.decode())


def export_qdq(tmp):
    """The QDQ export from Python: npu-run's file, and libnpu reads back the program's bytes."""
    rng = np.random.default_rng(6)
    calib = rng.random((16, 1, 28, 28), np.float32)
    x = rng.random((3, 1, 28, 28), np.float32)
    np.save(os.path.join(tmp, 'ecalib.npy'), calib)
    q_py, q_c = os.path.join(tmp, 'q_py.onnx'), os.path.join(tmp, 'q_c.onnx')
    prog = qnpu.Model(MODEL).compile(calib, rounding='single', weight_bits=7, export_onnx=q_py)
    subprocess.run([os.path.join(B, 'bin', 'npu-run'), MODEL, '--calib-data',
                    os.path.join(tmp, 'ecalib.npy'), '--rounding', 'single', '--weight-bits',
                    '7', '--save', os.path.join(tmp, 'e.qnpu'), '--export-onnx', q_c],
                   check=True, capture_output=True)
    with open(q_py, 'rb') as a, open(q_c, 'rb') as b:
        check('export_onnx writes the file npu-run --export-onnx writes', a.read() == b.read())
    back = qnpu.Model(q_py)
    y, = prog.run([x], executor='emu')
    y_back, = back.compile().run([x], executor='emu')
    check('the exported model is QDQ, and libnpu runs it to the same bytes',
          back.quantized and np.array_equal(y, y_back))


def zoo_transformer():
    zoo = os.path.join(B, 'zoo')
    calib, evals = np.load(os.path.join(zoo, 'calib.npy')), np.load(os.path.join(zoo, 'eval.npy'))
    torch_logits = np.load(os.path.join(zoo, 'vit_tiny_logits.npy'))
    prog = qnpu.Model(os.path.join(zoo, 'vit_tiny_opset13_b1.onnx')).compile(calib[:4])
    y, = prog.run([evals], executor='emu')
    db = qnpu.sqnr(torch_logits, y[:4])
    check('vit_tiny on 8 images (8 runs), SQNR against PyTorch FP32 >= 25 dB: %.1f' % db,
          y.shape == (8, 1000) and db >= 25)


def helpers():
    s, z = qnpu.qparams(-1.0, 3.0)
    check('qparams(-1, 3) is (4/255, -64)', abs(s - 4 / 255) < 1e-7 and z == -64, (s, z))
    x = np.linspace(-1, 3, 101, dtype=np.float32)
    q = qnpu.quantize(x, s, z)
    want = np.clip(np.round(x / np.float32(s)) + z, -128, 127).astype(np.int8)
    check('quantize is round half to even of x/S, plus Z, clamped (numpy)',
          q.dtype == np.int8 and np.array_equal(q, want))
    check('dequantize is S (q - Z)',
          np.allclose(qnpu.dequantize(q, s, z), (q.astype(np.float32) - z) * s, atol=1e-7))
    o = qnpu.Observer('minmax')
    o.update(x[:50])
    o.update(x[50:])
    lo, hi = o.range()
    check('a min-max observer over two batches', lo == x.min() and hi == x.max())
    noise = np.float32(0.01) * np.sin(np.arange(101, dtype=np.float32))
    want = 10 * np.log10((x.astype(np.float64) ** 2).sum() / (noise.astype(np.float64) ** 2).sum())
    check('sqnr matches numpy', abs(qnpu.sqnr(x, x + noise) - want) < 1e-3)


def errors(tmp):
    prog = qnpu.Program.load(os.path.join(tmp, 'p.qnpu'))
    cases = [(lambda: prog.run([np.zeros((1, 1, 27, 28), np.float32)]), 'whole batches'),
             (lambda: prog.run([np.zeros((1, 1, 28, 28), np.float32)], 'gpu'), 'executor'),
             (lambda: qnpu.Program.load(MODEL), 'not a program'),
             (lambda: qnpu.Model(MODEL).compile(None), 'calibration data'),
             (lambda: qnpu.Model(MODEL).compile(np.zeros((2, 1, 28, 28)), method='best'),
              'method'),
             (lambda: qnpu.qparams(3.0, -1.0), 'min > max'),
             (lambda: qnpu.Model(MODEL).compile(np.zeros((2, 1, 28, 28)), rounding='nearest'),
              'rounding'),
             (lambda: qnpu.Model(MODEL).compile(np.zeros((2, 1, 28, 28)), weight_bits=6),
              'weight_bits'),
             (lambda: qnpu.Model(os.path.join(tmp, 'q_py.onnx')).compile(weight_bits=7),
              'quantized already')]
    for fn, says in cases:
        try:
            fn()
            check('error saying %r' % says, False, 'no error')
        except qnpu.Error as e:
            check('error saying %r' % says, says in str(e), str(e))


def example():
    out = subprocess.run([sys.executable, 'examples/quantize_and_run.py', '--images', '500'],
                         capture_output=True)
    check('examples/quantize_and_run.py: INT8 top-1 over 0.85', out.returncode == 0,
          out.stdout.decode() + out.stderr.decode())


def main():
    example()
    with tempfile.TemporaryDirectory() as tmp:
        same_as_npu_run(tmp)
        export_qdq(tmp)
        zoo_transformer()
        helpers()
        errors(tmp)
    print('1..%d' % len(results))
    for i, (name, ok, detail) in enumerate(results, 1):
        print('%s %d - %s' % ('ok' if ok else 'not ok', i, name))
        if not ok and detail:
            print('# %s' % detail)
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == '__main__':
    sys.exit(main())
