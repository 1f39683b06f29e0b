"""Job kind "prepared": detectors trained on inputs the app itself prepared.

The shipped manipulation and face-swap detectors are trained here. Their inputs (ELA images,
RGB + SRM noise residuals, face crops) are written by scripts/prepare-training-data.ts with the
app's own preprocessing code, as bytes (``tensors/<variant>.u8``, described by
``tensors/index.json``), so training sees exactly what inference will see.

Network: an ImageNet MobileNetV2 (torchvision layout, Normalize([0.5]*3, [0.5]*3)) whose first
``frozenBlocks`` blocks stay frozen (their outputs at 1/8 and 1/16 resolution are computed once
and cached; on the 2-core CPU this is what makes a run fit in an hour: a full MobileNetV2
backward pass costs about 1.5 s per 256-px image there), the remaining blocks fine-tuned, and
- a score head: global average pooling → dropout → one logit ("features" = the 1280-d pooled
  vector, so the app's head retraining still applies);
- optionally a localisation head: a small top-down decoder over the 1/32, 1/16 and 1/8 features
  giving a tamper-logit map at 1/8 of the input, trained on the masks (share of tampered pixels
  per cell) with a weighted binary cross-entropy;
- with 6-channel inputs (RGB + noise residuals), two streams through the same frozen prefix
  (RGB-N style), joined at 1/8 and 1/16 by 1x1 convolutions initialised to the average.

The ONNX graph takes the prepared input [N, C, S, S] and returns score [N, 1] (probability),
features [N, 1280] and, with localisation, heatmap [N, 1, S/8, S/8] (probabilities).

After training, the operating threshold is calibrated on the validation split (rule: the lowest
threshold whose false-positive rate is at most ``calibration.targetFpr``) with the full-precision
network on the stored inputs, which is what the ONNX file computes, and written into the
manifest with the false-positive and false-negative rates it gives.
"""
import copy
import hashlib
import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import PROTOCOL_VERSION
from . import checkpoint as ckpt
from .events import emit, log
from .export import sha256_file, write_json
from .job import JobError, job_hash
from .metrics import accuracy, average_precision
from .split import data_hash, summarize

OUTPUT_DIR = "output"
SPLIT_FILE = "split.json"
KIND = "prepared"
TASKS = ("generated", "manipulated", "face")
STEP_EVENT_INTERVAL = 0.5

DEFAULTS = {
    "version": 1,
    "kind": KIND,
    "name": None,
    "description": None,
    "task": "manipulated",
    "data": {"folder": None, "variant": None, "trainSplit": "train", "valSplit": "val"},
    "model": {"arch": "mobilenet_v2", "backboneWeights": None, "allowPickle": False, "frozenBlocks": 14,
              "localization": False, "headDropout": 0.2, "decoderWidth": 64},
    "epochs": 12,
    "batchSize": 32,
    "maxStepsPerEpoch": None,
    "lr": {"backbone": 3e-4, "head": 1e-3},
    "weightDecay": 1e-4,
    "schedule": {"kind": "plateau", "patience": 2, "factor": 0.3},
    "loss": {"localization": 1.0},
    "augment": {"flip": True},
    "earlyStopping": {"patience": 4, "metric": "valAp"},
    "calibration": {"targetFpr": 0.05},
    "seed": 0,
    "device": "auto",
    "threads": None,
    "provenance": None,
    "parent": None,
}
SECTIONS = ("data", "model", "lr", "schedule", "loss", "augment", "earlyStopping", "calibration")


