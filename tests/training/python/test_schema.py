"""The job schema generated from the TypeScript contract, read by the trainer: rules, defaults
and messages come from it, and the validator knows every keyword it uses."""
import copy
import json
import os
import unittest

from .support import TRAINING  # noqa: F401  (sets the import path)
from provenance_train.schema import EVENTS_SCHEMA, JOB_SCHEMA, SchemaError, _check_keywords, load_schema, validate

MINIMAL = {"version": 1, "modelId": "m", "data": {"folder": "/data"}, "model": {"arch": "small_cnn"}}


class JobSchemaTest(unittest.TestCase):
    def test_generated_files_use_only_known_keywords(self):
        for name in (JOB_SCHEMA, EVENTS_SCHEMA):
            load_schema(name)  # raises SchemaError otherwise
        with self.assertRaises(SchemaError):
            _check_keywords({"type": "object", "properties": {"a": {"type": "string", "format": "uri"}}})

    def test_defaults_are_filled_from_the_schema(self):
        job, problems = validate(load_schema(JOB_SCHEMA), copy.deepcopy(MINIMAL))
        self.assertEqual(problems, [])
        self.assertEqual(job["epochs"], 10)
        self.assertEqual(job["data"]["valFraction"], 0.2)
        self.assertEqual(job["augment"], {"blur": {"p": 0.5, "sigma": [0, 3]}, "jpeg": {"p": 0.5, "quality": [30, 100]}, "flip": True})
        self.assertEqual(job["schedule"]["kind"], "none")
        self.assertIsNone(job["model"]["ela"])
        self.assertFalse(job["model"]["allowPickle"])
        # A section given in part keeps what was given and gets the rest.
        raw = dict(MINIMAL, augment={"blur": {"p": 0.1}}, model={"arch": "small_cnn", "ela": {}})
        job, problems = validate(load_schema(JOB_SCHEMA), raw)
        self.assertEqual(problems, [])
        self.assertEqual(job["augment"]["blur"], {"p": 0.1, "sigma": [0, 3]})
        self.assertEqual(job["model"]["ela"], {"quality": 90, "scale": 10})

    def test_every_problem_is_named_at_once(self):
        raw = dict(MINIMAL, epochs=0, epoch=3, model={"arch": "vgg16"}, data={"folder": "/d", "items": [{"path": "/a", "label": "x"}]},
                   augment={"jpeg": {"quality": [90, 30]}}, numWorkers=-1, modelId="Bad Id")
        _, problems = validate(load_schema(JOB_SCHEMA), raw)
        text = "; ".join(problems)
        self.assertIn('"epochs" must be an integer in 1..1000, got 0', text)
        self.assertIn('unknown field "epoch"', text)
        self.assertIn('"model.arch" must be one of "resnet50"', text)
        self.assertIn('"data.items[0].label" must be one of "real", "fake", got "x"', text)
        self.assertIn('"data" must have exactly one of "items", "folder"', text)
        self.assertIn('"augment.jpeg.quality" must be [min, max]', text)
        self.assertIn('"numWorkers"', text)
        self.assertIn('"modelId" must be a string matching', text)

    def test_validate_job_resolves_the_fields_that_depend_on_others(self):
        from provenance_train.job import JobError, validate_job

        job = validate_job(dict(MINIMAL, seed=7))
        self.assertEqual(job["model"]["inputSize"], 128)
        self.assertEqual(job["data"]["splitSeed"], 7)
        with self.assertRaises(JobError) as caught:
            validate_job(dict(MINIMAL, lastN=11))
        self.assertIn('"lastN" must be an integer in 1..10, got 11', str(caught.exception))
        self.assertEqual(validate_job(dict(MINIMAL, epochs=3.0))["epochs"], 3)
        self.assertIsInstance(validate_job(dict(MINIMAL, epochs=3.0))["epochs"], int)

    def test_the_schema_says_where_it_comes_from(self):
        with open(os.path.join(os.path.dirname(load_schema.__code__.co_filename), JOB_SCHEMA)) as f:
            schema = json.load(f)
        self.assertIn("GENERATED from src/contract/training.ts", schema["$comment"])


if __name__ == "__main__":
    unittest.main()
