"""The training run: data, model, optimisation, validation, checkpoints, cancellation, export.

Progress leaves as JSON lines (events.py). A SIGTERM or SIGINT is not fatal: the loop finishes
the step in flight, writes a checkpoint and exits, and ``--resume`` continues from it with the
same batch order and augmentations.
"""
import inspect
import math
import os
import random
import signal
import time

import torch
from torch import nn

from . import checkpoint as ckpt
from .convert import load_init_weights
from .data import EpochBatches, EvalItems, ImageItems, Normalizer, steps_per_epoch
from .evaluate import aggregate_scores, calibrate_and_evaluate
from .events import emit, log
from .export import build_manifest, export_onnx, sha256_file, write_json, write_parity, PARITY_BATCH
from .job import job_hash
from .metrics import accuracy, average_precision
from .models import NORMALIZATIONS, DetectorNet, arch_spec, configure_trainable, load_backbone_weights, parameter_groups
from .split import prepare_items, summarize, data_hash

OUTPUT_DIR = "output"
SPLIT_FILE = "split.json"
STEP_EVENT_INTERVAL = 0.5


class DeviceError(Exception):
    pass


def resolve_device(requested):
    mps = getattr(torch.backends, "mps", None)
    mps_ok = bool(mps and mps.is_available())
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if mps_ok else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise DeviceError("device \"cuda\" was requested but this PyTorch sees no CUDA GPU (torch %s, built for CUDA %s)"
                          % (torch.__version__, torch.version.cuda or "none: a CPU-only build"))
    if requested == "mps" and not mps_ok:
        raise DeviceError("device \"mps\" was requested but Apple's Metal backend is not available in this PyTorch")
    return torch.device(requested)


def device_info(device):
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return {"kind": "cuda", "name": torch.cuda.get_device_name(index)}
    if device.type == "mps":
        return {"kind": "mps", "name": "Apple GPU (Metal)"}
    return {"kind": "cpu", "name": "CPU (%d threads)" % torch.get_num_threads()}


def _grad_scaler(enabled):
    if hasattr(torch, "amp") and hasattr(torch.amp, "GradScaler"):
        return torch.amp.GradScaler("cuda", enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled)


def _scheduler(optimizer, sched, metric):
    if sched["kind"] == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=sched["stepSize"], gamma=sched["gamma"])
    if sched["kind"] == "plateau":
        mode = "min" if metric == "valLoss" else "max"
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode=mode, factor=sched["factor"], patience=sched["patience"])
    return None


def _lrs(optimizer):
    return {g.get("name", str(i)): g["lr"] for i, g in enumerate(optimizer.param_groups)}


def _improved(metric, value, best):
    if value is None:
        return False
    if best is None:
        return True
    return value < best if metric == "valLoss" else value > best


