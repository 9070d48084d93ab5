"""Due dates as people say them, resolved in the speaker's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tasks.due_dates import (
    DueShift,
    ResolvedDue,
    ShiftUnit,
    due_in_past,
    format_due,
    parse_due_shift,
    resolve_due,
    zone_from_name,
    zone_name,
)
from tasks.errors import DueDateError

NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
# Wednesday, November 25th 2026, 10:00 in New York.
WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=NY)
FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=NY)


def day(text: str, now: datetime = WEDNESDAY) -> date:
    resolved = resolve_due(text, now=now)
    assert resolved.all_day, f"{text!r} should be all-day, got {resolved}"
    assert resolved.at.time() == time(0, 0)
    return resolved.at.date()


def moment(text: str, now: datetime = WEDNESDAY) -> datetime:
    resolved = resolve_due(text, now=now)
    assert not resolved.all_day, f"{text!r} should have a time, got {resolved}"
    return resolved.at


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", date(2026, 11, 25)),
        ("Tomorrow", date(2026, 11, 26)),
        ("day after tomorrow", date(2026, 11, 27)),
        ("friday", date(2026, 11, 27)),
        ("Friday", date(2026, 11, 27)),
        ("this friday", date(2026, 11, 27)),
        ("next friday", date(2026, 11, 27)),
        ("by next Friday", date(2026, 11, 27)),
        ("fri", date(2026, 11, 27)),
        ("monday", date(2026, 11, 30)),
        ("wednesday", date(2026, 12, 2)),
        ("friday next week", date(2026, 12, 4)),
        ("next week friday", date(2026, 12, 4)),
        ("in 3 days", date(2026, 11, 28)),
        ("in a week", date(2026, 12, 2)),
        ("a week from today", date(2026, 12, 2)),
        ("2 days from now", date(2026, 11, 27)),
        ("in two weeks", date(2026, 12, 9)),
        ("in 2 months", date(2027, 1, 25)),
        ("in 3 business days", date(2026, 11, 30)),
        ("end of week", date(2026, 11, 27)),
        ("EOW", date(2026, 11, 27)),
        ("by the end of the week", date(2026, 11, 27)),
        ("end of next week", date(2026, 12, 4)),
        ("end of month", date(2026, 11, 30)),
        ("eom", date(2026, 11, 30)),
        ("end of the month", date(2026, 11, 30)),
        ("next week", date(2026, 11, 30)),
        ("next month", date(2026, 12, 1)),
        ("end of next month", date(2026, 12, 31)),
        ("end of quarter", date(2026, 12, 31)),
        ("next year", date(2027, 1, 1)),
        ("weekend", date(2026, 11, 28)),
        ("Dec 3", date(2026, 12, 3)),
        ("december 3rd", date(2026, 12, 3)),
        ("3 Dec", date(2026, 12, 3)),
        ("the 3rd of December", date(2026, 12, 3)),
        ("December 3rd, 2027", date(2027, 12, 3)),
        ("12/3", date(2026, 12, 3)),
        ("12/3/2026", date(2026, 12, 3)),
        ("12/3/27", date(2027, 12, 3)),
        ("fri dec 4", date(2026, 12, 4)),
        ("the 31st", date(2026, 12, 31)),
        ("on the 26th", date(2026, 11, 26)),
        ("the 25th", date(2026, 11, 25)),
        ("2026-12-03", date(2026, 12, 3)),
        ("due 2026-12-03", date(2026, 12, 3)),
        # A calendar date without a year is its next occurrence.
        ("Nov 20", date(2027, 11, 20)),
        ("feb 29", date(2028, 2, 29)),
    ],
)
def test_dates_without_a_time_are_all_day(text: str, expected: date) -> None:
    assert day(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow 5pm", datetime(2026, 11, 26, 17, 0)),
        ("tomorrow at 5 pm", datetime(2026, 11, 26, 17, 0)),
        ("5pm tomorrow", datetime(2026, 11, 26, 17, 0)),
        ("tomorrow at 5", datetime(2026, 11, 26, 17, 0)),
        ("by friday 5pm", datetime(2026, 11, 27, 17, 0)),
        ("friday at 9:30am", datetime(2026, 11, 27, 9, 30)),
        ("Dec 3 at 15:00", datetime(2026, 12, 3, 15, 0)),
        ("12/3 at 9 a.m.", datetime(2026, 12, 3, 9, 0)),
        ("at 3pm", datetime(2026, 11, 25, 15, 0)),
        ("noon", datetime(2026, 11, 25, 12, 0)),
        ("eod", datetime(2026, 11, 25, 17, 0)),
        ("by EOD", datetime(2026, 11, 25, 17, 0)),
        ("friday eod", datetime(2026, 11, 27, 17, 0)),
        ("tonight", datetime(2026, 11, 25, 20, 0)),
        ("this afternoon", datetime(2026, 11, 25, 14, 0)),
        ("tomorrow morning", datetime(2026, 11, 26, 9, 0)),
        ("tomorrow night", datetime(2026, 11, 26, 20, 0)),
        ("midnight", datetime(2026, 11, 25, 23, 59)),
        ("in 2 hours", datetime(2026, 11, 25, 12, 0)),
        ("in 90 minutes", datetime(2026, 11, 25, 11, 30)),
        ("in half an hour", datetime(2026, 11, 25, 10, 30)),
        ("2026-12-03T17:00", datetime(2026, 12, 3, 17, 0)),
        ("2026-12-03 17:00", datetime(2026, 12, 3, 17, 0)),
        ("2026-12-03 at 5pm", datetime(2026, 12, 3, 17, 0)),
        ("5pm on 2026-12-03", datetime(2026, 12, 3, 17, 0)),
    ],
)
def test_times_are_wall_clock_in_the_speakers_zone(text: str, expected: datetime) -> None:
    at = moment(text)
    assert at.tzinfo is NY
    assert at.replace(tzinfo=None) == expected


def test_a_time_that_has_passed_today_means_tomorrow() -> None:
    assert moment("at 9am") == datetime(2026, 11, 26, 9, 0, tzinfo=NY)
    assert moment("9:00") == datetime(2026, 11, 26, 9, 0, tzinfo=NY)


def test_end_of_day_stays_today_even_when_late() -> None:
    late = datetime(2026, 11, 25, 18, 30, tzinfo=NY)
    resolved = resolve_due("eod", now=late)
    assert resolved.at == datetime(2026, 11, 25, 17, 0, tzinfo=NY)
    assert resolved.in_past


def test_bare_hours_read_as_working_hours() -> None:
    assert moment("at 7").hour == 19
    assert moment("at 8").hour == 8
    assert moment("at 12").hour == 12
    assert moment("tomorrow 7:30").time() == time(19, 30)
    assert moment("tomorrow 07:30").time() == time(7, 30)


def test_iso_with_an_offset_keeps_the_instant() -> None:
    at = moment("2026-12-03T22:00:00Z")
    assert at == datetime(2026, 12, 3, 17, 0, tzinfo=NY)
    assert at.tzinfo is NY
    assert moment("2026-12-03T17:00-08:00") == datetime(2026, 12, 3, 20, 0, tzinfo=NY)


def test_weekdays_never_mean_today() -> None:
    # Said on a Friday, "friday" and "next friday" are the Friday a week later.
    assert day("friday", FRIDAY) == date(2026, 12, 4)
    assert day("next friday", FRIDAY) == date(2026, 12, 4)
    assert day("this friday", FRIDAY) == date(2026, 12, 4)
    assert day("friday next week", FRIDAY) == date(2026, 12, 4)
    # On a Saturday the coming Friday is six days away.
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=NY)
    assert day("next friday", saturday) == date(2026, 12, 4)
    assert day("last friday", saturday) == date(2026, 11, 27)


def test_end_of_week_on_a_friday_is_today_and_on_a_weekend_the_next_friday() -> None:
    assert day("end of week", FRIDAY) == date(2026, 11, 27)
    sunday = datetime(2026, 11, 29, 9, 0, tzinfo=NY)
    assert day("eow", sunday) == date(2026, 12, 4)


def test_end_of_month_on_the_last_day_and_in_february() -> None:
    last_day = datetime(2026, 11, 30, 9, 0, tzinfo=NY)
    assert day("end of month", last_day) == date(2026, 11, 30)
    february = datetime(2028, 2, 10, 9, 0, tzinfo=NY)
    assert day("eom", february) == date(2028, 2, 29)
    january_31 = datetime(2027, 1, 31, 9, 0, tzinfo=NY)
    assert day("in 1 month", january_31) == date(2027, 2, 28)
    assert day("next month", datetime(2026, 12, 15, 9, 0, tzinfo=NY)) == date(2027, 1, 1)


def test_the_31st_skips_months_without_one() -> None:
    assert day("the 31st") == date(2026, 12, 31)
    april = datetime(2027, 4, 2, 9, 0, tzinfo=NY)
    assert day("the 31st", april) == date(2027, 5, 31)
    assert day("the 30th", datetime(2027, 2, 2, 9, 0, tzinfo=NY)) == date(2027, 3, 30)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("the 31st of February", "February has no 31st"),
        ("February 30", "February has no 30th"),
        ("feb 31 5pm", "February has no 31st"),
        ("2026-02-30", "February 2026 has 28 days"),
        ("2026-02-29", "February 2026 has 28 days"),
        ("2/29/2027", "February 2027 has 28 days"),
        ("April 31st", "April has no 31st"),
        ("13/13", "no month 13"),
        ("2026-13-01", "no month 13"),
        ("2026-02-30 9am", "February 2026 has 28 days"),
        ("the 32nd", "1 to 31 days"),
        ("tomorrow 13pm", "13pm"),
        ("25:00", "25:00"),
        ("thu dec 4", "December 4, 2026 is a Friday, not a Thursday"),
        ("sometime soonish", "could not read 'sometime soonish'"),
        ("   ", "empty"),
    ],
)
def test_impossible_or_unreadable_dates_are_refused_clearly(text: str, words: str) -> None:
    with pytest.raises(DueDateError) as raised:
        resolve_due(text, now=WEDNESDAY)
    assert words in str(raised.value)


def test_past_dates_are_allowed_but_flagged() -> None:
    yesterday = resolve_due("yesterday", now=WEDNESDAY)
    assert yesterday.in_past
    assert yesterday.at.date() == date(2026, 11, 24)
    assert resolve_due("2026-01-15", now=WEDNESDAY).in_past
    assert resolve_due("2026-11-25T09:00", now=WEDNESDAY).in_past
    # Today as a whole day is not past while it lasts.
    assert not resolve_due("today", now=WEDNESDAY).in_past
    assert not resolve_due("in 2 hours", now=WEDNESDAY).in_past


def test_a_time_on_the_spring_forward_day_gets_daylight_time() -> None:
    sunday = datetime(2026, 3, 8, 0, 30, tzinfo=NY)  # EST; clocks jump 2:00 -> 3:00
    at = moment("today 5pm", sunday)
    assert at.utcoffset() == timedelta(hours=-4)
    assert at.astimezone(ZoneInfo("UTC")).hour == 21
    # 2:30 does not exist that night; it moves forward by the hour the clocks skip.
    skipped = moment("today 2:30am", sunday)
    assert (skipped.hour, skipped.minute) == (3, 30)
    assert skipped.utcoffset() == timedelta(hours=-4)
    # The day itself starts in standard time.
    start = resolve_due("2026-03-08", now=sunday).at
    assert start.utcoffset() == timedelta(hours=-5)


def test_a_time_on_the_fall_back_day_gets_standard_time() -> None:
    sunday = datetime(2026, 11, 1, 0, 30, tzinfo=NY)  # EDT; clocks go 2:00 -> 1:00
    at = moment("today 5pm", sunday)
    assert at.utcoffset() == timedelta(hours=-5)
    assert at.astimezone(ZoneInfo("UTC")).hour == 22
    morning = moment("2026-11-01T09:00", sunday)
    assert morning.utcoffset() == timedelta(hours=-5)


def elapsed(start: datetime, end: datetime) -> timedelta:
    # Subtracting two datetimes of the same zone gives wall-clock time; compare in UTC.
    return end.astimezone(UTC) - start.astimezone(UTC)


def test_durations_count_real_hours_across_a_dst_change() -> None:
    before_jump = datetime(2026, 3, 8, 1, 30, tzinfo=NY)
    at = moment("in 2 hours", before_jump)
    assert elapsed(before_jump, at) == timedelta(hours=2)
    assert (at.hour, at.minute) == (4, 30)
    before_fall = datetime(2026, 11, 1, 0, 30, tzinfo=NY)
    at = moment("in 2 hours", before_fall)
    assert elapsed(before_fall, at) == timedelta(hours=2)
    assert (at.hour, at.utcoffset()) == (1, timedelta(hours=-5))


def test_relative_dates_follow_the_speakers_own_zone() -> None:
    # 10:00 in New York is already Thursday in Tokyo.
    tokyo_now = WEDNESDAY.astimezone(TOKYO)
    assert day("tomorrow", tokyo_now) == date(2026, 11, 27)
    assert resolve_due("tomorrow", now=tokyo_now).at.tzinfo is TOKYO


def test_phrases_only_dateparser_knows_still_resolve() -> None:
    resolved = resolve_due("next tuesday at 4pm", now=WEDNESDAY)
    assert resolved.at == datetime(2026, 12, 1, 16, 0, tzinfo=NY)
    assert not resolved.all_day
    assert day("december") == date(2026, 12, 1)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        resolve_due("tomorrow", now=datetime(2026, 11, 25, 10, 0))


def test_format_due_for_people() -> None:
    assert format_due(resolve_due("friday", now=WEDNESDAY), tz=NY) == "Fri Nov 27"
    assert format_due(resolve_due("friday 5pm", now=WEDNESDAY), tz=NY) == "Fri Nov 27 5:00 PM"
    assert format_due(resolve_due("tomorrow 12:05", now=WEDNESDAY), tz=NY) == "Thu Nov 26 12:05 PM"
    # A timed due date reads in the reader's zone; an all-day one stays on its day.
    timed = resolve_due("friday 5pm", now=WEDNESDAY)
    assert format_due(timed, tz=TOKYO) == "Sat Nov 28 7:00 AM"
    assert format_due(resolve_due("friday", now=WEDNESDAY), tz=TOKYO) == "Fri Nov 27"
    next_year = resolve_due("2027-01-08", now=WEDNESDAY)
    assert format_due(next_year, tz=NY, now=WEDNESDAY) == "Fri Jan 8, 2027"
    assert format_due(None, tz=NY) == "no due date"


def test_zone_names_round_trip() -> None:
    assert zone_name(NY) == "America/New_York"
    assert zone_from_name("America/New_York") == NY
    fixed = datetime(2026, 1, 1, tzinfo=zone_from_name("+05:30"))
    assert fixed.utcoffset() == timedelta(hours=5, minutes=30)
    assert zone_name(fixed.tzinfo) == "+05:30"
    assert zone_from_name("Not/AZone").utcoffset(None) == timedelta(0)
    assert zone_name(None) == "UTC"


def test_resolved_due_is_frozen() -> None:
    resolved = ResolvedDue(at=WEDNESDAY, all_day=False, in_past=False)
    with pytest.raises(AttributeError):
        resolved.at = FRIDAY  # pyright: ignore[reportAttributeAccessIssue]
    assert resolved.day == date(2026, 11, 25)


# --- shifts: "+2d", "a week later" ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "count", "unit"),
    [
        ("+2d", 2, "days"),
        ("-1d", -1, "days"),
        ("+1w", 1, "weeks"),
        ("+3 days", 3, "days"),
        ("+ 2 weeks", 2, "weeks"),
        ("a week later", 1, "weeks"),
        ("two days later", 2, "days"),
        ("2 days earlier", -2, "days"),
        ("a day sooner", -1, "days"),
        ("a couple of days later", 2, "days"),
        ("3 business days later", 3, "business_days"),
        ("a month later", 1, "months"),
        ("+2h", 120, "minutes"),
        ("an hour earlier", -60, "minutes"),
        ("half an hour later", 30, "minutes"),
        ("By +2d.", 2, "days"),
    ],
)
def test_shifts_are_read_with_their_direction(text: str, count: int, unit: ShiftUnit) -> None:
    assert parse_due_shift(text) == DueShift(count=count, unit=unit, text=text.strip())


@pytest.mark.parametrize("text", ["friday", "in 2 days", "2 days", "tomorrow 5pm", "+", "later"])
def test_dates_and_durations_from_now_are_not_shifts(text: str) -> None:
    assert parse_due_shift(text) is None


def test_half_a_day_is_not_a_shift_anyone_can_place() -> None:
    with pytest.raises(DueDateError, match="whole number of days"):
        parse_due_shift("half a day later")


def shifted(text: str, due: ResolvedDue, now: datetime = WEDNESDAY) -> ResolvedDue:
    shift = parse_due_shift(text)
    assert shift is not None
    return shift.apply(due, now=now)


def test_a_shift_keeps_the_wall_clock_time_across_a_dst_change() -> None:
    # Clocks go back on November 1st, 2026 in New York: 5pm stays 5pm.
    due = ResolvedDue(at=datetime(2026, 10, 30, 17, 0, tzinfo=NY), all_day=False, in_past=False)
    moved = shifted("+3 days", due)
    assert moved.at == datetime(2026, 11, 2, 17, 0, tzinfo=NY) and not moved.all_day
    assert moved.at.utcoffset() == timedelta(hours=-5)
    # Hours are real time: two hours after 1:30 (EDT) on the night the clocks go back.
    night = ResolvedDue(at=datetime(2026, 11, 1, 0, 30, tzinfo=NY), all_day=False, in_past=False)
    assert shifted("+2h", night).at.astimezone(UTC) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


def test_a_shift_stays_in_the_zone_the_due_date_was_given_in() -> None:
    due = ResolvedDue(at=datetime(2026, 12, 1, 9, 0, tzinfo=TOKYO), all_day=False, in_past=False)
    moved = shifted("a week later", due)
    assert moved.at == datetime(2026, 12, 8, 9, 0, tzinfo=TOKYO)


def test_month_and_business_day_shifts_land_on_real_days() -> None:
    jan31 = ResolvedDue(at=datetime(2027, 1, 31, tzinfo=NY), all_day=True, in_past=False)
    assert shifted("a month later", jan31).day == date(2027, 2, 28)
    monday = ResolvedDue(at=datetime(2026, 11, 30, tzinfo=NY), all_day=True, in_past=False)
    assert shifted("2 business days earlier", monday).day == date(2026, 11, 26)
    assert shifted("+ 5 business days", monday).day == date(2026, 12, 7)


def test_a_shift_into_the_past_says_so() -> None:
    today = ResolvedDue(at=datetime(2026, 11, 25, tzinfo=NY), all_day=True, in_past=False)
    assert not shifted("+0d", today).in_past
    assert shifted("-1d", today).in_past
    assert due_in_past(today, now=WEDNESDAY) is False


def test_hours_do_not_move_an_all_day_date() -> None:
    day_only = ResolvedDue(at=datetime(2026, 12, 1, tzinfo=NY), all_day=True, in_past=False)
    with pytest.raises(DueDateError, match="whole day"):
        shifted("+2h", day_only)


def test_a_shift_too_far_is_refused() -> None:
    due = ResolvedDue(at=datetime(2026, 12, 1, tzinfo=NY), all_day=True, in_past=False)
    with pytest.raises(DueDateError, match="too far"):
        shifted("+20 years", due)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 days later", date(2026, 11, 27)),
        ("+2d", date(2026, 11, 27)),
        ("a week later", date(2026, 12, 2)),
        ("2 days earlier", date(2026, 11, 23)),
    ],
)
def test_said_of_a_new_task_a_shift_counts_from_today(text: str, expected: date) -> None:
    assert day(text) == expected


def test_said_of_a_new_task_an_hour_later_counts_from_now() -> None:
    assert moment("an hour later") == datetime(2026, 11, 25, 11, 0, tzinfo=NY)


@pytest.mark.parametrize(
    ("zone", "text", "expected"),
    [
        ("Europe/London", "9/12", date(2026, 12, 9)),
        ("Australia/Sydney", "9/12", date(2026, 12, 9)),
        ("America/New_York", "9/12", date(2027, 9, 12)),
        ("America/Los_Angeles", "12/9", date(2026, 12, 9)),
        ("Europe/Berlin", "3/4", date(2027, 4, 3)),
        # Only one reading is a date: the same everywhere.
        ("America/New_York", "15/12", date(2026, 12, 15)),
        ("Europe/London", "12/25", date(2026, 12, 25)),
    ],
)
def test_numeric_dates_are_read_as_people_in_the_speakers_zone_write_them(
    zone: str, text: str, expected: date
) -> None:
    now = datetime(2026, 11, 26, 15, 30, tzinfo=ZoneInfo(zone))
    assert resolve_due(text, now=now).at.date() == expected
