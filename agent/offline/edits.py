"""Clauses that edit one field of a task by naming it: notes, titles, tags, dates, priorities.

"add a note to #3: ...", "rename #4 to ...", "tag #4 with finance", "change the due date of #8 to
dec 15", "lower the priority of #2", "due date for #14 is 12/20".
"""

from __future__ import annotations

import re

from agent.offline import chat
from agent.offline.actions import Action, ClauseResult, Reply, ReplyKind
from agent.offline.attributes import priority_word
from agent.offline.dates import find_dates
from agent.offline.lexicon import STATUS_WORDS
from agent.offline.plan import TOOL_UPDATE
from agent.offline.slots import task_target

_DESCRIPTION_PATTERNS = (
    re.compile(
        r"^(?:add|append|put|attach|leave|write|drop)\s+(?:a\s+|the\s+|this\s+|some\s+|an?\s+extra\s+)?"
        r"(?:note|notes|comment|description|details|context|info)\s+(?:to|on|for|in)\s+(?P<target>.+?)"
        r"\s*(?::|\bsaying\b|\bthat\s+says\b|\bthat\b|\s-\s|–|,)\s*(?P<value>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(
        r"^(?:add|append)\s+(?:to\s+)?(?:the\s+)?(?:description|notes)\s+(?:of|on|for)\s+(?P<target>.+?)"
        r"\s*:\s*(?P<value>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(
        r"^(?:set|update|change|make|edit|replace)\s+(?:the\s+)?(?:description|desc|notes?|details)"
        r"\s+(?:of|on|for)\s+(?P<target>.+?)\s*(?:\bto\b|\bas\b|:|\bwith\b)\s*(?P<value>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(
        r"^describe\s+(?P<target>.+?)\s*(?:\bas\b|:)\s*(?P<value>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(
        r"^(?P<target>#\s?\d+|task\s*#?\d+|it|that|this)\s*(?:'s)?\s*[:,-]?\s*"
        r"(?:note|notes|description|desc|details|comment)\s*:\s*(?P<value>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(
        r"^(?:add|append|put|write)\s+(?:to|in|on)\s+(?P<target>.+?)(?:'s|s')\s+(?:notes?|description"
        r"|details)\s*:\s*(?P<value>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(
        r"^(?P<target>#\s?\d+|task\s*#?\d+)\s*[:,-]?\s*(?:add|append|leave)\s+(?:a\s+)?(?:note|comment)"
        r"\s*(?::|\bsaying\b)\s*(?P<value>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(
        r"^(?:note|notes|comment)\s+(?:on|for|to)\s+(?P<target>.+?)\s*:\s*(?P<value>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(
        r"^(?:add|put|write)\s+[\"'](?P<value>.+)[\"']\s+(?:to|in|on)\s+(?:the\s+)?"
        r"(?:description|notes?)\s+(?:of|on|for)\s+(?P<target>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(
        r"^(?:add|leave|put)\s+(?:a\s+)?(?:note|comment|description)(?P<target>)\s*(?::|\bsaying\b"
        r"|\bthat\s+says\b)\s*(?P<value>.+)$",
        re.IGNORECASE | re.DOTALL,
    ),
)


def _parse_description(clause: str) -> ClauseResult:
    for pattern in _DESCRIPTION_PATTERNS:
        match = pattern.match(clause)
        if match is None:
            continue
        target = task_target(match.group("target"), loose_ok=True, empty_is_it=True)
        value = match.group("value").strip().strip("\"'").strip()
        if target is None or not value:
            continue
        return [Action(TOOL_UPDATE, {"task_id": target.target, "description": value})]
    return None


