"""Validation metrics without scikit-learn: accuracy at a threshold, average precision, the
operating threshold for a target false-positive rate, and the per-source table."""
import math


def accuracy(scores, labels, threshold=0.5):
    if not labels:
        return None
    return sum(1 for s, y in zip(scores, labels) if (s >= threshold) == (y >= 0.5)) / len(labels)


def average_precision(scores, labels):
    """Area under the precision-recall curve as scikit-learn computes it: sum over distinct
    score thresholds (highest first) of (recall step) x precision. None without positives."""
    positives = sum(1 for y in labels if y >= 0.5)
    if positives == 0:
        return None
    pairs = sorted(zip(scores, labels), key=lambda p: -p[0])
    ap, tp, fp, prev_recall = 0.0, 0, 0, 0.0
    i = 0
    while i < len(pairs):
        # Tied scores form one threshold.
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            if pairs[j][1] >= 0.5:
                tp += 1
            else:
                fp += 1
            j += 1
        recall = tp / positives
        ap += (recall - prev_recall) * (tp / (tp + fp))
        prev_recall = recall
        i = j
    return ap


def threshold_metrics(scores, labels, threshold):
    """Counts and rates when "fake" means score >= threshold, as the app's thresholdMetrics()
    (src/main/evaluation/metrics.ts): accuracy, precision, recall (= TPR), F1, FPR, FNR, and the
    accuracy on each class. Rates with an empty denominator are None."""
    tp = sum(1 for s, y in zip(scores, labels) if y >= 0.5 and s >= threshold)
    fn = sum(1 for s, y in zip(scores, labels) if y >= 0.5 and s < threshold)
    fp = sum(1 for s, y in zip(scores, labels) if y < 0.5 and s >= threshold)
    tn = sum(1 for s, y in zip(scores, labels) if y < 0.5 and s < threshold)
    real, fake, n = tn + fp, tp + fn, len(labels)

    def ratio(a, b):
        return a / b if b else None

    precision, recall = ratio(tp, tp + fp), ratio(tp, fake)
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else (0.0 if precision is not None and recall is not None else None)
    return {
        "n": n, "real": real, "fake": fake, "tp": tp, "fp": fp, "tn": tn, "fn": fn,
        "accuracy": ratio(tp + tn, n), "precision": precision, "recall": recall, "f1": f1,
        "fpr": ratio(fp, real), "fnr": ratio(fn, fake), "realAccuracy": ratio(tn, real), "fakeAccuracy": ratio(tp, fake),
    }


def threshold_at_fpr(scores, labels, target_fpr):
    """The operating threshold for "at most ``target_fpr`` of the real images flagged": the
    lowest threshold whose false-positive rate on these images is <= target (so the most fakes
    are caught within that budget), moved halfway down to the next lower score so that a tiny
    numerical difference between PyTorch and onnxruntime cannot flip an image across it.
    Returns (threshold, metrics at it)."""
    reals = sorted((s for s, y in zip(scores, labels) if y < 0.5), reverse=True)
    if not reals:
        raise ValueError("calibration needs real images in the validation split")
    allowed = int(math.floor(target_fpr * len(reals) + 1e-9))
    # Flag strictly above the (allowed+1)-th highest real score: at most `allowed` reals flagged.
    ceiling = reals[allowed] if allowed < len(reals) else -math.inf
    above = sorted({s for s in scores if s > ceiling})
    if not above:
        threshold = min(1.0, ceiling + 1e-6) if math.isfinite(ceiling) else 0.0
    else:
        lowest = above[0]
        threshold = (lowest + ceiling) / 2.0 if math.isfinite(ceiling) else lowest / 2.0
    return threshold, threshold_metrics(scores, labels, threshold)


def per_source(scores, labels, sources, threshold):
    """Wang et al.'s table: one row per source (accuracy at the threshold, real/fake accuracy, AP)
    and a mean row in which every source counts once."""
    rows = []
    for source in sorted(set(sources), key=sources.index):
        idx = [i for i, s in enumerate(sources) if s == source]
        s_, y_ = [scores[i] for i in idx], [labels[i] for i in idx]
        m = threshold_metrics(s_, y_, threshold)
        rows.append({"source": source, "n": m["n"], "real": m["real"], "fake": m["fake"], "accuracy": m["accuracy"],
                     "realAccuracy": m["realAccuracy"], "fakeAccuracy": m["fakeAccuracy"],
                     "ap": average_precision(s_, y_) if m["real"] and m["fake"] else None})

    def mean(key):
        values = [r[key] for r in rows if r[key] is not None]
        return sum(values) / len(values) if values else None

    return {"threshold": threshold, "rows": rows,
            "mean": {"accuracy": mean("accuracy"), "realAccuracy": mean("realAccuracy"), "fakeAccuracy": mean("fakeAccuracy"),
                     "ap": mean("ap"), "rows": len(rows)}}
