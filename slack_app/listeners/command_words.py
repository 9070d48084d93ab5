"""What a `/task` command says: its subcommand, a task number, and the filters of
`/task list` (`slack_app.listeners.commands` answers it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from slack_app.views.text import escape_mrkdwn, normalize_mentions

_NUMBER = re.compile(r"^#?(\d+)$")
_CHANNEL_MENTION = re.compile(r"^<#[A-Z0-9]+\|([^>]*)>$")


class CommandError(Exception):
    """Input the command cannot use; the message is a sentence (mrkdwn, escaped) to show."""


def split_command(text: str) -> tuple[str, str]:
    """(subcommand in lower case, the rest), e.g. ("assign", "12 @bob"); ("", "") when empty."""
    stripped = text.strip()
    if not stripped:
        return "", ""
    head, _, rest = stripped.partition(" ")
    return head.lower(), rest.strip()


def parse_number(word: str) -> int:
    """A task number from `12` or `#12`, else a `CommandError` saying how to write one."""
    match = _NUMBER.match(word.strip())
    if match is None or int(match.group(1)) < 1:
        raise CommandError(
            f"“{escape_mrkdwn(word.strip())}” is not a task number. "
            "Use the number from the task's card, like `12` or `#12`."
        )
    return int(match.group(1))


# -- list -----------------------------------------------------------------------------------

ListStatus = Literal["open", "done", "all"]
_ME_WORDS = frozenset({"mine", "my", "me"})
_STATUS_WORDS: dict[str, ListStatus] = {
    "open": "open",
    "todo": "open",
    "pending": "open",
    "done": "done",
    "completed": "done",
    "closed": "done",
    "finished": "done",
    "all": "all",
    "any": "all",
    "everything": "all",
}
_OVERDUE_WORDS = frozenset({"overdue", "late"})
_FILLER_WORDS = frozenset({"task", "tasks", "the", "for", "to", "of", "assigned", "about"})


@dataclass(frozen=True, kw_only=True)
class ListFilters:
    """What `/task list ...` asked for."""

    person: str | None = None
    """Whose tasks, as written: "me", "<@U0BOB>" or "@bob"."""
    status: ListStatus = "open"
    overdue: bool = False
    unassigned: bool = False
    tags: tuple[str, ...] = ()
    words: tuple[str, ...] = ()


def parse_list_filters(text: str) -> ListFilters:
    """The filters of `/task list` from its words; a `CommandError` for two people at once."""
    person: str | None = None
    status: ListStatus = "open"
    overdue = unassigned = False
    tags: list[str] = []
    words: list[str] = []
    for token in normalize_mentions(text).split():
        lowered = token.lower()
        said: str | None = None
        channel = _CHANNEL_MENTION.match(token)
        if lowered in _ME_WORDS:
            said = "me"
        elif token.startswith(("<@", "@")) and len(token) > 1:
            said = token
        elif channel is not None or (lowered.startswith("#") and len(lowered) > 1):
            # "#web" arrives as a channel mention when a channel of that name exists.
            tag = channel.group(1) if channel is not None else lowered[1:]
            if tag.lower() not in tags:
                tags.append(tag.lower())
        elif lowered in _STATUS_WORDS:
            status = _STATUS_WORDS[lowered]
        elif lowered in _OVERDUE_WORDS:
            overdue = True
        elif lowered == "unassigned":
            unassigned = True
        elif lowered not in _FILLER_WORDS:
            words.append(token)
        if said is not None:
            if person is not None and person != said:
                raise CommandError("I can list one person's tasks at a time; name just one.")
            person = said
    return ListFilters(
        person=person,
        status=status,
        overdue=overdue,
        unassigned=unassigned,
        tags=tuple(tags),
        words=tuple(words),
    )


def describe(filters: ListFilters, *, person_id: str | None, actor_id: str) -> str:
    """The tasks a list shows, in words (mrkdwn, escaped): "overdue tasks assigned to you"."""
    kind = {"open": "open tasks", "done": "done tasks", "all": "tasks"}[filters.status]
    if filters.overdue:
        kind = "overdue tasks"
    if filters.unassigned:
        kind = f"unassigned {kind}"
    parts = [kind]
    if person_id is not None:
        parts.append("assigned to you" if person_id == actor_id else f"assigned to <@{person_id}>")
    if filters.tags:
        parts.append("tagged " + ", ".join(f"#{escape_mrkdwn(tag)}" for tag in filters.tags))
    if filters.words:
        parts.append(f"matching “{escape_mrkdwn(' '.join(filters.words))}”")
    return " ".join(parts)
