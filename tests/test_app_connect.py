"""Getting connected from the connect screen: a key, a bad key, no keyring, and OAuth with a
test playing the browser against the sandbox on a real socket."""

from __future__ import annotations

import asyncio
import json

import httpx
import keyring
import keyring.backends.fail

from infusion_tui.clock import FakeClock
from infusion_tui.connection import Connector
from infusion_tui.credentials import CredentialStore
from infusion_tui.sandbox import Sandbox
from infusion_tui.settings import load_settings
from infusion_tui.ui.app import InfusionApp
from tests.app_harness import screen_text, settle

ORIGIN = "http://localhost"


def _app(sb: Sandbox, base_url: str | None = None, transport=True) -> InfusionApp:
    settings = load_settings({"base_url": base_url or sb.base_url_for(ORIGIN)}, {})
    connector = Connector(settings, None, credentials=CredentialStore("default"),
                          transport=sb.transport() if transport else None, clock=sb.clock)
    return InfusionApp(settings, connector)


async def _wait_for(app, pilot, screen_name: str, attempts: int = 100) -> None:
    for _ in range(attempts):
        await settle(app, pilot)
        if type(app.screen).__name__ == screen_name:
            return
        await pilot.pause(0.05)
    raise AssertionError(f"expected {screen_name}, got {type(app.screen).__name__}")


async def _paste_key(app, pilot, key: str) -> None:
    await _wait_for(app, pilot, "ConnectScreen")
    app.screen.query_one("#api-key").value = key
    app.screen.query_one("#api-key").focus()
    await pilot.press("enter")
    await settle(app, pilot)


async def test_a_good_key_is_checked_stored_and_connects(memory_keyring):
    sb = Sandbox(seed=3, api_key="good-key", clock=FakeClock(), n_tasks=5, n_orders=5)
    app = _app(sb)
    async with app.run_test(size=(100, 32)) as pilot:
        await _paste_key(app, pilot, "good-key")
        await _wait_for(app, pilot, "MainScreen")
        stored = json.loads(memory_keyring.entries[("infusion-tui", "default")])
        assert stored["api_key"] == "good-key"
        assert "good-key" not in screen_text(app)


async def test_a_bad_key_is_explained_and_not_stored(memory_keyring):
    sb = Sandbox(seed=3, api_key="good-key", clock=FakeClock(), n_tasks=5, n_orders=5)
    app = _app(sb)
    async with app.run_test(size=(100, 32)) as pilot:
        await _paste_key(app, pilot, "wrong-key")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ConnectScreen"
        assert "refused" in screen_text(app).lower()
        assert memory_keyring.entries == {}


async def test_without_a_keyring_the_user_is_told_how_to_fix_it():
    keyring.set_keyring(keyring.backends.fail.Keyring())
    sb = Sandbox(seed=3, api_key="good-key", clock=FakeClock(), n_tasks=5, n_orders=5)
    app = _app(sb)
    async with app.run_test(size=(120, 40)) as pilot:
        await _paste_key(app, pilot, "good-key")
        text = " ".join(screen_text(app).split())
        assert type(app.screen).__name__ == "ConnectScreen"
        assert "keyring" in text and "KEAP_API_KEY" in text


async def test_oauth_login_end_to_end_with_a_test_playing_the_browser(memory_keyring, monkeypatch):
    sb = Sandbox(seed=3, n_tasks=5, n_orders=5)
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url) or True)
    with sb.serve() as base_url:
        app = _app(sb, base_url=base_url, transport=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await _wait_for(app, pilot, "ConnectScreen")
            app.screen.query_one("#client-id").value = sb.client_id
            app.screen.query_one("#client-secret").value = sb.client_secret
            app.screen.query_one("#oauth-start").press()
            for _ in range(100):
                await pilot.pause(0.05)
                if opened:
                    break
            assert opened and "state=" in opened[0]
            # the "browser": Keap's login approves and redirects to our loopback listener
            async with httpx.AsyncClient(follow_redirects=True, timeout=10) as browser:
                page = await browser.get(opened[0])
            assert page.status_code == 200
            await _wait_for(app, pilot, "MainScreen")
            stored = json.loads(memory_keyring.entries[("infusion-tui", "default")])
            assert stored["kind"] == "oauth" and stored["refresh_token"]
            assert sb.refresh_count == 0  # a code exchange, not a refresh
            await asyncio.sleep(0)
