"""JSON-lines protocol on stdout: one object per line, each with a "type".

stdout carries ONLY these lines so the parent process can parse every line; anything a library
prints goes to stderr (see ``redirect_library_output``). Keys are camelCase, the same names the
TypeScript contract (src/contract/training.ts) uses.
"""
import json
import math
import os
import sys
import time

from . import PROTOCOL_VERSION

_out = sys.stdout


def _clean(value):
    """JSON has no NaN/Infinity: report them as null instead of writing invalid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def emit(kind, **fields):
    """One event line. Its fields must match the event's schema (schema/events.schema.json,
    generated from TrainerEvent in src/contract/training.ts): the app drops a line that does not."""
    record = {"type": kind, "protocol": PROTOCOL_VERSION, "time": round(time.time(), 3)}
    record.update(fields)
    _out.write(json.dumps(_clean(record), separators=(",", ":")) + "\n")
    _out.flush()


def redirect_library_output():
    """Keep the protocol on a private copy of stdout and point file descriptor 1 (and
    sys.stdout) at stderr, so stray prints from Python or C++ (warnings, torch.onnx's graph
    dumps) cannot corrupt the stream the parent parses."""
    global _out
    sys.stdout.flush()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    _out = os.fdopen(protocol_fd, "w", buffering=1)
    sys.stdout = sys.stderr


def log(message):
    """Human-readable diagnostics go to stderr; the parent shows them as log lines."""
    sys.stderr.write(str(message) + "\n")
    sys.stderr.flush()
