"""The turn queue: `taskpilot serve` with TASKPILOT_TURN_QUEUE=redis acknowledges mentions and
`/task` commands and queues them; `taskpilot slack worker` runs the turns and answers."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import Engine

from core.settings import Settings
from devtools.local_web_api import LocalSlackWebAPI
from slack_app.configuration import SlackNotConfigured
from slack_app.delivery.turn_queue import STREAM, RedisTurnQueue, SlackJob
from slack_app.delivery.worker import run_worker, worker_queue
from slack_app.services import SlackServices
from tests.slack_app.conftest import SlackFactory
from tests.slack_app.support import (
    TEAM,
    SlackHarness,
    app_mention,
    event_callback,
    harness_services,
    slash_command,
)


def _depth(url: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return int(client.xlen(STREAM))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
    finally:
        client.close()


@dataclass
class Worker:
    services: SlackServices
    ports: list[int] = field(default_factory=list[int])

    def get(self, path: str) -> httpx.Response:
        _wait(lambda: bool(self.ports))
        return httpx.get(f"http://127.0.0.1:{self.ports[0]}{path}", timeout=10)


@contextmanager
def running_worker(
    settings: Settings,
    engine: Engine,
    *,
    consumer: str = "worker-1",
    queue: RedisTurnQueue | None = None,
) -> Iterator[Worker]:
    """`run_worker` on its own event loop in a thread, as `taskpilot slack worker` runs it."""
    services = harness_services(settings, engine, worker=True)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    failure: list[BaseException] = []
    worker = Worker(services=services)

    def work() -> None:
        try:
            loop.run_until_complete(
                run_worker(
                    settings,
                    services=services,
                    queue=queue,
                    stop=stop,
                    grace=10,
                    consumer=consumer,
                    health_port=0,
                    on_listening=worker.ports.append,
                )
            )
        except BaseException as error:  # the test reports it
            failure.append(error)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        loop.close()
    assert not failure, failure


def _wait(predicate: Any, *, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _mention(harness: SlackHarness, words: str) -> bytes:
    """Deliver a mention saying `words` and wait until the server has acknowledged it and
    finished what it does after (queuing it); the event's body, for redeliveries."""
    body = event_callback(app_mention(f"<@U0BOT> {words}"))
    assert harness.post(body).status_code == 200
    harness.drain()
    return body


@pytest.fixture
def short_lease(make_slack: SlackFactory, redis_url: str) -> Iterator[SlackHarness]:
    """The server with the turn queue on and a one-second delivery lease."""
    with make_slack(
        TASKPILOT_TURN_QUEUE="redis", REDIS_URL=redis_url, SLACK_DELIVERY_LEASE_SECONDS=1
    ) as harness:
        yield harness


@pytest.fixture
def queued(make_slack: SlackFactory, redis_url: str) -> Iterator[SlackHarness]:
    """The server with the turn queue on, on the test Redis."""
    with make_slack(TASKPILOT_TURN_QUEUE="redis", REDIS_URL=redis_url) as harness:
        yield harness


def _engine(harness: SlackHarness) -> Engine:
    bind = harness.sessions().get_bind()
    assert isinstance(bind, Engine)
    return bind


def test_a_mention_is_acknowledged_and_queued_and_a_worker_answers_it(
    queued: SlackHarness, web: LocalSlackWebAPI, redis_url: str
) -> None:
    body = _mention(queued, "add a task to renew the TLS cert")
    # The acknowledging server ran no turn: the job waits for a worker.
    assert queued.tasks() == []
    assert web.calls_to("chat.postMessage") == []
    assert _depth(redis_url) == 1
    with running_worker(queued.settings, _engine(queued)):
        web.wait_for("chat.postMessage")
        _wait(lambda: _depth(redis_url) == 0)
    assert [task.title for task in queued.tasks()] == ["Renew the TLS cert"]
    assert len(web.calls_to("chat.postMessage")) == 1
    # The delivery is settled: Slack delivering the event again changes nothing.
    assert queued.post(body, headers={"X-Slack-Retry-Num": "1"}).status_code == 200
    queued.drain()
    assert _depth(redis_url) == 0


def test_a_task_command_is_answered_on_its_response_url_by_the_worker(
    queued: SlackHarness, web: LocalSlackWebAPI, redis_url: str
) -> None:
    body = slash_command("add order new badges", response_url=web.response_url("q1"))
    response = queued.post(body)
    assert response.status_code == 200
    queued.drain()
    assert web.calls_to("response_url") == []
    with running_worker(queued.settings, _engine(queued)):
        answers = web.wait_for("response_url")
    assert [task.title for task in queued.tasks()] == ["Order new badges"]
    assert "Order new badges" in str(answers[0].args)


