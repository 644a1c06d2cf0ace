"""API keys, bearer tokens, the OAuth authorize/token endpoints and refresh rotation."""

from __future__ import annotations

import asyncio
import base64
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.sandbox import Sandbox

TASKS = "/crm/rest/v1/tasks"
REDIRECT = "http://127.0.0.1:8711/callback"
INVALID = {"fault": {"faultstring": "Invalid Access Token",
                     "detail": {"errorcode": "keymanagement.service.invalid_access_token"}}}
EXPIRED = {"fault": {"faultstring": "Access Token expired",
                     "detail": {"errorcode": "keymanagement.service.access_token_expired"}}}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sb(clock) -> Sandbox:
    return Sandbox(seed=7, clock=clock, n_tasks=5, n_orders=5)


@pytest.fixture
async def client(sb):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sb.app),
                                 base_url="http://sandbox.test") as c:
        yield c


def basic(sb: Sandbox, secret: str | None = None) -> dict:
    raw = f"{sb.client_id}:{secret or sb.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


async def authorize(client, sb, **extra) -> httpx.Response:
    params = {"client_id": sb.client_id, "redirect_uri": REDIRECT, "response_type": "code",
              "scope": "full", "state": "xyz-123", **extra}
    return await client.get("/app/oauth/authorize", params=params)


async def login(client, sb) -> dict:
    code = parse_qs(urlsplit((await authorize(client, sb)).headers["location"]).query)["code"][0]
    r = await client.post("/token", data={"grant_type": "authorization_code", "code": code,
                                          "client_id": sb.client_id, "client_secret": sb.client_secret,
                                          "redirect_uri": REDIRECT})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("headers", [{}, {"X-Keap-API-Key": "wrong"}, {"Authorization": "Bearer nope"},
                                     {"Authorization": "Bearer sandbox-key"},  # unofficial: refused
                                     {"Authorization": "Basic eDp5"}])
async def test_missing_or_invalid_credentials_get_apigee_401(client, headers):
    r = await client.get(TASKS, headers=headers)
    assert r.status_code == 401 and r.json() == INVALID


async def test_auth_comes_before_routing(client, sb):
    assert (await client.get("/crm/rest/v1/no/such/thing")).status_code == 401
    assert (await client.get("/favicon.ico")).json() == INVALID
    r = await client.get("/crm/rest/v1/no/such/thing", headers={"X-Keap-API-Key": sb.api_key})
    assert r.status_code == 404


async def test_api_key_works_until_revoked(client, sb):
    headers = {"X-Keap-API-Key": sb.api_key}
    assert (await client.get(TASKS, headers=headers)).status_code == 200
    sb.revoke_api_key()
    r = await client.get(TASKS, headers=headers)
    assert r.status_code == 401 and r.json() == INVALID


async def test_access_token_expires_on_the_clock(client, sb, clock):
    token = sb.issue_access_token()
    assert token["expires_in"] == 86400 and token["token_type"] == "bearer"
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await client.get(TASKS, headers=headers)).status_code == 200
    clock.advance(86399)
    assert (await client.get(TASKS, headers=headers)).status_code == 200
    clock.advance(1)
    r = await client.get(TASKS, headers=headers)
    assert r.status_code == 401 and r.json() == EXPIRED


async def test_authorize_redirects_at_once_echoing_state(client, sb):
    r = await authorize(client, sb)
    assert r.status_code == 302
    location = r.headers["location"]
    assert location.startswith(REDIRECT + "?code=")
    assert "scope=full%7Csandbox.infusionsoft.com" in location
    assert parse_qs(urlsplit(location).query)["state"] == ["xyz-123"]
    r = await authorize(client, sb, redirect_uri="https://example.com/cb?app=1")
    assert r.headers["location"].startswith("https://example.com/cb?app=1&code=")


@pytest.mark.parametrize("extra", [{"client_id": "someone-else"}, {"response_type": "token"},
                                   {"scope": "admin"}, {"redirect_uri": "not a url"}])
async def test_authorize_rejects_bad_requests_with_a_400_page(client, sb, extra):
    r = await authorize(client, sb, **extra)
    assert r.status_code == 400 and "text/html" in r.headers["content-type"]


