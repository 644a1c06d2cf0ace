"""What the client sends matches Keap's v1 OpenAPI spec (request bodies, query parameters),
and the models read only fields the spec declares. The bodies checked are the ones the sandbox
actually received, so this is the wire, not a reconstruction.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import msgspec
import pytest
from keap_spec import operation, request_schema, response_schema, undeclared_properties, validate

from infusion_tui.clock import FakeClock
from infusion_tui.keap import ApiKeyAuth, KeapClient, Order, Task, TaskDraft
from infusion_tui.sandbox import Sandbox

ORIGIN = "http://sandbox.test"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sb(clock):
    return Sandbox(seed=7, clock=clock, n_tasks=10, n_orders=10)


@pytest.fixture
async def client(sb, clock):
    async with KeapClient(base_url=sb.base_url_for(ORIGIN), auth=ApiKeyAuth(sb.api_key),
                          transport=httpx.ASGITransport(app=sb.app), clock=clock) as client:
        yield client


def last_body(sb):
    return [r for r in sb.requests if r.is_api][-1].body


def check(body, operation_id):
    schema = request_schema(operation_id)
    validate(body, schema)
    assert undeclared_properties(body, schema) == []


async def test_create_body_matches_the_spec(client, sb):
    due = datetime(2027, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=9)))
    await client.create_task(TaskDraft(title="Full", description="d", type="Call", priority=2, due_date=due, completed=False))
    check(last_body(sb), "createTaskUsingPOST")
    await client.create_task(TaskDraft(title="Minimal"))
    check(last_body(sb), "createTaskUsingPOST")


async def test_patch_bodies_match_the_spec(client, sb):
    original = await client.get_task(min(sb.tasks))
    draft = TaskDraft.from_task(original)
    draft.title, draft.type, draft.priority = "New title", "Email", 1
    draft.due_date = datetime(2027, 5, 1, 8, 0, tzinfo=timezone.utc)
    await client.update_task(original.id, draft, original=original)
    check(last_body(sb), "updatePropertiesOnTaskUsingPATCH")
    await client.set_completed(original.id, True)
    check(last_body(sb), "updatePropertiesOnTaskUsingPATCH")


async def test_list_queries_use_only_declared_parameters(client, sb):
    now = datetime(2027, 1, 1, tzinfo=timezone.utc)
    await client.list_tasks(since=now, until=now, completed=True, has_due_date=True,
                            contact_id=1, user_id=1, order="-due_date", page_size=5)
    await client.list_tasks(search=True, page_size=5)
    await client.list_orders(since=now, until=now, paid=True, contact_id=1, product_id=1,
                             order="order_date", page_size=5)
    declared = {
        "/crm/rest/v1/tasks": "listTasksUsingGET",
        "/crm/rest/v1/tasks/search": "listTasksForCurrentUserUsingGET",
        "/crm/rest/v1/orders": "listOrdersUsingGET",
    }
    for request in (r for r in sb.requests if r.is_api):
        params = {p["name"] for p in operation(declared[request.path]).get("parameters", []) if p["in"] == "query"}
        assert set(request.query) <= params, request.path
    order_param = next(p for p in operation("listOrdersUsingGET")["parameters"] if p["name"] == "order")
    assert "order_date" in order_param["schema"]["enum"]


def test_models_read_only_declared_fields():
    task_fields = {f.name for f in msgspec.structs.fields(Task)}
    declared = set(response_schema("getTaskUsingGET")["properties"]) | {"id"}  # id: the spec's known gap
    assert task_fields <= declared
    order = Order(id=1)
    undeclared = undeclared_properties(msgspec.to_builtins(order), response_schema("getOrderUsingGET"))
    assert undeclared == []
    order_fields = {f.name for f in msgspec.structs.fields(Order)}
    assert order_fields <= set(response_schema("getOrderUsingGET")["properties"])


async def test_replace_body_for_a_cleared_due_date_matches_the_spec(client, sb):
    task_id = next(i for i, t in sb.tasks.items() if t.get("due_date") and t.get("contact"))
    original = await client.get_task(task_id)
    draft = TaskDraft.from_task(original)
    draft.due_date = None
    draft.description = None
    await client.update_task(task_id, draft, original=original)
    body = last_body(sb)
    check(body, "updateTaskUsingPUT")
    assert "due_date" not in body and body["description"] == ""
