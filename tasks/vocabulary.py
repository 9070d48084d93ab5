"""The words people use for a status and for themselves: one table each, shared by the
service (what a tool call may send), the user directory and the offline parser."""

from __future__ import annotations

# Every phrase that names a status, by the status it names. The service accepts them in tool
# calls ("completed", "in progress"); the offline parser reads them in messages.
STATUS_WORDS: dict[str, str] = {
    "done": "done",
    "complete": "done",
    "completed": "done",
    "finished": "done",
    "closed": "done",
    "resolved": "done",
    "fixed": "done",
    "shipped": "done",
    "sorted": "done",
    "handled": "done",
    "checked off": "done",
    "ticked off": "done",
    "open": "open",
    "opened": "open",
    "reopened": "open",
    "not done": "open",
    "undone": "open",
    "incomplete": "open",
    "not complete": "open",
    "not finished": "open",
    "todo": "open",
    "to do": "open",
    "to-do": "open",
    "in progress": "in_progress",
    "in-progress": "in_progress",
    "in_progress": "in_progress",
    "wip": "in_progress",
    "started": "in_progress",
    "doing": "in_progress",
    "ongoing": "in_progress",
    "underway": "in_progress",
    "being worked on": "in_progress",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "cancel": "cancelled",
    "dropped": "cancelled",
    "abandoned": "cancelled",
    "scrapped": "cancelled",
    "won't do": "cancelled",
    "wont do": "cancelled",
    "wontfix": "cancelled",
    "not needed": "cancelled",
    "no longer needed": "cancelled",
    "not needed anymore": "cancelled",
    "obsolete": "cancelled",
    "not happening": "cancelled",
    "won't happen": "cancelled",
    "isn't happening": "cancelled",
    "dead": "cancelled",
    "reopen": "open",
}

# The words that mean the speaker, wherever a person is named.
SELF_WORDS = frozenset({"i", "me", "mine", "my self", "myself", "self", "yours truly"})
