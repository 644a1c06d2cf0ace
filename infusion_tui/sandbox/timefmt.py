"""Keap's wire format for dates: ISO 8601, UTC, milliseconds, a trailing Z.

Every date the sandbox emits looks like ``2026-12-03T17:12:52.000Z``. Because all stored
dates share that exact shape, they sort and compare correctly as plain strings, which is
what the list filters and orderings rely on.

Input is accepted with ``Z`` or an explicit offset (``+02:00``). A date-time without any
offset is *rejected*: real Keap most plausibly reads it as UTC, but a client that sends
local time without an offset has a bug (CONTRACT.md section 5), and the sandbox exists to
catch it. Date-only values are rejected for the same reason.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone


def iso(ts: float) -> str:
    """Epoch seconds -> ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (truncated to the millisecond)."""
    ms = math.floor(ts * 1000 + 1e-3)  # the epsilon keeps 0.123 from becoming 0.122
    whole, frac = divmod(ms, 1000)
    stamp = datetime.fromtimestamp(whole, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{frac:03d}Z"


def parse_iso(text: str) -> float:
    """ISO 8601 with ``Z`` or an offset -> epoch seconds. Raises ValueError otherwise."""
    if not isinstance(text, str) or "T" not in text:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}")
    raw = text.strip()
    if raw.endswith(("z", "Z")):
        raw = raw[:-1] + "+00:00"
    parsed = datetime.fromisoformat(raw)
    if parsed.tzinfo is None:
        raise ValueError(f"date-time needs Z or an offset: {text!r}")
    return parsed.timestamp()


def canonical(text: str) -> str:
    """Any accepted input -> the one string form the sandbox stores and compares."""
    return iso(parse_iso(text))


EXAMPLE = "2026-12-03T17:12:52.000Z"
