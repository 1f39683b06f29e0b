"""Checkpoints load tensors only: a pickle planted in a work folder is refused and never runs."""
import json
import os
import random
import shutil
import tempfile
import unittest

from .support import TRAINING  # noqa: F401

import torch
from torch import nn

from provenance_train import checkpoint as ckpt


class Evil:
    """Unpickling this runs a shell command that leaves a marker file behind."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ("touch %s" % self.marker,))


def small_run():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.LazyLinear(1))
    net(torch.zeros(2, 3, 8, 8))
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=1)
    scaler = torch.cuda.amp.GradScaler(enabled=False)
    for _ in range(2):
        optimizer.zero_grad()
        net(torch.randn(2, 3, 8, 8)).sum().backward()
        optimizer.step()
    scheduler.step(0.5)
    return net, optimizer, scheduler, scaler


PROGRESS = {"epoch": 1, "step": 3, "history": [{"valLoss": 0.5, "lr": {"head": 1e-3}}], "best": float("inf")}


class CheckpointTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ckpt-test-")
        self.marker = os.path.join(self.dir, "PWNED")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def save(self):
        net, optimizer, scheduler, scaler = small_run()
        random.seed(5)
        ckpt.save_checkpoint(self.dir, "job", "data", PROGRESS, net, optimizer, scheduler, scaler)
        return net, optimizer, scheduler

    def test_round_trip_restores_weights_optimiser_scheduler_and_random_state(self):
        net, optimizer, scheduler = self.save()
        expected_python = random.random()
        expected_torch = torch.rand(3)
        random.seed(99)
        torch.manual_seed(99)
        state = ckpt.load_checkpoint(self.dir, "job", "data")
        for key, value in net.state_dict().items():
            self.assertTrue(torch.equal(state["model"][key], value), key)
        net2, optimizer2, scheduler2, _ = small_run()
        optimizer2.load_state_dict(state["optimizer"])
        scheduler2.load_state_dict(state["scheduler"])
        self.assertEqual(optimizer2.state_dict()["param_groups"], optimizer.state_dict()["param_groups"])
        for index, entries in optimizer.state_dict()["state"].items():
            for key, value in entries.items():
                self.assertTrue(torch.equal(optimizer2.state_dict()["state"][index][key], value))
        self.assertEqual(scheduler2.state_dict(), scheduler.state_dict())
        self.assertEqual(state["progress"]["best"], float("inf"))
        ckpt.restore_rng(*state["rng"])
        self.assertEqual(random.random(), expected_python)
        self.assertTrue(torch.equal(torch.rand(3), expected_torch))
        sidecar = json.load(open(os.path.join(self.dir, "checkpoint.json")))
        self.assertEqual(sidecar["format"], ckpt.FORMAT)
        self.assertEqual(sidecar["meta"]["jobHash"], "job")

    def plant(self, path):
        torch.save({"model.weight": torch.zeros(1), "payload": Evil(self.marker)}, path)

    def test_a_planted_pickle_is_refused_and_never_executed(self):
        self.save()
        sidecar_path = os.path.join(self.dir, "checkpoint.json")
        sidecar = json.load(open(sidecar_path))
        target = os.path.join(self.dir, sidecar["file"])
        self.plant(target)
        # The attacker controls the whole folder: the sidecar's SHA-256 is made to match.
        sidecar["sha256"] = ckpt.sha256_file(target)
        json.dump(sidecar, open(sidecar_path, "w"))
        # Plain torch.load would run it (proving the payload is live) ...
        shutil.copy(target, os.path.join(self.dir, "copy.pt"))
        with self.assertRaises(ckpt.CheckpointError) as caught:
            ckpt.load_checkpoint(self.dir, "job", "data")
        self.assertIn("was NOT loaded", str(caught.exception))
        self.assertFalse(os.path.exists(self.marker), "the pickled command ran")
        torch.load(os.path.join(self.dir, "copy.pt"), weights_only=False)
        self.assertTrue(os.path.exists(self.marker), "control: the payload does run when unpickled")

    def test_a_legacy_or_bare_checkpoint_pt_is_never_loaded(self):
        self.plant(os.path.join(self.dir, "checkpoint.pt"))
        with self.assertRaises(ckpt.CheckpointError) as caught:
            ckpt.load_checkpoint(self.dir, "job", "data")
        self.assertIn("older trainer as a pickle", str(caught.exception))
        self.assertFalse(os.path.exists(self.marker))

    def test_the_sidecar_is_checked_before_the_tensor_file_is_opened(self):
        self.save()
        sidecar_path = os.path.join(self.dir, "checkpoint.json")
        sidecar = json.load(open(sidecar_path))
        self.plant(os.path.join(self.dir, sidecar["file"]))
        with self.assertRaises(ckpt.CheckpointError) as caught:
            ckpt.load_checkpoint(self.dir, "other-job", "data")
        self.assertIn("belongs to a different job", str(caught.exception))
        with self.assertRaises(ckpt.CheckpointError) as caught:
            ckpt.load_checkpoint(self.dir, "job", "data")
        self.assertIn("changed or replaced", str(caught.exception))  # SHA-256 no longer matches
        for bad in ("../elsewhere.pt", "/tmp/x.pt", "checkpoint-2.pt", "best-0.pt"):
            json.dump(dict(sidecar, file=bad), open(sidecar_path, "w"))
            with self.assertRaises(ckpt.CheckpointError) as caught:
                ckpt.load_checkpoint(self.dir, "job", "data")
            self.assertIn("unexpected tensor file", str(caught.exception))
        json.dump(dict(sidecar, format=1), open(sidecar_path, "w"))
        with self.assertRaises(ckpt.CheckpointError):
            ckpt.load_checkpoint(self.dir, "job", "data")
        self.assertFalse(os.path.exists(self.marker))

    def test_saves_alternate_slots_so_the_previous_checkpoint_survives_a_crash(self):
        net, optimizer, scheduler, scaler = small_run()
        first = ckpt.save_checkpoint(self.dir, "job", "data", PROGRESS, net, optimizer, scheduler, scaler)
        name1 = json.load(open(first))["file"]
        ckpt.save_checkpoint(self.dir, "job", "data", dict(PROGRESS, epoch=2), net, optimizer, scheduler, scaler)
        name2 = json.load(open(first))["file"]
        self.assertNotEqual(name1, name2)
        self.assertTrue(os.path.exists(os.path.join(self.dir, name1)))
        # A crash after the new tensor file but before the sidecar: the sidecar still names the
        # old, intact slot.
        with open(os.path.join(self.dir, name1), "wb") as f:
            f.write(b"half-written")
        self.assertEqual(ckpt.load_checkpoint(self.dir, "job", "data")["progress"]["epoch"], 2)

    def test_weights_from_elsewhere_load_tensors_only_unless_allowed(self):
        path = os.path.join(self.dir, "weights.pth")
        self.plant(path)
        with self.assertRaises(ValueError) as caught:
            ckpt.safe_load(path)
        self.assertIn("unpickling can run code", str(caught.exception))
        self.assertFalse(os.path.exists(self.marker))
        plain = os.path.join(self.dir, "plain.pth")
        ckpt.atomic_save({"w": torch.ones(2)}, plain)
        self.assertTrue(torch.equal(ckpt.safe_load(plain)["w"], torch.ones(2)))

    def test_this_torch_can_load_safely(self):
        self.assertIsNone(ckpt.safe_loading_problem())


if __name__ == "__main__":
    unittest.main()
