"""Follow-ups to the last exchange, and answers to the parser's own questions.

"oops, I meant #4 not #3", "and the invoice one too", "actually make that monday"; and the
answer to "Which task do you mean?" or to a name nobody in the workspace has.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from agent.offline import chat
from agent.offline.dates import find_dates
from agent.offline.intents.cues import (
    NUMBER,
    changes_to_calls,
    make_reading,
    person_named,
    recent_task,
    task_named,
)
from agent.offline.intents.utterance import Utterance
from agent.offline.plan import TOOL_ASSIGN, TOOL_CREATE, TOOL_UPDATE, PlannedCall, TitleRef
from agent.offline.readings import Reading

# Follow-ups: "oops, I meant #4 not #3", "and the invoice one too", "actually make that monday".

_NUMBER_AGAIN = NUMBER.replace("P<n>", "P<n2>").replace("P<bare>", "P<bare2>")
_REDIRECT = re.compile(
    rf"^(?:(?:oops|sorry|wait|no|nope|argh|ugh|my\s+bad)[\s,!.]*)*(?:i\s+)?(?:meant|mean)\s+{NUMBER}"
    r"(?:[\s,]+(?:not|instead\s+of)\s+(?:#|task\s*)?(?P<old>\d{1,6}))?\s*(?:[-—–,]\s*the\s+[^,.]+)?[.!]*$"
    rf"|^(?:oops|sorry|wait|no)?[\s,!.]*{_NUMBER_AGAIN}"
    r"\s+not\s+(?:#|task\s*)?(?P<old2>\d{1,6})\s*[.!]*$",
    re.IGNORECASE,
)
_TOO = re.compile(
    r"^(?:and|also|oh\s+and|plus)?\s*(?:the\s+)?(?P<ref>.+?)\s+(?:too|as\s+well|also)\s*[.!]*$"
    r"|^(?:same|ditto)\s+(?:for|with)\s+(?P<ref2>.+?)\s*[.!]*$"
    r"|^(?:and|also|plus)\s+(?P<ref3>#\s?\d{1,6}|task\s*\d{1,6})\s*[.!]*$",
    re.IGNORECASE,
)
_MEANT_PERSON = re.compile(
    r"^(?:oops|sorry|wait|no|nope|my\s+bad)?[\s,!.]*(?:i\s+)?meant\s+(?P<who>\S+)(?:[\s,]+not\s+(?P<old>\S+))?"
    r"\s*[.!]*$"
    r"|^(?:actually|wait|no|sorry|oops)?[\s,!.]*(?:actually\s+)?(?:no[\s,]+)?(?:put|give|assign)\s+(?:it|that|this)"
    r"\s+(?:on|to)\s+(?P<who2>\S+)(?:\s+instead)?\s*[.!]*$"
    r"|^(?:wait|no|sorry|oops|actually)[\s,!.]+(?:no[\s,!.]+)?to\s+(?P<who3>[\w.@<>-]+)\b"
    # "sorry, not tom, marcus. tom's got enough on".
    r"|^(?:oops|sorry|wait|no|actually|my\s+bad)?[\s,!.]*not\s+(?P<old4>[\w.@<>-]+)[\s,]+(?:i\s+meant\s+)?"
    r"(?P<who4>[\w.@<>-]+)\b"
    # "sorry, tony. not helen": the right person first, then the wrong one.
    r"|^(?:oops|sorry|wait|no|actually|my\s+bad)?[\s,!.]*(?P<who5>[\w.@<>-]+)[\s,!.;—–-]+not\s+"
    r"(?P<old5>[\w.@<>-]+)\s*[.!]*$",
    re.IGNORECASE,
)
# "actually thursday, she's off friday": a new value for the last change, then the reason.
_ACTUALLY = re.compile(
    r"^(?:actually|wait|no|sorry|oops|hmm)[\s,!.]+(?:no[\s,!.]+)?(?P<value>[^,.;!?—–]+?)\s*"
    r"(?:[,.;!?—–].*)?$",
    re.IGNORECASE,
)
# "oops i meant the tolka volunteer recruitment not the mulch": the last change, on the task
# named by words instead.
_REDIRECT_WORDS = re.compile(
    r"^(?:(?:oops|sorry|wait|no|nope|argh|ugh|my\s+bad)[\s,!.]*)*(?:i\s+)?(?:meant|mean)\s+(?P<new>.+?)"
    r"[\s,]+(?:not|instead\s+of)\s+(?P<old>.+?)\s*[.!]*$"
    # "sorry wrong one — i meant the laurent account".
    r"|^(?:(?:oops|sorry|argh|ugh|my\s+bad)[\s,!.]*)*wrong\s+(?:one|task|ticket)[\s,!.:;—–-]*(?:i\s+)?"
    r"(?:meant|mean)\s+(?P<new2>.+?)\s*[.!]*$",
    re.IGNORECASE,
)
_MEANT_WORDS = re.compile(
    r"^(?:oops|sorry|wait|no|my\s+bad)[\s,!.]*(?:i\s+)?meant\s+(?P<words>.+?)\s*[.!]*$",
    re.IGNORECASE,
)
_NOT_THAT = re.compile(
    r"^(?:ok\s+|okay\s+|hmm\s+)?not\s+(?:that|so|too)\s+\w+[\s,]+(?:just|only|make\s+it|more\s+like)\s+(?P<value>.+)$",
    re.IGNORECASE,
)
_AND_ALSO = re.compile(
    r"^(?:oh\s+)?(?:and|also|plus|oh)\s+(?:also\s+)?(?:pls\s+|please\s+)?(?:make\s+it\s+|set\s+it\s+|have\s+it\s+)?"
    r"(?P<value>.+)$",
    re.IGNORECASE,
)
_MAKE_THAT = re.compile(
    r"^(?:actually|wait|no|sorry|oops|hmm)?[\s,!.]*(?:make\s+(?:that|it)|change\s+(?:that|it)\s+to"
    r"|let'?s\s+(?:say|do|make\s+it)|(?:no\s+)?(?:actually\s+)?(?:rather))\s+(?P<value>.+)$",
    re.IGNORECASE,
)


# "make it 2 instead" after "tmrw at 10": the same day at another hour. "tomorrow same time":
# another day at the hour said before.
_BARE_HOUR_VALUE = re.compile(
    r"^(?:at\s+)?(?P<hour>1[0-2]|[1-9])(?::(?P<minutes>[0-5]\d))?\s*(?P<meridiem>am|pm)?"
    r"(?:\s+(?:instead|then|o'?clock))*$",
    re.IGNORECASE,
)
_SAME_TIME = re.compile(r"\b(?:at\s+)?(?:the\s+)?same\s+time\b", re.IGNORECASE)
_PHRASE_TIME = re.compile(r"\s*(?:\d{1,2}(?::\d{2})?\s*(?:am|pm)|\d{1,2}:\d{2})$", re.IGNORECASE)


def _with_last_time(value: str, last: Sequence[PlannedCall]) -> str:
    due = next((str(call.args["due"]) for call in reversed(last) if call.args.get("due")), None)
    time = _PHRASE_TIME.search(due) if due is not None else None
    if due is None or time is None:
        return value
    day = due[: time.start()].strip()
    same = _SAME_TIME.search(value)
    if same is not None:
        return f"{value[: same.start()]}{time.group(0).strip()}{value[same.end() :]}".strip()
    bare = _BARE_HOUR_VALUE.match(value)
    if bare is not None and day:
        hour = int(bare.group("hour"))
        meridiem = bare.group("meridiem") or ("am" if 8 <= hour <= 11 else "pm")
        minutes = f":{bare.group('minutes')}" if bare.group("minutes") else ""
        return f"due {day} {hour}{minutes}{meridiem.lower()}"
    return value


def _replay(calls: Sequence[PlannedCall], target: int | TitleRef) -> list[PlannedCall]:
    return [
        PlannedCall(call.tool, {**call.args, "task_id": target})
        for call in calls
        if call.tool in {TOOL_UPDATE, TOOL_ASSIGN}
    ]


def _redo_on_other_number(utterance: Utterance, old: object, new: int) -> Reading | None:
    """ "mark #3 done" was refused; "oops i meant #4 not #3": the same request for #4."""
    previous = utterance.context.previous_prompt
    if not previous or not isinstance(old, int):
        return None
    redone = re.sub(rf"(?<![\w]){old}(?![\w])", str(new), previous)
    if redone == previous:
        return None
    result = utterance.clauses(redone)
    if not result.calls or any(call.args.get("task_id") != new for call in result.calls):
        return None
    return Reading("redirect", result, 0.9, "the previous request, for the task meant")


