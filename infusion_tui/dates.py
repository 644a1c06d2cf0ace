"""Due dates as people type them, and as people like to read them.

`parse_due` turns what a user types in the task form ("tomorrow 9am", "+3d", "fri",
"2026-12-24 17:00") into an aware datetime in the user's zone; `describe_due`, `relative`
and `short_absolute` turn one back into words. Pure functions, no textual import: `now` is
always passed in, so tests pin it and nothing here reads the clock behind your back.

Rules worth knowing:
- A day given without a time means 09:00 (the start of a working day: the task is due that
  morning, and a UTC conversion never moves it to the day before). "today"/"eod" mean 17:00
  (09:00 has often passed already), "tonight" 20:00.
- Days, weeks and months keep the wall time across a DST change ("+1d" at 10:00 is 10:00
  tomorrow even if that day is 23 h long); hours and minutes are elapsed time.
- A wall time that does not exist (inside a spring-forward gap) moves forward by the gap
  (02:30 -> 03:30); an ambiguous one (fall back) takes the first occurrence (fold=0).
- Weekday and month names are English and fixed, never the C locale's: snapshots stay stable.
"""

from __future__ import annotations

import calendar
import os
import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIN_YEAR, MAX_YEAR = 2000, 2100
DEFAULT_TIME = time(9, 0)  # a bare day: due at the start of the working day
EOD_TIME = time(17, 0)  # "today", "eod": end of the working day
TONIGHT_TIME = time(20, 0)

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)

_HINT = "try 2026-12-24 17:00, tomorrow, +3d or fri"


class DueDateError(ValueError):
    """The text is not a due date we can read; `str(err)` says why and what works."""


# --- the user's zone -------------------------------------------------------------------------


def local_zone() -> tzinfo:
    """The user's zone with its DST rules (a ZoneInfo) when it can be found, else a fixed offset."""
    key = os.environ.get("TZ", "").lstrip(":")
    candidates = [key] if key else []
    try:  # /etc/localtime -> /usr/share/zoneinfo/Europe/Paris
        link = os.readlink("/etc/localtime")
        if "zoneinfo/" in link:
            candidates.append(link.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            continue
    return datetime.now().astimezone().tzinfo or timezone.utc


def local_now() -> datetime:
    """Now, aware, in the user's zone (the default `now` of the task form)."""
    return datetime.now(local_zone())


def _localize(wall: datetime, zone: tzinfo | None) -> datetime:
    """Attach `zone` to a naive wall time; a time inside a DST gap moves forward by the gap."""
    aware = wall.replace(tzinfo=zone, fold=0)
    return aware.astimezone(timezone.utc).astimezone(zone)


# --- parsing ---------------------------------------------------------------------------------

_FLAGS = re.ASCII | re.IGNORECASE
_ISO_DATE = re.compile(r"(?P<y>\d{4})[-/](?P<mo>\d{1,2})[-/](?P<d>\d{1,2})", _FLAGS)
_ISO_TIME = re.compile(
    r"(?:t|t? +)(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r" *(?P<tz>z|utc|[+-]\d{2}(?::?\d{2})?)?",
    _FLAGS,
)
_TIME = re.compile(
    r"(?:at +)?(?:(?P<h>\d{1,2})(?::(?P<mi>\d{2}))? *(?P<ap>am|pm|a|p)?|(?P<word>noon|midnight))", _FLAGS
)
_FROM_NOW = re.compile(r"(?P<n>\d{1,6}) *(?P<unit>[a-z]+) +from +now", _FLAGS)
_OFFSET = re.compile(r"(?:\+|in +)(?P<n>\d{1,6}) *(?P<unit>[a-z]+)", _FLAGS)
_DAY_MONTH = re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)? +(?P<mon>[a-z]+)\.?(?:,? +(?P<y>\d{4}))?", _FLAGS)
_MONTH_DAY = re.compile(r"(?P<mon>[a-z]+)\.? +(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:,? +(?P<y>\d{4}))?", _FLAGS)

