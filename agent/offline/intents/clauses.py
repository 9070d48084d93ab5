"""The reader of everything else: the clause parser, and how its reading is tidied and scored.

`read_clauses` reads the whole message with the clause parser, moves what the words say to
where it belongs (an owner named in the title, a remark that is a description), and scores the
result with `score_clauses`, which other readers use to score the clause reading of their own
words.
"""

from __future__ import annotations

import re
from dataclasses import replace

from agent.offline import chat
from agent.offline.attributes import capitalize
from agent.offline.intents.asides import remark_subject, with_head_details
from agent.offline.intents.cues import (
    CREATE_CUE,
    NEED_DENIED,
    TASK_NUMBER,
    asks_teammate,
    create_cue,
    person_named,
    unsafe_title,
)
from agent.offline.intents.utterance import Utterance
from agent.offline.lexicon import IMPERATIVE_VERBS
from agent.offline.people import known_person
from agent.offline.plan import (
    TOOL_CREATE,
    TOOL_UPDATE,
    ConversationContext,
    ParseResult,
    PlannedCall,
)
from agent.offline.readings import Reading

# The reader of everything else: the clause parser.


def read_clauses(utterance: Utterance) -> Reading:
    result = assignee_from_title(utterance.clauses(utterance.text), utterance.context)
    result = _it_named_by_remark(result, utterance.text)
    result = _plain_titles(_remarks_folded(result, utterance.text))
    score, why = score_clauses(utterance.text, result)
    return Reading(reader="clauses", result=result, score=score, why=why)


def _it_named_by_remark(result: ParseResult, text: str) -> ParseResult:
    """ "the conference room TV is broken again. can u make a task for dave to get IT to fix
    it": "it" at the end of the new task's title is what the sentence before was about."""
    first = re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)
    if len(first) < 2 or create_cue(first[0]):
        return result
    subject = remark_subject(first[0])
    if subject is None:
        return result
    calls = tuple(with_head_details(call, None, subject) for call in result.calls)
    return replace(result, calls=calls)


# A sentence that says something about the task just asked for ("the agency needs 3 weeks
# notice") opens with its subject, not with the work to do.
_STATEMENT = re.compile(
    r"^(?:the|a|an|they|it|we|he|she|this|that|there|our|their|his|her|its|it's|i'm|we're)\s",
    re.IGNORECASE,
)


_TITLE_LEAD = re.compile(
    r"^(?:a\s+|another\s+)?(?:follow[- ]?up|reminder|task|todo|note|new\s+one|new\s+task)\s+"
    r"(?:(?:for\s+\w+\s+)?to\s+)(?=\w+\s+\w+)",
    re.IGNORECASE,
)


def _plain_titles(result: ParseResult) -> ParseResult:
    """ "add a follow-up for me to recheck the bloodwork": the task is "Recheck the bloodwork"."""
    calls = tuple(
        replace(
            call,
            args={**call.args, "title": capitalize(_TITLE_LEAD.sub("", str(call.args["title"])))},
        )
        if call.tool == TOOL_CREATE and _TITLE_LEAD.match(str(call.args.get("title", "")))
        else call
        for call in result.calls
    )
    return replace(result, calls=calls)


def _remarks_folded(result: ParseResult, text: str) -> ParseResult:
    """ "can u add one to book an interpreter? the agency needs 3 weeks notice": one task, and
    the remark is its description, not a second task."""
    if len(CREATE_CUE.findall(text)) > 1:
        return result
    calls: list[PlannedCall] = []
    for call in result.calls:
        title = str(call.args.get("title", ""))
        last = calls[-1] if calls else None
        if (
            call.tool == TOOL_CREATE
            and last is not None
            and last.tool == TOOL_CREATE
            and _PUT_IN_DESCRIPTION.match(title)
            and "description" in call.args
        ):
            # "add a task for dale: fix the latch. put the sub's note in the description: '...'"
            # is one task with that description.
            if "description" not in last.args:
                calls[-1] = replace(
                    last, args={**last.args, "description": call.args["description"]}
                )
            continue
        if (
            call.tool == TOOL_CREATE
            and last is not None
            and last.tool == TOOL_CREATE
            and (_STATEMENT.match(title) or _later_sentence_remark(title, text))
            and set(call.args) == {"title"}
        ):
            if "description" not in last.args:
                calls[-1] = replace(last, args={**last.args, "description": title})
            continue
        calls.append(call)
    return replace(result, calls=tuple(calls))


