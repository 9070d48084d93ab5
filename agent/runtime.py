"""The agent and `run_turn()`, the one entry point every transport uses."""

from __future__ import annotations

import asyncio
import logging
import string
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import pydantic_ai
from pydantic_ai import (
    Agent,
    DeferredToolRequests,
    DeferredToolResults,
    ModelRequestNode,
    RunContext,
    ToolDenied,
)
from pydantic_ai.exceptions import UsageLimitExceeded
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models import Model
from pydantic_ai.tools import DeferredToolApprovalResult
from pydantic_ai.usage import RunUsage, UsageLimits

from agent.budgets import check_budget
from agent.confirmation import Answer, classify_answer
from agent.costs import estimate_cost
from agent.deps import AgentDeps
from agent.memory import load_conversation
from agent.models import OFFLINE, ResolvedModel, resolve_model
from agent.offline.readings import TRACE_KEY
from agent.people import prompt_people
from agent.providers import close_provider_clients
from agent.replies import DEGRADED_NOTES, capped, reply_from_records, with_footer
from agent.result import PendingConfirmation, ToolCallRecord, TurnResult, TurnUsage
from agent.turn_log import TurnRow, record_turn, turn_row
from agent.turn_store import store_turn
from core.context import REQUEST_ID, bound, current_ids
from core.db import read_without_transaction
from core.metrics import observe_agent_turn
from core.settings import Settings
from core.spans import set_attributes, span
from prompts.loader import load_prompt
from prompts.people import people_line, people_text
from tools.deps import TurnDeletions
from tools.task_tools import TASK_TOOLS, WRITE_TOOLS

logger = logging.getLogger(__name__)

TurnOutput = str | DeferredToolRequests

# Bounds on one turn, so that a confused model cannot loop or spend without limit; the token
# bound comes from the settings.
TURN_REQUEST_LIMIT = 8
_TOOL_CALLS_LIMIT = 12

_EMPTY_REPLY = (
    "I didn't catch anything there. Tell me what you need, for example "
    "“remind bob to send the Q3 deck by friday” or “what's on my plate?”"
)


@dataclass(frozen=True, kw_only=True)
class AgentRuntime:
    """A built agent with the model chain and prompt version it serves."""

    agent: Agent[AgentDeps, TurnOutput]
    model_name: str
    prompt_version: str
    settings: Settings
    resolved: ResolvedModel
    # The same agent on the offline model alone, for turns over budget; None when the chain
    # does not end in `offline` or has no provider to save.
    offline_agent: Agent[AgentDeps, TurnOutput] | None = None


# `people` is the list alone (prompts v1 and v2 write the label before it); `people_line` is
# the whole line, label included, as the offline model reads it back.
_PLACEHOLDERS = frozenset({"today", "weekday", "timezone", "actor", "people", "people_line"})


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
        people=people_text(deps.people),
        people_line=people_line(deps.people),
    )


def build_runtime(
    *,
    settings: Settings,
    model: str | Model | None = None,
    prompt_version: str | None = None,
) -> AgentRuntime:
    """Build the agent for a model chain (a name, a comma-separated chain or a pydantic-ai
    model; by default `TASKPILOT_MODELS`) and a prompt version.

    Raises `UnknownPromptVersion`, `PromptTemplateError` or `UnknownModel` with a sentence a
    person can act on.
    """
    # TaskPilot owns its terminal output; pydantic-ai's first-run banner would land in it.
    pydantic_ai.BANNER_ENABLED = False
    version = prompt_version or settings.prompt_version
    template = load_prompt(version)
    _check_placeholders(template, version)
    chosen = model if model is not None else ",".join(settings.model_chain)
    resolved = resolve_model(chosen, settings=settings)

    # Async, so that pydantic-ai calls it on the event loop: a plain function would be run
    # on a worker thread (a thread hand-off per model request) for a string format.
    async def instructions(ctx: RunContext[AgentDeps]) -> str:
        return _render_instructions(template, ctx.deps)

    def make_agent(served_by: Model) -> Agent[AgentDeps, TurnOutput]:
        return Agent(
            served_by,
            deps_type=AgentDeps,
            output_type=[str, DeferredToolRequests],
            instructions=instructions,
            tools=TASK_TOOLS,
            retries=2,
        )

    offline_agent = None
    if resolved.plan.offline and resolved.has_providers:
        offline_agent = make_agent(resolve_model(OFFLINE, settings=settings).model)
    return AgentRuntime(
        agent=make_agent(resolved.model),
        model_name=resolved.name,
        prompt_version=version,
        settings=settings,
        resolved=resolved,
        offline_agent=offline_agent,
    )


