"""The prompt's line that lists the workspace's people.

The agent renders it (`{people_line}` in a prompt file; prompts v1 and v2 spell the label out
before `{people}`), and the offline model reads the people back from it
(`agent.offline.model.people_from_instructions`), as a language model would. Both use these
constants, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence

PEOPLE_LABEL = "People in this workspace:"
"""How the line starts."""

PEOPLE_NOT_LISTED = "(not listed; pass names as written)"
"""What the line says when the workspace has too many people to list."""


def people_text(people: Sequence[str]) -> str:
    """What follows the label: "alice (Alice Chen), bob (Bob Ortiz)", or `PEOPLE_NOT_LISTED`."""
    return ", ".join(people) if people else PEOPLE_NOT_LISTED


def people_line(people: Sequence[str]) -> str:
    """The whole line: "People in this workspace: alice (Alice Chen), bob (Bob Ortiz)"."""
    return f"{PEOPLE_LABEL} {people_text(people)}"
