"""The JSON Schemas generated from the app's TypeScript contract (src/contract/training.ts, written
by ``npm run schema:training``) and a small validator for them.

The schemas are the one definition of the training job (its rules AND its defaults) and of the
events this package writes; nothing here restates a rule. The validator implements exactly the
JSON Schema keywords the generator produces, plus two the contract adds for rules JSON Schema
cannot express (``x-exactlyOne``, ``x-ordered``); a schema using any other keyword is refused
when loaded, so a change of generator cannot be silently half-checked. No third-party package:
the trainer must run with a bare ``torch`` install.
"""
import copy
import json
import math
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
JOB_SCHEMA = "job.schema.json"
EVENTS_SCHEMA = "events.schema.json"

ANNOTATIONS = {"$schema", "$comment", "title", "description", "x-protocol", "default"}
ASSERTIONS = {
    "type", "const", "enum", "properties", "required", "additionalProperties", "propertyNames", "items",
    "prefixItems", "minItems", "maxItems", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minLength", "maxLength", "pattern", "anyOf", "oneOf", "x-exactlyOne", "x-ordered",
}


class SchemaError(Exception):
    """The schema file itself is unusable (missing, or a keyword this validator does not know)."""


def _check_keywords(schema, where="#"):
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise SchemaError("%s: a schema must be an object or a boolean" % where)
    unknown = set(schema) - ANNOTATIONS - ASSERTIONS
    if unknown:
        raise SchemaError("%s uses JSON Schema keywords this validator does not implement: %s"
                          % (where, ", ".join(sorted(unknown))))
    for key, sub in (schema.get("properties") or {}).items():
        _check_keywords(sub, "%s/properties/%s" % (where, key))
    for key in ("additionalProperties", "propertyNames", "items"):
        if key in schema:
            _check_keywords(schema[key], "%s/%s" % (where, key))
    for key in ("prefixItems", "anyOf", "oneOf"):
        for i, sub in enumerate(schema.get(key) or []):
            _check_keywords(sub, "%s/%s/%d" % (where, key, i))


_cache = {}


def load_schema(name):
    """A generated schema from this folder, checked to use only keywords validate() knows."""
    if name not in _cache:
        path = os.path.join(HERE, name)
        try:
            with open(path, "r", encoding="utf-8") as f:
                schema = json.load(f)
        except (OSError, ValueError) as err:
            raise SchemaError("cannot read %s (%s); reinstall the app's training scripts" % (path, err))
        _check_keywords(schema)
        _cache[name] = schema
    return _cache[name]


def _fmt(n):
    if isinstance(n, float) and n.is_integer() and abs(n) < 1e15:
        n = int(n)
    return str(n)


def _is_type(value, kind):
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if kind == "integer":
        return float(value).is_integer()
    return kind == "number"


def describe(schema):
    """What a value must be, as the end of a sentence: "an integer in 1..1000"."""
    if schema is True:
        return "anything"
    if schema is False:
        return "absent"
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return "one of " + ", ".join(json.dumps(v) for v in schema["enum"])
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        return " or ".join(describe(b) for b in branches)
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return " or ".join(describe(dict(schema, type=k)) for k in kinds)
    if kinds in ("number", "integer"):
        text = "an integer" if kinds == "integer" else "a number"
        lo = schema.get("minimum")
        hi = schema.get("maximum")
        if "exclusiveMinimum" in schema:
            text += " > %s" % _fmt(schema["exclusiveMinimum"])
            if hi is not None:
                text += " and <= %s" % _fmt(hi)
        elif lo is not None and hi is not None:
            text += " in %s..%s" % (_fmt(lo), _fmt(hi))
        elif lo is not None:
            text += " >= %s" % _fmt(lo)
        elif hi is not None:
            text += " <= %s" % _fmt(hi)
        return text
    if kinds == "boolean":
        return "true or false"
    if kinds == "null":
        return "null"
    if kinds == "string":
        text = "a string"
        if schema.get("minLength"):
            text = "a non-empty string"
        if "pattern" in schema:
            text += " matching %s" % schema["pattern"]
        return text
    if kinds == "array":
        if "prefixItems" in schema:
            if schema.get("x-ordered"):
                parts = schema["prefixItems"]
                return "[min, max], each %s, with min <= max" % describe(parts[0])
            return "an array of %d items" % len(schema["prefixItems"])
        return "an array"
    if kinds == "object":
        return "an object"
    return "valid"


