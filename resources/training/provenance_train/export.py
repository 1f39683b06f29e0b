"""ONNX export, the PyTorch reference outputs for the parity check, and manifest.json.

The app checks parity with onnxruntime-node (Python's onnxruntime is usually absent): this
module saves a batch of real validation inputs as raw float32 plus PyTorch's outputs for them,
and the app runs the ONNX file on the same bytes and reports the largest difference.
"""
import copy
import hashlib
import inspect
import json
import os

import torch

from .data import IMAGENET_MEAN, IMAGENET_STD
from .models import ExportNet

PREFERRED_OPSET = 17
MIN_OPSET = 13
PARITY_BATCH = 4


def _opset():
    try:
        from torch.onnx import _constants

        return max(MIN_OPSET, min(PREFERRED_OPSET, int(_constants.ONNX_MAX_OPSET)))
    except (ImportError, AttributeError):
        return PREFERRED_OPSET


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def export_onnx(net, sample, onnx_path):
    """Writes the graph input [N,3,S,S] → score [N,1] (sigmoid probability), features [N,D],
    with a free batch dimension. Returns the opset used."""
    export_net = ExportNet(copy.deepcopy(net).cpu().float().eval()).eval()
    opset = _opset()
    kwargs = dict(
        input_names=["input"],
        output_names=["score", "features"],
        dynamic_axes={"input": {0: "N"}, "score": {0: "N"}, "features": {0: "N"}},
        opset_version=opset,
        do_constant_folding=True,
    )
    # torch >= 2.5 has a second (dynamo) exporter and newer releases default to it; the
    # TorchScript exporter gives the plain Conv/Gemm graph the app's head rewriting expects.
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    tmp = onnx_path + ".tmp"
    with torch.no_grad():
        torch.onnx.export(export_net, sample.cpu().float(), tmp, **kwargs)
    try:
        import onnx

        onnx.checker.check_model(tmp)
    except ImportError:
        pass
    os.replace(tmp, onnx_path)
    return export_net, opset


def write_parity(export_net, inputs, out_dir):
    """Saves inputs (raw little-endian float32, NCHW) and PyTorch's outputs for them."""
    inputs = inputs.cpu().float().contiguous()
    with torch.no_grad():
        score, features = export_net(inputs)
    input_file = "parity-input.f32"
    inputs.numpy().astype("<f4").tofile(os.path.join(out_dir, input_file))
    parity = {
        "input": input_file,
        "inputName": "input",
        "shape": list(inputs.shape),
        "outputs": {
            "score": score.reshape(-1).tolist(),
            "features": features.reshape(features.shape[0], -1).tolist(),
        },
    }
    path = os.path.join(out_dir, "parity.json")
    write_json(path, parity)
    return path


def build_manifest(model_id, name, version, task, size, ela, description, provenance, sha256, normalization=None,
                   inference=None, evaluation=None):
    """manifest.json in the format of src/main/inference/manifest.ts. ``evaluation`` (from
    evaluate.calibrate_and_evaluate) sets the threshold and adds the calibration and the test
    summary; without it the threshold is 0.5."""
    inference = inference or {"mode": "center-crop", "cropCount": 1, "aggregate": "mean"}
    normalization = normalization or {"mean": IMAGENET_MEAN, "std": IMAGENET_STD}
    preprocessing = {
        "mode": inference["mode"],
        "aggregate": inference["aggregate"],
        "inputTransform": "ela" if ela else "none",
        "normalization": {"mean": list(normalization["mean"]), "std": list(normalization["std"])},
    }
    if inference["mode"] == "multi-crop":
        preprocessing["cropCount"] = int(inference["cropCount"])
    if ela:
        preprocessing["elaQuality"] = int(ela["quality"])
        preprocessing["elaScale"] = float(ela["scale"])
    manifest = {
        "id": model_id,
        "name": name,
        "version": version,
        "task": task,
        "fixture": False,
        "description": description,
        "input": {"name": "input", "width": size, "height": size, "channels": 3, "layout": "NCHW"},
        "outputs": {"score": "score", "features": "features"},
        "scoreMeaning": "probability_fake",
        "preprocessing": preprocessing,
        "defaultThreshold": 0.5,
        "provenance": provenance,
        "sha256": sha256,
    }
    if evaluation:
        manifest["defaultThreshold"] = evaluation["threshold"]
        manifest["calibration"] = evaluation["manifest"]["calibration"]
        if evaluation["manifest"].get("evaluation"):
            manifest["evaluation"] = evaluation["manifest"]["evaluation"]
    return manifest
