"""Bad input, from the person at the keyboard and from the server.

The task form, in the whole app against the sandbox: every field with empty, blank, huge,
control characters, escape sequences, Rich markup, emoji and right-to-left text, priorities
out of range, dates that do not exist, far past and future, time zones. Each value either
gets an inline message under its field (and nothing is sent: no POST/PATCH reaches the
sandbox) or is accepted and arrives EXACTLY as expected in what the sandbox stored.

Then what the server sends: property tests that any decoded task or order can be shown (the
decoding itself is covered by test_models.py, the due-date parser by test_dates.py), and the
gaps they found. The command line's bad input is in test_cli_errors.py.
"""

from __future__ import annotations

import io
import json
import os
import time
from datetime import datetime, timezone
from itertools import zip_longest

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.console import Console
from textual.widgets import Checkbox, TextArea

from infusion_tui.dates import DueDateError, parse_due
from infusion_tui.keap.models import DecodeError, Order, Task, decode, format_keap_datetime
from infusion_tui.rows import order_row, task_row
from infusion_tui.sandbox.timefmt import canonical, parse_iso
from infusion_tui.ui.screens.order_details import order_renderable
from tests.fault_harness import (
    POLL,
    TASKS,
    assert_healthy,
    assert_no_dump,
    background_poll,
    panes,
    requests,
    rig,
    settle,
    started,
)
from tests.test_dates import NOWS as DUE_NOWS
from tests.test_dates import TEXTS as DUE_TEXTS

SIZE = (100, 30)
TEN_K = "x" * 10_000
MARKUP = "[bold red]Call[/] Bob [link=https://evil.test]now[/link] [@click=app.quit]x[/]"
WORLD = "🎉 Zoë's order 👩‍👩‍👧 — اتصل بليلى · שלום"


# --- driving the form ---------------------------------------------------------------------------


def _widget(form, name: str):
    return form.query_one(f"#{name}")


def put(form, name: str, value) -> None:
    """Replace a field's content the way a paste would."""
    widget = _widget(form, name)
    if isinstance(widget, Checkbox):
        widget.value = bool(value)
    elif isinstance(widget, TextArea):
        widget.text = ""
        widget.insert(value)
    else:
        widget.value = ""
        widget.insert_text_at_cursor(value)


async def open_new(r, pilot):
    tasks, _ = panes(r.app)
    tasks.table.focus()
    await pilot.press("n")
    await settle(r.app, pilot)
    assert type(r.app.screen).__name__ == "TaskForm"
    return r.app.screen


def writes(sb) -> int:
    return sum(1 for q in sb.requests if q.method in ("POST", "PUT", "PATCH") and q.path.startswith(TASKS))


async def refused(r, pilot, form, field: str, value, message: str, *, title: str = "A valid title") -> None:
    """Put `value` in `field` (a valid title elsewhere), save: an inline message, nothing sent."""
    before = writes(r.sb)
    if field != "title":
        put(form, "title", title)
    put(form, field, value)
    await settle(r.app, pilot)
    form.action_save()
    await settle(r.app, pilot)
    assert r.app.screen is form, f"{field}={value[:40]!r} closed the form"
    shown = form.error_text(field)
    assert message in shown, f"{field}={value[:40]!r}: expected {message!r}, got {shown!r}"
    assert _widget(form, f"{field}-error").display, "the message is not on screen"
    assert writes(r.sb) == before, f"{field}={value[:40]!r} reached the server"
    put(form, field, "")  # leave the field empty (valid everywhere but the title) for the next case


# --- refused values: an inline message, nothing sent --------------------------------------------

CONTROL = "ring\x07bell"
ESCAPES = "\x1b[31mred\x1b[0m \x1b]0;pwned\x07"
REFUSED = {
    "title": [
        ("", "A title is required"),
        ("      ", "A title is required"),
        ("\u00a0\u2003 ", "A title is required"),  # no-break and em spaces are blank too
        ("  \t  ", "control character"),  # a tab cannot live in a one-line title
        (TEN_K, "keep it under 1,000"),
        ("y" * 1_001, "keep it under 1,000"),
        (CONTROL, "control character"),
        (ESCAPES, "control character"),
        ("nul\x00byte", "control character"),
        ("two\nlines", "control character"),
        ("c1\x9bcsi", "control character"),
    ],
    "description": [
        (CONTROL, "control character"),
        (ESCAPES, "control character"),
        ("clear\x1b[2Jscreen", "control character"),
        ("z" * 65_536, "65,535"),
    ],
    "type": [
        (TEN_K, "keep it under 255"),
        (CONTROL, "control character"),
        (ESCAPES, "control character"),
    ],
    "priority": [
        ("0", "out of range"),
        ("-1", "out of range"),
        ("4", "out of range"),
        ("99999999999999999999", "out of range"),
        (TEN_K, "Could not read priority"),
        ("[b]3[/b]", "Could not read priority"),
        ("🔥", "Could not read priority"),
        ("highest", "Could not read priority"),
        (CONTROL, "Could not read priority"),  # shown as a picture, then refused like any text
    ],
    "due": [
        ("2026-02-30", "not a real date"),
        ("2027-02-29", "not a real date"),
        ("2026-13-01", "months go 1–12"),
        ("2026-04-31 10:00", "not a real date"),
        ("1999-12-31", "before 2000"),
        ("0001-01-01", "before 2000"),
        ("2101-01-01", "after 2100"),
        ("9999-12-31 23:59", "after 2100"),
        ("+999999d", "after 2100"),
        ("2026-07-01 25:00", "not a time of day"),
        ("2026-07-01 10:00 +25:00", "offset that is not real"),
        (TEN_K, "Could not read"),
        ("[b]tomorrow[/b]", "Could not read"),
        ("🎉", "Could not read"),
        (ESCAPES, "Could not read"),
        (CONTROL, "Could not read"),
    ],
}


