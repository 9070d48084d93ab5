"""A Slack turn the database fails: retried while nothing was written, else an apology, and the
delivery released (nothing written) or finished (something may have been)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

import slack_app.delivery.turns
from agent.agent_deps import AgentDeps
from agent.result import TurnResult
from agent.speaker import deps_for_speaker
from core.db import make_session_factory
from devtools.local_web_api import LocalSlackWebAPI
from slack_app.delivery.database_failure import DATABASE_APOLOGY, DATABASE_APOLOGY_AFTER_WRITE
from slack_app.delivery.deliveries import DatabaseLedger, DeliveryLedger, RedisLedger
from tests.slack_app.support import TEAM, SlackHarness, app_mention, event_callback


def _outage() -> OperationalError:
    return OperationalError("SELECT users", {}, ConnectionRefusedError("connection refused"))


class FlakyDirectory:
    """`deps_for_speaker` whose first `failures` calls find the database gone."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> AgentDeps:
        self.calls += 1
        if self.calls <= self.failures:
            raise _outage()
        return deps_for_speaker(*args, **kwargs)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slack_app.delivery.turns, "RETRY_DELAYS", (0.01, 0.01, 0.01))


def _mention(slack: SlackHarness, text: str) -> str:
    """Deliver a mention and wait for its turn; its delivery key."""
    event_id = f"Ev{uuid.uuid4().hex[:10].upper()}"
    assert slack.post(event_callback(app_mention(text), event_id=event_id)).status_code == 200
    slack.drain()
    return f"{TEAM}:{event_id}"


def _replies(web: LocalSlackWebAPI) -> list[str]:
    return [str(call.args["text"]) for call in web.calls_to("chat.postMessage")]


def test_a_database_that_fails_once_before_the_turn_is_retried(
    slack: SlackHarness, web: LocalSlackWebAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = FlakyDirectory(failures=1)
    monkeypatch.setattr(slack_app.delivery.turns, "deps_for_speaker", directory)
    key = _mention(slack, "<@U0BOT> add a task to draft the launch post")
    assert directory.calls == 2
    [task] = slack.tasks()
    assert "launch post" in task.title
    [reply] = _replies(web)
    assert reply != DATABASE_APOLOGY
    # The delivery is done: a later copy of the event is dropped.
    assert slack.run(slack.services.ledger.claim(key)) is False


def test_a_database_that_stays_down_gets_an_apology_and_releases_the_delivery(
    slack: SlackHarness, web: LocalSlackWebAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = FlakyDirectory(failures=1_000)
    monkeypatch.setattr(slack_app.delivery.turns, "deps_for_speaker", directory)
    key = _mention(slack, "<@U0BOT> add a task to draft the launch post")
    assert directory.calls == 1 + len(slack_app.delivery.turns.RETRY_DELAYS)
    assert slack.tasks() == []
    assert _replies(web) == [DATABASE_APOLOGY]
    [reply] = web.calls_to("chat.postMessage")
    assert reply.args["thread_ts"]
    # The claim is gone: a later delivery of the same event may take it.
    assert slack.run(slack.services.ledger.claim(key)) is True


def test_a_database_that_fails_after_the_turn_wrote_is_not_retried_and_finishes(
    slack: SlackHarness, web: LocalSlackWebAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_run_turn = slack_app.delivery.turns.run_turn
    runs: list[str] = []

    async def run_turn_then_fail(text: str, **kwargs: Any) -> TurnResult:
        runs.append(text)
        await real_run_turn(text, **kwargs)
        raise _outage()

    monkeypatch.setattr(slack_app.delivery.turns, "run_turn", run_turn_then_fail)
    key = _mention(slack, "<@U0BOT> add a task to draft the launch post")
    # Once only: running it again would create the task a second time.
    assert len(runs) == 1
    assert len(slack.tasks()) == 1
    assert _replies(web) == [DATABASE_APOLOGY_AFTER_WRITE]
    assert slack.run(slack.services.ledger.claim(key)) is False


async def _release_cases(ledger: DeliveryLedger, other: DeliveryLedger) -> None:
    # A released claim can be claimed again, by this replica or another.
    assert await ledger.claim("T1:EvRELEASED")
    await ledger.release("T1:EvRELEASED")
    assert await other.claim("T1:EvRELEASED")
    # Another replica's claim is not this replica's to release.
    await ledger.release("T1:EvRELEASED")
    assert not await ledger.claim("T1:EvRELEASED")
    # A finished event stays finished.
    assert await ledger.claim("T1:EvDONE")
    await ledger.finish("T1:EvDONE")
    await ledger.release("T1:EvDONE")
    assert not await other.claim("T1:EvDONE")
    # Releasing an event nobody claimed does nothing.
    await ledger.release("T1:EvUNKNOWN")
    assert await other.claim("T1:EvUNKNOWN")


def test_the_database_ledger_releases_only_its_own_claim_in_flight(engine: Engine) -> None:
    factory = make_session_factory(engine)
    lease = timedelta(minutes=2)
    ledger = DatabaseLedger(factory, lease=lease, owner="replica-a")
    other = DatabaseLedger(factory, lease=lease, owner="replica-b")
    asyncio.run(_release_cases(ledger, other))


def test_the_redis_ledger_releases_only_its_own_claim_in_flight(redis_url: str) -> None:
    async def cases() -> None:
        lease = timedelta(minutes=2)
        ledger = RedisLedger(redis_url, lease=lease, owner="replica-a")
        other = RedisLedger(redis_url, lease=lease, owner="replica-b")
        try:
            await _release_cases(ledger, other)
        finally:
            await ledger.close()
            await other.close()

    asyncio.run(cases())
