"""`run_turn()`, the one entry point every transport uses: one turn of a conversation, from the
person's message to a structured result.

This module holds the orchestration only; what it calls is named for what it holds:
`agent.assembly` (the built agent), `agent.drive` (stepping the agent), `agent.confirmation`
(asking before a delete), `agent.transcript` (reading the turn's messages),
`agent.turn_accounting` (span, log line, metrics and turn record) and `agent.replies`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import Any

from pydantic_ai import DeferredToolRequests
from pydantic_ai.exceptions import UsageLimitExceeded
from pydantic_ai.messages import ModelMessage

from agent.agent_deps import AgentDeps
from agent.assembly import AgentRuntime
from agent.budgets import check_budget
from agent.confirmation import confirmation_question, pending_answer
from agent.drive import Run, TurnAborted, drive
from agent.memory import load_conversation
from agent.prompt_people import prompt_people
from agent.providers import close_provider_clients
from agent.replies import (
    DEGRADED_NOTES,
    EMPTY_MESSAGE,
    OVER_STEP_LIMIT,
    TURN_FAILED,
    capped,
    over_budget,
    reply_from_records,
    too_long,
    with_footer,
)
from agent.result import PendingConfirmation, ToolCallRecord, TurnResult, TurnUsage
from agent.transcript import Spend, cards_from_records, offline_trace, spend, tool_records
from agent.turn_accounting import (
    log_turn,
    observe_turn,
    record_failed_turn,
    turn_attributes,
    turn_record,
)
from agent.turn_store import store_turn
from core.context import REQUEST_ID, bound, current_ids
from core.db import read_without_transaction
from core.spans import set_attributes, span
from tools.tool_deps import TurnDeletions

logger = logging.getLogger(__name__)


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
        attributes = turn_attributes(result, resolved=runtime.resolved)
        set_attributes(**attributes)
        log_turn(result, source=deps.source, conversation_id=conversation_id, attributes=attributes)
        return result


def _plain_reply(runtime: AgentRuntime, reply: str) -> TurnResult:
    return TurnResult(reply=reply, model=runtime.model_name, prompt_version=runtime.prompt_version)


async def _run_turn(
    text: str, *, runtime: AgentRuntime, deps: AgentDeps, conversation_id: str
) -> TurnResult:
    started = time.perf_counter()
    message = text.strip()
    if not message:
        return _plain_reply(runtime, EMPTY_MESSAGE)
    limit = runtime.settings.max_input_chars
    if len(message) > limit:
        return _plain_reply(runtime, too_long(len(message), limit=limit))

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
                settings=runtime.settings,
                team_id=deps.team_id,
                user_id=deps.actor_id,
                now=deps.now,
            )
            if budget.exhausted is not None:
                if runtime.offline_agent is None:
                    return _plain_reply(runtime, over_budget(budget.exhausted))
                agent = runtime.offline_agent
                degraded_reason = f"budget_{budget.exhausted}"

    answer = pending_answer(message, state.pending)
    try:
        run = await drive(
            agent,
            prompt=answer.prompt,
            deps=deps,
            history=state.messages,
            deferred=answer.deferred,
            limits=runtime.turn_limits(),
        )
    except Exception as error:  # A provider, model or tool failure: the person gets a sentence.
        spent = error.spent if isinstance(error, TurnAborted) else []
        cause = error.error if isinstance(error, TurnAborted) else error
        return _failed_turn(
            cause,
            spent=spent,
            runtime=runtime,
            deps=deps,
            conversation_id=conversation_id,
            started=started,
        )
    records = tool_records(run.new_messages, confirmed=answer.confirmed)
    # One pass over the messages feeds both the turn's usage and the metrics.
    spent = spend(
        run.new_messages,
        providers=runtime.resolved.has_providers,
        default_model=runtime.model_name,
    )
    result, pending = _finished_turn(
        run, records=records, spent=spent, runtime=runtime, degraded_reason=degraded_reason
    )
    store_turn(
        deps.session_factory,
        team_id=deps.team_id,
        conversation_id=conversation_id,
        messages=run.all_messages,
        pending=pending,
        max_messages=runtime.settings.history_max_messages,
        record=turn_record(
            result,
            deps=deps,
            chain=runtime.model_name,
            conversation_id=conversation_id,
            outcome="ok",
        ),
    )
    observe_turn(
        result,
        outcome="ok",
        seconds=time.perf_counter() - started,
        spent=spent,
        records=records,
    )
    return result


def _finished_turn(
    run: Run,
    *,
    records: list[ToolCallRecord],
    spent: Spend,
    runtime: AgentRuntime,
    degraded_reason: str | None,
) -> tuple[TurnResult, list[dict[str, Any]]]:
    """The result of a turn that ran to its end, and the calls left waiting for a yes."""
    pending: list[dict[str, Any]] = []
    pending_confirmation: PendingConfirmation | None = None
    if run.output is None:
        reply = reply_from_records(records)
    elif isinstance(run.output, DeferredToolRequests):
        question, pending = confirmation_question(run.output)
        first = pending[0]
        pending_confirmation = PendingConfirmation(
            tool=first["tool"], args=first["args"], question=question
        )
        done = [r for r in records if r.ok]
        # Writes of the same response ran already; say so before asking.
        reply = f"{reply_from_records(done)}\n{question}" if done else question
    else:
        reply = run.output.strip() or reply_from_records(records)

    has_providers = runtime.resolved.has_providers
    if degraded_reason is None and spent.offline_served and has_providers:
        degraded_reason = "providers_failed"
    served_by = spent.served_by if has_providers and spent.served_by else runtime.model_name
    reply = capped(
        with_footer(reply, DEGRADED_NOTES.get(degraded_reason or "")),
        limit=runtime.settings.max_reply_chars,
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
            provider_tokens=spent.provider_tokens,
            cost_usd=spent.cost_usd,
        ),
        cards=cards_from_records(records),
        pending_confirmation=pending_confirmation,
        degraded=degraded_reason is not None,
        degraded_reason=degraded_reason,
        trace=offline_trace(run.new_messages),
    )
    return result, pending


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
        outcome, reply = "limit", OVER_STEP_LIMIT
    else:
        logger.error(
            "agent run failed",
            exc_info=error,
            extra={"conversation": conversation_id, "model": runtime.model_name},
        )
        outcome, reply = "failed", TURN_FAILED
    result = _plain_reply(runtime, reply)
    result.error = f"{type(error).__name__}: {error}"
    used = spend(spent, providers=runtime.resolved.has_providers, default_model=runtime.model_name)
    result.usage = TurnUsage(
        requests=used.responses, provider_tokens=used.provider_tokens, cost_usd=used.cost_usd
    )
    record_failed_turn(
        result,
        deps=deps,
        chain=runtime.model_name,
        conversation_id=conversation_id,
        outcome=outcome,
    )
    observe_turn(
        result,
        outcome=outcome,
        seconds=time.perf_counter() - started,
        spent=used,
        records=tool_records(spent, confirmed={}),
    )
    return result


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