def _tool_records(
    messages: Sequence[ModelMessage], *, confirmed: dict[str, dict[str, Any]]
) -> list[ToolCallRecord]:
    """The tool calls of this turn, paired with what each returned."""
    calls: dict[str, ToolCallRecord] = {}
    # Some servers reuse ids across responses ("call_0"): a return belongs to the latest call
    # with its id, and every call keeps its own record.
    order: list[ToolCallRecord] = []
    for message in messages:
        if isinstance(message, ModelResponse):
            for part in message.parts:
                if isinstance(part, ToolCallPart):
                    record = ToolCallRecord(tool=part.tool_name, args=_args(part), ok=False)
                    calls[part.tool_call_id] = record
                    order.append(record)
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
                        order.append(record)
                    if record is None:
                        continue
                    content: Any = part.content
                    record.result = content
                    if part.outcome != "success":
                        # Retried (bad arguments), denied or failed: the model saw this text.
                        record.ok = False
                        record.retried = part.outcome == "retried"
                        record.error = part.model_response_str(wrap_if_error=False)
                    elif isinstance(content, dict):
                        ok = bool(content.get("ok"))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
                        record.ok = ok
                        if not ok:
                            record.error = str(content.get("error", "failed"))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
                    else:
                        record.error = str(content)
    return order


def _args(part: ToolCallPart) -> dict[str, Any]:
    """A call's arguments as a dict; malformed JSON from a provider is kept as the raw text."""
    try:
        return part.args_as_dict()
    except ValueError:
        return {"_raw": part.args if isinstance(part.args, str) else str(part.args)}


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


class TurnAborted(Exception):
    """A turn that failed part-way, with the messages it produced before it failed."""

    def __init__(self, error: Exception, *, spent: list[ModelMessage]) -> None:
        super().__init__(str(error))
        self.error = error
        self.spent = spent


@dataclass(frozen=True)
class _Run:
    """What driving the agent produced."""

    new_messages: list[ModelMessage]
    all_messages: list[ModelMessage]
    output: TurnOutput | None
    """None when the turn ended right after its writes, without a closing model call."""
    usage: RunUsage


def _finishes_turn(request: ModelRequest, history: Sequence[ModelMessage]) -> bool:
    """Whether the tool results about to go back to the model can end the turn instead.

    A provider model's response whose calls all wrote (or were refused for lack of permission,
    or for acting on a task the turn deleted, which no second try can change) needs no second
    call: the person's answer is rendered from the results (task cards). Other failures, a list
    (the model may act on what it read) or anything else go back to the model. The offline
    model plans several steps itself and writes its own summary, so its turns run to the end.
    """
    last = next((m for m in reversed(history) if isinstance(m, ModelResponse)), None)
    if last is None or last.model_name == OFFLINE:
        return False
    if not request.parts:
        return False
    for part in request.parts:
        if not isinstance(part, ToolReturnPart) or part.outcome != "success":
            return False
        if part.tool_name not in WRITE_TOOLS:
            return False
        content: object = part.content
        if not isinstance(content, dict):
            return False
        result = cast("dict[str, Any]", content)
        if not result.get("ok") and result.get("kind") not in _FINAL_FAILURES:
            return False
    return True


# Tool failures that a second model call cannot fix: a refusal, or a call on a task the turn
# deleted (or is waiting to delete).
_FINAL_FAILURES = frozenset({"permission_denied", "deleted_in_turn"})


