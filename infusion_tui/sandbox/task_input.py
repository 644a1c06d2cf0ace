"""Validation of task bodies for POST, PUT and PATCH.

What the sandbox decides where the contract is silent:
- Only ``title`` is required (POST and PUT). The spec text also names ``due_date``, but the
  PA connector creates tasks without one, so real Keap evidently accepts that.
- Types are checked strictly: ``priority``/``user_id`` integers (not bools, not strings),
  ``completed`` a boolean, ``due_date`` ISO 8601 with Z or an offset, ``remind_time`` one
  of Keap's allowed minutes, ``contact`` an object whose ``id`` is a known contact.
- Read-only fields (id, creation/modification/completion dates, url) and unknown fields
  are ignored, as Jackson would.
- ``null`` means "not supplied". So PATCH with ``{"due_date": null}`` changes nothing (the
  likely Java behaviour); to clear a field, PUT the task without it.
"""

from __future__ import annotations

import json

from .listing import ApiError
from .people import basic_contact
from .task_data import REMIND_MINUTES
from .timefmt import EXAMPLE, canonical

INT32 = 2**31 - 1
INT64 = 2**63 - 1


def _fail(name: str, expected: str, value) -> ApiError:
    return ApiError(400, f"Invalid value for '{name}': expected {expected}, got {value!r}")


def _int(name: str, value, bound: int = INT64) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not -bound - 1 <= value <= bound:
        raise _fail(name, "an integer", value)
    return value


def _str(name: str, value) -> str:
    if not isinstance(value, str):
        raise _fail(name, "a string", value)
    return value


def _bool(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise _fail(name, "true or false", value)
    return value


def _date(name: str, value) -> str:
    try:
        return canonical(value)
    except (ValueError, TypeError):
        raise _fail(name, f"an ISO 8601 date-time with Z or an offset, e.g. {EXAMPLE}", value) from None


def read_task_fields(body, contacts: dict[int, dict]) -> dict:
    """The supplied, non-null, writable fields of ``body``, normalized."""
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object (a Task)")
    out: dict = {}
    for name, value in body.items():
        if value is None:
            continue
        if name in ("title", "description", "type"):
            out[name] = _str(name, value)
        elif name in ("priority",):
            out[name] = _int(name, value, INT32)
        elif name in ("user_id", "funnel_id", "jgraph_id"):
            out[name] = _int(name, value)
        elif name == "completed":
            out[name] = _bool(name, value)
        elif name == "due_date":
            out[name] = _date(name, value)
        elif name == "remind_time":
            if _int(name, value, INT32) not in REMIND_MINUTES:
                raise _fail(name, f"one of {REMIND_MINUTES}", value)
            out[name] = value
        elif name == "contact":
            out[name] = _contact(value, contacts)
    if "title" in out and not out["title"].strip():
        raise ApiError(400, "Invalid value for 'title': it must not be empty")
    return out


def _contact(value, contacts: dict[int, dict]) -> dict:
    if not isinstance(value, dict) or "id" not in value:
        raise _fail("contact", 'an object with an "id"', value)
    contact_id = _int("contact.id", value["id"])
    if contact_id not in contacts:
        raise ApiError(400, f"Contact with id {contact_id} was not found")
    return basic_contact(contacts[contact_id])


def require_title(fields: dict) -> None:
    if "title" not in fields:
        raise ApiError(400, "Invalid task: 'title' is required")


async def json_body(request):
    """The parsed JSON body; 415 for a non-JSON content type, 400 for broken JSON."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and "json" not in content_type:
        raise ApiError(415, f"Content type '{content_type}' not supported; send application/json")
    raw = await request.body()
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Malformed JSON request body") from None
