"""Plain-English replies built from tool results: "Created #12 “Send the Q3 deck” for Bob Ortiz,
due Fri Nov 27." This module only reads the dicts the tools return; it knows nothing of
pydantic-ai.
"""

from __future__ import annotations

from datetime import date, datetime

from agent.offline.plan import TOOL_ASSIGN, TOOL_CREATE, TOOL_DELETE, TOOL_LIST, TOOL_UPDATE
from agent.offline.values import Json, as_list, as_mapping

__all__ = [
    "Json",
    "ambiguous",
    "as_list",
    "as_mapping",
    "describe_filters",
    "describe_list",
    "describe_result",
    "format_due",
    "not_found",
    "task_cards",
    "task_line",
]

_MAX_LISTED = 20
_STATUS_LABELS = {
    "open": "open",
    "in_progress": "in progress",
    "done": "done",
    "cancelled": "cancelled",
}


def task_cards(result: Json) -> list[Json]:
    """The task cards a list result holds."""
    return [card for card in (as_mapping(item) for item in as_list(result.get("tasks"))) if card]


def format_due(card: Json) -> str | None:
    """A card's due date for people ("Fri Nov 27", "Fri Nov 27 5:00 PM"), or None."""
    due = card.get("due")
    if not isinstance(due, str) or not due:
        return None
    try:
        if "T" in due or " " in due:
            moment = datetime.fromisoformat(due)
            hour = moment.hour % 12 or 12
            meridiem = "AM" if moment.hour < 12 else "PM"
            return f"{moment.strftime('%a %b')} {moment.day} {hour}:{moment.minute:02d} {meridiem}"
        day = date.fromisoformat(due)
    except ValueError:
        return due
    return f"{day.strftime('%a %b')} {day.day}"


def _label(card: Json) -> str:
    return f"#{card.get('id')} “{card.get('title')}”"


def _assignee(card: Json) -> str | None:
    name = card.get("assignee_name") or card.get("assignee")
    return str(name) if name else None


def _priority_note(card: Json) -> str | None:
    priority = card.get("priority")
    if priority in {"high", "urgent", "low"}:
        return f"{priority} priority"
    return None


def describe_created(card: Json) -> str:
    """One sentence for a created task."""
    parts = [f"Created {_label(card)}"]
    assignee = _assignee(card)
    if assignee:
        parts.append(f" for {assignee}")
    details: list[str] = []
    due = format_due(card)
    if due:
        details.append(f"due {due}")
    priority = _priority_note(card)
    if priority:
        details.append(priority)
    tags = [str(tag) for tag in as_list(card.get("tags"))]
    if tags:
        details.append("tagged " + ", ".join(f"#{tag}" for tag in tags))
    text = "".join(parts)
    if details:
        text += ", " + ", ".join(details)
    return text + "."


def describe_updated(card: Json, args: Json) -> str:
    """One sentence for an updated task, naming what changed."""
    label = _label(card)
    status = args.get("status")
    changes: list[str] = []
    if "title" in args and args.get("title"):
        changes.append(f"renamed to “{card.get('title')}”")
    if "due" in args and args.get("due"):
        due = format_due(card)
        changes.append(f"due {due}" if due else "due date updated")
    if "priority" in args and args.get("priority"):
        changes.append(f"{card.get('priority')} priority")
    if "tags" in args and args.get("tags") is not None:
        tags = [str(tag) for tag in as_list(card.get("tags"))]
        changes.append("tagged " + ", ".join(f"#{tag}" for tag in tags) if tags else "tags cleared")
    if "description" in args and args.get("description"):
        changes.append("note added")
    if status and not changes:
        return {
            "done": f"Marked {label} as done.",
            "open": f"Reopened {label}.",
            "in_progress": f"Marked {label} as in progress.",
            "cancelled": f"Cancelled {label}.",
        }.get(str(status), f"Updated {label}.")
    if status:
        changes.insert(0, f"now {_STATUS_LABELS.get(str(status), str(status))}")
    if len(changes) == 1 and changes[0].startswith("due "):
        return f"Moved {label} to {changes[0][4:]}."
    if len(changes) == 1 and changes[0].startswith("renamed to"):
        return f"Renamed #{card.get('id')} to “{card.get('title')}”."
    if len(changes) == 1 and changes[0].endswith(" priority"):
        return f"Set {label} to {changes[0]}."
    if len(changes) == 1 and changes[0] == "note added":
        return f"Added the note to {label}."
    if not changes:
        return f"Updated {label}."
    return f"Updated {label}: " + ", ".join(changes) + "."


def describe_assigned(card: Json) -> str:
    """One sentence for an assignment."""
    assignee = _assignee(card) or "them"
    return f"Assigned {_label(card)} to {assignee}."


def task_line(card: Json) -> str:
    """A list line: "#3 Call the bank – due Fri Nov 27 – Bob Ortiz"."""
    parts = [f"#{card.get('id')} {card.get('title')}"]
    due = format_due(card)
    if due:
        parts.append(f"due {due}")
    assignee = _assignee(card)
    parts.append(assignee if assignee else "unassigned")
    status = card.get("status")
    if status in {"in_progress", "done", "cancelled"}:
        parts.append(_STATUS_LABELS[str(status)])
    priority = _priority_note(card)
    if priority and priority != "low priority":
        parts.append(priority)
    return " – ".join(parts)


