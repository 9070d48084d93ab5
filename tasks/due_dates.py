# Over 500 lines: one grammar of due-date phrases. Its readers share the normalisation, the
# number words and the calendar helpers, and the module docstring states the whole grammar in
# one place; `DueShift` moves a date by the same amounts.
"""Turning what people say about due dates into instants, in the speaker's time zone.

`resolve_due(text, now=...)` reads `text` relative to `now`, an aware datetime in the speaker's
zone, and returns a `ResolvedDue` whose `at` is aware in that same zone. A phrase without a time
of day is an all-day date (`at` is that day's local midnight, `all_day=True`). Dates in the past
are allowed and flagged with `in_past` (an all-day date is past only from the next day on).

The rules, applied before any fuzzy parsing (all case-insensitive; "by", "on", "due" and
"before" in front are ignored):

- ISO: `2026-12-03` (all-day), `2026-12-03T17:00` or `2026-12-03 17:00` (the speaker's
  wall clock), `2026-12-03T22:00:00Z` or with an offset (that instant, shown in the speaker's
  zone).
- Days: `today`, `tomorrow`, `day after tomorrow`, `yesterday`, `now`.
- Weekdays: `friday`, `this friday`, `next friday` and `coming friday` all mean the first
  Friday after today, so said on a Wednesday they are two days away, and said on a Friday they
  are a week away (today never counts). `friday next week` (or `next week friday`) is the
  Friday of the week that starts next Monday. `last friday` is the latest Friday before today.
- Weeks and months: `next week` is next Monday; `end of week`, `eow` and `this week` are the
  Friday of this week (today on a Friday, the next Friday on a weekend); `end of next week`;
  `weekend` is the coming Saturday (today on a weekend day); `end of month`/`eom` is the
  month's last day; `next month` its 1st; `end of next month`; `end of quarter`/`eoq`;
  `end of year`/`eoy`; `next year` (January 1st).
- Durations: `in 2 hours`, `in 90 minutes`, `in half an hour` (exact instants, counted in real
  time across DST changes); `in 3 days`, `in a week`, `in 2 months`, `in 3 business days`
  (dates); `2 days from now` and `a week from today` read the same.
- Shifts (`parse_due_shift`): `+2d`, `-1d`, `+1w`, `+3 days`, `+2h`, `a week later`,
  `two days later`, `2 days earlier`, `half an hour later`. Here they count from now, like the
  durations above (`2 days earlier` is two days ago); `DueShift.apply` moves a task's current
  due date by them instead, which is what `update_task` does with a shift.
- Calendar dates: `Dec 3`, `December 3rd, 2027`, `3 Dec`, `the 3rd of December`, `12/3`
  and `12/3/2026` (month/day, US order), `friday dec 4` (the weekday must match), and
  `the 31st` (the next 31st that exists, today included). Without a year a date means its next
  occurrence, today included. Dates that do not exist (`February 30`, `2026-02-29`, `4/31`)
  raise `DueDateError`.
- Times, before or after the date: `5pm`, `5:30 pm`, `17:00`, `at 5` (a bare hour from 1 to 7
  means the afternoon, 8 to 12 the morning and noon), `noon`, `midnight` (23:59 of that day,
  the end of it), `morning` (9:00), `afternoon` (14:00), `evening` (18:00), `night` (20:00),
  `tonight` (20:00 today), `eod`/`end of day`/`cob` (17:00). A time without a date is today,
  or tomorrow when that time has already passed today; `eod`, `tonight` and `this
  morning|afternoon|evening` always mean today.
- On a day with a DST change, a wall-clock time that does not exist (2:30 when clocks jump
  from 2:00 to 3:00) moves forward by the gap, and one that exists twice is the first.

Anything else goes to `dateparser` (English only, preferring future dates, relative to `now`;
it never loads anything from the network). What it cannot read raises `DueDateError`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

from tasks.errors import DueDateError

if TYPE_CHECKING:
    from tasks.models import Task, TaskRow


@dataclass(frozen=True, slots=True)
class ResolvedDue:
    """A resolved due date: `at` is aware in the speaker's zone (local midnight when all-day)."""

    at: datetime
    all_day: bool
    in_past: bool

    @property
    def day(self) -> date:
        """The calendar day, in the speaker's zone."""
        return self.at.date()


