"""The training job: JSON written by the app (or by hand), validated and completed with defaults.

Field names and defaults mirror ``TrainingJobSpec`` in src/contract/training.ts. Every problem
is collected and reported at once, naming the field, so a hand-written job can be fixed in one
pass.
"""
import copy
import hashlib
import json
import re

ARCHS = ("resnet50", "resnet18", "small_cnn")
MODES = ("head", "last-n", "full")
SCHEDULES = ("none", "step", "plateau")
DEVICES = ("auto", "cpu", "cuda", "mps")
METRICS = ("valLoss", "valAp", "valAcc")
TASKS = ("generated", "manipulated")

# Wang et al. 2020, "Blur+JPEG (0.5)": Gaussian blur sigma ~ U[0, 3] and JPEG quality
# ~ U[30, 100], each applied with probability 0.5, plus horizontal flips.
DEFAULTS = {
    "version": 1,
    "name": None,
    "task": "generated",
    "data": {"items": None, "folder": None, "valFraction": 0.2, "splitSeed": None},
    "model": {"arch": "small_cnn", "inputSize": None, "ela": None, "initWeights": None, "backboneWeights": None,
              "allowPickle": False},
    "mode": "full",
    "lastN": 1,
    "epochs": 10,
    "batchSize": 32,
    "maxStepsPerEpoch": None,
    "lr": {"backbone": 1e-4, "head": 1e-3},
    "weightDecay": 0.0,
    "schedule": {"kind": "none", "stepSize": 5, "gamma": 0.1, "patience": 2, "factor": 0.1},
    "augment": {
        "blur": {"p": 0.5, "sigma": [0.0, 3.0]},
        "jpeg": {"p": 0.5, "quality": [30, 100]},
        "flip": True,
    },
    "earlyStopping": {"patience": 3, "metric": "valLoss"},
    "seed": 0,
    "device": "auto",
    "mixedPrecision": "auto",
    "numWorkers": "auto",
    "parent": None,
}

# Nested sections whose keys are checked for typos (a misspelt "epoch" must not silently
# train with the default).
CHECKED_SECTIONS = ("data", "model", "lr", "schedule", "augment", "earlyStopping")

# Input crop per architecture when the job does not say: ResNet-50 as in Wang et al. (224),
# the small CNN at a laptop-friendly 128.
DEFAULT_INPUT_SIZE = {"resnet50": 224, "resnet18": 224, "small_cnn": 128}


class JobError(Exception):
    """The job cannot run as written; the message lists every problem."""


def _merge(defaults, given):
    if not isinstance(defaults, dict) or not isinstance(given, dict):
        return copy.deepcopy(given)
    out = copy.deepcopy(defaults)
    for key, value in given.items():
        out[key] = _merge(defaults.get(key), value) if key in defaults else copy.deepcopy(value)
    return out


class _Checker:
    def __init__(self):
        self.problems = []

    def fail(self, path, expected, value):
        got = "it is missing" if value is None else "got %s" % json.dumps(value)
        self.problems.append('"%s" must be %s, %s' % (path, expected, got))

    def one_of(self, value, path, allowed):
        if value not in allowed:
            self.fail(path, "one of " + ", ".join(json.dumps(a) for a in allowed), value)

    def number(self, value, path, lo=None, hi=None, integer=False, optional=False):
        if optional and value is None:
            return
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        ok = ok and (not integer or float(value).is_integer())
        ok = ok and (lo is None or value >= lo) and (hi is None or value <= hi)
        if not ok:
            rule = "an integer" if integer else "a number"
            if lo is not None and hi is not None:
                rule += " in %s..%s" % (lo, hi)
            elif lo is not None:
                rule += " >= %s" % lo
            self.fail(path, rule, value)

    def range_pair(self, value, path, lo, hi, integer=False):
        ok = isinstance(value, list) and len(value) == 2
        if ok:
            for v in value:
                if not isinstance(v, (int, float)) or isinstance(v, bool) or v < lo or v > hi or (integer and not float(v).is_integer()):
                    ok = False
            ok = ok and value[0] <= value[1]
        if not ok:
            self.fail(path, "[min, max] with %s <= min <= max <= %s" % (lo, hi), value)


