"""Seeded demo data and arrivals: deterministic, varied, and hostile to naive rendering."""

from __future__ import annotations

import re

import httpx
import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.sandbox import Sandbox
from infusion_tui.sandbox.timefmt import iso, parse_iso

DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
START = 1_800_000_000.0


async def fetch(sb: Sandbox, path: str, **params) -> dict:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sb.app), base_url="http://sandbox.test",
                                 headers={"X-Keap-API-Key": sb.api_key}) as c:
        r = await c.get(path, params=params)
        assert r.status_code == 200
        return r.json()


async def test_same_seed_and_start_give_identical_json():
    a, b = Sandbox(seed=7, clock=FakeClock(START)), Sandbox(seed=7, clock=FakeClock(START))
    for path in ("/crm/rest/v1/tasks", "/crm/rest/v1/orders"):
        assert await fetch(a, path) == await fetch(b, path)
    other = Sandbox(seed=8, clock=FakeClock(START))
    assert await fetch(other, "/crm/rest/v1/tasks") != await fetch(a, "/crm/rest/v1/tasks")


def test_tasks_are_varied():
    clock = FakeClock(START)
    tasks = list(Sandbox(seed=7, clock=clock).tasks.values())
    assert len(tasks) == 60
    types = {t["type"] for t in tasks}
    assert {"Call", "Email", "Appointment", "Other"} <= types and types - {
        "Call", "Email", "Appointment", "Fax", "Letter", "Other"}, "want a custom type too"
    assert {t["priority"] for t in tasks} == {1, 2, 3}
    dues = [parse_iso(t["due_date"]) for t in tasks if "due_date" in t]
    assert any(d < clock.now() for d in dues) and any(d > clock.now() for d in dues)
    assert len(dues) < 60  # some have no due date
    done = [t for t in tasks if t["completed"]]
    assert 0 < len(done) < 60 and all("completion_date" in t for t in done)
    assert not any("completion_date" in t for t in tasks if not t["completed"])
    assert {t["user_id"] for t in tasks} >= {1, 3}
    for t in tasks:
        for key in ("creation_date", "modification_date", "due_date", "completion_date"):
            assert key not in t or DATE.match(t[key]), (key, t.get(key))
        assert t["creation_date"] <= t["modification_date"] <= iso(clock.now())


def test_hostile_text_is_in_the_first_screen():
    sb = Sandbox(seed=7, clock=FakeClock(START))
    first = [sb.tasks[i] for i in sorted(sb.tasks)[:10]]
    assert any("[bold red]" in t["title"] and "[/]" in t["title"] for t in first)
    assert any("\x1b[31m" in t.get("description", "") for t in first)
    names = {(c["first_name"], c["last_name"]) for c in sb.contacts}
    assert {("Zoë", "Ångström"), ("Renée", "Dubois"), ("José", "Núñez"), ("雷", "李")} <= names
    assert any("\u0600" <= ch <= "\u06ff" for c in sb.contacts for ch in c["first_name"])  # RTL
    shown = {o["contact"]["first_name"] for o in sb.orders.values()}
    shown |= {t["contact"]["first_name"] for t in sb.tasks.values() if "contact" in t}
    assert len(shown & {"Zoë", "Renée", "José", "雷", "ليلى"}) >= 3


def test_arrivals_follow_the_fake_clock():
    clock = FakeClock(START)
    sb = Sandbox(seed=7, clock=clock, order_every=20, task_every=60)
    assert len(sb.orders) == 200 and len(sb.tasks) == 60
    clock.advance(19.999)
    assert len(sb.orders) == 200  # the first arrival is due at +20 s or a little later
    clock.advance(3600)
    new = [o for i, o in sb.orders.items() if i > 5200]
    assert 150 <= len(new) <= 250  # ~180 slots, some bringing two orders
    stamps = [parse_iso(o["creation_date"]) for o in new]
    assert stamps == sorted(stamps) and all(START + 20 <= s <= clock.now() for s in stamps)
    assert len({o["creation_date"] for o in new}) < len(new), "some arrivals tie to the millisecond"
    new_tasks = [t for i, t in sb.tasks.items() if i > 1060]
    assert 45 <= len(new_tasks) <= 60
    assert all(t["creation_date"] == t["modification_date"] and not t["completed"] for t in new_tasks)


def test_arrivals_do_not_depend_on_when_anyone_looks():
    eager_clock, lazy_clock = FakeClock(START), FakeClock(START)
    eager = Sandbox(seed=3, clock=eager_clock, order_every=15)
    lazy = Sandbox(seed=3, clock=lazy_clock, order_every=15)
    for _ in range(100):
        eager_clock.advance(7)
        _ = eager.orders  # materializes a few at a time
    lazy_clock.advance(700)
    assert eager.orders == lazy.orders


async def test_inclusive_since_poller_sees_every_order_exactly_once():
    clock = FakeClock(START)
    sb = Sandbox(seed=11, clock=clock, order_every=10, calls_per_minute=10_000)
    seen: dict[int, int] = {}
    cursor = max(o["creation_date"] for o in sb.orders.values())
    for _ in range(60):
        clock.advance(17)
        body = await fetch(sb, "/crm/rest/v1/orders", since=cursor)
        for order in body["orders"]:
            seen[order["id"]] = seen.get(order["id"], 0) + 1
        cursor = max([cursor] + [o["creation_date"] for o in body["orders"]])
    arrived = {i for i, o in sb.orders.items() if i > 5200}
    assert set(seen) - set(range(5001, 5201)) == arrived and arrived
    assert any(v > 1 for v in seen.values())  # inclusive since re-delivers: the poller de-dups


def test_add_order_and_add_task_now():
    clock = FakeClock(START)
    sb = Sandbox(seed=7, clock=clock)
    clock.advance(42)
    order = sb.add_order(status="PAID", title="Big one")
    assert order["creation_date"] == iso(clock.now()) and order["title"] == "Big one"
    assert sb.orders[order["id"]] is order and order["id"] == 5201
    task = sb.add_task(title="From elsewhere")
    assert sb.tasks[task["id"]]["title"] == "From elsewhere"
    assert task["creation_date"] == iso(clock.now()) and not task["completed"]


@pytest.mark.parametrize("ts,text", [(1_800_000_000.123, "2027-01-15T08:00:00.123Z"),
                                     (0.0, "1970-01-01T00:00:00.000Z")])
def test_date_format(ts, text):
    assert iso(ts) == text and parse_iso(text) == pytest.approx(ts)
    assert iso(parse_iso(text.replace("Z", "+00:00"))) == text
    with pytest.raises(ValueError):
        parse_iso(text.replace("Z", ""))
