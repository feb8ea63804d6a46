"""Deterministic synthetic "natural-looking" BGR test image (smooth gradients
and soft shapes), so that it compresses well as PNG and exercises bilinear
resizing with non-trivial content."""

import numpy as np


def synth_image(width=500, height=375, seed=2024):
    """Returns a uint8 BGR image [height, width, 3]."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    u = xx / (width - 1)
    v = yy / (height - 1)
    horizon = 0.55 + 0.05 * np.sin(2 * np.pi * u * 1.3 + 0.7)
    sky = v < horizon
    img = np.zeros((height, width, 3), np.float64)
    # Sky: blue at top to pale near the horizon (B, G, R).
    t = np.clip(v / horizon, 0, 1)
    img[..., 0] = np.where(sky, 235 - 40 * t, 0)
    img[..., 1] = np.where(sky, 170 + 50 * t, 0)
    img[..., 2] = np.where(sky, 90 + 120 * t, 0)
    # Ground: green-brown, darker to the bottom, with gentle undulation.
    g = np.clip((v - horizon) / (1 - horizon + 1e-9), 0, 1)
    wave = 10 * np.sin(2 * np.pi * (u * 3 + v * 2))
    img[..., 0] = np.where(sky, img[..., 0], 40 + 20 * g + wave)
    img[..., 1] = np.where(sky, img[..., 1], 140 - 60 * g + wave)
    img[..., 2] = np.where(sky, img[..., 2], 90 - 30 * g + 0.5 * wave)
    # Sun.
    d = np.hypot(xx - 0.8 * width, yy - 0.18 * height)
    sun = np.clip(1 - (d - 28) / 6, 0, 1)
    img = img * (1 - sun[..., None]) + np.array([120, 230, 255]) * sun[..., None]
    # Soft shapes: shaded ellipses and rounded boxes with random colours.
    for _ in range(7):
        cx = rng.uniform(0.1, 0.9) * width
        cy = rng.uniform(0.35, 0.9) * height
        ax = rng.uniform(20, 80)
        ay = rng.uniform(15, 60)
        col = rng.uniform(20, 235, size=3)
        r = np.sqrt(((xx - cx) / ax) ** 2 + ((yy - cy) / ay) ** 2)
        if rng.rand() < 0.5:  # rounded box instead of ellipse
            r = np.maximum(np.abs(xx - cx) / ax, np.abs(yy - cy) / ay)
        alpha = np.clip((1 - r) * 8, 0, 1)[..., None]
        shade = (1 - 0.35 * np.clip((yy - cy) / ay, -1, 1))[..., None]
        img = img * (1 - alpha) + np.clip(col * shade, 0, 255) * alpha
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)
