"""API key and OAuth auth against the sandbox: single-flight refresh, rotation, failures."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.keap import (
    ApiKeyAuth,
    AuthError,
    KeapClient,
    LoginUnavailable,
    OAuthAuth,
    OAuthTokens,
    TaskDraft,
    Unavailable,
)
from infusion_tui.keap.tokens import LOGIN_EXPIRED
from infusion_tui.sandbox import Fault, Sandbox

ORIGIN = "http://sandbox.test"
TASKS = "/crm/rest/v1/tasks"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sb(clock):
    return Sandbox(seed=7, clock=clock, n_tasks=30, n_orders=10)


def tokens_from(sb, clock, expires_at=...):
    issued = sb.issue_access_token()
    if expires_at is ...:
        expires_at = clock.now() + issued["expires_in"]
    return OAuthTokens(issued["access_token"], issued["refresh_token"], expires_at)


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox and notes which bearer token each API call carried."""

    def __init__(self, inner, events):
        self.inner, self.events = inner, events

    async def handle_async_request(self, request):
        bearer = request.headers.get("authorization", "")
        if request.url.path != "/token":
            self.events.append(("send", bearer.removeprefix("Bearer ")))
        return await self.inner.handle_async_request(request)


@pytest.fixture
def events():
    return []


@pytest.fixture
def saved():
    return []


def make_oauth(sb, clock, tokens, saved, events, **kwargs):
    async def save(new: OAuthTokens) -> None:
        for _ in range(3):
            await asyncio.sleep(0)  # a keyring write takes a moment; nobody may use the token meanwhile
        saved.append(new)
        events.append(("save", new.access_token))

    auth = OAuthAuth(tokens, sb.client_id, sb.client_secret, sb.token_url_for(ORIGIN), save, clock=clock)
    transport = Recorder(httpx.ASGITransport(app=sb.app), events)
    client = KeapClient(base_url=sb.base_url_for(ORIGIN), auth=auth, transport=transport, clock=clock, **kwargs)
    return auth, client


# -- API key --------------------------------------------------------------------------------


async def test_api_key_header_is_sent(sb, clock):
    async with KeapClient(
        base_url=sb.base_url_for(ORIGIN), auth=ApiKeyAuth(" sandbox-key\n"),
        transport=httpx.ASGITransport(app=sb.app), clock=clock,
    ) as client:  # fmt: skip
        await client.verify()
    assert sb.requests[-1].credential == "api_key"


def test_api_key_is_required_and_hidden():
    with pytest.raises(ValueError):
        ApiKeyAuth("  ")
    assert "s3cret" not in repr(ApiKeyAuth("s3cret"))


# -- OAuth ----------------------------------------------------------------------------------


async def test_bearer_token_is_used(sb, clock, saved, events):
    tokens = tokens_from(sb, clock)
    auth, client = make_oauth(sb, clock, tokens, saved, events)
    async with client:
        await client.list_tasks()
    assert events == [("send", tokens.access_token)]
    assert sb.requests[-1].credential == "oauth" and sb.refresh_count == 0


async def test_twenty_concurrent_401s_cause_exactly_one_refresh(sb, clock, saved, events):
    tokens = tokens_from(sb, clock)
    auth, client = make_oauth(sb, clock, tokens, saved, events)
    sb.faults.add(Fault("expire_token", path=TASKS))
    ids = sorted(sb.tasks)[:20]
    async with client:
        results = await asyncio.gather(*(client.get_task(i) for i in ids))
    assert [t.id for t in results] == ids
    assert sb.refresh_count == 1 and len(saved) == 1
    new = saved[0]
    assert auth.tokens == new and new.refresh_token != tokens.refresh_token
    # the rotated pair was saved before any request carried the new access token
    first_use = events.index(("send", new.access_token))
    assert events.index(("save", new.access_token)) < first_use
    assert all(e == ("send", tokens.access_token) for e in events[:first_use] if e[0] == "send")
    statuses = [r.status for r in sb.requests if r.is_api]
    assert statuses.count(200) == 20 and set(statuses) == {200, 401}
    assert client.calls_made == len(statuses)  # re-sent requests passed the budget too


