#!/usr/bin/python3
"""Compares reference detections with the Java CLI's JSON.

Usage: compare_detections.py expected.json actual.json [--box-tol 1e-3]
                             [--score-tol 1e-4] [--image NAME]

expected.json: the reference list [{"class", "score", "box", "prior"}, ...]
  (make_fixtures.py / make_full.py).
actual.json: the CLI's [{"image", "width", "height", "detections":
  [{"class", "label", "score", "box"}, ...]}, ...]; the entry whose image
  path ends with --image (default: the only entry) is used. A bare list of
  detections is accepted too.
Detections are matched by class and box (every coordinate within box-tol
pixels; among several candidates the nearest), then scores are compared.
Exit status 0 when every detection matches both ways, 1 otherwise.
"""

import argparse
import json
import sys


def load_actual(path, image):
    with open(path) as f:
        data = json.load(f)
    if isinstance(data, list) and data and 'detections' in data[0]:
        if image:
            entries = [e for e in data if str(e.get('image', '')).endswith(image)]
        else:
            entries = data
        if len(entries) != 1:
            sys.exit('%s: expected one image entry%s, found %d'
                     % (path, ' for ' + image if image else '', len(entries)))
        return entries[0]['detections']
    return data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('expected')
    ap.add_argument('actual')
    ap.add_argument('--box-tol', type=float, default=1e-3)
    ap.add_argument('--score-tol', type=float, default=1e-4)
    ap.add_argument('--image', default=None)
    a = ap.parse_args()
    with open(a.expected) as f:
        exp = json.load(f)
    act = load_actual(a.actual, a.image)
    used = [False] * len(act)
    matched = 0
    missing = []
    max_box = 0.0
    max_score = 0.0
    bad_score = 0
    for e in exp:
        best = None
        best_d = None
        for k, d in enumerate(act):
            if used[k] or int(d['class']) != int(e['class']):
                continue
            dist = max(abs(float(x) - float(y)) for x, y in zip(d['box'], e['box']))
            if dist <= a.box_tol and (best_d is None or dist < best_d):
                best, best_d = k, dist
        if best is None:
            missing.append(e)
            continue
        used[best] = True
        matched += 1
        max_box = max(max_box, best_d)
        ds = abs(float(act[best]['score']) - float(e['score']))
        max_score = max(max_score, ds)
        if ds > a.score_tol:
            bad_score += 1
    extra = [d for k, d in enumerate(act) if not used[k]]
    ok = not missing and not extra and bad_score == 0
    print('%s: expected %d, actual %d, matched %d, missing %d, extra %d, '
          'score mismatches %d; max |box diff| %.3g px, max |score diff| %.3g'
          % ('OK' if ok else 'MISMATCH', len(exp), len(act), matched,
             len(missing), len(extra), bad_score, max_box, max_score))
    for e in missing[:10]:
        print('  missing: class %s score %.6f box %s prior %s'
              % (e['class'], e['score'], e['box'], e.get('prior')))
    for d in extra[:10]:
        print('  extra:   class %s score %.6f box %s'
              % (d['class'], d['score'], d['box']))
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
