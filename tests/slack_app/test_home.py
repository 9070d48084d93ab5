"""The App Home through the real endpoint: opening the tab publishes the person's tasks, by
section, in their time zone, within Slack's block limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from devtools.local_web_api import LocalSlackWebAPI
from slack_app.views import blocks
from tasks.due_dates import ResolvedDue
from tasks.enums import TaskStatus
from tasks.service import TaskService
from tests.slack_app.support import TEAM, SlackHarness, event_callback, next_ts

PARIS = ZoneInfo("Europe/Paris")  # alice's zone in the directory


def home_opened(*, user_id: str = "U0ALICE", tab: str = "home") -> bytes:
    """An `app_home_opened` event, as Slack sends it when a person opens a tab of the app."""
    return event_callback(
        {
            "type": "app_home_opened",
            "user": user_id,
            "channel": "D0" + user_id.removeprefix("U"),
            "tab": tab,
            "event_ts": next_ts(),
        }
    )


def open_home(slack: SlackHarness, web: LocalSlackWebAPI, **options: Any) -> dict[str, Any]:
    """Open the Home tab; the view published for the person."""
    assert slack.post(home_opened(**options)).status_code == 200
    slack.drain()
    [publish] = web.calls_to("views.publish")
    assert publish.args["user_id"] == options.get("user_id", "U0ALICE")
    view = publish.args["view"]
    return json.loads(view) if isinstance(view, str) else view


def sections(view: dict[str, Any]) -> dict[str, list[int]]:
    """Each header of the view and the task numbers of the cards under it."""
    found: dict[str, list[int]] = {}
    current: list[int] = []
    for block in view["blocks"]:
        if block["type"] == "header":
            current = found.setdefault(block["text"]["text"], [])
        elif block["type"] == "section" and block.get("block_id", "").startswith("task_card:"):
            parsed = blocks.parse_block_id(block["block_id"])
            assert parsed is not None
            current.append(parsed[1])
    return found


def lines(view: dict[str, Any]) -> list[str]:
    return [
        element["text"]
        for block in view["blocks"]
        if block["type"] == "context"
        for element in block["elements"]
    ]


def days_ago(days: int) -> ResolvedDue:
    day = datetime.now(PARIS).date() - timedelta(days=days)
    return ResolvedDue(at=datetime.combine(day, time(0), tzinfo=PARIS), all_day=True, in_past=True)


def test_opening_the_home_shows_the_persons_tasks_by_section(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    with slack.sessions() as session, session.begin():
        alice = TaskService(session, team_id=TEAM, actor_id="U0ALICE", source="test")
        bob = TaskService(session, team_id=TEAM, actor_id="U0BOB", source="test")
        given = bob.create_task(title="Review the deck", assignee_id="U0ALICE").number
        own = alice.create_task(title="Renew the TLS cert").number
        handed = alice.create_task(title="Order badges", assignee_id="U0CAROL").number
        late = alice.create_task(title="File taxes", assignee_id="U0ALICE", due=days_ago(3)).number
        finished = alice.create_task(title="Book the venue", assignee_id="U0ALICE").number
        alice.update_task(number=finished, status=TaskStatus.done)
        alice.seed_task(
            number=90,
            title="Last month's report",
            assignee_id="U0ALICE",
            status=TaskStatus.done,
            created_at=datetime.now(UTC) - timedelta(days=21),
        )
        bob.create_task(title="Bob's own errand", assignee_id="U0BOB")
        # Overdue, but neither alice's nor given by her.
        bob.create_task(title="Carol's late one", assignee_id="U0CAROL", due=days_ago(2))
    view = open_home(slack, web)
    assert view["type"] == "home"
    assert sections(view) == {
        "📌 Your open tasks (3)": [late, own, given],
        "📤 Tasks you assigned (1)": [handed],
        "⏰ Overdue (1)": [late],
        "✅ Done this week (1)": [finished],
    }
    ids = [block["block_id"] for block in view["blocks"] if "block_id" in block]
    assert len(ids) == len(set(ids)), "Slack refuses a view with a block_id twice"


def test_an_empty_home_says_something_friendly(slack: SlackHarness, web: LocalSlackWebAPI) -> None:
    view = open_home(slack, web)
    assert sections(view) == {
        "📌 Your open tasks": [],
        "📤 Tasks you assigned": [],
        "⏰ Overdue": [],
        "✅ Done this week": [],
    }
    assert "Nothing on your plate right now. Enjoy the calm! 🌿" in lines(view)
    assert "Nothing overdue. Nice work! 🎉" in lines(view)


def test_due_times_show_in_the_readers_zone(slack: SlackHarness, web: LocalSlackWebAPI) -> None:
    at = datetime(2030, 5, 17, 15, 0, tzinfo=UTC)
    with slack.sessions() as session, session.begin():
        TaskService(session, team_id=TEAM, actor_id="U0ALICE", source="test").create_task(
            title="Call the bank",
            assignee_id="U0BOB",
            due=ResolvedDue(at=at, all_day=False, in_past=False),
        )
    alice_view = json.dumps(open_home(slack, web), ensure_ascii=False)
    assert "📅 Fri 2030-05-17 17:00" in alice_view  # 15:00 UTC is 17:00 in Paris


def test_a_long_section_is_cut_with_how_many_more(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    with slack.sessions() as session, session.begin():
        service = TaskService(session, team_id=TEAM, actor_id="U0ALICE", source="test")
        for n in range(70):
            service.create_task(title=f"Chore {n}", assignee_id="U0ALICE")
    view = open_home(slack, web)
    assert len(view["blocks"]) <= blocks.HOME_BLOCKS_MAX
    shown = sections(view)["📌 Your open tasks (70)"]
    assert 0 < len(shown) < 70
    assert f"…and {70 - len(shown)} more. Ask me “what's on my plate?” to see them all." in (
        lines(view)
    )


def test_other_tabs_publish_nothing(slack: SlackHarness, web: LocalSlackWebAPI) -> None:
    assert slack.post(home_opened(tab="messages")).status_code == 200
    slack.drain()
    assert web.calls_to("views.publish") == []


def test_a_home_with_hundreds_of_tasks_loads_only_what_it_shows_and_counts_the_rest(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    # Every change a person makes republishes their Home; with thousands of open tasks each
    # refresh used to load every one of them (the soak drill's memory growth).
    from tests.conftest import tasks_loaded

    with slack.sessions() as session, session.begin():
        alice = TaskService(session, team_id=TEAM, actor_id="U0ALICE", source="test")
        for n in range(40):
            alice.create_task(title=f"Mine {n}", assignee_id="U0ALICE")
            alice.create_task(title=f"Unassigned {n}")
            alice.create_task(title=f"Handed {n}", assignee_id="U0CAROL")
        for n in range(30):
            alice.create_task(title=f"Late {n}", assignee_id="U0ALICE", due=days_ago(2))
        for n in range(30):
            number = alice.create_task(title=f"Finished {n}", assignee_id="U0ALICE").number
            alice.update_task(number=number, status=TaskStatus.done)
    with tasks_loaded() as loaded:
        view = open_home(slack, web)
    headers = set(sections(view))
    assert headers == {
        "📌 Your open tasks (110)",
        "📤 Tasks you assigned (40)",
        "⏰ Overdue (30)",
        "✅ Done this week (30)",
    }
    # At most a section's worth from each of the queries behind the four sections.
    assert len(loaded) <= 6 * blocks.HOME_SECTION_CARDS_MAX
    shown = sections(view)["📌 Your open tasks (110)"]
    assert f"…and {110 - len(shown)} more. Ask me “what's on my plate?” to see them all." in (
        lines(view)
    )
