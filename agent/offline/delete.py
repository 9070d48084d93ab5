"""Clauses that delete a task: "delete #7", "remove the bank task", "get rid of 4 and 5".

The deletion itself waits for the person's confirmation in the agent loop. Here the parser only
refuses what it must never plan: everything at once ("delete all my tasks") and things that are
not tasks ("delete my account").
"""

from __future__ import annotations

import re

from agent.offline import chat
from agent.offline.actions import Action, ClauseResult, Reply, ReplyKind
from agent.offline.dates import find_dates
from agent.offline.plan import TOOL_DELETE
from agent.offline.slots import BULK, TASKISH, several_numbers, task_target
from agent.offline.text import verb_pattern

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


_DELETE = re.compile(
    rf"^(?:(?:please|pls|just|go\s+ahead\s+and|permanently)\s+)*(?P<verb>{verb_pattern(_DELETE_VERBS)})(?![\w'])\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_NOT_A_TASK = re.compile(
    r"\b(?:account|profile|channel|channels|message|messages|workspace|slack|app|conversation"
    r"|history|data|me|myself|user|users)\b",
    re.IGNORECASE,
)


def parse_delete(clause: str) -> ClauseResult:
    """Read a clause as a request to delete one or more tasks."""
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
        r"\s+(?:please|pls|now|for\s+good|permanently|entirely|completely|thanks)$",
        "",
        rest.strip(),
        flags=re.I,
    ).strip(" .!?")
    if not rest:
        return Reply(chat.WHICH_TASK, ReplyKind.CLARIFY)
    if BULK.match(rest) or re.match(r"^(?:all|every)\b", rest, re.IGNORECASE):
        return Reply(chat.DELETE_ALL, ReplyKind.CLARIFY)
    if _NOT_A_TASK.search(rest) and not TASKISH.search(rest):
        return Reply(chat.ONLY_TASKS, ReplyKind.CLARIFY)
    if re.search(r"\bfrom\b", rest, re.IGNORECASE):
        if re.search(r"\bfrom\s+(?:#\s?\d|task\s*\d|it\b|that\b|the\s+.+\s+task)", rest, re.I):
            return Reply(chat.UNASSIGN, ReplyKind.CLARIFY)
        return None
    numbers = several_numbers(re.sub(r"^tasks?\s+", "", rest, flags=re.IGNORECASE))
    if numbers:
        return [Action(TOOL_DELETE, {"task_id": number}) for number in numbers]
    if find_dates(rest):
        return None
    target = task_target(rest, loose_ok=True)
    if target is None:
        return None
    return [Action(TOOL_DELETE, {"task_id": target.target})]
