"""Detector networks: a backbone producing an embedding ("features") and a one-logit linear
head. The exported ONNX graph ends in exactly that Gemm followed by a Sigmoid, which is what
the app's in-process head training rewrites (src/main/training/onnxHead.ts).

State-dict layout: ``backbone.*`` and ``head.weight`` / ``head.bias``.
"""
import torch
from torch import nn

from .checkpoint import safe_load


class SmallCnn(nn.Module):
    """Fast laptop backbone: four stride-2 conv blocks (no pooling before them, so the first
    layers still see the pixel-level traces), global average pooling, 128-d embedding."""

    def __init__(self, widths=(16, 32, 64, 128)):
        super().__init__()
        blocks = []
        in_ch = 3
        for i, out_ch in enumerate(widths):
            blocks.append(
                nn.Sequential(
                    nn.Conv2d(in_ch, out_ch, 3, stride=1 if i == 0 else 2, padding=1, bias=False),
                    nn.BatchNorm2d(out_ch),
                    nn.ReLU(inplace=True),
                )
            )
            in_ch = out_ch
        self.blocks = nn.ModuleList(blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.out_features = in_ch

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return torch.flatten(self.pool(x), 1)

    def block_names(self):
        """Trainable units from the input side to the output side."""
        return ["blocks.%d" % i for i in range(len(self.blocks))]


def _resnet(arch):
    import torchvision

    net = getattr(torchvision.models, arch)(weights=None)
    out_features = net.fc.in_features
    net.fc = nn.Identity()
    net.out_features = out_features
    return net


RESNET_BLOCKS = ["conv1", "bn1", "layer1", "layer2", "layer3", "layer4"]


class DetectorNet(nn.Module):
    def __init__(self, arch):
        super().__init__()
        self.arch = arch
        if arch == "small_cnn":
            self.backbone = SmallCnn()
            self.blocks = self.backbone.block_names()
        elif arch in ("resnet50", "resnet18"):
            self.backbone = _resnet(arch)
            # The stem (conv1 + bn1) counts as one block for "last N blocks".
            self.blocks = ["stem", "layer1", "layer2", "layer3", "layer4"]
        else:
            raise ValueError("unknown architecture %r" % arch)
        self.feature_dim = self.backbone.out_features
        self.head = nn.Linear(self.feature_dim, 1)

    def forward(self, x):
        """Returns (logits [N], features [N, D])."""
        features = self.backbone(x)
        return self.head(features).squeeze(1), features

    def _block_modules(self, name):
        if name == "stem":
            return [self.backbone.conv1, self.backbone.bn1]
        return [self.backbone.get_submodule(name)]

    def trainable_modules(self, mode, last_n):
        """Modules whose weights train in a mode (the head always does)."""
        if mode == "full":
            return [self.backbone, self.head]
        if mode == "head":
            return [self.head]
        chosen = self.blocks[-last_n:]
        return [m for name in chosen for m in self._block_modules(name)] + [self.head]

    def frozen_modules(self, mode, last_n):
        if mode == "full":
            return []
        if mode == "head":
            return [self.backbone]
        chosen = set(self.blocks[-last_n:])
        return [m for name in self.blocks if name not in chosen for m in self._block_modules(name)]


def configure_trainable(net, mode, last_n):
    """Freezes what the mode leaves out. Returns the modules that must stay in eval mode while
    training: frozen BatchNorm layers keep their (pretrained) running statistics."""
    for p in net.parameters():
        p.requires_grad_(False)
    for module in net.trainable_modules(mode, last_n):
        for p in module.parameters():
            p.requires_grad_(True)
    return net.frozen_modules(mode, last_n)


def parameter_groups(net, lr):
    """Backbone and head learn at their own rates (a pretrained backbone wants a small one)."""
    backbone = [p for p in net.backbone.parameters() if p.requires_grad]
    head = [p for p in net.head.parameters() if p.requires_grad]
    groups = []
    if backbone:
        groups.append({"params": backbone, "lr": lr["backbone"], "name": "backbone"})
    groups.append({"params": head, "lr": lr["head"], "name": "head"})
    return groups


class ExportNet(nn.Module):
    """What goes into the ONNX file: score = sigmoid(logit) [N, 1] and features [N, D]."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        features = self.net.backbone(x)
        return torch.sigmoid(self.net.head(features)), features


def load_backbone_weights(net, path, allow_pickle=False):
    """A torchvision-layout state dict (an ImageNet checkpoint the user has locally) into the
    backbone; its classifier is ignored. Returns the keys that did not load."""
    state = safe_load(path, allow_pickle)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
    state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    result = net.backbone.load_state_dict(state, strict=False)
    if result.missing_keys:
        raise ValueError(
            "%s does not fit the %s backbone: %d weights missing (first: %s)"
            % (path, net.arch, len(result.missing_keys), ", ".join(result.missing_keys[:3]))
        )
    return result.unexpected_keys
