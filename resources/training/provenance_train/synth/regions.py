"""Shapes of tampered regions and their edges.

A forger pastes objects, not rectangles: regions here are ellipses, rectangles, star-convex
polygons and unions of ellipses ("organic" blobs), drawn at 4x and reduced so their outline is
anti-aliased like a selection tool's. Edges are hard (the selection as drawn) or feathered
(Gaussian-blurred alpha, as "feather" in an editor). The ground-truth mask is alpha >= 0.5.
"""
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SHAPES = ("ellipse", "rectangle", "polygon", "organic")
SUPERSAMPLE = 4


def region_size(width, height, rng, area=(0.02, 0.22), aspect=(0.5, 2.0), minimum=24):
    """A bounding box (w, h) covering a random share of the image, within the image."""
    share = rng.uniform(*area)
    ratio = math.exp(rng.uniform(math.log(aspect[0]), math.log(aspect[1])))
    target = share * width * height
    w = int(round(math.sqrt(target * ratio)))
    h = int(round(target / max(1, w)))
    w = max(minimum, min(w, int(width * 0.8)))
    h = max(minimum, min(h, int(height * 0.8)))
    return w, h


def blob(w, h, rng, shape=None):
    """An 8-bit mask of size (w, h): 255 inside the region, anti-aliased outline."""
    shape = shape or rng.choice(SHAPES)
    s = SUPERSAMPLE
    big = Image.new("L", (w * s, h * s), 0)
    draw = ImageDraw.Draw(big)
    W, H = w * s, h * s
    if shape == "ellipse":
        draw.ellipse([0, 0, W - 1, H - 1], fill=255)
    elif shape == "rectangle":
        # Rounded a little at random: lasso and marquee selections both occur.
        radius = int(min(W, H) * rng.uniform(0, 0.25))
        draw.rounded_rectangle([0, 0, W - 1, H - 1], radius=radius, fill=255)
    elif shape == "polygon":
        n = rng.randint(5, 12)
        cx, cy = W / 2, H / 2
        start = rng.uniform(0, 2 * math.pi)
        points = []
        for k in range(n):
            angle = start + 2 * math.pi * k / n + rng.uniform(-0.25, 0.25)
            r = rng.uniform(0.55, 1.0)
            points.append((cx + math.cos(angle) * r * (W / 2 - 1), cy + math.sin(angle) * r * (H / 2 - 1)))
        draw.polygon(points, fill=255)
    else:  # organic: a few overlapping ellipses
        for _ in range(rng.randint(2, 4)):
            ew, eh = rng.uniform(0.45, 1.0) * W, rng.uniform(0.45, 1.0) * H
            x0, y0 = rng.uniform(0, W - ew), rng.uniform(0, H - eh)
            draw.ellipse([x0, y0, x0 + ew - 1, y0 + eh - 1], fill=255)
    mask = big.resize((w, h), Image.BOX)
    if np.asarray(mask).max() < 128:  # degenerate draw (tiny region): fall back to an ellipse
        return blob(w, h, rng, "ellipse")
    return mask


def alpha_of(mask, rng, hard_p=0.5, sigma=(0.8, 4.0)):
    """Blending weights in 0..1 from a drawn mask: hard (as drawn) or feathered."""
    if rng.random() < hard_p:
        return np.asarray(mask, dtype=np.float32) / 255.0, "hard"
    radius = rng.uniform(*sigma)
    # Pad so the feather can fade inside the bounding box instead of being cut at its border.
    pad = int(math.ceil(radius * 2))
    padded = Image.new("L", (mask.width + 2 * pad, mask.height + 2 * pad), 0)
    padded.paste(mask, (pad, pad))
    soft = padded.filter(ImageFilter.GaussianBlur(radius))
    soft = np.asarray(soft, dtype=np.float32)[pad:pad + mask.height, pad:pad + mask.width] / 255.0
    # Re-normalise so the centre stays fully opaque (a feather softens edges, it does not fade the whole object).
    peak = soft.max()
    if peak > 0:
        soft = np.clip(soft / peak, 0.0, 1.0)
    return soft, "soft"


def place(width, height, w, h, rng):
    return rng.randint(0, max(0, width - w)), rng.randint(0, max(0, height - h))


def overlap(a, b):
    """Intersection over the smaller box; boxes are (x, y, w, h)."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / max(1, min(a[2] * a[3], b[2] * b[3]))
