"""Replies rendered from what the tools returned, the fixed replies of turns that could not
run, and the limits every reply keeps."""

from __future__ import annotations

from agent.offline.summary import as_mapping, describe_failure, describe_result
from agent.result import ToolCallRecord

DEGRADED_NOTES = {
    "providers_failed": (
        "Answered by TaskPilot's offline parser: the AI model providers are not answering "
        "right now."
    ),
    "budget_user": (
        "Answered by TaskPilot's offline parser: your AI budget for today is used up "
        "(it resets at 00:00 UTC)."
    ),
    "budget_team": (
        "Answered by TaskPilot's offline parser: your team's AI budget for today is used up "
        "(it resets at 00:00 UTC)."
    ),
}

EMPTY_MESSAGE = (
    "I didn't catch anything there. Tell me what you need, for example "
    "“remind bob to send the Q3 deck by friday” or “what's on my plate?”"
)

OVER_STEP_LIMIT = (
    "That took more steps than I allow for one message. Try asking for one thing at a time."
)

TURN_FAILED = (
    "Sorry, I couldn't finish that. Anything already changed is kept; ask me "
    "“what's on my plate?” to see where things stand, then rephrase the rest."
)


def too_long(length: int, *, limit: int) -> str:
    """The answer to a message longer than a turn reads."""
    return (
        f"That message is {length:,} characters long; I can read up to {limit:,}. "
        "Send the part that says what should be done, and put long details in the task "
        "description afterwards."
    )


def over_budget(whose: str) -> str:
    """The answer when the speaker's (`user`) or the team's (`team`) budget is spent and no
    offline link can answer instead."""
    owner = "Your" if whose == "user" else "Your team's"
    return (
        f"{owner} AI budget for today is used up, so I can't read messages until it resets "
        "at 00:00 UTC. Nothing was changed."
    )


def reply_from_records(records: list[ToolCallRecord]) -> str:
    """One line per call, from its result: what a person reads after a turn that acted."""
    lines: list[str] = []
    for record in records:
        if record.retried:
            continue  # The model got the error and tried again; its retry is reported.
        result = as_mapping(record.result)
        if result is not None:
            lines.append(describe_result(record.tool, record.args, result))
        else:
            lines.append(describe_failure(record.tool, record.error or "it failed", []))
    return "\n".join(line for line in lines if line) or "Done."


def with_footer(reply: str, note: str | None) -> str:
    """The reply with a footer line in italics, when there is a note."""
    return f"{reply}\n\n_{note}_" if note else reply


def capped(reply: str, *, limit: int) -> str:
    """The reply cut at a line break to fit `limit` characters, saying that it was cut."""
    if len(reply) <= limit:
        return reply
    marker = "\n…and more. Ask for fewer at a time, or filter the list."
    room = max(limit - len(marker), 0)
    cut = reply.rfind("\n", 0, room)
    return reply[: cut if cut > room // 2 else room].rstrip() + marker
