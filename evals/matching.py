# Over 500 lines: the matching rules of the eval format (the brief's "Matching"), one per
# kind of argument, kept together so that they read as one specification.
"""The matching rules of `taskpilot-evals/v1`: does what happened meet what a case expects?

Everything here is pure: the matcher sees the calls the model made and the tasks that exist
afterwards, never a database or a model, so the rules can be tested on their own.

The rules, field by field:

- `title`, `description`, `query`: both sides are normalized (lowercased, punctuation removed,
  the articles a/an/the dropped, whitespace collapsed) and pass at a token-set similarity of
  0.8 or more (`token_set_similarity`).
- `due`, `due_before`, `due_after`: the actual value is resolved the way the tool resolves it
  (`tasks.due_dates.resolve_due` at the case's `now`, in the case's zone). An expectation without a
  time compares the calendar date; one with a time compares the datetime to the minute.
- `assignee`, `creator`: both sides are resolved to a user id against the case's users
  (`resolve_user_ref`). An expected reference that names nobody, or several people, is there
  to test the tool's error; the model must then pass on the same words (`@zed` for `zed`).
- `task_id`, `id`: whole numbers; 7, "7" and "#7" are the same.
- `tags`: sets of tags, lowercased, without a leading "#".
- `limit`: a whole number. `status`, `priority` and anything else: exact equality.
- `{any_of: [a, b]}` accepts any of the values; `null` among them also accepts an argument
  that was left out. A plain `null` means the argument must be left out (or be null).
- In a call, an argument the expectation does not name must be absent, null or equal to the
  tool's default (`limit` 20, everything else null).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Final, Literal, Protocol

from pydantic import BaseModel
from rapidfuzz import fuzz

from evals.dataset import (
    FIELD_KINDS,
    TOOLS,
    Case,
    Expectation,
    ExpectedCall,
    SeedUser,
    alternatives,
    as_int,
    localize,
    parse_when,
)
from tasks.directory import MENTION, SLACK_ID, clean_reference, fold, match_people
from tasks.models import DirectoryUser
from tasks.vocabulary import SELF_WORDS

SIMILARITY_THRESHOLD: Final = 0.8
ARTICLES: Final = frozenset({"a", "an", "the"})
# Apostrophes join a word ("don't" -> "dont"); every other punctuation mark splits words.
_APOSTROPHES: Final = frozenset("'`\u2018\u2019\u02bc")

CheckKind = Literal["call", "no_calls", "state", "absent", "task_count", "error"]


class Check(BaseModel):
    """One expectation checked: whether it holds and, in words, why or why not."""

    kind: CheckKind
    passed: bool
    reason: str


@dataclass(frozen=True, kw_only=True)
class ActualCall:
    """A tool call the model made, with its arguments as the model sent them."""

    tool: str
    args: Mapping[str, object] = field(default_factory=dict[str, object])
    ok: bool = True


@dataclass(frozen=True, kw_only=True)
class ActualTask:
    """A task as it exists after a case.

    `due` is a `date` for an all-day task and an aware `datetime` otherwise.
    """

    id: int
    title: str
    description: str | None = None
    status: str = "open"
    priority: str = "normal"
    assignee: str | None = None
    creator: str | None = None
    due: date | datetime | None = None
    tags: Sequence[str] = ()

    def get(self, name: str) -> object:
        """The value of a task field by its dataset name."""
        values: dict[str, object] = {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "status": self.status,
            "priority": self.priority,
            "assignee": self.assignee,
            "creator": self.creator,
            "due": self.due,
            "tags": list(self.tags),
        }
        return values.get(name)

    def label(self) -> str:
        """A short name for reasons: `#7 'Call the bank'`."""
        return f"#{self.id} {self.title!r}"


class DueResolver(Protocol):
    """Resolves a due phrase or ISO string at `now`; raises `ValueError` when it cannot.

    Returns a `date` for an all-day value and an aware `datetime` otherwise.
    """

    def __call__(self, text: str, *, now: datetime) -> date | datetime: ...


def resolve_due_with_tasks(text: str, *, now: datetime) -> date | datetime:
    """The tools' own resolution (`tasks.due_dates.resolve_due`), as a `DueResolver`."""
    # Imported here so that loading and linting datasets does not need the task domain.
    from tasks.due_dates import resolve_due
    from tasks.errors import DueDateError

    try:
        resolved = resolve_due(text, now=now)
    except DueDateError as error:
        raise ValueError(str(error)) from error
    at = resolved.at.astimezone(now.tzinfo)
    return at.date() if resolved.all_day else at


