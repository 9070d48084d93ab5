"""Readings of a message: what each reader makes of it, scored, and which one wins.

Every reader of the registry (`agent.offline.intents`) proposes at most one `Reading` of a
message: the calls it would make, a score between 0 and 1, and why. `choose` ranks them. The
best reading wins when it is clearly best; when a reading that writes is close to another one
that writes something else, nothing is written and the person is asked which they meant
("Make #1 urgent, or add a task called “1”?"). Whatever happens, the `Trace` keeps the
winning reading and the runner-up, for `taskpilot chat --explain`, the `trace` field of
`--json`, and the eval reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from agent.offline.plan import (
    TOOL_ASSIGN,
    TOOL_CREATE,
    TOOL_DELETE,
    TOOL_LIST,
    TOOL_UPDATE,
    WRITE_TOOL_NAMES,
    ParseResult,
    PlannedCall,
    TitleRef,
)

__all__ = [
    "CLOSE_CALL",
    "TRACE_KEY",
    "Reading",
    "Trace",
    "choose",
    "describe_calls",
    "question_for",
]

TRACE_KEY = "offline_trace"
"""Where the offline model's response `provider_details` carry the trace of its reading."""

CLOSE_CALL = 0.1
"""Two readings that write different things and score closer than this are asked about."""


@dataclass(frozen=True)
class Reading:
    """One way to read a message: the calls (or reply), how sure, which reader, and why."""

    reader: str
    result: ParseResult
    score: float
    why: str = ""

    @property
    def intent(self) -> str:
        """What the reading does, in one word: the first call's kind, or the kind of reply."""
        if not self.result.calls:
            return "reply"
        call = self.result.calls[0]
        if call.tool == TOOL_UPDATE and call.args.get("status") == "done":
            return "complete"
        return call.tool.removesuffix("_task").removesuffix("_tasks")

    @property
    def writes(self) -> bool:
        """Whether the reading changes anything."""
        return any(call.tool in WRITE_TOOL_NAMES for call in self.result.calls)

    def as_json(self) -> dict[str, Any]:
        """The reading as plain data for traces."""
        return {
            "reader": self.reader,
            "intent": self.intent,
            "score": round(self.score, 3),
            "why": self.why,
            "calls": [
                {"tool": call.tool, "args": _plain_args(call.args)} for call in self.result.calls
            ],
            "reply": self.result.reply,
        }


@dataclass(frozen=True)
class Trace:
    """How a message was read: the winning reading and the best other one."""

    winner: Reading
    runner_up: Reading | None = None
    asked: bool = False

    def as_json(self) -> dict[str, Any]:
        """Plain data, as `--json` prints it."""
        return {
            "winner": self.winner.as_json(),
            "runner_up": self.runner_up.as_json() if self.runner_up is not None else None,
            "asked": self.asked,
        }


def _plain_args(args: Mapping[str, object]) -> dict[str, object]:
    return {
        key: (f"lookup: {value.text}" if isinstance(value, TitleRef) else value)
        for key, value in args.items()
    }


def _reads_more(fuller: Reading, shorter: Reading) -> bool:
    """Whether `fuller` makes every call `shorter` makes, and more."""
    more = _plain_calls(fuller.result.calls)
    fewer = _plain_calls(shorter.result.calls)
    return bool(fewer) and len(more) > len(fewer) and all(call in more for call in fewer)


def _same_effect(left: Reading, right: Reading) -> bool:
    # The same changes in another order are the same effect: "give #1 to erin and move it to
    # friday" asks nothing.
    return sorted(_plain_calls(left.result.calls)) == sorted(_plain_calls(right.result.calls))


def _plain_calls(calls: Sequence[PlannedCall]) -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (call.tool, sorted((k, repr(v)) for k, v in _plain_args(call.args).items()))
        for call in calls
    ]


def choose(readings: Iterable[Reading]) -> Trace:
    """The best reading, the runner-up with another effect, and whether to ask instead.

    Ties keep the registry's order, so the result is deterministic.
    """
    ranked = sorted(readings, key=lambda reading: -reading.score)
    if not ranked:
        raise ValueError("choose needs at least one reading")
    winner = ranked[0]
    fuller = [
        reading
        for reading in ranked[1:]
        if winner.score - reading.score < CLOSE_CALL and _reads_more(reading, winner)
    ]
    if fuller:
        # "reopen the loc one, give it to jonas and make it due fri": a reading that does all
        # one reader understood and more of what was said beats one that stops early.
        winner = max(fuller, key=lambda reading: len(reading.result.calls))
    runner_up = next((r for r in ranked if r is not winner and not _same_effect(r, winner)), None)
    asked = (
        runner_up is not None
        and (winner.intent != runner_up.intent or not _same_targets(winner, runner_up))
        and winner.writes
        and runner_up.writes
        and not _reads_more(winner, runner_up)
        and round(winner.score - runner_up.score, 3) < CLOSE_CALL
        and runner_up.score >= 0.5
    )
    return Trace(winner=winner, runner_up=runner_up, asked=asked)


