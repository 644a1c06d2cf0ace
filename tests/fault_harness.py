"""The whole app against a sandbox built for one test, and the checks every fault test ends with.

`tests/app_harness.py` runs the fixed demo; here a test picks the sandbox's knobs (spike
arrest, arrivals, sizes), the credential (API key, OAuth tokens, KEAP_API_KEY) and how the
app reaches it (in process through `sb.transport()`, or over a real socket), and still goes
through the app's real `Connector`, client, budget, pollers and panes.

In process, the base URL is `http://localhost/...`: a loopback name, so the connector treats
it as a local sandbox (poll floor = the interval chosen here) and the OAuth token URL is the
sandbox's own `/token`; the ASGI transport never opens a socket, so nothing listens there.

`FaultTransport` adds two faults the sandbox cannot make by itself: an answer cut off in the
middle of its body (headers and half the bytes, then the peer closes), and a short read
timeout (the client's own is 20 s; the sandbox's `timeout` fault waits real seconds).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx

from infusion_tui.clock import FakeClock
from infusion_tui.connection import Connector
from infusion_tui.credentials import Credential, CredentialStore
from infusion_tui.sandbox import Sandbox
from infusion_tui.settings import Settings, load_settings
from infusion_tui.ui.app import InfusionApp
from tests.app_harness import screen_text

ORIGIN = "http://localhost"
ORDERS = "/crm/rest/v1/orders"
TASKS = "/crm/rest/v1/tasks"
POLL = 15.0  # the sandbox's poll frequency, used as the app's interval in these tests

__all__ = [
    "ORDERS", "POLL", "TASKS", "FaultTransport", "Rig", "assert_healthy", "background_poll",
    "catch_up", "main_screen", "rig", "screen_text", "settle", "started",
]


# --- a transport with two extra faults ---------------------------------------------------------


@dataclass
class _Cut:
    path: str
    method: str | None
    times: int | None


@dataclass
class _Rewrite:
    path: str
    method: str | None
    status: int
    body: bytes
    times: int | None


class _TruncatedBody(httpx.AsyncByteStream):
    """Half the body, then the peer hangs up (as httpx reports it from a real socket)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self):
        half = len(self.data) // 2
        yield self.data[:half]
        raise httpx.RemoteProtocolError(
            f"peer closed connection without sending complete message body "
            f"(received {half} bytes, expected {len(self.data)})"
        )

    async def aclose(self) -> None:
        pass


class FaultTransport(httpx.AsyncBaseTransport):
    """`sb.transport()` plus mid-body drops, rewritten answers and a short read timeout."""

    MARK = "x-test-request"  # recorded by the sandbox, so a test can find the request it altered

    def __init__(self, sb: Sandbox, *, read_timeout: float | None = None) -> None:
        self.sb = sb
        self.sent = 0
        self.inner = sb.transport()
        self.read_timeout = read_timeout
        self.cuts: list[_Cut] = []
        self.rewrites: list[_Rewrite] = []
        self.fired: list[str] = []

    def cut_body(self, path: str, *, method: str | None = None, times: int | None = 1) -> None:
        self.cuts.append(_Cut(path, method, times))

    def rewrite(self, path: str, status: int, body: bytes, *, method: str | None = None,
                times: int | None = 1) -> None:
        self.rewrites.append(_Rewrite(path, method, status, body, times))

    @staticmethod
    def _take(items: list, request: httpx.Request):
        for item in items:
            if request.url.path.startswith(item.path) and (item.method in (None, request.method)):
                if item.times is not None:
                    item.times -= 1
                    if item.times <= 0:
                        items.remove(item)
                return item
        return None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.read_timeout is not None:
            timeouts = dict(request.extensions.get("timeout") or {})
            timeouts["read"] = self.read_timeout
            request.extensions["timeout"] = timeouts
        self.sent += 1
        mark = request.headers[self.MARK] = str(self.sent)
        response = await self.inner.handle_async_request(request)
        if (rw := self._take(self.rewrites, request)) is not None:
            await response.aread()
            self._note(mark, "rewrite")
            return httpx.Response(rw.status, content=rw.body, request=request,
                                  headers={"content-type": "application/json"})
        if self._take(self.cuts, request) is not None:
            body = await response.aread()
            self._note(mark, "cut")
            headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-length"]
            headers.append(("content-length", str(len(body))))
            return httpx.Response(response.status_code, headers=headers, stream=_TruncatedBody(body),
                                  request=request)
        return response

    def _note(self, mark: str, what: str) -> None:
        """Say so in the sandbox's record: the client did not get the answer the sandbox sent."""
        self.fired.append(what)
        for record in reversed(self.sb.requests):
            if record.headers.get(self.MARK) == mark:
                record.fault = f"{what} (test transport)"
                break

    async def aclose(self) -> None:
        await self.inner.aclose()


