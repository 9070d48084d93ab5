# Over 500 lines: one reader of the details people stack onto a request (due, priority,
# tags, assignee), whose spans must be read together so that none is read twice.
# The conversation-quality work owns this package.
"""Pulling a task's attributes out of free text, leaving the title behind.

"update the roadmap, high priority, due next monday #planning" becomes the title "update the
roadmap" with priority high, due "next monday" and the tag "planning".

Every attribute is found as a span of the text. A span is *strong* when its wording makes it an
attribute wherever it stands ("by friday", "high priority", "#planning", "assign to bob") and
*weak* when the same words could belong to a title ("friday", "urgent", "@bob"): a weak span is
only taken from the start or the end of the text, so "prep the friday demo" keeps its title while
"call the bank friday" gets a due date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.offline.dates import expand_short_days, find_dates
from agent.offline.lexicon import PRIORITY_NAMES
from agent.offline.people import known_person, leading_known_person
from agent.offline.slots import leading_person_end, normalize_person
from agent.offline.text import collapse

_PRIO_LEVEL = (
    r"(?:lowest|low|lo|normal|medium|med|mid|highest|high|hi|top|urgent|critical|crit|max)"
)
_STRONG_PRIORITY = (
    re.compile(
        rf"(?<![\w-])(?:(?:with|at|as)\s+)?(?:a\s+)?(?P<level>{_PRIO_LEVEL})[\s-]*"
        r"(?:priority|pri|importance)(?![\w-])"
        # "normal priority is fine", "low pri works": the approval belongs to the priority.
        r"(?:\s+(?:is|'s|should\s+be|would\s+be)\s+(?:fine|ok|okay|good|enough|plenty)"
        r"|\s+(?:works|will\s+do|should\s+do))?(?![\w-])",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?<![\w-])(?:priority|pri)\s*(?:is|of|=|:|-|level|to)?\s*"
        rf"(?P<level>{_PRIO_LEVEL}|p[0-4]|[0-4])(?![\w-])",
        re.IGNORECASE,
    ),
    re.compile(r"(?<![\w-])(?P<level>p[0-4])(?![\w-])", re.IGNORECASE),
    re.compile(r"(?<![\w-])(?P<level>asap|a\.s\.a\.p\.?|as\s+soon\s+as\s+possible)(?![\w])", re.I),
)
_LOW_PRIORITY = re.compile(
    r"(?<![\w-])(?:not\s+urgent|(?:no\s+rush|no\s+hurry)(?:\s+on\s+(?:that|this|it|that\s+one))?"
    r"|not\s+a\s+priority|low[\s-]key"
    r"|whenever\s+(?:you\s+(?:can|get\s+(?:a\s+)?(?:chance|time|a\s+sec))|possible)"
    r"|whenever\s+(?:someone|somebody|anyone|anybody|we|you|people)\s+(?:has|have|gets?|finds?)"
    r"\s+(?:(?:a|the|some|any)\s+)?(?:chance|time|sec|second|minute|moment|cycles|bandwidth)"
    r"|nice\s+to\s+have|someday|some\s+day|eventually|low\s+effort)(?![\w-])",
    re.IGNORECASE,
)
_BANGS = re.compile(r"(?<![!\w])!{2,}(?!!)")
_WEAK_PRIORITY = re.compile(
    r"(?<![\w-])(?P<level>urgent(?:ly)?|critical|important|whenever|high|low)(?![\w-])",
    re.IGNORECASE,
)
_WEAK_PRIORITY_VALUES = {
    "urgent": "urgent",
    "urgently": "urgent",
    "critical": "urgent",
    "important": "high",
    "whenever": "low",
    "high": "high",
    "low": "low",
}

_HASHTAG = re.compile(r"(?<![\w&#/<])#(?P<tag>[A-Za-z][\w\-]{0,49})")
_TAG_PHRASE = re.compile(
    r"(?:^|(?<=[\s,;]))(?:and\s+|with\s+)?(?:tag(?:ged|s)?|label(?:led|ed|s)?)"
    r"(?:\s+(?:it|this|that|as|with))*\s*:?\s+"
    r"(?P<tags>#?[\w\-]+(?:\s*(?:,|and|&)\s*#?[\w\-]+){0,9}?)(?:\s+(?:too|as\s+well|also|pls|please))?"
    r"\s*[.!]?$",
    re.IGNORECASE,
)
_DESCRIPTION = re.compile(
    r"(?:^|(?<=[\s,;(]))(?:--\s*|-\s+)?(?:with\s+(?:a\s+|the\s+)?)?"
    r"(?:notes?|description|desc|details|context|fyi|info|comment)"
    r"(?:\s*:|\s+saying|\s+that\s+says)\s*(?P<value>\S.*)$",
    re.IGNORECASE | re.DOTALL,
)
_PERSON = r"(?:<@[UW][A-Z0-9]+>|@[\w][\w.\-]*|[A-Za-z][\w'.\-]*(?:\s+[A-Za-z][\w'.\-]*)?)"
_STRONG_ASSIGNEE = (
    re.compile(
        r"(?:^|(?<=[\s,;]))(?:and\s+)?(?:(?:re)?assign(?:ed)?|give|hand|delegate(?:d)?)"
        rf"\s+(?:it\s+|this\s+|that\s+)?(?:over\s+)?to\s*:?\s+(?P<person>{_PERSON})",
        re.IGNORECASE,
    ),
    re.compile(
        rf"(?:^|(?<=[\s,;(]))(?:assignee|owner|who)\s*[:=]\s*(?P<person>{_PERSON})",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?:^|(?<=[\s,;]))for\s+(?P<person><@[UW][A-Z0-9]+>|@[\w][\w.\-]*|me|myself)(?![\w@>])",
        re.IGNORECASE,
    ),
    # "..., high prio, mine, by wed": a lone "mine" between commas is the speaker's.
    re.compile(r"(?<=[,;])\s*(?P<person>mine)\s*(?=[,;]|$)", re.IGNORECASE),
)
# "..., @dave is on it", "... - carol will handle it": the person named owns the new task.
_ON_IT = re.compile(
    r"[,;(\-–—]\s*(?P<person><@[UW][A-Z0-9]+>|@[\w][\w.\-]*[\w]|[A-Za-z][\w.\-]*(?:\s+[A-Za-z][\w.\-]*)?)"
    r"(?:\s+is|'s|\s+will|'ll|\s+can|\s+has)\s+(?:on\s+it|got\s+(?:it|this)|handl(?:e|ing)\s+(?:it|this)"
    r"|tak(?:e|ing)\s+(?:it|this)|own(?:s|ing)?\s+(?:it|this)|cover(?:ing)?\s+(?:it|this)"
    r"|do(?:ing)?\s+(?:it|this))(?=\s*(?:[,;.!?)]|$))",
    re.IGNORECASE,
)
_WEAK_ASSIGNEE = re.compile(
    r"(?:^|(?<=[\s,;]))(?:cc\s+)?(?P<person><@[UW][A-Z0-9]+>|@[\w][\w.\-]*)(?![\w@>.\-])",
    re.IGNORECASE,
)

# What may stand between a weak span and the end of the text without making it "inside".
_GAP_PUNCTUATION = ",;:.!?-–—()/&"
_GAP_WORDS = frozenset(
    {"and", "by", "with", "on", "at", "for", "due", "please", "thanks", "thank", "you", "ok"}
    | {"also", "then", "too", "to"}
)
_PUNCTUATION = " \t\n,;:.!?-–—/&|>()[]*"
# Words that dangle at the end of a title once its attributes are gone ("send the deck by").
_TRAILING_WORDS = (
    "and",
    "by",
    "with",
    "on",
    "at",
    "for",
    "due",
    "to",
    "is",
    "are",
    "please",
    "pls",
    "kindly",
    "thanks",
    "thank you",
    "ok",
    "okay",
    "also",
    "then",
    "too",
    "so",
    "but",
    "or",
    "plus",
    "priority",
    "prio",
    "as",
    "from",
    "before",
    "until",
    "till",
    "make it",
    "set it",
    "mark it",
    "mark it as",
    "set it to",
    "make it a",
    "and make it",
    "it's",
    "its",
    # "swap the dock lights, that one's low prio": the words that pointed at the priority.
    "that one's",
    "that one is",
    "this one's",
    "this one is",
    "that's",
    "it is",
    "which is",
    "that's",
    "it should be",
    "should be",
    "it's due",
    "with a",
    "at a",
    "and it's",
)
_LEADING_WORDS = (
    "to",
    "that",
    "about",
    "and",
    "so",
    "then",
    "also",
    "please",
    "pls",
    "kindly",
    "probably",
    "maybe",
    "perhaps",
    "definitely",
    "really",
    "just",
    "still",
    "actually",
)
_FILLER = re.compile(
    r"(?<![\w'])(?:please|pls|kindly|thanks|thank\s+you|thx|if\s+you\s+can|if\s+possible"
    r"|for\s+me\s+please|real\s+quick|when\s+you\s+can"
    # "before I forget", "so I don't forget": the person's memory, not part of the work.
    r"|(?:before\s+i\s+forget(?:\s+(?:about\s+)?it)?|so\s+i\s+(?:don't|dont|do\s+not|won't)"
    r"\s+forget|or\s+i'll\s+forget|while\s+i\s+(?:remember|think\s+of\s+it))"
    r"(?=\s*(?:[,.;:!?)]|$)|\s+(?:lol|haha|pls|please|thanks|thx|due|by)\b)"
    # "when you get a sec" is politeness, not a priority.
    r"|when\s+you\s+(?:get|have)\s+(?:a\s+)?(?:chance|sec|second|minute|moment|min|time))(?![\w'])",
    re.IGNORECASE,
)
_LIST_SUFFIX = re.compile(
    r"\s+(?:to|on|onto|in)\s+(?:my|the|our)\s+(?:to-?\s?do\s+|task\s+)?"
    r"(?:list|todos?|to-dos?|tasks|backlog|board|plate)\s*[.!]*$",
    re.IGNORECASE,
)
_LIST_PREFIX = re.compile(r"^on\s+my\s+(?:list|plate)\s*[:,-]?\s*", re.IGNORECASE)


@dataclass
class Attributes:
    """What `extract` found: the leftover text (a title) and each attribute the person gave."""

    text: str
    due: str | None = None
    priority: str | None = None
    tags: list[str] = field(default_factory=list[str])
    assignee: str | None = None
    description: str | None = None
    unresolved_person: bool = False

    @property
    def has_any(self) -> bool:
        """Whether any attribute at all was found."""
        return bool(self.due or self.priority or self.tags or self.assignee or self.description)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str
    value: str
    strong: bool


def extract(
    text: str,
    *,
    channels: frozenset[str] = frozenset(),
    weak: bool = True,
    dates: bool = True,
    plain_for: bool = False,
) -> Attributes:
    """Split `text` into a title and attributes; see the module docstring.

    `weak=False` keeps weak spans in the text (used when the text is a quoted title),
    `dates=False` leaves when-phrases alone, and `plain_for` lets a plain "... for dave" at the
    end name the assignee of a new task (see `_known_person_spans`).
    """
    text = expand_short_days(text)
    description: str | None = None
    described = _DESCRIPTION.search(text)
    if described and described.start() > 0:
        description = _clean_description(described.group("value"))
        text = text[: described.start()]
    attributes = Attributes(text="", description=description)
    spans = _collect(text, channels=channels, dates=dates, plain_for=plain_for)
    spans = _without_overlaps(spans)
    taken = [span for span in spans if span.strong]
    pending = [span for span in spans if not span.strong] if weak else []
    if pending:
        taken.extend(_at_edges(_blank(text, taken), pending))
    for span in sorted(taken, key=lambda s: s.start):
        _apply(attributes, span)
    attributes.text = clean_title(_remove(text, taken))
    return attributes


def clean_title(text: str) -> str:
    """Strip filler, list suffixes and dangling connectors from a title."""
    # Collapse first: blanked attributes leave long runs of spaces behind.
    text = collapse(text)
    text = collapse(_FILLER.sub(" ", text))
    text = _LIST_SUFFIX.sub("", text)
    text = _LIST_PREFIX.sub("", text)
    text = collapse(text)
    previous = None
    while previous != text:
        previous = text
        text = _strip_edges(text)
    return _balance_quotes(text)


def _strip_edges(text: str) -> str:
    """One pass of trimming punctuation and dangling connector words from both ends."""
    text = text.strip(_PUNCTUATION).strip("\"'").strip(_PUNCTUATION)
    lowered = text.lower()
    for word in sorted(_TRAILING_WORDS, key=len, reverse=True):
        if lowered == word:
            return ""
        if lowered.endswith(" " + word):
            return text[: -len(word) - 1]
    for word in _LEADING_WORDS:
        if lowered.startswith(word + " "):
            return text[len(word) + 1 :]
    return text


def capitalize(title: str) -> str:
    """Upper-case the first letter of a title unless its first word is mixed case ("iOS")."""
    if not title:
        return title
    letters = [char for char in title if char.isalpha()]
    if len(title.split()) >= 2 and letters and all(char.isupper() for char in letters):
        # A shouted title ("CALL MOM") reads better in sentence case.
        title = title.lower()
    first = title.split(" ", 1)[0]
    if first[:1].islower() and first[1:] == first[1:].lower():
        return title[:1].upper() + title[1:]
    return title


def find_priority(text: str) -> str | None:
    """The priority a short text expresses ("high priority", "asap", "p1", "urgent"), if any."""
    for span in _priority_spans(text):
        return span.value
    match = _WEAK_PRIORITY.search(text)
    if match:
        return _WEAK_PRIORITY_VALUES[match.group("level").lower()]
    return None


def priority_word(text: str) -> str | None:
    """A priority named by one word or phrase standing alone ("high", "p1", "top priority")."""
    cleaned = " ".join(text.lower().strip(" .!?").split())
    cleaned = re.sub(r"^(?:a|an|the)\s+", "", cleaned)
    cleaned = re.sub(r"\s*(?:priority|prio|pri|importance)$", "", cleaned)
    cleaned = re.sub(r"^(?:priority|prio|pri)\s*:?\s*", "", cleaned)
    if cleaned in PRIORITY_NAMES:
        return PRIORITY_NAMES[cleaned]
    if cleaned in {"urgently", "super urgent", "very urgent", "really urgent"}:
        return "urgent"
    if cleaned in {"very important", "really important", "higher", "more important", "more urgent"}:
        return "high"
    if cleaned in {"lower", "less important", "not urgent", "no rush", "not important"}:
        return "low"
    if cleaned == "less urgent":
        return "normal"
    if re.fullmatch(r"!{3,}", cleaned):
        return "urgent"
    if cleaned == "!!":
        return "high"
    return None


def _collect(text: str, *, channels: frozenset[str], dates: bool, plain_for: bool) -> list[_Span]:
    spans: list[_Span] = []
    tag_phrase = _TAG_PHRASE.search(text)
    if tag_phrase:
        tags = [
            tag.strip().lstrip("#")
            for tag in re.split(r"\s*(?:,|\band\b|&)\s*", tag_phrase.group("tags"))
            if tag.strip().lstrip("#")
        ]
        end = tag_phrase.end()
        # "tag #backend, high": a priority word after the tags is the priority, not a tag.
        if len(tags) > 1 and priority_word(tags[-1]) is not None:
            last = re.search(r"[,&]\s*#?[\w\-]+\s*[.!]?$|\band\s+#?[\w\-]+\s*[.!]?$", text)
            if last is not None and last.start() > tag_phrase.start("tags"):
                tags = tags[:-1]
                end = last.start()
        if tags:
            spans.append(_Span(tag_phrase.start(), end, "tags", ",".join(tags), True))
    for match in _HASHTAG.finditer(text):
        tag = match.group("tag")
        if tag.lower() in channels:
            continue
        spans.append(_Span(match.start(), match.end(), "tag", tag, True))
    spans.extend(_priority_spans(text))
    for match in _WEAK_PRIORITY.finditer(text):
        level = match.group("level").lower()
        # A bare "high" or "low" is only a priority at the very end, after a comma ("..., high").
        if level in {"high", "low"} and (
            text[match.end() :].strip(" .!?") or not re.search(r"[,;:]\s*$", text[: match.start()])
        ):
            continue
        spans.append(
            _Span(match.start(), match.end(), "priority", _WEAK_PRIORITY_VALUES[level], False)
        )
    for pattern in _STRONG_ASSIGNEE:
        for match in pattern.finditer(text):
            span = _person_span(text, match, strong=True)
            if span is not None:
                spans.append(span)
    for match in _ON_IT.finditer(text):
        person = match.group("person")
        found = leading_person_end(person) if known_person(person) else None
        if found is not None:
            spans.append(_Span(match.start(), match.end(), "assignee", found[0], True))
    for match in _WEAK_ASSIGNEE.finditer(text):
        span = _person_span(text, match, strong=False)
        if span is not None:
            spans.append(span)
    spans.extend(_known_person_spans(text, plain_for=plain_for))
    spans.extend(_comma_item_spans(text, dates=dates))
    if dates:
        # "after friday" is no deadline for a new task; it stays in the title.
        spans.extend(
            _Span(found.start, found.end, "due", found.phrase, found.strong)
            for found in find_dates(text)
            if not found.is_after
        )
    return spans


def _priority_spans(text: str) -> list[_Span]:
    spans: list[_Span] = []
    for pattern in _STRONG_PRIORITY:
        for match in pattern.finditer(text):
            level = re.sub(r"[\s.]", "", match.group("level").lower())
            if level in {"asap", "assoonaspossible", "asap."}:
                value = "urgent"
            elif level.isdigit():
                value = PRIORITY_NAMES[f"p{level}"]
            else:
                value = PRIORITY_NAMES.get(level, "")
            if value:
                spans.append(_Span(match.start(), match.end(), "priority", value, True))
    for match in _LOW_PRIORITY.finditer(text):
        spans.append(_Span(match.start(), match.end(), "priority", "low", True))
    for match in _BANGS.finditer(text):
        value = "urgent" if len(match.group(0)) >= 3 else "high"
        spans.append(_Span(match.start(), match.end(), "priority", value, True))
    return sorted(spans, key=lambda s: (s.start, -(s.end - s.start)))


# A listed person named in plain words: "X for dave", "X (carol)", "X, assign carol".
_KNOWN_PERSON_LEAD = re.compile(
    r"(?:(?<=[\s,;(])|^)(?:(?:and\s+)?(?:re)?assign(?:ed)?(?:\s+(?:it|this|that))?(?:\s+to)?\s+"
    r"|for\s+|\(\s*(?:for\s+|assign(?:ed)?\s+(?:to\s+)?)?)",
    re.IGNORECASE,
)
# The name closes its phrase at punctuation, at the end, or where another detail starts:
# "fix the login page for carol by next wed".
_PERSON_END = re.compile(
    r"\s*(?:[,;:.!?)\-–—]|$|(?=(?:by|due|before|until|till|tomorrow|today|tonight|next|asap"
    r"|urgent|high|low|eod|p[0-3])\b|#|<@))",
    re.IGNORECASE,
)


# "X, for dave", "X - it's for erin", "(for carol)": the "for" plainly names the assignee.
_MARKED_FOR = re.compile(
    r"(?:[,;(\-–—]|\b(?:it's|its|it\s+is|this\s+is|that's|that\s+is|this's)|^)\s*$", re.IGNORECASE
)
# Work done for someone rather than by them: "buy a birthday card for dave".
_BENEFICIARY_VERBS = frozenset(
    {
        "buy",
        "get",
        "order",
        "bake",
        "make",
        "pick",
        "grab",
        "book",
        "send",
        "bring",
        "print",
        "wrap",
        "find",
        "reserve",
        "plan",
        "organize",
        "organise",
        "throw",
        "arrange",
        "cook",
        "prepare",
        "prep",
        "sign",
        "write",
        "draft",
        "host",
        "schedule",
    }
)


# One detail alone between commas after the title: "..., tom, #photo, sun, normal".
_COMMA_ITEM = re.compile(r",\s*(?P<item>[^,;]+?)\s*[.!]?\s*(?=,|;|$)")


def _comma_item_spans(text: str, *, dates: bool) -> list[_Span]:
    """Strong spans for details listed bare after a comma: a person the workspace lists, a
    priority level or a day ("photo gallery for the parade, tom, sun, normal")."""
    spans: list[_Span] = []
    for match in _COMMA_ITEM.finditer(text):
        item = match.group("item")
        start, end = match.start(), match.end("item")
        level = priority_word(item)
        day = find_dates(item) if dates else []
        if level is not None:
            spans.append(_Span(start, end, "priority", level, True))
        elif len(day) == 1 and (day[0].start, day[0].end) == (0, len(item)):
            spans.append(_Span(start, end, "due", day[0].phrase, True))
        elif known_person(item) and leading_known_person(item) == item:
            spans.append(_Span(start, end, "assignee", normalize_person(item) or item, True))
    return spans


def _known_person_spans(text: str, *, plain_for: bool) -> list[_Span]:
    """Strong spans for a listed person after "for", "assign" or in parentheses.

    Only a mention, an @handle or a person the prompt listed counts (see `people`), and the name
    must close its phrase ("for dave, due friday", "(carol)"), so "a task for bob to X" and "notes
    for dave's review" are left to the other readers.
    """
    spans: list[_Span] = []
    for match in _KNOWN_PERSON_LEAD.finditer(text):
        person = leading_known_person(text[match.end() :])
        if person is None:
            continue
        if match.group(0).lower().startswith("for") and not _MARKED_FOR.search(
            text[: match.start()]
        ):
            # A plain "... for dave" may name who the work is for ("buy a card for dave"):
            # only a create reads it as the assignee, and not after a verb of buying or making.
            first = text.split()[0].lower() if text.split() else ""
            if not plain_for or first in _BENEFICIARY_VERBS:
                continue
        end = match.end() + len(text[match.end() :]) - len(text[match.end() :].lstrip())
        end += len(person)
        closing = _PERSON_END.match(text, end)
        if closing is None:
            continue
        if match.group(0).startswith("("):
            if not text[end:].lstrip().startswith(")"):
                continue
            end = text.index(")", end) + 1
        value = normalize_person(person) or person
        spans.append(_Span(match.start(), end, "assignee", value, True))
    return spans


def _person_span(text: str, match: re.Match[str], *, strong: bool) -> _Span | None:
    person_start = match.start("person")
    found = leading_person_end(text[person_start:])
    if found is None:
        if not strong:
            return None
        return _Span(match.start(), match.end(), "unresolved", match.group("person"), True)
    person, length = found
    return _Span(match.start(), person_start + length, "assignee", person, strong)


def _without_overlaps(spans: list[_Span]) -> list[_Span]:
    """Keep the most important span where several overlap (tags before people before dates)."""
    rank = {"tags": 0, "tag": 1, "assignee": 2, "unresolved": 2, "due": 3, "priority": 4}
    ordered = sorted(spans, key=lambda s: (rank.get(s.kind, 9), not s.strong, -(s.end - s.start)))
    occupied: set[int] = set()
    kept: list[_Span] = []
    for span in ordered:
        cells = range(span.start, span.end)
        if any(cell in occupied for cell in cells):
            continue
        occupied.update(cells)
        kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def _blank(text: str, spans: list[_Span]) -> str:
    chars = list(text)
    for span in spans:
        for index in range(span.start, span.end):
            chars[index] = " "
    return "".join(chars)


def _at_edges(blanked: str, pending: list[_Span]) -> list[_Span]:
    """The weak spans reachable from either end of the text across gaps and other weak spans."""
    ordered = sorted(pending, key=lambda s: s.start)
    chosen: set[int] = set()
    position = 0
    for index, span in enumerate(ordered):
        if span.start < position or not _is_gap(blanked[position : span.start]):
            break
        chosen.add(index)
        position = span.end
    position = len(blanked)
    for index in range(len(ordered) - 1, -1, -1):
        span = ordered[index]
        if span.end > position or not _is_gap(blanked[span.end : position]):
            break
        chosen.add(index)
        position = span.start
    return [ordered[index] for index in sorted(chosen)]


def _is_gap(text: str) -> bool:
    """Whether a stretch of text holds only punctuation and connector words."""
    for token in text.split():
        word = token.strip(_GAP_PUNCTUATION).lower()
        if word and word not in _GAP_WORDS:
            return False
    return True


def _remove(text: str, spans: list[_Span]) -> str:
    return _blank(text, spans)


def _apply(attributes: Attributes, span: _Span) -> None:
    if span.kind == "due":
        if attributes.due is None:
            attributes.due = span.value
    elif span.kind == "priority":
        if attributes.priority is None:
            attributes.priority = span.value
    elif span.kind == "tag":
        if span.value not in attributes.tags:
            attributes.tags.append(span.value)
    elif span.kind == "tags":
        for tag in span.value.split(","):
            if tag not in attributes.tags:
                attributes.tags.append(tag)
    elif span.kind == "assignee":
        if attributes.assignee is None:
            attributes.assignee = span.value
    elif span.kind == "unresolved":
        attributes.unresolved_person = True


def _clean_description(text: str) -> str | None:
    cleaned = collapse(text).strip().strip("\"'").strip()
    return cleaned or None


def _balance_quotes(text: str) -> str:
    if text.count('"') % 2 == 1:
        text = text.replace('"', "")
    return text
