"""Asking "are you sure?" before a destructive call, and reading the answer without asking
the model."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic_ai import DeferredToolRequests, DeferredToolResults, ToolDenied
from pydantic_ai.tools import DeferredToolApprovalResult

# An answer is a yes when every word is a yes word or harmless filler, and at least one word
# says yes outright; likewise for no. Anything else ("yes but delete #8 instead") is a new
# request, and the pending call is dropped.
_YES = frozenset(
    {
        "y", "yes", "yeah", "yea", "ya", "yep", "yup", "sure", "ok", "okay", "k", "kk",
        "confirm", "confirmed", "absolutely", "correct", "affirmative", "definitely", "ahead",
        "delete", "remove", "proceed", "do", "👍", "✅", "si", "oui", "ja",
    }
)  # fmt: skip
_YES_FILLER = frozenset(
    {
        "go", "do", "it", "that", "this", "one", "them", "please", "pls", "plz", "thanks", "thx",
        "ty", "thing", "just", "right", "for", "sure", "yes", "is", "fine", "lol", "!", "both",
        "all", "of", "em", "'em", "those", "these",
    }
)  # fmt: skip
_NO = frozenset(
    {
        "n", "no", "nope", "nah", "cancel", "stop", "don't", "dont", "abort", "wait", "keep",
        "nevermind", "nvm", "never", "not", "hold", "👎", "❌",
    }
)  # fmt: skip
_NO_FILLER = frozenset(
    {
        "it", "that", "this", "one", "them", "actually", "please", "pls", "thanks", "thx", "do",
        "not", "mind", "oops", "sorry", "i", "changed", "my", "delete", "remove", "hold", "on",
        "sec", "a", "second", "don't", "dont", "thank", "you", "no",
    }
)  # fmt: skip
_WORD = re.compile(r"[\w']+|[👍✅👎❌]")


class Answer(StrEnum):
    """How the person answered a confirmation question."""

    yes = "yes"
    no = "no"
    other = "other"


def classify_answer(text: str) -> Answer:
    """An explicit yes or no; anything else is a new request, and the pending call is dropped."""
    words = set(_WORD.findall(text.lower().replace("’", "'")))
    if not words:
        return Answer.other
    if words & _NO:
        return Answer.no if words <= _NO | _NO_FILLER else Answer.other
    if words & _YES and words <= _YES | _YES_FILLER:
        return Answer.yes
    return Answer.other


def confirmation_question(requests: DeferredToolRequests) -> tuple[str, list[dict[str, Any]]]:
    """The question that asks the person to confirm the deferred calls, and the calls as they
    are kept with the conversation until the answer comes."""
    pending: list[dict[str, Any]] = []
    labels: list[str] = []
    for call in requests.approvals:
        meta = requests.metadata.get(call.tool_call_id, {})
        pending.append(
            {"tool_call_id": call.tool_call_id, "tool": call.tool_name, "args": call.args_as_dict()}
        )
        number = meta.get("id", call.args_as_dict().get("task_id"))
        title = meta.get("title")
        labels.append(f"#{number} “{title}”" if title else f"#{number}")
    what = ", ".join(labels)
    them = "it" if len(labels) == 1 else "them"
    question = (
        f"Delete {what}? This can't be undone. "
        f"Reply *yes* to delete {them}, or *no* to keep {them}."
    )
    return question, pending


@dataclass(frozen=True)
class PendingAnswer:
    """How a turn starts when a question was pending: the prompt the agent gets (None when the
    answer alone resumes the run), the approvals or denials, and the calls the person
    confirmed (by tool call id)."""

    prompt: str | None
    deferred: DeferredToolResults | None
    confirmed: dict[str, dict[str, Any]]


def pending_answer(message: str, pending: list[dict[str, Any]]) -> PendingAnswer:
    """Read a message as the answer to the pending confirmation, if there is one."""
    if not pending:
        return PendingAnswer(prompt=message, deferred=None, confirmed={})
    answer = classify_answer(message)
    if answer is Answer.yes:
        approvals: dict[str, DeferredToolApprovalResult | bool] = {
            p["tool_call_id"]: True for p in pending
        }
        return PendingAnswer(
            prompt=None,
            deferred=DeferredToolResults(approvals=approvals),
            confirmed={p["tool_call_id"]: p for p in pending},
        )
    reason = (
        "The person said no, so nothing was deleted."
        if answer is Answer.no
        else "The person did not confirm, so nothing was deleted."
    )
    denials: dict[str, DeferredToolApprovalResult | bool] = {
        p["tool_call_id"]: ToolDenied(reason) for p in pending
    }
    # A plain no ends the matter; anything else is also a new request the agent reads.
    return PendingAnswer(
        prompt=None if answer is Answer.no else message,
        deferred=DeferredToolResults(approvals=denials),
        confirmed={},
    )
