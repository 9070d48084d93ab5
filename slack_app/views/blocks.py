"""Block Kit builders: the task card, the App Home view and small pieces the listeners share.

Every piece of a person's text that goes into mrkdwn is escaped (`slack_app.views.text`), and
each builder returns the Block Kit type it builds (`slack_app.views.block_kit`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_app.views.block_kit import (
    ActionElement,
    ActionsBlock,
    Block,
    Button,
    ContextBlock,
    DatePicker,
    DividerBlock,
    HeaderBlock,
    HomeView,
    MessageBlock,
    Option,
    SectionBlock,
    UsersSelect,
    mrkdwn,
    plain_text,
)
from slack_app.views.text import HEADER_TEXT_MAX, SECTION_TEXT_MAX, escape_mrkdwn, truncate

# action_ids of the card's controls; `slack_app.listeners.actions` listens for them.
ACTION_DONE = "task_done"
ACTION_ASSIGN = "task_assign"
ACTION_DUE = "task_due"
ACTION_PRIORITY = "task_priority"
ACTION_DELETE = "task_delete"
CARD_ACTIONS = (ACTION_DONE, ACTION_ASSIGN, ACTION_DUE, ACTION_PRIORITY, ACTION_DELETE)

# block_id prefixes of a card's blocks: the summary, the controls, and the note under them.
CARD_BLOCK = "task_card"
ACTIONS_BLOCK = "task_actions"
NOTE_BLOCK = "task_note"

PRIORITIES = ("low", "normal", "high", "urgent")
_PRIORITY_EMOJI = {"low": "▫️", "normal": "🔹", "high": "🔸", "urgent": "🔴"}

# Slack's limits: blocks in a Home tab view, characters of a confirm dialog's text, of a
# context element, and of a block_id.
HOME_BLOCKS_MAX = 100
CONFIRM_TEXT_MAX = 300
CONTEXT_TEXT_MAX = 3000
BLOCK_ID_MAX = 255
# A Home section shows at most this many cards even when the view has room for more.
HOME_SECTION_CARDS_MAX = 20


# A task card as the tools return it (`tasks.cards.TaskCard`) or as a turn's result carries it
# back (plain JSON); the builders read it by key.
CardLike = Mapping[str, Any]


def card_value(*, team_id: str, number: int) -> str:
    """The value a card's controls carry: the team the card belongs to and the task number."""
    return f"{team_id}:{number}"


# A card's value: a Slack team id, then a task number of at most nine ASCII digits (task numbers
# are positive 32-bit integers). `str.isdigit` would also take "²" or "٣", which `int` refuses.
_CARD_VALUE = re.compile(r"(?P<team>[TE][A-Z0-9]{1,30}):(?P<number>[1-9][0-9]{0,8})", re.ASCII)


def parse_card_value(value: str) -> tuple[str, int] | None:
    """(team_id, number) from a control's value, or None when it is not one of ours."""
    match = _CARD_VALUE.fullmatch(value)
    if match is None:
        return None
    return match.group("team"), int(match.group("number"))


def card_block_id(kind: str, *, value: str, key: str | None = None) -> str:
    """The block_id of one of a card's blocks: `task_actions:T123:12`, or with `key`
    (`task_actions:T123:12/overdue`) when the same task shows twice in one view, where Slack
    wants every block_id to be unique."""
    block_id = f"{kind}:{value}" if key is None else f"{kind}:{value}/{key}"
    return block_id[:BLOCK_ID_MAX]


def parse_block_id(block_id: str) -> tuple[str, int] | None:
    """(team_id, number) from a card block's id (see `card_block_id`), or None."""
    kind, _, rest = block_id.partition(":")
    if kind not in (CARD_BLOCK, ACTIONS_BLOCK, NOTE_BLOCK):
        return None
    return parse_card_value(rest.partition("/")[0])


