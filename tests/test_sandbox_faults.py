"""Each fault kind, in-process (the socket-side drop is in test_sandbox_server.py)."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.sandbox import ConnectionDropped, Fault, Sandbox

ORDERS = "/crm/rest/v1/orders"
TASKS = "/crm/rest/v1/tasks"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sb(clock) -> Sandbox:
    return Sandbox(seed=7, clock=clock, n_tasks=10, n_orders=10)


@pytest.fixture
async def client(sb):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sb.app),
                                 base_url="http://sandbox.test",
                                 headers={"X-Keap-API-Key": sb.api_key}) as c:
        yield c


async def test_latency_uses_the_sandbox_clock(client, sb, clock):
    sb.faults.add(Fault("latency", delay=30.0))
    sb.faults.add(Fault("latency", delay=5.0))
    before, real = clock.now(), time.monotonic()
    r = await client.get(ORDERS)
    assert r.status_code == 200 and r.json()["count"] == 10
    assert clock.now() - before == pytest.approx(35.0)
    assert time.monotonic() - real < 1.0
    await client.get(ORDERS)
    assert clock.now() - before == pytest.approx(35.0)  # times=1 each: spent


async def test_status_fault_fires_times_then_stops(client, sb):
    sb.faults.add(Fault("status", status=503, times=2))
    codes = [(await client.get(ORDERS)).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    sb.faults.add(Fault("status", times=None))
    r = await client.get(f"{ORDERS}/5001")  # prefix match
    assert r.status_code == 500 and r.json() == {"message": "Internal Server Error"}
    assert (await client.get(ORDERS)).status_code == 500
    assert (await client.get(TASKS)).status_code == 200  # other paths untouched
    sb.faults.clear()
    assert (await client.get(ORDERS)).status_code == 200
    assert [r.fault for r in sb.requests] == ["status", "status", None, "status", "status", None, None]


async def test_injected_429_with_and_without_retry_after(client, sb):
    sb.faults.add(Fault("429", retry_after=7))
    sb.faults.add(Fault("429"))
    first, second, third = [await client.get(ORDERS) for _ in range(3)]
    assert first.status_code == 429 and first.headers["retry-after"] == "7"
    assert first.json() == {"code": "429", "message": "Quota Exceeded", "status": "Request Throttled",
                            "details": None}
    assert second.status_code == 429 and "retry-after" not in second.headers
    assert third.status_code == 200
    assert third.headers["x-keap-product-throttle-used"] == "1"  # the 429s consumed nothing


async def test_drop_raises_a_transport_error_in_process(client, sb):
    sb.faults.add(Fault("drop"))
    with pytest.raises(httpx.TransportError) as caught:
        await client.get(ORDERS)
    assert isinstance(caught.value, (httpx.RemoteProtocolError, ConnectionDropped))
    assert sb.requests[-1].status is None and sb.requests[-1].fault == "drop"
    assert (await client.get(ORDERS)).status_code == 200


async def test_malformed_body_is_not_json(client, sb):
    sb.faults.add(Fault("malformed", path=TASKS))
    r = await client.get(TASKS)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        r.json()


async def test_wrong_shape_lists_and_single_objects(client, sb):
    sb.faults.add(Fault("wrong_shape", path=ORDERS, times=2))
    listing = await client.get(ORDERS)
    assert listing.status_code == 200 and listing.json()["orders"] == "nope"
    single = await client.get(f"{ORDERS}/5001")
    assert isinstance(single.json(), list)


async def test_expire_token_then_refresh_recovers(client, sb):
    del client.headers["X-Keap-API-Key"]  # bearer only
    token = sb.issue_access_token()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    sb.faults.add(Fault("expire_token", path=TASKS))
    r = await client.get(TASKS, headers=bearer)
    assert r.status_code == 401
    assert r.json()["fault"]["detail"]["errorcode"] == "keymanagement.service.access_token_expired"
    assert (await client.get(TASKS, headers=bearer)).status_code == 401  # it stays expired
    fresh = sb.issue_access_token()
    r = await client.get(TASKS, headers={"Authorization": f"Bearer {fresh['access_token']}"})
    assert r.status_code == 200


async def test_timeout_fault_trips_the_client_timeout(sb):
    sb.faults.add(Fault("timeout", path=TASKS, delay=5.0))
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://sandbox.test",
                                 headers={"X-Keap-API-Key": sb.api_key}, timeout=0.05) as c:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            await c.get(TASKS)
        assert time.monotonic() - started < 2.0
        assert (await c.get(TASKS)).status_code == 200


async def test_timeout_fault_answers_after_a_short_real_delay(client, sb):
    sb.faults.add(Fault("timeout", path=TASKS, delay=0.05))
    started = time.monotonic()
    assert (await client.get(TASKS)).status_code == 200
    assert time.monotonic() - started >= 0.05


async def test_method_filter_and_token_endpoint_faults(client, sb):
    sb.faults.add(Fault("status", path=TASKS, method="POST", status=502))
    assert (await client.get(TASKS)).status_code == 200
    assert (await client.post(TASKS, json={"title": "x"})).status_code == 502
    sb.faults.add(Fault("status", path="/token", status=503))
    r = await client.post("/token", data={"grant_type": "refresh_token"})
    assert r.status_code == 503


async def test_faults_are_not_spent_on_requests_refused_by_auth(client, sb):
    sb.faults.add(Fault("status", path=TASKS))
    r = await client.get(TASKS, headers={"X-Keap-API-Key": "wrong"})
    assert r.status_code == 401
    assert (await client.get(TASKS)).status_code == 500


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        Fault("gremlins")
