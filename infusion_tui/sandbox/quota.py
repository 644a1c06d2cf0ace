"""Keap's throttles: a rolling per-minute budget, an optional SpikeArrest, a daily quota.

Per credential: an API key is its own credential; OAuth tokens count against their client
app (Keap meters OAuth per client key), so refreshing a token does not reset the budget.

- Minute budget: at most ``calls_per_minute`` admitted calls in any rolling 60 s. When
  spent: 429 with ``Retry-After`` = whole seconds until the oldest call leaves the window.
- SpikeArrest (``spike_per_second``): more than that many admitted calls in 1 s -> 429
  without ``Retry-After`` (Apigee's real policy smooths even harder; this is the simple
  reading the project asked for).
- Daily quota resets at 00:00 UTC, reported with ``expiry-time`` in epoch milliseconds.

429s do not consume budget. Times come from the sandbox clock (``now()``), so a FakeClock
drives the window without any real waiting.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

WINDOW = 60.0
THROTTLE_BODY = {"code": "429", "message": "Quota Exceeded", "status": "Request Throttled",
                 "details": None}


@dataclass
class _Bucket:
    calls: deque = field(default_factory=deque)  # admitted call times, oldest first
    day: int = -1
    day_used: int = 0


@dataclass
class Decision:
    ok: bool
    retry_after: int | None = None  # seconds, only for the minute budget
    headers: dict[str, str] = field(default_factory=dict)


class Quota:
    def __init__(self, calls_per_minute: int, spike_per_second: int | None,
                 calls_per_day: int, tenant: str) -> None:
        self.per_minute = calls_per_minute
        self.spike = spike_per_second
        self.per_day = calls_per_day
        self.tenant = tenant
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, credential: str, now: float) -> _Bucket:
        bucket = self._buckets.setdefault(credential, _Bucket())
        while bucket.calls and bucket.calls[0] <= now - WINDOW:
            bucket.calls.popleft()
        day = int(now // 86400)
        if bucket.day != day:
            bucket.day, bucket.day_used = day, 0
        return bucket

    def check(self, credential: str, now: float) -> Decision:
        """Would a call be admitted now? Consumes nothing."""
        bucket = self._bucket(credential, now)
        if bucket.day_used >= self.per_day:
            return Decision(False, math.ceil((bucket.day + 1) * 86400 - now), self._headers(bucket))
        if len(bucket.calls) >= self.per_minute:
            wait = max(1, math.ceil(bucket.calls[0] + WINDOW - now))
            return Decision(False, wait, self._headers(bucket))
        if self.spike is not None:
            recent = sum(1 for t in bucket.calls if t > now - 1.0)
            if recent >= self.spike:
                return Decision(False, None, self._headers(bucket))
        return Decision(True, None, self._headers(bucket))

    def consume(self, credential: str, now: float) -> dict[str, str]:
        """Count one admitted call; returns the headers describing the budget after it."""
        bucket = self._bucket(credential, now)
        bucket.calls.append(now)
        bucket.day_used += 1
        return self._headers(bucket)

    def _headers(self, bucket: _Bucket) -> dict[str, str]:
        used = len(bucket.calls)
        headers = {
            "x-keap-product-throttle-limit": str(self.per_minute),
            "x-keap-product-throttle-time-unit": "minute",
            "x-keap-product-throttle-interval": "1",
            "x-keap-product-throttle-available": str(max(0, self.per_minute - used)),
            "x-keap-product-throttle-used": str(used),
            "x-keap-product-quota-limit": str(self.per_day),
            "x-keap-product-quota-time-unit": "day",
            "x-keap-product-quota-interval": "1",
            "x-keap-product-quota-available": str(max(0, self.per_day - bucket.day_used)),
            "x-keap-product-quota-used": str(bucket.day_used),
            "x-keap-product-quota-expiry-time": str((bucket.day + 1) * 86400 * 1000),
            "x-keap-tenant-id": self.tenant,
        }
        if self.spike is not None:
            headers["x-keap-product-spike-limit"] = f"{self.spike}ps"
        return headers
