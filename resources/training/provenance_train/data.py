"""Datasets and batch order.

Geometry follows the app's inference preprocessing (src/main/inference/preprocess.ts, mode
"center-crop"): no resizing ever, because resampling wipes out the high-frequency traces the
detectors rely on (Wang et al. 2020). Training takes random crops of the input size,
validation the centre crop; images smaller than the crop are padded with black, centred, as
torchvision's CenterCrop and the app do. The ELA variant computes the error-level image on the
full image (or on an 8-pixel-aligned window of it) before cropping, so its JPEG grid lines up
with the original's, as the app does.
"""
import math
import random

import numpy as np
import torch
from PIL import Image

from .augment import blur_jpeg, ela_image, load_rgb

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Training crops come from a window this much larger than the crop: augmenting (blur, JPEG)
# a whole 12-megapixel photo per sample would dominate the step time.
WINDOW_MARGIN = 32


def pad_to(img, width, height):
    """Black padding up to width x height, left/top getting the floor half (torchvision)."""
    w, h = img.size
    if w >= width and h >= height:
        return img
    canvas = Image.new("RGB", (max(w, width), max(h, height)), (0, 0, 0))
    canvas.paste(img, ((max(w, width) - w) // 2, (max(h, height) - h) // 2))
    return canvas


def center_crop(img, size):
    img = pad_to(img, size, size)
    w, h = img.size
    # Python's round() is round-half-even, like torchvision and preprocess.ts.
    left, top = int(round((w - size) / 2.0)), int(round((h - size) / 2.0))
    return img.crop((left, top, left + size, top + size))


def to_uint8(img):
    """HWC pixels → CHW uint8. Batches stay bytes until they reach the training device: a
    quarter of the memory to share between loader processes, pin and copy than float32."""
    return torch.from_numpy(np.asarray(img, dtype=np.uint8).copy()).permute(2, 0, 1)


class Normalizer:
    """uint8 batches → (x / 255 − mean) / std in float32 on the device, the same arithmetic
    as the app's preprocessing (src/main/inference/preprocess.ts). Works on [N,3,H,W] and on
    the [N,K,3,H,W] crop stacks of multi-crop validation."""

    def __init__(self, device, mean=IMAGENET_MEAN, std=IMAGENET_STD):
        self.device = device
        self.mean = torch.tensor(mean, dtype=torch.float32, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32, device=device).view(1, 3, 1, 1)

    def __call__(self, batch):
        x = batch.to(self.device, non_blocking=True).float().div_(255.0)
        if x.dim() == 5:
            return x.sub_(self.mean.unsqueeze(1)).div_(self.std.unsqueeze(1))
        return x.sub_(self.mean).div_(self.std)


def _round_half_up(x):
    # JavaScript's Math.round, which the app's grid uses.
    return int(math.floor(x + 0.5))


def supported_crop_count(n):
    k = int(round(math.sqrt(n)))
    return n in (1, 5, 10) or (n >= 1 and k * k == n)


def crop_windows(mode, count, canvas_w, canvas_h, size):
    """(x, y, mirror) crop windows on a padded canvas, exactly as cropWindows() in
    src/main/inference/preprocess.ts: the centre crop, FiveCrop/TenCrop, or a k×k grid spanning
    the image. Validation scores the crops the app will score."""
    max_x, max_y = canvas_w - size, canvas_h - size
    centre = (int(round(max_x / 2.0)), int(round(max_y / 2.0)), False)  # round half to even, like torchvision
    if mode != "multi-crop" or count == 1:
        return [centre]
    if count in (5, 10):
        five = [(0, 0, False), (max_x, 0, False), (0, max_y, False), (max_x, max_y, False), centre]
        return five if count == 5 else five + [(x, y, True) for x, y, _ in five]
    k = int(round(math.sqrt(count)))
    if k * k != count:
        raise ValueError("cropCount %d is not 1, 5, 10 or a square" % count)
    steps = lambda top: [_round_half_up(i * top / (k - 1)) for i in range(k)]  # noqa: E731
    return [(x, y, False) for y in steps(max_y) for x in steps(max_x)]


def sample_rng(seed, epoch, index):
    """Independent, reproducible randomness per (run seed, epoch, sample)."""
    return random.Random((seed * 1000003 + epoch) * 10000019 + index)


class ImageItems(torch.utils.data.Dataset):
    """Items {path, label} → (uint8 CHW crop, label 0./1.). ``train`` selects random crops
    with augmentation, keyed by (epoch, index) so that loader processes which live across
    epochs seed each sample right; otherwise the deterministic centre crop, keyed by index."""

    def __init__(self, items, size, train, ela=None, augment=None, seed=0):
        self.items = items
        self.size = size
        self.train = train
        self.ela = ela
        self.augment = augment
        self.seed = seed

    def __len__(self):
        return len(self.items)

    def _train_view(self, img, rng):
        size = self.size
        win = size + WINDOW_MARGIN
        w, h = img.size
        if w > win or h > win:
            # 8-aligned so an ELA of the window keeps the original JPEG grid.
            x0 = rng.randint(0, max(0, w - win) // 8) * 8 if w > win else 0
            y0 = rng.randint(0, max(0, h - win) // 8) * 8 if h > win else 0
            img = img.crop((x0, y0, x0 + min(win, w), y0 + min(win, h)))
        if self.augment:
            img = blur_jpeg(img, rng, self.augment["blur"], self.augment["jpeg"])
        if self.ela:
            img = ela_image(img, self.ela["quality"], self.ela["scale"])
        img = pad_to(img, size, size)
        w, h = img.size
        x, y = rng.randint(0, w - size), rng.randint(0, h - size)
        img = img.crop((x, y, x + size, y + size))
        if self.augment and self.augment.get("flip") and rng.random() < 0.5:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
        return img

    def __getitem__(self, key):
        epoch, index = key if isinstance(key, tuple) else (0, key)
        item = self.items[index]
        img = load_rgb(item["path"])
        if self.train:
            img = self._train_view(img, sample_rng(self.seed, epoch, index))
        else:
            if self.ela:
                img = ela_image(img, self.ela["quality"], self.ela["scale"])
            img = center_crop(img, self.size)
        return to_uint8(img), torch.tensor(1.0 if item["label"] == "fake" else 0.0)


class EvalItems(torch.utils.data.Dataset):
    """Items → (uint8 crops [K, 3, S, S], label): the crops the app's preprocessing takes for a
    manifest with this ``inference`` section (mode, cropCount), so validation scores, the
    calibrated threshold and the evaluation are those of the shipped model. ``perturb`` (a
    function on PIL images) degrades the image first, for robustness sweeps."""

    def __init__(self, items, size, inference, ela=None, perturb=None):
        self.items = items
        self.size = size
        self.mode = inference["mode"]
        self.count = inference["cropCount"]
        self.ela = ela
        self.perturb = perturb

    def __len__(self):
        return len(self.items)

    def __getitem__(self, key):
        index = key[1] if isinstance(key, tuple) else key
        item = self.items[index]
        img = load_rgb(item["path"])
        if self.perturb is not None:
            img = self.perturb(img)
        if self.ela:
            img = ela_image(img, self.ela["quality"], self.ela["scale"])
        img = pad_to(img, self.size, self.size)
        w, h = img.size
        crops = []
        for x, y, mirror in crop_windows(self.mode, self.count, w, h, self.size):
            crop = img.crop((x, y, x + self.size, y + self.size))
            if mirror:
                crop = crop.transpose(Image.FLIP_LEFT_RIGHT)
            crops.append(to_uint8(crop))
        return torch.stack(crops), torch.tensor(1.0 if item["label"] == "fake" else 0.0)


def steps_per_epoch(count, batch_size, max_steps=None):
    """Batches in one epoch. A last batch of one sample is dropped: BatchNorm cannot train on it."""
    steps = count // batch_size
    rest = count % batch_size
    if rest > 1 or (rest == 1 and steps == 0):
        steps += 1
    return min(steps, max_steps) if max_steps else steps


class EpochBatches(torch.utils.data.Sampler):
    """Batches of (epoch, index) keys in a seeded order per epoch. It runs in the main
    process, so ``set_epoch`` between epochs reaches loader processes that live across them;
    ``start_step`` lets a resumed epoch continue with the batches the interrupted one had not
    reached."""

    def __init__(self, count, batch_size, seed, max_steps=None):
        self.count = count
        self.batch_size = batch_size
        self.seed = seed
        self.steps = steps_per_epoch(count, batch_size, max_steps)
        self.set_epoch(0)

    def set_epoch(self, epoch, start_step=0):
        self.epoch = epoch
        self.start_step = start_step
        gen = torch.Generator()
        gen.manual_seed(self.seed * 7919 + epoch)
        self.order = torch.randperm(self.count, generator=gen).tolist()

    def __iter__(self):
        for step in range(self.start_step, self.steps):
            yield [(self.epoch, i) for i in self.order[step * self.batch_size:(step + 1) * self.batch_size]]

    def __len__(self):
        return max(0, self.steps - self.start_step)
