"""Independent PyTorch reference implementation of FSSD, written from SPEC.md.

This module is the oracle for the Java tests of fssd4j: it builds the network
(plain and BN variant, arbitrary "pruned" widths), the prior boxes, box
decoding, input preprocessing and detection post-processing with explicitly
fixed float32 operation orders (see README.md).

Only torch, numpy and (for ``preprocess``) OpenCV are used.
"""

import json
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------
# Widths
# ---------------------------------------------------------------------------

DEFAULT_BASE = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'C',
                512, 512, 512, 'M', 512, 512, 512]
DEFAULT_WIDTHS_300 = {
    'base': DEFAULT_BASE,
    'conv6': 1024,
    'conv7': 1024,
    'extras': [256, 512, 128, 256],
    'ft': [256, 256, 256],
    'pyramid': [512, 512, 256, 256, 256, 256],
}
DEFAULT_WIDTHS_512 = dict(DEFAULT_WIDTHS_300,
                          pyramid=[512, 512, 256, 256, 256, 256, 256])

MBOX = {300: [6, 6, 6, 6, 4, 4], 512: [6, 6, 6, 6, 6, 4, 4]}
FUSION_SIZE = {300: 38, 512: 64}
# (kernel, stride, padding) of every pyramid conv.
PYRAMID_GEOM = {
    300: [(3, 1, 1), (3, 2, 1), (3, 2, 1), (3, 2, 1), (3, 1, 0), (3, 1, 0)],
    512: [(3, 1, 1), (3, 2, 1), (3, 2, 1), (3, 2, 1), (3, 2, 1), (3, 2, 1),
          (4, 1, 1)],
}
# (kernel, stride, padding) of the four extras convs.
EXTRAS_GEOM = [(1, 1, 0), (3, 1, 0), (1, 1, 0), (3, 2, 1)]
BN_EPS = 1e-5
BN_MOMENTUM = 0.01
MEANS_BGR = (104.0, 117.0, 123.0)


def default_widths(size):
    """Full (unpruned) widths for FSSD300 / FSSD512."""
    if size == 300:
        return {k: (list(v) if isinstance(v, list) else v)
                for k, v in DEFAULT_WIDTHS_300.items()}
    if size == 512:
        return {k: (list(v) if isinstance(v, list) else v)
                for k, v in DEFAULT_WIDTHS_512.items()}
    raise ValueError('size must be 300 or 512, got %r' % (size,))


# ---------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------

class BasicConv(nn.Module):
    """conv (+ bias when no BN) -> [BN] -> ReLU; keys ``conv.*`` and ``bn.*``."""

    def __init__(self, cin, cout, k, s=1, p=0, d=1, bn=False):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel_size=k, stride=s, padding=p,
                              dilation=d, bias=not bn)
        self.bn = (nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM)
                   if bn else None)

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x)


def _build_base(cfg, conv6, conv7, bn):
    """VGG base as an nn.ModuleList.

    Plain: torchvision-VGG layout (conv, ReLU, ..., pool) so the conv keys are
    base.{0,2,5,7,10,12,14,17,19,21,24,26,28,31,33}. BN: one entry per conv
    block (BasicConv with conv+bn+relu) and one per pool (compact indices).
    Returns (layers, index of the module whose output is source 1, width of
    source 1).
    """
    convs = [c for c in cfg if not isinstance(c, str)]
    if len(convs) != 13:
        raise ValueError('base needs 13 convs, got %d: %r' % (len(convs), cfg))
    layers = []
    cin = 3
    n_conv = 0
    src1_index = None
    src1_width = None
    for c in cfg:
        if c == 'M':
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        elif c == 'C':
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=True))
        else:
            if bn:
                layers.append(BasicConv(cin, c, 3, 1, 1, bn=True))
            else:
                layers.append(nn.Conv2d(cin, c, kernel_size=3, padding=1))
                layers.append(nn.ReLU(inplace=False))
            cin = c
            n_conv += 1
            if n_conv == 10:  # conv4_3
                src1_index = len(layers) - 1
                src1_width = c
    layers.append(nn.MaxPool2d(kernel_size=3, stride=1, padding=1))  # pool5
    if bn:
        layers.append(BasicConv(cin, conv6, 3, 1, 6, d=6, bn=True))
        layers.append(BasicConv(conv6, conv7, 1, 1, 0, bn=True))
    else:
        layers.append(nn.Conv2d(cin, conv6, kernel_size=3, padding=6,
                                dilation=6))
        layers.append(nn.ReLU(inplace=False))
        layers.append(nn.Conv2d(conv6, conv7, kernel_size=1))
        layers.append(nn.ReLU(inplace=False))
    return nn.ModuleList(layers), src1_index, src1_width


