#!/usr/bin/env python3
"""SPEC 5 target matching in torch, as an oracle for fssd-data's PriorMatcher.

Writes fssd-data/src/test/resources/org/fssd/data/target/match_cases.json: for a few
hand-picked and random ground-truth sets on the VOC_300 priors, the positive priors with
their labels and encoded loc targets (every other prior is background, so only positives
are stored). Deterministic. Run from the repository root with Debian's /usr/bin/python3.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fssd_ref  # noqa: E402

VARIANCES = (0.1, 0.2)


def point_form(p):
    return torch.cat([p[:, :2] - p[:, 2:] / 2, p[:, :2] + p[:, 2:] / 2], 1)


def iou(a, b):
    """IoU without +1 between point-form boxes a [A,4] and b [B,4] -> [A,B]."""
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area_a = ((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]))[:, None]
    area_b = ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))[None, :]
    return inter / (area_a + area_b - inter)


def encode(matched, pri):
    g_cxcy = ((matched[:, :2] + matched[:, 2:]) / 2 - pri[:, :2]) / (VARIANCES[0] * pri[:, 2:])
    g_wh = torch.log((matched[:, 2:] - matched[:, :2]) / pri[:, 2:]) / VARIANCES[1]
    return torch.cat([g_cxcy, g_wh], 1)


def check_no_ties(overlaps, name):
    """SPEC 5 does not say which prior wins an exact IoU tie (torch's argmax does not promise
    the first); a fixture must not depend on it."""
    top2 = overlaps.topk(2, dim=1).values
    gap = (top2[:, 0] - top2[:, 1]).min().item()
    if gap < 1e-6:
        raise SystemExit("%s: a GT has two equally best priors (gap %g); change the case" % (name, gap))


def match(gt, labels, pri, threshold=0.5, name=""):
    overlaps = iou(gt, point_form(pri))               # [G, P]
    check_no_ties(overlaps, name)
    best_prior_idx = overlaps.argmax(1)               # per GT (first max on ties)
    best_truth_overlap, best_truth_idx = overlaps.max(0)  # per prior
    best_truth_overlap = best_truth_overlap.clone()
    best_truth_overlap[best_prior_idx] = 2.0
    for j in range(gt.shape[0]):                      # later GTs win
        best_truth_idx[best_prior_idx[j]] = j
    conf = labels[best_truth_idx].clone()
    conf[best_truth_overlap < threshold] = 0
    loc = encode(gt[best_truth_idx], pri)
    return loc, conf


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "fssd-data/src/test/resources/org/fssd/data/target"
    pri = torch.from_numpy(fssd_ref.priors("VOC_300")).double()
    g = torch.Generator().manual_seed(5)
    cases = [
        ("one_box", [[0.1, 0.2, 0.5, 0.7]], [3]),
        ("overlapping_later_wins", [[0.30, 0.30, 0.62, 0.64], [0.31, 0.30, 0.63, 0.64]], [1, 2]),
        ("small_and_large", [[0.021, 0.017, 0.133, 0.121], [0.05, 0.1, 0.98, 0.95], [0.6, 0.55, 0.7, 0.9]], [4, 7, 20]),
    ]
    point_priors = point_form(pri)
    r = 0
    while r < 3:
        n = 1 + r * 3
        xy = torch.rand(n, 2, generator=g, dtype=torch.float64) * 0.7
        wh = 0.03 + torch.rand(n, 2, generator=g, dtype=torch.float64) * 0.5
        boxes = torch.cat([xy, (xy + wh).clamp(max=1.0)], 1)
        labels = (torch.randint(1, 21, (n,), generator=g)).tolist()
        gt32 = torch.tensor(boxes.tolist(), dtype=torch.float32).double()
        top2 = iou(gt32, point_priors).topk(2, dim=1).values
        if (top2[:, 0] - top2[:, 1]).min().item() < 1e-6:
            continue  # an exact tie for a GT's best prior: draw again (see check_no_ties)
        cases.append(("random_%d" % r, boxes.tolist(), labels))
        r += 1
    result = []
    for name, boxes, labels in cases:
        gt = torch.tensor(boxes, dtype=torch.float32).double()
        loc, conf = match(gt, torch.tensor(labels), pri, name=name)
        pos = torch.nonzero(conf > 0).flatten().tolist()
        result.append({
            "name": name,
            "gt": [[float(v) for v in b] for b in torch.tensor(boxes, dtype=torch.float32).tolist()],
            "labels": labels,
            "positives": [{"prior": i, "label": int(conf[i]), "loc": [float(v) for v in loc[i]]} for i in pos],
        })
        print(name, "positives:", len(pos))
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "match_cases.json"), "w") as f:
        json.dump({"priors": "VOC_300", "threshold": 0.5, "variances": VARIANCES,
                   "generator": "tools/reference/make_match_fixtures.py", "cases": result}, f, indent=1)


if __name__ == "__main__":
    main()
