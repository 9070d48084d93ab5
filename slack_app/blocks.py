"""Block Kit builders: the task card and small pieces the listeners share.

Every piece of a person's text that goes into mrkdwn is escaped (`slack_app.text`).
"""

from __future__ import annotations

from typing import Any

from slack_app.text import SECTION_TEXT_MAX, escape_mrkdwn, truncate

Block = dict[str, Any]

# action_ids of the card's controls; `slack_app.actions` listens for them.
ACTION_DONE = "task_done"
ACTION_ASSIGN = "task_assign"
ACTION_DUE = "task_due"
ACTION_PRIORITY = "task_priority"
ACTION_DELETE = "task_delete"
CARD_ACTIONS = (ACTION_DONE, ACTION_ASSIGN, ACTION_DUE, ACTION_PRIORITY, ACTION_DELETE)

PRIORITIES = ("low", "normal", "high", "urgent")
_PRIORITY_EMOJI = {"low": "▫️", "normal": "🔹", "high": "🔸", "urgent": "🔴"}


def card_value(*, team_id: str, number: int) -> str:
    """The value a card's controls carry: the team the card belongs to and the task number."""
    return f"{team_id}:{number}"


def parse_card_value(value: str) -> tuple[str, int] | None:
    """(team_id, number) from a control's value, or None when it is not one of ours."""
    team, _, number = value.rpartition(":")
    if not team or not number.isdigit():
        return None
    return team, int(number)


def text_section(text: str) -> Block:
    """A section of mrkdwn the caller has already escaped, cut to Slack's limit."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_TEXT_MAX)}}


def context_line(text: str) -> Block:
    """A small grey line of mrkdwn the caller has already escaped."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, 3000)}]}


def _option(value: str) -> dict[str, Any]:
    label = f"{_PRIORITY_EMOJI.get(value, '')} {value}".strip()
    return {"text": {"type": "plain_text", "text": label}, "value": value}


def card_summary(card: dict[str, Any]) -> str:
    """The card's first line: number, title (escaped), and what state it is in."""
    title = escape_mrkdwn(str(card.get("title", "")))
    done = card.get("status") == "done"
    return f"~#{card['id']} {title}~ ✅" if done else f"*#{card['id']} {title}*"


def card_fields(card: dict[str, Any]) -> str:
    """Who, when and how urgent, on one line."""
    parts: list[str] = []
    assignee = card.get("assignee")
    parts.append(f"👤 <@{assignee}>" if assignee else "👤 unassigned")
    due = card.get("due")
    if due:
        parts.append(f"📅 {escape_mrkdwn(str(due))}")
    priority = str(card.get("priority", "normal"))
    parts.append(f"{_PRIORITY_EMOJI.get(priority, '')} {priority}".strip())
    status = str(card.get("status", "open"))
    if status != "open":
        parts.append(status.replace("_", " "))
    tags = card.get("tags") or []
    if tags:
        parts.append(" ".join(f"`{escape_mrkdwn(str(tag))}`" for tag in tags))
    return "  ·  ".join(parts)


def task_card_blocks(card: dict[str, Any], *, team_id: str) -> list[Block]:
    """A task card (`tasks.cards.task_card`) with Done, Assign, Due, Priority and Delete.

    A finished task keeps only its summary and Delete; controls carry `team_id:number`, so a
    click from another workspace's member can be refused.
    """
    value = card_value(team_id=team_id, number=int(card["id"]))
    summary = text_section(f"{card_summary(card)}\n{card_fields(card)}")
    summary["block_id"] = f"task_card:{value}"
    delete_button: Block = {
        "type": "button",
        "action_id": ACTION_DELETE,
        "text": {"type": "plain_text", "text": "Delete"},
        "style": "danger",
        "value": value,
        "confirm": {
            "title": {"type": "plain_text", "text": "Delete this task?"},
            "text": {
                "type": "mrkdwn",
                "text": truncate(f"Task {card_summary(card)} will be deleted for everyone.", 300),
            },
            "confirm": {"type": "plain_text", "text": "Delete"},
            "deny": {"type": "plain_text", "text": "Keep it"},
            "style": "danger",
        },
    }
    elements: list[Block] = []
    if card.get("status") != "done":
        elements.append(
            {
                "type": "button",
                "action_id": ACTION_DONE,
                "text": {"type": "plain_text", "text": "Done"},
                "style": "primary",
                "value": value,
            }
        )
        assign: Block = {
            "type": "users_select",
            "action_id": ACTION_ASSIGN,
            "placeholder": {"type": "plain_text", "text": "Assign"},
        }
        if card.get("assignee"):
            assign["initial_user"] = card["assignee"]
        elements.append(assign)
        due_picker: Block = {
            "type": "datepicker",
            "action_id": ACTION_DUE,
            "placeholder": {"type": "plain_text", "text": "Due date"},
        }
        due = card.get("due")
        if isinstance(due, str) and len(due) >= 10:
            due_picker["initial_date"] = due[:10]
        elements.append(due_picker)
        priority = str(card.get("priority", "normal"))
        elements.append(
            {
                "type": "static_select",
                "action_id": ACTION_PRIORITY,
                "placeholder": {"type": "plain_text", "text": "Priority"},
                "options": [_option(p) for p in PRIORITIES],
                "initial_option": _option(priority if priority in PRIORITIES else "normal"),
            }
        )
    elements.append(delete_button)
    return [summary, {"type": "actions", "block_id": f"task_actions:{value}", "elements": elements}]
