"""The official Keap REST v1 OpenAPI spec, as JSON Schemas for contract tests.

    from keap_spec import response_schema, request_schema, validate, undeclared_properties
    validate(body, response_schema("listTasksUsingGET"))          # raises on mismatch
    validate(draft_json, request_schema("createTaskUsingPOST"))

The spec (OpenAPI 3.0.1) inlines its schemas in ``paths``; a few ``$ref``s point into
``components``, so every schema returned carries the spec's ``components`` and resolves them.
OpenAPI-only keywords are converted (``nullable: true`` -> ``"null"`` allowed). Formats are
checked: ``date-time`` (RFC 3339, with an offset), ``int32`` and ``int64`` ranges.

The spec never forbids extra properties, so ``undeclared_properties`` lists keys a payload
has that the spec does not declare — for tests that want to catch invented fields
(documented gap: Task ``id`` is missing from the spec but returned by Keap).

The spec file is looked up in $KEAP_V1_SPEC, then ``tests/data/`` (a copy trimmed to the tasks and
orders paths, so CI checks the contract too), then ``<repo>/../shared/keap/``.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest

SPEC_NAME = "keap-rest-v1-openapi-2025-11-05.json"
REPO = Path(__file__).resolve().parents[1]
CANDIDATES = [REPO / "tests" / "data" / SPEC_NAME, REPO.parent / "shared" / "keap" / SPEC_NAME]


def spec_path() -> Path | None:
    env = os.environ.get("KEAP_V1_SPEC")
    for path in ([Path(env)] if env else []) + CANDIDATES:
        if path.is_file():
            return path
    return None


@functools.cache
def load_spec() -> dict:
    path = spec_path()
    if path is None:
        pytest.skip(f"Keap v1 OpenAPI spec not found (set KEAP_V1_SPEC to {SPEC_NAME})")
    return json.loads(path.read_text(encoding="utf-8"))


def operation(operation_id: str) -> dict:
    for ops in load_spec()["paths"].values():
        for op in ops.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return op
    raise KeyError(f"no operation {operation_id!r} in the v1 spec")


def _convert(node):
    """OpenAPI 3.0 schema -> JSON Schema (draft 4 semantics, which OpenAPI 3.0 follows)."""
    if isinstance(node, list):
        return [_convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _convert(v) for k, v in node.items() if k not in ("nullable", "example")}
    if node.get("nullable") is True and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def _with_components(schema: dict) -> dict:
    converted = _convert(copy.deepcopy(schema))
    converted["components"] = _convert(copy.deepcopy(load_spec().get("components", {})))
    return converted


def response_schema(operation_id: str, status: str = "200") -> dict:
    response = operation(operation_id)["responses"][str(status)]
    return _with_components(response["content"]["application/json"]["schema"])


def request_schema(operation_id: str) -> dict:
    body = operation(operation_id)["requestBody"]
    return _with_components(body["content"]["application/json"]["schema"])


FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    if "T" not in value.upper():
        raise ValueError("no 'T' between date and time")
    parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value[-1:] in "zZ" else value)
    if parsed.tzinfo is None:
        raise ValueError("no offset or Z")
    return True


@FORMATS.checks("int32")
def _int32(value) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


@FORMATS.checks("int64")
def _int64(value) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


def validate(instance, schema: dict) -> None:
    """Raise jsonschema.ValidationError (the most relevant one) if ``instance`` breaks it."""
    validator = jsonschema.Draft4Validator(schema, format_checker=FORMATS)
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


def undeclared_properties(instance, schema: dict, where: str = "$") -> list[str]:
    """Sorted JSON paths (``$.tasks[*].id``) of keys ``schema`` does not declare."""
    found: set[str] = set()
    if isinstance(instance, dict) and "properties" in schema:
        for key, value in instance.items():
            sub = schema["properties"].get(key)
            if sub is None:
                found.add(f"{where}.{key}")
            else:
                found.update(undeclared_properties(value, sub, f"{where}.{key}"))
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for item in instance:
            found.update(undeclared_properties(item, schema["items"], f"{where}[*]"))
    return sorted(found)
