"""Secrets never appear in a repr, an error message or a log line (DEBUG included)."""

from __future__ import annotations

import logging

import httpx
import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.keap import (
    ApiKeyAuth,
    AuthError,
    KeapClient,
    OAuthAuth,
    OAuthTokens,
    exchange_code,
    redact_headers,
    redact_text,
)
from infusion_tui.keap.redact import REDACTED, redact_form
from infusion_tui.sandbox import Fault, Sandbox

ORIGIN = "http://sandbox.test"
KEY = "pat-SECRET-KEY-1234567890"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sb(clock):
    return Sandbox(seed=7, api_key=KEY, clock=clock, n_tasks=5, n_orders=5, client_secret="CLIENT-SECRET-xyz")


def test_redact_headers_keeps_the_scheme_and_hides_the_value():
    headers = {
        "Authorization": "Bearer tok-123",
        "X-Keap-API-Key": KEY,
        "proxy-authorization": "Basic abc==",
        "Cookie": "session=1",
        "Accept": "application/json",
    }
    clean = redact_headers(headers)
    assert clean == {
        "Authorization": f"Bearer {REDACTED}",
        "X-Keap-API-Key": REDACTED,
        "proxy-authorization": f"Basic {REDACTED}",
        "Cookie": REDACTED,
        "Accept": "application/json",
    }
    assert redact_headers(httpx.Headers(headers).multi_items())["authorization"] == f"Bearer {REDACTED}"


def test_redact_form_and_text():
    form = redact_form(b"grant_type=refresh_token&refresh_token=r-123&client_secret=s")
    assert "r-123" not in form and "grant_type=refresh_token" in form
    text = redact_text(
        'Authorization: Bearer abc.def X-Keap-API-Key: k-1 refresh_token=r-1&x=1 {"access_token": "a-1"}'
    )
    for secret in ("abc.def", "k-1", "r-1", "a-1"):
        assert secret not in text
    assert "x=1" in text


def test_the_keap_logger_scrubs_whatever_slips_through(caplog):
    with caplog.at_level(logging.DEBUG, logger="infusion_tui.keap"):
        logging.getLogger("infusion_tui.keap").debug("oops %s", "Bearer tok-LEAK")
    assert "tok-LEAK" not in caplog.text and "Bearer [redacted]" in caplog.text


async def test_api_key_never_reaches_logs_reprs_or_errors(sb, clock, caplog):
    client = KeapClient(base_url=sb.base_url_for(ORIGIN), auth=ApiKeyAuth(KEY),
                        transport=httpx.ASGITransport(app=sb.app), clock=clock, max_retries=1)
    with caplog.at_level(logging.DEBUG):
        await client.list_tasks()
        sb.faults.add(Fault("status", path="/crm/rest/v1/tasks", status=500))
        await client.list_tasks()
        sb.revoke_api_key()
        with pytest.raises(AuthError) as info:
            await client.verify()
    await client.aclose()
    assert "→ GET" in caplog.text and "X-Keap-API-Key" in caplog.text.replace("x-keap-api-key", "X-Keap-API-Key")
    for text in (caplog.text, repr(client), repr(client.auth), str(info.value), repr(info.value)):
        assert KEY not in text


async def test_api_key_stays_out_of_logs_over_a_real_socket(sb, clock, caplog):
    with sb.serve() as base_url, caplog.at_level(logging.DEBUG):
        async with KeapClient(base_url=base_url, auth=ApiKeyAuth(KEY), clock=clock) as client:
            await client.list_orders()
    assert caplog.records and KEY not in caplog.text


async def test_oauth_secrets_never_reach_logs(sb, clock, caplog):
    issued = sb.issue_access_token()
    tokens = OAuthTokens(issued["access_token"], issued["refresh_token"], None)
    saved = []
    auth = OAuthAuth(tokens, sb.client_id, sb.client_secret, sb.token_url_for(ORIGIN), saved.append, clock=clock)
    transport = httpx.ASGITransport(app=sb.app)
    with caplog.at_level(logging.DEBUG):
        async with KeapClient(base_url=sb.base_url_for(ORIGIN), auth=auth, transport=transport, clock=clock) as client:
            sb.faults.add(Fault("expire_token", path="/crm/rest/v1/tasks"))
            await client.list_tasks()
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as http:
            with pytest.raises(AuthError) as info:
                await exchange_code(http, sb.token_url_for(ORIGIN), sb.client_id, sb.client_secret,
                                    "bad-code-SECRET", "http://x/", clock)
    assert saved and "form=" in caplog.text
    secrets = [tokens.access_token, tokens.refresh_token, saved[0].access_token,
               saved[0].refresh_token, sb.client_secret, "bad-code-SECRET"]
    for text in (caplog.text, repr(auth), repr(saved[0]), str(info.value)):
        for secret in secrets:
            assert secret not in text