_RENAME_PATTERNS = (
    re.compile(
        r"^(?:rename|retitle|re-title|re-name)\s+(?P<target>.*?)\s*(?:\bto\b|\bas\b|\binto\b|:|->)\s*(?P<value>.+)$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:change|update|set|edit|fix)\s+(?:the\s+)?(?:title|name|wording|text)\s+(?:of|on|for)\s+"
        r"(?P<target>.+?)\s*(?:\bto\b|\bas\b|:)\s*(?P<value>.+)$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:change|update|set|edit)\s+(?P<target>.+?)(?:'s|s')\s+(?:title|name)\s*(?:\bto\b|\bas\b|:)\s*(?P<value>.+)$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?P<target>.+?)\s+should\s+(?:be\s+)?(?:called|named|titled|say|read)\s+(?P<value>.+)$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:change|update|set|edit)\s+(?:the\s+|its\s+)?(?P<target>)(?:title|name)\s*(?:\bto\b|:)\s*(?P<value>.+)$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:call|name|title)\s+(?P<target>it|that|this|this\s+one|that\s+one)\s+(?P<value>.+)$",
        re.IGNORECASE,
    ),
)


def _parse_rename(clause: str) -> ClauseResult:
    for pattern in _RENAME_PATTERNS:
        match = pattern.match(clause)
        if match is None:
            continue
        target = task_target(match.group("target"), loose_ok=True, empty_is_it=True)
        value = match.group("value").strip().strip(" .!").strip().strip("\"'").strip()
        if target is None or not value:
            continue
        return [Action(TOOL_UPDATE, {"task_id": target.target, "title": value})]
    return None


_TAG_PATTERNS = (
    re.compile(r"^(?:tag|label)\s+(?P<target>.+?)\s+(?:with|as|:)\s*(?P<value>.+)$", re.IGNORECASE),
    re.compile(
        r"^(?:tag|label)\s+(?P<target>#\s?\d+|task\s*#?\d+|it|that|this)\s+(?P<value>.+)$",
        re.IGNORECASE,
    ),
    # "tag 13 #security #q1": a bare number is the task when hashtags follow it.
    re.compile(
        r"^(?:tag|label)\s+(?P<target>\d{1,7})\s+(?P<value>#[A-Za-z][\w\-]*(?:[\s,]+(?:and\s+)?"
        r"#[A-Za-z][\w\-]*)*)\s*$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:add|put)\s+(?:the\s+|a\s+)?(?:tags?|labels?)\s+(?P<value>.+?)\s+(?:to|on)\s+(?P<target>.+)$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:add|put)\s+(?P<value>#[A-Za-z][\w\-]*(?:[\s,]+(?:and\s+)?#[A-Za-z][\w\-]*)*)\s+(?:to|on)\s+(?P<target>.+)$",
        re.IGNORECASE,
    ),
)


_TAG_FILLER = re.compile(r"\s+(?:too|as\s+well|also|pls|please)$", re.IGNORECASE)


def _parse_tags(clause: str) -> ClauseResult:
    for pattern in _TAG_PATTERNS:
        match = pattern.match(clause)
        if match is None:
            continue
        target = task_target(match.group("target"), loose_ok=True, empty_is_it=True)
        # "tag it security too": "too" says the tag is added, it is no tag itself.
        value = _TAG_FILLER.sub("", match.group("value").strip(" .!"))
        tags = [
            tag.strip().lstrip("#").strip()
            for tag in re.split(r"\s*(?:,|\band\b|&|\s)\s*", value)
            if tag.strip().lstrip("#").strip()
        ]
        if target is None or not tags or len(tags) > 10:
            continue
        return [Action(TOOL_UPDATE, {"task_id": target.target, "tags": tags})]
    return None


