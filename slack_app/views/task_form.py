"""The modal of the "Create task from message" shortcut (`slack_app.listeners.shortcuts`): the
"Reading the message…" view it opens with, and the form the agent's draft fills in.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime

from agent.drafts import TaskDraft
from slack_app.views import blocks
from slack_app.views.block_kit import (
    DatePicker,
    InputBlock,
    InputElement,
    ModalView,
    Option,
    PlainText,
    PlainTextInput,
    StaticSelect,
    TimePicker,
    UsersSelect,
    plain_text,
)
from slack_app.views.text import escape_keeping_mentions, truncate
from tasks.models import DESCRIPTION_MAX_CHARS, TITLE_MAX_CHARS

MODAL_CALLBACK_ID = "create_task_modal"

# The form's input blocks; each input's block_id and action_id are the same.
TITLE = "title"
DESCRIPTION = "description"
ASSIGNEE = "assignee"
DUE_DATE = "due_date"
DUE_TIME = "due_time"
PRIORITY = "priority"

READING = "Reading the message…"
# How much of the message the form quotes above the fields.
QUOTE_MAX = 500


@dataclass(frozen=True, kw_only=True)
class Source:
    """The message a task is made from; carried in the modal's `private_metadata`."""

    channel_id: str
    message_ts: str
    thread_ts: str
    permalink: str | None = None

    def dump(self) -> str:
        """As `private_metadata` (JSON, well under Slack's 3,000 characters)."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def load(cls, text: str) -> Source | None:
        """The source from `private_metadata`, or None when it is not ours."""
        try:
            raw = json.loads(text or "{}")
            return cls(
                channel_id=str(raw["channel_id"]),
                message_ts=str(raw["message_ts"]),
                thread_ts=str(raw["thread_ts"]),
                permalink=str(raw["permalink"]) if raw.get("permalink") else None,
            )
        except (ValueError, KeyError, TypeError):
            return None


def _plain(text: str) -> PlainText:
    return plain_text(text, emoji=True)


def loading_view() -> ModalView:
    """The modal shown while the agent reads the message."""
    return {
        "type": "modal",
        "callback_id": "create_task_loading",
        "title": _plain("New task"),
        "close": _plain("Cancel"),
        "blocks": [blocks.text_section(f":hourglass_flowing_sand: {READING}")],
    }


def _priority_option(value: str) -> Option:
    return {"text": _plain(blocks.priority_label(value)), "value": value}


def _input(label: str, element: InputElement, *, optional: bool) -> InputBlock:
    # The block is named after its element's action_id, so that the submitted value reads
    # back as `state.values[X][X]`.
    return {
        "type": "input",
        "block_id": element["action_id"],
        "label": _plain(label),
        "optional": optional,
        "element": element,
    }


def initial_description(draft: TaskDraft, source: Source) -> str:
    """The drafted description, then the link back to the message, within the limit."""
    link = f"From Slack: {source.permalink}" if source.permalink else ""
    room = DESCRIPTION_MAX_CHARS - len(link) - 2
    parts = [truncate(draft.description, room) if draft.description else "", link]
    return "\n\n".join(part for part in parts if part)


def form_view(draft: TaskDraft, *, source: Source, message_text: str) -> ModalView:
    """The task form, filled in from `draft`."""
    title: PlainTextInput = {
        "action_id": TITLE,
        "type": "plain_text_input",
        "max_length": TITLE_MAX_CHARS,
    }
    if draft.title:
        title["initial_value"] = draft.title[:TITLE_MAX_CHARS]
    description: PlainTextInput = {
        "action_id": DESCRIPTION,
        "type": "plain_text_input",
        "multiline": True,
        "max_length": DESCRIPTION_MAX_CHARS,
    }
    if initial := initial_description(draft, source):
        description["initial_value"] = initial
    assignee: UsersSelect = {
        "action_id": ASSIGNEE,
        "type": "users_select",
        "placeholder": _plain("Nobody yet"),
    }
    if draft.assignee_id:
        assignee["initial_user"] = draft.assignee_id
    due_date: DatePicker = {
        "action_id": DUE_DATE,
        "type": "datepicker",
        "placeholder": _plain("No due date"),
    }
    due_time: TimePicker = {
        "action_id": DUE_TIME,
        "type": "timepicker",
        "placeholder": _plain("All day"),
    }
    if isinstance(draft.due, datetime):
        due_date["initial_date"] = draft.due.date().isoformat()
        due_time["initial_time"] = draft.due.strftime("%H:%M")
    elif isinstance(draft.due, date):
        due_date["initial_date"] = draft.due.isoformat()
    priority = draft.priority or "normal"
    priority_menu: StaticSelect = {
        "action_id": PRIORITY,
        "type": "static_select",
        "options": [_priority_option(p) for p in blocks.PRIORITIES],
        "initial_option": _priority_option(priority if priority in blocks.PRIORITIES else "normal"),
    }
    quote = escape_keeping_mentions(truncate(" ".join(message_text.split()), QUOTE_MAX))
    origin = f"<{source.permalink}|This message>" if source.permalink else "The message"
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK_ID,
        "title": _plain("New task"),
        "submit": _plain("Create"),
        "close": _plain("Cancel"),
        "private_metadata": source.dump(),
        "blocks": [
            blocks.context_line(f"{origin}: {quote}" if quote else origin),
            _input("Title", title, optional=False),
            _input("Description", description, optional=True),
            _input("Assignee", assignee, optional=True),
            _input("Due date", due_date, optional=True),
            _input("Due time", due_time, optional=True),
            _input("Priority", priority_menu, optional=False),
        ],
    }
