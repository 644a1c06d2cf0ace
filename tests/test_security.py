"""Security promises, each checked from the outside.

- Tokens and keys never touch the disk outside the keyring: a whole session (log in with a
  key, work in the app, log in with OAuth, a token refresh, status, log out) with DEBUG logging,
  then every file under the temp HOME (config, data, cache, state, the log) is searched for
  every secret the sandbox saw, raw and encoded.
- `logout` leaves nothing behind in the real Secret Service (gnome-keyring on a private D-Bus).
- The OAuth loopback listener binds 127.0.0.1 only, takes exactly one request with the right
  state, refuses the rest, and is closed afterwards.
- A base URL over plain http is refused for any host but loopback, wherever it comes from.
- Server text cannot style or corrupt the terminal: markup and escape sequences in titles,
  descriptions, contact and company names, addresses and error messages are shown literally.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from textual.widgets import Input

from infusion_tui import cli
from infusion_tui.keap.errors import AuthError
from infusion_tui.keap.loopback import LoopbackReceiver
from infusion_tui.sandbox import Fault, Sandbox
from infusion_tui.settings import SettingsError, check_base_url, load_settings
from tests.fault_harness import (
    ORDERS,
    POLL,
    TASKS,
    assert_healthy,
    background_poll,
    panes,
    rig,
    screen_text,
    settle,
    started,
)

REPO = Path(__file__).resolve().parent.parent
KEY = "KeapAK-9f8e7d6c5b4a39281706f5e4d3c2b1a0-LIVE"
CLIENT_SECRET = "cs-0123456789abcdefSECRET"


# --- no secret on disk ----------------------------------------------------------------------------


def _forms(secret: str) -> set[bytes]:
    """`secret` as it could sit in a file: raw, URL-encoded, hex, and base64 at any alignment."""
    raw = secret.encode()
    forms = {raw, urllib.parse.quote(secret, safe="").encode(), raw.hex().encode()}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        forms.add(encode(raw).rstrip(b"="))
        for shift in range(3):  # inside a longer base64 text: the characters only `raw` decides
            blob = encode(b"\0" * shift + raw)
            forms.add(blob[4 if shift else 0: -4])
    return {f for f in forms if len(f) >= 12}


def _scan(root: Path, secrets: dict[str, str]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        for name, secret in secrets.items():
            for form in _forms(secret):
                if form in data:
                    found.append(f"{name} in {path.relative_to(root)}")
                    break
    return found


def _browser(url: str) -> bool:
    """A browser that approves at once (urllib: its requests leave nothing in our log)."""
    urllib.request.urlopen(url, timeout=10).read()
    return True


class _Recorder:
    """Every token and code the sandbox hands out, even those it later forgets."""

    def __init__(self, sb: Sandbox) -> None:
        self.values: dict[str, str] = {}
        issue, new_code = sb.tokens.issue, sb.tokens.new_code

        def recorded_issue():
            answer = issue()
            n = len(self.values)
            self.values[f"access_token#{n}"] = answer["access_token"]
            self.values[f"refresh_token#{n}"] = answer["refresh_token"]
            return answer

        def recorded_code(redirect_uri):
            code = new_code(redirect_uri)
            self.values[f"code#{len(self.values)}"] = code
            return code

        sb.tokens.issue, sb.tokens.new_code = recorded_issue, recorded_code


def _work_in_the_app(sb: Sandbox, title: str, *, expire: bool) -> callable:
    """A start_app that drives the real app: create a task, poll, open an order, export."""
    done: list[str] = []

    def drive(settings, connector) -> int:
        async def go() -> None:
            from infusion_tui.ui.app import InfusionApp

            app = InfusionApp(settings, connector)
            async with app.run_test(size=(120, 40)) as pilot:
                await started(app, pilot)
                await pilot.press("n")
                await settle(app, pilot)
                app.screen.query_one("#title", Input).value = title
                await pilot.press("ctrl+s")
                await settle(app, pilot)
                assert type(app.screen).__name__ == "MainScreen", screen_text(app)
                tasks, orders = panes(app)
                if expire:
                    sb.faults.add(Fault("expire_token", path=ORDERS, times=1))
                sb.add_order()
                orders.table.focus()
                await pilot.press("r")  # check now (a manual poll)
                await settle(app, pilot)
                assert orders.poller.last_error is None, orders.poller.last_error
                await pilot.press("E")  # export the feed to CSV in the data dir
                await pilot.press("enter")  # the order details
                await settle(app, pilot)
                await pilot.press("escape")
                done.append(title)

        asyncio.run(go())
        return 0

    drive.done = done  # type: ignore[attr-defined]
    return drive


def test_a_whole_session_leaves_no_secret_on_disk(isolated_home, memory_keyring, monkeypatch, capsys):
    sb = Sandbox(seed=7, api_key=KEY, client_secret=CLIENT_SECRET, n_tasks=10, n_orders=20)
    recorder = _Recorder(sb)
    debug = ["--log-level", "DEBUG"]
    with sb.serve() as url:
        where = ["--base-url", url, "--poll-interval", str(POLL)]
        # 1. log in with a key, work, log out
        monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(KEY + "\n"))
        assert cli.main(["login", "--with-token", *where[:2], *debug]) == 0
        drive = _work_in_the_app(sb, "Task made with a key", expire=False)
        monkeypatch.setattr(cli, "start_app", drive)
        assert cli.main([*where, *debug]) == 0 and drive.done
        assert cli.main(["logout", *debug]) == 0
        # 2. log in with OAuth, work through a token refresh, check status, log out
        monkeypatch.setattr(cli, "open_browser", _browser)
        monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(CLIENT_SECRET + "\n"))
        assert cli.main(["login", "--oauth", "--client-id", sb.client_id, "--client-secret-stdin",
                         *where[:2], *debug]) == 0
        refreshes = sb.refresh_count
        drive = _work_in_the_app(sb, "Task made with OAuth", expire=True)
        monkeypatch.setattr(cli, "start_app", drive)
        assert cli.main([*where, *debug]) == 0 and drive.done
        assert sb.refresh_count == refreshes + 1, "the session should have refreshed its token once"
        assert cli.main(["status", *where[:2], *debug]) == 0
        assert cli.main(["logout", *debug]) == 0
    out, err = capsys.readouterr()

    secrets = {"api key": KEY, "client secret": CLIENT_SECRET,
               "basic auth": f"{sb.client_id}:{CLIENT_SECRET}", **recorder.values}
    assert len(recorder.values) >= 5, "the session did not go through login + refresh"
    assert memory_keyring.entries == {}, "logout left an entry in the keyring"
    log = next(isolated_home.rglob("infusion-tui.log"))
    text = log.read_text()
    assert "→ GET" in text and "[redacted]" in text, "DEBUG logging did not run: the scan proves little"
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    written = [p for p in isolated_home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".csv" for p in written), f"the export is missing: {written}"
    leaks = _scan(isolated_home, secrets)
    assert not leaks, f"secrets on disk: {leaks}"
    for name, secret in secrets.items():
        assert secret not in out + err, f"{name} printed"


SECRET_SERVICE_CHILD = r"""
import io, sys
from pathlib import Path
import keyring, secretstorage
from keyring.backends import SecretService
from infusion_tui import cli
from infusion_tui.credentials import Credential, CredentialStore
from infusion_tui.sandbox import Sandbox