_FIELD_OF = re.compile(
    r"^(?P<verb>change|set|update|move|push|make|edit|fix|bump(?:\s+up)?|raise|lower|increase"
    r"|decrease|drop|reduce|up)\s+(?:the\s+)?(?P<field>due\s+date|deadline|due|date|priority|prio"
    r"|status|title|name|description|desc|notes?|details)\s+(?:of|for|on|in)\s+(?P<target>.+?)"
    r"(?:\s*(?:\bto\b|\bas\b|:|=|->)\s*(?P<value>.+))?$",
    re.IGNORECASE | re.DOTALL,
)
_FIELD_POSSESSIVE = re.compile(
    r"^(?:change|set|update|move|push|make|edit|fix)\s+(?P<target>#\s?\d+|task\s*#?\d+|it|this|that"
    r"|the\s+.+?\s+task)(?:'s|s')?\s+(?P<field>due\s+date|deadline|due|date|priority|prio|status"
    r"|title|name|description|desc|notes?)\s*(?:\bto\b|\bas\b|:|=|->)\s*(?P<value>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_FIELD_SUBJECT = re.compile(
    r"^(?:the\s+)?(?P<field>due\s+date|deadline|due|priority|prio|status|title|name)\s+(?:of|for|on)\s+"
    r"(?P<target>.+?)\s*(?:\bis\b|\bshould\s+be\b|=|:|\bto\b|->)\s*(?P<value>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_FIELD_GIVEN = re.compile(
    r"^(?:set|add|give|put)\s+(?:it\s+)?(?:a\s+|the\s+)?(?P<field>due\s+date|deadline|priority)\s+"
    r"(?:of\s+)?(?P<value>.+?)\s+(?:for|on|to)\s+(?P<target>#\s?\d+|task\s*#?\d+|it|that|this"
    r"|the\s+.+?\s+task)$",
    re.IGNORECASE | re.DOTALL,
)
_FIELD_ALONE = re.compile(
    r"^(?:change|set|update|move|push|make|edit)\s+(?:the\s+|its\s+)?(?P<target>)(?P<field>due\s+date"
    r"|deadline|priority|prio|status)\s*(?:\bto\b|:|=|->)\s*(?P<value>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_RAISE = frozenset({"bump", "bump up", "raise", "increase", "up"})
_LOWER = frozenset({"lower", "decrease", "drop", "reduce"})


def _parse_field_of(clause: str) -> ClauseResult:
    """Field changes named by the field: "change the due date of #8 to dec 15",
    "lower the priority of #2", "set #3's status to done"."""
    match = (
        _FIELD_OF.match(clause)
        or _FIELD_POSSESSIVE.match(clause)
        or _FIELD_SUBJECT.match(clause)
        or _FIELD_GIVEN.match(clause)
        or _FIELD_ALONE.match(clause)
    )
    if match is None:
        return None
    field = " ".join(match.group("field").lower().split())
    target = task_target(match.group("target"), loose_ok=True, empty_is_it=True)
    if target is None:
        return None
    value = (match.group("value") or "").strip().strip(" .!").strip()
    verb = " ".join((match.groupdict().get("verb") or "").lower().split())
    fields: dict[str, object] = {}
    if field in {"due date", "deadline", "due", "date"}:
        dates = find_dates(value)
        if not value:
            return Reply(chat.WHEN, ReplyKind.CLARIFY)
        if not dates:
            return None
        fields["due"] = dates[-1].phrase
    elif field in {"priority", "prio"}:
        level = priority_word(value) if value else None
        if level is None and not value:
            level = "high" if verb in _RAISE else "low" if verb in _LOWER else None
        if level is None:
            return Reply(chat.WHAT_CHANGE, ReplyKind.CLARIFY) if not value else None
        fields["priority"] = level
    elif field == "status":
        status = STATUS_WORDS.get(" ".join(value.lower().split()))
        if status is None:
            return None
        fields["status"] = status
    elif field in {"title", "name"}:
        if not value:
            return None
        fields["title"] = value.strip("\"'")
    else:
        if not value:
            return None
        fields["description"] = value.strip("\"'")
    return [Action(TOOL_UPDATE, {"task_id": target.target, **fields})]


def parse_edit(clause: str) -> ClauseResult:
    """Read a clause that names the field it changes."""
    for parser in (_parse_field_of, _parse_description, _parse_rename, _parse_tags):
        result = parser(clause)
        if result is not None:
            return result
    return None
