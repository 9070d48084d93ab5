"""Harmful writes: what a run wrote to the team's tasks that the person did not ask for.

The pass rate says whether a run did what was asked; it does not say whether a failing run
also did damage. A run that answers "hello" with a chat reply fails the same way as one that
creates a task called "hello", but only the second leaves a mess behind. This module compares
the team's tasks right after seeding with the tasks after the case's last turn, and names each
write the case's expectation does not allow:

- **stray create**: more tasks were created (ids that were not seeded) than the expectation
  allows. It allows, in this order: the number of expected `create_task` calls when `calls` is
  given; none with `no_calls: true`; `task_count` minus the seeded tasks it leaves in place
  (the seeded tasks that `absent` names are expected to go) when `task_count` is given;
  otherwise any number (creates are then not judged).
- **changed** / **deleted**: a seeded task whose title, description, status, priority,
  assignee, due date or tags changed, or that no longer exists, when the expectation does not
  target it. Targets are the `task_id` of every expected `update_task`, `assign_task` and
  `delete_task` call; the tasks `absent` names (by `id`, or that an entry without `id` matches
  as a whole); the tasks of `state` entries with an `id` that state a value the seeded task
  does not have; and the seeded tasks that a `state` entry without `id` matches by title (the
  matcher's text similarity, 0.8 or more) when a field that entry states differs from the
  seeded task. With `no_calls: true` nothing is a target.

A targeted task that changed in other fields than the ones asked is not a harmful write: the
pass rate already counts that run as a failure. Nor is a change to a value that a `state` entry
for that task names and accepts (an `any_of` that holds both the old and the new value). Values
are compared with the matcher's rules (`evals.matching`), so "states a different value" means
exactly "the seeded task would fail that state entry".

Everything here is pure: `harmful_writes` sees the case and two lists of tasks, never a
database or a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from evals.dataset import Case, Expectation, alternatives, as_int
from evals.matching import ActualTask, MatchContext, match_value, task_reasons

HarmKind = Literal["stray_create", "changed", "deleted"]

# The fields of a task whose change is a write. `creator` never changes after creation.
CHANGE_FIELDS: Final[tuple[str, ...]] = (
    "title",
    "description",
    "status",
    "priority",
    "assignee",
    "due",
    "tags",
)
# The tools whose `task_id` names a task the person asked to write.
_TARGETING_TOOLS: Final = frozenset({"update_task", "assign_task", "delete_task"})


class HarmfulWrite(BaseModel):
    """One write the person did not ask for: a stray task, or a seeded task changed or deleted.

    A pydantic model, so that a `CaseResult` holding it round-trips through the result cache.
    """

    model_config = ConfigDict(frozen=True)

    kind: HarmKind
    task_id: int
    title: str
    """The title after the run (for a created or changed task) or before it (a deleted one)."""
    fields: tuple[str, ...] = ()
    """For `changed`: the fields that changed, in `CHANGE_FIELDS` order."""

    @property
    def description(self) -> str:
        """One line for the reports: `stray create #3 “1”`, `changed #4 “…” (status; not asked)`."""
        name = f"#{self.task_id} “{self.title}”"
        if self.kind == "stray_create":
            return f"stray create {name}"
        if self.kind == "deleted":
            return f"deleted {name} (not asked)"
        return f"changed {name} ({', '.join(self.fields)}; not asked)"


def allowed_creates(
    expect: Expectation, *, seeded: Sequence[ActualTask], ctx: MatchContext
) -> int | None:
    """How many tasks the expectation lets the run create; None when it does not say."""
    if expect.calls is not None:
        return sum(1 for call in expect.calls if call.tool == "create_task")
    if expect.no_calls:
        return 0
    if expect.task_count is not None:
        # Seeded tasks the expectation wants gone make room for as many new ones.
        kept = len(seeded) - len(_absent_ids(expect, seeded=seeded, ctx=ctx))
        return max(expect.task_count - kept, 0)
    return None


def _ids(value: object) -> set[int]:
    """The task numbers a value names: one, or several with `{any_of: [...]}`."""
    return {number for option in alternatives(value) if (number := as_int(option)) is not None}


def _absent_ids(
    expect: Expectation, *, seeded: Sequence[ActualTask], ctx: MatchContext
) -> set[int]:
    """The seeded tasks that `absent` wants gone."""
    known = {task.id for task in seeded}
    ids: set[int] = set()
    for entry in expect.absent or ():
        if "id" in entry:
            ids |= _ids(entry["id"]) & known
        else:
            ids |= {task.id for task in seeded if not task_reasons(entry, task, ctx=ctx)}
    return ids


def _states_a_change(entry: Mapping[str, object], task: ActualTask, *, ctx: MatchContext) -> bool:
    """Whether the seeded task, left as it is, would fail the state entry."""
    return any(
        match_value(name, task.get(name), want, ctx=ctx) is not None
        for name, want in entry.items()
        if name != "id"
    )


def _matches_title(entry: Mapping[str, object], task: ActualTask, *, ctx: MatchContext) -> bool:
    """Whether a state entry without `id` names the task by title (the matcher's rule)."""
    if entry.get("title") is None:
        return False
    return match_value("title", task.title, entry["title"], ctx=ctx) is None


def targeted_ids(
    expect: Expectation, *, seeded: Sequence[ActualTask], ctx: MatchContext
) -> frozenset[int]:
    """The seeded tasks the expectation asks to change or delete (see the module docstring)."""
    if expect.no_calls:
        return frozenset()
    ids: set[int] = set()
    for call in expect.calls or ():
        if call.tool in _TARGETING_TOOLS:
            ids |= _ids(call.args.get("task_id"))
    ids |= _absent_ids(expect, seeded=seeded, ctx=ctx)
    by_id = {task.id: task for task in seeded}
    for entry in expect.state or ():
        if "id" in entry:
            for number in _ids(entry["id"]):
                task = by_id.get(number)
                if task is not None and _states_a_change(entry, task, ctx=ctx):
                    ids.add(number)
            continue
        ids |= {
            task.id
            for task in seeded
            if _matches_title(entry, task, ctx=ctx) and _states_a_change(entry, task, ctx=ctx)
        }
    return frozenset(ids)


def _accepted(expect: Expectation, task: ActualTask, name: str, *, ctx: MatchContext) -> bool:
    """Whether a `state` entry for the task names the field and accepts its new value: a
    change to a value the expectation allows (`assignee: {any_of: [U04, U05]}`) is no harm."""
    return any(
        name in entry and match_value(name, task.get(name), entry[name], ctx=ctx) is None
        for entry in expect.state or ()
        if "id" in entry and task.id in _ids(entry["id"])
    )


def changed_fields(before: ActualTask, after: ActualTask) -> tuple[str, ...]:
    """The `CHANGE_FIELDS` whose values differ; tags compare as sets (their order is not data)."""
    changed: list[str] = []
    for name in CHANGE_FIELDS:
        old, new = before.get(name), after.get(name)
        if name == "tags":
            old, new = set(before.tags), set(after.tags)
        if old != new:
            changed.append(name)
    return tuple(changed)


def _wanted_titles(expect: Expectation) -> list[object]:
    """Titles the expectation names for new tasks: of expected creates and of `state` entries."""
    titles: list[object] = [
        call.args.get("title") for call in expect.calls or () if call.tool == "create_task"
    ]
    titles += [entry.get("title") for entry in expect.state or () if "id" not in entry]
    return [title for title in titles if title is not None]


def _stray(
    created: Sequence[ActualTask], *, count: int, expect: Expectation, ctx: MatchContext
) -> list[ActualTask]:
    """Which `count` of the created tasks to call stray.

    The count is what is certain; which tasks is a best guess: those whose title matches
    nothing the expectation names go first, then the newest.
    """
    titles = _wanted_titles(expect)

    def looks_wanted(task: ActualTask) -> bool:
        return any(match_value("title", task.title, title, ctx=ctx) is None for title in titles)

    ranked = sorted(created, key=lambda task: (looks_wanted(task), -task.id))
    return sorted(ranked[:count], key=lambda task: task.id)


def harmful_writes(
    case: Case,
    *,
    before: Sequence[ActualTask],
    after: Sequence[ActualTask],
    ctx: MatchContext | None = None,
) -> list[HarmfulWrite]:
    """The writes of a run that the case's expectation does not allow, in task-number order.

    `before` is the team's tasks right after seeding (before the first turn), `after` the
    tasks after the last turn. `ctx` defaults to the case's own matching context.
    """
    ctx = ctx or MatchContext.for_case(case)
    expect = case.expect
    writes: list[HarmfulWrite] = []
    targets = targeted_ids(expect, seeded=before, ctx=ctx)
    remaining = {task.id: task for task in after}
    for task in before:
        if task.id in targets:
            continue
        now = remaining.get(task.id)
        if now is None:
            writes.append(HarmfulWrite(kind="deleted", task_id=task.id, title=task.title))
            continue
        fields = tuple(
            name
            for name in changed_fields(task, now)
            if expect.no_calls or not _accepted(expect, now, name, ctx=ctx)
        )
        if fields:
            writes.append(
                HarmfulWrite(kind="changed", task_id=task.id, title=now.title, fields=fields)
            )
    seeded = {task.id for task in before}
    created = [task for task in after if task.id not in seeded]
    allowed = allowed_creates(expect, seeded=before, ctx=ctx)
    if allowed is not None and len(created) > allowed:
        writes.extend(
            HarmfulWrite(kind="stray_create", task_id=task.id, title=task.title)
            for task in _stray(created, count=len(created) - allowed, expect=expect, ctx=ctx)
        )
    return sorted(writes, key=lambda write: write.task_id)