def _corrected_title(last: Sequence[PlannedCall], words: str) -> str | None:
    """ "oops i meant the Lindgren account" after "follow up with the Lindqvist account"."""
    title = next((str(c.args["title"]) for c in reversed(last) if c.tool == TOOL_CREATE), None)
    if title is None:
        return None
    said = words.split()
    have = title.split()
    if not said or len(said) > len(have):
        return None
    best: tuple[int, int] | None = None
    for start in range(len(have) - len(said) + 1):
        window = have[start : start + len(said)]
        same = sum(a.lower() == b.lower() for a, b in zip(window, said, strict=True))
        if same == len(said):
            return None
        if same >= max(1, len(said) - 1) and (best is None or same > best[1]):
            best = (start, same)
    if best is None:
        return None
    start = best[0]
    return " ".join([*have[:start], *said, *have[start + len(said) :]])


_UNDOABLE = ("title", "description", "due", "priority", "status", "tags")


def _undo(call: PlannedCall, task: object) -> PlannedCall | None:
    """The call that puts `task` back as it was before `call` changed it, when that is known."""
    if call.tool == TOOL_ASSIGN:
        previous = call.previous.get("assignee")
        if isinstance(previous, str):
            return PlannedCall(TOOL_ASSIGN, {"task_id": task, "assignee": previous})
        return None
    if call.tool != TOOL_UPDATE:
        return None
    held = {
        field: value
        for field, value in call.previous.items()
        if field in _UNDOABLE and value is not None
    }
    if not held and call.args.get("status") in {"done", "cancelled", "in_progress"}:
        # A history without the tool's record of the old values: reopening is the safe undo.
        held = {"status": "open"}
    return PlannedCall(TOOL_UPDATE, {"task_id": task, **held}) if held else None


