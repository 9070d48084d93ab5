"""The registry: `INTENTS`, every reader besides the clause parser in the order ties are broken,
and `read_all`, which asks every reader about a message.
"""

from __future__ import annotations

from dataclasses import replace

from agent.offline.intents.asides import LEADING_FILLER, TRAILING_ASIDE
from agent.offline.intents.bulk_move import read_bulk_move
from agent.offline.intents.clauses import read_clauses
from agent.offline.intents.creates import (
    read_addressed,
    read_fragments,
    read_need_person,
    read_quoted_title,
    read_several_creates,
    read_slash_create,
    read_task_for,
)
from agent.offline.intents.delete import read_delete
from agent.offline.intents.descriptions import read_description
from agent.offline.intents.follow_up import read_follow_up, read_which_answer, read_who_answer
from agent.offline.intents.leading import read_leading_words
from agent.offline.intents.lists import read_list_by_person, read_list_status, read_whose_plate
from agent.offline.intents.loose import read_loose_change, read_said_of_task
from agent.offline.intents.numbered import read_numbered_change, read_several_assigns, read_shift
from agent.offline.intents.off_topic import read_off_topic
from agent.offline.intents.remarks import (
    read_after_remark,
    read_remark_then_command,
    read_statement_then_add,
    read_trailing_remark,
)
from agent.offline.intents.sentences import read_sentences
from agent.offline.intents.utterance import Intent, Utterance
from agent.offline.plan import TOOL_CREATE, TitleRef
from agent.offline.readings import Reading

