# Over 500 lines: the readers of list requests (filters, statuses, people, periods) share
# their patterns; they move into `intents/` with the rest of the parser
# (docs/offline-parser.md). The conversation-quality work owns this package.
"""Clauses that ask to see tasks: "what's on my plate", "bob's tasks", "what's overdue".

Conventions (the same ones the dataset and the tool docstrings use):

- "my tasks", "what's on my plate", "what do I have": `assignee="me"` and no status, so the tool
  shows its default, the open and in-progress tasks.
- "overdue", "late", "past due": `due_before="now"`, no status (the default statuses are exactly
  the work not yet finished).
- "due today" / "due this week" / "due by friday": `due_before` with the phrase ("today",
  "end of week", "friday"); "due after monday": `due_after`; "due next week": `due_after="end of
  week"` and `due_before="end of next week"`.
- "done", "finished", "completed", "what did I finish": `status="done"` (with `assignee="me"` when
  the person speaks about themself); "open": `status="open"`; "in progress": `"in_progress"`.
- "tasks I created", "what did I assign to bob": `creator="me"` (and `assignee="bob"`).
- "about invoices", "find the invoice task", "tagged finance": `query="invoices"` etc.
- "top 5", "first 3", "show 10 tasks": `limit`.
"""

from __future__ import annotations

import re

from agent.offline.actions import Action, ClauseResult
from agent.offline.attributes import find_priority
from agent.offline.dates import expand_short_days, find_dates
from agent.offline.lexicon import IMPERATIVE_VERBS, NAME_STOPWORDS, NUMBER_WORDS, STATUS_WORDS
from agent.offline.people import PERSON_WORDS, known_person
from agent.offline.plan import TOOL_LIST
from agent.offline.slots import person_slot, title_ref

