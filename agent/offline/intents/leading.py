"""Words said before the request: a time, a reason, or the new task's details.

"tomorrow morning remind me to ...", "since X needs it friday, ...", "high prio for yuki by
12/9 #fe: ...".
"""

from __future__ import annotations

import re
from dataclasses import replace

from agent.offline.dates import find_dates
from agent.offline.intents.asides import remark_as_description, without_comma_remark
from agent.offline.intents.clauses import assignee_from_title, score_clauses
from agent.offline.intents.creates import read_need_person
from agent.offline.intents.utterance import Utterance
from agent.offline.lexicon import IMPERATIVE_VERBS
from agent.offline.plan import TOOL_CREATE, ParseResult
from agent.offline.readings import Reading
from agent.offline.reshape import reshape

# Words before the request: "tomorrow morning remind me to ...", "since X needs it friday, ...".

_LEADING_WHEN = re.compile(
    r"^(?P<when>(?:first\s+thing\s+)?(?:tomorrow|today|tonight|this|next|on|by|in|after|at|mon|tue|wed|thu"
    r"|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday|end\s+of)\b[^,]*?)"
    r"\s*,?\s+(?P<rest>(?:pls\s+|please\s+|can\s+you\s+|could\s+you\s+)?(?:remind|ping|nudge|add|create"
    r"|make|put|set|schedule|book|call|email|tell|ask|get|send|check)\b.+)$",
    re.IGNORECASE,
)
_SINCE = re.compile(
    r"^(?:since|because|as|given|seeing\s+as|now\s+that)\s+(?P<why>[^,]+),\s*(?P<rest>.+)$", re.I
)
_WHY_DUE = re.compile(
    r"\b(?:by|before|on|for|until|till)\s+(?P<when>.+)$|\b(?:needs?|wants?)\s+(?:it|them|this|that|the\s+\w+(?:\s+\w+)?)"
    r"\s+(?P<when2>.+)$",
    re.IGNORECASE,
)
_DETAILS_COLON = re.compile(r"^(?P<head>[^:\"“]{2,80}?):\s+(?P<title>\S.*)$")
_HEAD_CUE = re.compile(
    r"^(?:(?:a\s+)?new\s+(?:one|task|todo)|add|todo|task|create|pls\s+add(?:\s+a\s+task)?"
    r"|(?:(?:i|we)\s+)?need|(?:pls\s+)?(?:add|create|make))"
    r"(?:\s+(?P<count>\d{1,2}|two|three|four|five|six|a\s+few|some|these)\s+(?:new\s+)?(?:tasks|todos|items))?"
    r"(?:\s+(?:pls|please))?\b\s*",
    re.IGNORECASE,
)
_LEADING_ATTRIBUTES = re.compile(
    r"^(?P<head>(?:(?:#[A-Za-z][\w-]*|<@[UW][A-Z0-9]+>|@[\w.\-]+|urgent|asap|high\s+prio(?:rity)?|low\s+prio(?:rity)?"
    r"|p[0-3]|important)[\s,—–-]*)+)(?P<rest>[a-z].+)$",
    re.IGNORECASE,
)


def _with_due(result: ParseResult, due: str) -> ParseResult:
    calls = tuple(
        replace(call, args={**call.args, "due": due})
        if call.tool == TOOL_CREATE and "due" not in call.args
        else call
        for call in result.calls
    )
    return replace(result, calls=calls)


def _head_changes(utterance: Utterance, head: str) -> dict[str, object] | None:
    """Attributes said before a colon, one piece at a time: "high prio for yuki by 12/9 #fe"."""
    whole = utterance.changes(head)
    if whole is not None:
        return whole
    changes: dict[str, object] = {}
    for piece in re.split(r"\s*,\s*|\s+(?=(?:for|by|due|#|<@|@)\b|#|<@)", head):
        if not piece.strip():
            continue
        found = utterance.changes(piece.strip())
        if found is None:
            return None
        changes.update(found)
    return changes


