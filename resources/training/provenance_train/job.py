"""The training job: JSON written by the app (or by hand), validated and completed with defaults.

The rules and the defaults are those of ``trainingJobSchema`` in src/contract/training.ts, read
from the JSON Schema generated from it (schema/job.schema.json); nothing is restated here but
the two values that depend on other fields (the input size per architecture, the split seed).
Every problem is collected and reported at once, naming the field, so a hand-written job can
be fixed in one pass.
"""
import hashlib
import json

from .schema import JOB_SCHEMA, load_schema, validate


class JobError(Exception):
    """The job cannot run as written; the message lists every problem."""


def validate_job(raw):
    """Returns the job with defaults filled in, or raises JobError listing every problem."""
    if not isinstance(raw, dict):
        raise JobError("the job must be a JSON object")
    if raw.get("kind") == "prepared":
        # Detectors trained on inputs the app prepared (shipped manipulation / face models).
        from .prepared import validate_prepared_job

        return validate_prepared_job(raw)
    job, problems = validate(load_schema(JOB_SCHEMA), raw)
    if problems:
        raise JobError("The training job is invalid: " + "; ".join(problems))
    model = job["model"]
    if model.get("inputSize") is None:
        from .models import default_input_size  # torch: only once the job is valid

        model["inputSize"] = default_input_size(model["arch"])
    if model.get("normalization") is None:
        from .models import default_normalization

        model["normalization"] = default_normalization(model["arch"])
    if job["data"].get("splitSeed") is None:
        job["data"]["splitSeed"] = job["seed"]
    return job


def job_hash(job):
    """SHA-256 of the job's canonical JSON: identifies the job a checkpoint or version came from."""
    canonical = json.dumps(job, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_job(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            raw = json.load(f)
    except OSError as err:
        raise JobError("cannot read the job file %s (%s)" % (path, err.strerror or err))
    except ValueError as err:
        raise JobError("the job file %s is not valid JSON (%s)" % (path, err))
    return validate_job(raw)
