"""Checkpoints: everything needed to continue a run exactly where it stopped, stored so that
loading one can never run code.

A work folder can be reached by others (a shared drive, a case folder sent along, a file
dropped there by another program), and ``torch.load`` of a pickle runs whatever the pickle
says. So a checkpoint is two files:

- ``<name>-<slot>.pt``: tensors only (model weights, optimiser moments, the torch RNG state),
  a flat ``{str: Tensor}`` dict loaded with ``torch.load(weights_only=True)``, which refuses any
  pickled object that is not a tensor or a plain container;
- ``<name>.json``: the sidecar with everything else (format, job hash, data hash, progress,
  optimiser hyper-parameters, scheduler and grad-scaler state, Python's RNG state) and the
  SHA-256 of the tensor file. It is read and checked BEFORE the tensor file is opened.

Writes alternate between two slots and the sidecar is replaced last (atomically), so a crash or
a kill while saving leaves the previous checkpoint intact and consistent. A PyTorch without
``weights_only`` loading is refused (see ``require_safe_loading``).
"""
import hashlib
import inspect
import json
import math
import os
import random
import re

import torch

FORMAT = 2
LAST = "checkpoint"
BEST = "best"
LEGACY_FILES = ("checkpoint.pt", "best.pt")


class CheckpointError(ValueError):
    """A checkpoint cannot be used; the message says why and what to do."""


class UnsafeTorchError(RuntimeError):
    """This PyTorch cannot load tensors without unpickling arbitrary objects."""


def safe_loading_problem():
    """None when torch.load(weights_only=True) exists (PyTorch 1.13+), else the reason."""
    if "weights_only" not in inspect.signature(torch.load).parameters:
        return ("PyTorch %s cannot load weights without unpickling, and unpickling a file can run code; "
                "install PyTorch 1.13 or newer" % torch.__version__)
    return None


def require_safe_loading():
    problem = safe_loading_problem()
    if problem:
        raise UnsafeTorchError(problem)


# ---- JSON for the sidecar: tuples become lists, non-finite floats are tagged --------------------
def to_json(value):
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError("sidecar keys must be strings, got %r" % (k,))
            out[k] = to_json(v)
        return out
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return to_json(value.item())
    raise TypeError("cannot store %s in a checkpoint sidecar" % type(value).__name__)


def from_json(value):
    if isinstance(value, dict):
        if set(value) == {"$float"}:
            return float(value["$float"])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def _fsync_write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sidecar_path(workdir, name):
    return os.path.join(workdir, name + ".json")


def _read_sidecar(workdir, name):
    path = _sidecar_path(workdir, name)
    try:
        with open(path, "r", encoding="utf-8") as f:
            sidecar = json.load(f)
    except OSError as err:
        raise CheckpointError("cannot read %s (%s)" % (path, err.strerror or err))
    except ValueError as err:
        raise CheckpointError("%s is not valid JSON (%s); start in a new work folder" % (path, err))
    if not isinstance(sidecar, dict):
        raise CheckpointError("%s is not a checkpoint sidecar" % path)
    if sidecar.get("format") != FORMAT:
        raise CheckpointError("%s was written by another version of the trainer (format %s, this one reads %d); "
                              "start in a new work folder" % (path, json.dumps(sidecar.get("format")), FORMAT))
    file_name = sidecar.get("file")
    # Only this checkpoint's own two slots, in this folder: a sidecar must not be able to point
    # the loader at a file elsewhere.
    if not isinstance(file_name, str) or not re.fullmatch(re.escape(name) + r"-[01]\.pt", file_name):
        raise CheckpointError("%s names an unexpected tensor file %s" % (path, json.dumps(file_name)))
    if not isinstance(sidecar.get("sha256"), str) or not isinstance(sidecar.get("meta"), dict):
        raise CheckpointError("%s lacks the tensor file's SHA-256 or its metadata" % path)
    return sidecar


