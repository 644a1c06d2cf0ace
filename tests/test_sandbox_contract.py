"""The sandbox's answers against the official v1 OpenAPI schemas (tests/keap_spec.py).

Every task and every order the sandbox serves is validated, single and in list envelopes,
plus the bodies of create/patch/put. The spec allows extra properties, so each payload is
also checked for keys the spec does not declare: the only one allowed is Task ``id``, which
Keap returns although the spec leaves it out (CONTRACT.md section 1).
"""

from __future__ import annotations

import httpx
import jsonschema
import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.sandbox import Sandbox
from keap_spec import request_schema, response_schema, undeclared_properties, validate

TASK_GAPS = {"$.id"}


@pytest.fixture(scope="module")
def sb() -> Sandbox:
    # arrivals too, so tasks/orders made at run time are covered as well as seeded ones
    clock = FakeClock()
    box = Sandbox(seed=7, clock=clock, order_every=20, task_every=30, calls_per_minute=10_000)
    clock.advance(600)
    return box


@pytest.fixture
async def client(sb):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sb.app), base_url="http://sandbox.test",
                                 headers={"X-Keap-API-Key": sb.api_key}) as c:
        yield c


async def get_ok(client, path, **params) -> dict:
    r = await client.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("op,path", [("listTasksUsingGET", "/crm/rest/v1/tasks"),
                                     ("listTasksForCurrentUserUsingGET", "/crm/rest/v1/tasks/search")])
async def test_task_lists_match_the_spec(client, op, path):
    body = await get_ok(client, path)
    assert body["tasks"]
    schema = response_schema(op)
    validate(body, schema)
    assert undeclared_properties(body, schema) == ["$.tasks[*].id"]


async def test_every_task_matches_the_spec(client, sb):
    schema = response_schema("getTaskUsingGET")
    assert len(sb.tasks) > 60
    for task_id in sb.tasks:
        body = await get_ok(client, f"/crm/rest/v1/tasks/{task_id}")
        validate(body, schema)
        assert set(undeclared_properties(body, schema)) <= TASK_GAPS


async def test_order_list_matches_the_spec(client):
    body = await get_ok(client, "/crm/rest/v1/orders", limit=1000)
    assert len(body["orders"]) > 200
    schema = response_schema("listOrdersUsingGET")
    validate(body, schema)
    assert undeclared_properties(body, schema) == []


async def test_every_order_matches_the_spec(client, sb):
    schema = response_schema("getOrderUsingGET")
    for order_id in list(sb.orders)[::7]:
        body = await get_ok(client, f"/crm/rest/v1/orders/{order_id}")
        validate(body, schema)
        assert undeclared_properties(body, schema) == []


async def test_written_tasks_match_the_spec_both_ways(client):
    draft = {"title": "Contract check", "description": "d", "type": "Call", "priority": 2,
             "due_date": "2027-03-01T10:00:00.000Z", "remind_time": 15, "contact": {"id": 10002}}
    validate(draft, request_schema("createTaskUsingPOST"))
    created = await client.post("/crm/rest/v1/tasks", json=draft)
    assert created.status_code == 200
    validate(created.json(), response_schema("createTaskUsingPOST"))
    task_id = created.json()["id"]
    patch = {"completed": True}
    validate(patch, request_schema("updatePropertiesOnTaskUsingPATCH"))
    patched = await client.patch(f"/crm/rest/v1/tasks/{task_id}", json=patch)
    validate(patched.json(), response_schema("updatePropertiesOnTaskUsingPATCH"))
    assert "completion_date" in patched.json()
    put = {"title": "Replaced", "priority": 1}
    validate(put, request_schema("updateTaskUsingPUT"))
    replaced = await client.put(f"/crm/rest/v1/tasks/{task_id}", json=put)
    validate(replaced.json(), response_schema("updateTaskUsingPUT"))


@pytest.mark.parametrize("broken", [
    {"tasks": [{"title": "x", "priority": "high"}]},
    {"tasks": [{"title": "x", "due_date": "2027-03-01 10:00"}]},
    {"tasks": "nope"},
    {"count": "60"},
    {"tasks": [{"contact": {"id": "10001"}}]},
])
def test_the_validator_has_teeth(broken):
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, response_schema("listTasksUsingGET"))


def test_order_schema_has_teeth():
    with pytest.raises(jsonschema.ValidationError):
        validate({"id": 1, "contact_id": 10001}, response_schema("getOrderUsingGET"))  # must be a string
    with pytest.raises(jsonschema.ValidationError):
        validate({"id": 2**63}, response_schema("getOrderUsingGET"))  # int64 overflow
