"""Turning a model name from the settings into a pydantic-ai model."""

from __future__ import annotations

from pydantic_ai.models import Model

OFFLINE = "offline"


class UnknownModel(ValueError):
    """A model name that this build cannot serve."""


def resolve_model(choice: str | Model) -> tuple[Model, str]:
    """The model for a name (or a ready pydantic-ai model, as tests pass) and the name to report."""
    if isinstance(choice, Model):
        return choice, choice.model_name
    name = choice.strip()
    if name == OFFLINE:
        # Imported here so that building the CLI does not load the parser's tables.
        from agent.offline.model import build_offline_model

        return build_offline_model(), OFFLINE
    raise UnknownModel(
        f"The model {name!r} is not available: provider models (LiteLLM names such as "
        "'openai/gpt-4.1-mini') are not wired up yet, so only 'offline' can serve turns. "
        "Unset TASKPILOT_MODELS or set it to 'offline'."
    )
