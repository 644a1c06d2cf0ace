"""Faults end to end: the whole app against a sandbox that misbehaves, driven by the pilot.

Every case ends with `assert_healthy` (tests/fault_harness.py): the app is still running, no
traceback reached the screen, the orders pane holds every order of the sandbox exactly once,
every task the user saved is on the server exactly once and in the table, and the sandbox
never saw more than 100 calls in any 60 s. tests/README.md lists the cases in a table.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time

import keyring
import keyring.backend
import keyring.errors
import pytest
from textual.widgets import Input, TextArea

from infusion_tui import cli
from infusion_tui.clock import FakeClock
from infusion_tui.credentials import Credential, CredentialStore
from infusion_tui.sandbox import Fault, Sandbox
from tests.fault_harness import (
    ORDERS,
    POLL,
    TASKS,
    Rig,
    assert_healthy,
    assert_no_dump,
    background_poll,
    catch_up,
    oauth_credential,
    panes,
    requests,
    rig,
    screen_text,
    settle,
    started,
)

SIZE = (200, 50)  # wide enough that the info lines show whole error messages
API = "/crm/rest/v1"


# --- helpers ------------------------------------------------------------------------------------


async def open_form(r: Rig, pilot, title: str, description: str = "") -> None:
    tasks, _ = panes(r.app)
    tasks.table.focus()
    await pilot.press("n")
    await settle(r.app, pilot)
    form = r.app.screen
    assert type(form).__name__ == "TaskForm"
    form.query_one("#title", Input).value = title
    if description:
        form.query_one("#description", TextArea).text = description
    await pilot.pause()


async def save(r: Rig, pilot) -> None:
    await pilot.press("ctrl+s")
    await settle(r.app, pilot)


async def create_task(r: Rig, pilot, title: str) -> None:
    await open_form(r, pilot, title)
    await save(r, pilot)
    assert type(r.app.screen).__name__ == "MainScreen", screen_text(r.app)
    r.saved_titles.append(title)


def form_kept(r: Rig, title: str, description: str = "", *, on_top: bool = True) -> str:
    """The form is still open with every character; returns its status line.

    `on_top=False`: it may be under another screen (the sign-in screen after a dead login).
    """
    forms = [s for s in r.app.screen_stack if type(s).__name__ == "TaskForm"]
    assert forms, f"the form closed: {[type(s).__name__ for s in r.app.screen_stack]}"
    form = forms[-1]
    if on_top:
        assert r.app.screen is form, f"{type(r.app.screen).__name__} is over the form"
    assert form.query_one("#title", Input).value == title
    assert form.query_one("#description", TextArea).text == description
    return form.error_text("status")


def on_server(sb: Sandbox, title: str) -> int:
    return sum(1 for t in sb.tasks.values() if t.get("title") == title)


def messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


# --- 429: with and without Retry-After, a burst, spike arrest -----------------------------------


async def test_a_429_with_and_without_retry_after_is_waited_out_then_delivers():
    r = rig()
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        _, orders = panes(r.app)
        for retry_after, at_least in ((30, 30.0), (None, 0.5)):  # as told; else a backoff, never a hammering
            r.sb.add_order()
            r.sb.faults.add(Fault("429", path=ORDERS, retry_after=retry_after))
            seen = len(r.sb.requests)
            await background_poll(r, pilot, POLL + 1)
            gets = [q for q in r.sb.requests[seen:] if q.method == "GET" and q.path == ORDERS]
            assert [q.status for q in gets] == [429, 200], gets
            assert gets[1].time - gets[0].time >= at_least, f"retried {gets[1].time - gets[0].time:.2f} s later"
            assert orders.poller.last_error is None
        assert len(orders.new_ids) == 2
        assert_healthy(r)


async def test_a_burst_of_429s_is_shown_then_recovered_and_the_form_keeps_its_text():
    r = rig()
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        r.sb.faults.add(Fault("429", path=API, times=None))
        r.sb.add_order()
        await background_poll(r, pilot, POLL + 1)
        _, orders = panes(r.app)
        assert orders.poller.last_error is not None
        text = screen_text(r.app)
        assert "retrying in" in text and "call limit" in text
        throttled = len(requests(r.sb, "GET", ORDERS))
        assert throttled <= 1 + 6, "one poll is at most 1 + max_retries calls"
        # the user writes a task meanwhile: refused, nothing lost
        await open_form(r, pilot, "Call the printer", "About the flyers")
        await save(r, pilot)
        assert "call limit" in form_kept(r, "Call the printer", "About the flyers")
        assert on_server(r.sb, "Call the printer") == 0
        # the burst ends
        r.sb.faults.clear()
        await save(r, pilot)
        assert type(r.app.screen).__name__ == "MainScreen"
        r.saved_titles.append("Call the printer")
        await catch_up(r, pilot)
        assert_healthy(r)


async def test_spike_arrest_throttles_a_burst_of_edits_and_every_edit_lands():
    clock = FakeClock()
    sb = Sandbox(seed=11, clock=clock, n_tasks=16, n_orders=20, spike_per_second=10)
    r = rig(sb)
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        tasks, _ = panes(r.app)
        tasks.table.focus()
        toggled = []
        for key in sorted(tasks.tasks)[:12]:  # 12 edits inside one second of the clock: more than 10 per second
            tasks.table.move_cursor_to_key(key)
            toggled.append((key, bool(sb.tasks[key].get("completed"))))
            await pilot.press("x")
        await create_task(r, pilot, "Order more stamps")  # a POST inside the same burst
        for _ in range(20):
            await settle(r.app, pilot)
            if all(bool(sb.tasks[k].get("completed")) is not before for k, before in toggled):
                break
        spiked = [q for q in sb.requests if q.status == 429]
        assert spiked, "the burst never hit the spike arrest: the test proves nothing"
        for key, before in toggled:
            assert bool(sb.tasks[key].get("completed")) is not before, f"edit of task {key} was lost"
            assert tasks.tasks[key].is_completed is not before
        assert not any("Could not update" in m for m in messages(r.app))
        admitted = sorted(q.time for q in sb.requests if q.status != 429 and q.is_api)
        assert all(b - a >= 1.0 for a, b in zip(admitted, admitted[10:])), "more than 10 calls in 1 s admitted"
        assert_healthy(r)


async def test_a_flood_of_edits_waits_for_the_call_budget_instead_of_exceeding_it():
    clock = FakeClock()
    sb = Sandbox(seed=11, clock=clock, n_tasks=130, n_orders=20)
    r = rig(sb)
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        tasks, _ = panes(r.app)
        tasks.table.focus()
        first = len(sb.requests)
        keys = sorted(tasks.tasks)[:120]
        for key in keys:  # 120 edits at once: more than Keap allows in a minute
            tasks.table.move_cursor_to_key(key)
            tasks.action_toggle_completed()  # what `x` runs
        for _ in range(40):
            await settle(r.app, pilot)
            if len([q for q in sb.requests[first:] if q.method == "PATCH"]) >= len(keys):
                break
        patches = [q for q in sb.requests[first:] if q.method == "PATCH"]
        assert len(patches) == len(keys) and all(q.status == 200 for q in patches), "an edit was lost or refused"
        assert patches[-1].time - patches[0].time >= 60, "the budget did not make anyone wait"
        assert not [q for q in sb.requests if q.status == 429], "the client let Keap throttle it"
        assert_healthy(r)  # <= 100 calls in any 60 s, counted at the sandbox


# --- 5xx: once, and for a minute ----------------------------------------------------------------


async def test_single_500_502_503_are_retried_for_reads_and_explained_for_a_save():
    r = rig()
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        _, orders = panes(r.app)
        for status in (500, 502, 503):
            r.sb.add_order()
            r.sb.faults.add(Fault("status", path=ORDERS, method="GET", status=status, times=1))
            await background_poll(r, pilot, POLL + 1)
            assert orders.poller.last_error is None, f"a single {status} on a read is retried silently"
        assert len(orders.new_ids) == 3
        # a create is never retried blindly (no idempotency key): the form says so, keeps the text
        await open_form(r, pilot, "Invoice run", "net 30")
        for n, status in enumerate((500, 502, 503), 1):
            r.sb.faults.add(Fault("status", path=TASKS, method="POST", status=status, times=1))
            await save(r, pilot)
            assert f"HTTP {status}" in form_kept(r, "Invoice run", "net 30")
            assert len(requests(r.sb, "POST", TASKS)) == n, "a failed create was resent by itself"
        await save(r, pilot)
        r.saved_titles.append("Invoice run")
        assert_healthy(r)


async def test_a_minute_of_503s_then_the_app_recovers_by_itself():
    r = rig()
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        await create_task(r, pilot, "Before the outage")
        tasks, orders = panes(r.app)
        outage_start = r.clock.now()
        r.sb.faults.add(Fault("status", path=API, status=503, times=None))
        while r.clock.now() - outage_start < 60:
            r.sb.add_order()
            await background_poll(r, pilot, POLL, feeds=("orders", "tasks"))
        assert orders.poller.last_error is not None and tasks.poller.last_error is not None
        text = screen_text(r.app)
        assert "HTTP 503" in text and "retrying in" in text
        # an edit during the outage is rolled back and explained
        tasks.table.focus()
        key = tasks.table.cursor_key
        before = tasks.tasks[key].is_completed
        await pilot.press("x")
        await settle(r.app, pilot)
        assert tasks.tasks[key].is_completed is before
        assert any("Could not update" in m for m in messages(r.app))
        # a new task typed during the outage stays in the form
        await open_form(r, pilot, "During the outage", "keep me")
        await save(r, pilot)
        assert "503" in form_kept(r, "During the outage", "keep me")
        r.sb.faults.clear()
        await save(r, pilot)
        r.saved_titles.append("During the outage")
        await catch_up(r, pilot)
        assert orders.poller.last_error is None
        assert_healthy(r)
        assert "retrying in" not in screen_text(r.app)


# --- timeouts, dropped connections, broken bodies -----------------------------------------------


async def test_a_read_that_times_out_is_retried_and_a_save_that_times_out_keeps_the_form():
    r = rig(read_timeout=0.2)
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        r.sb.add_order()
        r.sb.faults.add(Fault("timeout", path=ORDERS, method="GET", delay=3.0, times=1))
        started_at = time.monotonic()
        await background_poll(r, pilot, POLL + 1)
        assert time.monotonic() - started_at < 2.5, "the client waited for the slow answer"
        assert panes(r.app)[1].poller.last_error is None
        r.sb.faults.add(Fault("timeout", path=TASKS, method="POST", delay=3.0, times=1))
        await open_form(r, pilot, "Slow save", "")
        await save(r, pilot)
        status = form_kept(r, "Slow save")
        assert "not answering" in status and "may have saved it" in status
        assert len(requests(r.sb, "POST", TASKS)) == 1, "a POST that timed out must not be resent by itself"
        await save(r, pilot)
        r.saved_titles.append("Slow save")
        assert_healthy(r)


async def test_a_connection_dropped_before_or_in_the_middle_of_an_answer():
    r = rig()
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        tasks, orders = panes(r.app)
        r.sb.add_order()
        r.sb.faults.add(Fault("drop", path=ORDERS, method="GET", times=1))  # no answer at all
        await background_poll(r, pilot, POLL + 1)
        r.sb.add_order()
        r.transport.cut_body(ORDERS, method="GET")  # headers and half the body, then gone
        await background_poll(r, pilot, POLL + 1)
        assert r.transport.fired == ["cut"]
        assert orders.poller.last_error is None and len(orders.new_ids) == 2
        # a create whose answer is cut: Keap HAS the task; the app must not send it again
        r.transport.cut_body(TASKS, method="POST")
        await open_form(r, pilot, "Cut in half", "")
        await save(r, pilot)
        assert "may have saved it" in form_kept(r, "Cut in half")
        assert on_server(r.sb, "Cut in half") == 1
        await background_poll(r, pilot, POLL + 1, feeds=("tasks",))
        assert any(t.title == "Cut in half" for t in tasks.tasks.values()), "the next sync shows it"
        await pilot.press("escape")  # the user sees it arrived and discards the form
        await settle(r.app, pilot)
        if type(r.app.screen).__name__ == "ConfirmScreen":
            await pilot.press("y")
            await settle(r.app, pilot)
        r.saved_titles.append("Cut in half")
        assert_healthy(r)


async def test_a_body_that_is_not_json_or_of_the_wrong_shape_is_explained_and_the_feed_recovers():
    r = rig()
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        _, orders = panes(r.app)
        for kind, shown in (("malformed", "not valid JSON"), ("wrong_shape", "could not read")):
            r.sb.add_order()
            r.sb.faults.add(Fault(kind, path=ORDERS, method="GET", times=1))
            before = len(requests(r.sb, "GET", ORDERS))
            await background_poll(r, pilot, POLL + 1)
            assert orders.poller.last_error is not None
            text = assert_no_dump(r.app)
            assert shown in text and "retrying in" in text
            assert len(requests(r.sb, "GET", ORDERS)) == before + 1, "a broken body is not retried at once"
            await catch_up(r, pilot)
            assert_healthy(r)
        assert len(orders.new_ids) == 2


async def test_a_create_answered_with_a_broken_body_does_not_invite_a_duplicate():
    r = rig()
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        for n, body in enumerate((b'{"id": 1, "title": ', b'["not", "a", "task"]')):
            title = f"Garbled answer {n}"
            r.transport.rewrite(TASKS, 200, body, method="POST")  # the sandbox created it; the answer is garbled
            await open_form(r, pilot, title)
            await save(r, pilot)
            assert on_server(r.sb, title) == 1
            status = form_kept(r, title)
            assert "may have saved" in status or "was saved" in status, status
            await pilot.press("escape", "y")
            await settle(r.app, pilot)


# --- OAuth: expiry mid-session, a reused refresh token ------------------------------------------


async def test_an_access_token_that_expires_mid_session_is_refreshed_once(memory_keyring):
    clock = FakeClock()
    sb = Sandbox(seed=11, clock=clock, n_tasks=12, n_orders=30)
    credential = oauth_credential(sb)
    store = CredentialStore("default")
    await store.save(credential)
    r = rig(sb, credential=credential, store=store)
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        r.sb.add_order()
        r.sb.faults.add(Fault("expire_token", path=ORDERS, times=1))
        await background_poll(r, pilot, POLL + 1, feeds=("orders", "tasks"))  # both feeds at once
        assert sb.refresh_count == 1, "exactly one refresh, however many requests saw the 401"
        stored = await store.load()
        assert stored.refresh_token != credential.refresh_token, "the rotated token was not saved"
        assert stored.refresh_token in sb.tokens.refresh, "the keyring holds a live refresh token"
        tasks, orders = panes(r.app)
        assert orders.poller.last_error is None and tasks.poller.last_error is None
        await create_task(r, pilot, "After the refresh")
        await background_poll(r, pilot, POLL + 1, feeds=("orders", "tasks"))
        assert sb.refresh_count == 1, "no refresh while the new token is good"
        # and again later in the session
        r.sb.faults.add(Fault("expire_token", path=TASKS, times=1))
        await background_poll(r, pilot, POLL + 1, feeds=("orders", "tasks"))
        assert sb.refresh_count == 2
        assert orders.poller.last_error is None and tasks.poller.last_error is None
        assert_healthy(r)


def _reuse_refresh_token(r: Rig, credential: Credential) -> None:
    """Someone else (another copy of the app) refreshes with our token: Keap rotates it away."""
    r.sb.tokens.use_refresh_token(credential.refresh_token)
    r.sb.faults.add(Fault("expire_token", path=API, times=1))


async def _wait_for(app, pilot, name: str) -> None:
    for _ in range(10):
        if type(app.screen).__name__ == name:
            return
        await settle(app, pilot)
        await pilot.pause(0.02)
    assert type(app.screen).__name__ == name, f"expected {name}, the screen is {type(app.screen).__name__}"


async def test_a_reused_refresh_token_asks_once_and_going_back_keeps_the_form(memory_keyring):
    clock = FakeClock()
    sb = Sandbox(seed=11, clock=clock, n_tasks=12, n_orders=30)
    credential = oauth_credential(sb)
    store = CredentialStore("default")
    await store.save(credential)
    r = rig(sb, credential=credential, store=store)
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        await open_form(r, pilot, "Unsaved when the login died", "two lines\nof notes")
        _reuse_refresh_token(r, credential)
        for _ in range(3):
            await background_poll(r, pilot, 600, feeds=("orders", "tasks"))
        token_calls = [q for q in sb.requests if q.path == "/token"]
        assert len(token_calls) == 1, "a refused refresh token must not be tried again and again"
        await _wait_for(r.app, pilot, "ConnectScreen")
        assert "expired or was revoked" in assert_no_dump(r.app)
        assert sum(type(s).__name__ == "ConnectScreen" for s in r.app.screen_stack) == 1, "asked more than once"
        form_kept(r, "Unsaved when the login died", "two lines\nof notes", on_top=False)
        await pilot.press("escape")  # not now: back to the form, every character there
        await settle(r.app, pilot)
        form_kept(r, "Unsaved when the login died", "two lines\nof notes")
        await pilot.press("ctrl+s")  # saving fails with the same advice, and asks to sign in again
        await settle(r.app, pilot)
        status = form_kept(r, "Unsaved when the login died", "two lines\nof notes", on_top=False)
        assert "expired or was revoked" in status
        assert len([q for q in sb.requests if q.path == "/token"]) == 1
        assert on_server(sb, "Unsaved when the login died") == 0
        assert r.app.is_running


@pytest.mark.parametrize("how", ["refresh-token-reused", "api-key-revoked"])
async def test_a_dead_login_sends_the_user_to_log_in_and_the_form_survives_the_trip(memory_keyring, how):
    clock = FakeClock()
    sb = Sandbox(seed=11, clock=clock, n_tasks=12, n_orders=30)
    if how == "refresh-token-reused":
        credential = oauth_credential(sb)
        store = CredentialStore("default")
        await store.save(credential)
        r = rig(sb, credential=credential, store=store)
    else:
        r = rig(sb, store=CredentialStore("default"), credential=Credential.from_api_key(sb.api_key, source="keyring"))
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        await open_form(r, pilot, "Survives the login", "every word")
        if how == "refresh-token-reused":
            _reuse_refresh_token(r, credential)
        else:
            sb.revoke_api_key()
        await background_poll(r, pilot, 600, feeds=("orders", "tasks"))
        await _wait_for(r.app, pilot, "ConnectScreen")  # asked to sign in again, over the form
        sb.tokens.api_key = "a-fresh-key"  # the user made a new key in Keap
        r.app.screen.query_one("#api-key", Input).value = "a-fresh-key"
        await pilot.press("enter")
        for _ in range(20):
            await settle(r.app, pilot)
            if type(r.app.screen).__name__ == "TaskForm":
                break
        form_kept(r, "Survives the login", "every word")
        await save(r, pilot)
        r.saved_titles.append("Survives the login")
        assert_healthy(r)


# --- a revoked API key --------------------------------------------------------------------------


async def test_a_revoked_api_key_is_explained_edits_roll_back_and_polls_back_off():
    r = rig()
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        r.sb.revoke_api_key()
        await background_poll(r, pilot, POLL + 1, feeds=("orders", "tasks"))
        await _wait_for(r.app, pilot, "ConnectScreen")
        assert "refused the API key" in assert_no_dump(r.app)
        await pilot.press("escape")  # not now
        await settle(r.app, pilot)
        assert type(r.app.screen).__name__ == "MainScreen"
        text = screen_text(r.app)
        assert "refused the API key" in text and "retrying in" in text
        tasks, orders = panes(r.app)
        tasks.table.focus()
        key = tasks.table.cursor_key
        before = tasks.tasks[key].is_completed
        await pilot.press("x")
        await settle(r.app, pilot)
        assert tasks.tasks[key].is_completed is before, "the refused edit was not rolled back"
        assert any("refused the API key" in m for m in messages(r.app))
        gets_before = len(requests(r.sb, "GET", ORDERS))
        for _ in range(60):  # an hour, the timer firing every minute
            await background_poll(r, pilot, 60)
        polls = len(requests(r.sb, "GET", ORDERS)) - gets_before
        assert polls <= 8, f"{polls} polls in an hour with a dead key: no backoff"
        assert sum(type(s).__name__ == "ConnectScreen" for s in r.app.screen_stack) <= 1
        assert_healthy(r)


# --- the keyring: missing, locked, slow ---------------------------------------------------------


class _BrokenKeyring(keyring.backend.KeyringBackend):
    priority = 0  # type: ignore[assignment]

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode
        self.calls = 0

    def _go(self):
        self.calls += 1
        if self.mode == "locked":
            raise keyring.errors.KeyringLocked("the collection is locked")
        if self.mode == "slow":
            time.sleep(1.0)
            return None
        raise keyring.errors.NoKeyringError("no backend")

    def get_password(self, service, username):
        return self._go()

    def set_password(self, service, username, password):
        self._go()

    def delete_password(self, service, username):
        self._go()


def _use(backend) -> None:
    keyring.set_keyring(backend)


KEYRING_MODES = {
    "missing": "no usable system keyring",
    "locked": "locked",
    "slow": "did not answer within",
}


def _broken(mode: str):
    from keyring.backends import fail

    return fail.Keyring() if mode == "missing" else _BrokenKeyring(mode)


@pytest.mark.parametrize("mode", list(KEYRING_MODES))
def test_a_broken_keyring_is_one_clear_line_naming_the_way_out(mode, monkeypatch, capsys):
    _use(_broken(mode))
    monkeypatch.setattr(cli, "CredentialStore", functools.partial(CredentialStore, timeout=0.2))
    ran = []
    monkeypatch.setattr(cli, "start_app", lambda settings, connector: ran.append(connector) or 0)
    started_at = time.monotonic()
    code = cli.main(["--base-url", "http://127.0.0.1:9/crm/rest/v1"])
    assert time.monotonic() - started_at < 5, "a slow keyring must not hold the start-up"
    out, err = capsys.readouterr()
    assert code == 1 and not ran
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert KEYRING_MODES[mode] in lines[0] and "KEAP_API_KEY" in lines[0], lines[0]


def test_with_keap_api_key_the_app_works_and_never_asks_the_broken_keyring(monkeypatch):
    backend = _BrokenKeyring("slow")
    _use(backend)
    sb = Sandbox(seed=11, n_tasks=8, n_orders=10)
    seen: list[str] = []

    def drive(settings, connector) -> int:
        async def go():
            from infusion_tui.ui.app import InfusionApp

            app = InfusionApp(settings, connector)
            async with app.run_test(size=SIZE) as pilot:
                await started(app, pilot)
                await pilot.press("n")
                await settle(app, pilot)
                app.screen.query_one("#title", Input).value = "Works without a keyring"
                await pilot.press("ctrl+s")
                for _ in range(40):
                    await settle(app, pilot)
                    if type(app.screen).__name__ == "MainScreen":
                        break
                seen.append(type(app.screen).__name__)
                assert_no_dump(app)
        asyncio.run(go())
        return 0

    with sb.serve() as base_url:
        monkeypatch.setenv("KEAP_API_KEY", sb.api_key)
        monkeypatch.setattr(cli, "start_app", drive)
        assert cli.main(["--base-url", base_url]) == 0
    assert seen == ["MainScreen"]
    assert [t["title"] for t in sb.tasks.values()].count("Works without a keyring") == 1
    assert backend.calls == 0, "a KEAP_API_KEY run must not touch the keyring"


class _LocksAfterFirstWrite(keyring.backend.KeyringBackend):
    """Holds the stored login, then locks (the desktop locked the screen mid-session)."""

    priority = 0  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict = {}
        self.locked = False

    def get_password(self, service, username):
        if self.locked:
            raise keyring.errors.KeyringLocked("locked")
        return self.entries.get((service, username))

    def set_password(self, service, username, password):
        if self.locked:
            raise keyring.errors.KeyringLocked("locked")
        self.entries[(service, username)] = password

    def delete_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked")


async def _refresh_with_a_locked_keyring(caplog):
    backend = _LocksAfterFirstWrite()
    _use(backend)
    clock = FakeClock()
    sb = Sandbox(seed=11, clock=clock, n_tasks=12, n_orders=30)
    credential = oauth_credential(sb)
    store = CredentialStore("default", timeout=0.5)
    await store.save(credential)
    backend.locked = True
    r = rig(sb, credential=credential, store=store)
    return r, sb


async def test_a_keyring_locked_mid_session_does_not_stop_the_app(caplog):
    r, sb = await _refresh_with_a_locked_keyring(caplog)
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        sb.add_order()
        sb.faults.add(Fault("expire_token", path=ORDERS, times=1))
        with caplog.at_level(logging.WARNING):
            await background_poll(r, pilot, POLL + 1, feeds=("orders", "tasks"))
        assert sb.refresh_count == 1
        tasks, orders = panes(r.app)
        assert orders.poller.last_error is None and tasks.poller.last_error is None
        assert any("Could not save the renewed Keap login" in rec.getMessage() for rec in caplog.records)
        await create_task(r, pilot, "Keyring locked, app fine")
        await background_poll(r, pilot, POLL + 1, feeds=("orders", "tasks"))
        assert sb.refresh_count == 1, "the new tokens are used from memory"
        assert_healthy(r)


async def test_a_keyring_locked_mid_session_is_told_to_the_user(caplog):
    r, sb = await _refresh_with_a_locked_keyring(caplog)
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        sb.faults.add(Fault("expire_token", path=ORDERS, times=1))
        await background_poll(r, pilot, POLL + 1)
        assert sb.refresh_count == 1
        assert any("keyring" in m.lower() for m in messages(r.app)), messages(r.app)


async def test_the_connect_screen_says_when_there_is_no_keyring_to_keep_a_key():
    from keyring.backends import fail

    _use(fail.Keyring())
    clock = FakeClock()
    sb = Sandbox(seed=11, clock=clock, n_tasks=12, n_orders=30)
    r = rig(sb, store=CredentialStore("default", timeout=0.5))
    r.connector.credential = None  # nobody logged in: the connect screen opens
    async with r.app.run_test(size=SIZE) as pilot:
        for _ in range(20):
            await settle(r.app, pilot)
            if type(r.app.screen).__name__ == "ConnectScreen":
                break
        assert type(r.app.screen).__name__ == "ConnectScreen"
        r.app.screen.query_one("#api-key", Input).value = sb.api_key
        await pilot.press("enter")
        for _ in range(20):
            await settle(r.app, pilot)
            if "keyring" in screen_text(r.app):
                break
        text = assert_no_dump(r.app)
        assert "no usable system keyring" in text and "KEAP_API_KEY" in text
        assert type(r.app.screen).__name__ == "ConnectScreen" and r.app.is_running


# --- the sandbox stopped and started again, over a real socket ----------------------------------


async def test_the_feed_recovers_by_itself_when_keap_goes_away_and_comes_back():
    clock = FakeClock()
    sb = Sandbox(seed=11, clock=clock, n_tasks=12, n_orders=30)
    base_url = sb.start(0)
    port = sb._server.port
    try:
        r = rig(sb, base_url=base_url, transport=False)
        async with r.app.run_test(size=SIZE) as pilot:
            await started(r.app, pilot)
            tasks, orders = panes(r.app)
            await create_task(r, pilot, "Before the restart")
            sb.stop()
            sb.add_order()  # orders keep coming in while we cannot see them
            await background_poll(r, pilot, POLL + 1, feeds=("orders", "tasks"))
            assert orders.poller.last_error is not None
            assert "Could not connect" in screen_text(r.app)
            assert orders._timer is not None, "the poll chain must stay armed after a failure"
            await open_form(r, pilot, "While Keap is down", "")
            await save(r, pilot)
            assert "Could not connect" in form_kept(r, "While Keap is down")
            sb.add_order()
            await background_poll(r, pilot, orders.poller.seconds_until_next() + 1)
            assert orders.poller.last_error is not None
            sb.start(port)  # the same address, as a restarted server
            sb.add_order()
            await catch_up(r, pilot)
            assert orders._timer is not None
            await save(r, pilot)
            assert type(r.app.screen).__name__ == "MainScreen"
            r.saved_titles.append("While Keap is down")
            assert len(orders.new_ids) == 3
            assert_healthy(r)
    finally:
        sb.stop()
