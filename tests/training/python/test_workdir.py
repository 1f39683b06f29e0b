"""Work folders are confined to the app's training folder, symbolic links resolved."""
import os
import shutil
import tempfile
import unittest

from .support import TRAINING  # noqa: F401
from provenance_train.workdir import WorkdirError, confine


class WorkdirTest(unittest.TestCase):
    def setUp(self):
        self.base = tempfile.mkdtemp(prefix="workdir-test-")
        self.root = os.path.join(self.base, "training-runs")
        os.makedirs(self.root)

    def tearDown(self):
        shutil.rmtree(self.base, ignore_errors=True)

    def test_inside_is_accepted(self):
        self.assertEqual(confine(os.path.join(self.root, "run-1"), self.root), os.path.join(os.path.realpath(self.root), "run-1"))
        self.assertEqual(confine("run-2", self.root), os.path.join(os.path.realpath(self.root), "run-2"))

    def test_outside_the_root_itself_and_climbing_out_are_refused(self):
        for workdir in (os.path.join(self.base, "elsewhere"), self.root, os.path.join(self.root, "..", "x"), "/tmp"):
            with self.assertRaises(WorkdirError, msg=workdir):
                confine(workdir, self.root)

    def test_a_link_inside_the_root_pointing_out_is_refused(self):
        outside = os.path.join(self.base, "outside")
        os.makedirs(outside)
        os.symlink(outside, os.path.join(self.root, "link"))
        with self.assertRaises(WorkdirError) as caught:
            confine(os.path.join(self.root, "link", "run"), self.root)
        self.assertIn("really", str(caught.exception))

    def test_a_missing_root_is_refused(self):
        with self.assertRaises(WorkdirError):
            confine(os.path.join(self.base, "nope", "run"), os.path.join(self.base, "nope"))


if __name__ == "__main__":
    unittest.main()
