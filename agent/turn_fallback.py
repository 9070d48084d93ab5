"""The chain's last step: the offline model answers when the provider router has given up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pydantic_ai.exceptions import ModelAPIError
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelRequestPart,
    ModelResponse,
    RetryFeedbackPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models import KnownModelName, Model, ModelRequestParameters
from pydantic_ai.models.fallback import FallbackModel, FallbackOn
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings

from agent.providers import OFFLINE
from core.metrics import count_fallback
from tools.task_tools import WRITE_TOOLS


class TurnFallbackModel(FallbackModel):
    """`FallbackModel` that stays on the offline model for the rest of a turn once it answered.

    Without this, every later model call of the turn would first wait on the router again
    (its retries and timeouts) for a provider that just failed; the router's cooldown covers
    the turns after this one.

    The last model (the offline one) is wrapped in `FreshTakeover`, so that when it takes over
    a turn in which the provider's calls changed nothing, it answers the person's message
    afresh instead of reporting the provider's failed calls (see `history_for_takeover`).
    """

    def __init__(
        self,
        default_model: Model | KnownModelName | str,
        *fallback_models: Model | KnownModelName | str,
        fallback_on: FallbackOn = (ModelAPIError,),
    ) -> None:
        super().__init__(default_model, *fallback_models, fallback_on=fallback_on)
        if len(self.models) > 1:
            self.models[-1] = FreshTakeover(self.models[-1])

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


class FreshTakeover(WrapperModel):
    """The offline model, handed the turn's history without the provider's calls that did nothing.

    Trimming here, in front of the offline model, rather than teaching the offline parser about
    retry prompts keeps the parser's own rule simple and safe: a turn that still holds another
    model's calls is one where that model acted, so the parser reports it and never repeats a
    write. What the provider did is still in the run's history (the turn's record keeps its
    retried calls); only the offline model's view of the turn is trimmed.
    """

    def prepare_messages(
        self,
        messages: list[ModelMessage],
        model_request_parameters: ModelRequestParameters | None = None,
    ) -> list[ModelMessage]:
        # Trimmed here, on the history as the run stored it: preparing turns a retry prompt
        # into a fenced user prompt, which would look like the person speaking.
        trimmed = history_for_takeover(messages)
        return self.wrapped.prepare_messages(trimmed, model_request_parameters)


def history_for_takeover(messages: list[ModelMessage]) -> list[ModelMessage]:
    """The history the offline model answers from when it takes over a turn.

    When the provider made calls in this turn (since the person's last prompt) and none of its
    writes succeeded, say a `create_task` with malformed JSON whose retry request then failed,
    its responses and the results of its calls are left out: nothing changed, so the offline
    model answers the person's last prompt afresh instead of reporting the provider's error.
    Once one of the provider's writes succeeded, the history is passed unchanged; the offline
    model then reports what was done and never makes that write a second time.
    """
    start = _last_prompt(messages)
    if start is None:
        return messages
    window = messages[start + 1 :]
    foreign = {
        part.tool_call_id
        for message in window
        if isinstance(message, ModelResponse) and message.model_name != OFFLINE
        for part in message.parts
        if isinstance(part, ToolCallPart)
    }
    has_foreign_response = any(
        isinstance(message, ModelResponse) and message.model_name != OFFLINE for message in window
    )
    if not has_foreign_response or _foreign_write_succeeded(window, foreign):
        return messages
    kept: list[ModelMessage] = list(messages[: start + 1])
    after_foreign = False
    for message in window:
        if isinstance(message, ModelResponse):
            after_foreign = message.model_name != OFFLINE
            if not after_foreign:
                kept.append(message)
            continue
        parts = [part for part in message.parts if not _answers(part, foreign, after_foreign)]
        if parts:
            kept.append(
                message if len(parts) == len(message.parts) else replace(message, parts=parts)
            )
    return kept


def _last_prompt(messages: Sequence[ModelMessage]) -> int | None:
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if isinstance(message, ModelRequest) and any(
            isinstance(part, UserPromptPart) for part in message.parts
        ):
            return index
    return None


def _foreign_write_succeeded(window: Sequence[ModelMessage], foreign: set[str]) -> bool:
    return any(
        isinstance(part, ToolReturnPart)
        and part.tool_call_id in foreign
        and part.tool_name in WRITE_TOOLS
        and part.outcome == "success"
        for message in window
        if isinstance(message, ModelRequest)
        for part in message.parts
    )


def _answers(part: ModelRequestPart, foreign: set[str], after_foreign: bool) -> bool:
    """Whether a request part answers the provider: a result of one of its calls (a retry for a
    malformed call is one, with `outcome="retried"`), or feedback on its response right before.
    """
    if isinstance(part, ToolReturnPart):
        return part.tool_call_id in foreign
    return isinstance(part, RetryFeedbackPart) and after_foreign


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