def test_redeliveries_of_a_queued_event_make_one_job_one_task_and_one_reply(
    queued: SlackHarness, web: LocalSlackWebAPI, redis_url: str
) -> None:
    body = event_callback(app_mention("<@U0BOT> add a task to rotate the API keys"))
    statuses = [
        queued.post(body, headers={"X-Slack-Retry-Num": str(n)} if n else {}).status_code
        for n in range(4)
    ]
    assert statuses == [200] * 4
    queued.drain()
    assert _depth(redis_url) == 1
    with running_worker(queued.settings, _engine(queued)):
        web.wait_for("chat.postMessage")
        _wait(lambda: _depth(redis_url) == 0)
    assert len(queued.tasks()) == 1
    assert len(web.calls_to("chat.postMessage")) == 1


def test_a_job_a_crashed_worker_left_is_taken_over_after_the_lease_and_answered_once(
    short_lease: SlackHarness, web: LocalSlackWebAPI, redis_url: str
) -> None:
    harness = short_lease
    _mention(harness, "add a task to book the offsite venue")
    # A worker that took the job and died before finishing it: it never acknowledges.
    queue = RedisTurnQueue(redis_url, reclaim_after=1)
    taken = harness.run(queue.take(consumer="crashed", count=10, block=1))
    assert len(taken) == 1
    harness.run(queue.close())
    time.sleep(1.2)
    with running_worker(harness.settings, _engine(harness), consumer="survivor"):
        web.wait_for("chat.postMessage")
        _wait(lambda: _depth(redis_url) == 0)
    assert [task.title for task in harness.tasks()] == ["Book the offsite venue"]
    assert len(web.calls_to("chat.postMessage")) == 1


class DiesBeforeAcknowledging(RedisTurnQueue):
    """The queue of a worker that dies between posting a job's reply and acknowledging it."""

    async def done(self, entry_id: str) -> None:
        del entry_id


def test_a_job_answered_by_a_worker_that_died_before_acknowledging_is_not_answered_again(
    short_lease: SlackHarness, web: LocalSlackWebAPI, redis_url: str
) -> None:
    harness = short_lease
    _mention(harness, "add a task to order new badges")
    engine = _engine(harness)
    dying = DiesBeforeAcknowledging(redis_url, reclaim_after=1)
    with running_worker(harness.settings, engine, consumer="dies", queue=dying):
        web.wait_for("chat.postMessage")
    assert _depth(redis_url) == 1
    time.sleep(1.2)
    with running_worker(harness.settings, engine, consumer="survivor"):
        _wait(lambda: _depth(redis_url) == 0)
    # The survivor took the job over, saw its event answered and acknowledged it.
    assert [task.title for task in harness.tasks()] == ["Order new badges"]
    assert len(web.calls_to("chat.postMessage")) == 1


def test_a_task_command_run_again_by_another_worker_creates_its_task_once(
    short_lease: SlackHarness, web: LocalSlackWebAPI, redis_url: str
) -> None:
    harness = short_lease
    body = slash_command("add renew the domain", response_url=web.response_url("q2"))
    assert harness.post(body).status_code == 200
    harness.drain()
    engine = _engine(harness)
    dying = DiesBeforeAcknowledging(redis_url, reclaim_after=1)
    with running_worker(harness.settings, engine, consumer="dies", queue=dying):
        web.wait_for("response_url")
    time.sleep(1.2)
    with running_worker(harness.settings, engine, consumer="survivor"):
        _wait(lambda: _depth(redis_url) == 0)
    # The survivor ran the command again: it found the task the first run created.
    assert [(task.number, task.title) for task in harness.tasks()] == [(1, "Renew the domain")]
    answers = web.calls_to("response_url")
    assert len(answers) == 2
    assert all("#1" in str(answer.args) for answer in answers)


