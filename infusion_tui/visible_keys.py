"""The keys of a table's visible rows, as a sequence, without building a list of them."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from operator import itemgetter

_KEY = itemgetter(0)


class VisibleKeys(Sequence):
    """A read-only view of the keys of the visible rows (no list of keys is built)."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list[tuple]) -> None:
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [row[0] for row in self._rows[index]]
        return self._rows[index][0]

    def __iter__(self) -> Iterator[Hashable]:
        return map(_KEY, self._rows)
