"""Changes to a task named by words.

With a verb that only ever means a change ("I'll take the postmortem", "started on the safety
binder"), or the task named first and then what became of it ("swing chains done", "latch fix
due 18/12").
"""

from __future__ import annotations

import re

from agent.offline.intents.asides import (
    CHATTER_END,
    NOT_A_TOPIC,
    remark_ref,
    without_aside,
    without_person_remark,
)
from agent.offline.intents.cues import (
    UNITS,
    changes_to_calls,
    create_cue,
    make_reading,
    person_named,
    recent_task,
    task_named,
)
from agent.offline.intents.utterance import Utterance
from agent.offline.people import known_person
from agent.offline.plan import TOOL_ASSIGN, TOOL_UPDATE, PlannedCall, TitleRef
from agent.offline.readings import Reading

# Changes to a task named by words, with verbs that never create.

_TAKE = re.compile(
    r"^(?:ok\s+|okay\s+)?(?:(?:i'?ll|i\s+will|i\s+can|let\s+me|i'?m\s+gonna|i'?m\s+going\s+to)\s+"
    r"(?:take|grab|handle|own|pick\s+up|do|have)|i'?ve\s+got|i\s+got|ill\s+(?:take|grab|handle|own|do))"
    r"\s+(?P<ref>.+?)"
    r"(?:\s+(?:then|myself|from\s+here|over))?$",
    re.IGNORECASE,
)
_OWN = re.compile(
    r"^(?:let|have|get)\s+(?P<who>\S+(?:\s+\S+)?)\s+(?:own|take(?:\s+over)?|handle|run|lead|do|pick\s+up)"
    r"\s+(?P<ref>.+)$"
    r"|^(?P<who2>\S+)\s+(?:should|can|will|'ll|is\s+going\s+to|is\s+gonna|gets\s+to)\s+(?:own|take(?:\s+over)?"
    r"|handle|run|lead|pick\s+up|have)\s+(?P<ref2>.+)$"
    r"|^(?:(?:can|could|would)\s+(?:you|u)\s+)?(?:hand|pass|give|pop|transfer|switch|shift|move)"
    r"(?:\s+off)?\s+(?P<ref3>.+?)\s+(?:over\s+)?to\s+(?P<who3>\S+)"
    r"(?:\s+(?:instead|then|too|as\s+well|now|for\s+now|this\s+time))?$"
    r"|^(?:(?:can|could|would)\s+(?:you|u)\s+)?(?:give|hand|pass)\s+(?P<who8>her|him|them|me)\s+"
    r"(?P<ref8>.+?)(?:\s+(?:too|as\s+well|then|instead|now))?$"
    r"|^(?:(?:can|could|would)\s+(?:you|u)\s+)?put\s+(?P<ref9>(?:task\s*)?#?\d{1,6}|the\s+.+?|\S+\s+one)"
    r"\s+on\s+(?P<who9>\S+)(?:\s+(?:instead|then|now|too))?$"
    r"|^(?:can|could)\s+(?P<who4>\S+)\s+(?:own|take(?:\s+over)?|handle|run|lead|pick\s+up|do)\s+(?P<ref4>.+?)"
    r"(?:\s+(?:going\s+forward|from\s+now\s+on|from\s+here(?:\s+on)?|instead))?(?:\s+from\s+\S+)?\s*\??$"
    r"|^(?:(?:can|could)\s+you\s+)?(?:put|get)\s+(?P<who5>\S+)\s+on\s+(?P<ref5>.+?)\s*\??$"
    r"|^(?:pls\s+|please\s+)?(?:(?:can|could)\s+you\s+(?:to\s+)?)?(?:assign|give)\s+"
    r"(?P<ref6>(?:task\s*(?:number\s*|no\.?\s*)?#?\s?|number\s*|#\s?)?\d{1,6})"
    r"\s+(?:to|at|for)\s+(?P<who6>\S+)\s*\??$"
    r"|^(?P<who7>[\w.@<>-]+?)(?:'s|\s+is|\s+will\s+be|\s+'ll\s+be)\s+(?:taking\s+over|taking|handling"
    r"|owning|doing|picking\s+up|grabbing)\s+(?P<ref7>.+)$"
    # "rabies reorder should go to sam": the task goes to someone.
    r"|^(?P<ref10>.+?)\s+(?:should|can|could|will|needs\s+to|has\s+to)\s+go\s+to\s+(?P<who10>\S+)$"
    # "@ellen can you take 12 off my plate": a teammate asked to take a task.
    r"|^(?P<who11>[\w.@<>-]+)[,:]?\s+(?:can|could|would)\s+(?:you|u)\s+(?:take(?:\s+over)?|grab|own"
    r"|handle|pick\s+up|have)\s+(?P<ref11>.+?)\s*\??$",
    re.IGNORECASE,
)
# "take 12 off my plate": whose plate it leaves is no word of the task's name.
_OFF_PLATE = re.compile(
    r"\s+(?:off|from)\s+(?:my|our)\s+(?:plate|hands|list|desk)\b.*$|\s+from\s+me\s*$", re.I
)
_STARTED = re.compile(
    r"^(?:i'?ve\s+|i\s+|we'?ve\s+|we\s+|just\s+)?(?:started|starting|began|begun|kicked\s+off|picked\s+up"
    r"|am\s+working|'m\s+working|working|cracking)\s+on\s+(?P<ref>.+?)(?:\s+(?:now|today|this\s+morning"
    r"|first\s+thing(?:\s+this\s+morning)?"
    r"|w(?:ith)?\s+.+))?$"
    r"|^(?:started|starting|began)\s+(?P<ref2>.+?)(?:\s+(?:now|today|this\s+morning))?$",
    re.IGNORECASE,
)
_MOVED = re.compile(
    # "fuel card recon, new deadline is next mon at noon".
    r"^(?P<ref4>[^,.:;!?]+?),\s+(?:the\s+)?new\s+(?:deadline|due\s+date)\s+(?:is|=|:)\s+(?P<when4>.+)$"
    r"|^(?:fyi\s+|heads\s+up\s+)?(?P<ref>.+?)(?:'s)?\s+(?:deadline|due\s+date|due)\s+(?:has\s+|got\s+|was\s+|is\s+)?"
    r"(?:moved|moves|moving|changed|pushed|shifted|slipped|bumped)\s+(?:to|till|until|out\s+to)\s+(?P<when>.+)$"
    r"|^(?P<ref3>[^.:;!?]+?)\s+(?:has|have|needs?|must)\s+to\s+(?:be\s+(?:done|fixed|finished|sorted|ready|sent"
    r"|submitted|booked|signed|paid|filed|in|out|up)|go(?:\s+out)?|happen|land|ship)\s+"
    r"(?:by|before|no\s+later\s+than)\s+(?P<when3>.+)$"
    r"|^(?P<ref2>.+?)\s+(?:is\s+now|is|should\s+be|'s|needs\s+to\s+be)\s+(?:actually\s+)?due\s+(?P<when2>.+?)"
    r"(?:\s+not\s+.+?)?(?:\s+actually|\s+instead)?$",
    re.IGNORECASE,
)
_PRIORITY_NOW = re.compile(
    r"^(?P<ref>.+?)(?:'s|\s+is|\s+are)\s+(?:now\s+|actually\s+|really\s+|officially\s+|definitely\s+)*"
    r"(?P<level>low|high|urgent|normal|top|medium)"
    r"(?:\s+(?:prio(?:rity)?|pri))?(?:\s+now)?$",
    re.IGNORECASE,
)
_STATE_NOW = re.compile(
    r"^(?P<ref>.+?)(?:'s|\s+(?:is|are|has\s+been|have\s+been|got|was|were))\s+(?:all\s+|now\s+|finally\s+"
    r"|both\s+)?"
    r"(?:booked|sent|done|finished|sorted|fixed|submitted|paid|ordered|delivered|scheduled|confirmed"
    r"|complete|completed|handled|shipped|filed|signed|returned|installed|posted|printed|through"
    # "the abstract's in": handed in. Of things counted ("6 trays are in") it says nothing done.
    r"|in(?:(?<='s\sin)|(?<=\sis\sin)|(?<='s\sfinally\sin)|(?<=\sis\sfinally\sin)))"
    r"(?:\s+(?:done|already|now|today|yesterday|this\s+morning))*\s*[.!]*"
    # "abstract's in!! submitted to FENS an hour ago": what follows says how it got done.
    r"(?:\s+(?:just\s+|finally\s+)?(?:submitted|sent|filed|signed|done|finished|shipped|paid|posted)\b.*)?$",
    re.IGNORECASE,
)
_LEVELS = {
    "low": "low",
    "high": "high",
    "urgent": "urgent",
    "normal": "normal",
    "top": "urgent",
    "medium": "normal",
}
_SCRATCH = re.compile(
    r"^(?:scratch|drop|kill|ditch|forget\s+about|nix|bin|shelve|abandon)\s+(?P<ref>.+)$",
    re.IGNORECASE,
)
# "tag the cooler gasket thing maintenance + inspection": the task's name ends at "thing".
_TAG_WORDS = re.compile(
    r"^(?:pls\s+|please\s+|(?:can|could)\s+(?:you|u)\s+)?(?:tag|label)\s+(?P<ref>.+?\s+(?:task|thing|one"
    r"|ticket))\s+(?:as\s+|with\s+)?(?P<tags>#?[\w-]+(?:\s*(?:,|\band\b|\+|&)\s*#?[\w-]+)*)$",
    re.IGNORECASE,
)
# "no need to book the seminar room anymore", "we don't need the banner printed any more".
_NO_LONGER = re.compile(
    r"^(?:.+?\s+so\s+)?(?:(?:we|i|you)\s+)?(?:no|don'?t|dont|no\s+longer)\s+(?:really\s+)?need\s+"
    r"(?:to\s+|for\s+)?"
    r"(?P<ref>.+?)(?:\s+(?:any\s*more|now|after\s+all|either))+[.!]*$"
    r"|^(?P<ref2>.+?)\s+(?:isn'?t|is\s+not|aren'?t|are\s+not|is\s+no\s+longer|are\s+no\s+longer)\s+"
    r"(?:needed|necessary|happening|required)(?:\s+(?:any\s*more|now|after\s+all))*[.!]*$",
    re.IGNORECASE,
)
_REOPEN = re.compile(r"^(?:reopen|re-open|unclose|undo)\s+(?P<ref>.+)$", re.IGNORECASE)
_RENAME = re.compile(
    r"^(?P<ref>.+?)\s+should\s+(?:really\s+)?be\s+(?:called|named|titled)\s+(?P<title>.+)$"
    r"|^(?P<ref3>(?:task\s*)?#\s?\d{1,6})[\s,:-]+(?:rename|retitle|call)\s+it\s+(?:to\s+)?"
    r"[\"'“](?P<title3>[^\"'”]+)[\"'”]$"
    r"|^(?:call|rename)\s+(?P<ref2>.+?)\s+(?:to\s+)?[\"'“](?P<title2>[^\"'”]+)[\"'”]$",
    re.IGNORECASE,
)


