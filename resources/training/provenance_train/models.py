"""Detector networks: a backbone producing an embedding ("features") and a one-logit linear
head. The exported ONNX graph ends in exactly that Gemm followed by a Sigmoid, which is what
the app's in-process head training rewrites (src/main/training/onnxHead.ts).

State-dict layout: ``backbone.*`` and ``head.weight`` / ``head.bias``.

Architectures are registered in ``ARCHS`` (name → ``Arch``): a builder, its trainable blocks from
the input side to the output side, its default crop and input normalization, and how to read a
torchvision-layout backbone checkpoint. A new architecture is one ``register_arch`` call (plus
its name in TRAINING_ARCHS of src/contract/training.ts, from which the job schema is generated).
"""
import torch
from torch import nn
from torch.nn import functional as F

from .checkpoint import safe_load

# Input normalizations a job may choose (preprocessing.normalization of the manifest):
# ImageNet statistics for torchvision's ImageNet checkpoints; [-1, 1] for networks converted from
# TensorFlow (the shared MobileNetV2) and for networks trained from scratch.
NORMALIZATIONS = {
    "imagenet": {"mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)},
    "half": {"mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5)},
}


class Arch:
    def __init__(self, build, input_size, normalization="imagenet", classifier_prefixes=("fc.",), reference=None):
        self.build = build  # () -> (backbone module with .out_features, [block names])
        self.input_size = input_size
        self.normalization = normalization
        self.classifier_prefixes = classifier_prefixes
        self.reference = reference


ARCHS = {}


def register_arch(name, arch):
    ARCHS[name] = arch
    return arch


def arch_spec(name):
    if name not in ARCHS:
        raise ValueError("unknown architecture %r (known: %s)" % (name, ", ".join(sorted(ARCHS))))
    return ARCHS[name]


def default_input_size(arch):
    return arch_spec(arch).input_size


def default_normalization(arch):
    return arch_spec(arch).normalization


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
    # The stem (conv1 + bn1) counts as one block for "last N blocks".
    return net, ["stem", "layer1", "layer2", "layer3", "layer4"]


RESNET_BLOCKS = ["conv1", "bn1", "layer1", "layer2", "layer3", "layer4"]


class MobileNetV2Backbone(nn.Module):
    """torchvision's MobileNetV2 feature extractor (``features.0`` … ``features.18``) with global
    average pooling: a 1280-d embedding. Its state-dict keys are torchvision's, so an ImageNet
    checkpoint in torchvision layout loads as it is (the ``classifier.*`` weights are dropped)."""

    def __init__(self):
        super().__init__()
        import torchvision

        self.features = torchvision.models.mobilenet_v2(weights=None).features
        self.out_features = 1280

    def forward(self, x):
        return torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1)


def _mobilenet_v2():
    net = MobileNetV2Backbone()
    return net, ["features.%d" % i for i in range(len(net.features))]


def npr_residual(x):
    """Neighbouring Pixel Relationships (Tan et al., CVPR 2024): the image minus its copy
    down-sampled by 2 and up-sampled back with nearest-neighbour interpolation. Nearest
    down-sampling keeps the pixel at (2i, 2j) of every 2×2 cell and up-sampling repeats it over
    the cell, so the residual is each pixel's difference from its cell's top-left neighbour:
    zero there, and elsewhere the local correlation that a generator's up-sampling layers
    (transposed or nearest convolutions) leave behind. Odd trailing rows/columns compare with
    the cell they would start. Exported to ONNX as a Slice and a nearest Resize."""
    down = x[:, :, ::2, ::2]
    up = F.interpolate(down, scale_factor=2.0, mode="nearest")
    return x - up[:, :, : x.shape[2], : x.shape[3]]


class _BasicBlock(nn.Module):
    """The two-convolution residual block of He et al. 2016 (ResNet-18/34)."""

    def __init__(self, in_ch, out_ch, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.shortcut = None
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False), nn.BatchNorm2d(out_ch))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.shortcut is None else self.shortcut(x)), inplace=True)


