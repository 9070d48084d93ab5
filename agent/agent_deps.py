"""The dependencies an agent turn runs with."""

from __future__ import annotations

from dataclasses import dataclass

from tools.tool_deps import ToolDeps


@dataclass(kw_only=True)
class AgentDeps(ToolDeps):
    """Everything a turn needs: the tools' facts plus what only the agent loop reads."""

    # The name the prompt uses for the speaker; the directory's display name when known.
    actor_name: str | None = None
    # The workspace's people as the prompt lists them ("bob (Bob Ortiz)"); `run_turn` fills
    # it from the directory for each turn.
    people: tuple[str, ...] = ()
