"""Evaluation manifests for the manipulation detector: the real CASIA v2 and IMD2020 samples in
shared/datasets/manipulated, which are never used for training (synthesize.py checks that no
training photo is a near-duplicate of them).

Writes two CSV manifests for `provenance evaluate` (path,label,group,source,mask; paths relative
to the CSV's folder):
  casia-imd2020.csv        every authentic and tampered image (252)
  casia-imd2020-jpeg.csv   JPEG files only: both datasets store part of their tampered images as
                           TIFF or PNG while every authentic image is a JPEG, so the container
                           alone separates those; this subset removes that shortcut (file size and
                           JPEG quality can still differ between the classes).
"""
import csv
import hashlib
import os

SOURCES = (("casia2_samples", "casia2"), ("imd2020_subset", "imd2020"))
LABELS = {"authentic": "real", "tampered": "fake"}


def write_evaluation_sets(shared, out_dir):
    root = os.path.join(shared, "datasets", "manipulated")
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    for folder, source in SOURCES:
        with open(os.path.join(root, folder, "files.csv"), newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                if r["label"] not in LABELS:
                    continue
                path = os.path.join(root, folder, r["file"])
                mask = os.path.join(root, folder, r["mask"]) if r.get("mask") else ""
                rows.append({
                    "path": os.path.relpath(path, out_dir),
                    "label": LABELS[r["label"]],
                    "group": "%s:%s" % (source, r["group"]),
                    "source": source,
                    "mask": os.path.relpath(mask, out_dir) if mask else "",
                    "format": r["format"].lower(),
                })
    rows.sort(key=lambda r: r["path"])
    out = {}
    for name, keep in (("casia-imd2020.csv", lambda r: True), ("casia-imd2020-jpeg.csv", lambda r: r["format"] == "jpeg")):
        path = os.path.join(out_dir, name)
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["path", "label", "group", "source", "mask"])
            for r in rows:
                if keep(r):
                    w.writerow([r["path"], r["label"], r["group"], r["source"], r["mask"]])
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        chosen = [r for r in rows if keep(r)]
        out[name] = {"sha256": digest, "real": sum(1 for r in chosen if r["label"] == "real"),
                     "fake": sum(1 for r in chosen if r["label"] == "fake"),
                     "masks": sum(1 for r in chosen if r["mask"])}
    return out