async def test_code_exchange_and_single_use_code(client, sb):
    location = (await authorize(client, sb)).headers["location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "client_id": sb.client_id,
            "client_secret": sb.client_secret, "redirect_uri": REDIRECT}
    r = await client.post("/token", data=form)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    token = r.json()
    assert set(token) == {"access_token", "refresh_token", "expires_in", "token_type", "scope"}
    assert token["scope"] == "full|sandbox.infusionsoft.com"
    ok = await client.get(TASKS, headers={"Authorization": f"Bearer {token['access_token']}"})
    assert ok.status_code == 200
    again = await client.post("/token", data=form)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_code_exchange_errors(client, sb):
    def code_of(r):
        return parse_qs(urlsplit(r.headers["location"]).query)["code"][0]

    form = {"grant_type": "authorization_code", "client_id": sb.client_id,
            "client_secret": "wrong", "redirect_uri": REDIRECT, "code": code_of(await authorize(client, sb))}
    r = await client.post("/token", data=form)
    assert r.status_code == 401
    assert r.json() == {"error": "invalid_grant",
                        "error_description": "Unable to authenticate username and password"}
    form.update(client_secret=sb.client_secret, code=code_of(await authorize(client, sb)),
                redirect_uri="http://127.0.0.1:9999/other")
    r = await client.post("/token", data=form)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    r = await client.post("/token", json={"grant_type": "authorization_code"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = await client.post("/token", data={"grant_type": "password"}, headers=basic(sb))
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"


async def test_refresh_rotates_and_old_token_is_dead(client, sb):
    first = await login(client, sb)
    r = await client.post("/token", data={"grant_type": "refresh_token",
                                          "refresh_token": first["refresh_token"]}, headers=basic(sb))
    assert r.status_code == 200 and sb.refresh_count == 1
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    reuse = await client.post("/token", data={"grant_type": "refresh_token",
                                              "refresh_token": first["refresh_token"]}, headers=basic(sb))
    assert reuse.status_code == 400
    assert reuse.json() == {"error": "invalid_grant", "error_description": "Invalid refresh token"}
    body_creds = await client.post("/token", data={"grant_type": "refresh_token",
                                                   "refresh_token": second["refresh_token"],
                                                   "client_id": sb.client_id,
                                                   "client_secret": sb.client_secret})
    assert body_creds.status_code == 200 and sb.refresh_count == 2
    r = await client.get(TASKS, headers={"Authorization": f"Bearer {body_creds.json()['access_token']}"})
    assert r.status_code == 200


async def test_refresh_needs_client_credentials(client, sb):
    token = sb.issue_access_token()
    r = await client.post("/token", data={"grant_type": "refresh_token",
                                          "refresh_token": token["refresh_token"]},
                          headers=basic(sb, secret="bad"))
    assert r.status_code == 401 and sb.refresh_count == 0


async def test_refresh_token_expires_after_45_days(client, sb, clock):
    token = sb.issue_access_token()
    clock.advance(45 * 86400)
    r = await client.post("/token", data={"grant_type": "refresh_token",
                                          "refresh_token": token["refresh_token"]}, headers=basic(sb))
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


async def test_concurrent_refreshes_with_one_token_only_one_wins(client, sb):
    token = sb.issue_access_token()
    form = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    results = await asyncio.gather(*(client.post("/token", data=form, headers=basic(sb)) for _ in range(3)))
    assert sorted(r.status_code for r in results) == [200, 400, 400]
    assert sb.refresh_count == 1


async def test_recorded_requests_never_hold_secrets(client, sb):
    token = await login(client, sb)
    await client.get(TASKS, headers={"Authorization": f"Bearer {token['access_token']}"})
    await client.get(TASKS, headers={"X-Keap-API-Key": sb.api_key})
    await client.post("/token", data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
                      headers=basic(sb))
    dump = repr(sb.requests)
    for secret in (token["access_token"], token["refresh_token"], sb.api_key, sb.client_secret,
                   basic(sb)["Authorization"].split()[1]):
        assert secret not in dump
    assert sb.requests[-3].headers["authorization"] == "Bearer REDACTED"
    assert sb.requests[-2].headers["x-keap-api-key"] == "REDACTED"
    assert sb.requests[-1].headers["authorization"] == "Basic REDACTED"
    assert sb.requests[-1].body["grant_type"] == "refresh_token"
    assert sb.requests[-1].body["refresh_token"] == "REDACTED"
