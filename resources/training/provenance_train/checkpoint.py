"""Checkpoints: everything needed to continue a run exactly where it stopped.

Written to a temporary file and renamed, so a crash or a kill while saving leaves the previous
checkpoint intact instead of a truncated one.
"""
import os
import random

import torch

FORMAT = 1
LAST = "checkpoint.pt"
BEST = "best.pt"


def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def rng_state():
    state = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state):
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(workdir, job_hash, data_hash, progress, net, optimizer, scheduler, scaler):
    path = os.path.join(workdir, LAST)
    atomic_save(
        {
            "format": FORMAT,
            "jobHash": job_hash,
            "dataHash": data_hash,
            "progress": progress,
            "model": net.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict() if scheduler is not None else None,
            "scaler": scaler.state_dict(),
            "rng": rng_state(),
        },
        path,
    )
    return path


def load_checkpoint(workdir, job_hash, data_hash):
    """The last checkpoint of this job, or ValueError saying why it cannot be resumed."""
    path = os.path.join(workdir, LAST)
    if not os.path.exists(path):
        raise ValueError("nothing to resume: %s has no %s (start the job without --resume)" % (workdir, LAST))
    ckpt = load_own(path)
    if ckpt.get("format") != FORMAT:
        raise ValueError("%s was written by another version of the trainer (format %s)" % (path, ckpt.get("format")))
    if ckpt.get("jobHash") != job_hash:
        raise ValueError("%s belongs to a different job: the job file changed since it was written; "
                         "restore the original job or start in a new work folder" % path)
    if ckpt.get("dataHash") != data_hash:
        raise ValueError("the training images changed since %s was written (different files or labels); "
                         "start in a new work folder" % path)
    return ckpt


def save_best(workdir, net, epoch, metrics):
    path = os.path.join(workdir, BEST)
    atomic_save({"model": net.state_dict(), "epoch": epoch, "metrics": metrics}, path)
    return path


def load_best(workdir):
    path = os.path.join(workdir, BEST)
    return load_own(path) if os.path.exists(path) else None



def _load(path, weights_only):
    try:
        return torch.load(path, map_location="cpu", weights_only=weights_only)
    except TypeError:  # torch older than 1.13: no weights_only, always unpickles
        return torch.load(path, map_location="cpu")


def load_own(path):
    """A checkpoint this trainer wrote into its own work folder (it holds plain Python numbers,
    which the weights-only loader of older torch releases refuses)."""
    return _load(path, weights_only=False)


def safe_load(path, allow_pickle=False):
    """A weights file from elsewhere (initial weights, a published checkpoint) WITHOUT
    unpickling arbitrary objects: a checkpoint someone sends you could otherwise run code when
    loaded. allow_pickle (job model.allowPickle, convert.py --allow-pickle) lifts that for a
    file whose source the user trusts, e.g. one that also stores its optimiser settings."""
    try:
        return _load(path, weights_only=True)
    except OSError:
        raise
    except Exception as err:  # torch raises UnpicklingError, RuntimeError or others by version
        if allow_pickle:
            return _load(path, weights_only=False)
        first = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        raise ValueError("%s holds Python objects besides tensors and was not loaded, because unpickling can run code. "
                         "If you trust its source, allow it (job model.allowPickle, convert.py --allow-pickle) or re-save "
                         "just the weights with torch.save(state_dict, path). (%s)" % (path, first[:300]))
