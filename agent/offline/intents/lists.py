"""Lists by status, by who made or has the tasks, and what is on someone's plate."""

from __future__ import annotations

import re

from agent.offline.intents.cues import make_reading, person_named
from agent.offline.intents.utterance import Utterance
from agent.offline.people import known_person
from agent.offline.plan import PlannedCall
from agent.offline.readings import Reading

# Lists by who made or has the tasks: "tasks carol created?", "show me Lee's tasks in progress".

_CREATED_BY = re.compile(
    r"^(?:show\s+me\s+|list\s+|what\s+are\s+)?(?:the\s+)?(?:tasks|todos|stuff|things|items)\s+(?:that\s+)?"
    r"(?P<who>[\w.@<>-]+)\s+(?:created|made|added|opened|set\s+up|wrote|filed|logged)\b(?P<rest>.*)$"
    r"|^what\s+(?:did|has|have)\s+(?P<who2>[\w.@<>-]+)\s+(?:create|created|add|added|make|made|open"
    r"|opened|set\s+up|file|filed|log|logged|put\s+(?:on|in)\s+(?:the\s+)?(?:list|board))\b(?P<rest2>.*)$"
    r"|^(?:show\s+(?:me\s+)?)?(?:everything|all|anything)\s+(?:that\s+)?(?P<who3>[\w.@<>-]+)\s+(?:has|have|'s)"
    r"\s+(?:created|added|made|opened|set\s+up|filed|logged|put\s+(?:on|in)\s+(?:the\s+)?(?:list|board))\b"
    r"(?P<rest3>.*)$",
    re.IGNORECASE,
)
_WHOSE_TASKS = re.compile(
    r"^(?:show\s+(?:me\s+)?|list\s+|what\s+are\s+|gimme\s+|give\s+me\s+)?(?P<who>[\w.@<>-]+)'s\s+"
    r"(?P<rest>(?:open\s+|active\s+|current\s+)?(?:tasks|todos|stuff|things|items|work)\b.*)$",
    re.IGNORECASE,
)
# "what has tony actually finished", "what did dave get done this week": done work of theirs.
_FINISHED_BY = re.compile(
    r"^(?:so\s+|and\s+|ok\s+)?what(?:'s|\s+has|\s+have|\s+did)\s+(?P<who>[\w.@<>-]+)\s+(?:actually\s+|already"
    r"\s+|even\s+|really\s+)?(?:finished|finish|done|completed|complete|closed|close|wrapped\s+up"
    r"|wrap\s+up|got(?:ten)?\s+done|get\s+done|knocked\s+out|shipped|ship)\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_LIST_STATUS = (
    (
        re.compile(
            r"\bincl(?:uding|\.|udes)?\s+(?:the\s+)?(?:done|closed|finished|completed|cancelled)\b|\beven\s+"
            r"(?:the\s+)?(?:done|closed|finished)\b"
            r"|\b(?:done|closed|finished|completed|cancelled)(?:\s+(?:ones|stuff|tasks|things|off))?\s+too\b"
            r"|\bincl(?:uding|\.)?\s+(?:anything|everything|any|the\s+ones|ones|stuff)\s+(?:that'?s\s+|that\s+"
            r"(?:has|have|was|were)\s+|that\s+is\s+)?(?:been\s+)?(?:closed|done|finished|completed)"
            r"|\b(?:open|active)\s+(?:or|and|&|\+|/)\s+(?:closed|done|finished)\b"
            r"|\b(?:closed|done|finished)\s+(?:or|and|&|\+|/)\s+(?:open|not)\b|\b(?:done|finished)\s+or\s+not\b",
            re.I,
        ),
        "any",
    ),
    (re.compile(r"\bin[\s-]progress\b|\bstarted\b|\bongoing\b", re.I), "in_progress"),
    (re.compile(r"\b(?:done|finished|completed)\b", re.I), "done"),
    (re.compile(r"\bclosed\b", re.I), "closed"),
    (re.compile(r"\bopen\b", re.I), "open"),
)


_EVERYTHING_FOR = re.compile(
    r"^(?:show\s+(?:me\s+)?|list\s+)?(?:everything|all(?:\s+the)?\s+tasks|all)\s+(?:for|of|assigned\s+to)\s+"
    r"(?P<who>[\w.@<>-]+)(?P<rest>.*)$"
    r"|^(?:show\s+(?:me\s+)?)?everything\s+(?P<who2>[\w.@<>-]+)\s+has\b(?P<rest2>.*)$",
    re.IGNORECASE,
)


def _list_status(rest: str) -> str | None:
    return next((status for pattern, status in _LIST_STATUS if pattern.search(rest)), None)


