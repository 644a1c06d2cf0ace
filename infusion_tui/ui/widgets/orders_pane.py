"""The live orders feed (Keap's OnNewOrder): newest first, new orders highlighted until seen.

Rows hold only display strings; the full order is read from the local store (or fetched)
when the user opens it, so a feed of 100,000 orders stays small in memory.
"""

from __future__ import annotations

import asyncio
import csv
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.message import Message

from infusion_tui.display import instant, money, when
from infusion_tui.keap.errors import KeapError
from infusion_tui.keap.models import Order
from infusion_tui.live import PollResult, orders_poller
from infusion_tui.rows import ORDER_SORTS, order_row
from infusion_tui.ui.actions import bindings_for
from infusion_tui.ui.widgets.feed_pane import FeedPane
from infusion_tui.ui.widgets.line_table import Column, LineTable

RECENT = timedelta(days=2)  # older times read "3 d ago", which changes only once a day


@dataclass
class OrderBatch:
    """Orders turned into rows plus what the pane tallies, built without touching widgets."""

    day: date
    rows: list = field(default_factory=list)
    new_ids: set[int] = field(default_factory=set)
    today: dict[int, float] = field(default_factory=dict)  # today's orders: id -> total
    recent: dict[int, datetime] = field(default_factory=dict)  # last two days: times re-word
    kept: dict[int, Order] = field(default_factory=dict)  # without a store: the orders themselves


@dataclass
class CacheLoaded(Message):
    batch: OrderBatch
    synced_at: float | None


def order_batch(orders: list[Order], now: datetime, *, new: bool, keep: bool,
                seen_new: set[int] | frozenset[int] = frozenset()) -> OrderBatch:
    """Pure, so it can run in a thread: rows, flags and tallies for `orders`."""
    batch = OrderBatch(day=now.date())
    for order in orders:
        created = instant(order.creation_date)
        if new:
            batch.new_ids.add(order.id)
        if keep:
            batch.kept[order.id] = order
        if created is not None and created.astimezone(now.tzinfo).date() == batch.day:
            batch.today[order.id] = order.total or 0.0
        if created is not None and now - created < RECENT:
            batch.recent[order.id] = created
        batch.rows.append(order_row(order, now, new=new or order.id in seen_new))
    return batch


CSV_HEADER = ("created", "order id", "contact", "company", "total", "paid / due", "status")