def _merge(defaults, given):
    out = copy.deepcopy(defaults)
    for key, value in given.items():
        if isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def validate_prepared_job(raw):
    """Defaults filled in, or JobError listing every problem (same style as job.py)."""
    problems = []
    for key in raw:
        if key not in DEFAULTS and key != "modelId":
            problems.append('unknown field "%s"' % key)
    for section in SECTIONS:
        if isinstance(raw.get(section), dict):
            for key in raw[section]:
                if key not in DEFAULTS[section]:
                    problems.append('unknown field "%s.%s"' % (section, key))
    job = _merge(DEFAULTS, raw)

    def need(cond, message):
        if not cond:
            problems.append(message)

    def number(value, path, lo, hi, integer=False, optional=False):
        if optional and value is None:
            return
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and lo <= value <= hi
        ok = ok and (not integer or float(value).is_integer())
        need(ok, '"%s" must be %s in %s..%s, got %s' % (path, "an integer" if integer else "a number", lo, hi, json.dumps(value)))

    need(job["version"] == 1, '"version" must be 1')
    mid = job.get("modelId")
    need(isinstance(mid, str) and bool(mid) and all(c.isalnum() and c == c.lower() or c in "._-" for c in mid),
         '"modelId" must be a non-empty id of a-z, 0-9, ".", "_" and "-", got %s' % json.dumps(mid))
    need(job["task"] in TASKS, '"task" must be one of %s' % ", ".join(TASKS))
    need(isinstance(job["data"]["folder"], str), '"data.folder" must be the prepared folder (scripts/prepare-training-data.ts output)')
    need(isinstance(job["data"]["variant"], str), '"data.variant" must name an input variant of tensors/index.json')
    need(job["model"]["arch"] == "mobilenet_v2", '"model.arch" must be "mobilenet_v2" for prepared jobs')
    need(job["model"]["backboneWeights"] is None or isinstance(job["model"]["backboneWeights"], str), '"model.backboneWeights" must be a file path')
    number(job["model"]["frozenBlocks"], "model.frozenBlocks", 7, 18, integer=True)
    need(isinstance(job["model"]["localization"], bool), '"model.localization" must be true or false')
    number(job["model"]["headDropout"], "model.headDropout", 0, 0.9)
    number(job["model"]["decoderWidth"], "model.decoderWidth", 8, 512, integer=True)
    number(job["epochs"], "epochs", 1, 1000, integer=True)
    number(job["batchSize"], "batchSize", 2, 1024, integer=True)
    number(job["maxStepsPerEpoch"], "maxStepsPerEpoch", 1, 10**9, integer=True, optional=True)
    number(job["lr"]["backbone"], "lr.backbone", 0, 1)
    number(job["lr"]["head"], "lr.head", 0, 1)
    number(job["weightDecay"], "weightDecay", 0, 1)
    need(job["schedule"]["kind"] in ("none", "plateau"), '"schedule.kind" must be "none" or "plateau"')
    number(job["schedule"]["patience"], "schedule.patience", 0, 100, integer=True)
    number(job["schedule"]["factor"], "schedule.factor", 0, 1)
    number(job["loss"]["localization"], "loss.localization", 0, 100)
    need(isinstance(job["augment"]["flip"], bool), '"augment.flip" must be true or false')
    number(job["earlyStopping"]["patience"], "earlyStopping.patience", 0, 1000, integer=True)
    need(job["earlyStopping"]["metric"] in ("valLoss", "valAp", "valAcc"), '"earlyStopping.metric" must be valLoss, valAp or valAcc')
    number(job["calibration"]["targetFpr"], "calibration.targetFpr", 0, 1)
    number(job["seed"], "seed", 0, 2**31 - 1, integer=True)
    need(job["device"] in ("auto", "cpu", "cuda", "mps"), '"device" must be auto, cpu, cuda or mps')
    number(job["threads"], "threads", 1, 256, integer=True, optional=True)
    if problems:
        raise JobError("The training job is invalid: " + "; ".join(problems))
    return job


# ---- network --------------------------------------------------------------------------------

def _conv_bn(cin, cout, k):
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class LocalizationHead(nn.Module):
    """Top-down decoder: 1/32 → 1/16 → 1/8, lateral 1x1 projections, one logit per 1/8 cell."""

    def __init__(self, c8, c16, c32, width):
        super().__init__()
        self.lat32, self.lat16, self.lat8 = _conv_bn(c32, width, 1), _conv_bn(c16, width, 1), _conv_bn(c8, width, 1)
        self.mix16, self.mix8 = _conv_bn(width, width, 3), _conv_bn(width, width, 3)
        self.out = nn.Conv2d(width, 1, 1)

    def forward(self, f8, f16, f32):
        x = F.interpolate(self.lat32(f32), size=f16.shape[-2:], mode="bilinear", align_corners=False) + self.lat16(f16)
        x = self.mix16(x)
        x = F.interpolate(x, size=f8.shape[-2:], mode="bilinear", align_corners=False) + self.lat8(f8)
        return self.out(self.mix8(x))


class Fuse(nn.Module):
    """Two streams' features → one, 1x1 convolution initialised to their average."""

    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(2 * channels, channels, 1, bias=False)
        with torch.no_grad():
            eye = torch.eye(channels).view(channels, channels, 1, 1)
            self.conv.weight.copy_(torch.cat([eye, eye], 1) * 0.5)

    def forward(self, a, b):
        return self.conv(torch.cat([a, b], 1))


class PreparedNet(nn.Module):
    """MobileNetV2: frozen prefix (blocks [0, 7) → 1/8, [7, frozenBlocks) → 1/16 or deeper),
    trainable tail, score head, optional localisation head."""

    def __init__(self, streams, frozen_blocks, localization, dropout=0.2, decoder_width=64):
        super().__init__()
        import torchvision

        base = torchvision.models.mobilenet_v2(weights=None)
        self.streams = streams
        self.frozen_blocks = frozen_blocks
        self.p8 = base.features[:7]
        self.p16 = base.features[7:frozen_blocks]
        self.tail = base.features[frozen_blocks:]
        c8 = 32
        c16 = _out_channels(self.p16, c8)
        self.fuse8 = Fuse(c8) if streams == 2 else None
        self.fuse16 = Fuse(c16) if streams == 2 else None
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(1280, 1)
        self.loc = LocalizationHead(c8, c16, 1280, decoder_width) if localization else None
        for module in (self.p8, self.p16):
            for p in module.parameters():
                p.requires_grad_(False)

    def frozen(self):
        return [self.p8, self.p16]

    def prefix(self, x):
        """Frozen features of one 3-channel stream: (1/8, deeper)."""
        f8 = self.p8(x)
        return f8, self.p16(f8)

    def streams_of(self, x):
        return [x] if self.streams == 1 else [x[:, :3], x[:, 3:]]

    def from_prefix(self, feats):
        """feats: [(f8, f16)] per stream → (logit [N], features [N, 1280], heat logits or None)."""
        if self.streams == 2:
            f8 = self.fuse8(feats[0][0], feats[1][0])
            f16 = self.fuse16(feats[0][1], feats[1][1])
        else:
            f8, f16 = feats[0]
        f32 = self.tail(f16)
        pooled = torch.flatten(F.adaptive_avg_pool2d(f32, 1), 1)
        logit = self.head(self.dropout(pooled)).squeeze(1)
        heat = self.loc(f8, f16, f32) if self.loc is not None else None
        return logit, pooled, heat

    def forward(self, x):
        return self.from_prefix([self.prefix(s) for s in self.streams_of(x)])


