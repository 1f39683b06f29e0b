#!/usr/bin/env python3
"""Exports the frozen part of the ImageNet MobileNetV2 used by "prepared" training jobs to ONNX:
input [N, 3, S, S] (normalised as the job's inputs), outputs f8 [N, 32, S/8, S/8] (after block 6)
and f16 [N, C, ...] (after block <blocks> - 1).

scripts/prepare-training-data.ts runs it with onnxruntime, which computes these features about
ten times faster than the CPU build of PyTorch here, and stores them next to the prepared inputs;
provenance_train/prepared.py then trains the rest of the network on them.

  export_prefix.py --weights mobilenet_v2_..._torchvision.pth --blocks 14 --size 256 --out prefix.onnx

Prints one JSON line: {"onnx", "sha256", "weightsSha256", "blocks", "size", "shapes"}.
"""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--blocks", type=int, default=14)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--allow-pickle", action="store_true")
    args = parser.parse_args(argv)

    import torch
    from torch import nn

    from provenance_train.export import sha256_file
    from provenance_train.prepared import PreparedNet, load_imagenet

    net = PreparedNet(1, args.blocks, False)
    load_imagenet(net, args.weights, args.allow_pickle)
    net.eval()

    class Prefix(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner.prefix(x)

    sample = torch.zeros(2, 3, args.size, args.size)
    with torch.no_grad():
        f8, f16 = Prefix(net)(sample)
    tmp = args.out + ".tmp"
    with torch.no_grad():
        torch.onnx.export(Prefix(net), sample, tmp, input_names=["input"], output_names=["f8", "f16"],
                          dynamic_axes={"input": {0: "N"}, "f8": {0: "N"}, "f16": {0: "N"}}, opset_version=17)
    os.replace(tmp, args.out)
    print(json.dumps({"onnx": os.path.abspath(args.out), "sha256": sha256_file(args.out), "weightsSha256": sha256_file(args.weights),
                      "blocks": args.blocks, "size": args.size, "shapes": {"f8": list(f8.shape[1:]), "f16": list(f16.shape[1:])}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
