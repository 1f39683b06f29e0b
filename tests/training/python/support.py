"""Shared by the trainer's unit tests: the import path of the shipped trainer package and small
real images written with Pillow."""
import os
import random
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TRAINING = os.path.join(ROOT, "resources", "training")
if TRAINING not in sys.path:
    sys.path.insert(0, TRAINING)


def write_labelled_folder(folder, per_label=6, size=24, seed=1):
    """<folder>/real/*.png (smooth) and <folder>/fake/*.png (noisy): a task a CNN learns at once."""
    from PIL import Image

    rng = random.Random(seed)
    paths = []
    for label, noise in (("real", 2), ("fake", 80)):
        os.makedirs(os.path.join(folder, label), exist_ok=True)
        for i in range(per_label):
            img = Image.new("RGB", (size, size))
            base = rng.randint(60, 190)
            img.putdata([tuple(max(0, min(255, base + rng.randint(-noise, noise))) for _ in range(3))
                         for _ in range(size * size)])
            path = os.path.join(folder, label, "%s-%02d.png" % (label, i))
            img.save(path)
            paths.append(path)
    return paths
