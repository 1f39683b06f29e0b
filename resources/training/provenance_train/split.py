"""Dataset items, group-aware train/validation split and data hashes. No torch here: the same
rules are implemented in TypeScript (src/main/training/dataset.ts) for the in-process head
training, and both must give the same split and hashes for the same files.

Rules (keep in step with dataset.ts):
- A labelled folder holds images under label folders, at any depth: ``real``, ``0_real``,
  ``authentic`` are real; ``fake``, ``1_fake``, ``generated``, ``manipulated``, ``tampered`` are
  fake (case-insensitive, the innermost such folder wins). A file directly inside a label
  folder is its own group; a file deeper down belongs to the group named by the first folder
  below the label folder (a scene, a camera, a source image), shared across labels, so a
  manipulated picture and its original stay on the same side of the split.
- Items may carry an explicit ``split``; the rest are split by group: groups are taken in
  the order of SHA-256("<seed>:<group>") and a group goes to validation when that brings the
  per-label validation counts closer to round(valFraction x per-label total).
- Data hash of a list of items: SHA-256 over the sorted lines "<file sha256>\\t<label>\\n",
  independent of paths, so the same images give the same hash on any machine.
"""
import hashlib
import os

REAL_DIRS = ("real", "0_real", "authentic")
FAKE_DIRS = ("fake", "1_fake", "generated", "manipulated", "tampered")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
LABELS = ("real", "fake")


class DataError(Exception):
    """The data cannot be used as given; the message says what to change."""


def _label_of_dir(name):
    lower = name.lower()
    if lower in REAL_DIRS:
        return "real"
    if lower in FAKE_DIRS:
        return "fake"
    return None


def items_from_folder(folder):
    """Every image under a labelled folder as {path, label, group}, sorted by path."""
    if not os.path.isdir(folder):
        raise DataError("the data folder %s does not exist or is not a directory" % folder)
    items = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, folder)
        parts = [] if rel_dir == "." else rel_dir.split(os.sep)
        label_at = None
        for i in range(len(parts) - 1, -1, -1):
            if _label_of_dir(parts[i]):
                label_at = i
                break
        if label_at is None:
            continue
        label = _label_of_dir(parts[label_at])
        below = parts[label_at + 1:]
        for name in sorted(filenames):
            if name.startswith(".") or not name.lower().endswith(IMAGE_EXTENSIONS):
                continue
            path = os.path.join(dirpath, name)
            group = below[0] if below else "/".join(parts + [name])
            items.append({"path": os.path.abspath(path), "label": label, "group": group})
    if not items:
        raise DataError(
            "no labelled images in %s: put them under real/ and fake/ (or 0_real/ and 1_fake/) folders" % folder
        )
    items.sort(key=lambda it: it["path"])
    return items


def file_sha256(path):
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as err:
        raise DataError("cannot read training image %s (%s)" % (path, err.strerror or err))
    return h.hexdigest()


def data_hash(items):
    lines = sorted("%s\t%s\n" % (it["sha256"], it["label"]) for it in items)
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def _round_half_up(x):
    # Python's round() goes to even; TypeScript's Math.round goes up. Both sides use this.
    return int(x + 0.5)


def split_items(items, val_fraction, seed):
    """Assigns "split" to every item without one; returns (train, val) lists."""
    totals = {label: 0 for label in LABELS}
    val_counts = {label: 0 for label in LABELS}
    groups = {}
    for it in items:
        totals[it["label"]] += 1
        if it.get("split") == "val":
            val_counts[it["label"]] += 1
        elif it.get("split") is None:
            group = it.get("group") or it["path"]
            groups.setdefault(group, []).append(it)
    targets = {label: _round_half_up(val_fraction * totals[label]) for label in LABELS}

    def deviation(counts):
        return sum(abs(targets[label] - counts[label]) for label in LABELS)

    order = sorted(groups, key=lambda g: hashlib.sha256(("%d:%s" % (seed, g)).encode("utf-8")).hexdigest())
    for group in order:
        members = groups[group]
        after = dict(val_counts)
        for it in members:
            after[it["label"]] += 1
        to_val = deviation(after) < deviation(val_counts)
        if to_val:
            val_counts = after
        for it in members:
            it["split"] = "val" if to_val else "train"
    train = [it for it in items if it["split"] == "train"]
    val = [it for it in items if it["split"] == "val"]
    return train, val


def summarize(items):
    return {
        "count": len(items),
        "real": sum(1 for it in items if it["label"] == "real"),
        "fake": sum(1 for it in items if it["label"] == "fake"),
        "sha256": data_hash(items),
    }


def prepare_items(data_spec, cache_root=None):
    """Resolves the job's data section into hashed, split items. Returns (train, val, test,
    warnings, prepared_dir): ``test`` (and ``prepared_dir``) only for preparation recipes,
    whose split files decide every item's split."""
    prepared_dir = None
    if data_spec.get("prepare") is not None:
        from .prep import prepare_dataset  # a recipe may need torch (synthesis); folders and items do not

        items, prepared_dir = prepare_dataset(data_spec["prepare"], cache_root)
    elif data_spec.get("folder") is not None:
        items = items_from_folder(data_spec["folder"])
    else:
        items = []
        for it in data_spec["items"]:
            path = os.path.abspath(it["path"])
            items.append({"path": path, "label": it["label"], "group": it.get("group") or path, "split": it.get("split")})
    for it in items:
        expected = it.get("sha256")
        it["sha256"] = file_sha256(it["path"])
        if expected and expected != it["sha256"]:
            raise DataError("%s changed after it was prepared (SHA-256 %s, expected %s); delete %s to prepare the data again"
                            % (it["path"], it["sha256"][:12], expected[:12], prepared_dir))
    test = [it for it in items if it.get("split") == "test"]
    train, val = split_items([it for it in items if it.get("split") != "test"], data_spec["valFraction"], data_spec["splitSeed"])
    warnings = []
    for label in LABELS:
        if not any(it["label"] == label for it in train):
            raise DataError("the training split has no %s images; add more or lower data.valFraction" % label)
        if not any(it["label"] == label for it in val):
            warnings.append("the validation split has no %s images, so its accuracy and AP say little" % label)
    if not val:
        raise DataError("the validation split is empty; add images or raise data.valFraction")
    return train, val, test, warnings, prepared_dir
