"""Error tracking with Sentry: what is sent, what is scrubbed first, and how failures group.

`init_error_tracking(settings)` turns Sentry on when `SENTRY_DSN` is set, and does nothing
otherwise. Events come from three places: an error logged with `logger.error(...)` or
`logger.exception(...)` anywhere (one event per record, with the exception when there is one),
exceptions FastAPI did not handle, and explicit `sentry_sdk.capture_exception` calls. Log
records at INFO and above become breadcrumbs of the next event.

Before anything leaves the process, `before_send` (events) and `before_breadcrumb`
(breadcrumbs) scrub it:

- secrets: every known secret value and token-looking string (`core.redaction`) is replaced in
  every string of the event; credential headers, cookies and credential query parameters are
  replaced whole; frames carry no local variables;
- people's words, unless `TASKPILOT_LOG_MESSAGE_TEXT` is on: request bodies (Slack events,
  agent turns, task titles), fields that hold text a person wrote (`text`, `title`,
  `description`, `prompt`, `reply`, ...) in extra data, contexts and breadcrumb data, the
  `input_value=...` that validation errors quote, and the command line (`taskpilot chat --once
  TEXT`);
- personal data: the user is reduced to its Slack id; the team, user, request, Slack event and
  trace ids are tags (`core.context`).

Agent and tool failures get a fingerprint of (exception type, tool name or code location), so
that one broken tool is one issue, whatever the people who hit it wrote.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

import sentry_sdk
from sentry_sdk.integrations import Integration
from sentry_sdk.integrations.logging import EventHandler, LoggingIntegration
from sentry_sdk.types import Breadcrumb, BreadcrumbHint, Event, Hint

from core.context import SPAN_ID, current_ids
from core.redaction import REDACTED, redact, remember_settings_secrets
from core.settings import Settings

REMOVED = "[removed]"

# Our own top-level packages: their frames are "in app", and a fingerprint names them.
APP_PACKAGES = ("core", "tasks", "tools", "agent", "slack_app", "api", "evals", "prompts")
# Packages whose failures are agent failures, grouped by tool or code location.
_AGENT_PACKAGES = ("agent", "tools")
_TOOL_PACKAGE = "tools"

# Keys whose values are a person's words (or derived from them, like a task's title). They are
# removed from extra data, contexts and breadcrumb data unless message logging is on.
TEXT_KEYS = frozenset(
    {
        "text",
        "message_text",
        "title",
        "description",
        "prompt",
        "user_prompt",
        "reply",
        "content",
        "body",
    }
)
# Headers and query parameters that carry a credential: their values are replaced whole.
_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "x-slack-signature",
        "x-slack-request-timestamp",
    }
)
_SECRET_PARAMS = frozenset(
    {"code", "state", "token", "key", "api_key", "secret", "password", "signature"}
)
_SECRET_KEY_PARTS = ("password", "secret", "token", "authorization", "api_key", "apikey", "cookie")
# Contexts Sentry itself fills with facts about the runtime, not about people.
_SDK_CONTEXTS = frozenset({"trace", "runtime", "os", "device", "app"})
# Pydantic quotes the input it rejected: `[type=int_type, input_value='...', input_type=str]`.
_INPUT_VALUE = re.compile(r"(input_value=).*?(?=, input_type=)", re.DOTALL)
_QUERY_PAIR = re.compile(r"([^&=]+)=([^&]*)")


class ErrorEventHandler(EventHandler):
    """Turns each log record at ERROR or above into a Sentry event, exception included.

    It sits first on the root logger, ahead of the log handler whose redaction filter renders
    the traceback to text and drops `exc_info`: Sentry's own logging hook runs after every
    handler and would see the exception no more. Scrubbing is `before_send`'s job.
    """


def init_error_tracking(settings: Settings) -> bool:
    """Send errors to Sentry when `SENTRY_DSN` is set; returns whether it is on. Without a DSN
    nothing is set up (and a client set up before is shut down). Safe to call again."""
    shutdown_error_tracking()
    if not settings.sentry_dsn:
        return False
    remember_settings_secrets(settings)
    # The web and database integrations import their libraries, which a CLI command that
    # never serves a request should not pay for unless errors are tracked.
    from sentry_sdk.integrations.fastapi import FastApiIntegration
    from sentry_sdk.integrations.httpx import HttpxIntegration
    from sentry_sdk.integrations.sqlalchemy import SqlalchemyIntegration
    from sentry_sdk.integrations.starlette import StarletteIntegration

    message_text = settings.log_message_text
    integrations: list[Integration] = [
        # Breadcrumbs from INFO; events come from `ErrorEventHandler` instead (see there).
        LoggingIntegration(level=logging.INFO, event_level=None),
        StarletteIntegration(),
        FastApiIntegration(),
        HttpxIntegration(),
        SqlalchemyIntegration(),
    ]
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.environment,
        release=settings.running_release(),
        # `send_default_pii` stays unset, which means off: 2.75 deprecates passing it, and
        # the SDK's own scrubber (kept on that way) removes cookies and credential headers.
        include_local_variables=False,
        max_request_body_size="medium" if message_text else "never",
        traces_sample_rate=settings.sentry_traces_sample_rate,
        in_app_include=list(APP_PACKAGES),
        # The AI integrations (pydantic-ai, LiteLLM, OpenAI) would report every tool error and
        # every provider failure the fallback chain absorbs, besides the turn's own report: the
        # integrations we want are listed above instead.
        auto_enabling_integrations=False,
        integrations=integrations,
        before_send=functools.partial(before_send, log_message_text=message_text),
        before_send_transaction=functools.partial(
            before_send_transaction, log_message_text=message_text
        ),
        before_breadcrumb=functools.partial(before_breadcrumb, log_message_text=message_text),
    )
    root = logging.getLogger()
    root.handlers.insert(0, ErrorEventHandler(level=logging.ERROR))
    return True


def shutdown_error_tracking(*, timeout: float = 2.0) -> None:
    """Send what is queued (waiting up to `timeout` seconds) and turn error tracking off."""
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not isinstance(h, ErrorEventHandler)]
    client = sentry_sdk.get_client()
    if client.is_active():
        client.close(timeout=timeout)
    sentry_sdk.get_global_scope().set_client(None)


def before_send(event: Event, hint: Hint, *, log_message_text: bool = False) -> Event | None:
    """The event with secrets, people's words and personal data removed, ids added as tags, and
    a fingerprint for agent and tool failures."""
    del hint
    data = cast("dict[str, Any]", event)
    _scrub_event(data, message_text=log_message_text)
    _tag_ids(data)
    fingerprint, tool = _agent_fingerprint(data)
    if fingerprint is not None:
        data["fingerprint"] = fingerprint
        if tool is not None:
            data["tags"]["tool"] = tool
    return event


def before_send_transaction(
    event: Event, hint: Hint, *, log_message_text: bool = False
) -> Event | None:
    """A performance event scrubbed like an error event (spans included)."""
    del hint
    data = cast("dict[str, Any]", event)
    _scrub_event(data, message_text=log_message_text)
    if isinstance(data.get("spans"), list):
        data["spans"] = _scrub_tree(data["spans"], message_text=log_message_text)
    _tag_ids(data)
    return event


def before_breadcrumb(
    crumb: Breadcrumb, hint: BreadcrumbHint, *, log_message_text: bool = False
) -> Breadcrumb | None:
    """The breadcrumb with secrets (and, by default, people's words) removed."""
    del hint
    _scrub_breadcrumb(crumb, message_text=log_message_text)
    return crumb


def _scrub_text(text: str, *, message_text: bool) -> str:
    text = redact(text)
    if not message_text:
        text = _INPUT_VALUE.sub(lambda match: match.group(1) + REMOVED, text)
    return text


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in _SECRET_KEY_PARTS)


