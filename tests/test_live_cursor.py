"""The cursor: newest stamp plus the ids at it, so ties are neither missed nor repeated."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from infusion_tui.live import Cursor

T0 = datetime(2027, 1, 15, 12, 0, tzinfo=timezone.utc)


def test_empty_cursor_sees_everything():
    assert Cursor().empty
    assert Cursor().unseen(T0, 1)
    assert Cursor().unseen(None, 1)


def test_ids_at_the_stamp_are_seen_others_are_not():
    c = Cursor().advanced([(T0, 1), (T0, 2)])
    assert c == Cursor(T0, frozenset({1, 2}))
    assert not c.unseen(T0, 1)
    assert c.unseen(T0, 3)  # same stamp, arrived later
    assert c.unseen(T0 + timedelta(milliseconds=1), 1)
    assert not c.unseen(T0 - timedelta(seconds=1), 99)


def test_advancing_drops_ids_of_older_stamps():
    c = Cursor().advanced([(T0, 1), (T0, 2), (T0 + timedelta(seconds=1), 3)])
    assert c.ids == {3}
    assert c.advanced([(T0 + timedelta(seconds=1), 4)]).ids == {3, 4}


def test_naive_and_offset_stamps_compare_as_utc():
    naive = datetime(2027, 1, 15, 12, 0)
    plus_one = datetime(2027, 1, 15, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    c = Cursor().advanced([(naive, 1)])
    assert c.stamp == T0
    assert not c.unseen(plus_one, 1)


def test_json_round_trip():
    c = Cursor(T0 + timedelta(microseconds=123000), frozenset({5, 3}))
    assert Cursor.from_json(c.to_json()) == c
    assert Cursor.from_json(Cursor().to_json()) == Cursor()


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 30)), max_size=40), st.integers(0, 40))
def test_splitting_a_stream_anywhere_delivers_each_item_once(raw, cut):
    """Two polls over a growing, time-ordered stream deliver exactly the stream, once."""
    stream = sorted({(T0 + timedelta(seconds=s), i) for s, i in raw}, key=lambda p: p[0])
    seen = []
    cursor = Cursor()
    for visible in (stream[:cut], stream):  # the second poll sees what arrived meanwhile too
        fresh = [p for p in visible if cursor.unseen(*p)]
        seen += fresh
        cursor = cursor.advanced(fresh)
    assert sorted(seen) == sorted(stream)