def save_tensors(workdir, name, tensors, meta):
    """Writes ``<name>-<slot>.pt`` (tensors only) and then ``<name>.json``. Returns the sidecar path."""
    for key, value in tensors.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise TypeError("checkpoint tensors must be {str: Tensor}, got %r: %s" % (key, type(value).__name__))
    slot = 0
    try:
        previous = _read_sidecar(workdir, name)
        slot = 1 - int(previous["file"][-4])
    except CheckpointError:
        pass
    file_name = "%s-%d.pt" % (name, slot)
    path = os.path.join(workdir, file_name)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    sidecar = {"format": FORMAT, "file": file_name, "sha256": sha256_file(path), "torch": torch.__version__,
               "meta": to_json(meta)}
    sidecar_path = _sidecar_path(workdir, name)
    _fsync_write(sidecar_path, (json.dumps(sidecar, indent=1) + "\n").encode("utf-8"))
    return sidecar_path


def load_tensors(workdir, name):
    """(tensors, meta) of a checkpoint written by save_tensors, or CheckpointError. The sidecar
    is checked first; the tensor file must match its SHA-256 and is loaded tensors-only."""
    require_safe_loading()
    sidecar = _read_sidecar(workdir, name)
    path = os.path.join(workdir, sidecar["file"])
    if not os.path.isfile(path) or os.path.islink(path):
        raise CheckpointError("%s is missing (or not a regular file); start in a new work folder" % path)
    if sha256_file(path) != sidecar["sha256"]:
        raise CheckpointError("%s does not match the SHA-256 in %s.json: it was changed or replaced after the "
                              "trainer wrote it; start in a new work folder" % (path, name))
    try:
        tensors = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # UnpicklingError, RuntimeError, ... by torch version
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError("%s holds something besides tensors and was NOT loaded (unpickling it could run code); "
                              "start in a new work folder (%s)" % (path, first[:200]))
    if not isinstance(tensors, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in tensors.items()):
        raise CheckpointError("%s is not a flat {name: tensor} file" % path)
    return tensors, from_json(sidecar["meta"])


def has_checkpoint(workdir, name=LAST):
    return os.path.exists(_sidecar_path(workdir, name))


def legacy_checkpoint(workdir):
    """A pickled checkpoint of trainer format 1, which is never loaded."""
    for file_name in LEGACY_FILES:
        path = os.path.join(workdir, file_name)
        if os.path.exists(path):
            return path
    return None


# ---- what a training checkpoint holds ----------------------------------------------------------
def _prefixed(prefix, state):
    return {prefix + k: v for k, v in state.items()}


def _unprefixed(prefix, tensors):
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def optimizer_split(state_dict):
    """An optimiser state dict → (tensors, JSON-able rest)."""
    tensors, scalars = {}, {}
    for index, entries in state_dict["state"].items():
        for key, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors["optimizer.state.%d.%s" % (index, key)] = value
            else:
                scalars.setdefault(str(index), {})[key] = value
    return tensors, {"param_groups": state_dict["param_groups"], "scalars": scalars}


def optimizer_join(tensors, meta):
    state = {}
    for key, value in tensors.items():
        if key.startswith("optimizer.state."):
            index, _, name = key[len("optimizer.state."):].partition(".")
            state.setdefault(int(index), {})[name] = value
    for index, entries in meta["scalars"].items():
        state.setdefault(int(index), {}).update(entries)
    # JSON has no tuples: hyper-parameter pairs (Adam's betas) go back to what torch made them.
    groups = [{k: tuple(v) if isinstance(v, list) and k != "params" else v for k, v in g.items()} for g in meta["param_groups"]]
    return {"state": state, "param_groups": groups}


def rng_state():
    tensors = {"rng.torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors["rng.cuda.%d" % i] = s
    return tensors, {"python": random.getstate()}


def restore_rng(tensors, meta):
    torch.set_rng_state(tensors["rng.torch"])
    version, internal, gauss = meta["python"]
    random.setstate((version, tuple(internal), gauss))
    cuda = []
    while "rng.cuda.%d" % len(cuda) in tensors:
        cuda.append(tensors["rng.cuda.%d" % len(cuda)])
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)