def _later_sentence_remark(title: str, text: str) -> bool:
    """ "add 'source 120 chairs', prio urgent. honestly can't believe the supplier flaked": a
    sentence of its own after the request that opens with no verb of work is a remark."""
    first = title.split()[0].lower().strip(",.!") if title.split() else ""
    after_stop = re.search(r"[.!?]\s+" + re.escape(title[:20]), text, re.IGNORECASE) is not None
    return after_stop and len(title.split()) >= 4 and first not in IMPERATIVE_VERBS


_PUT_IN_DESCRIPTION = re.compile(
    r"^(?:put|add|paste|stick|use|copy)\b.*\b(?:in|into|to|as|on)(?:\s+the)?$", re.IGNORECASE
)
_PUT_IT_ON = re.compile(
    r"[,;]?\s+(?:and\s+)?(?:put|give|assign|hand)\s+(?:it|this|that)\s+(?:on|to)\s+(?P<who>\S+)$",
    re.IGNORECASE,
)


# "create two tasks: one for grace to organise the induction, and one for tom to ...".
_ONE_FOR = re.compile(
    r"^(?:one|another|one\s+more|the\s+other|a\s+second|the\s+second)\s+for\s+(?P<who>\S+)\s+to\s+"
    r"(?P<title>\S.*)$",
    re.IGNORECASE,
)
# "..., both by the 8th of jan": the date is every new task's.
_BOTH = re.compile(r"[\s,;–—-]+(?:both|all\s+of\s+them|all\s+three|each)$", re.IGNORECASE)


# "keisha — get COI from the roofing sub": a person, a dash, then the work.
_OWNER_DASH = re.compile(r"^(?P<who>[\w.@<>-]+?)\s*(?:\s-+|–|—)\s*(?P<rest>\S.*)$")
# "prep handout for the linux workshop, fatima's": the closing name owns the task.
_OWNER_AFTER = re.compile(r",\s*(?P<who>[\w.@-]+?)'s\s*$")
# "one for the team, no one in particular — chase the invoice": nobody in particular.
_NOBODY_IN_PARTICULAR = re.compile(
    r"^one\s+for\s+(?:the\s+team|everyone|anyone|whoever|the\s+group)(?:,?\s+no\s*one\s+in\s+particular)?"
    r"\s*(?:[,:]|\s-+|–|—)\s*(?=\S)",
    re.IGNORECASE,
)


def _owner_in_title(
    call: PlannedCall, title: str, context: ConversationContext
) -> tuple[PlannedCall, str]:
    nobody = _NOBODY_IN_PARTICULAR.match(title)
    if nobody is not None:
        title = capitalize(title[nobody.end() :])
        return replace(call, args={**call.args, "title": title}), title
    for pattern in (_OWNER_DASH, _OWNER_AFTER):
        match = pattern.search(title)
        if match is None or not known_person(match.group("who")):
            continue
        who = match.group("who")
        person = person_named(who if who.startswith(("<@", "@")) else who.lower(), context)
        if person is None:
            continue
        if pattern is _OWNER_DASH:
            title = capitalize(match.group("rest"))
        else:
            title = title[: match.start()].strip(" ,")
        return replace(call, args={**call.args, "title": title, "assignee": person}), title
    return call, title


