"""Remarks and asides around a request: how readers leave them out, and what they are about.

A reason after a command ("task 4 is complete, helen sent it off"), chatter at its end ("pls",
"thanks"), a remark run on after a new task (it becomes the task's description), the task a
remark names, and the subject of a remark said before a request.
"""

from __future__ import annotations

import re
from dataclasses import replace

from agent.offline.dates import find_dates
from agent.offline.lexicon import POLITE_TAIL
from agent.offline.plan import TOOL_CREATE, ConversationContext, ParseResult, PlannedCall, TitleRef
from agent.offline.slots import title_ref

_ASIDE = re.compile(
    r"\s*(?:,|;|[?.!]\s|\s-+\s|\s–\s|\s—\s)\s*(?:because|since|cause|cuz|bc|as|they|he|she|we|i|it|the|"
    r"turns\s+out|helen|apparently|engineer|facilities)\b.*$",
    re.IGNORECASE,
)


# A reason run on without a comma: "<@U04> can have the flour call im stuck on oven 1".
_RUN_ON_ASIDE = re.compile(
    r"\s+(?:i'?m|im|i\s+am|i'?ve|ive|he'?s|she'?s|they'?re|theyre|we'?re|it'?s|there'?s|cause|cuz|bc"
    r"|because|since|we|they|he|she|so\s+(?:it|that|they|we|i|he|she|you))\s+\w+.*$"
    # "the insurance deadline moved to the 19th btw, broker got us an extension".
    r"|[\s,]+(?:btw|fyi|fwiw)\b.*$",
    re.IGNORECASE,
)


def without_aside(text: str) -> str:
    """The command without a trailing reason: "task 4 is complete, helen sent it off"."""
    text = _RUN_ON_ASIDE.sub("", _ASIDE.sub("", text)).strip(" .!")
    return CHATTER_END.sub("", text).strip(" .!")


def without_person_remark(text: str, people: frozenset[str]) -> str:
    """The command without a remark about someone run on after it: "hand the hendricks confirm
    to lena priya is off sat", "ill take the yelp thing tom's buried in cookie boxes"."""
    for match in re.finditer(
        r"\s+(?P<name>[a-z][\w.-]*)(?:'s|\s+is|\s+was|\s+has|\s+will|'ll)\s+\w+", text, re.I
    ):
        if match.group("name").lower() in people and match.start() > 0:
            return text[: match.start()]
    return text


CHATTER_END = re.compile(
    r"(?:[\s,;.!-]+(?:pls|please|plz|np|thanks|thx|ty|cheers|if\s+that'?s\s+ok(?:ay)?|if\s+possible"
    rf"|no\s+rush|asap|{POLITE_TAIL}))+[\s.!]*$",
    re.IGNORECASE,
)


# The name of a task opens with a noun, not with a verb, a pronoun or a question word.
NOT_A_TOPIC = re.compile(
    r"^(?:i|i'm|im|i've|we|we're|you|he|she|they|it|it's|its|there|this|that|these|those|what"
    r"|when|where|why|how|who|which|can|could|would|will|should|do|does|did|is|are|was|were|pls"
    r"|please|get|make|have|need|let|add|create|remind|new|mark|set|put|give|assign|move|push"
    r"|show|list|delete|remove|close|reopen|send|call|email|check|all|everything|every|my|our)\b",
    re.IGNORECASE,
)


_REMARK_NOISE = re.compile(
    r"\b(?:says|said|say|reports|mentioned|confirmed|just|finally|already|is|are|was|were|been|has|have"
    r"|had|got|gotten|went|out|off|again|all|now|this|that|last|morning|afternoon|evening|night|nite"
    r"|yesterday|today|tonight|fixed|finished|done|sorted|booked|renewed|sent|completed|shipped|back"
    r"|wobbling|for|at|on|the|a|an|'s|s|mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday"
    r"|thursday|friday|saturday|sunday|\d+(?::\d+)?(?:am|pm)?|too|so|lol|em|actually|ok|okay|did|do"
    r"|it|we|i|you|can|need|needs|turns|just|yes|yeah|great|cool|nice|oh|hey|well|says|told|me"
    r"|thinks|reckons|confirmed)\b",
    re.IGNORECASE,
)


def remark_ref(remark: str, context: ConversationContext) -> TitleRef | None:
    """The task a remark is about, by its content words: "tomasz says the safari redirect loop
    is fixed" -> "safari redirect loop"."""
    words = [
        word
        for word in re.findall(r"[\w&-]+", re.sub(r"'s\b", "", remark.lower()))
        if not _REMARK_NOISE.fullmatch(word) and word not in context.people
    ]
    if not words or len(words) > 5:
        return None
    return title_ref(" ".join(words[:4]))


# A remark after the request, joined by a comma: "remind me to check the fridge log, the
# alarm went off overnight". It opens with a subject and holds a verb of its own.
_COMMA_REMARK = re.compile(
    r"\s*[,;]\s+(?:and\s+|but\s+|cos\s+|cause\s+)?(?P<remark>(?:the|a|an|our|my|his|her|their|it|it's|its"
    r"|they|they're|theyre|he|she|he's|she's|we|we're|i|i'm|im|i've|this|that|that's|there|there's)"
    r"\s+(?:[\w'-]+\s+){0,6}?(?:is|are|was|were|went|has|have|had|got|gets|needs?|failed|broke|died"
    r"|keeps?|says?|said|wants?|asked|called|came|isn't|wasn't|won't|can't|didn't|doesn't|ran|runs"
    r"|expires?|expired|starts?|started|leaves?|left|arrives?|arrived|ghosted|missed|forgot)\b[^,;]*)$",
    re.IGNORECASE,
)