# Wall-clock times of the named parts of a day.
MORNING = time(9, 0)
NOON = time(12, 0)
AFTERNOON = time(14, 0)
END_OF_DAY = time(17, 0)
EVENING = time(18, 0)
NIGHT = time(20, 0)
MIDNIGHT = time(23, 59)

_WEEKDAYS: dict[str, int] = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "weds": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
_MONTHS: dict[str, int] = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}
_NUMBER_WORDS: dict[str, int] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}

_WEEKDAY_RE = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUMBER_RE = "|".join(
    [r"\d+", *(re.escape(word) for word in sorted(_NUMBER_WORDS, key=len, reverse=True))]
)
_ORDINAL = r"(?:st|nd|rd|th)"

_PREFIXES = ("due by ", "due on ", "due ", "by ", "on ", "before ", "until ", "till ", "til ")
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ](\d{1,2}):(\d{2})(?::(\d{2}).*)?.*)?$")

# Time-of-day phrases, tried in this order; each match is cut out of the text.
_TIME_12H = re.compile(r"(?:\bat\s+|@\s*)?\b(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b")
_TIME_HM = re.compile(r"(?:\bat\s+|@\s*)?\b(\d{1,2}):(\d{2})\b")
_TIME_AT_HOUR = re.compile(r"(?:\bat\s+|@\s*)(\d{1,2})\b(?!\s*(?:/|st|nd|rd|th))")
_TIME_WORDS: tuple[tuple[re.Pattern[str], time, bool, bool], ...] = (
    # (pattern, time, pinned to today when no date is given, means "today" by itself)
    (
        re.compile(
            r"\b(?:at\s+)?(?:the\s+)?"
            r"(?:eod|cob|end of (?:the )?(?:business )?day|close of business)\b"
        ),
        END_OF_DAY,
        True,
        False,
    ),
    (re.compile(r"\btonight\b"), NIGHT, True, True),
    (re.compile(r"\bthis morning\b"), MORNING, True, True),
    (re.compile(r"\bthis afternoon\b"), AFTERNOON, True, True),
    (re.compile(r"\bthis evening\b"), EVENING, True, True),
    (re.compile(r"\b(?:at\s+)?(?:noon|midday)\b"), NOON, False, False),
    (re.compile(r"\b(?:at\s+)?midnight\b"), MIDNIGHT, False, False),
    (re.compile(r"\b(?:in the\s+)?morning\b"), MORNING, False, False),
    (re.compile(r"\b(?:in the\s+)?afternoon\b"), AFTERNOON, False, False),
    (re.compile(r"\b(?:in the\s+)?evening\b"), EVENING, False, False),
    (re.compile(r"\b(?:at\s+)?night\b"), NIGHT, False, False),
)

_UNITS = (
    r"minutes?|mins?|m|hours?|hrs?|h|days?|d|business days?|working days?|"
    r"weeks?|wks?|w|months?|mos?|years?|yrs?"
)
_AMOUNT = rf"(?P<n>{_NUMBER_RE}|half an?|half)\s*(?P<unit>{_UNITS})"
_DURATION_RE = re.compile(rf"^(?:in\s+)?{_AMOUNT}(?P<tail>\s+(?:from now|from today|later))?$")
_SIGNED_SHIFT_RE = re.compile(rf"^(?P<sign>[+-])\s*{_AMOUNT}$")
_WORDED_SHIFT_RE = re.compile(rf"^{_AMOUNT}\s+(?P<way>later|earlier|sooner)$")
# How far a shift may move a date.
_SHIFT_MAX = timedelta(days=3660)

ShiftUnit = Literal["minutes", "days", "business_days", "weeks", "months", "years"]