def describe_filters(args: Json) -> str:
    """A list's filters in words: "overdue urgent tasks assigned to you about “invoices”"."""
    words: list[str] = []
    if args.get("due_before") == "now":
        words.append("overdue")
    status = args.get("status")
    if isinstance(status, str) and status != "any":
        # "any" is every status: "No tasks matching …", not "No any tasks".
        words.append(_STATUS_LABELS.get(status, status))
    priority = args.get("priority")
    if isinstance(priority, str):
        words.append(f"{priority}-priority")
    words.append("tasks")
    assignee = args.get("assignee")
    if isinstance(assignee, str):
        words.append("assigned to you" if assignee == "me" else f"assigned to {assignee}")
    creator = args.get("creator")
    if isinstance(creator, str):
        words.append("created by you" if creator == "me" else f"created by {creator}")
    due_before = args.get("due_before")
    if isinstance(due_before, str) and due_before != "now":
        words.append(f"due by {due_before}")
    due_after = args.get("due_after")
    if isinstance(due_after, str):
        words.append(f"due after {due_after}")
    query = args.get("query")
    if isinstance(query, str):
        words.append(f"matching “{query}”")
    return " ".join(words)


def describe_list(result: Json, args: Json | None = None) -> str:
    """The reply for a list result: a count and one line per task."""
    cards = task_cards(result)
    count = result.get("count")
    total = count if isinstance(count, int) else len(cards)
    if not cards:
        return f"No {describe_filters(args or {})}."
    noun = "task" if total == 1 else "tasks"
    lines = [f"Found {total} {noun}:"]
    lines.extend(task_line(card) for card in cards[:_MAX_LISTED])
    if len(cards) > _MAX_LISTED:
        lines.append(f"…and {len(cards) - _MAX_LISTED} more.")
    return "\n".join(lines)


def describe_candidates(candidates: list[object]) -> str | None:
    """ "Did you mean …?" for the people or tasks an error offers."""
    labels: list[str] = []
    for item in candidates[:5]:
        candidate = as_mapping(item)
        if candidate is None:
            labels.append(str(item))
        elif "title" in candidate:
            labels.append(f"#{candidate.get('id')} {candidate.get('title')}")
        else:
            name = candidate.get("name") or candidate.get("real_name")
            handle = candidate.get("handle")
            if name and handle:
                labels.append(f"{name} (@{handle})")
            else:
                labels.append(str(name or handle or candidate.get("id")))
    if not labels:
        return None
    return (
        "Did you mean "
        + ", ".join(labels[:-1])
        + (" or " if len(labels) > 1 else "")
        + f"{labels[-1]}?"
    )


_FAILED_ACTION = {
    TOOL_CREATE: "create that task",
    TOOL_UPDATE: "update that task",
    TOOL_ASSIGN: "assign that task",
    TOOL_LIST: "list tasks",
    TOOL_DELETE: "delete that task",
}


def describe_failure(tool: str, error: str, candidates: list[object]) -> str:
    """A failed call, with the tool's own sentence and any candidates."""
    text = f"I couldn't {_FAILED_ACTION.get(tool, 'do that')}: {error.strip()}"
    if not text.endswith((".", "?", "!")):
        text += "."
    suggestion = describe_candidates(candidates)
    # The tool's sentence may already offer the candidates; say them only once.
    if suggestion and "did you mean" not in text.lower():
        text += f" {suggestion}"
    return text


def describe_result(tool: str, args: Json, result: Json) -> str:
    """The sentence (or lines) for one tool result."""
    if not result.get("ok", False):
        error = result.get("error")
        return describe_failure(
            tool, str(error) if error else "something went wrong", as_list(result.get("candidates"))
        )
    warning = result.get("warning")
    suffix = f" Heads up: {warning}" if isinstance(warning, str) and warning else ""
    card = as_mapping(result.get("task"))
    deleted = as_mapping(result.get("deleted"))
    if tool == TOOL_LIST or "tasks" in result:
        return describe_list(result, args)
    if deleted is not None:
        return f"Deleted {_label(deleted)}." + suffix
    if card is None:
        return "Done." + suffix
    if tool == TOOL_CREATE:
        return describe_created(card) + suffix
    if tool == TOOL_ASSIGN:
        return describe_assigned(card) + suffix
    return describe_updated(card, args) + suffix


def not_found(text: str) -> str:
    """The reply when a title lookup found nothing."""
    return f"I couldn't find a task matching '{text}'."


def ambiguous(text: str, cards: list[Json]) -> str:
    """The question asked when a title lookup found several tasks."""
    lines = [f"Several tasks match '{text}'. Which one do you mean?"]
    lines.extend(f"#{card.get('id')} {card.get('title')}" for card in cards[:5])
    if len(cards) > 5:
        lines.append(f"…and {len(cards) - 5} more. Tell me the number.")
    return "\n".join(lines)
