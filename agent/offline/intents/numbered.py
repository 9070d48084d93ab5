"""Changes to tasks named by number, relative reschedules, and several hand-overs at once.

"make task 5 urgent", "bump 1 and 10 to urgent", "push #4 back a week", "give 2 to dave and 5
to carol".
"""

from __future__ import annotations

import re
from dataclasses import replace

from agent.offline.intents.asides import TRAILING_ASIDE, without_aside
from agent.offline.intents.cues import (
    NUMBER,
    UNITS,
    changes_to_calls,
    make_reading,
    number_of,
    person_named,
    recent_task,
    task_named,
)
from agent.offline.intents.utterance import Utterance
from agent.offline.lexicon import STATUS_WORDS
from agent.offline.people import known_person
from agent.offline.plan import TOOL_ASSIGN, TOOL_UPDATE, PlannedCall, TitleRef
from agent.offline.readings import Reading

# "make task 5 urgent", "set 4 to high", "#2 deadline moved to the 9th", "task 4 is complete".

_NUMBERED_VERB = re.compile(
    rf"^(?:pls\s+|please\s+|can\s+you\s+|could\s+you\s+)?(?:make|set|mark|bump|flag|put|change|switch"
    rf"|turn|move|push)\s+{NUMBER}\s+(?:to\s+|as\s+|up\s+to\s+)?(?P<rest>.+)$",
    re.IGNORECASE,
)
_NUMBER_SUBJECT = NUMBER.replace("(?P<bare>", "(?P<bare_unused>")
_NUMBERED_SUBJECT = re.compile(
    rf"^{_NUMBER_SUBJECT}(?:'s|\s+is|\s+are|\s+was|\s+has\s+been|\s+should\s+be"
    r"|\s+needs\s+to\s+be|\s+can\s+be|\s+now)?\s+(?P<rest>.+)$",
    re.IGNORECASE,
)


def _numbered_changes(utterance: Utterance, number: int, rest: str) -> Reading | None:
    # "push 2 to wed": after "to", the short day names that are also words are days.
    rest = re.sub(r"^(sat|sun|wed)\b", r"due \1", rest.strip(), flags=re.IGNORECASE)
    if re.fullmatch(r"(?:mine|my\s+(?:task|problem|job)|on\s+me)\s*[.!]*", rest.strip(), re.I):
        call = PlannedCall(TOOL_ASSIGN, {"task_id": number, "assignee": "me"})
        return make_reading("numbered_change", [call], 0.9, "someone takes a numbered task")
    changes = _status_change(rest) or utterance.changes(rest)
    if not changes:
        return None
    return make_reading(
        "numbered_change",
        changes_to_calls(number, changes),
        0.9,
        "names a task number and what changes",
    )


_SEVERAL_VERB = re.compile(
    r"^(?:pls\s+|please\s+|can\s+you\s+|could\s+you\s+)?(?P<verb>make|set|mark|bump|flag|close|complete"
    r"|finish|reopen|cancel|move|push|change)\s+(?P<refs>(?:tasks?\s+)?#?\d{1,6}(?:\s*(?:,|and|&|\+)\s*"
    r"(?:and\s+)?#?\d{1,6})+)(?:\s+(?:to|as|up\s+to))?(?P<rest>.*)$",
    re.IGNORECASE,
)
_VERB_STATUS = {
    "close": "done",
    "complete": "done",
    "finish": "done",
    "reopen": "open",
    "cancel": "cancelled",
}


def _read_several_numbered(utterance: Utterance) -> Reading | None:
    """ "bump 1 and 10 to urgent", "close 3 and 7, both handled": the same change to each."""
    text = without_aside(utterance.text)
    for variant in dict.fromkeys((text, TRAILING_ASIDE.sub("", text))):
        reading = _several_numbered(utterance, variant)
        if reading is not None:
            return reading
    return None


