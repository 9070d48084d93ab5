"""Reading what a turn's model messages say: the tool calls and their results, the task cards
to show, how the offline model read the message, and what the model calls cost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart, ToolReturnPart

from agent.costs import estimate_cost
from agent.model_chain import OFFLINE
from agent.offline.readings import TRACE_KEY
from agent.result import ToolCallRecord


def tool_records(
    messages: Sequence[ModelMessage], *, confirmed: dict[str, dict[str, Any]]
) -> list[ToolCallRecord]:
    """The tool calls of a turn, paired with what each returned. `confirmed` holds the calls
    the person confirmed in this turn, which ran without a call part of their own."""
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
            continue
        for part in message.parts:
            if not isinstance(part, ToolReturnPart):
                continue
            record = calls.get(part.tool_call_id)
            if record is None and part.tool_call_id in confirmed:
                record = ToolCallRecord(
                    tool=part.tool_name,
                    args=confirmed[part.tool_call_id]["args"],
                    ok=False,
                    confirmed_execution=True,
                )
                calls[part.tool_call_id] = record
                order.append(record)
            if record is not None:
                _settle(record, part)
    return order


def _settle(record: ToolCallRecord, part: ToolReturnPart) -> None:
    """Fill a call's record from what the tool returned."""
    content: Any = part.content
    record.result = content
    if part.outcome != "success":
        # Retried (bad arguments), denied or failed: the model saw this text.
        record.ok = False
        record.retried = part.outcome == "retried"
        record.error = part.model_response_str(wrap_if_error=False)
    elif isinstance(content, dict):
        result = cast("dict[str, Any]", content)
        record.ok = bool(result.get("ok"))
        if not record.ok:
            record.error = str(result.get("error", "failed"))
    else:
        record.error = str(content)


def _args(part: ToolCallPart) -> dict[str, Any]:
    """A call's arguments as a dict; malformed JSON from a provider is kept as the raw text."""
    try:
        return part.args_as_dict()
    except ValueError:
        return {"_raw": part.args if isinstance(part.args, str) else str(part.args)}


def cards_from_records(records: Sequence[ToolCallRecord]) -> list[dict[str, Any]]:
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


def offline_trace(messages: Sequence[ModelMessage]) -> dict[str, Any] | None:
    """How the offline model read the person's message, when it answered this turn."""
    for message in messages:
        if isinstance(message, ModelResponse) and message.provider_details:
            trace = message.provider_details.get(TRACE_KEY)
            if isinstance(trace, dict):
                return cast("dict[str, Any]", trace)
    return None


@dataclass
class Spend:
    """What a turn's model calls used, read in one pass for both the turn's usage and the
    metrics."""

    provider_tokens: int = 0
    cost_usd: float | None = None
    served_by: str | None = None
    """The model that gave the last response, when any did."""
    offline_served: bool = False
    responses: int = 0
    tokens: dict[str, tuple[int, int]] = field(default_factory=dict[str, tuple[int, int]])
    """Input and output tokens per model."""
    cost_by_model: dict[str, float] = field(default_factory=dict[str, float])
    unrouted_calls: dict[str, int] = field(default_factory=dict[str, int])
    """Calls the provider router did not serve (the offline model's, a test's scripted
    model's), which its transport cannot count."""


def spend(messages: Sequence[ModelMessage], *, providers: bool, default_model: str) -> Spend:
    """What the turn's model calls cost; only a chain with provider links has a price.
    `default_model` names the responses that carry no model name."""
    total = Spend()
    for message in messages:
        if not isinstance(message, ModelResponse):
            continue
        total.responses += 1
        name = message.model_name or ""
        total.served_by = name or total.served_by
        name = name or default_model
        usage = message.usage
        before = total.tokens.get(name, (0, 0))
        total.tokens[name] = (before[0] + usage.input_tokens, before[1] + usage.output_tokens)
        if name == OFFLINE:
            total.offline_served = True
        if name == OFFLINE or not providers:
            total.unrouted_calls[name] = total.unrouted_calls.get(name, 0) + 1
            continue
        total.provider_tokens += usage.input_tokens + usage.output_tokens
        estimate = estimate_cost(
            name, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens
        )
        if estimate is not None:
            total.cost_usd = (total.cost_usd or 0.0) + estimate
            total.cost_by_model[name] = total.cost_by_model.get(name, 0.0) + estimate
    return total
