"""An HTTP transport that hands Chat Completions requests to a LiteLLM `Router`.

pydantic-ai's `OpenAIChatModel` maps the agent's messages and tools to the Chat Completions
wire format and reads the answer back; this transport sits where its HTTP connection would be.
Each request's JSON body goes to `router.acompletion()`, which calls the real providers with
its own retries, timeouts, cooldowns and cross-provider fallbacks, and the router's answer (or
failure) comes back as the HTTP response the OpenAI SDK expects. The SDK client above it is
built with `max_retries=0`, so there is exactly one retry loop: the router's.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, Protocol

import httpx2

from core.metrics import count_fallback, count_model_call

if TYPE_CHECKING:
    from collections.abc import Mapping

logger = logging.getLogger(__name__)

# Request fields the transport sets itself or that the router must not see.
_OWN_FIELDS = frozenset({"model", "stream", "stream_options"})


class CompletionRouter(Protocol):
    """The part of `litellm.Router` this transport uses."""

    async def acompletion(
        self, model: str, messages: list[dict[str, Any]], **kwargs: Any
    ) -> Any: ...


class RouterTransport(httpx2.AsyncBaseTransport):
    """Answers `POST .../chat/completions` through a LiteLLM router's first model group."""

    def __init__(self, *, router: CompletionRouter, group: str) -> None:
        self._router = router
        self._group = group

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if not request.url.path.rstrip("/").endswith("/chat/completions"):
            return _error_response(404, f"not routed: {request.url.path}", kind="not_found")
        body: dict[str, Any] = json.loads(await request.aread() or b"{}")
        messages = body.pop("messages", [])
        options = {key: value for key, value in body.items() if key not in _OWN_FIELDS}
        try:
            response = await self._router.acompletion(
                model=self._group, messages=messages, drop_params=True, **options
            )
        except Exception as error:  # Every provider failure becomes the HTTP error it was.
            return _failure(error, group=self._group)
        data = _completion_json(response)
        if not data.get("choices"):
            # Some providers answer 200 with nothing in it under load; it is a failure too.
            return _failure(EmptyChoices(str(data.get("model") or self._group)), group=self._group)
        served = str(data.get("model") or self._group)
        count_model_call(model=served, outcome="ok")
        if served != self._group:
            # The router's own fallback: a later provider link answered for the first.
            count_fallback(from_model=self._group, to_model=served)
        return httpx2.Response(200, json=data)


class EmptyChoices(Exception):
    """A provider answered 200 with an empty choice list."""

    status_code = 502

    def __init__(self, model: str) -> None:
        super().__init__(f"{model} answered with no choices")
        self.model = model


def _completion_json(response: Any) -> dict[str, Any]:
    """The router's answer as Chat Completions JSON, with `model` naming the link that served.

    LiteLLM reports the provider's own model id ("gpt-4.1-mini"); the chain's name for it
    ("openai/gpt-4.1-mini") is what turns record, so it replaces the id here.
    """
    data: dict[str, Any] = response.model_dump()
    hidden: Mapping[str, Any] = getattr(response, "_hidden_params", None) or {}
    headers: Mapping[str, Any] = hidden.get("additional_headers") or {}
    group = headers.get("x-litellm-model-group") or hidden.get("litellm_model_name")
    if isinstance(group, str) and group:
        data["model"] = group
    data.setdefault("object", "chat.completion")
    return data


def _failure(error: Exception, *, group: str) -> httpx2.Response:
    status = getattr(error, "status_code", None)
    code = status if isinstance(status, int) and 400 <= status <= 599 else 502
    provider = getattr(error, "llm_provider", None) or "unknown"
    request_id = _request_id(error)
    # Every link the router tried has failed; the call is counted against the chain's head,
    # with the kind of the last error as its outcome.
    count_model_call(model=group, outcome=type(error).__name__)
    logger.warning(
        "model provider failed: %s",
        type(error).__name__,
        extra={
            "provider": provider,
            "model": group,
            "provider_model": getattr(error, "model", None),
            "status": code,
            "provider_request_id": request_id,
            "error": str(error).splitlines()[0][:300] if str(error) else type(error).__name__,
        },
    )
    return _error_response(code, str(error)[:2000], kind=type(error).__name__)


def _request_id(error: Exception) -> str | None:
    """The provider's request id from the failed response's headers, when it sent one."""
    headers: Any = getattr(error, "litellm_response_headers", None)
    if headers is None:
        response = getattr(error, "response", None)
        headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for key in ("x-request-id", "request-id", "llm_provider-x-request-id"):
        value = headers.get(key)
        if value:
            return str(value)
    return None


def _error_response(status: int, message: str, *, kind: str) -> httpx2.Response:
    # The router has already retried; `x-should-retry: false` keeps the OpenAI SDK from
    # retrying on its own (it would retry a 408 even with `max_retries=0`).
    return httpx2.Response(
        status,
        headers={"x-should-retry": "false"},
        json={"error": {"message": message, "type": kind, "param": None, "code": None}},
    )
