#!/usr/bin/env python3
"""Ships a trained generated-image detector into resources/models/<id>/ with its evidence:

    /usr/bin/python3 scripts/ship-generated-model.py --run RUN_DIR --id generated-xyz \\
        [--version-json USER_MODELS/<model>/versions/rN/version.json] [--experiments DIR] [--baseline RESULT.json]

RUN_DIR is the work folder of `npx provenance train --job resources/training/jobs/<id>.json`
(the training folder's <id>/ by default). It copies model.onnx, writes manifest.json (id,
version 1.0.0), then runs the app's own evaluation on the run's test split
(`provenance evaluate <prepared>/splits/test.csv --models <id> --robustness`, onnxruntime, the
manifest's calibrated threshold) and keeps under evaluation/:

- app-evaluation.json   what `provenance evaluate --out` wrote (paths relative to the prepared set)
- training.json         the job, the preparation summary (counts, duplicates, split hashes,
                        leakage baselines), the epoch history, the calibration, the trainer's
                        own test metrics, hardware and times
- test-items.csv        every test image: origin in ../shared, crop box, SHA-256 of the
                        normalised file, the app's score (the agreement test rebuilds a slice)
- experiments/*.json    the leave-one-source-out and baseline runs (--experiments)

and finally writes MODEL_CARD.md and robustness.png (scripts/make-generated-card.py).
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "resources", "training"))


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=1)
        f.write("\n")


def sha256_file(path):
    from provenance_train.export import sha256_file as sha

    return sha(path)


def _timing(path):
    """The measured cost of the training command: a run-training-experiments.py results file
    (or any JSON with wallSeconds); only the timing, hardware and epoch history are kept."""
    if not path:
        return None
    record = read_json(path)
    keys = ("command", "environment", "hardware", "wallSeconds", "cpuSeconds", "trainingSeconds", "history")
    return {k: record[k] for k in keys if k in record}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True)
    parser.add_argument("--id", required=True)
    parser.add_argument("--name", default=None)
    parser.add_argument("--version", default="1.0.0")
    parser.add_argument("--version-json", default=None, help="version.json of the registered version (history, device)")
    parser.add_argument("--job-file", default=None, help="the committed job file (default resources/training/jobs/<id>.json)")
    parser.add_argument("--experiments", default=None, help="folder of run-training-experiments.py results to keep")
    parser.add_argument("--timing", default=None, help="results file of run-training-experiments.py for this run (wall-clock and CPU seconds, hardware, epoch history)")
    parser.add_argument("--skip-app-evaluation", action="store_true", help="keep an existing app-evaluation.json")
    args = parser.parse_args()

    run = os.path.abspath(args.run)
    out = os.path.join(ROOT, "resources", "models", args.id)
    ev_dir = os.path.join(out, "evaluation")
    os.makedirs(ev_dir, exist_ok=True)
    job_file = args.job_file or os.path.join(ROOT, "resources", "training", "jobs", args.id + ".json")

    from provenance_train.job import validate_job

    job = validate_job(read_json(os.path.join(run, "job.json")))  # as the trainer ran it, defaults filled in
    split = read_json(os.path.join(run, "split.json"))
    prepared = split["preparedDir"]
    evaluation = read_json(os.path.join(run, "output", "evaluation.json"))
    manifest = read_json(os.path.join(run, "output", "manifest.json"))
    summary = read_json(os.path.join(prepared, "summary.json"))
    version = read_json(args.version_json) if args.version_json else None

    # 1. the model and its manifest
    shutil.copyfile(os.path.join(run, "output", "model.onnx"), os.path.join(out, "model.onnx"))
    sha = sha256_file(os.path.join(out, "model.onnx"))
    assert sha == manifest["sha256"], "model.onnx differs from the manifest's SHA-256"
    job_hash = manifest["version"].replace("job-", "")
    manifest["id"] = args.id
    manifest["version"] = args.version
    if args.name:
        manifest["name"] = args.name
    manifest["provenance"]["source"] = ("Trained by Provenance Lab with `npx provenance train --job %s` (job %s), seed %d; "
                                        "see MODEL_CARD.md" % (os.path.relpath(job_file, ROOT), job_hash, job["seed"]))
    write_json(os.path.join(out, "manifest.json"), manifest)

    # 2. the test items with their origins (for the agreement test) and the training record
    with open(os.path.join(prepared, "items.csv"), newline="", encoding="utf-8") as f:
        by_path = {r["path"]: r for r in csv.DictReader(f)}
    test_items = [by_path[it["path"]] for it in evaluation["test"]["items"]]
    trainer_scores = {it["path"]: it["score"] for it in evaluation["test"]["items"]}

    evaluation_light = dict(evaluation)
    evaluation_light["test"] = {k: v for k, v in evaluation["test"].items() if k != "items"}
    record = {
        "jobFile": os.path.relpath(job_file, ROOT),
        "job": job,
        "preparation": summary,
        "preparedKey": os.path.basename(prepared),
        "data": {k: split[k] for k in ("train", "val", "test") if k in split},
        "dataSha256": split["dataSha256"],
        "evaluation": evaluation_light,
        "version": None if version is None else {k: version.get(k) for k in ("history", "device", "parity", "metrics", "createdAt", "jobSha256")},
        "timing": _timing(args.timing),
    }
    write_json(os.path.join(ev_dir, "training.json"), record)

    # 3. the app's own evaluation of the shipped file on the test split
    app_path = os.path.join(ev_dir, "app-evaluation.json")
    if not args.skip_app_evaluation:
        cmd = ["node", os.path.join(ROOT, "bin", "provenance.js"), "evaluate", os.path.join(prepared, "splits", "test.csv"),
               "--models", args.id, "--robustness", "--bootstrap", "1000", "--ep", "cpu", "--quiet", "--out", app_path]
        print(" ".join(cmd), flush=True)
        subprocess.run(cmd, check=True, cwd=ROOT)
        result = read_json(app_path)
        base = os.path.join(prepared, "splits")
        for it in result["items"]:
            it["path"] = os.path.relpath(it["path"], base)
        for m in result["perModel"]:
            for pick in m["falsePositives"] + m["falseNegatives"]:
                pick["path"] = os.path.relpath(pick["path"], base)
        result["dataset"]["root"] = "splits/test.csv of the prepared set %s" % os.path.basename(prepared)
        result["thumbnailDir"] = None
        write_json(app_path, result)
    result = read_json(app_path)
    app_scores = {os.path.normpath(os.path.join("splits", it["path"])): it["scores"][args.id] for it in result["items"]}

    with open(os.path.join(ev_dir, "test-items.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["path", "label", "source", "generator", "group", "sha256", "origin", "box", "appScore", "trainerScore"])
        for r in test_items:
            app = app_scores.get(r["path"])  # evaluate's paths are relative to splits/: ../images/...
            w.writerow([r["path"], r["label"], r["source"], r["generator"], r["group"], r["sha256"], r["origin"], r["box"],
                        "" if app is None else repr(app), repr(trainer_scores[r["path"]])])

    # 4. the manifest's evaluation summary: the app's numbers on the shipped file
    model_eval = result["perModel"][0]
    m = model_eval["metrics"]
    table = model_eval["table"]
    manifest["evaluation"] = {
        "split": "test", "splitSha256": split["test"]["sha256"], "scoredBy": "provenance evaluate (onnxruntime-node, CPU)",
        "real": m["real"], "fake": m["fake"], "threshold": result["threshold"], "accuracy": m["accuracy"], "precision": m["precision"],
        "recall": m["recall"], "f1": m["f1"], "ap": m["ap"],
        "fpr": m["confusion"]["fp"] / m["real"] if m["real"] else None, "fnr": m["confusion"]["fn"] / m["fake"] if m["fake"] else None,
        "perSource": [{"source": r["source"], "real": r["real"], "fake": r["fake"], "accuracy": r["accuracy"], "ap": r["ap"]} for r in table["rows"]],
        "meanAccuracy": table["mean"]["accuracy"], "meanAp": table["mean"]["ap"],
    }
    write_json(os.path.join(out, "manifest.json"), manifest)

    if args.experiments:
        dest = os.path.join(ev_dir, "experiments")
        os.makedirs(dest, exist_ok=True)
        for name in sorted(os.listdir(args.experiments)):
            if name.endswith(".json"):
                shutil.copyfile(os.path.join(args.experiments, name), os.path.join(dest, name))

    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make-generated-card.py"), "--id", args.id], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
