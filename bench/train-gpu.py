#!/usr/bin/env python3
"""Times one epoch of detector fine-tuning through Provenance Lab's own trainer
(resources/training/train.py): by default ResNet-50, all layers, on 10,000 training crops of
224 x 224 on CUDA, as the training issue asks. Needs only Python with torch + torchvision
(no Node): it writes random JPEGs to a temporary folder, runs the trainer as the app does
(JSON lines on stdout) and prints the epoch time.

  python3 bench/train-gpu.py                      # the issue's measurement (device cuda)
  python3 bench/train-gpu.py --mode head          # head-only fine-tuning, for comparison
  python3 bench/train-gpu.py --count 64 --size 96 --crop 64 --arch small_cnn --device cpu  # smoke test

The last line is one JSON object with every number (device, timings, images per second).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAINER = os.path.join(ROOT, "resources", "training", "train.py")


def _write_image(task):
    """One JPEG: smooth gradient ("real") or the same plus strong noise ("fake")."""
    import numpy as np
    from PIL import Image

    path, size, fake, seed = task
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, size, dtype=np.float32)
    base = 40 + 150 * (0.6 * ramp[None, :, None] + 0.4 * ramp[:, None, None]) + rng.uniform(0, 60, (1, 1, 3))
    img = np.broadcast_to(base, (size, size, 3)).copy()
    img += rng.normal(0, 25 if fake else 3, img.shape)
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path, quality=90)


def make_dataset(folder, train_count, val_count, size, workers):
    """train_count + val_count images, half per label; returns the valFraction that holds out
    exactly val_count of them (the trainer rounds per label)."""
    per_label = (train_count + val_count) // 2
    tasks = []
    for label, fake in (("real", False), ("fake", True)):
        os.makedirs(os.path.join(folder, label), exist_ok=True)
        for i in range(per_label):
            tasks.append((os.path.join(folder, label, "%05d.jpg" % i), size, fake, i * 2 + int(fake)))
    with Pool(workers) as pool:
        pool.map(_write_image, tasks, chunksize=64)
    return val_count / (2 * per_label)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=10000, help="training crops per epoch (default 10000)")
    p.add_argument("--val", type=int, default=1000, help="validation images (default 1000)")
    p.add_argument("--size", type=int, default=256, help="side of the generated images (default 256)")
    p.add_argument("--crop", type=int, default=224, help="training crop (default 224)")
    p.add_argument("--arch", default="resnet50", choices=("resnet50", "resnet18", "small_cnn"))
    p.add_argument("--mode", default="full", choices=("full", "last-n", "head"))
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--device", default="cuda", choices=("cuda", "cpu", "mps", "auto"))
    p.add_argument("--workers", type=int, default=max(1, min(16, (os.cpu_count() or 2) - 2)), help="DataLoader workers")
    p.add_argument("--no-amp", action="store_true", help="float32 instead of float16 autocast on CUDA")
    p.add_argument("--no-augment", action="store_true", help="no Blur+JPEG augmentation (pure model throughput)")
    p.add_argument("--export", action="store_true", help="also time the ONNX export")
    p.add_argument("--keep", default=None, help="use/keep this folder instead of a temporary one")
    args = p.parse_args()

    import importlib.util

    missing = [m for m in ("torch", "torchvision", "numpy", "PIL") if importlib.util.find_spec(m) is None]
    if missing:
        print("this Python (%s) lacks %s: pip install torch torchvision" % (sys.executable, ", ".join(missing)), flush=True)
        return 2

    work = args.keep or tempfile.mkdtemp(prefix="provenance-train-bench-")
    data = os.path.join(work, "data")
    t0 = time.time()
    if not os.path.isdir(data):
        val_fraction = make_dataset(data, args.count, args.val, args.size, os.cpu_count() or 2)
    else:
        val_fraction = args.val / (args.count + args.val)
    gen_s = time.time() - t0
    print("generated %d images of %dx%d in %.1f s (%s)" % (args.count + args.val, args.size, args.size, gen_s, data), flush=True)

    job = {
        "version": 1, "modelId": "bench-" + args.arch.replace("_", "-"), "task": "generated",
        "data": {"folder": data, "valFraction": val_fraction},
        "model": {"arch": args.arch, "inputSize": args.crop},
        "mode": args.mode, "lastN": 1, "epochs": args.epochs, "batchSize": args.batch,
        "lr": {"backbone": 1e-4, "head": 1e-3}, "earlyStopping": {"patience": 0},
        "device": args.device, "mixedPrecision": not args.no_amp, "numWorkers": args.workers, "seed": 0,
    }
    if args.no_augment:
        job["augment"] = {"blur": {"p": 0}, "jpeg": {"p": 0}, "flip": True}
    job_path = os.path.join(work, "job.json")
    with open(job_path, "w") as f:
        json.dump(job, f)
    run_dir = os.path.join(work, "run")
    shutil.rmtree(run_dir, ignore_errors=True)
    cmd = [sys.executable, "-u", TRAINER, "--job", job_path, "--workdir", run_dir] + ([] if args.export else ["--no-export"])

    started = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    start = data_event = None
    steps, epochs, export, error = [], [], None, None
    for line in proc.stdout:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        kind = e.get("type")
        if kind == "start":
            start = e
            print("trainer: torch %s on %s (%s), startup %.1f s" % (e["torch"], e["device"]["kind"], e["device"]["name"], time.time() - started), flush=True)
        elif kind == "data":
            data_event = e
            print("data: %d train / %d val (hashing and split done at %.1f s)" % (e["train"]["count"], e["val"]["count"], time.time() - started), flush=True)
        elif kind == "step":
            steps.append(e)
            if len(steps) % 20 == 1:
                print("  step %d/%d loss %.4f, %s img/s" % (e["step"], e["steps"], e["loss"], "%.0f" % e["samplesPerSecond"] if e["samplesPerSecond"] else "--"), flush=True)
        elif kind == "epoch":
            epochs.append(e)
            print("epoch %d: train %.1f s, validation %.1f s, total %.1f s; val acc %.3f" % (e["epoch"], e["trainSeconds"], e["valSeconds"], e["seconds"], e["valAcc"] or 0), flush=True)
        elif kind == "export":
            export = e
        elif kind == "error":
            error = e
    code = proc.wait()
    if error or code != 0 or not epochs:
        print("trainer failed (exit %s): %s" % (code, error["message"] if error else "see stderr"), flush=True)
        return 1

    # Steady state: from the step event at about 20% of the epoch to the last one, so cuDNN
    # autotuning and worker start-up do not count.
    first_epoch_steps = [s for s in steps if s["epoch"] == 1]
    steady = None
    if len(first_epoch_steps) >= 3:
        a = first_epoch_steps[len(first_epoch_steps) // 5]
        b = first_epoch_steps[-1]
        if b["time"] > a["time"]:
            steady = (b["globalStep"] - a["globalStep"]) * args.batch / (b["time"] - a["time"])
    e1 = epochs[0]
    result = {
        "device": start["device"], "torch": start["torch"], "arch": args.arch, "mode": args.mode, "batch": args.batch,
        "amp": (not args.no_amp) and start["device"]["kind"] == "cuda", "augment": not args.no_augment, "workers": args.workers,
        "trainCrops": data_event["train"]["count"], "crop": args.crop, "valImages": data_event["val"]["count"],
        "epochTrainSeconds": round(e1["trainSeconds"], 2), "epochValSeconds": round(e1["valSeconds"], 2),
        "epochSeconds": round(e1["seconds"], 2),
        "trainImagesPerSecond": round(data_event["train"]["count"] / e1["trainSeconds"], 1),
        "steadyImagesPerSecond": round(steady, 1) if steady else None,
        "generateSeconds": round(gen_s, 1), "trainerWallSeconds": round(time.time() - started, 1),
        "exportOnnx": export["onnx"] if export else None,
    }
    print("RESULT " + json.dumps(result), flush=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
