"""Tasks and orders as table rows: display cells, filter text, sort keys and flags.

Built once per change of the item (not per frame), and compact: a row is a tuple of short
strings, so 100,000 orders cost a few tens of MB, not a Rich object per cell.
"""

from __future__ import annotations

from datetime import datetime

from infusion_tui.display import instant, money, order_company, order_contact, priority_label, task_contact, when
from infusion_tui.keap.models import Order, Task
from infusion_tui.table_index import DONE, NEW, OVERDUE, Row, make_row

TASK_SORTS = ("due", "priority", "title", "created")
ORDER_SORTS = ("newest",)

_FAR_FUTURE = float("inf")


def _ts(value: datetime | None, missing: float) -> float:
    value = instant(value)
    return value.timestamp() if value is not None else missing


def task_row(task: Task, now: datetime, *, new: bool = False) -> Row:
    done = task.is_completed
    due = instant(task.due_date)
    overdue = (not done) and due is not None and due < now
    flags = (DONE if done else 0) | (OVERDUE if overdue else 0) | (NEW if new else 0)
    title = task.title or "(untitled)"
    contact = task_contact(task)
    cells = ("✓" if done else " ", title, task.type or "", priority_label(task.priority), when(task.due_date, now), contact)
    sort_keys = (
        (_ts(task.due_date, _FAR_FUTURE), task.id),              # due: soonest first, none last
        (-(task.priority or 0), _ts(task.due_date, _FAR_FUTURE), task.id),  # priority: high first
        ((task.title or "").casefold(), task.id),                 # title: A to Z
        (-_ts(task.creation_date, 0.0), -task.id),                # created: newest first
    )
    return make_row(task.id, cells, sort_keys, flags, search=(title, task.description or "", task.type or "", contact))


def order_row(order: Order, now: datetime, *, new: bool = False) -> Row:
    contact = order_contact(order)
    company = order_company(order)
    cells = (
        when(order.creation_date, now, past=True),
        str(order.id),
        contact,
        company,
        money(order.total),
        f"{money(order.total_paid)} / {money(order.total_due)}",
        order.status or "",
    )
    sort_keys = ((-_ts(order.creation_date, 0.0), -order.id),)  # newest first
    return make_row(order.id, cells, sort_keys, NEW if new else 0,
                    search=(str(order.id), contact, company, order.title or "", order.status or ""))
