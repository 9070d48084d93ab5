"""Everything someone has, to someone else: "move all of carol's open tasks to bob"."""

from __future__ import annotations

import re

from agent.offline.intents.cues import make_reading, person_named, within_quotes
from agent.offline.intents.utterance import Utterance
from agent.offline.people import known_person
from agent.offline.plan import EACH_LISTED, TOOL_ASSIGN, PlannedCall
from agent.offline.readings import Reading

# Everything someone has, to someone else: "move all of carol's open tasks to bob".

_BULK_MOVE = re.compile(
    r"(?:^|[\s,.;!—–-])(?:pls\s+|please\s+|can\s+you\s+|could\s+you\s+)?(?:move|reassign|give|hand|transfer"
    r"|shift|pass)\s+(?:over\s+)?(?:all\s+(?:of\s+)?|everything\s+(?:of\s+)?)?(?P<whose>[\w.@<>-]+?'s|his"
    r"|her|their|my)\s+(?:open\s+|active\s+|remaining\s+|current\s+|outstanding\s+|unfinished\s+|undone\s+"
    r"|incomplete\s+|pending\s+|not\s+done\s+)?(?:tasks|stuff|things"
    r"|work|items|todos|to-dos|tickets)(?:\s+over)?\s+(?:over\s+)?to\s+(?P<to>[\w.@<>-]+)"
    # "move everything priya has that isnt done over to lena".
    r"|(?:^|[\s,.;!—–-])(?:pls\s+|please\s+|can\s+you\s+|could\s+you\s+)?(?:move|reassign|give|hand"
    r"|transfer|shift|pass)\s+everything\s+(?P<whose2>[\w.@<>-]+)\s+(?:has|owns|is\s+on"
    # "hand everything i haven't finished over to jordan", "everything he has open".
    r"|(?:haven'?t|hasn'?t|have\s+not|has\s+not)\s+(?:finished|done|closed|got\s+to))"
    r"(?:\s+(?:open|left|going|on\s+(?:his|her|my|their)\s+plate))?"
    r"(?:\s+that\s+(?:isn'?t|is\s+not|isnt|aren'?t)\s+(?:done|finished|closed))?\s+(?:over\s+)?to\s+"
    r"(?P<to2>[\w.@<>-]+)"
    # "im out wed thru fri, put everything on my plate on marisol".
    r"|(?:^|[\s,.;!—–-])(?:pls\s+|please\s+|can\s+you\s+|could\s+you\s+)?(?:put|move|give|hand|shift|pass)"
    r"\s+(?:everything|all(?:\s+the\s+stuff)?|all\s+of\s+it)\s+(?:on|from)\s+(?P<whose3>my|his|her)\s+"
    r"(?:plate|list|desk)\s+(?:on|to|onto|over\s+to)\s+(?P<to3>[\w.@<>-]+)",
    re.IGNORECASE,
)


# "everything he has": whose things a subject pronoun means.
_PRONOUN_OWNER = {"he": "his", "she": "her", "they": "their"}

_SUBJECT = re.compile(
    r"^(?P<who><@[UW][A-Z0-9]+>|@?[\w.-]+?)(?:'s|\s+is|\s+are|\s+will\s+be|\s+has|\s+goes)\b", re.I
)


def read_bulk_move(utterance: Utterance) -> Reading | None:
    text = utterance.text
    match = _BULK_MOVE.search(text)
    if match is None or within_quotes(text, match.start()):
        return None
    if match.group("whose2"):
        source_name = match.group("whose2").lower()
        if source_name in {"me", "i"}:
            whose = "my"
        elif source_name in {"he", "she", "they"}:
            whose = _PRONOUN_OWNER[source_name]
        else:
            whose = f"{source_name}'s"
    else:
        whose = (match.group("whose") or match.group("whose3")).lower()
    if whose == "my":
        source: str | None = "me"
    elif whose.endswith("'s"):
        source = person_named(whose[:-2], utterance.context)
    else:
        # "tomasz is on leave, move all his stuff to yuki": the person named before.
        named = [
            person
            for word in re.findall(r"<@[UW][A-Z0-9]+>|@?[\w.-]+", text[: match.start()])
            if (person := person_named(re.sub(r"'s$", "", word), utterance.context))
            not in (None, "me")
            and known_person(re.sub(r"'s$", "", word))
        ]
        source = named[0] if len(set(named)) == 1 else None
        subject = _SUBJECT.match(text)
        if source is None and not named and subject is not None:
            # "carol is out, move all her tasks to bob": the sentence is about her.
            source = person_named(subject.group("who"), utterance.context)
    target = person_named(
        match.group("to") or match.group("to2") or match.group("to3"), utterance.context
    )
    if source is None or target is None or source == target:
        return None
    calls = [
        PlannedCall("list_tasks", {"assignee": source}),
        PlannedCall(TOOL_ASSIGN, {"task_id": EACH_LISTED, "assignee": target}),
    ]
    return make_reading("bulk_move", calls, 0.86, "everything someone has goes to someone else")