@pytest.mark.parametrize("field", list(REFUSED))
async def test_refused_values_get_an_inline_message_and_nothing_reaches_the_server(field):
    r = rig()
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        form = await open_new(r, pilot)
        for value, message in REFUSED[field]:
            await refused(r, pilot, form, field, value, message)
        # the form still works after all that: a good value goes through
        put(form, "title", f"Valid after bad {field}")
        form.action_save()
        await settle(r.app, pilot)
        assert type(r.app.screen).__name__ == "MainScreen"
        r.saved_titles.append(f"Valid after bad {field}")
        assert_healthy(r)


# --- accepted values: they arrive exactly ---------------------------------------------------------

ABSENT = object()  # the field was not sent (so the sandbox has no value for it)

# (typed, what the sandbox must have stored); rows are zipped across fields, one save per row
ACCEPTED = {
    "title": [
        (MARKUP, MARKUP),
        (WORLD, WORLD),
        ("  padded  ", "padded"),  # the only change: a title is trimmed
        ("t" * 1_000, "t" * 1_000),
        ("\u202eevil\u202c order", "\u202eevil\u202c order"),  # kept as typed; the table hides the override
        ("100% [not markup] <b>html</b> & \\escape", "100% [not markup] <b>html</b> & \\escape"),
    ],
    "description": [
        ("", ABSENT),
        ("   \n  ", ABSENT),  # blank means none
        (TEN_K, TEN_K),
        ("line one\nline two\n\tindented", "line one\nline two\n\tindented"),
        (MARKUP, MARKUP),
        (WORLD, WORLD),
        ("d" * 65_535, "d" * 65_535),
    ],
    "type": [
        ("", ABSENT),
        ("   ", ABSENT),
        ("call", "Call"),  # Keap groups by exact spelling: the known type's spelling wins
        ("  Email  ", "Email"),
        ("[b]Custom[/b]", "[b]Custom[/b]"),
        ("📞 Ring back", "📞 Ring back"),
    ],
    "priority": [
        ("", ABSENT),
        ("   ", ABSENT),
        ("high", 3),
        ("HIGH", 3),
        ("1", 1),
        ("  2  ", 2),
        ("3 · High", 3),
    ],
    "due": [
        ("", ABSENT),
        ("   ", ABSENT),
        ("2026-07-01 10:00", "2026-07-01T10:00:00.000Z"),  # TZ=UTC in tests
        ("2026-07-01T10:00+05:30", "2026-07-01T04:30:00.000Z"),
        ("2028-02-29", "2028-02-29T09:00:00.000Z"),  # a leap day; a bare day is due at 09:00
        ("2000-01-01 00:00", "2000-01-01T00:00:00.000Z"),  # far past, the first day allowed
        ("2100-12-31 23:59", "2100-12-31T23:59:00.000Z"),  # far future, the last minute allowed
    ],
}


def _rows(table: dict) -> list[dict]:
    fields = list(table)
    rows = []
    for n, cases in enumerate(zip_longest(*(table[f] for f in fields))):
        row = {f: c for f, c in zip(fields, cases) if c is not None}
        row.setdefault("title", (f"Accepted row {n}", f"Accepted row {n}"))
        rows.append(row)
    return rows


