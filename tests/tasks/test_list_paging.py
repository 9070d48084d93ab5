"""`TaskService.list_tasks` for keyset paging: the tag filter, `after_number` and
`order="number"`, alone and with the other filters.

Every test here runs on SQLite and on PostgreSQL (see the `engine` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from tasks.due_dates import resolve_due
from tasks.models import Task
from tasks.service import TaskService
from tests.conftest import SeededTeam
from tests.tasks.conftest import MakeService

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=NY)  # a Wednesday


def numbers(tasks: list[Task]) -> list[int]:
    return [task.number for task in tasks]


@pytest.fixture
def tagged(make_service: MakeService, session: Session, seeded_team: SeededTeam) -> TaskService:
    """Tasks whose tags look alike but differ, and another team's task with the same tag."""
    alice = make_service()
    alice.create_task(title="Budget", tags=["#Finance", "q3"])  # 1
    alice.create_task(title="Ops budget", tags=["finance-ops"])  # 2
    alice.create_task(title="Fin", tags=["fin"])  # 3
    alice.create_task(title="Untagged")  # 4
    alice.create_task(title="Audit", tags=["FINANCE"], assignee_id="U0BOB")  # 5
    alice.create_task(title="Summer", tags=["ÉTÉ"])  # 6
    alice.create_task(title="Odd", tags=["100%", "a_b", 'say "hi"', "back\\slash"])  # 7
    alice.create_task(title="Wild", tags=["a%b"])  # 8
    other = make_service("U0ERIN", team=seeded_team.other_team_id)
    other.create_task(title="Their budget", tags=["finance"])
    session.commit()
    return alice


def test_tag_matches_whole_tags_whatever_the_case_or_hash(tagged: TaskService) -> None:
    wanted = [1, 5]
    for spelling in ("finance", "Finance", "#FINANCE", "  #finance  ", "##finance"):
        listed = tagged.list_tasks(tag=spelling, order="number")
        assert numbers(listed) == wanted, spelling
        assert all("finance" in task.tags for task in listed)
    # Neither a prefix, nor a longer tag, nor another team's task.
    assert numbers(tagged.list_tasks(tag="fin")) == [3]
    assert tagged.list_tasks(tag="financ") == []
    assert numbers(tagged.list_tasks(tag="finance-ops")) == [2]


def test_tag_with_accents_quotes_and_sql_wildcards_is_matched_literally(
    tagged: TaskService,
) -> None:
    assert numbers(tagged.list_tasks(tag="Été")) == [6]
    assert numbers(tagged.list_tasks(tag="100%")) == [7]
    assert numbers(tagged.list_tasks(tag='say "hi"')) == [7]
    assert numbers(tagged.list_tasks(tag="back\\slash")) == [7]
    assert numbers(tagged.list_tasks(tag="a_b")) == [7]
    assert numbers(tagged.list_tasks(tag="a%b")) == [8]
    assert tagged.list_tasks(tag="%") == []
    assert tagged.list_tasks(tag="a_") == []
    assert tagged.list_tasks(tag="hi") == []


@pytest.mark.parametrize("blank", ["#", "  ", "# ", "##"])
def test_a_blank_tag_matches_nothing(tagged: TaskService, blank: str) -> None:
    assert tagged.list_tasks(tag=blank, limit=None) == []


def test_tags_changed_after_creation_are_what_the_filter_sees(
    tagged: TaskService, session: Session
) -> None:
    tagged.update_task(number=4, tags=["#Finance"])
    tagged.update_task(number=1, tags=["q3"])
    session.commit()
    assert numbers(tagged.list_tasks(tag="finance", order="number")) == [4, 5]


@pytest.fixture
def board(make_service: MakeService, session: Session) -> TaskService:
    """Eight tasks whose due order is not their number order; #3 is deleted."""
    alice = make_service()
    alice.create_task(title="One", due=resolve_due("dec 10", now=NOW), tags=["ops"])  # 1
    alice.create_task(title="Two", tags=["ops"])  # 2
    alice.create_task(title="Three", tags=["ops"])  # 3
    alice.create_task(title="Four", due=resolve_due("friday", now=NOW))  # 4
    alice.create_task(title="Five", due=resolve_due("yesterday", now=NOW), tags=["ops"])  # 5
    alice.create_task(title="Six", assignee_id="U0BOB", tags=["#Ops"])  # 6
    alice.create_task(title="Seven", priority="high", tags=["ops"])  # 7
    alice.create_task(title="Eight", due=resolve_due("tomorrow", now=NOW), tags=["ops"])  # 8
    alice.update_task(number=7, status="done")
    alice.delete_task(number=3)
    session.commit()
    return alice


def test_the_default_order_is_still_by_due_date(board: TaskService) -> None:
    assert numbers(board.list_tasks()) == [5, 8, 4, 1, 7, 6, 2]
    assert numbers(board.list_tasks(order="due")) == [5, 8, 4, 1, 7, 6, 2]


def test_order_number_lists_by_ascending_number(board: TaskService) -> None:
    assert numbers(board.list_tasks(order="number")) == [1, 2, 4, 5, 6, 7, 8]
    assert numbers(board.list_tasks(order="number", limit=3)) == [1, 2, 4]


def test_after_number_keeps_only_higher_numbers(board: TaskService) -> None:
    assert numbers(board.list_tasks(after_number=2, order="number")) == [4, 5, 6, 7, 8]
    # A deleted number works as a starting point too.
    assert numbers(board.list_tasks(after_number=3, order="number", limit=2)) == [4, 5]
    assert numbers(board.list_tasks(after_number=0, order="number")) == [1, 2, 4, 5, 6, 7, 8]
    assert board.list_tasks(after_number=8) == []
    assert board.list_tasks(after_number=2**31 - 1) == []
    assert board.list_tasks(after_number=2**63 - 1) == []
    assert numbers(board.list_tasks(after_number=-(2**63), order="number", limit=1)) == [1]
    # It is a filter, so it combines with the default order as well.
    assert numbers(board.list_tasks(after_number=4)) == [5, 8, 7, 6]


def test_paging_filters_combine_with_the_others(board: TaskService) -> None:
    def listed(**filters: Any) -> list[int]:
        return numbers(board.list_tasks(order="number", limit=None, **filters))

    assert listed(tag="ops") == [1, 2, 5, 6, 7, 8]
    assert listed(tag="ops", status=["open", "in_progress"]) == [1, 2, 5, 6, 8]
    assert listed(tag="ops", status="open", after_number=2) == [5, 6, 8]
    assert listed(tag="ops", assignee_id="U0BOB") == [6]
    assert listed(tag="ops", unassigned=True, after_number=5) == [7, 8]
    assert listed(tag="ops", priority="high") == [7]
    assert listed(tag="ops", query="e", after_number=1) == [5, 7, 8]
    assert listed(tag="OPS", due_before=datetime(2026, 12, 1, tzinfo=UTC)) == [5, 8]
    assert listed(tag="ops", overdue_at=NOW) == [5]
    assert listed(tag="nope") == []


def test_walking_pages_by_number_visits_each_tagged_task_once(board: TaskService) -> None:
    seen: list[int] = []
    after = 0
    while True:
        page = board.list_tasks(tag="#ops", after_number=after, order="number", limit=2)
        seen.extend(numbers(page))
        if len(page) < 2:
            break
        after = page[-1].number
    assert seen == [1, 2, 5, 6, 7, 8]