def _scrub_tree(value: object, *, message_text: bool, drop_text_keys: bool = True) -> Any:
    """A copy of a JSON-like value: strings redacted, credential-named keys replaced whole and,
    unless message text is allowed, the values of `TEXT_KEYS` removed."""
    if isinstance(value, str):
        return _scrub_text(value, message_text=message_text)
    if isinstance(value, Mapping):
        cleaned: dict[Any, Any] = {}
        for key, item in cast("Mapping[object, object]", value).items():
            name = str(key)
            if _is_secret_key(name) and item is not None:
                cleaned[key] = REDACTED
            elif drop_text_keys and not message_text and name in TEXT_KEYS and item is not None:
                cleaned[key] = REMOVED
            else:
                cleaned[key] = _scrub_tree(
                    item, message_text=message_text, drop_text_keys=drop_text_keys
                )
        return cleaned
    if isinstance(value, list | tuple):
        return [
            _scrub_tree(item, message_text=message_text, drop_text_keys=drop_text_keys)
            for item in cast("Sequence[object]", value)
        ]
    return value


def _scrub_event(data: dict[str, Any], *, message_text: bool) -> None:
    for key in ("message", "transaction", "culprit", "server_name"):
        if isinstance(data.get(key), str):
            data[key] = _scrub_text(data[key], message_text=message_text)
    if isinstance(data.get("logentry"), dict):
        data["logentry"] = _scrub_tree(
            data["logentry"], message_text=message_text, drop_text_keys=False
        )
    _scrub_exceptions(data, message_text=message_text)
    _scrub_request(data, message_text=message_text)
    extra = data.get("extra")
    if isinstance(extra, dict):
        extra = cast("dict[str, Any]", extra)
        if not message_text and "sys.argv" in extra:
            # The command line may hold a message (`taskpilot chat --once TEXT`).
            extra["sys.argv"] = REMOVED
        data["extra"] = _scrub_tree(extra, message_text=message_text)
    contexts = data.get("contexts")
    if isinstance(contexts, dict):
        data["contexts"] = {
            name: _scrub_tree(
                context, message_text=message_text, drop_text_keys=name not in _SDK_CONTEXTS
            )
            for name, context in cast("dict[str, Any]", contexts).items()
        }
    if isinstance(data.get("tags"), dict):
        data["tags"] = _scrub_tree(data["tags"], message_text=message_text)
    for crumb in _values_of(data.get("breadcrumbs")):
        _scrub_breadcrumb(crumb, message_text=message_text)
    _keep_user_id(data)