# --- building the app ---------------------------------------------------------------------------


@dataclass
class Rig:
    """Everything one fault test holds on to."""

    app: InfusionApp
    sb: Sandbox
    clock: FakeClock
    settings: Settings
    connector: Connector
    transport: FaultTransport | None = None
    saved_titles: list[str] = field(default_factory=list)  # tasks the user saved: never lost


def rig(
    sb: Sandbox | None = None,
    *,
    clock: FakeClock | None = None,
    credential: Credential | None = None,
    store: CredentialStore | None = None,
    base_url: str | None = None,
    poll_interval: float = POLL,
    read_timeout: float | None = None,
    transport: bool = True,
    flags: dict | None = None,
    sandbox_kwargs: dict | None = None,
) -> Rig:
    """The app on the real Connector, against `sb` (a small fresh sandbox by default).

    `transport=False` leaves the transport to httpx: use it with a `base_url` of a sandbox
    serving on a real socket. Without `credential`, the sandbox's API key is used as
    KEAP_API_KEY would provide it (never stored).
    """
    clock = clock or (sb.clock if sb is not None and isinstance(sb.clock, FakeClock) else FakeClock())
    if sb is None:
        sb = Sandbox(seed=11, clock=clock, **{"n_tasks": 12, "n_orders": 30, **(sandbox_kwargs or {})})
    url = base_url or sb.base_url_for(ORIGIN)
    settings = load_settings({"base_url": url, "poll_interval": str(poll_interval), **(flags or {})}, {})
    if credential is None:
        credential = Credential.from_api_key(sb.api_key, source="environment")
    fault_transport = FaultTransport(sb, read_timeout=read_timeout) if transport else None
    connector = Connector(settings, credential, credentials=store, transport=fault_transport, clock=clock)
    app = InfusionApp(settings, connector)
    return Rig(app, sb, clock, settings, connector, fault_transport)


def oauth_credential(sb: Sandbox) -> Credential:
    """Tokens as a finished login would have stored them."""
    issued = sb.issue_access_token()
    return Credential(
        kind="oauth", access_token=issued["access_token"], refresh_token=issued["refresh_token"],
        expires_at=sb.clock.now() + issued["expires_in"], client_id=sb.client_id,
        client_secret=sb.client_secret, source="keyring",
    )


# --- driving it ---------------------------------------------------------------------------------


async def settle(app: InfusionApp, pilot) -> None:
    """Let workers finish and every screen's widgets handle their messages.

    Cheaper than app_harness.settle: no idle waits (each `pilot.pause()` sleeps at least
    20 ms and forces a full render), just turns of the loop until nothing is pending, on every
    screen of the stack (a modal form must not hide the main screen's pending poll results).
    """
    quiet = 0
    for _ in range(400):
        await app.workers.wait_for_complete()
        await asyncio.sleep(0)
        busy = any(w.is_running for w in app.workers) or any(
            not node._message_queue.empty() for node in _pumps(app))
        quiet = 0 if busy else quiet + 1
        if quiet >= 3:
            return
    await pilot.pause()


