"""The structured result of one turn, which every transport renders in its own way."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ToolCallRecord(BaseModel):
    """One tool call the turn made, with its outcome."""

    tool: str
    args: dict[str, Any]
    ok: bool
    result: Any = None
    error: str | None = None
    # True when this call is the execution of a call the person confirmed in this turn; the
    # model asked for it in an earlier turn, so an eval must not count it twice.
    confirmed_execution: bool = False
    # True when the call's arguments were rejected and the error went back to the model, which
    # then tried again: the person need not hear about it.
    retried: bool = False


class TurnUsage(BaseModel):
    """What the turn cost."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    tool_calls: int = 0
    # Tokens that providers billed; the offline model's own estimates are not counted.
    provider_tokens: int = 0
    # Estimated from LiteLLM's price table; None when no model in the turn had a price.
    cost_usd: float | None = None


class PendingConfirmation(BaseModel):
    """A destructive call waiting for the person's yes."""

    tool: str
    args: dict[str, Any]
    question: str


class TurnResult(BaseModel):
    """What one turn did and what to say back."""

    reply: str
    tool_calls: list[ToolCallRecord] = Field(default_factory=list[ToolCallRecord])
    model: str
    prompt_version: str
    usage: TurnUsage = Field(default_factory=TurnUsage)
    cards: list[dict[str, Any]] = Field(default_factory=list[dict[str, Any]])
    pending_confirmation: PendingConfirmation | None = None
    # True when the offline model answered instead of the configured providers: they failed
    # ("providers_failed") or today's budget is spent ("budget_user", "budget_team").
    degraded: bool = False
    degraded_reason: str | None = None
    # Set when the turn failed ("ModelHTTPError: ..."): the reply is then an apology, and
    # machine consumers such as the evals read this instead.
    error: str | None = None
    # How the offline model read the message (the winning reading and the runner-up); None
    # when a provider model answered.
    trace: dict[str, Any] | None = None

    @property
    def model_calls(self) -> int:
        """Model calls the turn made; a single create/update/assign/complete takes one."""
        return self.usage.requests

    def contract_json(self) -> dict[str, Any]:
        """The public `taskpilot chat --once --json` shape, and nothing more."""
        return {
            "reply": self.reply,
            "tool_calls": [
                {"tool": call.tool, "args": call.args, "ok": call.ok} for call in self.tool_calls
            ],
            "model": self.model,
            "prompt_version": self.prompt_version,
            **({"trace": self.trace} if self.trace is not None else {}),
        }