def test_a_job_a_live_worker_is_slow_on_is_not_taken_over_by_another(
    short_lease: SlackHarness, web: LocalSlackWebAPI, redis_url: str
) -> None:
    harness = short_lease
    _mention(harness, "add a task to repaint the lobby")
    # The reply is held for three leases while a second worker looks for stale jobs.
    release = web.hold("chat.postMessage")
    engine = _engine(harness)
    with (
        running_worker(harness.settings, engine, consumer="slow"),
        running_worker(harness.settings, engine, consumer="watcher"),
    ):
        web.wait_for("chat.postMessage")
        time.sleep(3)
        release.set()
        _wait(lambda: _depth(redis_url) == 0)
    assert [task.title for task in harness.tasks()] == ["Repaint the lobby"]
    assert len(web.calls_to("chat.postMessage")) == 1


def test_an_unreadable_job_is_dropped_and_the_next_one_still_answered(
    queued: SlackHarness, web: LocalSlackWebAPI, redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url)
    client.xadd(STREAM, {"job": b"{not json"})  # pyright: ignore[reportUnknownMemberType]
    client.close()
    _mention(queued, "add a task to water the plants")
    with running_worker(queued.settings, _engine(queued)):
        web.wait_for("chat.postMessage")
        _wait(lambda: _depth(redis_url) == 0)
    assert [task.title for task in queued.tasks()] == ["Water the plants"]


def test_when_redis_refuses_the_job_the_server_answers_the_mention_itself(
    make_slack: SlackFactory, web: LocalSlackWebAPI, redis_url: str
) -> None:
    from tests.serve_process import free_port

    with make_slack(TASKPILOT_TURN_QUEUE="redis", REDIS_URL=redis_url) as harness:
        # The queue's Redis is gone (nothing listens on this port): nothing may be lost.
        harness.services.turn_queue = RedisTurnQueue(
            f"redis://127.0.0.1:{free_port()}/0", reclaim_after=60
        )
        _mention(harness, "add a task to file the expenses")
        assert [task.title for task in harness.tasks()] == ["File the expenses"]
        assert len(web.calls_to("chat.postMessage")) == 1


def test_the_worker_reports_health_readiness_and_the_metrics_of_its_turns(
    queued: SlackHarness, web: LocalSlackWebAPI, redis_url: str
) -> None:
    from prometheus_client import REGISTRY

    waited_before = REGISTRY.get_sample_value("taskpilot_turn_queue_wait_seconds_count") or 0.0
    _mention(queued, "add a task to print the posters")
    with running_worker(queued.settings, _engine(queued)) as worker:
        web.wait_for("chat.postMessage")
        _wait(lambda: worker.get("/readyz").status_code == 200)
        assert worker.get("/healthz").json() == {"status": "ok"}
        assert worker.get("/readyz").json()["checks"] == {"loop": "ok", "queue": "ok"}
        metrics = worker.get("/metrics")
        assert metrics.status_code == 200
        assert 'taskpilot_tool_calls_total{outcome="ok",tool="create_task"}' in metrics.text
        waits = [
            line
            for line in metrics.text.splitlines()
            if line.startswith("taskpilot_turn_queue_wait_seconds_count")
        ]
        # This test's job is counted (the registry is the test process's, shared by tests).
        assert waits and float(waits[0].split()[-1]) == waited_before + 1
        assert "taskpilot_turn_queue_depth" in metrics.text
        assert worker.get("/nothing").status_code == 404


def test_a_worker_whose_redis_is_down_is_alive_but_not_ready(
    queued: SlackHarness, redis_url: str
) -> None:
    from tests.serve_process import free_port

    gone = RedisTurnQueue(f"redis://127.0.0.1:{free_port()}/0", reclaim_after=60)
    with running_worker(queued.settings, _engine(queued), queue=gone) as worker:
        assert worker.get("/healthz").status_code == 200
        ready = worker.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["queue"] != "ok"


def test_a_job_carries_what_the_worker_needs_and_nothing_else() -> None:
    job = SlackJob(kind="message", team_id=TEAM, user_id="U0ALICE", payload={"text": "hi"})
    assert SlackJob.model_validate_json(job.model_dump_json()) == job
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        SlackJob.model_validate({**job.model_dump(), "token": "xoxb-nope"})


def test_queue_settings_without_redis_say_what_to_set() -> None:
    settings = Settings.model_validate(
        {
            "DATABASE_URL": "sqlite://",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_BOT_TOKEN": "xoxb-1",
            "TASKPILOT_TURN_QUEUE": "redis",
            "REDIS_URL": None,
        }
    )
    from slack_app.configuration import check_slack_settings

    with pytest.raises(SlackNotConfigured, match="REDIS_URL"):
        check_slack_settings(settings)
    with pytest.raises(SlackNotConfigured, match="REDIS_URL"):
        worker_queue(settings)
