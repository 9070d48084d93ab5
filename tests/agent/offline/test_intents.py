"""The intent registry: every intent's examples, the safety rule, questions and their answers."""

from __future__ import annotations

import pytest

from agent.offline import ConversationContext, PlannedCall, TitleRef, parse_message
from agent.offline.intents import INTENTS, unsafe_title
from agent.offline.plan import ParseResult
from agent.offline.readings import Reading, choose, explain_json, question_for
from agent.offline.spoken import spoken_to_digits

TEAM = ConversationContext(
    people=frozenset(
        {"alice", "alice chen", "bob", "bob ortiz", "carol", "carol diaz", "dave", "dave kim"}
    )
)

EXAMPLES = [
    pytest.param(text, expected, id=f"{intent.name}: {text}")
    for intent in INTENTS
    for text, expected in intent.examples
]


def calls(text: str, context: ConversationContext = TEAM) -> list[tuple[str, dict[str, object]]]:
    return [(call.tool, dict(call.args)) for call in parse_message(text, context=context).calls]


@pytest.mark.parametrize(("text", "expected"), EXAMPLES)
def test_every_intent_reads_its_examples(
    text: str, expected: tuple[tuple[str, dict[str, object]], ...]
) -> None:
    assert calls(text) == [(tool, args) for tool, args in expected]


def test_every_intent_has_examples_except_follow_ups() -> None:
    without = {intent.name for intent in INTENTS if not intent.examples}
    assert without == {"follow_up", "which_answer", "who_answer", "bulk_move"}


@pytest.mark.parametrize(
    "text",
    [
        "make task 1 urgent",
        "set task 3 to high",
        "make #2 done",
        "task 4 is complete",
    ],
)
def test_a_message_naming_a_task_number_is_never_a_create(text: str) -> None:
    assert all(tool != "create_task" for tool, _ in calls(text))


@pytest.mark.parametrize("title", ["1", "#4", "task 7", "it", "that one"])
def test_titles_that_are_task_references_are_unsafe(title: str) -> None:
    assert unsafe_title(title)


@pytest.mark.parametrize("title", ["Review PR #45", "Call the bank", "Book 3 rooms"])
def test_ordinary_titles_are_safe(title: str) -> None:
    assert not unsafe_title(title)


def test_an_explicit_create_may_mention_a_task_number() -> None:
    assert calls("add a task to review PR #45") == [("create_task", {"title": "Review PR #45"})]


def _reading(reader: str, call: PlannedCall, score: float) -> Reading:
    return Reading(reader=reader, result=ParseResult(calls=(call,)), score=score)


def test_close_readings_that_write_different_things_are_asked_about() -> None:
    update = _reading(
        "numbered", PlannedCall("update_task", {"task_id": 1, "priority": "urgent"}), 0.8
    )
    create = _reading("clauses", PlannedCall("create_task", {"title": "1"}), 0.75)
    trace = choose([create, update])
    assert trace.asked
    assert trace.winner is update and trace.runner_up is create
    assert question_for(update, create) == "Make #1 urgent, or add a task called “1”?"


def test_a_clear_winner_is_not_asked_about() -> None:
    update = _reading(
        "numbered", PlannedCall("update_task", {"task_id": 1, "priority": "urgent"}), 0.9
    )
    create = _reading("clauses", PlannedCall("create_task", {"title": "1"}), 0.2)
    assert not choose([create, update]).asked


def test_a_create_of_a_bare_number_is_asked_and_the_answer_understood() -> None:
    first = parse_message("add 12", context=TEAM)
    assert first.calls == ()
    assert first.reply is not None and first.reply.startswith(
        "Should I add a new task called “12”?"
    )
    context = ConversationContext(
        people=TEAM.people, previous_prompt="add 12", previous_reply=first.reply
    )
    assert calls("yes, add it", context) == [("create_task", {"title": "12"})]
    assert calls("never mind", context) == []


def test_an_unsafe_create_alone_is_asked_about_not_written() -> None:
    result = parse_message("task 12", context=TEAM)
    assert result.calls == ()


def test_trace_names_the_winner_and_the_runner_up() -> None:
    result = parse_message("make task 1 urgent", context=TEAM)
    assert result.trace is not None
    data = result.trace.as_json()
    assert data["winner"]["reader"] == "numbered_change"
    assert data["runner_up"]["calls"][0]["tool"] == "create_task"
    text = explain_json(data)
    assert text.startswith("read as: update_task(task_id=1, priority='urgent')")
    assert "runner-up: create_task(title='1'" in text


@pytest.mark.parametrize(
    ("spoken", "digits"),
    [
        ("call mom at four thirty", "call mom at 4:30pm"),
        ("back up the recordings at six o'clock", "back up the recordings at 6:00pm"),
        ("in half an hour check the incubator", "in 30 minutes check the incubator"),
        ("after one hour restart the worker", "in 1 hour restart the worker"),
        ("push it back a week", "push it back 1 week"),
        ("the lamp order can slip two days", "the lamp order can slip 2 days"),
        (
            "sort the cables whenever somebody has a minute",
            "sort the cables whenever somebody has a minute",
        ),
        ("get quotes from two vendors", "get quotes from two vendors"),
    ],
)
def test_spoken_numbers_and_times_become_digits(spoken: str, digits: str) -> None:
    assert spoken_to_digits(spoken) == digits


def test_follow_up_redirects_the_last_change() -> None:
    context = ConversationContext(
        last_calls=(PlannedCall("update_task", {"task_id": 3, "status": "done"}),),
        recent_task_ids=(3,),
    )
    assert calls("oops, I meant #2 not #3", context) == [
        ("update_task", {"task_id": 2, "status": "done"}),
        ("update_task", {"task_id": 3, "status": "open"}),
    ]


def test_follow_up_repeats_the_last_change_on_another_task() -> None:
    context = ConversationContext(
        last_calls=(PlannedCall("update_task", {"task_id": 4, "status": "done"}),),
        recent_task_ids=(4,),
    )
    assert calls("and the invoice one too", context) == [
        ("update_task", {"task_id": TitleRef("invoice"), "status": "done"})
    ]


def test_answer_to_which_task_redoes_the_request() -> None:
    context = ConversationContext(
        previous_prompt="mark the onboarding thing done pls",
        previous_reply="Several tasks match 'onboarding'. Which one do you mean?\n#2 …\n#9 …",
    )
    assert calls("the figma one", context) == [
        ("update_task", {"task_id": TitleRef("figma"), "status": "done"})
    ]
