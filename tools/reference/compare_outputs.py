#!/usr/bin/env python3
"""Compare raw network outputs: compare_outputs.py expected_loc.npy expected_conf.npy actual_loc.npy actual_conf.npy [--tol 1e-4]

Prints the max |difference| of loc and of conf; exit 1 if either exceeds the tolerance
(default 1e-4, absolute) or the shapes differ.
"""
import argparse
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("expected_loc")
    ap.add_argument("expected_conf")
    ap.add_argument("actual_loc")
    ap.add_argument("actual_conf")
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()
    ok = True
    parts = []
    for name, e, g in (("loc", a.expected_loc, a.actual_loc), ("conf", a.expected_conf, a.actual_conf)):
        exp = np.load(e).astype(np.float64)
        act = np.load(g).astype(np.float64)
        if exp.shape != act.shape:
            parts.append("%s shape %s vs %s" % (name, exp.shape, act.shape))
            ok = False
            continue
        d = float(np.abs(exp - act).max())
        parts.append("max |%s diff| %.3g" % (name, d))
        ok = ok and d <= a.tol
    print(("OK: " if ok else "MISMATCH: ") + ", ".join(parts) + " (tol %g)" % a.tol)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
