#!/usr/bin/python3
"""MultiBox loss fixtures (SPEC 6) for fssd-train's MultiBoxLossTest.

Builds random network outputs for a small prior set (P = 200 priors, C = 5
classes, 3 images with 7, 3 and 0 positives), computes the loss the way the
reference's MultiBoxLoss does it (positives' CE zeroed, every prior ranked
by CE, idx_rank < min(3 * num_pos, P - 1) kept as negatives, union with the
positives, smooth L1 on positives, both sums / total positives) in float64,
cross-checks it against a literal reading of SPEC 6 (rank only negatives),
and saves the inputs, both loss terms and the autograd gradients with respect
to loc and conf as small .npy files.

Usage (from the repository root):
    /usr/bin/python3 tools/reference/make_loss_fixtures.py [OUTDIR]
OUTDIR defaults to fssd-train/src/test/resources/org/fssd/train/loss/.
Deterministic (fixed seed, one thread).
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

P, C = 200, 5
POSITIVES = (7, 3, 0)
NEG_POS = 3


def reference_loss(loc, conf, loc_t, conf_t):
    """The reference's MultiBoxLoss (ssd.pytorch style), float64."""
    num = loc.size(0)
    pos = conf_t > 0
    pos_idx = pos.unsqueeze(2).expand_as(loc)
    loss_l = F.smooth_l1_loss(loc[pos_idx].view(-1, 4), loc_t[pos_idx].view(-1, 4),
                              reduction='sum')
    batch_conf = conf.view(-1, C)
    lse = torch.logsumexp(batch_conf, dim=1, keepdim=True)
    loss_c = (lse - batch_conf.gather(1, conf_t.view(-1, 1))).view(num, -1).detach().clone()
    loss_c[pos] = 0
    _, loss_idx = loss_c.sort(1, descending=True)
    _, idx_rank = loss_idx.sort(1)
    num_pos = pos.long().sum(1, keepdim=True)
    num_neg = torch.clamp(NEG_POS * num_pos, max=pos.size(1) - 1)
    neg = idx_rank < num_neg.expand_as(idx_rank)
    sel = (pos | neg)
    conf_p = conf[sel.unsqueeze(2).expand_as(conf)].view(-1, C)
    targets = conf_t[sel]
    loss_c = F.cross_entropy(conf_p, targets, reduction='sum')
    n = max(1, int(num_pos.sum()))
    return loss_l / n, loss_c / n


def spec_loss(loc, conf, loc_t, conf_t):
    """SPEC 6 read literally: rank the negatives only (float64, no autograd)."""
    loc, conf, loc_t, conf_t = (x.detach().numpy() for x in (loc, conf, loc_t, conf_t))
    total_pos = int((conf_t > 0).sum())
    ll, lc = 0.0, 0.0
    for i in range(loc.shape[0]):
        pos = conf_t[i] > 0
        d = loc[i][pos] - loc_t[i][pos]
        ad = np.abs(d)
        ll += np.where(ad < 1, 0.5 * d * d, ad - 0.5).sum()
        m = conf[i].max(axis=1, keepdims=True)
        lse = (m + np.log(np.exp(conf[i] - m).sum(axis=1, keepdims=True)))[:, 0]
        ce = lse - conf[i][np.arange(P), conf_t[i]]
        k = min(NEG_POS * int(pos.sum()), P - 1)
        neg = np.where(~pos)[0]
        keep = neg[np.argsort(-ce[neg], kind='stable')[:k]]
        lc += ce[pos].sum() + ce[keep].sum()
    n = max(1, total_pos)
    return ll / n, lc / n


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else 'fssd-train/src/test/resources/org/fssd/train/loss'
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    rng = np.random.default_rng(20240611)
    n = len(POSITIVES)
    # float32 values, as a network would produce them; the loss itself is computed in float64.
    loc = rng.normal(0.0, 1.0, (n, P, 4)).astype(np.float32)
    conf = rng.normal(0.0, 2.0, (n, P, C)).astype(np.float32)
    loc_t = rng.normal(0.0, 1.0, (n, P, 4)).astype(np.float32)
    conf_t = np.zeros((n, P), dtype=np.int64)
    for i, k in enumerate(POSITIVES):
        idx = rng.choice(P, size=k, replace=False)
        conf_t[i, idx] = rng.integers(1, C, size=k)

    loc64 = torch.tensor(loc, dtype=torch.float64, requires_grad=True)
    conf64 = torch.tensor(conf, dtype=torch.float64, requires_grad=True)
    loc_t64 = torch.tensor(loc_t, dtype=torch.float64)
    conf_t64 = torch.tensor(conf_t)
    loss_l, loss_c = reference_loss(loc64, conf64, loc_t64, conf_t64)
    (loss_l + loss_c).backward()

    sl, sc = spec_loss(loc64, conf64, loc_t64, conf_t64)
    assert abs(sl - loss_l.item()) < 1e-12 * max(1.0, sl), (sl, loss_l.item())
    assert abs(sc - loss_c.item()) < 1e-12 * max(1.0, sc), (sc, loss_c.item())

    np.save(os.path.join(out, 'loc.npy'), loc)
    np.save(os.path.join(out, 'conf.npy'), conf)
    np.save(os.path.join(out, 'loc_t.npy'), loc_t)
    np.save(os.path.join(out, 'conf_t.npy'), conf_t.astype(np.float32))
    np.save(os.path.join(out, 'loss.npy'), np.array([loss_l.item(), loss_c.item()], dtype=np.float64))
    np.save(os.path.join(out, 'grad_loc.npy'), loc64.grad.numpy())
    np.save(os.path.join(out, 'grad_conf.npy'), conf64.grad.numpy())
    print('P=%d C=%d positives=%s loc=%.10f conf=%.10f -> %s'
          % (P, C, POSITIVES, loss_l.item(), loss_c.item(), out))


if __name__ == '__main__':
    main()
