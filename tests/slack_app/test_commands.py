"""`/task` through the real endpoint: acked at once, answered on the response_url."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from devtools.local_web_api import LocalSlackWebAPI
from tasks.models import TaskStatus
from tasks.service import TaskService
from tests.slack_app.support import TEAM, SlackHarness, sign, slash_command

ALICE_ZONE = ZoneInfo("Europe/Paris")


def run_command(
    slack: SlackHarness, web: LocalSlackWebAPI, text: str, *, user_id: str = "U0ALICE"
) -> list[dict[str, Any]]:
    """Send `/task text`, check the empty ack, wait for the work; the response_url posts."""
    name = f"r{len(web.calls)}"
    response = slack.post(slash_command(text, user_id=user_id, response_url=web.response_url(name)))
    assert response.status_code == 200
    assert response.text == ""
    slack.drain()
    return [call.args for call in web.calls_to("response_url") if call.path.endswith(name)]


def only_answer(slack: SlackHarness, web: LocalSlackWebAPI, text: str, **kw: Any) -> dict[str, Any]:
    [answer] = run_command(slack, web, text, **kw)
    return answer


def shown_numbers(answer: dict[str, Any]) -> list[int]:
    """The task numbers of the cards in an answer, in order."""
    numbers: list[int] = []
    for block in answer["blocks"]:
        block_id = str(block.get("block_id", ""))
        if block_id.startswith("task_card:"):
            numbers.append(int(block_id.split(":")[2].split("/")[0]))
    return numbers


def seed_tasks(slack: SlackHarness) -> None:
    """#1 bob's overdue ops task, #2 alice's finance task, #3 a done one, #4 carol's own."""
    yesterday = datetime.now(ALICE_ZONE) - timedelta(days=2)
    with slack.sessions() as session, session.begin():
        service = TaskService(session, team_id=TEAM, actor_id="U0ALICE", source="test")
        service.seed_task(
            number=1,
            title="Renew the TLS cert",
            assignee_id="U0BOB",
            tags=["ops"],
            due_at=yesterday,
            due_all_day=True,
        )
        service.seed_task(
            number=2, title="Send the invoice", assignee_id="U0ALICE", tags=["finance"]
        )
        service.seed_task(number=3, title="Order badges", status=TaskStatus.done)
        service.seed_task(
            number=4,
            title="Book the venue",
            assignee_id="U0CAROL",
            creator_id="U0CAROL",
        )


def test_add_is_acked_empty_then_creates_the_task_and_shows_its_card_to_the_channel(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    answer = only_answer(slack, web, "add renew TLS cert for <@U0BOB|bob> tomorrow")

    [task] = slack.tasks()
    assert task.title == "Renew TLS cert"
    assert task.assignee_id == "U0BOB"
    assert task.due_at is not None and task.due_all_day
    tomorrow = (datetime.now(ALICE_ZONE) + timedelta(days=1)).date()
    assert task.due_at.astimezone(ALICE_ZONE).date() == tomorrow
    assert answer["response_type"] == "in_channel"
    assert shown_numbers(answer) == [task.number]
    assert "task_done" in json.dumps(answer["blocks"])
    # Bob is told he was given a task.
    assert any(call.args.get("channel") == "U0BOB" for call in web.calls_to("chat.postMessage"))


def test_the_ack_does_not_wait_for_the_answer(slack: SlackHarness, web: LocalSlackWebAPI) -> None:
    release = web.hold("response_url")
    body = slash_command("add water the plants", response_url=web.response_url())
    try:
        # Were the ack waiting for the held answer, this request would time out.
        response = slack.http.post(
            "/slack/events",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)},
            timeout=5,
        )
        assert response.status_code == 200
        assert response.text == ""
        web.wait_for("response_url")
        assert not release.is_set()
    finally:
        release.set()
    slack.drain()
    assert [task.title for task in slack.tasks()] == ["Water the plants"]


@pytest.mark.parametrize(
    ("filters", "numbers"),
    [
        ("", [1, 2, 4]),
        ("mine", [2]),
        ("<@U0BOB|bob>", [1]),
        ("@carol", [4]),
        ("overdue", [1]),
        ("done", [3]),
        ("all", [1, 2, 3, 4]),
        ("#finance", [2]),
        ("invoice", [2]),
        ("my tasks #finance", [2]),
    ],
)
def test_list_shows_the_matching_cards_to_the_person_alone(
    slack: SlackHarness, web: LocalSlackWebAPI, filters: str, numbers: list[int]
) -> None:
    seed_tasks(slack)
    answer = only_answer(slack, web, f"list {filters}")

    assert answer["response_type"] == "ephemeral"
    assert sorted(shown_numbers(answer)) == numbers
    # Every card has its buttons.
    assert json.dumps(answer["blocks"]).count('"task_delete"') == len(numbers)


