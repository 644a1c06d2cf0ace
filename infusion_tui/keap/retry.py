"""Which failures deserve another try, how long to wait, and what to tell the user after.

The rule for POST (create task): Keap has no idempotency keys, so a POST is retried only when
it provably never reached Keap (the connection was never made) or Keap refused it unprocessed
(429). A timeout or a dropped answer may mean the task was created; retrying would duplicate it.
"""

from __future__ import annotations

import random
from email.utils import parsedate_to_datetime

import httpx
import msgspec
from tenacity import RetryCallState

from infusion_tui.keap.budget import CallBudget
from infusion_tui.keap.errors import (
    AuthError,
    BadResponse,
    InvalidRequest,
    KeapError,
    NotFound,
    RateLimited,
    Unavailable,
)
from infusion_tui.keap.redact import redact_text
from infusion_tui.text_safety import literal
from infusion_tui.keap.tokens import LoginUnavailable

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
RETRY_STATUSES = frozenset({500, 502, 503, 504})
# Errors raised before a single byte of the request reached the server.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
BACKOFF_CAP = 60.0
# A Retry-After longer than this is a spent daily quota, not a busy minute: tell the user now.
MAX_RETRY_AFTER = 120.0

FORBIDDEN = (
    "Keap says this login may not do that (HTTP 403). A personal access token acts with its "
    "user's permissions: ask a Keap admin for access, or use a service account key."
)
NO_LOGIN = "Keap asked for a login. Run `infusion-tui login` to connect an account."


def retryable(exc: BaseException, *, idempotent: bool) -> bool:
    if isinstance(exc, RateLimited):
        return exc.retry_after is None or exc.retry_after <= MAX_RETRY_AFTER
    if isinstance(exc, (LoginUnavailable, *NEVER_SENT)):
        return True  # the API request itself was refused (401) or never sent
    if isinstance(exc, httpx.TransportError):
        return idempotent
    if isinstance(exc, BadResponse):
        return False  # the same request will most likely get the same answer
    if isinstance(exc, Unavailable):
        return idempotent and exc.status in RETRY_STATUSES
    return False


def backoff(attempt: int) -> float:
    """Exponential with jitter: 0.5–1 s, 1–2 s, 2–4 s … capped at a minute."""
    return min(BACKOFF_CAP, 2.0 ** (attempt - 1)) * random.uniform(0.5, 1.0)


class Wait:
    """tenacity's `wait`: 429 waits are served by the budget, so every caller waits together."""

    def __init__(self, budget: CallBudget) -> None:
        self.budget = budget

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited):
            delay = exc.retry_after if exc.retry_after is not None else backoff(state.attempt_number)
            self.budget.penalize(delay)
            return 0.0
        return backoff(state.attempt_number)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Retry-After as seconds: Keap may send delta-seconds or an HTTP date, or nothing."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def error_for(response: httpx.Response, *, refused: str, now: float) -> KeapError:
    """The KeapError a non-2xx answer means."""
    status = response.status_code
    if status == 429:
        wait = parse_retry_after(response.headers.get("retry-after"), now)
        when = f"in about {wait:.0f} s" if wait is not None else "in a minute"
        return RateLimited(f"Keap's call limit is used up for now; try again {when}.", retry_after=wait)
    if status == 401:
        return AuthError(refused, status=status)
    if status == 403:
        return AuthError(FORBIDDEN, status=status)
    if status == 404:
        text = keap_message(response) or "Keap has no such record (it may have been deleted)."
        return NotFound(text, status=status)
    if status >= 500:
        return Unavailable(f"Keap is having trouble (HTTP {status}). The app will retry.", status=status)
    text = keap_message(response) or f"Keap refused the request (HTTP {status})."
    return InvalidRequest(text, status=status)


def keap_message(response: httpx.Response) -> str:
    """Keap's own words from an error body: `message`, an OAuth description or a gateway fault."""
    try:
        data = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return ""
    if not isinstance(data, dict):
        return ""
    fault = data.get("fault")
    text = (
        data.get("message")
        or data.get("error_description")
        or (fault.get("faultstring") if isinstance(fault, dict) else None)
        or ""
    )
    return literal(redact_text(str(text)))[:300]  # shown on screen: never escape codes


def give_up(exc: httpx.TransportError, *, timeout: float, idempotent: bool, host: str) -> Unavailable:
    """An actionable Unavailable for a network failure we stopped retrying."""
    if isinstance(exc, NEVER_SENT):
        return Unavailable(f"Could not connect to Keap ({host}). Check your connection; the app will retry.")
    if isinstance(exc, httpx.TimeoutException):
        text = f"Keap is not answering (timed out after {timeout:g} s)."
    else:
        text = "The connection to Keap broke off before it answered."
    if not idempotent:
        return Unavailable(f"{text} Keap may have saved it anyway: refresh and check before trying again.")
    return Unavailable(f"{text} Check your connection; the app will retry.")
