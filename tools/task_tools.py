"""The five tools the model calls. Names and argument names are part of the eval contract."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic_ai import ApprovalRequired, ModelRetry, RunContext, Tool
from sqlmodel import Session

from tasks.cards import TaskCard, task_card, task_cards
from tasks.directory import UserDirectory
from tasks.due_dates import DueShift, ResolvedDue, due_in_past, due_of, parse_due_shift, resolve_due
from tasks.errors import AmbiguousUser, TaskError, UnknownUser
from tasks.listing import StatusGroup, statuses_for
from tasks.models import DirectoryUser, Task, TaskPriority, TaskStatus
from tasks.service import TaskService
from tools.schema import compact_tool
from tools.tool_deps import ToolDeps

Priority = Literal["low", "normal", "high", "urgent"]
Status = Literal["open", "in_progress", "done", "cancelled"]
# A status, or a group of them (`tasks.listing.STATUS_GROUPS`).
StatusFilter = Literal[Status, StatusGroup]
ToolResult = dict[str, Any]

_DEFAULT_LIST_LIMIT = 20
_MAX_LIST_LIMIT = 100


class TaskGoneInTurn(TaskError):
    """A call on a task this turn deleted, or is waiting to delete: it does not run."""

    kind = "deleted_in_turn"


@contextmanager
def _transaction(deps: ToolDeps) -> Generator[Session]:
    """One transaction per tool call: everything the call wrote lands, or nothing does."""
    with deps.session_factory() as session, session.begin():
        yield session


def _service(session: Session, deps: ToolDeps) -> TaskService:
    return TaskService(
        session,
        team_id=deps.team_id,
        actor_id=deps.actor_id,
        source=deps.source,
        request_id=deps.request_id,
        replayable=deps.replayable,
        grants=deps.grants,
        api_key=deps.api_key,
    )


def _failure(error: TaskError) -> ToolResult:
    result: ToolResult = {"ok": False, "error": str(error), "kind": error.kind}
    if isinstance(error, UnknownUser | AmbiguousUser):
        result["candidates"] = list(error.candidates)
    return result


def _card(session: Session, deps: ToolDeps, task: Task) -> TaskCard:
    return task_card(
        task, tz=deps.now.tzinfo, directory=UserDirectory(session, team_id=deps.team_id)
    )


def _task_result(card: TaskCard, *, past_due: bool) -> ToolResult:
    result: ToolResult = {"ok": True, "task": card}
    if past_due:
        result["warning"] = "The due date is in the past."
    return result


def _check_still_here(deps: ToolDeps, number: int) -> None:
    """Refuse a call on a task that this turn deleted or asked to delete."""
    reason = deps.deletions.why_untouchable(number)
    if reason is not None:
        raise TaskGoneInTurn(reason)


def _task_number(task_id: int | str) -> int:
    """Accept 7, "7" and "#7"; anything else is the model's mistake to correct."""
    if isinstance(task_id, int):
        number = task_id
    else:
        text = task_id.strip().lstrip("#")
        if not text.isdigit():
            raise ModelRetry(
                f"task_id must be a task number such as 7, not {task_id!r}. "
                "Call list_tasks with a query to find the number first."
            )
        number = int(text)
    if number < 1:
        raise ModelRetry("task_id must be a positive task number.")
    return number


def _resolve_user(session: Session, deps: ToolDeps, ref: str) -> DirectoryUser:
    directory = UserDirectory(session, team_id=deps.team_id)
    return directory.resolve(ref, actor_id=deps.actor_id)


def _resolve_due(deps: ToolDeps, text: str) -> ResolvedDue:
    return resolve_due(text, now=deps.now)


def _clean_tags(tags: list[str] | None) -> list[str] | None:
    if tags is None:
        return None
    return [tag for tag in (t.strip() for t in tags) if tag]


