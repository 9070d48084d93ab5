"""New tasks the clause reader alone would read wrong.

A quoted title, words after "/task", work said to someone by mention or "ping me", several new
tasks in one message, "task for ana ...", "I need dave to ...", and notes in fragments, one
thing to a fragment.
"""

from __future__ import annotations

import re
from dataclasses import replace

from agent.offline.attributes import capitalize
from agent.offline.intents.clauses import assignee_from_title
from agent.offline.intents.cues import (
    TASK_NUMBER,
    create_cue,
    make_reading,
    person_named,
    task_named,
    unsafe_title,
)
from agent.offline.intents.utterance import Utterance
from agent.offline.lexicon import IMPERATIVE_VERBS
from agent.offline.people import known_person
from agent.offline.plan import TOOL_CREATE, TOOL_UPDATE, ParseResult, PlannedCall
from agent.offline.readings import Reading

# Notes in fragments, one thing to a fragment: "new one. ellie. confirm brennan menu tasting.
# thurs. #brennan. high", "greenfield call. tmrw. half nine. me.", "okafor deposit chase. delete
# pls. dup, it's in the crm already".
_FRAGMENT_END = re.compile(r"\.+(?:\s+|$)")
_FRAGMENT_CREATE = re.compile(
    r"^(?:(?:a\s+)?new\s+(?:one|task|todo|reminder)|add(?:\s+(?:one|a\s+task|this))?|task|todo|reminder"
    r"|note\s+to\s+self)(?:\s+(?:pls|please))?$",
    re.IGNORECASE,
)
_FRAGMENT_COMMANDS = {
    "delete": re.compile(r"^(?:delete|remove|bin|trash|kill)(?:\s+(?:it|pls|please|that))*$", re.I),
    "done": re.compile(
        r"^(?:done|close(?:\s+it)?|complete|finished|mark\s+(?:it\s+)?done)(?:\s+(?:pls|please))?$",
        re.I,
    ),
    "cancelled": re.compile(
        r"^(?:cancel(?:\s+it)?|scrap(?:\s+it)?|drop(?:\s+it)?)(?:\s+(?:pls|please))?$", re.I
    ),
}
# A fragment after the command that explains it: "dup, it's in the crm already".
_FRAGMENT_REMARK = re.compile(
    r"^(?:dup|duplicate|fyi|btw|thanks|thx|ta|cheers)\b|,\s+(?:it|it's|its|they|we|i)\b",
    re.IGNORECASE,
)


def read_fragments(utterance: Utterance) -> Reading | None:
    pieces = [piece.strip(" ,") for piece in _FRAGMENT_END.split(utterance.text.strip())]
    pieces = [piece for piece in pieces if piece]
    if len(pieces) < 3 or any(len(piece.split()) > 7 for piece in pieces):
        return None
    create = False
    command: str | None = None
    changes: dict[str, object] = {}
    topics: list[str] = []
    when: list[str] = []
    for piece in pieces:
        lowered = piece.lower()
        if _FRAGMENT_CREATE.match(piece):
            create = True
            continue
        said = next((name for name, cue in _FRAGMENT_COMMANDS.items() if cue.match(piece)), None)
        if said is not None:
            command = said
            continue
        if command is not None and _FRAGMENT_REMARK.search(piece):
            continue
        person = person_named(piece, utterance.context) if len(piece.split()) <= 2 else None
        if person is not None and (lowered in {"me", "myself"} or known_person(piece)):
            changes["assignee"] = person
            continue
        found = utterance.changes(piece)
        if not found and len(piece.split()) == 1:
            # "high": a level said alone is a priority.
            found = utterance.changes(f"{piece} priority")
        if found:
            if "due" in found:
                when.append(piece)
            changes.update(found)
            continue
        topics.append(piece)
    if len(topics) != 1 or (create and command is not None):
        return None
    if len(when) > 1:
        # "tmrw. half nine": the day and the time of one deadline.
        joined = utterance.changes(f"due {' '.join(when)}")
        if joined and "due" in joined:
            changes["due"] = joined["due"]
    topic = topics[0]
    if command is not None:
        ref = task_named(topic)
        if ref is None or changes:
            return None
        if command == "delete":
            call = PlannedCall("delete_task", {"task_id": ref})
        else:
            call = PlannedCall(TOOL_UPDATE, {"task_id": ref, "status": command})
        return make_reading("fragments", [call], 0.8, "a task named, then what to do with it")
    if not create and not ("due" in changes and "assignee" in changes):
        return None
    if unsafe_title(topic) or TASK_NUMBER.search(topic):
        return None
    call = PlannedCall(TOOL_CREATE, {"title": capitalize(topic), **changes})
    score = 0.86 if create else 0.72
    return make_reading("fragments", [call], score, "a new task noted in fragments")


