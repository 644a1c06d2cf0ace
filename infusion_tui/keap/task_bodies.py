"""Request bodies for changing a task, shaped so Keap's v1 spec accepts them.

Why not just PATCH `{"due_date": null}` to clear a field: the v1 Task schema declares no field
nullable, and Keap (like the sandbox, Jackson-style) reads null as "not supplied", so the clear
would be silently lost. Text fields are cleared with "" instead; a field that has no empty
value (a due date, a priority) can only be removed by replacing the task (PUT), which must
then carry every other writable field so nothing else is lost.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from infusion_tui.keap.models import Task, format_keap_datetime

TEXT_FIELDS = frozenset({"description", "type"})
# Writable Task fields a PUT must repeat (read-only ones: id, dates, url).
WRITABLE = ("title", "description", "type", "priority", "completed", "due_date", "remind_time",
            "user_id", "contact", "funnel_id", "jgraph_id")  # fmt: skip


def patch_body(changes: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready changes; a cleared text field becomes "" (a valid, empty string)."""
    body = {}
    for name, value in changes.items():
        if value is None and name in TEXT_FIELDS:
            value = ""
        body[name] = format_keap_datetime(value) if isinstance(value, datetime) else value
    return body


def needs_replace(body: dict[str, Any]) -> bool:
    """True if the body still clears a field PATCH cannot clear."""
    return any(value is None for value in body.values())


def put_body(original: Task, body: dict[str, Any]) -> dict[str, Any]:
    """The whole task as it should be: `original`'s writable fields, changed, cleared ones gone."""
    current = msgspec.to_builtins(original)
    full = {name: current[name] for name in WRITABLE if current.get(name) is not None}
    full.update(body)
    return {name: value for name, value in full.items() if value is not None}