def assignee_from_title(result: ParseResult, context: ConversationContext) -> ParseResult:
    """ "renew the ssl cert, put it on tomasz": the closing words name who does it."""
    calls: list[PlannedCall] = []
    shared_due: object = None
    for call in result.calls:
        title = str(call.args.get("title", ""))
        match = _PUT_IT_ON.search(title) if call.tool == TOOL_CREATE else None
        person = person_named(match.group("who"), context) if match is not None else None
        if match is not None and person is not None and "assignee" not in call.args:
            title = title[: match.start()].strip(" ,;")
            call = replace(call, args={**call.args, "title": title, "assignee": person})
        if call.tool == TOOL_CREATE and "assignee" not in call.args:
            call, title = _owner_in_title(call, title, context)
        one_for = _ONE_FOR.match(title) if call.tool == TOOL_CREATE else None
        person = person_named(one_for.group("who"), context) if one_for is not None else None
        if one_for is not None and person is not None and "assignee" not in call.args:
            title = capitalize(one_for.group("title"))
            call = replace(call, args={**call.args, "title": title, "assignee": person})
        if call.tool == TOOL_CREATE and _BOTH.search(title) and "due" in call.args:
            shared_due = call.args["due"]
            call = replace(call, args={**call.args, "title": _BOTH.sub("", title)})
        calls.append(call)
    if shared_due is not None:
        calls = [
            replace(call, args={**call.args, "due": shared_due})
            if call.tool == TOOL_CREATE and "due" not in call.args
            else call
            for call in calls
        ]
    return replace(result, calls=tuple(calls))


def score_clauses(text: str, result: ParseResult) -> tuple[float, str]:
    if not result.calls:
        reply = result.reply or ""
        if reply in {chat.UNKNOWN, chat.SHIFT_BY} or chat.suggested_title(reply) is not None:
            return 0.1, "nothing understood"
        if reply in {chat.WHICH_TASK, chat.WHICH_TASK_AFTER_LIST}:
            return 0.3, "asks which task"
        if reply == chat.OFF_TOPIC:
            return 0.55, "off-topic request"
        return 0.6, "a reply"
    refs = [call.title_ref for call in result.calls if call.title_ref is not None]
    if any(
        known_person(found.group("who")) for ref in refs for found in _TO_PERSON.finditer(ref.text)
    ):
        # "give the rota to tom or priya, whoever's on sat": a hand-over not understood.
        return 0.3, "looks a task up by words that hand it to someone"
    if any("," in ref.text for ref in refs):
        return 0.5, "looks a task up by words that hold a remark"
    if any(_TWO_REQUESTS_REF.search(ref.text) for ref in refs):
        return 0.5, "looks a task up by words that hold two requests"
    if any(_LEADING_PREPOSITION.match(ref.text) for ref in refs):
        return 0.5, "looks a task up by words that open with a preposition"
    if _BARE_BUMP.match(text) and any(call.tool == TOOL_UPDATE for call in result.calls):
        return 0.3, "bump says neither a priority nor a date"
    creates = [call for call in result.calls if call.tool == TOOL_CREATE]
    if creates and NEED_DENIED.search(text) and not create_cue(text):
        return 0.2, "says something is no longer needed, not that something new is"
    if any(unsafe_title(str(call.args.get("title", ""))) for call in creates):
        return 0.2, "a create whose title is a task reference"
    if creates and _UNNAMED.search(text):
        return 0.2, "a create of a task nobody named"
    if creates and _ADD_TO_TASK.search(text):
        return 0.2, "adds something to an existing task, not a new task"
    if any(TASK_NUMBER.search(str(call.args.get("title", ""))) for call in creates) and not (
        create_cue(text)
    ):
        return 0.3, "a create whose title names a task number, with no word that says create"
    if (
        creates
        and not create_cue(text)
        and any(_CHANGE_VERB_TITLE.match(str(call.args.get("title", ""))) for call in creates)
    ):
        return 0.3, "a create whose title starts with a verb that changes tasks"
    if any(_SECOND_REQUEST.search(str(call.args.get("title", ""))) for call in creates):
        return 0.6, "a new task's title holds another request"
    if creates and len(creates) == len(result.calls):
        if create_cue(text):
            return 0.85, "says to create"
        if TASK_NUMBER.search(text):
            return 0.3, "a create of a message that names a task number"
        if asks_teammate(text) and all(call.args.get("assignee") for call in creates):
            return 0.8, "asks a teammate to do new work"
        return 0.68, "reads as a new task, with no word that says create"
    return 0.75, "clause reading"


