#!/usr/bin/python3
"""PyTorch's time for one FSSD300 training step, the peer of fssd4j's
TrainStepBenchmark / TrainCompare (tools/bench-compare.sh prints the ratio).

One step = optimizer.zero_grad, forward in training mode, the MultiBox loss
(SPEC 6, written as the reference's ssd.pytorch-style MultiBoxLoss: smooth L1
on positives, cross-entropy on positives + hard negatives, 3 per positive,
both divided by the number of positives), backward, and torch.optim.SGD
(lr 1e-4, momentum 0.9, weight_decay 5e-4 on every parameter: the settings
of fssd4j's benchmark). The network is fssd_ref.FSSD (this folder's own
reference implementation of SPEC 2), VOC, 21 classes.

Usage (Debian's /usr/bin/python3 with torch 1.13; bench-compare.sh preloads
jemalloc with memory return off, as for the forward timing):

    /usr/bin/python3 tools/reference/train_step_timing.py [--dir DIR]
        [--threads 2] [--batch 8] [--warmup 1] [--runs 3] [--bn [--write-weights]]
        [--precision fp32|bf16]
        [--memory-format both|channels_last|contiguous] [--scale 1.0] [--seed 1]

--dir DIR: the weights DIR/fssd300.pth (tools/reference/export_onnx.py) and
the batch DIR/train_input.npy, train_loc_t.npy, train_conf_t.npy written by
fssd4j (`org.fssd.bench.TrainCompare --export-batch`): the same weights and
tensors fssd4j trains on, so the first step's loss must agree. Without
--dir: random weights (fssd_ref.random_init(seed)) and a random batch of
--batch images (speed does not depend on the values). --scale s: every
prunable width times s (e.g. 0.125 for a quick smoke run; random weights
only).

--bn: the BN variant (SPEC 2.7). With --dir its weights are DIR/fssd300-bn.pth,
which --bn --write-weights --dir DIR writes (fssd_ref.random_init(seed) of
the BN model: the running statistics are random too, which a training-mode
step does not read) and then exits; fssd4j's TrainCompare --bn imports the
same file. Output names then carry "-bn": TRAINLOSS pytorch-bn,
TRAIN pytorch-bn-fp32-<format>.

--precision bf16: the forward under torch.autocast('cpu', bfloat16) (bf16
convolutions, fp32 master weights; the loss in fp32), PyTorch's peer of
fssd4j's --precision bf16; names pytorch[-bn]-bf16-<format>, TRAINLOSS
pytorch-bf16.

--memory-format both (default) times NCHW (contiguous) and channels_last,
model and input, alternating step by step after --warmup steps each, so the
caller can take the faster one. Output, one line per format:

    TRAIN pytorch-<precision>-<format> batch <B> <median ms/step> <min ms/step> <every step's ms, comma-separated>

and once, before: TRAINLOSS pytorch <loc loss> <conf loss> <positives> of
the first step (at the initial weights).
"""

import argparse
import copy
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fssd_ref as R  # noqa: E402

NUM_CLASSES = 21
NEG_POS = 3
LR, MOMENTUM, WEIGHT_DECAY = 1e-4, 0.9, 5e-4


def multibox_loss(loc, conf, loc_t, conf_t):
    """(loc loss, conf loss) of SPEC 6; loc [B,P,4], conf [B,P,C], loc_t [B,P,4], conf_t [B,P] int64."""
    pos = conf_t > 0
    num_pos = pos.sum(1, keepdim=True)
    loss_l = F.smooth_l1_loss(loc[pos], loc_t[pos], reduction='sum')
    with torch.no_grad():  # the hard-negative selection is a constant for the gradient
        ce = torch.logsumexp(conf, 2) - conf.gather(2, conf_t.unsqueeze(2)).squeeze(2)
        ce[pos] = 0
        _, order = ce.sort(1, descending=True)
        _, rank = order.sort(1)
        num_neg = torch.clamp(NEG_POS * num_pos, max=pos.size(1) - 1)
        neg = rank < num_neg
    sel = pos | neg
    loss_c = F.cross_entropy(conf[sel], conf_t[sel], reduction='sum')
    n = max(1, int(num_pos.sum()))
    return loss_l / n, loss_c / n


def scaled_widths(scale):
    """fssd4j's Widths.scaled: every width times scale, rounded half up, at least 1."""
    w = R.default_widths(300)
    f = lambda v: max(1, int(np.floor(v * scale + 0.5)))  # noqa: E731
    out = {}
    for k, v in w.items():
        if isinstance(v, list):
            out[k] = [x if isinstance(x, str) else f(x) for x in v]
        else:
            out[k] = f(v)
    return out