def read_follow_up(utterance: Utterance) -> Reading | None:
    last = utterance.context.last_calls
    text = utterance.text.strip()
    if not last and not utterance.context.previous_prompt:
        return None
    if (match := _REDIRECT.match(text)) is not None:
        new = int(
            match.group("n") or match.group("bare") or match.group("n2") or match.group("bare2")
        )
        old_text = match.group("old") or match.group("old2")
        changed = [c for c in last if isinstance(c.args.get("task_id"), int)]
        old = int(old_text) if old_text else (changed[0].args["task_id"] if changed else None)
        redone = [c for c in changed if c.args.get("task_id") == old]
        calls = _replay(redone, new)
        if not calls:
            return _redo_on_other_number(utterance, old, new)
        # The change to the wrong task is undone with what the tool said it held before.
        undo = [undone for call in redone if (undone := _undo(call, old)) is not None]
        return make_reading("redirect", [*calls, *undo], 0.9, "redirects the last change")
    if not last:
        return None
    if (match := _REDIRECT_WORDS.match(text)) is not None:
        new_words = match.group("new") or match.group("new2")
        new_task = task_named(new_words)
        changed = [c for c in last if isinstance(c.args.get("task_id"), int)]
        olds = {c.args["task_id"] for c in changed}
        people = utterance.context.people
        named_people = {new_words.strip().lower(), (match.group("old") or "").strip().lower()}
        if isinstance(new_task, TitleRef) and len(olds) == 1 and not named_people & people:
            old = olds.pop()
            undo = [undone for call in changed if (undone := _undo(call, old)) is not None]
            calls = [*_replay(changed, new_task), *undo]
            return make_reading(
                "redirect", calls, 0.88, "redirects the last change to another task"
            )
    if (match := _TOO.match(text)) is not None:
        ref = task_named(match.group("ref") or match.group("ref2") or match.group("ref3"))
        calls = _replay(last, ref) if ref is not None else []
        if calls:
            return make_reading("too", calls, 0.85, "the last change, for another task")
    target = next(
        (c.args["task_id"] for c in reversed(last) if isinstance(c.args.get("task_id"), int)), None
    )
    if target is None and any(c.tool == TOOL_CREATE for c in last):
        # The last change made a task: "ok not that urgent, just high" is about it.
        target = recent_task(utterance)
    if (match := _MEANT_PERSON.match(text)) is not None and isinstance(target, int):
        who = (
            match.group("who")
            or match.group("who2")
            or match.group("who3")
            or match.group("who4")
            or match.group("who5")
        )
        person = person_named(who, utterance.context)
        if person is not None:
            call = PlannedCall(TOOL_ASSIGN, {"task_id": target, "assignee": person})
            return make_reading("meant_person", [call], 0.88, "corrects who does the last task")
    if (match := _MEANT_WORDS.match(text)) is not None and isinstance(target, int):
        title = _corrected_title(last, match.group("words"))
        if title is not None:
            call = PlannedCall(TOOL_UPDATE, {"task_id": target, "title": title})
            return make_reading(
                "meant_words", [call], 0.8, "corrects words of the last task's title"
            )
    if (match := _NOT_THAT.match(text)) is not None and isinstance(target, int):
        value = match.group("value").strip(" .!")
        # "not that urgent, just high": a bare level is a priority.
        changes = utterance.changes(value) or utterance.changes(f"{value} priority")
        if changes:
            calls = changes_to_calls(target, changes)
            return make_reading("make_that", calls, 0.85, "corrects the last change")
    if (match := _AND_ALSO.match(text)) is not None and isinstance(target, int):
        # "and by end of jan", "oh and put it on priya, due the 18th": more for the last task.
        value = match.group("value").strip(" .!")
        changes = utterance.changes(value) or utterance.changes(f"due {value}")
        if changes:
            calls = changes_to_calls(target, changes)
            return make_reading("and_also", calls, 0.72, "more changes to the last task")
    said_when = any("due" in call.args for call in last)
    if (match := _ACTUALLY.match(text)) is not None and isinstance(target, int) and said_when:
        value = match.group("value").strip()
        head = find_dates(value)
        if len(head) == 1 and (head[0].start, head[0].end) == (0, len(value)):
            # Only a when-phrase alone is a correction of the last change's date; "actually add
            # the lease one too" is a new request.
            calls = changes_to_calls(target, {"due": head[0].phrase})
            return make_reading("make_that", calls, 0.85, "corrects the last change's date")
    if (match := _MAKE_THAT.match(text)) is not None:
        value = match.group("value").strip(" .!")
        owner = re.match(r"^(?P<who>[\w.@<>-]+)'s\b[\s,]*(?P<rest>.*)$", value)
        person = person_named(owner.group("who"), utterance.context) if owner is not None else None
        if owner is not None and person is not None and isinstance(target, int):
            # "make it amara's, due fri": the owner, then any other change.
            more = utterance.changes(owner.group("rest")) if owner.group("rest").strip() else {}
            if more is not None:
                calls = changes_to_calls(target, {**more, "assignee": person})
                return make_reading("make_that", calls, 0.85, "corrects the last task's owner")
        target = next(
            (c.args["task_id"] for c in reversed(last) if isinstance(c.args.get("task_id"), int)),
            None,
        )
        value = _with_last_time(value, last)
        changes = utterance.changes(value) or utterance.changes(f"due {value}")
        if target is not None and changes:
            calls = changes_to_calls(target, changes)  # pyright: ignore[reportArgumentType]
            return make_reading("make_that", calls, 0.85, "corrects the last change")
    return None


