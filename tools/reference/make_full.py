#!/usr/bin/python3
"""Writes a FULL-width random-weight FSSD (VOC, C = 21) and its reference
outputs to OUTDIR (a scratch folder; these files are never committed).

Usage: /usr/bin/python3 tools/reference/make_full.py OUTDIR [--size 300|512]
           [--image PATH] [--seed N]

Writes fssdSIZE.pth (zip state_dict), image.png (the synthetic image, or a
copy of --image re-encoded as PNG), fssdSIZE_loc.npy, fssdSIZE_conf.npy,
fssdSIZE_detections.json (threshold 0.01, original image size) and
fssdSIZE_margins.json (robustness margins, see fssd_ref.robustness_margins).
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fssd_ref as R  # noqa: E402
from synth_image import synth_image  # noqa: E402

CONF_STD = 3.0
BG_OFFSET = 11.0


def main():
    import cv2
    ap = argparse.ArgumentParser()
    ap.add_argument('outdir')
    ap.add_argument('--size', type=int, default=300, choices=(300, 512))
    ap.add_argument('--image', default=None)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    if a.image:
        img = cv2.imread(a.image, cv2.IMREAD_COLOR)
        if img is None:
            sys.exit('cannot read image ' + a.image)
    else:
        img = synth_image(500, 375, seed=2024)
    cv2.imwrite(os.path.join(a.outdir, 'image.png'), img)
    height, width = img.shape[:2]
    x = R.preprocess(img, a.size)
    torch.manual_seed(a.seed)
    model = R.FSSD(a.size, 21)
    R.random_init(model, a.seed)
    R.calibrate(model, x, conf_std=CONF_STD, bg_offset=BG_OFFSET)
    model.eval()
    counts = R.param_breakdown(model)
    with torch.no_grad():
        loc, conf = model(x)
    loc = loc.numpy()
    conf = conf.numpy()
    pri = R.priors('VOC_%d' % a.size)
    assert loc.shape[1] == pri.shape[0], (loc.shape, pri.shape)
    details = {}
    dets = R.detect(loc[0], conf[0], pri, width, height, threshold=0.01,
                    details=details)
    margins = R.robustness_margins(details, threshold=0.01)
    p = os.path.join(a.outdir, 'fssd%d' % a.size)
    torch.save(model.state_dict(), p + '.pth')
    np.save(p + '_loc.npy', loc)
    np.save(p + '_conf.npy', conf)
    with open(p + '_detections.json', 'w') as f:
        R.write_detections_json(f, dets)
    with open(p + '_margins.json', 'w') as f:
        json.dump(dict(margins=margins, params=counts, seed=a.seed,
                       priors=int(pri.shape[0])), f, indent=1)
    print('FSSD%d: %d params (%s), P=%d, %d detections, margins: %s'
          % (a.size, counts['total'],
             ', '.join('%s %d' % kv for kv in counts.items() if kv[0] != 'total'),
             pri.shape[0], len(dets),
             ', '.join('%s=%.3g' % kv for kv in margins.items())))


if __name__ == '__main__':
    main()
