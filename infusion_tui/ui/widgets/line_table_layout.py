"""How a LineTable's columns share a screen width, and how one row becomes one line of text.

`fit(columns, width)` decides which columns are shown and how wide each is; the `Layout` it
returns turns the cells of a row (or the column labels) into the text of one line: a leading
space, then the columns one space apart, padded to the full width. No Textual import here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from infusion_tui.text_safety import fit_cells

__all__ = ["Column", "Layout", "fit"]


@dataclass(frozen=True, slots=True)
class Column:
    """A column. `width=None` shares the spare width (by `flex`); on narrow screens the
    columns with the lowest `priority` are dropped first (rightmost first among equals)."""

    key: str
    label: str
    width: int | None = None
    min_width: int = 4
    justify: Literal["left", "right"] = "left"
    priority: int = 0
    flex: int = 1


@dataclass(frozen=True, slots=True)
class Layout:
    """The shown columns at one screen width."""

    width: int
    slots: list[tuple[int, int, bool]]  # (column index, width, right-justified) per shown column
    used: int  # cells taken by the leading space, the columns and the spaces between them

    def line(self, cells: Sequence[str]) -> str:
        """The text of one line: `cells[i]` fitted into column i's slot (missing cells blank)."""
        parts = [fit_cells(cells[i] if i < len(cells) else "", w, right) for i, w, right in self.slots]
        return " " + " ".join(parts) + " " * (self.width - self.used)


def fit(columns: Sequence[Column], width: int) -> Layout:
    """Drop the least important columns until the rest fit, then share out the spare width."""
    kept = list(enumerate(columns))

    def needed(shown: list[tuple[int, Column]]) -> int:
        return len(shown) + sum(c.width or c.min_width for _, c in shown)

    while len(kept) > 1 and needed(kept) > width:
        kept.remove(min(reversed(kept), key=lambda item: item[1].priority))
    spare = max(0, width - needed(kept))
    flexible = [i for i, c in kept if c.width is None]
    flex_total = sum(columns[i].flex for i in flexible) or 1
    slots, given = [], 0
    for i, column in kept:
        w = column.width or column.min_width
        if column.width is None:
            share = spare * column.flex // flex_total
            if i == flexible[-1]:
                share = spare - given
            given += share
            w += share
        slots.append((i, w, column.justify == "right"))
    if needed(kept) > width and slots:  # one column wider than the screen
        slots[0] = (slots[0][0], max(0, width - 1), slots[0][2])
    used = len(slots) + sum(w for _, w, _ in slots)
    return Layout(width, slots, used)