def shifted_due_with_tasks(
    text: str, *, base: date | datetime, now: datetime
) -> date | datetime | None:
    """A due shift ("+1w", "2 days later") applied to `base` as `update_task` applies it to the
    task's current due date; None when `text` is no shift."""
    from tasks.due_dates import ResolvedDue, parse_due_shift
    from tasks.errors import DueDateError

    try:
        shift = parse_due_shift(text)
    except DueDateError:
        return None
    if shift is None:
        return None
    tz = now.tzinfo
    if isinstance(base, datetime):
        current = ResolvedDue(at=base, all_day=False, in_past=False)
    else:
        at = datetime(base.year, base.month, base.day, tzinfo=tz)
        current = ResolvedDue(at=at, all_day=True, in_past=False)
    try:
        moved = shift.apply(current, now=now)
    except DueDateError:
        return None
    at = moved.at.astimezone(tz)
    return at.date() if moved.all_day else at


@dataclass(frozen=True, kw_only=True)
class MatchContext:
    """What the rules need to know about a case: its clock, its speaker, its people, and the
    due dates its tasks had before the turns (a due shift counts from them)."""

    now: datetime
    actor_id: str
    users: Sequence[SeedUser]
    resolve_due: DueResolver = resolve_due_with_tasks
    seeded_dues: Mapping[int, date | datetime] = field(default_factory=dict[int, "date | datetime"])

    @classmethod
    def for_case(cls, case: Case, *, resolve_due: DueResolver | None = None) -> MatchContext:
        """The context of a loaded case."""
        return cls(
            now=case.now,
            actor_id=case.actor,
            users=case.users,
            resolve_due=resolve_due or resolve_due_with_tasks,
            seeded_dues={task.id: task.due for task in case.tasks if task.due is not None},
        )


# Text.


def normalize_text(text: str) -> str:
    """Lowercase, drop punctuation and the articles a/an/the, and collapse whitespace."""
    folded = "".join(ch for ch in text.casefold() if ch not in _APOSTROPHES)
    spaced = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in folded)
    return " ".join(word for word in spaced.split() if word not in ARTICLES)


def token_set_similarity(left: str, right: str) -> float:
    """How alike two texts are, from 0.0 to 1.0, ignoring word order and repeated words.

    Both texts are normalized, split into their sets of words, and each set is sorted and
    joined with spaces; the similarity is the Indel similarity of the two strings
    (`rapidfuzz.fuzz.ratio` / 100: one minus the share of characters that must be inserted or
    deleted). This is rapidfuzz's `token_set_ratio` without its subset shortcut, which would
    score "renew" against "renew TLS certificate" as a perfect 1.0. A missing or extra word
    costs in proportion to its length, and a changed word form ("cert" for "certificate")
    costs only the letters that differ. Two empty texts are identical (1.0).
    """
    left_words = " ".join(sorted(set(normalize_text(left).split())))
    right_words = " ".join(sorted(set(normalize_text(right).split())))
    if not left_words and not right_words:
        return 1.0
    return fuzz.ratio(left_words, right_words) / 100


# People.


class UnresolvedUserError(ValueError):
    """A person reference that names nobody, or several people, among the case's users."""


def _ref_text(ref: str) -> str:
    return fold(clean_reference(ref).lstrip("@"))


def _as_directory_user(user: SeedUser) -> DirectoryUser:
    # A transient row, never saved: the directory's own matching then decides.
    return DirectoryUser(
        team_id="eval",
        user_id=user.id,
        handle=user.name,
        real_name=user.real_name,
        display_name=user.display_name,
    )


def resolve_user_ref(ref: str, *, users: Sequence[SeedUser], actor_id: str) -> str:
    """The user id a reference names, resolved the way the workspace directory resolves it.

    In order: a mention (`<@U0002>`, `<@U0002|bob>`) is its id; `me` (or `myself`) is the
    case's actor; then exact keys (a Slack id, the handle with or without `@`, the display or
    real name), then first names (of the display or real name, or the handle's first part).
    Case, accents and extra spaces do not matter. A Slack-id-shaped reference to nobody among
    the users stays as it is, so it can still equal an expected id. Raises
    `UnresolvedUserError` when the reference names nobody, or several people at one step.
    """
    said = clean_reference(ref)
    mention = MENTION.fullmatch(said)
    if mention:
        return mention.group(1).upper()
    wanted = fold(said.lstrip("@"))
    if wanted in SELF_WORDS:
        return actor_id
    if not wanted:
        raise UnresolvedUserError(f"{ref!r} names nobody")
    ids = sorted({user.user_id for user in match_people(said, map(_as_directory_user, users))})
    if len(ids) > 1:
        raise UnresolvedUserError(f"{ref!r} is ambiguous ({', '.join(ids)})")
    if ids:
        return ids[0]
    if SLACK_ID.fullmatch(said):
        return said.upper()
    raise UnresolvedUserError(f"{ref!r} names none of the case's users")


