"""Finding when-phrases ("by friday 5pm", "tmrw", "end of month", "12/1") in a message.

The parser never computes a date: it hands the phrase to the tool, which resolves it in the
speaker's zone at the turn's time. What this module does is find the phrase, tell whether it was
clearly marked as a deadline ("by", "due", "before", "until"), and rewrite it into a canonical
form the resolver understands ("fri" -> "friday", "5 p.m." -> "5pm", "12/1" -> "december 1",
"EOD" -> "today 5pm").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.offline.lexicon import MONTH_BY_NUMBER, MONTHS, NUMBER_WORDS, WEEKDAYS

_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_DAYNUM = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:20\d\d)"
_NUM = (
    r"(?:\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen"
    r"|twenty|thirty|a\s+couple\s+of|a\s+couple|couple\s+of|a\s+few|few)"
)
_UNIT = r"(?:minutes?|mins?|hours?|hrs?|days?|business\s+days?|weeks?|months?|years?)"

_DAY = (
    r"(?:"
    # "fri 19th", "friday the 19th", "tue feb 16": the day of the month is the date meant.
    rf"{_WEEKDAY},?\s+(?:the\s+)?(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)(?!\s+(?:of\s+)?{_MONTH})"
    rf"|{_WEEKDAY},?\s+{_MONTH}\s+{_DAYNUM}(?:(?:,\s*|\s+){_YEAR})?"
    rf"|{_WEEKDAY},?\s+(?:the\s+)?{_DAYNUM}\s+(?:of\s+)?{_MONTH}(?:(?:,\s*|\s+){_YEAR})?"
    r"|\d{4}-\d{1,2}-\d{1,2}(?:[t ]\d{1,2}:\d{2}(?::\d{2})?(?:z|[+-]\d{2}:?\d{2})?)?"
    r"|(?<![\w/.])(?:1[0-2]|0?[1-9])/(?:3[01]|[12]\d|0?[1-9])(?:/(?:\d{4}|\d{2}))?(?![\w/])"
    # Day first when the day cannot be a month: "15/12".
    r"|(?<![\w/.])(?!24/7(?![\w/]))(?:3[01]|[12]\d)/(?:1[0-2]|0?[1-9])(?:/(?:\d{4}|\d{2}))?(?![\w/])"
    rf"|{_MONTH}\s+{_DAYNUM}(?:(?:,\s*|\s+){_YEAR})?"
    rf"|(?:the\s+)?{_DAYNUM}\s+(?:of\s+)?{_MONTH}(?:(?:,\s*|\s+){_YEAR})?"
    r"|(?:the\s+)?day\s+after\s+tomorrow"
    r"|the\s+(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)(?!\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))"
    r"|today|tonight|tomorrow"
    rf"|(?:(?:this\s+coming|this|next|coming|the\s+coming|the\s+following|following)\s+)?"
    rf"{_WEEKDAY}(?:\s+(?:next\s+week|this\s+week|after\s+next|of\s+next\s+week))?"
    rf"|next\s+week\s+(?:on\s+)?{_WEEKDAY}"
    r"|(?:the\s+)?(?:end|close)\s+of\s+(?:the\s+)?(?:(?:this|next)\s+)?(?:week|month|year|quarter)"
    # "by end of jan", "mid feb", "start of march": a part of a named month.
    rf"|(?:the\s+)?(?:end|close|start|beginning|middle)\s+of\s+{_MONTH}|(?:early|mid|late)[\s-]{_MONTH}"
    r"|(?:the\s+)?end\s+of\s+(?:the\s+)?next\s+day"
    rf"|(?:the\s+)?(?:beginning|start)\s+of\s+(?:the\s+)?(?:next\s+)?(?:week|month|year)"
    r"|(?:early|later|late)\s+next\s+week"
    r"|(?:this|next|the\s+following)\s+(?:week|month|year|weekend)"
    r"|(?:the\s+)?weekend"
    rf"|(?:in|within)\s+{_NUM}\s+{_UNIT}"
    rf"|{_NUM}\s+{_UNIT}\s+from\s+(?:now|today)"
    r")"
)
_TIME = (
    r"(?:"
    r"(?:[01]?\d|2[0-3]):[0-5]\d(?:\s*(?:am|pm|a\.m\.|p\.m\.))?"
    r"|(?:1[0-2]|0?[1-9])\s*(?:am|pm|a\.m\.|p\.m\.)"
    r"|noon|midday|midnight"
    r"|this\s+(?:morning|afternoon|evening)"
    r"|(?:first\s+thing\s+)?(?:in\s+the\s+)?(?:morning|afternoon|evening)"
    r"|first\s+thing"
    r"|(?:the\s+)?end\s+of\s+(?:the\s+)?day|close\s+of\s+business"
    r")"
)
_AT_HOUR = r"(?:at|@|around)\s+(?:1[0-2]|0?[1-9])(?![\d:]|\s*(?:am|pm|a\.m|p\.m|%))"

_PREFIX = (
    r"(?:(?P<prefix>due\s+(?:by|on|before|for|date\s+is|date:?)|due:?|by|before|until|till|til"
    r"|no\s+later\s+than|deadline(?:\s+is)?:?|after|from|since|starting|on|for|at)\s+)?"
)

_PATTERN = re.compile(
    rf"(?<![\w#@<'/-]){_PREFIX}(?P<body>"
    rf"(?P<day>{_DAY})(?:\s*(?:,|at|@|by|around|-)?\s*(?P<time>{_TIME}|{_AT_HOUR}))?"
    rf"|(?P<time2>{_TIME}|{_AT_HOUR})(?:\s*(?:,|on|-)?\s*(?P<day2>{_DAY}))?"
    # "by 5pm my time": the user's own zone is the resolver's default, so the words just go.
    r")(?:\s+(?:my|our|local)\s+time)?(?!['\w]|/\d)",
    re.IGNORECASE,
)

# "by sat", "next wed", "on sun", "..., sun, normal": the short forms that are also English
# words only count after a word (or a comma in a list of details) that makes them a day.
_SHORT_DAYS = re.compile(
    r"(\b(?:by|on|due|next|this|until|till|before|coming|every|and|to|for)|,)\s+(sat|sun|wed)\b\.?",
    re.IGNORECASE,
)
_SHORT_DAY_NAMES = {"sat": "saturday", "sun": "sunday", "wed": "wednesday"}

_RECURRING = re.compile(r"\b(?:every|each|on\s+all)\s+$", re.IGNORECASE)

STRONG_PREFIXES = frozenset(
    {"by", "before", "until", "till", "til", "no later than", "deadline", "deadline is"}
)
AFTER_PREFIXES = frozenset({"after", "from", "since", "starting"})


@dataclass(frozen=True)
class DateSpan:
    """A when-phrase found in a text.

    `start`/`end` cover the phrase with its prefix word, `phrase` is the canonical form handed to
    the tool, `prefix` the marker word ("by", "due", "on", ... or "" when bare), and `strong`
    tells whether the marker makes it a deadline wherever it stands in the sentence.
    """

    start: int
    end: int
    phrase: str
    prefix: str
    strong: bool

    @property
    def is_after(self) -> bool:
        """Whether the phrase is a lower bound ("after friday", "starting monday")."""
        return self.prefix in AFTER_PREFIXES


def expand_short_days(text: str) -> str:
    """Rewrite "by sat" and "next wed" to full day names."""
    return _SHORT_DAYS.sub(lambda m: f"{m.group(1)} {_SHORT_DAY_NAMES[m.group(2).lower()]}", text)


def find_dates(text: str) -> list[DateSpan]:
    """Every when-phrase in `text`, left to right, without overlaps."""
    spans: list[DateSpan] = []
    for match in _PATTERN.finditer(text):
        if _RECURRING.search(text[max(0, match.start() - 12) : match.start()]):
            # "every monday" repeats; it is no deadline, so it stays in the title.
            continue
        phrase = _canonical(match)
        if phrase is None:
            continue
        prefix = " ".join((match.group("prefix") or "").lower().rstrip(":").split())
        strong = prefix.startswith("due") or prefix in STRONG_PREFIXES
        spans.append(DateSpan(match.start(), match.end(), phrase, prefix, strong))
    return spans


def _canonical(match: re.Match[str]) -> str | None:
    day_text = match.group("day") or match.group("day2")
    time_text = match.group("time") or match.group("time2")
    day = _canonical_day(day_text) if day_text else None
    if day_text and day is None:
        return None
    time = _canonical_time(time_text) if time_text else None
    if time_text and time is None:
        return None
    if day is None and time is None:
        return None
    if day is None:
        assert time is not None
        if time == "end of day":
            return "today 5pm"
        return _time_alone(time)
    if time is None:
        return day
    if time == "end of day":
        time = "5pm"
    time = time.removeprefix("today ")
    if day == "tonight":
        return f"today {time}"
    if day.startswith(("end of", "in ", "next week", "this week", "next month")):
        # A time does not combine with a period; the period alone is the deadline.
        return day
    return f"{day} {time}"


def _time_alone(time: str) -> str:
    # A time without a day is today, or tomorrow once it has passed: the resolver decides.
    return time


_DAYPART_TIMES = {"morning": "9am", "afternoon": "2pm", "evening": "6pm", "first thing": "9am"}


def _canonical_time(text: str) -> str | None:
    lowered = " ".join(text.lower().replace(".", "").split())
    if lowered.startswith("this "):
        # "this afternoon" is today for the resolver; a bare "2pm" could mean tomorrow.
        return "today " + _DAYPART_TIMES[lowered.removeprefix("this ")]
    for word in ("first thing", "morning", "afternoon", "evening"):
        if word in lowered:
            return _DAYPART_TIMES["first thing" if word == "first thing" else word]
    if "end of" in lowered or "close of business" in lowered:
        return "end of day"
    if lowered in {"noon", "midday"}:
        return "12pm"
    if lowered == "midnight":
        return "11:59pm"
    at_hour = re.fullmatch(r"(?:at|@|around) (\d{1,2})", lowered)
    if at_hour:
        hour = int(at_hour.group(1))
        if not 1 <= hour <= 12:
            return None
        # A bare "at 5" means office hours: 8 to 11 in the morning, otherwise the afternoon.
        return f"{hour}am" if 8 <= hour <= 11 else f"{hour}pm"
    compact = lowered.replace(" ", "")
    clock = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(am|pm)?", compact)
    if clock is None:
        return None
    hour = int(clock.group(1))
    minutes = clock.group(2)
    meridiem = clock.group(3)
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        return f"{hour}:{minutes}{meridiem}" if minutes and minutes != "00" else f"{hour}{meridiem}"
    if minutes is None or hour > 23:
        return None
    return f"{hour:02d}:{minutes}"


def _canonical_day(text: str) -> str | None:
    lowered = " ".join(text.lower().split())
    with_weekday = re.fullmatch(
        rf"{_WEEKDAY},?\s+(?P<date>(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)|{_MONTH}\s.+|\d.*\s{_MONTH}.*)",
        lowered,
    )
    if with_weekday is not None:
        lowered = with_weekday.group("date")
        if re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)", lowered):
            lowered = f"the {lowered}"
    ordinal_day = re.fullmatch(r"the (\d{1,2})(?:st|nd|rd|th)", lowered)
    if ordinal_day:
        return (
            f"the {_ordinal(int(ordinal_day.group(1)))}"
            if 1 <= int(ordinal_day.group(1)) <= 31
            else None
        )
    lowered = re.sub(r"^the ", "", lowered)
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}.*", lowered):
        return _canonical_iso(lowered)
    numeric = re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?", lowered)
    if numeric:
        first, second = int(numeric.group(1)), int(numeric.group(2))
        if 1 <= first <= 12 and 1 <= second <= 12:
            # "9/12" is December 9th in London and September 12th in New York: the tool reads
            # it in the speaker's zone.
            return lowered
        if first > 12 >= second:
            # "15/12" can only be day/month.
            first, second = second, first
        return _month_day(first, second, numeric.group(3))
    if lowered in {"today", "tomorrow", "tonight"}:
        return lowered
    if lowered == "day after tomorrow":
        return "day after tomorrow"
    part_of_month = _canonical_part_of_month(lowered)
    if part_of_month is not None:
        return part_of_month
    weekday = _canonical_weekday(lowered)
    if weekday is not None:
        return weekday
    month_day = _canonical_month_day(lowered)
    if month_day is not None:
        return month_day
    return _canonical_period(lowered)


_MONTH_DAYS = {
    "january": 31, "february": 28, "march": 31, "april": 30, "may": 31, "june": 30, "july": 31,
    "august": 31, "september": 30, "october": 31, "november": 30, "december": 31,
}  # fmt: skip
_PART_DAY = {"end": None, "close": None, "late": None, "start": 1, "beginning": 1, "early": 1}


def _canonical_part_of_month(text: str) -> str | None:
    """ "end of jan" -> "january 31", "mid feb" -> "february 15", "start of march" -> "march 1"."""
    match = re.fullmatch(
        r"(?:the\s+)?(?P<part>end|close|start|beginning|middle|early|mid|late)(?:\s+of\s+|[\s-])"
        r"(?P<month>[a-z]+)\.?",
        text,
    )
    if match is None:
        return None
    month = next((name for name in _MONTH_DAYS if name.startswith(match.group("month")[:3])), None)
    if month is None or len(match.group("month")) < 3:
        return None
    part = match.group("part")
    day = 15 if part in {"middle", "mid"} else _PART_DAY[part] or _MONTH_DAYS[month]
    return f"{month} {day}"


def _canonical_iso(text: str) -> str | None:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ](\d{1,2}):(\d{2})(.*))?", text)
    if match is None:
        return None
    year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    date = f"{year:04d}-{month:02d}-{day:02d}"
    if match.group(4) is None:
        return date
    return f"{date} {int(match.group(4)):02d}:{match.group(5)}"


def _month_day(month: int, day: int, year: str | None) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    name = MONTH_BY_NUMBER[month - 1]
    if year is None:
        return f"{name} {day}"
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    return f"{name} {day} {full_year}"


def _canonical_weekday(text: str) -> str | None:
    words = text.split()
    days = [word for word in words if word in WEEKDAYS]
    if len(days) != 1:
        return None
    day = days[0]
    if text.endswith("after next"):
        return f"{day} next week"
    if text.endswith("next week") or text.startswith("next week"):
        return f"{day} next week"
    if text.startswith(("next", "the following", "following")):
        return f"next {day}"
    return day


def _canonical_month_day(text: str) -> str | None:
    cleaned = text.replace(",", " ").replace(".", " ").replace(" of ", " ")
    words = cleaned.split()
    month = next((MONTHS[word] for word in words if word in MONTHS), None)
    if month is None:
        return None
    numbers = [re.sub(r"(st|nd|rd|th)$", "", word) for word in words if word[0].isdigit()]
    day = next((int(n) for n in numbers if n.isdigit() and len(n) <= 2), None)
    year = next((n for n in numbers if n.isdigit() and len(n) == 4), None)
    if day is None or not 1 <= day <= 31:
        return None
    return f"{month} {day}" + (f" {year}" if year else "")


def _canonical_period(text: str) -> str | None:
    text = text.replace("the ", "")
    end = re.fullmatch(r"(?:end|close) of (?:(this|next) )?(day|week|month|year|quarter)", text)
    if end:
        which, period = end.group(1), end.group(2)
        if period == "day":
            return "today 5pm" if which != "next" else "tomorrow 5pm"
        return f"end of next {period}" if which == "next" else f"end of {period}"
    if re.fullmatch(r"(?:beginning|start) of next (?:week)|early next week", text):
        return "next week"
    if re.fullmatch(r"(?:beginning|start) of next month", text):
        return "start of next month"
    if text == "later next week":
        return "next thursday"
    if text == "late next week":
        return "next friday"
    if text in {"next week", "next month", "next year"}:
        return text
    if text in {"this week"}:
        return "end of week"
    if text in {"this month"}:
        return "end of month"
    if text in {"this year"}:
        return "end of year"
    if text in {"weekend", "this weekend"}:
        return "weekend"
    if text == "next weekend":
        return "next weekend"
    if text == "following week":
        return "next week"
    relative = re.fullmatch(rf"(?:in|within) ({_NUM}) ({_UNIT})", text) or re.fullmatch(
        rf"({_NUM}) ({_UNIT}) from (?:now|today)", text
    )
    if relative:
        amount = _number(relative.group(1))
        unit = _unit(relative.group(2))
        if amount is None or unit is None:
            return None
        return f"in {amount} {unit}" + ("" if amount == 1 else "s")
    return None


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _number(text: str) -> int | None:
    cleaned = " ".join(text.split())
    if cleaned.isdigit():
        return int(cleaned)
    return NUMBER_WORDS.get(cleaned.removesuffix(" of"), NUMBER_WORDS.get(cleaned))


def _unit(text: str) -> str | None:
    cleaned = " ".join(text.split()).rstrip("s")
    mapping = {
        "minute": "minute",
        "min": "minute",
        "hour": "hour",
        "hr": "hour",
        "day": "day",
        "business day": "business day",
        "week": "week",
        "month": "month",
        "year": "year",
    }
    return mapping.get(cleaned)
