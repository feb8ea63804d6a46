"""PyTorch int8 baseline for tools/bench-compare.sh: FX graph mode post-training static
quantisation of the reference FSSD (fssd_ref.FSSD with the weights export_onnx.py wrote), with
quantised engine 'onednn' and its default qconfig (activations: per-tensor HistogramObserver;
weights: symmetric int8 per output channel), calibrated on the same images as fssd4j.

    python3 torch_int8.py DIR --write-calib [--size 300] [--images 8]
        writes DIR/calib.npy: N preprocessed synthetic images (synth_image seeds 3000..),
        the calibration set of both engines.
    python3 torch_int8.py DIR [--size 300] [--threads 2] [--batch 1] [--runs 10]
        quantises DIR/fssdS.pth on DIR/calib.npy, runs DIR/input.npy, and prints
        "TORCH int8 batch <B> <median ms/image> <min ms/image> <every run's ms/image>",
        "TORCHOUT int8 <max |int8 - fp32| of loc> <of conf>" and "TORCHRSS int8 <MiB>".
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fssd_ref as R  # noqa: E402
from synth_image import synth_image  # noqa: E402

NUM_CLASSES = 21


def write_calib(a):
    xs = [R.preprocess(synth_image(500, 375, seed=3000 + k), a.size) for k in range(a.images)]
    x = torch.cat(xs, 0).numpy().astype(np.float32)
    np.save(os.path.join(a.outdir, 'calib.npy'), x)
    print('wrote calib.npy %s' % (x.shape,))


def quantise(a):
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    torch.backends.quantized.engine = 'onednn'
    torch.set_num_threads(a.threads)
    p = os.path.join(a.outdir, 'fssd%d' % a.size)
    model = R.FSSD(a.size, NUM_CLASSES)
    model.load_state_dict(torch.load(p + '.pth'))
    model.eval()
    calib = torch.from_numpy(np.load(os.path.join(a.outdir, 'calib.npy')))
    x = torch.from_numpy(np.load(os.path.join(a.outdir, 'input.npy')))
    with torch.no_grad():
        ref_loc, ref_conf = model(x)
    prepared = prepare_fx(model, get_default_qconfig_mapping('onednn'), example_inputs=(x,))
    with torch.no_grad():
        for i in range(calib.shape[0]):
            prepared(calib[i:i + 1])
    q = convert_fx(prepared)
    xb = x.repeat(a.batch, 1, 1, 1)
    times = []
    with torch.inference_mode():
        for i in range(3 + a.runs):
            t0 = time.perf_counter()
            loc, conf = q(xb)
            dt = (time.perf_counter() - t0) * 1000 / a.batch
            if i >= 3:
                times.append(dt)
    print('TORCH int8 batch %d %.3f %.3f %s' % (
        a.batch, statistics.median(times), min(times), ','.join('%.3f' % t for t in times)))
    print('TORCHOUT int8 %.4e %.4e' % ((loc[:1] - ref_loc).abs().max().item(),
                                       (conf[:1] - ref_conf).abs().max().item()))
    with open('/proc/self/status') as f:
        hwm = [l.split()[1] for l in f if l.startswith('VmHWM:')]
    if hwm:
        print('TORCHRSS int8 %.0f' % (int(hwm[0]) / 1024.0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('outdir')
    ap.add_argument('--size', type=int, default=300, choices=(300, 512))
    ap.add_argument('--write-calib', action='store_true')
    ap.add_argument('--images', type=int, default=8)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=1)
    ap.add_argument('--runs', type=int, default=10)
    a = ap.parse_args()
    if a.write_calib:
        write_calib(a)
    else:
        quantise(a)


if __name__ == '__main__':
    main()
