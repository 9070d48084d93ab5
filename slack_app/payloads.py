"""The parts of Slack's payloads the listeners read, as types.

Bolt hands a listener its payload as a plain `dict[str, Any]`. Each listener casts it once,
where it enters, to the TypedDict below that names the keys it reads; past that point the
reads are typed. The TypedDicts are not total: Slack leaves keys out depending on where a
request comes from (a message or the App Home, a workspace or an Enterprise org), and the
code reads every key with `.get`. A cast checks nothing at run time, so what Slack could send
malformed is still checked where it is read (`isinstance`, `str(... or "")`), as before.
"""

from __future__ import annotations

from typing import Any, TypedDict, cast

from slack_app.views.block_kit import SlackBlock


def json_object(value: object) -> dict[str, Any] | None:
    """`value` when it is a JSON object (a dict, whose keys JSON makes strings), else None:
    for reading a nested object of a payload whose shape Slack does not fix."""
    if isinstance(value, dict):
        return cast("dict[str, Any]", value)
    return None


def json_array(value: object) -> list[object]:
    """`value` when it is a JSON array, else an empty one."""
    if isinstance(value, list):
        return cast("list[object]", value)
    return []


class UserRef(TypedDict, total=False):
    """The person behind an interaction, and their own workspace."""

    id: str
    team_id: str


class TeamRef(TypedDict, total=False):
    """The workspace an interaction happened in."""

    id: str


class ChannelRef(TypedDict, total=False):
    """The channel of a message shortcut."""

    id: str


class SelectedOption(TypedDict, total=False):
    """The option picked in a select menu."""

    value: str


class InputState(TypedDict, total=False):
    """One input's value in a submitted view's state; which key holds it depends on the kind
    of element (None when the person left it empty)."""

    value: str | None
    selected_user: str | None
    selected_date: str | None
    selected_time: str | None
    selected_option: SelectedOption | None


class ViewState(TypedDict, total=False):
    """A view's inputs: block_id -> action_id -> value."""

    values: dict[str, dict[str, InputState]]


class ViewPayload(TypedDict, total=False):
    """A view as Slack sends it back: with a click in it, on submission, or when opened."""

    id: str
    hash: str
    type: str
    private_metadata: str
    state: ViewState


class MessagePayload(TypedDict, total=False):
    """The message a shortcut was run on, or a clicked card's message."""

    ts: str
    thread_ts: str
    text: str
    blocks: list[SlackBlock]


class Container(TypedDict, total=False):
    """Where a clicked control is: a message (its channel and ts) or a view."""

    type: str
    channel_id: str
    message_ts: str
    is_ephemeral: bool


class BlockActions(TypedDict, total=False):
    """A `block_actions` payload: a click on a control of a message or a view."""

    user: UserRef
    team: TeamRef | None
    container: Container
    view: ViewPayload
    message: MessagePayload


class BlockAction(TypedDict, total=False):
    """The clicked control of a `block_actions` payload (`actions[0]`), with its new value."""

    action_id: str
    block_id: str
    value: str
    selected_user: str | None
    selected_date: str | None
    selected_option: SelectedOption | None


class MessageShortcut(TypedDict, total=False):
    """A `message_action` payload: a message shortcut run on a message."""

    trigger_id: str
    team: TeamRef | None
    user: UserRef
    channel: ChannelRef
    message: MessagePayload


class ViewSubmission(TypedDict, total=False):
    """A `view_submission` payload: a modal's form sent."""

    team: TeamRef | None
    user: UserRef
    view: ViewPayload
