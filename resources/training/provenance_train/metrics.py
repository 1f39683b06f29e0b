"""Validation metrics without scikit-learn: accuracy at a threshold and average precision."""


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
