"""Turning raw Slack text into plain text the parser can read.

Slack sends mentions as `<@U02ABC>` or `<@U02ABC|bob>`, channels as `<#C01|general>`, links as
`<https://...|label>` and escapes `&`, `<` and `>`. People add emoji, formatting marks, smart
quotes and typos. `clean_text` normalizes all of that while keeping the words of a title as they
were written; `fix_typos` then rewrites the misspellings the parser understands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.offline.lexicon import TYPOS

# Every pattern in this module is linear: no nested quantifiers, so a long message stays fast.
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^<>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto|tel):[^<>|]+)(?:\|([^<>]*))?>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^<>|]*)?(?:\|([^<>]*))?>")
_EMOJI_CODE = re.compile(r":[a-z0-9_+\-']{1,40}:")
_CHECK_CODES = frozenset(
    {":white_check_mark:", ":heavy_check_mark:", ":ballot_box_with_check:", ":check:"}
)
_EMOJI = re.compile(
    "["
    "\U0001f000-\U0001faff"
    "\u2300-\u23ff"
    "\u2460-\u24ff"
    "\u25a0-\u25ff"
    "\u2600-\u27bf"
    "\u2b00-\u2bff"
    "\ufe0e\ufe0f\u200d\u20e3"
    "]"
)
_EMOJI_BETWEEN = re.compile(
    r"(?<=[\w.!?,])[ \t]+["
    "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff"
    "][\ufe0f\u200d]?[ \t]+(?=(?:it|it's|its|they|they're|we|we're|i|i'm|this|that's|there's|need"
    r"|needs|pls|please|can|could|also|btw|so|still|you|close|mark|move|add|delete|make|give|assign"
    r"|push|bump|reopen|tag|cancel|tick)\b)",
    re.IGNORECASE,
)
_CHECK_MARKS = re.compile("[\u2705\u2714\u2611]")
_FORMAT_MARK = re.compile(r"(?<![\w*_~])[*_~]+(?=\S)|(?<=\S)[*_~]+(?![\w*_~])")
_CODE_FENCE = re.compile(r"```|`")
# Slack strikethrough marks words the writer took back: "~old~ new task" drops "old".
_STRUCK = re.compile(r"(?<![\w~])~[^~\n]{1,200}~(?![\w~])")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
_SMART = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2013": "-",
        "\u2014": " - ",
        "\u2192": "->",
        "\u2026": "...",
    }
)


@dataclass(frozen=True)
class CleanText:
    """A message after cleaning.

    `text` is the cleaned message (mentions kept as `<@U02ABC>`, channels as `#name`), and
    `channels` the channel names that came from channel links, so that they are not read as tags.
    """

    text: str
    channels: frozenset[str]


def clean_text(raw: str) -> CleanText:
    """Normalize Slack markup, emoji, quotes and spacing; see the module docstring."""
    channels: set[str] = set()

    def channel(match: re.Match[str]) -> str:
        name = (match.group(2) or match.group(1)).strip().lstrip("#")
        channels.add(name.lower())
        return f"#{name}"

    def link(match: re.Match[str]) -> str:
        label = match.group(2)
        return label.strip() if label and label.strip() else match.group(1)

    def special(match: re.Match[str]) -> str:
        label = match.group(2)
        return label.strip() if label else ""

    def emoji_code(match: re.Match[str]) -> str:
        return " done " if match.group(0) in _CHECK_CODES else " "

    text = raw.translate(_SMART)
    text = _MENTION.sub(lambda m: f"<@{m.group(1)}>", text)
    text = _CHANNEL.sub(channel, text)
    text = _LINK.sub(link, text)
    text = _SPECIAL.sub(special, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    text = _EMOJI_CODE.sub(emoji_code, text)
    text = _CHECK_MARKS.sub(" done ", text)
    # An emoji between words often ends a thought ("fix the coffee machine ☕ it's broken").
    text = _EMOJI_BETWEEN.sub(" - ", text)
    text = _EMOJI.sub(" ", text)
    text = _CODE_FENCE.sub("", text)
    text = _STRUCK.sub(" ", text)
    text = _FORMAT_MARK.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n")]
    return CleanText(text="\n".join(line for line in lines if line), channels=frozenset(channels))


def _build_typo_pattern() -> re.Pattern[str]:
    words = sorted(TYPOS, key=len, reverse=True)
    alternatives = "|".join(re.escape(word) for word in words)
    # A shorthand inside a compound such as "R&D" or "P&L" is not a shorthand.
    return re.compile(rf"(?<![\w'@#<&]){'(?:'}{alternatives}{')'}(?![\w'&])", re.IGNORECASE)


_TYPO_PATTERN = _build_typo_pattern()


def fix_typos(text: str) -> str:
    """Rewrite the misspellings and shorthands in `lexicon.TYPOS` ("tmrw" -> "tomorrow")."""
    return _TYPO_PATTERN.sub(lambda m: TYPOS[m.group(0).lower()], text)


def verb_pattern(verbs: tuple[str, ...] | list[str]) -> str:
    """An alternation of verbs for a regex, longest first, any spacing between words."""
    ordered = sorted(set(verbs), key=len, reverse=True)
    return "|".join(re.escape(verb).replace(r"\ ", r"\s+") for verb in ordered)


def collapse(text: str) -> str:
    """Collapse runs of spaces and trim the ends."""
    return _SPACES.sub(" ", text).strip()