class FSSD(nn.Module):
    """FSSD300 / FSSD512 with arbitrary widths (SPEC 2).

    forward(x [N,3,S,S]) -> (loc [N,P,4], conf [N,P,C]) raw outputs
    (conf are logits; no softmax).
    """

    def __init__(self, size=300, num_classes=21, bn=False, widths=None):
        super().__init__()
        if size not in (300, 512):
            raise ValueError('size must be 300 or 512, got %r' % (size,))
        w = default_widths(size)
        if widths:
            w.update(widths)
        self.size = size
        self.num_classes = num_classes
        self.use_bn = bn
        self.widths = w
        self.fusion_size = FUSION_SIZE[size]
        mbox = MBOX[size]
        if len(w['pyramid']) != len(mbox):
            raise ValueError('pyramid needs %d widths for size %d, got %r'
                             % (len(mbox), size, w['pyramid']))
        if len(w['extras']) != 4 or len(w['ft']) != 3:
            raise ValueError('extras needs 4 and ft 3 widths: %r' % (w,))

        self.base, self.src1_index, src1_width = _build_base(
            w['base'], w['conv6'], w['conv7'], bn)

        extras = []
        cin = w['conv7']
        for cout, (k, s, p) in zip(w['extras'], EXTRAS_GEOM):
            extras.append(BasicConv(cin, cout, k, s, p, bn=bn))
            cin = cout
        self.extras = nn.ModuleList(extras)

        ft_in = [src1_width, w['conv7'], w['extras'][3]]
        self.ft_module = nn.ModuleList(
            [BasicConv(ci, co, 1, 1, 0, bn=bn) for ci, co in zip(ft_in, w['ft'])])

        pyr = []
        cin = sum(w['ft'])
        for cout, (k, s, p) in zip(w['pyramid'], PYRAMID_GEOM[size]):
            pyr.append(BasicConv(cin, cout, k, s, p, bn=bn))
            cin = cout
        self.pyramid_ext = nn.ModuleList(pyr)

        self.loc = nn.ModuleList(
            [nn.Conv2d(c, a * 4, kernel_size=3, padding=1)
             for c, a in zip(w['pyramid'], mbox)])
        self.conf = nn.ModuleList(
            [nn.Conv2d(c, a * num_classes, kernel_size=3, padding=1)
             for c, a in zip(w['pyramid'], mbox)])

    def features(self, x):
        """Returns (list of the three fusion sources, list of pyramid levels)."""
        src1 = None
        for i, layer in enumerate(self.base):
            x = layer(x)
            if i == self.src1_index:
                src1 = x
        src2 = x
        for e in self.extras:
            x = e(x)
        src3 = x
        sources = [src1, src2, src3]
        fused = []
        for i, (ft, s) in enumerate(zip(self.ft_module, sources)):
            y = ft(s)
            if i > 0:
                y = F.interpolate(y, size=(self.fusion_size, self.fusion_size),
                                  mode='bilinear', align_corners=False)
            fused.append(y)
        x = torch.cat(fused, 1)
        levels = []
        for p in self.pyramid_ext:
            x = p(x)
            levels.append(x)
        return sources, levels

    def forward(self, x):
        _, levels = self.features(x)
        n = x.shape[0]
        loc = [l(f).permute(0, 2, 3, 1).contiguous().view(n, -1)
               for l, f in zip(self.loc, levels)]
        conf = [c(f).permute(0, 2, 3, 1).contiguous().view(n, -1)
                for c, f in zip(self.conf, levels)]
        loc = torch.cat(loc, 1).view(n, -1, 4)
        conf = torch.cat(conf, 1).view(n, -1, self.num_classes)
        return loc, conf


