"""The rotation drill: rotate the Slack signing secret and an API key while requests flow.

No request with a valid old or new credential fails during the grace period, and none with a
revoked one succeeds after it. Worker threads keep sending signed Slack requests (with the old
or the new signing secret) and REST requests (with the old or the new API key) to the running
server while the test rotates both and then retires the old ones. Every request records when
it started and ended (`time.monotonic()`, for ordering only) and its status; every transition
records when it began and when it had taken effect. A request overlapping a transition may go
either way; every other one must be answered as its credential deserves.

The signing secret lives in a mounted file (the `file` secrets backend), cached for five
minutes; the cache's clock is moved by hand, and the server thread shares it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from devtools.local_web_api import LocalSlackWebAPI
from tasks.api_keys import ApiKeyService
from tests.conftest import SecretsClock
from tests.slack_app.conftest import SlackFactory
from tests.slack_app.support import TEAM, SlackHarness, sign, slash_command

OLD = "old-signing-secret-0a1b2c3d"
NEW = "new-signing-secret-4e5f6a7b"
TTL = 300.0
WORKERS = 4
# Requests each credential must see within a phase before the test moves on.
PER_CREDENTIAL = 15
PHASE_DEADLINE_SECONDS = 60.0

# Credential labels: Slack signing secrets and REST API keys, old and new.
SLACK_CREDENTIALS = ("OLD", "NEW")
OLD_CREDENTIALS = frozenset({"OLD", "K1"})
NEW_CREDENTIALS = frozenset({"NEW", "K2"})


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    path = tmp_path / "run-secrets"
    path.mkdir()
    return path


def write_secret(secrets_dir: Path, value: str) -> None:
    """Replace the mounted signing secret at once, as a volume update does (never half-written)."""
    staged = secrets_dir / ".staged-signing-secret"
    staged.write_text(f"{value}\n")
    os.replace(staged, secrets_dir / "SLACK_SIGNING_SECRET")


@dataclass(frozen=True)
class Outcome:
    """One request of the drill."""

    credential: str
    kind: str
    started: float
    ended: float
    status: int
    response_name: str | None = None
    error: str | None = None

    def __repr__(self) -> str:
        told = f" ({self.error})" if self.error else ""
        span = f"{self.started:.3f}..{self.ended:.3f}"
        return f"<{self.credential} {self.kind} -> {self.status}{told} at {span}>"


@dataclass(frozen=True)
class Transition:
    began: float
    done: float


@dataclass
class DrillState:
    """What the workers may use now, set by the main thread once a transition took effect."""

    phase: int
    credentials: tuple[str, ...]
    values: dict[str, str]
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    outcomes: list[Outcome] = field(default_factory=list[Outcome])
    # Requests that started within a phase, by (phase, credential).
    started_in: Counter[tuple[int, str]] = field(default_factory=Counter[tuple[int, str]])

    def current(self) -> tuple[int, tuple[str, ...], dict[str, str]]:
        with self.lock:
            return self.phase, self.credentials, dict(self.values)

    def publish(self, phase: int, credentials: tuple[str, ...], **values: str) -> None:
        with self.lock:
            self.values.update(values)
            self.credentials = credentials
            self.phase = phase

    def record(self, phase: int, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)
            self.started_in[(phase, outcome.credential)] += 1

    def wait_for_traffic(self, phase: int) -> None:
        """Until every credential of `phase` was used `PER_CREDENTIAL` times within it."""
        deadline = time.monotonic() + PHASE_DEADLINE_SECONDS
        while True:
            with self.lock:
                counts = {c: self.started_in[(phase, c)] for c in self.credentials}
            if all(count >= PER_CREDENTIAL for count in counts.values()):
                return
            assert time.monotonic() < deadline, f"phase {phase} saw too few requests: {counts}"
            time.sleep(0.005)


def worker(
    slack: SlackHarness, web: LocalSlackWebAPI, state: DrillState, index: int
) -> Callable[[], None]:
    """A loop sending requests until told to stop, each with the next credential in turn."""

    def send(http: httpx.Client, credential: str, value: str, count: int) -> Outcome:
        started = time.monotonic()
        name: str | None = None
        if credential in SLACK_CREDENTIALS:
            if count % 3 == 0:
                name = f"drill-{index}-{count}"
                kind = "/task list"
                body = slash_command("list", response_url=web.response_url(name))
                content_type = "application/x-www-form-urlencoded"
            else:
                kind = "url_verification"
                challenge = f"c-{index}-{count}"
                body = json.dumps(
                    {"token": "x", "challenge": challenge, "type": "url_verification"}
                ).encode()
                content_type = "application/json"
            headers = {"Content-Type": content_type, **sign(body, secret=value)}
            response = http.post("/slack/events", content=body, headers=headers)
        else:
            kind = "GET /api/v1/tasks"
            response = http.get("/api/v1/tasks", headers={"Authorization": f"Bearer {value}"})
        return Outcome(
            credential=credential,
            kind=kind,
            started=started,
            ended=time.monotonic(),
            status=response.status_code,
            response_name=name,
        )

    def run() -> None:
        count = index
        with httpx.Client(base_url=slack.base_url, timeout=30) as http:
            while not state.stop.is_set():
                phase, credentials, values = state.current()
                credential = credentials[count % len(credentials)]
                started = time.monotonic()
                try:
                    outcome = send(http, credential, values[credential], count)
                except Exception as error:  # recorded, and failed on by the main thread
                    outcome = Outcome(
                        credential=credential,
                        kind="?",
                        started=started,
                        ended=time.monotonic(),
                        status=-1,
                        error=f"{type(error).__name__}: {error}",
                    )
                state.record(phase, outcome)
                count += 1

    return run


def window(outcome: Outcome, rotation: Transition, retirement: Transition) -> str:
    """Where a request fell relative to the two transitions."""
    if outcome.ended < rotation.began:
        return "1-before"
    if outcome.started > rotation.done and outcome.ended < retirement.began:
        return "2-grace"
    if outcome.started > retirement.done:
        return "3-after"
    return "overlap"


def summary(outcomes: list[Outcome], rotation: Transition, retirement: Transition) -> str:
    counts = Counter((window(o, rotation, retirement), o.credential, o.status) for o in outcomes)
    lines = [f"{len(outcomes)} requests (window, credential, status: count):"]
    lines += [f"  {w:9} {c:4} {s}: {n}" for (w, c, s), n in sorted(counts.items())]
    kinds = Counter((o.kind, o.status) for o in outcomes)
    lines += ["by request:", *[f"  {k} {s}: {n}" for (k, s), n in sorted(kinds.items())]]
    return "\n".join(lines)


def test_rotation_drill_keeps_valid_credentials_working_and_stops_revoked_ones(
    make_slack: SlackFactory, web: LocalSlackWebAPI, secrets_dir: Path, secrets_clock: SecretsClock
) -> None:
    write_secret(secrets_dir, OLD)
    with make_slack(
        TASKPILOT_SECRETS_BACKEND="file",
        TASKPILOT_SECRETS_DIR=str(secrets_dir),
        TASKPILOT_SECRETS_TTL_SECONDS=TTL,
        # The drill is about credentials, not budgets.
        TASKPILOT_RATE_LIMIT_KEY="100000/minute",
    ) as slack:
        with slack.sessions() as session, session.begin():
            k1 = ApiKeyService(session, actor_id="cli:drill", source="cli").create(
                team_id=TEAM, name="drill", scopes=["tasks:read", "tasks:write"], expires_in=None
            )
        k1_key, k1_prefix = k1.key, k1.prefix
        state = DrillState(phase=1, credentials=("OLD", "K1"), values={"OLD": OLD, "K1": k1_key})
        threads = [
            threading.Thread(target=worker(slack, web, state, i), name=f"drill-{i}", daemon=True)
            for i in range(WORKERS)
        ]
        for thread in threads:
            thread.start()
        try:
            state.wait_for_traffic(1)

            # 1. Rotation starts: the new secret goes in front of the old one and the cache
            # expires; K1 is rotated to K2 with a day's grace.
            began = time.monotonic()
            write_secret(secrets_dir, f"{NEW},{OLD}")
            secrets_clock.now += TTL + 1
            with slack.sessions() as session, session.begin():
                k2 = ApiKeyService(session, actor_id="cli:drill", source="cli").rotate(
                    prefix=k1_prefix, grace=timedelta(hours=24)
                )
            k2_key = k2.key
            rotation = Transition(began=began, done=time.monotonic())
            state.publish(2, ("OLD", "NEW", "K1", "K2"), NEW=NEW, K2=k2_key)
            state.wait_for_traffic(2)

            # 2. Rotation ends: only the new secret is left and the cache expires; K1 is
            # revoked. The workers keep sending the old credentials on purpose.
            began = time.monotonic()
            write_secret(secrets_dir, NEW)
            secrets_clock.now += TTL + 1
            with slack.sessions() as session, session.begin():
                ApiKeyService(session, actor_id="cli:drill", source="cli").revoke(prefix=k1_prefix)
            retirement = Transition(began=began, done=time.monotonic())
            state.publish(3, ("OLD", "NEW", "K1", "K2"))
            state.wait_for_traffic(3)
        finally:
            state.stop.set()
            for thread in threads:
                thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "a drill worker is stuck"
        slack.drain()
        answered = {call.path.rsplit("/", 1)[-1] for call in web.calls_to("response_url")}

    outcomes = list(state.outcomes)
    report = summary(outcomes, rotation, retirement)
    print(report)

    errors = [o for o in outcomes if o.error is not None]
    assert not errors, f"requests failed to complete: {errors[:5]}\n{report}"
    server_errors = [o for o in outcomes if o.status >= 500]
    assert not server_errors, f"5xx answers: {server_errors[:5]}\n{report}"
    unexpected = [o for o in outcomes if o.status not in (200, 401)]
    assert not unexpected, f"answers other than 200 and 401: {unexpected[:5]}\n{report}"

    old_before_retirement = [
        o for o in outcomes if o.credential in OLD_CREDENTIALS and o.ended < retirement.began
    ]
    refused = [o for o in old_before_retirement if o.status != 200]
    assert not refused, f"an old credential failed before it was retired: {refused[:5]}\n{report}"

    new_after_rotation = [
        o for o in outcomes if o.credential in NEW_CREDENTIALS and o.started > rotation.done
    ]
    refused = [o for o in new_after_rotation if o.status != 200]
    assert not refused, f"a new credential failed after the rotation: {refused[:5]}\n{report}"
    assert all(o.started > rotation.done for o in outcomes if o.credential in NEW_CREDENTIALS)

    old_after_retirement = [
        o for o in outcomes if o.credential in OLD_CREDENTIALS and o.started > retirement.done
    ]
    let_through = [o for o in old_after_retirement if o.status != 401]
    assert not let_through, f"a retired credential still worked: {let_through[:5]}\n{report}"

    # Not vacuous: every credential was used in every window it belongs to.
    windows = Counter((window(o, rotation, retirement), o.credential) for o in outcomes)
    wanted = [
        ("1-before", "OLD"),
        ("1-before", "K1"),
        *[("2-grace", c) for c in ("OLD", "NEW", "K1", "K2")],
        *[("3-after", c) for c in ("OLD", "NEW", "K1", "K2")],
    ]
    empty = [pair for pair in wanted if windows[pair] == 0]
    assert not empty, f"no requests in {empty}\n{report}"

    # A refused slash command ran nothing; an accepted one was answered.
    commands = [o for o in outcomes if o.response_name is not None]
    accepted = {o.response_name for o in commands if o.status == 200}
    refused_names = {o.response_name for o in commands if o.status == 401}
    assert refused_names, f"no slash command was refused\n{report}"
    assert not (answered & refused_names), f"refused commands ran: {answered & refused_names}"
    assert accepted <= answered, f"accepted commands went unanswered: {accepted - answered}"