_CONTRACTED_REMARK = re.compile(
    r"\s*[,;]\s+(?:and\s+|but\s+)?(?P<remark>(?:she's|he's|it's|they're|theyre|we're|i'm|im|that's"
    r"|there's|she'll|he'll|they'll|we'll|i'll)\s+[^,;]*)$",
    re.IGNORECASE,
)


def without_comma_remark(text: str) -> tuple[str, str | None]:
    """The request and the remark run on after it, or the text and None."""
    match = _COMMA_REMARK.search(text) or _CONTRACTED_REMARK.search(text)
    if match is None or match.start() == 0:
        return text, None
    return text[: match.start()], match.group("remark").strip(" .!")


def remark_as_description(result: ParseResult, remark: str) -> ParseResult:
    """The remark as the new task's description; a deadline in it ("it does need to be done by
    the 30th") is the task's due date too."""
    deadline = next((found.phrase for found in find_dates(remark) if found.strong), None)
    calls: list[PlannedCall] = []
    for call in result.calls:
        if call.tool == TOOL_CREATE and "description" not in call.args:
            args = {**call.args, "description": remark}
            if deadline is not None and "due" not in args:
                args["due"] = deadline
            call = replace(call, args=args)
        calls.append(call)
    return replace(result, calls=tuple(calls))


# The subject of a remark ends where its verb begins: "the stocktake accruals turn out to be
# more pressing" is about "the stocktake accruals".
_REMARK_VERB = re.compile(
    r"'s\b|\b(?:is|are|was|were|isn't|isnt|aren't|wasn't|didn't|didnt|doesn't|don't|won't|can't"
    r"|turns?|turned|came|comes|has|have|had|needs?"
    r"|got|gets|looks?|seems?"
    r"|will|can|could|should|might|may|went|goes|just|finally|now|all|fell|falls|broke|failed"
    r"|slipped)\b",
    re.IGNORECASE,
)


# "grace says the freezer alarm is ...": who said it is not what the remark is about.
_REPORTED = re.compile(
    r"^(?:[\w.@<>-]+\s+)(?:says|said|thinks|reckons|mentioned|told\s+me|tells\s+me|confirmed)"
    r"(?:\s+that)?\s+",
    re.IGNORECASE,
)


def remark_subject(head: str) -> str | None:
    """What a remark is about: the subject of what follows "so" ("live music is scrapped so
    the quartet's off"), else of its first clause that has one ("venue called back, catering
    numbers are confirmed" is about the catering numbers; "the RDS backup didn't finish, half
    the sessions are missing" about the backup)."""
    parts = re.split(r",?\s+so\s+", head.strip())
    consequence = parts[1:] if len(parts) > 1 else []
    clauses = [
        clause
        for part in [*consequence, parts[0]]
        for clause in re.split(r"\s*[,;]\s+", part)
        if clause.strip()
    ]
    for clause in clauses:
        subject = _clause_subject(clause)
        if subject is not None:
            return subject
    return None


def _clause_subject(head: str) -> str | None:
    head = _REPORTED.sub("", LEADING_FILLER.sub("", head.strip()))
    words = head.strip(" ,;.!").split()
    verb = _REMARK_VERB.search(head)
    if verb is None:
        return None
    subject = head[: verb.start()].strip(" ,;.!")
    count = len(subject.split())
    # Two tasks named together ("freezer alarm and seminar room booking") take more words.
    most = 8 if re.search(r"\s(?:and|&)\s", subject) else 5
    if not 1 <= count <= most or count >= len(words) or NOT_A_TOPIC.match(subject):
        return None
    return subject


def with_head_details(
    call: PlannedCall, said: dict[str, object] | None, subject: str | None
) -> PlannedCall:
    """A new task after a remark: "#donors urgent!! add one for ben to ..." takes the details
    said first; "the TV is broken again. make a task for dave to get IT to fix it" names what
    "it" is."""
    if call.tool != TOOL_CREATE:
        return call
    args = dict(call.args)
    for key, value in (said or {}).items():
        args.setdefault(key, value)
    title = str(args.get("title", ""))
    if subject is not None and re.search(r"\s(?-i:it)$", title):
        thing = re.sub(r"^(?:the|our|my)\s+", "", subject, flags=re.IGNORECASE)
        args["title"] = f"{title[:-2]}the {thing}"
    return replace(call, args=args)


LEADING_FILLER = re.compile(
    r"^(?:(?:ok|okay|k|so|alright|right|great|cool|hey|hi|yo|fyi|btw|also|and|oh|um+|hmm+|well|just"
    r"|anyway|anyways|anyhow|ugh+|argh+|ah+|oh\s+no|damn|dang"
    r"|quick\s+one|heads\s+up)\b[\s,!.:-]*)+",
    re.IGNORECASE,
)
TRAILING_ASIDE = re.compile(r"\s*(?:,|;|\s-+\s|\s–\s|\s—\s)\s*[^,;–—]+$")
