"""TableIndex: the rows behind a pane, sorted and filtered without Textual."""

from __future__ import annotations

import gc
import random
import sys
from functools import total_ordering

import pytest

from infusion_tui.table_index import DONE, NEW, Row, TableIndex, make_row


def order(key: int, name: str, company: str = "Acme", total: float = 0.0, flags=0) -> Row:
    return Row._make(make_row(key, (str(key), name, company, f"{total:.2f}"), (total, name.lower()), flags))


def keys(index: TableIndex) -> list:
    return list(index.visible)


@pytest.fixture
def index() -> TableIndex:
    idx = TableIndex(sort_names=("total", "name"))
    idx.replace_all(
        [
            order(3, "Carol", "Globex", 30.0),
            order(1, "Alice", "Acme", 10.0),
            order(2, "Bob", "Initech", 20.0),
            order(4, "Dave", "Acme", 5.0, flags="done"),
        ]
    )
    return idx


def test_make_row_is_literal_and_searchable() -> None:
    row = Row._make(make_row(7, ("[b]Name[/b]\x1b[31m", None, 12), flags=("new", "overdue")))
    assert row.cells == ("[b]Name[/b]", "", "12")
    assert row.haystack == "[b]name[/b]\x1f\x1f12"
    assert row.flags == NEW | 2


def test_replace_all_sorts_by_key_and_reads(index: TableIndex) -> None:
    assert keys(index) == [1, 2, 3, 4]
    assert len(index) == 4 and 3 in index and 9 not in index
    assert index.get(2).cells[1] == "Bob"
    assert index.visible[0] == 1 and index.visible[1:3] == [2, 3]
    assert index.position_of(3) == 2 and index.position_of(99) is None


def test_presorted_list_is_adopted_without_work() -> None:
    rows = [tuple(order(k, f"n{k}")) for k in (5, 1, 3)]  # deliberately not sorted: trusted
    idx = TableIndex()
    idx.replace_all(rows, presorted=True)
    assert idx.visible_rows is rows
    assert keys(idx) == [5, 1, 3]


def test_duplicate_keys_keep_the_last() -> None:
    idx = TableIndex()
    idx.replace_all([order(1, "old"), order(2, "b"), order(1, "new")])
    assert idx.get(1).cells[1] == "new"
    assert keys(idx) == [1, 2] and len(idx) == 2


def test_filter_is_case_insensitive_and_all_words(index: TableIndex) -> None:
    index.set_filter("ACME")
    assert keys(index) == [1, 4]
    index.set_filter("acme ali")
    assert keys(index) == [1]
    index.set_filter("alice   acme")  # word order and spacing do not matter
    assert keys(index) == [1]
    index.set_filter("")
    assert keys(index) == [1, 2, 3, 4]
    assert index.visible_rows is index._base  # no filter: no copy


def test_filter_words_do_not_span_cells(index: TableIndex) -> None:
    index.set_filter("aliceacme")
    assert keys(index) == []


def test_typing_narrows_and_backspace_is_cached(index: TableIndex) -> None:
    index.set_filter("a")
    assert index.filter_cost("ac") == len(index.visible_rows)  # only current matches
    index.set_filter("ac")
    assert keys(index) == [1, 4]
    assert index.filter_cost("a") == 0  # seen before: instant
    index.set_filter("a")
    assert keys(index) == [1, 3, 4]
    assert index.filter_cost("b") == len(index)  # not a narrowing: full scan


def test_narrowing_does_not_rerun_the_predicate(index: TableIndex) -> None:
    calls = []

    def keep(row: Row) -> bool:
        calls.append(row.key)
        return True

    index.set_predicate(keep)
    index.set_filter("a")
    calls.clear()
    index.set_filter("ac")
    assert calls == [] and keys(index) == [1, 4]


def test_iter_filter_applies_only_when_done(index: TableIndex) -> None:
    steps = index.iter_filter("acme", chunk=1)
    assert next(steps) == 1
    assert keys(index) == [1, 2, 3, 4]  # nothing applied yet
    steps.close()  # cancelled: the old filter stays
    assert keys(index) == [1, 2, 3, 4] and index.filter_text == ""
    assert list(index.iter_filter("acme", chunk=1)) == [1, 2, 3]
    assert keys(index) == [1, 4] and index.filter_text == "acme"


