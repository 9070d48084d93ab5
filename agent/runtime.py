"""The agent and `run_turn()`, the one entry point every transport uses."""

from __future__ import annotations

import asyncio
import logging
import string
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import pydantic_ai
from pydantic_ai import (
    Agent,
    DeferredToolRequests,
    DeferredToolResults,
    RunContext,
    ToolDenied,
)
from pydantic_ai.exceptions import AgentRunError, UsageLimitExceeded
from pydantic_ai.messages import (
    ModelMessage,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models import Model
from pydantic_ai.usage import UsageLimits
from sqlmodel import Session

from agent.confirmation import Answer, classify_answer
from agent.deps import AgentDeps
from agent.memory import load_conversation, save_conversation
from agent.models import resolve_model
from agent.result import PendingConfirmation, ToolCallRecord, TurnResult, TurnUsage
from core.settings import Settings
from prompts.loader import load_prompt
from tasks.directory import UserDirectory
from tools.task_tools import TASK_TOOLS

logger = logging.getLogger(__name__)

TurnOutput = str | DeferredToolRequests

# Bounds on one turn, so that a confused model cannot loop or spend without limit.
_USAGE_LIMITS = UsageLimits(request_limit=8, tool_calls_limit=12)

_EMPTY_REPLY = (
    "I didn't catch anything there. Tell me what you need, for example "
    "“remind bob to send the Q3 deck by friday” or “what's on my plate?”"
)


@dataclass(frozen=True, kw_only=True)
class AgentRuntime:
    """A built agent with the model and prompt version it serves."""

    agent: Agent[AgentDeps, TurnOutput]
    model_name: str
    prompt_version: str
    settings: Settings


_PLACEHOLDERS = frozenset({"today", "weekday", "timezone", "actor", "people"})
# A prompt lists the workspace's people only while that stays short; the tools resolve any
# name either way.
MAX_PEOPLE_IN_PROMPT = 40


class PromptTemplateError(ValueError):
    """A prompt file uses a placeholder the agent does not fill."""


def _check_placeholders(template: str, version: str) -> None:
    used = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    unknown = sorted(used - _PLACEHOLDERS)
    if unknown:
        raise PromptTemplateError(
            f"Prompt {version} uses placeholders the agent does not fill: {', '.join(unknown)}. "
            f"Known ones: {', '.join(sorted(_PLACEHOLDERS))}; write literal braces as {{{{ }}}}."
        )


def _render_instructions(template: str, deps: AgentDeps) -> str:
    now = deps.now
    return template.format(
        today=now.strftime("%Y-%m-%d %H:%M"),
        weekday=now.strftime("%A"),
        timezone=str(now.tzinfo),
        actor=f"{deps.actor_name} ({deps.actor_id})" if deps.actor_name else deps.actor_id,
        people=", ".join(deps.people) if deps.people else "(not listed; pass names as written)",
    )


def _people(session: Session, team_id: str) -> tuple[str, ...]:
    users = UserDirectory(session, team_id=team_id).list_users(active_only=True)
    if len(users) > MAX_PEOPLE_IN_PROMPT:
        return ()
    return tuple(
        f"{user.handle} ({user.real_name})" if user.real_name else user.handle for user in users
    )


def build_runtime(
    *,
    settings: Settings,
    model: str | Model | None = None,
    prompt_version: str | None = None,
) -> AgentRuntime:
    """Build the agent for a model (a name or a pydantic-ai model) and a prompt version.

    Raises `UnknownPromptVersion`, `PromptTemplateError` or `UnknownModel` with a sentence a
    person can act on.
    """
    # TaskPilot owns its terminal output; pydantic-ai's first-run banner would land in it.
    pydantic_ai.BANNER_ENABLED = False
    version = prompt_version or settings.prompt_version
    template = load_prompt(version)
    _check_placeholders(template, version)
    chosen = model if model is not None else settings.model_chain[0]
    resolved, model_name = resolve_model(chosen)

    def instructions(ctx: RunContext[AgentDeps]) -> str:
        return _render_instructions(template, ctx.deps)

    agent: Agent[AgentDeps, TurnOutput] = Agent(
        resolved,
        deps_type=AgentDeps,
        output_type=[str, DeferredToolRequests],
        instructions=instructions,
        tools=TASK_TOOLS,
        retries=2,
    )
    return AgentRuntime(
        agent=agent, model_name=model_name, prompt_version=version, settings=settings
    )


def _tool_records(
    messages: Sequence[ModelMessage], *, confirmed: dict[str, dict[str, Any]]
) -> list[ToolCallRecord]:
    """The tool calls of this turn, paired with what each returned."""
    calls: dict[str, ToolCallRecord] = {}
    order: list[str] = []
    for message in messages:
        if isinstance(message, ModelResponse):
            for part in message.parts:
                if isinstance(part, ToolCallPart):
                    calls[part.tool_call_id] = ToolCallRecord(
                        tool=part.tool_name, args=part.args_as_dict(), ok=False
                    )
                    order.append(part.tool_call_id)
        else:
            for part in message.parts:
                if isinstance(part, ToolReturnPart):
                    record = calls.get(part.tool_call_id)
                    if record is None and part.tool_call_id in confirmed:
                        pending = confirmed[part.tool_call_id]
                        record = ToolCallRecord(
                            tool=part.tool_name,
                            args=pending["args"],
                            ok=False,
                            confirmed_execution=True,
                        )
                        calls[part.tool_call_id] = record
                        order.append(part.tool_call_id)
                    if record is None:
                        continue
                    content: Any = part.content
                    record.result = content
                    if part.outcome != "success":
                        # Retried (bad arguments), denied or failed: the model saw this text.
                        record.ok = False
                        record.error = part.model_response_str(wrap_if_error=False)
                    elif isinstance(content, dict):
                        ok = bool(content.get("ok"))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
                        record.ok = ok
                        if not ok:
                            record.error = str(content.get("error", "failed"))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
                    else:
                        record.error = str(content)
    return [calls[call_id] for call_id in order]


def _cards(records: list[ToolCallRecord]) -> list[dict[str, Any]]:
    """The task cards the turn's successful calls returned, for transports to render."""
    cards: list[dict[str, Any]] = []
    for record in records:
        raw: object = record.result
        if not record.ok or not isinstance(raw, dict):
            continue
        result = cast("dict[str, Any]", raw)
        task = result.get("task")
        if isinstance(task, dict):
            cards.append(cast("dict[str, Any]", task))
        listed = result.get("tasks")
        if isinstance(listed, list):
            cards.extend(cast("list[dict[str, Any]]", listed))
    return cards


def _confirmation_question(requests: DeferredToolRequests) -> tuple[str, list[dict[str, Any]]]:
    pending: list[dict[str, Any]] = []
    labels: list[str] = []
    for call in requests.approvals:
        meta = requests.metadata.get(call.tool_call_id, {})
        pending.append(
            {"tool_call_id": call.tool_call_id, "tool": call.tool_name, "args": call.args_as_dict()}
        )
        number = meta.get("id", call.args_as_dict().get("task_id"))
        title = meta.get("title")
        labels.append(f"#{number} “{title}”" if title else f"#{number}")
    what = ", ".join(labels)
    them = "it" if len(labels) == 1 else "them"
    question = (
        f"Delete {what}? This can't be undone. "
        f"Reply *yes* to delete {them}, or *no* to keep {them}."
    )
    return question, pending


def _plain_reply(runtime: AgentRuntime, reply: str) -> TurnResult:
    return TurnResult(reply=reply, model=runtime.model_name, prompt_version=runtime.prompt_version)


async def run_turn(
    text: str, *, runtime: AgentRuntime, deps: AgentDeps, conversation_id: str
) -> TurnResult:
    """Run one turn of a conversation: the person's message in, a structured result out."""
    message = text.strip()
    if not message:
        return _plain_reply(runtime, _EMPTY_REPLY)
    limit = runtime.settings.max_input_chars
    if len(message) > limit:
        return _plain_reply(
            runtime,
            f"That message is {len(message):,} characters long; I can read up to {limit:,}. "
            "Send the part that says what should be done, and put long details in the task "
            "description afterwards.",
        )

    with deps.session_factory() as session:
        state = load_conversation(session, team_id=deps.team_id, conversation_id=conversation_id)
        deps = replace(deps, people=_people(session, deps.team_id))

    prompt: str | None = message
    deferred: DeferredToolResults | None = None
    confirmed: dict[str, dict[str, Any]] = {}
    if state.pending:
        answer = classify_answer(message)
        if answer is Answer.yes:
            deferred = DeferredToolResults(
                approvals={p["tool_call_id"]: True for p in state.pending}
            )
            confirmed = {p["tool_call_id"]: p for p in state.pending}
            prompt = None
        else:
            reason = (
                "The person said no, so nothing was deleted."
                if answer is Answer.no
                else "The person did not confirm, so nothing was deleted."
            )
            deferred = DeferredToolResults(
                approvals={p["tool_call_id"]: ToolDenied(reason) for p in state.pending}
            )
            if answer is Answer.no:
                prompt = None

    try:
        result = await runtime.agent.run(
            prompt,
            deps=deps,
            message_history=state.messages or None,
            deferred_tool_results=deferred,
            usage_limits=_USAGE_LIMITS,
        )
    except UsageLimitExceeded:
        logger.warning("turn exceeded its usage limits", extra={"conversation": conversation_id})
        return _plain_reply(
            runtime,
            "That took more steps than I allow for one message. "
            "Try asking for one thing at a time.",
        )
    except AgentRunError:
        logger.exception("agent run failed", extra={"conversation": conversation_id})
        return _plain_reply(
            runtime,
            "Sorry, I couldn't finish that. Anything already changed is kept; ask me "
            "“what's on my plate?” to see where things stand, then rephrase the rest.",
        )

    new_messages = result.new_messages()
    records = _tool_records(new_messages, confirmed=confirmed)
    output = result.output
    pending: list[dict[str, Any]] = []
    pending_confirmation: PendingConfirmation | None = None
    if isinstance(output, DeferredToolRequests):
        reply, pending = _confirmation_question(output)
        first = pending[0]
        pending_confirmation = PendingConfirmation(
            tool=first["tool"], args=first["args"], question=reply
        )
    else:
        reply = output.strip() or "Done."

    usage = result.usage
    with deps.session_factory() as session, session.begin():
        save_conversation(
            session,
            team_id=deps.team_id,
            conversation_id=conversation_id,
            messages=result.all_messages(),
            pending=pending,
            max_messages=runtime.settings.history_max_messages,
        )
    return TurnResult(
        reply=reply,
        tool_calls=records,
        model=runtime.model_name,
        prompt_version=runtime.prompt_version,
        usage=TurnUsage(
            requests=usage.requests,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            tool_calls=usage.tool_calls,
        ),
        cards=_cards(records),
        pending_confirmation=pending_confirmation,
    )


def run_turn_sync(
    text: str, *, runtime: AgentRuntime, deps: AgentDeps, conversation_id: str
) -> TurnResult:
    """`run_turn` for callers without an event loop, such as the CLI."""
    return asyncio.run(run_turn(text, runtime=runtime, deps=deps, conversation_id=conversation_id))