# Values.


def _show(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M%z")
    if isinstance(value, date):
        return value.isoformat()
    return repr(value)


def _when(value: object, *, ctx: MatchContext, resolve: bool) -> date | datetime:
    """An expected value (ISO) or an actual one (a phrase, resolved like the tool does)."""
    zone = ctx.now.tzinfo
    assert zone is not None
    if isinstance(value, datetime):
        return localize(value, zone)
    if isinstance(value, date):
        return value
    if resolve and isinstance(value, str):
        return ctx.resolve_due(value, now=ctx.now)
    parsed = parse_when(value)
    return localize(parsed, zone) if isinstance(parsed, datetime) else parsed


def _compare_when(actual: object, expected: object, *, ctx: MatchContext) -> str | None:
    try:
        want = _when(expected, ctx=ctx, resolve=False)
    except ValueError as error:
        return f"the expectation is not a date: {error}"
    try:
        got = _when(actual, ctx=ctx, resolve=True)
    except ValueError as error:
        return f"{actual!r} does not resolve to a date ({error})"
    shown = _show(got) if isinstance(actual, date) else f"{actual!r} -> {_show(got)}"
    if isinstance(want, datetime):
        if not isinstance(got, datetime):
            return f"{shown} is all-day but {_show(want)} has a time"
        zone = want.tzinfo
        if got.astimezone(zone).replace(second=0, microsecond=0) != want.replace(
            second=0, microsecond=0
        ):
            return f"{shown} vs {_show(want)}"
        return None
    got_day = got.astimezone(ctx.now.tzinfo).date() if isinstance(got, datetime) else got
    return None if got_day == want else f"{shown} vs {_show(want)}"


def _compare_user(actual: object, expected: object, *, ctx: MatchContext) -> str | None:
    if not isinstance(actual, str):
        return f"{actual!r} is not a person reference"
    try:
        want = resolve_user_ref(str(expected), users=ctx.users, actor_id=ctx.actor_id)
    except UnresolvedUserError:
        # The case expects a reference to nobody (or to several people), so that the tool
        # answers with an error: the model must pass on the same words.
        if _ref_text(actual) == _ref_text(str(expected)):
            return None
        return f"{actual!r} vs {str(expected)!r} (a name that resolves to no one user)"
    try:
        got = resolve_user_ref(actual, users=ctx.users, actor_id=ctx.actor_id)
    except UnresolvedUserError as error:
        return f"{error}; expected {want}"
    if got == want:
        return None
    shown = got if actual == got else f"{actual!r} -> {got}"
    return f"{shown} vs {want}"


def _tag_set(value: object) -> frozenset[str] | None:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        items: list[object] = list(value.split(","))
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)  # pyright: ignore[reportUnknownArgumentType]
    else:
        return None
    if not all(isinstance(item, str) for item in items):
        return None
    tags = (str(item).strip().lstrip("#").strip().casefold() for item in items)
    return frozenset(tag for tag in tags if tag)


def compare_value(name: str, actual: object, expected: object, *, ctx: MatchContext) -> str | None:
    """None when an actual value meets one expected value, else why not (without a prefix).

    `expected` is a single value, never `{any_of: ...}` nor None; see `match_value`.
    """
    kind = FIELD_KINDS.get(name)
    if kind == "text":
        if not isinstance(actual, str):
            return f"{actual!r} is not text"
        similarity = token_set_similarity(actual, str(expected))
        if similarity >= SIMILARITY_THRESHOLD - 1e-9:
            return None
        shown = math.floor(similarity * 100) / 100
        return (
            f"{normalize_text(actual)!r} vs {expected!r} "
            f"similarity {shown:.2f} < {SIMILARITY_THRESHOLD}"
        )
    if kind == "when":
        return _compare_when(actual, expected, ctx=ctx)
    if kind == "user":
        return _compare_user(actual, expected, ctx=ctx)
    if kind in ("task_id", "int"):
        got, want = as_int(actual), as_int(expected)
        return None if got is not None and got == want else f"{actual!r} vs {expected!r}"
    if kind == "tags":
        got_tags, want_tags = _tag_set(actual), _tag_set(expected)
        if got_tags is not None and got_tags == want_tags:
            return None
        return (
            f"{sorted(got_tags) if got_tags is not None else actual!r} vs {sorted(want_tags or ())}"
        )
    return None if actual == expected else f"{actual!r} vs {expected!r}"


