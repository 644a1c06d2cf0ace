"""Faults a test can switch on: slowness, errors, broken bodies, dropped connections.

``sb.faults.add(Fault("status", path="/crm/rest/v1/orders", status=503, times=2))``.
A fault matches requests whose path starts with ``path`` (and, if given, whose method is
``method``); it fires ``times`` times (``None``: until ``sb.faults.clear()``), counting
``fault.times`` down as it fires; ``sb.faults.fired`` lists every firing.

Kinds:
- ``latency``: wait ``delay`` seconds on the sandbox clock (a FakeClock advances at once),
  then answer normally. Several latency faults add up.
- ``timeout``: wait ``delay`` seconds of REAL time (asyncio.sleep), then answer normally, so
  a client's own timeout fires first. httpx.ASGITransport enforces no timeouts: use
  ``sb.transport()`` in-process if the client's timeout should apply.
- ``status``: answer ``status`` (default 500) with ``{"message": ...}``.
- ``429``: Keap's throttle body, with ``Retry-After`` if ``retry_after`` is set. Does not
  consume the call budget.
- ``drop``: no response at all. Over a socket the connection is closed; in-process the app
  raises ``ConnectionDropped`` (an ``httpx.RemoteProtocolError``, like a real dropped
  connection), which ``httpx.ASGITransport`` re-raises to the caller because
  ``raise_app_exceptions`` defaults to True. With ``raise_app_exceptions=False`` the client
  would see a 500 instead.
- ``malformed``: status 200 (or ``status``), content-type JSON, a body that is not JSON.
- ``wrong_shape``: status 200, valid JSON of the wrong shape (``{"tasks": "nope"}`` on
  lists, a JSON array where an object belongs).
- ``expire_token``: every OAuth access token issued so far expires now; the request then
  fails the Apigee check with ``access_token_expired`` (a request with an API key passes).

Auth and the quota come before faults (Apigee answers those first); faults that cannot fire
because auth or quota refused the request are not consumed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import httpx

KINDS = {"latency", "timeout", "status", "429", "drop", "malformed", "wrong_shape", "expire_token"}
WAITS = {"latency", "timeout"}
TERMINAL = {"status", "429", "drop", "malformed", "wrong_shape"}


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised in-process for a ``drop`` fault: the client sees a transport error."""

    def __init__(self) -> None:
        super().__init__("Server disconnected without sending a response. (sandbox drop fault)")


@dataclass
class Fault:
    kind: str
    path: str = "/crm/rest/v1/orders"
    times: int | None = 1
    retry_after: float | None = None
    status: int | None = None
    delay: float = 0.0
    method: str | None = None  # extra: only this HTTP method (e.g. "POST")

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {sorted(KINDS)}")

    def matches(self, path: str, method: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return path.startswith(self.path)


class FaultList:
    """The active faults, in the order they were added. Thread-safe (sb.serve runs a thread)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.fired: list[Fault] = []  # history, for tests that ask "did it fire?"

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __len__(self) -> int:
        return len(self._faults)

    def __iter__(self):
        return iter(list(self._faults))

    def take(self, path: str, method: str, kinds: set[str]) -> list[Fault]:
        """Consume the matching faults of ``kinds``: all waits, at most one terminal."""
        taken: list[Fault] = []
        with self._lock:
            for fault in list(self._faults):
                if fault.kind not in kinds or not fault.matches(path, method):
                    continue
                if fault.kind in TERMINAL and any(f.kind in TERMINAL for f in taken):
                    continue
                taken.append(fault)
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
            self.fired.extend(taken)
        return taken