def read_leading_words(utterance: Utterance) -> Reading | None:
    text = utterance.text.strip()
    text = re.sub(r"^/task\s+", "", text, flags=re.IGNORECASE)
    if (match := _LEADING_WHEN.match(text)) is not None:
        rest = match.group("rest")
        # "at six remind me to ping the vendor, they ghosted us": the time goes with the
        # request, before any remark after it.
        cut = re.search(r"[,;!?]\s|\s[-–—]\s", rest)
        at = cut.start() if cut is not None else len(rest)
        request, remark = without_comma_remark(rest)
        if remark is not None:
            moved = f"{request} {match.group('when')}"
        else:
            moved = f"{rest[:at]} {match.group('when')}{rest[at:]}"
        result = utterance.clauses(moved)
        if remark is not None:
            result = remark_as_description(result, remark)
        if result.calls and all(call.tool == TOOL_CREATE for call in result.calls):
            return Reading("leading_when", result, 0.86, "a time said before the request")
    if (match := _SINCE.match(text)) is not None:
        rest = match.group("rest")
        result = utterance.clauses(rest)
        if not result.calls:
            needed = read_need_person(replace(utterance, text=rest))
            if needed is not None:
                result = needed.result
        if not result.calls and _LEADING_WHEN.match(rest):
            # "since the rota goes out friday, tmrw remind me to ask jess ...".
            leading = read_leading_words(replace(utterance, text=rest))
            if leading is not None:
                result = leading.result
        why = _WHY_DUE.search(match.group("why"))
        when = (why.group("when") or why.group("when2") or "").strip() if why else ""
        when = re.split(r"\s+(?:for|so|because|since|as|to|when)\b", when)[0]
        changes = utterance.changes(f"due {when}") if when else None
        if not (changes and "due" in changes):
            # "since sony wants the patch notes locked by monday", "since renewals close fri".
            said = find_dates(match.group("why"))
            changes = {"due": said[0].phrase} if said else None
        if changes and "due" in changes:
            if not result.calls:
                # "draft the NDA for carol" is a task once the reason gives it a deadline.
                result = utterance.clauses(f"{rest} by {when}")
            result = _with_due(result, str(changes["due"]))
        if result.calls:
            score, _ = score_clauses(rest, result)
            return Reading("since", result, max(score, 0.7) + 0.06, "a reason before the request")
    match = _DETAILS_COLON.match(text)
    cue = _HEAD_CUE.match(match.group("head").strip()) if match is not None else None
    counted = cue is not None and bool(cue.group("count"))
    if match is not None and (utterance.base_score < 0.6 or counted):
        head = _HEAD_CUE.sub("", match.group("head").strip()).strip(" ,")
        # "need 3 tasks for kev, all due fri, tag inventory: ...": "all" says every task.
        head = re.sub(r"(^|,\s*)(?:all|each|every\s+one|both)\s+", r"\1", head, flags=re.IGNORECASE)
        changes = _head_changes(utterance, head) if head else {}
        first = match.group("title").split()[0].lower().strip(",.")
        says_create = cue is not None
        enough = bool(changes) and (first in IMPERATIVE_VERBS or len(changes) >= 2)
        if changes is not None and cue is not None and cue.group("count"):
            result = utterance.clauses(reshape(f"add these: {match.group('title')}"))
            if len(result.calls) >= 2 and all(call.tool == TOOL_CREATE for call in result.calls):
                calls = tuple(
                    replace(
                        call,
                        args={
                            **call.args,
                            **{k: v for k, v in changes.items() if k not in call.args},
                        },
                    )
                    for call in result.calls
                )
                return Reading(
                    "details_first", ParseResult(calls=calls), 0.87, "details before the titles"
                )
            # "add two tasks: X and Y" is for the readers of several new tasks.
            return None
        if changes is not None and (says_create or enough):
            result = utterance.clauses(match.group("title"))
            if len(result.calls) != 1 or result.calls[0].tool != TOOL_CREATE:
                result = utterance.clauses(f"add a task: {match.group('title')}")
            if len(result.calls) == 1 and result.calls[0].tool == TOOL_CREATE:
                call = result.calls[0]
                merged = {**call.args, **{k: v for k, v in changes.items() if k not in call.args}}
                calls = (replace(call, args=merged),)
                return Reading(
                    "details_first", ParseResult(calls=calls), 0.87, "details before the title"
                )
    if (match := _LEADING_ATTRIBUTES.match(text)) is not None and utterance.base_score < 0.5:
        moved = f"{match.group('rest')} {match.group('head').strip(' ,—–-')}"
        result = assignee_from_title(utterance.clauses(moved), utterance.context)
        if not (result.calls and all(call.tool == TOOL_CREATE for call in result.calls)):
            # "#suppliers high prio @sam get 3 quotes by fri": details, then the work to do.
            result = assignee_from_title(
                utterance.clauses(f"add a task to {moved}"), utterance.context
            )
        if result.calls and all(call.tool == TOOL_CREATE for call in result.calls):
            score, _ = score_clauses(moved, result)
            if score <= 0.3:
                # A title that is a task reference stays unsafe however the words are moved.
                return None
            return Reading(
                "details_first", result, max(score, 0.7) + 0.06, "details before the request"
            )
    if text != utterance.text.strip():
        result = utterance.clauses(text)
        score, why = score_clauses(text, result)
        return Reading("slash_command", result, score + 0.01, why)
    return None
