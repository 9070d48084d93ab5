"""`draft_task`: the model's `create_task` arguments as a draft, and nothing written."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo, FunctionModel
from sqlmodel import select

from agent.assembly import AgentRuntime, build_runtime
from agent.drafts import TaskDraft, draft_task
from core.settings import Settings
from tasks.models import TITLE_MAX_CHARS, AuditEvent
from tests.agent.support import (
    ZONE,
    Script,
    SessionFactory,
    call,
    make_deps,
    runtime_for,
    say,
    team_tasks,
)


def offline_runtime() -> AgentRuntime:
    return build_runtime(settings=Settings.model_validate({"TASKPILOT_MODELS": "offline"}))


def draft(sessions: SessionFactory, runtime: AgentRuntime, text: str) -> TaskDraft:
    return asyncio.run(draft_task(text, runtime=runtime, deps=make_deps(sessions)))


def nothing_written(sessions: SessionFactory) -> bool:
    with sessions() as session:
        events = session.exec(select(AuditEvent)).all()
    return team_tasks(sessions) == [] and list(events) == []


def test_the_offline_model_drafts_every_field_and_nothing_is_written(
    sessions: SessionFactory,
) -> None:
    result = draft(
        sessions, offline_runtime(), "<@U0002> please fix the login page by friday, urgent #web"
    )

    assert result.title == "Fix the login page"
    assert result.assignee_id == "U0002"
    assert result.due == date(2026, 11, 27)  # The Friday after Wednesday, Nov 25.
    assert result.priority == "urgent"
    assert result.tags == ["web"]
    assert result.drafted_by_model
    assert nothing_written(sessions)


def test_a_due_time_is_an_aware_datetime_in_the_speakers_zone(sessions: SessionFactory) -> None:
    result = draft(sessions, offline_runtime(), "@bob call the bank tomorrow at 5pm")

    assert result.title == "Call the bank"
    assert result.assignee_id == "U0002"
    assert result.due == datetime(2026, 11, 26, 17, 0, tzinfo=ZONE)
    assert isinstance(result.due, datetime) and result.due.tzinfo is not None
    assert nothing_written(sessions)


def test_a_person_the_directory_does_not_know_is_kept_as_written_without_an_id(
    sessions: SessionFactory,
) -> None:
    result = draft(sessions, offline_runtime(), "@zed fix the login page")

    assert result.title == "Fix the login page"
    assert result.assignee_id is None
    assert result.assignee_text == "@zed"


def test_only_create_task_is_offered_and_the_call_never_runs(sessions: SessionFactory) -> None:
    offered: list[list[str]] = []

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        del messages
        offered.append([tool.name for tool in info.function_tools])
        return call(
            "create_task", title="Send the Q3 deck", assignee="carol", due="nonsense o'clock"
        )([])

    runtime = build_runtime(
        settings=Settings.model_validate({}), model=FunctionModel(respond, model_name="scripted")
    )
    result = draft(sessions, runtime, "carol should send the Q3 deck")

    assert offered == [["create_task"]]
    assert result.title == "Send the Q3 deck"
    assert result.assignee_id == "U0003"
    assert result.due is None  # A date nobody can read is left for the person to pick.
    assert nothing_written(sessions)


def test_a_reply_without_a_create_call_falls_back_to_the_first_line(
    sessions: SessionFactory,
) -> None:
    runtime = runtime_for(Script(say("What should the task say?")))
    result = draft(sessions, runtime, "\n  The   deploy failed again  \nLogs are in #ops")

    assert result.title == "The deploy failed again"
    assert not result.drafted_by_model
    assert result.assignee_id is None and result.due is None


def test_a_failing_model_falls_back_to_the_first_line_cut_to_the_title_limit(
    sessions: SessionFactory,
) -> None:
    def broken(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        del messages, info
        raise RuntimeError("provider down")

    runtime = build_runtime(
        settings=Settings.model_validate({}), model=FunctionModel(broken, model_name="scripted")
    )
    result = draft(sessions, runtime, "word " * 100 + "\nsecond line")

    assert not result.drafted_by_model
    assert len(result.title) == TITLE_MAX_CHARS
    assert result.title.startswith("word word") and result.title.endswith("…")
    assert nothing_written(sessions)


def test_an_empty_text_makes_an_empty_draft_without_asking_the_model(
    sessions: SessionFactory,
) -> None:
    script = Script()
    result = draft(sessions, runtime_for(script), "   \n ")

    assert result.title == ""
    assert script.seen == []
