"""The agent assembled for a model chain and a prompt version: `AgentRuntime`, built once by
`build_runtime` and used by every turn."""

from __future__ import annotations

from dataclasses import dataclass

import pydantic_ai
from pydantic_ai import Agent, DeferredToolRequests, RunContext
from pydantic_ai.models import Model
from pydantic_ai.usage import UsageLimits

from agent.agent_deps import AgentDeps
from agent.drive import TurnOutput
from agent.instructions import check_placeholders, render_instructions
from agent.model_chain import OFFLINE, ResolvedModel, resolve_model
from core.settings import Settings
from prompts.loader import load_prompt
from tools.task_tools import TASK_TOOLS

# Bounds on one turn, so that a confused model cannot loop or spend without limit; the token
# bound comes from the settings.
TURN_REQUEST_LIMIT = 8
TOOL_CALLS_LIMIT = 12


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

    def turn_limits(self) -> UsageLimits:
        """The bounds of one turn: model requests, tool calls and tokens."""
        return UsageLimits(
            request_limit=TURN_REQUEST_LIMIT,
            tool_calls_limit=TOOL_CALLS_LIMIT,
            total_tokens_limit=self.settings.turn_max_tokens,
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
    check_placeholders(template, version)
    chosen = model if model is not None else ",".join(settings.model_chain)
    resolved = resolve_model(chosen, settings=settings)

    # Async, so that pydantic-ai calls it on the event loop: a plain function would be run
    # on a worker thread (a thread hand-off per model request) for a string format.
    async def instructions(ctx: RunContext[AgentDeps]) -> str:
        return render_instructions(template, ctx.deps)

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
