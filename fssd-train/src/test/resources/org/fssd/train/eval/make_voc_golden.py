#!/usr/bin/python3
"""Writes voc_golden.txt: random VOC-style ground truth and detections, and the per-class APs
that the published PASCAL VOC evaluation algorithm (voc_eval / voc_ap, re-implemented here from
its description with numpy in float64) gives for them.

Run: /usr/bin/python3 make_voc_golden.py > voc_golden.txt   (numpy 1.24; seed fixed)

Coordinates are multiples of 0.5 so that Java floats hold them exactly; scores are distinct so
that the (unstable) published sort order is unambiguous.
"""
import numpy as np

rng = np.random.RandomState(20240607)
CLASSES = 3
IMAGES = 30


def voc_ap(rec, prec, use_07):
    if use_07:
        ap = 0.0
        for t in np.arange(0.0, 1.1, 0.1):
            p = 0 if np.sum(rec >= t) == 0 else np.max(prec[rec >= t])
            ap = ap + p / 11.0
        return ap
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = np.maximum(mpre[i - 1], mpre[i])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1])


def rand_box(cx=None, cy=None):
    if cx is None:
        cx, cy = rng.uniform(20, 280), rng.uniform(20, 280)
    w, h = rng.uniform(8, 80), rng.uniform(8, 80)
    x1, y1 = np.round((cx - w / 2) * 2) / 2, np.round((cy - h / 2) * 2) / 2
    x2, y2 = np.round((cx + w / 2) * 2) / 2, np.round((cy + h / 2) * 2) / 2
    return [x1, y1, max(x2, x1 + 1), max(y2, y1 + 1)]


gts = []  # (img, label, box(1-based ints), difficult)
dets = []  # (img, label, score, box(1-based))
scores = rng.permutation(5000)[:400] / 5000.0 + 1e-4
si = 0
for img in range(IMAGES):
    for _ in range(rng.randint(0, 5)):
        label = rng.randint(1, CLASSES + 1)
        b = [float(int(v)) for v in rand_box()]
        gts.append((img, label, b, int(rng.rand() < 0.15)))
        for _ in range(rng.randint(0, 3)):  # detections near the object
            j = [np.round((v + rng.uniform(-7, 7)) * 2) / 2 for v in b]
            j = [j[0], j[1], max(j[2], j[0] + 1), max(j[3], j[1] + 1)]
            jl = label if rng.rand() < 0.85 else rng.randint(1, CLASSES + 1)
            dets.append((img, jl, scores[si], j))
            si += 1
    for _ in range(rng.randint(0, 3)):  # background detections
        dets.append((img, rng.randint(1, CLASSES + 1), scores[si], rand_box()))
        si += 1

for img, label, b, d in gts:
    print("gt %d %d %.1f %.1f %.1f %.1f %d" % (img, label, b[0], b[1], b[2], b[3], d))
for img, label, s, b in dets:
    print("det %d %d %r %.1f %.1f %.1f %.1f" % (img, label, s, b[0], b[1], b[2], b[3]))

for c in range(1, CLASSES + 1):
    recs = {}
    npos = 0
    for img in range(IMAGES):
        R = [g for g in gts if g[0] == img and g[1] == c]
        bb = np.array([g[2] for g in R]).reshape(-1, 4)
        diff = np.array([g[3] for g in R]).astype(bool)
        npos += int(np.sum(~diff))
        recs[img] = {"bbox": bb, "difficult": diff, "det": [False] * len(R)}
    D = [d for d in dets if d[1] == c]
    ids = [d[0] for d in D]
    conf = np.array([d[2] for d in D])
    BB = np.array([d[3] for d in D]).reshape(-1, 4)
    order = np.argsort(-conf)
    BB = BB[order, :]
    ids = [ids[x] for x in order]
    nd = len(ids)
    tp = np.zeros(nd)
    fp = np.zeros(nd)
    for d in range(nd):
        R = recs[ids[d]]
        bb = BB[d, :].astype(float)
        ovmax = -np.inf
        BBGT = R["bbox"].astype(float)
        if BBGT.size > 0:
            ixmin = np.maximum(BBGT[:, 0], bb[0])
            iymin = np.maximum(BBGT[:, 1], bb[1])
            ixmax = np.minimum(BBGT[:, 2], bb[2])
            iymax = np.minimum(BBGT[:, 3], bb[3])
            iw = np.maximum(ixmax - ixmin + 1.0, 0.0)
            ih = np.maximum(iymax - iymin + 1.0, 0.0)
            inters = iw * ih
            uni = ((bb[2] - bb[0] + 1.0) * (bb[3] - bb[1] + 1.0)
                   + (BBGT[:, 2] - BBGT[:, 0] + 1.0) * (BBGT[:, 3] - BBGT[:, 1] + 1.0) - inters)
            overlaps = inters / uni
            ovmax = np.max(overlaps)
            jmax = np.argmax(overlaps)
        if ovmax > 0.5:
            if not R["difficult"][jmax]:
                if not R["det"][jmax]:
                    tp[d] = 1.0
                    R["det"][jmax] = 1
                else:
                    fp[d] = 1.0
        else:
            fp[d] = 1.0
    fp = np.cumsum(fp)
    tp = np.cumsum(tp)
    rec = tp / float(npos)
    prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    print("ap %d %r %r %d" % (c, float(voc_ap(rec, prec, True)), float(voc_ap(rec, prec, False)),
                              npos))
