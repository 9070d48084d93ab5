"""Constants and helpers the agent tests share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    RetryPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from sqlmodel import Session, select

import agent.memory  # noqa: F401  (registers the conversations table before create_all)
from agent.agent_deps import AgentDeps
from agent.assembly import AgentRuntime, build_runtime
from agent.result import TurnResult
from agent.runtime import run_turn_sync
from agent.turn_log import TurnRow
from agent.turn_tables import TURN_TABLE_MODULES
from core.db import create_all, make_engine, make_session_factory
from core.settings import Settings
from tasks.directory import UserDirectory
from tasks.models import AuditEvent, Task, utcnow
from tasks.service import TaskService

TEAM = "T0001"
OTHER_TEAM = "T0999"
ZONE = ZoneInfo("America/New_York")
# A Wednesday morning in New York.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZONE)

SessionFactory = Callable[[], Session]


def make_deps(
    sessions: SessionFactory, *, team: str = TEAM, actor: str = "U0001", now: datetime = NOW
) -> AgentDeps:
    return AgentDeps(session_factory=sessions, team_id=team, actor_id=actor, now=now, source="test")


def team_tasks(sessions: SessionFactory, team: str = TEAM) -> list[Task]:
    with sessions() as session:
        return list(
            session.exec(select(Task).where(Task.team_id == team).order_by(Task.number)).all()  # pyright: ignore[reportArgumentType]
        )


def audit_events(sessions: SessionFactory, team: str = TEAM) -> list[AuditEvent]:
    with sessions() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.team_id == team)).all())  # pyright: ignore[reportArgumentType]


def team_database() -> Iterator[SessionFactory]:
    """A fresh in-memory database with alice, bob and carol in two teams."""
    engine = make_engine("sqlite://")
    create_all(engine, modules=TURN_TABLE_MODULES)
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        for team in (TEAM, OTHER_TEAM):
            directory = UserDirectory(session, team_id=team)
            directory.upsert(user_id="U0001", handle="alice", real_name="Alice Chen", tz=str(ZONE))
            directory.upsert(user_id="U0002", handle="bob", real_name="Bob Ortiz", tz=str(ZONE))
            directory.upsert(user_id="U0003", handle="carol", real_name="Carol Diaz", tz=str(ZONE))
    yield factory
    engine.dispose()


Step = Callable[[list[ModelMessage]], ModelResponse]


def call(tool: str, **args: Any) -> Step:
    def step(messages: list[ModelMessage]) -> ModelResponse:
        del messages
        return ModelResponse(parts=[ToolCallPart(tool, args)])

    return step


def say(text: str) -> Step:
    def step(messages: list[ModelMessage]) -> ModelResponse:
        del messages
        return ModelResponse(parts=[TextPart(text)])

    return step


def echo_last_tool_result() -> Step:
    """A final answer built from what the last tool returned, as a model would paraphrase it."""

    def step(messages: list[ModelMessage]) -> ModelResponse:
        last = messages[-1]
        assert isinstance(last, ModelRequest)
        texts = [
            str(part.content)
            for part in last.parts
            if isinstance(part, ToolReturnPart | RetryPromptPart)
        ]
        return ModelResponse(parts=[TextPart(" | ".join(texts))])

    return step


class Script:
    """A model that plays its steps in order and records what it was sent."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.seen: list[list[ModelMessage]] = []

    def model(self, name: str = "scripted") -> FunctionModel:
        """The script as a model; named "offline", it is run as the offline model is."""

        def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
            del info
            self.seen.append(list(messages))
            assert self.steps, "the model was called more often than scripted"
            return self.steps.pop(0)(messages)

        return FunctionModel(respond, model_name=name)


def runtime_for(script: Script, **settings: Any) -> AgentRuntime:
    return build_runtime(settings=Settings.model_validate(settings), model=script.model())


def turn(
    sessions: SessionFactory,
    runtime: AgentRuntime,
    text: str,
    *,
    actor: str = "U0001",
    team: str = TEAM,
    conversation: str = "c1",
) -> TurnResult:
    deps = make_deps(sessions, actor=actor, team=team)
    return run_turn_sync(text, runtime=runtime, deps=deps, conversation_id=conversation)


def seed(
    sessions: SessionFactory, *, number: int, title: str, team: str = TEAM, **fields: Any
) -> None:
    with sessions() as session, session.begin():
        service = TaskService(
            session, team_id=team, actor_id=fields.pop("creator_id", "U0001"), source="test"
        )
        service.seed_task(number=number, title=title, **fields)


def scripted_turn_row(conversation: str, *, outcome: str = "ok") -> TurnRow:
    """The turn log's row for one call of a scripted model that ended without a tool call."""
    return TurnRow(
        team_id=TEAM,
        created_at=utcnow(),
        user_id="U0001",
        conversation_id=conversation,
        model="scripted",
        chain="scripted",
        prompt_version="v3",
        model_calls=1,
        tool_calls=0,
        input_tokens=12,
        output_tokens=3,
        provider_tokens=0,
        cost_usd=None,
        degraded=False,
        degraded_reason=None,
        outcome=outcome,
    )