def match_value(name: str, actual: object, expected: object, *, ctx: MatchContext) -> str | None:
    """None when an actual value (None when left out) meets an expectation, else why not.

    The expectation may be a value, None (must be left out) or `{any_of: [...]}`.
    """
    options = alternatives(expected)
    reasons: list[str] = []
    for option in options:
        if option is None:
            if actual is None:
                return None
            reasons.append(f"{actual!r} but expected it left out")
            continue
        if actual is None:
            reasons.append(f"left out but expected {_show(option)}")
            continue
        reason = compare_value(name, actual, option, ctx=ctx)
        if reason is None:
            return None
        reasons.append(reason)
    if len(reasons) == 1:
        return reasons[0]
    shown = ", ".join("null" if option is None else _show(option) for option in options)
    return f"{_show(actual) if actual is not None else 'left out'} matches none of [{shown}]"


# Calls.


def _call_text(call: ActualCall) -> str:
    args = ", ".join(f"{name}={value!r}" for name, value in call.args.items())
    return f"{call.tool}({args})"


def _with_shift_resolved(actual: ActualCall, *, ctx: MatchContext) -> ActualCall:
    """An `update_task` whose `due` is a shift ("+1w"), with the date it moves the task to."""
    due = actual.args.get("due")
    task_id = as_int(actual.args.get("task_id"))
    if actual.tool != "update_task" or not isinstance(due, str) or task_id is None:
        return actual
    base = ctx.seeded_dues.get(task_id)
    moved = shifted_due_with_tasks(due, base=base, now=ctx.now) if base is not None else None
    if moved is None:
        return actual
    return replace(actual, args={**actual.args, "due": moved.isoformat()})


def _call_reasons(expected: ExpectedCall, actual: ActualCall, *, ctx: MatchContext) -> list[str]:
    """Why an actual call does not meet an expected one; empty when it does."""
    if expected.tool != actual.tool:
        return [f"expected {expected.tool}, got {_call_text(actual)}"]
    actual = _with_shift_resolved(actual, ctx=ctx)
    spec = TOOLS.get(actual.tool)
    defaults: Mapping[str, object] = spec.defaults if spec else {}
    reasons: list[str] = []
    for name, want in expected.args.items():
        reason = match_value(name, actual.args.get(name), want, ctx=ctx)
        if reason:
            reasons.append(f"{actual.tool}.{name} {reason}")
    for name, value in actual.args.items():
        if name in expected.args or value is None:
            continue
        if spec is not None and name not in spec.args:
            reasons.append(f"{actual.tool}.{name} {value!r} is not an argument of {actual.tool}")
            continue
        default = defaults.get(name)
        is_default = default is not None and (
            value == default or (isinstance(default, int) and as_int(value) == default)
        )
        if not is_default:
            reasons.append(
                f"{actual.tool}.{name} {value!r} was not expected (expected it left out)"
            )
    return reasons


def match_calls(
    expected: Sequence[ExpectedCall], actual: Sequence[ActualCall], *, ctx: MatchContext
) -> list[Check]:
    """The expected calls against the actual ones: same length, same tool per position, args."""
    checks: list[Check] = []
    for index in range(max(len(expected), len(actual))):
        label = f"call {index + 1}"
        if index >= len(actual):
            want = expected[index]
            reason = f"{label}: missing {want.tool} call (the model made {len(actual)} calls)"
            checks.append(Check(kind="call", passed=False, reason=reason))
            continue
        got = actual[index]
        if index >= len(expected):
            reason = f"{label}: unexpected extra call {_call_text(got)}"
            checks.append(Check(kind="call", passed=False, reason=reason))
            continue
        reasons = _call_reasons(expected[index], got, ctx=ctx)
        checks.extend(
            Check(kind="call", passed=False, reason=f"{label}: {reason}") for reason in reasons
        )
        if not reasons:
            checks.append(Check(kind="call", passed=True, reason=f"{label}: {got.tool} matches"))
    if not expected and not actual:
        checks.append(Check(kind="call", passed=True, reason="calls: no calls, as expected"))
    return checks


def match_no_calls(actual: Sequence[ActualCall]) -> Check:
    """`no_calls: true`: the turn must call no tool."""
    if not actual:
        return Check(kind="no_calls", passed=True, reason="no_calls: no tool was called")
    names = ", ".join(call.tool for call in actual)
    count = len(actual)
    reason = f"no_calls: expected no tool calls, got {count}: {names}"
    return Check(kind="no_calls", passed=False, reason=reason)


# State.


