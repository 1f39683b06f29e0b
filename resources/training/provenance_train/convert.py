"""Published detector checkpoints → this package's DetectorNet, for export or fine-tuning.

CNNDetection (Wang et al., "CNN-generated images are surprisingly easy to spot... for now",
CVPR 2020, github.com/PeterWang512/CNNDetection) saves ``{"model": state_dict, ...}`` (the
released blur_jpg_prob0.5.pth and blur_jpg_prob0.1.pth) where state_dict is a torchvision
ResNet-50 whose ``fc`` is Linear(2048, 1): one logit, sigmoid = probability of "fake". Weights
saved from nn.DataParallel carry a ``module.`` prefix. Its test protocol: no resize, centre
crop 224 (or the full image), ImageNet normalization.
"""
from .checkpoint import safe_load


def _unwrap(checkpoint):
    if isinstance(checkpoint, dict):
        for key in ("model", "state_dict", "model_state_dict"):
            if key in checkpoint and isinstance(checkpoint[key], dict):
                return checkpoint[key]
        return checkpoint
    raise ValueError("the checkpoint is not a state dict (got %s)" % type(checkpoint).__name__)


def _strip_prefix(state, prefix):
    if state and all(k.startswith(prefix) for k in state):
        return {k[len(prefix):]: v for k, v in state.items()}
    return state


def detector_state_from_checkpoint(checkpoint):
    """Any supported layout → DetectorNet keys (backbone.*, head.*). Returns (state, layout)."""
    state = _strip_prefix(_unwrap(checkpoint), "module.")
    if any(k.startswith("backbone.") for k in state) and "head.weight" in state:
        return state, "provenance"
    if "fc.weight" in state:
        fc = state["fc.weight"]
        if tuple(fc.shape)[0] != 1:
            raise ValueError(
                "fc.weight has shape %s: a CNNDetection checkpoint has a single-logit fc (1 x features)" % (tuple(fc.shape),)
            )
        out = {}
        for key, value in state.items():
            out[("head." + key[3:]) if key.startswith("fc.") else ("backbone." + key)] = value
        return out, "cnndetection"
    raise ValueError("unrecognised checkpoint layout (first keys: %s)" % ", ".join(list(state)[:5]))


def infer_resnet_arch(state):
    """resnet50 has bottleneck blocks (conv3) and a 2048-d embedding; resnet18 basic blocks."""
    if "head.weight" in state and state["head.weight"].shape[-1] == 2048 and any(".conv3." in k for k in state):
        return "resnet50"
    if "head.weight" in state and state["head.weight"].shape[-1] == 512:
        return "resnet18"
    if any(k.startswith("backbone.blocks.") for k in state):
        return "small_cnn"
    return None


def load_init_weights(net, path, allow_pickle=False):
    """Initialises a whole DetectorNet from a file in either layout; strict, so a checkpoint of
    another architecture fails here with the mismatching keys named."""
    checkpoint = safe_load(path, allow_pickle)
    state, layout = detector_state_from_checkpoint(checkpoint)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as err:
        detail = "; ".join(line.strip() for line in str(err).splitlines()[:3])
        raise ValueError("%s (%s layout) does not fit the %s network: %s" % (path, layout, net.arch, detail))
    return layout
