"""Message shapes the clause readers do not know, rewritten into ones they do.

Each rewrite turns a whole message (already cleaned) into plain commands, or leaves it as it is:

- a colon-introduced list on one line: "add these pls: A / B / C" and "todo: call X, email Y"
  become the header and one line per task, as if the person had typed the list on lines. Commas
  separate tasks only when every piece starts with a verb ("todo: buy eggs, milk, bread" stays
  one task); slashes when every piece has two words or starts with a verb;
- "put 'X' down for next monday", "pencil in X for thursday": "add a task: X, due ...";
- "turn this into a task for erin" (or "add this as a task pls:") followed by a quoted "> ..."
  line, or by the next line: "add a task for erin: <that line>", without a leading "can
  someone" and the question mark.

A rewrite never invents words: titles, people and dates are the person's, in their order.
"""

from __future__ import annotations

import re

from agent.offline.dates import find_dates
from agent.offline.lexicon import ADD_THESE, IMPERATIVE_VERBS, TODO_LIST

__all__ = ["reshape"]

_MAX_LINE = 300
"""Longer lines are no quick note; they are left to the clause readers."""
_COLON_LIST = re.compile(r"^(?P<head>[^:\n]{1,60}?)\s*:\s*(?P<body>\S[^\n]*)$")
_SLASH = re.compile(r"\s+/\s+")
_AND = re.compile(r"^(?:and|&|then)\s+", re.IGNORECASE)
_COMMA = re.compile(r"\s*[,;]\s*")
_LIST_HEAD = re.compile(rf"^(?:{ADD_THESE}|{TODO_LIST}|add|create|new|todo)$", re.IGNORECASE)
_PENCIL = re.compile(
    r"^(?:(?:please|pls|can\s+you|could\s+you)\s+)?(?:pencil\s+in|pencil|put|jot|jot\s+down)\s+"
    r"(?P<title>.+?)\s+(?P<mark>down|in)?\s*(?P<when>(?:for|on)\s+\S.*?)\s*[.!]*$",
    re.IGNORECASE,
)
_QUOTED_TITLE = re.compile(r"^[\"'](?P<title>[^\"']+)[\"']$")
_NOT_A_TITLE = re.compile(
    r"^(?:#?\d+|task\s*#?\d+|it|that|this|them|these|those|me|him|her|us|everything|all)\b",
    re.IGNORECASE,
)
_THIS_AS_TASK = re.compile(
    r"^(?:(?:please|pls|can\s+you|could\s+you|can\s+u)\s+)?(?:turn|make|convert|add|save|log"
    r"|track|create|put)\s+(?:this|that|the\s+following|the\s+message\s+below|this\s+message)"
    r"(?:\s+(?:into|as|in))?\s+(?:a\s+|an\s+)?(?:new\s+)?(?:task|todo|to-do|ticket|reminder)"
    r"(?P<tail>(?:\s+for\s+\S+)?)(?:\s+(?:please|pls|plz|thanks|thx))?\s*[:.!,\-]*\s*$",
    re.IGNORECASE,
)
_QUOTE_LINE = re.compile(r"^\s*>+\s*(?P<text>\S.*)$")
_REQUEST_LEAD = re.compile(
    r"^(?:(?:can|could|would|will)\s+(?:someone|somebody|anyone|anybody|we|you)"
    r"(?:\s+please|\s+pls)?\s+|(?:someone|somebody|we)\s+(?:should|needs?\s+to|must|has\s+to"
    r"|have\s+to)\s+|(?:please|pls)\s+)",
    re.IGNORECASE,
)


def reshape(message: str) -> str:
    """The message in a shape the clause readers know; see the module docstring."""
    quoted = _this_as_task(message)
    if quoted is not None:
        return quoted
    lines = message.split("\n")
    if len(lines) > 1 and _LIST_HEAD.match(lines[0].strip(" .-")) and ":" not in lines[0]:
        # "todo" on a line of its own, then the items: the header of a list.
        lines[0] = f"{lines[0].strip(' .-')}:"
    reshaped = [
        _colon_list(line) or _pencil_in(line) or _add_it_after(line) or line for line in lines
    ]
    return "\n".join(reshaped)