def test_iter_filter_restarts_when_rows_change_midway(index: TableIndex) -> None:
    steps = index.iter_filter("acme", chunk=2)
    next(steps)
    index.upsert([order(0, "Zed", "Acme"), order(5, "Eve", "Acme")])
    for _ in steps:
        pass
    assert keys(index) == [0, 1, 4, 5]


def test_sort_by_name_and_reverse(index: TableIndex) -> None:
    index.set_sort("total")
    assert keys(index) == [4, 1, 2, 3]
    index.set_sort("total", reverse=True)
    assert keys(index) == [3, 2, 1, 4]
    index.set_sort("name")
    assert keys(index) == [1, 2, 3, 4]
    index.set_sort(None, reverse=True)
    assert keys(index) == [4, 3, 2, 1]
    with pytest.raises(KeyError):
        index.set_sort("nope")


def test_sort_applies_to_filtered_view(index: TableIndex) -> None:
    index.set_filter("acme")
    index.set_sort("total", reverse=True)
    assert keys(index) == [1, 4]
    index.set_filter("")
    assert keys(index) == [3, 2, 1, 4]


def test_ties_keep_arrival_order() -> None:
    idx = TableIndex(sort_names=("total", "name"))
    idx.set_sort("total")
    idx.replace_all([order(k, "x", total=1.0) for k in (5, 2, 9)])
    idx.upsert([order(1, "y", total=1.0)])
    assert keys(idx) == [5, 2, 9, 1]
    idx.flag(2, "new")  # same sort value: stays where it is
    assert keys(idx) == [5, 2, 9, 1]


def test_upsert_inserts_updates_and_reports_changes(index: TableIndex) -> None:
    index.set_sort("total", reverse=True)
    changed = index.upsert([order(9, "Ivan", total=25.0), order(1, "Alice", "Acme", 10.0)])
    assert changed == [9]  # row 1 is unchanged
    assert keys(index) == [3, 9, 2, 1, 4]
    index.upsert([order(1, "Alice", "Acme", 99.0)])  # sort value changed: row moves
    assert keys(index) == [1, 3, 9, 2, 4]
    assert index.position_of(9) == 2


def test_upsert_respects_filter_and_predicate(index: TableIndex) -> None:
    index.set_predicate(lambda row: not row.flags & DONE)
    index.set_filter("acme")
    assert keys(index) == [1]
    index.upsert([order(6, "Fay", "Acme"), order(7, "Gus", "Globex"), order(8, "Hal", "Acme", flags="done")])
    assert keys(index) == [1, 6]
    index.upsert([order(6, "Fay", "Globex")])  # no longer matches: leaves the view
    assert keys(index) == [1] and 6 in index
    assert index.position_of(6) is None


def test_remove(index: TableIndex) -> None:
    index.set_filter("acme")
    assert index.remove([4, 42]) == [4]
    assert keys(index) == [1] and len(index) == 3 and index.get(4) is None


def test_flags_and_predicate(index: TableIndex) -> None:
    index.set_predicate(lambda row: not row.flags & DONE)
    assert keys(index) == [1, 2, 3]
    assert index.flag(2, "done") is True
    assert keys(index) == [1, 3]
    assert index.flag(2, "done") is False  # already set
    index.flag(2, DONE, on=False)
    assert keys(index) == [1, 2, 3]
    index.set_predicate(None)
    assert keys(index) == [1, 2, 3, 4]


@total_ordering
class Counted:
    """A sort value that counts comparisons, to prove upserts use binary search."""

    compares = 0

    def __init__(self, value: int) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        Counted.compares += 1
        return isinstance(other, Counted) and self.value == other.value

    def __lt__(self, other: Counted) -> bool:
        Counted.compares += 1
        return self.value < other.value

    __hash__ = None  # type: ignore[assignment]


