"""Binary search in a list of rows kept in display order, ascending or descending.

`TableIndex` keeps its rows sorted by a sort value instead of re-sorting, so it needs two
searches: where a new row goes (after its equals, so ties keep arrival order) and where an
existing row is (by key, among the rows with its sort value). Rows are tuples whose first
item is the key; `key` maps a row to its sort value. No Textual import here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["find_row", "first_not_before", "insert_at"]


def first_not_before(rows: list, value: Any, key: Callable, reverse: bool, strict: bool) -> int:
    """Binary search in display order (ascending or descending): the first position whose
    value comes after `value` (strict) or at or after it (not strict)."""
    lo, hi = 0, len(rows)
    while lo < hi:
        mid = (lo + hi) // 2
        v = key(rows[mid])
        before = (v > value if reverse else v < value) or (strict and v == value)
        if before:
            lo = mid + 1
        else:
            hi = mid
    return lo


def insert_at(rows: list, value: Any, key: Callable, reverse: bool) -> int:
    """After every row with an equal value: inserts keep arrival order among ties."""
    return first_not_before(rows, value, key, reverse, strict=True)


def find_row(rows: list, row: tuple, key: Callable, reverse: bool) -> int | None:
    """Position of the row with `row`'s key, searched among rows with `row`'s sort value."""
    value, target = key(row), row[0]
    i = first_not_before(rows, value, key, reverse, strict=False)
    while i < len(rows):
        if rows[i][0] == target:
            return i
        if key(rows[i]) != value:
            return None
        i += 1
    return None
