"""Keep secrets out of logs, reprs and error messages.

Two layers: helpers that redact what we are about to log (headers, form bodies), and a logging
filter on the "infusion_tui.keap" logger that scrubs anything secret-shaped that slipped into a
message anyway (a bearer token, an API key header, a token in a form or query string).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode

REDACTED = "[redacted]"

SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-keap-api-key", "cookie", "set-cookie"}
)
SECRET_FIELDS = frozenset(
    {"access_token", "refresh_token", "client_secret", "code", "password", "api_key"}
)

_SCRUB = [
    # "Bearer abc" / "Basic abc" anywhere, e.g. a header dumped into a message.
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.I), r"\1 " + REDACTED),
    (re.compile(r"(x-keap-api-key['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+", re.I), r"\1" + REDACTED),
    # key=value pairs in a form body or query string, and "key": "value" in JSON.
    (
        re.compile(r"\b(access_token|refresh_token|client_secret|code|api_key)=[^&\s'\"]+"),
        r"\1=" + REDACTED,
    ),
    (
        re.compile(r"(\"(?:access_token|refresh_token|client_secret|api_key)\"\s*:\s*)\"[^\"]*\""),
        r'\1"' + REDACTED + '"',
    ),
]


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A copy of `headers` fit for a log line: credentials replaced, the auth scheme kept."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        if name.lower() in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if name.lower().endswith("authorization") else ""
            value = f"{scheme} {REDACTED}" if scheme and " " in value else REDACTED
        out[name] = value
    return out


def redact_form(body: bytes | str) -> str:
    """A urlencoded form (the /token request) with every secret field replaced."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    pairs = parse_qsl(text, keep_blank_values=True)
    return urlencode([(k, REDACTED if k in SECRET_FIELDS else v) for k, v in pairs])


def redact_text(text: str) -> str:
    """Scrub anything secret-shaped from free text."""
    for pattern, replacement in _SCRUB:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """A last line of defence: rewrites each record's message with `redact_text`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact_text(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


logger = logging.getLogger("infusion_tui.keap")
if not any(isinstance(f, RedactingFilter) for f in logger.filters):
    logger.addFilter(RedactingFilter())