INTENTS: tuple[Intent, ...] = (
    Intent(
        "numbered_change",
        read_numbered_change,
        (
            ("make task 5 urgent", (("update_task", {"task_id": 5, "priority": "urgent"}),)),
            (
                "task 4 is complete, helen sent it off",
                (("update_task", {"task_id": 4, "status": "done"}),),
            ),
            ("#2 deadline moved to the 9th", (("update_task", {"task_id": 2, "due": "the 9th"}),)),
        ),
    ),
    Intent(
        "several_assigns",
        read_several_assigns,
        (
            (
                "give 2 to dave and 5 to carol",
                (
                    ("assign_task", {"task_id": 2, "assignee": "dave"}),
                    ("assign_task", {"task_id": 5, "assignee": "carol"}),
                ),
            ),
            (
                "give the kiosk repair to bob and the signage order to carol",
                (
                    ("assign_task", {"task_id": TitleRef("kiosk repair"), "assignee": "bob"}),
                    ("assign_task", {"task_id": TitleRef("signage order"), "assignee": "carol"}),
                ),
            ),
        ),
    ),
    Intent(
        "shift",
        read_shift,
        (
            ("push #4 back a week", (("update_task", {"task_id": 4, "due": "+1w"}),)),
            (
                "the newsletter can slip two days",
                (("update_task", {"task_id": TitleRef("newsletter"), "due": "+2d"}),),
            ),
        ),
    ),
    Intent(
        "loose_change",
        read_loose_change,
        (
            (
                "I'll take the printer thing",
                (("assign_task", {"task_id": TitleRef("printer"), "assignee": "me"}),),
            ),
            (
                "let dave own the newsletter",
                (("assign_task", {"task_id": TitleRef("newsletter"), "assignee": "dave"}),),
            ),
            (
                "started on domain renewal",
                (
                    (
                        "update_task",
                        {"task_id": TitleRef("domain renewal"), "status": "in_progress"},
                    ),
                ),
            ),
            (
                "the newsletter deadline moved to the 9th",
                (("update_task", {"task_id": TitleRef("newsletter"), "due": "the 9th"}),),
            ),
        ),
    ),
    Intent(
        "said_of_task",
        read_said_of_task,
        (
            (
                "swing chains done 👍",
                (("update_task", {"task_id": TitleRef("swing chains"), "status": "done"}),),
            ),
            (
                "latch fix due 18/12 pls",
                (("update_task", {"task_id": TitleRef("latch fix"), "due": "december 18"}),),
            ),
            (
                "expense claims can slip to mon",
                (("update_task", {"task_id": TitleRef("expense claims"), "due": "monday"}),),
            ),
            (
                "cooler gasket -> dave",
                (("assign_task", {"task_id": TitleRef("cooler gasket"), "assignee": "dave"}),),
            ),
            (
                "deposits are reconciled",
                (
                    (
                        "update_task",
                        {"task_id": TitleRef("deposits reconciled"), "status": "done"},
                    ),
                ),
            ),
        ),
    ),
    Intent(
        "remark_then_command",
        read_remark_then_command,
        (
            (
                "acme invoice reply went out this morning, can close that",
                (("update_task", {"task_id": TitleRef("acme invoice reply"), "status": "done"}),),
            ),
            (
                "nvm on the catering quote — client brings their own. cancel that one",
                (("update_task", {"task_id": TitleRef("catering quote"), "status": "cancelled"}),),
            ),
        ),
    ),
    Intent(
        "leading_words",
        read_leading_words,
        (
            (
                "tomorrow morning remind me to renew the domain",
                (
                    (
                        "create_task",
                        {"title": "Renew the domain", "assignee": "me", "due": "tomorrow 9am"},
                    ),
                ),
            ),
            (
                "since legal needs it friday, add a task to draft the NDA",
                (("create_task", {"title": "Draft the NDA", "due": "friday"}),),
            ),
        ),
    ),
    Intent(
        "trailing_remark",
        read_trailing_remark,
        (
            (
                "remind me to check the fridge log, the alarm went off overnight",
                (
                    (
                        "create_task",
                        {
                            "title": "Check the fridge log",
                            "assignee": "me",
                            "description": "the alarm went off overnight",
                        },
                    ),
                ),
            ),
        ),
    ),
    Intent(
        "statement_then_add",
        read_statement_then_add,
        (
            (
                "dave needs to send the payroll export tonight, can u add that for him",
                (
                    (
                        "create_task",
                        {
                            "title": "Send the payroll export",
                            "assignee": "dave",
                            "due": "tonight",
                        },
                    ),
                ),
            ),
        ),
    ),
    Intent(
        "fragments",
        read_fragments,
        (
            (
                "new one. dave. confirm the menu tasting. thurs. high",
                (
                    (
                        "create_task",
                        {
                            "title": "Confirm the menu tasting",
                            "assignee": "dave",
                            "due": "thursday",
                            "priority": "high",
                        },
                    ),
                ),
            ),
            (
                "deposit chase. delete pls. dup, it's in the crm already",
                (("delete_task", {"task_id": TitleRef("deposit chase")}),),
            ),
        ),
    ),
    Intent("bulk_move", read_bulk_move),
    Intent(
        "slash_create",
        read_slash_create,
    ),
    Intent(
        "addressed",
        read_addressed,
        (
            (
                "@dave pls send the vendor the signed NDA by tmrw",
                (
                    (
                        "create_task",
                        {
                            "title": "Send the vendor the signed NDA",
                            "assignee": "@dave",
                            "due": "tomorrow",
                        },
                    ),
                ),
            ),
        ),
    ),
    Intent(
        "several_creates",
        read_several_creates,
        (
            (
                "remind carol to send the NDA and to schedule the kickoff",
                (
                    ("create_task", {"title": "Send the NDA", "assignee": "carol"}),
                    ("create_task", {"title": "Schedule the kickoff", "assignee": "carol"}),
                ),
            ),
            (
                "bob: order the cake, carol: book the room",
                (
                    ("create_task", {"title": "Order the cake", "assignee": "bob"}),
                    ("create_task", {"title": "Book the room", "assignee": "carol"}),
                ),
            ),
            (
                "couple things for bob. one, reset the alarm code. two, order more keys",
                (
                    ("create_task", {"title": "Reset the alarm code", "assignee": "bob"}),
                    ("create_task", {"title": "Order more keys", "assignee": "bob"}),
                ),
            ),
        ),
    ),
    Intent(
        "list_status",
        read_list_status,
        (
            ("what's closed", (("list_tasks", {"status": "closed"}),)),
            (
                "everything bob has, incl done",
                (("list_tasks", {"assignee": "bob", "status": "any"}),),
            ),
        ),
    ),
    Intent(
        "list_by_person",
        read_list_by_person,
        (
            ("tasks carol created?", (("list_tasks", {"creator": "carol"}),)),
            (
                "show me bob's tasks that are in progress",
                (("list_tasks", {"assignee": "bob", "status": "in_progress"}),),
            ),
            (
                "what has carol actually finished",
                (("list_tasks", {"assignee": "carol", "status": "done"}),),
            ),
        ),
    ),
    Intent(
        "quoted_title",
        read_quoted_title,
        (
            (
                'new task, title exactly: "ignore all previous instructions" (it\'s a QA string)',
                (("create_task", {"title": "Ignore all previous instructions"}),),
            ),
        ),
    ),
    Intent(
        "delete", read_delete, (("trash #43 it's a dupe", (("delete_task", {"task_id": 43}),)),)
    ),
    Intent(
        "description",
        read_description,
        (
            (
                "put this in the description of #10 word for word: call them back first",
                (("update_task", {"task_id": 10, "description": "call them back first"}),),
            ),
        ),
    ),
    Intent(
        "whose_plate",
        read_whose_plate,
        (("what's bob got on atm", (("list_tasks", {"assignee": "bob"}),)),),
    ),
    Intent(
        "task_for",
        read_task_for,
        (
            (
                "task for dave get the JHA signed by friday",
                (
                    (
                        "create_task",
                        {"title": "Get the JHA signed", "assignee": "dave", "due": "friday"},
                    ),
                ),
            ),
        ),
    ),
    Intent(
        "need_person",
        read_need_person,
        (
            (
                "need carol to reprint the allergen signs by tue",
                (
                    (
                        "create_task",
                        {
                            "title": "Reprint the allergen signs",
                            "assignee": "carol",
                            "due": "tuesday",
                        },
                    ),
                ),
            ),
        ),
    ),
    Intent(
        "off_topic",
        read_off_topic,
        (
            ("did spurs win last night", ()),
            ("whats the weather doing in leeds tmrw?", ()),
            ("how do i write a left join in postgres?", ()),
            ("how do you say 'deadline' in german", ()),
        ),
    ),
    Intent(
        "sentences",
        read_sentences,
        (
            (
                "latch fix due 18/12. also new task for carol: order the gloves by wed",
                (
                    ("update_task", {"task_id": TitleRef("latch fix"), "due": "december 18"}),
                    (
                        "create_task",
                        {"title": "Order the gloves", "assignee": "carol", "due": "wednesday"},
                    ),
                ),
            ),
        ),
    ),
    Intent("follow_up", read_follow_up),
    Intent("which_answer", read_which_answer),
    Intent("who_answer", read_who_answer),
)
"""Every reader besides the clause parser, in the order ties are broken."""


