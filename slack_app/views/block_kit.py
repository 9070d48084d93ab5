"""Block Kit as types: the blocks, elements, text objects and views TaskPilot builds.

Each TypedDict holds the keys Slack reads for that kind, as TaskPilot writes them; Slack
defines more (https://docs.slack.dev/reference/block-kit), which the app does not use. The
builders (`slack_app.views.blocks`, the task form, the guest notice) return these types, so
that a misspelt key or a block where an element belongs is a type error instead of a
message Slack refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, NotRequired, TypedDict

# -- text objects ---------------------------------------------------------------------------


class PlainText(TypedDict):
    """Text shown as typed: labels, placeholders, headers, button captions."""

    type: Literal["plain_text"]
    text: str
    emoji: NotRequired[bool]


class Mrkdwn(TypedDict):
    """Text with Slack's markup; people's words in it must be escaped first."""

    type: Literal["mrkdwn"]
    text: str


TextObject = PlainText | Mrkdwn


def plain_text(text: str, *, emoji: bool | None = None) -> PlainText:
    """A plain text object; `emoji` (when given) says whether `:smile:` shows as an emoji."""
    if emoji is None:
        return {"type": "plain_text", "text": text}
    return {"type": "plain_text", "text": text, "emoji": emoji}


def mrkdwn(text: str) -> Mrkdwn:
    """A mrkdwn text object of text the caller has already escaped."""
    return {"type": "mrkdwn", "text": text}


# -- elements -------------------------------------------------------------------------------

ButtonStyle = Literal["primary", "danger"]


class Option(TypedDict):
    """One choice of a select menu."""

    text: PlainText
    value: str


class ConfirmDialog(TypedDict):
    """The "are you sure?" dialog a button can ask before it acts."""

    title: PlainText
    text: TextObject
    confirm: PlainText
    deny: PlainText
    style: NotRequired[ButtonStyle]


class Button(TypedDict):
    """A button; its `value` comes back with the click."""

    type: Literal["button"]
    action_id: str
    text: PlainText
    style: NotRequired[ButtonStyle]
    value: NotRequired[str]
    confirm: NotRequired[ConfirmDialog]


class UsersSelect(TypedDict):
    """A menu of the workspace's people."""

    type: Literal["users_select"]
    action_id: str
    placeholder: NotRequired[PlainText]
    initial_user: NotRequired[str]


class StaticSelect(TypedDict):
    """A menu of fixed options."""

    type: Literal["static_select"]
    action_id: str
    placeholder: NotRequired[PlainText]
    options: list[Option]
    initial_option: NotRequired[Option]


class DatePicker(TypedDict):
    """A calendar; dates are `YYYY-MM-DD`."""

    type: Literal["datepicker"]
    action_id: str
    placeholder: NotRequired[PlainText]
    initial_date: NotRequired[str]


class TimePicker(TypedDict):
    """A time of day, `HH:MM`."""

    type: Literal["timepicker"]
    action_id: str
    placeholder: NotRequired[PlainText]
    initial_time: NotRequired[str]


class PlainTextInput(TypedDict):
    """A text field of a form."""

    type: Literal["plain_text_input"]
    action_id: str
    multiline: NotRequired[bool]
    max_length: NotRequired[int]
    initial_value: NotRequired[str]


ActionElement = Button | UsersSelect | StaticSelect | DatePicker
"""The controls TaskPilot puts in an actions block (a task card's)."""

InputElement = PlainTextInput | UsersSelect | StaticSelect | DatePicker | TimePicker
"""The fields TaskPilot puts in an input block (the task form's)."""


# -- blocks ---------------------------------------------------------------------------------


class SectionBlock(TypedDict):
    """A paragraph of text."""

    type: Literal["section"]
    text: TextObject
    block_id: NotRequired[str]


class ContextBlock(TypedDict):
    """Small grey text."""

    type: Literal["context"]
    elements: list[TextObject]
    block_id: NotRequired[str]


class HeaderBlock(TypedDict):
    """Large bold plain text."""

    type: Literal["header"]
    text: PlainText
    block_id: NotRequired[str]


class DividerBlock(TypedDict):
    """A thin line."""

    type: Literal["divider"]
    block_id: NotRequired[str]


class ActionsBlock(TypedDict):
    """A row of controls."""

    type: Literal["actions"]
    block_id: NotRequired[str]
    elements: list[ActionElement]


class InputBlock(TypedDict):
    """One labelled field of a modal's form; its value comes back in `view.state`."""

    type: Literal["input"]
    block_id: str
    label: PlainText
    optional: bool
    element: InputElement


Block = SectionBlock | ContextBlock | HeaderBlock | DividerBlock | ActionsBlock | InputBlock
"""A block TaskPilot builds."""

SlackBlock = dict[str, Any]
"""A block as Slack sends it back in a payload (the message a card was clicked in): any kind,
with whatever keys Slack added, read as JSON."""

MessageBlock = Block | SlackBlock
"""A block of a message the app posts or updates: its own, or one Slack sent back that it
keeps as it was."""


# -- views ----------------------------------------------------------------------------------


class ModalView(TypedDict):
    """A modal dialog."""

    type: Literal["modal"]
    callback_id: NotRequired[str]
    title: PlainText
    submit: NotRequired[PlainText]
    close: NotRequired[PlainText]
    private_metadata: NotRequired[str]
    blocks: list[Block]


class HomeView(TypedDict):
    """The App Home tab."""

    type: Literal["home"]
    callback_id: NotRequired[str]
    blocks: list[Block]


View = ModalView | HomeView


# -- handing Block Kit to slack_sdk ---------------------------------------------------------


def block_dicts(blocks: Sequence[MessageBlock]) -> list[dict[str, Any]]:
    """The blocks as the plain dicts slack_sdk's signatures name (a TypedDict is a dict at
    run time, but not a `dict[str, Any]` to a type checker); the JSON is the same."""
    return [dict(block) for block in blocks]


def view_dict(view: View) -> dict[str, Any]:
    """The view as the plain dict slack_sdk's signatures name; the JSON is the same."""
    return dict(view)