_UNITS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "minutes"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "hours"),
    **dict.fromkeys(("d", "day", "days"), "days"),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "weeks"),
    **dict.fromkeys(("mo", "mon", "mons", "month", "months"), "months"),
}
_WEEKDAY_NAMES = (
    ("mon", "monday"), ("tue", "tues", "tuesday"), ("wed", "weds", "wednesday"),
    ("thu", "thur", "thurs", "thursday"), ("fri", "friday"), ("sat", "saturday"), ("sun", "sunday"),
)
_WEEKDAYS = {name: i for i, names in enumerate(_WEEKDAY_NAMES) for name in names}
_MONTH_LOOKUP = {n.lower(): i for i, full in enumerate(_MONTH_NAMES, 1) for n in (full, full[:3])} | {"sept": 9}


def parse_due(text: str, *, now: datetime) -> datetime | None:
    """Read a due date. Empty text means no due date (None); anything unreadable raises DueDateError.

    `now` must be aware, in the user's zone; the result is aware, in that zone.
    """
    if now.tzinfo is None:
        raise TypeError("now must be an aware datetime")
    cleaned = " ".join(text.split())
    if not cleaned:
        return None
    result = _parse(cleaned, text, now)
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        when = "before 2000" if result.year < MIN_YEAR else "after 2100"
        raise DueDateError(f"{_quote(text)} is {when}: due dates go from 2000 to 2100")
    return result


def _parse(s: str, original: str, now: datetime) -> datetime:
    zone = now.tzinfo
    if (m := _ISO_DATE.match(s)) is not None:
        return _from_iso(m, s[m.end():], original, zone)
    low = s.lower()
    if low == "now":
        return now.replace(second=0, microsecond=0)
    if (m := _OFFSET.fullmatch(low) or _FROM_NOW.fullmatch(low)) is not None:
        return _offset(int(m["n"]), m["unit"], original, now)
    for phrase, day_shift, default in (
        ("tonight", 0, TONIGHT_TIME), ("eod", 0, EOD_TIME), ("today", 0, EOD_TIME), ("tod", 0, EOD_TIME),
        ("tomorrow", 1, DEFAULT_TIME), ("tmrw", 1, DEFAULT_TIME), ("tmr", 1, DEFAULT_TIME),
        ("tom", 1, DEFAULT_TIME), ("yesterday", -1, DEFAULT_TIME),
    ):
        if low == phrase or low.startswith(phrase + " "):
            at = _time_of_day(low[len(phrase):], original, default)
            return _at(now.date() + timedelta(days=day_shift), at, zone)
    head, _, rest = low.partition(" ")
    if head == "next" and rest:
        head, _, rest = rest.partition(" ")
    if head in _WEEKDAYS:  # the next such day after today ("fri" on a Friday = in 7 days)
        ahead = (_WEEKDAYS[head] - now.weekday() - 1) % 7 + 1
        return _at(now.date() + timedelta(days=ahead), _time_of_day(rest, original, DEFAULT_TIME), zone)
    if low[:1].isdigit() and _TIME.fullmatch(low) or low in ("noon", "midnight"):
        at = _time_of_day(low, original, DEFAULT_TIME)  # a bare time: its next occurrence
        due = _at(now.date(), at, zone)
        return due if due > now else _at(now.date() + timedelta(days=1), at, zone)
    return _named_date(low, original, now)


