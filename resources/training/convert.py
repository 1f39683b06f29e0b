#!/usr/bin/env python3
"""Turns a published PyTorch detector checkpoint into a model folder for the app's registry.

  python3 convert.py cnndetection --checkpoint blur_jpg_prob0.5.pth --out resources/models \
      [--id cnndetection-resnet50] [--arch auto] [--input-size 224] [--licence TEXT]

writes <out>/<id>/model.onnx, manifest.json and parity/ (a batch of inputs with PyTorch's
outputs, which the app checks with onnxruntime-node). The ONNX graph adds the sigmoid to the
checkpoint's single logit: output "score" is the probability of "fake" (scoreMeaning
probability_fake), output "features" the 2048-d pooled embedding the head reads.

Progress is reported as JSON lines on stdout, like train.py (start, export, done, error).
"""
import argparse
import os
import sys
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from provenance_train.events import emit, log, redirect_library_output  # noqa: E402

CNNDETECTION_REFERENCE = ('Wang et al., "CNN-generated images are surprisingly easy to spot... for now", CVPR 2020; '
                          "github.com/PeterWang512/CNNDetection")


def convert_cnndetection(args):
    import torch

    from provenance_train.checkpoint import safe_load
    from provenance_train.convert import detector_state_from_checkpoint, infer_resnet_arch
    from provenance_train.export import build_manifest, export_onnx, sha256_file, write_json, write_parity
    from provenance_train.loop import _python_version, _torchvision_version
    from provenance_train.models import DetectorNet

    emit("start", python=_python_version(), torch=torch.__version__, torchvision=_torchvision_version(),
         device={"kind": "cpu", "name": "CPU"}, converter="cnndetection", checkpoint=os.path.abspath(args.checkpoint))
    checkpoint_sha = sha256_file(args.checkpoint)
    state, layout = detector_state_from_checkpoint(safe_load(args.checkpoint, args.allow_pickle))
    arch = infer_resnet_arch(state) if args.arch == "auto" else args.arch
    if arch is None:
        raise ValueError("cannot tell the architecture of %s; pass --arch" % args.checkpoint)
    net = DetectorNet(arch)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as err:
        detail = "; ".join(line.strip() for line in str(err).splitlines()[:3])
        raise ValueError("%s does not fit %s: %s" % (args.checkpoint, arch, detail))
    net.eval()

    out_dir = os.path.join(os.path.abspath(args.out), args.id)
    parity_dir = os.path.join(out_dir, "parity")
    os.makedirs(parity_dir, exist_ok=True)
    size = args.input_size
    gen = torch.Generator().manual_seed(0)
    sample = torch.randn(2, 3, size, size, generator=gen)
    onnx_path = os.path.join(out_dir, "model.onnx")
    export_net, opset = export_onnx(net, sample, onnx_path)
    parity_path = write_parity(export_net, sample, parity_dir)
    sha = sha256_file(onnx_path)
    manifest = build_manifest(
        args.id,
        args.name or "CNNDetection %s (converted)" % arch,
        args.version,
        args.task,
        size,
        None,
        "Wang et al. 2020 detector of CNN-generated images (%s, one logit), converted from a PyTorch checkpoint; "
        "the sigmoid is part of the ONNX graph. Test protocol: no resize, centre crop %d, ImageNet normalization."
        % (arch, size),
        {
            "source": "Converted by resources/training/convert.py from %s (%s layout, SHA-256 %s)"
                      % (os.path.basename(args.checkpoint), layout, checkpoint_sha),
            "licence": args.licence,
            "reference": CNNDETECTION_REFERENCE,
        },
        sha,
    )
    manifest_path = os.path.join(out_dir, "manifest.json")
    write_json(manifest_path, manifest)
    emit("export", onnx=onnx_path, manifest=manifest_path, parity=parity_path, sha256=sha, opset=opset,
         arch=arch, layout=layout, checkpointSha256=checkpoint_sha)
    emit("done", onnx=onnx_path, manifest=manifest_path, metrics=None, bestEpoch=None, history=[])
    return 0


def main(argv=None):
    redirect_library_output()
    parser = argparse.ArgumentParser(description="Convert published detector checkpoints to ONNX + manifest.json")
    sub = parser.add_subparsers(dest="format", required=True)
    cnn = sub.add_parser("cnndetection", help="CNNDetection ResNet-50 (Wang et al. 2020) state dict")
    cnn.add_argument("--checkpoint", required=True)
    cnn.add_argument("--out", required=True, help="models folder; the model goes into <out>/<id>/")
    cnn.add_argument("--id", default="cnndetection-resnet50")
    cnn.add_argument("--name", default=None)
    cnn.add_argument("--version", default="1.0.0")
    cnn.add_argument("--task", default="generated", choices=("generated", "manipulated"))
    cnn.add_argument("--arch", default="auto", choices=("auto", "resnet50", "resnet18"))
    cnn.add_argument("--input-size", type=int, default=224)
    cnn.add_argument("--allow-pickle", action="store_true",
                     help="load a checkpoint that stores Python objects besides tensors (only from a source you trust)")
    cnn.add_argument("--licence", default="CC BY-NC-SA 4.0 (CNNDetection release); check the licence of the checkpoint you converted.")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        if exit_.code:
            emit("error", code="USAGE", message="invalid arguments; see convert.py --help")
        return 2 if exit_.code else 0
    try:
        return convert_cnndetection(args)
    except (ValueError, OSError) as err:
        emit("error", code=type(err).__name__, message=str(err))
        return 1
    except Exception as err:
        if type(err).__name__ == "UnsafeTorchError":  # checkpoint.py: this torch cannot load safely
            emit("error", code="UNSAFE_TORCH", message=str(err))
            return 1
        log(traceback.format_exc())
        emit("error", code="INTERNAL", message="%s: %s" % (type(err).__name__, err))
        return 1


if __name__ == "__main__":
    sys.exit(main())
