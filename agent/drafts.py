"""Drafting a task from a piece of text without creating it.

`draft_task` runs the agent's model and prompt on the text with `create_task` offered as an
external tool: the model's call comes back as a deferred request instead of running, so nothing
is written, and its arguments become a `TaskDraft` a person can still edit (the Slack "Create
task from message" modal). When the model makes no such call, or fails, the draft is the
text's first line.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime
from typing import Any, Literal, cast

from pydantic import BaseModel, Field
from pydantic_ai import Agent, DeferredToolRequests
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.tools import ToolDefinition
from pydantic_ai.toolsets.external import ExternalToolset
from pydantic_ai.usage import UsageLimits

from agent.agent_deps import AgentDeps
from agent.assembly import AgentRuntime
from agent.budgets import check_budget
from agent.costs import estimate_cost
from agent.drive import TurnOutput
from agent.model_chain import OFFLINE
from agent.prompt_people import prompt_people
from agent.turn_log import TurnRecord, record_turn
from tasks.directory import UserDirectory
from tasks.due_dates import resolve_due
from tasks.errors import TaskError
from tasks.models import TITLE_MAX_CHARS
from tools.schema import compact_schema
from tools.task_tools import TASK_TOOLS

logger = logging.getLogger(__name__)

Priority = Literal["low", "normal", "high", "urgent"]
_PRIORITIES: frozenset[str] = frozenset({"low", "normal", "high", "urgent"})
_CREATE = "create_task"
# The message the model reads: the person asks for one task made of the text.
_PROMPT = "add a task: {text}"
# One request is enough to draft; the second covers a model that answers a validation error.
_LIMITS = UsageLimits(request_limit=2, tool_calls_limit=4)
DRAFT_CONVERSATION = "draft"
"""The turn log's conversation id for drafts (they have no conversation)."""


class TaskDraft(BaseModel):
    """A task as the model would have created it from a text, not saved anywhere."""

    title: str = Field(description="The task's title; may be empty when the text was empty.")
    description: str | None = Field(default=None, description="Extra details, if any were given.")
    assignee_id: str | None = Field(
        default=None, description="The Slack user id of the assignee, when the name resolved."
    )
    assignee_text: str | None = Field(
        default=None, description="The assignee as the model wrote it, resolved or not."
    )
    due: date | datetime | None = Field(
        default=None,
        description="A date for an all-day due date, an aware datetime for a due time.",
    )
    priority: Priority | None = Field(default=None, description="Only when the text gave one.")
    tags: list[str] = Field(default_factory=list[str], description="Labels, without '#'.")
    drafted_by_model: bool = Field(
        default=False, description="False when this is the first-line fallback."
    )


def fallback_title(text: str) -> str:
    """The text's first non-blank line, spaces collapsed, cut to the title limit."""
    for line in text.splitlines():
        words = " ".join(line.split())
        if words:
            if len(words) <= TITLE_MAX_CHARS:
                return words
            return words[: TITLE_MAX_CHARS - 1].rstrip() + "…"
    return ""


def fallback_draft(text: str) -> TaskDraft:
    """The draft when the model made no `create_task` call: the first line as the title."""
    return TaskDraft(title=fallback_title(text))


def _create_tool_definition() -> ToolDefinition:
    [tool] = [tool for tool in TASK_TOOLS if tool.name == _CREATE]
    definition = tool.tool_def
    return replace(
        definition, parameters_json_schema=compact_schema(definition.parameters_json_schema)
    )


_EXTERNAL = ExternalToolset[AgentDeps]([_create_tool_definition()], id="drafting")


def _text_arg(args: dict[str, Any], name: str) -> str | None:
    value = args.get(name)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _assignee(deps: AgentDeps, ref: str | None) -> str | None:
    if ref is None:
        return None
    try:
        with deps.session_factory() as session:
            user = UserDirectory(session, team_id=deps.team_id).resolve(ref, actor_id=deps.actor_id)
    except TaskError:
        return None
    return user.user_id


def _due(deps: AgentDeps, said: str | None) -> date | datetime | None:
    if said is None:
        return None
    try:
        resolved = resolve_due(said, now=deps.now)
    except TaskError:
        return None
    return resolved.day if resolved.all_day else resolved.at