def escaped_within(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """`text` escaped for mrkdwn, in at most `limit` characters, cut between characters of the
    original so that no `&amp;` entity is split."""
    escaped = escape_mrkdwn(text)
    if len(escaped) <= limit:
        return escaped
    room = limit - len(ellipsis)
    pieces: list[str] = []
    used = 0
    for char in text:
        piece = escape_mrkdwn(char)
        if used + len(piece) > room:
            break
        pieces.append(piece)
        used += len(piece)
    return "".join(pieces).rstrip() + ellipsis


def text_section(text: str) -> SectionBlock:
    """A section of mrkdwn the caller has already escaped, cut to Slack's limit."""
    return {"type": "section", "text": mrkdwn(truncate(text, SECTION_TEXT_MAX))}


def context_line(text: str) -> ContextBlock:
    """A small grey line of mrkdwn the caller has already escaped."""
    return {"type": "context", "elements": [mrkdwn(truncate(text, CONTEXT_TEXT_MAX))]}


def header(text: str) -> HeaderBlock:
    """A header: large plain text (no escaping needed), cut to Slack's 150 characters."""
    return {"type": "header", "text": plain_text(truncate(text, HEADER_TEXT_MAX), emoji=True)}


def divider() -> DividerBlock:
    """A thin line between sections."""
    return {"type": "divider"}


def priority_label(priority: str) -> str:
    """A priority with its marker, such as `🔸 high`."""
    return f"{_PRIORITY_EMOJI.get(priority, '')} {priority}".strip()


def _option(value: str) -> Option:
    return {"text": plain_text(priority_label(value)), "value": value}


def card_summary(card: CardLike, *, title_max: int = 1000) -> str:
    """The card's first line: number, title (escaped), and what state it is in."""
    title = escaped_within(str(card.get("title", "")), title_max)
    done = card.get("status") == "done"
    return f"~#{card['id']} {title}~ ✅" if done else f"*#{card['id']} {title}*"


def due_label(due: str) -> str:
    """A card's due value (`2026-12-03`, or ISO with a time) for people: `Thu 2026-12-03` or
    `Thu 2026-12-03 17:00`, in the zone the card was made for."""
    try:
        at = datetime.fromisoformat(due)
    except ValueError:
        return due
    day = f"{at:%a} {at.date().isoformat()}"
    return day if len(due) <= 10 else f"{day} {at:%H:%M}"


def card_fields(card: CardLike) -> str:
    """Who, when and how urgent, on one line."""
    parts: list[str] = []
    assignee = card.get("assignee")
    parts.append(f"👤 <@{assignee}>" if assignee else "👤 unassigned")
    due = card.get("due")
    if due:
        parts.append(f"📅 {escape_mrkdwn(due_label(str(due)))}")
    parts.append(priority_label(str(card.get("priority", "normal"))))
    status = str(card.get("status", "open"))
    if status != "open":
        parts.append(status.replace("_", " "))
    tags: Sequence[object] = card.get("tags") or []
    if tags:
        parts.append(" ".join(f"`{escape_mrkdwn(str(tag))}`" for tag in tags))
    return "  ·  ".join(parts)


def _delete_button(card: CardLike, value: str) -> Button:
    # The dialog's text has room for 300 characters; the title is cut to fit around the rest.
    prefix, suffix = "Task ", " will be deleted for everyone."
    # The summary adds the number and at most eight characters of marks around the title.
    room = CONFIRM_TEXT_MAX - len(prefix) - len(suffix) - len(str(card["id"])) - 8
    return {
        "type": "button",
        "action_id": ACTION_DELETE,
        "text": plain_text("Delete"),
        "style": "danger",
        "value": value,
        "confirm": {
            "title": plain_text("Delete this task?"),
            "text": mrkdwn(f"{prefix}{card_summary(card, title_max=room)}{suffix}"),
            "confirm": plain_text("Delete"),
            "deny": plain_text("Keep it"),
            "style": "danger",
        },
    }


def _open_controls(card: CardLike, value: str) -> list[ActionElement]:
    elements: list[ActionElement] = [
        {
            "type": "button",
            "action_id": ACTION_DONE,
            "text": plain_text("Done"),
            "style": "primary",
            "value": value,
        }
    ]
    assign: UsersSelect = {
        "type": "users_select",
        "action_id": ACTION_ASSIGN,
        "placeholder": plain_text("Assign"),
    }
    if card.get("assignee"):
        assign["initial_user"] = card["assignee"]
    elements.append(assign)
    due_picker: DatePicker = {
        "type": "datepicker",
        "action_id": ACTION_DUE,
        "placeholder": plain_text("Due date"),
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
            "placeholder": plain_text("Priority"),
            "options": [_option(p) for p in PRIORITIES],
            "initial_option": _option(priority if priority in PRIORITIES else "normal"),
        }
    )
    return elements


