"""Rate limits on the HTTP API: 429 problems, `RateLimit-*` headers and FastAPI dependencies.

The limiter itself (`RateLimiter`, memory or Redis) lives in `core.rate_limiter` so that the
Slack app shares it without importing FastAPI; it is re-exported here.

Wiring, in `create_app`:

    install_rate_limiting(app, limiter)           # app.state, headers middleware, 429 handler

`api.auth.authenticate` counts every authenticated request against its key
(`count_key_request`) and every failed authentication against the caller's address
(`count_failed_authentication`); on routes:

    @router.get(..., dependencies=[Depends(limit_by_key("exports"))])   # a bucket of its own
    @router.post("/agent/turns", dependencies=[Depends(limit_agent_turns())])

Every limited response carries `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and
`RateLimit-Policy` (the IETF httpapi draft's names; Reset is in seconds); a refusal is a 429
`application/problem+json` that adds `Retry-After`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response
from core.rate_limiter import (
    AGENT_TEAM_BUCKET,
    AGENT_USER_BUCKET,
    Decision,
    RateLimiter,
    count_rejection,
    hit_api_agent_turn,
)

logger = logging.getLogger(__name__)

__all__ = [
    "AGENT_TEAM_BUCKET",
    "AGENT_USER_BUCKET",
    "Decision",
    "RateLimitExceeded",
    "RateLimitHeadersMiddleware",
    "RateLimiter",
    "check_agent_turn",
    "install_rate_limiting",
    "limit_agent_turns",
    "limit_by_key",
    "rate_limit_headers",
]

# Where the decision of the request is kept (in `request.state`) for the headers middleware.
STATE_KEY = "rate_limit"


def rate_limit_headers(decision: Decision) -> dict[str, str]:
    """The `RateLimit-*` headers of a decision, and `Retry-After` when it is a refusal."""
    headers = {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(decision.remaining),
        "RateLimit-Reset": str(decision.reset_after),
        "RateLimit-Policy": decision.policy,
    }
    if decision.retry_after is not None:
        headers["Retry-After"] = str(decision.retry_after)
    return headers


class RateLimitExceeded(HTTPException):
    """Raised by the dependencies when a budget is spent; rendered as a 429 problem."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        super().__init__(
            status_code=429,
            detail=(
                f"Too many requests: the limit is {decision.limit} per {decision.window} "
                f"seconds. Try again in {decision.retry_after} seconds."
            ),
            headers=rate_limit_headers(decision),
        )


async def _rate_limited_handler(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RateLimitExceeded)
    return problem_response(
        status=429,
        request=request,
        detail=str(error.detail),
        slug="rate-limited",
        headers=rate_limit_headers(error.decision),
    )


class RateLimitHeadersMiddleware:
    """Adds the `RateLimit-*` headers of the request's decision to its response (an ASGI
    middleware, so that routes returning a `Response` of their own get them too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                state: dict[str, Any] = scope.get("state") or {}
                decision = state.get(STATE_KEY)
                if isinstance(decision, Decision):
                    raw: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                    present = {name.lower() for name, _ in raw}
                    for name, value in rate_limit_headers(decision).items():
                        if name.lower().encode() not in present:
                            raw.append((name.lower().encode(), value.encode()))
                    message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_rate_limiting(app: FastAPI, limiter: RateLimiter) -> None:
    """Give `app` the limiter its dependencies use, the headers middleware and the 429 handler.

    Call it in `create_app`, before the app starts (middleware cannot be added later).
    """
    app.state.rate_limiter = limiter
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_exception_handler(RateLimitExceeded, _rate_limited_handler)


def _limiter(request: Request) -> RateLimiter:
    limiter = getattr(request.app.state, "rate_limiter", None)
    if not isinstance(limiter, RateLimiter):
        raise RuntimeError("install_rate_limiting(app, limiter) was not called for this app.")
    return limiter


def _tighter(current: Decision | None, new: Decision) -> Decision:
    if current is None or new.remaining < current.remaining:
        return new
    return current


def _record(request: Request, decision: Decision) -> None:
    """Keep the tightest decision of the request for its headers; raise when it is a refusal."""
    previous = getattr(request.state, STATE_KEY, None)
    kept = _tighter(previous if isinstance(previous, Decision) else None, decision)
    setattr(request.state, STATE_KEY, kept)
    if not decision.allowed:
        count_rejection(decision, surface="api")
        raise RateLimitExceeded(decision)


def _principal_attr(request: Request, *names: str) -> str | None:
    principal = getattr(request.state, "principal", None)
    for name in names:
        value = getattr(principal, name, None)
        if isinstance(value, str) and value:
            return value
    return None


def key_identity(request: Request) -> str:
    """Who a request counts against: the API key once authenticated (by its prefix, however the
    key was presented), else the client's address (as the trusted-proxy setting resolves it).
    Never the raw header: a changed header would be a fresh budget."""
    prefix = _principal_attr(request, "key_prefix", "prefix")
    if prefix:
        return f"key:{prefix}"
    return f"ip:{client_address(request)}"


def client_address(request: Request) -> str:
    """The caller's address; behind a trusted proxy, the one it forwarded."""
    return request.client.host if request.client else "unknown"