def _several_numbered(utterance: Utterance, text: str) -> Reading | None:
    match = _SEVERAL_VERB.match(text)
    if match is None:
        return None
    numbers = [int(n) for n in re.findall(r"\d{1,6}", match.group("refs"))]
    rest = re.sub(r"\b(?:both|all|each|too|as\s+well)\b", "", match.group("rest")).strip(" ,.!")
    verb = match.group("verb").lower()
    changes: dict[str, object] | None
    if verb in _VERB_STATUS and not rest:
        changes = {"status": _VERB_STATUS[verb]}
    else:
        changes = _status_change(rest) or (utterance.changes(rest) if rest else None)
    if not changes or len(set(numbers)) != len(numbers):
        return None
    calls = [call for number in numbers for call in changes_to_calls(number, changes)]
    return make_reading("several_numbered", calls, 0.9, "the same change to several numbered tasks")


def _read_numbered_list(utterance: Utterance) -> Reading | None:
    """ "#1 due thu, #9 due 28/11 and bump #8 to normal prio": one change per numbered piece."""
    pieces = [
        p.strip()
        for p in re.split(r"\s*[,;]\s*(?:and\s+)?|\s+and\s+(?=(?:\w+\s+)?#)", utterance.text)
        if p.strip()
    ]
    if len(pieces) < 2:
        return None
    calls: list[PlannedCall] = []
    for piece in pieces:
        reading = read_numbered_change(replace(utterance, text=piece), alone=True)
        if reading is None:
            return None
        calls.extend(reading.result.calls)
    return make_reading("numbered_change", calls, 0.9, "a change to each numbered task")


def read_numbered_change(utterance: Utterance, *, alone: bool = False) -> Reading | None:
    if not alone and (listed := _read_numbered_list(utterance)) is not None:
        return listed
    several = _read_several_numbered(utterance)
    if several is not None:
        return several
    text = without_aside(utterance.text)
    match = _NUMBERED_VERB.match(text)
    if match is not None:
        return _numbered_changes(utterance, number_of(match), match.group("rest"))
    match = _NUMBERED_SUBJECT.match(text)
    if match is not None and match.group("n"):
        rest = re.sub(
            r"^(?:deadline|due\s+date)\s+(?:is\s+)?(?:moved|pushed|changed)\s+(?:to\s+)?",
            "due ",
            match.group("rest"),
            flags=re.IGNORECASE,
        )
        rest = re.sub(
            r"^(?:can\s+|should\s+|could\s+)?(?:go|goes|went|drop|drops)\s+(?:back\s+)?(?:down\s+)?to\s+",
            "",
            rest,
            flags=re.IGNORECASE,
        )
        rest = re.sub(
            r"^(?:needs\s+to\s+)?(?:happen|be\s+done|be\s+finished)\s+",
            "due ",
            rest,
            flags=re.IGNORECASE,
        )
        return _numbered_changes(utterance, int(match.group("n")), rest)
    return None


def _status_change(text: str) -> dict[str, object] | None:
    cleaned = re.sub(
        r"^(?:all\s+|now\s+|finally\s+|officially\s+)", "", text.strip(" .!?"), flags=re.I
    )
    cleaned = re.sub(r"\s+(?:now|already|too|as\s+well)$", "", cleaned, flags=re.IGNORECASE)
    status = STATUS_WORDS.get(cleaned.lower())
    return {"status": status} if status else None


# Relative reschedules: "push #4 back a week", "the newsletter can slip two days".


_SHIFT = re.compile(
    r"^(?:pls\s+|please\s+|can\s+you\s+)?(?:push|move|bump|shift|slide|kick|pull|bring)\s+(?P<ref>.+?)\s+"
    r"(?P<dir>back|out|forward|up|in|later|earlier)\s+(?:by\s+)?(?P<n>\d+)\s*(?P<unit>days?|d|weeks?|wks?|w)"
    # "push #12 back a week part is backordered": a remark run on after the amount.
    r"(?:\s+(?!and\b|then\b|also\b|to\b|plus\b)[a-z]\S*(?:\s+\S+)+)?$"
    r"|^(?:pls\s+|please\s+|can\s+you\s+)?(?:push|move|bump|shift|slide|delay|postpone)\s+(?P<ref2>.+?)\s+"
    r"(?:by\s+)?(?P<n2>\d+)\s*(?P<unit2>days?|d|weeks?|wks?|w)(?:\s+(?P<dir2>later|earlier|back|out))?$"
    r"|^(?P<ref3>.+?)\s+(?:can|could|will|may|might|should|is\s+going\s+to|has\s+to|needs\s+to)?\s*"
    r"(?:slip|slips|slide|slides|wait|be\s+pushed|be\s+delayed|move|moves)\s+(?:back\s+|out\s+)?(?:by\s+)?"
    r"(?:another\s+)?(?P<n3>\d+)\s*(?P<unit3>days?|d|weeks?|wks?|w)$"
    r"|^(?:pls\s+|please\s+|can\s+you\s+)?give\s+(?P<ref4>.+?)\s+(?:another|an\s+extra|one\s+more|(?P<n4>\d+)\s+more)"
    r"\s+(?P<unit4>days?|weeks?)\b.*$",
    re.IGNORECASE,
)


