"""A remark and a request in one message: readers that keep the two apart.

A remark about a task, then a command about it ("acme invoice reply went out, can close that");
a new task, then a remark that becomes its description; work said as a statement, then a
request to add it; and the request after a leading remark (`read_after_remark`), which
`read_all` tries when the clause reader understood little.
"""

from __future__ import annotations

import re
from dataclasses import replace

from agent.offline.intents.asides import (
    remark_as_description,
    remark_ref,
    remark_subject,
    with_head_details,
    without_comma_remark,
)
from agent.offline.intents.clauses import score_clauses
from agent.offline.intents.cues import (
    CREATE_CUE,
    NEED_DENIED,
    TASK_NUMBER,
    asks_teammate,
    create_cue,
    make_reading,
    person_named,
    task_named,
)
from agent.offline.intents.utterance import Utterance
from agent.offline.plan import TOOL_CREATE, TOOL_UPDATE, ParseResult, PlannedCall
from agent.offline.readings import Reading

# A remark about a task, then a command about it: "acme invoice reply went out, can close that".

_CLOSING_COMMAND = re.compile(
    r"(?:[,;.!]|\s-+|\s–|\s—|[\u2600-\u27bf]|\s)\s*(?:so\s+|pls\s+|please\s+|can\s+u\s+|can\s+you\s+|you\s+can\s+|"
    r"(?:we\s+)?can\s+|go\s+ahead\s+and\s+)*(?P<command>(?:close|tick|check|cross|mark|reopen|re-open|drop|scrap"
    r"|cancel)"
    r"(?:\s+(?:it|that|this|em|'em|them|that\s+one|this\s+one))(?:\s+(?:off|out|done|as\s+done|complete))?"
    r"|that\s+one'?s\s+done|that'?s\s+done|it'?s\s+done"
    # "that one can be marked done", "can you open it back up".
    r"|(?:it|that|this|that\s+one|this\s+one)\s+can\s+(?:be\s+)?(?:marked\s+(?:as\s+)?)?"
    r"(?:done|closed|complete|completed|cancel(?:l)?ed|reopened)"
    r"|open\s+(?:it|that|this|that\s+one|this\s+one)\s+(?:back\s+up|up\s+again|again))"
    r"\s*(?:pls|please)?\s*(?:\(.*\))?\s*[.!]*$",
    re.IGNORECASE,
)
# A remark that only names its topic: "nvm on the AP wire renewal", "re the zillow post", or
# says what was just done to it: "finally transcribed the mayors presser".
_TOPIC_ONLY = re.compile(
    r"^(?:(?:nvm|never\s+mind|ok|okay|so|fyi|oh)[\s,]+)*(?:on|about|re|regarding)\s+"
    r"(?P<topic>(?:the\s+)?[\w'&/ -]{3,60})$"
    r"|^(?:(?:finally|just|already|ok|so)\s+)*(?:i\s+|we\s+)?(?:have\s+|'ve\s+)?"
    r"(?P<verb>\w+ed|did|sent|wrote|made|took|paid|got|built|put|set\s+up|finished)\s+"
    r"(?P<topic2>(?:the|our|my)\s+[\w'&/ -]{3,60})$",
    re.IGNORECASE,
)


def _topic_named(head: str) -> str | None:
    """The topic of a remark's first clause when it only names it (see `_TOPIC_ONLY`)."""
    first = re.split(r"\s*(?:[,;.!]|\s-+|–|—)\s*", head.strip(), maxsplit=1)[0]
    match = _TOPIC_ONLY.match(first.strip())
    if match is None:
        return None
    return match.group("topic") or match.group("topic2")


def read_remark_then_command(utterance: Utterance) -> Reading | None:
    text = utterance.text.strip()
    match = _CLOSING_COMMAND.search(text)
    if match is None or match.start() == 0:
        return None
    head = text[: match.start()].strip(" ,;.!-–—")
    command = match.group("command").lower()
    status = "open" if command.startswith(("reopen", "re-open", "open")) else "done"
    if command.startswith(("drop", "scrap", "cancel")) or re.search(r"cancel+ed$", command):
        status = "cancelled"
    elif command.endswith("reopened"):
        status = "open"
    numbers = {int(found.group("n")) for found in TASK_NUMBER.finditer(head)}
    if len(numbers) == 1:
        # "shipped #32 🚀 close it pls": the remark names the task by number.
        call = PlannedCall(TOOL_UPDATE, {"task_id": numbers.pop(), "status": status})
        return make_reading("remark_then_command", [call], 0.86, "a remark names the task's number")
    if numbers or re.search(r"(?<![\w-])\d{1,6}(?![\w-])", head):
        return None
    subject = _topic_named(head) or remark_subject(head)
    named = task_named(subject) if subject is not None else None
    if named is not None:
        # "coastal freight's paid so you can close that one": the remark's subject is the task.
        call = PlannedCall(TOOL_UPDATE, {"task_id": named, "status": status})
        return make_reading(
            "remark_then_command", [call], 0.78, "a remark about a task, then a command"
        )
    ref = remark_ref(head, utterance.context)
    if ref is None:
        return None
    call = PlannedCall(TOOL_UPDATE, {"task_id": ref, "status": status})
    return make_reading(
        "remark_then_command", [call], 0.62, "a remark names the task, then a command"
    )