_LIST_NOISE_QUERY = frozenset({"board", "list", "system", "tracker", "plate", "queue"})
_QUERY_NOISE = re.compile(
    r"\b(?:right\s+now|rn|atm|at\s+the\s+moment|currently|now|today|only|please|pls)\b",
    re.IGNORECASE,
)
_LIST_ABOUT = re.compile(
    r"\bevery\s+(?P<q>(?!single\b|one\b)[\w-]{3,})\s+(?:task|todo|item|ticket)s?\b"
    r"|\b(?:anything|tasks?|stuff|something)\s+(?:about|on|re|regarding|for)\s+(?!me\b|my\b|the\s+go\b)"
    r"(?P<q2>[\w-]{3,})"
    # "pull up everything whitmore incl the done stuff": a word that names no one.
    r"|\beverything\s+(?P<q3>(?!(?:incl|including|that|for|about|due|in|on|open|done|closed|else|assigned"
    r"|overdue|from|by|with|i|we|you)\b)[\w-]{3,})\b(?!'s|\s+(?:has|have|is|owns|got|created|made|did))",
    re.IGNORECASE,
)


def read_list_status(utterance: Utterance) -> Reading | None:
    """ "what's closed", "everything kev has, incl done", "anything overdue on the board?", and
    "and incl finished ones?" after a list: the list with the statuses and words people mean."""
    base = utterance.base_calls
    text = utterance.text
    call: PlannedCall | None = None
    if len(base) == 1 and base[0].tool == "list_tasks":
        call = base[0]
    elif (
        re.match(r"^(?:and|what\s+about|plus)\b", text.strip(), re.I)
        and utterance.context.previous_prompt
    ):
        earlier = utterance.clauses(utterance.context.previous_prompt)
        if len(earlier.calls) == 1 and earlier.calls[0].tool == "list_tasks":
            call = earlier.calls[0]
    if call is None:
        return None
    args = dict(call.args)
    status = _list_status(text)
    if status == "any" or (status == "closed" and args.get("status") in (None, "done")):
        args["status"] = status
    query = str(args.get("query", ""))
    if query:
        # "whats everyone working on rn (in progress only)": no words of a title there.
        cleaned = _QUERY_NOISE.sub(" ", re.sub(r"\(.*", "", query)).strip(" ,.")
        if cleaned.lower() in _LIST_NOISE_QUERY:
            cleaned = ""
        if cleaned != query:
            if cleaned:
                args["query"] = cleaned
            else:
                del args["query"]
    if "query" not in args and (about := _LIST_ABOUT.search(text)) is not None:
        # "show me every trailer task incl done", "anything about invoices on the go?".
        word = (about.group("q") or about.group("q2") or about.group("q3")).lower()
        if not (about.group("q3") and known_person(word)):
            args["query"] = word
    from_base = bool(base) and call is base[0]
    if from_base and args == dict(call.args):
        return None
    return make_reading(
        "list_status", [PlannedCall("list_tasks", args)], 0.8, "the statuses asked for"
    )


def read_list_by_person(utterance: Utterance) -> Reading | None:
    base = utterance.base_calls
    text = utterance.text.strip(" ?!.")
    created = _CREATED_BY.match(text)
    if (
        len(base) == 1
        and base[0].tool == "list_tasks"
        and ({"assignee", "creator"} & set(base[0].args))
        and not (created and {"due_before", "due_after"} & set(base[0].args))
    ):
        # "what did dave create this week" is about when tasks were made, not when they are
        # due: the creator alone answers it, without a due filter.
        return None
    args: dict[str, object] = {}
    if (match := created) is not None:
        who = match.group("who") or match.group("who2") or match.group("who3")
        person = person_named(who, utterance.context)
        if person is None:
            return None
        args["creator"] = person
        rest = match.group("rest") or match.group("rest2") or match.group("rest3") or ""
    elif (match := _FINISHED_BY.match(text)) is not None:
        person = person_named(match.group("who"), utterance.context)
        if person is None:
            return None
        args = {"assignee": person, "status": "done"}
        return make_reading("list_by_person", [PlannedCall("list_tasks", args)], 0.85, "work done")
    elif (match := _EVERYTHING_FOR.match(text)) is not None:
        person = person_named(match.group("who") or match.group("who2"), utterance.context)
        if person is None:
            return None
        args["assignee"] = person
        rest = match.group("rest") or match.group("rest2") or ""
    elif (match := _WHOSE_TASKS.match(text)) is not None:
        person = person_named(match.group("who"), utterance.context)
        if person is None:
            return None
        args["assignee"] = person
        rest = match.group("rest")
    else:
        return None
    status = _list_status(rest)
    if status is not None:
        args["status"] = status
    return make_reading("list_by_person", [PlannedCall("list_tasks", args)], 0.85, "whose tasks")


_WHOSE_PLATE = re.compile(
    r"^(?:what(?:'s|\s+is|\s+does|\s+has)|whats|what)\s+(?P<who>[\w.@<>-]+)\s+(?:got|have|has|working\s+on"
    r"|doing|on)(?:\s+on)?(?:\s+(?:atm|rn|right\s+now|now|at\s+the\s+moment|today|this\s+week))?\s*\??$",
    re.IGNORECASE,
)


def read_whose_plate(utterance: Utterance) -> Reading | None:
    match = _WHOSE_PLATE.match(utterance.text.strip())
    if match is None:
        return None
    person = person_named(match.group("who"), utterance.context)
    if person is None:
        return None
    call = PlannedCall("list_tasks", {"assignee": person})
    return make_reading("whose_plate", [call], 0.85, "asks what someone has on")