KEY = sys.argv[1]
assert isinstance(keyring.get_keyring(), SecretService.Keyring), keyring.get_keyring()
sb = Sandbox(seed=7, api_key=KEY)
with sb.serve() as url:
    sys.stdin = io.StringIO(KEY + "\n")
    assert cli.main(["login", "--with-token", "--base-url", url]) == 0
    assert KEY in keyring.get_password("infusion-tui", "default")
    tokens = sb.issue_access_token()
    oauth = Credential(kind="oauth", access_token=tokens["access_token"], refresh_token=tokens["refresh_token"],
                       expires_at=2e9, client_id=sb.client_id, client_secret=sb.client_secret)
    CredentialStore("work").save_sync(oauth)
    assert cli.main(["logout"]) == 0
    assert cli.main(["logout", "--profile", "work"]) == 0
needles = [KEY, tokens["access_token"], tokens["refresh_token"], sb.client_secret]
conn = secretstorage.dbus_init()
items = 0
for collection in secretstorage.get_all_collections(conn):
    if collection.is_locked():
        collection.unlock()
    for item in collection.get_all_items():
        items += 1
        secret = item.get_secret()
        attrs = item.get_attributes()
        assert attrs.get("service") != "infusion-tui", f"entry left: {attrs}"
        for needle in needles:
            assert needle.encode() not in secret, "a secret is still in the Secret Service"
for path in Path.home().rglob("*"):
    if path.is_file():
        data = path.read_bytes()
        assert not any(n.encode() in data for n in needles), f"secret in {path}"