async def _drive(
    agent: Agent[AgentDeps, TurnOutput],
    *,
    prompt: str | None,
    deps: AgentDeps,
    history: list[ModelMessage],
    deferred: DeferredToolResults | None,
    limits: UsageLimits,
) -> _Run:
    """Run the agent node by node, stopping before a closing call the turn does not need."""
    async with agent.iter(
        prompt,
        deps=deps,
        message_history=history or None,
        deferred_tool_results=deferred,
        usage_limits=limits,
    ) as run:
        node = run.next_node
        try:
            while not Agent.is_end_node(node):
                if isinstance(node, ModelRequestNode) and _finishes_turn(
                    node.request, run.all_messages()
                ):
                    return _Run(
                        new_messages=[*run.new_messages(), node.request],
                        all_messages=[*run.all_messages(), node.request],
                        output=None,
                        usage=run.usage,
                    )
                node = await run.next(node)
        except Exception as error:
            # What the failed turn already spent still counts against the budgets.
            raise TurnAborted(error, spent=run.new_messages()) from error
        result = run.result
        assert result is not None
        return _Run(
            new_messages=result.new_messages(),
            all_messages=result.all_messages(),
            output=result.output,
            usage=result.usage,
        )


@dataclass(frozen=True)
class _Spend:
    """Tokens and cost of a turn's model calls."""

    provider_tokens: int
    cost_usd: float | None
    served_by: str | None
    offline_served: bool


def _spend(messages: Sequence[ModelMessage], *, providers: bool) -> _Spend:
    """What the turn's model calls cost; only a chain with provider links has a price."""
    provider_tokens = 0
    cost: float | None = None
    served_by: str | None = None
    offline_served = False
    for message in messages:
        if not isinstance(message, ModelResponse):
            continue
        name = message.model_name or ""
        served_by = name or served_by
        if name == OFFLINE:
            offline_served = True
            continue
        if not providers:
            continue  # A test's scripted model: no provider billed it.
        usage = message.usage
        provider_tokens += usage.input_tokens + usage.output_tokens
        estimate = estimate_cost(
            name, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens
        )
        if estimate is not None:
            cost = (cost or 0.0) + estimate
    return _Spend(provider_tokens, cost, served_by, offline_served)


def _pending_answer(
    message: str, pending: list[dict[str, Any]]
) -> tuple[str | None, DeferredToolResults | None, dict[str, dict[str, Any]]]:
    """The prompt, deferred results and confirmed calls for a reply to a pending question."""
    if not pending:
        return message, None, {}
    answer = classify_answer(message)
    if answer is Answer.yes:
        approvals: dict[str, DeferredToolApprovalResult | bool] = {
            p["tool_call_id"]: True for p in pending
        }
        return (
            None,
            DeferredToolResults(approvals=approvals),
            {p["tool_call_id"]: p for p in pending},
        )
    reason = (
        "The person said no, so nothing was deleted."
        if answer is Answer.no
        else "The person did not confirm, so nothing was deleted."
    )
    denials: dict[str, DeferredToolApprovalResult | bool] = {
        p["tool_call_id"]: ToolDenied(reason) for p in pending
    }
    return (None if answer is Answer.no else message), DeferredToolResults(approvals=denials), {}


# Transports whose turns an operator follows in the logs.
_SERVED_SOURCES = frozenset({"slack", "api"})