def _frames_of(container: object) -> list[dict[str, Any]]:
    if not isinstance(container, dict):
        return []
    stacktrace = cast("dict[str, Any]", container).get("stacktrace")
    if not isinstance(stacktrace, dict):
        return []
    frames = cast("dict[str, Any]", stacktrace).get("frames")
    if not isinstance(frames, list):
        return []
    return [cast("dict[str, Any]", f) for f in cast("list[object]", frames) if isinstance(f, dict)]


def _values_of(container: object) -> list[dict[str, Any]]:
    """The entries of an event's `{"values": [...]}` part (or of a bare list)."""
    values: object = container
    if isinstance(container, dict):
        values = cast("dict[str, Any]", container).get("values")
    if not isinstance(values, list):
        return []
    return [cast("dict[str, Any]", v) for v in cast("list[object]", values) if isinstance(v, dict)]


def _exception_values(data: dict[str, Any]) -> list[dict[str, Any]]:
    return _values_of(data.get("exception"))


def _thread_values(data: dict[str, Any]) -> list[dict[str, Any]]:
    return _values_of(data.get("threads"))


def _scrub_exceptions(data: dict[str, Any], *, message_text: bool) -> None:
    for value in [*_exception_values(data), *_thread_values(data)]:
        if isinstance(value.get("value"), str):
            value["value"] = _scrub_text(value["value"], message_text=message_text)
        for frame in _frames_of(value):
            # Local variables may hold anything, a person's message and a token included.
            frame.pop("vars", None)
            for key in ("pre_context", "context_line", "post_context"):
                if key in frame:
                    frame[key] = _scrub_tree(frame[key], message_text=True)


