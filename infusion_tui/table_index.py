"""The rows behind a table pane: sorted, filtered, found by key. Pure Python, no Textual.

A pane shows a few dozen rows of possibly a million, so every operation here is shaped by
what the screen needs next, not by the size of the data:

- `replace_all` adopts the list it is given (no copy) and, when told the rows are already
  in order (`presorted=True`, e.g. orders as the server sends them), does no O(n) work at
  all; the key map is built the first time something asks for a key.
- The visible rows are a list in display order. With no filter and no predicate it *is* the
  sorted list of all rows (same object), so there is nothing to keep in sync.
- Sorted order allows binary search: an upsert of k rows costs O(k log n) comparisons (plus
  a C-level memmove per insert), never a re-sort; `locate(row)` finds a row without a dict.
- Filtering is case-insensitive substring matching of every word of the filter against a
  precomputed lowercase haystack. Typing narrows: when the new filter implies the old one
  only the current matches are scanned. Recent results are kept, so backspace is instant.
  `iter_filter` does the work in chunks so a widget can yield to its event loop between them.

Rows are stored as plain tuples laid out like `Row`. Why not `Row` (a NamedTuple) itself:
CPython's cyclic GC stops tracking an exact tuple of strings and numbers, but never a tuple
subclass, so a million NamedTuples make every full collection a ~0.4 s pause; a million
plain tuples cost it ~25 ms. `get()` and predicates still see `Row`s, with field names.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from functools import partial
from itertools import compress, repeat
from operator import contains, itemgetter
from typing import Any, NamedTuple

from infusion_tui.filter_terms import narrows, split_terms
from infusion_tui.sorted_rows import find_row, insert_at
from infusion_tui.text_safety import literal
from infusion_tui.visible_keys import VisibleKeys

__all__ = ["Row", "RowData", "TableIndex", "make_row", "FLAGS", "NEW", "OVERDUE", "DONE", "DIM"]

NEW, OVERDUE, DONE, DIM = 1, 2, 4, 8
FLAGS: dict[str, int] = {"new": NEW, "overdue": OVERDUE, "done": DONE, "dim": DIM}

HAYSTACK_SEPARATOR = "\x1f"  # never typed, so one filter word cannot span two cells
BULK_ROWS = 1_000  # batches larger than this (and than 1/8 of the table) merge and sort once
_HISTORY_ENTRIES = 8
_HISTORY_ROWS = 2_000_000  # total row references kept for instant backspace


class Row(NamedTuple):
    """One row: display cells (already literal), a lowercase haystack, sort keys, flags."""

    key: Hashable
    cells: tuple[str, ...]
    haystack: str
    sort_keys: tuple[Any, ...] = ()  # aligned with TableIndex.sort_names
    flags: int = 0


RowData = tuple  # a plain tuple in Row's field order: what the index stores
_KEY, _HAYSTACK = itemgetter(0), itemgetter(2)
_as_row: Callable[[RowData], Row] = partial(tuple.__new__, Row)


def flag_bits(flags: int | str | Iterable[str]) -> int:
    """An int bit set from a name ("new"), names, or an int."""
    if isinstance(flags, int):
        return flags
    if isinstance(flags, str):
        return FLAGS[flags]
    bits = 0
    for name in flags:
        bits |= FLAGS[name]
    return bits


def make_row(
    key: Hashable,
    cells: Iterable[object],
    sort_keys: Iterable[Any] = (),
    flags: int | str | Iterable[str] = 0,
    *,
    search: Iterable[str] | None = None,
) -> RowData:
    """A row (plain tuple, `Row` layout) with cells made literal and the haystack computed
    once. `search` limits what the filter looks at (default: all cells)."""
    shown = tuple(literal(c if isinstance(c, str) else (None if c is None else str(c))) for c in cells)
    words = shown if search is None else tuple(literal(s) for s in search)
    return (key, shown, HAYSTACK_SEPARATOR.join(words).lower(), tuple(sort_keys), flag_bits(flags))


class TableIndex:
    """All rows of a table, and the ones currently shown (filtered and sorted)."""

    def __init__(self, sort_names: Sequence[str] = (), rows: Iterable[RowData] | None = None) -> None:
        self.sort_names: tuple[str, ...] = tuple(sort_names)
        self._sort_name: str | None = None  # None: sort by row key
        self._reverse = False
        self._value: Callable[[RowData], Any] = _KEY
        self._base: list[RowData] = []  # every row, in sort order
        self._visible: list[RowData] = self._base  # the shown subset, same order
        self._by_key: dict[Hashable, RowData] | None = {}  # None: rebuilt when first asked
        self._terms: tuple[str, ...] = ()
        self._filter_text = ""
        self._predicate: Callable[[Row], bool] | None = None
        self._history: list[tuple[tuple[str, ...], list[RowData]]] = []
        self.generation = 0  # bumped by every change; chunked work restarts when it moves
        if rows is not None:
            self.replace_all(rows)

    # -- reading -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._base)

    def __contains__(self, key: object) -> bool:
        return key in self._keys()

    def get(self, key: Hashable) -> Row | None:
        row = self._keys().get(key)
        return None if row is None else _as_row(row)

    @property
    def visible(self) -> VisibleKeys:
        """Keys of the shown rows, in display order."""
        return VisibleKeys(self._visible)

    @property
    def visible_rows(self) -> list[RowData]:
        """The shown rows (plain tuples, `Row` layout) in display order. Never mutate it."""
        return self._visible

    @property
    def filter_text(self) -> str:
        return self._filter_text

    @property
    def sort(self) -> tuple[str | None, bool]:
        return self._sort_name, self._reverse

    @property
    def predicate(self) -> Callable[[Row], bool] | None:
        return self._predicate

    def position_of(self, key: Hashable) -> int | None:
        """Index of `key` in the visible rows, or None: O(log n) by binary search."""
        row = self._keys().get(key)
        if row is None or not self._matches(row):
            return None
        position = self.locate(row)
        if position is None:  # rows handed in out of order: still answer, slowly
            position = next((i for i, r in enumerate(self._visible) if r[0] == key), None)
        return position

    def locate(self, row: RowData) -> int | None:
        """Where the row with `row`'s key sits in the visible rows, found by `row`'s sort value.

        Needs no key map, so it is cheap right after a replace or a filter. Misses (None)
        when the row's sort value changed since; `position_of` does not.
        """
        return find_row(self._visible, row, self._value, self._reverse)

    def filter_cost(self, text: str) -> int:
        """How many rows `iter_filter(text)` would scan (0 when the answer is at hand)."""
        terms = split_terms(text)
        if terms == self._terms or self._cached(terms) is not None:
            return 0
        if not terms and self._predicate is None:
            return 0
        return len(self._visible if narrows(self._terms, terms) else self._base)

    # -- changing rows -------------------------------------------------------------------

    def replace_all(self, rows: Iterable[RowData], *, presorted: bool = False) -> None:
        """Make `rows` the table. A list is adopted, not copied: don't touch it afterwards.

        `presorted=True` promises the rows are already in the current sort order and skips
        the sort. Keys must be unique (duplicates are dropped, last wins, when detected).
        """
        base = rows if type(rows) is list else list(rows)
        if base and type(base[0]) is not tuple:  # Row instances: store plain tuples
            base = list(map(tuple, base))
        if not presorted:
            base.sort(key=self._value, reverse=self._reverse)
        self._base = base
        self._by_key = None
        self._changed()
        self._visible = self._derive(self._base, self._terms, check_predicate=True)

    def upsert(self, rows: Iterable[RowData]) -> list[Hashable]:
        """Insert or replace rows by key; returns the keys that actually changed.

        A few rows go in by binary search; a batch that is large next to the table (a first
        sync's 100,000 orders) is merged and sorted once instead: O(n log n), not O(n·k).
        """
        rows = [row if type(row) is tuple else tuple(row) for row in rows]
        if len(rows) > BULK_ROWS and len(rows) * 8 > len(self._base):
            return self._merge(rows)
        by_key = self._keys()
        changed: list[Hashable] = []
        for row in rows:
            old = by_key.get(row[0])
            if old is not None and old == row:
                continue
            if old is not None and self._value(old) == self._value(row):
                self._replace_in_place(old, row)
            else:
                if old is not None:
                    self._take_out(old)
                self._put_in(row)
            by_key[row[0]] = row
            changed.append(row[0])
        if changed:
            self._changed()
        return changed

    def _merge(self, rows: list[RowData]) -> list[Hashable]:
        by_key = self._keys()
        changed = [row[0] for row in rows if by_key.get(row[0]) != row]
        if changed:
            by_key.update((row[0], row) for row in rows)
            self._base = sorted(by_key.values(), key=self._value, reverse=self._reverse)
            self._changed()
            self._visible = self._derive(self._base, self._terms, check_predicate=True)
        return changed

    def remove(self, keys: Iterable[Hashable]) -> list[Hashable]:
        """Remove rows by key; returns the keys that were present."""
        by_key = self._keys()
        removed = []
        for key in keys:
            old = by_key.pop(key, None)
            if old is not None:
                self._take_out(old)
                removed.append(key)
        if removed:
            self._changed()
        return removed

    def flag(self, key: Hashable, flag: int | str, on: bool = True) -> bool:
        """Set or clear one flag on a row; True if the row changed."""
        return bool(self.flag_many((key,), flag, on))

    def flag_many(self, keys: Iterable[Hashable], flag: int | str, on: bool = True) -> list[Hashable]:
        bit = flag_bits(flag)
        by_key = self._keys()
        updates = []
        for key in keys:
            row = by_key.get(key)
            if row is not None:
                flags = row[4] | bit if on else row[4] & ~bit
                if flags != row[4]:
                    updates.append(row[:4] + (flags,))
        return self.upsert(updates)

    # -- changing what is shown ----------------------------------------------------------

    def set_sort(self, name: str | None, reverse: bool = False) -> None:
        """Sort by one of `sort_names` (None: by key). Stable; O(n log n), once per change."""
        if name is not None and name not in self.sort_names:
            raise KeyError(f"unknown sort {name!r}; known: {self.sort_names}")
        if (name, reverse) == (self._sort_name, self._reverse):
            return
        self._sort_name, self._reverse = name, reverse
        if name is None:
            self._value = _KEY
        else:
            position = self.sort_names.index(name)
            self._value = lambda row: row[3][position]
        self._base.sort(key=self._value, reverse=reverse)
        if self._visible is not self._base:
            self._visible.sort(key=self._value, reverse=reverse)
        self._changed()

    def set_predicate(self, predicate: Callable[[Row], bool] | None) -> None:
        """Show only rows for which `predicate(row)` is true (None: all). Full rescan."""
        self._predicate = predicate
        self._changed()
        self._visible = self._derive(self._base, self._terms, check_predicate=True)

    def set_filter(self, text: str) -> None:
        for _ in self.iter_filter(text, chunk=1 << 62):
            pass

    def iter_filter(self, text: str, chunk: int = 50_000) -> Iterator[int]:
        """Filter in chunks, yielding rows scanned so far; the result is applied at the end.

        Closing the generator early leaves the previous filter in place. If the rows change
        between two chunks the scan starts over, so the result always matches the data.
        """
        terms = split_terms(text)
        if terms == self._terms:
            self._filter_text = text
            return
        cached = self._base if not terms and self._predicate is None else self._cached(terms)
        if cached is not None:
            self._commit(text, terms, cached)
            return
        if narrows(self._terms, terms):  # only the current matches can still match
            source, check_predicate = self._visible, False
            new_terms = tuple(t for t in terms if t not in self._terms)
        else:
            source, check_predicate, new_terms = self._base, True, terms
        state = self._state()
        matched: list[RowData] = []
        for start in range(0, len(source), chunk):
            matched += self._derive(source[start : start + chunk], new_terms, check_predicate)
            if start + chunk < len(source):
                yield start + chunk
                if self._state() != state:  # rows or view changed under us: start over
                    yield from self.iter_filter(text, chunk)
                    return
        self._commit(text, terms, matched)

    # -- internals -----------------------------------------------------------------------

    def _keys(self) -> dict[Hashable, RowData]:
        if self._by_key is None:
            by_key = dict(zip(map(_KEY, self._base), self._base))
            if len(by_key) != len(self._base):  # duplicate keys: keep the last of each
                self._base = [row for row in self._base if by_key[row[0]] is row]
                self._visible = self._derive(self._base, self._terms, check_predicate=True)
            self._by_key = by_key
        return self._by_key

    def _matches(self, row: RowData) -> bool:
        if self._predicate is not None and not self._predicate(_as_row(row)):
            return False
        haystack = row[2]
        return all(term in haystack for term in self._terms)

    def _derive(self, rows: list[RowData], terms: tuple[str, ...], check_predicate: bool) -> list[RowData]:
        """`rows` that pass the predicate (if asked) and contain every term."""
        predicate = self._predicate if check_predicate else None
        if check_predicate and predicate is None and not terms and rows is self._base:
            return self._base  # nothing hides anything: share the list
        if predicate is not None:
            rows = list(compress(rows, map(predicate, map(_as_row, rows))))
        for term in terms:  # C-level loop: no Python bytecode per row
            rows = list(compress(rows, map(contains, map(_HAYSTACK, rows), repeat(term))))
        return rows

    def _state(self) -> tuple:
        return self.generation, self._terms, id(self._visible)

    def _cached(self, terms: tuple[str, ...]) -> list[RowData] | None:
        return next((rows for old, rows in self._history if old == terms), None)

    def _commit(self, text: str, terms: tuple[str, ...], rows: list[RowData]) -> None:
        if self._cached(self._terms) is None:
            self._history.append((self._terms, self._visible))
        while len(self._history) > _HISTORY_ENTRIES or sum(len(r) for _, r in self._history) > _HISTORY_ROWS:
            self._history.pop(0)
        self._filter_text, self._terms = text, terms
        self._visible = self._base if (not terms and self._predicate is None) else rows

    def _changed(self) -> None:
        self.generation += 1
        self._history.clear()

    def _take_out(self, row: RowData) -> None:
        i = find_row(self._base, row, self._value, self._reverse)
        if i is None:
            i = next(i for i, r in enumerate(self._base) if r[0] == row[0])
        del self._base[i]
        if self._visible is not self._base:
            # searched even if `row` no longer matches: a predicate may depend on the clock
            j = find_row(self._visible, row, self._value, self._reverse)
            if j is not None:
                del self._visible[j]

    def _replace_in_place(self, old: RowData, row: RowData) -> None:
        """Same sort value: swap the row where it stands, so ties keep their order."""
        i = find_row(self._base, old, self._value, self._reverse)
        if i is None:
            self._take_out(old)
            self._put_in(row)
            return
        self._base[i] = row
        if self._visible is self._base:
            return
        j = find_row(self._visible, old, self._value, self._reverse)
        if not self._matches(row):
            if j is not None:
                del self._visible[j]
        elif j is None:
            self._visible.insert(insert_at(self._visible, self._value(row), self._value, self._reverse), row)
        else:
            self._visible[j] = row

    def _put_in(self, row: RowData) -> None:
        value = self._value(row)
        self._base.insert(insert_at(self._base, value, self._value, self._reverse), row)
        if self._visible is not self._base and self._matches(row):
            self._visible.insert(insert_at(self._visible, value, self._value, self._reverse), row)

