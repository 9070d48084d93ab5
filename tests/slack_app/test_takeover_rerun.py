"""A Slack turn re-run in full by a retry that took over its delivery (the replica that ran it
died, or never marked it done) creates its task once: the re-run finds the task the first run
created under the event's delivery key and answers with the same card."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from devtools.local_web_api import LocalSlackWebAPI, RecordedCall
from slack_app.delivery import notify
from tasks.models import AuditAction, AuditEvent
from tests.slack_app.conftest import SlackFactory
from tests.slack_app.support import (
    TEAM,
    SlackHarness,
    app_mention,
    event_callback,
    harness_settings,
    running_server,
    seed_directory,
)

LEASE = 0.5
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


def _numbers(call: RecordedCall) -> set[str]:
    """The task numbers ("#1") a reply names, in its text or blocks."""
    return set(re.findall(r"#\d+", json.dumps(call.args)))


def _create_events(harness: SlackHarness) -> list[AuditEvent]:
    with harness.sessions() as session:
        statement = select(AuditEvent).where(
            AuditEvent.team_id == TEAM, AuditEvent.action == AuditAction.create
        )
        return list(session.exec(statement).all())


def test_a_turn_run_again_after_an_unfinished_delivery_creates_its_task_once(
    make_slack: SlackFactory, web: LocalSlackWebAPI
) -> None:
    with make_slack(SLACK_DELIVERY_LEASE_SECONDS=LEASE) as slack:

        async def never_finish(key: str) -> None:
            del key  # the replica "died" after its reply: the event stays claimed

        finish = slack.services.ledger.finish
        slack.services.ledger.finish = never_finish  # pyright: ignore[reportAttributeAccessIssue]
        body = event_callback(app_mention("<@U0BOT> add a task to renew the wildcard cert"))
        assert slack.post(body).status_code == 200
        slack.drain()
        assert len(slack.tasks()) == 1
        slack.services.ledger.finish = finish  # pyright: ignore[reportAttributeAccessIssue]

        time.sleep(LEASE + 0.3)
        assert slack.post(body, headers=RETRY).status_code == 200
        slack.drain()

        tasks = slack.tasks()
        assert [(task.number, task.title.lower()) for task in tasks] == [
            (1, "renew the wildcard cert")
        ]
        assert tasks[0].origin_key is not None
        assert tasks[0].origin_key.startswith(f"{TEAM}:Ev")
        replies = web.calls_to("chat.postMessage")
        assert len(replies) == 2  # the takeover answered again: the same card
        assert _numbers(replies[0]) == _numbers(replies[1]) == {"#1"}
        assert len(_create_events(slack)) == 1
        # The event is done now: a later retry is dropped.
        assert slack.post(body, headers={"X-Slack-Retry-Num": "2"}).status_code == 200
        slack.drain()
        assert len(web.calls_to("chat.postMessage")) == 2


def test_a_replica_that_dies_while_notifying_after_its_reply_is_not_answered_again(
    make_slack: SlackFactory, web: LocalSlackWebAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    with make_slack(SLACK_DELIVERY_LEASE_SECONDS=LEASE) as slack:
        finish = slack.services.ledger.finish

        async def never_finish(key: str) -> None:
            del key

        async def dies(*args: object, **kwargs: object) -> None:
            # The replica dies while it tells the people concerned: whatever it had not yet
            # marked stays unmarked.
            del args, kwargs
            slack.services.ledger.finish = never_finish  # pyright: ignore[reportAttributeAccessIssue]

        monkeypatch.setattr(notify, "after_turn", dies)
        body = event_callback(app_mention("<@U0BOT> add a task to order new badges"))
        assert slack.post(body).status_code == 200
        slack.drain()
        slack.services.ledger.finish = finish  # pyright: ignore[reportAttributeAccessIssue]
        monkeypatch.undo()

        time.sleep(LEASE + 0.3)
        assert slack.post(body, headers=RETRY).status_code == 200
        slack.drain()
        # The event was marked answered when its reply was posted: the retry is dropped.
        assert len(slack.tasks()) == 1
        assert len(web.calls_to("chat.postMessage")) == 1


def _replicas(engine: Engine, web: LocalSlackWebAPI) -> Iterator[list[SlackHarness]]:
    url = engine.url.render_as_string(hide_password=False)
    settings = harness_settings(web, url, SLACK_DELIVERY_LEASE_SECONDS=LEASE)
    with ExitStack() as stack:
        servers = [stack.enter_context(running_server(settings, engine, web=web)) for _ in range(2)]
        seed_directory(servers[0])
        yield servers


def test_a_retry_while_a_live_replica_is_slow_after_its_write_is_dropped(
    engine: Engine, web: LocalSlackWebAPI
) -> None:
    # The first replica wrote the task and waits for Slack to take its reply, for longer
    # than the lease; Slack's retry lands on the other replica. The first replica renews its
    # lease while it works, so the retry is dropped: one task, one reply. (A replica that
    # died stops renewing, and its event is taken over: the test above, and
    # bench/drills/crash_mid_turn.py.)
    for first, second in _replicas(engine, web):
        hold = web.hold("chat.postMessage")
        body = event_callback(app_mention("<@U0BOT> add a task to rotate the API keys"))
        try:
            assert first.post(body).status_code == 200
            web.wait_for("chat.postMessage", timeout=20)
            assert len(first.tasks()) == 1
            time.sleep(3 * LEASE)
            assert second.post(body, headers=RETRY).status_code == 200
            second.drain()
        finally:
            hold.set()
        first.drain()

        tasks = first.tasks()
        assert [task.number for task in tasks] == [1]
        replies = web.calls_to("chat.postMessage")
        assert len(replies) == 1
        assert _numbers(replies[0]) == {"#1"}
        assert len(_create_events(first)) == 1