class Run:
    def __init__(self, job, workdir, resume, stop, export=True, training_root=None):
        self.job = job
        # Prepared data sets are cached here (the app's training folder), shared between runs.
        self.training_root = training_root or os.path.dirname(os.path.abspath(workdir))
        self.workdir = os.path.abspath(workdir)
        self.resume = resume
        self.stop = stop
        self.export = export
        self.job_hash = job_hash(job)
        self.started = time.time()

    # ---- setup -------------------------------------------------------------------------
    def _prepare_data(self):
        job = self.job
        train, val, test, warnings, prepared = prepare_items(job["data"], self.training_root)
        self.train_items, self.val_items, self.test_items, self.prepared_dir = train, val, test, prepared
        self.data_hash = data_hash(train + val)
        keys = ("path", "label", "group", "split", "sha256", "source", "generator")
        split = {
            "dataSha256": self.data_hash,
            "train": summarize(train),
            "val": summarize(val),
            "items": [{k: it[k] for k in keys if k in it} for it in train + val + test],
        }
        extra = {}
        if test:
            split["test"] = extra["test"] = summarize(test)
        if prepared:
            split["preparedDir"] = extra["preparedDir"] = prepared
        write_json(os.path.join(self.workdir, SPLIT_FILE), split)
        emit("data", train=summarize(train), val=summarize(val), dataSha256=self.data_hash, warnings=warnings, **extra)
        size = job["model"]["inputSize"]
        ela = job["model"]["ela"]
        self.train_set = ImageItems(train, size, True, ela=ela, augment=job["augment"], seed=job["seed"])
        # Validation looks at every image the way the shipped model will (job.inference).
        self.val_set = EvalItems(val, size, job["inference"], ela=ela)

    def _build_model(self):
        job = self.job
        net = DetectorNet(job["model"]["arch"])
        init = "random initialisation"
        if job["model"]["backboneWeights"]:
            unexpected = load_backbone_weights(net, job["model"]["backboneWeights"], job["model"]["allowPickle"])
            init = "backbone weights %s" % os.path.basename(job["model"]["backboneWeights"])
            if unexpected:
                log("ignored %d unexpected backbone weights (first: %s)" % (len(unexpected), unexpected[0]))
        if job["model"]["initWeights"]:
            layout = load_init_weights(net, job["model"]["initWeights"], job["model"]["allowPickle"])
            init = "%s weights %s" % (layout, os.path.basename(job["model"]["initWeights"]))
        self.init_description = init
        self.frozen = configure_trainable(net, job["mode"], job["lastN"], job["model"]["freezeBatchNorm"])
        self.net = net.to(self.device)
        if self.device.type == "cuda":
            # NHWC lets cuDNN use tensor cores for the convolutions under mixed precision.
            self.net = self.net.to(memory_format=torch.channels_last)
        extra = {}
        self.fused = self.device.type == "cuda" and "fused" in inspect.signature(torch.optim.AdamW).parameters
        if self.fused:
            extra["fused"] = True  # one kernel for all parameters instead of several per tensor
        else:
            self.fused = None  # the optimiser's own default
        self.optimizer = torch.optim.AdamW(parameter_groups(self.net, job["lr"]), weight_decay=job["weightDecay"], **extra)
        self.scheduler = _scheduler(self.optimizer, job["schedule"], job["earlyStopping"]["metric"])
        # Mixed precision on CUDA: bfloat16 where the GPU has it (no loss scaling, so no
        # per-step check for overflow that waits for the GPU), float16 with a grad scaler
        # on older cards.
        self.amp_dtype = None
        if self.device.type == "cuda" and job["mixedPrecision"] in ("auto", True):
            self.amp_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        self.scaler = _grad_scaler(self.amp_dtype == torch.float16)
        self.acc_loss = self.acc_correct = None
        self.acc_seen = 0
        real = sum(1 for it in self.train_items if it["label"] == "real")
        fake = len(self.train_items) - real
        # Class-balanced loss: a set with 10x more real than fake pictures must not teach
        # "always real".
        self.criterion = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(real / max(1, fake), device=self.device))
        self.val_criterion = nn.BCEWithLogitsLoss(reduction="sum")

    def _fresh_progress(self):
        return {"epoch": 0, "step": 0, "globalStep": 0, "partial": {"lossSum": 0.0, "correct": 0, "seen": 0},
                "history": [], "best": None, "bestEpoch": None, "badEpochs": 0, "finished": False,
                "stoppedEarly": False, "elapsed": 0.0}

    def _restore(self):
        state = ckpt.load_checkpoint(self.workdir, self.job_hash, self.data_hash)
        self.net.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        for group in self.optimizer.param_groups:
            # A checkpoint from a CUDA run resumed elsewhere must not carry "fused" along.
            if "fused" in group:
                group["fused"] = self.fused
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        if state["scaler"]:  # empty when saved without float16 loss scaling (CPU, bfloat16)
            self.scaler.load_state_dict(state["scaler"])
        ckpt.restore_rng(*state["rng"])
        return state["progress"]

    def _workers(self):
        """"auto": load in-process on the CPU (the cores are busy training anyway), with
        worker processes on a GPU, where decoding and augmenting become the bottleneck."""
        if self.job["numWorkers"] != "auto":
            return self.job["numWorkers"]
        return 0 if self.device.type == "cpu" else max(1, min(12, (os.cpu_count() or 2) - 2))

    def _loader(self, dataset, batches):
        workers = self._workers()
        options = {"num_workers": workers, "pin_memory": self.device.type == "cuda"}
        if workers > 0:
            # Loader processes live for the whole run (forking them every epoch costs seconds
            # on a GPU machine); the (epoch, index) keys tell them which augmentation to draw.
            options.update(prefetch_factor=4, persistent_workers=True, worker_init_fn=_ignore_interrupt)
        return torch.utils.data.DataLoader(dataset, batch_sampler=batches, **options)

    def _make_loaders(self):
        job = self.job
        norm = NORMALIZATIONS[job["model"]["normalization"]]
        self.normalize = Normalizer(self.device, norm["mean"], norm["std"])
        self.train_batches = EpochBatches(len(self.train_set), job["batchSize"], job["seed"], job["maxStepsPerEpoch"])
        self.train_loader = self._loader(self.train_set, self.train_batches)
        size = job["batchSize"]
        val_batches = [list(range(i, min(i + size, len(self.val_set)))) for i in range(0, len(self.val_set), size)]
        self.val_loader = self._loader(self.val_set, val_batches)

    def _to_device(self, x):
        x = self.normalize(x)
        return x.contiguous(memory_format=torch.channels_last) if self.device.type == "cuda" and x.dim() == 4 else x

    def _checkpoint(self, reason):
        p = self.progress
        p["elapsed"] = self.elapsed_before + (time.time() - self.session_start)
        path = ckpt.save_checkpoint(self.workdir, self.job_hash, self.data_hash, p, self.net, self.optimizer, self.scheduler, self.scaler)
        emit("checkpoint", path=path, epoch=p["epoch"], step=p["step"], reason=reason)
        return path

    def _cancel(self):
        path = self._checkpoint("cancel")
        emit("cancelled", checkpoint=path, epoch=self.progress["epoch"], step=self.progress["step"],
             signal=self.stop.signal)
        return "cancelled"

    # ---- timing ------------------------------------------------------------------------
    def _eta(self, epoch_index):
        """Seconds left: remaining steps at the measured step time, plus remaining validations."""
        p = self.progress
        step_time = self.step_seconds / self.steps_timed if self.steps_timed else None
        if step_time is None:
            return None
        remaining_steps = self.total_steps - p["globalStep"]
        val_time = self.val_seconds if self.val_seconds is not None else step_time * len(self.val_items) / max(1, self.job["batchSize"]) * 0.4
        remaining_vals = self.job["epochs"] - epoch_index
        return remaining_steps * step_time + remaining_vals * val_time

    # ---- phases ------------------------------------------------------------------------
    def _sync_partial(self):
        """Folds the on-device loss and accuracy sums into the progress record. Done only
        when something is reported or saved: reading a GPU value waits for the GPU, and doing
        that every step would stop the CPU from queueing the next step ahead."""
        part = self.progress["partial"]
        if self.acc_seen:
            part["lossSum"] += float(self.acc_loss)
            part["correct"] += int(self.acc_correct)
            part["seen"] += self.acc_seen
        self.acc_loss = torch.zeros((), device=self.device)
        self.acc_correct = torch.zeros((), device=self.device)
        self.acc_seen = 0

    def _train_epoch(self, epoch):
        job, p = self.job, self.progress
        self.net.train()
        for module in self.frozen:
            module.eval()
        self.train_batches.set_epoch(epoch, p["step"])
        self._sync_partial()
        last_emit = 0.0
        tick = time.time()
        for x, y in self.train_loader:
            x, y = self._to_device(x), y.to(self.device, non_blocking=True)
            self.optimizer.zero_grad(set_to_none=True)
            if self.amp_dtype is not None:
                with torch.autocast(device_type="cuda", dtype=self.amp_dtype):
                    logits, _ = self.net(x)
                    loss = self.criterion(logits.float(), y)
            else:
                logits, _ = self.net(x)
                loss = self.criterion(logits, y)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            p["step"] += 1
            p["globalStep"] += 1
            self.acc_loss += loss.detach() * len(y)
            self.acc_correct += ((logits.detach() >= 0).float() == y).sum()
            self.acc_seen += len(y)
            if self.device.type == "cpu":
                # Nothing to overlap on the CPU; summing per step keeps the reported epoch
                # loss identical between a resumed and an uninterrupted run.
                self._sync_partial()
            now = time.time()
            self.step_seconds += now - tick
            self.steps_timed += 1
            tick = now
            if now - last_emit >= STEP_EVENT_INTERVAL or p["step"] == self.steps:
                last_emit = now
                loss_value = float(loss.detach())
                if not math.isfinite(loss_value):
                    raise FloatingPointError("the loss became %s by epoch %d step %d: lower the learning rates" % (loss_value, epoch + 1, p["step"]))
                self._sync_partial()
                emit("step", epoch=epoch + 1, epochs=job["epochs"], step=p["step"], steps=self.steps,
                     globalStep=p["globalStep"], totalSteps=self.total_steps, loss=loss_value,
                     lr=_lrs(self.optimizer), etaSeconds=self._eta(epoch),
                     samplesPerSecond=(job["batchSize"] * self.steps_timed / self.step_seconds) if self.step_seconds > 0 else None)
            if self.stop.requested:
                self._sync_partial()
                return False
        self._sync_partial()
        part = p["partial"]
        if part["seen"] and not math.isfinite(part["lossSum"]):
            raise FloatingPointError("the loss became %s in epoch %d: lower the learning rates" % (part["lossSum"], epoch + 1))
        return True

    def _validate(self):
        """(loss, accuracy, AP) on the validation split, scored on the crops the shipped model
        takes (job.inference); None when cancelled part-way. The scores are kept for the
        calibration when the epoch turns out to be the best one."""
        self.net.eval()
        scores, labels, loss_sum = [], [], 0.0
        with torch.no_grad():
            for x, y in self.val_loader:
                y = y.to(self.device)
                probs, logits = aggregate_scores(self.net, self._to_device(x), self.job["inference"]["aggregate"])
                if logits is not None:  # one crop: the loss from the logits, as training computes it
                    loss_sum += float(self.val_criterion(logits, y))
                else:
                    p = probs.clamp(1e-7, 1 - 1e-7)
                    loss_sum += float(-(y * torch.log(p) + (1 - y) * torch.log(1 - p)).sum())
                scores.extend(probs.cpu().tolist())
                labels.extend(y.cpu().tolist())
                if self.stop.requested:
                    return None
        n = max(1, len(labels))
        self.last_val_scores = (scores, labels)
        return {"valLoss": loss_sum / n, "valAcc": accuracy(scores, labels), "valAp": average_precision(scores, labels)}

    def run(self):
        job = self.job
        os.makedirs(self.workdir, exist_ok=True)
        self.device = resolve_device(job["device"])
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        torch.manual_seed(job["seed"])
        random.seed(job["seed"])
        emit("start", python=_python_version(), torch=torch.__version__, torchvision=_torchvision_version(),
             device=device_info(self.device), jobHash=self.job_hash, workdir=self.workdir, resumed=self.resume,
             pid=os.getpid())
        self._prepare_data()
        self._build_model()
        self._make_loaders()
        self.progress = self._restore() if self.resume else self._fresh_progress()
        p = self.progress
        self.steps = steps_per_epoch(len(self.train_items), job["batchSize"], job["maxStepsPerEpoch"])
        self.total_steps = self.steps * job["epochs"]
        self.elapsed_before = p["elapsed"]
        self.session_start = time.time()
        self.step_seconds, self.steps_timed, self.val_seconds = 0.0, 0, None
        if self.resume:
            emit("resumed", epoch=p["epoch"], step=p["step"], globalStep=p["globalStep"], finished=p["finished"],
                 history=p["history"])
        metric = job["earlyStopping"]["metric"]

        while not p["finished"] and p["epoch"] < job["epochs"]:
            epoch = p["epoch"]
            epoch_start = time.time()
            if self.stop.requested:
                return self._cancel()
            if p["step"] < self.steps and not self._train_epoch(epoch):
                return self._cancel()
            train_seconds = time.time() - epoch_start
            val_start = time.time()
            val = self._validate()
            if val is None:
                return self._cancel()
            self.val_seconds = time.time() - val_start
            epoch_lrs = _lrs(self.optimizer)
            if self.scheduler is not None:
                if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    self.scheduler.step(val[metric] if val[metric] is not None else 0.0)
                else:
                    self.scheduler.step()
            part = p["partial"]
            record = {
                "epoch": epoch + 1, "epochs": job["epochs"],
                "trainLoss": part["lossSum"] / max(1, part["seen"]), "trainAcc": part["correct"] / max(1, part["seen"]),
                "valLoss": val["valLoss"], "valAcc": val["valAcc"], "valAp": val["valAp"],
                "lr": epoch_lrs, "seconds": time.time() - epoch_start, "trainSeconds": train_seconds,
                "valSeconds": self.val_seconds,
            }
            record["best"] = _improved(metric, val[metric], p["best"])
            if record["best"]:
                p["best"], p["bestEpoch"], p["badEpochs"] = val[metric], epoch + 1, 0
                ckpt.save_best(self.workdir, self.net, epoch + 1, val)
                self.best_val_scores = self.last_val_scores
            else:
                p["badEpochs"] += 1
            p["history"].append(record)
            p["epoch"], p["step"] = epoch + 1, 0
            p["partial"] = {"lossSum": 0.0, "correct": 0, "seen": 0}
            patience = job["earlyStopping"]["patience"]
            if patience > 0 and p["badEpochs"] >= patience and p["epoch"] < job["epochs"]:
                p["stoppedEarly"], p["finished"] = True, True
            emit("epoch", etaSeconds=self._eta(epoch + 1) if not p["finished"] else 0.0, **record)
            self._checkpoint("epoch")
            if p["stoppedEarly"]:
                emit("earlyStop", epoch=p["epoch"], bestEpoch=p["bestEpoch"], patience=patience, metric=metric)
        if not p["finished"]:
            p["finished"] = True
            self._checkpoint("finished")
        # The best epoch's weights are the result: calibrated on validation, measured on test.
        best = ckpt.load_best(self.workdir)
        if best is not None:
            self.net.load_state_dict(best["model"])
            if best["epoch"] != (p["history"][-1]["epoch"] if p["history"] else None):
                self.best_val_scores = None  # scored with other weights: score again
        self.evaluation = calibrate_and_evaluate(self)
        if self.evaluation is None:
            return self._cancel()
        if not self.export:
            emit("done", bestEpoch=p["bestEpoch"], metrics=self._best_metrics(), onnx=None, manifest=None,
                 seconds=p["elapsed"], history=p["history"])
            return "done"
        return self._export()

    def _best_metrics(self):
        p = self.progress
        rec = next((h for h in p["history"] if h["epoch"] == p["bestEpoch"]), p["history"][-1] if p["history"] else None)
        return {k: rec[k] for k in ("valLoss", "valAcc", "valAp")} if rec else None

    def _export(self):
        job, p = self.job, self.progress
        out_dir = os.path.join(self.workdir, OUTPUT_DIR)
        os.makedirs(out_dir, exist_ok=True)
        self.net = self.net.cpu().float().to(memory_format=torch.contiguous_format).eval()
        count = min(PARITY_BATCH, len(self.val_set))
        norm = NORMALIZATIONS[job["model"]["normalization"]]
        # The first crop of the first validation images, as the app will feed them.
        sample = Normalizer(torch.device("cpu"), norm["mean"], norm["std"])(torch.stack([self.val_set[i][0][0] for i in range(count)]))
        onnx_path = os.path.join(out_dir, "model.onnx")
        export_net, opset = export_onnx(self.net, sample, onnx_path)
        parity_path = write_parity(export_net, sample, out_dir)
        weights_path = os.path.join(out_dir, "weights.pt")
        ckpt.atomic_save(self.net.state_dict(), weights_path)
        sha = sha256_file(onnx_path)
        model = job["model"]
        train_summary = summarize(self.train_items)
        description = "%s detector (%s, %s mode) trained by Provenance Lab on %d labelled images (%d real, %d fake)%s." % (
            job["task"], model["arch"], job["mode"], train_summary["count"], train_summary["real"], train_summary["fake"],
            ", ELA input (JPEG quality %d, scale %g)" % (model["ela"]["quality"], model["ela"]["scale"]) if model["ela"] else "")
        parent = job.get("parent")
        provenance = {
            "source": "Trained by Provenance Lab, job %s, from %s%s" % (
                self.job_hash[:16], self.init_description,
                " (parent model %s %s)" % (parent.get("modelId"), parent.get("version")) if isinstance(parent, dict) else ""),
            "licence": "Trained locally on the user's own images; the licence of any initial weights applies to this derivative.",
            "trainedOn": "%d images, data SHA-256 %s (train) / %s (validation)" % (
                len(self.train_items) + len(self.val_items), train_summary["sha256"], summarize(self.val_items)["sha256"]),
            "reference": "Training protocol after Wang et al., CVPR 2020 (no resize, random crops, Blur+JPEG augmentation)"
                         + ("; ELA input after the CASIA v2 ELA+CNN detectors" if model["ela"] else "")
                         + ("; architecture: %s" % arch_spec(model["arch"]).reference if arch_spec(model["arch"]).reference else "") + ".",
        }
        manifest = build_manifest(job["modelId"], job.get("name") or job["modelId"], "job-" + self.job_hash[:12], job["task"],
                                  model["inputSize"], model["ela"], description, provenance, sha,
                                  normalization=NORMALIZATIONS[model["normalization"]], inference=job["inference"],
                                  evaluation=self.evaluation)
        manifest_path = os.path.join(out_dir, "manifest.json")
        write_json(manifest_path, manifest)
        emit("export", onnx=onnx_path, manifest=manifest_path, parity=parity_path, weights=weights_path, sha256=sha,
             opset=opset, bestEpoch=p["bestEpoch"])
        emit("done", bestEpoch=p["bestEpoch"], metrics=self._best_metrics(), onnx=onnx_path, manifest=manifest_path,
             split=os.path.join(self.workdir, SPLIT_FILE), seconds=p["elapsed"] + (time.time() - self.session_start),
             stoppedEarly=p["stoppedEarly"], history=p["history"])
        return "done"


def _ignore_interrupt(_worker_id):
    """Ctrl+C in a terminal reaches the whole process group: a DataLoader worker dying of it
    would fail the batch the main process is about to checkpoint after. Only the main process
    reacts (see stop.py); workers are shut down by the DataLoader."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _python_version():
    import platform

    return platform.python_version()


def _torchvision_version():
    try:
        import torchvision

        return torchvision.__version__
    except ImportError:
        return None