def _entry_text(entry: Mapping[str, object]) -> str:
    return "{" + ", ".join(f"{name}: {_show(value)}" for name, value in entry.items()) + "}"


def task_reasons(entry: Mapping[str, object], task: ActualTask, *, ctx: MatchContext) -> list[str]:
    """Why a task does not meet a state entry, field by field; empty when it does."""
    reasons: list[str] = []
    for name, want in entry.items():
        reason = match_value(name, task.get(name), want, ctx=ctx)
        if reason:
            reasons.append(f"{name} {reason}")
    return reasons


def _max_matching(compatible: Sequence[Sequence[int]], task_count: int) -> list[int | None]:
    """A maximum matching of entries to distinct tasks (augmenting paths); task per entry."""
    owner: list[int | None] = [None] * task_count

    def assign(entry: int, seen: set[int]) -> bool:
        for task in compatible[entry]:
            if task in seen:
                continue
            seen.add(task)
            current = owner[task]
            if current is None or assign(current, seen):
                owner[task] = entry
                return True
        return False

    for entry in range(len(compatible)):
        assign(entry, set())
    chosen: list[int | None] = [None] * len(compatible)
    for task, entry in enumerate(owner):
        if entry is not None:
            chosen[entry] = task
    return chosen


def match_state(
    entries: Sequence[Mapping[str, object]], tasks: Sequence[ActualTask], *, ctx: MatchContext
) -> list[Check]:
    """Each state entry must match one distinct task."""
    reasons = [[task_reasons(entry, task, ctx=ctx) for task in tasks] for entry in entries]
    compatible = [[i for i, found in enumerate(row) if not found] for row in reasons]
    chosen = _max_matching(compatible, len(tasks))
    checks: list[Check] = []
    for index, entry in enumerate(entries):
        label = f"state {index + 1} {_entry_text(entry)}"
        task_index = chosen[index]
        if task_index is not None:
            reason = f"{label}: matches task {tasks[task_index].label()}"
            checks.append(Check(kind="state", passed=True, reason=reason))
            continue
        if compatible[index]:
            taken = ", ".join(tasks[i].label() for i in compatible[index])
            reason = f"{label}: its matching tasks ({taken}) already match other entries"
        elif not tasks:
            reason = f"{label}: no task exists"
        else:
            closest = min(range(len(tasks)), key=lambda i: len(reasons[index][i]))
            differences = "; ".join(reasons[index][closest])
            reason = (
                f"{label}: no task matches; closest {tasks[closest].label()} differs: {differences}"
            )
        checks.append(Check(kind="state", passed=False, reason=reason))
    return checks


def match_absent(
    entries: Sequence[Mapping[str, object]], tasks: Sequence[ActualTask], *, ctx: MatchContext
) -> list[Check]:
    """Each absent entry must match no task."""
    checks: list[Check] = []
    for index, entry in enumerate(entries):
        label = f"absent {index + 1} {_entry_text(entry)}"
        found = [task for task in tasks if not task_reasons(entry, task, ctx=ctx)]
        if found:
            still = ", ".join(task.label() for task in found)
            reason = f"{label}: {still} still exist{'s' if len(found) == 1 else ''}"
            checks.append(Check(kind="absent", passed=False, reason=reason))
        else:
            checks.append(Check(kind="absent", passed=True, reason=f"{label}: no such task"))
    return checks


def match_task_count(expected: int, tasks: Sequence[ActualTask]) -> Check:
    """The team has exactly the expected number of tasks."""
    count = len(tasks)
    if count == expected:
        return Check(kind="task_count", passed=True, reason=f"task_count: {count}")
    return Check(
        kind="task_count",
        passed=False,
        reason=f"task_count: {count} tasks, expected {expected}",
    )


def match_case(
    expect: Expectation,
    *,
    calls: Sequence[ActualCall],
    tasks: Sequence[ActualTask],
    ctx: MatchContext,
) -> list[Check]:
    """Every expectation the case states, checked; the case passes when all checks pass."""
    checks: list[Check] = []
    if expect.calls is not None:
        checks.extend(match_calls(expect.calls, calls, ctx=ctx))
    if expect.no_calls:
        checks.append(match_no_calls(calls))
    if expect.state is not None:
        checks.extend(match_state(expect.state, tasks, ctx=ctx))
    if expect.absent is not None:
        checks.extend(match_absent(expect.absent, tasks, ctx=ctx))
    if expect.task_count is not None:
        checks.append(match_task_count(expect.task_count, tasks))
    return checks


def all_passed(checks: Sequence[Check]) -> bool:
    """True when every check holds (and there is at least one)."""
    return bool(checks) and all(check.passed for check in checks)
