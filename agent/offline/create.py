# Over 500 lines: the readers of create requests and their title cleaning share one set of
# patterns; they move into `intents/` with the rest of the parser (docs/offline-parser.md).
# The conversation-quality work owns this package.
"""Clauses that create tasks.

Recognized shapes, after polite words are gone ("can you", "please"):

- a header and a title: "add a task to X", "create a task for alice: X", "new task - X",
  "todo: X", "note to self: X", "add X", "add tasks: X, Y and Z";
- reminders: "remind me to X", "remind bob to X by friday", "remind me tomorrow to X";
- someone asked to do something: "<@U02> please X", "bob, can you X", "ask carol to X",
  "have dave X", "bob needs to X", "I need to X", "don't forget to X".

The title keeps the person's own words; attributes come off with `attributes.extract`.
"""

from __future__ import annotations

import re

from agent.offline import chat
from agent.offline.actions import Action, ClauseResult, Reply, ReplyKind
from agent.offline.attributes import Attributes, capitalize, extract, find_priority
from agent.offline.dates import find_dates
from agent.offline.lexicon import (
    ADD_THESE,
    IMPERATIVE_VERBS,
    NAME_STOPWORDS,
    TODO_LIST,
    UNRESOLVABLE_PEOPLE,
)
from agent.offline.people import PERSON_WORDS, leading_known_person
from agent.offline.plan import TOOL_CREATE
from agent.offline.slots import leading_person_end, normalize_person
from agent.offline.text import collapse

