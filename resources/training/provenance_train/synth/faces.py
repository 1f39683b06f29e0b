"""The face-swap split: DFDC face crops (shared/datasets/faces/dfdc_faces224) split by source
video, with near-duplicates joined first.

groups.csv already groups each real crop with the fakes made from its video. Different source
videos can still show the same actor in the same room, so every crop is perceptually hashed
(phash.py) and groups holding near-duplicate crops are joined (union-find) before the seeded
split: no near-duplicate ends up on two sides. Byte-identical crops join their groups too.

Outputs (in --out):
  items.csv     path (relative to the dataset folder), label, group (joined), video, sourceVideo,
                split (train / val / test), sha256, dhash, phash
  train.csv, val.csv, test.csv   evaluation manifests (path,label,group,source) for
                `provenance evaluate`, paths relative to --out
  report.json   counts, duplicate statistics, seed, SHA-256 of every file above
"""
import csv
import hashlib
import json
import os

from PIL import Image

from . import phash

DATASET = os.path.join("datasets", "faces", "dfdc_faces224")
# Tight face crops all share the layout of a face, so the general dHash limit (6) matches
# different people: on these crops 854 of the 985 cross-video pairs it finds are dHash-only
# matches at distance 5-6, nearly all of different actors, and chaining them joined a fifth
# of the data into one group. dHash <= 4 or pHash <= 8 keeps the pairs that are the same
# actor in the same room (checked by eye on samples) and gives groups of at most 56 crops.
FACE_DHASH_LIMIT = 4
FACE_PHASH_LIMIT = 8
SPLITS = ("train", "val", "test")


class FaceSplitError(Exception):
    pass


def _sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def split_faces(shared, out_root, seed=20261201, fractions=(0.7, 0.15, 0.15), log=print, csv_dir=None):
    """csv_dir: where the split manifests go (their paths are relative to it); default out_root."""
    root = os.path.join(shared, DATASET)
    listing = os.path.join(root, "groups.csv")
    if not os.path.exists(listing):
        raise FaceSplitError("%s is missing: the face-swap data is ../shared/%s" % (listing, DATASET))
    with open(listing, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    log("hashing %d face crops" % len(rows))
    hashes = []
    for r in rows:
        with Image.open(os.path.join(root, r["file"])) as img:
            hashes.append(phash.hashes(img.convert("RGB")))
    uf = phash.DuplicateGroups(len(rows))
    first_of_group, first_of_sha = {}, {}
    for i, r in enumerate(rows):
        if r["group"] in first_of_group:
            uf.union(first_of_group[r["group"]], i)
        else:
            first_of_group[r["group"]] = i
    exact_joins = 0
    for i, r in enumerate(rows):
        if r["sha256"] in first_of_sha:
            exact_joins += uf.union(first_of_sha[r["sha256"]], i)
        else:
            first_of_sha[r["sha256"]] = i
    pairs = phash.near_duplicate_pairs(hashes, FACE_DHASH_LIMIT, FACE_PHASH_LIMIT)
    across_videos = [(i, j, d, p) for i, j, d, p in pairs if rows[i]["group"] != rows[j]["group"]]
    near_joins = sum(1 for i, j, _d, _p in across_videos if uf.union(i, j))

    members = {}
    for i in range(len(rows)):
        members.setdefault(uf.find(i), []).append(i)
    names = {root_: rows[min(idx)]["group"].replace(".mp4", "") for root_, idx in members.items()}
    order = sorted(members, key=lambda g: hashlib.sha256(("%d:%s" % (seed, names[g])).encode()).hexdigest())
    total = len(rows)
    targets = {"val": fractions[1] * total, "test": fractions[2] * total}
    counts = {"train": 0, "val": 0, "test": 0}
    for g in order:
        size = len(members[g])
        side = "train"
        for candidate in ("val", "test"):
            if counts[candidate] + size <= targets[candidate] + 1:
                side = candidate
                break
        counts[side] += size
        for i in members[g]:
            rows[i]["split"] = side
            rows[i]["joinedGroup"] = names[g]

    os.makedirs(out_root, exist_ok=True)
    items_path = os.path.join(out_root, "items.csv")
    with open(items_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "group", "video", "sourceVideo", "split", "sha256", "dhash", "phash"])
        for r, h in zip(rows, hashes):
            w.writerow([r["file"], r["label"], r["joinedGroup"], r["video"], r["source_video"], r["split"], r["sha256"],
                        "%016x" % h["dhash"], "%016x" % h["phash"]])
    files = {"items.csv": _sha256_file(items_path)}
    csv_dir = os.path.abspath(csv_dir or out_root)
    os.makedirs(csv_dir, exist_ok=True)
    rel_root = os.path.relpath(root, csv_dir)
    for split in SPLITS:
        path = os.path.join(csv_dir, "%s.csv" % split)
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["path", "label", "group", "source"])
            for r in rows:
                if r["split"] == split:
                    w.writerow([os.path.join(rel_root, r["file"]), r["label"], r["joinedGroup"], "dfdc"])
        files["%s.csv" % split] = _sha256_file(path)

    def count(split, label):
        return sum(1 for r in rows if r["split"] == split and r["label"] == label)

    report = {
        "seed": seed,
        "fractions": list(fractions),
        "nearDuplicateRule": "dHash distance <= %d or pHash distance <= %d (64-bit hashes)" % (FACE_DHASH_LIMIT, FACE_PHASH_LIMIT),
        "crops": len(rows),
        "sourceVideoGroups": len(first_of_group),
        "groupsAfterJoining": len(members),
        "exactDuplicateJoins": exact_joins,
        "nearDuplicatePairs": len(pairs),
        "nearDuplicatePairsAcrossSourceVideos": len(across_videos),
        "groupJoinsByNearDuplicates": near_joins,
        "largestGroup": max(len(v) for v in members.values()),
        "nearDuplicatePairsAcrossSplits": sum(1 for i, j, _d, _p in pairs if rows[i]["split"] != rows[j]["split"]),
        "perSplit": {s: {"real": count(s, "real"), "fake": count(s, "fake"),
                         "groups": len({r["joinedGroup"] for r in rows if r["split"] == s})} for s in SPLITS},
        "files": files,
    }
    with open(os.path.join(out_root, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    log("split %d crops: %s; %d near-duplicate pairs across source videos joined %d groups" % (
        len(rows), report["perSplit"], len(across_videos), near_joins))
    return report
