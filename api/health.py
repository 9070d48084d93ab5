"""Health checks: `GET /healthz` (the process is up) and `GET /readyz` (it can serve).

/readyz answers 200 `{"status": "ready", "checks": {...}}` when the database answers
`SELECT 1`, its migrations are at the head this code knows, and Redis answers PING when
`REDIS_URL` is set; else 503 `{"status": "not_ready", "checks": {...}, "failing": [...]}`.
Each check is `ok`, `skipped` (Redis without `REDIS_URL`) or a short reason with no URL,
password or message text in it. A load balancer or Kubernetes probes it often, so it stays
cheap: a whole answer is reused for `READY_CACHE_SECONDS`, the migration check's result for
`MIGRATIONS_CACHE_SECONDS`, and every check has a time bound. Neither route is rate-limited.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text

from core.db import current_revision, head_revision, is_newer_schema
from core.settings import Settings

# How long a migration check's result is reused.
MIGRATIONS_CACHE_SECONDS = 10.0
# How long a whole answer is reused: probes from every load balancer and kubelet, however many
# a second, cost the database at most one query in this time.
READY_CACHE_SECONDS = 2.0
# Time bounds of the checks, in seconds.
DATABASE_TIMEOUT = 2.0
REDIS_TIMEOUT = 1.0

OK = "ok"
SKIPPED = "skipped"


def _database_check(context: Any) -> tuple[str, Engine | None]:
    """`SELECT 1` through the API's sessions; the engine behind them, for the migration check."""
    with context.session_factory() as session:
        session.execute(text("SELECT 1"))
        bind = session.get_bind()
    return OK, bind if isinstance(bind, Engine) else None


def _migrations_check(engine: Engine, *, allow_newer: bool) -> str:
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return OK
    if current is None:
        return "not migrated: run `taskpilot db upgrade`"
    if is_newer_schema(current):
        # A newer version's migration ran (a rolling deployment); this replica may serve on
        # only when the operator said the migrations are backward compatible.
        return OK if allow_newer else f"at migration {current}, newer than this version's"
    return f"at migration {current}, this version needs {head}"


async def _redis_check(url: str) -> str:
    import redis.asyncio as redis

    client = redis.Redis.from_url(  # pyright: ignore[reportUnknownMemberType] (redis-py leaves **kwargs untyped)
        url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
    )
    try:
        await asyncio.wait_for(client.ping(), timeout=REDIS_TIMEOUT * 2)  # pyright: ignore[reportUnknownMemberType]
    finally:
        await client.aclose()
    return OK


def _reason(error: BaseException) -> str:
    # The kind of failure only: an error's text may carry the URL and its password.
    if isinstance(error, TimeoutError):
        return "unreachable: timed out"
    return f"unreachable: {type(error).__name__}"


def install_health(app: FastAPI, settings: Settings) -> None:
    """Add `/healthz` and `/readyz` to `app`; `settings` name Redis when the lifespan has not
    put an API context (with its own settings) on `app.state.api`."""
    # The latest migration check: when it ran (monotonic seconds) and its result.
    cached: dict[str, tuple[float, str]] = {}
    # The latest answer: when it was made and its checks.
    answered: dict[str, tuple[float, dict[str, str]]] = {}

    @app.get("/healthz", tags=["health"], operation_id="healthz")
    async def healthz() -> dict[str, str]:  # pyright: ignore[reportUnusedFunction]
        """The process is up."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        operation_id="readyz",
        responses={503: {"description": "A check failed; `failing` names it."}},
    )
    async def readyz(request: Request) -> JSONResponse:  # pyright: ignore[reportUnusedFunction]
        """The server can take traffic: database reachable, migrations current, Redis
        reachable when configured."""
        checks: dict[str, str] = {}
        context: Any = getattr(request.app.state, "api", None)
        if context is None:
            checks["database"] = "starting"
            return _answer(checks)
        last = answered.get("ready")
        if last is not None and time.monotonic() - last[0] < READY_CACHE_SECONDS:
            return _answer(dict(last[1]))
        engine: Engine | None = None
        try:
            checks["database"], engine = await asyncio.wait_for(
                asyncio.to_thread(_database_check, context), timeout=DATABASE_TIMEOUT
            )
        except Exception as error:
            checks["database"] = _reason(error)
        if engine is None:
            checks["migrations"] = "unknown: database unreachable"
        else:
            seen = cached.get("migrations")
            if seen is not None and time.monotonic() - seen[0] < MIGRATIONS_CACHE_SECONDS:
                checks["migrations"] = seen[1]
            else:
                try:
                    result = await asyncio.wait_for(
                        asyncio.to_thread(
                            _migrations_check, engine, allow_newer=settings.allow_newer_schema
                        ),
                        timeout=DATABASE_TIMEOUT,
                    )
                    cached["migrations"] = (time.monotonic(), result)
                except Exception as error:
                    result = _reason(error)
                checks["migrations"] = result
        own: Settings = getattr(context, "settings", None) or settings
        if own.redis_url:
            try:
                checks["redis"] = await _redis_check(own.redis_url)
            except Exception as error:
                checks["redis"] = _reason(error)
        else:
            checks["redis"] = SKIPPED
        answered["ready"] = (time.monotonic(), dict(checks))
        return _answer(checks)


def _answer(checks: dict[str, str]) -> JSONResponse:
    failing = [name for name, result in checks.items() if result not in (OK, SKIPPED)]
    if failing:
        return JSONResponse(
            status_code=503,
            content={"status": "not_ready", "checks": checks, "failing": failing},
            headers={"Cache-Control": "no-store"},
        )
    return JSONResponse(
        content={"status": "ready", "checks": checks}, headers={"Cache-Control": "no-store"}
    )
