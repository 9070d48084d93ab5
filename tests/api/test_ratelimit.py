"""Rate limits on the HTTP API: 429 problems with Retry-After and RateLimit-* headers, one
budget per key, per person and per team, and one budget across replicas through Redis."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from limits.aio.storage import MemoryStorage

import core.rate_limiter
from api.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from api.rate_limit_http import (
    Decision,
    RateLimiter,
    install_rate_limiting,
    limit_agent_turns,
    limit_by_key,
)
from core.settings import Settings


async def _authenticate(request: Request) -> None:
    """Stands in for the API-key dependency: `X-Test-Key: prefix:team` becomes the principal."""
    raw = request.headers.get("x-test-key")
    if raw:
        prefix, team = raw.split(":")
        request.state.principal = SimpleNamespace(
            key_prefix=prefix, team_id=team, key_id=sum(map(ord, prefix))
        )


def _app(limiter: RateLimiter) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_rate_limiting(app, limiter)

    @app.get("/things", dependencies=[Depends(_authenticate), Depends(limit_by_key())])
    async def things() -> dict[str, bool]:  # pyright: ignore[reportUnusedFunction]
        return {"ok": True}

    @app.get("/plain", dependencies=[Depends(_authenticate), Depends(limit_by_key())])
    async def plain() -> PlainTextResponse:  # pyright: ignore[reportUnusedFunction]
        return PlainTextResponse("ok")

    @app.post("/turns", dependencies=[Depends(_authenticate), Depends(limit_agent_turns())])
    async def turns(body: dict[str, Any]) -> dict[str, Any]:  # pyright: ignore[reportUnusedFunction]
        return {"user": body.get("user")}

    return app


def _memory_limiter(
    *,
    key_limit: str = "600/minute",
    agent_user_limit: str = "30/minute",
    agent_team_limit: str = "600/hour",
) -> RateLimiter:
    return RateLimiter(
        storage=MemoryStorage(),
        key_limit=key_limit,
        agent_user_limit=agent_user_limit,
        agent_team_limit=agent_team_limit,
    )


def test_a_key_over_its_limit_gets_a_429_problem_with_retry_after_and_ratelimit_headers() -> None:
    with TestClient(_app(_memory_limiter(key_limit="2/minute"))) as client:
        key = {"X-Test-Key": "tp_abc:T1"}
        first, second, third = (client.get("/things", headers=key) for _ in range(3))
    assert [first.status_code, second.status_code] == [200, 200]
    assert first.headers["RateLimit-Limit"] == "2"
    assert [first.headers["RateLimit-Remaining"], second.headers["RateLimit-Remaining"]] == [
        "1",
        "0",
    ]
    assert 0 < int(first.headers["RateLimit-Reset"]) <= 60
    assert first.headers["RateLimit-Policy"] == "2;w=60"
    assert "Retry-After" not in first.headers

    assert third.status_code == 429
    assert third.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert 1 <= int(third.headers["Retry-After"]) <= 60
    assert third.headers["RateLimit-Remaining"] == "0"
    assert third.headers["RateLimit-Limit"] == "2"
    problem = third.json()
    assert problem["status"] == 429
    assert problem["instance"] == "/things"
    assert "Try again in" in problem["detail"]


def test_separate_keys_have_separate_budgets() -> None:
    with TestClient(_app(_memory_limiter(key_limit="1/minute"))) as client:
        a1 = client.get("/things", headers={"X-Test-Key": "tp_aaa:T1"})
        a2 = client.get("/things", headers={"X-Test-Key": "tp_aaa:T1"})
        b1 = client.get("/things", headers={"X-Test-Key": "tp_bbb:T1"})
    assert [a1.status_code, a2.status_code, b1.status_code] == [200, 429, 200]


def test_without_a_principal_requests_count_against_the_address_whatever_they_send() -> None:
    with TestClient(_app(_memory_limiter(key_limit="1/minute"))) as client:
        statuses = [
            client.get("/things", headers={"Authorization": f"Bearer {token}"}).status_code
            for token in ("one", "one", "two")
        ]
    assert statuses == [200, 429, 429]


def test_a_route_returning_its_own_response_still_gets_the_headers() -> None:
    with TestClient(_app(_memory_limiter(key_limit="5/minute"))) as client:
        response = client.get("/plain", headers={"X-Test-Key": "tp_abc:T1"})
    assert response.text == "ok"
    assert response.headers["RateLimit-Limit"] == "5"
    assert response.headers["RateLimit-Remaining"] == "4"


def test_agent_turns_are_limited_per_stated_user_and_per_team() -> None:
    limiter = _memory_limiter(agent_user_limit="2/minute", agent_team_limit="3/minute")
    with TestClient(_app(limiter)) as client:
        key = {"X-Test-Key": "tp_abc:T1"}

        def turn(user: str, headers: dict[str, str] = key) -> int:
            return client.post("/turns", json={"user": user}, headers=headers).status_code

        alice = [turn("U0ALICE") for _ in range(3)]
        # Alice's refused turn does not count against the team: Bob gets the team's last one.
        bob = turn("U0BOB")
        carol = turn("U0CAROL")
        # Another team has budgets of its own.
        other_team = turn("U0CAROL", {"X-Test-Key": "tp_xyz:T2"})
    assert alice == [200, 200, 429]
    assert bob == 200
    assert carol == 429
    assert other_team == 200


def test_a_malformed_limit_setting_fails_at_start_up() -> None:
    with pytest.raises(ValueError, match="not a rate limit"):
        _memory_limiter(key_limit="lots")


def test_two_replicas_share_one_budget_through_redis(redis_url: str) -> None:
    settings = Settings.model_validate(
        {"REDIS_URL": redis_url, "TASKPILOT_RATE_LIMIT_KEY": "3/minute"}
    )

    async def scenario() -> list[Decision]:
        replicas = [RateLimiter.from_settings(settings) for _ in range(2)]
        try:
            return [
                await replicas[n % 2].hit(bucket="api", identity="key:tp_abc", limit="3/minute")
                for n in range(5)
            ]
        finally:
            for replica in replicas:
                await replica.close()

    decisions = asyncio.run(scenario())
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0, 0]
    assert decisions[3].retry_after is not None and 1 <= decisions[3].retry_after <= 60


def test_a_burst_larger_than_the_redis_pool_is_counted_not_let_through(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A turn worker with hundreds of turns at once: each hit waits for a pooled connection.
    # Hits that found no connection used to be let through uncounted, limits unenforced.
    monkeypatch.setattr(core.rate_limiter, "POOL_MAX_CONNECTIONS", 4)
    settings = Settings.model_validate({"REDIS_URL": redis_url})

    async def scenario() -> list[Decision]:
        limiter = RateLimiter.from_settings(settings)
        try:
            return await asyncio.gather(
                *(
                    limiter.hit(bucket="burst", identity="team:T1", limit="250/minute")
                    for _ in range(300)
                )
            )
        finally:
            await limiter.close()

    with caplog.at_level(logging.WARNING, logger="core.rate_limiter"):
        decisions = asyncio.run(scenario())
    assert sum(decision.allowed for decision in decisions) == 250
    assert "rate limit store failed" not in caplog.text


def test_replicas_in_memory_do_not_share_budgets() -> None:
    settings = Settings.model_validate({"REDIS_URL": None})

    async def scenario() -> list[bool]:
        replicas = [RateLimiter.from_settings(settings) for _ in range(2)]
        return [
            (await replica.hit(bucket="api", identity="key:tp_abc", limit="1/minute")).allowed
            for replica in replicas
        ]

    assert asyncio.run(scenario()) == [True, True]


def test_when_redis_is_down_requests_are_let_through(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings.model_validate({"REDIS_URL": "redis://127.0.0.1:1/0"})

    async def scenario() -> list[bool]:
        limiter = RateLimiter.from_settings(settings)
        try:
            return [
                (await limiter.hit(bucket="api", identity="key:k", limit="1/minute")).allowed
                for _ in range(2)
            ]
        finally:
            await limiter.close()

    with caplog.at_level(logging.WARNING, logger="core.rate_limiter"):
        assert asyncio.run(scenario()) == [True, True]
    # The log says what failed, for an operator reading it as text.
    assert "the rate limit store failed (ConnectionError)" in caplog.text
