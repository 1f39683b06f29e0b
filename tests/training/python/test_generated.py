"""The generated-image detector's pieces: NPR residual, crop windows as the app takes them,
the calibration rule, de-duplication, format normalisation and the recipe on a small shared
folder written here (the real ../shared is not needed)."""
import csv
import hashlib
import io
import json
import os
import random
import shutil
import tempfile
import unittest

from .support import TRAINING  # noqa: F401

import torch
from PIL import Image

from provenance_train.data import crop_windows
from provenance_train.metrics import threshold_at_fpr, threshold_metrics
from provenance_train.models import DetectorNet, npr_residual
from provenance_train.prep import generated
from provenance_train.prep.dedup import dhash64, min_distances, near_duplicates


def noise_image(size, seed, amplitude, base=128):
    rng = random.Random(seed)
    img = Image.new("RGB", size)
    img.putdata([tuple(max(0, min(255, base + rng.randint(-amplitude, amplitude))) for _ in range(3)) for _ in range(size[0] * size[1])])
    return img


def scene(seed, size=(96, 96)):
    from PIL import ImageDraw

    rng = random.Random(seed)
    img = Image.new("RGB", size, tuple(rng.randint(0, 255) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = rng.randint(0, size[0] - 10), rng.randint(0, size[1] - 10)
        draw.ellipse((x0, y0, x0 + rng.randint(10, 50), y0 + rng.randint(10, 50)), fill=tuple(rng.randint(0, 255) for _ in range(3)))
    return img


class NprTest(unittest.TestCase):
    def test_residual_is_the_difference_to_the_cells_top_left_pixel(self):
        x = torch.randn(2, 3, 6, 7)
        r = npr_residual(x)
        self.assertEqual(r.shape, x.shape)
        for i in range(6):
            for j in range(7):
                expected = x[:, :, i, j] - x[:, :, i - i % 2, j - j % 2]
                self.assertTrue(torch.allclose(r[:, :, i, j], expected), (i, j))

    def test_nearest_upsampled_images_have_no_residual(self):
        small = torch.randn(1, 3, 8, 8)
        upsampled = torch.nn.functional.interpolate(small, scale_factor=2, mode="nearest")
        self.assertEqual(float(npr_residual(upsampled).abs().max()), 0.0)

    def test_the_network_is_small_and_takes_any_even_crop(self):
        net = DetectorNet("npr_resnet")
        self.assertLess(sum(p.numel() for p in net.parameters()), 1_000_000)
        for size in (32, 64):
            logits, features = net(torch.randn(2, 3, size, size))
            self.assertEqual(tuple(logits.shape), (2,))
            self.assertEqual(tuple(features.shape), (2, 128))


class CropWindowTest(unittest.TestCase):
    def test_grid_windows_match_the_apps_cropWindows(self):
        # Expected values computed by src/main/inference/preprocess.ts cropWindows().
        self.assertEqual(crop_windows("multi-crop", 4, 512, 512, 32), [(0, 0, False), (480, 0, False), (0, 480, False), (480, 480, False)])
        self.assertEqual([w[0] for w in crop_windows("multi-crop", 16, 300, 300, 32)[:4]], [0, 89, 179, 268])
        self.assertEqual(crop_windows("center-crop", 1, 301, 300, 32), [(134, 134, False)])
        self.assertEqual(len(crop_windows("multi-crop", 10, 64, 64, 32)), 10)
        with self.assertRaises(ValueError):
            crop_windows("multi-crop", 7, 64, 64, 32)


class CalibrationTest(unittest.TestCase):
    def test_threshold_keeps_the_false_positive_rate_within_the_target(self):
        rng = random.Random(3)
        reals = [rng.random() * 0.7 for _ in range(200)]
        fakes = [0.3 + rng.random() * 0.7 for _ in range(100)]
        scores, labels = reals + fakes, [0.0] * 200 + [1.0] * 100
        for target in (0.01, 0.05, 0.2):
            t, m = threshold_at_fpr(scores, labels, target)
            self.assertLessEqual(m["fpr"], target)
            # The lowest such threshold: the next real below it would break the budget.
            below = max(s for s in reals if s < t)
            self.assertGreater(threshold_metrics(scores, labels, below)["fpr"], target)
            self.assertEqual(m, threshold_metrics(scores, labels, t))

    def test_metrics_follow_the_apps_definitions(self):
        m = threshold_metrics([0.9, 0.2, 0.6, 0.4], [1.0, 1.0, 0.0, 0.0], 0.5)
        self.assertEqual((m["tp"], m["fn"], m["fp"], m["tn"]), (1, 1, 1, 1))
        self.assertEqual((m["precision"], m["recall"], m["f1"], m["fpr"], m["fnr"]), (0.5, 0.5, 0.5, 0.5, 0.5))


class DedupTest(unittest.TestCase):
    def test_a_recompressed_copy_is_a_near_duplicate_and_another_picture_is_not(self):
        # Photographs have structure at the 9x8 thumbnail's scale: random shapes stand in for it.
        a, c = scene(1), scene(2)
        b = Image.open(io.BytesIO(generated.encode_jpeg(a, 70)))  # re-encoded at another quality
        ha, hb, hc = dhash64(a), dhash64(b), dhash64(c)
        self.assertLessEqual(int(min_distances([hb], [ha])[0]), 4)
        self.assertGreater(int(min_distances([hc], [ha])[0]), 10)
        items = [{"split": "train", "dhash": ha}, {"split": "test", "dhash": hb}, {"split": "test", "dhash": hc}]
        self.assertEqual(near_duplicates(items, 4), [items[1]])


class NormalisationTest(unittest.TestCase):
    def test_crops_stay_on_the_16_pixel_grid_and_never_resize(self):
        self.assertEqual(generated.crop_boxes(300, 300, 512), [(0, 0, 300, 300)])
        self.assertEqual(generated.crop_boxes(1200, 800, 512), [(336, 144, 848, 656)])
        two = generated.crop_boxes(1100, 600, 512, two=True)
        self.assertEqual(len(two), 2)
        for box in two:
            self.assertEqual((box[0] % 16, box[1] % 16, box[2] - box[0], box[3] - box[1]), (0, 0, 512, 512))


def write_shared(root, per_class=12):
    """A miniature shared folder: datasets/generated/gangen-began with smooth "real" and noisy,
    2x2-blocky "fake" PNGs, plus its SHA256SUMS."""
    folder = os.path.join(root, "datasets", "generated", "gangen-began")
    sums = []
    for label_dir, fake in (("0_real", False), ("1_fake", True)):
        os.makedirs(os.path.join(folder, label_dir))
        for i in range(per_class):
            if fake:  # nearest-neighbour up-sampled noise: what NPR looks for
                img = noise_image((24, 24), 100 + i, 70).resize((48, 48), Image.NEAREST)
            else:
                img = noise_image((48, 48), i, 6)
            path = os.path.join(folder, label_dir, "%s_%02d.png" % (label_dir, i))
            img.save(path)
            sums.append("%s  %s/%s" % (hashlib.sha256(open(path, "rb").read()).hexdigest(), label_dir, os.path.basename(path)))
    with open(os.path.join(folder, "SHA256SUMS"), "w") as f:
        f.write("\n".join(sums) + "\n")
    return root


class RecipeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="recipe-test-")
        write_shared(os.path.join(cls.dir, "shared"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def options(self, **extra):
        from provenance_train.schema import JOB_SCHEMA, load_schema, validate

        schema = load_schema(JOB_SCHEMA)["properties"]["data"]["properties"]["prepare"]
        options, problems = validate(schema, dict({"recipe": "generated", "sharedDir": os.path.join(self.dir, "shared"),
                                                   "sources": ["gangen-began"], "testFraction": 0.25, "valFraction": 0.25}, **extra))
        self.assertEqual(problems, [])
        return options

    def test_normalised_split_files_and_summary(self):
        out = os.path.join(self.dir, "prepared")
        os.makedirs(out)
        summary = generated.prepare(self.options(), out, lambda *a: None)
        with open(os.path.join(out, "items.csv"), newline="") as f:
            items = list(csv.DictReader(f))
        self.assertEqual(len(items), 24)
        self.assertEqual({it["split"] for it in items}, {"train", "val", "test"})
        for it in items:
            with Image.open(os.path.join(out, it["path"])) as img:
                self.assertEqual((img.format, img.size), ("JPEG", (48, 48)))  # both classes: same container, never resized
            self.assertEqual(it["quality"], "90")
            self.assertEqual(it["originFormat"], "PNG")
        for split, info in summary["splitFiles"].items():
            with open(os.path.join(out, info["file"]), "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), info["sha256"])
        self.assertEqual(summary["duplicates"]["exactDropped"], 0)
        # Container and size are identical for both classes after normalisation.
        self.assertIn("normalised", summary["leakage"])

    def test_a_duplicate_file_is_dropped_and_the_held_out_source_is_all_test(self):
        shared = os.path.join(self.dir, "shared")
        folder = os.path.join(shared, "datasets", "generated", "gangen-began", "0_real")
        shutil.copy(os.path.join(folder, "0_real_00.png"), os.path.join(folder, "0_real_99.png"))
        try:
            out = os.path.join(self.dir, "prepared-dup")
            os.makedirs(out)
            summary = generated.prepare(self.options(holdOut="gangen-began"), out, lambda *a: None)
        finally:
            os.remove(os.path.join(folder, "0_real_99.png"))
        self.assertEqual(summary["duplicates"]["exactDropped"], 1)
        self.assertEqual(summary["total"]["test"], {"real": 12, "fake": 12})
        self.assertEqual(summary["total"]["train"], {"real": 0, "fake": 0})

    def test_autogan_reconstructions_are_training_fakes_in_their_photos_group(self):
        out = os.path.join(self.dir, "prepared-syn")
        os.makedirs(out)
        options = self.options(synthetic={"upsamplers": ["transposed"], "perUpsampler": 3, "steps": 3, "cropSize": 32, "batchSize": 2})
        summary = generated.prepare(options, out, lambda *a: None)
        with open(os.path.join(out, "items.csv"), newline="") as f:
            items = list(csv.DictReader(f))
        made = [it for it in items if it["source"] == "autogan-transposed"]
        self.assertEqual(len(made), 3)
        reals = {it["group"]: it for it in items if it["label"] == "real"}
        for it in made:
            self.assertEqual((it["label"], it["split"]), ("fake", "train"))
            self.assertIn(it["group"], reals)
            self.assertEqual(reals[it["group"]]["split"], "train")
        self.assertEqual(summary["synthetic"]["upsamplers"]["transposed"]["images"], 3)


if __name__ == "__main__":
    unittest.main()
