"""The task card and the App Home view: escaping of people's words, and Slack's limits."""

from __future__ import annotations

import json
import re
from typing import Any

from slack_app.views import blocks
from slack_app.views.block_kit import block_dicts

TEAM = "T0TEST"


def card(number: int = 7, **fields: Any) -> dict[str, Any]:
    return {"id": number, "title": "Renew the TLS cert", "status": "open", **fields}


def card_json(card: dict[str, Any], *, block_key: str | None = None) -> list[dict[str, Any]]:
    """The card's blocks as the JSON the app sends Slack."""
    return block_dicts(blocks.task_card_blocks(card, team_id=TEAM, block_key=block_key))


def controls(card_blocks: list[dict[str, Any]]) -> list[str]:
    return [element["action_id"] for element in card_blocks[1]["elements"]]


def test_mentions_links_and_ampersands_in_a_title_show_as_typed() -> None:
    title = "Ping <!channel> & read <http://evil.example|this>"
    card_blocks = card_json(card(title=title))
    summary = card_blocks[0]["text"]["text"]
    assert summary.startswith(
        "*#7 Ping &lt;!channel&gt; &amp; read &lt;http://evil.example|this&gt;*"
    )
    dumped = json.dumps(card_blocks)
    assert "<!channel>" not in dumped
    assert "<http://evil.example" not in dumped


def test_tags_and_due_dates_are_escaped_and_readable() -> None:
    fields = blocks.card_fields(
        card(tags=["a&b"], due="2030-05-17T17:00:00+02:00", assignee="U0BOB", priority="high")
    )
    assert fields == "👤 <@U0BOB>  ·  📅 Fri 2030-05-17 17:00  ·  🔸 high  ·  `a&amp;b`"


def test_a_long_escaped_title_fits_the_delete_dialog_without_a_broken_entity() -> None:
    card_blocks = card_json(card(title="R&D " * 50))
    [delete] = [e for e in card_blocks[1]["elements"] if e["action_id"] == blocks.ACTION_DELETE]
    text = delete["confirm"]["text"]["text"]
    assert len(text) <= blocks.CONFIRM_TEXT_MAX
    assert text.endswith("…* will be deleted for everyone.")
    # Every "&" left is the start of a whole "&amp;".
    assert all(text[i : i + 5] == "&amp;" for i in (m.start() for m in re.finditer("&", text)))


def test_an_open_card_has_every_control_and_a_done_one_only_delete() -> None:
    open_card = card_json(card())
    assert controls(open_card) == list(blocks.CARD_ACTIONS)
    done_card = card_json(card(status="done"))
    assert controls(done_card) == [blocks.ACTION_DELETE]
    assert done_card[0]["text"]["text"].startswith("~#7 Renew the TLS cert~ ✅")


def test_the_controls_say_which_team_and_task_they_belong_to() -> None:
    card_blocks = card_json(card(), block_key="overdue")
    assert [blocks.parse_block_id(block["block_id"]) for block in card_blocks] == [
        (TEAM, 7),
        (TEAM, 7),
    ]
    assert card_blocks[1]["elements"][0]["value"] == "T0TEST:7"
    assert blocks.parse_block_id("someone_elses:T0TEST:7") is None
    assert blocks.parse_card_value("not-a-card") is None


def test_replacing_a_card_keeps_the_rest_of_the_message() -> None:
    reply = blocks.text_section("Created #7 and #8.")
    old_note = blocks.card_note("✅ Marked done by <@U0BOB>", team_id=TEAM, number=7)
    other = blocks.task_card_blocks(card(8), team_id=TEAM)
    message = [reply, *blocks.task_card_blocks(card(), team_id=TEAM), old_note, *other]
    new = [blocks.context_line("🗑 Task #7 deleted")]
    assert blocks.replace_card(message, team_id=TEAM, number=7, new_blocks=new) == [
        reply,
        *new,
        *other,
    ]
    assert blocks.replace_card(message, team_id="T0OTHER", number=7, new_blocks=new) is None


def test_the_home_view_stays_within_slacks_limit_and_says_how_many_more() -> None:
    sections = [
        blocks.HomeSection(
            key=key,
            title=key,
            cards=[card(n) for n in range(1, count + 1)],
            empty_text="Nothing here.",
        )
        for key, count in (("mine", 60), ("assigned", 3), ("overdue", 60), ("done", 0))
    ]
    view = blocks.home_view(sections, team_id=TEAM, intro=[blocks.text_section("Hi!")])
    assert len(view["blocks"]) <= blocks.HOME_BLOCKS_MAX
    view_blocks = block_dicts(view["blocks"])
    shown: dict[str, int] = {}
    for block in view_blocks:
        if block.get("block_id", "").startswith("task_card:"):
            key = block["block_id"].rpartition("/")[2]
            shown[key] = shown.get(key, 0) + 1
    assert shown["assigned"] == 3
    assert shown["mine"] == shown["overdue"] > 10
    context = [b["elements"][0]["text"] for b in view_blocks if b["type"] == "context"]
    assert context == [
        f"…and {60 - shown['mine']} more.",
        f"…and {60 - shown['overdue']} more.",
        "Nothing here.",
    ]
    # The same task in two sections still gives unique block ids.
    ids = [block["block_id"] for block in view_blocks if "block_id" in block]
    assert len(ids) == len(set(ids))


def test_a_header_is_cut_to_slacks_150_characters() -> None:
    text = blocks.header("x" * 400)["text"]["text"]
    assert len(text) == 150
    assert text.endswith("…")
