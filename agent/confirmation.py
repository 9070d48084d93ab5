"""Reading a person's answer to "are you sure?" without asking the model."""

from __future__ import annotations

import re
from enum import StrEnum

# An answer is a yes when every word is a yes word or harmless filler, and at least one word
# says yes outright; likewise for no. Anything else ("yes but delete #8 instead") is a new
# request, and the pending call is dropped.
_YES = frozenset(
    {
        "y", "yes", "yeah", "yea", "ya", "yep", "yup", "sure", "ok", "okay", "k", "kk",
        "confirm", "confirmed", "absolutely", "correct", "affirmative", "definitely", "ahead",
        "delete", "remove", "proceed", "do", "👍", "✅", "si", "oui", "ja",
    }
)  # fmt: skip
_YES_FILLER = frozenset(
    {
        "go", "do", "it", "that", "this", "one", "them", "please", "pls", "plz", "thanks", "thx",
        "ty", "thing", "just", "right", "for", "sure", "yes", "is", "fine", "lol", "!", "both",
        "all", "of", "em", "'em", "those", "these",
    }
)  # fmt: skip
_NO = frozenset(
    {
        "n", "no", "nope", "nah", "cancel", "stop", "don't", "dont", "abort", "wait", "keep",
        "nevermind", "nvm", "never", "not", "hold", "👎", "❌",
    }
)  # fmt: skip
_NO_FILLER = frozenset(
    {
        "it", "that", "this", "one", "them", "actually", "please", "pls", "thanks", "thx", "do",
        "not", "mind", "oops", "sorry", "i", "changed", "my", "delete", "remove", "hold", "on",
        "sec", "a", "second", "don't", "dont", "thank", "you", "no",
    }
)  # fmt: skip
_WORD = re.compile(r"[\w']+|[👍✅👎❌]")


class Answer(StrEnum):
    """How the person answered a confirmation question."""

    yes = "yes"
    no = "no"
    other = "other"


def classify_answer(text: str) -> Answer:
    """An explicit yes or no; anything else is a new request, and the pending call is dropped."""
    words = set(_WORD.findall(text.lower().replace("’", "'")))
    if not words:
        return Answer.other
    if words & _NO:
        return Answer.no if words <= _NO | _NO_FILLER else Answer.other
    if words & _YES and words <= _YES | _YES_FILLER:
        return Answer.yes
    return Answer.other
