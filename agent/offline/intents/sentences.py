"""Several sentences in one message, each a request or a remark, each read alone."""

from __future__ import annotations

import re
from dataclasses import replace

from agent.offline import chat
from agent.offline.intents.cues import make_reading, person_named, quotes_words, task_named
from agent.offline.intents.utterance import Utterance
from agent.offline.plan import TOOL_ASSIGN, WRITE_TOOL_NAMES, PlannedCall
from agent.offline.readings import Reading

# Several sentences, each a request or a remark: "age rating one -> urgent and due monday. also
# new task for priya: regression pass by wed", "coastal freight's paid so you can close that
# one, and the forklift hire is now due 8/1". Each is read alone; remarks add nothing.
_SENTENCE_END = re.compile(
    r"(?<=[.!?])(?<!\bmr\.)(?<!\bmrs\.)(?<!\bms\.)(?<!\bdr\.)(?<!\bst\.)(?<!\bno\.)(?<!\bvs\.)"
    r"(?<!\betc\.)\s+(?=\S)|\s*;\s+|,\s+and\s+(?:also\s+)?(?=the\s|#|\w+\s+one\b)",
    re.IGNORECASE,
)
# "mark 2 done and put 6 on me", "flour call done, cooler gasket done and put ...": clauses
# that each say a change. Never inside a title given after a colon ("add task: X and Y").
_CLAUSE_BREAK = re.compile(
    r",?\s+and\s+(?:then\s+|also\s+)?(?=(?:mark|put|give|assign|move|push|pull|close|set|make|tag|reopen"
    r"|cancel|drop|rename|hand|bump)\b)"
    r"|,\s+(?=(?:mark|put|give|assign|move|push|pull|close|tag|reopen|cancel|drop|rename|hand|bump)\b)"
    r"|,\s+(?=[\w' -]{3,40}\s+(?:done|finished|sorted|paid)\b)",
    re.IGNORECASE,
)
# "... and 5 to jake": one more task for the hand-over said before.
_AND_TO = re.compile(
    r"^(?:and|also|plus|&)\s+(?P<ref>(?:task\s*|#\s?)?\d{1,6}|the\s+[\w' -]+?)\s+to\s+"
    r"(?P<who>[\w.@<>-]+)(?:\s+(?:too|as\s+well))?\s*[.!]*$",
    re.IGNORECASE,
)
_TITLE_AFTER_COLON = re.compile(
    r"\b(?:add|new|create|make)\s+(?:a\s+)?(?:task|todo|to-do|reminder)\s*:|^\s*(?:todo|to-do|task)\s*:",
    re.IGNORECASE,
)


def read_sentences(utterance: Utterance) -> Reading | None:
    # This reader hands words back to `read_all`, which lives in the registry, and the registry
    # imports this module to register the reader. Importing the registry at the top of this
    # module would therefore be circular; importing it here, when the reader runs, finds the
    # registry already loaded and costs only a lookup.
    from agent.offline.intents.registry import read_all

    if utterance.after_remark or quotes_words(utterance.text):
        return None
    parts = [part.strip() for part in _SENTENCE_END.split(utterance.text) if part.strip()]
    if not _TITLE_AFTER_COLON.search(utterance.text):
        parts = [piece.strip() for part in parts for piece in _CLAUSE_BREAK.split(part)]
    parts = [part for part in parts if part]
    if len(parts) < 2 or len(parts) > 4:
        return None
    calls: list[PlannedCall] = []
    scores: list[float] = []
    for part in parts:
        more = _AND_TO.match(part)
        person = person_named(more.group("who"), utterance.context) if more is not None else None
        if more is not None and person is not None and calls and calls[-1].tool == TOOL_ASSIGN:
            # "give 2 to priya, she's at the festival anyway. and 5 to jake": the same hand-over.
            task = task_named(more.group("ref"))
            if task is not None:
                calls.append(PlannedCall(TOOL_ASSIGN, {"task_id": task, "assignee": person}))
                scores.append(scores[-1])
                continue
        alone = replace(utterance, text=part, after_remark=True, base_score=0.0, base_calls=())
        best = max(read_all(alone), key=lambda reading: reading.score)
        if not best.result.calls:
            if best.result.reply in {chat.WHICH_TASK, chat.WHICH_TASK_AFTER_LIST}:
                # A question back about one sentence is asked, not skipped.
                return None
            continue
        if best.score < 0.74:
            # A sentence only half understood is a remark, unless it would write: then the
            # whole message is left to the other readers.
            if best.writes:
                return None
            continue
        calls.extend(call for call in best.result.calls if call not in calls)
        scores.append(best.score)
    if len(scores) < 2 or not any(call.tool in WRITE_TOOL_NAMES for call in calls):
        # "which tasks have i created? pls list" asks one question twice, not for two lists.
        return None
    return make_reading("sentences", calls, min(scores) - 0.03, "each sentence read on its own")
