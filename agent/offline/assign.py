"""Clauses that hand a task to someone in words other than "assign #3 to bob".

"bob should take #5", "let carol handle #2", "i'll take #9", "put carol on #10", "put bob on the S3
cleanup" (a listed person), "#6 -> dave", "17 → @erin", "give bob task #4". The general
"assign/give/move X to Y" shape is read by `update`.
"""

from __future__ import annotations

import re

from agent.offline import chat
from agent.offline.actions import Action, ClauseResult, Reply, ReplyKind
from agent.offline.attributes import priority_word
from agent.offline.dates import find_dates
from agent.offline.people import PERSON_WORDS, leading_known_person
from agent.offline.plan import TOOL_ASSIGN
from agent.offline.slots import person_slot, several_numbers, task_target

_TAKE = re.compile(
    r"^(?P<person>.+?)\s+(?:should|can|will|could|would|is\s+going\s+to|is\s+gonna|gonna|'ll|is|'s"
    r"|wants\s+to|is\s+happy\s+to|has\s+to|needs\s+to|must)\s+(?:take|handle|own|grab|pick\s+up|take\s+over"
    r"|do|cover|look\s+at|work\s+on|be\s+on|deal\s+with|taking|handling|owning|doing|picking\s+up)\s+(?P<target>.+)$",
    re.IGNORECASE,
)
_LET_TAKE = re.compile(
    r"^(?:let|have|get|make)\s+(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|[A-Za-z][\w'\-]*(?:\s+(?-i:[A-Z])[\w'\-]*)?)"
    r"\s+(?:take|handle|own|grab|pick\s+up|do|take\s+over|cover|look\s+at|work\s+on|deal\s+with)"
    r"\s+(?P<target>.+)$",
    re.IGNORECASE,
)
# "can carol take over 8 and 9?": a question asking someone to take tasks.
_ASK_TAKE = re.compile(
    r"^(?:can|could|would|will)\s+(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|[A-Za-z][\w'\-]*)\s+"
    r"(?:please\s+)?(?:take\s+over|take|handle|own|grab|pick\s+up|cover|look\s+at|work\s+on"
    r"|deal\s+with)\s+(?P<target>.+?)\s*\??$",
    re.IGNORECASE,
)
_SELF_TAKE = re.compile(
    r"^(?:i'll|i\s+will|i\s+can|i'm\s+going\s+to|i'm\s+gonna|let\s+me|i\s+want\s+to|i'd\s+like\s+to"
    r"|i\s+am\s+going\s+to|i)\s+(?:take|handle|own|grab|pick\s+up|do|take\s+over|cover|claim)\s+(?P<target>.+)$",
    re.IGNORECASE,
)
_CLAIM = re.compile(r"^(?:take|grab|claim|pick\s+up|take\s+over)\s+(?P<target>.+)$", re.IGNORECASE)
_PUT_ON = re.compile(
    r"^(?:put|assign|add|get)\s+(?P<person>.+?)\s+(?:on|to)\s+(?P<target>#\s?\d+|task\s*#?\d+"
    r"|the\s+.+\s+(?:task|thing|ticket|item|one))$",
    re.IGNORECASE,
)
_GIVE_PERSON_TASK = re.compile(
    r"^(?:give|hand|send|pass)\s+(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|me|[A-Za-z]+)\s+"
    r"(?P<target>#\s?\d+|task\s*#?\d+|the\s+.+\s+task|it|that|this)(?:\s+(?:too|as\s+well))?$",
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
# "17 → @erin": a bare number needs an arrow to read as a task.
_BARE_NUMBER_ARROW = re.compile(r"^(?P<target>\d{1,6})\s*(?:->|=>|→)\s*(?P<person>\S.*)$")
# "put bob on the S3 cleanup": with a known person, any task words after "on the" name a task.
_PUT_PERSON_ON = re.compile(
    rf"^(?:put|get|add|throw)\s+(?P<person>{PERSON_WORDS})\s+on\s+(?P<target>the\s+\S.*?)\s*[?.!]*$",
    re.IGNORECASE,
)
_UNASSIGN = re.compile(r"^(?:un-?assign|unassign)\b", re.IGNORECASE)


def parse_assignment(clause: str) -> ClauseResult:
    """Read the assignment shapes listed in the module docstring."""
    if _UNASSIGN.match(clause):
        return Reply(chat.UNASSIGN, ReplyKind.CLARIFY)
    for pattern, person_group in (
        (_PUT_ON, "person"),
        (_GIVE_PERSON_TASK, "person"),
        (_OWNER, "person"),
        (_LET_TAKE, "person"),
        (_ASK_TAKE, "person"),
        (_TAKE, "person"),
    ):
        match = pattern.match(clause)
        if match is None:
            continue
        numbers = several_numbers(match.group("target"))
        person = person_slot(match.group(person_group))
        if numbers and person is not None and person != "you":
            # "can carol take over 8 and 9?": one assignment per task.
            return [Action(TOOL_ASSIGN, {"task_id": n, "assignee": person}) for n in numbers]
        # "put bob on the vpn thing": the pattern itself says the words name a task.
        target = task_target(match.group("target"), loose_ok=pattern is _PUT_ON)
        if target is not None and person is not None:
            return [Action(TOOL_ASSIGN, {"task_id": target.target, "assignee": person})]
    for pattern in (_SELF_TAKE, _CLAIM):
        match = pattern.match(clause)
        if match is None:
            continue
        target = task_target(match.group("target"), loose_ok=False)
        if target is not None:
            return [Action(TOOL_ASSIGN, {"task_id": target.target, "assignee": "me"})]
    put_on = _PUT_PERSON_ON.match(clause)
    if put_on is not None:
        named = leading_known_person(put_on.group("person"))
        if named is not None and named == put_on.group("person"):
            person = person_slot(named)
            target = task_target(put_on.group("target"), loose_ok=True)
            if person is not None and target is not None:
                return [Action(TOOL_ASSIGN, {"task_id": target.target, "assignee": person})]
    match = _NUMBER_TO_PERSON.match(clause) or _BARE_NUMBER_ARROW.match(clause)
    if match:
        person_text = match.group("person")
        if not find_dates(person_text) and priority_word(person_text) is None:
            person = person_slot(person_text)
            target = task_target(match.group("target"), loose_ok=False)
            if person is not None and target is not None:
                return [Action(TOOL_ASSIGN, {"task_id": target.target, "assignee": person})]
    return None
