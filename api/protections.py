"""HTTP protections around every route: CORS, security headers, a body size limit and
trusted hosts.

`install_protections(app, settings)` adds them in `create_app`, before the app starts. From the
outside in, a request meets:

1. security headers, added to every response (errors included);
2. `TrustedHostMiddleware` (`TASKPILOT_TRUSTED_HOSTS`): another Host header is a 400;
3. CORS (`TASKPILOT_CORS_ORIGINS`): explicit origins only, without credentials (API keys are
   bearer tokens, not cookies); no CORS at all when no origin is configured;
4. the body size limit (`TASKPILOT_MAX_BODY_BYTES`): a 413 problem when `Content-Length` is
   larger, or when a chunked body grows past it.

Proxy headers are not handled here but by uvicorn: `taskpilot serve` passes
`proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips`, so that
`X-Forwarded-For` and `X-Forwarded-Proto` are believed only from the load balancer's
addresses; the request's scheme (for HSTS) and client address (for logs) then come from them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_MEDIA_TYPE, problem_type
from core.settings import Settings

# Headers every response carries unless the route set its own.
SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# API responses are data, never a page to render: nothing may load, nothing may frame them.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The interactive documentation is a page: it loads its scripts and styles from a CDN.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; worker-src blob:; connect-src 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"

CORS_METHODS = ["GET", "POST", "PATCH", "DELETE"]
CORS_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"]
CORS_EXPOSED = [
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    "Retry-After",
    "Location",
    "X-Request-ID",
]


def _encoded(headers: dict[str, str]) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((name.lower().encode(), value.encode()) for name, value in headers.items())


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response; HSTS only when the request came over
    https (as uvicorn's proxy headers report it)."""

    def __init__(self, app: ASGIApp, *, docs_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.docs_paths = docs_paths
        # Encoded once: (documentation page?, https?) -> the headers to add.
        self._headers: dict[tuple[bool, bool], tuple[tuple[bytes, bytes], ...]] = {}
        for docs in (False, True):
            for https in (False, True):
                added = dict(SECURITY_HEADERS)
                added["Content-Security-Policy"] = DOCS_CSP if docs else API_CSP
                if https:
                    added["Strict-Transport-Security"] = HSTS
                self._headers[docs, https] = _encoded(added)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = self._headers[scope.get("path") in self.docs_paths, scope.get("scheme") == "https"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {name.lower() for name, _ in raw}
                raw.extend(header for header in added if header[0] not in present)
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _BodyTooLarge(Exception):
    """The request body grew past the limit while the app was reading it."""


class BodySizeLimitMiddleware:
    """Refuses request bodies larger than `max_bytes` with a 413 problem: at once when the
    `Content-Length` says so, and as soon as a chunked (or lying) body grows past it, whatever
    the app was doing with it."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _problem(self, scope: Scope) -> tuple[Message, Message]:
        body = json.dumps(
            {
                "type": problem_type("content-too-large"),
                "title": "Content too large",
                "status": 413,
                "detail": f"The request body is larger than the {self.max_bytes} bytes "
                "this server accepts.",
                "instance": scope.get("path"),
            }
        ).encode()
        start: Message = {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
        return start, {"type": "http.response.body", "body": body, "more_body": False}

    async def _refuse(self, scope: Scope, send: Send) -> None:
        for message in self._problem(scope):
            await send(message)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked = _declared_body(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, send)
            return
        if declared is None and not chunked and scope.get("http_version") in ("1.0", "1.1"):
            # An HTTP/1 request without Content-Length or Transfer-Encoding has no body
            # (RFC 9112, 6.3), such as almost every GET: nothing to count.
            await self.app(scope, receive, send)
            return
        body = _CountedBody(
            receive, send, max_bytes=self.max_bytes, refuse=lambda: self._refuse(scope, send)
        )
        try:
            await self.app(scope, body.receive, body.send)
        except _BodyTooLarge:
            pass
        except Exception:
            if not body.too_large:
                raise
        if body.too_large and not body.started:
            await self._refuse(scope, send)


def _declared_body(scope: Scope) -> tuple[int | None, bool]:
    """The request's Content-Length (-1 when it is not a number; None when absent) and whether
    it is sent chunked."""
    declared: int | None = None
    chunked = False
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                declared = -1
        elif name == b"transfer-encoding":
            chunked = True
    return declared, chunked


class _CountedBody:
    """The app's receive and send, counting the body as it arrives: past `max_bytes` the app's
    next read fails and whatever it answers is replaced by the 413."""

    def __init__(
        self,
        receive: Receive,
        send: Send,
        *,
        max_bytes: int,
        refuse: Callable[[], Awaitable[None]],
    ) -> None:
        self._receive = receive
        self._send = send
        self._max_bytes = max_bytes
        self._refuse = refuse
        self.received = 0
        self.too_large = False
        self.started = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self._max_bytes:
                self.too_large = True
                raise _BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.too_large:
            # Whatever the app answers to a body cut short is replaced by the 413.
            if message["type"] == "http.response.start" and not self.started:
                self.started = True
                await self._refuse()
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


def _origin(value: str) -> str:
    """An origin as browsers send it (`https://app.example.com`), or a ValueError."""
    origin = value.rstrip("/")
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
        raise ValueError(
            f"TASKPILOT_CORS_ORIGINS: {value!r} is not an origin; "
            "write it as https://app.example.com (scheme, host and port only)."
        )
    return origin


def cors_origins(settings: Settings) -> list[str]:
    """The explicit origins CORS allows; a `*` is refused, since the API is not public to every
    web page."""
    origins = settings.cors_origin_list
    if "*" in origins:
        raise ValueError(
            "TASKPILOT_CORS_ORIGINS: `*` is not allowed; list the origins that may call the API."
        )
    return [_origin(origin) for origin in origins]


def install_protections(app: FastAPI, settings: Settings) -> None:
    """Add CORS, security headers, the body size limit and trusted hosts to `app`.

    Call it in `create_app` after the app's other middleware, so that these run outermost.
    """
    # Starlette runs the middleware added last first: add from the inside out.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    origins = cors_origins(settings)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_credentials=False,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            expose_headers=CORS_EXPOSED,
            max_age=600,
        )
    hosts = settings.trusted_host_list
    if hosts != ["*"]:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts, www_redirect=False)
    docs = frozenset(
        path
        for path in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
        if path is not None
    )
    app.add_middleware(SecurityHeadersMiddleware, docs_paths=docs)
