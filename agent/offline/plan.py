"""The values the offline parser produces: planned tool calls, or a reply when there are none."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.offline.readings import Trace

TOOL_CREATE = "create_task"
TOOL_UPDATE = "update_task"
TOOL_ASSIGN = "assign_task"
TOOL_LIST = "list_tasks"
TOOL_DELETE = "delete_task"

"""Every tool the offline model may call, in the order the agent declares them."""

WRITE_TOOL_NAMES = frozenset({TOOL_CREATE, TOOL_UPDATE, TOOL_ASSIGN, TOOL_DELETE})
"""The tools that change tasks."""


@dataclass(frozen=True)
class TitleRef:
    """A task named by words of its title ("the SSL task" is `TitleRef("ssl")`).

    The text is lower case, without articles or the word "task"; the model looks it up with
    `list_tasks(query=text)` before it makes the real call.
    """

    text: str


@dataclass(frozen=True)
class EachListed:
    """Every task the plan's previous call (a `list_tasks`) returned: "move all of carol's tasks
    to bob" is a list, then one assign per task listed, all in one response."""


EACH_LISTED = EachListed()


@dataclass(frozen=True)
class PlannedCall:
    """One tool call the person asked for.

    `args` holds only what the person said. `task_id` is an `int` once known, or a `TitleRef`
    the model resolves through `list_tasks` first.
    """

    tool: str
    args: dict[str, object] = field(default_factory=dict[str, object])
    # For a call an earlier turn made: what the fields it changed held before (from the tool's
    # result), so that a correction can undo it. Never sent to a tool.
    previous: dict[str, object] = field(default_factory=dict[str, object], compare=False)

    @property
    def title_ref(self) -> TitleRef | None:
        """The title reference this call still needs resolved, if any."""
        task_id = self.args.get("task_id")
        return task_id if isinstance(task_id, TitleRef) else None


@dataclass(frozen=True)
class ConversationContext:
    """What the parser knows about the conversation so far.

    `recent_task_ids` holds the tasks created, updated or listed in this conversation, most recent
    first; "it" and "that" mean the first of them. `last_listed_count` is how many tasks the most
    recent list showed when a list came last (zero otherwise): after a list of several tasks "it"
    is ambiguous and the parser asks which one is meant. `recent_people` is who "her" and "him"
    mean when they stand for an assignee.
    """

    recent_task_ids: tuple[int, ...] = ()
    last_listed_count: int = 0
    # The workspace's people, as the prompt lists them: handles and names, lowercased
    # ("bob", "bob ortiz"). Empty when the prompt does not list them.
    people: frozenset[str] = frozenset()
    # The people named as assignees earlier in the conversation, most recent first ("carol",
    # "<@U03>"): "give her #3 too" means the first of them.
    recent_people: tuple[str, ...] = ()
    # The changes the previous turn made (task numbers known), for follow-ups such as
    # "oops, I meant #4 not #3" and "and the invoice one too".
    last_calls: tuple[PlannedCall, ...] = ()
    # The person's previous message and the reply it got, so that the answer to a question
    # ("Which task do you mean?", "Make #1 urgent, or add a task called “1”?") is understood.
    previous_prompt: str | None = None
    previous_reply: str | None = None


@dataclass(frozen=True)
class ParseResult:
    """The parser's answer: the calls to make, or a reply when there are none."""

    calls: tuple[PlannedCall, ...]
    reply: str | None = None
    # How the message was read: the winning reading and the runner-up (see `readings`).
    trace: Trace | None = field(default=None, compare=False)

    @property
    def needs_lookup(self) -> bool:
        """Whether some call names its task by title words and needs `list_tasks` first."""
        return any(call.title_ref is not None for call in self.calls)