def validate_job(raw):
    """Returns the job with defaults filled in, or raises JobError listing every problem."""
    if not isinstance(raw, dict):
        raise JobError("the job must be a JSON object")
    if raw.get("kind") == "prepared":
        # Detectors trained on inputs the app prepared (shipped manipulation / face models).
        from .prepared import validate_prepared_job

        return validate_prepared_job(raw)
    c = _Checker()
    for key in raw:
        if key not in DEFAULTS and key != "modelId":
            c.problems.append('unknown field "%s"' % key)
    for section in CHECKED_SECTIONS:
        if isinstance(raw.get(section), dict):
            for key in raw[section]:
                if key not in DEFAULTS[section]:
                    c.problems.append('unknown field "%s.%s"' % (section, key))
    job = _merge(DEFAULTS, raw)
    if job.get("version") != 1:
        c.fail("version", "1", job.get("version"))
    model_id = job.get("modelId")
    if not isinstance(model_id, str) or not model_id:
        c.fail("modelId", "a non-empty string (the registry id of the trained model)", model_id)
    elif not re.match(r"^[a-z0-9][a-z0-9._-]*$", model_id):
        c.problems.append('"modelId" must use only a-z, 0-9, ".", "_" and "-", got %s' % json.dumps(model_id))
    c.one_of(job["task"], "task", TASKS)

    data = job["data"]
    items, folder = data.get("items"), data.get("folder")
    if (items is None) == (folder is None):
        c.problems.append('"data" must have exactly one of "items" (a list) or "folder" (a directory with real/ and fake/)')
    if items is not None:
        if not isinstance(items, list) or len(items) == 0:
            c.fail("data.items", "a non-empty list", items)
        else:
            for i, item in enumerate(items):
                where = "data.items[%d]" % i
                if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                    c.fail(where + ".path", "a file path", item.get("path") if isinstance(item, dict) else item)
                    continue
                c.one_of(item.get("label"), where + ".label", ("real", "fake"))
                if item.get("split") is not None:
                    c.one_of(item.get("split"), where + ".split", ("train", "val"))
                if item.get("group") is not None and not isinstance(item.get("group"), str):
                    c.fail(where + ".group", "a string", item.get("group"))
    if folder is not None and not isinstance(folder, str):
        c.fail("data.folder", "a directory path", folder)
    c.number(data["valFraction"], "data.valFraction", 0.01, 0.9)
    c.number(data.get("splitSeed"), "data.splitSeed", integer=True, optional=True)

    model = job["model"]
    c.one_of(model["arch"], "model.arch", ARCHS)
    if model["inputSize"] is None and model["arch"] in DEFAULT_INPUT_SIZE:
        model["inputSize"] = DEFAULT_INPUT_SIZE[model["arch"]]
    c.number(model["inputSize"], "model.inputSize", 16, 1024, integer=True)
    ela = model.get("ela")
    if ela is not None:
        if not isinstance(ela, dict):
            c.fail("model.ela", "null or {quality, scale}", ela)
        else:
            ela.setdefault("quality", 90)
            ela.setdefault("scale", 10)
            c.number(ela["quality"], "model.ela.quality", 1, 100, integer=True)
            c.number(ela["scale"], "model.ela.scale", 0.01, 1000)
    if not isinstance(model["allowPickle"], bool):
        c.fail("model.allowPickle", "true or false", model["allowPickle"])
    for key in ("initWeights", "backboneWeights"):
        if model.get(key) is not None and not isinstance(model[key], str):
            c.fail("model." + key, "null or a file path", model[key])

    c.one_of(job["mode"], "mode", MODES)
    c.number(job["lastN"], "lastN", 1, 10, integer=True)
    c.number(job["epochs"], "epochs", 1, 10000, integer=True)
    c.number(job["batchSize"], "batchSize", 1, 4096, integer=True)
    c.number(job["maxStepsPerEpoch"], "maxStepsPerEpoch", 1, integer=True, optional=True)
    c.number(job["lr"]["backbone"], "lr.backbone", 0, 10)
    c.number(job["lr"]["head"], "lr.head", 0, 10)
    c.number(job["weightDecay"], "weightDecay", 0, 1)

    sched = job["schedule"]
    c.one_of(sched["kind"], "schedule.kind", SCHEDULES)
    c.number(sched["stepSize"], "schedule.stepSize", 1, integer=True)
    c.number(sched["gamma"], "schedule.gamma", 0, 1)
    c.number(sched["patience"], "schedule.patience", 0, integer=True)
    c.number(sched["factor"], "schedule.factor", 0, 1)

    aug = job["augment"]
    c.number(aug["blur"]["p"], "augment.blur.p", 0, 1)
    c.range_pair(aug["blur"]["sigma"], "augment.blur.sigma", 0, 20)
    c.number(aug["jpeg"]["p"], "augment.jpeg.p", 0, 1)
    c.range_pair(aug["jpeg"]["quality"], "augment.jpeg.quality", 1, 100, integer=True)
    if not isinstance(aug["flip"], bool):
        c.fail("augment.flip", "true or false", aug["flip"])

    es = job["earlyStopping"]
    c.number(es["patience"], "earlyStopping.patience", 0, integer=True)
    c.one_of(es["metric"], "earlyStopping.metric", METRICS)
    c.number(job["seed"], "seed", 0, 2**31 - 1, integer=True)
    c.one_of(job["device"], "device", DEVICES)
    c.one_of(job["mixedPrecision"], "mixedPrecision", ("auto", True, False))
    if job["numWorkers"] != "auto":
        c.number(job["numWorkers"], "numWorkers", 0, 64, integer=True)

    if c.problems:
        raise JobError("The training job is invalid: " + "; ".join(c.problems))
    if data["splitSeed"] is None:
        data["splitSeed"] = job["seed"]
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
