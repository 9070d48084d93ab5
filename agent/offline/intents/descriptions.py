"""A task's description, word for word: "add this note to #10: ...", "on the greenfield
headcount one can you add a note that ...".
"""

from __future__ import annotations

import re

from agent.offline.intents.asides import without_comma_remark
from agent.offline.intents.cues import NUMBER, make_reading, number_of, task_named
from agent.offline.intents.utterance import Utterance
from agent.offline.plan import TOOL_UPDATE, PlannedCall, TitleRef
from agent.offline.readings import Reading

_NOTE_TO = re.compile(
    rf"^(?:pls\s+|please\s+|can\s+you\s+)?(?:add|put|attach|paste)\s+(?:this|a|the\s+following|the)?\s*"
    rf"(?:note|comment|description|details?)\s+(?:to|on|onto|for)\s+{NUMBER}(?:\s+word\s+for\s+word)?"
    rf"\s*:\s*(?P<value>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_DESCRIPTION = re.compile(
    r"^(?:pls\s+|please\s+|can\s+you\s+)?(?:paste|put|add|set|copy|write|use)\s+(?:this|that|the\s+.+?)?"
    r"\s*(?:in|into|as|to)\s+(?:the\s+)?(?:description|desc|notes?|details)\s+(?:of|for|on)\s+"
    r"(?P<ref>[^:]+?)(?:\s+word\s+for\s+word)?\s*:\s*(?P<value>.+)$"
    # "inspection checklist one - add in the description we need 3 copies".
    r"|^(?P<ref2>[^:–—-]+?)\s*(?:\s-+|–|—|:)\s*(?:pls\s+|please\s+|can\s+you\s+)?(?:add|put|write|note)"
    r"\s+(?:in|into|to|on)\s+(?:the\s+)?(?:description|desc|notes?|details)(?:\s+that)?\s*:?\s+"
    r"(?P<value2>.+)$"
    # "on the greenfield headcount one can you add a note that the ashworths want ...".
    # "on the late rent notices, add a note that unit 5 paid": without "one", a comma ends it.
    r"|^(?:on|for|re)\s+(?P<ref3>(?:the\s+)?[\w' -]+?\s+(?:one|task|thing)"
    r"|(?:the\s+)?[\w' -]+?(?=\s*,))\s*,?\s+"
    r"(?:(?:can|could)\s+(?:you|u)\s+|pls\s+|please\s+)?(?:add|put|leave|stick)\s+(?:a\s+)?(?:note|comment)"
    r"(?:\s+(?:that|saying|to\s+say)|\s*:)\s*(?P<value3>.+)$"
    r"|^(?:(?:can|could)\s+(?:you|u)\s+|pls\s+|please\s+)?(?:add|put|leave|stick)\s+(?:a\s+)?(?:note|comment)"
    r"\s+(?:on|to)\s+(?P<ref4>the\s+[\w' -]+?\s+(?:one|task|thing))\s*(?:that|saying|to\s+say|:)\s*"
    r"(?P<value4>.+)$",
    re.IGNORECASE | re.DOTALL,
)


def read_description(utterance: Utterance) -> Reading | None:
    text = utterance.text.strip()
    match = _NOTE_TO.match(text)
    if match is not None:
        task: int | TitleRef | None = number_of(match)
        value = match.group("value")
    elif (match := _DESCRIPTION.match(text)) is not None:
        task = task_named(
            match.group("ref") or match.group("ref2") or match.group("ref3") or match.group("ref4")
        )
        value = match.group("value") or match.group("value2")
        if match.group("value3") or match.group("value4"):
            # A note said in one's own words ends where a remark about it begins.
            value = without_comma_remark(match.group("value3") or match.group("value4"))[0]
    else:
        return None
    value = value.strip().strip("\"“”'").strip()
    if not value or task is None:
        return None
    call = PlannedCall(TOOL_UPDATE, {"task_id": task, "description": value})
    return make_reading("description", [call], 0.9, "sets a task's description, word for word")
