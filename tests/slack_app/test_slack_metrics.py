"""Slack's side of `/metrics`: a slash command's ack is timed under `kind="command"`, and a
redelivered event dropped by the ledger is counted once."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.slack_app.support import SlackHarness, app_mention, event_callback, slash_command

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(slack: SlackHarness) -> Samples:
    response = slack.http.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_a_slash_command_ack_is_timed_and_counted_under_the_slack_route(
    slack: SlackHarness,
) -> None:
    before = scrape(slack)
    response = slack.post(
        slash_command("add renew the TLS cert", response_url=slack.web.response_url())
    )
    assert response.status_code == 200
    slack.drain()
    after = scrape(slack)
    assert moved(before, after, "taskpilot_slack_ack_duration_seconds_count", kind="command") == 1
    assert moved(before, after, "taskpilot_slack_ack_duration_seconds_count", kind="event") == 0
    requests = "taskpilot_http_requests_total"
    labels = {"method": "POST", "route": "/slack/events", "status": "200"}
    assert moved(before, after, requests, **labels) == 1
    # The command's agent turn ran and created a task with one tool call.
    assert len(slack.tasks()) == 1
    assert moved(before, after, "taskpilot_tool_calls_total", tool="create_task", outcome="ok") == 1


def test_a_redelivered_event_is_counted_as_a_duplicate_once(slack: SlackHarness) -> None:
    body = event_callback(app_mention("<@U0BOT> add a task to archive the old wiki"))
    before = scrape(slack)
    assert slack.post(body).status_code == 200
    slack.drain()
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert slack.post(body, headers=retry).status_code == 200
    slack.drain()
    after = scrape(slack)
    assert moved(before, after, "taskpilot_slack_duplicate_deliveries_total") == 1
    assert moved(before, after, "taskpilot_slack_ack_duration_seconds_count", kind="event") == 2
    assert len(slack.tasks()) == 1
