"""A message as the readers see it (`Utterance`), and a kind of request (`Intent`): its reader
and the sentences, with their calls, it must read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from agent.offline.plan import ConversationContext, ParseResult, PlannedCall
from agent.offline.readings import Reading

ClauseReader = Callable[[str], ParseResult]
ChangeReader = Callable[[str], dict[str, object] | None]


@dataclass(frozen=True)
class Utterance:
    """One message as the readers see it, and the shared readers they may call back into.

    `clauses` reads any text with the clause parser; `changes` reads text made only of
    attributes ("urgent", "due friday", "for bob") as the changes it says, or None;
    `normalize` turns raw text (an earlier message) into the words the readers read, as the
    parser did for this one (Slack markup, typos, spoken numbers).
    """

    text: str
    context: ConversationContext
    clauses: ClauseReader
    changes: ChangeReader
    normalize: Callable[[str], str]
    # The clause parser's score for the whole message: readers that rearrange the message
    # only compete with a reading that is weak.
    base_score: float = 0.0
    base_calls: tuple[PlannedCall, ...] = ()
    # Typed after "/task": the text is a new task unless it reads as a command.
    slash: bool = False
    # Whether this is already the request read after a leading remark (read once, not again).
    after_remark: bool = False


Reader = Callable[[Utterance], Reading | None]
Example = tuple[str, tuple[tuple[str, dict[str, object]], ...]]


@dataclass(frozen=True)
class Intent:
    """A kind of request: its reader and the sentences (with their calls) it must read."""

    name: str
    read: Reader
    examples: tuple[Example, ...] = field(default=())
