"""Deletes of tasks named by number ("trash #43 it's a dupe") or by words; the person confirms."""

from __future__ import annotations

import re

from agent.offline.intents.asides import without_aside, without_person_remark
from agent.offline.intents.cues import NUMBER, TASK_NUMBER, make_reading, number_of, task_named
from agent.offline.intents.utterance import Utterance
from agent.offline.plan import PlannedCall, TitleRef
from agent.offline.readings import Reading

# Deletes by number: "trash #43 it's a dupe", "delete task number 42".

_DELETE = re.compile(
    rf"^(?:pls\s+|please\s+|can\s+you\s+|could\s+you\s+)?(?:delete|remove|trash|bin|nuke|get\s+rid\s+of)"
    rf"\s+{NUMBER}\b(?P<rest>.*)$",
    re.IGNORECASE,
)


_DELETE_WORDS = re.compile(
    r"^(?:pls\s+|please\s+|(?:can|could)\s+(?:you|u)\s+)?(?:just\s+|pls\s+)?(?:delete|remove|trash|nuke"
    r"|get\s+rid\s+of)\s+(?P<ref>.+)$",
    re.IGNORECASE,
)


# "delete 3 and 4", "remove #5, #6 & #9": more numbers after the first.
_MORE_NUMBERS = re.compile(r"^(?:\s*(?:,\s*and|,|and|&|\+)\s*(?:#|task\s*)?\s?\d{1,6}\b)+")


def read_delete(utterance: Utterance) -> Reading | None:
    match = _DELETE.match(utterance.text.strip())
    if match is not None:
        rest = match.group("rest")
        more = _MORE_NUMBERS.match(rest)
        numbers = [number_of(match)]
        if more is not None:
            numbers += [int(n) for n in re.findall(r"\d{1,6}", more.group(0))]
            rest = rest[more.end() :]
        if not TASK_NUMBER.search(rest) and len(set(numbers)) == len(numbers):
            calls = [PlannedCall("delete_task", {"task_id": number}) for number in numbers]
            return make_reading(
                "delete", calls, 0.88, "deletes tasks named by number; the person confirms"
            )
    text = without_person_remark(without_aside(utterance.text), utterance.context.people)
    words = _DELETE_WORDS.match(text)
    named = task_named(words.group("ref")) if words is not None and match is None else None
    if not isinstance(named, TitleRef):
        return None
    # "get rid of the weekend shift sched its old news": the task by words; the person confirms.
    call = PlannedCall("delete_task", {"task_id": named})
    return make_reading("delete", [call], 0.8, "deletes a task named by words; the person confirms")