_ASK = re.compile(
    r"^(?:what(?:'s|\s+is|\s+are|\s+was|\s+were|\s+do|\s+does|\s+did|\s+have|\s+has|\s+should"
    r"|\s+am|\s+else|\s+tasks|\s+about)?|which|show|list|display|give\s+me|get\s+me|get|find"
    r"|search|look\s+up|lookup|pull\s+up|pull|bring\s+up|see|view|check|tell\s+me|any|anything"
    r"|(?:can|could|may)\s+(?:i|we|you|u)\s+(?:see|get|have|pull(?:\s+up)?|view|check|look\s+at)"
    r"|let\s+me\s+see|i\s+(?:want|wanna|need|'d\s+like)\s+to\s+see"
    r"|are\s+there|is\s+there|do\s+i|does|did|have\s+i|how\s+many|how\s+much|where|who|whose"
    r"|how's|how\s+is|how\s+does|how\s+do|what's|whats|wat|status"
    r"|(?:top|first|next|latest)\s+\d{1,3})\b",
    re.IGNORECASE,
)
# A short phrase of filters is a query too: "overdue", "my open stuff", "urgent ones".
_FILTER_PHRASE = re.compile(
    r"^(?:my|all|open|overdue|late|urgent|remaining|pending|outstanding|completed|done|high"
    r"|low|important)(?:\s+(?:open|overdue|urgent|remaining|pending|stuff|things|ones|items"
    r"|priority|high[\s-]priority|done|completed|tasks|todos|work))*\s*[?!.]*$",
    re.IGNORECASE,
)
_DOMAIN = re.compile(
    r"\b(?:tasks?|todos?|to-?dos?|items?|tickets?|plate|backlog|queue|agenda|list|overdue"
    r"|late|past\s+due|due|assigned|working\s+on|work\s+on|left|pending|outstanding|remaining"
    r"|open|done|finished|completed|closed|cancel(?:l)?ed|in\s+progress|priority|urgent"
    r"|important|stuff|things|anything|everything|created|made|opened|added|my\s+day"
    r"|have\s+(?:today|tomorrow|this\s+week)|on\s+(?:my|his|her)|up\s+next|next\s+up|doing"
    r"|on\s+the\s+hook|responsible\s+for|in\s+charge\s+of|reminders?|deadlines?|busy|p[0-4]s|my\s+week|my\s+day|need\s+to\s+do|have\s+to\s+do|to\s+do|finish|complete|close|assign|assigned|give|gave|create"
    r"|hand|handed|delegate|delegated|ask(?:ed)?\s+me\s+to|want(?:ed)?\s+me\s+to|wrapped\s+up"
    r"|knocked\s+out|put\s+in|logged|raised)\b",
    re.IGNORECASE,
)
_OVERDUE = re.compile(
    r"\b(?:overdue|over\s+due|late|past\s+due|past\s+the\s+deadline|behind|missed|slipped"
    r"|passed\s+(?:the|their)\s+(?:due\s+date|deadline))\b",
    re.IGNORECASE,
)
_STATUS = (
    (
        re.compile(
            r"\b(?:in[\s-]progress|started|wip|ongoing|underway|being\s+worked\s+on)\b", re.I
        ),
        "in_progress",
    ),
    (
        re.compile(
            r"\b(?:done|finished|finish|completed|complete|closed|close|resolved|shipped"
            r"|wrapped\s+up|knocked\s+out|accomplish(?:ed)?|got\s+done|get\s+done)\b",
            re.I,
        ),
        "done",
    ),
    (re.compile(r"\b(?:cancel(?:l)?ed|dropped|abandoned|scrapped)\b", re.I), "cancelled"),
    (re.compile(r"\b(?:open|not\s+started|unstarted)\b", re.I), "open"),
)
_CREATOR_ME = re.compile(
    r"\b(?:(?:that\s+|which\s+)?i\s+(?:created|made|added|opened|wrote|filed|logged|set\s+up"
    r"|assigned|gave|handed|delegated|asked|put)|(?:created|made|added|opened|filed|assigned)"
    r"\s+by\s+me|from\s+me|i(?:'ve|\s+have)\s+(?:created|assigned|added|given|made|opened|filed)"
    r"|my\s+requests)\b",
    re.IGNORECASE,
)
_CREATOR_OTHER = re.compile(
    r"\b(?:(?:created|made|added|opened|filed|assigned|requested)\s+by|from)\s+"
    r"(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|[A-Za-z][\w'.\-]*(?:\s+(?-i:[A-Z])[\w'.\-]*)?)",
    re.IGNORECASE,
)
_CREATOR_SUBJECT = re.compile(
    r"\b(?:did|has|have)\s+(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|[A-Za-z][\w'.\-]*)\s+"
    r"(?:create|make|add|open|file|assign|give|hand|created|made|added|assigned|put\s+in|logged"
    r"|log|raised|raise|filed|opened|entered|submitted|ask|asked|want|wanted|request|requested)\b",
    re.IGNORECASE,
)
_ASSIGNED_TO = re.compile(
    r"\b(?:assigned\s+to|for|to|owned\s+by|belonging\s+to|given\s+to|handed\s+to|on"
    r"|(?:sitting|stuck|parked|lying|left)\s+with)\s+"
    r"(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|[A-Za-z][\w'.\-]*(?:\s+(?-i:[A-Z])[\w'.\-]*)?)",
    re.IGNORECASE,
)
_POSSESSIVE = re.compile(
    r"(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|\b[A-Za-z][\w.\-]*(?:\s+(?-i:[A-Z])[\w.\-]*)?)(?:'s|')\s+"
    r"(?:(?:open|current|overdue|urgent|pending|remaining|outstanding|done|finished|completed|high"
    r"[\s-]priority|\w+)\s+)?"
    r"(?:tasks?|todos?|to-?dos?|plate|list|stuff|work|queue|backlog|items?|tickets?|agenda|things|load)",
    re.IGNORECASE,
)
_ON_PLATE = re.compile(
    r"\bon\s+(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|[A-Za-z][\w.\-]*?)(?:'s|'|(?<=[^su])s)?\s+"
    r"(?:plate|list|desk|radar)",
    re.IGNORECASE,
)
_WORKING = re.compile(
    r"\b(?:is|does|has|are|'s|did|was|will|should|can)\s+(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|[A-Za-z][\w.\-]*(?:\s+(?-i:[A-Z])[\w.\-]*)?)"
    r"\s+(?:working\s+on|doing|got|have|busy\s+with|up\s+to|on\s+the\s+hook\s+for|responsible\s+for"
    r"|assigned|handling|supposed\s+to|need\s+to|owe|finish(?:ed)?|complete(?:d)?|close(?:d)?|get\s+done"
    r"|got\s+done|wrapped\s+up|knocked\s+out|shipped)",
    re.IGNORECASE,
)
# "everything <@U03> has", "what bob has on": the person holds the tasks.
_HOLDS = re.compile(
    r"\b(?:everything|anything|what|stuff|things|all)\s+(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+"
    r"|[A-Za-z][\w.\-]*?)(?:'s)?\s+(?:has|have|owns|is\s+holding|has\s+got|got|finished|completed"
    r"|closed|wrapped\s+up|did|has\s+done|has\s+finished)\b",
    re.IGNORECASE,
)
_SUBJECT_PERSON = re.compile(
    r"^(?:what(?:'s|\s+is|\s+does|\s+did|\s+has)?\s+)?(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+)\b",
    re.IGNORECASE,
)
_ME = re.compile(
    r"\b(?:my|mine|me|myself|i|i'm|i've|am\s+i|do\s+i|did\s+i|have\s+i|should\s+i|can\s+i)\b",
    re.IGNORECASE,
)
_QUERY = (
    re.compile(
        r"\b(?:about|regarding|re|related\s+to|relating\s+to|mentioning|containing|matching|with"
        r"|concerning|involving|referencing|on|for|named|called|titled|that\s+mention|that\s+say"
        r"|with\s+the\s+word)\s+[\"']?(?P<query>[^\"'?!.]+?)[\"']?\s*(?:\?|!|\.|$)",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:search|find|look\s+up|lookup|look\s+for|search\s+for|find\s+me|show\s+me|pull\s+up"
        r"|any|is\s+there\s+(?:a|an|any)|do\s+i\s+have\s+(?:a|an|any)|do\s+we\s+have\s+(?:a|an|any)"
        r"|are\s+there\s+any|got\s+any|have\s+i\s+got\s+(?:a|an|any))\s+(?:for\s+)?"
        r"(?:tasks?\s+|todos?\s+)?(?:(?:for|about|on|with|called|named|titled|re)\s+)?"
        r"[\"']?(?P<query>[^\"'?!.]+?)[\"']?\s*(?:tasks?|todos?|items?|ones?)?\s*[?!.]*$",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:the|our|all\s+the)\s+(?P<query>[\w\-]+(?:\s+[\w\-]+){0,2}?)\s+(?:tasks|todos|items)\b",
        re.IGNORECASE,
    ),
)
_TAG_QUERY = (
    re.compile(
        r"\b(?:tagged|labell?ed|with\s+(?:the\s+)?(?:tag|label))\s+(?:with\s+|as\s+)?#?(?P<query>[\w\-]+)",
        re.IGNORECASE,
    ),
    re.compile(r"(?<![\w&#/<])#(?P<query>[A-Za-z][\w\-]*)"),
)
_LIMIT = re.compile(
    r"\b(?:top|first|last|next|latest|only|just|up\s+to|limit(?:\s+to)?|max)\s+(?P<n>\d{1,3}|"
    + "|".join(
        word
        for word in NUMBER_WORDS
        if " " not in word and word not in {"a", "an", "couple", "few"}
    )
    + r")\b|\b(?P<n2>\d{1,3})\s+(?:(?:most|urgent|important|recent|open|overdue|oldest|newest"
    r"|latest|high|low|medium|priority|prio|done|finished|completed)[\s-]+){0,4}"
    r"(?:tasks|todos|items|things|ones)\b",
    re.IGNORECASE,
)
_QUERY_STOP = frozenset(
    NAME_STOPWORDS
    | set(STATUS_WORDS)
    | {
        "team",
        "everyone",
        "others",
        "people",
        "anyone",
        "us",
        "completed",
        "finished",
        "overdue",
        "late",
        "pending",
        "remaining",
        "outstanding",
        "current",
        "assigned",
        "unassigned",
        "new",
        "old",
        "oldest",
        "newest",
        "recent",
        "important",
        "critical",
        "p0",
        "p1",
        "p2",
        "p3",
        "me",
        "my",
        "mine",
        "i",
        "you",
        "them",
        "we",
        "this",
        "week",
        "today",
        "tomorrow",
        "now",
        "priority",
        "tasks",
        "task",
        "todos",
        "todo",
        "things",
        "stuff",
        "anything",
        "everything",
        "something",
        "open",
        "done",
        "urgent",
        "plate",
        "list",
        "the",
        "a",
        "an",
    }
)
_NON_PEOPLE = frozenset(
    {
        "see",
        "know",
        "check",
        "look",
        "find",
        "land",
        "how",
        "where",
        "when",
        "why",
        "whose",
        "that's",
        "it's",
        "there's",
        "here's",
        "others",
        "other",
        "people",
        "someone",
        "anyone",
        "everybody",
        "nobody",
        "me",
        "the",
        "a",
        "an",
        "this",
        "that",
        "it",
        "them",
        "us",
        "everyone",
        "team",
        "today",
        "tomorrow",
        "now",
        "my",
        "your",
        "our",
        "their",
        "his",
        "her",
        "its",
        "what",
        "who",
        "which",
        "there",
        "here",
        "today's",
        "week",
        "month",
        "year",
        "task",
        "tasks",
        "anything",
        "everything",
        "something",
        "nothing",
        "all",
        "any",
        "let",
        "show",
        "right",
    }
)