def param_breakdown(model):
    """Parameter counts per top-level group (trainable params only)."""
    out = OrderedDict()
    for name, p in model.named_parameters():
        g = name.split('.')[0]
        out[g] = out.get(g, 0) + p.numel()
    out['total'] = sum(v for k, v in out.items())
    return out


# ---------------------------------------------------------------------------
# Priors (SPEC 3)
# ---------------------------------------------------------------------------

PRIOR_CONFIGS = {
    'VOC_300': dict(size=300, feature_maps=[38, 19, 10, 5, 3, 1],
                    steps=[8, 16, 32, 64, 100, 300],
                    min_sizes=[30, 60, 111, 162, 213, 264],
                    max_sizes=[60, 111, 162, 213, 264, 315],
                    aspect_ratios=[[2, 3], [2, 3], [2, 3], [2, 3], [2], [2]]),
    'VOC_512': dict(size=512, feature_maps=[64, 32, 16, 8, 4, 2, 1],
                    steps=[8, 16, 32, 64, 128, 256, 512],
                    min_sizes=[35.84, 76.8, 153.6, 230.4, 307.2, 384.0, 460.8],
                    max_sizes=[76.8, 153.6, 230.4, 307.2, 384.0, 460.8, 537.6],
                    aspect_ratios=[[2, 3]] * 5 + [[2], [2]]),
    'COCO_300': dict(size=300, feature_maps=[38, 19, 10, 5, 3, 1],
                     steps=[8, 16, 32, 64, 100, 300],
                     min_sizes=[21, 45, 99, 153, 207, 261],
                     max_sizes=[45, 99, 153, 207, 261, 315],
                     aspect_ratios=[[2, 3], [2, 3], [2, 3], [2, 3], [2], [2]]),
    'COCO_512': dict(size=512, feature_maps=[64, 32, 16, 8, 4, 2, 1],
                     steps=[8, 16, 32, 64, 128, 256, 512],
                     min_sizes=[20.48, 51.2, 133.12, 215.04, 296.96, 378.88,
                                460.8],
                     max_sizes=[51.2, 133.12, 215.04, 296.96, 378.88, 460.8,
                                542.72],
                     aspect_ratios=[[2, 3]] * 5 + [[2], [2]]),
}


def priors(cfg_name):
    """Prior boxes [P,4] float32 (cx, cy, w, h), SPEC 3.

    Computed in Python doubles, cast to float32, then clamped to [0,1].
    """
    cfg = PRIOR_CONFIGS[cfg_name]
    size = cfg['size']
    out = []
    for k, fm in enumerate(cfg['feature_maps']):
        f = size / cfg['steps'][k]
        s = cfg['min_sizes'][k] / size
        s_prime = (s * (cfg['max_sizes'][k] / size)) ** 0.5
        for i in range(fm):
            for j in range(fm):
                cx = (j + 0.5) / f
                cy = (i + 0.5) / f
                out.append((cx, cy, s, s))
                out.append((cx, cy, s_prime, s_prime))
                for ar in cfg['aspect_ratios'][k]:
                    r = ar ** 0.5
                    out.append((cx, cy, s * r, s / r))
                    out.append((cx, cy, s / r, s * r))
    arr = np.asarray(out, dtype=np.float64).astype(np.float32)
    return np.clip(arr, np.float32(0), np.float32(1))


# ---------------------------------------------------------------------------
# Box decoding (SPEC 4) and preprocessing (SPEC 1)
# ---------------------------------------------------------------------------

def decode(loc, pri, variances=(0.1, 0.2)):
    """Decodes loc [P,4] against priors [P,4] into point form, float32.

    Operation order: cx = pcx + (l0*v0)*pw; w = pw*exp(l2*v1);
    x1 = cx - w/2; x2 = x1 + w (same for y).
    """
    loc = np.asarray(loc, dtype=np.float32)
    pri = np.asarray(pri, dtype=np.float32)
    v0 = np.float32(variances[0])
    v1 = np.float32(variances[1])
    two = np.float32(2)
    cx = pri[:, 0] + (loc[:, 0] * v0) * pri[:, 2]
    cy = pri[:, 1] + (loc[:, 1] * v0) * pri[:, 3]
    w = pri[:, 2] * np.exp(loc[:, 2] * v1)
    h = pri[:, 3] * np.exp(loc[:, 3] * v1)
    x1 = cx - w / two
    y1 = cy - h / two
    x2 = x1 + w
    y2 = y1 + h
    return np.stack([x1, y1, x2, y2], axis=1).astype(np.float32)


