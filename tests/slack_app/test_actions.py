"""Clicks on a task card, through the real endpoint: the task changes in the database and the
card is updated in place, or the clicker alone is told why nothing changed."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import parse_qs

import pytest

from devtools.local_web_api import LocalSlackWebAPI, RecordedCall
from slack_app.delivery import notify
from slack_app.services import SlackServices
from slack_app.views import blocks
from slack_app.views.block_kit import block_dicts
from tasks.due_dates import due_of
from tasks.enums import TaskStatus
from tasks.service import TaskService
from tests.slack_app.support import CHANNEL, TEAM, SlackHarness, block_action, interactive

MESSAGE_TS = "1710000000.000001"


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The `notify.task_changed` calls a click made (recorded, nothing sent), so that each test
    sees only what the click itself did."""
    calls: list[dict[str, Any]] = []

    async def record(services: SlackServices, **kwargs: Any) -> None:
        del services
        kwargs.pop("client")
        calls.append(kwargs)

    monkeypatch.setattr(notify, "task_changed", record)
    return calls


def make_task(
    slack: SlackHarness,
    *,
    title: str = "Renew the TLS cert",
    creator: str = "U0ALICE",
    assignee: str | None = None,
) -> int:
    """Create a task as `creator` would; its number."""
    with slack.sessions() as session, session.begin():
        service = TaskService(session, team_id=TEAM, actor_id=creator, source="test")
        return service.create_task(title=title, assignee_id=assignee).number


def card(number: int, *, title: str = "Renew the TLS cert") -> list[dict[str, Any]]:
    """The blocks of an open, unassigned card of task `number`, as the app posts it."""
    return block_dicts(
        blocks.task_card_blocks(
            {"id": number, "title": title, "status": "open", "priority": "normal"}, team_id=TEAM
        )
    )


def control(number: int, action_id: str, **selection: Any) -> dict[str, Any]:
    """What Slack sends for a click on one of the card's controls: the element's type, ids and
    value, the block_id of its actions block, and what was picked."""
    _, actions = card(number)
    element = next(e for e in actions["elements"] if e["action_id"] == action_id)
    action = {key: element[key] for key in ("type", "action_id", "value") if key in element}
    action["block_id"] = actions["block_id"]
    action.update(selection)
    return action


def with_message(body: bytes, message: dict[str, Any]) -> bytes:
    """A block_actions body whose clicked message is `message`."""
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    payload["message"] = message
    return interactive(payload)


def click(
    slack: SlackHarness,
    web: LocalSlackWebAPI,
    action: dict[str, Any],
    **options: Any,
) -> None:
    body = block_action(action, response_url=web.response_url(), **options)
    assert slack.post(body).status_code == 200
    slack.drain()


def block_ids(call: RecordedCall) -> list[str]:
    return [block.get("block_id", "") for block in call.args["blocks"]]


