"""The delivery ledger: one replica handles each Slack event, on SQLite, PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from core.db import make_session_factory
from slack_app.delivery.deliveries import DatabaseLedger, DeliveryLedger, RedisLedger, delivery_key


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_delivery_key_is_team_and_event_id_and_only_for_events() -> None:
    assert delivery_key({"type": "event_callback", "team_id": "T1", "event_id": "Ev1"}) == "T1:Ev1"
    assert delivery_key({"type": "block_actions", "team": {"id": "T1"}}) is None
    assert delivery_key({"type": "event_callback", "team_id": "T1"}) is None


async def _race(ledgers: list[DeliveryLedger], key: str) -> list[bool]:
    return list(await asyncio.gather(*(ledger.claim(key) for ledger in ledgers)))


def test_concurrent_claims_from_several_replicas_on_the_database_let_one_through(
    engine: Engine,
) -> None:
    factory = make_session_factory(engine)
    replicas: list[DeliveryLedger] = [
        DatabaseLedger(factory, lease=timedelta(minutes=2), owner=f"replica-{n}") for n in range(4)
    ]
    key = f"T1:Ev{uuid.uuid4().hex[:8]}"
    outcomes = asyncio.run(_race(replicas * 2, key))
    assert outcomes.count(True) == 1
    asyncio.run(replicas[0].finish(key))
    assert asyncio.run(_race(replicas, key)) == [False] * 4


def test_a_claim_whose_replica_died_is_taken_over_after_the_lease_once(engine: Engine) -> None:
    factory = make_session_factory(engine)
    clock = Clock()
    dead = DatabaseLedger(factory, lease=timedelta(minutes=2), owner="dead", clock=clock)
    survivors = [
        DatabaseLedger(factory, lease=timedelta(minutes=2), owner=f"alive-{n}", clock=clock)
        for n in range(3)
    ]
    assert asyncio.run(dead.claim("T1:EvCRASH"))
    clock.now += timedelta(seconds=60)
    assert asyncio.run(_race(list(survivors), "T1:EvCRASH")) == [False] * 3
    clock.now += timedelta(seconds=61)
    outcomes = asyncio.run(_race(list(survivors), "T1:EvCRASH"))
    assert outcomes.count(True) == 1


def test_finished_events_are_pruned_after_a_day(engine: Engine) -> None:
    factory = make_session_factory(engine)
    clock = Clock()
    ledger = DatabaseLedger(factory, lease=timedelta(minutes=2), clock=clock)
    asyncio.run(ledger.claim("T1:EvOLD"))
    asyncio.run(ledger.finish("T1:EvOLD"))
    clock.now += timedelta(days=1, minutes=1)
    assert asyncio.run(ledger.claim("T1:EvNEW"))
    assert asyncio.run(ledger.prune()) == 1
    assert not asyncio.run(ledger.claim("T1:EvNEW"))


def test_redis_ledger_lets_one_replica_through_and_takes_over_after_the_lease(
    redis_url: str,
) -> None:
    async def scenario() -> tuple[list[bool], list[bool], list[bool], list[bool]]:
        replicas = [
            RedisLedger(redis_url, lease=timedelta(milliseconds=300), owner=f"r{n}")
            for n in range(4)
        ]
        try:
            first = await _race(list(replicas), "T1:EvREDIS")
            during_lease = await _race(list(replicas), "T1:EvREDIS")
            await asyncio.sleep(0.4)
            after_lease = await _race(list(replicas), "T1:EvREDIS")
            await replicas[0].finish("T1:EvREDIS")
            await asyncio.sleep(0.4)
            after_finish = await _race(list(replicas), "T1:EvREDIS")
            return first, during_lease, after_lease, after_finish
        finally:
            for replica in replicas:
                await replica.close()

    first, during_lease, after_lease, after_finish = asyncio.run(scenario())
    assert first.count(True) == 1
    assert during_lease == [False] * 4
    assert after_lease.count(True) == 1
    assert after_finish == [False] * 4


def test_a_burst_larger_than_the_redis_pool_waits_for_connections_instead_of_failing(
    redis_url: str,
) -> None:
    async def scenario() -> list[bool]:
        ledger = RedisLedger(redis_url, lease=timedelta(seconds=30), max_connections=4)
        try:
            # 300 distinct events at once through 4 connections: each claim waits its turn.
            return await asyncio.gather(*(ledger.claim(f"T1:EvBURST{n}") for n in range(300)))
        finally:
            await ledger.close()

    assert asyncio.run(scenario()) == [True] * 300


def test_a_renewed_claim_is_not_taken_over_and_only_its_owner_can_renew_it(
    engine: Engine,
) -> None:
    factory = make_session_factory(engine)
    clock = Clock()
    lease = timedelta(minutes=2)
    working = DatabaseLedger(factory, lease=lease, owner="working", clock=clock)
    other = DatabaseLedger(factory, lease=lease, owner="other", clock=clock)
    assert asyncio.run(working.claim("T1:EvSLOW"))
    for _ in range(3):
        clock.now += timedelta(seconds=90)
        asyncio.run(working.renew("T1:EvSLOW"))
        # Another replica renewing does not make the claim its own, nor keep it alive.
        asyncio.run(other.renew("T1:EvSLOW"))
        assert not asyncio.run(other.claim("T1:EvSLOW"))
    # The working replica stops renewing (it died): after the lease the claim is taken over.
    clock.now += timedelta(minutes=2, seconds=1)
    assert asyncio.run(other.claim("T1:EvSLOW"))


def test_a_renewed_redis_claim_outlives_its_lease_and_only_its_owner_can_renew_it(
    redis_url: str,
) -> None:
    async def scenario() -> tuple[bool, bool, bool]:
        lease = timedelta(milliseconds=400)
        working = RedisLedger(redis_url, lease=lease, owner="working")
        other = RedisLedger(redis_url, lease=lease, owner="other")
        try:
            assert await working.claim("T1:EvSLOWR")
            for _ in range(4):
                await asyncio.sleep(0.2)
                await working.renew("T1:EvSLOWR")
                await other.renew("T1:EvSLOWR")
            kept = not await other.claim("T1:EvSLOWR")
            await asyncio.sleep(0.6)
            taken = await other.claim("T1:EvSLOWR")
            # The working replica's renewal cannot take its claim back.
            await working.renew("T1:EvSLOWR")
            still_other = not await working.claim("T1:EvSLOWR")
            return kept, taken, still_other
        finally:
            await working.close()
            await other.close()

    assert asyncio.run(scenario()) == (True, True, True)


def test_an_event_counts_as_answered_only_once_it_is_finished(
    engine: Engine, redis_url: str
) -> None:
    # A worker that takes over a job asks this before answering it again.
    async def scenario(ledger: DeliveryLedger, key: str) -> list[bool]:
        seen = [await ledger.finished(key)]
        await ledger.claim(key)
        seen.append(await ledger.finished(key))
        await ledger.finish(key)
        seen.append(await ledger.finished(key))
        return seen

    lease = timedelta(minutes=2)
    database = DatabaseLedger(make_session_factory(engine), lease=lease, owner="one")
    assert asyncio.run(scenario(database, "T1:EvANSWERED")) == [False, False, True]

    async def in_redis() -> list[bool]:
        ledger = RedisLedger(redis_url, lease=lease, owner="one")
        try:
            return await scenario(ledger, "T1:EvANSWEREDR")
        finally:
            await ledger.close()

    assert asyncio.run(in_redis()) == [False, False, True]


def test_a_renewal_that_swallows_its_cancellation_does_not_hold_the_turn_up() -> None:
    # A turn worker hung after answering until it was stopped: its lease renewal was in a
    # client call that swallowed the cancellation, and the turn waited for it to end.
    from types import SimpleNamespace

    from slack_app.delivery.settlement import lease_kept

    class StubbornLedger:
        renewals = 0

        async def renew(self, key: str) -> None:
            del key
            self.renewals += 1
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(30)

    ledger = StubbornLedger()
    services: Any = SimpleNamespace(
        settings=SimpleNamespace(slack_delivery_lease=0.3), ledger=ledger
    )

    async def turn() -> None:
        async with lease_kept(services, "T1:EvSTUBBORN"):
            await asyncio.sleep(0.25)  # a renewal is in flight when the turn ends

    # On a thread of its own, so that a hang fails the test instead of holding it: the old
    # way waited for the stubborn renewal's 30 s (in the drill: until the worker stopped).
    runner = threading.Thread(target=lambda: asyncio.run(turn()), daemon=True)
    runner.start()
    runner.join(timeout=10)
    assert not runner.is_alive(), "the turn waited for its lease renewal"
    assert ledger.renewals == 1
