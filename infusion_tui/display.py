"""How tasks and orders read on screen: short strings, computed once per row.

No textual here: the panes, the CSV export and the benchmarks share these.
Every string from the server passes through `literal()` so it cannot style the terminal.
"""

from __future__ import annotations

from datetime import datetime, timezone

from infusion_tui.dates import relative, short_absolute
from infusion_tui.keap.models import Order, Task
from infusion_tui.text_safety import literal

PRIORITY_WORDS = {1: "Low", 2: "Medium", 3: "High"}


def money(value: float | None, symbol: str = "$") -> str:
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.2f}"


def instant(value: datetime | None) -> datetime | None:
    """`value` in UTC, or None when it has no place on the calendar (0001-01-01 with a
    +23:59 offset decodes fine but cannot be converted: one such task must not end the app)."""
    if value is None:
        return None
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        return None


def when(value: datetime | None, now: datetime, *, past: bool = False) -> str:
    """'in 3 d · 09:30', 'overdue 13 d · 20 Nov': how far first (what matters), then when.

    `past=True` is for things that happened (orders): '4 d ago', never 'overdue 4 d'.
    """
    value = instant(value)
    if value is None:
        return "—"
    try:
        rel = relative(value, now)
        absolute = short_absolute(value, now)
    except OverflowError:  # converting to the user's zone can still leave the calendar
        return "—"
    if past and rel.startswith("overdue "):
        rel = f"{rel.removeprefix('overdue ')} ago"
    return f"{rel} · {absolute}"


def priority_label(priority: int | None) -> str:
    """'High' for 3: words read faster than numbers in a table (the form shows both)."""
    if priority is None:
        return "—"
    return PRIORITY_WORDS.get(priority, str(priority))


def task_contact(task: Task) -> str:
    if task.contact is None:
        return ""
    return literal(task.contact.name or task.contact.email or "")


def order_contact(order: Order) -> str:
    contact = order.contact
    if contact is None:
        return ""
    return literal(contact.name or contact.email or "")


def order_company(order: Order) -> str:
    contact = order.contact
    return literal(contact.company_name or "") if contact else ""