async def test_refresh_is_proactive_when_the_token_is_about_to_expire(sb, clock, saved, events):
    tokens = tokens_from(sb, clock, expires_at=clock.now() + 30)
    auth, client = make_oauth(sb, clock, tokens, saved, events)
    async with client:
        await asyncio.gather(*(client.list_tasks() for _ in range(5)))
    assert sb.refresh_count == 1
    assert {r.status for r in sb.requests if r.is_api} == {200}  # no request ever got a 401
    assert auth.tokens.expires_at == pytest.approx(clock.now() + 86400, abs=5)


async def test_refresh_uses_basic_client_auth_and_is_not_metered(sb, clock, saved, events):
    auth, client = make_oauth(sb, clock, tokens_from(sb, clock), saved, events)
    sb.faults.add(Fault("expire_token", path=TASKS))
    async with client:
        await client.list_tasks()
    token_calls = [r for r in sb.requests if r.path == "/token"]
    assert len(token_calls) == 1
    assert token_calls[0].headers["authorization"] == "Basic REDACTED"
    assert token_calls[0].body == {"grant_type": "refresh_token", "refresh_token": "REDACTED"}
    assert token_calls[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert client.calls_made == 2  # the 401 and its re-send; the refresh is free


async def test_invalid_grant_is_an_auth_error_that_sticks(sb, clock, saved, events):
    tokens = tokens_from(sb, clock)
    sb.tokens.use_refresh_token(tokens.refresh_token)  # someone else rotated it: ours is dead
    auth, client = make_oauth(sb, clock, tokens, saved, events)
    sb.faults.add(Fault("expire_token", path=TASKS))
    async with client:
        with pytest.raises(AuthError) as info:
            await client.list_tasks()
        assert str(info.value) == LOGIN_EXPIRED
        with pytest.raises(AuthError):
            await client.list_tasks()
    assert len([r for r in sb.requests if r.path == "/token"]) == 1  # no second doomed refresh
    assert saved == [] and auth.tokens == tokens
    auth.set_tokens(tokens_from(sb, clock))  # a new login revives it
    async with KeapClient(base_url=sb.base_url_for(ORIGIN), auth=auth,
                          transport=httpx.ASGITransport(app=sb.app), clock=clock) as client:
        await client.verify()


async def test_transient_token_failure_keeps_the_old_tokens(sb, clock, saved, events):
    tokens = tokens_from(sb, clock)
    auth, client = make_oauth(sb, clock, tokens, saved, events, max_retries=0)
    sb.faults.add(Fault("expire_token", path=TASKS))
    sb.faults.add(Fault("status", path="/token", status=503))
    async with client:
        with pytest.raises(LoginUnavailable, match="HTTP 503"):
            await client.list_tasks()
        assert auth.tokens == tokens and saved == [] and sb.refresh_count == 0
        await client.list_tasks()  # the next try refreshes with the same, still valid, token
    assert sb.refresh_count == 1 and len(saved) == 1


async def test_transient_token_failure_is_retried_even_for_a_post(sb, clock, saved, events):
    auth, client = make_oauth(sb, clock, tokens_from(sb, clock), saved, events)
    sb.faults.add(Fault("expire_token", path=TASKS))
    sb.faults.add(Fault("drop", path="/token"))
    before = len(sb.tasks)
    async with client:
        await client.create_task(TaskDraft(title="after a hiccup"))
    assert len(sb.tasks) == before + 1 and sb.refresh_count == 1


async def test_proactive_refresh_failure_falls_back_to_the_current_token(sb, clock, saved, events):
    tokens = tokens_from(sb, clock, expires_at=clock.now() + 30)
    auth, client = make_oauth(sb, clock, tokens, saved, events, max_retries=0)
    sb.faults.add(Fault("status", path="/token", status=500))
    async with client:
        await client.list_tasks()
    assert events == [("send", tokens.access_token)] and auth.tokens == tokens


async def test_a_401_after_refresh_is_final(clock):
    def app(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "new", "refresh_token": "r2", "expires_in": 10})
        return httpx.Response(401, json={"fault": {"faultstring": "Invalid Access Token"}})

    auth = OAuthAuth(OAuthTokens("old", "r1", None), "id", "secret", "http://keap.test/token", lambda t: None, clock=clock)
    async with KeapClient(base_url="http://keap.test/crm/rest/v1", auth=auth,
                          transport=httpx.MockTransport(app), clock=clock) as client:
        with pytest.raises(AuthError, match="infusion-tui login"):
            await client.list_tasks()
        assert client.calls_made == 2 and auth.refresh_count == 1