def _out_channels(seq, cin):
    c = cin
    for m in seq.modules():
        if isinstance(m, nn.Conv2d):
            c = m.out_channels
    return c


class ExportNet(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        logit, pooled, heat = self.net(x)
        outs = (torch.sigmoid(logit).unsqueeze(1), pooled)
        return outs + (torch.sigmoid(heat),) if heat is not None else outs


def load_imagenet(net, path, allow_pickle):
    """torchvision MobileNetV2 weights (features.* and classifier.*) into prefix and tail."""
    state = ckpt.safe_load(path, allow_pickle)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    features = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
    if not features:
        raise ValueError("%s holds no MobileNetV2 'features.*' weights" % path)
    loaded = 0
    # Slices of nn.Sequential keep the original block numbers as keys ("7.conv.0.0.weight").
    for name, module in (("p8", net.p8), ("p16", net.p16), ("tail", net.tail)):
        own = module.state_dict()
        sub = {}
        for source in own:
            if source not in features:
                raise ValueError("%s lacks %s (for %s)" % (path, "features." + source, name))
            sub[source] = features[source]
        module.load_state_dict(sub)
        loaded += len(sub)
    return loaded


# ---- data -------------------------------------------------------------------------------------

class Prepared:
    """tensors/index.json and its byte arrays, checked against their SHA-256."""

    def __init__(self, folder, variant, verify=True):
        self.folder = os.path.abspath(folder)
        index_path = os.path.join(self.folder, "tensors", "index.json")
        if not os.path.exists(index_path):
            raise ValueError("%s is missing: prepare the data first (npx tsx scripts/prepare-training-data.ts ...)" % index_path)
        with open(index_path, encoding="utf-8") as f:
            self.index = json.load(f)
        if variant not in self.index["variants"]:
            raise ValueError("input variant %r is not in %s (it has %s)" % (variant, index_path, ", ".join(self.index["variants"])))
        self.variant = self.index["variants"][variant]
        self.input = self.variant["input"]
        self.channels, self.size = self.input["channels"], self.input["width"]
        self.items = self.index["items"]
        for it in self.items:
            it["path"] = it["path"] if os.path.isabs(it["path"]) else os.path.join(self.folder, it["path"])
        path = os.path.join(self.folder, "tensors", self.variant["file"])
        self.inputs = np.memmap(path, dtype=np.uint8, mode="r", shape=(len(self.items), self.channels, self.size, self.size))
        if verify and sha256_file(path) != self.variant["sha256"]:
            raise ValueError("%s does not match the SHA-256 in index.json: prepare the data again" % path)
        self.masks = None
        if self.index.get("masks"):
            m = self.index["masks"]
            mpath = os.path.join(self.folder, "tensors", m["file"])
            self.masks = np.memmap(mpath, dtype=np.uint8, mode="r", shape=(len(self.items), m["size"], m["size"]))
            if verify and sha256_file(mpath) != m["sha256"]:
                raise ValueError("%s does not match the SHA-256 in index.json" % mpath)
        norm = self.variant["preprocessing"]["normalization"]
        self.mean = torch.tensor(norm["mean"] * (self.channels // 3), dtype=torch.float32).view(1, -1, 1, 1)
        self.std = torch.tensor(norm["std"] * (self.channels // 3), dtype=torch.float32).view(1, -1, 1, 1)

    def batch(self, indices, flip=None):
        x = torch.from_numpy(np.ascontiguousarray(self.inputs[indices])).float().div_(255.0)
        x = (x - self.mean) / self.std
        if flip is not None and flip.any():
            x[flip] = torch.flip(x[flip], dims=[3])
        return x


def _steps(count, batch, max_steps):
    steps = count // batch + (1 if count % batch > 1 else 0)
    return min(steps, max_steps) if max_steps else steps


def _threshold_at_fpr(scores, labels, target):
    """Lowest threshold t with FPR(score >= t) <= target: the (k+1)-th highest real score
    nudged up, k = floor(target x reals)."""
    reals = sorted((s for s, y in zip(scores, labels) if y < 0.5), reverse=True)
    if not reals:
        return 0.5
    k = int(math.floor(target * len(reals) + 1e-9))
    if k >= len(reals):
        return 0.0
    t = float(np.nextafter(np.float32(reals[k]), np.float32(1.0)))
    # Ties above the cut would let more reals through: move up past them.
    while sum(1 for s in reals if s >= t) > k:
        t = float(np.nextafter(np.float32(t), np.float32(1.0)))
    return min(1.0, t)


def _rates(scores, labels, threshold):
    reals = [s for s, y in zip(scores, labels) if y < 0.5]
    fakes = [s for s, y in zip(scores, labels) if y >= 0.5]
    fpr = sum(1 for s in reals if s >= threshold) / len(reals) if reals else 0.0
    fnr = sum(1 for s in fakes if s < threshold) / len(fakes) if fakes else 0.0
    return fpr, fnr


def _pixel_scores(heat_prob, masks, labels, threshold=0.5):
    """Cell-level F1 and IoU over fake images (mean over images with a non-empty mask)."""
    f1s, ious = [], []
    for h, m, y in zip(heat_prob, masks, labels):
        if y < 0.5:
            continue
        truth = m >= 0.5
        if not truth.any():
            continue
        pred = h >= threshold
        tp = float((pred & truth).sum())
        fp = float((pred & ~truth).sum())
        fn = float((~pred & truth).sum())
        f1s.append(2 * tp / max(1e-9, 2 * tp + fp + fn))
        ious.append(tp / max(1e-9, tp + fp + fn))
    return (sum(f1s) / len(f1s) if f1s else None), (sum(ious) / len(ious) if ious else None)


# ---- the run ----------------------------------------------------------------------------------

class _NoScaler:
    """No mixed precision here: the checkpoint's grad-scaler slot stays empty."""

    def state_dict(self):
        return {}


class PreparedRun:
    def __init__(self, job, workdir, resume, stop, export=True, training_root=None):
        self.job = job
        self.workdir = os.path.abspath(workdir)
        self.resume = resume
        self.stop = stop
        self.export = export
        self.job_hash = job_hash(job)

    def _device(self):
        requested = self.job["device"]
        if requested in ("auto", "cuda") and torch.cuda.is_available():
            return torch.device("cuda")
        if requested == "cuda":
            raise ValueError('device "cuda" was requested but this PyTorch sees no CUDA GPU')
        return torch.device("cpu")

    def _data(self):
        job = self.job
        self.data = Prepared(job["data"]["folder"], job["data"]["variant"])
        tr, va = job["data"]["trainSplit"], job["data"]["valSplit"]
        self.train_idx = [i for i, it in enumerate(self.data.items) if it["split"] == tr]
        self.val_idx = [i for i, it in enumerate(self.data.items) if it["split"] == va]
        if not self.train_idx or not self.val_idx:
            raise ValueError("the prepared data has no %s or no %s items" % (tr, va))
        items = self.data.items
        train_items = [dict(items[i], split="train") for i in self.train_idx]
        val_items = [dict(items[i], split="val") for i in self.val_idx]
        for label in ("real", "fake"):
            if not any(it["label"] == label for it in train_items):
                raise ValueError("the training split has no %s images" % label)
        self.data_hash = data_hash(train_items + val_items)
        write_json(os.path.join(self.workdir, SPLIT_FILE), {
            "dataSha256": self.data_hash,
            "train": summarize(train_items),
            "val": summarize(val_items),
            "items": [{k: it.get(k) for k in ("path", "label", "group", "split", "sha256", "source")} for it in train_items + val_items],
        })
        self.train_summary, self.val_summary = summarize(train_items), summarize(val_items)
        emit("data", train=self.train_summary, val=self.val_summary, dataSha256=self.data_hash, warnings=[])
        self.labels = np.array([1.0 if it["label"] == "fake" else 0.0 for it in items], dtype=np.float32)

    def _model(self):
        job = self.job
        m = job["model"]
        streams = self.data.channels // 3
        if self.data.channels not in (3, 6):
            raise ValueError("prepared inputs have %d channels; 3 or 6 are supported" % self.data.channels)
        if m["localization"] and self.data.masks is None:
            raise ValueError("model.localization needs masks in the prepared data")
        torch.manual_seed(job["seed"])
        self.net = PreparedNet(streams, m["frozenBlocks"], m["localization"], m["headDropout"], m["decoderWidth"])
        self.init = "random initialisation"
        if m["backboneWeights"]:
            n = load_imagenet(self.net, m["backboneWeights"], m["allowPickle"])
            self.init = "ImageNet MobileNetV2 weights %s (%d tensors)" % (os.path.basename(m["backboneWeights"]), n)
        self.net.to(self.device)
        backbone = list(self.net.tail.parameters())
        if self.net.fuse8 is not None:
            backbone += list(self.net.fuse8.parameters()) + list(self.net.fuse16.parameters())
        heads = list(self.net.head.parameters()) + (list(self.net.loc.parameters()) if self.net.loc is not None else [])
        self.optimizer = torch.optim.AdamW([{"params": backbone, "lr": job["lr"]["backbone"], "name": "backbone"},
                                            {"params": heads, "lr": job["lr"]["head"], "name": "head"}],
                                           weight_decay=job["weightDecay"])
        metric = job["earlyStopping"]["metric"]
        self.scheduler = None
        if job["schedule"]["kind"] == "plateau":
            self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                self.optimizer, mode="min" if metric == "valLoss" else "max",
                factor=job["schedule"]["factor"], patience=job["schedule"]["patience"])
        real = sum(1 for i in self.train_idx if self.labels[i] < 0.5)
        fake = len(self.train_idx) - real
        self.pos_weight = torch.tensor(real / max(1, fake))
        self.cell_weight = None
        if self.net.loc is not None:
            cells = self.data.masks[self.train_idx].astype(np.float32) / 255.0
            pos = float(cells.sum())
            neg = float(cells.size - pos)
            # Tampered cells are rare: weigh them by the square root of the class ratio.
            self.cell_weight = torch.tensor(math.sqrt(neg / max(1.0, pos)))

    def _prepared_prefix(self):
        """The frozen features scripts/prepare-training-data.ts computed with onnxruntime, when they
        come from the same weights and block count as this job; else None."""
        info = self.data.variant.get("prefix")
        weights = self.job["model"]["backboneWeights"]
        if not info or not weights or info["blocks"] != self.net.frozen_blocks or len(info["streams"]) != self.net.streams:
            return None
        if sha256_file(weights) != info["weightsSha256"]:
            log("prepared frozen features come from other weights than %s: computing them here" % weights)
            return None
        folder = os.path.join(self.data.folder, "tensors")
        n = len(self.data.items)
        arrays = []
        for stream in info["streams"]:
            for key in ("f8", "f16"):
                path = os.path.join(folder, stream[key])
                if sha256_file(path) != info["sha256"][stream[key]]:
                    raise ValueError("%s does not match the SHA-256 in index.json: prepare the data again" % path)
                arrays.append(np.memmap(path, dtype=np.float16, mode="r", shape=(info["orientations"], n) + tuple(info["shapes"][key])))
        log("using the frozen features prepared with onnxruntime (%s)" % folder)
        return arrays, info["orientations"]

    # Frozen prefix outputs for every item (and its mirror image), computed once per data set.
    def _feature_cache(self):
        data, net = self.data, self.net
        prepared = self._prepared_prefix()
        if prepared is not None:
            self.cache, available = prepared
            self.orientations = 2 if self.job["augment"]["flip"] and available >= 2 else 1
            return True
        orientations = 2 if self.job["augment"]["flip"] else 1
        indices = sorted(set(self.train_idx) | set(self.val_idx))
        key = hashlib.sha256(json.dumps([data.variant["sha256"], self.net.frozen_blocks, orientations, indices,
                                         self.job["model"]["backboneWeights"] and sha256_file(self.job["model"]["backboneWeights"])]).encode()).hexdigest()[:16]
        folder = os.path.join(self.workdir, "features-" + key)
        with torch.no_grad():
            probe = net.prefix(data.batch([0])[:, :3].to(self.device))
        shapes = [tuple(t.shape[1:]) for t in probe]
        streams = net.streams
        files = [os.path.join(folder, "s%d-f%d.f16" % (s, j)) for s in range(streams) for j in range(2)]
        done_marker = os.path.join(folder, "complete")
        n = len(data.items)
        if not os.path.exists(done_marker):
            os.makedirs(folder, exist_ok=True)
            arrays = [np.memmap(f, dtype=np.float16, mode="w+", shape=(orientations, n) + shapes[j % 2]) for f, j in zip(files, range(len(files)))]
            started = time.time()
            net.eval()
            batch = 16
            with torch.no_grad():
                for start in range(0, len(indices), batch):
                    if self.stop.requested:
                        return None
                    idx = indices[start:start + batch]
                    for o in range(orientations):
                        x = data.batch(idx, flip=np.ones(len(idx), dtype=bool) if o == 1 else None).to(self.device)
                        for s, stream in enumerate(net.streams_of(x)):
                            f8, f16 = net.prefix(stream)
                            arrays[2 * s][o, idx] = f8.cpu().numpy().astype(np.float16)
                            arrays[2 * s + 1][o, idx] = f16.cpu().numpy().astype(np.float16)
                    if (start // batch) % 20 == 0:
                        log("frozen features: %d/%d images, %.0f s" % (start + len(idx), len(indices), time.time() - started))
            for a in arrays:
                a.flush()
            with open(done_marker, "w") as f:
                f.write("%.1f\n" % (time.time() - started))
            log("frozen features cached in %.0f s (%s)" % (time.time() - started, folder))
        self.cache = [np.memmap(f, dtype=np.float16, mode="r", shape=(orientations, n) + shapes[j % 2]) for f, j in zip(files, range(len(files)))]
        self.orientations = orientations
        return True

    def _cached(self, idx, orient):
        feats = []
        for s in range(self.net.streams):
            f8 = torch.from_numpy(np.stack([self.cache[2 * s][o, i] for i, o in zip(idx, orient)]).astype(np.float32))
            f16 = torch.from_numpy(np.stack([self.cache[2 * s + 1][o, i] for i, o in zip(idx, orient)]).astype(np.float32))
            feats.append((f8.to(self.device), f16.to(self.device)))
        return feats

    def _masks(self, idx, orient):
        m = np.stack([self.data.masks[i] for i in idx]).astype(np.float32) / 255.0
        for k, o in enumerate(orient):
            if o == 1:
                m[k] = m[k][:, ::-1]
        return torch.from_numpy(np.ascontiguousarray(m)).unsqueeze(1).to(self.device)

    def _loss(self, logit, heat, y, masks):
        loss = F.binary_cross_entropy_with_logits(logit, y, pos_weight=self.pos_weight.to(self.device))
        if heat is not None and self.job["loss"]["localization"] > 0:
            pixel = F.binary_cross_entropy_with_logits(heat, masks, pos_weight=self.cell_weight.to(self.device))
            loss = loss + self.job["loss"]["localization"] * pixel
        return loss

    def _set_train_mode(self):
        self.net.train()
        for m in self.net.frozen():
            m.eval()

    def _validate(self):
        """Loss, accuracy and AP on the validation split from the cached (mirror-free) features."""
        self.net.eval()
        scores, labels, loss_sum, heats = [], [], 0.0, []
        bs = self.job["batchSize"]
        with torch.no_grad():
            for start in range(0, len(self.val_idx), bs):
                idx = self.val_idx[start:start + bs]
                orient = [0] * len(idx)
                y = torch.from_numpy(self.labels[idx]).to(self.device)
                logit, _, heat = self.net.from_prefix(self._cached(idx, orient))
                masks = self._masks(idx, orient) if heat is not None else None
                loss_sum += float(self._loss(logit, heat, y, masks)) * len(idx)
                scores.extend(torch.sigmoid(logit).cpu().tolist())
                labels.extend(y.cpu().tolist())
                if heat is not None:
                    heats.extend(torch.sigmoid(heat)[:, 0].cpu().numpy())
                if self.stop.requested:
                    return None
        out = {"valLoss": loss_sum / max(1, len(labels)), "valAcc": accuracy(scores, labels), "valAp": average_precision(scores, labels)}
        if heats:
            masks = [self.data.masks[i].astype(np.float32) / 255.0 for i in self.val_idx]
            out["valPixelF1"], out["valPixelIou"] = _pixel_scores(heats, masks, labels)
        return out

    def _save(self, reason):
        """Through checkpoint.py, like the standard loop (whatever its storage format)."""
        p = self.progress
        p["elapsed"] = self.elapsed_before + time.time() - self.session_start
        path = ckpt.save_checkpoint(self.workdir, self.job_hash, self.data_hash, p, self.net, self.optimizer, self.scheduler, _NoScaler())
        emit("checkpoint", path=path, epoch=p["epoch"], step=p["step"], reason=reason)
        return path

    def _restore(self):
        state = ckpt.load_checkpoint(self.workdir, self.job_hash, self.data_hash)
        self.net.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        rng = state["rng"]
        if isinstance(rng, tuple):
            ckpt.restore_rng(*rng)
        else:
            ckpt.restore_rng(rng)
        return state["progress"]

    def _order(self, epoch):
        rng = random.Random(self.job["seed"] * 7919 + epoch)
        order = list(self.train_idx)
        rng.shuffle(order)
        flips = [rng.randrange(self.orientations) for _ in order]
        return order, flips

    def run(self):
        job = self.job
        os.makedirs(self.workdir, exist_ok=True)
        # torch may pick a single thread on a small VM; use every core unless the job says otherwise.
        torch.set_num_threads(job["threads"] or max(1, os.cpu_count() or 1))
        self.device = self._device()
        random.seed(job["seed"])
        torch.manual_seed(job["seed"])
        import platform

        import torchvision

        emit("start", protocol=PROTOCOL_VERSION, python=platform.python_version(), torch=torch.__version__,
             torchvision=torchvision.__version__,
             device={"kind": self.device.type, "name": "CPU (%d threads)" % torch.get_num_threads() if self.device.type == "cpu" else torch.cuda.get_device_name(0)},
             jobHash=self.job_hash, workdir=self.workdir, resumed=self.resume, pid=os.getpid())
        self._data()
        self._model()
        self.session_start = time.time()
        self.progress = {"epoch": 0, "step": 0, "globalStep": 0, "lossSum": 0.0, "correct": 0, "seen": 0, "history": [],
                         "best": None, "bestEpoch": None, "badEpochs": 0, "finished": False, "stoppedEarly": False,
                         "elapsed": 0.0, "cacheSeconds": None}
        if self.resume:
            self.progress = self._restore()
        p = self.progress
        self.elapsed_before = p["elapsed"]
        cache_start = time.time()
        if self._feature_cache() is None:
            return self._cancel()
        if p["cacheSeconds"] is None:
            p["cacheSeconds"] = time.time() - cache_start
        if self.resume:
            emit("resumed", epoch=p["epoch"], step=p["step"], globalStep=p["globalStep"], finished=p["finished"], history=p["history"])
        bs = job["batchSize"]
        steps = _steps(len(self.train_idx), bs, job["maxStepsPerEpoch"])
        total = steps * job["epochs"]
        metric = job["earlyStopping"]["metric"]
        step_time, timed, last_event = 0.0, 0, 0.0
        while not p["finished"] and p["epoch"] < job["epochs"]:
            epoch = p["epoch"]
            t0 = time.time()
            order, flips = self._order(epoch)
            self._set_train_mode()
            while p["step"] < steps:
                if self.stop.requested:
                    return self._cancel()
                s = p["step"]
                idx, orient = order[s * bs:(s + 1) * bs], flips[s * bs:(s + 1) * bs]
                ts = time.time()
                y = torch.from_numpy(self.labels[idx]).to(self.device)
                logit, _, heat = self.net.from_prefix(self._cached(idx, orient))
                loss = self._loss(logit, heat, y, self._masks(idx, orient) if heat is not None else None)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
                p["lossSum"] += float(loss) * len(idx)
                p["correct"] += int(((logit >= 0).float() == y).sum())
                p["seen"] += len(idx)
                p["step"] += 1
                p["globalStep"] += 1
                step_time += time.time() - ts
                timed += 1
                if time.time() - last_event >= STEP_EVENT_INTERVAL or p["step"] == steps:
                    last_event = time.time()
                    per_step = step_time / timed
                    emit("step", epoch=epoch + 1, epochs=job["epochs"], step=p["step"], steps=steps, globalStep=p["globalStep"],
                         totalSteps=total, loss=float(loss), lr={g["name"]: g["lr"] for g in self.optimizer.param_groups},
                         etaSeconds=per_step * (total - p["globalStep"]), samplesPerSecond=bs / per_step)
            train_seconds = time.time() - t0
            v0 = time.time()
            val = self._validate()
            if val is None:
                return self._cancel()
            lrs = {g["name"]: g["lr"] for g in self.optimizer.param_groups}
            if self.scheduler is not None:
                self.scheduler.step(val[metric] if val[metric] is not None else 0.0)
            record = {"epoch": epoch + 1, "epochs": job["epochs"], "trainLoss": p["lossSum"] / max(1, p["seen"]),
                      "trainAcc": p["correct"] / max(1, p["seen"]), "valLoss": val["valLoss"], "valAcc": val["valAcc"],
                      "valAp": val["valAp"], "lr": lrs, "seconds": time.time() - t0, "trainSeconds": train_seconds,
                      "valSeconds": time.time() - v0}
            for k in ("valPixelF1", "valPixelIou"):
                if k in val:
                    record[k] = val[k]
            better = val[metric] is not None and (p["best"] is None or (val[metric] < p["best"] if metric == "valLoss" else val[metric] > p["best"]))
            record["best"] = better
            if better:
                p["best"], p["bestEpoch"], p["badEpochs"] = val[metric], epoch + 1, 0
                ckpt.save_best(self.workdir, self.net, epoch + 1, val)
            else:
                p["badEpochs"] += 1
            p["history"].append(record)
            p["epoch"], p["step"] = epoch + 1, 0
            p["lossSum"], p["correct"], p["seen"] = 0.0, 0, 0
            patience = job["earlyStopping"]["patience"]
            if patience > 0 and p["badEpochs"] >= patience and p["epoch"] < job["epochs"]:
                p["stoppedEarly"] = p["finished"] = True
            emit("epoch", etaSeconds=0.0 if p["finished"] else (step_time / max(1, timed)) * (total - p["globalStep"]), **record)
            self._save("epoch")
            if p["stoppedEarly"]:
                emit("earlyStop", epoch=p["epoch"], bestEpoch=p["bestEpoch"], patience=patience, metric=metric)
        if not p["finished"]:
            p["finished"] = True
            self._save("finished")
        if not self.export:
            emit("done", bestEpoch=p["bestEpoch"], metrics=self._best_metrics(), onnx=None, manifest=None,
                 seconds=p["elapsed"], history=p["history"])
            return "done"
        return self._export()

    def _cancel(self):
        path = self._save("cancel")
        emit("cancelled", checkpoint=path, epoch=self.progress["epoch"], step=self.progress["step"], signal=self.stop.signal)
        return "cancelled"

    def _best_metrics(self):
        p = self.progress
        rec = next((h for h in p["history"] if h["epoch"] == p["bestEpoch"]), p["history"][-1] if p["history"] else None)
        return {k: rec[k] for k in ("valLoss", "valAcc", "valAp")} if rec else None

    def _full_precision_scores(self, indices):
        """Scores (and heatmaps) of the full network on the stored inputs: what the ONNX file computes."""
        self.net.eval()
        scores, heats = [], []
        with torch.no_grad():
            for start in range(0, len(indices), 16):
                idx = indices[start:start + 16]
                logit, _, heat = self.net(self.data.batch(idx).to(self.device))
                scores.extend(torch.sigmoid(logit).cpu().tolist())
                if heat is not None:
                    heats.extend(torch.sigmoid(heat)[:, 0].cpu().numpy())
        return scores, heats

    def _export(self):
        job, p = self.job, self.progress
        best = ckpt.load_best(self.workdir)
        if best is not None:
            self.net.load_state_dict(best["model"])
        self.net = self.net.cpu().float().eval()
        self.device = torch.device("cpu")
        out_dir = os.path.join(self.workdir, OUTPUT_DIR)
        os.makedirs(out_dir, exist_ok=True)

        # Calibration on the validation split with the full-precision network.
        scores, heats = self._full_precision_scores(self.val_idx)
        labels = [float(self.labels[i]) for i in self.val_idx]
        target = job["calibration"]["targetFpr"]
        threshold = _threshold_at_fpr(scores, labels, target)
        fpr, fnr = _rates(scores, labels, threshold)
        real = sum(1 for y in labels if y < 0.5)
        calibration = {"rule": "lowest threshold with a false-positive rate <= %g%% on the validation split (scores of the "
                               "full-precision network on the prepared inputs)" % (100 * target),
                       "targetFpr": target, "split": "validation", "splitSha256": self.val_summary["sha256"],
                       "real": real, "fake": len(labels) - real, "fpr": fpr, "fnr": fnr}
        val_final = {"accuracyAt05": accuracy(scores, labels), "apFullPrecision": average_precision(scores, labels),
                     "accuracyAtThreshold": accuracy(scores, labels, threshold)}
        if heats:
            masks = [self.data.masks[i].astype(np.float32) / 255.0 for i in self.val_idx]
            val_final["pixelF1"], val_final["pixelIou"] = _pixel_scores(heats, masks, labels)
        log("calibration: threshold %.4f gives FPR %.3f, FNR %.3f on %d validation images" % (threshold, fpr, fnr, len(labels)))

        size, channels = self.data.size, self.data.channels
        sample = self.data.batch(self.val_idx[:4])
        export_net = ExportNet(self.net).eval()
        onnx_path = os.path.join(out_dir, "model.onnx")
        names = ["score", "features"] + (["heatmap"] if self.net.loc is not None else [])
        tmp = onnx_path + ".tmp"
        with torch.no_grad():
            torch.onnx.export(export_net, sample, tmp, input_names=["input"], output_names=names,
                              dynamic_axes={n: {0: "N"} for n in ["input"] + names}, opset_version=17, do_constant_folding=True)
        try:
            import onnx

            onnx.checker.check_model(tmp)
        except ImportError:
            pass
        os.replace(tmp, onnx_path)
        with torch.no_grad():
            outs = export_net(sample)
        sample.numpy().astype("<f4").tofile(os.path.join(out_dir, "parity-input.f32"))
        parity = {"input": "parity-input.f32", "inputName": "input", "shape": list(sample.shape),
                  "outputs": {"score": outs[0].reshape(-1).tolist(), "features": outs[1].reshape(outs[1].shape[0], -1).tolist()}}
        if len(outs) > 2:
            parity["outputs"]["heatmap"] = outs[2].reshape(-1).tolist()
        parity_path = os.path.join(out_dir, "parity.json")
        write_json(parity_path, parity)
        weights_path = os.path.join(out_dir, "weights.pt")
        ckpt.atomic_save(self.net.state_dict(), weights_path)
        sha = sha256_file(onnx_path)

        variant = self.data.variant
        outputs = {"score": "score", "features": "features"}
        if self.net.loc is not None:
            outputs["heatmap"] = "heatmap"
        provenance = dict(job["provenance"] or {})
        provenance.setdefault("source", "Trained by Provenance Lab, job %s, from %s" % (self.job_hash[:16], self.init))
        provenance.setdefault("licence", "Trained locally; the licence of the initial weights applies to this derivative.")
        provenance["trainedOn"] = "%d images (train %d: %d real, %d fake; validation %d), train data SHA-256 %s" % (
            self.train_summary["count"] + self.val_summary["count"], self.train_summary["count"], self.train_summary["real"],
            self.train_summary["fake"], self.val_summary["count"], self.train_summary["sha256"])
        manifest = {
            "id": job["modelId"],
            "name": job.get("name") or job["modelId"],
            "version": "job-" + self.job_hash[:12],
            "task": job["task"],
            "fixture": False,
            "description": job.get("description") or "%s detector (MobileNetV2, prepared input %s)" % (job["task"], job["data"]["variant"]),
            "input": variant["input"],
            "outputs": outputs,
            "scoreMeaning": "probability_fake",
            "preprocessing": variant["preprocessing"],
            "defaultThreshold": threshold,
            "calibration": calibration,
            "provenance": provenance,
            "sha256": sha,
        }
        manifest_path = os.path.join(out_dir, "manifest.json")
        write_json(manifest_path, manifest)
        seconds = self.elapsed_before + (time.time() - self.session_start)
        write_json(os.path.join(out_dir, "training.json"), {
            "jobSha256": self.job_hash, "bestEpoch": p["bestEpoch"], "history": p["history"], "seconds": seconds,
            "frozenFeatureSeconds": p["cacheSeconds"], "stoppedEarly": p["stoppedEarly"], "validation": val_final,
            "calibration": calibration, "device": str(self.device), "threads": torch.get_num_threads(),
            "train": self.train_summary, "val": self.val_summary})
        emit("export", onnx=onnx_path, manifest=manifest_path, parity=parity_path, weights=weights_path, sha256=sha,
             opset=17, bestEpoch=p["bestEpoch"])
        emit("done", bestEpoch=p["bestEpoch"], metrics=self._best_metrics(), onnx=onnx_path, manifest=manifest_path,
             split=os.path.join(self.workdir, SPLIT_FILE), seconds=seconds, stoppedEarly=p["stoppedEarly"], history=p["history"])
        return "done"
