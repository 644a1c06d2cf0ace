"""The x-keap-* quota headers, the per-minute budget's 429 + Retry-After, SpikeArrest.

All on a FakeClock: not one real second is waited.
"""

from __future__ import annotations

import httpx
import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.sandbox import Sandbox

TASKS = "/crm/rest/v1/tasks"
THROTTLED = {"code": "429", "message": "Quota Exceeded", "status": "Request Throttled", "details": None}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make(clock, **kw) -> Sandbox:
    return Sandbox(seed=7, clock=clock, n_tasks=3, n_orders=3, **kw)


def client_for(sb: Sandbox, **headers) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=sb.app), base_url="http://sandbox.test",
                             headers=headers or {"X-Keap-API-Key": sb.api_key})


async def test_every_api_response_carries_the_quota_headers(clock):
    sb = make(clock, calls_per_minute=100)
    async with client_for(sb) as c:
        for n in (1, 2, 3):
            r = await c.get(TASKS)
            h = r.headers
            assert h["x-keap-product-throttle-limit"] == "100"
            assert h["x-keap-product-throttle-time-unit"] == "minute"
            assert h["x-keap-product-throttle-interval"] == "1"
            assert h["x-keap-product-throttle-used"] == str(n)
            assert h["x-keap-product-throttle-available"] == str(100 - n)
            assert h["x-keap-product-quota-time-unit"] == "day"
            assert int(h["x-keap-product-quota-available"]) == int(h["x-keap-product-quota-limit"]) - n
            assert int(h["x-keap-product-quota-expiry-time"]) > clock.now() * 1000
            assert h["x-keap-tenant-id"] == "sandbox.infusionsoft.com"
            assert h["x-request-id"]
        r404 = await c.get(f"{TASKS}/1")
        assert r404.status_code == 404 and r404.headers["x-keap-product-throttle-used"] == "4"
        assert "x-keap-product-spike-limit" not in r404.headers


async def test_budget_spent_gives_429_with_retry_after_until_a_slot_frees(clock):
    sb = make(clock, calls_per_minute=5)
    async with client_for(sb) as c:
        start = clock.now()
        for _ in range(5):
            assert (await c.get(TASKS)).status_code == 200
            clock.advance(2)  # calls at +0, +2, +4, +6, +8
        r = await c.get(TASKS)  # at +10: the oldest call frees its slot at +60
        assert r.status_code == 429 and r.json() == THROTTLED
        assert r.headers["retry-after"] == "50"
        assert r.headers["x-keap-product-throttle-available"] == "0"
        clock.advance(49.5)
        r = await c.get(TASKS)
        assert r.status_code == 429 and r.headers["retry-after"] == "1"  # ceil(0.5)
        clock.advance(0.5)  # exactly start + 60: the first call has left the window
        assert clock.now() == start + 60
        assert (await c.get(TASKS)).status_code == 200
        r = await c.get(TASKS)  # one slot freed and now used again; the next frees at +62
        assert r.status_code == 429 and r.headers["retry-after"] == "2"
    statuses = [r.status for r in sb.requests]
    assert statuses.count(429) == 3


async def test_429s_do_not_consume_budget(clock):
    sb = make(clock, calls_per_minute=2)
    async with client_for(sb) as c:
        assert [(await c.get(TASKS)).status_code for _ in range(6)] == [200, 200, 429, 429, 429, 429]
        clock.advance(60)
        assert [(await c.get(TASKS)).status_code for _ in range(3)] == [200, 200, 429]
    assert sb.calls() == 9  # every request the client sent counts, throttled or not


async def test_budget_is_per_credential_and_survives_refresh(clock):
    sb = make(clock, calls_per_minute=2)
    token = sb.issue_access_token()
    bearer = f"Bearer {token['access_token']}"
    async with client_for(sb) as key, client_for(sb, Authorization=bearer) as oauth:
        assert [(await key.get(TASKS)).status_code for _ in range(3)] == [200, 200, 429]
        assert [(await oauth.get(TASKS)).status_code for _ in range(2)] == [200, 200]
        fresh = sb.issue_access_token()  # same OAuth client: same budget
        r = await oauth.get(TASKS, headers={"Authorization": f"Bearer {fresh['access_token']}"})
        assert r.status_code == 429


async def test_unauthenticated_and_token_requests_are_not_metered(clock):
    sb = make(clock, calls_per_minute=1)
    async with client_for(sb, Accept="application/json") as anon, client_for(sb) as c:
        for _ in range(3):
            assert (await anon.get(TASKS)).status_code == 401
            await anon.post("/token", data={"grant_type": "refresh_token", "refresh_token": "x"})
            await anon.get("/app/oauth/authorize", params={"client_id": "x"})
        r = await c.get(TASKS)
        assert r.status_code == 200 and r.headers["x-keap-product-throttle-used"] == "1"
        assert "x-keap-product-throttle-limit" not in (await anon.get(TASKS)).headers


async def test_spike_arrest_without_retry_after(clock):
    sb = make(clock, calls_per_minute=100, spike_per_second=3)
    async with client_for(sb) as c:
        codes = [(await c.get(TASKS)).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = await c.get(TASKS)
        assert r.status_code == 429 and "retry-after" not in r.headers and r.json() == THROTTLED
        clock.advance(0.999)
        assert (await c.get(TASKS)).status_code == 429
        clock.advance(0.001)
        ok = await c.get(TASKS)
        assert ok.status_code == 200 and ok.headers["x-keap-product-spike-limit"] == "3ps"


async def test_calls_and_max_calls_in_window(clock):
    sb = make(clock, calls_per_minute=100)
    async with client_for(sb) as c:
        t0 = clock.now()
        for _ in range(10):  # one call every 10 s for 100 s
            await c.get(TASKS)
            clock.advance(10)
        await c.post("/token", data={})  # not an API call
    assert sb.calls() == 10
    assert sb.calls(since=t0 + 20, until=t0 + 50) == 3
    assert sb.max_calls_in_window(60.0) == 6
    assert sb.max_calls_in_window(10.0) == 1
