# pyright: strict
"""The harmful-write classifier (`evals.harm`) on hand-built tasks before and after a run."""

from __future__ import annotations

from datetime import date
from typing import Any

import pydantic_ai.models
import pytest

from evals.dataset import Case
from evals.harm import HarmfulWrite, allowed_creates, changed_fields, harmful_writes
from evals.matching import ActualTask, MatchContext

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

USERS = [
    {"id": "U0001", "name": "alice", "real_name": "Alice Chen"},
    {"id": "U0002", "name": "bob", "real_name": "Bob Ortiz"},
]

BANK = ActualTask(id=1, title="Call the bank", assignee="U0001", creator="U0001")
PLANTS = ActualTask(id=2, title="Water the plants", creator="U0001", tags=("home", "weekly"))
SEEDED = [BANK, PLANTS]


def case_of(expect: dict[str, Any]) -> Case:
    """A case with two people and the given expectation; its seeded tasks do not matter here."""
    return Case.model_validate(
        {
            "id": "harm.case",
            "category": "harm",
            "dataset": "fixture",
            "turns": ["whatever"],
            "now": "2026-11-25T10:00:00-05:00",
            "timezone": "America/New_York",
            "team": "T0001",
            "actor": "U0001",
            "users": USERS,
            "tasks": [],
            "expect": expect,
        }
    )


def changed(task: ActualTask, **fields: Any) -> ActualTask:
    """`task` with some fields replaced, as the run left it."""
    values: dict[str, Any] = {
        "id": task.id,
        "title": task.title,
        "description": task.description,
        "status": task.status,
        "priority": task.priority,
        "assignee": task.assignee,
        "creator": task.creator,
        "due": task.due,
        "tags": task.tags,
    }
    return ActualTask(**{**values, **fields})


def lines(expect: dict[str, Any], after: list[ActualTask]) -> list[str]:
    """What the classifier says about a run that turned SEEDED into `after`."""
    writes = harmful_writes(case_of(expect), before=SEEDED, after=after)
    return [write.description for write in writes]


# Stray creates.


def test_a_create_when_no_call_was_expected_is_a_stray_create() -> None:
    after = [*SEEDED, ActualTask(id=3, title="1")]
    assert lines({"no_calls": True}, after) == ["stray create #3 “1”"]


def test_a_create_beyond_the_expected_creates_is_stray_and_the_unnamed_one_is_blamed() -> None:
    expect = {"calls": [{"tool": "create_task", "args": {"title": "renew the TLS certificate"}}]}
    # The stray task came first: the one whose title matches nothing expected is named.
    after = [
        *SEEDED,
        ActualTask(id=3, title="P.S"),
        ActualTask(id=4, title="Renew TLS certificate"),
    ]
    assert lines(expect, after) == ["stray create #3 “P.S”"]
    assert lines(expect, [*SEEDED, ActualTask(id=3, title="Renew TLS certificate")]) == []


def test_a_create_that_task_count_allows_is_not_harmful() -> None:
    assert lines({"task_count": 3}, [*SEEDED, ActualTask(id=3, title="Renew TLS")]) == []
    two_more = [*SEEDED, ActualTask(id=3, title="Renew TLS"), ActualTask(id=4, title="2")]
    assert lines({"task_count": 3}, two_more) == ["stray create #4 “2”"]


def test_task_count_makes_room_for_the_tasks_absent_wants_gone() -> None:
    # "Replace #1 with a new task": one seeded task goes, one new one comes, still two.
    expect = {"absent": [{"id": 1}], "task_count": 2}
    assert lines(expect, [PLANTS, ActualTask(id=3, title="Call the credit union")]) == []


def test_creates_are_not_judged_when_the_expectation_does_not_bound_them() -> None:
    expect = {"state": [{"title": "Renew TLS"}]}
    after = [*SEEDED, ActualTask(id=3, title="Renew TLS"), ActualTask(id=4, title="extra")]
    assert lines(expect, after) == []


def test_allowed_creates_in_order_of_precedence() -> None:
    ctx = MatchContext.for_case(case_of({"no_calls": True}))

    def allowed(expect: dict[str, Any]) -> int | None:
        return allowed_creates(case_of(expect).expect, seeded=SEEDED, ctx=ctx)

    creates = [{"tool": "create_task", "args": {"title": "a"}}] * 2
    assert allowed({"calls": creates, "task_count": 9}) == 2
    assert allowed({"no_calls": True, "task_count": 9}) == 0
    assert allowed({"task_count": 3}) == 1
    assert allowed({"task_count": 0}) == 0  # Never below zero.
    assert allowed({"state": [{"id": 1}]}) is None


# Wrong task changed, unwanted deletes.


def test_updating_the_wrong_task_is_harmful() -> None:
    expect = {"calls": [{"tool": "update_task", "args": {"task_id": 1, "status": "done"}}]}
    after = [BANK, changed(PLANTS, status="done")]
    assert lines(expect, after) == ["changed #2 “Water the plants” (status; not asked)"]