def read_trailing_remark(utterance: Utterance) -> Reading | None:
    """ "add a task to check the fridge log, the alarm went off overnight": the remark is the
    new task's description, never words of its title."""
    request, remark = without_comma_remark(utterance.text)
    if remark is None or not create_cue(request):
        return None
    result = utterance.clauses(request)
    if not result.calls or not all(call.tool == TOOL_CREATE for call in result.calls):
        return None
    score, _ = score_clauses(request, result)
    if score < 0.85:
        return None
    return Reading(
        "trailing_remark",
        remark_as_description(result, remark),
        score + 0.02,
        "a request, then a remark about it",
    )


# Work said as a statement, then a request to add it: "linda needs to send the payroll export
# tonight, can u add that for her", "someone needs to order more tips, just put it down for grace".
_NEEDS_TO = re.compile(
    r"^(?P<lead>.*?)\b(?P<who>someone|somebody|we|i|[a-z][\w.-]*)\s+(?:needs|need|has|have|has\s+got|'s\s+got"
    r"|should|must|ought)\s+to\s+(?P<work>\S.+)$",
    re.IGNORECASE,
)
_ADD_THAT = re.compile(
    r"[,.;!]?\s+(?:(?:so\s+|and\s+)?(?:(?:can|could|would)\s+(?:you|u|ya)\s+|just\s+|pls\s+|please\s+))*"
    r"(?:(?:add|put|log|make|create|jot|pop|stick)\s+(?:that|it|this)(?:\s+(?:down|in))?"
    r"(?:\s+as\s+a\s+task)?(?:\s+(?:for|on)\s+(?P<for>[\w.@<>-]+))?"
    # "can you make a task for carol for that".
    r"|(?:make|add|create|log)\s+(?:a\s+|one\s+)?(?:task|todo|ticket|reminder|one)?\s*for\s+(?P<for2>[\w.@<>-]+)"
    r"\s+(?:for|about|out\s+of)\s+(?:that|it|this))"
    r"(?P<rest>.*)$",
    re.IGNORECASE,
)


def read_statement_then_add(utterance: Utterance) -> Reading | None:
    text = utterance.text.strip()
    add = _ADD_THAT.search(text)
    if add is None:
        return None
    need = _NEEDS_TO.match(text[: add.start()])
    if need is None:
        return None
    subject = need.group("who").lower()
    named = add.group("for") or add.group("for2")
    person: str | None = None
    if named and named.lower().strip(",.") in {"her", "him", "them"}:
        person = person_named(subject, utterance.context)
    elif named:
        person = person_named(named, utterance.context)
        if person is None:
            return None
    elif subject in {"i", "we"}:
        person = "me" if subject == "i" else None
    else:
        person = person_named(subject, utterance.context)
    if person is None and subject not in {"someone", "somebody", "we"}:
        return None
    rest = re.sub(r"\s+is\s+(?:fine|ok|okay|good)\b", "", add.group("rest")).strip(" ,.!")
    lead = need.group("lead").strip(" ,")
    work = without_comma_remark(need.group("work").strip(" ,."))[0]
    words = f"add a task to {work.strip(' ,.')}"
    if rest:
        words = f"{words} {rest}"
    result = utterance.clauses(words)
    if len(result.calls) != 1 or result.calls[0].tool != TOOL_CREATE:
        return None
    call = result.calls[0]
    args = dict(call.args)
    if person is not None:
        args["assignee"] = person
    if lead and "due" not in args:
        changes = utterance.changes(f"due {lead}")
        if changes and "due" in changes:
            args["due"] = changes["due"]
    calls = (replace(call, args=args),)
    return Reading(
        "statement_then_add", ParseResult(calls=calls), 0.86, "work said, then asked to be added"
    )