@dataclass(frozen=True, slots=True)
class DueShift:
    """A move of a due date by an amount: `+2d`, `a week later`, `2 days earlier`.

    `count` is signed (earlier is negative); hours are counted in minutes.
    """

    count: int
    unit: ShiftUnit
    text: str
    """The shift as it was said, for messages."""

    @property
    def moves_the_clock(self) -> bool:
        """Whether it moves an instant (minutes, hours) rather than a calendar date."""
        return self.unit == "minutes"

    def apply(self, due: ResolvedDue, *, now: datetime) -> ResolvedDue:
        """`due` moved by this shift, in its own zone: a date stays a date (all-day), and a time
        of day stays that wall-clock time on the new day; minutes and hours move the instant
        in real time. `in_past` is counted against `now`.

        Raises `DueDateError` for minutes or hours on an all-day date, and for a move of more
        than ten years.
        """
        tz = due.at.tzinfo
        assert tz is not None
        # A bound on the count first, so that no calendar arithmetic overflows.
        most = _SHIFT_MAX.total_seconds() // 60 if self.moves_the_clock else _SHIFT_MAX.days
        if abs(self.count) > most:
            raise DueDateError("That moves the due date too far.")
        if self.moves_the_clock:
            if due.all_day:
                raise DueDateError(
                    f"'{self.text}' moves a time of day, but the task is due on a whole day; "
                    "move it by days, or give a time."
                )
            # Real elapsed time, as "in 2 hours" is: added in UTC, across any DST change.
            at = (due.at.astimezone(UTC) + timedelta(minutes=self.count)).astimezone(tz)
        else:
            local = due.at.astimezone(tz)
            day = self._moved_day(local.date())
            at = _localize(day, time(0, 0) if due.all_day else local.time(), tz)
        if abs(at - due.at) > _SHIFT_MAX:
            raise DueDateError("That moves the due date too far.")
        moved = ResolvedDue(at=at, all_day=due.all_day, in_past=False)
        return ResolvedDue(at=at, all_day=due.all_day, in_past=due_in_past(moved, now=now))

    def from_now(self, now: datetime) -> ResolvedDue:
        """The shift counted from `now`: an instant for minutes and hours, else a date."""
        if self.moves_the_clock:
            anchor = ResolvedDue(
                at=now.replace(second=0, microsecond=0), all_day=False, in_past=False
            )
        else:
            tz = now.tzinfo
            assert tz is not None
            anchor = ResolvedDue(
                at=_localize(now.date(), time(0, 0), tz), all_day=True, in_past=False
            )
        return self.apply(anchor, now=now)

    def _moved_day(self, day: date) -> date:
        if self.unit == "business_days":
            return _add_business_days(day, self.count)
        if self.unit == "days":
            return day + timedelta(days=self.count)
        if self.unit == "weeks":
            return day + timedelta(weeks=self.count)
        if self.unit == "months":
            return day + relativedelta(months=self.count)
        return day + relativedelta(years=self.count)


def parse_due_shift(text: str) -> DueShift | None:
    """The shift `text` says (`+2d`, `-1w`, `+3 days`, `a week later`, `2 days earlier`), or
    None when it says something else (a date, or `in 2 days`, which counts from now).

    Raises `DueDateError` for a part of a day, week or month ("half a day later").
    """
    phrase = _strip_prefixes(_normalize(text))
    match = _SIGNED_SHIFT_RE.match(phrase) or _WORDED_SHIFT_RE.match(phrase)
    if match is None:
        return None
    groups = match.groupdict()
    earlier = groups.get("sign") == "-" or groups.get("way") in ("earlier", "sooner")
    sign = -1 if earlier else 1
    amount = _count(match.group("n"))
    unit = match.group("unit")
    said = text.strip()
    if _is_clock_unit(unit):
        minutes = amount * 60 if unit.startswith("h") else amount
        if minutes != int(minutes):
            raise DueDateError(f"'{said}': say a whole number of minutes.")
        return DueShift(count=sign * int(minutes), unit="minutes", text=said)
    if amount != int(amount):
        raise DueDateError(f"'{said}': say a whole number of days, weeks or months.")
    kind: ShiftUnit
    if unit.startswith(("business", "working")):
        kind = "business_days"
    elif unit.startswith("d"):
        kind = "days"
    elif unit.startswith("w"):
        kind = "weeks"
    elif unit.startswith("m"):
        kind = "months"
    else:
        kind = "years"
    return DueShift(count=sign * int(amount), unit=kind, text=said)


def due_in_past(due: ResolvedDue, *, now: datetime) -> bool:
    """Whether `due` has passed at `now`; an all-day date passes when its day is over (in the
    zone it was given in)."""
    if not due.all_day:
        return due.at < now
    return due.day < now.astimezone(due.at.tzinfo).date()


@dataclass(frozen=True, slots=True)
class _TimeOfDay:
    at: time
    pinned_today: bool
    implies_today: bool