def _from_iso(m: re.Match[str], rest: str, original: str, zone: tzinfo | None) -> datetime:
    """2026-12-24, then nothing (09:00), an ISO time with or without a zone, or "5pm"/"noon"."""
    day = _real_date(int(m["y"]), int(m["mo"]), int(m["d"]), original)
    if not rest.strip():
        return _at(day, DEFAULT_TIME, zone)
    if (m := _ISO_TIME.fullmatch(rest)) is None:
        return _at(day, _time_of_day(rest, original, DEFAULT_TIME), zone)
    micro = int((m["f"] or "0")[:6].ljust(6, "0"))
    at = _real_time(int(m["h"]), int(m["mi"]), int(m["s"] or 0), original).replace(microsecond=micro)
    wall = datetime.combine(day, at)
    tz = m["tz"]
    if not tz:  # no zone given: the user's own wall clock
        return _localize(wall, zone)
    if tz.lower() in ("z", "utc"):
        offset = timedelta(0)
    else:
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 23 or minutes > 59:
            raise DueDateError(f"{_quote(original)} has an offset that is not real ({tz})")
        offset = sign * timedelta(hours=hours, minutes=minutes)
    return wall.replace(tzinfo=timezone(offset)).astimezone(zone)


def _offset(n: int, unit_text: str, original: str, now: datetime) -> datetime:
    unit = _UNITS.get(unit_text)
    if unit is None:
        raise DueDateError(f"{_quote(original)}: unknown unit '{unit_text}' — use m, h, d, w or mo (e.g. +3d)")
    try:
        if unit in ("minutes", "hours"):  # elapsed time: 4 h from now, whatever the clocks do
            start = now.replace(second=0, microsecond=0).astimezone(timezone.utc)
            return (start + timedelta(**{unit: n})).astimezone(now.tzinfo)
        wall = now.replace(tzinfo=None, second=0, microsecond=0)
        if unit == "months":
            month0 = wall.month - 1 + n
            year, month = wall.year + month0 // 12, month0 % 12 + 1
            if year > MAX_YEAR:
                raise OverflowError
            wall = wall.replace(year=year, month=month, day=min(wall.day, calendar.monthrange(year, month)[1]))
        else:
            wall = wall + timedelta(**{unit: n})
    except OverflowError:
        raise DueDateError(f"{_quote(original)} is after 2100: due dates go from 2000 to 2100") from None
    return _localize(wall, now.tzinfo)


def _named_date(low: str, original: str, now: datetime) -> datetime:
    """"24 dec", "dec 24 17:00", "december 24, 2026 9am": a year left out means the next one."""
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        m = pattern.match(low)
        if m is None or m["mon"] not in _MONTH_LOOKUP:
            continue
        at = _time_of_day(low[m.end():], original, DEFAULT_TIME)
        month, day_num = _MONTH_LOOKUP[m["mon"]], int(m["d"])
        if m["y"]:
            return _at(_real_date(int(m["y"]), month, day_num, original), at, now.tzinfo)
        year = now.year
        if (month, day_num) < (now.month, now.day):
            year += 1
        if month == 2 and day_num == 29:  # a 29 Feb without a year: the next one that exists
            while not calendar.isleap(year) and year <= MAX_YEAR:
                year += 1
        return _at(_real_date(year, month, day_num, original), at, now.tzinfo)
    raise DueDateError(f"Could not read {_quote(original)} — {_HINT}")


def _time_of_day(rest: str, original: str, default: time) -> time:
    rest = rest.strip()
    if not rest:
        return default
    m = _TIME.fullmatch(rest)
    if m is None:
        raise DueDateError(f"Could not read {_quote(original)} — {_HINT}")
    if m["word"]:
        return time(12) if m["word"].lower() == "noon" else time(0)
    hour, minute, ampm = int(m["h"]), int(m["mi"] or 0), (m["ap"] or "").lower()[:1]
    if ampm:
        if not 1 <= hour <= 12:
            raise DueDateError(f"{_quote(original)}: with am/pm the hour goes 1–12")
        hour = hour % 12 + (12 if ampm == "p" else 0)
    elif m["mi"] is None:  # a bare "17" after a day reads as an hour only with a colon or am/pm
        raise DueDateError(f"{_quote(original)}: write the time as 17:00 or 5pm")
    return _real_time(hour, minute, 0, original)


def _at(day: date, at: time, zone: tzinfo | None) -> datetime:
    return _localize(datetime.combine(day, at), zone)


