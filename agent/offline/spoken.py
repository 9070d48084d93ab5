"""Spoken numbers and times written out in words, rewritten as the digits the readers know.

People dictate to their phones and type the way they speak: "at four thirty", "six o'clock",
"in half an hour", "after one hour", "push it back two days". Every reader understands digits
("4:30pm", "in 30 minutes", "2 days"), so the words are rewritten once, before any reading.

The hesitations of speech ("um", "the, the") go in the same pass.

A clock time said in words without am/pm means working hours: "four thirty" is 4:30pm, "nine
o'clock" is 9am, the way a colleague would take it.
"""

from __future__ import annotations

import re

from agent.offline.lexicon import NUMBER_WORDS

__all__ = ["spoken_to_digits"]

# Only number words proper: "a" and "few" are quantities, never an hour of the clock.
_HOURS = {
    word: value
    for word, value in NUMBER_WORDS.items()
    if 1 <= value <= 12 and word.isalpha() and word not in {"a", "an", "couple", "few"}
}
_MINUTES = {
    "oh five": 5,
    "o five": 5,
    "ten": 10,
    "fifteen": 15,
    "twenty": 20,
    "twenty five": 25,
    "twenty-five": 25,
    "thirty": 30,
    "thirty five": 35,
    "thirty-five": 35,
    "forty": 40,
    "forty five": 45,
    "forty-five": 45,
    "fifty": 50,
    "fifty five": 55,
    "fifty-five": 55,
}


def _alternation(words: object) -> str:
    assert isinstance(words, dict)
    ordered = sorted((str(word) for word in words), key=len, reverse=True)  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
    return "|".join(re.escape(word).replace(r"\ ", r"[\s-]+") for word in ordered)


_HOUR_WORD = _alternation(_HOURS)
_MINUTE_WORD = _alternation(_MINUTES)
_MERIDIEM = (
    r"(?:\s*(?P<meridiem>a\.?m\.?|p\.?m\.?|in\s+the\s+(?:morning|afternoon|evening)|tonight))?"
)

# "four thirty", "4 thirty", "six o'clock", "half past four", "quarter to five".
_CLOCK = re.compile(
    rf"\b(?P<hour>{_HOUR_WORD}|1[0-2]|[1-9])(?:\s+|-)(?P<minute>{_MINUTE_WORD})\b{_MERIDIEM}",
    re.IGNORECASE,
)
_OCLOCK = re.compile(
    rf"\b(?P<hour>{_HOUR_WORD}|1[0-2]|[1-9])\s*o['’]?\s?clock\b{_MERIDIEM}", re.IGNORECASE
)
_PAST = re.compile(
    rf"\b(?P<part>half|quarter|(?:{_MINUTE_WORD}))\s+past\s+(?P<hour>{_HOUR_WORD}|1[0-2]|[1-9])\b"
    rf"{_MERIDIEM}",
    re.IGNORECASE,
)
_TO = re.compile(
    rf"\b(?P<part>quarter|(?:{_MINUTE_WORD}))\s+(?:to|til|till)\s+(?P<hour>{_HOUR_WORD}|1[0-2]|[1-9])"
    rf"\b{_MERIDIEM}",
    re.IGNORECASE,
)
# "at six" / "by five" with no other time: a bare hour after a time preposition.
_AT_HOUR = re.compile(
    rf"\b(?P<prep>at|by|around|before)\s+(?P<hour>{_HOUR_WORD})\b(?!\s*(?:days?|weeks?|hours?|"
    rf"minutes?|mins?|people|of|tasks?|things|items|more|times|point|%|[\d]))",
    re.IGNORECASE,
)
# "a" and "an" count only after a word that measures time ("push it back a week"): elsewhere
# "has a minute" is no duration.
_COUNT_WORD = _alternation(
    {
        **{w: v for w, v in NUMBER_WORDS.items() if w not in {"a", "an", "few", "a few"}},
        "a couple of": 2,
        "a couple": 2,
        "couple of": 2,
    }
)
_A_UNIT = re.compile(
    r"\b(?P<lead>back|out|forward|up|slip|slips|slide|slides|by|another|delay|postpone|in|after)"
    r"\s+an?\s+(?P<unit>days?|weeks?|months?)\b",
    re.IGNORECASE,
)
_DURATION_NUMBER = re.compile(
    rf"\b(?P<number>{_COUNT_WORD})"
    r"\s+(?P<unit>minutes?|mins?|hours?|hrs?|days?|business\s+days?|working\s+days?|weeks?|months?)\b",
    re.IGNORECASE,
)
_PART_OF_DAY_AT = re.compile(
    r"\b(?:morning|afternoon|evening)\s+at\s+(?=\d{1,2}(?::\d{2})?\s*(?:am|pm)\b)", re.IGNORECASE
)
_HALF_HOUR = re.compile(r"\b(?:half\s+an?\s+hour|half\s+hour|30\s+mins?)\b", re.IGNORECASE)
_AN_HOUR = re.compile(r"\b(?:an|one)\s+hour\b", re.IGNORECASE)
_AFTER = re.compile(
    r"\b(?:after|within)\s+(?=\d+\s*(?:minutes?|mins?|hours?|hrs?)\b)", re.IGNORECASE
)


def _hour(text: str) -> int:
    lowered = text.lower()
    return int(lowered) if lowered.isdigit() else _HOURS[lowered]


def _minutes(text: str) -> int:
    lowered = re.sub(r"[\s-]+", " ", text.lower())
    if lowered == "half":
        return 30
    if lowered == "quarter":
        return 15
    return _MINUTES.get(lowered, _MINUTES.get(lowered.replace(" ", "-"), 0))


