"""Reading the slots of a command: who (a person) and which task (a target).

A person is passed on as written (`<@U02ABC>`, `@bob`, `bob`, `Bob Ortiz`) except that "I",
"me" and "myself" become `me`; the tool resolves names through the workspace directory.

A target is a task number (`#12`, `task 12`, `no. 12`), a pronoun ("it", "that one") or words of
a title ("the SSL task" -> `TitleRef("ssl")`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from agent.offline.lexicon import (
    ME_WORDS,
    NAME_STOPWORDS,
    PRONOUN_TARGETS,
    STATUS_WORDS,
    UNRESOLVABLE_PEOPLE,
)
from agent.offline.plan import TitleRef

_MENTION = re.compile(r"<@[UW][A-Z0-9]+>")
_HANDLE = re.compile(r"@[\w][\w.\-]*")
_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z'.\-]*")
_HANDLE_START = re.compile(r"<@[UW][A-Z0-9]+>|@[\w][\w.\-]*[\w]|@\w")
_NAME_WORDS_START = re.compile(r"([A-Za-z][A-Za-z'\-]*)(?:\s+([A-Za-z][A-Za-z'\-]*))?")

# Words a title reference does not keep: articles, possessives and the word "task" itself.
_REF_LEADING = re.compile(
    r"^(?:(?:the|my|our|your|that|this|those|these|a|an|his|her|their)\s+)+", re.IGNORECASE
)
_REF_TRAILING = re.compile(
    r"\s+(?:task|tasks|todo|todos|to-do|item|one|ticket|reminder|thing|card)$", re.IGNORECASE
)
_REF_INTRO = re.compile(
    r"^(?:the\s+)?(?:task|todo|to-do|item|ticket|one)\s+"
    r"(?:called|named|titled|about|for|to|re|regarding|with|that\s+says|saying)\s+",
    re.IGNORECASE,
)
_TASK_NUMBER = re.compile(
    r"^(?:(?:the\s+)?(?:task|todo|to-do|item|ticket|number|no\.?|num|nr\.?|id)\s*)?#?\s*(\d{1,7})$",
    re.IGNORECASE,
)
_TASK_WORDS = re.compile(
    r"\b(?:task|todo|to-do|item|ticket|reminder|one)\b|^(?:the|my|our|that)\b", re.IGNORECASE
)


# Words that stand where a name could, but name a priority or a state ("#14: done").
_NOT_NAMES = frozenset(
    {"urgent", "high", "low", "normal", "medium", "asap", "critical", "blocked", "later", "tbd"}
)


class Pronoun(Enum):
    """A target that points at the task the conversation is about ("it", "that one")."""

    IT = "it"


Target = int | TitleRef | Pronoun


@dataclass(frozen=True)
class TargetMatch:
    """A parsed target, and whether it was clearly a task (`#3`, "it", "the bank task")."""

    target: Target
    explicit: bool


def normalize_person(text: str) -> str | None:
    """A person slot as the tool expects it, or None when it is not a usable person."""
    cleaned = text.strip().strip(".,;:!?\"'()")
    if not cleaned:
        return None
    lowered = cleaned.lower()
    if lowered in ME_WORDS:
        return "me"
    if lowered in UNRESOLVABLE_PEOPLE or lowered in _NOT_NAMES or lowered in STATUS_WORDS:
        return None
    if _MENTION.fullmatch(cleaned) or _HANDLE.fullmatch(cleaned):
        return cleaned
    words = cleaned.split()
    if not 1 <= len(words) <= 3:
        return None
    if any(not _NAME_WORD.fullmatch(word) for word in words):
        return None
    if any(word.lower() in NAME_STOPWORDS for word in words):
        return None
    return cleaned


def leading_person_end(text: str) -> tuple[str, int] | None:
    """The person a text starts with, and the index in `text` where the person ends.

    A second word belongs to the name when it is capitalized ("Bob Ortiz") or when it ends the
    text and is no stopword ("bob ortiz"), so "bob tomorrow" stays "bob".
    """
    offset = len(text) - len(text.lstrip())
    stripped = text[offset:]
    handle = _HANDLE_START.match(stripped)
    if handle:
        return handle.group(0), offset + handle.end()
    words = _NAME_WORDS_START.match(stripped)
    if words is None:
        return None
    first = words.group(1)
    if normalize_person(first) is None:
        return None
    end = words.end(1)
    second = words.group(2)
    if second is not None:
        rest_after_second = stripped[words.end(2) :].strip(" .,!?;:")
        second_is_name = second.lower() not in NAME_STOPWORDS and (
            second[0].isupper() or not rest_after_second
        )
        if second_is_name and normalize_person(f"{first} {second}") is not None:
            end = words.end(2)
    person = normalize_person(stripped[:end])
    if person is None:
        return None
    return person, offset + end


def person_slot(text: str) -> str | None:
    """The whole of `text` read as one person, allowing a lower-case full name ("bob ortiz")."""
    cleaned = text.strip().strip(".,;:!?\"'()")
    return normalize_person(cleaned)


def parse_target(text: str) -> TargetMatch | None:
    """Read a task slot; None when the text does not name a task."""
    cleaned = text.strip().strip(".,;:!?()").strip()
    if not cleaned:
        return None
    lowered = " ".join(cleaned.lower().split())
    number = _TASK_NUMBER.fullmatch(lowered)
    if number:
        value = int(number.group(1))
        return TargetMatch(value, True) if value > 0 else None
    if lowered in PRONOUN_TARGETS:
        return TargetMatch(Pronoun.IT, True)
    quoted = re.fullmatch(r"(?:the\s+(?:task\s+)?)?[\"'](.+)[\"'](?:\s+task)?", cleaned)
    if quoted:
        ref = title_ref(quoted.group(1))
        return TargetMatch(ref, True) if ref else None
    explicit = bool(_TASK_WORDS.search(lowered))
    ref = title_ref(cleaned)
    if ref is None:
        return None
    return TargetMatch(ref, explicit)


# Shorthand in a lookup matches no title word ("dentist appt" vs "Dentist appointment"): the
# lookup searches for the word it stands for.
_LOOKUP_ABBREVIATIONS = {
    "appt": "appointment",
    "appts": "appointment",
    "mtg": "meeting",
    "mtgs": "meeting",
    "mgmt": "management",
    "msg": "message",
    "docs": "doc",
    "prez": "presentation",
    "pres": "presentation",
    "eng": "engineering",
    "reqs": "requirement",
    "certs": "cert",
}


def title_ref(text: str) -> TitleRef | None:
    """Words of a title as a lookup: lower case, without articles or the word "task"."""
    cleaned = text.strip().strip(".,;:!?\"'()").strip()
    cleaned = _REF_INTRO.sub("", cleaned)
    previous = None
    while previous != cleaned:
        previous = cleaned
        cleaned = _REF_LEADING.sub("", cleaned)
        cleaned = _REF_TRAILING.sub("", cleaned).strip().strip("\"'")
    words = [_LOOKUP_ABBREVIATIONS.get(word, word) for word in cleaned.lower().split()]
    if not words or len(words) > 8:
        return None
    if all(word in NAME_STOPWORDS or word in PRONOUN_TARGETS for word in words):
        return None
    if any(word in {"everything", "all", "every", "everyone"} for word in words):
        return None
    return TitleRef(" ".join(words))


# What every command that names a task shares: words for "all of them" (never acted on), the
# words that make title words a task ("the bank task"), and reading the task slot itself.
BULK = re.compile(
    r"^(?:all|everything|every\s+(?:single\s+)?(?:task|todo|one)|each\s+(?:task|one)"
    r"|all\s+(?:of\s+)?(?:the\s+|my\s+|our\s+|these\s+|those\s+)?(?:\w+\s+)?(?:tasks|todos|to-dos|items|ones|of\s+them)"
    r"|them\s+all|all\s+of\s+them|the\s+(?:whole|entire)\s+(?:list|thing|board|backlog)"
    r"|my\s+(?:whole\s+|entire\s+)?(?:list|board|backlog)|the\s+lot|both|them)"
    r"(?:\s+(?:tasks|todos))?(?:\s+(?:please|pls|now))?$",
    re.IGNORECASE,
)
"""Everything at once ("all my tasks", "them all"): the parser asks instead of acting."""
DETERMINERS = re.compile(r"^(?:the|my|our|that|this|your)\s+", re.IGNORECASE)
TASKISH = re.compile(r"\b(?:task|todo|to-do|item|ticket|reminder)\b", re.IGNORECASE)
HAS_NUMBER = re.compile(r"#\s?\d|\btask\s*\d", re.IGNORECASE)
_SEVERAL = re.compile(
    r"^(?:tasks?\s+)?#?\s?\d{1,7}(?:\s*(?:,|and|&|\+)\s*(?:and\s+)?#?\s?\d{1,7})+$", re.IGNORECASE
)


def several_numbers(text: str) -> list[int]:
    """ "#5 and #6" or "3, 4 and 7" as task numbers; empty when the text is anything else."""
    if not _SEVERAL.match(text.strip()):
        return []
    return [int(number) for number in re.findall(r"\d+", text)]


def task_target(text: str, *, loose_ok: bool, empty_is_it: bool = False) -> TargetMatch | None:
    """A command's task slot: a number, "it", or title words (those only with `loose_ok` or a
    "task" noun). An empty slot means "it" when `empty_is_it`."""
    cleaned = text.strip().strip(" .,:;!?")
    cleaned = re.sub(r"^(?:on|with|for|about)\s+", "", cleaned, flags=re.IGNORECASE)
    if not cleaned:
        return TargetMatch(Pronoun.IT, True) if empty_is_it else None
    match = parse_target(cleaned)
    if match is None:
        return None
    if isinstance(match.target, TitleRef):
        if HAS_NUMBER.search(cleaned) or re.search(r"\d+\s*$", cleaned):
            return None
        explicit = bool(TASKISH.search(cleaned)) or cleaned.startswith(("'", '"'))
        if not explicit and not loose_ok:
            return None
        return TargetMatch(match.target, explicit)
    return match