_TASK_PLURAL = re.compile(r"\b(?:tasks|todos|to-dos|todo\s+list|tickets|items)\b", re.IGNORECASE)


_SEARCH = re.compile(
    r"^(?:search\s+for|look\s+for|search|find|look\s+up|lookup)\b(?!\s+(?:out|a\s+way|time))"
    r"(?:\s+(?:me\s+)?(?:tasks?|todos?)?\s*(?:for|about|on|with)\b)?",
    re.IGNORECASE,
)


# "what does bob have?", "what's erin got on her plate": what a person holds is their tasks.
_HOLDS_QUESTION = re.compile(
    r"^what(?:'s|s|\s+is|\s+does|\s+do|\s+has|\s+have)\s+(?P<person>"
    + PERSON_WORDS
    + r")\s+(?:got|have|has|own|owns)(?:\s+(?:left|going\s+on|open|now|today|this\s+week|atm"
    r"|on\s+(?:his|her|their|my)\s+(?:plate|list|desk)))*\s*[?!.]*$",
    re.IGNORECASE,
)


# "stuff erin has", "everything bob finished": a bare phrase about what a listed person holds.
_HOLDS_PHRASE = re.compile(
    r"^(?:(?:list|show)\s+)?(?:everything|stuff|all\s+(?:the\s+)?stuff|all\s+the\s+things)\s+"
    r"(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|[A-Za-z][\w.\-]*)\s+(?:has|have|owns|has\s+got|got"
    r"|finished|completed|closed|did)(?:\s+(?:left|open|now|atm|so\s+far))*\s*[?!.]*$",
    re.IGNORECASE,
)