_INSTEAD_OF = re.compile(
    r"\s+(?:instead\s+of|rather\s+than|from|off)\s+(?:me|him|her|them|<@[UW][A-Z0-9]+>|@?[\w.-]+)"
    r"(?:\s+(?:then|now|going\s+forward))?\s*\??$",
    re.IGNORECASE,
)


def read_loose_change(utterance: Utterance) -> Reading | None:
    text = without_person_remark(without_aside(utterance.text), utterance.context.people)
    context = utterance.context
    if (match := _TAKE.match(text)) is not None:
        ref = task_named(match.group("ref"))
        if ref is not None:
            call = PlannedCall(TOOL_ASSIGN, {"task_id": ref, "assignee": "me"})
            return make_reading("take", [call], 0.8, "someone takes a task")
    if (match := _OWN.match(text)) is not None:
        numbered = ("", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11")
        who = next(g for n in numbered if (g := match.group(f"who{n}")))
        ref_text = next(g for n in numbered if (g := match.group(f"ref{n}")))
        # "put jess on the boarding form instead of me": who had it is no word of its name.
        ref_text = _OFF_PLATE.sub("", _INSTEAD_OF.sub("", ref_text))
        if match.group("who11") and not known_person(who):
            # "anyone can you take ...": only a person of the workspace is asked.
            who = ""
        person = person_named(who, context)
        if match.group("who8") and who.lower() in {"her", "him", "them"}:
            # "ok give her the rovers one too": the person the conversation is about.
            person = context.recent_people[0] if context.recent_people else None
        if match.group("who7") and not known_person(who):
            # "what's on my plate": only a person of the workspace takes something over.
            person = None
        ref = task_named(ref_text)
        if ref is None and ref_text.strip(" .!").lower() in {"it", "that", "this", "that one"}:
            # "put dale on it": the task the conversation is about.
            ref = recent_task(utterance)
        if person is not None and ref is not None:
            call = PlannedCall(TOOL_ASSIGN, {"task_id": ref, "assignee": person})
            return make_reading("own", [call], 0.8, "a person takes a task over")
    if (match := _STARTED.match(text)) is not None:
        ref = task_named(match.group("ref") or match.group("ref2"))
        if ref is not None:
            call = PlannedCall(TOOL_UPDATE, {"task_id": ref, "status": "in_progress"})
            return make_reading("started", [call], 0.8, "work on a task started")
    if (match := _MOVED.match(text)) is not None:
        ref = task_named(
            match.group("ref") or match.group("ref2") or match.group("ref3") or match.group("ref4")
        )
        when = (
            match.group("when")
            or match.group("when2")
            or match.group("when3")
            or match.group("when4")
        ).strip(" .!")
        changes = utterance.changes(f"due {when}")
        if ref is not None and changes and "due" in changes:
            call = PlannedCall(TOOL_UPDATE, {"task_id": ref, "due": changes["due"]})
            return make_reading("deadline_moved", [call], 0.8, "a deadline moved")
    if (match := _PRIORITY_NOW.match(text)) is not None:
        ref = task_named(match.group("ref"))
        if ref is not None:
            level = _LEVELS[match.group("level").lower()]
            call = PlannedCall(TOOL_UPDATE, {"task_id": ref, "priority": level})
            return make_reading("priority_now", [call], 0.8, "a task's priority changed")
    if (match := _STATE_NOW.match(text)) is not None:
        named = match.group("ref").strip().lower()
        if named in {"that", "that one", "this", "this one", "it"}:
            recent = recent_task(utterance)
            if recent is None:
                return None
            call = PlannedCall(TOOL_UPDATE, {"task_id": recent, "status": "done"})
            return make_reading("state_now", [call], 0.8, "the task just named is done")
        ref = remark_ref(match.group("ref"), context)
        if ref is not None:
            call = PlannedCall(TOOL_UPDATE, {"task_id": ref, "status": "done"})
            return make_reading("state_now", [call], 0.72, "says a task's work is done")
    if (match := _TAG_WORDS.match(text)) is not None:
        ref = task_named(match.group("ref"))
        tags = [
            tag.lower() for tag in re.split(r"\s*(?:,|\band\b|\+|&)\s*", match.group("tags")) if tag
        ]
        if isinstance(ref, TitleRef) and tags:
            call = PlannedCall(TOOL_UPDATE, {"task_id": ref, "tags": [t.lstrip("#") for t in tags]})
            return make_reading("tag", [call], 0.8, "tags a task named by words")
    if (match := _SCRATCH.match(text)) is not None:
        ref = task_named(match.group("ref"))
        if ref is not None:
            call = PlannedCall(TOOL_UPDATE, {"task_id": ref, "status": "cancelled"})
            return make_reading("scratch", [call], 0.8, "a task is dropped")
    if (match := _NO_LONGER.match(text)) is not None:
        ref = task_named(match.group("ref") or match.group("ref2"))
        if ref is not None:
            call = PlannedCall(TOOL_UPDATE, {"task_id": ref, "status": "cancelled"})
            return make_reading("no_longer", [call], 0.8, "a task is no longer needed")
    if (match := _REOPEN.match(text)) is not None:
        ref = task_named(match.group("ref"))
        if ref is not None:
            call = PlannedCall(TOOL_UPDATE, {"task_id": ref, "status": "open"})
            return make_reading("reopen", [call], 0.8, "a task is reopened")
    if (match := _RENAME.match(text)) is not None:
        ref = task_named(match.group("ref") or match.group("ref2") or match.group("ref3"))
        title = match.group("title") or match.group("title2") or match.group("title3")
        title = title.strip(" .!\"'“”")
        if ref is not None and title:
            call = PlannedCall(TOOL_UPDATE, {"task_id": ref, "title": title})
            return make_reading("rename", [call], 0.8, "a task is renamed")
    return None


# A task named first, then what became of it: "swing chains done 👍", "latch fix due 18/12",
# "expense claims can slip to mon", "cooler gasket -> marco", "yelp reply needs a date, 12/18".
# The name is only looked up, never created, so a name that fits no task changes nothing.

_EMOJI = re.compile(
    r"[\u2190-\u21ff\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff\ufe0f]|:[a-z0-9_+-]+:"
)


_DONE_WORDS = (
    r"done|finished|complete|completed|sorted|paid|shipped|submitted|sent|fixed|booked|confirmed"
    r"|finali[sz]ed|updated|handled|ordered|delivered|posted|printed|signed|filed|returned"
    r"|installed|approved|processed"
)
_SAID_DONE = re.compile(
    r"^(?P<topic>.+?)(?:(?:'s|\s+is|\s+are|\s+has\s+been|\s+have\s+been|\s+was|\s+were|\s+got)?"
    r"(?:\s+(?:all|now|finally|officially|fully|also))*\s+(?:{done})"
    r"|(?:'s|\s+is|\s+are)(?:\s+(?:all|now|finally|officially|fully|also))*\s+(?:up|live|ready"
    r"|good\s+to\s+go|out\s+the\s+door|taken\s+care\s+of))"
    r"(?:\s+(?:and\s+)?(?:{done}))*"
    r"(?:\s+(?:now|already|today|yesterday|overnight|this\s+morning|last\s+night|at\s+last|finally"
    r"|in\s+the\s+system(?:\s+now)?|on\s+time|early))*$".replace("{done}", _DONE_WORDS),
    re.IGNORECASE,
)
_SAID_SHIFT = re.compile(
    r"^(?P<topic>.+?)\s+(?:can|could|should|will|may|might|has\s+to|needs\s+to|is\s+going\s+to|is"
    r"|gets\s+to)?\s*(?:slip|slips|slide|slides|move|moves|go|goes|come|comes|be\s+pushed|be\s+moved"
    r"|be\s+bumped|get\s+pushed|wait)\s+(?:(?P<dir>back|out|forward|later|earlier|up|in)\s+)?"
    r"(?:(?:by\s+)?(?:another\s+)?(?P<n>\d+)\s*(?P<unit>days?|weeks?|wks?)"
    r"|(?:to|till|until|til)\s+(?P<when>.+))$",
    re.IGNORECASE,
)
_SAID_DUE = re.compile(
    r"^(?P<topic>.+?)\s+(?:(?:is\s+|'s\s+)?(?:now\s+)?due(?!\s+(?:before|after|soon|within|in\s+the))(?:\s+date)?(?:\s+is)?(?:\s+now)?"
    r"|needs\s+(?:doing|to\s+be\s+done|finishing|to\s+happen)(?:\s+by)?|should\s+be\s+done\s+by"
    # "zillow post needs to be up by tomorrow at nine am".
    r"|(?:needs\s+to|has\s+to|should|must)\s+be\s+(?:up|out|live|ready|in|sent|submitted|posted"
    r"|filed|signed|finished|booked|paid|shipped|delivered)\s+by"
    r"|needs\s+an?\s+(?:date|deadline|due\s+date)[,:;]?|(?:deadline|date)\s+is(?:\s+now)?"
    r"|make\s+it|make\s+that|set\s+(?:it\s+)?to|->|→|=>)"
    r"\s+(?P<attrs>.+?)(?:\s+(?:works|is\s+fine|is\s+good|is\s+ok|would\s+be\s+good))?$",
    re.IGNORECASE,
)
# "set the store description due tomorrow at four thirty": a verb, the task, its new date.
_SET_DUE = re.compile(
    r"^(?:pls\s+|please\s+|(?:can|could)\s+(?:you|u)\s+)?(?:set|make|have)\s+(?P<topic>.+?)\s+"
    r"due\s+(?P<attrs>(?:today|tonight|tomorrow|tmrw|mon|tue|wed|thu|fri|sat|sun|next|this|the\s+\d"
    r"|\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|end\s+of|eod|eow).*)$",
    re.IGNORECASE,
)
_SAID_LEVEL = re.compile(
    r"^(?P<topic>.+?)\s+(?:can|could|should|needs\s+to|has\s+to|will)\s+(?:be|go\s+back\s+to|drop\s+to"
    r"|go\s+(?:down|up)\s+to|come\s+down\s+to|move\s+(?:up|down)\s+to)\s+(?:a\s+)?"
    r"(?:(?:bit|little)\s+)?(?P<attrs>(?:top|high|higher|low|lower|urgent|normal|medium)"
    r"(?:\s+(?:prio(?:rity)?|pri))?)(?:\s+now|\s+then|\s+too)*$",
    re.IGNORECASE,
)


_TOPIC_OPENER = re.compile(
    r"^(?:(?:gg|yay|yess*|woo+(?:hoo)?|nice|phew|finally|omg|ok|okay|so|and|also|oh|welp|update"
    r"|fyi|btw)\b[\s,!.:-]*)+",
    re.IGNORECASE,
)
# Words that are no name of a task: "actually, due monday", "anything due before dec 1st?".
_NOT_TOPIC_WORDS = frozenset(
    {
        "actually", "anything", "something", "everything", "nothing", "instead", "also", "too",
        "then", "now", "same", "rest", "lot", "all", "both", "either", "neither", "one", "ones",
        "stuff", "thing", "things", "mine", "yours", "his", "hers", "theirs", "ours", "today",
        "tomorrow", "tmrw", "later", "rather", "maybe", "probably", "which", "whatever",
    }
)  # fmt: skip
# A name holds no verb of its own: "just did it, mark it done" is no task called "just did it".
_CLAUSE_WORDS = re.compile(
    r"\b(?:is|are|was|were|has|have|had|did|does|mark|marked|it|that|can|will|should|need|needs)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:not|never|no|isn'?t|aren'?t|wasn'?t|hasn'?t|haven'?t|won'?t|can'?t)\b|n't\b"
)


def _topic_ref(topic: str, utterance: Utterance) -> int | TitleRef | None:
    cleaned = _TOPIC_OPENER.sub("", topic.strip(" ,;:-–—")).strip(" ,;:-–—")
    cleaned = re.sub(r"^(?:the|that|this|our|my)\s+", "", cleaned, flags=re.IGNORECASE)
    if not cleaned or NOT_A_TOPIC.match(cleaned) or create_cue(cleaned):
        return None
    words = re.findall(r"[\w']+", cleaned.lower())
    if (
        ":" in cleaned
        or "," in cleaned
        or _CLAUSE_WORDS.search(cleaned)
        or "?" in utterance.text
        or _NEGATION.search(cleaned)
        or not words
        or all(word in _NOT_TOPIC_WORDS for word in words)
        or words[0] in {"task", "todo", "new"}
    ):
        # "task: finalize the budget, due eod" is a new task; a question asks, it tells nothing.
        return None
    if re.fullmatch(r"(?:that|this|the)?\s*one|it", cleaned, re.IGNORECASE):
        return recent_task(utterance)
    if any(word in utterance.context.people for word in cleaned.lower().split()):
        # "dave's done", "priya is up": a person, not a task.
        return None
    return task_named(cleaned)


def _said_attrs(utterance: Utterance, attrs: str) -> dict[str, object] | None:
    """What "urgent and due monday", "12/18", "marco", "two thirty" say, or None."""
    attrs = attrs.strip(" ,;:.!")
    if (bare := _BARE_HOUR_DAY.match(attrs)) is not None:
        # "by 3 today": an hour of the working day.
        hour = int(bare.group("hour"))
        attrs = f"{bare.group('day')} {hour}{'am' if 7 <= hour <= 11 else 'pm'}"
    context = utterance.context
    person = person_named(attrs.lstrip("@"), context) if " " not in attrs.strip() else None
    if person is not None and (known_person(attrs.lstrip("@")) or attrs.startswith(("<@", "@"))):
        return {"assignee": person}
    for said in (attrs, f"due {attrs}", f"{attrs} priority"):
        changes = utterance.changes(said)
        if changes:
            return changes
    return None


# "deposits are reconciled": the work named by its own verb, said to be finished. The verb
# joins the words looked up, so only a task whose title holds it ("Reconcile January security
# deposits") is changed. Words for a state that is no progress never mean done.
_SAID_WORKED = re.compile(
    r"^(?P<topic>.+?)(?:\s+(?:is|are|has\s+been|have\s+been|got|were|was)|'s)(?:\s+(?:all|now|finally"
    r"|officially|fully))*\s+(?P<verb>[a-z]{3,}ed)(?:\s+(?:now|already|today|finally|at\s+last))*$",
    re.IGNORECASE,
)
_NO_PROGRESS = frozenset(
    {
        "blocked", "crashed", "failed", "stuck", "delayed", "damaged", "locked", "flagged",
        "postponed", "missed", "rejected", "declined", "bounced", "jammed", "cancelled",
        "canceled", "paused", "stalled", "hacked", "expired", "disabled", "closed", "moved",
        "changed", "renamed", "assigned", "reassigned", "scheduled", "booked", "needed",
        "backed", "worried", "confused", "concerned", "interested", "excited",
        "overloaded", "swamped", "tired", "bored", "surprised", "annoyed",
    }
)  # fmt: skip


def _worked(text: str, utterance: Utterance) -> Reading | None:
    match = _SAID_WORKED.match(text)
    if match is None or match.group("verb").lower() in _NO_PROGRESS:
        return None
    topic = _topic_ref(match.group("topic"), utterance)
    if not isinstance(topic, TitleRef):
        return None
    ref = TitleRef(f"{topic.text} {match.group('verb').lower()}")
    call = PlannedCall(TOOL_UPDATE, {"task_id": ref, "status": "done"})
    # Scored below the readers of a request: "volunteer desk is fully staffed 💪 close 5 pls" is a
    # remark before the request.
    return make_reading("said_of_task", [call], 0.62, "work named by its verb, said to be done")


def read_said_of_task(utterance: Utterance) -> Reading | None:
    text = _EMOJI.sub(" ", utterance.text)
    text = CHATTER_END.sub("", without_aside(" ".join(text.split()))).strip(" ,.!")
    if not text:
        return None
    worked = _worked(text, utterance) if _SAID_DONE.match(text) is None else None
    if worked is not None:
        return worked
    if (match := _SAID_DONE.match(text)) is not None:
        if re.search(r"\bdone\s+by\b", utterance.text, re.IGNORECASE):
            return None
        ref = _topic_ref(match.group("topic"), utterance)
        if ref is None:
            return None
        call = PlannedCall(TOOL_UPDATE, {"task_id": ref, "status": "done"})
        return make_reading("said_of_task", [call], 0.74, "a task named, then said to be done")
    shift = _SAID_SHIFT.match(text)
    ref = _topic_ref(shift.group("topic"), utterance) if shift is not None else None
    if shift is not None and ref is not None and shift.group("when"):
        changes = _said_attrs(utterance, shift.group("when"))
        if changes and set(changes) == {"due"}:
            call = PlannedCall(TOOL_UPDATE, {"task_id": ref, "due": changes["due"]})
            return make_reading("said_of_task", [call], 0.78, "a task named, then its new date")
        # "guest cleanup can go back to low" is no date: the readings below take it.
    elif shift is not None and ref is not None:
        match = shift
        direction = (match.group("dir") or "").lower()
        sign = "-" if direction in {"forward", "up", "in", "earlier"} else "+"
        unit = UNITS[match.group("unit").lower().rstrip("s")]
        call = PlannedCall(
            TOOL_UPDATE, {"task_id": ref, "due": f"{sign}{int(match.group('n'))}{unit}"}
        )
        return make_reading("said_of_task", [call], 0.78, "a task named, then how far it moves")
    elif shift is not None:
        return None
    words = text.split()
    for dropped in range(min(len(words) - 2, 8) + 1):
        # "the yelp reply can be high prio now guy posted a 2nd review": a remark run on
        # without a comma is left out, word by word from the end, unless it is a request.
        if dropped and (dropped < 2 or _RUN_ON_REQUEST.match(" ".join(words[-dropped:]))):
            continue
        shorter = " ".join(words[: len(words) - dropped])
        for pattern in (_SAID_LEVEL, _SET_DUE, _SAID_DUE):
            match = pattern.match(shorter)
            if match is None:
                continue
            ref = _topic_ref(match.group("topic"), utterance)
            changes = _said_attrs(utterance, match.group("attrs"))
            if ref is None or not changes:
                continue
            calls = changes_to_calls(ref, changes)
            return make_reading(
                "said_of_task", calls, 0.74 if dropped else 0.78, "a task named, then what changes"
            )
    return None


_RUN_ON_REQUEST = re.compile(
    r"^(?:and|then|also|plus|&|\+|or|but)\b|^(?:add|create|make|mark|close|assign|give|move|push"
    r"|delete|remove|set|put|change|tag|reopen|cancel|remind)\b",
    re.IGNORECASE,
)
_BARE_HOUR_DAY = re.compile(
    r"^(?P<hour>1[0-2]|[1-9])\s+(?P<day>today|tonight|tomorrow|tmrw|tmr|tmw)$", re.IGNORECASE
)