def action_ids(call: RecordedCall) -> list[str]:
    return [
        element["action_id"]
        for block in call.args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def seen_by_others(web: LocalSlackWebAPI) -> list[RecordedCall]:
    """Calls that post, update or publish something."""
    return [call for call in web.calls if call.method.startswith(("chat.", "views."))]


def test_done_marks_the_task_done_and_updates_the_card_in_place(
    slack: SlackHarness, web: LocalSlackWebAPI, told: list[dict[str, Any]]
) -> None:
    number = make_task(slack)
    click(slack, web, control(number, blocks.ACTION_DONE))
    [task] = slack.tasks()
    assert task.status == TaskStatus.done
    [update] = web.calls_to("response_url")
    assert update.args["replace_original"] is True
    summary, controls, note = update.args["blocks"]
    assert summary["text"]["text"].startswith(f"~#{number} Renew the TLS cert~ ✅")
    # A finished task keeps only Delete.
    assert action_ids(update) == [blocks.ACTION_DELETE]
    assert controls["block_id"] == f"task_actions:{TEAM}:{number}"
    assert note["elements"][0]["text"] == "✅ Marked done by <@U0ALICE>"
    assert told == [
        {"team_id": TEAM, "actor_id": "U0ALICE", "number": number, "previous_assignee_id": None}
    ]


def test_only_the_clicked_card_of_a_message_changes(
    slack: SlackHarness, web: LocalSlackWebAPI, told: list[dict[str, Any]]
) -> None:
    first = make_task(slack, title="Renew the TLS cert")
    second = make_task(slack, title="Order badges")
    reply = blocks.text_section("Created #1 and #2.")
    message = {
        "type": "message",
        "ts": MESSAGE_TS,
        "text": "Created #1 and #2.",
        "blocks": [reply, *card(first), *card(second, title="Order badges")],
    }
    body = block_action(control(second, blocks.ACTION_DONE), response_url=web.response_url())
    assert slack.post(with_message(body, message)).status_code == 200
    slack.drain()
    [update] = web.calls_to("response_url")
    assert update.args["text"] == "Created #1 and #2."
    assert update.args["blocks"][:3] == [reply, *card(first)]
    assert block_ids(update)[3:] == [
        f"task_card:{TEAM}:{second}",
        f"task_actions:{TEAM}:{second}",
        f"task_note:{TEAM}:{second}",
    ]
    assert [task.status for task in slack.tasks()] == [TaskStatus.open, TaskStatus.done]


def test_assign_gives_the_task_to_the_person_picked(
    slack: SlackHarness, web: LocalSlackWebAPI, told: list[dict[str, Any]]
) -> None:
    number = make_task(slack)
    click(slack, web, control(number, blocks.ACTION_ASSIGN, selected_user="U0BOB"))
    [task] = slack.tasks()
    assert task.assignee_id == "U0BOB"
    [update] = web.calls_to("response_url")
    summary, controls, note = update.args["blocks"]
    assert "👤 <@U0BOB>" in summary["text"]["text"]
    assert controls["elements"][1]["initial_user"] == "U0BOB"
    assert note["elements"][0]["text"] == "👤 Assigned to <@U0BOB> by <@U0ALICE>"
    assert told[0]["previous_assignee_id"] is None


def test_assigning_to_a_bot_is_refused_with_a_sentence(
    slack: SlackHarness, web: LocalSlackWebAPI, told: list[dict[str, Any]]
) -> None:
    with slack.sessions() as session, session.begin():
        TaskService(session, team_id=TEAM, actor_id="U0ALICE", source="test").directory.upsert(
            user_id="U0HELPER", handle="helperbot", is_bot=True
        )
    number = make_task(slack)
    click(slack, web, control(number, blocks.ACTION_ASSIGN, selected_user="U0HELPER"))
    [task] = slack.tasks()
    assert task.assignee_id is None
    [answer] = web.calls_to("response_url")
    assert answer.args["response_type"] == "ephemeral"
    assert "is a bot" in answer.args["text"]
    assert told == []


def test_the_date_picker_sets_an_all_day_due_date_in_the_clickers_zone(
    slack: SlackHarness, web: LocalSlackWebAPI, told: list[dict[str, Any]]
) -> None:
    number = make_task(slack)
    click(slack, web, control(number, blocks.ACTION_DUE, selected_date="2030-05-17"))
    [task] = slack.tasks()
    due = due_of(task)
    assert due is not None
    assert (due.day, due.all_day) == (date(2030, 5, 17), True)
    assert task.due_tz == "Europe/Paris"  # alice's zone in the directory
    [update] = web.calls_to("response_url")
    summary, controls, note = update.args["blocks"]
    assert "📅 Fri 2030-05-17" in summary["text"]["text"]
    assert controls["elements"][2]["initial_date"] == "2030-05-17"
    assert note["elements"][0]["text"] == "📅 Due Fri May 17, 2030, set by <@U0ALICE>"


def test_the_priority_select_changes_the_priority(
    slack: SlackHarness, web: LocalSlackWebAPI, told: list[dict[str, Any]]
) -> None:
    number = make_task(slack)
    option = {"text": {"type": "plain_text", "text": "🔸 high", "emoji": True}, "value": "high"}
    click(slack, web, control(number, blocks.ACTION_PRIORITY, selected_option=option))
    [task] = slack.tasks()
    assert task.priority.value == "high"
    [update] = web.calls_to("response_url")
    _, controls, note = update.args["blocks"]
    assert controls["elements"][3]["initial_option"]["value"] == "high"
    assert note["elements"][0]["text"] == "🔸 high priority set by <@U0ALICE>"


def test_delete_removes_the_task_and_leaves_one_line(
    slack: SlackHarness, web: LocalSlackWebAPI, told: list[dict[str, Any]]
) -> None:
    number = make_task(slack, assignee="U0BOB")
    click(slack, web, control(number, blocks.ACTION_DELETE))
    assert slack.tasks() == []
    [update] = web.calls_to("response_url")
    assert update.args["replace_original"] is True
    [line] = update.args["blocks"]
    assert line["elements"][0]["text"] == f"🗑 Task #{number} deleted by <@U0ALICE>"
    assert update.args["text"] == f"🗑 Task #{number} deleted by <@U0ALICE>"
    assert told[0]["previous_assignee_id"] == "U0BOB"


def test_a_click_on_a_task_deleted_meanwhile_says_so_and_changes_nothing(
    slack: SlackHarness, web: LocalSlackWebAPI, told: list[dict[str, Any]]
) -> None:
    number = make_task(slack)
    keep = make_task(slack, title="Order badges")
    with slack.sessions() as session, session.begin():
        TaskService(session, team_id=TEAM, actor_id="U0ALICE", source="test").delete_task(
            number=number
        )
    click(slack, web, control(number, blocks.ACTION_DONE))
    [answer] = web.calls_to("response_url")
    assert answer.args["response_type"] == "ephemeral"
    assert answer.args["replace_original"] is False
    assert answer.args["text"] == f"Task #{number} no longer exists — it was deleted."
    assert [(task.number, task.status) for task in slack.tasks()] == [(keep, TaskStatus.open)]
    assert seen_by_others(web) == []
    assert told == []


def test_a_click_on_a_task_that_never_existed_says_there_is_none(
    slack: SlackHarness, web: LocalSlackWebAPI, told: list[dict[str, Any]]
) -> None:
    click(slack, web, control(41, blocks.ACTION_DONE))
    [answer] = web.calls_to("response_url")
    assert answer.args["text"] == "There is no task #41 in this workspace."


def test_a_member_of_another_workspace_is_refused(
    slack: SlackHarness, web: LocalSlackWebAPI, told: list[dict[str, Any]]
) -> None:
    number = make_task(slack)
    click(
        slack,
        web,
        control(number, blocks.ACTION_DONE),
        user_id="U0STRANGER",
        user_team_id="T0OTHER",
    )
    [task] = slack.tasks()
    assert task.status == TaskStatus.open
    [answer] = web.calls_to("response_url")
    assert answer.args["response_type"] == "ephemeral"
    assert "only for people of this workspace" in answer.args["text"]
    assert seen_by_others(web) == []
    assert told == []


@pytest.mark.parametrize(
    ("clicker", "action_id", "says"),
    [
        (
            "U0CAROL",
            blocks.ACTION_DONE,
            "Only alice (who created it) or bob (who is assigned to it) can change task #1.",
        ),
        ("U0BOB", blocks.ACTION_DELETE, "Only alice, who created task #1, can delete it."),
    ],
    ids=["done-by-a-bystander", "delete-by-the-assignee"],
)
def test_a_person_without_permission_is_refused(
    slack: SlackHarness,
    web: LocalSlackWebAPI,
    told: list[dict[str, Any]],
    clicker: str,
    action_id: str,
    says: str,
) -> None:
    number = make_task(slack, assignee="U0BOB")
    assert number == 1
    click(slack, web, control(number, action_id), user_id=clicker)
    [task] = slack.tasks()
    assert task.status == TaskStatus.open
    [answer] = web.calls_to("response_url")
    assert answer.args["response_type"] == "ephemeral"
    assert answer.args["text"] == says
    assert told == []


def test_an_expired_response_url_falls_back_to_updating_the_message(
    slack: SlackHarness, web: LocalSlackWebAPI, told: list[dict[str, Any]]
) -> None:
    number = make_task(slack)
    web.server_error("response_url", status=404)
    click(slack, web, control(number, blocks.ACTION_DONE))
    [update] = web.calls_to("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (CHANNEL, MESSAGE_TS)
    assert action_ids(update) == [blocks.ACTION_DELETE]
    assert slack.tasks()[0].status == TaskStatus.done


HOME_VIEW = {"id": "V0HOME", "type": "home", "callback_id": "taskpilot_home", "blocks": []}


def published_text(call: RecordedCall) -> str:
    view = call.args["view"]
    return json.dumps(json.loads(view) if isinstance(view, str) else view, ensure_ascii=False)


def test_a_click_on_the_home_publishes_the_home_again(
    slack: SlackHarness, web: LocalSlackWebAPI, told: list[dict[str, Any]]
) -> None:
    number = make_task(slack, assignee="U0ALICE")
    click(slack, web, control(number, blocks.ACTION_DONE), view=HOME_VIEW)
    assert slack.tasks()[0].status == TaskStatus.done
    [publish] = web.calls_to("views.publish")
    assert publish.args["user_id"] == "U0ALICE"
    assert f"~#{number} Renew the TLS cert~ ✅" in published_text(publish)
    assert web.calls_to("response_url") == []
    assert told[0]["number"] == number


def test_a_refused_click_on_the_home_shows_why_on_top_of_it(
    slack: SlackHarness, web: LocalSlackWebAPI, told: list[dict[str, Any]]
) -> None:
    number = make_task(slack, assignee="U0BOB")
    click(slack, web, control(number, blocks.ACTION_DONE), user_id="U0CAROL", view=HOME_VIEW)
    assert slack.tasks()[0].status == TaskStatus.open
    [publish] = web.calls_to("views.publish")
    assert publish.args["user_id"] == "U0CAROL"
    assert "⚠️ Only alice (who created it)" in published_text(publish)
    assert told == []


def test_the_new_assignee_hears_about_a_card_assignment(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    # With the real `notify`: the click's change reaches the person it concerns.
    number = make_task(slack)
    click(slack, web, control(number, blocks.ACTION_ASSIGN, selected_user="U0BOB"))
    dms = [call for call in web.calls_to("chat.postMessage") if call.args["channel"] == "U0BOB"]
    assert len(dms) == 1
    assert f"#{number}" in json.dumps(dms[0].args, ensure_ascii=False)
