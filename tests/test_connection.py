"""From settings and a credential to a working client: API key, OAuth with rotation, demo."""

from __future__ import annotations

import dataclasses
import json

import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.connection import Connector, NotLoggedIn, demo_connection, open_client
from infusion_tui.credentials import Credential, CredentialStore
from infusion_tui.keap.errors import AuthError
from infusion_tui.sandbox import Sandbox
from infusion_tui.settings import load_settings

ORIGIN = "http://sandbox.test"
ENTRY = ("infusion-tui", "default")


@pytest.fixture
def sb():
    return Sandbox(seed=7, api_key="good-key", clock=FakeClock())


def settings_for(sb, **changes):
    # Built in code, not parsed: plain http to a non-loopback name is refused from the CLI.
    return dataclasses.replace(load_settings({}, {}), base_url=sb.base_url_for(ORIGIN), **changes)


def api_calls(sb):
    return [r for r in sb.requests if r.path.startswith("/crm/")]


async def test_api_key_client(sb):
    client = await open_client(settings_for(sb), Credential.from_api_key("good-key"), store=None,
                               transport=sb.transport(), clock=sb.clock)
    async with client:
        await client.verify()
        assert client.budget.calls == 100
    assert api_calls(sb)[0].credential == "api_key"


async def test_budget_follows_settings(sb):
    client = await open_client(settings_for(sb), Credential.from_api_key("k"), store=None, transport=sb.transport())
    assert client.budget.calls == 100
    await client.aclose()
    client = await open_client(settings_for(sb, calls_per_minute=7), Credential.from_api_key("k"), store=None)
    assert client.budget.calls == 7
    await client.aclose()


async def test_refused_key(sb):
    client = await open_client(settings_for(sb), Credential.from_api_key("bad-key"), store=None,
                               transport=sb.transport(), clock=sb.clock, max_retries=0)
    async with client:
        with pytest.raises(AuthError):
            await client.verify()


async def test_oauth_rotated_tokens_are_saved_before_use(sb, memory_keyring):
    issued = sb.issue_access_token()
    cred = Credential(kind="oauth", access_token=issued["access_token"], refresh_token=issued["refresh_token"],
                      expires_at=sb.clock.now() - 1,  # expired: the first call refreshes
                      client_id=sb.client_id, client_secret=sb.client_secret)
    events = []

    class WatchingStore(CredentialStore):
        async def save(self, credential):
            events.append(("save", len(api_calls(sb))))
            await super().save(credential)

    store = WatchingStore("default")
    await store.save(cred)
    events.clear()
    rotated = []
    client = await open_client(settings_for(sb), cred, store=store, transport=sb.transport(),
                               clock=sb.clock, on_rotate=rotated.append)
    async with client:
        await client.verify()
    assert events == [("save", 0)]  # saved before any API call used the new token
    assert len(api_calls(sb)) == 1 and sb.refresh_count == 1
    saved = json.loads(memory_keyring.entries[ENTRY])
    assert saved["refresh_token"] != issued["refresh_token"]  # the rotated one
    assert saved["client_id"] == sb.client_id and saved["client_secret"] == sb.client_secret
    assert rotated[0].refresh_token == saved["refresh_token"]
    # the next run starts from what was saved, and works
    again = await store.load()
    client = await open_client(settings_for(sb), again, store=store, transport=sb.transport(), clock=sb.clock)
    async with client:
        await client.verify()


def test_demo_connection_needs_nothing():
    s = load_settings({"demo": True}, {})
    client, sandbox = demo_connection(s, FakeClock())
    assert client.base_url == sandbox.base_url_for(ORIGIN)
    assert sandbox.seed == 7


async def test_demo_connection_serves_data():
    client, sandbox = demo_connection(load_settings({"demo": True}, {}), FakeClock())
    async with client:
        tasks = await client.list_tasks()
    assert tasks


async def test_connector_demo_session(memory_keyring):
    connector = Connector(load_settings({"demo": True}, {}), clock=FakeClock())
    assert not connector.needs_login
    session = await connector.open()
    try:
        assert session.label == "demo sandbox" and session.sandbox is connector.sandbox
        assert session.poll_interval == connector.sandbox.poll_interval == session.poll_floor
        assert session.store is None
    finally:
        await session.close()
    assert memory_keyring.entries == {}


async def test_connector_without_credential_needs_login(sb):
    connector = Connector(settings_for(sb), None, credentials=CredentialStore("default"), transport=sb.transport())
    assert connector.needs_login
    with pytest.raises(NotLoggedIn):
        await connector.open()


async def test_connector_login_with_key(sb, memory_keyring):
    connector = Connector(settings_for(sb), None, credentials=CredentialStore("default"),
                          transport=sb.transport(), clock=sb.clock)
    with pytest.raises(AuthError):
        await connector.login_with_key("bad-key")
    assert memory_keyring.entries == {}
    session = await connector.login_with_key("good-key")
    try:
        assert session.label == "API key" and session.profile == "default"
        assert json.loads(memory_keyring.entries[ENTRY])["api_key"] == "good-key"
        assert connector.secrets() == ("good-key",) and not connector.needs_login
    finally:
        await session.close()
    assert await connector.logout() is True and memory_keyring.entries == {}


