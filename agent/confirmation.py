"""Reading a person's answer to "are you sure?" without asking the model."""

from __future__ import annotations

import re
from enum import StrEnum

_YES = {
    "y",
    "yes",
    "yeah",
    "yep",
    "yup",
    "sure",
    "ok",
    "okay",
    "confirm",
    "confirmed",
    "do it",
    "go ahead",
    "yes please",
    "yes delete it",
    "delete it",
    "please do",
    "absolutely",
    "correct",
    "affirmative",
    "👍",
    "✅",
    "si",
    "oui",
    "ja",
}
_NO = {
    "n",
    "no",
    "nope",
    "nah",
    "cancel",
    "stop",
    "don't",
    "dont",
    "do not",
    "keep it",
    "no thanks",
    "never mind",
    "nevermind",
    "abort",
    "no don't",
    "👎",
    "❌",
    "wait",
}
_STRIP = re.compile(r"[^\w\s'✅❌👍👎]+")


class Answer(StrEnum):
    """How the person answered a confirmation question."""

    yes = "yes"
    no = "no"
    other = "other"


def classify_answer(text: str) -> Answer:
    """An explicit yes or no; anything else is a new request, and the pending call is dropped."""
    cleaned = " ".join(_STRIP.sub(" ", text.lower()).split())
    if cleaned in _YES:
        return Answer.yes
    if cleaned in _NO:
        return Answer.no
    return Answer.other
