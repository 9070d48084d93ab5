"""The workspace's people, for recognising a person named in plain words ("add X for dave").

`parse_message` sets the people from `ConversationContext.people` for the length of one parse
(`using_people`); the readers ask `known_person` whether some words name one of them. A mention
(`<@U02>`) or an `@handle` always counts as a person. A plain word counts only when the prompt
listed it: a handle ("bob"), a full name ("bob ortiz"), the first name of a full name ("bob"
from "Bob Ortiz") or the first part of a dotted handle ("frank" from "frank.li"). With no people
listed (big workspaces), plain words never count, so every rule built on this falls back to what
it did before.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from contextlib import contextmanager
from contextvars import ContextVar

from agent.offline.lexicon import ME_WORDS, NAME_STOPWORDS

__all__ = ["PERSON_WORDS", "known_person", "leading_known_person", "using_people"]

_PEOPLE: ContextVar[frozenset[str]] = ContextVar("offline_people", default=frozenset())
_MENTION_OR_HANDLE = re.compile(r"<@[UW][A-Z0-9]+>|@[\w][\w.\-]*[\w]|@\w")

PERSON_WORDS = r"(?:<@[UW][A-Z0-9]+>|@[\w][\w.\-]*|[A-Za-z][\w'.\-]*(?:\s+[A-Za-z][\w'.\-]*)?)"
"""A regex for up to two words where a person could stand (check with `leading_known_person`)."""


@contextmanager
def using_people(people: frozenset[str]) -> Generator[None]:
    """Make `people` (lowercase handles and names) the known people while the block runs."""
    names = set(people)
    for name in people:
        # "bob" from "bob ortiz"; "frank" from a dotted handle such as "frank.li".
        first = name.split()[0] if " " in name else name.split(".")[0] if "." in name else ""
        if first and first not in NAME_STOPWORDS and first not in ME_WORDS:
            names.add(first)
    token = _PEOPLE.set(frozenset(names))
    try:
        yield
    finally:
        _PEOPLE.reset(token)


def known_person(text: str) -> bool:
    """Whether `text` is exactly a mention, an @handle or a listed person."""
    cleaned = " ".join(text.strip().strip(".,;:!?\"'()").split())
    if not cleaned:
        return False
    if _MENTION_OR_HANDLE.fullmatch(cleaned):
        return True
    return cleaned.lower() in _PEOPLE.get()


def leading_known_person(text: str) -> str | None:
    """The known person `text` starts with (a full name before a first name), as written."""
    stripped = text.lstrip()
    handle = _MENTION_OR_HANDLE.match(stripped)
    if handle:
        return handle.group(0)
    words = re.match(r"([A-Za-z][\w'\-]*)(?:\s+([A-Za-z][\w'\-]*))?", stripped)
    if words is None:
        return None
    if words.group(2) is not None:
        both = f"{words.group(1)} {words.group(2)}"
        if both.lower() in _PEOPLE.get():
            return both
    first = words.group(1)
    return first if first.lower() in _PEOPLE.get() else None
