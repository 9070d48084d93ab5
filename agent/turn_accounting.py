"""What a finished turn leaves behind for operators: its span attributes, its log line, its
Prometheus metrics and its row in the turn log."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from agent.agent_deps import AgentDeps
from agent.model_chain import OFFLINE, ResolvedModel
from agent.result import ToolCallRecord, TurnResult
from agent.transcript import Spend
from agent.turn_log import TurnRow, record_turn
from core.metrics import observe_agent_turn
from tasks.models import utcnow

logger = logging.getLogger(__name__)

# Transports whose turns an operator follows in the logs.
_SERVED_SOURCES = frozenset({"slack", "api"})

AttributeValue = str | int | float | bool | None


def turn_attributes(result: TurnResult, *, resolved: ResolvedModel) -> dict[str, AttributeValue]:
    """What the turn span says about how the turn was served."""
    plan = resolved.plan
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


def log_turn(
    result: TurnResult,
    *,
    source: str,
    conversation_id: str,
    attributes: dict[str, AttributeValue],
) -> None:
    """One line per turn for the operators of a server (Slack, the REST API): how it was
    served and what it did, never what was said. At a terminal or in an eval run the person
    reads the result itself, so the line is only there at DEBUG."""
    logger.log(
        logging.INFO if source in _SERVED_SOURCES else logging.DEBUG,
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


def observe_turn(
    result: TurnResult,
    *,
    outcome: str,
    seconds: float,
    spent: Spend,
    records: Sequence[ToolCallRecord],
) -> None:
    """Count a finished turn in the Prometheus metrics; a failure to count is only logged."""
    try:
        observe_agent_turn(
            model=result.model,
            prompt_version=result.prompt_version,
            outcome=outcome,
            seconds=seconds,
            degraded_reason=result.degraded_reason,
            tool_outcomes=[(record.tool, record.ok) for record in records],
            tokens=spent.tokens,
            cost_usd=spent.cost_by_model,
            offline_calls=spent.unrouted_calls,
        )
    except Exception:  # The person's reply matters more than a metric.
        logger.exception("could not count a turn in the metrics")


def turn_record(
    result: TurnResult, *, deps: AgentDeps, chain: str, conversation_id: str, outcome: str
) -> TurnRow:
    """The turn's row in the turn log (`agent_turns`), which the budgets add up."""
    return TurnRow(
        team_id=deps.team_id,
        created_at=utcnow(),
        user_id=deps.actor_id,
        conversation_id=conversation_id,
        model=result.model,
        chain=chain,
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


def record_failed_turn(
    result: TurnResult, *, deps: AgentDeps, chain: str, conversation_id: str, outcome: str
) -> None:
    """Record a turn that failed (a finished turn is stored with its messages instead); a
    failure to record it is logged, never raised."""
    row = turn_record(
        result, deps=deps, chain=chain, conversation_id=conversation_id, outcome=outcome
    )
    try:
        with deps.session_factory() as session, session.begin():
            record_turn(session, record=row)
    except Exception:  # The person's reply matters more than the record of it.
        logger.exception("could not record a failed turn", extra={"conversation": conversation_id})
