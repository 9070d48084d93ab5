"""Real Slack payloads, taken from public sources (`corpus/SOURCES.md`), replayed through the
real HTTP endpoint: members get an answer, everything else gets none, and nothing fails.

Each file of `corpus/` is one request body; its name's prefix says who sends it and so what a
person would notice:

- `act__`: a member of our workspace speaks to the app; they get an answer, where they asked.
- `ignore__`: edits, deletions, bots, Slackbot, joins, channel chatter, other apps' controls;
  no task and nothing said.
- `quiet__`: lifecycle events (rate limit notice, revoked tokens, uninstall, directory and
  assistant context updates); no task and nothing said.
- `handshake__`: the `url_verification` challenge, answered as Slack expects.
- `foreign__`: another workspace, or an Enterprise org install that is not ours; no task and
  nothing said.
- `guest__`: someone of another organisation in our Slack Connect channel; no task and at
  most one polite refusal.
- `sparse__`: real shapes their source trimmed or documented with placeholders; no task.

Whatever the group, Slack gets no server error and nothing is logged with a traceback.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

import pytest

from devtools.local_web_api import RecordedCall
from slack_app.gate.boundaries import NOT_FOR_GUESTS
from tasks.directory import UserDirectory
from tests.slack_app.support import TEAM, SlackHarness

Json = dict[str, Any]

CORPUS = Path(__file__).parent / "corpus"
GROUPS = ("act", "ignore", "quiet", "handshake", "foreign", "guest", "sparse")

# Payloads that show a bug of the app. Each case stays marked until the app is fixed; a strict
# xfail then fails, and the mark must go.
KNOWN_BUGS: dict[str, str] = {}

# Calls by which the app says something a person sees.
_SAYING = ("chat.postMessage", "chat.postEphemeral", "chat.update", "chat.scheduleMessage")


def says_something(call: RecordedCall) -> bool:
    """Whether the call shows something to someone: a message, a view, an answer on a
    response_url, an assistant thread's status or prompts."""
    return (
        call.method in _SAYING
        or call.method == "response_url"
        or call.method.startswith(("views.", "assistant.threads.", "reactions."))
    )


def corpus_files(group: str) -> list[Path]:
    return sorted(CORPUS.glob(f"{group}__*.json"))


def cases(group: str) -> list[object]:
    """The group's files as test parameters, with the known bugs marked."""
    params: list[object] = []
    for path in corpus_files(group):
        reason = KNOWN_BUGS.get(path.name)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(path, id=path.name, marks=marks))
    return params


def load(path: Path) -> Json:
    return cast("Json", json.loads(path.read_text()))


def body_for(payload: Json, slack: SlackHarness) -> bytes:
    """The bytes Slack would send for the payload: a fresh delivery of an event (new
    `event_id` and `event_time`), a form for a slash command, `payload=<json>` for an
    interaction; every response_url points at the local Web API stand-in."""
    sent: Json = json.loads(json.dumps(payload))
    if "response_url" in sent:
        sent["response_url"] = slack.web.response_url("corpus")
    urls = cast("list[Json]", sent.get("response_urls") or [])
    for entry in urls:
        entry["response_url"] = slack.web.response_url("corpus-urls")
    kind = sent.get("type")
    if kind == "event_callback":
        sent["event_id"] = f"Ev{uuid.uuid4().hex[:10].upper()}"
        sent["event_time"] = int(time.time())
    if kind in ("event_callback", "url_verification", "app_rate_limited"):
        return json.dumps(sent).encode()
    if "command" in sent:
        return urlencode(sent).encode()
    return urlencode({"payload": json.dumps(sent)}).encode()


@dataclass
class Replay:
    """What happened when the payload was sent: Slack's answer, the app's calls to Slack and
    the team's tasks afterwards."""

    payload: Json
    status: int
    answer: str
    calls: list[RecordedCall]
    tasks: list[str]

    @property
    def said(self) -> list[RecordedCall]:
        return [call for call in self.calls if says_something(call)]

    @property
    def said_in_response(self) -> Json | None:
        """The HTTP answer when it shows something (a form's errors or new view, a message)."""
        try:
            parsed: Any = json.loads(self.answer)
        except ValueError:
            return None
        if not isinstance(parsed, dict):
            return None
        answer = cast("Json", parsed)
        shown = {"response_action", "text", "blocks", "view"}
        return answer if shown & answer.keys() else None


