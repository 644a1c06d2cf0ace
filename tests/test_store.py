"""The local SQLite cache: round trips, atomic feed commits, bulk speed, thread safety."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import platformdirs

from infusion_tui.keap.models import BasicContact, Order, OrderContact, ShippingInformation, Task
from infusion_tui.live import Cursor
from infusion_tui.store import OrderRow, Store

T0 = datetime(2027, 1, 15, 12, 0, tzinfo=timezone.utc)


def order(i: int, **kw) -> Order:
    base = {"creation_date": T0 + timedelta(seconds=i), "title": f"Order {i}", "status": "PAID"}
    return Order(id=i, **{**base, "total": 10.0 * i, **kw})


def test_for_profile_makes_one_file_per_profile(tmp_path):
    data_dir = platformdirs.user_data_path("infusion-tui")
    with Store.for_profile(data_dir, "work") as a, Store.for_profile(data_dir, "../odd name") as b:
        assert a.path.parent == b.path.parent == data_dir
        assert a.path != b.path and a.path.exists() and b.path.exists()
        assert ".." not in b.path.name
        a.set_meta("x", "1")
        assert b.get_meta("x") is None


def test_cursor_round_trip(tmp_path):
    cursor = Cursor(T0, frozenset({1, 2}))
    with Store(tmp_path / "p.sqlite3") as store:
        assert store.load_cursor("orders") is None
        store.save_cursor("orders", cursor)
        store.save_cursor("orders", cursor.advanced([(T0 + timedelta(seconds=1), 3)]))
    with Store(tmp_path / "p.sqlite3") as store:  # survives a restart
        assert store.load_cursor("orders") == Cursor(T0 + timedelta(seconds=1), frozenset({3}))
        assert store.load_cursor("tasks") is None


def test_orders_round_trip_newest_first_and_decoded_on_demand(tmp_path):
    full = order(
        2,
        contact=OrderContact(id=7, first_name="Ada", last_name="Lovelace"),
        shipping_information=ShippingInformation(city="London", zip="N1"),
    )
    with Store(tmp_path / "p.sqlite3") as store:
        store.save_orders([order(1), full, order(3)])
        store.save_orders([order(3, status="SENT")])  # upsert, not a duplicate
        assert [o.id for o in store.load_orders()] == [3, 2, 1]
        assert [o.id for o in store.load_orders(limit=2)] == [3, 2]
        assert store.load_order(2) == full
        assert store.load_order(3).status == "SENT"
        assert store.load_order(99) is None
        rows = list(store.iter_order_rows())
        stamp = (T0 + timedelta(seconds=2)).timestamp()
        assert rows[1] == OrderRow(2, stamp, "Order 2", "PAID", 20.0, "Ada Lovelace")
        assert store.count_orders() == 3


def test_tasks_replace_and_upsert(tmp_path):
    t1 = Task(id=1, title="Call", contact=BasicContact(id=4, first_name="Bo"), due_date=T0)
    t2 = Task(id=2, title="Email")
    with Store(tmp_path / "p.sqlite3") as store:
        store.replace_tasks([t1, t2])
        store.upsert_tasks([Task(id=2, title="Email again"), Task(id=3, title="Fax")])
        assert [t.title for t in store.load_tasks()] == ["Call", "Email again", "Fax"]
        assert store.load_tasks()[0] == t1
        store.replace_tasks([t2])
        assert store.load_tasks() == [t2]


def test_meta_and_last_sync(tmp_path):
    with Store(tmp_path / "p.sqlite3") as store:
        assert store.get_meta("k", "dflt") == "dflt" and store.last_sync("orders") is None
        store.set_meta("k", "v")
        assert store.get_meta("k") == "v"
        store.commit_feed("orders", Cursor(T0), orders=[order(1)], synced_at=1234.5)
        assert store.last_sync("orders") == 1234.5
        assert store.load_cursor("orders") == Cursor(T0)
        assert store.load_order(1) is not None


def test_commit_feed_is_all_or_nothing(tmp_path):
    with Store(tmp_path / "p.sqlite3") as store:
        store.commit_feed("orders", Cursor(T0), orders=[order(1)])

        def broken():
            yield order(2)
            raise RuntimeError("interrupted mid-write")

        try:
            store.commit_feed("orders", Cursor(T0 + timedelta(days=1)), orders=broken())
        except RuntimeError:
            pass
        assert store.load_cursor("orders") == Cursor(T0)
        assert store.count_orders() == 1


def test_hundred_thousand_orders_save_in_one_go(tmp_path):
    orders = [order(i, contact=OrderContact(first_name="N", last_name=str(i))) for i in range(1, 100_001)]
    with Store(tmp_path / "big.sqlite3") as store:
        start = time.perf_counter()
        store.save_orders(orders)
        elapsed = time.perf_counter() - start
        print(f"saved 100,000 orders in {elapsed:.2f} s")
        assert elapsed < 5.0
        assert store.count_orders() == 100_000
        assert [o.id for o in store.load_orders(limit=3)] == [100_000, 99_999, 99_998]


def test_usable_from_worker_threads(tmp_path):
    with Store(tmp_path / "p.sqlite3") as store:
        errors = []

        def work(base: int) -> None:
            try:
                for i in range(50):
                    store.save_orders([order(base + i)])
                    store.load_orders(limit=5)
            except Exception as exc:  # pragma: no cover - the failure we look for
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n * 1000,)) for n in range(1, 5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and store.count_orders() == 200


def test_damaged_file_is_set_aside(tmp_path):
    path = tmp_path / "p.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with Store(path) as store:
        store.set_meta("k", "v")
        assert store.get_meta("k") == "v"
    assert (tmp_path / "p.sqlite3.corrupt").exists()


def test_unreadable_cursor_means_baseline(tmp_path):
    with Store(tmp_path / "p.sqlite3") as store:
        store._write([("INSERT INTO cursors (feed, json) VALUES (?, ?)", [("orders", "{not json")])])
        assert store.load_cursor("orders") is None