def task_card_blocks(card: CardLike, *, team_id: str, block_key: str | None = None) -> list[Block]:
    """A task card (`tasks.cards.task_card`) with Done, Assign, Due, Priority and Delete.

    A finished task keeps only its summary and Delete; controls carry `team_id:number`, so a
    click from another workspace's member can be refused. `block_key` makes the block ids
    unique when one view shows the same task in several sections.
    """
    value = card_value(team_id=team_id, number=int(card["id"]))
    summary = text_section(f"{card_summary(card)}\n{card_fields(card)}")
    summary["block_id"] = card_block_id(CARD_BLOCK, value=value, key=block_key)
    elements = _open_controls(card, value) if card.get("status") != "done" else []
    elements.append(_delete_button(card, value))
    actions: ActionsBlock = {
        "type": "actions",
        "block_id": card_block_id(ACTIONS_BLOCK, value=value, key=block_key),
        "elements": elements,
    }
    return [summary, actions]


def card_note(text: str, *, team_id: str, number: int) -> ContextBlock:
    """The line under a card saying what just happened to it ("✅ Marked done by …")."""
    block = context_line(text)
    block["block_id"] = card_block_id(NOTE_BLOCK, value=card_value(team_id=team_id, number=number))
    return block


def replace_card(
    message_blocks: Sequence[MessageBlock],
    *,
    team_id: str,
    number: int,
    new_blocks: Sequence[MessageBlock],
) -> list[MessageBlock] | None:
    """The blocks of a message with task `number`'s card (and its note) swapped for
    `new_blocks`, the rest as it was; None when the message does not hold that card."""
    wanted = (team_id, number)
    result: list[MessageBlock] = []
    found = False
    for block in message_blocks:
        block_id = block.get("block_id")
        if isinstance(block_id, str) and parse_block_id(block_id) == wanted:
            if not found:
                result.extend(new_blocks)
                found = True
            continue
        result.append(block)
    return result if found else None


@dataclass(kw_only=True)
class HomeSection:
    """One section of the App Home: a title, its task cards, and what to say when empty."""

    key: str
    title: str
    cards: Sequence[CardLike] = ()
    empty_text: str
    more_text: str = "…and {hidden} more."
    # How many tasks the section has in all, when `cards` holds only the first of them.
    total: int | None = None


def _shown_per_section(
    sections: Sequence[HomeSection], *, budget: int, card_blocks: int, per_section: int
) -> list[int]:
    # Round-robin, one card per section per round, so that a long section cannot crowd the
    # others out of the view.
    shown = [0] * len(sections)
    wanted = [min(len(section.cards), per_section) for section in sections]
    while budget >= card_blocks and shown != wanted:
        for index in range(len(sections)):
            if shown[index] < wanted[index] and budget >= card_blocks:
                shown[index] += 1
                budget -= card_blocks
    return shown


def home_view(
    sections: Sequence[HomeSection],
    *,
    team_id: str,
    intro: Sequence[Block] = (),
    per_section: int = HOME_SECTION_CARDS_MAX,
    max_blocks: int = HOME_BLOCKS_MAX,
) -> HomeView:
    """The App Home view: `intro`, then each section's header, cards and a closing line.

    The view stays within Slack's block limit: sections are cut (with "…and N more") instead
    of the whole view being refused.
    """
    # Each section costs a header, a divider and one line (empty, or "…and N more").
    overhead = len(intro) + 3 * len(sections)
    card_blocks = len(task_card_blocks({"id": 1, "status": "open"}, team_id=team_id))
    shown = _shown_per_section(
        sections, budget=max_blocks - overhead, card_blocks=card_blocks, per_section=per_section
    )
    blocks: list[Block] = list(intro)
    for index, (section, count) in enumerate(zip(sections, shown, strict=True)):
        if index:
            blocks.append(divider())
        total = max(section.total or 0, len(section.cards))
        blocks.append(header(f"{section.title} ({total})" if total else section.title))
        for card in section.cards[:count]:
            blocks.extend(task_card_blocks(card, team_id=team_id, block_key=section.key))
        if not total:
            blocks.append(context_line(section.empty_text))
        elif total > count:
            blocks.append(context_line(section.more_text.format(hidden=total - count)))
    return {"type": "home", "callback_id": "taskpilot_home", "blocks": blocks[:max_blocks]}