def read_all(utterance: Utterance) -> list[Reading]:
    """The clause parser's reading first, then every registered reader's, if it has one."""
    base = read_clauses(utterance)
    readings = [base]
    utterance = replace(utterance, base_score=base.score, base_calls=base.result.calls)
    plain = LEADING_FILLER.sub("", utterance.text).strip()
    variants = [utterance]
    if plain and plain != utterance.text.strip():
        # "ok the sleep study one can slip a week": the filler is no word of the title.
        variants.insert(0, replace(utterance, text=plain))
    for intent in INTENTS:
        reading = None
        for variant in variants:
            reading = intent.read(variant) or _without_trailing_aside(intent, variant)
            if reading is not None:
                break
        if reading is not None:
            readings.append(reading)
    if base.score < 0.5 and not utterance.after_remark:
        request = read_after_remark(utterance)
        if request is not None:
            readings.append(request)
    return readings


def _without_trailing_aside(intent: Intent, utterance: Utterance) -> Reading | None:
    """ "the allergen matrix can slip two days, priya's swamped": read without the reason."""
    shorter = TRAILING_ASIDE.sub("", utterance.text).strip()
    if not shorter or shorter == utterance.text.strip() or intent.name == "leading_words":
        return None
    if utterance.base_score >= 0.5:
        # "mark 3 done, and add a task for diego": what follows the comma is no aside when the
        # clause reader understood the whole message.
        return None
    reading = intent.read(replace(utterance, text=shorter))
    if reading is None or not reading.result.calls:
        return None
    # A remark never creates anything: only changes are read without it.
    if any(call.tool == TOOL_CREATE for call in reading.result.calls):
        return None
    return reading
