#!/usr/bin/python3
"""Cross-checks of fssd_ref.py against independent, naive re-derivations of
SPEC.md, and of the committed fixtures. Prints one line per check and exits 1
on any failure.

Usage: /usr/bin/python3 tools/reference/selfcheck.py [FIXTURE_DIR]
"""

import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fssd_ref as R  # noqa: E402
import make_fixtures as MF  # noqa: E402

FAILED = []


def check(name, ok, detail=''):
    print('%-4s %s %s' % ('ok' if ok else 'FAIL', name, detail))
    if not ok:
        FAILED.append(name)


def naive_priors(cfg):
    """SPEC 3 re-derived with math only, in double, then float32 + clamp."""
    c = R.PRIOR_CONFIGS[cfg]
    rows = []
    for k, fm in enumerate(c['feature_maps']):
        f = c['size'] / c['steps'][k]
        s = c['min_sizes'][k] / c['size']
        sp = math.sqrt(s * c['max_sizes'][k] / c['size'])
        for idx in range(fm * fm):
            i, j = divmod(idx, fm)
            cx, cy = (j + 0.5) / f, (i + 0.5) / f
            rows += [(cx, cy, s, s), (cx, cy, sp, sp)]
            for ar in c['aspect_ratios'][k]:
                rows += [(cx, cy, s * math.sqrt(ar), s / math.sqrt(ar)),
                         (cx, cy, s / math.sqrt(ar), s * math.sqrt(ar))]
    return np.clip(np.array(rows, np.float32), 0, 1)


def spec_bilinear(x, out):
    """SPEC 2.3 formula on an [C,H,W] float64 array, square output."""
    c, h, w = x.shape
    def axis(n_in):
        o = np.arange(out)
        src = np.maximum(0.0, (o + 0.5) * n_in / out - 0.5)
        i0 = np.floor(src).astype(int)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, src - i0
    y0, y1, wy = axis(h)
    x0, x1, wx = axis(w)
    top = x[:, y0][:, :, x0] * (1 - wx) + x[:, y0][:, :, x1] * wx
    bot = x[:, y1][:, :, x0] * (1 - wx) + x[:, y1][:, :, x1] * wx
    return top * (1 - wy[:, None]) + bot * wy[:, None]


def spec_resize_float(img, size):
    """SPEC 1 INTER_LINEAR formula in double (src clamped to [0, n-1])."""
    h, w = img.shape[:2]
    def axis(n_in):
        o = np.arange(size)
        src = (o + 0.5) * n_in / size - 0.5
        src = np.clip(src, 0, n_in - 1)
        i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, src - i0
    y0, y1, wy = axis(h)
    x0, x1, wx = axis(w)
    f = img.astype(np.float64)
    top = f[y0][:, x0] * (1 - wx)[None, :, None] + f[y0][:, x1] * wx[None, :, None]
    bot = f[y1][:, x0] * (1 - wx)[None, :, None] + f[y1][:, x1] * wx[None, :, None]
    return top * (1 - wy)[:, None, None] + bot * wy[:, None, None]


def naive_detect(loc, conf, pri, width, height, thr=0.01, iou=0.45):
    """SPEC 9 in float64 with Python loops (set of (class, prior) kept)."""
    conf = conf.astype(np.float64)
    e = np.exp(conf - conf.max(1, keepdims=True))
    sc = e / e.sum(1, keepdims=True)
    b = R.decode(loc, pri).astype(np.float64)
    b[:, [0, 2]] *= width
    b[:, [1, 3]] *= height
    out = []
    for j in range(1, conf.shape[1]):
        cand = sorted(np.nonzero(sc[:, j] > thr)[0], key=lambda p: (-sc[p, j], p))
        kept = []
        for p in cand:
            if len(kept) == 40:
                break
            ok = True
            for q in kept:
                w = max(0.0, min(b[p, 2], b[q, 2]) - max(b[p, 0], b[q, 0]) + 1)
                h = max(0.0, min(b[p, 3], b[q, 3]) - max(b[p, 1], b[q, 1]) + 1)
                inter = w * h
                ap = (b[p, 2] - b[p, 0] + 1) * (b[p, 3] - b[p, 1] + 1)
                aq = (b[q, 2] - b[q, 0] + 1) * (b[q, 3] - b[q, 1] + 1)
                if inter / (ap + aq - inter) > iou:
                    ok = False
                    break
            if ok:
                kept.append(p)
        out += [(j, p, sc[p, j]) for p in kept]
    if len(out) > 200:
        cut = sorted((s for _, _, s in out), reverse=True)[199]
        out = [d for d in out if d[2] >= cut]
    return sorted((j, p) for j, p, _ in out)


