#!/usr/bin/env python3
"""Golden set for the COCO bbox evaluation (fssd-train CocoGoldenTest, fssd-cli).

Writes into OUTDIR (default fssd-train/src/test/resources/org/fssd/train/eval/coco-golden/):

  instances.json  a small COCO instances file (ground truth)
  dets.json       a COCO results file ([{"image_id","category_id","bbox","score"}])
  expected.json   what pycocotools' COCOeval (iouType "bbox") makes of them:
                  {"stats": [12 numbers], "class_ap": {category_id: AP@[.5:.95] or -1},
                   "pycocotools": version}

The set is deliberately hostile to shortcuts in an evaluator:
  - non-contiguous category ids (1, 3, 7, 18, 44, 55, 90); 55 is listed but has no
    annotation; detections also use 55 and 99 (99 is not a category at all: ignored);
  - image ids non-contiguous and not in ascending order in the file; images without
    annotations (some with detections, some without);
  - every annotation's `area` (the "segmentation area") differs from its box area
    (factor 0.3 .. 1.6), so the small/medium/large split differs from the box one;
  - crowd objects (iscrowd 1), with detections inside them;
  - two images with more than 100 detections of one category;
  - scores rounded to 2 decimals, so many ties within and across images;
  - detections in shuffled file order; fractional box coordinates.

Regenerate from the repository root (deterministic: fixed seed, sorted JSON output):

    python3 -m pip install pycocotools      # needs numpy
    python3 tools/reference/make_coco_golden.py

Any python3 with numpy and pycocotools works (tested with pycocotools 2.0.11,
numpy 2.4, Python 3.11). The numbers are pycocotools' own: this script does not
reimplement the evaluation.
"""
import contextlib
import io
import json
import os
import random
import sys

CATS = [1, 3, 7, 18, 44, 55, 90]
ANNOTATED = [1, 3, 7, 18, 44, 90]  # 55 has no ground truth


def r2(v):
    return round(v, 2)


def make(seed=20240611):
    rnd = random.Random(seed)
    images = []
    anns = []
    dets = []
    ids = rnd.sample(range(1, 1_000_000), 40)
    for n, img_id in enumerate(ids):
        w = rnd.randint(200, 640)
        h = rnd.randint(200, 640)
        images.append({"id": img_id, "file_name": "%012d.jpg" % img_id, "width": w, "height": h})
        empty = n % 8 == 3  # five images without annotations
        nobj = 0 if empty else rnd.randint(1, 12)
        objs = []
        for _ in range(nobj):
            side = 2 ** rnd.uniform(2.5, 8.6)  # ~6 .. 390 px
            aspect = 2 ** rnd.uniform(-1.2, 1.2)
            bw = min(w - 2, max(2.0, side * aspect ** 0.5))
            bh = min(h - 2, max(2.0, side / aspect ** 0.5))
            x = rnd.uniform(0, w - bw - 1)
            y = rnd.uniform(0, h - bh - 1)
            box = [r2(x), r2(y), r2(bw), r2(bh)]
            crowd = 1 if rnd.random() < 0.08 else 0
            cat = rnd.choice(ANNOTATED)
            area = r2(box[2] * box[3] * rnd.uniform(0.3, 1.6))
            ann = {"id": len(anns) + 1, "image_id": img_id, "category_id": cat, "bbox": box,
                   "area": area, "iscrowd": crowd}
            anns.append(ann)
            objs.append(ann)
        # Detections near the objects: 0..3 per object with varying jitter.
        for o in objs:
            k = rnd.choice([0, 1, 1, 1, 2, 3])
            for _ in range(k):
                x, y, bw, bh = o["bbox"]
                j = rnd.choice([0.02, 0.05, 0.1, 0.2, 0.4])
                dx, dy = rnd.gauss(0, j * bw), rnd.gauss(0, j * bh)
                sw, sh = 2 ** rnd.gauss(0, j), 2 ** rnd.gauss(0, j)
                cat = o["category_id"] if rnd.random() < 0.9 else rnd.choice(CATS + [99])
                dets.append({"image_id": img_id, "category_id": cat,
                             "bbox": [r2(x + dx), r2(y + dy), r2(bw * sw), r2(bh * sh)],
                             "score": r2(rnd.uniform(0.05, 1.0))})
        # Random false positives, including on empty images.
        for _ in range(rnd.randint(0, 6)):
            bw = rnd.uniform(4, w / 2)
            bh = rnd.uniform(4, h / 2)
            dets.append({"image_id": img_id, "category_id": rnd.choice(CATS + [99]),
                         "bbox": [r2(rnd.uniform(0, w - bw)), r2(rnd.uniform(0, h - bh)), r2(bw),
                                  r2(bh)],
                         "score": r2(rnd.uniform(0.01, 0.9))})
        # Crowded images: > 100 detections of one category, some near its objects.
        if n in (1, 17):
            cat = objs[0]["category_id"] if objs else 1
            for i in range(130):
                if objs and i % 3 == 0:
                    x, y, bw, bh = rnd.choice(objs)["bbox"]
                    box = [r2(x + rnd.gauss(0, 3)), r2(y + rnd.gauss(0, 3)), r2(bw), r2(bh)]
                else:
                    bw = rnd.uniform(4, 120)
                    bh = rnd.uniform(4, 120)
                    box = [r2(rnd.uniform(0, w - bw)), r2(rnd.uniform(0, h - bh)), r2(bw), r2(bh)]
                dets.append({"image_id": img_id, "category_id": cat, "bbox": box,
                             "score": r2(rnd.uniform(0.01, 1.0))})
    rnd.shuffle(dets)
    rnd.shuffle(images)
    cats = [{"id": c, "name": "cat%d" % c, "supercategory": "thing"} for c in CATS]
    rnd.shuffle(cats)  # readers must sort by id themselves
    gt = {"info": {"description": "fssd4j COCO golden set (make_coco_golden.py)"},
          "images": images, "annotations": anns, "categories": cats}
    return gt, dets


def evaluate(gt_path, dets_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    from importlib import metadata
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        dt = gt.loadRes(dets_path)
    ev = COCOeval(gt, dt, "bbox")
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    prec = ev.eval["precision"]  # [T, R, K, A, M]
    class_ap = {}
    for k, cat in enumerate(ev.params.catIds):
        p = prec[:, :, k, 0, -1]
        p = p[p > -1]
        class_ap[str(cat)] = float(p.mean()) if p.size else -1.0
    return {"stats": [float(s) for s in ev.stats], "class_ap": class_ap,
            "pycocotools": metadata.version("pycocotools")}


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        root, "fssd-train/src/test/resources/org/fssd/train/eval/coco-golden")
    os.makedirs(out, exist_ok=True)
    gt, dets = make()
    gp = os.path.join(out, "instances.json")
    dp = os.path.join(out, "dets.json")
    with open(gp, "w") as f:
        json.dump(gt, f, separators=(",", ":"))
        f.write("\n")
    with open(dp, "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(d, separators=(",", ":")) for d in dets) + "\n]\n")
    exp = evaluate(gp, dp)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(exp, f, indent=1, sort_keys=True)
        f.write("\n")
    print("%d images, %d annotations, %d detections -> %s" % (
        len(gt["images"]), len(gt["annotations"]), len(dets), out))


if __name__ == "__main__":
    main()
