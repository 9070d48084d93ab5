"""Kinds of language met on sets written apart from the parser, each with a fresh example, and
the sentences of the same shape that must not be read that way."""

from __future__ import annotations

import pytest

from agent.offline import ConversationContext, PlannedCall, TitleRef, parse_message
from agent.offline.plan import EachListed

TEAM = ConversationContext(
    people=frozenset(
        {"alice", "alice chen", "bob", "bob ortiz", "carol", "carol diaz", "dave", "dave kim"}
    )
)
Call = tuple[str, dict[str, object]]


def calls(text: str, context: ConversationContext = TEAM) -> list[Call]:
    return [(call.tool, dict(call.args)) for call in parse_message(text, context=context).calls]


def ref(words: str) -> TitleRef:
    return TitleRef(words)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A new date for something named without an article is a change, never a new task.
        (
            "move quarterly vendor review to 2/14",
            [("update_task", {"task_id": ref("quarterly vendor review"), "due": "february 14"})],
        ),
        (
            "push the payroll export to wed",
            [("update_task", {"task_id": ref("payroll export"), "due": "wednesday"})],
        ),
        # Two tasks said to be done together.
        (
            "printer toner and the badge order are both done, picked them up this morning",
            [
                ("update_task", {"task_id": ref("printer toner"), "status": "done"}),
                ("update_task", {"task_id": ref("badge order"), "status": "done"}),
            ],
        ),
        # A note to a task named first, without "one".
        (
            "on the lease renewals, add a note that unit 9 already signed",
            [
                (
                    "update_task",
                    {"task_id": ref("lease renewals"), "description": "unit 9 already signed"},
                )
            ],
        ),
        # A remark that names the task, then a command about "it" or "that one".
        (
            "finally filed the permit paperwork, that one can be marked done",
            [("update_task", {"task_id": ref("permit paperwork"), "status": "done"})],
        ),
        (
            "nvm on the catering quote — client is bringing their own. cancel that one",
            [("update_task", {"task_id": ref("catering quote"), "status": "cancelled"})],
        ),
        (
            "the onboarding doc needs another pass, hr flagged a typo. can you open it back up",
            [("update_task", {"task_id": ref("onboarding doc"), "status": "open"})],
        ),
        # Everything someone has not finished goes to someone else.
        (
            "off from monday, hand everything i haven't finished over to carol",
            [
                ("list_tasks", {"assignee": "me"}),
                ("assign_task", {"task_id": EachListed(), "assignee": "carol"}),
            ],
        ),
        (
            "bob's on jury duty so move everything he has open over to dave",
            [
                ("list_tasks", {"assignee": "bob"}),
                ("assign_task", {"task_id": EachListed(), "assignee": "dave"}),
            ],
        ),
        # Several hand-overs, each task named by words.
        (
            "give the kiosk repair to bob and the signage order to carol",
            [
                ("assign_task", {"task_id": ref("kiosk repair"), "assignee": "bob"}),
                ("assign_task", {"task_id": ref("signage order"), "assignee": "carol"}),
            ],
        ),
        # A teammate asked to take a task off someone's plate.
        (
            "can @carol take 12 off my plate?",
            [("assign_task", {"task_id": 12, "assignee": "@carol"})],
        ),
        ("dave can you take 7 off my plate", [("assign_task", {"task_id": 7, "assignee": "dave"})]),
        # One verb for a run of numbers after a remark.
        (
            "client wants both early, bump 8 and 10 to high",
            [
                ("update_task", {"task_id": 8, "priority": "high"}),
                ("update_task", {"task_id": 10, "priority": "high"}),
            ],
        ),
        # Details listed bare after commas.
        (
            "add task: renew the fire inspection cert, low prio, carol, due 3/1",
            [
                (
                    "create_task",
                    {
                        "title": "Renew the fire inspection cert",
                        "assignee": "carol",
                        "priority": "low",
                        "due": "3/1",
                    },
                )
            ],
        ),
        # A teammate spoken to, after a reason, is asked to do new work.
        (
            "the auditors come thursday, so dave pls pull together the expense report by wed",
            [
                (
                    "create_task",
                    {
                        "title": "Pull together the expense report",
                        "assignee": "dave",
                        "due": "wednesday",
                    },
                )
            ],
        ),
        # The assistant greeted by name, then a time, then the request.
        (
            "hey taskpilot in 20 minutes remind me to call the landlord",
            [
                (
                    "create_task",
                    {"title": "Call the landlord", "assignee": "me", "due": "in 20 minutes"},
                )
            ],
        ),
        # Work listed for one person under a heading.
        (
            "ok couple things for bob. one, reset the alarm code today. two, order more keys, "
            "no rush on that",
            [
                (
                    "create_task",
                    {"title": "Reset the alarm code", "due": "today", "assignee": "bob"},
                ),
                ("create_task", {"title": "Order more keys", "priority": "low", "assignee": "bob"}),
            ],
        ),
        # Done work of someone's, and a list that names nobody.
        (
            "what has carol actually finished",
            [("list_tasks", {"assignee": "carol", "status": "done"})],
        ),
        ("show me what's been closed out", [("list_tasks", {"status": "closed"})]),
        # Work started, and another request after a remark.
        (
            "start on the alarm one. and put the keys on me too while you're at it",
            [
                ("update_task", {"task_id": ref("alarm"), "status": "in_progress"}),
                ("assign_task", {"task_id": ref("keys"), "assignee": "me"}),
            ],
        ),
        # A deadline moved, with a remark after "btw"; a date a task must be ready by.
        (
            "the insurance renewal deadline moved to the 19th btw, broker got us an extension",
            [("update_task", {"task_id": ref("insurance renewal"), "due": "the 19th"})],
        ),
        (
            "zillow post needs to be up by tomorrow at 9am, owner wants it live before the weekend",
            [("update_task", {"task_id": ref("zillow post"), "due": "tomorrow 9am"})],
        ),
        # Another verb for a lower priority.
        (
            "knock the deposit recon down to normal prio",
            [("update_task", {"task_id": ref("deposit recon"), "priority": "normal"})],
        ),
    ],
)
def test_a_kind_of_language_is_read(text: str, expected: list[Call]) -> None:
    assert calls(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # A person's deadline names no task: nothing is created.
        "move dave's deadline to wed, he's swamped",
        # A hand-over to one of two people is asked about.
        "give the rota to bob or carol, whoever's on sat",
        # A state that is no progress closes nothing.
        "the build server is crashed",
        "I'm swamped",
    ],
)
def test_a_message_of_the_same_shape_creates_nothing(text: str) -> None:
    assert not [
        call for call in parse_message(text, context=TEAM).calls if call.tool == "create_task"
    ]
    assert all(
        call.args.get("status") != "done" for call in parse_message(text, context=TEAM).calls
    )


def test_a_correction_names_the_right_person_first() -> None:
    first = PlannedCall("assign_task", {"task_id": 12, "assignee": "carol"})
    context = ConversationContext(
        people=TEAM.people, recent_task_ids=(12,), last_calls=(first,), recent_people=("carol",)
    )
    assert calls("sorry, bob. not carol", context) == [
        ("assign_task", {"task_id": 12, "assignee": "bob"})
    ]


def test_actually_and_a_day_corrects_the_last_date() -> None:
    dated = PlannedCall("update_task", {"task_id": 13, "due": "friday"})
    context = ConversationContext(people=TEAM.people, recent_task_ids=(13,), last_calls=(dated,))
    assert calls("actually thursday, she's off friday", context) == [
        ("update_task", {"task_id": 13, "due": "thursday"})
    ]


def test_why_a_change_is_asked_does_not_stop_it() -> None:
    context = ConversationContext(people=TEAM.people, recent_task_ids=(9,))
    assert calls(
        "hmm no, don't delete it. just mark it cancelled so we have a record", context
    ) == [("update_task", {"task_id": 9, "status": "cancelled"})]
