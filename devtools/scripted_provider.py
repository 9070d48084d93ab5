"""A scripted OpenAI Chat Completions server: the wire format of the real API, no model behind it.

Tests, benchmarks and drills point the provider chain at it (as `openai/<name>` with its base
URL) to exercise the real HTTP path: LiteLLM's router, the OpenAI SDK, pydantic-ai's mapping of
tool calls. Every reply comes from a script the caller writes (`tool_calls`, `text`,
`rate_limited`, `server_error`, `hang`, ...); nothing here understands language. Each request
is recorded with its JSON body, headers and arrival time, so callers can assert what was sent.

The server runs in its own threads, so it keeps answering while the caller's event loop waits
on it, and `hang` really holds the connection open past a client's timeout.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Self, cast

from core.http_server import ThreadedHTTPServer
from evals.tokens import count_request_tokens

__all__ = [
    "RecordedRequest",
    "Reply",
    "Responder",
    "ScriptedProvider",
    "empty_choices",
    "error",
    "hang",
    "insufficient_quota",
    "rate_limited",
    "server_error",
    "text",
    "tool_calls",
]

Json = dict[str, Any]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    path: str
    body: Json
    headers: Mapping[str, str]
    received_at: float
    """`time.monotonic()` when the request arrived."""

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def messages(self) -> list[Json]:
        raw = self.body.get("messages")
        return list(cast("list[Json]", raw)) if isinstance(raw, list) else []

    @property
    def tool_names(self) -> list[str]:
        tools = self.body.get("tools")
        if not isinstance(tools, list):
            return []
        return [str(tool["function"]["name"]) for tool in cast("list[Json]", tools)]


@dataclass(frozen=True)
class Reply:
    """What the server answers to one request."""

    status: int = 200
    message: Json | None = None
    """The assistant message of a 200 reply (`content` and/or `tool_calls`)."""
    finish_reason: str = "stop"
    error: Json | None = None
    headers: Mapping[str, str] = field(default_factory=dict[str, str])
    delay: float = 0.0
    """Seconds to wait before answering (a slow or hanging provider)."""
    no_choices: bool = False
    usage: Json | None = None
    """The usage block to report; by default the request's tokens as OpenAI counts them
    (`evals.tokens`)."""


Responder = Callable[[RecordedRequest], Reply]
"""Computes a reply from the request, for scripts that depend on what was sent."""


def tool_calls(*calls: tuple[str, Mapping[str, object] | str]) -> Reply:
    """A reply calling tools: each call is (name, arguments); a str is sent verbatim as JSON."""
    parts = [
        {
            "id": f"call_{index}",
            "type": "function",
            "function": {
                "name": name,
                "arguments": args if isinstance(args, str) else json.dumps(dict(args)),
            },
        }
        for index, (name, args) in enumerate(calls)
    ]
    return Reply(
        message={"role": "assistant", "content": None, "tool_calls": parts},
        finish_reason="tool_calls",
    )


def text(content: str) -> Reply:
    """A plain text answer."""
    return Reply(message={"role": "assistant", "content": content})


def error(
    status: int,
    message: str,
    *,
    kind: str,
    code: str | None = None,
    retry_after: float | None = None,
) -> Reply:
    """An error in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`."""
    headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
    return Reply(
        status=status,
        error={"message": message, "type": kind, "param": None, "code": code},
        headers=headers,
    )


def rate_limited(retry_after: float | None = 1) -> Reply:
    """429 with `Retry-After`, as OpenAI sends when a rate limit is hit."""
    return error(
        429,
        "Rate limit reached for requests. Please try again shortly.",
        kind="requests",
        code="rate_limit_exceeded",
        retry_after=retry_after,
    )


def insufficient_quota() -> Reply:
    """429 `insufficient_quota`: the account has no credit left, so retrying cannot help."""
    return error(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        kind="insufficient_quota",
        code="insufficient_quota",
    )


def server_error() -> Reply:
    """500, as OpenAI sends on an internal error."""
    return error(
        500,
        "The server had an error while processing your request. Sorry about that!",
        kind="server_error",
    )


def hang(seconds: float, then: Reply | None = None) -> Reply:
    """Hold the connection for `seconds` before answering (`then`, or a text reply)."""
    answer = then if then is not None else text("(late)")
    return Reply(
        status=answer.status,
        message=answer.message,
        finish_reason=answer.finish_reason,
        error=answer.error,
        headers=answer.headers,
        delay=seconds,
    )


def empty_choices() -> Reply:
    """A 200 whose `choices` list is empty, which some providers send under load."""
    return Reply(no_choices=True)


class ScriptedProvider:
    """A local Chat Completions server answering from a script.

    Replies are taken in order from the script (`push` adds more); each is a `Reply` or a
    `Responder`. When the script runs out, `default` answers, and without one the server
    answers 500 "script exhausted" so that an unexpected extra request fails loudly.
    """

    def __init__(
        self,
        *,
        script: Iterable[Reply | Responder] = (),
        default: Reply | Responder | None = None,
        token_counter: Callable[[Json], int] | None = None,
    ) -> None:
        self._script: deque[Reply | Responder] = deque(script)
        self._default = default
        self._count_tokens = token_counter or count_request_tokens
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.requests: list[RecordedRequest] = []
        self._server: ThreadedHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, ending in `/v1`."""
        if self._server is None:
            raise RuntimeError("the scripted provider is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def push(self, *replies: Reply | Responder) -> None:
        with self._lock:
            self._script.extend(replies)

    def start(self) -> Self:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                provider._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                del format, args  # Quiet: tests read `requests`, not stderr.

        server = ThreadedHTTPServer(("127.0.0.1", 0), Handler)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            step = self._script.popleft() if self._script else self._default
        if step is None:
            return error(500, "script exhausted", kind="server_error", code="script_exhausted")
        return step(request) if callable(step) else step

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b"{}"
        try:
            body: Json = json.loads(raw)
        except ValueError:
            body = {}
        request = RecordedRequest(
            path=handler.path,
            body=body,
            headers={key.lower(): value for key, value in handler.headers.items()},
            received_at=time.monotonic(),
        )
        with self._lock:
            self.requests.append(request)
            number = next(self._ids)
        if not handler.path.rstrip("/").endswith("/chat/completions"):
            reply = error(404, f"Invalid URL (POST {handler.path})", kind="invalid_request_error")
        else:
            reply = self._next_reply(request)
        if reply.delay:
            time.sleep(reply.delay)
        payload = self._payload(reply, request, number)
        data = json.dumps(payload).encode()
        try:
            handler.send_response(reply.status)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(data)))
            handler.send_header("x-request-id", f"req_scripted_{number}")
            for key, value in reply.headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # The client gave up waiting (a timeout test); nothing to deliver.

    def _payload(self, reply: Reply, request: RecordedRequest, number: int) -> Json:
        if reply.error is not None:
            return {"error": reply.error}
        choices: list[Json] = []
        if not reply.no_choices:
            message = _numbered_calls(reply.message, number) or {"role": "assistant", "content": ""}
            choices.append(
                {
                    "index": 0,
                    "message": {"refusal": None, **message},
                    "finish_reason": reply.finish_reason,
                    "logprobs": None,
                }
            )
        usage = reply.usage or self._usage(request, reply)
        return {
            "id": f"chatcmpl-scripted-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model,
            "choices": choices,
            "usage": usage,
            "system_fingerprint": None,
        }

    def _usage(self, request: RecordedRequest, reply: Reply) -> Json:
        prompt = self._count_tokens(request.body)
        completion = _completion_tokens(reply.message) if reply.message else 0
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }


def _numbered_calls(message: Json | None, number: int) -> Json | None:
    """The message with tool call ids unique across the server's replies, as OpenAI's are."""
    if not message or not message.get("tool_calls"):
        return message
    calls = [
        {**call, "id": f"call_{number}_{index}"}
        for index, call in enumerate(cast("list[Json]", message["tool_calls"]))
    ]
    return {**message, "tool_calls": calls}


def _completion_tokens(message: Json) -> int:
    return count_request_tokens({"messages": [message]}) - 3