def _scrub_query(query: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.lower() in _SECRET_PARAMS or _is_secret_key(name):
            return f"{name}={REDACTED}"
        return f"{name}={redact(match.group(2))}"

    return _QUERY_PAIR.sub(replace, query)


def _scrub_request(data: dict[str, Any], *, message_text: bool) -> None:
    request = data.get("request")
    if not isinstance(request, dict):
        return
    request = cast("dict[str, Any]", request)
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {
            name: REDACTED
            if str(name).lower() in _SECRET_HEADERS or _is_secret_key(str(name))
            else _scrub_text(str(value), message_text=True)
            for name, value in cast("dict[str, Any]", headers).items()
        }
    # Cookies are sessions; the client's address is personal data.
    request.pop("cookies", None)
    request.pop("env", None)
    query = request.get("query_string")
    if isinstance(query, str):
        request["query_string"] = _scrub_query(query)
    if isinstance(request.get("url"), str):
        request["url"] = _scrub_text(request["url"], message_text=True)
    if "data" in request and request["data"] is not None:
        # A body is a person's words (a Slack event, an agent turn, a task's title).
        request["data"] = (
            _scrub_tree(request["data"], message_text=True, drop_text_keys=False)
            if message_text
            else REMOVED
        )


def _scrub_breadcrumb(crumb: dict[str, Any], *, message_text: bool) -> None:
    if isinstance(crumb.get("message"), str):
        crumb["message"] = _scrub_text(crumb["message"], message_text=message_text)
    if "data" in crumb:
        crumb["data"] = _scrub_tree(crumb["data"], message_text=message_text)


def _keep_user_id(data: dict[str, Any]) -> None:
    """The user as an id only: no name, e-mail, address or anything else set on the scope."""
    user = data.get("user")
    user_id = cast("dict[str, Any]", user).get("id") if isinstance(user, dict) else None
    user_id = user_id or current_ids().get("user_id")
    if user_id:
        data["user"] = {"id": str(user_id)}
    else:
        data.pop("user", None)


def _tag_ids(data: dict[str, Any]) -> None:
    tags = data.get("tags")
    if not isinstance(tags, dict):
        tags = {}
        data["tags"] = tags
    tags = cast("dict[str, Any]", tags)
    for name, value in current_ids().items():
        if name != SPAN_ID:
            tags.setdefault(name, value)


def _package(module: object) -> str:
    return str(module or "").split(".", 1)[0]


def _agent_fingerprint(data: dict[str, Any]) -> tuple[list[str] | None, str | None]:
    """(fingerprint, tool) for an agent or tool failure; (None, None) for anything else.

    The fingerprint is the exception's type and the tool that raised it (the outermost frame
    in `tools/`) or, outside a tool, the innermost frame of our own code. The exception's text,
    which may quote what a person wrote, plays no part.
    """
    values = _exception_values(data)
    if not values:
        return None, None
    raised = values[-1]
    exc_type = ".".join(
        part for part in (str(raised.get("module") or ""), str(raised.get("type") or "")) if part
    )
    frames = [frame for value in values for frame in _frames_of(value)]
    packages = [_package(frame.get("module")) for frame in frames]
    logger_package = _package(data.get("logger"))
    if logger_package not in _AGENT_PACKAGES and not any(
        package in _AGENT_PACKAGES for package in packages
    ):
        return None, None
    # The raised exception's frames first, then its causes'; a tool is a public function.
    ordered = [*_frames_of(raised), *frames]
    tool = next(
        (
            str(frame["function"])
            for frame in ordered
            if _package(frame.get("module")) == _TOOL_PACKAGE
            and not str(frame.get("function") or "_").startswith("_")
        ),
        None,
    )
    if tool is not None:
        return ["agent-failure", exc_type, f"tool:{tool}"], tool
    ours = [
        frame for frame, package in zip(frames, packages, strict=True) if package in APP_PACKAGES
    ]
    location = (
        f"{ours[-1].get('module')}.{ours[-1].get('function')}"
        if ours
        else str(data.get("logger") or "unknown")
    )
    return ["agent-failure", exc_type, location], None
