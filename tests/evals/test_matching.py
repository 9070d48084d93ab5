# pyright: strict
"""The matching rules of `taskpilot-evals/v1`, case by case: what must pass and what must fail."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pydantic_ai.models
import pytest

from evals.dataset import Expectation, SeedUser
from evals.matching import (
    ActualCall,
    ActualTask,
    Check,
    MatchContext,
    UnresolvedUserError,
    all_passed,
    match_case,
    normalize_text,
    resolve_user_ref,
    token_set_similarity,
)

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

NY = ZoneInfo("America/New_York")
# A Wednesday morning in New York.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=NY)
USERS = [
    SeedUser(id="U0001", name="alice", real_name="Alice Chen"),
    SeedUser(id="U0002", name="bob", real_name="Bob Ortiz", display_name="Bobby"),
    SeedUser(id="U0003", name="carol", real_name="Carol Diaz"),
]
CTX = MatchContext(now=NOW, actor_id="U0001", users=USERS)


def call(tool: str, **args: object) -> ActualCall:
    return ActualCall(tool=tool, args=args)


def task(number: int, title: str, **fields: Any) -> ActualTask:
    return ActualTask(id=number, title=title, creator=fields.pop("creator", "U0001"), **fields)


def run(
    expect: Mapping[str, object],
    calls: Sequence[ActualCall] = (),
    tasks: Sequence[ActualTask] = (),
    ctx: MatchContext = CTX,
) -> list[Check]:
    return match_case(Expectation.model_validate(expect), calls=calls, tasks=tasks, ctx=ctx)


def one_call(tool: str, **args: object) -> dict[str, object]:
    return {"calls": [{"tool": tool, "args": args}]}


def failures(checks: Sequence[Check]) -> list[str]:
    return [check.reason for check in checks if not check.passed]


# Text.


def test_normalize_text_drops_case_punctuation_articles_and_spacing() -> None:
    assert (
        normalize_text("  Renew the TLS-certificate, please!  ") == "renew tls certificate please"
    )
    assert normalize_text("Don't forget An apple") == "dont forget apple"
    assert normalize_text("The end.") == "end"


def test_token_set_similarity_ignores_order_and_repeats() -> None:
    assert token_set_similarity("deck Q3 send", "send the Q3 deck") == 1.0
    assert token_set_similarity("send send Q3 deck", "send Q3 deck") == 1.0
    assert token_set_similarity("", "") == 1.0
    assert token_set_similarity("", "anything") == 0.0


def test_token_set_similarity_does_not_treat_a_subset_as_identical() -> None:
    # rapidfuzz's token_set_ratio would score this 1.0; a one-word title is not a match.
    assert token_set_similarity("renew", "renew the TLS certificate") < 0.5


# Users.


@pytest.mark.parametrize(
    ("ref", "user_id"),
    [
        ("U0002", "U0002"),
        ("u0002", "U0002"),
        ("<@U0002>", "U0002"),
        ("<@U0002|bob>", "U0002"),
        ("@bob", "U0002"),
        ("bob", "U0002"),
        ("BOB", "U0002"),
        ("Bobby", "U0002"),
        ("Bob Ortiz", "U0002"),
        ("bob  ortiz", "U0002"),
        ("Carol", "U0003"),
        ("me", "U0001"),
        ("Me", "U0001"),
        ("U0999", "U0999"),
        ("<@U0999>", "U0999"),
    ],
)
def test_resolve_user_ref(ref: str, user_id: str) -> None:
    assert resolve_user_ref(ref, users=USERS, actor_id="U0001") == user_id


def test_resolve_user_ref_refuses_unknown_and_ambiguous_names() -> None:
    users = [*USERS, SeedUser(id="U0004", name="bsmith", real_name="Bob Smith")]
    with pytest.raises(UnresolvedUserError, match="names none"):
        resolve_user_ref("dave", users=users, actor_id="U0001")
    # "bob" is bob's handle, which wins over the first name of Bob Smith.
    assert resolve_user_ref("bob", users=users, actor_id="U0001") == "U0002"


def test_resolve_user_ref_first_name_shared_by_two_people_is_ambiguous() -> None:
    users = [
        SeedUser(id="U0005", name="dk", real_name="Dana Kim"),
        SeedUser(id="U0006", name="dl", real_name="Dana Lee"),
    ]
    with pytest.raises(UnresolvedUserError, match="ambiguous"):
        resolve_user_ref("dana", users=users, actor_id="U0005")


# Calls that must pass.

PASSING_CALLS: list[tuple[str, dict[str, object], list[ActualCall]]] = [
    (
        "exact title",
        one_call("create_task", title="renew the TLS certificate"),
        [call("create_task", title="renew the TLS certificate")],
    ),
    (
        "title differs in case, punctuation and articles",
        one_call("create_task", title="renew the TLS certificate"),
        [call("create_task", title="Renew TLS certificate!")],
    ),
    (
        "title similarity exactly 0.8",
        one_call("create_task", title="renew the TLS certificate"),
        [call("create_task", title="renew TLS cert")],
    ),
    (
        "due as a weekday phrase",
        one_call("create_task", title="send deck", due="2026-11-27"),
        [call("create_task", title="send deck", due="friday")],
    ),
    (
        "due as a YAML date",
        one_call("create_task", title="send deck", due=date(2026, 11, 27)),
        [call("create_task", title="send deck", due="2026-11-27")],
    ),
    (
        "due date expectation accepts a time on that day",
        one_call("create_task", title="send deck", due="2026-11-27"),
        [call("create_task", title="send deck", due="friday 5pm")],
    ),
    (
        "due with a time",
        one_call("create_task", title="send deck", due="2026-11-27T17:00"),
        [call("create_task", title="send deck", due="friday 5pm")],
    ),
    (
        "due with a time as an ISO datetime",
        one_call("create_task", title="send deck", due="2026-11-26T17:00:00"),
        [call("create_task", title="send deck", due="2026-11-26T17:00")],
    ),
    (
        "assignee by handle against an id",
        one_call("create_task", title="send deck", assignee="U0002"),
        [call("create_task", title="send deck", assignee="bob")],
    ),
    (
        "assignee by mention",
        one_call("create_task", title="send deck", assignee="U0002"),
        [call("create_task", title="send deck", assignee="<@U0002|bob>")],
    ),
    (
        "assignee by real name against a handle",
        one_call("create_task", title="send deck", assignee="bob"),
        [call("create_task", title="send deck", assignee="Bob Ortiz")],
    ),
    (
        "assignee me",
        one_call("assign_task", task_id=7, assignee="U0001"),
        [call("assign_task", task_id=7, assignee="me")],
    ),
    (
        "assignee that names nobody, passed on as said",
        one_call("assign_task", task_id=4, assignee={"any_of": ["zed"]}),
        [call("assign_task", task_id=4, assignee="@Zed")],
    ),
    (
        "task id as '#7'",
        one_call("update_task", task_id=7, status="done"),
        [call("update_task", task_id="#7", status="done")],
    ),
    (
        "task id as '7'",
        one_call("update_task", task_id="7", status="done"),
        [call("update_task", task_id="7", status="done")],
    ),
    (
        "tags as sets, normalized",
        one_call("create_task", title="fix login", tags=["ops", "urgent"]),
        [call("create_task", title="fix login", tags=["#Urgent", "ops"])],
    ),
    (
        "any_of picks the second value",
        one_call("update_task", task_id=7, priority={"any_of": ["high", "urgent"]}),
        [call("update_task", task_id=7, priority="urgent")],
    ),
    (
        "any_of with null lets the argument be left out",
        one_call("create_task", title="send deck", priority={"any_of": ["high", None]}),
        [call("create_task", title="send deck")],
    ),
    (
        "any_of with null still accepts the value",
        one_call("create_task", title="send deck", priority={"any_of": ["high", None]}),
        [call("create_task", title="send deck", priority="high")],
    ),
    (
        "explicit null and the argument left out",
        one_call("create_task", title="send deck", assignee=None),
        [call("create_task", title="send deck")],
    ),
    (
        "unnamed arguments null or at their defaults",
        one_call("list_tasks", assignee="me"),
        [call("list_tasks", assignee="U0001", status=None, limit=20)],
    ),
    (
        "limit as a string",
        one_call("list_tasks", limit=5),
        [call("list_tasks", limit="5")],
    ),
    (
        "query similarity",
        one_call("list_tasks", query="TLS certificate"),
        [call("list_tasks", query="the tls certificate")],
    ),
    (
        "due_before compares the resolved date",
        one_call("list_tasks", due_before="2026-11-27"),
        [call("list_tasks", due_before="Friday")],
    ),
    (
        "several calls in order",
        {
            "calls": [
                {"tool": "list_tasks", "args": {"query": "bank"}},
                {"tool": "update_task", "args": {"task_id": 7, "status": "done"}},
            ]
        },
        [call("list_tasks", query="bank"), call("update_task", task_id=7, status="done")],
    ),
    ("calls: [] and no call", {"calls": []}, []),
    ("no_calls and no call", {"no_calls": True}, []),
]


@pytest.mark.parametrize(
    ("expect", "calls"),
    [(expect, calls) for _, expect, calls in PASSING_CALLS],
    ids=[name for name, _, _ in PASSING_CALLS],
)
def test_calls_that_match(expect: dict[str, object], calls: list[ActualCall]) -> None:
    checks = run(expect, calls)
    assert failures(checks) == []
    assert all_passed(checks)


# Calls that must fail, with the reason they give.

FAILING_CALLS: list[tuple[str, dict[str, object], list[ActualCall], str]] = [
    (
        "wrong tool",
        one_call("create_task", title="send deck"),
        [call("list_tasks", query="send deck")],
        "call 1: expected create_task, got list_tasks(query='send deck')",
    ),
    (
        "extra call",
        one_call("create_task", title="send deck"),
        [call("create_task", title="send deck"), call("list_tasks")],
        "call 2: unexpected extra call list_tasks()",
    ),
    (
        "missing call",
        {
            "calls": [
                {"tool": "create_task", "args": {"title": "send deck"}},
                {"tool": "assign_task", "args": {"task_id": 1, "assignee": "bob"}},
            ]
        },
        [call("create_task", title="send deck")],
        "call 2: missing assign_task call (the model made 1 calls)",
    ),
    (
        "wrong order",
        {
            "calls": [
                {"tool": "list_tasks", "args": {"query": "bank"}},
                {"tool": "update_task", "args": {"task_id": 7, "status": "done"}},
            ]
        },
        [call("update_task", task_id=7, status="done"), call("list_tasks", query="bank")],
        "call 1: expected list_tasks, got update_task(task_id=7, status='done')",
    ),
    (
        "invented argument",
        one_call("create_task", title="send deck"),
        [call("create_task", title="send deck", channel="C1")],
        "call 1: create_task.channel 'C1' is not an argument of create_task",
    ),
    (
        "argument the expectation does not name",
        one_call("create_task", title="send deck"),
        [call("create_task", title="send deck", priority="high")],
        "call 1: create_task.priority 'high' was not expected (expected it left out)",
    ),
    (
        "limit away from its default",
        one_call("list_tasks", assignee="me"),
        [call("list_tasks", assignee="me", limit=10)],
        "call 1: list_tasks.limit 10 was not expected",
    ),
    (
        "title similarity just below 0.8",
        one_call("create_task", title="renew the TLS certificate"),
        [call("create_task", title="renew TLS certs")],
        "call 1: create_task.title 'renew tls certs' vs 'renew the TLS certificate' "
        "similarity 0.77 < 0.8",
    ),
    (
        "title that is only a subset",
        one_call("create_task", title="renew the TLS certificate"),
        [call("create_task", title="renew")],
        "similarity 0.38 < 0.8",
    ),
    (
        "due on another day",
        one_call("create_task", title="send deck", due="2026-11-27"),
        [call("create_task", title="send deck", due="saturday")],
        "call 1: create_task.due 'saturday' -> 2026-11-28 vs 2026-11-27",
    ),
    (
        "due at another time",
        one_call("create_task", title="send deck", due="2026-11-27T17:00"),
        [call("create_task", title="send deck", due="friday 4pm")],
        "'friday 4pm' -> 2026-11-27T16:00-0500 vs 2026-11-27T17:00-0500",
    ),
    (
        "all-day due against an expected time",
        one_call("create_task", title="send deck", due="2026-11-27T17:00"),
        [call("create_task", title="send deck", due="friday")],
        "is all-day but 2026-11-27T17:00-0500 has a time",
    ),
    (
        "due that does not resolve",
        one_call("create_task", title="send deck", due="2026-11-27"),
        [call("create_task", title="send deck", due="when pigs fly")],
        "'when pigs fly' does not resolve to a date",
    ),
    (
        "due left out",
        one_call("create_task", title="send deck", due="2026-11-27"),
        [call("create_task", title="send deck")],
        "create_task.due left out but expected '2026-11-27'",
    ),
    (
        "any_of without null and the argument left out",
        one_call("update_task", task_id=7, priority={"any_of": ["high", "urgent"]}),
        [call("update_task", task_id=7)],
        "update_task.priority left out matches none of ['high', 'urgent']",
    ),
    (
        "any_of with null and a value outside it",
        one_call("create_task", title="send deck", priority={"any_of": ["high", None]}),
        [call("create_task", title="send deck", priority="low")],
        "create_task.priority 'low' matches none of ['high', null]",
    ),
    (
        "explicit null violated",
        one_call("create_task", title="send deck", assignee=None),
        [call("create_task", title="send deck", assignee="bob")],
        "create_task.assignee 'bob' but expected it left out",
    ),
    (
        "assignee is somebody else",
        one_call("create_task", title="send deck", assignee="U0002"),
        [call("create_task", title="send deck", assignee="carol")],
        "create_task.assignee 'carol' -> U0003 vs U0002",
    ),
    (
        "assignee names nobody",
        one_call("create_task", title="send deck", assignee="U0002"),
        [call("create_task", title="send deck", assignee="robert")],
        "'robert' names none of the case's users; expected U0002",
    ),
    (
        "assignee that names nobody, replaced by somebody",
        one_call("assign_task", task_id=4, assignee="zed"),
        [call("assign_task", task_id=4, assignee="bob")],
        "assign_task.assignee 'bob' vs 'zed' (a name that resolves to no one user)",
    ),
    (
        "wrong task id",
        one_call("update_task", task_id=7, status="done"),
        [call("update_task", task_id=8, status="done")],
        "update_task.task_id 8 vs 7",
    ),
    (
        "status is exact",
        one_call("update_task", task_id=7, status="done"),
        [call("update_task", task_id=7, status="Done")],
        "update_task.status 'Done' vs 'done'",
    ),
    (
        "tags differ",
        one_call("create_task", title="fix login", tags=["ops"]),
        [call("create_task", title="fix login", tags=["ops", "web"])],
        "create_task.tags ['ops', 'web'] vs ['ops']",
    ),
    (
        "no_calls violated",
        {"no_calls": True},
        [call("list_tasks")],
        "no_calls: expected no tool calls, got 1: list_tasks",
    ),
    (
        "calls: [] violated",
        {"calls": []},
        [call("list_tasks")],
        "call 1: unexpected extra call list_tasks()",
    ),
]


@pytest.mark.parametrize(
    ("expect", "calls", "reason"),
    [(expect, calls, reason) for _, expect, calls, reason in FAILING_CALLS],
    ids=[name for name, _, _, _ in FAILING_CALLS],
)
def test_calls_that_do_not_match(
    expect: dict[str, object], calls: list[ActualCall], reason: str
) -> None:
    checks = run(expect, calls)
    assert not all_passed(checks)
    found = failures(checks)
    assert any(reason in text for text in found), found


def test_wrong_order_fails_every_position() -> None:
    expect: dict[str, object] = {
        "calls": [
            {"tool": "list_tasks", "args": {}},
            {"tool": "create_task", "args": {"title": "x"}},
        ]
    }
    checks = run(expect, [call("create_task", title="x"), call("list_tasks")])
    assert [text[:6] for text in failures(checks)] == ["call 1", "call 2"]


def test_each_failing_argument_is_its_own_check() -> None:
    checks = run(
        one_call("create_task", title="send deck", priority="high"),
        [call("create_task", title="pay rent", priority="low")],
    )
    assert len(failures(checks)) == 2


# State, absent and task_count.

TASKS = [
    task(7, "Call the bank", assignee="U0001", status="open"),
    task(
        8,
        "Send the Q3 deck",
        assignee="U0002",
        status="in_progress",
        priority="high",
        due=datetime(2026, 11, 27, 22, 0, tzinfo=NY),
        tags=["sales"],
    ),
    task(9, "Renew TLS certificate", due=date(2026, 12, 1), creator="U0002"),
]


def test_state_entries_match_distinct_tasks() -> None:
    checks = run(
        {
            "state": [
                {"title": "send Q3 deck", "assignee": "bob", "due": "2026-11-27"},
                {"id": 7, "status": "open", "assignee": "me", "creator": "alice"},
                {
                    "id": "#9",
                    "title": "renew the TLS certificate",
                    "due": date(2026, 12, 1),
                    "assignee": None,
                    "creator": "Bob Ortiz",
                    "tags": list[str](),
                    "status": "open",
                },
            ],
            "absent": [{"id": 10}, {"title": "Call the bank", "status": "done"}],
            "task_count": 3,
        },
        tasks=TASKS,
    )
    assert failures(checks) == []


def test_state_compares_due_times_to_the_minute_and_tags_as_sets() -> None:
    entry = {"id": 8, "due": "2026-11-27T22:00", "tags": ["#Sales"], "priority": "high"}
    assert failures(run({"state": [entry]}, tasks=TASKS)) == []
    entry = {"id": 8, "due": "2026-11-27T22:01"}
    assert len(failures(run({"state": [entry]}, tasks=TASKS))) == 1


def test_state_due_compares_the_day_in_the_case_zone() -> None:
    # 22:00 in New York is already the next day in UTC.
    checks = run({"state": [{"id": 8, "due": "2026-11-28"}]}, tasks=TASKS)
    assert failures(checks) == [
        "state 1 {id: 8, due: '2026-11-28'}: no task matches; closest #8 'Send the Q3 deck' "
        "differs: due 2026-11-27T22:00-0500 vs 2026-11-28"
    ]


def test_state_mismatch_names_the_closest_task() -> None:
    checks = run({"state": [{"title": "call the bank", "status": "done"}]}, tasks=TASKS)
    (reason,) = failures(checks)
    assert "closest #7 'Call the bank' differs: status 'open' vs 'done'" in reason


def test_state_entries_need_distinct_tasks() -> None:
    checks = run({"state": [{"assignee": "U0001"}, {"id": 7}]}, tasks=TASKS)
    (reason,) = failures(checks)
    assert "already match other entries" in reason


def test_state_matching_finds_an_assignment_when_one_exists() -> None:
    # A greedy match would give #7 to the first entry and leave the second without a task.
    checks = run({"state": [{"creator": "U0001"}, {"id": 7}]}, tasks=TASKS)
    assert failures(checks) == []


def test_state_without_tasks() -> None:
    checks = run({"state": [{"title": "call the bank"}]})
    assert failures(checks) == ["state 1 {title: 'call the bank'}: no task exists"]


def test_absent_violated() -> None:
    checks = run({"absent": [{"id": 7}]}, tasks=TASKS)
    assert failures(checks) == ["absent 1 {id: 7}: #7 'Call the bank' still exists"]


def test_task_count_off() -> None:
    checks = run({"task_count": 2}, tasks=TASKS)
    assert failures(checks) == ["task_count: 3 tasks, expected 2"]


def test_a_case_passes_only_when_every_stated_expectation_holds() -> None:
    expect = {**one_call("update_task", task_id=7, status="done"), "task_count": 3}
    assert all_passed(run(expect, [call("update_task", task_id=7, status="done")], TASKS))
    assert not all_passed(run(expect, [call("update_task", task_id=7, status="done")], TASKS[:2]))


def test_no_checks_is_not_a_pass() -> None:
    assert not all_passed([])


def test_context_for_case_uses_the_case_clock_and_people() -> None:
    from evals.dataset import Case

    case = Case(
        id="c",
        category="x",
        dataset="d",
        turns=["hi"],
        now=NOW,
        timezone="America/New_York",
        team="T1",
        actor="U0002",
        users=USERS,
        tasks=[],
        expect=Expectation(no_calls=True),
    )
    ctx = MatchContext.for_case(case)
    assert (ctx.now, ctx.actor_id) == (NOW, "U0002")
    assert resolve_user_ref("me", users=ctx.users, actor_id=ctx.actor_id) == "U0002"


def test_due_resolver_can_be_replaced() -> None:
    def fixed(text: str, *, now: datetime) -> date | datetime:
        del now
        if text == "payday":
            return date(2026, 11, 30)
        raise ValueError("unknown")

    ctx = MatchContext(now=NOW, actor_id="U0001", users=USERS, resolve_due=fixed)
    expect = one_call("create_task", title="pay", due="2026-11-30")
    assert all_passed(run(expect, [call("create_task", title="pay", due="payday")], ctx=ctx))


# Due shifts count from the task's due date before the case, as the tool counts them.

SHIFT_CTX = MatchContext(
    now=NOW,
    actor_id="U0001",
    users=USERS,
    seeded_dues={5: date(2026, 11, 30), 6: datetime(2026, 11, 27, 15, 0, tzinfo=NY)},
)


@pytest.mark.parametrize(
    ("task_id", "shift", "expected"),
    [
        (5, "+1w", "2026-12-07"),
        (5, "2 days later", "2026-12-02"),
        (6, "+1d", "2026-11-28T15:00:00"),
    ],
)
def test_a_due_shift_is_compared_from_the_task_due_date(
    task_id: int, shift: str, expected: str
) -> None:
    expect = one_call("update_task", task_id=task_id, due=expected)
    checks = run(expect, [call("update_task", task_id=task_id, due=shift)], ctx=SHIFT_CTX)
    assert failures(checks) == []


def test_a_due_shift_counted_from_now_does_not_match() -> None:
    expect = one_call("update_task", task_id=5, due="2026-12-02")
    # From today (Nov 25) a week later is Dec 2; the task was due Nov 30, so "+1w" is Dec 7.
    checks = run(expect, [call("update_task", task_id=5, due="+1w")], ctx=SHIFT_CTX)
    assert failures(checks)
