"""Off-topic requests: sports, the weather, general questions, anything said to be no task."""

from __future__ import annotations

import re

from agent.offline import chat
from agent.offline.intents.utterance import Utterance
from agent.offline.plan import ParseResult
from agent.offline.readings import Reading

_SPORTS = re.compile(
    r"\b(?:did|do|does|will|who)\s+(?:the\s+)?[\w\s]{1,30}?\s+(?:win|won|lose|lost|play|score|beat|draw"
    r"|tie|thrash|smash)\b"
    r"|\b(?:win|won|lost)\s+(?:last\s+night|yesterday|today)\b|\bweather\b|\bforecast\b",
    re.IGNORECASE,
)
_TASK_WORDS = re.compile(
    r"\b(?:task|tasks|todo|to-do|plate|overdue|remind|assign|due|deadline|list|delete|remove|scrap"
    r"|trash|get\s+rid\s+of)\b|#\s?\d",
    re.IGNORECASE,
)


# General questions: "how do i write a left join in postgres?", "how do you say X in german",
# "what time does the cafeteria close today?".
_GENERAL_QUESTION = re.compile(
    r"^(?:how\s+do\s+(?:i|you|we)\s+(?!(?:add|create|make|assign|list|delete|remove|close|mark|reopen"
    r"|see|find|track|use|change|move|update|give)\b)|how\s+do\s+you\s+say\b|what\s+time\s+does\b"
    r"|what(?:\s+is|\s+are|'s)\s+the\s+(?:actual\s+|real\s+)?(?:capital|population|difference|meaning|price"
    r"|best)\b|what(?:'s|\s+is)\s+(?:the\s+)?difference\s+between\b"
    r"|who\s+(?:is|was|invented|wrote)\b|when\s+(?:is|was|does|did)\s+(?!(?:it|that|this|my|#|task)\b)"
    r"|why\s+(?:is|does|do)\s+(?!(?:it|that|this|my|#|task)\b)|can\s+you\s+(?:explain|tell\s+me\s+a"
    r"|write\s+(?:me\s+)?a\s+(?:poem|song|story|sql|query|script)))",
    re.IGNORECASE,
)


_NOT_A_TASK = re.compile(
    r"\bnot\s+(?:a\s+)?task(?:[\s-]related)?\b|\b(?:unrelated|random|off[\s-]topic)\s+question\b",
    re.IGNORECASE,
)


def read_off_topic(utterance: Utterance) -> Reading | None:
    text = utterance.text
    if _NOT_A_TASK.search(text):
        # "quick one, not a task — what's the super rate from july?".
        return Reading(
            "off_topic", ParseResult(calls=(), reply=chat.OFF_TOPIC), 0.9, "says it is no task"
        )
    # Words in quotes are talked about, not asked for: "how do you say 'deadline' in german".
    unquoted = re.sub(r"[\"'“‘][^\"'”’]{1,60}[\"'”’]", "", text)
    if _TASK_WORDS.search(unquoted):
        return None
    general = _GENERAL_QUESTION.match(unquoted.strip()) is not None
    if chat.off_topic_reply(text) is None and not _SPORTS.search(text) and not general:
        return None
    return Reading("off_topic", ParseResult(calls=(), reply=chat.OFF_TOPIC), 0.8, "not about tasks")
