"""Orders over HTTP: ordering, paging, filters, ties, money that adds up."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.sandbox import Sandbox
from infusion_tui.sandbox.timefmt import iso, parse_iso

O = "/crm/rest/v1/orders"


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


def ids(body: dict) -> list[int]:
    return [o["id"] for o in body["orders"]]


async def test_default_order_is_creation_date_then_id(client, sb):
    body = (await client.get(O)).json()
    assert body["count"] == 200 and "sync_token" not in body
    keys = [(o["creation_date"], o["id"]) for o in body["orders"]]
    assert keys == sorted(keys)
    dates = [k[0] for k in keys]
    assert len(set(dates)) < len(dates), "seed 7 should contain creation_date ties"


async def test_three_pages_and_past_the_end(client, sb):
    seen, url = [], f"{O}?limit=80"
    for expected in (80, 80, 40, 0):
        body = (await client.get(url)).json()
        assert len(body["orders"]) == expected
        seen += ids(body)
        url = body["next"]
    assert {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()} == {"limit": "80", "offset": "320"}
    assert sorted(seen) == sorted(sb.orders) and len(seen) == 200


async def test_since_is_inclusive_and_until_too(client, sb):
    ordered = sorted(sb.orders.values(), key=lambda o: (o["creation_date"], o["id"]))
    pivot = ordered[150]["creation_date"]
    body = (await client.get(O, params={"since": pivot})).json()
    assert ids(body) == [o["id"] for o in ordered if o["creation_date"] >= pivot]
    assert ordered[150]["id"] in ids(body)
    later = iso(parse_iso(pivot) + 0.001)
    assert ordered[150]["id"] not in ids((await client.get(O, params={"since": later})).json())
    body = (await client.get(O, params={"until": pivot})).json()
    assert ids(body) == [o["id"] for o in ordered if o["creation_date"] <= pivot]


@pytest.mark.parametrize("value,status", [("true", {"PAID"}), ("false", {"DRAFT", "SENT", "VIEWED"})])
async def test_paid_filter(client, sb, value, status):
    body = (await client.get(O, params={"paid": value})).json()
    assert {o["status"] for o in body["orders"]} == status
    assert body["count"] == sum(o["status"] in status for o in sb.orders.values())
    if value == "true":
        assert all(o["total_due"] == 0 for o in body["orders"])


async def test_contact_and_product_filters(client, sb):
    some = sb.orders[5010]
    body = (await client.get(O, params={"contact_id": some["contact_id"]})).json()
    assert body["count"] >= 1 and {o["contact_id"] for o in body["orders"]} == {some["contact_id"]}
    product = some["order_items"][-1]["product"]["id"]
    body = (await client.get(O, params={"product_id": product})).json()
    expected = [i for i, o in sb.orders.items()
                if any(it["product"]["id"] == product for it in o["order_items"])]
    assert sorted(ids(body)) == sorted(expected) and 5010 in expected


@pytest.mark.parametrize("order,field", [("order_date", "order_date"), ("update_date", "modification_date")])
async def test_named_orders_are_most_recent_first(client, order, field):
    body = (await client.get(O, params={"order": order})).json()
    values = [o[field] for o in body["orders"]]
    assert values == sorted(values, reverse=True) and len(values) == 200


@pytest.mark.parametrize("params", [{"order": "-order_date"}, {"paid": "maybe"}, {"limit": "1.5"},
                                    {"since": "last week"}, {"product_id": "mug"}])
async def test_bad_params(client, params):
    r = await client.get(O, params=params)
    assert r.status_code == 400 and r.json()["message"]


async def test_get_by_id_404_400(client, sb):
    assert (await client.get(f"{O}/5007")).json() == sb.orders[5007]
    r = await client.get(f"{O}/999999")
    assert r.status_code == 404 and "999999" in r.json()["message"]
    assert (await client.get(f"{O}/x")).status_code == 400
    assert (await client.post(O, json={})).status_code == 405


def test_money_and_ids_are_consistent(sb):
    for order in sb.orders.values():
        items = order["order_items"]
        assert 1 <= len(items) <= 4
        total = sum(i["quantity"] * i["price"] - i["discount"] for i in items)
        assert order["total"] == pytest.approx(total, abs=0.005)
        assert order["total_paid"] + order["total_due"] == pytest.approx(order["total"], abs=0.005)
        assert order["contact_id"] == str(order["contact"]["id"])
        assert order["product_id"] == str(items[0]["product"]["id"])
        assert isinstance(order["total"], float) and isinstance(order["invoice_number"], int)
        assert order["recurring"] == any("subscriptionPlan" in i for i in items)
        assert order["status"] in {"DRAFT", "SENT", "VIEWED", "PAID"}


def test_orders_span_the_previous_month(sb, clock):
    stamps = [parse_iso(o["creation_date"]) for o in sb.orders.values()]
    assert max(stamps) <= clock.now() and min(stamps) >= clock.now() - 30 * 86400
    assert max(stamps) - min(stamps) > 25 * 86400