def _real_date(year: int, month: int, day: int, original: str) -> date:
    if not 1 <= month <= 12:
        raise DueDateError(f"{_quote(original)} is not a real date (months go 1–12)")
    if not MIN_YEAR <= year <= MAX_YEAR:
        when = "before 2000" if year < MIN_YEAR else "after 2100"
        raise DueDateError(f"{_quote(original)} is {when}: due dates go from 2000 to 2100")
    days_in_month = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days_in_month:
        raise DueDateError(
            f"{_quote(original)} is not a real date ({_MONTH_NAMES[month - 1]} {year} has {days_in_month} days)"
        )
    return date(year, month, day)


def _real_time(hour: int, minute: int, second: int, original: str) -> time:
    if hour > 23:
        raise DueDateError(f"{_quote(original)} is not a time of day (hours go 0–23)")
    if minute > 59 or second > 59:
        raise DueDateError(f"{_quote(original)} is not a time of day (minutes and seconds go 0–59)")
    return time(hour, minute, second)


def _quote(text: str, limit: int = 40) -> str:
    """The user's text, quoted for a message: trimmed, control characters made visible."""
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text.strip())
    return f"'{shown[:limit]}…'" if len(shown) > limit else f"'{shown}'"


# --- reading back ----------------------------------------------------------------------------


def _clock(dt: datetime) -> str:
    return dt.strftime("%H:%M:%S") if dt.second else dt.strftime("%H:%M")


def describe_due(due: datetime, *, now: datetime) -> str:
    """'Thu 24 Dec 2026 17:00 (in 3 days)', in now's zone."""
    local = due.astimezone(now.tzinfo)
    day = f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year}"
    return f"{day} {_clock(local)} ({relative(due, now, words=True)})"


def short_absolute(dt: datetime, now: datetime) -> str:
    """The absolute half of a table cell that already says how far away it is (`relative`):
    '17:00' within a week (the relative part names the day), '24 Dec' this year, 'Mar 2027'."""
    local = dt.astimezone(now.tzinfo)
    days = (local.date() - now.date()).days
    if -6 <= days <= 6:
        return local.strftime("%H:%M")  # seconds are noise in a table
    if local.year == now.year:
        return f"{local.day} {MONTHS[local.month - 1]}"
    return f"{MONTHS[local.month - 1]} {local.year}"


def relative(dt: datetime, now: datetime, *, words: bool = False) -> str:
    """How far `dt` is from `now`: 'in 3 d', '2 h ago', 'today', 'yesterday', 'overdue 4 d'.

    Under 90 min: minutes; within 12 h on the same day: hours (rounded); else calendar days, so that
    "tomorrow" means the next date on the wall calendar, not "24 h from now". `words=True`
    spells units out ('in 3 days', '4 days overdue') for sentences.
    """
    local = dt.astimezone(now.tzinfo)
    seconds = (dt - now).total_seconds()
    days = (local.date() - now.date()).days
    if abs(seconds) < 60:
        return "now"
    minutes = int(abs(seconds) / 60 + 0.5)  # rounded: "+4h" typed at 10:07:33 reads "in 4 h"
    if minutes < 90 or (days == 0 and minutes < 12 * 60):
        n, unit = (minutes, "min") if minutes < 90 else (int(minutes / 60 + 0.5), "h")
        amount = _amount(n, unit, words)
        return f"in {amount}" if seconds > 0 else f"{amount} ago"
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    n, unit = abs(days), "d"
    if n >= 730:
        n, unit = n // 365, "y"
    elif n >= 60:
        n, unit = n // 30, "mo"
    amount = _amount(n, unit, words)
    if days > 0:
        return f"in {amount}"
    return f"{amount} overdue" if words else f"overdue {amount}"


_WORDS = {"min": "minute", "h": "hour", "d": "day", "mo": "month", "y": "year"}


def _amount(n: int, unit: str, words: bool) -> str:
    if not words:
        return f"{n} {unit}"
    return f"{n} {_WORDS[unit]}{'' if n == 1 else 's'}"