def replay(slack: SlackHarness, caplog: pytest.LogCaptureFixture, path: Path) -> Replay:
    """Send the payload signed, wait for the work it started, and check what holds for every
    payload: no server error, and nothing logged with a traceback or at ERROR."""
    caplog.set_level(logging.INFO)
    payload = load(path)
    response = slack.post(body_for(payload, slack))
    slack.drain()
    assert response.status_code < 500, response.text
    failures = [
        f"{record.levelname} {record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.exc_info or record.levelno >= logging.ERROR
    ]
    assert failures == []
    return Replay(
        payload=payload,
        status=response.status_code,
        answer=response.text,
        calls=list(slack.web.calls),
        tasks=[task.title for task in slack.tasks()],
    )


def event_of(payload: Json) -> Json:
    event = payload.get("event")
    return cast("Json", event) if isinstance(event, dict) else {}


def where_asked(payload: Json) -> str | None:
    """The conversation an event was said in: the message's channel, or the DM of an
    assistant thread."""
    event = event_of(payload)
    thread = event.get("assistant_thread")
    if isinstance(thread, dict) and "channel_id" in thread:
        return str(cast("Json", thread)["channel_id"])
    channel = event.get("channel")
    return str(channel) if channel else None


@pytest.mark.parametrize("path", cases("act"))
def test_a_member_who_speaks_to_the_app_gets_an_answer_where_they_asked(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, path: Path
) -> None:
    """A mention, a DM, `/task`, the message shortcut, a click on a card, the form, the App
    Home or the assistant panel: the member sees an answer (a message in that conversation,
    an answer on the response_url, a modal, their Home, or the form's own response)."""
    seen = replay(slack, caplog, path)
    assert seen.said or seen.said_in_response is not None
    if seen.payload.get("type") != "event_callback":
        return
    event = event_of(seen.payload)
    if event.get("type") == "app_home_opened":
        [publish] = [call for call in seen.said if call.method == "views.publish"]
        assert publish.args["user_id"] == event["user"]
        return
    messages = [call for call in seen.said if call.method.startswith("chat.")]
    assert messages
    assert {call.args["channel"] for call in messages} == {where_asked(seen.payload)}


@pytest.mark.parametrize("path", cases("ignore"))
def test_messages_and_clicks_not_meant_for_the_app_get_no_answer(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, path: Path
) -> None:
    """Edits, deletions, bots and Slackbot, joins and leaves, channel chatter, controls and
    commands of other apps: no task appears and the app says nothing."""
    seen = replay(slack, caplog, path)
    assert seen.tasks == []
    assert seen.said == []
    assert seen.said_in_response is None


@pytest.mark.parametrize("path", cases("quiet"))
def test_lifecycle_events_are_handled_without_a_word(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, path: Path
) -> None:
    """Rate limit notices, revoked tokens, an uninstall, a profile change, a new assistant
    context: nobody sees a message and no task appears."""
    seen = replay(slack, caplog, path)
    assert seen.tasks == []
    assert seen.said == []
    assert seen.said_in_response is None


