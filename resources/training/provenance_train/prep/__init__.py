"""Data preparation recipes: named, versioned procedures shipped with the trainer that turn a
shared data folder into a training set (decoding, format normalisation, synthesis,
de-duplication and fixed, seeded split files). A job names one in ``data.prepare.recipe``; the
options are validated by the job schema (src/contract/training.ts). Nothing in a job is run as
code: a recipe is looked up in ``RECIPES`` by name.

The prepared set is cached in the app's training folder under ``datasets/<recipe>-<hash>/``,
keyed by the recipe's version, its options and the checksum lists of the source folders it
reads, so jobs that share a preparation (leave-one-source-out rotations, the two routes) share
its files, and a changed source is prepared again. A recipe returns its items, each with a
``split`` of train, val or test, a ``source`` and a ``group``.
"""
import hashlib
import json
import os
import shutil
import time

from ..events import emit

RECIPES = {}
READY = "ready.json"


def register_recipe(name, version, prepare, fingerprint):
    """prepare(options, out_dir, progress) -> summary dict (written to summary.json);
    fingerprint(options) -> text identifying the inputs (checksum lists of the sources)."""
    RECIPES[name] = {"version": version, "prepare": prepare, "fingerprint": fingerprint}


def _progress(stage, done, total, message):
    emit("prepare", stage=stage, done=int(done), total=None if total is None else int(total), message=message)


def cache_key(spec):
    recipe = RECIPES[spec["recipe"]]
    canonical = json.dumps({"recipe": spec["recipe"], "version": recipe["version"], "options": spec,
                            "inputs": recipe["fingerprint"](spec)}, sort_keys=True, separators=(",", ":"))
    return "%s-%s" % (spec["recipe"], hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16])


def prepare_dataset(spec, cache_root):
    """(items, prepared_dir): the recipe's items, preparing them first unless a finished
    preparation of the same recipe, options and inputs is already in ``cache_root``."""
    if spec["recipe"] not in RECIPES:
        raise ValueError("unknown data preparation recipe %r" % spec["recipe"])
    key = cache_key(spec)
    out_dir = os.path.join(cache_root, "datasets", key)
    if not os.path.exists(os.path.join(out_dir, READY)):
        tmp = out_dir + ".tmp-%d" % os.getpid()
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        started = time.time()
        summary = RECIPES[spec["recipe"]]["prepare"](spec, tmp, _progress)
        summary["seconds"] = round(time.time() - started, 1)
        with open(os.path.join(tmp, "summary.json"), "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=1)
        with open(os.path.join(tmp, READY), "w", encoding="utf-8") as f:
            json.dump({"key": key, "options": spec}, f, indent=1)
        if os.path.exists(out_dir):  # another run finished the same preparation meanwhile
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    else:
        _progress("cached", 1, 1, "using the prepared data in %s" % out_dir)
    return read_items(out_dir), out_dir


ITEM_COLUMNS = ("path", "label", "split", "source", "group", "generator", "sha256")


def read_items(out_dir):
    import csv

    with open(os.path.join(out_dir, "items.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [{"path": os.path.join(out_dir, r["path"]), "label": r["label"], "split": r["split"], "source": r["source"],
             "group": r["group"], "generator": r["generator"], "sha256": r["sha256"]} for r in rows]


from . import generated  # noqa: E402,F401  (registers the recipe)