def resize_bgr(bgr_uint8_image, size):
    """cv2.resize INTER_LINEAR of the uint8 BGR image to size x size."""
    import cv2
    return cv2.resize(bgr_uint8_image, (size, size),
                      interpolation=cv2.INTER_LINEAR)


def preprocess(bgr_uint8_image, size):
    """SPEC 1: resize (uint8), float32, subtract BGR means -> [1,3,S,S]."""
    img = resize_bgr(bgr_uint8_image, size).astype(np.float32)
    img -= np.asarray(MEANS_BGR, dtype=np.float32)
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None]


# ---------------------------------------------------------------------------
# Detection post-processing (SPEC 9)
# ---------------------------------------------------------------------------

def softmax(conf):
    """float32 softmax over the last axis (torch, CPU)."""
    t = torch.as_tensor(np.asarray(conf, dtype=np.float32))
    return torch.softmax(t, dim=-1).numpy()


def nms(boxes, scores, iou, limit=None, trace=None):
    """Greedy NMS in float32 (pixel convention, +1), SPEC 9.

    boxes [n,4] float32, scores [n] float32 (candidate order = prior order).
    Returns indices (into the candidate arrays) of kept boxes, in keep order.
    Stops once ``limit`` boxes are kept (same result as truncating).
    ``trace``, if a list, receives (i, j, ovr) for every overlap computed.
    """
    one = np.float32(1)
    zero = np.float32(0)
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = (x2 - x1 + one) * (y2 - y1 + one)
    order = np.argsort(-scores, kind='stable')
    keep = []
    thr = np.float32(iou)
    while order.size > 0:
        i = order[0]
        keep.append(int(i))
        if limit is not None and len(keep) >= limit:
            break
        rest = order[1:]
        xx1 = np.maximum(x1[i], x1[rest])
        yy1 = np.maximum(y1[i], y1[rest])
        xx2 = np.minimum(x2[i], x2[rest])
        yy2 = np.minimum(y2[i], y2[rest])
        w = np.maximum(zero, xx2 - xx1 + one)
        h = np.maximum(zero, yy2 - yy1 + one)
        inter = w * h
        ovr = inter / ((areas[i] + areas[rest]) - inter)
        assert ovr.dtype == np.float32
        if trace is not None:
            trace.append((int(i), rest.copy(), ovr.copy()))
        order = rest[~(ovr > thr)]
    return keep


def detect(loc, conf, pri, width, height, threshold=0.01, nms_iou=0.45,
           per_class=40, max_per_image=200, details=None):
    """SPEC 9 detection for ONE image.

    loc [P,4], conf [P,C] raw logits, pri [P,4]. Returns a list of tuples
    (class, score, x1, y1, x2, y2, prior_index) sorted by score descending,
    ties by class then prior index ascending. ``details``, if a dict, is
    filled with intermediate values for the robustness checks.
    """
    scores = softmax(conf)
    boxes = decode(loc, pri)
    boxes[:, 0] *= np.float32(width)
    boxes[:, 2] *= np.float32(width)
    boxes[:, 1] *= np.float32(height)
    boxes[:, 3] *= np.float32(height)
    thr = np.float32(threshold)
    dets = []
    for j in range(1, scores.shape[1]):
        s = scores[:, j]
        idx = np.nonzero(s > thr)[0]
        if idx.size == 0:
            continue
        trace = [] if details is not None else None
        keep = nms(boxes[idx], s[idx], nms_iou, limit=per_class, trace=trace)
        if details is not None:
            details.setdefault('classes', {})[j] = dict(
                cand=idx, scores=s[idx], keep=keep, trace=trace)
        for k in keep:
            p = int(idx[k])
            b = boxes[p]
            dets.append((j, s[p], b[0], b[1], b[2], b[3], p))
    if details is not None:
        details['per_class'] = per_class
        details['scores'] = scores
        details['boxes'] = boxes
        details['pre_cut'] = list(dets)
    if len(dets) > max_per_image:
        all_s = np.sort(np.asarray([d[1] for d in dets], dtype=np.float32))
        cut = all_s[-max_per_image]
        if details is not None:
            details['cut'] = cut
        dets = [d for d in dets if d[1] >= cut]
    dets.sort(key=lambda d: (-float(d[1]), d[0], d[6]))
    return [(int(c), float(sc), float(a), float(b), float(x), float(y), int(p))
            for c, sc, a, b, x, y, p in dets]


