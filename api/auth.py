"""Who is calling the REST API: the API key behind a request, its team and scopes.

A key comes as `Authorization: Bearer tp_...` or `X-API-Key: tp_...`. A missing or bad key is a
401 with `WWW-Authenticate`; a key without the scope an operation needs is a 403. The request id
is the caller's `X-Request-ID` when it is sane, else a new one; `RequestIdMiddleware` echoes it.

`ApiContext` holds what the routes share (database sessions, the agent, the cache of
authenticated keys); the app builds it in its lifespan, and tests pass their own. A key that
authenticated is believed for a few seconds without asking the database again (`api.key_cache`
says how revocations still take effect: at once in this process, within `KEY_CACHE_SECONDS`
from another one).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from threading import Lock
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.assembly import AgentRuntime, build_runtime
from agent.loop import AgentLoop
from api.key_cache import KeyCache
from api.rate_limit_http import count_failed_authentication, count_key_request
from core.context import bound
from core.settings import Settings
from core.spans import set_attributes
from tasks.api_keys import KEY_MAX_CHARS, ApiKeyService, InvalidApiKey, hash_key, key_changes

# A caller's X-Request-ID is kept when it is a plain id. A colon is refused so that no id can
# look like a Slack delivery key (`T0AAA:Ev…`), whatever a layer below makes of one.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_CHALLENGE = 'Bearer realm="taskpilot"'


@dataclass(frozen=True)
class Principal:
    """An authenticated API key: its team, row id, visible prefix, scopes, and the member it
    speaks as in agent turns when it is bound to one."""

    team_id: str
    key_id: int
    prefix: str
    scopes: frozenset[str]
    member_id: str | None = None

    @property
    def actor_id(self) -> str:
        """The actor audit events name for this key."""
        return f"apikey:{self.prefix}"


@dataclass(kw_only=True)
class ApiContext:
    """The parts every REST request shares; the agent runtime is built on the first turn."""

    settings: Settings
    session_factory: Callable[[], Session]
    agent_loop: AgentLoop = field(default_factory=AgentLoop)
    runtime: AgentRuntime | None = None
    # How long a request waits for a concurrent one with the same Idempotency-Key to finish.
    idempotency_wait_seconds: float = 2.0
    # Keys that authenticated lately, by hash (`KeyCache(ttl=0)` asks the database every time).
    key_cache: KeyCache[Principal] = field(default_factory=lambda: KeyCache[Principal]())
    _lock: Lock = field(default_factory=Lock, repr=False)

    def agent_runtime(self) -> AgentRuntime:
        """The agent, built once."""
        with self._lock:
            if self.runtime is None:
                self.runtime = build_runtime(settings=self.settings)
            return self.runtime


async def context_of(request: Request) -> ApiContext:
    """The app's `ApiContext`; 503 while the server is starting or stopping.

    A coroutine, so that FastAPI calls it on the event loop: a plain function dependency would
    cost every request a trip to a worker thread and back."""
    context = getattr(request.app.state, "api", None)
    if not isinstance(context, ApiContext):
        raise HTTPException(status_code=503, detail="The API is not ready yet; try again.")
    return context


def request_id_of(request: Request) -> str:
    """This request's id (set by `RequestIdMiddleware`, else made now)."""
    value = getattr(request.state, "request_id", None)
    if isinstance(value, str):
        return value
    value = uuid.uuid4().hex
    request.state.request_id = value
    return value


class RequestIdMiddleware:
    """Give every request an id (the caller's sane `X-Request-ID` or a new one) and echo it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                given = value.decode("latin-1").strip()
                break
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        # Log lines, spans, metrics' exemplars and error reports of this request carry its
        # id; nothing bound for an earlier request on the same connection carries over.
        with bound(request_id=request_id, fresh=True):
            set_attributes(request_id=request_id)
            await self.app(scope, receive, send_with_id)


_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer tp_...`")
_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="`X-API-Key: tp_...`"
)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": _CHALLENGE})


def _look_up(
    context: ApiContext, key: str, *, ip: str | None, request_id: str
) -> tuple[Principal, datetime | None]:
    """The principal of `key` from the database (recording its use) and when the key stops
    working (None: not by itself); 401 when it may not be used."""
    with context.session_factory() as session, session.begin():
        service = ApiKeyService(session, actor_id="api", source="api", request_id=request_id)
        try:
            row = service.authenticate(key, ip=ip)
        except InvalidApiKey as error:
            raise _unauthorized(error.message) from None
        assert row.id is not None
        principal = Principal(
            team_id=row.team_id,
            key_id=row.id,
            prefix=row.prefix,
            scopes=frozenset(row.scopes),
            member_id=row.member_id,
        )
        ends = [moment for moment in (row.expires_at, row.grace_until) if moment is not None]
        return principal, min(ends) if ends else None


async def authenticate(
    security_scopes: SecurityScopes,
    request: Request,
    context: Annotated[ApiContext, Depends(context_of)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Principal:
    """The key behind the request, which must have every scope the operation declares.

    A key that authenticated from the same address a moment ago is taken from the context's
    cache without a database round trip or a thread; otherwise the database is asked in a
    worker thread (it may write `last_used_at` and an audit event).
    """
    presented = bearer.credentials if bearer is not None else api_key
    if not presented:
        await count_failed_authentication(request)
        raise _unauthorized(
            "Send an API key as `Authorization: Bearer tp_...` or `X-API-Key: tp_...`."
        )
    try:
        principal = await _principal(request, context, presented.strip())
    except HTTPException as error:
        if error.status_code == 401:
            await count_failed_authentication(request)
        raise
    missing = [scope for scope in security_scopes.scopes if scope not in principal.scopes]
    if missing:
        raise HTTPException(
            status_code=403,
            detail=f"This API key lacks the scope {', '.join(missing)} this operation needs.",
        )
    request.state.principal = principal
    set_attributes(team_id=principal.team_id, api_key_prefix=principal.prefix)
    # Counted by the key itself, once it is known: presenting it another way (another header,
    # another case of "Bearer") spends the same budget.
    await count_key_request(request)
    return principal


async def _principal(request: Request, context: ApiContext, key: str) -> Principal:
    """The principal of `key`, from the cache or the database; 401 when it is no valid key."""
    client = request.client.host if request.client is not None else None
    # Overlong input is refused by `authenticate` before it is hashed; it is never cached.
    key_hash = hash_key(key) if len(key) <= KEY_MAX_CHARS else None
    principal = context.key_cache.get(key_hash, ip=client) if key_hash is not None else None
    if principal is None:
        generation = key_changes()
        principal, valid_until = await run_in_threadpool(
            _look_up, context, key, ip=client, request_id=request_id_of(request)
        )
        if key_hash is not None:
            context.key_cache.put(
                key_hash, principal, ip=client, generation=generation, valid_until=valid_until
            )
    return principal
