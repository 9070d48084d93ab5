"""How the offline parser's time grows with the message: ordinary and adversarial inputs.

Run: `uv run python bench/offline_parser.py`. It prints, side by side in one run, the time per
1,000 characters of long and adversarial messages as a ratio of the time per 1,000 characters
of ordinary short messages, so that a parser change that goes quadratic shows up as a ratio
that jumps, whatever the machine's speed.
"""

from __future__ import annotations

import statistics
import time

from agent.offline import ConversationContext, parse_message

CONTEXT = ConversationContext(recent_task_ids=(7, 3))
ORDINARY = [
    "remind bob to send the Q3 deck by friday",
    "add a task to renew the TLS certificate, high priority #ops",
    "what's on my plate?",
    "move #3 to next tuesday",
    "give the ssl task to carol",
]
ADVERSARIAL = {
    "20k plain text": "add a task to " + "x" * 20_000,
    "11k exclamation marks": "add x " + "!" * 11_000,
    "3.6k hashtags": "add " + "#a " * 3_600,
    "1k due phrases": "add x " + "by friday " * 1_000,
    "3.6k 'to'": "move #3 " + "to " * 3_600,
    "1.2k mentions": "<@U0002> " * 1_200,
    "600 'and' clauses": "add a task to " + "call the bank and " * 600,
}


def per_kilochar(text: str, *, repeats: int) -> float:
    timings: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        parse_message(text, context=CONTEXT)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) / max(len(text), 1) * 1000


def main() -> None:
    baseline = statistics.median(per_kilochar(text, repeats=50) for text in ORDINARY)
    print(f"ordinary messages: {baseline * 1000:.3f} ms per 1,000 characters (ratio 1.0)")
    for name, text in ADVERSARIAL.items():
        cost = per_kilochar(text, repeats=5)
        print(f"{name:>24}: ratio {cost / baseline:6.2f} ({len(text):,} characters)")


if __name__ == "__main__":
    main()
