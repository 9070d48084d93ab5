"""`run_turn` end to end with scripted models: what a person sees and what lands in the database."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart

from agent.assembly import build_runtime
from agent.model_chain import OFFLINE
from agent.runtime import run_turn_sync
from core.settings import Settings
from tests.agent.support import (
    OTHER_TEAM,
    ZONE,
    Script,
    SessionFactory,
    audit_events,
    call,
    echo_last_tool_result,
    make_deps,
    runtime_for,
    say,
    seed,
    team_tasks,
    turn,
)


def test_create_resolves_assignee_and_due_in_the_speakers_zone(sessions: SessionFactory) -> None:
    # A successful write ends the turn: the script's closing sentence is never asked for.
    script = Script(
        call("create_task", title="Send the Q3 deck", assignee="bob", due="friday"),
        say("never sent"),
    )
    result = turn(sessions, runtime_for(script), "remind bob to send the Q3 deck by friday")

    assert result.reply == "Created #1 “Send the Q3 deck” for Bob Ortiz, due Fri Nov 27."
    assert [(c.tool, c.ok) for c in result.tool_calls] == [("create_task", True)]
    assert result.model == "scripted" and result.prompt_version == "v3"
    assert result.usage.requests == 1 and result.model_calls == 1
    assert len(script.seen) == 1
    [task] = team_tasks(sessions)
    assert task.title == "Send the Q3 deck"
    assert task.assignee_id == "U0002"
    assert task.due_at is not None and task.due_all_day
    assert task.due_at.astimezone(ZONE).date() == date(2026, 11, 27)
    assert result.cards[0]["id"] == task.number
    [event] = audit_events(sessions)
    assert (event.action, event.actor_id, event.source) == ("create", "U0001", "test")


def test_wrong_argument_type_goes_back_to_the_model_and_the_retry_succeeds(
    sessions: SessionFactory,
) -> None:
    script = Script(
        call("create_task", title="Renew the TLS certificate", priority="super-high"),
        call("create_task", title="Renew the TLS certificate", priority="high"),
        say("Done."),
    )
    result = turn(sessions, runtime_for(script), "renew the tls cert, high prio")

    # The model's second request carried the validation error about the priority.
    second_request = script.seen[1][-1]
    assert "priority" in str(second_request)
    assert "super-high" in (result.tool_calls[0].error or "")
    assert [c.ok for c in result.tool_calls] == [False, True]
    [task] = team_tasks(sessions)
    assert task.priority == "high"


def test_missing_title_is_a_retry_not_a_crash(sessions: SessionFactory) -> None:
    script = Script(call("create_task", assignee="bob"), say("What should the task say?"))
    result = turn(sessions, runtime_for(script), "give bob a task")
    assert result.tool_calls[0].ok is False
    assert result.reply == "What should the task say?"
    assert team_tasks(sessions) == []


@pytest.mark.parametrize("team_of_task", [None, OTHER_TEAM])
def test_unknown_or_foreign_task_number_reads_the_same(
    sessions: SessionFactory, team_of_task: str | None
) -> None:
    if team_of_task:
        seed(sessions, number=42, title="Other team's secret", team=team_of_task)
    script = Script(call("update_task", task_id=42, status="done"), echo_last_tool_result())
    result = turn(sessions, runtime_for(script), "mark #42 done")
    assert result.tool_calls[0].ok is False
    assert "There is no task #42" in result.reply
    assert "secret" not in result.reply
    if team_of_task:
        [task] = team_tasks(sessions, team_of_task)
        assert task.status == "open"


def test_unknown_assignee_comes_back_as_an_error_with_no_task_written(
    sessions: SessionFactory,
) -> None:
    script = Script(call("create_task", title="Fix login", assignee="zed"), echo_last_tool_result())
    result = turn(sessions, runtime_for(script), "ask zed to fix login")
    assert result.tool_calls[0].ok is False
    assert "zed" in (result.tool_calls[0].error or "")
    assert team_tasks(sessions) == []
    assert audit_events(sessions) == []


def test_delete_asks_first_and_runs_only_after_yes(sessions: SessionFactory) -> None:
    seed(sessions, number=7, title="Call the bank")
    script = Script(call("delete_task", task_id=7), say("never sent"))
    runtime = runtime_for(script)

    asked = turn(sessions, runtime, "delete #7")
    assert asked.pending_confirmation is not None
    assert "Call the bank" in asked.reply and "yes" in asked.reply
    assert [t.number for t in team_tasks(sessions)] == [7]

    confirmed = turn(sessions, runtime, "yes")
    assert team_tasks(sessions) == []
    assert [(c.tool, c.ok, c.confirmed_execution) for c in confirmed.tool_calls] == [
        ("delete_task", True, True)
    ]
    # The deletion's result is the reply; the model is not called again for it.
    assert confirmed.reply == "Deleted #7 “Call the bank”."
    assert confirmed.model_calls == 0 and len(script.seen) == 1
    assert [e.action for e in audit_events(sessions)][-1] == "delete"


@pytest.mark.parametrize("answer", ["no", "add a task to call mom"])
def test_anything_but_yes_keeps_the_task(sessions: SessionFactory, answer: str) -> None:
    seed(sessions, number=7, title="Call the bank")
    script = Script(call("delete_task", task_id=7), say("Okay, kept it."))
    runtime = runtime_for(script)
    turn(sessions, runtime, "delete #7")
    result = turn(sessions, runtime, answer)
    assert [t.number for t in team_tasks(sessions)] == [7]
    assert result.pending_confirmation is None
    # The next "yes" has nothing to confirm any more.
    script.steps.append(say("Yes to what?"))
    turn(sessions, runtime, "yes")
    assert [t.number for t in team_tasks(sessions)] == [7]


def test_only_the_creator_may_delete_and_is_not_asked_otherwise(sessions: SessionFactory) -> None:
    seed(sessions, number=3, title="Bob's own task", creator_id="U0002")
    script = Script(call("delete_task", task_id=3), echo_last_tool_result())
    result = turn(sessions, runtime_for(script), "delete #3")
    assert result.pending_confirmation is None
    assert result.tool_calls[0].ok is False
    assert "who created task #3" in result.reply
    assert [t.number for t in team_tasks(sessions)] == [3]


def test_empty_and_huge_messages_never_reach_the_model(sessions: SessionFactory) -> None:
    script = Script()  # Any model call fails the test.
    runtime = runtime_for(script, TASKPILOT_MAX_INPUT_CHARS=4000)
    for text in ("", "   \n\t ", "x" * 20_000):
        result = turn(sessions, runtime, text)
        assert result.reply and result.tool_calls == []
    assert "20,000 characters" in turn(sessions, runtime, "y" * 20_000).reply
    assert script.seen == []


def test_conversations_are_scoped_to_their_team(sessions: SessionFactory) -> None:
    script = Script(
        call("create_task", title="Team one task"),
        say("ok"),
        say("hello"),
    )
    runtime = runtime_for(script)
    turn(sessions, runtime, "add team one task", conversation="shared-id")
    turn(sessions, runtime, "hi", conversation="shared-id", team=OTHER_TEAM)
    # The other team's turn started from an empty history: only its own prompt was sent.
    sent = script.seen[-1]
    assert len(sent) == 1


def test_parallel_calls_in_one_response_run_in_order(sessions: SessionFactory) -> None:
    titles = ["Buy milk", "Call mom", "Book flights", "Pay rent"]

    def all_at_once(messages: list[ModelMessage]) -> ModelResponse:
        del messages
        return ModelResponse(parts=[ToolCallPart("create_task", {"title": t}) for t in titles])

    script = Script(all_at_once, say("Added four tasks."))
    result = turn(sessions, runtime_for(script), "add buy milk; call mom; book flights; pay rent")
    assert [c.ok for c in result.tool_calls] == [True] * 4
    assert [(t.number, t.title) for t in team_tasks(sessions)] == list(enumerate(titles, start=1))


def test_a_prompt_with_an_unknown_placeholder_fails_at_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import agent.assembly
    from agent.instructions import PromptTemplateError

    monkeypatch.setattr(agent.assembly, "load_prompt", lambda version: "Hi {user_name}, {today}")
    with pytest.raises(PromptTemplateError, match="user_name"):
        runtime_for(Script())


def test_a_failing_model_gets_an_apology_not_a_traceback(sessions: SessionFactory) -> None:
    def broken(messages: list[ModelMessage]) -> ModelResponse:
        del messages
        return ModelResponse(parts=[ToolCallPart("no_such_tool", {"x": 1})])

    script = Script(broken, broken, broken, broken)
    result = turn(sessions, runtime_for(script), "do something")
    assert "couldn't finish" in result.reply
    assert team_tasks(sessions) == []


def test_the_prompt_lists_the_workspace_people(sessions: SessionFactory) -> None:
    script = Script(say("hello"))
    turn(sessions, runtime_for(script), "hi")
    first_request = script.seen[0][0]
    assert isinstance(first_request, ModelRequest)
    assert first_request.instructions is not None
    assert (
        "People in this workspace: alice (Alice Chen), bob (Bob Ortiz), carol (Carol Diaz)"
        in first_request.instructions
    )
    assert "Wednesday" in first_request.instructions


# --- nothing more on a deleted task --------------------------------------------------------


def test_a_call_after_a_delete_in_the_same_response_does_not_run(
    sessions: SessionFactory,
) -> None:
    seed(sessions, number=4, title="Call the bank")

    def delete_then_update(messages: list[ModelMessage]) -> ModelResponse:
        del messages
        return ModelResponse(
            parts=[
                ToolCallPart("delete_task", {"task_id": 4}),
                ToolCallPart("update_task", {"task_id": 4, "status": "done"}),
            ]
        )

    runtime = runtime_for(Script(delete_then_update, say("never sent")))
    asked = turn(sessions, runtime, "delete #4, then mark it done")
    assert asked.pending_confirmation is not None
    assert asked.reply.startswith("Delete #4 “Call the bank”?")
    delete, update = asked.tool_calls
    assert (delete.tool, update.tool, update.ok) == ("delete_task", "update_task", False)
    assert "waiting for the person to confirm its deletion" in (update.error or "")
    # The task the person is asked about is the task as it was.
    [task] = team_tasks(sessions)
    assert task.status == "open"

    confirmed = turn(sessions, runtime, "yes")
    assert confirmed.reply == "Deleted #4 “Call the bank”."
    assert team_tasks(sessions) == []
    assert [e.action for e in audit_events(sessions)] == ["create", "delete"]


def test_after_a_confirmed_delete_the_rest_of_the_plan_leaves_the_task_alone(
    sessions: SessionFactory,
) -> None:
    # A model that plans its steps itself, as the offline model does, takes the step after the
    # deletion once the person has said yes, in the same turn: "delete #4, then mark it done".
    seed(sessions, number=4, title="Call the bank")
    plan = Script(
        call("delete_task", task_id=4),
        call("update_task", task_id=4, status="done"),
        echo_last_tool_result(),
    )
    runtime = build_runtime(settings=Settings.model_validate({}), model=plan.model(name=OFFLINE))
    asked = turn(sessions, runtime, "delete #4, then mark it done")
    assert asked.pending_confirmation is not None

    confirmed = turn(sessions, runtime, "yes")
    assert team_tasks(sessions) == []
    assert [(c.tool, c.ok) for c in confirmed.tool_calls] == [
        ("delete_task", True),
        ("update_task", False),
    ]
    assert "#4 was deleted in this turn" in confirmed.reply
    assert [e.action for e in audit_events(sessions)] == ["create", "delete"]


def test_a_declined_delete_leaves_the_task_to_later_turns_with_the_same_deps(
    sessions: SessionFactory,
) -> None:
    # An eval case runs all its turns with one set of deps: what one turn was about to delete
    # does not block the next turn.
    seed(sessions, number=4, title="Call the bank")
    script = Script(
        call("delete_task", task_id=4),
        say("Kept it."),
        call("update_task", task_id=4, status="done"),
    )
    runtime = runtime_for(script)
    deps = make_deps(sessions)
    for text in ("delete #4", "no", "mark #4 done"):
        result = run_turn_sync(text, runtime=runtime, deps=deps, conversation_id="c1")
    assert [(c.tool, c.ok) for c in result.tool_calls] == [("update_task", True)]
    [task] = team_tasks(sessions)
    assert task.status == "done"


def test_the_offline_model_asks_once_for_several_deletes_and_yes_both_deletes_them(
    sessions: SessionFactory,
) -> None:
    seed(sessions, number=3, title="Reconcile the card deposits")
    seed(sessions, number=4, title="Schedule the autoclave service")
    runtime = build_runtime(settings=Settings.model_validate({"TASKPILOT_MODELS": "offline"}))
    asked = turn(sessions, runtime, "pls delete 3 and 4, I'm gonna redo them differently")
    assert asked.reply.startswith(
        "Delete #3 “Reconcile the card deposits”, #4 “Schedule the autoclave service”?"
    )
    assert len(team_tasks(sessions)) == 2

    confirmed = turn(sessions, runtime, "yes both")
    assert team_tasks(sessions) == []
    assert confirmed.reply == (
        "Deleted #3 “Reconcile the card deposits”.\nDeleted #4 “Schedule the autoclave service”."
    )
