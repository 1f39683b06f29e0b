"""Every line the trainer writes matches the event schema generated from the TypeScript contract,
and carries the protocol version the app expects."""
import io
import json
import os
import shutil
import tempfile
import unittest

from .support import TRAINING, write_labelled_folder  # noqa: F401

from provenance_train import PROTOCOL_VERSION, events
from provenance_train.schema import EVENTS_SCHEMA, load_schema, validate


class CapturedEvents:
    def __enter__(self):
        self.buffer = io.StringIO()
        self.saved = events._out
        events._out = self.buffer
        return self

    def __exit__(self, *exc):
        events._out = self.saved

    def lines(self):
        return [json.loads(line) for line in self.buffer.getvalue().splitlines()]


class EventsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="events-test-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def check(self, record):
        _, problems = validate(load_schema(EVENTS_SCHEMA), record, fill_defaults=False)
        self.assertEqual(problems, [], json.dumps(record)[:300])
        self.assertEqual(record["protocol"], PROTOCOL_VERSION)

    def test_a_whole_run_speaks_the_protocol(self):
        from provenance_train.job import validate_job
        from provenance_train.loop import Run
        from provenance_train.stop import StopFlag

        data = os.path.join(self.dir, "data")
        write_labelled_folder(data, per_label=6, size=20)
        job = validate_job({"version": 1, "modelId": "events-test", "data": {"folder": data, "valFraction": 0.34},
                            "model": {"arch": "small_cnn", "inputSize": 16}, "epochs": 2, "batchSize": 4,
                            "schedule": {"kind": "plateau"}, "earlyStopping": {"patience": 1}, "device": "cpu"})
        with CapturedEvents() as captured:
            status = Run(job, os.path.join(self.dir, "run"), False, StopFlag()).run()
        self.assertEqual(status, "done")
        records = captured.lines()
        kinds = [r["type"] for r in records]
        for kind in ("start", "data", "step", "epoch", "checkpoint", "export", "done"):
            self.assertIn(kind, kinds)
        for record in records:
            self.check(record)

    def test_the_schema_rejects_what_the_app_could_not_read(self):
        for bad in ({"type": "step", "protocol": PROTOCOL_VERSION, "epoch": "1"},
                    {"type": "nonsense", "protocol": PROTOCOL_VERSION},
                    {"type": "error", "protocol": PROTOCOL_VERSION + 1, "message": "x"}):
            _, problems = validate(load_schema(EVENTS_SCHEMA), bad, fill_defaults=False)
            self.assertNotEqual(problems, [], bad)
        with CapturedEvents() as captured:
            events.emit("error", code="X", message="non-finite values become null", extra=float("nan"))
        record = captured.lines()[0]
        self.assertIsNone(record["extra"])


if __name__ == "__main__":
    unittest.main()