def random_batch(batch, num_priors, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 3, 300, 300, generator=g) * 50
    loc_t = torch.randn(batch, num_priors, 4, generator=g)
    conf_t = torch.zeros(batch, num_priors, dtype=torch.int64)
    for i in range(batch):
        k = 20 + i  # a few dozen positive priors per image, like the shapes batches
        idx = torch.randperm(num_priors, generator=g)[:k]
        conf_t[i, idx] = torch.randint(1, NUM_CLASSES, (k,), generator=g)
    return x, loc_t, conf_t


def load_batch(d):
    x = torch.from_numpy(np.load(os.path.join(d, 'train_input.npy')).astype(np.float32))
    loc_t = torch.from_numpy(np.load(os.path.join(d, 'train_loc_t.npy')).astype(np.float32))
    conf_t = torch.from_numpy(np.load(os.path.join(d, 'train_conf_t.npy'))).round().long()
    return x, loc_t, conf_t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--dir')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--bn', action='store_true')
    ap.add_argument('--precision', default='fp32', choices=('fp32', 'bf16'))
    ap.add_argument('--write-weights', action='store_true')
    ap.add_argument('--memory-format', default='both', choices=('both', 'channels_last', 'contiguous'))
    ap.add_argument('--scale', type=float, default=1.0)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    if a.dir and a.scale != 1.0:
        ap.error('--dir loads full-width weights: --scale needs random weights (no --dir)')
    if a.write_weights and not (a.dir and a.bn):
        ap.error('--write-weights writes DIR/fssd300-bn.pth: it needs --dir and --bn'
                 ' (the plain fssd300.pth is export_onnx.py\'s)')
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    model = R.FSSD(300, NUM_CLASSES, bn=a.bn, widths=scaled_widths(a.scale) if a.scale != 1.0 else None)
    name = 'pytorch-bn' if a.bn else 'pytorch'
    bf16 = a.precision == 'bf16'
    weights = os.path.join(a.dir, 'fssd300-bn.pth' if a.bn else 'fssd300.pth') if a.dir else None
    if a.write_weights:
        R.random_init(model, a.seed)
        torch.save(model.state_dict(), weights)
        print('NOTE BN training weights: fssd_ref.random_init(seed %d) of FSSD300-BN, written to %s'
              % (a.seed, weights))
        return
    if a.dir:
        model.load_state_dict(torch.load(weights))
        x, loc_t, conf_t = load_batch(a.dir)
    else:
        R.random_init(model, a.seed)
        num_priors = 11620  # FSSD300, SPEC 2.5
        x, loc_t, conf_t = random_batch(a.batch, num_priors, a.seed)
    model.train()

    formats = ['contiguous', 'channels_last'] if a.memory_format == 'both' else [a.memory_format]
    runs = {}
    for fmt in formats:
        mf = torch.channels_last if fmt == 'channels_last' else torch.contiguous_format
        m = copy.deepcopy(model).to(memory_format=mf)
        opt = torch.optim.SGD(m.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
        runs[fmt] = (m, opt, x.contiguous(memory_format=mf), [])

    def step(fmt):
        m, opt, xin, _ = runs[fmt]
        opt.zero_grad(set_to_none=True)
        # bf16: autocast's mixed precision (bf16 convolutions, fp32 master weights); the loss in fp32
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            loc, conf = m(xin)
        ll, lc = multibox_loss(loc.float(), conf.float(), loc_t, conf_t)
        (ll + lc).backward()
        opt.step()
        return ll.item(), lc.item()

    first = None
    for fmt in formats:
        for i in range(a.warmup):
            r = step(fmt)
            if first is None:
                first = r
    if first is not None:
        print('TRAINLOSS %s %.6f %.6f %d' % (name + ('-bf16' if bf16 else ''), first[0], first[1],
                                              int((conf_t > 0).sum())))
    for _ in range(a.runs):
        for fmt in formats:
            t0 = time.perf_counter()
            step(fmt)
            runs[fmt][3].append((time.perf_counter() - t0) * 1000)
    for fmt in formats:
        t = runs[fmt][3]
        if t:
            print('TRAIN %s-%s-%s batch %d %.3f %.3f %s' % (
                name, a.precision, fmt, x.shape[0], statistics.median(t), min(t), ','.join('%.3f' % v for v in t)))
    sys.stdout.flush()


if __name__ == '__main__':
    main()