async def run_turn(
    text: str, *, runtime: AgentRuntime, deps: AgentDeps, conversation_id: str
) -> TurnResult:
    """Run one turn of a conversation: the person's message in, a structured result out.

    Never raises for a model or provider failure: the person gets a sentence, the log gets
    the details. The turn is one `agent turn` span (its model, prompt version, fallback step
    and degraded flag as attributes), and its log lines carry the team and the speaker.
    """
    # A transport that bound its own request id (the HTTP request's) keeps it; a turn from
    # elsewhere (the CLI, a background job) is known by the id its caller gave.
    given = None if current_ids().get(REQUEST_ID) else deps.request_id
    with (
        bound(request_id=given, team_id=deps.team_id, user_id=deps.actor_id),
        span(
            "agent turn",
            team_id=deps.team_id,
            user_id=deps.actor_id,
            request_id=current_ids().get(REQUEST_ID),
            **{"taskpilot.chain": runtime.model_name, "taskpilot.source": deps.source},
        ),
    ):
        result = await _run_turn(text, runtime=runtime, deps=deps, conversation_id=conversation_id)
        attributes = _turn_attributes(result, runtime=runtime)
        set_attributes(**attributes)
        # One line per turn for the operators of a server (Slack, the REST API): how it was
        # served and what it did, never what was said. At a terminal or in an eval run the
        # person reads the result itself, so the line is only there at DEBUG.
        logger.log(
            logging.INFO if deps.source in _SERVED_SOURCES else logging.DEBUG,
            "agent turn %s: %d tool call(s), %d model call(s), served by %s",
            "failed" if result.error else "done",
            len(result.tool_calls),
            result.usage.requests,
            result.model,
            extra={
                "model": result.model,
                "prompt_version": result.prompt_version,
                "fallback_step": attributes["taskpilot.fallback_step"],
                "degraded": result.degraded,
                "tools": [f"{c.tool}:{'ok' if c.ok else 'error'}" for c in result.tool_calls],
                "input_tokens": result.usage.input_tokens,
                "output_tokens": result.usage.output_tokens,
                "cost_usd": result.usage.cost_usd,
                "conversation": conversation_id,
            },
        )
        return result


def _turn_attributes(
    result: TurnResult, *, runtime: AgentRuntime
) -> dict[str, str | int | float | bool | None]:
    """What the turn span says about how the turn was served."""
    plan = runtime.resolved.plan
    links = [*plan.providers, *([OFFLINE] if plan.offline else [])]
    return {
        "taskpilot.model": result.model,
        "taskpilot.prompt_version": result.prompt_version,
        # 0 when the chain's first link served, n when the n-th fallback did.
        "taskpilot.fallback_step": links.index(result.model) if result.model in links else 0,
        "taskpilot.degraded": result.degraded,
        "taskpilot.degraded_reason": result.degraded_reason,
        "taskpilot.failed": result.error is not None,
        "taskpilot.model_calls": result.usage.requests,
        "taskpilot.tool_calls": len(result.tool_calls),
        "taskpilot.input_tokens": result.usage.input_tokens,
        "taskpilot.output_tokens": result.usage.output_tokens,
        "taskpilot.cost_usd": result.usage.cost_usd,
    }


