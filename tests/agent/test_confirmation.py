"""A delete runs only after an explicit yes; anything else keeps the task."""

from __future__ import annotations

import pytest

from agent.confirmation import Answer, classify_answer


@pytest.mark.parametrize(
    "text", ["yes", "Yes!", "y", "yep", "ok", "go ahead", "do it", "👍", " YES please "]
)
def test_explicit_yes_confirms(text: str) -> None:
    assert classify_answer(text) is Answer.yes


@pytest.mark.parametrize(
    "text",
    [
        "no", "No.", "nope", "cancel", "keep it", "never mind", "wait", "no wait, keep it",
        "nah actually keep it", "don't delete it", "oops no", "hold on",
    ],
)  # fmt: skip
def test_explicit_no_declines(text: str) -> None:
    assert classify_answer(text) is Answer.no


@pytest.mark.parametrize(
    "text",
    [
        "yes but delete #8 instead",
        "maybe",
        "add a task to call mom",
        "what?",
        "",
        "yesterday",
        "delete #9 too",
        "no, delete #8 instead",
        "ok and add a task to call mom",
    ],
)
def test_anything_else_is_not_a_confirmation(text: str) -> None:
    assert classify_answer(text) is Answer.other


def test_yes_both_confirms_every_pending_delete() -> None:
    assert classify_answer("yes both") is Answer.yes
    assert classify_answer("yes, delete all of them") is Answer.yes
