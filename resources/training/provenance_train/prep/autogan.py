"""AutoGAN-style synthetic fakes (Zhang, Karaman and Chang, "Detecting and Simulating Artifacts in
GAN Fake Images", WIFS 2019): a small encoder-decoder with the up-sampling layers of common
generators, trained here to reconstruct real photographs. Its reconstructions are images no
generator made, yet they carry the traces generator up-sampling leaves (checkerboard patterns of
transposed convolutions, the 2×2 correlations of nearest-neighbour up-sampling, the smoothing
of bilinear up-sampling) — fakes without a GAN, in the content and format of the real class.

One auto-encoder per up-sampler: conv 3×3 → two stride-2 convs → two residual blocks → two ×2
up-sampling stages of the chosen kind → conv 3×3 (tanh), 12/24/48 channels (the CycleGAN
generator's layout, narrowed for a CPU budget), on [-1, 1] pixels, L1 loss, Adam, random crops of
the real TRAINING photos. The paper also trains with an adversarial loss; plain L1 is
kept here (CPU budget), which makes reconstructions slightly smoother than the originals —
the Blur augmentation, applied to both classes, keeps that from being a shortcut.
"""
import io
import os
import random

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from PIL import Image

from ..augment import load_rgb

RECON_SIZE = 128


class _Res(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.a = nn.Conv2d(ch, ch, 3, padding=1, padding_mode="reflect")
        self.b = nn.Conv2d(ch, ch, 3, padding=1, padding_mode="reflect")

    def forward(self, x):
        return x + self.b(F.relu(self.a(x)))


def _up(kind, cin, cout):
    if kind == "transposed":  # DCGAN / CycleGAN / pix2pix decoders
        return nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1)
    if kind == "nearest":  # StyleGAN-era "resize-convolution"
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, cout, 3, padding=1, padding_mode="reflect"))
    if kind == "bilinear":
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), nn.Conv2d(cin, cout, 3, padding=1, padding_mode="reflect"))
    raise ValueError("unknown up-sampler %r" % kind)


class AutoEncoder(nn.Module):
    def __init__(self, kind, widths=(12, 24, 48)):
        super().__init__()
        a, b, c = widths
        self.encode = nn.Sequential(
            nn.Conv2d(3, a, 3, padding=1, padding_mode="reflect"), nn.ReLU(inplace=True),
            nn.Conv2d(a, b, 3, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(b, c, 3, stride=2, padding=1), nn.ReLU(inplace=True),
            _Res(c), _Res(c))
        self.decode = nn.Sequential(
            _up(kind, c, b), nn.ReLU(inplace=True),
            _up(kind, b, a), nn.ReLU(inplace=True),
            nn.Conv2d(a, 3, 3, padding=1, padding_mode="reflect"), nn.Tanh())

    def forward(self, x):
        return self.decode(self.encode(x))


def _to_tensor(img):
    return torch.from_numpy(np.asarray(img, dtype=np.float32) / 127.5 - 1.0).permute(2, 0, 1)


def _to_image(t):
    arr = ((t.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
    return Image.fromarray(arr, "RGB")


def reconstruct(net, img):
    """The auto-encoder's reconstruction of a whole image (padded by reflection to a multiple of 4)."""
    w, h = img.size
    x = _to_tensor(img).unsqueeze(0)
    pw, ph = (-w) % 4, (-h) % 4
    if pw or ph:
        x = F.pad(x, (0, pw, 0, ph), mode="reflect")
    with torch.no_grad():
        y = net(x)[0, :, :h, :w]
    return _to_image(y)


def train_autoencoder(kind, images, options, seed, progress):
    rng = random.Random("%d:%s" % (seed, kind))
    torch.manual_seed(rng.randrange(2 ** 31))
    syn = options["synthetic"]
    size, batch, steps = syn["cropSize"], syn["batchSize"], syn["steps"]
    net = AutoEncoder(kind)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    usable = [im for im in images if min(im.size) >= size]
    if not usable:
        raise ValueError("no real training image is at least %d px for the auto-encoders" % size)
    loss_value = None
    for step in range(steps):
        crops = []
        for _ in range(batch):
            im = usable[rng.randrange(len(usable))]
            x0, y0 = rng.randint(0, im.size[0] - size), rng.randint(0, im.size[1] - size)
            crop = im.crop((x0, y0, x0 + size, y0 + size))
            if rng.random() < 0.5:
                crop = crop.transpose(Image.FLIP_LEFT_RIGHT)
            crops.append(_to_tensor(crop))
        x = torch.stack(crops)
        loss = F.l1_loss(net(x), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        loss_value = float(loss)
        if step % 50 == 0 or step == steps - 1:
            progress("autogan-train", step + 1, steps, "%s auto-encoder: step %d/%d, L1 %.4f" % (kind, step + 1, steps, loss_value))
    return net.eval(), loss_value


def synthesise(train_reals, out_dir, options, progress):
    """Trains one auto-encoder per up-sampler on the real training images and reconstructs
    ``perUpsampler`` of them each. Returns (fake items, summary)."""
    from .generated import encode_jpeg, _sha256_bytes  # same format normalisation as every image
    from .dedup import dhash64
    from .leakage import jpeg_quality_estimate

    syn = options["synthetic"]
    seed = options["seed"]
    pool = sorted(train_reals, key=lambda it: it["path"])
    images = [load_rgb(os.path.join(out_dir, it["path"])) for it in pool]
    made, summary = [], {"upsamplers": {}, "trainedOn": len(pool), "loss": "L1", "architecture": AutoEncoder.__doc__ or "see autogan.py"}
    torch.set_num_threads(max(1, torch.get_num_threads()))
    for kind in syn["upsamplers"]:
        net, final_loss = train_autoencoder(kind, images, options, seed, progress)
        chosen = random.Random("%d:%s:pick" % (seed, kind)).sample(range(len(pool)), min(syn["perUpsampler"], len(pool)))
        for n, i in enumerate(sorted(chosen)):
            real = pool[i]
            # The centred RECON_SIZE crop (16-px grid) is reconstructed, not the whole photo:
            # training only ever looks at small random crops, and it keeps synthesis cheap.
            img = images[i]
            x0 = max(0, (img.size[0] - RECON_SIZE) // 2) // 16 * 16
            y0 = max(0, (img.size[1] - RECON_SIZE) // 2) // 16 * 16
            window = img.crop((x0, y0, min(img.size[0], x0 + RECON_SIZE), min(img.size[1], y0 + RECON_SIZE)))
            data = encode_jpeg(reconstruct(net, window), options["jpegQuality"])
            rel = "images/autogan-%s/fake/%s" % (kind, os.path.basename(real["path"]))
            path = os.path.join(out_dir, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            with Image.open(io.BytesIO(data)) as written:
                dh, quality = dhash64(written), jpeg_quality_estimate(written)
            made.append(dict(real, path=rel, label="fake", source="autogan-%s" % kind, generator="autogan-%s" % kind, split="train",
                             sha256=_sha256_bytes(data), bytes=len(data), dhash=dh, quality=quality, pixels="",
                             origin="synthetic from %s" % real["origin"]))
            if n % 25 == 0:
                progress("autogan-reconstruct", n + 1, len(chosen), "%s: reconstructed %d of %d" % (kind, n + 1, len(chosen)))
        summary["upsamplers"][kind] = {"images": len(chosen), "finalL1": final_loss, "steps": syn["steps"]}
    return made, summary
