"""The format-only baseline: how well can a classifier tell the classes apart from the FILE alone
(container, byte size, pixel count, bytes per pixel, JPEG quality estimate), without looking at
the pixels? Trained on the train split, measured on val and test, once on the original source
files (what a detector trained on them as they are could exploit) and once on the normalised
files the detector trains on. Near chance (AP ≈ share of fakes, accuracy ≈ 0.5) on the
normalised files means the format is no shortcut; anything else is reported next to the numbers."""
import math

import numpy as np

from ..metrics import average_precision

CONTAINERS = ("JPEG", "PNG", "WEBP", "TIFF", "BMP")
# IJG's standard luminance quantisation table (JPEG spec K.1), natural order.
_IJG_LUMA = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
             18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]


def _ijg_table(quality):
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return [min(255, max(1, int((v * scale + 50) // 100))) for v in _IJG_LUMA]


def jpeg_quality_estimate(img):
    """The IJG quality (1..100) whose scaled standard luminance table is nearest to the file's
    (order-free: compared as sorted values), or None without tables."""
    tables = getattr(img, "quantization", None)
    if not tables:
        return None
    luma = sorted(list(tables.get(0, next(iter(tables.values())))))
    best, best_err = None, None
    for q in range(1, 101):
        err = sum(abs(a - b) for a, b in zip(luma, sorted(_ijg_table(q))))
        if best_err is None or err < best_err:
            best, best_err = q, err
    return best


def features(fmt, width, height, size, quality):
    pixels = max(1, width * height)
    row = [1.0 if fmt == c else 0.0 for c in CONTAINERS]
    row += [math.log2(max(1, size)), math.log2(pixels), size / pixels, (quality or 0) / 100.0, 1.0 if quality else 0.0]
    return row


def _fit_logistic(x, y, steps=3000, lr=0.1, l2=1e-3):
    """Class-balanced logistic regression by gradient descent on standardised features."""
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    z = (x - mean) / std
    w, b = np.zeros(z.shape[1]), 0.0
    pos = max(1, int(y.sum()))
    neg = max(1, len(y) - pos)
    weight = np.where(y > 0.5, len(y) / (2 * pos), len(y) / (2 * neg))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = (p - y) * weight
        w -= lr * (z.T @ g / len(y) + l2 * w)
        b -= lr * g.mean()
    return lambda xs: 1 / (1 + np.exp(-(((xs - mean) / std) @ w + b)))


def _measure(predict, x, y):
    if len(y) == 0:
        return None
    p = predict(x)
    acc = float(((p >= 0.5) == (y > 0.5)).mean())
    real_acc = float(((p < 0.5) & (y < 0.5)).sum() / max(1, (y < 0.5).sum()))
    fake_acc = float(((p >= 0.5) & (y > 0.5)).sum() / max(1, (y > 0.5).sum()))
    return {"n": int(len(y)), "fakeShare": float(y.mean()), "accuracy": acc, "balancedAccuracy": (real_acc + fake_acc) / 2,
            "ap": average_precision(p.tolist(), y.tolist()) if 0 < y.sum() < len(y) else None}


def format_baseline(items):
    """{original: {val, test, perSource}, normalised: {...}} for the items (with their split)."""
    result = {"features": "container one-hot (%s), log2 bytes, log2 pixels, bytes per pixel, JPEG quality estimate" % ", ".join(CONTAINERS),
              "model": "class-balanced logistic regression, fitted on the train split"}
    for view in ("original", "normalised"):
        rows, labels, splits, sources = [], [], [], []
        for it in items:
            if it["source"].startswith("autogan-"):
                continue  # synthetic, train only: not part of either question
            if view == "original":
                rows.append(features(it["originFormat"], it["originWidth"], it["originHeight"], it["originBytes"], it["originQuality"]))
            else:
                rows.append(features("JPEG", it["width"], it["height"], it["bytes"], it["quality"]))
            labels.append(1.0 if it["label"] == "fake" else 0.0)
            splits.append(it["split"])
            sources.append(it["source"])
        x, y = np.array(rows, dtype=np.float64), np.array(labels)
        train = np.array([s == "train" for s in splits])
        if train.sum() == 0 or len(set(y[train])) < 2:
            result[view] = None
            continue
        predict = _fit_logistic(x[train], y[train])
        entry = {}
        for split in ("val", "test"):
            mask = np.array([s == split for s in splits])
            entry[split] = _measure(predict, x[mask], y[mask])
            per = {}
            for source in sorted(set(sources)):
                m = mask & np.array([s == source for s in sources])
                if m.sum():
                    per[source] = _measure(predict, x[m], y[m])
            entry[split + "PerSource"] = per
        result[view] = entry
    return result