def _holds_question(text: str) -> bool:
    match = _HOLDS_QUESTION.match(text) or _HOLDS_PHRASE.match(text)
    if match is None:
        return False
    person = match.group("person")
    return person.lower() == "i" or known_person(person)


def looks_like_list(clause: str) -> bool:
    """Whether a clause asks to see tasks (a question or "show ..." about tasks)."""
    stripped = clause.strip()
    if not stripped:
        return False
    if _SEARCH.match(stripped) or _holds_question(stripped):
        return True
    asks = bool(_ASK.match(stripped)) or stripped.endswith("?")
    if asks and _DOMAIN.search(stripped):
        return True
    if _FILTER_PHRASE.match(stripped) and (
        stripped.endswith("?")
        or re.search(r"\b(?:stuff|things|ones|items|tasks|todos|work)\b", stripped, re.IGNORECASE)
        or stripped.lower().strip(" ?!.") in {"overdue", "late", "pending", "outstanding"}
    ):
        return True
    # A noun phrase about tasks is a query too: "high priority tasks", "tasks about invoices".
    return bool(_TASK_PLURAL.search(stripped)) and len(stripped.split()) <= 12


def parse_list(clause: str) -> ClauseResult:
    """Read a clause as a request to list tasks, with the filters it names."""
    if not looks_like_list(clause):
        return None
    text = expand_short_days(" ".join(clause.strip().split()))
    # "show me", "give me", "tell me" ask for something; they do not mean "my tasks".
    text = re.sub(
        r"\b(show|give|tell|get|send|find|let|remind|list)\s+me\b", r"\1", text, flags=re.I
    )
    text = re.sub(r"\b[pP]([0-4])s\b", r"p\1 tasks", text)
    # "what am I on the hook for", "what is carol in charge of": what someone holds.
    text = re.sub(
        r"\b(?:on\s+the\s+hook\s+for|responsible\s+for|in\s+charge\s+of)(?=\s*(?:[?!.]|right\s+now|now|$))",
        "working on",
        text,
        flags=re.IGNORECASE,
    )
    text = re.sub(r"\bmy\s+(day|week)\b", r"my tasks this \1", text, flags=re.IGNORECASE)
    args: dict[str, object] = {}
    searched = _SEARCH.match(text)
    _people(text[searched.end() :] if searched else text, args)
    _status(text, args)
    priority = find_priority(re.sub(r"\bmost\s+urgent\b", "", text, flags=re.IGNORECASE))
    if priority is not None:
        args["priority"] = priority
    _dates(text, args)
    limit = _LIMIT.search(text)
    # "the top 5 urgent tasks": the count is no search words.
    _query(f"{text[: limit.start()]}{text[limit.end() :]}" if limit else text, args)
    if limit:
        raw = (limit.group("n") or limit.group("n2") or "").lower()
        value = int(raw) if raw.isdigit() else NUMBER_WORDS.get(raw)
        if value is not None and 1 <= value <= 100:
            args["limit"] = value
    return [Action(TOOL_LIST, args)]


