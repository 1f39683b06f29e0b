"""After training: the operating threshold chosen on validation by the job's rule, and the
best weights measured on the held-out test split (recipes), both on the crops the shipped model
takes (job.inference), written to ``output/evaluation.json`` and summarised in manifest.json.

The rule (job.calibration.targetFpr = r): the lowest threshold at which at most a share r of the
REAL validation images score at or above it, i.e. a false-positive rate <= r on validation; the
false-negative rate there is what it costs. Null keeps 0.5. Metrics follow the app's definitions
(src/main/evaluation/metrics.ts): fake when score >= threshold; AP as scikit-learn computes it.
"""
import os
import time

import torch

from .data import EvalItems
from .events import emit
from .export import write_json
from .metrics import average_precision, per_source, threshold_at_fpr, threshold_metrics
from .split import summarize


def aggregate_scores(net, x, aggregate):
    """x: normalised crops [B, K, 3, S, S] (or [B, 3, S, S]) → (scores [B], logits [B] or None):
    per image the mean (or max) of its crops' sigmoid scores, as the app aggregates them; with
    one crop also the logit, so the loss can be computed as in training."""
    if x.dim() == 4:
        x = x.unsqueeze(1)
    b, k = x.shape[:2]
    logits, _ = net(x.reshape(b * k, *x.shape[2:]))
    logits = logits.float().reshape(b, k)
    probs = torch.sigmoid(logits)
    if k == 1:
        return probs[:, 0], logits[:, 0]
    return (probs.mean(dim=1) if aggregate == "mean" else probs.max(dim=1).values), None


def score_items(run, items, perturb=None):
    """Scores of ``items`` with the run's network (eval mode), or None when a stop was requested."""
    job = run.job
    dataset = EvalItems(items, job["model"]["inputSize"], job["inference"], ela=job["model"]["ela"], perturb=perturb)
    per_batch = max(1, job["batchSize"] // max(1, job["inference"]["cropCount"]))
    batches = [list(range(i, min(i + per_batch, len(items)))) for i in range(0, len(items), per_batch)]
    loader = run._loader(dataset, batches)
    run.net.eval()
    scores = []
    with torch.no_grad():
        for x, _y in loader:
            probs, _ = aggregate_scores(run.net, run._to_device(x), job["inference"]["aggregate"])
            scores.extend(probs.cpu().tolist())
            if run.stop.requested:
                return None
    return scores


def _label(item):
    return 1.0 if item["label"] == "fake" else 0.0


def calibrate_and_evaluate(run):
    """Threshold on validation, metrics on test; writes output/evaluation.json and emits an
    "evaluation" event. Returns {threshold, manifest: {calibration, evaluation}} or None when
    cancelled."""
    job = run.job
    started = time.time()
    if getattr(run, "best_val_scores", None):
        val_scores, val_labels = run.best_val_scores
    else:
        val_scores = score_items(run, run.val_items)
        if val_scores is None:
            return None
        val_labels = [_label(it) for it in run.val_items]
    target = job["calibration"]["targetFpr"]
    real, fake = sum(1 for y in val_labels if y < 0.5), sum(1 for y in val_labels if y >= 0.5)
    if target is None:
        threshold = 0.5
        rule = "fixed at 0.5 (the job asks for no calibration)"
    else:
        threshold, _ = threshold_at_fpr(val_scores, val_labels, target)
        rule = ("lowest threshold with a false-positive rate <= %g%% on the validation split (%d real, %d fake images), "
                "set midway to the next lower validation score" % (100 * target, real, fake))
    val_metrics = threshold_metrics(val_scores, val_labels, threshold)
    val_metrics["ap"] = average_precision(val_scores, val_labels)
    val_summary = summarize(run.val_items)
    calibration = {"rule": rule, "targetFpr": target, "split": "validation", "splitSha256": val_summary["sha256"],
                   "real": real, "fake": fake, "fpr": val_metrics["fpr"], "fnr": val_metrics["fnr"]}

    result = {"threshold": threshold, "rule": rule, "inference": job["inference"], "bestEpoch": run.progress["bestEpoch"],
              "validation": dict(val_metrics, data=val_summary), "test": None}
    summary = None
    if run.test_items:
        scores = score_items(run, run.test_items)
        if scores is None:
            return None
        labels = [_label(it) for it in run.test_items]
        sources = [it.get("source") or "all" for it in run.test_items]
        metrics = threshold_metrics(scores, labels, threshold)
        metrics["ap"] = average_precision(scores, labels)
        table = per_source(scores, labels, sources, threshold)
        base = run.prepared_dir or ""
        result["test"] = dict(metrics, data=summarize(run.test_items), perSource=table, items=[
            {"path": os.path.relpath(it["path"], base) if base else it["path"], "label": it["label"], "source": it.get("source"),
             "generator": it.get("generator"), "group": it.get("group"), "sha256": it["sha256"], "score": s}
            for it, s in zip(run.test_items, scores)])
        summary = {"split": "test", "splitSha256": result["test"]["data"]["sha256"], "scoredBy": "trainer (PyTorch)",
                   "real": metrics["real"], "fake": metrics["fake"], "threshold": threshold,
                   "accuracy": metrics["accuracy"], "precision": metrics["precision"], "recall": metrics["recall"],
                   "f1": metrics["f1"], "ap": metrics["ap"], "fpr": metrics["fpr"], "fnr": metrics["fnr"],
                   "perSource": [{"source": r["source"], "real": r["real"], "fake": r["fake"], "accuracy": r["accuracy"], "ap": r["ap"]}
                                 for r in table["rows"]],
                   "meanAccuracy": table["mean"]["accuracy"], "meanAp": table["mean"]["ap"]}
    result["seconds"] = round(time.time() - started, 1)
    out_dir = os.path.join(run.workdir, "output")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "evaluation.json")
    write_json(path, result)
    test = result["test"]
    emit("evaluation", file=path, threshold=threshold, rule=rule,
         validation={"fpr": val_metrics["fpr"], "fnr": val_metrics["fnr"], "accuracy": val_metrics["accuracy"], "ap": val_metrics["ap"]},
         test=None if test is None else dict({k: test[k] for k in ("accuracy", "precision", "recall", "f1", "ap")}, n=test["n"]))
    manifest = {"calibration": calibration}
    if summary:
        manifest["evaluation"] = summary
    return {"threshold": threshold, "manifest": manifest}
