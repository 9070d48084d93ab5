"""Turning the configured model chain into the one pydantic-ai model a runtime uses."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic_ai.exceptions import ModelAPIError, UnexpectedModelBehavior
from pydantic_ai.models import Model

from agent.providers import OFFLINE, ChainPlan, UnknownModel, parse_chain, plan_chain
from core.secrets import SecretsProvider, secrets_from_settings
from core.settings import Settings

__all__ = ["OFFLINE", "ResolvedModel", "UnknownModel", "resolve_model"]


@dataclass(frozen=True)
class ResolvedModel:
    """The model to run, the name to report, and the chain behind it."""

    model: Model
    name: str
    plan: ChainPlan

    @property
    def has_providers(self) -> bool:
        return bool(self.plan.providers)


def _offline() -> Model:
    # Imported here so that building the CLI does not load the parser's tables.
    from agent.offline.model import build_offline_model

    return build_offline_model()


def resolve_model(
    choice: str | Model, *, settings: Settings, secrets: SecretsProvider | None = None
) -> ResolvedModel:
    """The model for a chain ("openai/gpt-4.1-mini,offline"), a single name, or a ready model.

    Provider links run through one LiteLLM router; when it has nothing left to try, `offline`
    (if the chain names it) answers instead. Raises `UnknownModel` with a sentence a person can
    act on. Provider keys are read through `secrets` (by default the provider the settings
    name), so a key rotated there is used without a restart.
    """
    if isinstance(choice, Model):
        return ResolvedModel(
            model=choice, name=choice.model_name, plan=ChainPlan(providers=(), offline=False)
        )
    names = parse_chain(choice)
    if not names:
        raise UnknownModel("No model named: give a LiteLLM model name or 'offline'.")
    if secrets is None and any(name != OFFLINE for name in names):
        secrets = secrets_from_settings(settings)
    plan = plan_chain(names, settings=settings, secrets=secrets)
    if not plan.providers:
        return ResolvedModel(model=_offline(), name=OFFLINE, plan=plan)
    from agent.providers import build_provider_model

    provider_model = build_provider_model(plan, settings=settings, secrets=secrets)
    if not plan.offline:
        return ResolvedModel(model=provider_model, name=plan.name, plan=plan)
    from agent.turn_fallback import TurnFallbackModel

    chained = TurnFallbackModel(
        provider_model,
        _offline(),
        # An HTTP failure the router could not recover from, or an answer pydantic-ai cannot
        # read: the offline model answers instead, for the rest of the turn.
        fallback_on=(ModelAPIError, UnexpectedModelBehavior),
    )
    return ResolvedModel(model=chained, name=plan.name, plan=plan)