class Validator:
    """Collects every problem in one pass (a hand-written job can be fixed at once) and, with
    ``fill_defaults``, returns a copy of the value with the schema's defaults filled in."""

    def __init__(self, fill_defaults=True):
        self.fill_defaults = fill_defaults
        self.problems = []

    def fail(self, path, schema, value, missing=False):
        got = "it is missing" if missing else "got %s" % json.dumps(value)
        self.problems.append('"%s" must be %s, %s' % (path or "(top level)", describe(schema), got))

    def validate(self, schema, value, path=""):
        if schema is True:
            return value
        if schema is False:
            self.problems.append('"%s" is not allowed' % path)
            return value
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self._branches(schema, key, value, path)
        kinds = schema.get("type")
        if kinds is not None:
            kinds_list = kinds if isinstance(kinds, list) else [kinds]
            if not any(_is_type(value, k) for k in kinds_list):
                self.fail(path, schema, value)
                return value
        if "const" in schema and not _same(value, schema["const"]):
            self.fail(path, schema, value)
            return value
        if "enum" in schema and not any(_same(value, v) for v in schema["enum"]):
            self.fail(path, schema, value)
            return value
        if isinstance(value, dict):
            return self._object(schema, value, path)
        if isinstance(value, list):
            return self._array(schema, value, path)
        if isinstance(value, str):
            too_short = "minLength" in schema and len(value) < schema["minLength"]
            too_long = "maxLength" in schema and len(value) > schema["maxLength"]
            bad = "pattern" in schema and re.search(schema["pattern"], value) is None
            if too_long:
                self.problems.append('"%s" must be at most %d characters long, got %d' % (path, schema["maxLength"], len(value)))
            elif too_short or bad:
                self.fail(path, schema, value)
            return value
        if _is_type(value, "number"):
            ok = ("minimum" not in schema or value >= schema["minimum"]) and \
                 ("maximum" not in schema or value <= schema["maximum"]) and \
                 ("exclusiveMinimum" not in schema or value > schema["exclusiveMinimum"]) and \
                 ("exclusiveMaximum" not in schema or value < schema["exclusiveMaximum"])
            if not ok:
                self.fail(path, schema, value)
            elif schema.get("type") == "integer" and isinstance(value, float):
                return int(value)  # 3.0 in a hand-written job: range(3.0) would fail later
        return value

    def _branches(self, schema, key, value, path):
        results = []
        for branch in schema[key]:
            sub = Validator(self.fill_defaults)
            out = sub.validate(branch, copy.deepcopy(value), path)
            results.append((branch, sub.problems, out))
        matching = [r for r in results if not r[1]]
        if matching:
            return matching[0][2]
        # A discriminated union (the trainer events): report the problems of the branch whose
        # "type" constant matches, not a list of every alternative.
        if isinstance(value, dict):
            for branch, problems, _out in results:
                tag = ((branch.get("properties") or {}).get("type") or {}).get("const")
                if tag is not None and value.get("type") == tag:
                    self.problems.extend(problems)
                    return value
        # Otherwise the one alternative of the value's JSON type, when there is one ({...} given
        # where "null or {...}" is allowed: what is wrong inside the object).
        same_type = [r for r in results if _accepts_type(r[0], value)]
        if len(same_type) == 1 and (same_type[0][0].get("properties") or same_type[0][0].get("prefixItems")):
            self.problems.extend(same_type[0][1])
            return value
        simple = all(not (b.get("properties") or b.get("prefixItems")) for b, _p, _o in results)
        if simple:
            self.fail(path, schema, value)
        else:
            self.problems.extend(min((r[1] for r in results), key=len))
        return value

    def _object(self, schema, value, path):
        out = dict(value)
        props = schema.get("properties", {})
        prefix = path + "." if path else ""
        extra = schema.get("additionalProperties", True)
        names = schema.get("propertyNames")
        for key in value:
            if names is not None:
                sub = Validator(False)
                sub.validate(names, key, prefix + key)
                if sub.problems:
                    self.problems.append('"%s" is not an allowed name (%s)' % (prefix + key, describe(names)))
            if key not in props:
                if extra is False:
                    self.problems.append('unknown field "%s"' % (prefix + key))
                elif isinstance(extra, dict):
                    out[key] = self.validate(extra, value[key], prefix + key)
        for key, sub_schema in props.items():
            if key in value:
                out[key] = self.validate(sub_schema, value[key], prefix + key)
            elif self.fill_defaults and isinstance(sub_schema, dict) and "default" in sub_schema:
                out[key] = self.validate(sub_schema, copy.deepcopy(sub_schema["default"]), prefix + key)
            elif key in schema.get("required", ()):
                self.fail(prefix + key, sub_schema, None, missing=True)
        exactly = schema.get("x-exactlyOne")
        if exactly:
            present = [k for k in exactly if value.get(k) is not None]
            if len(present) != 1:
                self.problems.append('"%s" must have exactly one of %s, got %s' % (
                    path or "(top level)", ", ".join('"%s"' % k for k in exactly),
                    "none" if not present else " and ".join('"%s"' % k for k in present)))
        return out

    def _array(self, schema, value, path):
        out = list(value)
        if "minItems" in schema and len(value) < schema["minItems"] or "maxItems" in schema and len(value) > schema["maxItems"]:
            self.fail(path, schema, value)
            return out
        prefix_items = schema.get("prefixItems", [])
        before = len(self.problems)
        for i, item in enumerate(value):
            where = "%s[%d]" % (path, i)
            if i < len(prefix_items):
                out[i] = self.validate(prefix_items[i], item, where)
            elif "items" in schema:
                out[i] = self.validate(schema["items"], item, where)
        if schema.get("x-ordered") and len(self.problems) == before and len(value) == 2 and value[0] > value[1]:
            self.fail(path, schema, value)
        return out


def _accepts_type(schema, value):
    kinds = schema.get("type") if isinstance(schema, dict) else None
    if kinds is None:
        return False
    return any(_is_type(value, k) for k in (kinds if isinstance(kinds, list) else [kinds]))


def _same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def validate(schema, value, fill_defaults=True):
    """(value with defaults filled in, [problems])."""
    v = Validator(fill_defaults)
    out = v.validate(schema, value)
    return out, v.problems