def test_a_profile_change_reaches_the_directory(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """After Slack's `user_change`, the person can be named in tasks by their handle."""
    replay(slack, caplog, CORPUS / "quiet__user_change.json")
    with slack.sessions() as session:
        person = UserDirectory(session, team_id=TEAM).get("U1234567")
        assert person is not None
        assert person.handle == "some-user"


@pytest.mark.parametrize("path", cases("handshake"))
def test_slack_checking_the_request_url_gets_its_challenge_back(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, path: Path
) -> None:
    """Saving the request URL in Slack's app settings succeeds: the challenge comes back, and
    the app calls nothing."""
    seen = replay(slack, caplog, path)
    assert seen.status == 200
    assert json.loads(seen.answer) == {"challenge": seen.payload["challenge"]}
    assert seen.calls == []


@pytest.mark.parametrize("path", cases("foreign"))
def test_another_workspace_or_org_is_not_served(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, path: Path
) -> None:
    """The same app installed elsewhere (another workspace, an org-wide install): no task
    appears here and nobody there hears from this server."""
    seen = replay(slack, caplog, path)
    assert seen.tasks == []
    assert seen.said == []
    assert seen.said_in_response is None


@pytest.mark.parametrize("path", cases("guest"))
def test_a_guest_from_another_organisation_gets_at_most_a_polite_no(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, path: Path
) -> None:
    """Someone of the partner organisation in our Slack Connect channel: no task appears, and
    they hear at most one sentence saying the app is for this workspace's people."""
    seen = replay(slack, caplog, path)
    assert seen.tasks == []
    said = [json.dumps(call.args) for call in seen.said]
    if seen.said_in_response is not None:
        said.append(json.dumps(seen.said_in_response))
    assert len(said) <= 1
    for sentence in said:
        assert NOT_FOR_GUESTS in sentence


@pytest.mark.parametrize("path", cases("sparse"))
def test_trimmed_payloads_are_survived(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, path: Path
) -> None:
    """A payload missing fields Slack usually sends (text, ts, channel, the user's profile)
    is acknowledged; no task appears from it."""
    seen = replay(slack, caplog, path)
    assert seen.tasks == []


def test_an_edited_mention_does_not_add_its_task_again(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Fixing a typo in '@TaskPilot add renew the lease' leaves one task, not two.

    The corpus's edited mention is sent twice: first without its `edited` field (the
    original message), then as it is. Both times its text is made a request to add a task;
    this text is the one change beyond ids."""
    edited = load(CORPUS / "ignore__app_mention__edited.json")
    ask = "<@U0BOT> add renew the lease"
    edited["event"]["text"] = ask
    edited["event"]["blocks"][0]["elements"][0]["elements"][1]["text"] = ask.removeprefix(
        "<@U0BOT>"
    )
    original: Json = json.loads(json.dumps(edited))
    del original["event"]["edited"]
    caplog.set_level(logging.INFO)
    for payload in (original, edited):
        assert slack.post(body_for(payload, slack)).status_code == 200
        slack.drain()
    assert [task.title for task in slack.tasks()] == ["Renew the lease"]


def test_every_corpus_file_is_in_a_group_and_named_in_sources() -> None:
    """The corpus stays replayable and traceable: each file has a known group and an entry
    in SOURCES.md, and no file holds a token."""
    sources = (CORPUS / "SOURCES.md").read_text()
    files = sorted(CORPUS.glob("*.json"))
    assert files
    for path in files:
        assert path.name.split("__", 1)[0] in GROUPS, path.name
        assert f"### `{path.name}`" in sources, path.name
        text = path.read_text()
        assert not re.search(r"xox[abposre]-|xapp-", text), path.name
        assert load(path).get("token", "fake-verification-token") == "fake-verification-token"
    assert set(KNOWN_BUGS) <= {path.name for path in files}


def _all_named() -> Iterator[str]:
    for group in GROUPS:
        for path in corpus_files(group):
            yield path.name


def test_the_corpus_is_covered_by_the_group_tests() -> None:
    """Every file is replayed by exactly one of the group tests above."""
    names = list(_all_named())
    assert sorted(names) == sorted(path.name for path in CORPUS.glob("*.json"))
    assert len(names) == len(set(names))


def test_slacks_rate_limit_notice_is_acknowledged_and_logged(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack's notice that it held back the app's events for a minute is answered 200 (an
    unanswered notice counts as a failed delivery) and leaves one warning for the operator."""
    caplog.set_level(logging.INFO)
    response = slack.post(body_for(load(CORPUS / "quiet__app_rate_limited.json"), slack))
    assert response.status_code == 200
    [warning] = [r for r in caplog.records if "rate-limited" in r.getMessage()]
    assert warning.levelno == logging.WARNING
