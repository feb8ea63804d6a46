"""Generates the golden files of PriorBoxesGoldenTest / BoxCoderGoldenTest.

Run with Debian's python3 (torch 1.13 CPU):  /usr/bin/python3 make_golden.py
Transcribes the reference's PriorBox (Python doubles -> torch.Tensor float32 -> clamp_) and its
decode (float32 tensor ops), and writes raw little-endian float32 files:
  priors_voc300.f32   11620 x 4 priors of VOC_300
  decode_loc.f32      1000 x 4 random offsets (seed 0)
  decode_priors.f32   1000 x 4 priors (the first 1000 VOC_300 priors with stride 11)
  decode_out.f32      1000 x 4 torch decode of the two above
"""
from itertools import product
from math import sqrt

import numpy as np
import torch

VOC_300 = dict(feature_maps=[38, 19, 10, 5, 3, 1], min_dim=300,
               steps=[8, 16, 32, 64, 100, 300], min_sizes=[30, 60, 111, 162, 213, 264],
               max_sizes=[60, 111, 162, 213, 264, 315],
               aspect_ratios=[[2, 3], [2, 3], [2, 3], [2, 3], [2], [2]])


def prior_box(cfg):
    mean = []
    size = cfg['min_dim']
    for k, f in enumerate(cfg['feature_maps']):
        for i, j in product(range(f), repeat=2):
            f_k = size / cfg['steps'][k]
            cx = (j + 0.5) / f_k
            cy = (i + 0.5) / f_k
            s_k = cfg['min_sizes'][k] / size
            mean += [cx, cy, s_k, s_k]
            s_k_prime = sqrt(s_k * (cfg['max_sizes'][k] / size))
            mean += [cx, cy, s_k_prime, s_k_prime]
            for ar in cfg['aspect_ratios'][k]:
                mean += [cx, cy, s_k * sqrt(ar), s_k / sqrt(ar)]
                mean += [cx, cy, s_k / sqrt(ar), s_k * sqrt(ar)]
    out = torch.Tensor(mean).view(-1, 4)
    out.clamp_(max=1, min=0)
    return out


def decode(loc, priors, variances=(0.1, 0.2)):
    boxes = torch.cat((
        priors[:, :2] + loc[:, :2] * variances[0] * priors[:, 2:],
        priors[:, 2:] * torch.exp(loc[:, 2:] * variances[1])), 1)
    boxes[:, :2] -= boxes[:, 2:] / 2
    boxes[:, 2:] += boxes[:, :2]
    return boxes


def write(name, t):
    t.numpy().astype('<f4').tofile(name)


if __name__ == '__main__':
    priors = prior_box(VOC_300)
    assert priors.shape == (11620, 4)
    write('priors_voc300.f32', priors)
    g = torch.Generator().manual_seed(0)
    loc = torch.randn(1000, 4, generator=g) * 2
    sub = priors[::11][:1000].contiguous()
    write('decode_loc.f32', loc)
    write('decode_priors.f32', sub)
    write('decode_out.f32', decode(loc, sub))
