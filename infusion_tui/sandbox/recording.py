"""What the sandbox received, so tests can assert on the server side of a conversation.

Secrets never land here: ``Authorization`` keeps only its scheme (``"Bearer REDACTED"``),
``X-Keap-API-Key`` becomes ``"REDACTED"``, and the token endpoint's form fields that carry
secrets (client_secret, code, refresh_token, ...) are redacted too. Header names are
lowercase, as ASGI delivers them.

``calls()`` and ``max_calls_in_window()`` count every request the client sent to an API
path (anything but ``/token`` and ``/app/oauth/*``), whatever its answer — 401s and 429s
included — because that is what a client's own call budget must count to stay safe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

SECRET_HEADERS = {"authorization", "x-keap-api-key", "cookie"}
SECRET_FIELDS = {"client_secret", "code", "refresh_token", "access_token", "password"}
REDACTED = "REDACTED"


@dataclass
class RecordedRequest:
    time: float  # sandbox clock, when the request arrived
    method: str
    path: str  # as sent (trailing slash kept)
    query: dict
    headers: dict
    body: object = None  # parsed JSON, a dict for forms, raw text otherwise, None if empty
    status: int | None = None  # None: no response was sent (drop fault, client gave up)
    credential: str | None = None  # extra: "api_key" / "oauth" once authenticated
    fault: str | None = None  # extra: the kind of the terminal fault that answered, if any

    @property
    def json(self):
        """The body, named as the interface describes it."""
        return self.body

    @property
    def is_api(self) -> bool:
        return is_api_path(self.path)


def is_api_path(path: str) -> bool:
    return not (path == "/token" or path.startswith("/token/") or path.startswith("/app/oauth/"))


def redact_header(name: str, value: str) -> str:
    if name == "authorization":
        scheme = value.split(" ", 1)[0] if " " in value else ""
        return f"{scheme} {REDACTED}".strip()
    return REDACTED if name in SECRET_HEADERS else value


def parse_body(raw: bytes, content_type: str):
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    if "x-www-form-urlencoded" in content_type:
        form = dict(parse_qsl(text, keep_blank_values=True))
        return {k: (REDACTED if k in SECRET_FIELDS else v) for k, v in form.items()}
    try:
        return json.loads(text)
    except ValueError:
        return text


def make_record(scope: dict, raw_body: bytes, now: float) -> RecordedRequest:
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                           keep_blank_values=True))
    return RecordedRequest(
        time=now,
        method=scope["method"],
        path=scope["path"],
        query=query,
        headers={k: redact_header(k, v) for k, v in headers.items()},
        body=parse_body(raw_body, headers.get("content-type", "")),
    )


def count_calls(requests: list[RecordedRequest], since: float | None, until: float | None) -> int:
    """API calls with ``since <= time < until``."""
    return sum(1 for r in requests if r.is_api
               and (since is None or r.time >= since) and (until is None or r.time < until))


def max_in_window(requests: list[RecordedRequest], window: float) -> int:
    """The most API calls that fell inside any ``window``-second span ``[t, t + window)``."""
    times = sorted(r.time for r in requests if r.is_api)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best