def save_checkpoint(workdir, job_hash, data_hash, progress, net, optimizer, scheduler, scaler):
    opt_tensors, opt_meta = optimizer_split(optimizer.state_dict())
    rng_tensors, rng_meta = rng_state()
    tensors = dict(_prefixed("model.", net.state_dict()))
    tensors.update(opt_tensors)
    tensors.update(rng_tensors)
    meta = {
        "jobHash": job_hash,
        "dataHash": data_hash,
        "progress": progress,
        "optimizer": opt_meta,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "scaler": scaler.state_dict(),
        "rng": rng_meta,
    }
    return save_tensors(workdir, LAST, tensors, meta)


def load_checkpoint(workdir, job_hash, data_hash):
    """The last checkpoint of this job as {model, optimizer, scheduler, scaler, rng, progress},
    or CheckpointError saying why it cannot be resumed."""
    if not has_checkpoint(workdir):
        legacy = legacy_checkpoint(workdir)
        if legacy:
            raise CheckpointError("%s was written by an older trainer as a pickle, which this one never loads "
                                  "(unpickling can run code); start the job again in a new work folder" % legacy)
        raise CheckpointError("nothing to resume: %s has no %s.json (start the job without --resume)" % (workdir, LAST))
    # The sidecar is checked before the tensor file is even opened.
    sidecar = _read_sidecar(workdir, LAST)
    meta = from_json(sidecar["meta"])
    if meta.get("jobHash") != job_hash:
        raise CheckpointError("the checkpoint in %s belongs to a different job: the job file changed since it was written; "
                              "restore the original job or start in a new work folder" % workdir)
    if meta.get("dataHash") != data_hash:
        raise CheckpointError("the training images changed since the checkpoint in %s was written (different files or "
                              "labels); start in a new work folder" % workdir)
    tensors, meta = load_tensors(workdir, LAST)
    return {
        "model": _unprefixed("model.", tensors),
        "optimizer": optimizer_join(tensors, meta["optimizer"]),
        "scheduler": meta["scheduler"],
        "scaler": meta["scaler"],
        "rng": (tensors, meta["rng"]),
        "progress": meta["progress"],
    }


def save_best(workdir, net, epoch, metrics):
    return save_tensors(workdir, BEST, _prefixed("model.", net.state_dict()), {"epoch": epoch, "metrics": metrics})


def load_best(workdir):
    if not has_checkpoint(workdir, BEST):
        return None
    tensors, meta = load_tensors(workdir, BEST)
    return {"model": _unprefixed("model.", tensors), "epoch": meta["epoch"], "metrics": meta["metrics"]}


def atomic_save(state_dict, path):
    """Plain weights (a state dict of tensors) for other jobs to start from: loadable tensors-only."""
    tmp = path + ".tmp"
    torch.save(state_dict, tmp)
    os.replace(tmp, path)


def safe_load(path, allow_pickle=False):
    """A weights file from elsewhere (initial weights, a published checkpoint) WITHOUT
    unpickling arbitrary objects: a checkpoint someone sends you could otherwise run code when
    loaded. allow_pickle (job model.allowPickle, convert.py --allow-pickle) lifts that for a
    file whose source the user trusts, e.g. one that also stores its optimiser settings. Never
    used for the trainer's own checkpoints."""
    require_safe_loading()
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except OSError:
        raise
    except Exception as err:  # torch raises UnpicklingError, RuntimeError or others by version
        if allow_pickle:
            return torch.load(path, map_location="cpu", weights_only=False)
        first = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        raise ValueError("%s holds Python objects besides tensors and was not loaded, because unpickling can run code. "
                         "If you trust its source, allow it (job model.allowPickle, convert.py --allow-pickle) or re-save "
                         "just the weights with torch.save(state_dict, path). (%s)" % (path, first[:300]))
