#!/usr/bin/env python3
"""Runs training jobs as experiments and keeps their numbers: for each job file, the trainer
(resources/training/train.py, --no-export) in <runs-dir>/<job name>, then a results file
<out>/<job name>.json with the job, the data preparation summary, the epoch history, the
calibration and the test metrics with the per-source table (per-image scores left out).

    /usr/bin/python3 scripts/run-training-experiments.py --runs-dir DIR --out DIR JOB.json...

Relative paths in a job (data.prepare.sharedDir, model.backboneWeights, ...) are relative to
the job file, as for `provenance train`. A job whose results file exists is skipped (--force
runs it again). Run it under `nice -n 19` on a shared machine.
"""
import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TRAIN = os.path.join(ROOT, "resources", "training", "train.py")


def resolve_paths(job, base):
    job = json.loads(json.dumps(job))
    prep = job.get("data", {}).get("prepare")
    if prep and "sharedDir" in prep:
        prep["sharedDir"] = os.path.normpath(os.path.join(base, prep["sharedDir"]))
    for key in ("backboneWeights", "initWeights"):
        if job.get("model", {}).get(key):
            job["model"][key] = os.path.normpath(os.path.join(base, job["model"][key]))
    if job.get("data", {}).get("folder"):
        job["data"]["folder"] = os.path.normpath(os.path.join(base, job["data"]["folder"]))
    return job


def run(job_path, runs_dir, out_dir, force, export=False):
    name = os.path.splitext(os.path.basename(job_path))[0]
    result_path = os.path.join(out_dir, name + ".json")
    if os.path.exists(result_path) and not force:
        print("%s: done already (%s)" % (name, result_path), flush=True)
        return True
    with open(job_path, encoding="utf-8") as f:
        job = resolve_paths(json.load(f), os.path.dirname(os.path.abspath(job_path)))
    workdir = os.path.join(runs_dir, name)
    if force:
        shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir, exist_ok=True)
    resolved = os.path.join(workdir, "job.json")
    with open(resolved, "w", encoding="utf-8") as f:
        json.dump(job, f, indent=1)
    started = time.time()
    events = []
    with open(os.path.join(workdir, "events.jsonl"), "w", encoding="utf-8") as log, \
            open(os.path.join(workdir, "stderr.log"), "w", encoding="utf-8") as err:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.Popen([sys.executable, TRAIN, "--job", resolved, "--workdir", workdir, "--training-root", runs_dir]
                                + ([] if export else ["--no-export"]), stdout=subprocess.PIPE, stderr=err, text=True)
        for line in proc.stdout:
            log.write(line)
            log.flush()
            try:
                event = json.loads(line)
            except ValueError:
                continue
            events.append(event)
            if event["type"] in ("epoch", "evaluation", "error", "prepare") and (event["type"] != "prepare" or event["done"] == event.get("total")):
                brief = {k: event[k] for k in ("epoch", "valLoss", "valAp", "threshold", "message", "stage") if k in event}
                if event["type"] == "evaluation" and event.get("test"):
                    brief["testAp"] = event["test"]["ap"]
                    brief["testAcc"] = event["test"]["accuracy"]
                print("%s: %s %s" % (name, event["type"], json.dumps(brief)), flush=True)
        code = proc.wait()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if code != 0:
        print("%s: FAILED with exit code %d (see %s)" % (name, code, os.path.join(workdir, "stderr.log")), flush=True)
        return False
    with open(os.path.join(workdir, "output", "evaluation.json"), encoding="utf-8") as f:
        evaluation = json.load(f)
    if evaluation.get("test"):
        evaluation["test"].pop("items", None)
    data = next(e for e in events if e["type"] == "data")
    done = next(e for e in events if e["type"] == "done")
    start = next(e for e in events if e["type"] == "start")
    summary = None
    if data.get("preparedDir"):
        with open(os.path.join(data["preparedDir"], "summary.json"), encoding="utf-8") as f:
            summary = json.load(f)
    result = {
        "name": name,
        "jobFile": os.path.relpath(os.path.abspath(job_path), ROOT),
        "job": job,
        "command": "nice -n 19 /usr/bin/python3 scripts/run-training-experiments.py --runs-dir RUNS --out %s %s"
                   % (os.path.relpath(out_dir, ROOT), os.path.relpath(os.path.abspath(job_path), ROOT)),
        "environment": {"python": start["python"], "torch": start["torch"], "device": start["device"]},
        "wallSeconds": round(time.time() - started, 1),
        # CPU time of the trainer process: on a shared machine the wall clock mostly measures
        # the other jobs; this is the work itself (all threads, all stages).
        "cpuSeconds": round(cpu_seconds, 1),
        "hardware": _hardware(),
        "trainingSeconds": done.get("seconds"),
        "data": {k: data[k] for k in ("train", "val", "test") if k in data},
        "preparation": summary,
        "history": done["history"],
        "bestEpoch": done["bestEpoch"],
        "evaluation": evaluation,
    }
    os.makedirs(out_dir, exist_ok=True)
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print("%s: wrote %s (%.0f s)" % (name, result_path, result["wallSeconds"]), flush=True)
    return True


def _hardware():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d logical cores visible (%s)" % (model, os.cpu_count() or 0, platform.platform())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs-dir", required=True, help="the training folder (work folders and the prepared data go here)")
    parser.add_argument("--out", required=True, help="folder for the results files")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--export", action="store_true", help="also export ONNX + manifest (output/), for a run that may ship")
    parser.add_argument("jobs", nargs="+")
    args = parser.parse_args()
    runs_dir = os.path.realpath(args.runs_dir)
    os.makedirs(runs_dir, exist_ok=True)
    ok = all([run(j, runs_dir, os.path.abspath(args.out), args.force, args.export) for j in args.jobs])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