# Failed authentications count here, by address, so that guessing keys is limited too.
AUTH_FAILED_BUCKET = "auth_failed"


async def _hit(
    request: Request, limiter: RateLimiter, *, bucket: str, identity: str, limit: str | None
) -> Decision:
    """Count one request of `identity` in `bucket` (by default against
    `TASKPILOT_RATE_LIMIT_KEY`); a spent budget is a 429."""
    decision = await limiter.hit(bucket=bucket, identity=identity, limit=limit or limiter.key_limit)
    _record(request, decision)
    return decision


async def _count(request: Request, *, bucket: str, identity: str, limit: str | None) -> None:
    """`_hit`, in an app that may have no limiter (then nothing is counted)."""
    limiter = getattr(request.app.state, "rate_limiter", None)
    if isinstance(limiter, RateLimiter):
        await _hit(request, limiter, bucket=bucket, identity=identity, limit=limit)


async def count_key_request(request: Request) -> None:
    """Count an authenticated request against its key's budget."""
    await _count(request, bucket="api", identity=key_identity(request), limit=None)


async def count_failed_authentication(request: Request) -> None:
    """Count a failed authentication against the caller's address; once the address has spent
    its budget, the answer is a 429 instead of another 401."""
    identity = f"ip:{client_address(request)}"
    await _count(request, bucket=AUTH_FAILED_BUCKET, identity=identity, limit=None)


def limit_by_key(
    bucket: str = "api", *, limit: str | None = None
) -> Callable[[Request], Awaitable[Decision]]:
    """A dependency counting the request against its API key's budget in `bucket` (by default
    `TASKPILOT_RATE_LIMIT_KEY`); a spent budget is a 429. Put it after the authentication
    dependency, so that the key's prefix is known."""

    async def dependency(request: Request) -> Decision:
        return await _hit(
            request, _limiter(request), bucket=bucket, identity=key_identity(request), limit=limit
        )

    return dependency


async def check_agent_turn(
    request: Request, *, team_id: str, key_id: int, user_id: str
) -> Decision:
    """Count one agent turn of key `key_id` as `user_id` in `team_id` against the budgets of
    API turns (the person's, the key's and the team's, apart from Slack's); a spent budget is
    a 429."""
    decision = await hit_api_agent_turn(
        _limiter(request), team_id=team_id, key_id=key_id, user_id=user_id
    )
    _record(request, decision)
    return decision


def limit_agent_turns(
    *, user_field: str = "user"
) -> Callable[[Request], Awaitable[Decision | None]]:
    """A dependency for an agent-turn route: the key (`request.state.principal`), its team
    and the user stated in the JSON body's `user_field` each have a budget.

    It reads the body FastAPI has already read (Starlette caches it). Without a principal it
    does nothing; the route must then call `check_agent_turn` itself.
    """

    async def dependency(request: Request) -> Decision | None:
        team_id = _principal_attr(request, "team_id", "team")
        key_id = getattr(getattr(request.state, "principal", None), "key_id", None)
        if team_id is None or not isinstance(key_id, int):
            # Authentication has not run yet (or failed): nothing to count the turn against.
            logger.warning("limit_agent_turns ran before authentication; the turn is not counted")
            return None
        user_id = "-"
        try:
            body: object = await request.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            stated = body.get(user_field)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            if isinstance(stated, str) and stated:
                user_id = stated
        return await check_agent_turn(request, team_id=team_id, key_id=key_id, user_id=user_id)

    return dependency