# A quoted title: 'new task, title exactly: "X" (it's a test string)'.

_QUOTED_TITLE = re.compile(
    r"^(?:pls\s+|please\s+|can\s+(?:you|u)\s+)?(?:(?:add|create|make)\s+(?:a\s+)?(?:new\s+)?(?:task|todo)"
    r"|new\s+(?:task|todo)|add|todo)\b[\s,:–—-]*(?:(?:with\s+)?(?:the\s+)?title(?:\s+exactly)?\s*[:=]?\s*"
    r"|called\s+|titled\s+|named\s+)?\"(?P<title>[^\"]{2,200})\"(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)


def read_quoted_title(utterance: Utterance) -> Reading | None:
    match = _QUOTED_TITLE.match(utterance.text.strip())
    if match is None or re.match(r'^\s*(?:,|and\b|&|/)\s*"', match.group("rest")):
        # 'add "buy milk", "call mom" and "pay rent"' is several titles: the clauses read them.
        return None
    title = capitalize(match.group("title").strip())
    rest = match.group("rest").strip(" ,;.-–—")
    base = utterance.base_calls
    if len(base) == 1 and str(base[0].args.get("title", "")).lower() == title.lower():
        return None
    changes = utterance.changes(rest) if rest else {}
    args: dict[str, object] = {"title": title, **(changes or {})}
    return make_reading(
        "quoted_title", [PlannedCall(TOOL_CREATE, args)], 0.88, "a quoted title, word for word"
    )


# "/task update the onboarding checklist": after the command, words are a new task.


def read_slash_create(utterance: Utterance) -> Reading | None:
    if not utterance.slash or utterance.base_score >= 0.5:
        return None
    result = utterance.clauses(f"add a task: {utterance.text}")
    if len(result.calls) != 1 or result.calls[0].tool != TOOL_CREATE:
        return None
    return Reading("slash_create", result, 0.72, "/task followed by words that are no command")


# "@dave pls send the vendor the signed NDA by tmrw", "ping me in 2 hours to ...".

_ADDRESSED = re.compile(
    r"^(?P<who><@[UW][A-Z0-9]+>|@[\w.-]+)[\s,:]+(?:pls\s+|please\s+|can\s+you\s+|could\s+you\s+)?"
    r"(?P<rest>[a-z].+)$",
    re.IGNORECASE,
)
_PING = re.compile(
    r"^(?:pls\s+|please\s+|can\s+you\s+)?(?:ping|nudge|poke|buzz|bug|message|dm)\s+"
    r"(?P<who>me|<@[UW][A-Z0-9]+>|@[\w.-]+|[\w.-]+)\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
_CHANGE_VERBS = re.compile(
    r"^(?:close|mark|reopen|re-open|assign|reassign|move|push|delete|remove|update|rename|cancel"
    r"|finish|complete|set|change|give|hand|take|drop|bump|tick)\b",
    re.IGNORECASE,
)


def read_addressed(utterance: Utterance) -> Reading | None:
    text = utterance.text.strip()
    match = _ADDRESSED.match(text)
    first = match.group("rest").split()[0].lower() if match is not None else ""
    if (
        match is not None
        and first in IMPERATIVE_VERBS
        and not _CHANGE_VERBS.match(match.group("rest"))
        and not create_cue(match.group("rest"))
    ):
        result = utterance.clauses(f"remind {match.group('who')} to {match.group('rest')}")
        if len(result.calls) == 1 and result.calls[0].tool == TOOL_CREATE:
            return Reading("addressed", result, 0.86, "work said to someone by mention")
    match = _PING.match(text)
    if match is not None and person_named(match.group("who"), utterance.context) is not None:
        rest = match.group("rest")
        result = utterance.clauses(f"remind {match.group('who')} {rest}")
        if len(result.calls) == 1 and result.calls[0].tool == TOOL_CREATE:
            return Reading("ping", result, 0.86, "“ping me” is a reminder")
    return None


# Several new tasks in one message.

_AND_TO = re.compile(r"\s+and\s+(?:also\s+)?to\s+", re.IGNORECASE)
_QUOTED_ITEM = re.compile(r"[\"'](?P<title>[^\"']{2,120})[\"'](?P<rest>[^\"']*)")
_PERSON_ITEM = re.compile(r"^(?P<who><@[UW][A-Z0-9]+>|@?[\w.-]+)\s*:\s*(?P<title>\S.*)$")
_EACH = re.compile(
    r"^(?:[^:]*:)?\s*(?P<items>[^:]+?)\s*(?:[-–—]+|[,;.])\s*(?:pls\s+|please\s+|can\s+you\s+)?(?:add|make"
    r"|create)\s+(?:each|every\s+one|them\s+all|all\s+of\s+them|them|these|each\s+one)"
    r"(?:\s+(?:of\s+them\s+)?as\s+(?:a\s+)?(?:separate\s+|its\s+own\s+)?(?:tasks?|todos?))?\s*[.!]*$",
    re.IGNORECASE,
)


def _split_creates(utterance: Utterance) -> list[PlannedCall] | None:
    """ "add tasks to buy paper and to restock the coffee": one task per "to ..."."""
    base = utterance.base_calls
    if len(base) != 1 or base[0].tool != TOOL_CREATE:
        return None
    title = str(base[0].args.get("title", ""))
    parts = _AND_TO.split(title)
    if len(parts) < 2 or not all(len(part.split()) >= 2 for part in parts):
        return None
    return [PlannedCall(TOOL_CREATE, {**base[0].args, "title": capitalize(part)}) for part in parts]


def _quoted_creates(utterance: Utterance) -> list[PlannedCall] | None:
    """ "add 'pay rent' due dec 1 and 'pay the car loan' due dec 5": each with its details."""
    text = utterance.text
    items = list(_QUOTED_ITEM.finditer(text))
    if len(items) < 2 or not create_cue(text[: items[0].start()]):
        return None
    calls: list[PlannedCall] = []
    for item in items:
        rest = re.sub(r"^\s*(?:,|and\b|&)\s*|\s*(?:,|and|&)\s*$", "", item.group("rest")).strip()
        changes = utterance.changes(rest) if rest else {}
        if changes is None:
            return None
        calls.append(
            PlannedCall(TOOL_CREATE, {"title": capitalize(item.group("title")), **changes})
        )
    return calls


def _person_items(utterance: Utterance) -> list[PlannedCall] | None:
    """ "bob: order the cake, carol: book the room": one task for each person."""
    pieces = [
        piece.strip() for piece in re.split(r"\s*[,;]\s*|\n", utterance.text) if piece.strip()
    ]
    if len(pieces) < 2:
        return None
    calls: list[PlannedCall] = []
    for piece in pieces:
        match = _PERSON_ITEM.match(re.sub(r"^(?:and|&)\s+", "", piece))
        person = person_named(match.group("who"), utterance.context) if match is not None else None
        if match is None or person is None:
            return None
        found = utterance.clauses(f"add a task for {match.group('who')}: {match.group('title')}")
        if len(found.calls) != 1 or found.calls[0].tool != TOOL_CREATE:
            return None
        calls.append(replace(found.calls[0], args={**found.calls[0].args, "assignee": person}))
    return calls


def _each_item(utterance: Utterance) -> list[PlannedCall] | None:
    """ "weekend list: milk, eggs, batteries — add each as a task"."""
    match = _EACH.match(utterance.text.strip())
    if match is None:
        return None
    items = [
        re.sub(r"^(?:and|&)\s+", "", item).strip(" .")
        for item in re.split(r"\s*,\s*|\s+and\s+", match.group("items"))
    ]
    items = [item for item in items if item]
    if len(items) < 2 or any(len(item.split()) > 8 for item in items):
        return None
    return [PlannedCall(TOOL_CREATE, {"title": capitalize(item)}) for item in items]


# "ok couple things for tony. one, snake the drain today. two, check the gate code tomorrow",
# "add for tony: A; B; C": a heading that says whose the work is, then the items.
_HEADING = re.compile(
    r"^(?:(?:ok|okay|so|right|and)[\s,]+)*(?:(?:a\s+)?(?:couple(?:\s+of)?|few|some|two|three|four|five|2|3|4|5)"
    r"\s+(?:more\s+)?(?:things|tasks|items|todos|jobs)|(?:pls\s+|please\s+)?add(?:\s+(?:these|this|tasks"
    r"|the\s+following))?|(?:new\s+)?tasks)\s+for\s+(?P<who><@[UW][A-Z0-9]+>|@?[\w.-]+)\s*(?:[:.,;-]|\n)"
    r"\s*(?P<items>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_ITEM_MARK = re.compile(
    r"(?:^|[.;,]?\s+|\n\s*)(?:(?:one|two|three|four|five|first|second|third|fourth|fifth|next|then"
    r"|also|and\s+then)\s*[,:)-]\s*|(?:\d|[a-e])[.)]\s+|[-*•]\s+)|\s*;\s*|\n+",
    re.IGNORECASE,
)


def _headed_items(utterance: Utterance) -> list[PlannedCall] | None:
    """Each item after a heading that names who does them, as a task for that person."""
    match = _HEADING.match(utterance.text.strip())
    person = person_named(match.group("who"), utterance.context) if match is not None else None
    if match is None or person is None or not known_person(match.group("who")):
        return None
    items = [item.strip(" .,") for item in _ITEM_MARK.split(match.group("items"))]
    items = [item for item in items if item]
    if len(items) < 2:
        return None
    calls: list[PlannedCall] = []
    for item in items:
        found = utterance.clauses(f"add a task: {item}")
        if len(found.calls) != 1 or found.calls[0].tool != TOOL_CREATE:
            return None
        calls.append(replace(found.calls[0], args={**found.calls[0].args, "assignee": person}))
    return calls


_COUNTED = re.compile(
    r"^(?:pls\s+|please\s+|can\s+you\s+)?(?:add|create|make|new)\s+(?:two|three|four|2|3|4)"
    r"(?:\s+(?:new\s+)?(?:tasks|todos|things|more|ones))?(?P<shared>[^:]*):\s*(?P<items>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_OWNER_SUFFIX = re.compile(r"\s*\((?P<who>[^()]{1,30})\)\s*$")


def _counted_items(utterance: Utterance) -> list[PlannedCall] | None:
    """ "add two tasks for lena, both fri: A, and B" and "add two: A (kev) and B (jess)"."""
    match = _COUNTED.match(utterance.text.strip())
    if match is None:
        return None
    shared_text = re.sub(r"\b(?:both|all|each)\b", "", match.group("shared")).strip(" ,;-")
    shared = utterance.changes(shared_text) if shared_text else {}
    if shared is None:
        return None
    items = [
        item.strip(" .")
        for item in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", match.group("items"))
        if item.strip(" .")
    ]
    if len(items) < 2:
        return None
    calls: list[PlannedCall] = []
    for item in items:
        owner = _OWNER_SUFFIX.search(item)
        args: dict[str, object] = dict(shared)
        if owner is not None:
            person = person_named(owner.group("who"), utterance.context)
            if person is None:
                return None
            args["assignee"] = person
            item = item[: owner.start()]
        found = utterance.clauses(f"add a task: {item}")
        if len(found.calls) != 1 or found.calls[0].tool != TOOL_CREATE:
            return None
        calls.append(replace(found.calls[0], args={**found.calls[0].args, **args}))
    return calls


def read_several_creates(utterance: Utterance) -> Reading | None:
    for split in (
        _counted_items,
        _headed_items,
        _split_creates,
        _quoted_creates,
        _person_items,
        _each_item,
    ):
        calls = split(utterance)
        if calls:
            # "and one for ray to swap the dock lights": an item names its owner as titles do.
            owned = assignee_from_title(ParseResult(calls=tuple(calls)), utterance.context)
            return make_reading(
                "several_creates", owned.calls, 0.87, "several new tasks in one message"
            )
    return None


_NEED_PERSON = re.compile(
    r"^(?:i\s+|we\s+)?(?:need|want|would\s+like|'d\s+like)\s+(?P<who><@[UW][A-Z0-9]+>|@?[\w.-]+)\s+to\s+"
    r"(?P<rest>.+)$",
    re.IGNORECASE,
)


_TASK_FOR = re.compile(
    r"^(?:(?:a\s+)?new\s+)?(?:task|todo|one)\s+for\s+(?P<who><@[UW][A-Z0-9]+>|@?[\w.-]+)\s*[:,-]?\s+"
    r"(?P<rest>[a-z].+)$",
    re.IGNORECASE,
)


def read_task_for(utterance: Utterance) -> Reading | None:
    """ "task for ana get the JHA for cedar ave signed by end of day"."""
    match = _TASK_FOR.match(utterance.text.strip())
    if match is None or person_named(match.group("who"), utterance.context) is None:
        return None
    result = utterance.clauses(f"add a task for {match.group('who')}: {match.group('rest')}")
    if len(result.calls) != 1 or result.calls[0].tool != TOOL_CREATE:
        return None
    return Reading("task_for", result, 0.86, "a task for someone, then the work")


def read_need_person(utterance: Utterance) -> Reading | None:
    match = _NEED_PERSON.match(utterance.text.strip())
    if match is None:
        return None
    who = match.group("who")
    if not known_person(who) or who.lower() in {"me", "myself"}:
        return None
    result = utterance.clauses(f"remind {match.group('who')} to {match.group('rest')}")
    if len(result.calls) != 1 or result.calls[0].tool != TOOL_CREATE:
        return None
    return Reading("need_person", result, 0.8, "someone is needed to do something")