async def _run_turn(
    text: str, *, runtime: AgentRuntime, deps: AgentDeps, conversation_id: str
) -> TurnResult:
    started = time.perf_counter()
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

    settings = runtime.settings
    agent = runtime.agent
    degraded_reason: str | None = None
    with deps.session_factory() as session:
        # Independent reads that write nothing: on PostgreSQL they run without a transaction,
        # which saves the BEGIN and ROLLBACK round trips around them.
        read_without_transaction(session)
        state = load_conversation(session, team_id=deps.team_id, conversation_id=conversation_id)
        # What a turn deletes is the turn's own: a transport that keeps its deps for several
        # turns (an eval case's) still starts each with nothing deleted.
        deps = replace(deps, people=prompt_people(session, deps.team_id), deletions=TurnDeletions())
        if runtime.resolved.has_providers:
            budget = check_budget(
                session,
                settings=settings,
                team_id=deps.team_id,
                user_id=deps.actor_id,
                now=deps.now,
            )
            if budget.exhausted is not None:
                if runtime.offline_agent is None:
                    return _plain_reply(runtime, _over_budget(budget.exhausted))
                agent = runtime.offline_agent
                degraded_reason = f"budget_{budget.exhausted}"

    prompt, deferred, confirmed = _pending_answer(message, state.pending)
    limits = UsageLimits(
        request_limit=TURN_REQUEST_LIMIT,
        tool_calls_limit=_TOOL_CALLS_LIMIT,
        total_tokens_limit=settings.turn_max_tokens,
    )
    try:
        run = await _drive(
            agent,
            prompt=prompt,
            deps=deps,
            history=state.messages,
            deferred=deferred,
            limits=limits,
        )
    except TurnAborted as aborted:  # A provider, model or tool failure: the person gets a sentence.
        return _failed_turn(
            aborted.error,
            spent=aborted.spent,
            runtime=runtime,
            deps=deps,
            conversation_id=conversation_id,
            started=started,
        )
    except Exception as error:  # It failed before its first step.
        return _failed_turn(
            error,
            spent=[],
            runtime=runtime,
            deps=deps,
            conversation_id=conversation_id,
            started=started,
        )

    records = _tool_records(run.new_messages, confirmed=confirmed)
    pending: list[dict[str, Any]] = []
    pending_confirmation: PendingConfirmation | None = None
    if run.output is None:
        reply = reply_from_records(records)
    elif isinstance(run.output, DeferredToolRequests):
        question, pending = _confirmation_question(run.output)
        first = pending[0]
        pending_confirmation = PendingConfirmation(
            tool=first["tool"], args=first["args"], question=question
        )
        done = [r for r in records if r.ok]
        # Writes of the same response ran already; say so before asking.
        reply = f"{reply_from_records(done)}\n{question}" if done else question
    else:
        reply = run.output.strip() or reply_from_records(records)

    spend = _spend(run.new_messages, providers=runtime.resolved.has_providers)
    if degraded_reason is None and spend.offline_served and runtime.resolved.has_providers:
        degraded_reason = "providers_failed"
    served_by = runtime.model_name
    if runtime.resolved.has_providers and spend.served_by:
        served_by = spend.served_by
    reply = capped(
        with_footer(reply, DEGRADED_NOTES.get(degraded_reason or "")),
        limit=settings.max_reply_chars,
    )
    usage = run.usage
    result = TurnResult(
        reply=reply,
        tool_calls=records,
        model=served_by,
        prompt_version=runtime.prompt_version,
        usage=TurnUsage(
            requests=usage.requests,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            tool_calls=usage.tool_calls,
            provider_tokens=spend.provider_tokens,
            cost_usd=spend.cost_usd,
        ),
        cards=_cards(records),
        pending_confirmation=pending_confirmation,
        degraded=degraded_reason is not None,
        degraded_reason=degraded_reason,
        trace=_offline_trace(run.new_messages),
    )
    store_turn(
        deps.session_factory,
        team_id=deps.team_id,
        conversation_id=conversation_id,
        messages=run.all_messages,
        pending=pending,
        max_messages=settings.history_max_messages,
        record=_turn_record(
            result, deps=deps, runtime=runtime, conversation_id=conversation_id, outcome="ok"
        ),
    )
    _observe_turn(
        result,
        outcome="ok",
        started=started,
        messages=run.new_messages,
        records=records,
        runtime=runtime,
    )
    return result


def _offline_trace(messages: Sequence[ModelMessage]) -> dict[str, Any] | None:
    """How the offline model read the person's message, when it answered this turn."""
    for message in messages:
        if isinstance(message, ModelResponse) and message.provider_details:
            trace = message.provider_details.get(TRACE_KEY)
            if isinstance(trace, dict):
                return cast("dict[str, Any]", trace)
    return None


def _failed_turn(
    error: Exception,
    *,
    spent: list[ModelMessage],
    runtime: AgentRuntime,
    deps: AgentDeps,
    conversation_id: str,
    started: float,
) -> TurnResult:
    """The reply for a turn that raised, recorded in the turn log (and the metrics) with what
    it spent."""
    if isinstance(error, UsageLimitExceeded):
        logger.warning(
            "turn exceeded its usage limits: %s", error, extra={"conversation": conversation_id}
        )
        outcome = "limit"
        reply = (
            "That took more steps than I allow for one message. Try asking for one thing at a time."
        )
    else:
        logger.error(
            "agent run failed",
            exc_info=error,
            extra={"conversation": conversation_id, "model": runtime.model_name},
        )
        outcome = "failed"
        reply = (
            "Sorry, I couldn't finish that. Anything already changed is kept; ask me "
            "“what's on my plate?” to see where things stand, then rephrase the rest."
        )
    result = _plain_reply(runtime, reply)
    result.error = f"{type(error).__name__}: {error}"
    spend = _spend(spent, providers=runtime.resolved.has_providers)
    result.usage = TurnUsage(
        requests=sum(isinstance(m, ModelResponse) for m in spent),
        provider_tokens=spend.provider_tokens,
        cost_usd=spend.cost_usd,
    )
    _log_turn(result, deps=deps, runtime=runtime, conversation_id=conversation_id, outcome=outcome)
    _observe_turn(
        result,
        outcome=outcome,
        started=started,
        messages=spent,
        records=_tool_records(spent, confirmed={}),
        runtime=runtime,
    )
    return result