def detections_to_json(dets):
    """List of dicts {class, score, box, prior} for a detect() result."""
    return [{'class': c, 'score': s, 'box': [a, b, x, y], 'prior': p}
            for c, s, a, b, x, y, p in dets]


def write_detections_json(f, dets):
    """Writes detections_to_json(dets) to an open text file, one per line."""
    items = detections_to_json(dets)
    f.write('[\n' + ',\n'.join(json.dumps(d) for d in items) + '\n]\n')


def robustness_margins(details, threshold=0.01, nms_iou=0.45,
                       max_per_image=200, score_tol=1e-4):
    """Margins of the discrete decisions of one detect() call.

    Two numbers per decision kind: 'all_*' over every decision taken, and the
    plain name over the decisions that can change the FINAL list. When the
    200-cut happens at score c, no box with score < c - score_tol can reach
    the output, nor change which boxes do (in greedy NMS a box only suppresses
    or displaces (40-limit) boxes of lower score), so decisions about such
    boxes are irrelevant. Likewise, in a class that reaches the per-class
    limit with its last kept box at score k, boxes with score < k - score_tol
    are never looked at.

    - threshold: min |score - threshold| (class j >= 1, every prior);
    - nms: min |ovr - nms_iou| over the overlaps computed by greedy NMS (up to
      the per-class limit), each one a suppress/keep decision;
    - cut: min |score - cut| over the pre-cut detections other than the one
      that defines the cut (inf when there is no cut);
    - order: min score gap between two consecutive candidates of a class's
      NMS order that overlap with IoU > 0.3 (swapping them could change who
      suppresses whom); inf if none.
    """
    scores = details['scores']
    boxes = details['boxes']
    floor = -np.inf
    if 'cut' in details:
        floor = float(details['cut']) - score_tol
    s_all = scores[:, 1:].astype(np.float64)
    d_thr = np.abs(s_all - threshold)
    out = dict(all_threshold=float(np.min(d_thr)))
    class_floor = np.full(scores.shape[1], floor)
    limit = details.get('per_class')
    for j, cd in details['classes'].items():
        if limit is not None and len(cd['keep']) >= limit:
            k = float(cd['scores'][cd['keep'][-1]])
            class_floor[j] = max(floor, k - score_tol)
    rel = s_all >= class_floor[None, 1:]
    out['threshold'] = float(np.min(d_thr[rel])) if rel.any() else float('inf')
    nms_all = nms_rel = order_all = order_rel = float('inf')
    for j, cd in details['classes'].items():
        s = cd['scores']
        floor = class_floor[j]
        for _, rest, ovr in cd['trace']:
            if not ovr.size:
                continue
            d = np.abs(ovr.astype(np.float64) - nms_iou)
            nms_all = min(nms_all, float(np.min(d)))
            r = s[rest].astype(np.float64) >= floor
            if r.any():
                nms_rel = min(nms_rel, float(np.min(d[r])))
        order = np.argsort(-s, kind='stable')
        ss = s[order].astype(np.float64)
        gaps = ss[:-1] - ss[1:]
        for t in np.nonzero(gaps < 1e-4)[0]:
            a = cd['cand'][order[t]]
            b = cd['cand'][order[t + 1]]
            if _iou_plus1(boxes[a], boxes[b]) > 0.3:
                order_all = min(order_all, float(gaps[t]))
                if ss[t + 1] >= floor:
                    order_rel = min(order_rel, float(gaps[t]))
    out.update(all_nms=nms_all, nms=nms_rel, all_order=order_all,
               order=order_rel)
    cut_margin = float('inf')
    if 'cut' in details:
        cut = float(details['cut'])
        vals = sorted((float(d[1]) for d in details['pre_cut']), reverse=True)
        others = vals[:max_per_image - 1] + vals[max_per_image:]
        cut_margin = min(abs(v - cut) for v in others)
        out['cut_value'] = cut
    out['cut'] = cut_margin
    return out


