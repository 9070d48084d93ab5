"""The agent's instructions: a versioned prompt template filled in for the turn's speaker."""

from __future__ import annotations

import string

from agent.agent_deps import AgentDeps
from prompts.people import people_line, people_text

# `people` is the list alone (prompts v1 and v2 write the label before it); `people_line` is
# the whole line, label included, as the offline model reads it back.
PLACEHOLDERS = frozenset({"today", "weekday", "timezone", "actor", "people", "people_line"})


class PromptTemplateError(ValueError):
    """A prompt file uses a placeholder the agent does not fill."""


def check_placeholders(template: str, version: str) -> None:
    """Refuse a template that uses a placeholder `render_instructions` does not fill."""
    used = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    unknown = sorted(used - PLACEHOLDERS)
    if unknown:
        raise PromptTemplateError(
            f"Prompt {version} uses placeholders the agent does not fill: {', '.join(unknown)}. "
            f"Known ones: {', '.join(sorted(PLACEHOLDERS))}; write literal braces as {{{{ }}}}."
        )


def render_instructions(template: str, deps: AgentDeps) -> str:
    """The template filled in for the turn: its date and zone, the speaker, the people."""
    now = deps.now
    return template.format(
        today=now.strftime("%Y-%m-%d %H:%M"),
        weekday=now.strftime("%A"),
        timezone=str(now.tzinfo),
        actor=f"{deps.actor_name} ({deps.actor_id})" if deps.actor_name else deps.actor_id,
        people=people_text(deps.people),
        people_line=people_line(deps.people),
    )