async def test_a_cancelled_request_does_not_lose_the_rotated_token(sb, clock, saved):
    started, gate = asyncio.Event(), asyncio.Event()

    class SlowToken(httpx.AsyncBaseTransport):
        def __init__(self, inner):
            self.inner = inner

        async def handle_async_request(self, request):
            if request.url.path == "/token":
                started.set()
                await gate.wait()
            return await self.inner.handle_async_request(request)

    auth = OAuthAuth(tokens_from(sb, clock), sb.client_id, sb.client_secret,
                     sb.token_url_for(ORIGIN), saved.append, clock=clock)
    async with KeapClient(base_url=sb.base_url_for(ORIGIN), auth=auth,
                          transport=SlowToken(httpx.ASGITransport(app=sb.app)), clock=clock) as client:
        sb.faults.add(Fault("expire_token", path=TASKS))
        request = asyncio.create_task(client.list_tasks())
        await started.wait()  # the refresh is on the wire...
        request.cancel()  # ...when the user gives up on the request that needed it
        with pytest.raises(asyncio.CancelledError):
            await request
        gate.set()
        while not saved:
            await asyncio.sleep(0)
        assert auth.tokens == saved[0] and sb.refresh_count == 1
        await client.list_tasks()  # the rotated token works; no second refresh
    assert sb.refresh_count == 1


async def test_a_failing_save_keeps_the_new_tokens_and_warns(sb, clock, caplog):
    def save(tokens):
        raise OSError("keyring locked")

    auth = OAuthAuth(tokens_from(sb, clock), sb.client_id, sb.client_secret,
                     sb.token_url_for(ORIGIN), save, clock=clock)
    async with KeapClient(base_url=sb.base_url_for(ORIGIN), auth=auth,
                          transport=httpx.ASGITransport(app=sb.app), clock=clock) as client:
        sb.faults.add(Fault("expire_token", path=TASKS))
        with caplog.at_level(logging.WARNING, logger="infusion_tui.keap"):
            await client.list_tasks()
    assert sb.refresh_count == 1 and "Could not save" in caplog.text


def test_oauth_needs_an_async_client(sb, clock):
    auth = OAuthAuth(OAuthTokens("a", "r", None), "id", "secret", "http://x/token", lambda t: None)
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as http:
        with pytest.raises(RuntimeError, match="AsyncClient"):
            http.get("http://x/", auth=auth)


def test_tokens_round_trip_and_hide_secrets():
    tokens = OAuthTokens("acc-123", "ref-456", 1.5)
    assert OAuthTokens.from_dict(tokens.to_dict()) == tokens
    assert OAuthTokens.from_dict({"access_token": "a", "refresh_token": "b"}).expires_at is None
    for text in (repr(tokens), str(tokens)):
        assert "acc-123" not in text and "ref-456" not in text
    auth = OAuthAuth(tokens, "client", "shh-secret", "http://x/token", lambda t: None)
    assert "acc-123" not in repr(auth) and "shh-secret" not in repr(auth)
    assert tokens.expires_within(60, now=0.0) and not tokens.expires_within(0.5, now=0.0)


def test_login_unavailable_is_unavailable():
    assert issubclass(LoginUnavailable, Unavailable)