async def accepted(r, pilot, row: dict) -> dict:
    """Fill a new form with `row` (field -> (typed, stored)), save; returns the stored task."""
    form = await open_new(r, pilot)
    for field, (typed, _) in row.items():
        put(form, field, typed)
    await settle(r.app, pilot)
    posts = len(requests(r.sb, "POST", TASKS))
    form.action_save()
    await settle(r.app, pilot)
    assert type(r.app.screen).__name__ == "MainScreen", (
        f"refused: { {f: form.error_text(f) for f in row if form.error_text(f)} }")
    sent = requests(r.sb, "POST", TASKS)
    assert len(sent) == posts + 1 and sent[-1].status == 200
    stored = r.sb.tasks[max(r.sb.tasks)]
    for field, (typed, expected) in row.items():
        key = "due_date" if field == "due" else field
        if expected is ABSENT:
            assert stored.get(key) is None and key not in sent[-1].body, f"{field}={typed!r} sent {stored.get(key)!r}"
        else:
            assert stored.get(key) == expected, f"{field}={typed[:40]!r}: stored {str(stored.get(key))[:60]!r}"
    r.saved_titles.append(stored["title"])
    return stored


async def test_accepted_values_arrive_exactly_as_typed():
    r = rig()
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        for row in _rows(ACCEPTED):
            await accepted(r, pilot, row)
        assert_no_dump(r.app)
        await background_poll(r, pilot, POLL + 1, feeds=("tasks",))
        assert_healthy(r)


# --- time zones: the user's wall clock, sent as the right instant ------------------------------

ZONED = {
    "America/New_York": [
        ("2026-07-01", "2026-07-01T13:00:00.000Z"),  # a bare day: 09:00 EDT (UTC-4)
        ("2026-03-08 02:30", "2026-03-08T07:30:00.000Z"),  # inside the spring-forward gap: 03:30 EDT
        ("2026-11-01 01:30", "2026-11-01T05:30:00.000Z"),  # ambiguous (fall back): the first, EDT
        ("2026-07-01 10:00 +01:00", "2026-07-01T09:00:00.000Z"),  # an explicit offset wins
    ],
    "Asia/Kathmandu": [
        ("2026-01-15 10:00", "2026-01-15T04:15:00.000Z"),  # UTC+05:45, no DST
        ("tomorrow 9am", "2027-01-16T03:15:00.000Z"),  # the app's clock: 2027-01-15 13:45 there
    ],
}