def _observe_turn(
    result: TurnResult,
    *,
    outcome: str,
    started: float,
    messages: Sequence[ModelMessage],
    records: Sequence[ToolCallRecord],
    runtime: AgentRuntime,
) -> None:
    """Count a finished turn in the Prometheus metrics; a failure to count is only logged."""
    tokens: dict[str, tuple[int, int]] = {}
    cost: dict[str, float] = {}
    unrouted_calls: dict[str, int] = {}
    for message in messages:
        if not isinstance(message, ModelResponse):
            continue
        name = message.model_name or result.model
        usage = message.usage
        before = tokens.get(name, (0, 0))
        tokens[name] = (before[0] + usage.input_tokens, before[1] + usage.output_tokens)
        if name == OFFLINE or not runtime.resolved.has_providers:
            # Calls the provider router did not serve, which its transport cannot count.
            unrouted_calls[name] = unrouted_calls.get(name, 0) + 1
            continue
        estimate = estimate_cost(
            name, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens
        )
        if estimate is not None:
            cost[name] = cost.get(name, 0.0) + estimate
    try:
        observe_agent_turn(
            model=result.model,
            prompt_version=result.prompt_version,
            outcome=outcome,
            seconds=time.perf_counter() - started,
            degraded_reason=result.degraded_reason,
            tool_outcomes=[(record.tool, record.ok) for record in records],
            tokens=tokens,
            cost_usd=cost,
            offline_calls=unrouted_calls,
        )
    except Exception:  # The person's reply matters more than a metric.
        logger.exception("could not count a turn in the metrics")


def _over_budget(whose: str) -> str:
    owner = "Your" if whose == "user" else "Your team's"
    return (
        f"{owner} AI budget for today is used up, so I can't read messages until it resets "
        "at 00:00 UTC. Nothing was changed."
    )


def _turn_record(
    result: TurnResult,
    *,
    deps: AgentDeps,
    runtime: AgentRuntime,
    conversation_id: str,
    outcome: str,
) -> TurnRow:
    return turn_row(
        team_id=deps.team_id,
        user_id=deps.actor_id,
        conversation_id=conversation_id,
        model=result.model,
        chain=runtime.model_name,
        prompt_version=result.prompt_version,
        model_calls=result.model_calls,
        tool_calls=len(result.tool_calls),
        input_tokens=result.usage.input_tokens,
        output_tokens=result.usage.output_tokens,
        provider_tokens=result.usage.provider_tokens,
        cost_usd=result.usage.cost_usd,
        degraded=result.degraded,
        degraded_reason=result.degraded_reason,
        outcome=outcome,
    )


def _log_turn(
    result: TurnResult,
    *,
    deps: AgentDeps,
    runtime: AgentRuntime,
    conversation_id: str,
    outcome: str,
) -> None:
    """Record a turn that failed; a failure to record it is logged, never raised."""
    try:
        with deps.session_factory() as session, session.begin():
            record_turn(
                session,
                record=_turn_record(
                    result,
                    deps=deps,
                    runtime=runtime,
                    conversation_id=conversation_id,
                    outcome=outcome,
                ),
            )
    except Exception:  # The person's reply matters more than the record of it.
        logger.exception("could not record a failed turn", extra={"conversation": conversation_id})


def run_turn_sync(
    text: str, *, runtime: AgentRuntime, deps: AgentDeps, conversation_id: str
) -> TurnResult:
    """`run_turn` for callers without an event loop, such as the CLI: one loop per turn."""

    async def turn_then_close() -> TurnResult:
        try:
            return await run_turn(text, runtime=runtime, deps=deps, conversation_id=conversation_id)
        finally:
            await close_provider_clients()

    return asyncio.run(turn_then_close())