def test_list_with_no_match_says_so_in_a_sentence(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    seed_tasks(slack)
    answer = only_answer(slack, web, "list <@U0BOB|bob> #finance")

    assert answer["response_type"] == "ephemeral"
    assert shown_numbers(answer) == []
    assert answer["text"].startswith("No open tasks assigned to <@U0BOB> tagged #finance.")


def test_done_marks_the_task_done_and_shows_the_card_to_the_channel(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    seed_tasks(slack)
    answer = only_answer(slack, web, "done #2")

    assert slack.tasks()[1].status == TaskStatus.done
    assert answer["response_type"] == "in_channel"
    assert "<@U0ALICE> marked #2 done" in answer["text"]
    assert shown_numbers(answer) == [2]

    again = only_answer(slack, web, "done 2")
    assert again["response_type"] == "ephemeral"
    assert "already done" in again["text"]


def test_assign_gives_the_task_to_the_person_and_tells_them(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    seed_tasks(slack)
    answer = only_answer(slack, web, "assign 2 <@U0CAROL|carol>")

    assert slack.tasks()[1].assignee_id == "U0CAROL"
    assert answer["response_type"] == "in_channel"
    assert "gave #2 to <@U0CAROL>" in answer["text"]
    assert shown_numbers(answer) == [2]
    assert any(call.args.get("channel") == "U0CAROL" for call in web.calls_to("chat.postMessage"))


def test_assign_understands_a_plain_name(slack: SlackHarness, web: LocalSlackWebAPI) -> None:
    seed_tasks(slack)
    only_answer(slack, web, "assign 2 Bob Ortiz")
    assert slack.tasks()[1].assignee_id == "U0BOB"


@pytest.mark.parametrize("text", ["", "help", "HELP"])
def test_help_shows_examples_to_the_person_alone(
    slack: SlackHarness, web: LocalSlackWebAPI, text: str
) -> None:
    answer = only_answer(slack, web, text)
    assert answer["response_type"] == "ephemeral"
    assert "/task add" in answer["text"] and "/task done 12" in answer["text"]
    assert slack.tasks() == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("done abc", "“abc” is not a task number"),
        ("done", "Which task is done?"),
        ("done 999", "There is no task #999"),
        ("assign 2", "Who should take #2?"),
        ("assign 2 @zed", "I don't know anyone called"),
        ("assign 999 @bob", "There is no task #999"),
        ("assign x @bob", "“x” is not a task number"),
        ("done 4", "Only carol, who created it"),  # Carol's own task: only she may change it.
        ("list @zed", "I don't know anyone called"),
        ("list @bob @carol", "one person's tasks at a time"),
        ("add", "What should the task say?"),
    ],
)
def test_bad_input_gets_a_friendly_sentence_and_changes_nothing(
    slack: SlackHarness, web: LocalSlackWebAPI, text: str, says: str
) -> None:
    seed_tasks(slack)
    before = [(t.number, t.status, t.assignee_id) for t in slack.tasks()]
    answer = only_answer(slack, web, text)

    assert answer["response_type"] == "ephemeral"
    assert says in answer["text"]
    assert "Traceback" not in answer["text"]
    assert [(t.number, t.status, t.assignee_id) for t in slack.tasks()] == before


def test_other_words_go_to_the_agent_and_its_answer_stays_private(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    seed_tasks(slack)
    answer = only_answer(slack, web, "what's on my plate")

    assert answer["response_type"] == "ephemeral"
    assert "Send the invoice" in json.dumps(answer["blocks"])
    unknown = only_answer(slack, web, "frobnicate the wibble")
    assert unknown["response_type"] == "ephemeral"
    assert len(slack.tasks()) == 4


def test_an_agent_turn_that_changes_a_task_is_shown_to_the_channel(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    answer = only_answer(slack, web, "remind <@U0BOB|bob> to send the Q3 deck by friday")

    [task] = slack.tasks()
    assert task.assignee_id == "U0BOB"
    assert answer["response_type"] == "in_channel"
    assert shown_numbers(answer) == [task.number]


def test_a_deletion_is_confirmed_by_a_second_command(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    seed_tasks(slack)
    question = only_answer(slack, web, "delete #2")
    assert question["response_type"] == "ephemeral"
    assert "yes" in question["text"]
    assert len(slack.tasks()) == 4

    done = only_answer(slack, web, "yes")
    assert [t.number for t in slack.tasks()] == [1, 3, 4]
    assert done["response_type"] == "in_channel"


def test_response_url_down_keeps_the_task_retries_and_logs(
    slack: SlackHarness, web: LocalSlackWebAPI, caplog: pytest.LogCaptureFixture
) -> None:
    web.server_error("response_url", times=10)
    with caplog.at_level(logging.ERROR):
        posts = run_command(slack, web, "add renew the domain")

    [task] = slack.tasks()
    assert "domain" in task.title
    assert len(posts) == 4  # The first try and three retries.
    assert any("/task" in record.getMessage() for record in caplog.records)