# The answer to "Which task do you mean?": "the figma one" redoes the request on that task.


_UNKNOWN_PERSON = re.compile(
    r"(?:anyone|nobody|no\s+one)\s+called\s+['‘“\"](?P<name>[^'’”\"]+)['’”\"]"
    r"|(?:several|more\s+than\s+one)\s+(?:people|person)\s+(?:called|named|match)\s+['‘“\"](?P<name2>[^'’”\"]+)",
    re.IGNORECASE,
)


def read_who_answer(utterance: Utterance) -> Reading | None:
    """ "I don't know anyone called 'dan'. Did you mean …?" – "danielle": redo it for her."""
    context = utterance.context
    match = _UNKNOWN_PERSON.search(context.previous_reply or "")
    if match is None or not context.previous_prompt:
        return None
    person = person_named(utterance.text.strip(" .!?"), context)
    if person is None:
        return None
    wrong = (match.group("name") or match.group("name2") or "").lower()
    earlier = utterance.clauses(context.previous_prompt)
    calls = [
        replace(call, args={**call.args, key: person})
        for call in earlier.calls
        for key in ("assignee", "creator")
        if str(call.args.get(key, "")).lower().lstrip("@") == wrong
    ]
    if not calls:
        return None
    return make_reading("who_answer", calls, 0.88, "answers who was meant")


def read_which_answer(utterance: Utterance) -> Reading | None:
    # This reader hands words back to `read_all`, which lives in the registry, and the registry
    # imports this module to register the reader. Importing the registry at the top of this
    # module would therefore be circular; importing it here, when the reader runs, finds the
    # registry already loaded and costs only a lookup.
    from agent.offline.intents.registry import read_all

    context = utterance.context
    reply = context.previous_reply or ""
    if not context.previous_prompt or not (
        reply.startswith("Several tasks match")
        or reply in {chat.WHICH_TASK, chat.WHICH_TASK_AFTER_LIST}
    ):
        return None
    text = utterance.text.strip(" .!?")
    ref = task_named(text)
    if ref is None:
        return None
    earlier = utterance.clauses(context.previous_prompt)
    if not earlier.calls:
        # "can you push the renewal back a week": read by the reader that understood it.
        fresh = replace(context, previous_prompt=None, previous_reply=None)
        said = utterance.normalize(context.previous_prompt)
        again = replace(utterance, text=said, context=fresh)
        best = max(read_all(again), key=lambda reading: reading.score)
        if best.score >= 0.7:
            earlier = best.result
    if not earlier.calls and re.search(r"\b(?:it|that|this)\b", context.previous_prompt, re.I):
        # "move it to friday" had nothing to point at; the answer says what "it" was.
        named = re.sub(r"\b(?:it|that|this)\b", text, context.previous_prompt, count=1, flags=re.I)
        earlier = utterance.clauses(named)
    calls = [
        replace(call, args={**call.args, "task_id": ref})
        for call in earlier.calls
        if call.tool in {TOOL_UPDATE, TOOL_ASSIGN} or call.args.get("task_id") is not None
    ]
    if not calls:
        return None
    return make_reading("which_answer", calls, 0.88, "answers which task was meant")
