# Over 500 lines: the readers of change requests share one set of patterns; they move into
# `intents/` with the rest of the parser (docs/offline-parser.md). The conversation-quality
# work owns this package.
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
from agent.offline.assign import parse_assignment
from agent.offline.attributes import priority_word
from agent.offline.dates import find_dates
from agent.offline.delete import parse_delete
from agent.offline.edits import parse_edit
from agent.offline.lexicon import STATUS_WORDS
from agent.offline.plan import TOOL_ASSIGN, TOOL_UPDATE
from agent.offline.slots import (
    BULK,
    DETERMINERS,
    HAS_NUMBER,
    Target,
    person_slot,
    several_numbers,
    task_target,
)
from agent.offline.text import verb_pattern

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
    "closing",
    "closing out",
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
    "reopening",
    "re-opening",
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
    "un-done",
    "undone",
    "mark undone",
    "un-finish",
    "unfinish",
)
_START_VERBS = (
    "start on",
    "started on",
    "starting on",
    "get started on",
    "getting started on",
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
    "begin work on",
    "begin working on",
    "start work on",
    "start working on",
    "started working on",
    "started work on",
    "now working on",
    "currently working on",
    "tackling",
    "on",
)
_CANCEL_VERBS = (
    "cancel",
    "cancelled",
    "canceled",
    "cancelling",
    "canceling",
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
    "not doing",
    "we're not doing",
    "we are not doing",
    "i'm not doing",
    "not going to do",
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
    "knock",
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
_HAND_OVER_VERBS = frozenset({"give", "hand", "pass", "assign", "reassign", "transfer", "delegate"})
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


_SUBJECT = (
    r"(?:(?:i|we)(?:'ve|'m|\s+am|\s+have|\s+just|\s+already|\s+finally|\s+are|'re)*\s+"
    r"|(?:just|finally|at\s+last)\s+|(?:all\s+)?(?:now\s+)?)?"
)
_ALL_VERBS = [
    *_DONE_VERBS,
    *_REOPEN_VERBS,
    *_START_VERBS,
    *_CANCEL_VERBS,
    *_ASSIGN_VERBS,
    *_GENERIC_VERBS,
]
_VERB = re.compile(
    rf"^{_SUBJECT}(?P<verb>{verb_pattern(_ALL_VERBS)})(?![\w'])\s*",
    re.IGNORECASE,
)
_LINKING_AFTER = re.compile(
    r"\s*(?:is|are|was|'s|has\s+been|have\s+been|is\s+now|should\s+be|needs\s+to\s+be|can\s+be"
    r"|got|gets|is\s+all|are\s+all|is\s+finally|goes|go|will\s+be|must\s+be)\b",
    re.IGNORECASE,
)
# Words left hanging between a target and the changes peeled off after it ("#3 to", "it is").
_DANGLING_WORDS = frozenset(
    [
        "to",
        "as",
        "into",
        "in",
        "for",
        "till",
        "until",
        "by",
        "on",
        "->",
        "=>",
        "due",
        "with",
        "at",
        "from",
        "is",
        "are",
        "up",
        "back",
        "out",
        "over",
        "be",
        "and",
        "then",
        "should",
        "must",
        "will",
        "can",
        "now",
        "all",
        "been",
        "has",
        "have",
        "was",
        "needs",
    ]
)
_DANGLING_PUNCTUATION = " ,:;=-"


def strip_dangling(text: str) -> str:
    """Drop connector words and punctuation from the end of a target ("#3 to" -> "#3")."""
    words = text.rstrip(_DANGLING_PUNCTUATION).split(" ")
    while words and (
        words[-1].lower() in _DANGLING_WORDS or not words[-1].strip(_DANGLING_PUNCTUATION)
    ):
        words.pop()
        if words:
            words[-1] = words[-1].rstrip(_DANGLING_PUNCTUATION)
    return " ".join(words).strip()


@dataclass
class _Changes:
    """Fields peeled off the end of a clause."""

    fields: dict[str, object] = field(default_factory=dict[str, object])
    assignee: str | None = None

    def empty(self) -> bool:
        return not self.fields and self.assignee is None


# Ways of saying "give X to Y" that the readers below know in their plain form.
_REPHRASINGS = (
    # "hand 12 off to bob", "pass #3 over to carol" -> "hand 12 to bob".
    (
        re.compile(
            r"^(?P<verb>hand|pass|palm|shift|move)\s+(?P<target>.+?)\s+(?:off|over)\s+to\s+", re.I
        ),
        r"\g<verb> \g<target> to ",
    ),
    # "take 14 off my plate and give it to bob" -> "give 14 to bob".
    (
        re.compile(
            r"^(?:take|get|move)\s+(?P<target>.+?)\s+off\s+(?:my|his|her|their|your)\s+"
            r"(?:plate|list|desk|hands)\s*,?\s*(?:and\s+)?(?P<verb>give|hand|pass|assign|move)"
            r"\s+(?:it|that|them)\s+(?:over\s+)?to\s+",
            re.I,
        ),
        r"\g<verb> \g<target> to ",
    ),
    # "reassign task 9 from bob to dave" -> "reassign task 9 to dave".
    (
        re.compile(
            r"^(?P<head>(?:re)?assign|move|give|hand|transfer|switch)\s+(?P<target>.+?)\s+from\s+"
            r"(?:<@[UW][A-Z0-9]+>|@[\w.\-]+|[A-Za-z][\w'\-]*(?:\s+[A-Za-z][\w'\-]*)?|me)\s+"
            r"(?=(?:over\s+)?to\s)",
            re.I,
        ),
        r"\g<head> \g<target> ",
    ),
    # "... going forward", "... from now on": no part of the change.
    (
        re.compile(
            r"\s*,?\s+(?:going\s+forward|moving\s+forward|from\s+now\s+on|for\s+now"
            r"|from\s+here\s+on(?:\s+out)?)\s*[.!]*$",
            re.I,
        ),
        "",
    ),
)


def _rephrase(clause: str) -> str:
    for pattern, replacement in _REPHRASINGS:
        clause = pattern.sub(replacement, clause, count=1)
    return clause


def parse_update(clause: str) -> ClauseResult:
    """Read a clause as an update, an assignment or a deletion of an existing task."""
    clause = _without_old_date(_rephrase(clause))
    for parser in (parse_delete, parse_edit, parse_assignment):
        result = parser(clause)
        if result is not None:
            return result
    return _parse_change(clause)


_OLD_DATE = re.compile(
    r"\s*[,;(-]?\s*(?:not|instead\s+of|rather\s+than)\s+(?P<old>[^,;()]{1,40}?)\)?\s*[.!]?$",
    re.IGNORECASE,
)


def _without_old_date(clause: str) -> str:
    """Drop "(not thursday)" after a new date: "#4 should be due friday, not thursday"."""
    match = _OLD_DATE.search(clause[-80:])
    if match is None:
        return clause
    head = clause[: len(clause) - len(match.group(0))]
    old = match.group("old").strip()
    old_dates = find_dates(old)
    if len(old_dates) != 1 or (old_dates[0].start, old_dates[0].end) != (0, len(old)):
        return clause
    if not find_dates(head):
        return clause
    return head


def _parse_change(clause: str) -> ClauseResult:
    verb_match = _VERB.match(clause)
    if verb_match:
        verb = " ".join(verb_match.group("verb").lower().split())
        rest = clause[verb_match.end() :]
        return _verb_change(verb, rest)
    return _subject_change(clause)


def _verb_change(verb: str, rest: str) -> ClauseResult:
    rest = re.sub(
        r"\s+(?:please|pls|now|thanks|for\s+me|today\s+please)$", "", rest.strip(), flags=re.I
    )
    rest = re.sub(
        r"\s+(?:anymore|any\s+more|after\s+all|too|as\s+well)$", "", rest.strip(" .!?"), flags=re.I
    )
    assign_capable = verb in _ASSIGN_VERBS
    if _SHIFT_BY.search(rest) and verb in _RESCHEDULE_VERBS:
        target = task_target(_SHIFT_BY.split(rest)[0], loose_ok=True, empty_is_it=True)
        if target is not None:
            return Reply(chat.SHIFT_BY, ReplyKind.CLARIFY)
    changes, target_text = _peel(rest, assign_capable=assign_capable)
    if verb in _CANCEL_VERBS and set(changes.fields) == {"due"} and changes.assignee is None:
        # "we're not doing it this year" says when it is off, not a new due date.
        changes.fields.clear()
    if BULK.match(target_text):
        return Reply(chat.BULK_UPDATE, ReplyKind.CLARIFY)
    if verb in _HAND_OVER_VERBS and changes.assignee is None and re.search(r"\sto\s", target_text):
        # "give the rota to tom or priya, whoever's on sat": a hand-over to someone not understood
        # is never read as another change; the other readings of the clause may understand it.
        return None
    numbers = _several(target_text)
    if numbers and not changes.empty():
        return [action for number in numbers for action in _actions(number, changes)]
    if numbers and verb in _IMPLIED:
        changes.fields.update(_IMPLIED[verb])
        return [action for number in numbers for action in _actions(number, changes)]
    # "move sunday features proofread to 2/14": a new date for something is a change to a task
    # that exists, article or not; a new task would say so ("add ...").
    loose_ok = (
        verb in _PAST_DONE_VERBS
        or verb in _REOPEN_VERBS
        or bool(DETERMINERS.match(target_text))
        or (verb in _RESCHEDULE_VERBS and set(changes.fields) == {"due"})
    )
    target = task_target(target_text, loose_ok=loose_ok, empty_is_it=True)
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
    return _actions(target.target, changes)


def _subject_change(clause: str) -> ClauseResult:
    text = clause.strip().strip(" .!")
    text = re.sub(
        r"\s+(?:now|already|yet|finally|at\s+last|please|pls|thanks)$", "", text, flags=re.I
    )
    # "#10 is actually urgent": an adverb after the linking verb changes nothing.
    text = re.sub(
        r"\b(is|are|'s|should\s+be)\s+(?:actually|really|definitely|officially|now|also|both|all)\s+",
        r"\1 ",
        text,
        flags=re.I,
    )
    negated = re.search(
        r"\b(?:isn't|is\s+not|wasn't|was\s+not|aren't|not\s+yet|not)\s+(?:actually\s+|really\s+"
        r"|quite\s+|yet\s+|fully\s+)?(?:done|finished|complete|completed|closed)\b",
        text,
        re.IGNORECASE,
    )
    if negated:
        target_text = text[: negated.start()].strip()
        target = task_target(target_text, loose_ok=bool(DETERMINERS.match(target_text)))
        if target is None:
            return None
        return [Action(TOOL_UPDATE, {"task_id": target.target, "status": "open"})]
    changes, target_text = _peel(text, assign_capable=False)
    if changes.empty():
        return None
    # The peel drops a dangling "is"; look at what followed the target in the original text.
    linked = (
        _LINKING_AFTER.match(text[len(target_text) :]) if text.startswith(target_text) else None
    )
    if target_text.lower().endswith("'s"):
        target_text = target_text[:-2]
        linked = linked or _LINKING_AFTER.match(" is")
    if BULK.match(target_text.strip()):
        return Reply(chat.BULK_UPDATE, ReplyKind.CLARIFY)
    numbers = _several(target_text)
    if numbers and (linked or _HASHED_RUN.match(target_text.strip())):
        # "#4 and #5 are both done": one change per task.
        return [action for number in numbers for action in _actions(number, changes)]
    named = _two_named(target_text) if linked and re.match(r"\s*are\b", linked.group(0)) else []
    if named:
        # "4B faucet and the smoke detector order are both done": one change per task named.
        return [action for target in named for action in _actions(target, changes)]
    loose_ok = bool(linked) and bool(DETERMINERS.match(target_text.strip()))
    target = task_target(target_text, loose_ok=loose_ok, empty_is_it=False)
    if target is None:
        return None
    return _actions(target.target, changes)


_BOTH_TAIL = re.compile(r"\s+(?:both|all|each|all\s+of\s+them|the\s+two\s+of\s+them)$", re.I)
# "#2 #3 done": task numbers in a row, each with its "#", need no "and" between them.
_HASHED_RUN = re.compile(r"^#\d{1,7}(?:\s+#\d{1,7})+$")


def _two_named(target_text: str) -> list[Target]:
    """The two tasks of "the faucet and the smoke detector order (both)", named by their words;
    empty unless both halves name a task."""
    halves = re.split(r"\s+(?:and|&)\s+", _BOTH_TAIL.sub("", target_text.strip()))
    if len(halves) != 2:
        return []
    targets = [task_target(half, loose_ok=True, empty_is_it=False) for half in halves]
    return [target.target for target in targets if target is not None] if all(targets) else []


def _several(target_text: str) -> list[int]:
    """ "#4 and #5 both", "3, 4 and 7" or "#2 #3" as task numbers; empty otherwise."""
    text = _BOTH_TAIL.sub("", target_text.strip())
    if _HASHED_RUN.match(text):
        return [int(number) for number in re.findall(r"\d+", text)]
    return several_numbers(text)


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
        if word
        not in {
            "cancel",
            "todo",
            "to do",
            "to-do",
            "open",
            "started",
            "doing",
            "sorted",
            "handled",
            "sent",
        }
    )
    + r"|open|opened)$",
    re.IGNORECASE,
)
_PRIORITY_TAIL = re.compile(
    r"(?:^|\s)(?:(?:as|to|a|an|up\s+to|down\s+to|back\s+to)\s+){0,3}(?:a\s+)?(?P<priority>"
    r"(?:less|more|not)\s+(?:urgent|important)|(?:higher|lower)\s+priority"
    r"|(?:(?:super|very|really)\s+)?(?:urgent|critical|high|low|normal|medium|top|highest|lowest)"
    r"(?:[\s-]*(?:priority|prio|pri))?|p[0-4]|asap|important|not\s+urgent|no\s+rush|!{2,}"
    r"|(?:priority|prio)\s*:?\s*(?:urgent|critical|high|low|normal|medium|p[0-4]|[0-4]))$",
    re.IGNORECASE,
)
_PERSON_TAIL = re.compile(
    r"\s(?:over\s+)?(?:to|->|=>)\s+(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|[A-Za-z][\w'.\-]*(?:\s+[A-Za-z][\w'.\-]*)?)$",
    re.IGNORECASE,
)
_CONNECTOR_TAIL = re.compile(r"(?:\s*,|\s+and|\s+&|\s+plus|\s+also)\s*$", re.IGNORECASE)


_DEADLINE_MODAL = re.compile(
    r"\s+(?:needs|need|has|have|must|should|'s\s+got|has\s+got|got)\s+(?:to\s+)?be\s*$", re.I
)


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
    return changes, strip_dangling(remaining)


def _peel_one(text: str, changes: _Changes, *, assign_capable: bool) -> str | None:
    lowered = text.lower()
    if not lowered:
        return None
    status = _STATUS_TAIL.search(text)
    if status and "due" in changes.fields:
        # "#4 needs to be done by friday": a deadline, not a change of status.
        modal = _DEADLINE_MODAL.search(text[: status.start()])
        if modal is not None:
            return text[: modal.start()]
    if status:
        word = " ".join(status.group("status").lower().split())
        value = STATUS_WORDS.get(word, "open" if word in {"open", "opened"} else None)
        if value is not None and changes.fields.get("status", value) == value:
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
    if (
        hashtags
        and "tags" not in changes.fields
        and not HAS_NUMBER.fullmatch(hashtags.group(0).strip())
    ):
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