def _targets(reading: Reading) -> list[object]:
    """The existing tasks a reading changes: two readings that only differ in how they split
    new work into tasks are not worth a question."""
    return [call.args.get("task_id") for call in reading.result.calls if call.tool != TOOL_CREATE]


def _same_targets(left: Reading, right: Reading) -> bool:
    """Whether two readings change the same tasks. Title words where one set holds the other
    name the same task ("sd card crash" and "gg sd card crash"): the lookup finds it by the
    words both share."""
    ours, theirs = _targets(left), _targets(right)
    return len(ours) == len(theirs) and all(
        _same_target(one, other) for one, other in zip(ours, theirs, strict=True)
    )


def _same_target(one: object, other: object) -> bool:
    if isinstance(one, TitleRef) and isinstance(other, TitleRef):
        words, others = set(one.text.split()), set(other.text.split())
        return words <= others or others <= words
    return repr(one) == repr(other)


def question_for(first: Reading, second: Reading) -> str:
    """One short question naming both readings: "Make #1 urgent, or add a task called “1”?"."""
    left = describe_calls(first.result.calls)
    right = describe_calls(second.result.calls)
    return f"{left[:1].upper()}{left[1:]}, or {right}?"


def describe_calls(calls: Sequence[PlannedCall]) -> str:
    """What calls would do, in a few words: "make #1 urgent", "add a task called “1”"."""
    return " and ".join(_describe(call) for call in calls)


def _target(call: PlannedCall) -> str:
    task_id = call.args.get("task_id")
    if isinstance(task_id, TitleRef):
        return f"the “{task_id.text}” task"
    return f"#{task_id}"


def _describe(call: PlannedCall) -> str:
    args = call.args
    if call.tool == TOOL_CREATE:
        return f"add a task called “{args.get('title', '')}”"
    if call.tool == TOOL_ASSIGN:
        return f"give {_target(call)} to {args.get('assignee')}"
    if call.tool == TOOL_DELETE:
        return f"delete {_target(call)}"
    if call.tool == TOOL_LIST:
        return "list tasks"
    changes: list[str] = []
    status = args.get("status")
    if status == "done":
        changes.append("mark {t} done")
    elif status == "open":
        changes.append("reopen {t}")
    elif status == "in_progress":
        changes.append("mark {t} started")
    elif status == "cancelled":
        changes.append("cancel {t}")
    if args.get("priority"):
        changes.append(f"make {{t}} {args['priority']}")
    if args.get("due"):
        changes.append(f"move {{t}} to {args['due']}")
    if args.get("title"):
        changes.append(f"rename {{t}} to “{args['title']}”")
    if not changes:
        changes.append("change {t}")
    target = _target(call)
    return " and ".join(change.format(t=target) for change in changes)


def explain_json(trace: Mapping[str, Any]) -> str:
    """A trace from `Trace.as_json` (the `trace` field of `--json`), told for people."""
    lines: list[str] = []
    for label, key in (("read as", "winner"), ("runner-up", "runner_up")):
        reading = trace.get(key)
        if not isinstance(reading, Mapping):
            if key == "runner_up":
                lines.append("runner-up: none (no other reader understood it)")
            continue
        item = cast("Mapping[str, Any]", reading)
        calls = cast("list[Mapping[str, Any]]", item.get("calls") or [])
        said = "; ".join(f"{call.get('tool')}({_args_text(call.get('args'))})" for call in calls)
        what = said or f"reply “{item.get('reply')}”"
        why = f", {item.get('why')}" if item.get("why") else ""
        lines.append(f"{label}: {what} [{item.get('reader')}, score {item.get('score')}{why}]")
    if trace.get("asked"):
        lines.append("the two readings were too close to call, so I asked instead of acting")
    return "\n".join(lines)


def _args_text(args: object) -> str:
    if not isinstance(args, Mapping):
        return ""
    items = cast("Mapping[str, object]", args)
    return ", ".join(f"{key}={value!r}" for key, value in items.items())