def _tags(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    items = cast("list[object]", value)
    return [tag.strip().lstrip("#") for tag in items if isinstance(tag, str) and tag.strip()]


def draft_from_args(args: dict[str, Any], *, deps: AgentDeps, text: str) -> TaskDraft:
    """A draft from the arguments of a `create_task` call, names and dates resolved for `deps`."""
    title = _text_arg(args, "title")
    priority = _text_arg(args, "priority")
    assignee = _text_arg(args, "assignee")
    return TaskDraft(
        title=fallback_title(title) if title else fallback_title(text),
        description=_text_arg(args, "description"),
        assignee_id=_assignee(deps, assignee),
        assignee_text=assignee,
        due=_due(deps, _text_arg(args, "due")),
        priority=cast("Priority", priority) if priority in _PRIORITIES else None,
        tags=_tags(args.get("tags")),
        drafted_by_model=True,
    )


def _record(
    deps: AgentDeps, runtime: AgentRuntime, messages: list[ModelMessage], *, outcome: str
) -> None:
    """Log the draft's model calls, so that the daily budgets count what providers billed."""
    provider_tokens = 0
    cost: float | None = None
    served_by = runtime.model_name
    responses = [message for message in messages if isinstance(message, ModelResponse)]
    for response in responses:
        name = response.model_name or ""
        served_by = name or served_by
        if name == OFFLINE or not runtime.resolved.has_providers:
            continue
        usage = response.usage
        provider_tokens += usage.input_tokens + usage.output_tokens
        estimate = estimate_cost(
            name, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens
        )
        if estimate is not None:
            cost = (cost or 0.0) + estimate
    record = TurnRecord(
        team_id=deps.team_id,
        user_id=deps.actor_id,
        conversation_id=DRAFT_CONVERSATION,
        model=served_by,
        chain=runtime.model_name,
        prompt_version=runtime.prompt_version,
        model_calls=len(responses),
        tool_calls=sum(len(response.tool_calls) for response in responses),
        input_tokens=sum(response.usage.input_tokens for response in responses),
        output_tokens=sum(response.usage.output_tokens for response in responses),
        provider_tokens=provider_tokens,
        cost_usd=cost,
        outcome=outcome,
    )
    try:
        with deps.session_factory() as session, session.begin():
            record_turn(session, record=record)
    except Exception:  # The draft matters more than the record of it.
        logger.exception("could not record a draft's model calls")


def _agent_for(runtime: AgentRuntime, deps: AgentDeps) -> Agent[AgentDeps, TurnOutput] | None:
    """The runtime's agent, its offline twin when today's budget is spent, or None."""
    if not runtime.resolved.has_providers:
        return runtime.agent
    with deps.session_factory() as session:
        budget = check_budget(
            session,
            settings=runtime.settings,
            team_id=deps.team_id,
            user_id=deps.actor_id,
            now=deps.now,
        )
    if budget.exhausted is None:
        return runtime.agent
    return runtime.offline_agent


async def draft_task(text: str, *, runtime: AgentRuntime, deps: AgentDeps) -> TaskDraft:
    """What `create_task` call the model would make for `text`, without making it.

    Never raises for a model failure; the first-line fallback is returned instead.
    """
    message = text.strip()
    if not message:
        return fallback_draft(text)
    if len(message) > runtime.settings.max_input_chars:
        return fallback_draft(message)
    with deps.session_factory() as session:
        deps = replace(deps, people=prompt_people(session, deps.team_id))
    agent = _agent_for(runtime, deps)
    if agent is None:
        return fallback_draft(message)
    messages: list[ModelMessage] = []
    try:
        # Only `create_task` is offered, and as an external tool: a call to it ends the run
        # as a deferred request, unexecuted.
        with agent.override(tools=(), toolsets=[_EXTERNAL]):
            async with agent.iter(
                _PROMPT.format(text=message), deps=deps, usage_limits=_LIMITS
            ) as run:
                try:
                    async for _node in run:
                        pass
                finally:
                    messages = run.new_messages()
                result = run.result
    except Exception as error:  # A model or provider failure: the person still gets a form.
        logger.warning("drafting a task failed: %s", error, extra={"team": deps.team_id})
        _record(deps, runtime, messages, outcome="failed")
        return fallback_draft(message)
    _record(deps, runtime, messages, outcome="ok")
    output = result.output if result is not None else None
    if isinstance(output, DeferredToolRequests):
        for call in output.calls:
            if call.tool_name == _CREATE:
                return draft_from_args(call.args_as_dict(), deps=deps, text=message)
    return fallback_draft(message)
