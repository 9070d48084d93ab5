"""Clauses that change an existing task: update, assign and delete.

The general shape is *verb target changes* ("move #3 to next tuesday", "make it urgent", "give the
SSL task to bob") or *target linking-verb changes* ("#3 is done", "the bank task is due friday").
Changes are peeled off the end of the clause (a date, a status, a priority, "to bob"), and what
is left after the verb is the target. A target given only by title words with no "task" noun
("the report") needs a determiner ("the", "my", "that") so that "call bob tomorrow" never reads
as an update.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.offline import chat
from agent.offline.actions import Action, ClauseResult, Reply, ReplyKind
from agent.offline.attributes import priority_word
from agent.offline.dates import find_dates
from agent.offline.lexicon import STATUS_WORDS
from agent.offline.plan import TOOL_ASSIGN, TOOL_DELETE, TOOL_UPDATE, TitleRef
from agent.offline.slots import Pronoun, Target, TargetMatch, parse_target, person_slot

_BULK = re.compile(
    r"^(?:all|everything|every\s+(?:single\s+)?(?:task|todo|one)|each\s+(?:task|one)"
    r"|all\s+(?:of\s+)?(?:the\s+|my\s+|our\s+|these\s+|those\s+)?(?:\w+\s+)?(?:tasks|todos|to-dos|items|ones|of\s+them)"
    r"|them\s+all|all\s+of\s+them|the\s+(?:whole|entire)\s+(?:list|thing|board|backlog)"
    r"|my\s+(?:whole\s+|entire\s+)?(?:list|board|backlog)|the\s+lot|both|them)"
    r"(?:\s+(?:tasks|todos))?(?:\s+(?:please|pls|now))?$",
    re.IGNORECASE,
)
_DETERMINERS = re.compile(r"^(?:the|my|our|that|this|your)\s+", re.IGNORECASE)
_TASKISH = re.compile(r"\b(?:task|todo|to-do|item|ticket|reminder)\b", re.IGNORECASE)
_HAS_NUMBER = re.compile(r"#\s?\d|\btask\s*\d", re.IGNORECASE)
_SHIFT_BY = re.compile(
    r"\b(?:by|back|out|forward)\s+(?:a|an|one|two|three|a\s+couple\s+of|a\s+few|\d+)\s+"
    r"(?:more\s+)?(?:days?|weeks?|hours?|months?)\b",
    re.IGNORECASE,
)

_DONE_VERBS = (
    "complete",
    "completed",
    "finish",
    "finished",
    "close",
    "closed",
    "close out",
    "closed out",
    "resolve",
    "resolved",
    "check off",
    "checked off",
    "tick off",
    "ticked off",
    "cross off",
    "crossed off",
    "wrap up",
    "wrapped up",
    "knock out",
    "knocked out",
    "knocked off",
    "done with",
    "finished with",
    "did",
    "fixed",
    "shipped",
    "nailed",
    "sent",
    "submitted",
    "done",
)
_PAST_DONE_VERBS = frozenset(
    {
        "completed",
        "finished",
        "closed",
        "closed out",
        "resolved",
        "checked off",
        "ticked off",
        "crossed off",
        "wrapped up",
        "knocked out",
        "knocked off",
        "done with",
        "finished with",
        "did",
        "fixed",
        "shipped",
        "nailed",
        "sent",
        "submitted",
        "done",
    }
)
_REOPEN_VERBS = (
    "reopen",
    "re-open",
    "re open",
    "reopened",
    "unclose",
    "uncomplete",
    "un-complete",
    "undo",
    "restore",
    "revive",
    "resurrect",
    "uncancel",
    "un-cancel",
    "bring back",
    "unarchive",
)
_START_VERBS = (
    "start",
    "started",
    "starting",
    "begin",
    "began",
    "beginning",
    "kick off",
    "kicked off",
    "working on",
    "work on",
    "now working on",
    "currently working on",
    "tackling",
    "on",
)
_CANCEL_VERBS = (
    "cancel",
    "cancelled",
    "canceled",
    "drop",
    "dropped",
    "scrap",
    "scrapped",
    "abandon",
    "abandoned",
    "abort",
    "ditch",
    "ditched",
    "skip",
    "kill",
    "killed",
    "shelve",
    "shelved",
    "axe",
    "forget about",
    "forget",
    "never mind",
    "nevermind",
    "nvm",
    "don't need",
    "dont need",
    "no longer need",
)
_ASSIGN_VERBS = (
    "assign",
    "reassign",
    "re-assign",
    "give",
    "hand off",
    "hand over",
    "hand",
    "pass on",
    "pass",
    "transfer",
    "delegate",
    "route",
    "forward",
    "send",
    "move",
)
_GENERIC_VERBS = (
    "mark",
    "set",
    "make",
    "change",
    "update",
    "edit",
    "flag",
    "put",
    "turn",
    "switch",
    "bump",
    "bump up",
    "raise",
    "lower",
    "move",
    "push",
    "push back",
    "push out",
    "postpone",
    "reschedule",
    "delay",
    "shift",
    "defer",
    "slide",
    "extend",
    "pull in",
    "move up",
    "bring forward",
    "prioritize",
    "prioritise",
    "deprioritize",
    "deprioritise",
    "de-prioritize",
    "escalate",
    "downgrade",
    "upgrade",
)
_DELETE_VERBS = (
    "delete",
    "remove",
    "trash",
    "erase",
    "nuke",
    "del",
    "rm",
    "destroy",
    "purge",
    "discard",
    "get rid of",
    "throw away",
    "throw out",
    "bin",
)
_RESCHEDULE_VERBS = frozenset(
    {
        "move",
        "push",
        "push back",
        "push out",
        "postpone",
        "reschedule",
        "delay",
        "shift",
        "defer",
        "slide",
        "extend",
        "pull in",
        "move up",
        "bring forward",
    }
)
_IMPLIED: dict[str, dict[str, object]] = {
    **{verb: {"status": "done"} for verb in _DONE_VERBS},
    **{verb: {"status": "open"} for verb in _REOPEN_VERBS},
    **{verb: {"status": "in_progress"} for verb in _START_VERBS},
    **{verb: {"status": "cancelled"} for verb in _CANCEL_VERBS},
    "prioritize": {"priority": "high"},
    "prioritise": {"priority": "high"},
    "escalate": {"priority": "urgent"},
    "bump": {"priority": "high"},
    "bump up": {"priority": "high"},
    "raise": {"priority": "high"},
    "upgrade": {"priority": "high"},
    "deprioritize": {"priority": "low"},
    "deprioritise": {"priority": "low"},
    "de-prioritize": {"priority": "low"},
    "downgrade": {"priority": "low"},
    "lower": {"priority": "low"},
}


def _verb_pattern(verbs: tuple[str, ...] | list[str]) -> str:
    ordered = sorted(set(verbs), key=len, reverse=True)
    return "|".join(re.escape(verb).replace(r"\ ", r"\s+") for verb in ordered)


_SUBJECT = (
    r"(?:(?:i|we)(?:'ve|'m|\s+am|\s+have|\s+just|\s+already|\s+finally|\s+are|'re)*\s+"
    r"|just\s+|(?:all\s+)?(?:now\s+)?)?"
)
_VERB = re.compile(
    rf"^{_SUBJECT}(?P<verb>{_verb_pattern([*_DONE_VERBS, *_REOPEN_VERBS, *_START_VERBS, *_CANCEL_VERBS, *_ASSIGN_VERBS, *_GENERIC_VERBS])})(?![\w'])\s*",
    re.IGNORECASE,
)
_DELETE = re.compile(
    rf"^(?:(?:please|pls|just|go\s+ahead\s+and|permanently)\s+)*(?P<verb>{_verb_pattern(_DELETE_VERBS)})(?![\w'])\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_LINKING = re.compile(
    r"\s+(?:is|are|was|'s|has\s+been|have\s+been|is\s+now|now|should\s+be|needs\s+to\s+be"
    r"|can\s+be|got|gets|is\s+all|are\s+all|is\s+finally|goes|go)$",
    re.IGNORECASE,
)
_DANGLING = re.compile(
    r"(?:\s+(?:to|as|into|in|for|till|until|by|on|->|=>|due|with|at|from|is|are|up|back|out"
    r"|over|be|and|then)|\s*[,:;=\-]|\s*->|\s*=>)+$",
    re.IGNORECASE,
)


@dataclass
class _Changes:
    """Fields peeled off the end of a clause."""

    fields: dict[str, object] = field(default_factory=dict[str, object])
    assignee: str | None = None

    def empty(self) -> bool:
        return not self.fields and self.assignee is None


def parse_update(clause: str) -> ClauseResult:
    """Read a clause as an update, an assignment or a deletion of an existing task."""
    for parser in (_parse_delete, _parse_description, _parse_rename, _parse_tags):
        result = parser(clause)
        if result is not None:
            return result
    return _parse_change(clause)


def _parse_delete(clause: str) -> ClauseResult:
    match = _DELETE.match(clause)
    if match is None:
        trailing = re.match(
            r"^(?P<rest>.+?)\s+(?:can|should|must)\s+be\s+(?:deleted|removed|trashed)\b.*$",
            clause,
            re.IGNORECASE,
        )
        if trailing is None:
            return None
        rest = trailing.group("rest")
    else:
        rest = match.group("rest")
    rest = re.sub(
        r"\s+(?:please|pls|now|for\s+good|permanently|entirely|completely|thanks)$", "", rest.strip(), flags=re.I
    ).strip(" .!?")
    if not rest:
        return Reply(chat.WHICH_TASK, ReplyKind.CLARIFY)
    if _BULK.match(rest) or re.match(r"^(?:all|every)\b", rest, re.IGNORECASE):
        return Reply(chat.DELETE_ALL, ReplyKind.CLARIFY)
    if re.search(r"\bfrom\b", rest, re.IGNORECASE):
        if re.search(r"\b(?:assignee|owner|me|him|her|bob|assigned)\b|@", rest, re.IGNORECASE):
            return Reply(chat.UNASSIGN, ReplyKind.CLARIFY)
        return None
    if find_dates(rest):
        return None
    target = _target(rest, loose_ok=True)
    if target is None:
        return None
    return [Action(TOOL_DELETE, {"task_id": target.target})]


_DESCRIPTION_PATTERNS = (
    re.compile(
        r"^(?:add|append|put|attach|leave|write|drop)\s+(?:a\s+|the\s+|this\s+|some\s+|an?\s+extra\s+)?"
        r"(?:note|notes|comment|description|details|context|info)\s+(?:to|on|for|in)\s+(?P<target>.+?)"
        r"\s*(?::|\bsaying\b|\bthat\s+says\b|\bthat\b|\s-\s|–|,)\s*(?P<value>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(
        r"^(?:add|append)\s+(?:to\s+)?(?:the\s+)?(?:description|notes)\s+(?:of|on|for)\s+(?P<target>.+?)"
        r"\s*:\s*(?P<value>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(
        r"^(?:set|update|change|make|edit|replace)\s+(?:the\s+)?(?:description|desc|notes?|details)"
        r"\s+(?:of|on|for)\s+(?P<target>.+?)\s*(?:\bto\b|\bas\b|:|\bwith\b)\s*(?P<value>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(
        r"^describe\s+(?P<target>.+?)\s*(?:\bas\b|:)\s*(?P<value>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(
        r"^(?P<target>#\s?\d+|task\s*#?\d+|it|that|this)\s*(?:'s)?\s*[:,-]?\s*"
        r"(?:note|notes|description|desc|details|comment)\s*:\s*(?P<value>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(
        r"^(?:note|notes|comment)\s+(?:on|for|to)\s+(?P<target>.+?)\s*:\s*(?P<value>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(
        r"^(?:add|put|write)\s+[\"'](?P<value>.+)[\"']\s+(?:to|in|on)\s+(?:the\s+)?"
        r"(?:description|notes?)\s+(?:of|on|for)\s+(?P<target>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(
        r"^(?:add|leave|put)\s+(?:a\s+)?(?:note|comment|description)(?P<target>)\s*(?::|\bsaying\b"
        r"|\bthat\s+says\b)\s*(?P<value>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
)


def _parse_description(clause: str) -> ClauseResult:
    for pattern in _DESCRIPTION_PATTERNS:
        match = pattern.match(clause)
        if match is None:
            continue
        target = _target(match.group("target"), loose_ok=True, empty_is_it=True)
        value = match.group("value").strip().strip("\"'").strip()
        if target is None or not value:
            continue
        return [Action(TOOL_UPDATE, {"task_id": target.target, "description": value})]
    return None


_RENAME_PATTERNS = (
    re.compile(
        r"^(?:rename|retitle|re-title|re-name)\s+(?P<target>.*?)\s*(?:\bto\b|\bas\b|\binto\b|:|->)\s*(?P<value>.+)$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:change|update|set|edit|fix)\s+(?:the\s+)?(?:title|name|wording|text)\s+(?:of|on|for)\s+"
        r"(?P<target>.+?)\s*(?:\bto\b|\bas\b|:)\s*(?P<value>.+)$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:change|update|set|edit)\s+(?P<target>.+?)(?:'s|s')\s+(?:title|name)\s*(?:\bto\b|\bas\b|:)\s*(?P<value>.+)$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?P<target>.+?)\s+should\s+(?:be\s+)?(?:called|named|titled|say|read)\s+(?P<value>.+)$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:change|update|set|edit)\s+(?:the\s+|its\s+)?(?P<target>)(?:title|name)\s*(?:\bto\b|:)\s*(?P<value>.+)$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:call|name|title)\s+(?P<target>it|that|this|this\s+one|that\s+one)\s+(?P<value>.+)$",
        re.IGNORECASE,
    ),
)


def _parse_rename(clause: str) -> ClauseResult:
    for pattern in _RENAME_PATTERNS:
        match = pattern.match(clause)
        if match is None:
            continue
        target = _target(match.group("target"), loose_ok=True, empty_is_it=True)
        value = match.group("value").strip().strip(" .!").strip().strip("\"'").strip()
        if target is None or not value:
            continue
        return [Action(TOOL_UPDATE, {"task_id": target.target, "title": value})]
    return None


_TAG_PATTERNS = (
    re.compile(
        r"^(?:tag|label)\s+(?P<target>.+?)\s+(?:with|as|:)\s*(?P<value>.+)$", re.IGNORECASE
    ),
    re.compile(
        r"^(?:tag|label)\s+(?P<target>#\s?\d+|task\s*#?\d+|it|that|this)\s+(?P<value>.+)$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:add|put)\s+(?:the\s+|a\s+)?(?:tags?|labels?)\s+(?P<value>.+?)\s+(?:to|on)\s+(?P<target>.+)$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:add|put)\s+(?P<value>#[A-Za-z][\w\-]*(?:[\s,]+(?:and\s+)?#[A-Za-z][\w\-]*)*)\s+(?:to|on)\s+(?P<target>.+)$",
        re.IGNORECASE,
    ),
)


def _parse_tags(clause: str) -> ClauseResult:
    for pattern in _TAG_PATTERNS:
        match = pattern.match(clause)
        if match is None:
            continue
        target = _target(match.group("target"), loose_ok=True, empty_is_it=True)
        tags = [
            tag.strip().lstrip("#").strip()
            for tag in re.split(r"\s*(?:,|\band\b|&|\s)\s*", match.group("value").strip(" .!"))
            if tag.strip().lstrip("#").strip()
        ]
        if target is None or not tags or len(tags) > 10:
            continue
        return [Action(TOOL_UPDATE, {"task_id": target.target, "tags": tags})]
    return None


_TAKE = re.compile(
    r"^(?P<person>.+?)\s+(?:should|can|will|could|would|is\s+going\s+to|is\s+gonna|gonna|'ll|is|'s"
    r"|wants\s+to|is\s+happy\s+to|has\s+to|needs\s+to|must)\s+(?:take|handle|own|grab|pick\s+up|take\s+over"
    r"|do|cover|look\s+at|work\s+on|be\s+on|deal\s+with|taking|handling|owning|doing|picking\s+up)\s+(?P<target>.+)$",
    re.IGNORECASE,
)
_SELF_TAKE = re.compile(
    r"^(?:i'll|i\s+will|i\s+can|i'm\s+going\s+to|i'm\s+gonna|let\s+me|i\s+want\s+to|i'd\s+like\s+to"
    r"|i\s+am\s+going\s+to|i)\s+(?:take|handle|own|grab|pick\s+up|do|take\s+over|cover|claim)\s+(?P<target>.+)$",
    re.IGNORECASE,
)
_CLAIM = re.compile(
    r"^(?:take|grab|claim|pick\s+up|take\s+over)\s+(?P<target>.+)$", re.IGNORECASE
)
_PUT_ON = re.compile(
    r"^(?:put|assign|add|get)\s+(?P<person>.+?)\s+(?:on|to)\s+(?P<target>#\s?\d+|task\s*#?\d+|the\s+.+\s+task)$",
    re.IGNORECASE,
)
_GIVE_PERSON_TASK = re.compile(
    r"^(?:give|hand|send|pass)\s+(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|me|[A-Za-z]+)\s+"
    r"(?P<target>#\s?\d+|task\s*#?\d+|the\s+.+\s+task|it|that|this)$",
    re.IGNORECASE,
)
_OWNER = re.compile(
    r"^(?:make|set)\s+(?P<person>.+?)\s+(?:the\s+|as\s+(?:the\s+)?)?(?:owner|assignee)\s+(?:of|for|on)\s+(?P<target>.+)$",
    re.IGNORECASE,
)
_NUMBER_TO_PERSON = re.compile(
    r"^(?P<target>#\s?\d+|task\s*#?\d+|it|that|this(?:\s+one)?)\s*(?:->|=>|:|goes\s+to|is\s+for|for|to)\s*(?P<person>.+)$",
    re.IGNORECASE,
)
_UNASSIGN = re.compile(r"^(?:un-?assign|unassign)\b", re.IGNORECASE)


def _parse_assign_forms(clause: str) -> ClauseResult:
    if _UNASSIGN.match(clause):
        return Reply(chat.UNASSIGN, ReplyKind.CLARIFY)
    for pattern, person_group in (
        (_PUT_ON, "person"),
        (_GIVE_PERSON_TASK, "person"),
        (_OWNER, "person"),
        (_TAKE, "person"),
    ):
        match = pattern.match(clause)
        if match is None:
            continue
        target = _target(match.group("target"), loose_ok=False)
        person = person_slot(match.group(person_group))
        if target is not None and person is not None:
            return [Action(TOOL_ASSIGN, {"task_id": target.target, "assignee": person})]
    for pattern in (_SELF_TAKE, _CLAIM):
        match = pattern.match(clause)
        if match is None:
            continue
        target = _target(match.group("target"), loose_ok=False)
        if target is not None:
            return [Action(TOOL_ASSIGN, {"task_id": target.target, "assignee": "me"})]
    match = _NUMBER_TO_PERSON.match(clause)
    if match:
        person_text = match.group("person")
        if not find_dates(person_text) and priority_word(person_text) is None:
            person = person_slot(person_text)
            target = _target(match.group("target"), loose_ok=False)
            if person is not None and target is not None:
                return [Action(TOOL_ASSIGN, {"task_id": target.target, "assignee": person})]
    return None


def _parse_change(clause: str) -> ClauseResult:
    assigned = _parse_assign_forms(clause)
    if assigned is not None:
        return assigned
    verb_match = _VERB.match(clause)
    if verb_match:
        verb = " ".join(verb_match.group("verb").lower().split())
        rest = clause[verb_match.end() :]
        return _verb_change(verb, rest)
    return _subject_change(clause)


def _verb_change(verb: str, rest: str) -> ClauseResult:
    rest = re.sub(r"\s+(?:please|pls|now|thanks|for\s+me|today\s+please)$", "", rest.strip(), flags=re.I)
    rest = rest.strip(" .!")
    assign_capable = verb in _ASSIGN_VERBS
    if _SHIFT_BY.search(rest) and verb in _RESCHEDULE_VERBS:
        target = _target(_SHIFT_BY.split(rest)[0], loose_ok=True, empty_is_it=True)
        if target is not None:
            return Reply(chat.SHIFT_BY, ReplyKind.CLARIFY)
    changes, target_text = _peel(rest, assign_capable=assign_capable)
    if verb in {"check off", "tick off", "cross off", "knock out"}:
        target_text = re.sub(r"\s+off$", "", target_text)
    if re.fullmatch(r"(?:check|tick|cross)\s+(?P<t>.+)\s+off", f"{verb} {rest}", re.IGNORECASE):
        return None
    if _BULK.match(target_text):
        return Reply(chat.BULK_UPDATE, ReplyKind.CLARIFY)
    loose_ok = verb in _PAST_DONE_VERBS or verb in _REOPEN_VERBS or bool(
        _DETERMINERS.match(target_text)
    )
    target = _target(target_text, loose_ok=loose_ok, empty_is_it=True)
    if target is None:
        return None
    if not target.explicit and changes.empty() and verb not in _IMPLIED:
        return None
    if changes.empty():
        implied = _IMPLIED.get(verb)
        if implied is None:
            if verb in _ASSIGN_VERBS and verb not in {"move", "send"}:
                return Reply(chat.WHO, ReplyKind.CLARIFY)
            if verb in _RESCHEDULE_VERBS:
                return Reply(chat.WHEN, ReplyKind.CLARIFY)
            return Reply(chat.WHAT_CHANGE, ReplyKind.CLARIFY) if target.explicit else None
        changes.fields.update(implied)
    elif verb in {"lower", "deprioritize", "deprioritise", "downgrade"} and "priority" in changes.fields:
        pass
    return _actions(target.target, changes)


def _subject_change(clause: str) -> ClauseResult:
    text = clause.strip().strip(" .!")
    text = re.sub(r"\s+(?:now|already|yet|finally|at\s+last|please|pls|thanks)$", "", text, flags=re.I)
    negated = re.search(r"\b(?:isn't|is\s+not|wasn't|was\s+not|aren't|not\s+yet)\s+(?:done|finished|complete|completed)\b", text, re.I)
    if negated:
        target_text = text[: negated.start()].strip()
        target = _target(target_text, loose_ok=bool(_DETERMINERS.match(target_text)))
        if target is None:
            return None
        return [Action(TOOL_UPDATE, {"task_id": target.target, "status": "open"})]
    changes, target_text = _peel(text, assign_capable=False)
    if changes.empty():
        return None
    linked = _LINKING.search(target_text)
    if linked:
        target_text = target_text[: linked.start()]
    elif target_text.lower().endswith("'s"):
        target_text = target_text[:-2]
    if _BULK.match(target_text.strip()):
        return Reply(chat.BULK_UPDATE, ReplyKind.CLARIFY)
    loose_ok = bool(linked) and bool(_DETERMINERS.match(target_text.strip()))
    target = _target(target_text, loose_ok=loose_ok, empty_is_it=False)
    if target is None:
        return None
    return _actions(target.target, changes)


def _actions(target: Target, changes: _Changes) -> list[Action]:
    actions: list[Action] = []
    if changes.fields:
        actions.append(Action(TOOL_UPDATE, {"task_id": target, **changes.fields}))
    if changes.assignee is not None:
        actions.append(Action(TOOL_ASSIGN, {"task_id": target, "assignee": changes.assignee}))
    return actions


_STATUS_TAIL = re.compile(
    r"(?:^|\s)(?:(?:as|to|into|in|now)\s+)?(?:being\s+)?(?P<status>"
    + "|".join(
        re.escape(word).replace(r"\ ", r"\s+")
        for word in sorted(STATUS_WORDS, key=len, reverse=True)
        if word not in {"cancel", "todo", "to do", "to-do", "open", "started", "doing", "sorted", "handled", "sent"}
    )
    + r"|open|opened)$",
    re.IGNORECASE,
)
_PRIORITY_TAIL = re.compile(
    r"(?:^|\s)(?:(?:as|to|a|an|up\s+to|down\s+to|back\s+to)\s+)*(?:a\s+)?(?P<priority>"
    r"(?:(?:super|very|really)\s+)?(?:urgent|critical|high|low|normal|medium|top|highest|lowest)"
    r"(?:[\s-]*(?:priority|prio|pri))?|p[0-4]|asap|important|not\s+urgent|no\s+rush|!{2,}"
    r"|(?:priority|prio)\s*:?\s*(?:urgent|critical|high|low|normal|medium|p[0-4]|[0-4]))$",
    re.IGNORECASE,
)
_PERSON_TAIL = re.compile(
    r"\s(?:over\s+)?(?:to|->|=>)\s+(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|[A-Za-z][\w'.\-]*(?:\s+[A-Za-z][\w'.\-]*)?)$",
    re.IGNORECASE,
)
_CONNECTOR_TAIL = re.compile(r"(?:\s*,|\s+and|\s+&|\s+plus|\s+also)\s*$", re.IGNORECASE)


def _peel(text: str, *, assign_capable: bool) -> tuple[_Changes, str]:
    """Take changes off the end of `text`; return them and what is left (the target)."""
    changes = _Changes()
    remaining = text.strip()
    for _ in range(6):
        remaining = _CONNECTOR_TAIL.sub("", remaining).strip()
        peeled = _peel_one(remaining, changes, assign_capable=assign_capable)
        if peeled is None:
            break
        remaining = peeled
    remaining = _DANGLING.sub("", remaining).strip()
    return changes, remaining


def _peel_one(text: str, changes: _Changes, *, assign_capable: bool) -> str | None:
    lowered = text.lower()
    if not lowered:
        return None
    status = _STATUS_TAIL.search(text)
    if status and "status" not in changes.fields:
        word = " ".join(status.group("status").lower().split())
        value = STATUS_WORDS.get(word, "open" if word in {"open", "opened"} else None)
        if value is not None:
            changes.fields["status"] = value
            return text[: status.start()]
    priority = _PRIORITY_TAIL.search(text)
    if priority and "priority" not in changes.fields:
        value = priority_word(priority.group("priority"))
        if value is not None:
            changes.fields["priority"] = value
            return text[: priority.start()]
    dates = find_dates(text)
    if dates and "due" not in changes.fields:
        last = dates[-1]
        if not text[last.end :].strip(" .!,") and not last.is_after:
            changes.fields["due"] = last.phrase
            return text[: last.start]
    hashtags = re.search(r"(?:\s#[A-Za-z][\w\-]*)+$", text)
    if hashtags and "tags" not in changes.fields and not _HAS_NUMBER.fullmatch(hashtags.group(0).strip()):
        changes.fields["tags"] = [tag.lstrip("#") for tag in hashtags.group(0).split()]
        return text[: hashtags.start()]
    if assign_capable and changes.assignee is None:
        person = _PERSON_TAIL.search(text)
        if person:
            found = person_slot(person.group("person"))
            if found is not None:
                changes.assignee = found
                return text[: person.start()]
    return None


def _target(text: str, *, loose_ok: bool, empty_is_it: bool = False) -> TargetMatch | None:
    cleaned = text.strip().strip(" .,:;!?")
    cleaned = re.sub(r"^(?:on|with|for|about)\s+", "", cleaned, flags=re.IGNORECASE)
    if not cleaned:
        return TargetMatch(Pronoun.IT, True) if empty_is_it else None
    match = parse_target(cleaned)
    if match is None:
        return None
    if isinstance(match.target, TitleRef):
        if _HAS_NUMBER.search(cleaned) or re.search(r"\d+\s*$", cleaned):
            return None
        explicit = bool(_TASKISH.search(cleaned)) or cleaned.startswith(("'", '"'))
        if not explicit and not loose_ok:
            return None
        return TargetMatch(match.target, explicit)
    return match
