"""The five tools the model calls. Names and argument names are part of the eval contract."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic_ai import ApprovalRequired, ModelRetry, RunContext, Tool
from sqlmodel import Session

from tasks.cards import task_card, task_cards
from tasks.dates import ResolvedDue, resolve_due
from tasks.directory import UserDirectory
from tasks.errors import AmbiguousUser, TaskError, UnknownUser
from tasks.models import DirectoryUser, Task, TaskPriority, TaskStatus
from tasks.service import TaskService
from tools.deps import ToolDeps

Priority = Literal["low", "normal", "high", "urgent"]
Status = Literal["open", "in_progress", "done", "cancelled"]
ToolResult = dict[str, Any]

# A list with no status filter shows the work that is still to do.
_DEFAULT_LIST_STATUSES = (TaskStatus.open, TaskStatus.in_progress)
_MAX_LIST_LIMIT = 100


@contextmanager
def _transaction(deps: ToolDeps) -> Generator[Session]:
    """One transaction per tool call: everything the call wrote lands, or nothing does."""
    with deps.session_factory() as session, session.begin():
        yield session


def _service(session: Session, deps: ToolDeps) -> TaskService:
    return TaskService(session, team_id=deps.team_id, actor_id=deps.actor_id, source=deps.source)


def _failure(error: TaskError) -> ToolResult:
    result: ToolResult = {"ok": False, "error": str(error)}
    if isinstance(error, UnknownUser | AmbiguousUser):
        result["candidates"] = list(error.candidates)
    return result


def _card(session: Session, deps: ToolDeps, task: Task) -> dict[str, Any]:
    return task_card(
        task, tz=deps.now.tzinfo, directory=UserDirectory(session, team_id=deps.team_id)
    )


def _task_result(card: dict[str, Any], due: ResolvedDue | None) -> ToolResult:
    result: ToolResult = {"ok": True, "task": card}
    if due is not None and due.in_past:
        result["warning"] = "The due date is in the past."
    return result


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
    """Create one task in the speaker's workspace and return its card.

    Call it once per task the person asks for. Put only what the person said into the arguments;
    leave out anything they did not mention.

    Args:
        title: What has to be done, short and in the person's words, without the assignee, the
            date, the priority or filler such as "please" ("Send the Q3 deck").
        description: Longer details or notes the person gave, if any.
        assignee: Who should do it, exactly as the person wrote it: a Slack mention
            (<@U02ABC>), @handle, a name, or "me". Leave out when nobody was named.
        due: When it is due, as the person said it ("friday", "tomorrow 5pm", "2026-12-01").
        priority: low, normal, high or urgent, only when the person expressed one.
        tags: Labels the person gave, such as hashtags, without the "#".
    """
    deps = ctx.deps
    try:
        with _transaction(deps) as session:
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
            )
            card = _card(session, deps, task)
    except TaskError as error:
        return _failure(error)
    return _task_result(card, resolved)


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
    """Change a task: rename, describe, reschedule, reprioritize, complete, reopen or cancel.

    Pass only the fields that change. To complete a task set status "done"; to reopen it,
    "open"; to start it, "in_progress"; to cancel it, "cancelled".

    Args:
        task_id: The task number, such as 12. If the person named the task by its words, call
            list_tasks with a query first to find the number.
        title: The new title, only when the person renames the task.
        description: The new description or note.
        due: The new due date as the person said it ("next tuesday", "2026-12-01 09:00").
        priority: The new priority: low, normal, high or urgent.
        status: The new status: open, in_progress, done or cancelled.
        tags: The new complete list of tags, without "#".
    """
    deps = ctx.deps
    number = _task_number(task_id)
    try:
        with _transaction(deps) as session:
            resolved = _resolve_due(deps, due) if due else None
            task = _service(session, deps).update_task(
                number=number,
                title=title,
                description=description,
                due=resolved,
                priority=TaskPriority(priority) if priority else None,
                status=TaskStatus(status) if status else None,
                tags=_clean_tags(tags),
            )
            card = _card(session, deps, task)
    except TaskError as error:
        return _failure(error)
    return _task_result(card, resolved)


def assign_task(ctx: RunContext[ToolDeps], task_id: int | str, assignee: str) -> ToolResult:
    """Give an existing task to someone, or take it over ("me").

    Args:
        task_id: The task number, such as 12. If the person named the task by its words, call
            list_tasks with a query first to find the number.
        assignee: Who should do it, exactly as the person wrote it: <@U02ABC>, @handle, a
            name, or "me".
    """
    deps = ctx.deps
    number = _task_number(task_id)
    try:
        with _transaction(deps) as session:
            user = _resolve_user(session, deps, assignee)
            task = _service(session, deps).assign_task(number=number, assignee_id=user.user_id)
            card = _card(session, deps, task)
    except TaskError as error:
        return _failure(error)
    return {"ok": True, "task": card}


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
    status: Status | None = None,
    priority: Priority | None = None,
    due_before: str | None = None,
    due_after: str | None = None,
    query: str | None = None,
    limit: int = 20,
) -> ToolResult:
    """Find tasks in the speaker's workspace. Without a status it shows open and in-progress tasks.

    Also use it to find a task's number when the person names a task by its words.

    Args:
        assignee: Whose tasks: <@U02ABC>, @handle, a name, or "me".
        creator: Who created them: <@U02ABC>, @handle, a name, or "me".
        status: Only tasks in this status: open, in_progress, done or cancelled.
        priority: Only tasks of this priority: low, normal, high or urgent.
        due_before: Only tasks due before this, as said ("friday", "end of week"); "now"
            finds overdue tasks.
        due_after: Only tasks due after this, as said.
        query: Words that must appear in the title or description.
        limit: How many tasks at most (1 to 100).
    """
    deps = ctx.deps
    limit = max(1, min(limit, _MAX_LIST_LIMIT))
    try:
        with _transaction(deps) as session:
            assignee_id = _resolve_user(session, deps, assignee).user_id if assignee else None
            creator_id = _resolve_user(session, deps, creator).user_id if creator else None
            statuses = [TaskStatus(status)] if status else list(_DEFAULT_LIST_STATUSES)
            tasks = _service(session, deps).list_tasks(
                assignee_id=assignee_id,
                creator_id=creator_id,
                status=statuses,
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
    """Delete a task for good. The person is asked to confirm before it happens.

    Prefer update_task with status "cancelled" when the person only wants to drop a task.

    Args:
        task_id: The task number, such as 12.
    """
    deps = ctx.deps
    number = _task_number(task_id)
    try:
        with _transaction(deps) as session:
            service = _service(session, deps)
            if not ctx.tool_call_approved:
                # Check existence and permission before asking, so that nobody is asked to
                # confirm something they are not allowed to do.
                task = service.check_can_delete(number=number)
                raise ApprovalRequired(metadata={"id": task.number, "title": task.title})
            deleted = service.delete_task(number=number)
            summary = {"id": deleted.number, "title": deleted.title}
    except TaskError as error:
        return _failure(error)
    return {"ok": True, "deleted": summary}


# Calls of one response run one at a time, in the order the model gave them: task numbers
# follow that order, and one database connection is never shared between threads.
TASK_TOOLS: tuple[Tool[ToolDeps], ...] = (
    Tool(create_task, sequential=True),
    Tool(update_task, sequential=True),
    Tool(assign_task, sequential=True),
    Tool(list_tasks, sequential=True),
    Tool(delete_task, sequential=True),
)
"""The tools in the order the model sees them."""

WRITE_TOOLS: frozenset[str] = frozenset(
    {"create_task", "update_task", "assign_task", "delete_task"}
)
"""The tools that change tasks; a turn whose calls all wrote successfully can end on them."""
