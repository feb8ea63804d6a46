#!/usr/bin/python3
"""Random-weight FSSD for tools/bench-compare.sh: the same weights as a
PyTorch state_dict (for fssd4j's importer and for PyTorch) and as ONNX (for
ONNX Runtime), plus the shared input; and the PyTorch timing.

Export (default):
    /usr/bin/python3 tools/reference/export_onnx.py OUTDIR [--size 300|512]
        [--seed 1] [--opset 13]
writes OUTDIR/fssdS.pth (zip state_dict), OUTDIR/fssdS.onnx (input "input"
[N,3,S,S] with a dynamic batch axis; outputs "loc" [N,P,4], "conf" [N,P,C]
logits), OUTDIR/input.npy (float32 [1,3,S,S]: the synthetic reference image,
SPEC 1 preprocessing) and OUTDIR/fssdS_loc.npy / _conf.npy (PyTorch fp32
outputs on it). Weights: fssd_ref.random_init(seed) + calibrate (conf std 3,
background offset 11) exactly as make_full.py, so the scores look like a
trained detector's.

Timing (--time):
    /usr/bin/python3 tools/reference/export_onnx.py OUTDIR --time
        [--threads 2] [--batch 1] [--runs 10] [--bf16]
loads OUTDIR/fssdS.pth into fssd_ref.FSSD, eval, torch.inference_mode,
fp32 channels_last (model and input), torch.set_num_threads(threads); warm-up
3 runs, then prints one line "TORCH <precision> batch <B> <median ms/image>
<min ms/image> <every run's ms/image, comma-separated>". --bf16 runs under torch.autocast('cpu', torch.bfloat16)
(only meaningful on CPUs with AVX512_BF16 / AMX).
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fssd_ref as R  # noqa: E402
from synth_image import synth_image  # noqa: E402

CONF_STD = 3.0
BG_OFFSET = 11.0
NUM_CLASSES = 21


def export(a):
    os.makedirs(a.outdir, exist_ok=True)
    torch.set_num_threads(a.threads)
    img = synth_image(500, 375, seed=2024)
    x = R.preprocess(img, a.size)
    torch.manual_seed(a.seed)
    model = R.FSSD(a.size, NUM_CLASSES)
    R.random_init(model, a.seed)
    R.calibrate(model, x, conf_std=CONF_STD, bg_offset=BG_OFFSET)
    model.eval()
    with torch.no_grad():
        loc, conf = model(x)
    p = os.path.join(a.outdir, 'fssd%d' % a.size)
    torch.save(model.state_dict(), p + '.pth')
    np.save(os.path.join(a.outdir, 'input.npy'), x.numpy().astype(np.float32))
    np.save(p + '_loc.npy', loc.numpy())
    np.save(p + '_conf.npy', conf.numpy())
    torch.onnx.export(
        model, x, p + '.onnx', opset_version=a.opset,
        input_names=['input'], output_names=['loc', 'conf'],
        dynamic_axes={'input': {0: 'batch'}, 'loc': {0: 'batch'},
                      'conf': {0: 'batch'}},
        do_constant_folding=True)
    print('exported FSSD%d (seed %d, opset %d): %s.pth, %s.onnx (%.1f MB), input.npy %s'
          % (a.size, a.seed, a.opset, p, p, os.path.getsize(p + '.onnx') / 1e6,
             tuple(x.shape)))


def time_torch(a):
    torch.set_num_threads(a.threads)
    p = os.path.join(a.outdir, 'fssd%d' % a.size)
    model = R.FSSD(a.size, NUM_CLASSES)
    model.load_state_dict(torch.load(p + '.pth'))
    model.eval()
    x = torch.from_numpy(np.load(os.path.join(a.outdir, 'input.npy')))
    x = x.repeat(a.batch, 1, 1, 1)
    model = model.to(memory_format=torch.channels_last)
    x = x.contiguous(memory_format=torch.channels_last)
    times = []
    with torch.inference_mode():
        ctx = (torch.autocast('cpu', dtype=torch.bfloat16) if a.bf16
               else torch.autocast('cpu', enabled=False))
        with ctx:
            for i in range(3 + a.runs):
                t0 = time.perf_counter()
                model(x)
                dt = (time.perf_counter() - t0) * 1000 / a.batch
                if i >= 3:
                    times.append(dt)
    print('TORCH %s batch %d %.3f %.3f %s' % (
        'bf16' if a.bf16 else 'fp32', a.batch, statistics.median(times),
        min(times), ','.join('%.3f' % t for t in times)))
    # Peak resident set of this process (model load + timing), for bench-compare's RSS column.
    with open('/proc/self/status') as f:
        hwm = [l.split()[1] for l in f if l.startswith('VmHWM:')]
    if hwm:
        print('TORCHRSS %s %.0f' % ('bf16' if a.bf16 else 'fp32', int(hwm[0]) / 1024.0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('outdir')
    ap.add_argument('--size', type=int, default=300, choices=(300, 512))
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--opset', type=int, default=13)
    ap.add_argument('--time', action='store_true')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=1)
    ap.add_argument('--runs', type=int, default=10)
    ap.add_argument('--bf16', action='store_true')
    a = ap.parse_args()
    if a.time:
        time_torch(a)
    else:
        export(a)


if __name__ == '__main__':
    main()
