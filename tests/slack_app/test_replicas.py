"""Two replicas behind a load balancer: Slack's retries land on either, one answer comes back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

from sqlalchemy import Engine

from devtools.local_web_api import LocalSlackWebAPI
from tests.slack_app.support import (
    SlackHarness,
    app_mention,
    event_callback,
    harness_settings,
    running_server,
    seed_directory,
)


def _replicas(
    engine: Engine, web: LocalSlackWebAPI, **overrides: Any
) -> Iterator[list[SlackHarness]]:
    url = engine.url.render_as_string(hide_password=False)
    with ExitStack() as stack:
        servers = [
            stack.enter_context(
                running_server(harness_settings(web, url, **overrides), engine, web=web)
            )
            for _ in range(2)
        ]
        seed_directory(servers[0])
        yield servers


def _storm(servers: list[SlackHarness], body: bytes) -> list[int]:
    """The original and three retries, alternating between the replicas, all at once."""
    statuses: list[int] = []

    def deliver(retry: int) -> None:
        headers = {"X-Slack-Retry-Num": str(retry)} if retry else {}
        statuses.append(servers[retry % 2].post(body, headers=headers).status_code)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for server in servers:
        server.drain()
    return statuses


def test_retries_across_two_replicas_sharing_the_database_make_one_task_and_one_reply(
    engine: Engine, web: LocalSlackWebAPI
) -> None:
    for servers in _replicas(engine, web):
        body = event_callback(app_mention("<@U0BOT> add a task to rotate the API keys"))
        assert _storm(servers, body) == [200, 200, 200, 200]
        assert len(servers[0].tasks()) == 1
        assert len(web.calls_to("chat.postMessage")) == 1


def test_retries_across_two_replicas_sharing_redis_make_one_task_and_one_reply(
    engine: Engine,
    web: LocalSlackWebAPI,
    redis_url: str,
) -> None:
    for servers in _replicas(engine, web, REDIS_URL=redis_url):
        body = event_callback(app_mention("<@U0BOT> add a task to renew the wildcard cert"))
        assert _storm(servers, body) == [200, 200, 200, 200]
        assert len(servers[0].tasks()) == 1
        assert len(web.calls_to("chat.postMessage")) == 1