def read_shift(utterance: Utterance) -> Reading | None:
    text = without_aside(utterance.text)
    match = _SHIFT.match(text)
    if match is None:
        return None
    ref_text = (
        match.group("ref") or match.group("ref2") or match.group("ref3") or match.group("ref4")
    )
    # "push the permit and the summit quote back a week": the same shift for each.
    named = [part for part in re.split(r"\s+(?:and|&)\s+", ref_text) if part.strip()]
    refs = [
        task_named(part) if part.lower() not in {"it", "that", "this"} else recent_task(utterance)
        for part in (named if len(named) <= 3 else [ref_text])
    ]
    if not refs or any(ref is None for ref in refs):
        return None
    number = match.group("n") or match.group("n2") or match.group("n3") or match.group("n4") or "1"
    unit = next(
        match.group(g) for g in ("unit", "unit2", "unit3", "unit4") if match.group(g)
    ).lower()
    direction = (match.group("dir") or match.group("dir2") or "").lower()
    sign = "-" if direction in {"forward", "up", "in", "earlier"} else "+"
    shift = f"{sign}{int(number)}{UNITS[unit.rstrip('s')]}"
    calls = [PlannedCall(TOOL_UPDATE, {"task_id": ref, "due": shift}) for ref in refs]
    return make_reading("shift", calls, 0.85, "moves a due date by an amount")


# Several targets at once: "give 2 to dave and 5 to carol".

_PAIR = re.compile(
    rf"(?:give|assign|hand|pass|send)?\s*{NUMBER}\s+to\s+(?P<who><@[UW][A-Z0-9]+>|@?[\w.\-]+)",
    re.I,
)
# "give #9 to marcus and the whitmore notes one to tom": a task named by words in the list.
_WORDS_PAIR = re.compile(
    r"(?:(?:give|assign|hand|pass|send)\s+)?(?P<ref>the\s+[\w' -]+?)\s+to\s+"
    r"(?P<who><@[UW][A-Z0-9]+>|@?[\w.\-]+)",
    re.I,
)


def read_several_assigns(utterance: Utterance) -> Reading | None:
    text = without_aside(utterance.text)
    parts = re.split(r"\s*(?:,\s*and|,|\band\b|;|&)\s*", text)
    if len(parts) < 2:
        return None
    calls: list[PlannedCall] = []
    numbered = 0
    for part in parts:
        match = _PAIR.fullmatch(part.strip())
        task: int | TitleRef | None = number_of(match) if match is not None else None
        if match is None:
            match = _WORDS_PAIR.fullmatch(part.strip())
            task = task_named(match.group("ref")) if match is not None else None
            if match is not None and not known_person(match.group("who").lstrip("@")):
                # "the smoke detectors to tony": words before "to" name a task only when a
                # person of the workspace follows ("the lease to the bank" is no hand-over).
                return None
        else:
            numbered += 1
        if match is None or task is None:
            return None
        person = person_named(match.group("who"), utterance.context)
        if person is None:
            return None
        calls.append(PlannedCall(TOOL_ASSIGN, {"task_id": task, "assignee": person}))
    score = 0.9 if numbered else 0.8
    return make_reading("several_assigns", calls, score, "several tasks, each to someone")