def perturbation_check(loc, conf, pri, width, height, dets, trials=20,
                       amplitude=1e-4, seed=0, **kw):
    """Re-runs detect() with loc/conf perturbed by U(-a, a) noise.

    Returns the number of trials whose (class, prior) list differs from
    ``dets`` (0 = the fixture is robust to network-output errors of size a).
    """
    rng = np.random.RandomState(seed)
    ref = [(d[0], d[6]) for d in dets]
    bad = 0
    for _ in range(trials):
        l2 = loc + rng.uniform(-amplitude, amplitude, loc.shape).astype(np.float32)
        c2 = conf + rng.uniform(-amplitude, amplitude, conf.shape).astype(np.float32)
        got = detect(l2, c2, pri, width, height, **kw)
        if sorted((d[0], d[6]) for d in got) != sorted(ref):
            bad += 1
    return bad


def _iou_plus1(a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]) + 1)
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]) + 1)
    inter = w * h
    aa = (a[2] - a[0] + 1) * (a[3] - a[1] + 1)
    bb = (b[2] - b[0] + 1) * (b[3] - b[1] + 1)
    return inter / (aa + bb - inter)


# ---------------------------------------------------------------------------
# Deterministic random initialisation for fixtures
# ---------------------------------------------------------------------------

def random_init(model, seed, bias_range=0.1):
    """Kaiming-normal (fan_out, ReLU) conv weights, U(-r, r) biases, random BN.

    BN: gamma ~ U(0.5, 1.5), beta ~ U(-0.1, 0.1), running_mean ~ U(-0.1, 0.1),
    running_var ~ U(0.5, 2), num_batches_tracked = 1234.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = m.out_channels * m.kernel_size[0] * m.kernel_size[1]
                std = (2.0 / fan_out) ** 0.5
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * std)
                if m.bias is not None:
                    m.bias.copy_((torch.rand(m.bias.shape, generator=g) * 2 - 1)
                                 * bias_range)
            elif isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(torch.rand(n, generator=g) + 0.5)
                m.bias.copy_((torch.rand(n, generator=g) * 2 - 1) * 0.1)
                m.running_mean.copy_((torch.rand(n, generator=g) * 2 - 1) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=g) * 1.5 + 0.5)
                m.num_batches_tracked.fill_(1234)


def _first_conv(model):
    layer = model.base[0]
    return layer.conv if isinstance(layer, BasicConv) else layer


def calibrate(model, x, loc_std=1.0, conf_std=3.0, bg_offset=0.0):
    """Rescales a randomly initialised model so its outputs are well spread.

    The first base conv is divided by the input's std (activations ~O(1)
    instead of ~O(100)); then every loc head is scaled so that its output std
    is ``loc_std`` and every conf head so that its logits' std is ``conf_std``
    (weights and bias by the same factor). Finally ``bg_offset`` is added to
    the bias of every background (class 0) output channel of the conf heads,
    like a trained detector where most priors are background: fewer
    candidates, scores spread from the threshold up. Deterministic for a
    given input.
    """
    model.eval()
    with torch.no_grad():
        c0 = _first_conv(model)
        c0.weight.div_(float(x.std()))
        _, levels = model.features(x)
        for heads, target in ((model.loc, loc_std), (model.conf, conf_std)):
            for head, f in zip(heads, levels):
                y = head(f)
                sd = float(y.std())
                factor = target / sd if sd > 0 else 1.0
                head.weight.mul_(factor)
                head.bias.mul_(factor)
        c = model.num_classes
        for head in model.conf:
            head.bias[0::c] += bg_offset
