"""A tiny host for LineTable: fixed orders-like rows (no clock), for pilot and snapshot tests.

Rows include the awkward cases on purpose: Rich markup in a name (must show literally), an
escape sequence (must vanish), a newline, emoji, right-to-left text, and flagged rows.
"""

from __future__ import annotations

from textual.app import App, ComposeResult

from infusion_tui.table_index import Row, make_row
from infusion_tui.ui.widgets.line_table import Column, LineTable

COLUMNS = [
    Column("time", "Time", width=16, priority=6),
    Column("id", "Order", width=6, justify="right", priority=10),
    Column("name", "Contact", min_width=8, priority=9),
    Column("company", "Company", min_width=8, priority=2),
    Column("total", "Total", width=9, justify="right", priority=8),
    Column("paid", "Paid/due", width=8, priority=1),
    Column("status", "Status", width=8, priority=5),
]
SORTS = ("time", "total", "name")

_NAMES = [
    "Ada Lovelace", "[bold red]x[/]", "Grace\x1b[31m Hopper\x1b[0m", "Line\nBreak", "Zoë 😀 Café",
    "שלום עולם", "Alan Turing", "Katherine Johnson", "Edsger Dijkstra", "Barbara Liskov",
    "Donald Knuth", "Margaret Hamilton", "Ken Thompson", "Radia Perlman", "Tim Berners-Lee",
]
_COMPANIES = ["Analytical Engines", "Markup & Co", "COBOL Ltd", "Newline Inc", "Unicode GmbH"]
_STATUS = ["paid", "due", "refunded"]


def order_row(i: int, flags: int | str = 0) -> Row:
    """Row number i of the fixed data: order id 1000+i, a minute apart, total grows with i."""
    total = (i * 3779) % 100000 / 100
    cells = (
        f"2026-12-21 {9 + i // 60:02d}:{i % 60:02d}",
        str(1000 + i),
        _NAMES[i % len(_NAMES)],
        _COMPANIES[i % len(_COMPANIES)],
        f"${total:,.2f}",
        "paid" if i % 3 else "due",
        _STATUS[i % len(_STATUS)],
    )
    return make_row(1000 + i, cells, (i, total, _NAMES[i % len(_NAMES)].lower()), flags)


def fixed_rows(n: int = 40) -> list[Row]:
    flags = {1: "new", 2: "new", 4: "overdue", 6: "done", 7: "dim"}
    return [order_row(i, flags.get(i, 0)) for i in range(n)]


class LineTableApp(App[None]):
    def __init__(self, rows: list[Row] | None = None) -> None:
        super().__init__()
        self._rows = fixed_rows() if rows is None else rows

    def compose(self) -> ComposeResult:
        yield LineTable(COLUMNS, sort_names=SORTS, id="orders")

    def on_mount(self) -> None:
        table = self.query_one(LineTable)
        table.replace_rows(self._rows)
        table.focus()


if __name__ == "__main__":
    LineTableApp().run()