async def started(app: InfusionApp, pilot) -> None:
    """Wait until both panes finished their first sync (app_harness.started, cheaper)."""
    for _ in range(300):
        await settle(app, pilot)
        screen = app.screen
        if type(screen).__name__ == "MainScreen":
            tasks, orders = screen.query_one("TasksPane"), screen.query_one("OrdersPane")
            if tasks.tasks and orders.count and not tasks.poller.busy and not orders.poller.busy:
                return
        await pilot.pause(0.01)
    raise AssertionError("the app did not finish its first sync")


def _pumps(app: InfusionApp):
    yield app
    for screen in app.screen_stack:
        yield from screen.walk_children(with_self=True)


def main_screen(app: InfusionApp):
    return next(s for s in app.screen_stack if type(s).__name__ == "MainScreen")


def panes(app: InfusionApp):
    screen = main_screen(app)
    return screen.query_one("TasksPane"), screen.query_one("OrdersPane")


async def background_poll(r: Rig, pilot, seconds: float, *, feeds: Iterable[str] = ("orders",)) -> None:
    """Let `seconds` of driven time pass, then fire the feeds' timers as Textual would."""
    r.clock.advance(seconds)
    tasks, orders = panes(r.app)
    for name in feeds:
        (orders if name == "orders" else tasks)._tick()
    await settle(r.app, pilot)


async def catch_up(r: Rig, pilot, *, feeds: Iterable[str] = ("orders", "tasks"), rounds: int = 6) -> None:
    """Poll until every feed is healthy again (each wait as long as its poller asks)."""
    tasks, orders = panes(r.app)
    chosen = [orders if name == "orders" else tasks for name in feeds]
    for _ in range(rounds):
        for pane in chosen:
            r.clock.advance(pane.poller.seconds_until_next() + 0.5)
            pane._tick()
            await settle(r.app, pilot)
        if all(p.poller.last_error is None and not p.poller.busy for p in chosen):
            return
    raise AssertionError(f"feeds did not recover: {[str(p.poller.last_error) for p in chosen]}")


# --- what must hold after every fault -----------------------------------------------------------

DUMP = re.compile(r"Traceback|\b[A-Z][A-Za-z]*(Error|Exception): |File \"[^\"]+\", line \d+")


def assert_no_dump(app: InfusionApp) -> str:
    text = screen_text(app)
    match = DUMP.search(text)
    assert match is None, f"a Python error reached the screen: {text[max(0, match.start() - 200):match.end() + 200]!r}"
    return text


def assert_healthy(r: Rig, *, orders: bool = True, budget: int = 100) -> None:
    """The app runs, shows no traceback, has every order once, lost no saved task, kept the budget."""
    app, sb = r.app, r.sb
    assert app.is_running, "the app stopped"
    assert app._exception is None, f"the app crashed: {app._exception!r}"
    assert_no_dump(app)
    tasks_pane, orders_pane = panes(app)
    if orders:
        assert orders_pane.table.index.filter_text == ""
        keys = list(orders_pane.table.index.visible)
        assert len(keys) == len(set(keys)), "an order is shown twice"
        assert set(keys) == set(sb.orders), (
            f"missing {sorted(set(sb.orders) - set(keys))[:10]}, extra {sorted(set(keys) - set(sb.orders))[:10]}"
        )
        assert orders_pane.count == len(sb.orders)
    server_titles = [t.get("title") for t in sb.tasks.values()]
    for title in r.saved_titles:
        assert server_titles.count(title) == 1, f"saved task {title!r} is on the server {server_titles.count(title)} times"
        assert any(t.title == title for t in tasks_pane.tasks.values()), f"saved task {title!r} left the table"
    used = sb.max_calls_in_window(60)
    assert used <= budget, f"{used} calls in one 60 s window at the sandbox (budget {budget})"


def requests(sb: Sandbox, method: str, path: str, *, exact: bool = True) -> list:
    return [q for q in sb.requests if q.method == method and (q.path.rstrip("/") == path if exact else q.path.startswith(path))]