def test_upsert_into_100k_sorted_rows_is_logarithmic() -> None:
    n = 100_000
    idx = TableIndex(sort_names=("when",))
    idx.set_sort("when", reverse=True)
    idx.replace_all([make_row(k, (str(k),), (Counted(k * 2),)) for k in reversed(range(n))], presorted=True)
    idx.set_filter("1")  # a filtered view is kept in order too
    idx.position_of(0)  # build the key map outside the measurement
    Counted.compares = 0
    idx.upsert([make_row(n + i, (f"1{i}",), (Counted(2 * i + 1),)) for i in range(5)])
    assert Counted.compares < 5 * 4 * 20  # two lists, ~17 steps each: far below n
    assert idx.position_of(n + 3) == idx.visible_rows.index(tuple(idx.get(n + 3)))


def test_visible_matches_a_naive_model_under_random_operations() -> None:
    rng = random.Random(7)
    idx = TableIndex(sort_names=("total", "name"))
    model: dict[int, Row] = {}
    words = ["acme", "globex", "initech", "umbrella", "stark"]
    text, sort, reverse, hide_done = "", None, False, False
    for _ in range(400):
        op = rng.random()
        if op < 0.5:
            rows = [
                order(rng.randrange(60), rng.choice(words).title(), rng.choice(words), rng.randrange(5), rng.choice([0, DONE]))
                for _ in range(rng.randrange(1, 4))
            ]
            idx.upsert(rows)
            model.update((r.key, r) for r in rows)
        elif op < 0.65:
            gone = [rng.randrange(60) for _ in range(2)]
            idx.remove(gone)
            for k in gone:
                model.pop(k, None)
        elif op < 0.8:
            text = rng.choice(["", "a", "ac", "acm", "e", "ex", "in", "st ar", "zz"])
            idx.set_filter(text)
        elif op < 0.9:
            sort, reverse = rng.choice([None, "total", "name"]), rng.random() < 0.5
            idx.set_sort(sort, reverse)
        else:
            hide_done = not hide_done
            idx.set_predicate((lambda r: not r.flags & DONE) if hide_done else None)
        expected = {
            k for k, r in model.items()
            if all(t in r.haystack for t in text.split()) and not (hide_done and r.flags & DONE)
        }
        shown = [Row._make(r) for r in idx.visible_rows]
        assert {r.key for r in shown} == expected
        value = (lambda r: r.key) if sort is None else (lambda r: r.sort_keys[("total", "name").index(sort)])
        values = [value(r) for r in shown]
        assert values == sorted(values, reverse=reverse)
        for position, row in enumerate(shown):
            assert idx.position_of(row.key) == position
        assert len(idx) == len(model)


def test_rows_are_compact_and_invisible_to_the_gc() -> None:
    row = make_row(123456, (str(123456), "A customer name", "Company Ltd", "123.45"), (123.45,))
    # a tuple of short strings, not Rich objects: a few hundred bytes per row
    size = sys.getsizeof(row) + sys.getsizeof(row[1]) + sum(map(sys.getsizeof, row[1]))
    assert size < 600
    assert type(row) is tuple  # exact tuples of atoms get untracked by the cyclic GC
    idx = TableIndex()
    idx.replace_all([Row._make(row)])
    idx.upsert([Row._make(make_row(1, ("x",)))])
    assert all(type(r) is tuple for r in idx.visible_rows)
    gc.collect()
    gc.collect()  # the first pass untracks the cells, the second the rows holding them
    assert not any(gc.is_tracked(r) for r in idx.visible_rows)


def test_a_large_batch_is_merged_and_sorted_once_with_the_same_result():
    from infusion_tui.table_index import BULK_ROWS, TableIndex, make_row

    def row(i: int, label: str = "") -> tuple:
        return make_row(i, (f"order {i}{label}",), ((-(i % 997), i),))

    small, big = TableIndex(("newest",)), TableIndex(("newest",))
    for index in (small, big):
        index.set_sort("newest")
        index.replace_all([row(i) for i in range(50)])
        index.set_filter("order")
    batch = [row(i, " new") for i in range(30, 30 + 3 * BULK_ROWS)]  # replaces 20, adds the rest
    for r in batch[:10]:
        small.upsert([r])  # one at a time: the binary-search path
    for r in batch[10:]:
        small.upsert([r])
    changed = big.upsert(batch)  # one big batch: the merge path
    assert len(changed) == len(batch)
    assert list(big.visible) == list(small.visible)
    assert len(big) == 30 + 3 * BULK_ROWS
    assert big.get(35)[1] == ("order 35 new",)
