"""Query-parameter parsing and the v1 list envelope, shared by tasks and orders.

- ``limit`` defaults to 1000 and is clamped to 1000 (no documented maximum: an assumption
  taken from v2's cap); ``limit=0`` means the default. Negative values are a 400.
- ``next`` is present on EVERY page, the last one included, pointing past the end (an
  offset past the end returns an empty list). ``previous`` is present on every page too,
  clamped at offset 0. Both are absolute URLs on the request's own origin, with
  ``limit``/``offset`` first and the request's other query parameters kept, so following
  ``next`` keeps the same filters.
- ``count`` is the total number of matching items, not the page size.
- Booleans accept what Spring accepts: true/false, 1/0, yes/no, on/off. Anything else is a
  400 ``{"message": ...}``, as are non-integer ids and unparsable dates. Unknown
  parameters are ignored.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request

from .timefmt import EXAMPLE, canonical

MAX_LIMIT = 1000
TRUE = {"true", "1", "yes", "on"}
FALSE = {"false", "0", "no", "off"}


class ApiError(Exception):
    """Becomes ``{"message": ...}`` with ``status`` (handled in app.py)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def bad_param(name: str, value: str, expected: str) -> ApiError:
    return ApiError(400, f"Invalid value {value!r} for parameter '{name}': expected {expected}")


def int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise bad_param(name, raw, "an integer") from None


def bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in TRUE:
        return True
    if raw.lower() in FALSE:
        return False
    raise bad_param(name, raw, "true or false")


def date_param(request: Request, name: str) -> str | None:
    """The canonical stored form, so it compares directly with stored dates."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return canonical(raw)
    except ValueError:
        raise bad_param(name, raw, f"an ISO 8601 date-time such as {EXAMPLE}") from None


def page_params(request: Request) -> tuple[int, int]:
    limit = int_param(request, "limit")
    offset = int_param(request, "offset")
    if limit is not None and limit < 0:
        raise bad_param("limit", str(limit), "a number >= 0")
    if offset is not None and offset < 0:
        raise bad_param("offset", str(offset), "a number >= 0")
    limit = MAX_LIMIT if not limit else min(limit, MAX_LIMIT)
    return limit, offset or 0


def envelope(request: Request, key: str, items: list[dict], limit: int, offset: int) -> dict:
    """Page ``items`` (all matches, already ordered) into Keap's list envelope."""
    origin = f"{request.url.scheme}://{request.url.netloc}"
    path = request.url.path.rstrip("/") + "/"
    others = [(k, v) for k, v in request.query_params.multi_items() if k not in ("limit", "offset")]

    def link(at: int) -> str:
        return f"{origin}{path}?{urlencode([('limit', limit), ('offset', at)] + others)}"

    return {
        key: items[offset:offset + limit],
        "count": len(items),
        "next": link(offset + limit),
        "previous": link(max(0, offset - limit)),
    }


def sort_by(items: list[dict], field: str, descending: bool) -> list[dict]:
    """Stable sort on ``field``; items lacking it go last either way, ties by id ascending."""
    def key(item: dict):
        value = item[field]
        return value.casefold() if isinstance(value, str) and field == "title" else value

    present = sorted((i for i in items if i.get(field) is not None), key=lambda i: i["id"])
    missing = sorted((i for i in items if i.get(field) is None), key=lambda i: i["id"])
    present.sort(key=key, reverse=descending)  # stable even reversed: ties stay by id
    return present + missing
