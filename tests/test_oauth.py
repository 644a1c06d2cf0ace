"""OAuth login helpers: URLs, redirect parsing, code exchange, the loopback receiver.

A test plays the browser with httpx: it follows the sandbox's authorize redirect to the
receiver on 127.0.0.1, as a real browser would.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.keap import (
    KEAP_AUTHORIZE_URL,
    KEAP_BASE_URL,
    KEAP_TOKEN_URL,
    AuthError,
    KeapClient,
    LoginUnavailable,
    LoopbackReceiver,
    OAuthAuth,
    authorize_url,
    endpoints_for,
    exchange_code,
    new_state,
    parse_redirect,
)
from infusion_tui.keap.oauth import BAD_CLIENT, STALE_CODE
from infusion_tui.sandbox import Fault, Sandbox

ORIGIN = "http://sandbox.test"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sb(clock):
    return Sandbox(seed=7, clock=clock, n_tasks=10, n_orders=5)


@pytest.fixture
async def http(sb):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sb.app), base_url=ORIGIN) as http:
        yield http


async def authorize(http, sb, redirect_uri, state):
    """The sandbox's authorize page approves at once: return where it sends the browser."""
    authorize_endpoint, _ = endpoints_for(sb.base_url_for(ORIGIN))
    response = await http.get(authorize_url(authorize_endpoint, sb.client_id, redirect_uri, state))
    assert response.status_code == 302
    return response.headers["location"]


# -- URLs and state -------------------------------------------------------------------------


def test_endpoints_for_keap_and_for_a_sandbox():
    assert endpoints_for(KEAP_BASE_URL) == (KEAP_AUTHORIZE_URL, KEAP_TOKEN_URL)
    assert KEAP_AUTHORIZE_URL == "https://accounts.infusionsoft.com/app/oauth/authorize"
    assert KEAP_TOKEN_URL == "https://api.infusionsoft.com/token"
    assert endpoints_for("http://127.0.0.1:8123/crm/rest/v1") == (
        "http://127.0.0.1:8123/app/oauth/authorize",
        "http://127.0.0.1:8123/token",
    )


def test_authorize_url_asks_for_a_code_with_full_scope():
    url = authorize_url("https://a.test/app/oauth/authorize", "my id", "http://127.0.0.1:9/cb", "st8")
    parts = urlsplit(url)
    assert parts.path == "/app/oauth/authorize"
    assert parse_qs(parts.query) == {
        "client_id": ["my id"], "redirect_uri": ["http://127.0.0.1:9/cb"],
        "response_type": ["code"], "scope": ["full"], "state": ["st8"],
    }  # fmt: skip


def test_new_state_is_unguessable():
    states = {new_state() for _ in range(50)}
    assert len(states) == 50 and all(len(s) >= 32 for s in states)


@pytest.mark.parametrize(
    "pasted",
    [
        "http://127.0.0.1:8/callback?code=abc&scope=full%7Cx.infusionsoft.com&state=S1",
        "  https://example.com/cb?state=S1&code=abc\n",
        "?code=abc&state=S1",
        "code=abc&state=S1",
    ],
)
def test_parse_redirect_accepts_urls_and_queries(pasted):
    assert parse_redirect(pasted, "S1") == "abc"


@pytest.mark.parametrize(
    "pasted, message",
    [
        ("http://x/cb?code=abc&state=OTHER", "different login attempt"),
        ("http://x/cb?code=abc", "different login attempt"),
        ("http://x/cb?error=access_denied&state=S1", "cancelled"),
        ("http://x/cb?error=server_error&error_description=Boom&state=S1", "Boom"),
        ("http://x/cb?state=S1", "no sign-in code"),
    ],
)
def test_parse_redirect_refuses(pasted, message):
    with pytest.raises(AuthError, match=message):
        parse_redirect(pasted, "S1")


# -- code exchange --------------------------------------------------------------------------


async def test_exchange_code_gives_working_tokens(sb, http, clock):
    state = new_state()
    redirect_uri = "http://127.0.0.1:1/callback"
    code = parse_redirect(await authorize(http, sb, redirect_uri, state), state)
    _, token_url = endpoints_for(sb.base_url_for(ORIGIN))
    tokens = await exchange_code(http, token_url, sb.client_id, sb.client_secret, code, redirect_uri, clock)
    assert tokens.expires_at == pytest.approx(clock.now() + 86400)
    token_call = [r for r in sb.requests if r.path == "/token"][-1]
    assert token_call.body == {
        "client_id": sb.client_id, "client_secret": "REDACTED", "code": "REDACTED",
        "grant_type": "authorization_code", "redirect_uri": redirect_uri,
    }  # fmt: skip
    auth = OAuthAuth(tokens, sb.client_id, sb.client_secret, token_url, lambda t: None, clock=clock)
    async with KeapClient(base_url=sb.base_url_for(ORIGIN), auth=auth,
                          transport=httpx.ASGITransport(app=sb.app), clock=clock) as client:
        await client.verify()
    assert sb.requests[-1].credential == "oauth"


async def test_exchange_with_a_wrong_secret_blames_the_secret(sb, http, clock):
    code = parse_redirect(await authorize(http, sb, "http://127.0.0.1:1/cb", "s"), "s")
    with pytest.raises(AuthError) as info:
        await exchange_code(http, sb.token_url_for(ORIGIN), sb.client_id, "wrong", code, "http://127.0.0.1:1/cb", clock)
    assert str(info.value) == BAD_CLIENT and "client secret" in str(info.value)


