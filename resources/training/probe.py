#!/usr/bin/env python3
"""Environment probe for the app: prints ONE JSON line describing this Python and its deep
learning packages. Never fails on a missing package; that is what it reports."""
import json
import platform
import sys

sys.dont_write_bytecode = True


def version_of(name):
    try:
        module = __import__(name)
        return getattr(module, "__version__", "unknown"), None
    except Exception as err:  # ImportError, or a broken install raising anything else
        return None, "%s: %s" % (type(err).__name__, err)


def main():
    info = {"python": platform.python_version(), "executable": sys.executable, "platform": sys.platform, "problems": {}}
    for name in ("torch", "torchvision", "onnx", "PIL", "numpy", "onnxruntime"):
        version, problem = version_of(name)
        info[name] = version
        if problem and name != "onnxruntime":
            info["problems"][name] = problem
    device = {"kind": "cpu", "name": "CPU"}
    if info["torch"]:
        import torch

        import inspect

        device["name"] = "CPU (%d threads)" % torch.get_num_threads()
        # Checkpoints are loaded tensors-only (torch.load(weights_only=True), PyTorch 1.13+).
        info["safeLoading"] = "weights_only" in inspect.signature(torch.load).parameters
        info["cudaBuild"] = torch.version.cuda
        if torch.cuda.is_available():
            device = {"kind": "cuda", "name": torch.cuda.get_device_name(0), "count": torch.cuda.device_count()}
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            device = {"kind": "mps", "name": "Apple GPU (Metal)"}
    info["device"] = device
    sys.stdout.write(json.dumps(info) + "\n")


if __name__ == "__main__":
    main()