def create_task(
    ctx: RunContext[ToolDeps],
    title: str,
    description: str | None = None,
    assignee: str | None = None,
    due: str | None = None,
    priority: Priority | None = None,
    tags: list[str] | None = None,
) -> ToolResult:
    """Create one task; call once per task. Pass only what the person said.

    Args:
        title: What to do, in their words, without who/when/priority ("Send the Q3 deck").
        description: Extra details they gave.
        assignee: Who does it, as written: <@U02ABC>, @handle, name or "me".
        due: When, as said: "friday", "tomorrow 5pm", "2026-12-01".
        priority: Only if they gave one.
        tags: Labels, without "#".
    """
    deps = ctx.deps
    try:
        # The ordinal is counted once the transaction has committed; a re-run of a Slack
        # event's turn gets the task its earlier run created (same card, no second one).
        with deps.creates.next() as ordinal, _transaction(deps) as session:
            assignee_id = _resolve_user(session, deps, assignee).user_id if assignee else None
            resolved = _resolve_due(deps, due) if due else None
            task = _service(session, deps).create_task(
                title=title,
                description=description,
                assignee_id=assignee_id,
                due=resolved,
                priority=TaskPriority(priority) if priority else TaskPriority.normal,
                tags=_clean_tags(tags) or (),
                source_channel=deps.channel_id,
                source_thread=deps.thread_ts,
                ordinal=ordinal,
            )
            card = _card(session, deps, task)
    except TaskError as error:
        return _failure(error)
    return _task_result(card, past_due=resolved is not None and resolved.in_past)


def update_task(
    ctx: RunContext[ToolDeps],
    task_id: int | str,
    title: str | None = None,
    description: str | None = None,
    due: str | None = None,
    priority: Priority | None = None,
    status: Status | None = None,
    tags: list[str] | None = None,
) -> ToolResult:
    """Change a task; pass only what changes. Complete: status "done"; reopen: "open".

    Args:
        task_id: Task number.
        title: New title, only when renamed.
        description: New description.
        due: New due date as said, or a shift of it: "+2d", "a week later".
        priority: New priority.
        status: New status.
        tags: The whole new tag list, without "#".
    """
    deps = ctx.deps
    number = _task_number(task_id)
    try:
        _check_still_here(deps, number)
        with _transaction(deps) as session:
            # A shift ("+2d", "a week later") moves the task's current due date; the service
            # reads that date, so it is resolved there.
            new_due: ResolvedDue | DueShift | None = None
            if due:
                new_due = parse_due_shift(due) or _resolve_due(deps, due)
            service = _service(session, deps)
            # What the changed fields held before, so that a correction ("oops, I meant #4")
            # can put the wrong task back as it was; no names are needed, so no directory read.
            before = task_card(service.check_can_change(number=number), tz=deps.now.tzinfo)
            task = service.update_task(
                number=number,
                title=title,
                description=description,
                due=new_due,
                priority=TaskPriority(priority) if priority else None,
                status=TaskStatus(status) if status else None,
                tags=_clean_tags(tags),
            )
            card = _card(session, deps, task)
            after = due_of(task) if new_due is not None else None
    except TaskError as error:
        return _failure(error)
    asked = {
        "title": title,
        "description": description,
        "due": due,
        "priority": priority,
        "status": status,
        "tags": tags,
    }
    # The card's fields by name, as the JSON the model reads.
    was: dict[str, Any] = dict(before)
    now: dict[str, Any] = dict(card)
    previous = {
        field: was[field]
        for field, value in asked.items()
        if value is not None and was[field] != now[field]
    }
    result = _task_result(card, past_due=after is not None and due_in_past(after, now=deps.now))
    return {**result, "previous": previous}


def assign_task(ctx: RunContext[ToolDeps], task_id: int | str, assignee: str) -> ToolResult:
    """Give a task to someone, or take it ("me").

    Args:
        task_id: Task number.
        assignee: Who, as written: <@U02ABC>, @handle, name or "me".
    """
    deps = ctx.deps
    number = _task_number(task_id)
    try:
        _check_still_here(deps, number)
        with _transaction(deps) as session:
            user = _resolve_user(session, deps, assignee)
            service = _service(session, deps)
            previous = service.check_can_change(number=number).assignee_id
            task = service.assign_task(number=number, assignee_id=user.user_id)
            card = _card(session, deps, task)
    except TaskError as error:
        return _failure(error)
    # Transports tell a new assignee about the task; they need to know who had it before.
    return {"ok": True, "task": card, "previous_assignee": previous}


def _is_now(text: str | None) -> bool:
    return text is not None and text.strip().lower() in {"now", "today now", "right now"}


