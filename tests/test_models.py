"""Decoding Keap JSON: tolerant of missing/null/unknown fields, strict about types."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infusion_tui.keap.errors import BadResponse
from infusion_tui.keap.models import (
    DecodeError,
    Order,
    OrderList,
    Task,
    TaskDraft,
    TaskList,
    decode,
    format_keap_datetime,
)


def test_missing_null_and_unknown_fields_are_fine():
    task = decode(b'{"id": 5, "title": null, "brand_new_field": {"x": [1]}, "contact": null}', Task)
    assert task.id == 5 and task.title is None and task.contact is None and not task.is_completed
    envelope = decode(b'{"tasks": [{"id": 1}], "future": true}', TaskList)
    assert [t.id for t in envelope.tasks] == [1] and envelope.count is None and envelope.next is None
    assert decode(b"{}", TaskList).tasks == []
    assert decode(b'{"orders": [{"id": 9, "order_items": [{}]}]}', OrderList).orders[0].order_items[0].id is None


def test_dates_are_parsed_as_aware_utc():
    task = decode(b'{"id": 1, "due_date": "2014-06-17T17:12:52.000Z"}', Task)
    assert task.due_date == datetime(2014, 6, 17, 17, 12, 52, tzinfo=timezone.utc)


def test_order_ids_may_be_strings_as_the_spec_says():
    order = decode(b'{"id": 1, "contact_id": "10009", "product_id": 206}', Order)
    assert order.contact_id == "10009" and order.product_id == 206


@pytest.mark.parametrize(
    "data, type_, where",
    [
        (b'{"tasks": [{"id": 1}, {"id": 2, "title": 7}]}', TaskList, r"\$\.tasks\[1\]\.title"),
        (b'{"id": 1, "priority": "high"}', Task, r"\$\.priority"),
        (b'{"id": "one"}', Task, r"\$\.id"),
        (b'{"title": "no id"}', Task, "id"),
        (b'{"id": 1, "due_date": "tomorrow"}', Task, r"\$\.due_date"),
        (b'{"tasks": "nope", "count": "many"}', TaskList, r"\$\.tasks"),
        (b'{"orders": [{"id": 1, "total": "lots"}]}', OrderList, r"\$\.orders\[0\]\.total"),
        (b'{"id": 1, "contact": {"email": 5}}', Order, r"\$\.contact\.email"),
        (b'["not", "an", "object"]', Task, "Expected `object`"),
    ],
)
def test_wrong_types_name_the_field(data, type_, where):
    with pytest.raises(DecodeError, match=where) as info:
        decode(data, type_)
    assert isinstance(info.value, BadResponse)


def test_not_json_is_a_decode_error():
    with pytest.raises(DecodeError, match="not valid JSON"):
        decode(b'{"tasks": [{"id": 1001, "title": "Call <html>', TaskList)


def test_format_keap_datetime_is_utc_with_milliseconds():
    value = datetime(2027, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=-5)))
    assert format_keap_datetime(value) == "2027-01-02T08:04:05.678Z"


def test_draft_body_and_changes():
    due = datetime(2027, 1, 2, 9, tzinfo=timezone.utc)
    draft = TaskDraft(title="T", description="", priority=2, due_date=due)
    assert draft.to_body() == {"title": "T", "description": "", "priority": 2, "due_date": "2027-01-02T09:00:00.000Z"}
    task = Task(id=1, title="T", priority=2, due_date=due.astimezone(timezone(timedelta(hours=3))))
    assert draft.changes_from(task) == {}  # same instant in another zone, "" vs None
    changed = TaskDraft(title="T2", priority=2, due_date=None, completed=True)
    assert changed.changes_from(task) == {"title": "T2", "due_date": None, "completed": True}


# A JSON value, biased towards the shapes Keap uses so decoding gets deep before failing.
_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
_keys = st.sampled_from(
    ["id", "title", "tasks", "orders", "count", "next", "due_date", "completed", "priority",
     "contact", "order_items", "total", "product", "shipping_information", "x"]
)  # fmt: skip
_json = st.recursive(
    _scalars | st.sampled_from(["2027-01-02T03:04:05.000Z", "1"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=6),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(value=_json, type_=st.sampled_from([Task, TaskList, Order, OrderList]))
def test_any_json_decodes_or_raises_decode_error(value, type_):
    data = json.dumps(value).encode()
    try:
        result = decode(data, type_)
    except DecodeError:
        return
    assert isinstance(result, type_)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=64), type_=st.sampled_from([Task, TaskList, Order, OrderList]))
def test_any_bytes_decode_or_raise_decode_error(data, type_):
    try:
        decode(data, type_)
    except DecodeError:
        pass


def test_decoded_tasks_encode_back_to_keap_json():
    raw = {"id": 3, "title": "x", "due_date": "2027-01-02T03:04:05.123000Z"}
    task = decode(json.dumps(raw).encode(), Task)
    again = msgspec.json.decode(msgspec.json.encode(task))
    assert again["id"] == 3 and again["title"] == "x" and again["due_date"].startswith("2027-01-02T03:04:05.123")