class NprResNet(nn.Module):
    """The NPR detector's network, written from the paper (Tan et al., "Rethinking the
    Up-Sampling Operations in CNN-based Generative Network for Generalizable Deepfake
    Detection", CVPR 2024): the NPR residual fed to a ResNet truncated after its second stage
    (stem, layer1, layer2, global pooling, one linear layer), trained from scratch. The paper
    truncates a ResNet-50; here the stages are ResNet-18's basic blocks (64 and 128 channels,
    0.68 M parameters instead of 1.44 M), sized for CPU training, and the stem is one 3×3
    stride-2 convolution without max-pooling, so the first layer still sees every residual."""

    def __init__(self, widths=(64, 128), blocks_per_stage=2):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        stages = []
        in_ch = widths[0]
        for i, width in enumerate(widths):
            blocks = [_BasicBlock(in_ch, width, 1 if i == 0 else 2)]
            blocks += [_BasicBlock(width, width, 1) for _ in range(blocks_per_stage - 1)]
            stages.append(nn.Sequential(*blocks))
            in_ch = width
        self.layer1, self.layer2 = stages
        self.out_features = in_ch

    def forward(self, x):
        x = self.stem(npr_residual(x))
        x = self.layer2(self.layer1(x))
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


def _npr():
    return NprResNet(), ["stem", "layer1", "layer2"]


def _small_cnn():
    net = SmallCnn()
    return net, net.block_names()


register_arch("small_cnn", Arch(_small_cnn, 128))
register_arch("resnet18", Arch(lambda: _resnet("resnet18"), 224))
register_arch("resnet50", Arch(lambda: _resnet("resnet50"), 224))
register_arch("mobilenet_v2", Arch(_mobilenet_v2, 224, normalization="half", classifier_prefixes=("classifier.",),
                                   reference="MobileNetV2 (Sandler et al., CVPR 2018)"))
register_arch("npr_resnet", Arch(_npr, 64, normalization="half",
                                 reference="NPR (Tan et al., CVPR 2024), written from the paper"))


class DetectorNet(nn.Module):
    def __init__(self, arch):
        super().__init__()
        self.arch = arch
        self.backbone, self.blocks = arch_spec(arch).build()
        self.feature_dim = self.backbone.out_features
        self.head = nn.Linear(self.feature_dim, 1)

    def forward(self, x):
        """Returns (logits [N], features [N, D])."""
        features = self.backbone(x)
        return self.head(features).squeeze(1), features

    def _block_modules(self, name):
        if name == "stem" and self.arch in ("resnet18", "resnet50"):
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


def configure_trainable(net, mode, last_n, freeze_batch_norm=False):
    """Freezes what the mode leaves out. Returns the modules that must stay in eval mode while
    training: frozen blocks, and with ``freeze_batch_norm`` every BatchNorm layer, which then
    keeps its (pretrained) running statistics while its scale and shift still learn: with the
    small batches a CPU affords, batch statistics are too noisy to replace ImageNet's."""
    for p in net.parameters():
        p.requires_grad_(False)
    for module in net.trainable_modules(mode, last_n):
        for p in module.parameters():
            p.requires_grad_(True)
    frozen = net.frozen_modules(mode, last_n)
    if freeze_batch_norm:
        frozen = frozen + [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    return frozen


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
    prefixes = arch_spec(net.arch).classifier_prefixes
    state = {k: v for k, v in state.items() if not k.startswith(prefixes)}
    result = net.backbone.load_state_dict(state, strict=False)
    if result.missing_keys:
        raise ValueError(
            "%s does not fit the %s backbone: %d weights missing (first: %s)"
            % (path, net.arch, len(result.missing_keys), ", ".join(result.missing_keys[:3]))
        )
    return result.unexpected_keys