@pytest.fixture
def user_zone(request):
    """TZ set for the app (and for libc: tzset), and put back for the next test."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.mark.parametrize("user_zone", list(ZONED), indirect=True)
async def test_due_dates_in_the_users_time_zone_reach_keap_as_the_same_instant(user_zone):
    zone = user_zone
    r = rig()
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        for n, (typed, stored) in enumerate(ZONED[zone]):
            await accepted(r, pilot, {"title": (f"{zone} {n}", f"{zone} {n}"), "due": (typed, stored)})
        if zone == "America/New_York":  # opened again and saved untouched: nothing drifts, nothing is sent
            tasks, _ = panes(r.app)
            tasks.table.move_cursor_to_key(max(r.sb.tasks))
            tasks.table.focus()
            await pilot.press("e")
            await settle(r.app, pilot)
            before = writes(r.sb)
            r.app.screen.action_save()
            await settle(r.app, pilot)
            assert type(r.app.screen).__name__ == "MainScreen"
            assert writes(r.sb) == before, "an untouched edit sent something"
        assert_healthy(r)


# --- the edit form -------------------------------------------------------------------------------


async def test_editing_refuses_bad_values_sends_only_changes_and_toggles_completed():
    r = rig()
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        # a task whose server values the form would refuse: kept untouched unless changed
        odd = r.sb.add_task(title="Odd [i]server[/i] task", priority=7, type="x" * 300, completed=False,
                            due_date="2027-01-20T10:00:00.123Z")
        await background_poll(r, pilot, POLL + 1, feeds=("tasks",))
        tasks, _ = panes(r.app)
        tasks.table.move_cursor_to_key(odd["id"])
        tasks.table.focus()
        await pilot.press("e")
        await settle(r.app, pilot)
        form = r.app.screen
        assert type(form).__name__ == "TaskForm"
        for field, value, message in [("title", "", "A title is required"), ("title", ESCAPES, "control character"),
                                      ("priority", "0", "out of range"), ("due", "2026-02-30", "not a real date")]:
            keep = _widget(form, field).value
            await refused(r, pilot, form, field, value, message, title=_widget(form, "title").value)
            put(form, field, keep)
        put(form, "title", "Odd task, renamed")
        put(form, "completed", True)
        await settle(r.app, pilot)
        form.action_save()
        await settle(r.app, pilot)
        assert type(r.app.screen).__name__ == "MainScreen"
        patch = [q for q in r.sb.requests if q.method in ("PATCH", "PUT") and q.path.endswith(f"/{odd['id']}")]
        assert len(patch) == 1 and patch[0].body == {"title": "Odd task, renamed", "completed": True}
        stored = r.sb.tasks[odd["id"]]
        assert stored["title"] == "Odd task, renamed" and stored["completed"] is True
        assert stored["priority"] == 7 and stored["type"] == "x" * 300  # untouched server values survive
        assert stored["due_date"] == "2027-01-20T10:00:00.123Z"
        r.saved_titles.append("Odd task, renamed")
        assert_healthy(r)


# --- what the server sends: anything that decodes can be shown -----------------------------------

DATES = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.just(timezone.utc)).map(lambda d: d.isoformat().replace("+00:00", "Z")),
    st.sampled_from(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "0001-01-01T00:00:00+23:59",
                     "9999-12-31T23:59:59-23:59", "2027-01-15T08:00:00+05:45", "2027-01-15T08:00:00"]),
)
TEXT = st.one_of(st.text(max_size=30), st.sampled_from([MARKUP, WORLD, ESCAPES, "\x9b31m", "a\u202eb", ""]))
NUMBER = st.one_of(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.floats(allow_nan=False, allow_infinity=False))
CONTACT = st.fixed_dictionaries({}, optional={"id": st.integers(), "first_name": TEXT, "last_name": TEXT,
                                              "email": TEXT, "company_name": TEXT})
TASK_JSON = st.fixed_dictionaries(
    {"id": st.integers(min_value=-(2**63), max_value=2**63 - 1)},
    optional={"title": TEXT, "description": TEXT, "type": TEXT, "priority": st.integers(),
              "completed": st.booleans(), "due_date": DATES, "creation_date": DATES,
              "modification_date": DATES, "contact": CONTACT},
)
SHIPPING = st.fixed_dictionaries({}, optional={k: TEXT for k in (
    "first_name", "middle_name", "last_name", "company", "phone", "street1", "street2", "city", "state", "zip", "country")})
ITEM = st.fixed_dictionaries({}, optional={"name": TEXT, "quantity": st.integers(min_value=-(2**31), max_value=2**31),
                                           "price": st.floats(allow_nan=False, allow_infinity=False)})
ORDER_JSON = st.fixed_dictionaries(
    {"id": st.integers(min_value=-(2**63), max_value=2**63 - 1)},
    optional={"title": TEXT, "status": TEXT, "notes": TEXT, "creation_date": DATES, "order_date": DATES,
              "modification_date": DATES, "total": NUMBER, "total_paid": NUMBER, "total_due": NUMBER,
              "refund_total": NUMBER, "contact": CONTACT, "shipping_information": SHIPPING,
              "order_items": st.lists(ITEM, max_size=3), "invoice_number": st.integers()},
)
NOW = datetime(2027, 1, 15, 8, 0, tzinfo=timezone.utc)


def _plain(renderable) -> str:
    out = io.StringIO()
    Console(file=out, width=100, color_system=None, force_terminal=False, legacy_windows=False).print(renderable)
    return out.getvalue()


@settings(max_examples=150, deadline=None)
@example(task={"id": 1, "due_date": "0001-01-01T00:00:00+23:59"}, order={"id": 1})
@given(task=TASK_JSON, order=ORDER_JSON)
def test_any_task_or_order_that_decodes_can_be_shown(task, order):
    try:
        t = decode(json.dumps(task).encode(), Task)
        o = decode(json.dumps(order).encode(), Order)
    except DecodeError:
        return
    cells = task_row(t, NOW)[1] + order_row(o, NOW)[1]
    details = _plain(order_renderable(o, NOW))
    for text in (*cells, details):
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text


@settings(max_examples=300, deadline=None)
@given(text=DUE_TEXTS, now=DUE_NOWS)
def test_every_due_date_the_form_accepts_is_one_keap_accepts_as_the_same_instant(text, now):
    """The gap test_dates.py leaves: what the parser accepts, formatted as sent, passes the
    sandbox's own reading of Keap's date rule (written from the contract, not from our code)."""
    try:
        due = parse_due(text, now=now)
    except DueDateError:
        return
    if due is None:
        return
    sent = format_keap_datetime(due)
    assert canonical(sent) == sent
    assert parse_iso(sent) == pytest.approx(due.timestamp(), abs=0.001)


@pytest.mark.parametrize("type_", [Task, Order])
def test_deeply_nested_json_is_a_decode_error(type_):
    deep = b'{"id": 1, "unknown": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    with pytest.raises(DecodeError):
        decode(deep, type_)


async def test_a_task_with_a_date_at_the_end_of_the_calendar_does_not_end_the_app():
    r = rig()
    async with r.app.run_test(size=SIZE) as pilot:
        await started(r.app, pilot)
        r.sb.add_task(title="From a buggy integration", due_date="0001-01-01T00:00:00+23:59")
        try:
            await background_poll(r, pilot, POLL + 1, feeds=("tasks",))
        except OverflowError:
            pass
        assert r.app.is_running and r.app._exception is None, r.app._exception
        assert_healthy(r)