def _clock(hour: int, minute: int, meridiem: str | None) -> str:
    """The time as "4:30pm"; without am/pm, the working-hours reading."""
    suffix = ""
    if meridiem:
        lowered = meridiem.lower().replace(".", "")
        suffix = "am" if lowered.startswith("a") or lowered.endswith("morning") else "pm"
    else:
        suffix = "am" if 7 <= hour <= 11 else "pm"
    return f"{hour}:{minute:02d}{suffix}"


_TEENS = {
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
}
# "assign task ten to ana", "knock out number four": a task number said as a word.
_TASK_WORD = re.compile(
    rf"\b(?P<lead>task|number|no\.|#)\s*(?P<n>{_alternation({**_HOURS, **_TEENS})})\b",
    re.IGNORECASE,
)


# Punctuation said aloud to a dictating phone: "new task for tom comma issue the summaries
# full stop".
_SPOKEN_PUNCTUATION = (
    (re.compile(r"\s*\bcomma\b", re.IGNORECASE), ","),
    (re.compile(r"\s*\b(?:full\s+stop|period)\s*$", re.IGNORECASE), "."),
    (re.compile(r"\s*\bfull\s+stop\b", re.IGNORECASE), "."),
    (re.compile(r"\s*\bquestion\s+mark\b", re.IGNORECASE), "?"),
    (re.compile(r"\s*\bexclamation\s+(?:mark|point)\b", re.IGNORECASE), "!"),
    (re.compile(r"\s*\b(?:new\s+line|new\s+paragraph)\b", re.IGNORECASE), "."),
)


# Hesitations and stutters of speech: "can you add a task um for sam to recheck the, the
# bloodwork". "er" alone is left: it is also an abbreviation ("the ER").
_HESITATION = re.compile(r"(?<![\w'])(?:u+h+|u+m+|uhm+|erm+|hmm+)(?![\w'])[,.]*", re.IGNORECASE)
_STUTTER = re.compile(
    r"\b(?P<word>the|a|an|to|for|and|i|we|on|in|at|my|our|of|it|is)(?:[\s,]+|\s*-+\s*)(?P=word)\b",
    re.IGNORECASE,
)
_EMPTY_COMMAS = re.compile(r"(?:\s*,){2,}")
# "at half three": the British half past the hour, after a word that sets a time.
_HALF_HOUR_UK = re.compile(
    rf"\b(?P<prep>at|by|around|till|until|before|after|from)\s+half\s+(?P<hour>{_HOUR_WORD}|1[0-2]|[1-9])\b"
    rf"(?!\s*(?:hours?|days?|weeks?|past))",
    re.IGNORECASE,
)


# "greenfield call. tmrw. half nine. me.": the half hour said alone, as a note of its own.
_HALF_HOUR_ALONE = re.compile(
    rf"(?:^|(?<=[.,;:]\s))half\s+(?P<hour>{_HOUR_WORD}|1[0-2]|[1-9])(?=\s*(?:[.,;!?]|$))",
    re.IGNORECASE | re.MULTILINE,
)


def spoken_to_digits(text: str) -> str:
    """The text with spoken clock times, durations, task numbers and punctuation written as
    digits and marks, and without hesitations ("um", "the, the")."""
    text = _HESITATION.sub(" ", text)
    text = _STUTTER.sub(lambda m: m.group("word"), text)
    text = _EMPTY_COMMAS.sub(",", text)
    text = re.sub(r"^[\s,]+|[ \t]{2,}", lambda m: "" if m.start() == 0 else " ", text)
    for pattern, mark in _SPOKEN_PUNCTUATION:
        text = pattern.sub(mark, text)
    text = _HALF_HOUR_UK.sub(
        lambda m: f"{m.group('prep')} {_clock(_hour(m.group('hour')), 30, None)}", text
    )
    text = _HALF_HOUR_ALONE.sub(lambda m: _clock(_hour(m.group("hour")), 30, None), text)
    text = _TASK_WORD.sub(lambda m: f"{m.group('lead')} {_task_number(m.group('n'))}", text)
    text = _PAST.sub(
        lambda m: _clock(_hour(m.group("hour")), _minutes(m.group("part")), m.group("meridiem")),
        text,
    )
    text = _TO.sub(
        lambda m: _clock(
            (_hour(m.group("hour")) - 2) % 12 + 1,
            60 - _minutes(m.group("part")),
            m.group("meridiem"),
        ),
        text,
    )
    text = _OCLOCK.sub(
        lambda m: _clock(_hour(m.group("hour")), 0, m.group("meridiem")),
        text,
    )
    text = _CLOCK.sub(
        lambda m: _clock(_hour(m.group("hour")), _minutes(m.group("minute")), m.group("meridiem")),
        text,
    )
    text = _AT_HOUR.sub(
        lambda m: f"{m.group('prep')} {_clock(_hour(m.group('hour')), 0, None)}",
        text,
    )
    text = _HALF_HOUR.sub("30 minutes", text)
    text = _AN_HOUR.sub("1 hour", text)
    text = _DURATION_NUMBER.sub(
        lambda m: f"{_number(m.group('number'))} {m.group('unit')}",
        text,
    )
    text = _A_UNIT.sub(lambda m: f"{m.group('lead')} 1 {m.group('unit')}", text)
    # "tomorrow afternoon at 4:30pm": the clock time said is the time meant.
    text = _PART_OF_DAY_AT.sub("at ", text)
    return _AFTER.sub("in ", text)


def _task_number(text: str) -> int:
    lowered = text.lower()
    return _TEENS.get(lowered) or _HOURS[lowered]


def _number(text: str) -> int:
    lowered = re.sub(r"[\s-]+", " ", text.lower()).strip()
    if "couple" in lowered:
        return 2
    return NUMBER_WORDS.get(lowered, NUMBER_WORDS.get(lowered.replace(" ", "-"), 1))
