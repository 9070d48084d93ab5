"""Driving the pydantic-ai agent through one turn, node by node, and ending it early when the
tool results need no closing model call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from pydantic_ai import Agent, DeferredToolRequests, DeferredToolResults, ModelRequestNode
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolReturnPart
from pydantic_ai.usage import RunUsage, UsageLimits

from agent.agent_deps import AgentDeps
from agent.model_chain import OFFLINE
from tools.task_tools import WRITE_TOOLS

TurnOutput = str | DeferredToolRequests

# Tool failures that a second model call cannot fix: a refusal, or a call on a task the turn
# deleted (or is waiting to delete).
_FINAL_FAILURES = frozenset({"permission_denied", "deleted_in_turn"})


class TurnAborted(Exception):
    """A turn that failed part-way, with the messages it produced before it failed."""

    def __init__(self, error: Exception, *, spent: list[ModelMessage]) -> None:
        super().__init__(str(error))
        self.error = error
        self.spent = spent


@dataclass(frozen=True)
class Run:
    """What driving the agent produced."""

    new_messages: list[ModelMessage]
    all_messages: list[ModelMessage]
    output: TurnOutput | None
    """None when the turn ended right after its writes, without a closing model call."""
    usage: RunUsage


def finishes_turn(request: ModelRequest, history: Sequence[ModelMessage]) -> bool:
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


async def drive(
    agent: Agent[AgentDeps, TurnOutput],
    *,
    prompt: str | None,
    deps: AgentDeps,
    history: list[ModelMessage],
    deferred: DeferredToolResults | None,
    limits: UsageLimits,
) -> Run:
    """Run the agent node by node, stopping before a closing call the turn does not need.
    Raises `TurnAborted`, carrying what the turn spent, when a step fails."""
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
                if isinstance(node, ModelRequestNode) and finishes_turn(
                    node.request, run.all_messages()
                ):
                    return Run(
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
        return Run(
            new_messages=result.new_messages(),
            all_messages=result.all_messages(),
            output=result.output,
            usage=result.usage,
        )
