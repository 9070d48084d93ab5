"""Slack text rules: escaping people's words, mentions, and Slack's length limits."""

from __future__ import annotations

import re

# Slack's documented limits: a section block's text, a message's blocks, a header's text.
SECTION_TEXT_MAX = 3000
BLOCKS_MAX = 50
HEADER_TEXT_MAX = 150
# chat.postMessage truncates `text` past 40,000 characters and advises staying under 4,000.
MESSAGE_TEXT_MAX = 3900

_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LEADING_MENTION = re.compile(r"^\s*<@([UW][A-Z0-9]+)(?:\|[^>]*)?>[\s,:]*")


def escape_mrkdwn(text: str) -> str:
    """People's words made safe for Slack: `&`, `<` and `>` as entities, so that text such as
    `<!channel>` or `<http://x|y>` shows as typed instead of pinging or linking."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_keeping_mentions(text: str) -> str:
    """`escape_mrkdwn`, but user mentions (`<@U02>`) the agent wrote stay mentions."""
    parts: list[str] = []
    last = 0
    for match in _USER_MENTION.finditer(text):
        parts.append(escape_mrkdwn(text[last : match.start()]))
        parts.append(f"<@{match.group(1)}>")
        last = match.end()
    parts.append(escape_mrkdwn(text[last:]))
    return "".join(parts)


def normalize_mentions(text: str) -> str:
    """`<@U02|bob>` (as slash commands send escaped names) becomes `<@U02>`."""
    return _USER_MENTION.sub(lambda match: f"<@{match.group(1)}>", text)


def strip_leading_mention(text: str, *, bot_user_id: str | None) -> str:
    """The message without the bot's own mention at its start ("<@UBOT> add a task...")."""
    if not bot_user_id:
        return text.strip()
    match = _LEADING_MENTION.match(text)
    if match and match.group(1) == bot_user_id:
        return text[match.end() :].strip()
    return text.strip()


def truncate(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """`text` cut to at most `limit` characters, ending in `ellipsis` when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ellipsis), 0)].rstrip() + ellipsis


def split_message(text: str, *, limit: int = MESSAGE_TEXT_MAX) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at paragraph, line or word breaks,
    never inside an escape entity or a mention."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
        # Do not split "&amp;" or "<@U02>" in two.
        opening = max(window.rfind("&", 0, cut), window.rfind("<", 0, cut))
        if opening != -1 and not any(ch in window[opening:cut] for ch in ";>"):
            cut = opening if opening > 0 else cut
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces
