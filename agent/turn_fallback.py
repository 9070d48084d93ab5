"""The chain's last step: the offline model answers when the provider router has given up."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, UserPromptPart
from pydantic_ai.models import ModelRequestParameters
from pydantic_ai.models.fallback import FallbackModel
from pydantic_ai.settings import ModelSettings

from agent.providers import OFFLINE
from core.metrics import count_fallback


class TurnFallbackModel(FallbackModel):
    """`FallbackModel` that stays on the offline model for the rest of a turn once it answered.

    Without this, every later model call of the turn would first wait on the router again
    (its retries and timeouts) for a provider that just failed; the router's cooldown covers
    the turns after this one.
    """

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        if offline_answered_this_turn(messages):
            offline = self.models[-1]
            prepared = offline.prepare_messages(messages, model_request_parameters)
            return await offline.request(prepared, model_settings, model_request_parameters)
        response = await super().request(messages, model_settings, model_request_parameters)
        first = self.models[0].model_name
        if response.model_name == OFFLINE and first != OFFLINE:
            # The providers gave up and the offline model took over; it keeps the rest of
            # the turn (above), so a turn counts one fallback.
            count_fallback(from_model=first, to_model=OFFLINE)
        return response


def offline_answered_this_turn(messages: Sequence[ModelMessage]) -> bool:
    """Whether a response since the person's last message came from the offline model."""
    for message in reversed(messages):
        if isinstance(message, ModelResponse) and message.model_name == OFFLINE:
            return True
        if isinstance(message, ModelRequest) and any(
            isinstance(part, UserPromptPart) for part in message.parts
        ):
            return False
    return False