_NOUN = (
    r"(?:tasks?|todos?|to-dos?|to\s+dos?|reminders?|items?|tickets?|action\s+items?|cards?"
    r"|entries|entry|ais?|something|things|thing)"
)
_QUANTITY = (
    r"(?:a|an|another|one|the|new|quick|me\s+a|us\s+a|two|three|four|five|\d{1,2}|some|these|those"
    r"|the\s+following|following|few|a\s+few|couple(?:\s+of)?|a\s+couple(?:\s+of)?|more"
    r"|multiple|separate|small|little|simple|high[\s-]priority|urgent|low[\s-]priority)"
)
_PLURAL_HINT = re.compile(
    r"\b(?:tasks|todos|to-dos|items|reminders|tickets|these|those|following|two|three|four|five|\d+"
    r"|few|couple|multiple|separate|entries)\b",
    re.IGNORECASE,
)
_HEADER = re.compile(
    # "ad a tsk to ...": "ad" is "add" only before "a task".
    rf"^(?P<verb>add|ad(?=\s+(?:a|an|another|new)\s+(?:tasks?|todos?|reminders?)\b)|create|make|new|log|open|put\s+in|put|set\s+up|jot\s+down|note\s+down|write\s+down"
    rf"|(?:i|we)\s+need|need"
    rf"|track|capture|record|file|schedule|queue\s+up|stick|start|raise|enter|insert|throw\s+in)"
    rf"(?![\w'])\s*(?P<quantity>(?:{_QUANTITY}\s+)*)(?P<noun>{_NOUN}(?![\w'])(?:\s+(?:item|list))?)?",
    re.IGNORECASE,
)
_BARE_HEADER_VERBS = frozenset({"add", "create", "new"})
_TODO_PREFIX = re.compile(
    r"^(?P<kind>todo|to-do|to\s+do|task|new\s+task|new\s+todo|new\s+to-do|new\s+reminder|reminder"
    r"|action\s+item|ai|note\s+to\s+self|nts|memo|note\s+for\s+myself|self\s+reminder)"
    r"(?:\s+for\s+(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|me|myself|[A-Za-z]+))?"
    r"\s*(?P<sep>[:\-–—]|\s(?=\S))\s*(?P<title>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_REMIND = re.compile(r"^remind(?:er)?(?![\w'])\s*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_SET_REMINDER = re.compile(
    r"^(?:set|create|add|make|schedule)\s+(?:me\s+)?(?:a\s+|up\s+a\s+)?reminder"
    r"(?:\s+for\s+(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|me|myself))?\s*"
    r"(?:\bto\b|\bthat\b|\babout\b|\bfor\b|:|-)?\s*(?P<title>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_MENTION_LEAD = re.compile(
    r"^(?P<person><@[UW][A-Z0-9]+>|@[\w][\w.\-]*)\s*[,:]?\s+(?P<rest>.+)$", re.DOTALL
)
_NAME_LEAD = re.compile(
    r"^(?P<person>[A-Za-z][\w'\-]*)\s*,\s*(?P<rest>(?:can|could|would|will)\s+you\b.+|please\b.+|pls\b.+)$",
    re.IGNORECASE | re.DOTALL,
)
_POLITE = re.compile(
    r"^(?:(?:can|could|would|will)\s+(?:you|ya|u)\s+(?:(?:please|pls|kindly|maybe|possibly|perhaps|just"
    r"|quickly)\s+)*|please\s+|pls\s+"
    r"|kindly\s+|(?:i\s+(?:want|need|would\s+like|'d\s+like)\s+you\s+to)\s+"
    # "could someone make a task to ...": a request for a new task, whoever makes it.
    r"|(?:can|could|would|will)\s+(?:someone|somebody|anyone|anybody)\s+(?=(?:make|add|create|log|set\s+up)\b)"
    r"|(?:can|could|shall|should)\s+we\s+(?:please\s+)?|let's\s+|lets\s+)+",
    re.IGNORECASE,
)
_ASK = re.compile(
    r"^(?:ask|tell|get|remind|have|make|let)\s+(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+"
    r"|[A-Za-z][\w'\-]*(?:\s+(?-i:[A-Z])[\w'\-]*)?)\s+(?P<to>to\s+|that\s+|about\s+)?(?P<title>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_MODAL = re.compile(
    r"^(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|[A-Za-z][\w'\-]*(?:\s+(?-i:[A-Z])[\w'\-]*)?)\s+"
    r"(?:needs\s+to|need\s+to|has\s+to|have\s+to|should|must|gotta|got\s+to|has\s+got\s+to"
    r"|have\s+got\s+to|is\s+going\s+to|is\s+gonna|will|is\s+to|ought\s+to|'ll|'s\s+got\s+to"
    r"|'ve\s+got\s+to|'d\s+better|had\s+better|better)\s+(?P<title>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_SELF_TODO = re.compile(
    r"^(?:(?:we\s+|i\s+)?need\s+(?:someone|somebody|a\s+volunteer)\s+to\s+"
    r"|(?:someone|somebody)\s+(?:needs\s+to|should|has\s+to|must)\s+"
    r"|(?:don't|do\s+not|dont)\s+(?:let\s+me\s+|let\s+us\s+)?forget\s+(?:to\s+|about\s+)?|need\s+to\s+"
    r"|gotta\s+|got\s+to\s+|must\s+|remember\s+to\s+|remember\s+|reminder\s+to\s+"
    r"|make\s+sure\s+(?:that\s+)?(?:to\s+|we\s+|i\s+|you\s+|someone\s+)?|have\s+to\s+|should\s+"
    r"|(?:can|could|would|will)\s+(?:someone|somebody|anyone|anybody)\s+(?:please\s+)?)"
    r"(?P<title>.+)$",
    re.IGNORECASE | re.DOTALL,
)
# Words too vague to make a task of ("do the thing", "fix it").
_VAGUE = frozenset({"it", "thing", "things", "stuff", "that", "this", "something", "them", "those"})
_TASK_REFERENCE = re.compile(r"(?<![\w&])#\s?\d+\b|\btask\s*#?\d+\b", re.IGNORECASE)
_QUOTED = re.compile(
    r"[\"“](?P<title>[^\"”]{2,300})[\"”]|(?<![\w])'(?P<single>[^']{2,300})'(?![\w])"
)
_CONNECTOR = re.compile(
    r"^(?:(?:to|that\s+says|saying|called|named|titled|about|re|regarding|for)(?![\w'])|[:\-–—])\s*",
    re.IGNORECASE,
)
_ITEM_SPLIT = re.compile(
    r"\s*(?:,\s*(?:and\s+|&\s+)?|\s+and\s+|\s+&\s+|\s+plus\s+)\s*", re.IGNORECASE
)
_NOT_A_CREATE_TAIL = re.compile(
    r"\b(?:to|on|for)\s+(?:#\s?\d+|task\s*#?\d+)\s*[.!?]*$", re.IGNORECASE
)
_NOT_PEOPLE = frozenset(
    {
        "we",
        "us",
        "you",
        "they",
        "he",
        "she",
        "someone",
        "somebody",
        "everyone",
        "everybody",
        "team",
        "it",
        "this",
        "that",
        "there",
        "what",
        "who",
        "which",
        "why",
        "how",
        "where",
        "when",
        "one",
    }
)


def without_priority_prefix(clause: str) -> str:
    """A clause without a leading "high pri -" or "URGENT:" ("urgent: fix X" -> "fix X")."""
    match = _PRIORITY_PREFIX.match(clause.strip())
    return match.group("title") if match else clause


def strip_polite(clause: str) -> str:
    """Drop "can you", "please" and the like from the start of a clause."""
    return _POLITE.sub("", clause).strip()


def parse_create(clause: str, *, channels: frozenset[str]) -> ClauseResult:
    """Read a clause as a request to create one or more tasks."""
    for parser in (
        _parse_list_header,
        _parse_on_my_list,
        _parse_remind,
        _parse_priority_prefix,
        _parse_todo_prefix,
        _parse_another,
        _parse_header,
        _parse_set_reminder,
    ):
        result = parser(clause, channels)
        if result is not None:
            return result
    return None


def parse_delegation(clause: str, *, channels: frozenset[str]) -> ClauseResult:
    """Read "<@U02> please X", "ask bob to X", "bob needs to X" or "I need to X" as a create."""
    for parser in (
        _parse_mention_lead,
        _parse_self_todo,
        _parse_ask,
        _parse_modal,
        _parse_person_to,
        _parse_known_lead,
    ):
        result = parser(clause, channels)
        if result is not None:
            return result
    return None


def parse_bare(clause: str, *, channels: frozenset[str], require_attribute: bool) -> ClauseResult:
    """A bare phrase as a task ("call the bank tomorrow"), used for list items and fallbacks.

    With `require_attribute`, the phrase must start with a verb and carry a due date, an
    assignee, a priority or a tag; otherwise the parser asks instead of guessing.
    """
    text = clause.strip()
    if not text:
        return None
    first = text.split()[0].lower()
    if require_attribute and (
        first not in IMPERATIVE_VERBS
        or _TASK_REFERENCE.search(text)
        or re.match(r"^\S+\s+\d{1,6}\s*(?:[,;.]|$)", text)
    ):
        # "close 9, merged it this morning" names task 9 by its bare number.
        # "change #4 priority to high" names an existing task: not a new one.
        return None
    attributes = extract(text, channels=channels)
    if require_attribute and not (
        attributes.due or attributes.assignee or attributes.priority or attributes.tags
    ):
        words = attributes.text.lower().split()
        vague = any(word in _VAGUE for word in words)
        if attributes.text and first in IMPERATIVE_VERBS and len(words) >= 2 and not vague:
            return Reply(chat.suggest_create(attributes.text), ReplyKind.CLARIFY)
        return None
    return _actions_for([attributes], person=None, colon=False)


_LIST_HEADER = re.compile(
    rf"^(?:{ADD_THESE}\s*[:\-]?|{TODO_LIST}\s*:)\s*$",
    re.IGNORECASE,
)
_PRIORITY_PREFIX = re.compile(
    r"^(?P<level>urgent|asap|important|critical|high[\s-]priority|low[\s-]priority|p[0-3]|hi\s+pri"
    r"|top\s+priority|fyi|low\s+prio|high\s+prio)\s*(?:[:!\-–—]|!!+)\s*(?P<title>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_PRIORITY_VERB = re.compile(
    r"^(?P<level>urgent|asap|important|critical|p[0-3])\s+(?P<title>.+)$", re.IGNORECASE | re.DOTALL
)
_ANOTHER = re.compile(
    r"^(?:add\s+|create\s+|make\s+)?(?:another(?:\s+one)?|one\s+more|also\s+one|one|a\s+second\s+one)"
    r"(?:\s+(?:task|todo|to-do|reminder))?(?:\s+for\s+(?P<person><@[UW][A-Z0-9]+>|@[\w.\-]+|me|[A-Za-z]+))?"
    r"\s*(?:\bto\b|:|-|\bthat\s+says\b|\bsaying\b|\babout\b)\s*(?P<title>.+)$",
    re.IGNORECASE | re.DOTALL,
)


def _parse_list_header(clause: str, channels: frozenset[str]) -> ClauseResult:
    """ "add these:" or "todo:" with the tasks on the following lines."""
    if _LIST_HEADER.match(clause.strip()):
        return [Action(TOOL_CREATE, {}, list_header=True)]
    return None


_ON_MY_LIST = re.compile(
    r"^(?:put|add|throw|stick|pop|get)\s+(?P<title>.+?)\s+(?:on|to|onto|in)\s+"
    r"(?:my|the|our|(?P<owner><@[UW][A-Z0-9]+>|@[\w.\-]+|[A-Za-z][\w.\-]*?)(?:'s|'))\s+"
    r"(?:to-?\s?do\s+|task\s+)?(?:list|todos?|to-dos?|tasks|plate|backlog|board|radar)(?![\w'])(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)


def _parse_on_my_list(clause: str, channels: frozenset[str]) -> ClauseResult:
    """ "put 'renew passport' on my list for next month"."""
    match = _ON_MY_LIST.match(clause)
    if match is None or match.group("rest").strip().startswith(":"):
        # "add 3 things to my list: eggs, bread" is a header with its items after the colon.
        return None
    text = f"{match.group('title')} {match.group('rest')}"
    person: str | None = None
    if match.group("owner"):
        # "put 'renew the domains' on erin's list" is a task for erin.
        owner = match.group("owner")
        person = normalize_person(owner)
        if person is None or owner.lower() in _NOT_PEOPLE:
            return None
    return _actions_for(_extract_title(text, channels), person=person, colon=False)


def _parse_priority_prefix(clause: str, channels: frozenset[str]) -> ClauseResult:
    """ "URGENT: rotate the leaked key" (or "urgent fix the login page") is a task."""
    match = _PRIORITY_PREFIX.match(clause) or _PRIORITY_VERB.match(clause)
    if match is None or (
        match.re is _PRIORITY_VERB
        and match.group("title").split()[0].lower() not in IMPERATIVE_VERBS
    ):
        return None
    level = find_priority(match.group("level"))
    inner = parse_create(match.group("title"), channels=channels)
    if inner is None and match.re is _PRIORITY_PREFIX:
        # "URGENT: dave to expand the db volume" is a delegation with a priority.
        inner = parse_delegation(match.group("title"), channels=channels)
    if isinstance(inner, list) and inner and match.re is _PRIORITY_PREFIX:
        # "urgent - need a task to rotate the keys": the rest is a create of its own.
        return [_with_priority(action, level) for action in inner]
    attributes = _extract_title(match.group("title"), channels)
    if level is not None:
        for found in attributes:
            found.priority = found.priority or level
    return _actions_for(attributes, person=None, colon=False)


def _with_priority(action: Action, level: str | None) -> Action:
    if level is None or action.tool != TOOL_CREATE or "priority" in action.args:
        return action
    return Action(
        action.tool,
        {**action.args, "priority": level},
        colon_title=action.colon_title,
        list_header=action.list_header,
    )


def _parse_another(clause: str, channels: frozenset[str]) -> ClauseResult:
    """ "and one to update the DNS records", "another for bob: X" after a first task."""
    match = _ANOTHER.match(clause)
    if match is None:
        return None
    person = normalize_person(match.group("person")) if match.group("person") else None
    return _actions_for(_extract_title(match.group("title"), channels), person=person, colon=False)


def _parse_remind(clause: str, channels: frozenset[str]) -> ClauseResult:
    match = _REMIND.match(clause)
    if match is None:
        return None
    rest = match.group("rest").strip()
    if not rest:
        return Reply(chat.WHAT_REMINDER, ReplyKind.CLARIFY)
    person: str | None = None
    lowered = rest.lower()
    first_word = lowered.split()[0]
    if (
        first_word in UNRESOLVABLE_PEOPLE
        or first_word in _NOT_PEOPLE
        or first_word in {"all", "the"}
    ):
        rest = rest[len(first_word) :].strip()
        if first_word == "the" and rest.lower().startswith("team"):
            rest = rest[4:].strip()
    elif not re.match(r"^(?:to|that|about|of|:)\b", lowered):
        found = leading_person_end(rest)
        if found is None:
            return None
        person, end = found
        rest = rest[end:].strip()
    due_before: str | None = None
    connector = re.match(
        r"^(?P<pre>.*?)(?:^|\s|(?<=,))(?:to|that|about|of|re|regarding|:)(?![\w'])\s*(?P<title>.+)$",
        rest,
        re.IGNORECASE | re.DOTALL,
    )
    if connector:
        pre = connector.group("pre").strip(" ,")
        if pre:
            spans = find_dates(pre)
            if not spans:
                return None
            due_before = spans[0].phrase
        rest = connector.group("title")
    elif rest.startswith(":"):
        rest = rest[1:]
    if not rest.strip():
        return Reply(chat.WHAT_REMINDER, ReplyKind.CLARIFY)
    attributes = _extract_title(rest, channels)
    if due_before and attributes[0].due is None:
        attributes[0].due = due_before
    return _actions_for(attributes, person=person, colon=False)


def _parse_set_reminder(clause: str, channels: frozenset[str]) -> ClauseResult:
    match = _SET_REMINDER.match(clause)
    if match is None:
        return None
    title = match.group("title").strip()
    if not title:
        return Reply(chat.WHAT_REMINDER, ReplyKind.CLARIFY)
    person = normalize_person(match.group("person")) if match.group("person") else None
    return _actions_for(_extract_title(title, channels), person=person, colon=True)


def _parse_todo_prefix(clause: str, channels: frozenset[str]) -> ClauseResult:
    match = _TODO_PREFIX.match(clause)
    if match is None:
        return None
    kind = " ".join(match.group("kind").lower().split())
    separator = match.group("sep").strip()
    if kind in {"task", "reminder", "ai", "memo", "nts"} and not separator:
        return None
    title = match.group("title")
    if (
        kind in {"todo", "to do", "to-do"}
        and not separator
        and re.match(r"^(?:list|lists)\b", title, re.I)
    ):
        return None
    person = normalize_person(match.group("person")) if match.group("person") else None
    return _actions_for(_extract_title(title, channels), person=person, colon=True)


def _parse_header(clause: str, channels: frozenset[str]) -> ClauseResult:
    match = _HEADER.match(clause)
    if match is None:
        return None
    verb = " ".join(match.group("verb").lower().split())
    noun = match.group("noun")
    quantity = match.group("quantity") or ""
    if noun is None and verb not in _BARE_HEADER_VERBS:
        return None
    counted = re.match(
        r"\s*(?:two|three|four|five|six|\d{1,2})\s*:\s*(?=\S)", clause[match.end("verb") :], re.I
    )
    if noun is None and counted is not None:
        # "add two: renew the insurance by the 26th, and one for ray to swap the lights".
        items = clause[match.end("verb") + counted.end() :]
        attributes = _extract_title(items, channels, split_items=True, listed=True)
        return _actions_for(attributes, person=None, colon=True)
    if verb.endswith("need") and not re.match(
        r"(?:tasks?|todos?|to-dos?|reminders?|tickets?|action\s+items?|cards?)\b", noun or "", re.I
    ):
        # "need a task to X" makes one; "we need something to eat" does not.
        return None
    if verb in {"open", "start", "raise"} and not re.search(
        r"\b(?:a|an|new|another)\b", quantity, re.I
    ):
        # "open items" asks to see tasks; "open a ticket" makes one.
        return None
    rest = clause[match.end() :]
    if noun is None:
        # Without a noun, words like "a" belong to the title ("add a gift for mom").
        rest = clause[match.end("verb") :]
        quantity = ""
    if noun is None and verb == "new" and not rest.strip().startswith((":", "-")):
        return None
    if noun is None and re.match(
        r"^\s*(?:a\s+)?(?:note|comment|tag|label|description)s?\b", rest, re.I
    ):
        return None
    if _NOT_A_CREATE_TAIL.search(rest):
        return None
    if noun is None and re.match(
        r"^\s*(?:to|in|on)\s+(?:#\s?\d|task\s*\d|it\b|that\b)", rest, re.I
    ):
        # "add to #14's notes: ..." changes a task; it is not a new one.
        return None
    person: str | None = None
    person_match = re.match(
        r"^\s*for\s+(?P<p><@[UW][A-Z0-9]+>|@[\w.\-]+|[A-Za-z][\w'\-]*(?:\s+(?-i:[A-Z])[\w'\-]*)?)"
        r"(?=\s*(?:[:\-–—,]|\bto\b|\bthat\b|\babout\b|\bsaying\b|\bcalled\b|\bre\b|$))",
        rest,
        re.IGNORECASE,
    )
    if person_match and noun is not None:
        candidate = normalize_person(person_match.group("p"))
        if candidate is not None and not find_dates(person_match.group("p")):
            person = candidate
            rest = rest[person_match.end() :]
    if person is None and verb == "make" and re.match(r"me\s+a\b", quantity, re.IGNORECASE):
        # "make me a task to reply to this": a task for the person asking.
        person = "me"
    plural = bool(_PLURAL_HINT.search(f"{quantity} {noun or ''}"))
    if noun is not None and not person:
        # "tasks for the launch: a, b and c": the words before the colon are context.
        context = re.match(
            r"^\s*(?:(?:for|about|re|regarding|on)\s+[^:]{1,60}|(?:to|on)\s+(?:my|the|our)\s+[^:]{1,30})"
            r":\s*(?=\S)",
            rest,
        )
        if context:
            rest = ":" + rest[context.end() :]
    header_priority = find_priority(quantity) if quantity else None
    stripped = rest.strip()
    colon = stripped.startswith((":", "-", "–", "—")) or bool(_QUOTED.match(stripped))
    if noun is not None:
        stripped = _CONNECTOR.sub("", stripped, count=1)
    else:
        stripped = re.sub(r"^[:\-–—]\s*", "", stripped)
    if not stripped.strip(" .!?"):
        if plural:
            return [Action(TOOL_CREATE, {}, list_header=True)]
        return Reply(chat.WHAT_TITLE, ReplyKind.CLARIFY)
    split_items = plural or noun is None
    attributes = _extract_title(
        stripped, channels, split_items=split_items, listed=plural and colon
    )
    if header_priority:
        for found in attributes:
            found.priority = found.priority or header_priority
    return _actions_for(attributes, person=person, colon=colon)


def _parse_mention_lead(clause: str, channels: frozenset[str]) -> ClauseResult:
    match = _MENTION_LEAD.match(clause) or _NAME_LEAD.match(clause)
    if match is None:
        return None
    person = normalize_person(match.group("person"))
    if person is None or match.group("person").lower() in _NOT_PEOPLE:
        return None
    rest = strip_polite(match.group("rest"))
    if not rest:
        return None
    attributes = _extract_title(rest, channels)
    return _actions_for(attributes, person=person, colon=False)


def _parse_ask(clause: str, channels: frozenset[str]) -> ClauseResult:
    match = _ASK.match(clause)
    if match is None:
        return None
    verb = clause.split()[0].lower()
    raw_person = match.group("person")
    if raw_person.lower() in _NOT_PEOPLE or (
        raw_person.lower() in {"me", "myself"} and verb in {"tell", "let"}
    ):
        return None
    if verb in {"ask", "tell", "get"} and not match.group("to"):
        return None
    if verb in {"make", "let"} and match.group("to"):
        return None
    found = leading_person_end(f"{raw_person} {match.group('title')}")
    if found is None:
        return None
    person, end = found
    title = f"{raw_person} {match.group('title')}"[end:].strip()
    title = re.sub(r"^(?:to|that|about)\s+", "", title, flags=re.IGNORECASE)
    if not title:
        return None
    return _actions_for(_extract_title(title, channels), person=person, colon=True)


def _parse_modal(clause: str, channels: frozenset[str]) -> ClauseResult:
    match = _MODAL.match(clause)
    if match is None:
        return None
    raw = match.group("person")
    if raw.lower() in _NOT_PEOPLE or raw.lower() in UNRESOLVABLE_PEOPLE:
        person = None
    else:
        person = normalize_person(raw)
        if person is None:
            return None
    title = match.group("title").strip()
    if re.match(r"^(?:be|have|get\s+to|know|go\s+home)\b", title, re.IGNORECASE):
        return None
    return _actions_for(_extract_title(title, channels), person=person, colon=False)


_PERSON_TO = re.compile(rf"^(?P<person>{PERSON_WORDS})\s+to\s+(?P<title>.+)$", re.DOTALL)


def _parse_person_to(clause: str, channels: frozenset[str]) -> ClauseResult:
    """ "dave to expand the prod db volume": a listed person, "to" and work is their task."""
    match = _PERSON_TO.match(clause)
    if match is None:
        return None
    person = leading_known_person(match.group("person"))
    if person is None or person != match.group("person"):
        return None
    title = match.group("title").strip()
    first = title.split()[0]
    if first.lower() not in IMPERATIVE_VERBS and (
        not first.isalpha() or first.lower() in NAME_STOPWORDS or first.lower() in _NOT_VERBS
    ):
        return None
    return _actions_for(_extract_title(title, channels), person=person, colon=False)


_KNOWN_LEAD_GAP = re.compile(r"^\s*(?P<sep>[\u2014\u2013:]|-{1,2}(?=\s))?\s*")
_KNOWN_LEAD_POLITE = re.compile(r"^(?:please|pls|plz|kindly)\b", re.IGNORECASE)


def _parse_known_lead(clause: str, channels: frozenset[str]) -> ClauseResult:
    """ "gus — rotate the db creds", "frank pls set up alerting": a listed person, then work.

    The person must open the message in plain words and be followed by a dash or colon, or by
    "please"; the work must start with a verb ("frank pls" alone, "gus — nice work" are no task).
    """
    # "for lee - order toner": the same, with "for" before the person and a dash or colon after.
    for_lead = re.match(r"\s*for\s+", clause, re.IGNORECASE)
    if for_lead:
        clause = clause[for_lead.end() :]
    person = leading_known_person(clause)
    if person is None or person.startswith(("<@", "@")):
        return None
    rest = clause.lstrip()[len(person) :]
    gap = _KNOWN_LEAD_GAP.match(rest)
    if gap is None:
        return None
    rest = rest[gap.end() :]
    if for_lead and not gap.group("sep"):
        return None
    if not gap.group("sep") and not _KNOWN_LEAD_POLITE.match(rest):
        return None
    rest = strip_polite(rest)
    words = rest.split()
    if len(words) < 2 or not _reads_as_verb(words[0].lower()):
        return None
    return _actions_for(_extract_title(rest, channels), person=person, colon=False)


def _reads_as_verb(word: str) -> bool:
    """Whether a word opening "gus — <word> ..." can be an instruction rather than a remark."""
    if word in IMPERATIVE_VERBS:
        return True
    if not word.isalpha() or word in NAME_STOPWORDS or word in _NOT_VERBS or word in _REMARK_WORDS:
        return False
    # "gus — deployed it", "bob: looks good", "dave - testing now" report; they ask nothing.
    return not word.endswith(("ed", "ing")) and not (word.endswith("s") and not word.endswith("ss"))


_REMARK_WORDS = frozenset(
    {
        "nice",
        "great",
        "good",
        "thanks",
        "thank",
        "thx",
        "ty",
        "awesome",
        "cool",
        "welcome",
        "congrats",
        "hi",
        "hey",
        "hello",
        "sorry",
        "ok",
        "okay",
        "yes",
        "no",
        "yeah",
        "yep",
        "nope",
        "lol",
        "sure",
        "any",
        "how",
        "what",
        "why",
        "when",
        "where",
        "who",
        "which",
        "did",
        "do",
        "does",
        "is",
        "are",
        "was",
        "were",
        "can",
        "could",
        "will",
        "would",
        "should",
        "have",
        "has",
        "had",
        "just",
        "also",
        "not",
        "never",
        "maybe",
        "well",
        "done",
        "fyi",
        "btw",
        "quick",
        "question",
        "same",
        "agreed",
        "exactly",
        "totally",
    }
)


# Words after "dave to ..." that show it is no instruction ("dave to the rescue", "bob to me").
_NOT_VERBS = frozenset(
    {"me", "him", "her", "them", "us", "you", "my", "his", "their", "our", "your", "this", "all"}
)


def _parse_self_todo(clause: str, channels: frozenset[str]) -> ClauseResult:
    match = _SELF_TODO.match(clause)
    if match is None:
        return None
    return _actions_for(_extract_title(match.group("title"), channels), person=None, colon=False)


def _extract_title(
    text: str, channels: frozenset[str], *, split_items: bool = False, listed: bool = False
) -> list[Attributes]:
    """Attributes for each task in `text`: usually one, several for "add A and B"."""
    quoted = _QUOTED.search(text)
    if quoted and not text[: quoted.start()].strip(" :-–—") and len(_QUOTED.findall(text)) == 1:
        # A quoted title is taken as written; only what follows the quotes is read for details.
        title = (quoted.group("title") or quoted.group("single") or "").strip()
        attributes = extract(text[quoted.end() :], channels=channels, plain_for=True)
        attributes.text = collapse(title)
        return [attributes]
    several = _several_quoted(text, channels)
    if several:
        return several
    if split_items:
        items = _split_items(text, listed=listed)
        if len(items) > 1:
            return [
                _split_aside(extract(item, channels=channels, plain_for=True)) for item in items
            ]
    return [_split_aside(extract(text, channels=channels, plain_for=True))]


_QUOTED_LIST = re.compile(
    r"^\s*(?P<items>(?:[\"“][^\"”]{2,300}[\"”]|'[^']{2,300}')(?:\s*(?:,|and|&|\+)\s*(?:and\s+)?"
    r"(?:[\"“][^\"”]{2,300}[\"”]|'[^']{2,300}'))+)(?P<rest>(?:[\s,]+(?:both|all|each)?[^\"“']*)?)$",
    re.IGNORECASE,
)


def _several_quoted(text: str, channels: frozenset[str]) -> list[Attributes]:
    """ "'book flights' and 'renew passport', both for me by friday": one task per quote."""
    match = _QUOTED_LIST.match(text)
    if match is None:
        return []
    titles = [
        (found.group("title") or found.group("single") or "").strip()
        for found in _QUOTED.finditer(match.group("items"))
    ]
    rest = re.sub(r"^[\s,]*(?:both|all|each)?\b", "", match.group("rest"), flags=re.IGNORECASE)
    found_all: list[Attributes] = []
    for title in titles:
        attributes = extract(rest, channels=channels)
        attributes.text = collapse(title)
        found_all.append(attributes)
    return found_all if len(found_all) > 1 else []


# A remark after the title: ", it's been broken for a week", " - they need it for the demo".
_ASIDE = re.compile(
    r"\s*(?:,|;|\s-+|\s–|\s—)\s+(?P<aside>(?:it|it's|its|they|they're|they've|we|we're|we've"
    r"|i'm|i've|this|that's|there's|which|since|because|cause|cuz|coz|as\s+it|as\s+we|so\s+that"
    r"|otherwise|apparently|turns\s+out|still"
    # "..., disk is at 91%": a short subject and "is" is a remark about the work.
    r"|(?:the\s+|our\s+|my\s+)?[a-z][\w\-]*(?:\s+[a-z][\w\-]*)?\s+(?:is|are|was|were|keeps)(?=\s))"
    r"(?![\w'])[^,;]*)$",
    re.IGNORECASE,
)
_ASIDE_CHATTER = re.compile(r"[\s,.!]+(?:lol|lmao|haha|ugh|sigh|fyi)[\s.!]*$", re.IGNORECASE)


def _split_aside(found: Attributes) -> Attributes:
    """Move a trailing remark out of the title into the description."""
    match = _ASIDE.search(found.text)
    if match is None or len(found.text[: match.start()].split()) < 2:
        return found
    aside = _ASIDE_CHATTER.sub("", match.group("aside")).strip(" .!")
    found.text = found.text[: match.start()].strip(" ,;-")
    if aside and not found.description:
        found.description = aside
    return found


def _split_items(text: str, *, listed: bool = False) -> list[str]:
    """Split "buy milk and call mom" into separate tasks when each part starts with a verb.

    After "add three tasks:", commas always separate tasks ("eggs, bread, milk").
    """
    if listed:
        comma_parts = [part.strip() for part in re.split(r"\s*[,;]\s*", text) if part.strip()]
        if len(comma_parts) > 1:
            return [piece for part in comma_parts for piece in _split_items(part)]
    parts = [part for part in _ITEM_SPLIT.split(text) if part.strip()]
    if len(parts) < 2:
        return [text]
    verbs = [part.split()[0].lower() in IMPERATIVE_VERBS for part in parts]
    long_enough = all(len(part.split()) >= 2 for part in parts)
    if all(verbs) and long_enough:
        return parts
    return [text]


def _actions_for(attributes: list[Attributes], *, person: str | None, colon: bool) -> ClauseResult:
    actions: list[Action] = []
    for found in attributes:
        if not found.text:
            continue
        args: dict[str, object] = {"title": capitalize(found.text)}
        if found.description:
            args["description"] = found.description
        assignee = person or found.assignee
        if assignee:
            args["assignee"] = assignee
        if found.due:
            args["due"] = found.due
        if found.priority:
            args["priority"] = found.priority
        if found.tags:
            args["tags"] = list(found.tags)
        actions.append(Action(TOOL_CREATE, args, colon_title=colon))
    if not actions:
        return Reply(chat.WHAT_TITLE, ReplyKind.CLARIFY)
    return actions
