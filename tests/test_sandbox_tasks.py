"""Tasks over HTTP against the sandbox app: paging, filters, CRUD, errors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.sandbox import Sandbox
from infusion_tui.sandbox.timefmt import iso

T = "/crm/rest/v1/tasks"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sb(clock) -> Sandbox:
    return Sandbox(seed=7, clock=clock, calls_per_minute=10_000)


@pytest.fixture
async def client(sb):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sb.app),
                                 base_url="http://sandbox.test",
                                 headers={"X-Keap-API-Key": sb.api_key}) as c:
        yield c


def qs(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def test_three_pages_then_next_points_past_the_end(client, sb):
    r = await client.get(T, params={"limit": 25})
    seen, pages = [], []
    while True:
        assert r.status_code == 200
        body = r.json()
        assert body["count"] == 60
        pages.append(len(body["tasks"]))
        if not body["tasks"]:
            break
        seen += [t["id"] for t in body["tasks"]]
        assert body["next"].startswith("http://sandbox.test/crm/rest/v1/tasks/?")
        r = await client.get(body["next"])  # absolute URL, as a client follows it
    assert pages == [25, 25, 10, 0]
    assert seen == sorted(sb.tasks) and len(set(seen)) == 60
    assert qs(body["next"]) == {"limit": "25", "offset": "100"}
    assert qs(body["previous"]) == {"limit": "25", "offset": "50"}


async def test_last_page_still_has_next(client):
    body = (await client.get(T, params={"limit": 25, "offset": 50})).json()
    assert len(body["tasks"]) == 10
    assert qs(body["next"]) == {"limit": "25", "offset": "75"}
    past = (await client.get(T, params={"limit": 25, "offset": 75})).json()
    assert past["tasks"] == [] and past["count"] == 60


async def test_limit_defaults_to_and_clamps_at_1000(client):
    body = (await client.get(T)).json()
    assert len(body["tasks"]) == 60 and qs(body["next"])["limit"] == "1000"
    body = (await client.get(T, params={"limit": 5000})).json()
    assert qs(body["next"]) == {"limit": "1000", "offset": "1000"}
    assert (await client.get(T, params={"limit": 0})).json()["count"] == 60


async def test_next_keeps_filters(client):
    body = (await client.get(T, params={"completed": "false", "order": "-due_date", "limit": 5})).json()
    assert qs(body["next"]) == {"limit": "5", "offset": "5", "completed": "false", "order": "-due_date"}


@pytest.mark.parametrize("name,value,keep", [
    ("completed", "true", lambda t: t["completed"]),
    ("completed", "false", lambda t: not t["completed"]),
    ("has_due_date", "true", lambda t: "due_date" in t),
    ("has_due_date", "false", lambda t: "due_date" not in t),
    ("user_id", "3", lambda t: t["user_id"] == 3),
])
async def test_filters(client, sb, name, value, keep):
    body = (await client.get(T, params={name: value})).json()
    expected = sorted(i for i, t in sb.tasks.items() if keep(t))
    assert 0 < len(expected) < 60
    assert [t["id"] for t in body["tasks"]] == expected and body["count"] == len(expected)


async def test_contact_filter(client, sb):
    contact_id = next(t["contact"]["id"] for t in sb.tasks.values() if "contact" in t)
    body = (await client.get(T, params={"contact_id": contact_id})).json()
    expected = sorted(i for i, t in sb.tasks.items() if t.get("contact", {}).get("id") == contact_id)
    assert [t["id"] for t in body["tasks"]] == expected and expected


async def test_since_until_filter_modification_date_inclusive(client, sb):
    dates = sorted(t["modification_date"] for t in sb.tasks.values())
    lo, hi = dates[10], dates[40]
    body = (await client.get(T, params={"since": lo, "until": hi})).json()
    got = sorted(t["modification_date"] for t in body["tasks"])
    assert got == [d for d in dates if lo <= d <= hi]
    assert got[0] == lo and got[-1] == hi


async def test_since_accepts_offsets(client, sb):
    newest = max(t["modification_date"] for t in sb.tasks.values())
    instant = datetime.fromisoformat(newest.replace("Z", "+00:00"))
    as_plus_two = instant.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert "+02:00" in as_plus_two
    body = (await client.get(T, params={"since": as_plus_two})).json()
    assert body["count"] >= 1
    assert {t["modification_date"] for t in body["tasks"]} == {newest}


async def test_order_descending_due_date_puts_missing_last(client, sb):
    body = (await client.get(T, params={"order": "-due_date"})).json()
    dues = [t.get("due_date") for t in body["tasks"]]
    present = [d for d in dues if d]
    assert present == sorted(present, reverse=True)
    assert dues[len(present):] == [None] * (60 - len(present)) and len(present) < 60


@pytest.mark.parametrize("order", ["title", "priority", "creation_date", "modification_date", "-id"])
async def test_order_fields(client, order):
    tasks = (await client.get(T, params={"order": order})).json()["tasks"]
    field = order.lstrip("-")
    keys = [t[field].casefold() if field == "title" else t[field] for t in tasks]
    assert keys == sorted(keys, reverse=order.startswith("-"))


@pytest.mark.parametrize("params,word", [
    ({"limit": "abc"}, "limit"), ({"offset": "-1"}, "offset"), ({"completed": "maybe"}, "completed"),
    ({"since": "yesterday"}, "since"), ({"until": "2026-01-01"}, "until"),
    ({"order": "colour"}, "order"), ({"contact_id": "x"}, "contact_id"),
])
async def test_bad_query_values_are_400_with_message(client, params, word):
    r = await client.get(T, params=params)
    assert r.status_code == 400 and word in r.json()["message"]


async def test_search_returns_only_my_tasks(client, sb):
    body = (await client.get(f"{T}/search", params={"order": "-due_date"})).json()
    mine = {i for i, t in sb.tasks.items() if t["user_id"] == 1}
    assert {t["id"] for t in body["tasks"]} == mine and body["count"] == len(mine) < 60
    assert body["next"].startswith("http://sandbox.test/crm/rest/v1/tasks/search/?")


async def test_create_returns_200_and_round_trips(client, sb, clock):
    clock.advance(5)
    draft = {"title": "Call Zoë", "description": "about ✓ renewal", "type": "Call",
             "priority": 3, "due_date": "2027-02-01T09:30:00+02:00", "contact": {"id": 10001}}
    r = await client.post(f"{T}/", json=draft)  # trailing slash, as the PA connector posts
    assert r.status_code == 200
    task = r.json()
    assert task["title"] == "Call Zoë" and task["priority"] == 3 and task["completed"] is False
    assert task["due_date"] == "2027-02-01T07:30:00.000Z"
    assert task["contact"] == {"id": 10001, "email": "zoe.angstrom@example.com",
                               "first_name": "Zoë", "last_name": "Ångström"}
    assert task["creation_date"] == task["modification_date"] == iso(clock.now())
    assert task["id"] not in range(1001, 1061) and task["url"].endswith(f"ID={task['id']}")
    assert (await client.get(f"{T}/{task['id']}")).json() == task
    assert sb.tasks[task["id"]] == task
    assert (await client.get(T)).json()["count"] == 61
    assert sb.requests[-3].body == draft  # the server saw exactly what was sent


@pytest.mark.parametrize("body,word", [
    ({"description": "no title"}, "title"),
    ({"title": "  "}, "title"),
    ({"title": "x", "priority": "high"}, "priority"),
    ({"title": "x", "priority": True}, "priority"),
    ({"title": "x", "due_date": "tomorrow"}, "due_date"),
    ({"title": "x", "due_date": "2027-02-01T09:30:00"}, "due_date"),  # no offset
    ({"title": "x", "remind_time": 7}, "remind_time"),
    ({"title": "x", "completed": "yes"}, "completed"),
    ({"title": "x", "contact": {"id": 999}}, "999"),
    (["title"], "object"),
])
async def test_create_validation(client, body, word):
    r = await client.post(T, json=body)
    assert r.status_code == 400 and word in r.json()["message"]


async def test_create_rejects_broken_json_and_wrong_content_type(client):
    r = await client.post(T, content=b'{"title": ', headers={"content-type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.json()["message"]
    r = await client.post(T, content=b"title=x", headers={"content-type": "text/plain"})
    assert r.status_code == 415
    r = await client.post(T, content=b'{"title": "ok"}', headers={"content-type": " application/json"})
    assert r.status_code == 200  # the PA connector's leading-space content type works


async def test_patch_changes_only_supplied_fields(client, sb, clock):
    task = next(t for t in sb.tasks.values() if not t["completed"] and "due_date" in t)
    before = dict(task)
    clock.advance(60)
    r = await client.patch(f"{T}/{task['id']}", json={"priority": 1, "due_date": None})
    assert r.status_code == 200
    after = r.json()
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed <= {"priority", "modification_date"} and "modification_date" in changed
    assert after["due_date"] == before["due_date"]  # null means "not supplied"
    assert after["priority"] == 1


async def test_patch_completed_sets_and_clears_completion_date(client, sb, clock):
    task_id = next(i for i, t in sb.tasks.items() if not t["completed"])
    clock.advance(10)
    done = (await client.patch(f"{T}/{task_id}", json={"completed": True})).json()
    assert done["completed"] is True and done["completion_date"] == iso(clock.now())
    clock.advance(10)
    again = (await client.patch(f"{T}/{task_id}", json={"completed": True})).json()
    assert again["completion_date"] == done["completion_date"]  # already done: kept
    undone = (await client.patch(f"{T}/{task_id}", json={"completed": False})).json()
    assert undone["completed"] is False and "completion_date" not in undone


async def test_put_replaces(client, sb):
    task = next(t for t in sb.tasks.values() if t.get("description") and "due_date" in t)
    r = await client.put(f"{T}/{task['id']}", json={"title": "Replaced", "type": "Email"})
    assert r.status_code == 200
    new = r.json()
    assert new["title"] == "Replaced" and new["type"] == "Email"
    assert "description" not in new and "due_date" not in new
    assert new["creation_date"] == task["creation_date"] and new["id"] == task["id"]
    r = await client.put(f"{T}/{task['id']}", json={"type": "Email"})
    assert r.status_code == 400 and "title" in r.json()["message"]


async def test_delete_is_204_then_404(client, sb):
    task_id = min(sb.tasks)
    r = await client.delete(f"{T}/{task_id}")
    assert r.status_code == 204 and r.content == b""
    r = await client.get(f"{T}/{task_id}")
    assert r.status_code == 404 and str(task_id) in r.json()["message"]
    assert (await client.delete(f"{T}/{task_id}")).status_code == 404
    assert task_id not in sb.tasks


@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
async def test_unknown_and_bad_ids(client, method):
    body = {"title": "x"} if method in ("PATCH", "PUT") else None
    r = await client.request(method, f"{T}/424242", json=body)
    assert r.status_code == 404 and "424242" in r.json()["message"]
    r = await client.request(method, f"{T}/abc", json=body)
    assert r.status_code == 400 and "abc" in r.json()["message"]


async def test_unknown_route_and_method(client):
    r = await client.get("/crm/rest/v1/nothing")
    assert r.status_code == 404 and r.json() == {"message": "Not Found"}
    r = await client.post("/crm/rest/v1/tasks/search", json={})
    assert r.status_code == 405 and "message" in r.json()