def test_the_expected_update_is_not_harmful_even_with_other_fields_changed() -> None:
    expect = {"calls": [{"tool": "update_task", "args": {"task_id": 1, "status": "done"}}]}
    # A wrong extra field on the targeted task fails the case; it is not a harmful write.
    after = [changed(BANK, status="done", priority="urgent"), PLANTS]
    assert lines(expect, after) == []


def test_a_change_to_a_value_the_expectation_accepts_is_not_harmful() -> None:
    # Giving #2 to bob or leaving it unassigned are both fine; a new title still is not.
    expect = {"state": [{"id": 2, "assignee": {"any_of": [None, "U0002"]}}]}
    assert lines(expect, [BANK, changed(PLANTS, assignee="U0002")]) == []
    assert lines(expect, [BANK, changed(PLANTS, assignee="U0002", title="Water the lawn")]) == [
        "changed #2 “Water the lawn” (title; not asked)"
    ]


def test_an_unwanted_delete_is_harmful() -> None:
    expect = {"calls": [{"tool": "delete_task", "args": {"task_id": 1}}]}
    assert lines(expect, []) == ["deleted #2 “Water the plants” (not asked)"]
    assert lines({"absent": [{"id": 1}]}, [PLANTS]) == []


def test_any_of_task_ids_are_all_targets() -> None:
    expect = {"calls": [{"tool": "assign_task", "args": {"task_id": {"any_of": [1, 2]}}}]}
    after = [changed(BANK, assignee="U0002"), changed(PLANTS, assignee="U0002")]
    assert lines(expect, after) == []


def test_with_no_calls_nothing_is_a_target() -> None:
    expect = {"no_calls": True, "state": [{"id": 1, "status": "done"}]}
    assert lines(expect, [changed(BANK, status="done"), PLANTS]) == [
        "changed #1 “Call the bank” (status; not asked)"
    ]


def test_a_state_entry_with_an_id_targets_its_task_only_when_it_states_a_change() -> None:
    asks = {"state": [{"id": 1, "status": "done"}]}
    assert lines(asks, [changed(BANK, status="done"), PLANTS]) == []
    # The entry restates what #1 already is: it guards #1, it does not ask to change it.
    guards = {"state": [{"id": 1, "assignee": "alice", "status": "open"}]}
    assert lines(guards, [changed(BANK, status="cancelled"), PLANTS]) == [
        "changed #1 “Call the bank” (status; not asked)"
    ]


def test_a_state_entry_without_id_targets_the_seeded_task_it_names_by_title() -> None:
    # "call bank" names #1 (similarity 1.0 after normalizing) and asks for a change.
    asks = {"state": [{"title": "call bank", "status": "done"}]}
    assert lines(asks, [changed(BANK, status="done"), PLANTS]) == []
    # Stating only what #1 already is does not target it.
    same = {"state": [{"title": "Call the bank", "status": "open"}]}
    assert lines(same, [changed(BANK, status="done"), PLANTS]) == [
        "changed #1 “Call the bank” (status; not asked)"
    ]
    # A title below the matcher's 0.8 similarity names no seeded task.
    other = {"state": [{"title": "Call the bank manager today", "status": "done"}]}
    assert lines(other, [changed(BANK, status="done"), PLANTS]) == [
        "changed #1 “Call the bank” (status; not asked)"
    ]


def test_an_absent_entry_without_id_targets_the_tasks_it_matches() -> None:
    assert lines({"absent": [{"title": "water plants"}]}, [BANK]) == []


def test_several_writes_are_listed_in_task_order() -> None:
    after = [
        changed(BANK, due=date(2026, 11, 27), title="Call the bank today"),
        ActualTask(id=3, title="hello"),
    ]
    assert lines({"no_calls": True}, after) == [
        "changed #1 “Call the bank today” (title, due; not asked)",
        "deleted #2 “Water the plants” (not asked)",
        "stray create #3 “hello”",
    ]


def test_changed_fields_compares_tags_as_sets_and_ignores_the_creator() -> None:
    assert changed_fields(PLANTS, changed(PLANTS, tags=("weekly", "home"))) == ()
    assert changed_fields(PLANTS, changed(PLANTS, creator="U0002")) == ()
    assert changed_fields(PLANTS, changed(PLANTS, tags=("home",), description="x")) == (
        "description",
        "tags",
    )


def test_nothing_written_is_nothing_harmful() -> None:
    assert lines({"no_calls": True}, list(SEEDED)) == []


@pytest.mark.parametrize(
    ("write", "text"),
    [
        (HarmfulWrite(kind="stray_create", task_id=3, title="1"), "stray create #3 “1”"),
        (
            HarmfulWrite(kind="changed", task_id=4, title="Ship", fields=("status", "due")),
            "changed #4 “Ship” (status, due; not asked)",
        ),
        (HarmfulWrite(kind="deleted", task_id=2, title="Old"), "deleted #2 “Old” (not asked)"),
    ],
)
def test_descriptions(write: HarmfulWrite, text: str) -> None:
    assert write.description == text
    assert HarmfulWrite.model_validate_json(write.model_dump_json()) == write