async def test_a_code_works_once(sb, http, clock):
    code = parse_redirect(await authorize(http, sb, "http://127.0.0.1:1/cb", "s"), "s")
    args = (http, sb.token_url_for(ORIGIN), sb.client_id, sb.client_secret, code, "http://127.0.0.1:1/cb", clock)
    await exchange_code(*args)
    with pytest.raises(AuthError) as info:
        await exchange_code(*args)
    assert str(info.value) == STALE_CODE


async def test_exchange_when_keap_is_down_is_unavailable(sb, http, clock):
    sb.faults.add(Fault("status", path="/token", status=503))
    with pytest.raises(LoginUnavailable):
        await exchange_code(http, sb.token_url_for(ORIGIN), sb.client_id, sb.client_secret, "c", "http://x/", clock)
    sb.faults.add(Fault("drop", path="/token"))
    with pytest.raises(LoginUnavailable, match="Could not reach Keap"):
        await exchange_code(http, sb.token_url_for(ORIGIN), sb.client_id, sb.client_secret, "c", "http://x/", clock)


# -- the loopback receiver ------------------------------------------------------------------


async def test_loopback_login_end_to_end_in_process(sb, http, clock):
    state = new_state()
    async with LoopbackReceiver(state) as rx:
        assert rx.redirect_uri.startswith("http://127.0.0.1:") and rx.redirect_uri.endswith("/callback")
        location = await authorize(http, sb, rx.redirect_uri, state)
        async with httpx.AsyncClient(trust_env=False) as browser:
            page = await browser.get(location)
        assert page.status_code == 200 and "You can close this tab" in page.text
        code = await rx.wait(timeout=5)
    tokens = await exchange_code(http, sb.token_url_for(ORIGIN), sb.client_id, sb.client_secret, code, rx.redirect_uri, clock)
    assert tokens.access_token


async def test_loopback_login_end_to_end_over_a_real_socket(sb, clock):
    state = new_state()
    with sb.serve() as base_url:
        authorize_endpoint, token_url = endpoints_for(base_url)
        async with LoopbackReceiver(state, path="/done") as rx:
            url = authorize_url(authorize_endpoint, sb.client_id, rx.redirect_uri, state)
            async with httpx.AsyncClient(follow_redirects=True, trust_env=False) as browser:
                page = await browser.get(url)  # sandbox -> 302 -> the receiver
            assert page.status_code == 200 and page.url.path == "/done"
            code = await rx.wait(timeout=5)
        async with httpx.AsyncClient(trust_env=False) as http:
            tokens = await exchange_code(http, token_url, sb.client_id, sb.client_secret, code, rx.redirect_uri, clock)
        auth = OAuthAuth(tokens, sb.client_id, sb.client_secret, token_url, lambda t: None, clock=clock)
        async with KeapClient(base_url=base_url, auth=auth, clock=clock) as client:
            tasks = await client.list_tasks()
    assert len(tasks) == 10


async def test_loopback_refuses_strangers_and_then_closes(sb):
    async with LoopbackReceiver("right") as rx:
        base = rx.redirect_uri.rsplit("/", 1)[0]
        async with httpx.AsyncClient(trust_env=False) as browser:
            wrong_state = await browser.get(rx.redirect_uri, params={"code": "c", "state": "wrong"})
            no_state = await browser.get(rx.redirect_uri, params={"code": "c"})
            wrong_path = await browser.get(base + "/favicon.ico", params={"state": "right", "code": "c"})
            posted = await browser.post(rx.redirect_uri, params={"state": "right", "code": "c"})
            assert (wrong_state.status_code, no_state.status_code) == (400, 400)
            assert (wrong_path.status_code, posted.status_code) == (404, 404)
            ok = await browser.get(rx.redirect_uri, params={"code": "the-code", "state": "right"})
            assert ok.status_code == 200
            assert await rx.wait(timeout=5) == "the-code"
            with pytest.raises(httpx.ConnectError):
                await browser.get(rx.redirect_uri, params={"code": "late", "state": "right"})


async def test_loopback_listens_on_127_0_0_1_only():
    async with LoopbackReceiver("s") as rx:
        sockets = rx._server.sockets
        assert {s.getsockname()[0] for s in sockets} == {"127.0.0.1"}


async def test_loopback_reports_a_cancelled_login():
    async with LoopbackReceiver("s") as rx:
        async with httpx.AsyncClient(trust_env=False) as browser:
            page = await browser.get(rx.redirect_uri, params={"error": "access_denied", "state": "s"})
        assert page.status_code == 200
        with pytest.raises(AuthError, match="cancelled"):
            await rx.wait(timeout=5)


async def test_loopback_times_out_with_advice():
    async with LoopbackReceiver("s") as rx:
        with pytest.raises(AuthError, match="No answer from the browser"):
            await rx.wait(timeout=0.01)


async def test_loopback_ignores_garbage_and_silence():
    async with LoopbackReceiver("s") as rx:
        port = int(rx.redirect_uri.split(":")[2].split("/")[0])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"NONSENSE\r\n\r\n")
        await writer.drain()
        assert (await reader.read()).startswith(b"HTTP/1.1 400")
        writer.close()
        async with httpx.AsyncClient(trust_env=False) as browser:
            ok = await browser.get(rx.redirect_uri, params={"code": "c", "state": "s"})
        assert ok.status_code == 200 and await rx.wait(timeout=5) == "c"