# Where a remark ends and the request begins: "priya says the foundation's chasing her, can you
# bump the grant report to urgent", "volunteer desk is staffed 💪 close 5 pls".
_REMARK_END = re.compile(
    r",\s+so\s+|\s+so\s+|[,;]\s+|\s+[-–—]+\s+|[.!?]\s+"
    # "nguyen quota review is high rn but honestly make it urgent".
    r"|,?\s+but\s+(?:honestly\s+|actually\s+|really\s+|tbh\s+)?"
    # "hendricks wants 3 more dozen on top of 4471 can someone make a task to ...".
    r"|\s+(?=(?:can|could)\s+(?:some(?:one|body)|you|u|ya)\s+(?:pls\s+|please\s+)?(?:make|add|create"
    r"|put|log|set\s+up|open)\b)"
)
_REQUEST_START = re.compile(
    r"^(?:(?:so|and|but|pls|please|plz|just|also|then|now|(?:can|could)\s+(?:you|u|someone|somebody)"
    r"|would\s+you|you\s+can)\s+)*"
    r"(?P<verb>[a-z]+)\b",
    re.IGNORECASE,
)
_REQUEST_VERBS = frozenset(
    {
        "add", "create", "remind", "make", "mark", "close", "reopen", "cancel", "drop", "bump",
        "tag", "label", "flag",
        "give", "hand", "assign", "reassign", "move", "push", "put", "set", "tick", "rename",
        "log", "jot", "track", "file", "raise", "pop", "stick", "pull",
        "delete", "remove", "show", "list", "change", "update", "finish", "complete", "let",
    }
)  # fmt: skip


_THAT_ONE = re.compile(r"\b(?:that\s+one|this\s+one|that|it)\b", re.IGNORECASE)


def _with_subject(tail: str, subject: str) -> list[str]:
    """The command with "that one" named by the remark's subject ("close it, and add one for
    tomasz ..." after "ethics renewal is finally through"); for "them" after two subjects, the
    command once for each."""
    cue = CREATE_CUE.search(NEED_DENIED.sub(" ", tail))
    subject = re.sub(r"^(?:the|our|my)\s+", "", subject, flags=re.IGNORECASE)
    parts = re.split(r"\s+(?:and|&)\s+", subject)
    them = re.search(r"\b(?:both\s+of\s+them|them|both|the\s+two)\b", tail, re.IGNORECASE)
    if len(parts) in {2, 3} and them is not None and cue is None:
        return [f"{tail[: them.start()]}the {part} task{tail[them.end() :]}" for part in parts]
    that = _THAT_ONE.search(tail)
    if that is None or (cue is not None and that.start() > cue.start()):
        return [tail]
    return [f"{tail[: that.start()]}the {subject} task{tail[that.end() :]}"]


_BARE_COMMAND = re.compile(
    r"(?:(?:can|could)\s+(?:you|u)\s+)?(?P<verb>reopen|close|cancel|delete|drop|scrap|tick\s+off|bin)"
    r"(?:\s+(?:pls|please|plz))?[.!]*",
    re.IGNORECASE,
)


def read_after_remark(utterance: Utterance) -> Reading | None:
    """The request after a leading remark, read as if said alone; "that one" in it is what the
    remark was about."""
    # This reader hands words back to `read_all`, which lives in the registry, and the registry
    # imports this module to register the reader. Importing the registry at the top of this
    # module would therefore be circular; importing it here, when the reader runs, finds the
    # registry already loaded and costs only a lookup.
    from agent.offline.intents.registry import read_all

    text = utterance.text
    for match in _REMARK_END.finditer(text):
        tail = text[match.end() :].strip()
        start = _REQUEST_START.match(tail)
        if not tail or start is None:
            continue
        if start.group("verb").lower() not in _REQUEST_VERBS and not asks_teammate(tail):
            continue
        subject = remark_subject(text[: match.start()])
        bare = _BARE_COMMAND.fullmatch(tail)
        if subject is not None and bare is not None:
            # "forklift recert fell through ... reopen pls": the command is about the remark's
            # subject.
            tail = f"{bare.group('verb')} that one"
        tails = [tail]
        if subject is not None and not utterance.context.recent_task_ids:
            tails = _with_subject(tail, subject)
        bests = [
            max(
                read_all(
                    replace(utterance, text=one, after_remark=True, base_score=0.0, base_calls=())
                ),
                key=lambda reading: reading.score,
            )
            for one in tails
        ]
        if all(best.result.calls and best.score >= 0.7 for best in bests):
            calls = tuple(call for best in bests for call in best.result.calls)
            head = text[: match.start()].strip(" !,.;")
            said = utterance.changes(head) if head else None
            calls = tuple(with_head_details(call, said, subject) for call in calls)
            return Reading(
                f"after_remark:{bests[0].reader}",
                replace(bests[0].result, calls=calls),
                min(best.score for best in bests) - 0.02,
                f"the request after a remark; {bests[0].why}",
            )
    return None