def main():
    fx = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else MF.DEFAULT_OUT)
    torch.set_num_threads(1)
    import cv2

    # Priors.
    for cfg, n in (('VOC_300', 11620), ('VOC_512', 32756), ('COCO_300', 11620),
                   ('COCO_512', 32756)):
        p = R.priors(cfg)
        q = naive_priors(cfg)
        check('priors %s' % cfg, p.shape == (n, 4) and np.array_equal(p, q),
              'shape %s maxdiff %g' % (p.shape, np.abs(p - q).max()))
    # Parameter counts of the full models.
    for size, expect in ((300, 34131424), (512, 35526006)):
        got = R.param_breakdown(R.FSSD(size, 21))['total']
        check('params FSSD%d VOC' % size, got == expect,
              '%d (expected %d)' % (got, expect))
    # Level sizes.
    m = R.FSSD(512, 21, widths=dict(MF.NARROW_WIDTHS, pyramid=[8] * 7))
    with torch.no_grad():
        _, lv = m.features(torch.zeros(1, 3, 512, 512))
    check('FSSD512 level sizes', [t.shape[-1] for t in lv] == [64, 32, 16, 8, 4, 2, 1],
          str([t.shape[-1] for t in lv]))
    m = R.FSSD(300, 21, widths=MF.NARROW_WIDTHS)
    with torch.no_grad():
        src, lv = m.features(torch.zeros(1, 3, 300, 300))
    check('FSSD300 source/level sizes',
          [t.shape[-1] for t in src] == [38, 19, 9] and
          [t.shape[-1] for t in lv] == [38, 19, 10, 5, 3, 1],
          '%s %s' % ([t.shape[-1] for t in src], [t.shape[-1] for t in lv]))
    # Bilinear fusion resize == SPEC formula.
    g = torch.Generator().manual_seed(3)
    for n_in, n_out in ((19, 38), (10, 38), (32, 64), (16, 64)):
        x = torch.randn(4, n_in, n_in, generator=g, dtype=torch.float64)
        a = F.interpolate(x[None], size=(n_out, n_out), mode='bilinear',
                          align_corners=False)[0].numpy()
        b = spec_bilinear(x.numpy(), n_out)
        check('bilinear %d->%d' % (n_in, n_out), np.abs(a - b).max() < 1e-12,
              'maxdiff %g' % np.abs(a - b).max())
    # Decode against SPEC 4 in double.
    dl = np.load(os.path.join(fx, 'decode_loc.npy')).astype(np.float64)
    dp = np.load(os.path.join(fx, 'decode_priors.npy')).astype(np.float64)
    db = np.load(os.path.join(fx, 'decode_boxes.npy'))
    cx = dp[:, 0] + dl[:, 0] * 0.1 * dp[:, 2]
    cy = dp[:, 1] + dl[:, 1] * 0.1 * dp[:, 3]
    w = dp[:, 2] * np.exp(dl[:, 2] * 0.2)
    h = dp[:, 3] * np.exp(dl[:, 3] * 0.2)
    ref = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
    check('decode vs double', np.abs(db - ref).max() < 1e-6,
          'maxdiff %g' % np.abs(db - ref).max())
    # Preprocessing: OpenCV fixed-point vs the SPEC formula in double.
    img = cv2.imread(os.path.join(fx, 'image.png'), cv2.IMREAD_COLOR)
    rs = np.load(os.path.join(fx, 'input_300_bgr.npy'))
    check('input_300_bgr == cv2.resize', np.array_equal(rs, R.resize_bgr(img, 300)))
    fl = spec_resize_float(img, 300)
    d = np.abs(np.rint(fl) - rs.astype(np.float64))
    print('info resize: |round(SPEC float formula) - cv2 uint8| max %g, '
          '%d of %d values differ' % (d.max(), int((d > 0).sum()), d.size))
    # Fixture models: reload each checkpoint and recompute outputs.
    x = R.preprocess(img, 300)
    pri = R.priors('VOC_300')
    for prefix, c, bn, widths, files in (
            ('narrow300', 21, False, MF.NARROW_WIDTHS,
             ['narrow300.pth', 'narrow300_legacy.pth',
              'narrow300_module_wrapped_legacy.pth']),
            ('bn_pruned300', 5, True, MF.BN_WIDTHS,
             ['bn_pruned300.pth', 'bn_pruned300_legacy.pth'])):
        loc_ref = np.load(os.path.join(fx, prefix + '_loc.npy'))
        conf_ref = np.load(os.path.join(fx, prefix + '_conf.npy'))
        for fname in files:
            sd = torch.load(os.path.join(fx, fname))
            if 'state_dict' in sd:
                sd = {k[len('module.'):]: v for k, v in sd['state_dict'].items()}
            model = R.FSSD(300, c, bn=bn, widths=widths)
            model.load_state_dict(sd)
            model.eval()
            with torch.no_grad():
                loc, conf = model(x)
            dl_ = np.abs(loc.numpy() - loc_ref).max()
            dc_ = np.abs(conf.numpy() - conf_ref).max()
            check('reload %s' % fname, dl_ == 0 and dc_ == 0,
                  'loc %g conf %g' % (dl_, dc_))
        h, w_ = img.shape[:2]
        dets = R.detect(loc_ref[0], conf_ref[0], pri, w_, h)
        with open(os.path.join(fx, prefix + '_detections.json')) as f:
            js = json.load(f)
        same = [(d['class'], d['score'], d['box'], d['prior']) for d in js] == \
            [(d[0], d[1], list(d[2:6]), d[6]) for d in dets]
        check('%s detections reproducible' % prefix, same, '%d dets' % len(js))
        naive = naive_detect(loc_ref[0], conf_ref[0], pri, w_, h)
        check('%s detections == naive float64 SPEC 9' % prefix,
              naive == sorted((d['class'], d['prior']) for d in js),
              '%d vs %d' % (len(naive), len(js)))
        print('info %s output ranges: loc [%.3f, %.3f], conf [%.3f, %.3f], '
              'scores [%.4f, %.4f]' % (prefix, loc_ref.min(), loc_ref.max(),
                                       conf_ref.min(), conf_ref.max(),
                                       min(d['score'] for d in js),
                                       max(d['score'] for d in js)))
    print('%d check(s) failed' % len(FAILED) if FAILED else 'all checks passed')
    sys.exit(1 if FAILED else 0)


if __name__ == '__main__':
    main()