def resolve_due(text: str, *, now: datetime) -> ResolvedDue:
    """Resolve a due-date phrase relative to `now` (aware, in the speaker's zone)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime in the speaker's time zone")
    tz = now.tzinfo
    phrase = _normalize(text)
    if not phrase:
        raise DueDateError("The due date is empty; say when, such as 'friday' or '2026-12-03'.")

    phrase = _strip_prefixes(phrase)
    if phrase in ("now", "right now"):
        return ResolvedDue(at=now.replace(second=0, microsecond=0), all_day=False, in_past=False)
    iso = _resolve_iso(phrase, text, now=now)
    if iso is not None:
        return iso
    duration = _DURATION_RE.match(phrase)
    if duration is not None and _is_clock_unit(duration.group("unit")):
        return _resolve_clock_duration(duration, now=now)
    shift = parse_due_shift(text)
    if shift is not None:
        return shift.from_now(now)

    time_of_day, rest = _extract_time(phrase, text)
    day = _resolve_day(rest, text, now=now)
    if day is None and rest:
        return _resolve_with_dateparser(phrase, text, now=now)
    if day is None:
        assert time_of_day is not None
        at = _localize(now.date(), time_of_day.at, tz)
        if at < now and not time_of_day.pinned_today:
            at = _localize(now.date() + timedelta(days=1), time_of_day.at, tz)
        return ResolvedDue(at=at, all_day=False, in_past=at < now)
    if time_of_day is None:
        at = _localize(day, time(0, 0), tz)
        return ResolvedDue(at=at, all_day=True, in_past=day < now.date())
    if time_of_day.implies_today and day != now.date():
        raise DueDateError(f"'{text.strip()}' names two different days; say just one.")
    at = _localize(day, time_of_day.at, tz)
    return ResolvedDue(at=at, all_day=False, in_past=at < now)


def _normalize(text: str) -> str:
    phrase = text.strip().lower()
    phrase = phrase.replace("a.m.", "am").replace("p.m.", "pm")
    phrase = re.sub(r"\s+", " ", phrase)
    return phrase.strip(" .!?;")


def _strip_prefixes(phrase: str) -> str:
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if phrase.startswith(prefix) and len(phrase) > len(prefix):
                phrase = phrase[len(prefix) :].strip()
                changed = True
    return phrase


def _localize(day: date, at: time, tz: tzinfo) -> datetime:
    """The wall-clock time `at` on `day` in `tz`, moved past a DST gap if it falls in one."""
    naive = datetime.combine(day, at, tzinfo=tz)
    # A round trip through UTC turns a non-existent wall time (inside a spring-forward gap)
    # into the real instant, shown with the offset in force at that instant.
    return naive.astimezone(UTC).astimezone(tz)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _month_name(month: int) -> str:
    return calendar.month_name[month]


def _make_date(year: int, month: int, day: int, text: str) -> date:
    """A date, or a `DueDateError` saying why it does not exist."""
    if not 1 <= month <= 12:
        raise DueDateError(
            f"'{text.strip()}' is not a date: there is no month {month} "
            "(numeric dates are read month/day)."
        )
    days_in_month = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days_in_month:
        raise DueDateError(
            f"'{text.strip()}' is not a date: {_month_name(month)} {year} has {days_in_month} days."
        )
    return date(year, month, day)


def _check_day_exists_sometime(month: int, day: int, text: str) -> None:
    if not 1 <= month <= 12:
        raise DueDateError(
            f"'{text.strip()}' is not a date: there is no month {month} "
            "(numeric dates are read month/day)."
        )
    most = 29 if month == 2 else calendar.monthrange(2001, month)[1]
    if not 1 <= day <= most:
        raise DueDateError(
            f"'{text.strip()}' is not a date: {_month_name(month)} has no {_ordinal(day)}; "
            f"it has {most} days{' at most' if month == 2 else ''}."
        )


def _resolve_iso(phrase: str, text: str, *, now: datetime) -> ResolvedDue | None:
    match = _ISO_RE.match(phrase)
    if match is None:
        return None
    tz = now.tzinfo
    assert tz is not None
    year, month, day = (int(part) for part in match.group(1, 2, 3))
    on = _make_date(year, month, day, text)
    if match.group(4) is None:
        return ResolvedDue(at=_localize(on, time(0, 0), tz), all_day=True, in_past=on < now.date())
    hour, minute = int(match.group(4)), int(match.group(5))
    if hour > 23 or minute > 59:
        raise DueDateError(f"'{text.strip()}' is not a date: {hour}:{minute:02d} is not a time.")
    try:
        parsed = datetime.fromisoformat(phrase.upper().replace(" ", "T", 1))
    except ValueError as error:
        raise DueDateError(
            f"'{text.strip()}' is not an ISO date and time such as 2026-12-03T17:00 "
            "or 2026-12-03T17:00-05:00."
        ) from error
    if parsed.tzinfo is None:
        at = _localize(parsed.date(), parsed.time(), tz)
    else:
        at = parsed.astimezone(tz)
    return ResolvedDue(at=at, all_day=False, in_past=at < now)


def _is_clock_unit(unit: str) -> bool:
    return unit[0] in "mh" and not unit.startswith("mo")


def _count(word: str) -> float:
    if word.isdigit():
        return int(word)
    if word.startswith("half"):
        return 0.5
    return _NUMBER_WORDS[word]


def _resolve_clock_duration(match: re.Match[str], *, now: datetime) -> ResolvedDue:
    tz = now.tzinfo
    assert tz is not None
    amount = _count(match.group("n"))
    unit = match.group("unit")
    delta = timedelta(hours=amount) if unit.startswith("h") else timedelta(minutes=amount)
    if delta > timedelta(days=3660):
        raise DueDateError("That is too far in the future for a due date.")
    # Durations are real elapsed time: add them in UTC, so that "in 2 hours" across a DST
    # change is still two hours away.
    at = (now.astimezone(UTC) + delta).astimezone(tz).replace(second=0, microsecond=0)
    return ResolvedDue(at=at, all_day=False, in_past=False)


def _clock(hour: int, minute: int, meridiem: str | None, text: str) -> time:
    if meridiem is not None:
        if not 1 <= hour <= 12 or minute > 59:
            said = f"{hour}{meridiem}" if minute == 0 else f"{hour}:{minute:02d}{meridiem}"
            raise DueDateError(f"'{text.strip()}' has a time that does not exist ({said}).")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
        return time(hour, minute)
    if hour > 23 or minute > 59:
        raise DueDateError(
            f"'{text.strip()}' has a time that does not exist ({hour}:{minute:02d})."
        )
    # A bare "at 5" or "5:30" at work means the afternoon.
    if 1 <= hour <= 7:
        hour += 12
    return time(hour, minute)


def _extract_time(phrase: str, text: str) -> tuple[_TimeOfDay | None, str]:
    """Find one time of day in `phrase`; return it and the phrase without it."""
    found: _TimeOfDay | None = None
    rest = phrase
    match = _TIME_12H.search(rest)
    if match is not None:
        found = _TimeOfDay(
            _clock(int(match.group(1)), int(match.group(2) or 0), match.group(3), text),
            pinned_today=False,
            implies_today=False,
        )
    else:
        match = _TIME_HM.search(rest)
        if match is not None:
            hour, minute = int(match.group(1)), int(match.group(2))
            leading_zero = match.group(1).startswith("0") or hour >= 13
            found = _TimeOfDay(
                time(hour, minute)
                if leading_zero and hour <= 23 and minute <= 59
                else _clock(hour, minute, None, text),
                pinned_today=False,
                implies_today=False,
            )
        else:
            match = _TIME_AT_HOUR.search(rest)
            if match is not None:
                found = _TimeOfDay(
                    _clock(int(match.group(1)), 0, None, text),
                    pinned_today=False,
                    implies_today=False,
                )
    if match is None:
        for pattern, at, pinned, implies_today in _TIME_WORDS:
            match = pattern.search(rest)
            if match is not None:
                found = _TimeOfDay(at, pinned_today=pinned, implies_today=implies_today)
                break
    if match is None:
        return None, phrase
    rest = (rest[: match.start()] + " " + rest[match.end() :]).strip()
    rest = re.sub(r"\s+", " ", rest)
    rest = re.sub(r"(^|\s)(?:at|on|by|,)$", "", rest).strip(" ,")
    rest = re.sub(r"^(?:at|on|by)\s+", "", rest).strip(" ,")
    if found is not None and found.implies_today and not rest:
        rest = "today"
    return found, rest


def _next_weekday(after: date, weekday: int) -> date:
    """The first `weekday` strictly after `after`."""
    days = (weekday - after.weekday() - 1) % 7 + 1
    return after + timedelta(days=days)


def _next_monday(today: date) -> date:
    return _next_weekday(today, 0)


def _end_of_week(today: date) -> date:
    if today.weekday() <= 4:
        return today + timedelta(days=4 - today.weekday())
    return _next_weekday(today, 4)


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_business_days(start: date, count: int) -> date:
    """`count` weekdays after `start` (before it when negative)."""
    step = timedelta(days=1 if count >= 0 else -1)
    left = abs(count)
    day = start
    while left > 0:
        day += step
        if day.weekday() < 5:
            left -= 1
    return day


def _next_month_day(today: date, month: int, day: int) -> date:
    """The next `month`/`day` that exists, today included."""
    for year in range(today.year, today.year + 9):
        if day <= calendar.monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
    raise DueDateError(f"{_month_name(month)} {day} does not come up in the next few years.")


def _next_day_of_month(today: date, day: int, text: str) -> date:
    if not 1 <= day <= 31:
        raise DueDateError(f"'{text.strip()}' is not a date: months have 1 to 31 days.")
    year, month = today.year, today.month
    for _ in range(13):
        if day <= calendar.monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise DueDateError(f"'{text.strip()}' is not a date I can place.")  # pragma: no cover


_SIMPLE_DAYS: dict[str, int] = {
    "today": 0,
    "tod": 0,
    "tomorrow": 1,
    "tmr": 1,
    "tmrw": 1,
    "tomorow": 1,
    "tommorow": 1,
    "tommorrow": 1,
    "day after tomorrow": 2,
    "the day after tomorrow": 2,
    "yesterday": -1,
}

_WEEKDAY_ONLY = re.compile(
    rf"^(?:(this|next|coming|the coming|last|this coming)\s+)?({_WEEKDAY_RE})$"
)
_WEEKDAY_NEXT_WEEK = re.compile(
    rf"^(?:({_WEEKDAY_RE}),?\s+(?:of\s+)?next week|next week,?\s+(?:on\s+)?({_WEEKDAY_RE}))$"
)
_MONTH_DAY = re.compile(
    rf"^(?:(?P<wd>{_WEEKDAY_RE}),?\s+)?(?P<month>{_MONTH_RE})\.?\s+(?:the\s+)?(?P<day>\d{{1,2}}){_ORDINAL}?"
    r"(?:,?\s+(?P<year>\d{4}))?$"
)
_DAY_MONTH = re.compile(
    rf"^(?:(?P<wd>{_WEEKDAY_RE}),?\s+)?(?:the\s+)?(?P<day>\d{{1,2}}){_ORDINAL}?\s+(?:of\s+)?"
    rf"(?P<month>{_MONTH_RE})\.?(?:,?\s+(?P<year>\d{{4}}))?$"
)
_NUMERIC = re.compile(
    rf"^(?:(?P<wd>{_WEEKDAY_RE}),?\s+)?(?P<month>\d{{1,2}})/(?P<day>\d{{1,2}})(?:/(?P<year>\d{{2}}|\d{{4}}))?$"
)
_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_OF_MONTH = re.compile(rf"^(?:the\s+(?P<a>\d{{1,2}}){_ORDINAL}?|(?P<b>\d{{1,2}}){_ORDINAL})$")


def _resolve_day(rest: str, text: str, *, now: datetime) -> date | None:
    """The calendar day a date phrase (without a time of day) names, or None if unknown."""
    today = now.date()
    if not rest:
        return None
    if rest in _SIMPLE_DAYS:
        return today + timedelta(days=_SIMPLE_DAYS[rest])
    match = _ISO_DAY.match(rest)
    if match is not None:
        return _make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)), text)

    match = _WEEKDAY_ONLY.match(rest)
    if match is not None:
        weekday = _WEEKDAYS[match.group(2)]
        if match.group(1) == "last":
            return _next_weekday(today, weekday) - timedelta(days=7)
        return _next_weekday(today, weekday)
    match = _WEEKDAY_NEXT_WEEK.match(rest)
    if match is not None:
        weekday = _WEEKDAYS[match.group(1) or match.group(2)]
        return _next_monday(today) + timedelta(days=weekday)

    named = _resolve_named_period(rest, today)
    if named is not None:
        return named

    duration = _DURATION_RE.match(rest)
    if duration is not None and not _is_clock_unit(duration.group("unit")):
        return _resolve_day_duration(duration, today, text)

    for pattern in (_MONTH_DAY, _DAY_MONTH):
        match = pattern.match(rest)
        if match is not None:
            month = _MONTHS[match.group("month")]
            return _calendar_day(match, month, today, text)
    match = _NUMERIC.match(rest)
    if match is not None:
        first, second = int(match.group("month")), int(match.group("day"))
        if first > 12 >= second or (second <= 12 and reads_day_first(now.tzinfo)):
            # "15/12" anywhere, and "9/12" in London, is a day then a month.
            return _calendar_day(match, second, today, text, day=first)
        return _calendar_day(match, first, today, text, day=second)
    match = _DAY_OF_MONTH.match(rest)
    if match is not None:
        return _next_day_of_month(today, int(match.group("a") or match.group("b")), text)
    return None


# Where numeric dates are written month first: the United States and its territories, Canada
# (where both are seen, month first is the common one in software) and the Philippines.
_MONTH_FIRST_ZONES = re.compile(
    r"^(?:America/(?:New_York|Chicago|Denver|Los_Angeles|Phoenix|Anchorage|Boise|Detroit|Juneau"
    r"|Sitka|Nome|Yakutat|Metlakatla|Adak|Menominee|Indiana/.+|Kentucky/.+|North_Dakota/.+"
    r"|Indianapolis|Louisville|Toronto|Vancouver|Edmonton|Winnipeg|Halifax|St_Johns|Regina"
    r"|Montreal|Moncton|Whitehorse|Yellowknife|Iqaluit|Puerto_Rico)"
    r"|US/.+|Canada/.+|Pacific/(?:Honolulu|Guam)|Asia/Manila|UTC|Etc/.+|GMT)$"
)


def reads_day_first(tz: tzinfo | None) -> bool:
    """Whether people in this zone write "9/12" for the 9th of December (most of the world)
    rather than September 12th (the United States, Canada, the Philippines; and UTC, where the
    zone says nothing)."""
    key = getattr(tz, "key", None)
    if not isinstance(key, str):
        return False
    return _MONTH_FIRST_ZONES.match(key) is None


def _resolve_named_period(rest: str, today: date) -> date | None:
    phrase = re.sub(r"^(?:the\s+)?", "", rest)
    phrase = phrase.replace("end of the ", "end of ").replace("end of this ", "end of ")
    next_month_first = today.replace(day=1) + relativedelta(months=1)
    quarter_last_month = (today.month - 1) // 3 * 3 + 3
    periods: dict[str, date] = {
        "next week": _next_monday(today),
        "this week": _end_of_week(today),
        "end of week": _end_of_week(today),
        "eow": _end_of_week(today),
        "end of next week": _next_monday(today) + timedelta(days=4),
        "weekend": today if today.weekday() >= 5 else _next_weekday(today, 5),
        "this weekend": today if today.weekday() >= 5 else _next_weekday(today, 5),
        "next weekend": _next_monday(today) + timedelta(days=5),
        "end of month": _last_day(today.year, today.month),
        "eom": _last_day(today.year, today.month),
        "next month": next_month_first,
        "start of next month": next_month_first,
        "beginning of next month": next_month_first,
        "end of next month": _last_day(next_month_first.year, next_month_first.month),
        "end of quarter": _last_day(today.year, quarter_last_month),
        "eoq": _last_day(today.year, quarter_last_month),
        "end of year": date(today.year, 12, 31),
        "eoy": date(today.year, 12, 31),
        "next year": date(today.year + 1, 1, 1),
    }
    return periods.get(phrase)


def _resolve_day_duration(match: re.Match[str], today: date, text: str) -> date:
    amount = _count(match.group("n"))
    unit = match.group("unit")
    if amount != int(amount):
        raise DueDateError(f"'{text.strip()}': say a whole number of days, weeks or months.")
    count = int(amount)
    if count > 3650:
        raise DueDateError("That is too far in the future for a due date.")
    if unit.startswith(("business", "working")):
        return _add_business_days(today, count)
    if unit.startswith("d"):
        return today + timedelta(days=count)
    if unit.startswith("w"):
        return today + timedelta(weeks=count)
    if unit.startswith("m"):
        return today + relativedelta(months=count)
    return today + relativedelta(years=count)


def _calendar_day(
    match: re.Match[str], month: int, today: date, text: str, *, day: int | None = None
) -> date:
    day = int(match.group("day")) if day is None else day
    year_text = match.group("year")
    if year_text is not None:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        result = _make_date(year, month, day, text)
    else:
        _check_day_exists_sometime(month, day, text)
        result = _next_month_day(today, month, day)
    weekday_text = match.group("wd")
    if weekday_text is not None and _WEEKDAYS[weekday_text] != result.weekday():
        raise DueDateError(
            f"{result.strftime('%B')} {result.day}, {result.year} is a "
            f"{result.strftime('%A')}, not a {calendar.day_name[_WEEKDAYS[weekday_text]]}."
        )
    return result


def _resolve_with_dateparser(phrase: str, text: str, *, now: datetime) -> ResolvedDue:
    # Imported here: dateparser takes a noticeable time to import, and most phrases never
    # need it.
    from dateparser.date import DateDataParser

    tz = now.tzinfo
    assert tz is not None
    # English only: with no language detection, dateparser needs nothing but its own data.
    parser = DateDataParser(
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": now.replace(tzinfo=None),
            "RETURN_TIME_AS_PERIOD": True,
            "DATE_ORDER": "MDY",
            "PREFER_DAY_OF_MONTH": "first",
        },
    )
    try:
        data = parser.get_date_data(phrase)
    except (ValueError, OverflowError):  # pragma: no cover - dateparser rejects odd input
        data = None
    if data is None or data.date_obj is None:
        raise DueDateError(
            f"I could not read '{text.strip()}' as a due date. Try a date such as 2026-12-03, "
            "'friday', 'tomorrow 5pm' or 'in 3 days'."
        )
    parsed = data.date_obj
    timed = data.period in ("time", "part_of_day")
    if parsed.tzinfo is not None:
        at = parsed.astimezone(tz)
    elif timed:
        at = _localize(parsed.date(), parsed.time().replace(second=0, microsecond=0), tz)
    else:
        at = _localize(parsed.date(), time(0, 0), tz)
    if not timed:
        day = at.date()
        return ResolvedDue(
            at=_localize(day, time(0, 0), tz), all_day=True, in_past=day < now.date()
        )
    return ResolvedDue(at=at, all_day=False, in_past=at < now)


def zone_name(tz: tzinfo | None) -> str:
    """A storable name for a zone: the IANA key, `UTC`, or a fixed offset such as `+05:30`."""
    if tz is None:
        return "UTC"
    if isinstance(tz, ZoneInfo):
        return tz.key
    offset = tz.utcoffset(None)
    if offset is None or offset == timedelta(0):
        return "UTC"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def zone_from_name(name: str | None) -> tzinfo:
    """The zone `zone_name` stored; UTC when it is missing or unknown."""
    if not name or name == "UTC":
        return UTC
    match = re.fullmatch(r"([+-])(\d{2}):(\d{2})", name)
    if match is not None:
        minutes = int(match.group(2)) * 60 + int(match.group(3))
        sign = -1 if match.group(1) == "-" else 1
        return timezone(timedelta(minutes=sign * minutes))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def due_of(task: Task | TaskRow) -> ResolvedDue | None:
    """A task's due date as a `ResolvedDue` in the zone it was given in (None if it has none).

    `in_past` is False here: the task does not know the reader's `now`.
    """
    if task.due_at is None:
        return None
    zone = zone_from_name(task.due_tz)
    return ResolvedDue(at=task.due_at.astimezone(zone), all_day=task.due_all_day, in_past=False)


def format_due(value: Task | ResolvedDue | None, *, tz: tzinfo, now: datetime | None = None) -> str:
    """A due date for people: `Fri Nov 27` or `Fri Nov 27 5:00 PM` (in `tz`).

    All-day dates read as the day they were given for, whatever `tz` is. The year is added
    when it differs from `now`'s.
    """
    due = value if isinstance(value, ResolvedDue) or value is None else due_of(value)
    if due is None:
        return "no due date"
    local = due.at if due.all_day else due.at.astimezone(tz)
    text = f"{local.strftime('%a %b')} {local.day}"
    if now is not None and local.year != now.year:
        text += f", {local.year}"
    if due.all_day:
        return text
    hour = local.hour % 12 or 12
    return f"{text} {hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
