"""Due dates as typed in the task form: what is read, what is refused and why, DST, round trips."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zoneinfo import ZoneInfo

from infusion_tui.dates import DueDateError, describe_due, local_zone, parse_due, relative, short_absolute
from infusion_tui.keap.models import format_keap_datetime

NY = ZoneInfo("America/New_York")
UTC = timezone.utc
# Monday 21 Dec 2026, 10:07:33 in New York (seconds on purpose: results are whole minutes)
NOW = datetime(2026, 12, 21, 10, 7, 33, tzinfo=NY)


def due(text: str, now: datetime = NOW) -> datetime | None:
    return parse_due(text, now=now)


def wall(result: datetime | None) -> str:
    assert result is not None and result.tzinfo is not None
    return result.strftime("%Y-%m-%d %H:%M %z")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-12-24", "2026-12-24 09:00 -0500"),  # a bare day: 09:00
        ("2026-12-24T17:00", "2026-12-24 17:00 -0500"),
        ("2026-12-24 17:00", "2026-12-24 17:00 -0500"),
        ("2026-12-24T17:00:00", "2026-12-24 17:00 -0500"),
        ("2026-12-24T22:00:00.000Z", "2026-12-24 17:00 -0500"),  # Keap's own format
        ("2026-12-24T17:00Z", "2026-12-24 12:00 -0500"),
        ("2026-12-24T17:00+02:00", "2026-12-24 10:00 -0500"),
        ("2026-12-24 17:00 -0800", "2026-12-24 20:00 -0500"),
        ("2026-12-24 5pm", "2026-12-24 17:00 -0500"),
        ("2026/12/24 noon", "2026-12-24 12:00 -0500"),
        ("today", "2026-12-21 17:00 -0500"),
        ("today 17:00", "2026-12-21 17:00 -0500"),
        ("Today at 8:30am", "2026-12-21 08:30 -0500"),
        ("tonight", "2026-12-21 20:00 -0500"),
        ("eod", "2026-12-21 17:00 -0500"),
        ("tomorrow", "2026-12-22 09:00 -0500"),
        ("tomorrow 9am", "2026-12-22 09:00 -0500"),
        ("  TOMORROW   3:15 PM ", "2026-12-22 15:15 -0500"),
        ("tmrw 12am", "2026-12-22 00:00 -0500"),
        ("yesterday", "2026-12-20 09:00 -0500"),
        ("+3d", "2026-12-24 10:07 -0500"),
        ("+2w", "2027-01-04 10:07 -0500"),
        ("+4h", "2026-12-21 14:07 -0500"),
        ("+90m", "2026-12-21 11:37 -0500"),
        ("+1mo", "2027-01-21 10:07 -0500"),
        ("in 3 days", "2026-12-24 10:07 -0500"),
        ("in 2 hours", "2026-12-21 12:07 -0500"),
        ("3 days from now", "2026-12-24 10:07 -0500"),
        ("fri", "2026-12-25 09:00 -0500"),
        ("friday", "2026-12-25 09:00 -0500"),
        ("Fri 17:00", "2026-12-25 17:00 -0500"),
        ("thurs", "2026-12-24 09:00 -0500"),
        ("mon", "2026-12-28 09:00 -0500"),  # today is Monday: the NEXT Monday
        ("next mon", "2026-12-28 09:00 -0500"),
        ("next tue 10am", "2026-12-22 10:00 -0500"),
        ("17:00", "2026-12-21 17:00 -0500"),  # a bare time: its next occurrence
        ("9am", "2026-12-22 09:00 -0500"),
        ("dec 24", "2026-12-24 09:00 -0500"),
        ("24 Dec 2027 5pm", "2027-12-24 17:00 -0500"),
        ("January 3", "2027-01-03 09:00 -0500"),  # a month day already past: next year
        ("now", "2026-12-21 10:07 -0500"),
    ],
)
def test_reads(text: str, expected: str) -> None:
    assert wall(due(text)) == expected


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_means_no_due_date(text: str) -> None:
    assert due(text) is None


def test_relative_forms_drop_seconds_and_keep_the_zone() -> None:
    result = due("+3d")
    assert result is not None and result.second == 0 and result.microsecond == 0
    assert result.tzinfo is NY


@pytest.mark.parametrize(
    "text, message",
    [
        ("2026-02-30", "'2026-02-30' is not a real date (February 2026 has 28 days)"),
        ("2028-02-30", "'2028-02-30' is not a real date (February 2028 has 29 days)"),
        ("2026-13-01", "'2026-13-01' is not a real date (months go 1–12)"),
        ("2026-04-31 10:00", "'2026-04-31 10:00' is not a real date (April 2026 has 30 days)"),
        ("blah", "Could not read 'blah' — try 2026-12-24 17:00, tomorrow, +3d or fri"),
        ("1999-12-31", "'1999-12-31' is before 2000: due dates go from 2000 to 2100"),
        ("2101-01-01", "'2101-01-01' is after 2100: due dates go from 2000 to 2100"),
        ("+999999d", "'+999999d' is after 2100: due dates go from 2000 to 2100"),
        ("+999999mo", "'+999999mo' is after 2100: due dates go from 2000 to 2100"),
        ("2026-12-24 25:00", "'2026-12-24 25:00' is not a time of day (hours go 0–23)"),
        ("2026-12-24 17:60", "'2026-12-24 17:60' is not a time of day (minutes and seconds go 0–59)"),
        ("tomorrow 13pm", "'tomorrow 13pm': with am/pm the hour goes 1–12"),
        ("fri 17", "'fri 17': write the time as 17:00 or 5pm"),
        ("+3x", "'+3x': unknown unit 'x' — use m, h, d, w or mo (e.g. +3d)"),
        ("2026-12-24T17:00+25:00", "'2026-12-24T17:00+25:00' has an offset that is not real (+25:00)"),
    ],
)
def test_refuses_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(DueDateError) as caught:
        due(text)
    assert str(caught.value) == message


def test_error_messages_make_control_characters_visible_and_stay_short() -> None:
    with pytest.raises(DueDateError) as caught:
        due("\x1b[31mred" + "x" * 100)
    message = str(caught.value)
    assert "\x1b" not in message and "\\x1b" in message
    assert len(message) < 120


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        parse_due("tomorrow", now=datetime(2026, 12, 21, 10))


# --- DST: America/New_York springs forward 2026-03-08 02:00, falls back 2026-11-01 02:00 ----


def test_a_day_added_across_spring_forward_keeps_the_wall_time() -> None:
    now = datetime(2026, 3, 7, 10, 0, tzinfo=NY)  # Saturday, EST (-05:00)
    result = due("+1d", now)
    assert wall(result) == "2026-03-08 10:00 -0400"
    assert result.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=23)  # a 23-hour day
    assert wall(due("tomorrow", now)) == "2026-03-08 09:00 -0400"
    assert wall(due("sun 10:00", now)) == "2026-03-08 10:00 -0400"


def test_hours_are_elapsed_time_across_spring_forward() -> None:
    now = datetime(2026, 3, 8, 1, 30, tzinfo=NY)
    assert wall(due("+1h", now)) == "2026-03-08 03:30 -0400"
    assert wall(due("+24h", now)) == "2026-03-09 02:30 -0400"


def test_a_wall_time_inside_the_gap_moves_forward() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=NY)
    assert wall(due("2026-03-08 02:30", now)) == "2026-03-08 03:30 -0400"


def test_a_day_added_across_fall_back_keeps_the_wall_time() -> None:
    now = datetime(2026, 10, 31, 10, 0, tzinfo=NY)  # Saturday, EDT (-04:00)
    result = due("+1d", now)
    assert wall(result) == "2026-11-01 10:00 -0500"
    assert result.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=25)
    assert wall(due("+1w", now)) == "2026-11-07 10:00 -0500"


def test_an_ambiguous_wall_time_takes_the_first_occurrence() -> None:
    now = datetime(2026, 10, 20, 12, 0, tzinfo=NY)
    result = due("2026-11-01 01:30", now)
    assert result is not None and result.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    later = due("2026-11-01T01:30-05:00", now)  # the second one, when the user says so
    assert later is not None and later.astimezone(UTC) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


def test_hours_are_elapsed_time_across_fall_back() -> None:
    now = datetime(2026, 11, 1, 0, 30, tzinfo=NY)  # EDT
    assert wall(due("+2h", now)) == "2026-11-01 01:30 -0500"  # 01:30 twice; this is the second


def test_fixed_offset_now_still_works() -> None:
    now = datetime(2026, 12, 21, 10, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert wall(due("tomorrow", now)) == "2026-12-22 09:00 +0530"


# --- properties ------------------------------------------------------------------------------

ZONES = [ZoneInfo(k) for k in ("America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC")]
NOWS = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 12, 1), timezones=st.sampled_from(ZONES))
TOKENS = st.sampled_from(
    ["+", "-", "3", "99", "999999", "d", "w", "h", "mo", "in ", "days", " ", "tomorrow", "today", "fri", "next ",
     "9am", "12pm", "0", "2026", "-12", "-24", "-02", "-30", "T", "17:00", ":60", "Z", "+02:00", "noon", "dec", "29"]
)
TEXTS = st.one_of(st.text(max_size=40), st.lists(TOKENS, max_size=8).map("".join))


@settings(max_examples=600, deadline=None)
@given(text=TEXTS, now=NOWS)
def test_any_text_is_read_or_refused_never_crashes(text: str, now: datetime) -> None:
    try:
        result = parse_due(text, now=now)
    except DueDateError as err:
        assert str(err)
        return
    if result is not None:
        assert result.tzinfo is not None
        assert 2000 <= result.year <= 2100


INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2100, 12, 30), timezones=st.sampled_from(ZONES)
)


@settings(max_examples=300, deadline=None)
@given(dt=INSTANTS, now=NOWS)
def test_any_iso_datetime_round_trips_to_the_same_instant(dt: datetime, now: datetime) -> None:
    for text in (dt.isoformat(), dt.isoformat(sep=" "), dt.astimezone(UTC).isoformat().replace("+00:00", "Z")):
        result = parse_due(text, now=now)
        assert result is not None and result.astimezone(UTC) == dt.astimezone(UTC)
    # what Keap sends back (milliseconds, Z) reads as the same instant too
    keap = parse_due(format_keap_datetime(dt), now=now)
    assert keap is not None
    assert keap.astimezone(UTC) == dt.astimezone(UTC).replace(microsecond=dt.microsecond // 1000 * 1000)


@settings(max_examples=200, deadline=None)
@given(naive=st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2100, 12, 30)))
def test_a_naive_iso_datetime_is_wall_time_in_the_users_zone(naive: datetime) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert parse_due(naive.isoformat(), now=now) == naive.replace(tzinfo=UTC)


# --- reading back ----------------------------------------------------------------------------


def test_describe_due() -> None:
    d = datetime(2026, 12, 24, 17, 0, tzinfo=NY)
    assert describe_due(d, now=NOW) == "Thu 24 Dec 2026 17:00 (in 3 days)"
    assert describe_due(d.astimezone(UTC), now=NOW) == "Thu 24 Dec 2026 17:00 (in 3 days)"  # shown in now's zone
    assert describe_due(NOW - timedelta(days=4), now=NOW).endswith("(4 days overdue)")
    assert describe_due(NOW + timedelta(days=1), now=NOW).endswith("(tomorrow)")


@pytest.mark.parametrize(
    "delta, expected",
    [
        (timedelta(seconds=20), "now"),
        (timedelta(minutes=5), "in 5 min"),
        (timedelta(minutes=-45), "45 min ago"),
        (timedelta(hours=2), "in 2 h"),
        (timedelta(hours=-2), "2 h ago"),
        (timedelta(hours=3, minutes=59, seconds=40), "in 4 h"),
        (timedelta(hours=14, minutes=30), "tomorrow"),  # 00:37: a new calendar day
        (timedelta(hours=13), "today"),  # 23:07: same day, more than 12 h away
        (timedelta(days=1), "tomorrow"),
        (timedelta(days=3), "in 3 d"),
        (timedelta(days=-1), "yesterday"),
        (timedelta(days=-4), "overdue 4 d"),
        (timedelta(days=90), "in 3 mo"),
        (timedelta(days=800), "in 2 y"),
    ],
)
def test_relative(delta: timedelta, expected: str) -> None:
    assert relative(NOW + delta, NOW) == expected


def test_relative_today_far_from_now() -> None:
    early = datetime(2026, 12, 21, 6, 0, tzinfo=NY)
    assert relative(datetime(2026, 12, 21, 23, 0, tzinfo=NY), early) == "today"


@pytest.mark.parametrize(
    "when, expected",
    [
        (datetime(2026, 12, 21, 17, 0), "17:00"),
        (datetime(2026, 12, 25, 9, 30), "09:30"),
        (datetime(2026, 12, 1, 8, 0), "1 Dec"),
        (datetime(2027, 3, 4, 8, 0), "Mar 2027"),
    ],
)
def test_short_absolute(when: datetime, expected: str) -> None:
    assert short_absolute(when.replace(tzinfo=NY), NOW) == expected


def test_local_zone_follows_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Paris")
    assert str(local_zone()) == "Europe/Paris"
    monkeypatch.setenv("TZ", "Not/AZone")
    assert local_zone() is not None


def test_dates_never_import_textual() -> None:
    code = "import sys, infusion_tui.dates; assert 'textual' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