print(f"NO-SECRETS-LEFT items={items}")
"""


@pytest.mark.secret_service
@pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("dbus-daemon", "dbus-send", "gnome-keyring-daemon")),
    reason="needs gnome-keyring and dbus (apt-get install -y --no-install-recommends gnome-keyring dbus-x11)",
)
def test_logout_leaves_nothing_in_the_real_secret_service():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON_KEYRING")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [str(REPO / "scripts" / "with-secret-service.sh"), sys.executable, "-c", SECRET_SERVICE_CHILD, KEY],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "NO-SECRETS-LEFT" in proc.stdout
    assert KEY not in proc.stdout + proc.stderr


# --- the OAuth loopback listener ----------------------------------------------------------------


async def _get(port: int, target: str, method: str = "GET") -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    return int(status.split()[1])


def _outside_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET: nothing is sent
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


async def test_the_loopback_listener_takes_one_right_answer_and_then_is_gone():
    async with LoopbackReceiver("the-right-state") as rx:
        assert rx.redirect_uri.startswith("http://127.0.0.1:")
        port = rx.port
        bound = {s.getsockname()[0] for s in rx._server.sockets}
        assert bound == {"127.0.0.1"}, f"listening on {bound}"
        outside = _outside_address()
        if outside is not None:
            with pytest.raises(OSError):
                await asyncio.wait_for(asyncio.open_connection(outside, port), 2)
        # refused, and the wait goes on
        assert await _get(port, "/callback?state=wrong&code=stolen") == 400
        assert await _get(port, "/callback?code=no-state") == 400
        assert await _get(port, "/elsewhere?state=the-right-state&code=x") == 404
        assert await _get(port, "/favicon.ico") == 404
        assert await _get(port, "/callback?state=the-right-state&code=x", method="POST") == 404
        assert await _get(port, "/callback?state=the-right-state") == 400  # no code
        waiting = asyncio.ensure_future(rx.wait(timeout=5))
        await asyncio.sleep(0.05)
        assert not waiting.done(), "a refused request ended the wait"
        # the one right answer
        assert await _get(port, "/callback?state=the-right-state&code=the-code&scope=full") == 200
        assert await waiting == "the-code"
    for _ in range(3):
        with pytest.raises(OSError):
            await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)


async def test_a_refused_login_in_the_browser_ends_the_wait_with_advice_and_closes():
    async with LoopbackReceiver("s") as rx:
        waiting = asyncio.ensure_future(rx.wait(timeout=5))
        assert await _get(rx.port, "/callback?state=s&error=access_denied") == 200
        with pytest.raises(AuthError, match="cancelled"):
            await waiting
        port = rx.port
    with pytest.raises(OSError):
        await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)


async def test_nobody_coming_back_closes_the_listener():
    async with LoopbackReceiver("s") as rx:
        port = rx.port
        with pytest.raises(AuthError, match="No answer"):
            await rx.wait(timeout=0.1)
        with pytest.raises(OSError):
            await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)


# --- plain http only to loopback ----------------------------------------------------------------

REFUSED_HTTP = ["http://api.infusionsoft.com/crm/rest/v1", "http://example.com", "http://10.0.0.1/crm",
                "http://192.168.1.20:8080", "http://0.0.0.0:8000", "http://[::]:8000", "http://127.0.0.1.nip.io",
                "http://localhost.evil.test", "http://evil.test#@127.0.0.1", "http://2130706433",
                "http://[2001:db8::1]", "HTTP://EXAMPLE.COM"]
LOOPBACK_HTTP = ["http://127.0.0.1:8000/crm/rest/v1", "http://localhost:9/crm/rest/v1", "http://127.8.9.10",
                 "http://[::1]:8000", "http://LOCALHOST"]


@pytest.mark.parametrize("url", REFUSED_HTTP)
def test_plain_http_to_anything_but_loopback_is_refused(url, isolated_home):
    with pytest.raises(SettingsError):
        check_base_url(url, "--base-url")
    with pytest.raises(SettingsError):
        load_settings({"base_url": url}, {})
    with pytest.raises(SettingsError):
        load_settings({}, {"INFUSION_TUI_BASE_URL": url})
    config = isolated_home / "refused.toml"
    config.write_text(f"base_url = {json.dumps(url)}\n")
    with pytest.raises(SettingsError):
        load_settings({}, {}, config)


@pytest.mark.parametrize("url", LOOPBACK_HTTP)
def test_plain_http_to_loopback_is_allowed(url):
    settings = load_settings({"base_url": url}, {})
    assert settings.is_local
    host = urllib.parse.urlsplit(settings.base_url).hostname
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, 80)}
    except socket.gaierror:
        return  # unresolvable: nothing can be sent anywhere
    assert all(a.startswith("127.") or a == "::1" for a in addresses), addresses


def test_https_to_keap_is_fine():
    assert load_settings({"base_url": "https://api.infusionsoft.com/crm/rest/v1"}, {}).is_local is False


# --- server text cannot style the terminal ------------------------------------------------------

EVIL = "[bold red]Boom[/] \x1b[31mred\x1b[0m \x1b]0;pwned\x07 bell\x07 c1\x9b2J [@click=app.quit]x[/]"
CONTROLS = ("\x1b", "\x9b", "\x07", "\x90", "\x9d")


def _assert_literal(app, where: str) -> str:
    svg = app.export_screenshot()
    for ch in CONTROLS:
        assert ch not in svg, f"{ch!r} from the server reached the terminal in {where}"
    text = screen_text(app)
    assert "[bold red]" in text, f"markup was interpreted (or hidden) in {where}"
    return text


def _evil_world(r) -> tuple[dict, dict]:
    sb = r.sb
    contact = dict(sb.contacts[0])
    task = sb.add_task(title=EVIL, description=f"notes {EVIL}\nsecond line {EVIL}", type="Call",
                       contact={"id": contact["id"], "first_name": EVIL, "last_name": "Smith",
                                "email": "evil@example.com"})
    order = sb.add_order(title=EVIL, notes=EVIL, contact={"id": contact["id"], "first_name": EVIL,
                                                         "last_name": EVIL, "company_name": EVIL,
                                                         "email": "evil@example.com"})
    order["shipping_information"] = {**order.get("shipping_information", {}), "first_name": EVIL,
                                     "company": EVIL, "street1": EVIL, "street2": EVIL, "city": EVIL,
                                     "state": "[blink]XX", "zip": "\x1b[5m12345", "country": EVIL, "phone": EVIL}
    for item in order.get("order_items", []):
        item["name"] = EVIL
    return task, order


async def test_server_text_is_shown_literally_in_the_tables_the_details_and_the_form():
    r = rig()
    async with r.app.run_test(size=(160, 50)) as pilot:
        await started(r.app, pilot)
        task, order = _evil_world(r)
        await background_poll(r, pilot, POLL + 1, feeds=("orders", "tasks"))
        tasks, orders = panes(r.app)
        tasks.table.move_cursor_to_key(task["id"])
        orders.table.move_cursor_to_key(order["id"])
        await settle(r.app, pilot)
        text = _assert_literal(r.app, "the task table and the order feed")
        assert "pwned" not in text, "an OSC payload was shown instead of dropped"
        orders.table.focus()
        await pilot.press("enter")
        await settle(r.app, pilot)
        assert type(r.app.screen).__name__ == "OrderDetails"
        text = _assert_literal(r.app, "the order details")
        assert text.count("[bold red]") >= 6, "contact, company, address, items and notes should all show it"
        await pilot.press("escape")
        await settle(r.app, pilot)
        tasks.table.focus()
        await pilot.press("e")
        await settle(r.app, pilot)
        assert type(r.app.screen).__name__ == "TaskForm"
        text = _assert_literal(r.app, "the task form")
        assert "␛[31m" in text, "the form shows control characters as pictures"
        await pilot.press("escape")
        await settle(r.app, pilot)
        assert r.app.is_running  # [@click=app.quit] never became a link
        assert_healthy(r)


async def test_keaps_error_messages_cannot_style_the_terminal():
    r = rig()
    async with r.app.run_test(size=(120, 40)) as pilot:
        await started(r.app, pilot)
        r.transport.rewrite(TASKS, 400, json.dumps({"message": EVIL}).encode(), method="POST")
        tasks, _ = panes(r.app)
        tasks.table.focus()
        await pilot.press("n")
        await settle(r.app, pilot)
        r.app.screen.query_one("#title", Input).value = "Refused by Keap"
        await pilot.press("ctrl+s")
        await settle(r.app, pilot)
        assert "Boom" in r.app.screen.error_text("status")
        _assert_literal(r.app, "the form's error line")


async def test_a_task_title_from_keap_cannot_style_the_terminal_in_a_notification():
    r = rig()
    async with r.app.run_test(size=(120, 40), notifications=True) as pilot:
        await started(r.app, pilot)
        task = r.sb.add_task(title=EVIL)
        await background_poll(r, pilot, POLL + 1, feeds=("tasks",))
        tasks, _ = panes(r.app)
        tasks.table.move_cursor_to_key(task["id"])
        tasks.table.focus()
        r.sb.faults.add(Fault("status", path=f"{TASKS}/{task['id']}", status=503, times=None))
        await pilot.press("x")  # refused: the toast names the task
        await settle(r.app, pilot)
        assert any("Could not update" in str(n.message) for n in r.app._notifications)
        _assert_literal(r.app, "the 'could not update' notification")
