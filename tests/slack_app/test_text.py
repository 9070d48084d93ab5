"""Slack text rules: people's words escaped, mentions kept, long replies split cleanly."""

from __future__ import annotations

import asyncio

from slack_app.delivery.turns import KeyedLocks
from slack_app.views.text import (
    escape_keeping_mentions,
    escape_mrkdwn,
    normalize_mentions,
    split_message,
    strip_leading_mention,
    truncate,
)


def test_escaping_stops_channel_pings_and_fake_links() -> None:
    said = "ping <!channel> & see <http://evil.example|the docs> > now"
    escaped = escape_mrkdwn(said)
    assert "<" not in escaped and ">" not in escaped
    assert escaped == (
        "ping &lt;!channel&gt; &amp; see &lt;http://evil.example|the docs&gt; &gt; now"
    )


def test_the_agents_user_mentions_survive_escaping() -> None:
    reply = "Assigned #4 to <@U0BOB> — R&D <!here>"
    assert escape_keeping_mentions(reply) == "Assigned #4 to <@U0BOB> — R&amp;D &lt;!here&gt;"


def test_mentions_as_slash_commands_escape_them_become_plain_mentions() -> None:
    assert (
        normalize_mentions("assign 12 <@U0BOB|bob> and <@W0X>") == "assign 12 <@U0BOB> and <@W0X>"
    )


def test_only_the_bots_own_leading_mention_is_stripped() -> None:
    assert strip_leading_mention("<@U0BOT> add a task", bot_user_id="U0BOT") == "add a task"
    assert strip_leading_mention("<@U0BOT|taskpilot>: hi", bot_user_id="U0BOT") == "hi"
    assert (
        strip_leading_mention("<@U0BOB> please review", bot_user_id="U0BOT")
        == "<@U0BOB> please review"
    )


def test_long_text_is_split_at_line_breaks_within_the_limit() -> None:
    lines = [f"{n}. " + "word " * 30 for n in range(200)]
    text = "\n".join(lines)
    pieces = split_message(text, limit=1000)
    assert all(len(piece) <= 1000 for piece in pieces)
    assert "\n".join(pieces).split() == text.split()
    assert all(piece.split("\n")[0][0].isdigit() for piece in pieces)


def test_splitting_never_cuts_an_entity_or_a_mention() -> None:
    text = ("x" * 995) + " &amp; <@U0BOB> " + ("y " * 600)
    pieces = split_message(text, limit=1000)
    joined = " ".join(pieces)
    assert "&amp;" in joined and "<@U0BOB>" in joined
    for piece in pieces:
        assert piece.count("<") == piece.count(">")
    # No break anywhere near the limit: the hard cut moves back to before the entity.
    first, second = split_message("x" * 998 + "&amp;" + "y" * 50, limit=1000)
    assert first == "x" * 998
    assert second.startswith("&amp;")


def test_truncate_marks_the_cut() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("a" * 20, 10) == "a" * 9 + "…"


def test_conversation_locks_serialise_one_key_and_are_forgotten_afterwards() -> None:
    locks = KeyedLocks()
    order: list[str] = []

    async def turn(key: str, name: str) -> None:
        async with locks.hold(key):
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            order.append(f"{name} out")

    async def scenario() -> None:
        await asyncio.gather(turn("t1", "a"), turn("t1", "b"), turn("t2", "c"))

    asyncio.run(scenario())
    assert order.index("a out") < order.index("b in")
    assert order.index("c in") < order.index("a out")
    assert len(locks) == 0