def _person(raw: str) -> str | None:
    lowered = raw.lower()
    if lowered in {"me", "myself", "i", "mine"}:
        return "me"
    first = lowered.split()[0] if lowered.split() else ""
    if first in _NON_PEOPLE or first in NAME_STOPWORDS or first in _QUERY_STOP:
        return None
    if first in IMPERATIVE_VERBS or (first.endswith("ing") and len(first) > 5):
        return None
    words = raw.split()
    if len(words) == 2 and (words[1].lower() in NAME_STOPWORDS or not words[1][:1].isupper()):
        raw = words[0]
    return person_slot(raw)


_GAVE_TO = re.compile(
    r"\b(?:assigned|assign|gave|give|handed|hand|delegated|delegate|asked|ask|want|wanted)"
    r"\s+(?:to\s+)?"
    r"(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|[A-Za-z][\w'.\-]*(?:\s+(?-i:[A-Z])[\w'.\-]*)?)",
    re.IGNORECASE,
)


def _people(text: str, args: dict[str, object]) -> None:
    creator: str | None = "me" if _CREATOR_ME.search(text) else None
    if creator is None:
        found = _CREATOR_OTHER.search(text) or _CREATOR_SUBJECT.search(text)
        creator = _person(found.group("person")) if found else None
    if creator is not None:
        args["creator"] = creator
        # "what did I assign to bob": the creator gave the tasks to someone.
        gave = _GAVE_TO.search(text)
        if gave:
            person = _person(gave.group("person"))
            if person is not None and person != creator:
                args["assignee"] = person
        return
    for pattern in (_POSSESSIVE, _ON_PLATE, _WORKING, _HOLDS, _SUBJECT_PERSON, _ASSIGNED_TO):
        for match in pattern.finditer(text):
            raw = match.group("person")
            if pattern is _POSSESSIVE and raw.lower() in {"what", "who", "today", "week", "let"}:
                continue
            if pattern is _ON_PLATE and re.match(
                r"on\s+(?:his|her|their|my|our|your)\b", match.group(0), re.IGNORECASE
            ):
                # "on his plate" names nobody; the person is elsewhere in the question.
                continue
            person = _person(raw)
            if person is not None:
                args["assignee"] = person
                return
    if _ME.search(text):
        args["assignee"] = "me"


