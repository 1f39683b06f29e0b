#!/usr/bin/env python3
"""Provenance Lab trainer: python3 train.py --job job.json --workdir DIR --training-root ROOT [--resume] [--no-export]

Reads a training job (see provenance_train/job.py and src/contract/training.ts), writes JSON
lines to stdout (one event per line: start, data, step, epoch, checkpoint, export, done,
cancelled, error) and diagnostics to stderr. SIGTERM or SIGINT (with --parent-pipe also a
"stop" line on stdin, or stdin closing) writes a checkpoint and exits with 128 + the signal
number; --resume continues from that checkpoint.

DIR must lie inside ROOT, the app's training folder: checkpoints are read back only from there,
and only as tensors (see provenance_train/checkpoint.py).

Exit codes: 0 done, 1 failed, 2 invalid job, arguments or work folder, 130/143 cancelled
(checkpoint saved).
"""
import argparse
import os
import sys
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from provenance_train.events import emit, log, redirect_library_output  # noqa: E402


def main(argv=None):
    redirect_library_output()
    parser = argparse.ArgumentParser(description="Provenance Lab trainer (JSON lines on stdout)")
    parser.add_argument("--job", required=True, help="training job JSON file")
    parser.add_argument("--workdir", required=True, help="folder for checkpoints, split.json and output/")
    parser.add_argument("--training-root", required=True,
                        help="the app's training folder: --workdir must lie inside it (checkpoints are only read back from there)")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --workdir")
    parser.add_argument("--no-export", action="store_true", help="skip the ONNX export (benchmarks)")
    parser.add_argument("--parent-pipe", action="store_true",
                        help="stdin is the app's pipe: a \"stop\" line or its closing cancels the run like SIGTERM")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        if exit_.code:
            emit("error", code="USAGE", message="invalid arguments; see train.py --help")
        return 2 if exit_.code else 0

    from provenance_train.stop import StopFlag

    stop = StopFlag()
    stop.install(parent_pipe=args.parent_pipe)
    from provenance_train.workdir import WorkdirError, confine

    try:
        workdir = confine(args.workdir, args.training_root)
    except WorkdirError as err:
        emit("error", code="WORKDIR", message=str(err))
        return 2
    try:
        import torch  # noqa: F401
    except ImportError as err:
        emit("error", code="NO_TORCH", message="PyTorch is not installed for %s (%s)" % (sys.executable, err))
        return 1
    from provenance_train.checkpoint import CheckpointError, safe_loading_problem

    problem = safe_loading_problem()
    if problem:
        emit("error", code="UNSAFE_TORCH", message=problem)
        return 1

    from provenance_train.job import JobError, load_job
    from provenance_train.loop import DeviceError, Run
    from provenance_train.split import DataError

    try:
        job = load_job(args.job)
    except JobError as err:
        emit("error", code="INVALID_JOB", message=str(err))
        return 2
    if job.get("kind") == "prepared":
        from provenance_train.prepared import PreparedRun as Run
    try:
        status = Run(job, workdir, args.resume, stop, export=not args.no_export, training_root=os.path.realpath(args.training_root)).run()
    except CheckpointError as err:
        emit("error", code="CHECKPOINT", message=str(err))
        return 1
    except (DataError, DeviceError, ValueError, FloatingPointError) as err:
        emit("error", code=type(err).__name__, message=str(err))
        return 1
    except Exception as err:  # the parent needs one line saying what broke, not a silent exit
        log(traceback.format_exc())
        emit("error", code="INTERNAL", message="%s: %s" % (type(err).__name__, err))
        return 1
    if status == "cancelled":
        return 128 + (stop.signal or 15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