# "quarterly access review, due in two weeks - can you add it?": the title comes first.
_ADD_IT_AFTER = re.compile(
    r"^(?P<title>[^\n]{3,300}?)\s*(?:[,;.!]|\s-+)\s*(?:(?:can|could|would|will)\s+(?:you|ya)\s+"
    r"|(?:please|pls|plz)\s+)*(?:add|create|log|track)\s+(?:it|that|this)(?:\s+(?:as\s+a\s+"
    r"(?:task|todo)|for\s+me|please|pls|plz))*\s*[?!.]*\s*$",
    re.IGNORECASE,
)


def _add_it_after(line: str) -> str | None:
    match = _ADD_IT_AFTER.match(line.strip())
    if match is None:
        return None
    title = match.group("title").strip()
    words = title.split()
    if len(words) < 2 or re.search(r"\b(?:it|that|this|task\s+\d+)\b|#\d", title, re.I):
        return None
    # Work ("renew the domain by friday") or a thing with a deadline, not "the demo went well".
    if words[0].lower() not in IMPERATIVE_VERBS and not re.search(r"\bdue\b", title, re.I):
        return None
    return f"add a task: {title}"


def _colon_list(line: str) -> str | None:
    match = _COLON_LIST.match(line.strip())
    if match is None or not _LIST_HEAD.match(match.group("head").strip()):
        return None
    body = match.group("body").strip()
    pieces = [piece.strip(" .") for piece in _SLASH.split(body)]
    if len(pieces) > 1 and all(_reads_as_task(piece, short_ok=True) for piece in pieces):
        return "\n".join([f"{match.group('head').strip()}:", *pieces])
    pieces = [_AND.sub("", piece.strip(" .")) for piece in _COMMA.split(body)]
    if len(pieces) > 1 and all(_reads_as_task(piece, short_ok=False) for piece in pieces):
        return "\n".join([f"{match.group('head').strip()}:", *pieces])
    return None


def _reads_as_task(piece: str, *, short_ok: bool) -> bool:
    words = piece.split()
    if not words:
        return False
    starts_with_verb = words[0].lower() in IMPERATIVE_VERBS and len(words) >= 2
    return starts_with_verb or (short_ok and len(words) >= 2)


def _pencil_in(line: str) -> str | None:
    """ "put 'X' down for next monday" / "pencil in X for thursday": a new task with a date."""
    if len(line) > _MAX_LINE:
        return None
    match = _PENCIL.match(line.strip())
    if match is None:
        return None
    verb = line.strip().split()[0].lower()
    title = match.group("title").strip()
    quoted = _QUOTED_TITLE.match(title)
    if verb == "put" and (quoted is None or match.group("mark") is None):
        # "put bob on #4", "put #4 down for monday": only a quoted title reads as a new task.
        return None
    if (
        verb in {"jot", "pencil"}
        and match.group("mark") is None
        and "pencil in" not in line.lower()
    ):
        return None
    if quoted is not None:
        title = quoted.group("title").strip()
    if not title or _NOT_A_TITLE.match(title):
        return None
    when = match.group("when")
    spans = find_dates(when)
    if not spans or spans[0].start > 4 or spans[-1].end < len(when.rstrip(" .!")):
        return None
    phrase = re.sub(r"^(?:for|on)\s+", "", when, flags=re.IGNORECASE)
    return f'add a task: "{title}", due {phrase}'


def _this_as_task(message: str) -> str | None:
    """ "turn this into a task for erin" over a quoted line: that line is the title."""
    lines = [line for line in message.split("\n") if line.strip()]
    if len(lines) < 2:
        return None
    head = _THIS_AS_TASK.match(lines[0].strip())
    if head is None:
        return None
    quoted: list[str] = []
    index = 1
    while index < len(lines) and (line := _QUOTE_LINE.match(lines[index])) is not None:
        quoted.append(line.group("text").strip())
        index += 1
    if not quoted:
        quoted = [lines[1].strip()]
        index = 2
    title = _REQUEST_LEAD.sub("", " ".join(quoted)).strip().rstrip("?!. ")
    if not title:
        return None
    rest = lines[index:]
    return "\n".join([f'add a task{head.group("tail")}: "{title}"', *rest])