# "what did bob want me to finish": work someone asked for is work not yet done.
_ASKED_TO_FINISH = re.compile(
    r"\b(?:want|wants|wanted|ask|asks|asked|need|needs|needed|expect|expects|expected)\s+"
    r"(?:me|us|him|her|them|<@[UW][A-Z0-9]+>|@[\w.\-]+)\s+to\s+(?:finish|complete|close|get\s+done"
    r"|wrap\s+up)\b",
    re.IGNORECASE,
)


def _status(text: str, args: dict[str, object]) -> None:
    text = _ASKED_TO_FINISH.sub(" ", text)
    for pattern, status in _STATUS:
        if pattern.search(text):
            if status == "open" and re.search(r"\bopened\s+by\b", text, re.IGNORECASE):
                continue
            args["status"] = status
            return


def _dates(text: str, args: dict[str, object]) -> None:
    if _OVERDUE.search(text):
        args["due_before"] = "now"
        return
    if args.get("status") == "done":
        # "What did I finish this week" speaks of when work was done, which no filter covers.
        return
    for found in find_dates(text):
        phrase = found.phrase
        if found.is_after:
            args["due_after"] = phrase
        elif phrase == "next week":
            args["due_after"] = "end of week"
            args["due_before"] = "end of next week"
        elif phrase == "next month":
            args["due_after"] = "end of month"
            args["due_before"] = "end of next month"
        elif "due_before" in args:
            # "what's due by fri ... before the weekend": the first deadline said is the filter.
            continue
        elif phrase in {"today 9am", "today 2pm", "today 6pm"}:
            args["due_before"] = "today"
        else:
            args["due_before"] = phrase


_QUERY_TRAILING = re.compile(
    r"\s+(?:tasks?|todos?|items?|ones?|stuff|things|please|pls|for\s+me|again|right\s+now|now"
    r"|assigned\s+to\s+\S+|this\s+week|today|tomorrow|somewhere|anywhere|already|yet|at\s+all|atm|rn"
    r"|at\s+the\s+moment|currently|so\s+far|on\s+the\s+go|in\s+flight|in\s+play|on\s+there|in\s+there"
    r"|on\s+the\s+(?:list|board)"
    r"|in\s+(?:here|there|the\s+system|the\s+tracker))$",
    re.IGNORECASE,
)


def _query(text: str, args: dict[str, object]) -> None:
    for pattern in _TAG_QUERY:
        match = pattern.search(text)
        if match:
            args["query"] = match.group("query").lower()
            return
    for pattern in _QUERY:
        for match in pattern.finditer(text):
            query = _clean_query(match.group("query"))
            if query is None:
                continue
            if (
                pattern is _QUERY[0]
                and match.group(0).lower().lstrip().startswith(("for ", "to ", "on ", "with "))
                and _is_person_word(query)
                and "assignee" in args
            ):
                continue
            args["query"] = query
            return


def _clean_query(raw: str) -> str | None:
    # "everything for ray incl the done stuff": what follows "incl" is a status, not words.
    query = re.split(r"\s+(?:incl|including|inc|even|plus)\b", raw.strip(), maxsplit=1)[0]
    # "high priority tasks for bob": what comes before the noun is a filter, not words to find.
    noun = re.search(r"\b(?:tasks?|todos?|to-dos?|items?|tickets?)\b", query, re.IGNORECASE)
    if noun is not None:
        query = query[: noun.start()].strip()
    previous = None
    while previous != query:
        previous = query
        query = _QUERY_TRAILING.sub("", query).strip()
    for found in reversed(find_dates(query)):
        query = (query[: found.start] + query[found.end :]).strip()
    ref = title_ref(query)
    if ref is None:
        return None
    words = ref.text.split()
    if words[-1] in {"plate", "list", "desk", "radar", "agenda", "schedule", "calendar", "queue"}:
        return None
    if all(word in _QUERY_STOP for word in words):
        return None
    if len(words) > 6:
        return None
    return ref.text


def _is_person_word(query: str) -> bool:
    return len(query.split()) == 1 and query not in _QUERY_STOP