def _due_bound(deps: ToolDeps, text: str) -> datetime:
    """Turn a phrase into an instant; a whole day counts in full on either side."""
    resolved = _resolve_due(deps, text)
    if not resolved.all_day:
        return resolved.at
    day_start = resolved.at.replace(hour=0, minute=0, second=0, microsecond=0)
    # "due before Friday" includes Friday itself, and "due after Friday" starts on Saturday.
    return day_start + timedelta(days=1)


def list_tasks(
    ctx: RunContext[ToolDeps],
    assignee: str | None = None,
    creator: str | None = None,
    status: StatusFilter | list[StatusFilter] | None = None,
    priority: Priority | None = None,
    due_before: str | None = None,
    due_after: str | None = None,
    query: str | None = None,
    limit: int | None = _DEFAULT_LIST_LIMIT,
) -> ToolResult:
    """Find tasks, or a task's number.

    Args:
        assignee: Whose tasks, as written, or "me".
        creator: Who created them, as written, or "me".
        status: Default "active" (open, in progress); "closed", "any", a status or a list.
        priority: Only this priority.
        due_before: Due before this, as said; "now" means overdue.
        due_after: Due after this, as said.
        query: One or two distinctive words of the title.
        limit: At most this many (1-100).
    """
    deps = ctx.deps
    limit = max(1, min(_DEFAULT_LIST_LIMIT if limit is None else limit, _MAX_LIST_LIMIT))
    try:
        with _transaction(deps) as session:
            assignee_id = _resolve_user(session, deps, assignee).user_id if assignee else None
            creator_id = _resolve_user(session, deps, creator).user_id if creator else None
            tasks = _service(session, deps).list_tasks(
                assignee_id=assignee_id,
                creator_id=creator_id,
                status=statuses_for(status),
                priority=TaskPriority(priority) if priority else None,
                # "Overdue" is due before now; the service knows an all-day task due today
                # is not overdue until its day is over.
                overdue_at=deps.now if _is_now(due_before) else None,
                due_before=(
                    _due_bound(deps, due_before) if due_before and not _is_now(due_before) else None
                ),
                due_after=_due_bound(deps, due_after) if due_after else None,
                query=query.strip() if query and query.strip() else None,
                limit=limit,
            )
            directory = UserDirectory(session, team_id=deps.team_id)
            cards = task_cards(tasks, tz=deps.now.tzinfo, directory=directory)
    except TaskError as error:
        return _failure(error)
    return {"ok": True, "count": len(cards), "tasks": cards}


def delete_task(ctx: RunContext[ToolDeps], task_id: int | str) -> ToolResult:
    """Delete a task; the person confirms first, not you.

    Args:
        task_id: Task number.
    """
    deps = ctx.deps
    number = _task_number(task_id)
    try:
        if not ctx.tool_call_approved:
            _check_still_here(deps, number)
        with _transaction(deps) as session:
            service = _service(session, deps)
            if not ctx.tool_call_approved:
                # Check existence and permission before asking, so that nobody is asked to
                # confirm something they are not allowed to do.
                task = service.check_can_delete(number=number)
                # Until the person answers, no later call of this turn acts on the task.
                deps.deletions.awaiting(task.number)
                raise ApprovalRequired(metadata={"id": task.number, "title": task.title})
            deleted = service.delete_task(number=number)
            summary = {"id": deleted.number, "title": deleted.title}
    except TaskError as error:
        return _failure(error)
    deps.deletions.deleted(number)
    return {"ok": True, "deleted": summary}


# Calls of one response run one at a time, in the order the model gave them: task numbers
# follow that order, and one database connection is never shared between threads.
TASK_TOOLS: tuple[Tool[ToolDeps], ...] = (
    compact_tool(create_task, sequential=True),
    compact_tool(update_task, sequential=True),
    compact_tool(assign_task, sequential=True),
    compact_tool(list_tasks, sequential=True),
    compact_tool(delete_task, sequential=True),
)
"""The tools in the order the model sees them."""

WRITE_TOOLS: frozenset[str] = frozenset(
    {"create_task", "update_task", "assign_task", "delete_task"}
)
"""The tools that change tasks; a turn whose calls all wrote successfully can end on them."""