# "new task order rye for tues, and mark the flour call done": two requests, not one title.
_SECOND_REQUEST = re.compile(
    r",\s+and\s+(?:then\s+)?(?:mark|close|assign|give|move|push|put|delete|cancel|reopen|tick)\s+"
    r"(?:the|#|task|it|that|\d)",
    re.IGNORECASE,
)
# "smoke detectors to tony and the repaving quotes": a hand-over, then another task.
_TWO_REQUESTS_REF = re.compile(r"\bto\s+(?:the\s+)?\S+\s+(?:and|&)\s+(?:the|#|\d)", re.IGNORECASE)
_TO_PERSON = re.compile(r"\bto\s+(?P<who>@?[\w.-]+)", re.IGNORECASE)
# "lookup: to the bank": words that open with a preposition are a place or a person, no title.
_LEADING_PREPOSITION = re.compile(r"^(?:to|from|with|at|by|into|onto|via|than)\b", re.IGNORECASE)
# A title that opens with one of these reads as a change to a task, not as new work: "give the
# rota to tom or priya" is an assignment nobody could carry out, never a task called that.
_CHANGE_VERB_TITLE = re.compile(
    r"^(?:give|assign|reassign|hand|pass|move|push|reschedule|mark|close|reopen|cancel|delete"
    r"|remove|rename|bump|set|change|update|unassign|tick|check\s+off)\b.*\b(?:to|as|off|done)\b"
    r"|^(?:make|set|mark|change|tag|move|push|give|bump|flag)\s+(?:it|that|this|them)\b"
    r"|^(?:instead|actually|also|too)\b"
    r"|^(?:push|postpone|reschedule|delay|defer|reassign|unassign|reopen|rename|bump)\b"
    r"|^(?:can|could|should|will|gets\s+to)\s+(?:have|take|grab|own|handle)\b",
    re.IGNORECASE,
)
# "bump the ads one": up in priority, or later in time?
_BARE_BUMP = re.compile(
    r"^\s*(?:pls\s+|please\s+|can\s+you\s+)?bump\s+(?!.*\b(?:to|up|down|priority|prio|urgent|high|low|normal"
    r"|back|out|forward|by|later|earlier|tomorrow|today|monday|tuesday|wednesday|thursday|friday|\d)\b)",
    re.IGNORECASE,
)
# "add the thing we talked about in standup": a task nobody named.
_UNNAMED = re.compile(
    r"\b(?:the|that|this)\s+(?:thing|stuff|one|task|item)\s+(?:we|you|i|they|he|she)\s+"
    r"|\b(?:what|the\s+stuff)\s+we\s+(?:discussed|talked\s+about|said|agreed)\b",
    re.IGNORECASE,
)
# "add this note to #10": the words go to a task that exists, not to a new one.
_ADD_TO_TASK = re.compile(
    r"\badd\s+(?:\w+\s+){0,4}?(?:to|onto|on)\s+(?:task\s*#?\s?|#\s?)\d"
    r"|\badd\s+(?:\w+\s+){0,3}?(?:in|into|to|on)\s+(?:the\s+)?(?:description|desc|notes?|details)\b"
    r"|\b(?:description|desc|notes?|details|comment)\s+(?:of|on|for|to|in)\s+(?:task\s*#?\s?|#\s?)\d",
    re.IGNORECASE,
)
