"""Keeping a LineTable's view still while its rows change: where the cursor and the top row
go afterwards. Pure arithmetic over a `TableIndex`, no Textual.

Before a change the widget takes an `Anchor` (what the user is looking at); after it,
`settle` says which visible row the cursor is on and which row is at the top of the screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from infusion_tui.table_index import RowData, TableIndex

__all__ = ["Anchor", "settle"]


class Anchor(NamedTuple):
    """What the user is looking at: the cursor row, the top row, the cursor's screen line."""

    cursor_row: RowData | None
    top_row: RowData | None
    cursor_line: int

    @classmethod
    def of(cls, rows: Sequence[RowData], cursor: int, top: int) -> Anchor:
        """The anchor of a view of `rows` with the cursor on row `cursor`, row `top` on top."""
        cursor_row = rows[cursor] if cursor < len(rows) else None
        top_row = rows[top] if top < len(rows) else None
        return cls(cursor_row, top_row, cursor - top)


def settle(
    index: TableIndex, anchor: Anchor, cursor: int, top: int, page: int, *, follow_key: bool, keep_top: bool
) -> tuple[int, int]:
    """(cursor, top) after the rows changed: the cursor back on its row, the view still.

    `cursor` and `top` are where they were, `page` how many rows the screen shows.
    follow_key: find the cursor row by key if its sort value changed.
    keep_top: the old top row stays on top (rows came or went around it) — except at the
    very top, which stays the top, so a feed shows what arrived; otherwise the cursor keeps
    its screen line (filter, sort: the rows around it are new anyway).
    """
    cursor_row, top_row, cursor_line = anchor
    rows = index.visible_rows
    position = None
    if cursor_row is not None:
        position = index.locate(cursor_row)
        if position is None and follow_key:
            position = index.position_of(cursor_row[0])
    if position is None:  # the cursor's row is gone: stay near where it was
        position = min(cursor, len(rows) - 1) if keep_top else 0
    cursor = max(0, position)
    at_top = top == 0
    new_top = index.locate(top_row) if (keep_top and top_row is not None and not at_top) else None
    if keep_top and at_top:
        new_top = 0  # a reader at the top of a feed sees new rows arrive; scrolled down, nothing moves
    if new_top is None:
        on_screen = 0 <= cursor_line < page
        new_top = cursor - cursor_line if on_screen else top
    return cursor, new_top
