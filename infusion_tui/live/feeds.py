"""The two feeds behind Keap's OnNewOrder / OnNewTask triggers, wired to the client and store.

Orders are followed by `creation_date` (what Keap's `since` filters for orders). Tasks are
followed by `modification_date` (what `since` filters for tasks), so edits made elsewhere
come back too: a task created after the cursor is new, an older one is changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from infusion_tui.clock import REAL_CLOCK, Clock
from infusion_tui.keap.models import Order, Task
from infusion_tui.live.cursor import Cursor
from infusion_tui.live.poller import Poller

if TYPE_CHECKING:  # keep the client (httpx) and sqlite out of a bare `import infusion_tui.live`
    from infusion_tui.keap.client import KeapClient, OnPage
    from infusion_tui.store import Store

ORDERS = "orders"
TASKS = "tasks"
BASELINE_DAYS = 30.0  # a first start shows the last month of orders, none of them as new


def orders_poller(
    client: KeapClient,
    store: Store | None = None,
    *,
    clock: Clock = REAL_CLOCK,
    interval: float = 120.0,
    floor: float = 120.0,
    max_backoff: float = 900.0,
    baseline_days: float | None = BASELINE_DAYS,
    page_size: int = 1000,
    on_page: OnPage | None = None,
) -> Poller[Order]:
    """Poll new orders; the cursor and the orders seen are kept in `store` across runs."""

    async def fetch(since: datetime | None) -> Sequence[Order]:
        return await client.list_orders(since=since, page_size=page_size, on_page=on_page)

    async def persist(cursor: Cursor, orders: list[Order], baseline: bool) -> None:
        if store is not None:
            await asyncio.to_thread(store.commit_feed, ORDERS, cursor, orders=orders, synced_at=clock.now())

    return Poller(
        fetch,
        key=_id,
        stamp=_created,
        cursor=store.load_cursor(ORDERS) if store is not None else None,
        interval=interval,
        floor=floor,
        clock=clock,
        max_backoff=max_backoff,
        baseline_window=baseline_days * 86400.0 if baseline_days is not None else None,
        persist=persist,
        name=ORDERS,
    )


def tasks_poller(
    client: KeapClient,
    store: Store | None = None,
    *,
    clock: Clock = REAL_CLOCK,
    interval: float = 120.0,
    floor: float = 120.0,
    max_backoff: float = 900.0,
    page_size: int = 1000,
    on_page: OnPage | None = None,
) -> Poller[Task]:
    """Poll tasks created (new) or modified (changed) elsewhere; the first sync fetches all.

    `on_page(page, loaded, count)` hears of every page, for a progress bar on the first sync.
    """

    async def fetch(since: datetime | None) -> Sequence[Task]:
        return await client.list_tasks(since=since, page_size=page_size, on_page=on_page)

    async def persist(cursor: Cursor, tasks: list[Task], baseline: bool) -> None:
        if store is not None:
            await asyncio.to_thread(
                store.commit_feed, TASKS, cursor, tasks=tasks, replace_tasks=baseline, synced_at=clock.now()
            )

    return Poller(
        fetch,
        key=_id,
        stamp=_modified,
        created=_created,
        cursor=store.load_cursor(TASKS) if store is not None else None,
        interval=interval,
        floor=floor,
        clock=clock,
        max_backoff=max_backoff,
        persist=persist,
        name=TASKS,
    )


def _id(item: Order | Task) -> int:
    return item.id


def _created(item: Order | Task) -> datetime | None:
    return item.creation_date


def _modified(task: Task) -> datetime | None:
    return task.modification_date or task.creation_date
