"""KeapClient against the in-process sandbox: paging, filters, task round trips, errors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.keap import (
    ApiKeyAuth,
    AuthError,
    BadResponse,
    CallBudget,
    DecodeError,
    InvalidRequest,
    KeapClient,
    NotFound,
    TaskDraft,
)
from infusion_tui.sandbox import Fault, Sandbox

ORIGIN = "http://sandbox.test"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sb(clock):
    return Sandbox(seed=7, clock=clock, n_tasks=60, n_orders=200)


@pytest.fixture
async def client(sb, clock):
    async with KeapClient(
        base_url=sb.base_url_for(ORIGIN),
        auth=ApiKeyAuth(sb.api_key),
        transport=httpx.ASGITransport(app=sb.app),
        clock=clock,
    ) as client:
        yield client


def api_requests(sb, path=None):
    return [r for r in sb.requests if r.is_api and (path is None or r.path == path)]


# -- paging -------------------------------------------------------------------------------


async def test_lists_all_tasks_across_three_pages(client, sb):
    progress = []
    tasks = await client.list_tasks(page_size=25, on_page=lambda page, n, count: progress.append((len(page), n, count)))
    assert sorted(t.id for t in tasks) == sorted(sb.tasks)
    assert progress == [(25, 25, 60), (25, 50, 60), (10, 60, 60)]
    assert [r.query["offset"] for r in api_requests(sb)] == ["0", "25", "50"]
    assert {r.query["limit"] for r in api_requests(sb)} == {"25"}
    assert client.calls_made == 3


async def test_full_last_page_ends_paging_once_count_proved_to_be_the_total(client, sb):
    # 60 tasks in pages of 20: the third page is full and still carries `next`, but `count`
    # (60, more than a page) has proved to be the total, so no empty fourth call is made
    tasks = await client.list_tasks(page_size=20)
    assert len(tasks) == 60
    assert [r.query["offset"] for r in api_requests(sb)] == ["0", "20", "40"]


async def test_a_count_that_is_only_the_page_size_is_not_trusted(sb, clock):
    rows = [{"id": i, "title": "t"} for i in range(40)]

    async def count_is_page_size(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        page = rows[offset : offset + limit]
        return httpx.Response(200, json={"tasks": page, "count": len(page), "next": "x"})

    async with KeapClient(
        base_url="http://keap.test/crm/rest/v1", auth=ApiKeyAuth("k"),
        transport=httpx.MockTransport(count_is_page_size), clock=clock,
    ) as client:  # fmt: skip
        tasks = await client.list_tasks(page_size=20)
    assert len(tasks) == 40 and client.calls_made == 3  # ends on the empty page, as it must


async def test_iter_pages_and_async_progress(client, sb):
    seen = []

    async def on_page(page, loaded, count):
        seen.append(loaded)

    pages = [page async for page in client.iter_order_pages(page_size=90, on_page=on_page)]
    assert [len(p) for p in pages] == [90, 90, 20]
    assert seen == [90, 180, 200]


async def test_page_size_is_clamped_to_keaps_maximum(client, sb):
    await client.list_orders(page_size=5000)
    assert api_requests(sb)[0].query["limit"] == "1000"


async def test_server_ignoring_offset_does_not_loop_forever(sb, clock):
    async def same_page(request: httpx.Request) -> httpx.Response:
        tasks = [{"id": i, "title": "t"} for i in range(5)]
        return httpx.Response(200, json={"tasks": tasks, "count": 99, "next": "x"})

    async with KeapClient(
        base_url="http://keap.test/crm/rest/v1", auth=ApiKeyAuth("k"),
        transport=httpx.MockTransport(same_page), clock=clock,
    ) as client:  # fmt: skip
        tasks = await client.list_tasks(page_size=5)
    assert len(tasks) == 5 and client.calls_made == 2


# -- filters reach the server -------------------------------------------------------------


async def test_every_task_filter_reaches_the_server(client, sb):
    since = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
    until = datetime(2027, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    await client.list_tasks(
        since=since, until=until, completed=False, has_due_date=True, contact_id=10001,
        user_id=1, order="-due_date", page_size=50,
    )  # fmt: skip
    query = api_requests(sb)[0].query
    assert query == {
        "since": "2026-01-02T03:04:05.678Z",
        "until": "2027-06-01T12:00:00.000Z",
        "completed": "false",
        "has_due_date": "true",
        "contact_id": "10001",
        "user_id": "1",
        "order": "-due_date",
        "limit": "50",
        "offset": "0",
    }
    assert api_requests(sb)[0].path == "/crm/rest/v1/tasks"


async def test_search_uses_the_search_endpoint(client, sb):
    tasks = await client.list_tasks(search=True, completed=True)
    assert api_requests(sb)[0].path == "/crm/rest/v1/tasks/search"
    assert tasks and all(t.completed and t.user_id == 1 for t in tasks)


async def test_task_filters_are_applied(client, sb):
    open_tasks = await client.list_tasks(completed=False)
    expected = {i for i, t in sb.tasks.items() if not t.get("completed")}
    assert {t.id for t in open_tasks} == expected


async def test_every_order_filter_reaches_the_server(client, sb):
    since = datetime(2026, 12, 1, tzinfo=timezone.utc)
    await client.list_orders(
        since=since, until="2027-01-31T00:00:00.000Z", paid=True, contact_id=10009,
        product_id=206, order="order_date",
    )  # fmt: skip
    assert api_requests(sb)[0].query == {
        "since": "2026-12-01T00:00:00.000Z",
        "until": "2027-01-31T00:00:00.000Z",
        "paid": "true",
        "contact_id": "10009",
        "product_id": "206",
        "order": "order_date",
        "limit": "1000",
        "offset": "0",
    }
    assert api_requests(sb)[0].path == "/crm/rest/v1/orders"


async def test_order_filters_are_applied(client, sb):
    paid = await client.list_orders(paid=True)
    assert paid and {o.id for o in paid} == {i for i, o in sb.orders.items() if o["status"] == "PAID"}
    first = min(sb.orders)
    order = await client.get_order(first)
    assert order.id == first and order.title == sb.orders[first]["title"]


# -- task round trips ---------------------------------------------------------------------


async def test_create_task_round_trip(client, sb):
    due = datetime(2027, 2, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    draft = TaskDraft(title="Call Ada", description="about the invoice", type="Call", priority=3, due_date=due)
    task = await client.create_task(draft)
    stored = sb.tasks[task.id]
    assert stored["title"] == "Call Ada" and stored["type"] == "Call" and stored["priority"] == 3
    assert stored["due_date"] == "2027-02-01T14:30:00.000Z"
    assert task.due_date == due
    request = api_requests(sb)[-1]
    assert request.method == "POST" and request.path == "/crm/rest/v1/tasks"
    assert request.body == draft.to_body()


async def test_patch_sends_only_changed_fields(client, sb):
    original = await client.get_task(min(sb.tasks))
    draft = TaskDraft.from_task(original)
    draft.title = "Renamed"
    draft.priority = (original.priority or 0) + 1
    updated = await client.update_task(original.id, draft, original=original)
    request = api_requests(sb)[-1]
    assert request.method == "PATCH"
    assert request.body == {"title": "Renamed", "priority": draft.priority}
    assert updated.title == "Renamed" and sb.tasks[original.id]["title"] == "Renamed"
    assert sb.tasks[original.id].get("description") == original.description


async def test_update_with_nothing_changed_makes_no_call(client, sb):
    original = await client.get_task(min(sb.tasks))
    calls = client.calls_made
    same = await client.update_task(original.id, TaskDraft.from_task(original), original=original)
    assert same is original and client.calls_made == calls


async def test_update_with_a_dict_formats_dates(client, sb):
    task_id = min(sb.tasks)
    due = datetime(2027, 3, 1, 12, tzinfo=timezone.utc)
    await client.update_task(task_id, {"due_date": due, "title": "x"})
    assert api_requests(sb)[-1].body == {"due_date": "2027-03-01T12:00:00.000Z", "title": "x"}
    assert sb.tasks[task_id]["due_date"] == "2027-03-01T12:00:00.000Z"


async def test_complete_and_reopen(client, sb):
    task_id = next(i for i, t in sb.tasks.items() if not t.get("completed"))
    done = await client.set_completed(task_id, True)
    assert done.completed and sb.tasks[task_id]["completed"] is True
    assert api_requests(sb)[-1].body == {"completed": True}
    again = await client.set_completed(task_id, False)
    assert not again.completed and sb.tasks[task_id]["completed"] is False


async def test_delete_then_not_found(client, sb):
    task_id = min(sb.tasks)
    assert await client.delete_task(task_id) is None
    assert task_id not in sb.tasks
    with pytest.raises(NotFound, match="not found"):
        await client.get_task(task_id)


# -- errors -------------------------------------------------------------------------------


async def test_invalid_request_carries_keaps_message(client):
    with pytest.raises(InvalidRequest, match="'order'") as info:
        await client.list_tasks(order="shoe_size")
    assert info.value.status == 400


async def test_revoked_api_key_is_an_auth_error_with_advice(client, sb):
    sb.revoke_api_key()
    with pytest.raises(AuthError, match="API Settings") as info:
        await client.verify()
    assert info.value.status == 401
    assert client.calls_made == 1  # a refused key is not retried


async def test_verify_is_one_cheap_call(client, sb):
    await client.verify()
    assert [(r.path, r.query) for r in api_requests(sb)] == [("/crm/rest/v1/tasks", {"limit": "1"})]


async def test_forbidden_is_an_auth_error_about_permissions(sb, clock):
    transport = httpx.MockTransport(lambda request: httpx.Response(403, json={"message": "no"}))
    async with KeapClient(base_url="http://keap.test/crm/rest/v1", auth=ApiKeyAuth("k"), transport=transport, clock=clock) as client:
        with pytest.raises(AuthError, match="permissions"):
            await client.get_task(1)


async def test_malformed_body_is_bad_response(client, sb):
    sb.faults.add(Fault("malformed", path="/crm/rest/v1/tasks", times=1))
    with pytest.raises(BadResponse, match="not valid JSON"):
        await client.list_tasks()
    assert client.calls_made == 1


async def test_wrong_shape_is_decode_error_naming_the_field(client, sb):
    sb.faults.add(Fault("wrong_shape", path="/crm/rest/v1/orders", times=1))
    with pytest.raises(DecodeError, match=r"\$\.orders"):
        await client.list_orders()
    sb.faults.add(Fault("wrong_shape", path="/crm/rest/v1/tasks", times=1))
    with pytest.raises(DecodeError):
        await client.get_task(min(sb.tasks))


async def test_default_budget_and_repr(sb, clock):
    client = KeapClient(base_url=sb.base_url_for(ORIGIN), auth=ApiKeyAuth("sandbox-key"),
                        transport=httpx.ASGITransport(app=sb.app), clock=clock)
    assert isinstance(client.budget, CallBudget) and client.budget.calls == 100
    assert "sandbox-key" not in repr(client)
    await client.aclose()


async def test_requests_carry_user_agent_and_json(client, sb):
    await client.create_task(TaskDraft(title="x"))
    headers = api_requests(sb)[-1].headers
    assert headers["user-agent"] == "infusion-tui/0.1"
    assert headers["content-type"] == "application/json"
    assert headers["x-keap-api-key"] == "REDACTED"  # the sandbox's own record redacts


async def test_clearing_a_text_field_sends_an_empty_string(client, sb):
    task_id = next(i for i, t in sb.tasks.items() if t.get("description"))
    original = await client.get_task(task_id)
    draft = TaskDraft.from_task(original)
    draft.description = ""
    updated = await client.update_task(task_id, draft, original=original)
    request = api_requests(sb)[-1]
    assert (request.method, request.body) == ("PATCH", {"description": ""})
    assert not updated.description and not sb.tasks[task_id].get("description")


async def test_clearing_the_due_date_replaces_the_task_keeping_everything_else(client, sb):
    task_id = next(i for i, t in sb.tasks.items() if t.get("due_date") and t.get("contact"))
    before = dict(sb.tasks[task_id])
    original = await client.get_task(task_id)
    draft = TaskDraft.from_task(original)
    draft.due_date = None
    draft.title = "No date any more"
    updated = await client.update_task(task_id, draft, original=original)
    request = api_requests(sb)[-1]
    assert request.method == "PUT" and "due_date" not in request.body
    after = sb.tasks[task_id]
    assert "due_date" not in after and updated.due_date is None
    assert after["title"] == "No date any more"
    for kept in ("contact", "priority", "type", "description", "completed", "user_id", "creation_date"):
        assert after.get(kept) == before.get(kept), kept