class OrdersPane(FeedPane):
    BINDINGS = bindings_for("orders")
    NOUN = "orders"
    SORTS = ORDER_SORTS
    COLUMNS = [
        Column("time", "Time", width=17, priority=9),
        Column("id", "Order", width=6, justify="right", priority=10),
        Column("contact", "Contact", min_width=10, priority=8),
        Column("company", "Company", width=16, priority=3),
        Column("total", "Total", width=10, justify="right", priority=7),
        Column("paid", "Paid / due", width=21, justify="right", priority=2),
        Column("status", "Status", width=6, priority=5),
    ]

    def __init__(self, session, *, id: str = "orders") -> None:
        super().__init__(session, id=id)
        self.new_ids: set[int] = set()
        self._today: dict[int, float] = {}  # today's orders: id -> total, for the daily total
        self._today_date = self.session.local_now().date()
        self._small: dict[int, Order] = {}  # only without a store: the orders themselves
        self._recent: dict[int, datetime] = {}  # orders of the last two days: their times re-word

    @property
    def count(self) -> int:
        return len(self.table.index)

    def on_mount(self) -> None:
        super().on_mount()
        self.border_title = "Orders"
        self.table.set_sort("newest")
        self.table.empty_message = "Waiting for orders…"
        self.refresh_info()

    # -- loading and polling --------------------------------------------------------------

    def start(self) -> None:
        if self.session.store is None:
            self._start_poller()
            return
        self.table.empty_message = "Loading the orders kept from last time…"
        self._load_cache()

    @work(thread=True, exclusive=True, group="cache", exit_on_error=False)
    def _load_cache(self) -> None:
        """Decode the cached orders and build their rows off the UI thread (100,000 of them
        take seconds), then hand the finished rows over."""
        store = self.session.store
        orders = store.load_orders()
        batch = order_batch(orders, self.session.local_now(), new=False, keep=False)
        self.post_message(CacheLoaded(batch, store.last_sync("orders")))

    @on(CacheLoaded)
    def _cache_loaded(self, event: CacheLoaded) -> None:
        self.apply_batch(event.batch)
        self.cached_as_of(event.synced_at)
        self._start_poller()  # only now: a poll's fresher rows must not be overwritten by the cache

    def _start_poller(self) -> None:
        session = self.session
        poller = orders_poller(
            session.client, session.store, clock=session.clock,
            interval=session.poll_interval, floor=session.poll_floor, on_page=self.page_loaded,
        )
        self.start_polling(poller)

    def add_orders(self, orders: list[Order], *, new: bool, built: OrderBatch | None = None) -> None:
        """The one way polled orders enter the feed (`built`: their rows, made off the UI thread)."""
        if built is None:
            now = self.session.local_now()
            built = order_batch(orders, now, new=new, keep=self.session.store is None, seen_new=self.new_ids)
        self.apply_batch(built)

    def apply_batch(self, batch: OrderBatch) -> None:
        if not batch.rows:
            return
        if batch.day != self._today_date:  # a new day: yesterday's orders leave the total
            self._today.clear()
            self._today_date = batch.day
        self.new_ids.update(batch.new_ids)
        self._small.update(batch.kept)
        self._today.update(batch.today)
        self._recent.update(batch.recent)
        self.table.upsert_rows(batch.rows)
        self.refresh_info()

    async def prepare(self, result: PollResult[Order]) -> tuple[OrderBatch, OrderBatch]:
        now, keep, seen = self.session.local_now(), self.session.store is None, frozenset(self.new_ids)
        return await asyncio.to_thread(lambda: (
            order_batch(result.baseline, now, new=False, keep=keep, seen_new=seen),
            order_batch(result.new, now, new=True, keep=keep),
        ))

    def apply_poll(self, result: PollResult[Order], prepared: tuple[OrderBatch, OrderBatch]) -> None:
        baseline, arrived = prepared
        self.add_orders(result.baseline, new=False, built=baseline)
        self.add_orders(result.new, new=True, built=arrived)
        if result.new:
            self._announce(result.new)
        if not self.count:
            self.table.empty_message = "No orders yet. New orders appear here as they arrive."

    def refresh_times(self) -> None:
        now = self.session.local_now()
        rows = []
        for key, created in list(self._recent.items()):
            row = self.table.index.get(key)
            if row is None or now - created >= RECENT:
                del self._recent[key]
            if row is not None:
                rows.append(row._replace(cells=(when(created, now, past=True), *row.cells[1:])))
        if rows:
            self.table.upsert_rows(rows)

    def _announce(self, orders: list[Order]) -> None:
        count = len(orders)
        total = sum(o.total or 0.0 for o in orders)
        self.notify(f"{count} new order{'s' if count != 1 else ''}, {money(total)}", title="Orders")
        if self.session.extras.get("bell"):
            self.app.bell()

    def action_toggle_pause(self) -> None:
        if self.poller is None:
            return
        if self.poller.paused:
            self.poller.resume()
            self.notify("Live feed resumed.")
        else:
            self.poller.pause()
            self.notify("Live feed paused. Press p to resume.")
        self.refresh_info()

    # -- seen, details, copy, export ------------------------------------------------------

    @on(LineTable.CursorMoved)
    def _seen(self, event: LineTable.CursorMoved) -> None:
        if event.key in self.new_ids and self.has_focus_within:
            self.new_ids.discard(event.key)
            self.table.flag_rows([event.key], "new", False)
            self.refresh_info()

    @on(LineTable.RowActivated)
    def _activated(self, event: LineTable.RowActivated) -> None:
        event.stop()
        self.action_open_details()

    def action_open_details(self) -> None:
        key = self.table.cursor_key
        if key is not None:
            self._open(int(key))

    @work(group="details", exclusive=True, exit_on_error=False)
    async def _open(self, order_id: int) -> None:
        order = self._small.get(order_id)
        store = self.session.store
        if order is None and store is not None:
            order = await asyncio.to_thread(store.load_order, order_id)
        if order is None:
            try:
                order = await self.session.client.get_order(order_id)
            except KeapError as exc:
                self.notify(f"Could not open order #{order_id}: {exc}", severity="error", markup=False)
                return
        from infusion_tui.ui.screens.order_details import OrderDetails  # not needed at start

        await self.app.push_screen(OrderDetails(order, self.session.local_now()))

    def action_copy_id(self) -> None:
        key = self.table.cursor_key
        if key is None:
            return
        self.app.copy_to_clipboard(str(key))  # OSC 52: works over SSH too
        self.notify(f"Copied order id {key}")

    def action_export_csv(self) -> None:
        rows = [self.table.index.get(key) for key in self.table.index.visible]
        folder = Path(self.session.extras.get("export_dir") or Path.cwd())
        path = folder / f"orders-{datetime.now().strftime('%Y%m%d-%H%M%S')}.csv"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(CSV_HEADER)
                writer.writerows(row.cells for row in rows if row is not None)
        except OSError as exc:
            self.notify(f"Could not write {path}: {exc.strerror}", severity="error", markup=False)
            return
        self.notify(f"Exported {len(rows)} orders to {path}", title="Export", markup=False, timeout=10)

    # -- the info line --------------------------------------------------------------------

    def info_text(self) -> Text:
        text = Text()
        shown = len(self.table.index.visible)
        text.append(f"{shown} of {self.count}" if shown != self.count else f"{self.count} orders")
        if self.new_ids:
            text.append(f" · {len(self.new_ids)} new", style="bold")
        text.append(" · ")
        text.append_text(self.poll_state())
        new = f" · {len(self.new_ids)} new" if self.new_ids else ""
        self.border_title = f"Orders{new} · today {money(sum(self._today.values()))}"
        return text