async def test_connector_session_for_keap_keeps_the_floor(sb):
    s = settings_for(sb)  # http://sandbox.test is not loopback: Keap's rules
    connector = Connector(s, Credential.from_api_key("good-key"), transport=sb.transport(), clock=sb.clock)
    session = await connector.open()
    try:
        assert session.poll_floor == 120.0 and session.poll_interval == 120.0 and session.label == "API key"
    finally:
        await session.close()


async def test_env_credential_label():
    s = load_settings({}, {})
    cred = Credential.from_api_key("k", source="environment")
    connector = Connector(s, cred)
    assert connector.secrets() == ("k",)
    from infusion_tui.connection import _label

    assert _label(cred) == "KEAP_API_KEY"


async def authorize(sb, redirect_uri, state="s1"):
    """What the browser does: the sandbox approves at once and redirects with a code."""
    import httpx
    from infusion_tui.keap import oauth

    url = oauth.authorize_url(sb.authorize_url_for(ORIGIN), sb.client_id, redirect_uri, state)
    async with httpx.AsyncClient(transport=sb.transport()) as http:
        return (await http.get(url)).headers["location"]


async def test_connector_login_with_oauth(sb, memory_keyring):
    from infusion_tui.keap import oauth

    connector = Connector(settings_for(sb), None, credentials=CredentialStore("default"),
                          transport=sb.transport(), clock=sb.clock)
    redirect = "http://127.0.0.1:9/callback"
    code = oauth.parse_redirect(await authorize(sb, redirect), "s1")
    session = await connector.login_with_oauth(sb.client_id, sb.client_secret, code, redirect)
    try:
        assert session.label == "OAuth app"
        stored = json.loads(memory_keyring.entries[ENTRY])
        assert stored["kind"] == "oauth" and stored["client_id"] == sb.client_id
        assert connector.credential.refresh_token == stored["refresh_token"]
    finally:
        await session.close()


async def test_connector_login_with_oauth_bad_secret_stores_nothing(sb, memory_keyring):
    from infusion_tui.keap import oauth

    connector = Connector(settings_for(sb), None, credentials=CredentialStore("default"), transport=sb.transport())
    redirect = "http://127.0.0.1:9/callback"
    code = oauth.parse_redirect(await authorize(sb, redirect), "s1")
    with pytest.raises(AuthError):
        await connector.login_with_oauth(sb.client_id, "wrong", code, redirect)
    assert memory_keyring.entries == {} and connector.needs_login


async def test_oauth_login_by_paste(sb):
    from infusion_tui.connection import oauth_login

    async def paste(url):
        assert "state=" in url and f"client_id={sb.client_id}" in url
        async with __import__("httpx").AsyncClient(transport=sb.transport()) as http:
            return (await http.get(url)).headers["location"]

    cred = await oauth_login(settings_for(sb), sb.client_id, sb.client_secret, paste=paste,
                             transport=sb.transport(), clock=sb.clock)
    assert cred.kind == "oauth" and cred.client_secret == sb.client_secret and cred.refresh_token


async def test_open_demo_from_the_connect_screen(memory_keyring):
    connector = Connector(load_settings({}, {}), None, credentials=CredentialStore("default"), clock=FakeClock())
    assert connector.needs_login
    session = await connector.open_demo()
    try:
        assert session.label == "demo sandbox" and connector.settings.demo and not connector.needs_login
    finally:
        await session.close()


async def test_a_locked_keyring_at_rotation_is_told_and_the_session_goes_on(sb, memory_keyring):
    import keyring
    import keyring.backend
    import keyring.errors

    class LockedKeyring(keyring.backend.KeyringBackend):
        priority = 0

        def get_password(self, *args):
            raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

        set_password = delete_password = get_password

    issued = sb.issue_access_token()
    cred = Credential(kind="oauth", access_token=issued["access_token"], refresh_token=issued["refresh_token"],
                      expires_at=sb.clock.now() - 1, client_id=sb.client_id, client_secret=sb.client_secret)
    connector = Connector(settings_for(sb), cred, credentials=CredentialStore("default"),
                          transport=sb.transport(), clock=sb.clock, open_store=lambda s: None)
    problems = []
    connector.on_problem = problems.append
    session = await connector.open()
    keyring.set_keyring(LockedKeyring())  # locked after start-up
    try:
        await session.client.verify()  # refreshes (the access token has expired), then works
    finally:
        await session.close()
    assert sb.refresh_count == 1 and len(problems) == 1
    assert "could not be saved to the keyring (the keyring is locked)" in problems[0]
    assert connector.credential.refresh_token != issued["refresh_token"]  # kept in memory
