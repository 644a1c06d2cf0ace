"""Retries, quotas and timeouts: what is retried, what is not, and how long the client waits.

Time is a FakeClock shared by the sandbox and the client: "waiting a minute" takes no time.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.keap import ApiKeyAuth, CallBudget, KeapClient, RateLimited, TaskDraft, Unavailable
from infusion_tui.sandbox import Fault, Sandbox

ORIGIN = "http://sandbox.test"
TASKS = "/crm/rest/v1/tasks"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sb(clock):
    return Sandbox(seed=7, clock=clock, n_tasks=30, n_orders=20)


def make_client(sb, clock, transport=None, **kwargs):
    return KeapClient(
        base_url=sb.base_url_for(ORIGIN),
        auth=ApiKeyAuth(sb.api_key),
        transport=transport or httpx.ASGITransport(app=sb.app),
        clock=clock,
        **kwargs,
    )


@pytest.fixture
async def client(sb, clock):
    async with make_client(sb, clock) as client:
        yield client


def api(sb):
    return [r for r in sb.requests if r.is_api]


class Flaky(httpx.AsyncBaseTransport):
    """Wraps the sandbox: raise `error` on the first `times` requests, before or after sending."""

    def __init__(self, inner, error, times=1, after_send=False):
        self.inner, self.error, self.times, self.after_send = inner, error, times, after_send

    async def handle_async_request(self, request):
        if self.times > 0 and not self.after_send:
            self.times -= 1
            raise self.error("simulated", request=request)
        response = await self.inner.handle_async_request(request)
        if self.times > 0:  # the server did the work; the answer is lost on the way back
            self.times -= 1
            raise self.error("simulated", request=request)
        return response


# -- 429 ----------------------------------------------------------------------------------


async def test_429_with_retry_after_waits_exactly_that(client, sb, clock):
    sb.faults.add(Fault("429", path=TASKS, retry_after=7))
    start = clock.monotonic()
    tasks = await client.list_tasks()
    assert len(tasks) == 30
    assert 7.0 <= clock.monotonic() - start < 7.1
    assert [r.status for r in api(sb)] == [429, 200]


async def test_429_without_retry_after_backs_off_with_jitter(client, sb, clock):
    sb.faults.add(Fault("429", path=TASKS, times=2))
    start = clock.monotonic()
    await client.list_tasks()
    waited = clock.monotonic() - start
    assert 0.5 + 1.0 <= waited <= 1.0 + 2.0 + 0.01  # attempt 1: 0.5–1 s, attempt 2: 1–2 s
    assert [r.status for r in api(sb)] == [429, 429, 200]


async def test_429_on_post_is_retried_because_keap_did_not_process_it(client, sb):
    before = len(sb.tasks)
    sb.faults.add(Fault("429", path=TASKS, method="POST", retry_after=1))
    task = await client.create_task(TaskDraft(title="once"))
    assert len(sb.tasks) == before + 1 and sb.tasks[task.id]["title"] == "once"


async def test_429_that_never_ends_gives_up_with_rate_limited(sb, clock):
    sb.faults.add(Fault("429", path=TASKS, times=None, retry_after=3))
    async with make_client(sb, clock, max_retries=2) as client:
        with pytest.raises(RateLimited, match="try again in about 3 s") as info:
            await client.list_tasks()
    assert info.value.retry_after == 3.0 and len(api(sb)) == 3


async def test_a_spent_daily_quota_is_reported_at_once(client, sb):
    sb.faults.add(Fault("429", path=TASKS, retry_after=3600))
    with pytest.raises(RateLimited) as info:
        await client.list_tasks()
    assert info.value.retry_after == 3600 and len(api(sb)) == 1


async def test_sandbox_quota_429_is_waited_out(sb, clock):
    small = Sandbox(seed=7, clock=clock, n_tasks=5, calls_per_minute=3)
    # our budget thinks 100 are allowed, Keap says 3: its headers and 429s must win
    async with make_client(small, clock, budget=CallBudget(100, 60.0, clock)) as client:
        start = clock.monotonic()
        await asyncio.gather(*(client.get_task(min(small.tasks)) for _ in range(7)))
    assert clock.monotonic() - start >= 120.0
    assert all(r.status == 200 for r in api(small))  # the throttle headers prevented any 429
    assert small.max_calls_in_window(60.0) <= 3


async def test_300_concurrent_calls_never_exceed_100_per_minute_at_the_server(client, sb, clock):
    start = clock.monotonic()
    ids = sorted(sb.tasks)
    results = await asyncio.gather(*(client.get_task(ids[i % len(ids)]) for i in range(300)))
    assert len(results) == 300 and client.calls_made == 300
    assert sb.max_calls_in_window(60.0) <= 100
    assert all(r.status == 200 for r in api(sb))
    assert 120.0 <= clock.monotonic() - start < 125.0  # three windows: 0 s, 60 s, 120 s


# -- 5xx ----------------------------------------------------------------------------------


async def test_5xx_on_get_is_retried_with_backoff(client, sb, clock):
    sb.faults.add(Fault("status", path=TASKS, status=503, times=2))
    start = clock.monotonic()
    await client.list_tasks()
    assert 1.5 <= clock.monotonic() - start <= 3.01
    assert [r.status for r in api(sb)] == [503, 503, 200]


async def test_5xx_that_persists_becomes_unavailable(sb, clock):
    sb.faults.add(Fault("status", path=TASKS, status=502, times=None))
    async with make_client(sb, clock, max_retries=2) as client:
        with pytest.raises(Unavailable, match="HTTP 502") as info:
            await client.get_task(min(sb.tasks))
    assert info.value.status == 502 and len(api(sb)) == 3


async def test_5xx_on_post_is_not_retried(client, sb):
    before = len(sb.tasks)
    sb.faults.add(Fault("status", path=TASKS, status=500, method="POST"))
    with pytest.raises(Unavailable):
        await client.create_task(TaskDraft(title="maybe"))
    assert len(api(sb)) == 1 and len(sb.tasks) == before


async def test_patch_and_delete_are_retried(client, sb):
    task_id = min(sb.tasks)
    sb.faults.add(Fault("status", path=TASKS, status=504, method="PATCH"))
    sb.faults.add(Fault("status", path=TASKS, status=500, method="DELETE"))
    await client.set_completed(task_id, True)
    await client.delete_task(task_id)
    assert task_id not in sb.tasks
    assert [r.status for r in api(sb)] == [504, 200, 500, 204]


# -- dropped connections, lost answers, connect errors --------------------------------------


async def test_drop_on_get_is_retried(client, sb):
    sb.faults.add(Fault("drop", path=TASKS))
    tasks = await client.list_tasks()
    assert len(tasks) == 30 and len(api(sb)) == 2


async def test_drop_on_post_is_not_retried(client, sb):
    sb.faults.add(Fault("drop", path=TASKS, method="POST"))
    with pytest.raises(Unavailable, match="check before trying again"):
        await client.create_task(TaskDraft(title="maybe"))
    assert len(api(sb)) == 1


async def test_lost_answer_on_post_is_not_retried_so_one_task_exists(sb, clock):
    before = len(sb.tasks)
    transport = Flaky(httpx.ASGITransport(app=sb.app), httpx.ReadTimeout, after_send=True)
    async with make_client(sb, clock, transport=transport) as client:
        with pytest.raises(Unavailable, match="timed out"):
            await client.create_task(TaskDraft(title="exactly once"))
    assert len(sb.tasks) == before + 1
    assert [t["title"] for t in sb.tasks.values()].count("exactly once") == 1


async def test_connect_error_on_post_is_retried(sb, clock):
    before = len(sb.tasks)
    transport = Flaky(httpx.ASGITransport(app=sb.app), httpx.ConnectError)
    async with make_client(sb, clock, transport=transport) as client:
        task = await client.create_task(TaskDraft(title="after reconnect"))
        assert client.calls_made == 2
    assert len(sb.tasks) == before + 1 and sb.tasks[task.id]["title"] == "after reconnect"
    assert len(api(sb)) == 1


async def test_connect_errors_that_persist_say_so(sb, clock):
    transport = Flaky(httpx.ASGITransport(app=sb.app), httpx.ConnectError, times=99)
    async with make_client(sb, clock, transport=transport, max_retries=1) as client:
        with pytest.raises(Unavailable, match=r"Could not connect to Keap \(sandbox.test\)"):
            await client.list_orders()


# -- timeouts (real time, but tiny) ------------------------------------------------------------


async def test_timeout_becomes_unavailable_with_advice(sb, clock):
    sb.faults.add(Fault("timeout", path=TASKS, delay=2.0, times=None))
    async with make_client(sb, clock, timeout=0.05, max_retries=0) as client:
        with pytest.raises(Unavailable) as info:
            await client.list_tasks()
    assert str(info.value) == (
        "Keap is not answering (timed out after 0.05 s). Check your connection; the app will retry."
    )


async def test_timeout_on_get_is_retried(sb, clock):
    sb.faults.add(Fault("timeout", path=TASKS, delay=2.0))
    async with make_client(sb, clock, timeout=0.05) as client:
        tasks = await client.list_tasks()
    assert len(tasks) == 30 and len(api(sb)) == 2


async def test_latency_on_the_fake_clock_is_no_timeout(sb, clock):
    sb.faults.add(Fault("latency", path=TASKS, delay=600.0))
    async with make_client(sb, clock, timeout=0.05) as client:
        assert len(await client.list_tasks()) == 30
