# Over 500 lines: `TaskService` is the one place where every read and write is scoped to a
# team and authorized; its methods stay in one class so that no path around those checks exists.
"""`TaskService`: every read and write of tasks, scoped to one team and authorized per actor.

Who may do what (enforced here, never left to the model):

- create, list, read: anyone in the team;
- update, complete, reopen, reschedule, assign: the creator, the assignee, or anyone while the
  task is unassigned;
- delete: the creator only (the caller asks the person to confirm first).

An integration acting with an API key that has the `tasks:write` scope is built with
`may_change_any=True`: it may update, assign, complete and delete any task of its team.

Each mutation writes an `AuditEvent` and flushes; the caller owns the transaction and commits.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any, Literal, TypeAlias, TypeVar, Unpack, cast

from sqlalchemy import ColumnElement, Select, and_, case, exists, false, func, or_, text
from sqlalchemy import select as select_columns
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, SQLModel, col, select

from tasks.api_keys import TASKS_READ, TASKS_WRITE
from tasks.directory import UserDirectory
from tasks.due_dates import DueShift, ResolvedDue, due_of, zone_name
from tasks.errors import InvalidTaskInput, PermissionDenied, TaskError, TaskNotFound
from tasks.listing import ACTIVE_STATUSES, TaskFilters, TaskListing
from tasks.models import (
    DESCRIPTION_MAX_CHARS,
    ORIGIN_KEY_CHARS,
    TAG_MAX_CHARS,
    TAGS_MAX,
    TITLE_MAX_CHARS,
    AuditAction,
    AuditEvent,
    Task,
    TaskPriority,
    TaskRow,
    TaskStatus,
    utcnow,
)
from tasks.vocabulary import STATUS_WORDS

# How often `create_task` tries another number when a concurrent transaction took the one it
# picked (only PostgreSQL lets two writers race; SQLite serializes them).
NUMBER_ATTEMPTS = 8
OPEN_STATUSES = ACTIVE_STATUSES
# The largest task number the `number` column (a 32-bit integer) can hold.
NUMBER_MAX = 2**31 - 1

# The columns of a `TaskRow`, in its fields' order: the table's own columns, not the ORM
# attributes (`Task.number`). Every statement then selects the very objects the cached
# compilation of the first one did, so SQLAlchemy maps result columns by identity instead of
# comparing annotated columns one by one on each execution.
_TASKS = SQLModel.metadata.tables[Task.__tablename__]
_ROW_COLUMNS = tuple(_TASKS.c[field.name] for field in fields(TaskRow))
# Built once, so that a page does not coerce the thirteen columns again.
_SELECT_ROWS = select_columns(*_ROW_COLUMNS)

_AnySelect = TypeVar("_AnySelect", bound=Select[*tuple[Any, ...]])


JSONValue: TypeAlias = "str | int | float | bool | list[JSONValue] | dict[str, JSONValue] | None"

_PRIORITY_ALIASES = {
    "medium": TaskPriority.normal,
    "default": TaskPriority.normal,
    "critical": TaskPriority.urgent,
    "asap": TaskPriority.urgent,
}


def _without_nul(text: str) -> str:
    # PostgreSQL text cannot hold NUL, and no one means one: it is dropped wherever it came from.
    return text.replace("\x00", "")


def clean_title(title: str) -> str:
    """A title without surrounding whitespace, 1 to 200 characters; never truncated."""
    cleaned = _without_nul(title).strip()
    if not cleaned:
        raise InvalidTaskInput("A task needs a title.", field="title")
    if len(cleaned) > TITLE_MAX_CHARS:
        raise InvalidTaskInput(
            f"The title is {len(cleaned)} characters long, but a title can have at most "
            f"{TITLE_MAX_CHARS}. Shorten it and put the details in the description.",
            field="title",
        )
    return cleaned


def clean_description(description: str | None) -> str | None:
    """A description of at most 4,000 characters; blank means none."""
    if description is None or not _without_nul(description).strip():
        return None
    cleaned = _without_nul(description).strip()
    if len(cleaned) > DESCRIPTION_MAX_CHARS:
        raise InvalidTaskInput(
            f"The description is {len(cleaned)} characters long, but it can have at most "
            f"{DESCRIPTION_MAX_CHARS}.",
            field="description",
        )
    return cleaned


def normalize_tag(tag: str) -> str:
    """A tag as tasks store it: trimmed, in lower case, without a leading '#' ("" if blank)."""
    return tag.strip().lstrip("#").strip().lower()


def clean_tags(tags: Iterable[str] | str) -> list[str]:
    """Tags in lower case without a leading '#', without repeats; at most 10 of 40 characters."""
    items = tags.replace(",", " ").split() if isinstance(tags, str) else list(tags)
    cleaned: list[str] = []
    for item in items:
        tag = normalize_tag(item)
        if not tag:
            continue
        if len(tag) > TAG_MAX_CHARS:
            raise InvalidTaskInput(
                f"The tag '{tag[:20]}…' is {len(tag)} characters long; tags can have at most "
                f"{TAG_MAX_CHARS}.",
                field="tags",
            )
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > TAGS_MAX:
        raise InvalidTaskInput(
            f"A task can have at most {TAGS_MAX} tags, not {len(cleaned)}.", field="tags"
        )
    return cleaned


def coerce_status(value: TaskStatus | str) -> TaskStatus:
    """A status from its value or a common synonym ("completed", "in progress")."""
    if isinstance(value, TaskStatus):
        return value
    key = value.strip().lower()
    if key in STATUS_WORDS:
        return TaskStatus(STATUS_WORDS[key])
    try:
        return TaskStatus(key.replace(" ", "_").replace("-", "_"))
    except ValueError:
        allowed = ", ".join(status.value for status in TaskStatus)
        raise InvalidTaskInput(
            f"'{value}' is not a status; use one of {allowed}.", field="status"
        ) from None


def coerce_priority(value: TaskPriority | str) -> TaskPriority:
    """A priority from its value or a common synonym ("medium", "critical")."""
    if isinstance(value, TaskPriority):
        return value
    key = value.strip().lower()
    if key in _PRIORITY_ALIASES:
        return _PRIORITY_ALIASES[key]
    try:
        return TaskPriority(key)
    except ValueError:
        allowed = ", ".join(priority.value for priority in TaskPriority)
        raise InvalidTaskInput(
            f"'{value}' is not a priority; use one of {allowed}.", field="priority"
        ) from None


def due_value(task: Task) -> str | None:
    """A task's due date as JSON: `YYYY-MM-DD` when all-day, else ISO with the offset it was
    given in."""
    due = due_of(task)
    if due is None:
        return None
    return due.day.isoformat() if due.all_day else due.at.isoformat()


def snapshot(task: Task) -> dict[str, JSONValue]:
    """The audited fields of a task, as JSON values."""
    return {
        "title": task.title,
        "description": task.description,
        "status": task.status.value,
        "priority": task.priority.value,
        "assignee_id": task.assignee_id,
        "creator_id": task.creator_id,
        "due": due_value(task),
        "tags": list(task.tags),
    }


def _is_number_clash(error: IntegrityError) -> bool:
    text = str(error.orig)
    return "uq_tasks_team_number" in text or "tasks.team_id, tasks.number" in text


def _is_origin_clash(error: IntegrityError) -> bool:
    text = str(error.orig)
    return "uq_tasks_team_origin" in text or "tasks.team_id, tasks.origin_key" in text


def _has_tag(tag: str, *, dialect: str) -> ColumnElement[bool]:
    # `tags` is a JSON array of strings (the `json` type on PostgreSQL, JSON text on SQLite),
    # and each database names the function that lists an array's elements differently. Both
    # give the elements as text in a column called `value`, so the match is exact.
    if dialect == "postgresql":
        elements = func.json_array_elements_text(col(Task.tags)).table_valued("value")
    else:
        elements = func.json_each(col(Task.tags)).table_valued("value")
    return exists().where(elements.c.value == tag)


def _statuses(
    value: TaskStatus | str | Iterable[TaskStatus | str] | None,
) -> list[TaskStatus] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [coerce_status(value)]
    return [coerce_status(item) for item in value]


def _priorities(
    value: TaskPriority | str | Iterable[TaskPriority | str] | None,
) -> list[TaskPriority] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [coerce_priority(value)]
    return [coerce_priority(item) for item in value]


class TaskService:
    """Task operations for `actor_id` in `team_id`; `source` says where the request came from
    (`slack`, `cli`, `api`, `eval`, ...).

    `request_id` (the HTTP request or Slack event behind the call) is stored on every audit
    event. `may_change_any` lifts the creator and assignee rules, for integrations whose API
    key has the `tasks:write` scope; the team boundary still holds.

    `replayable` (the caller says so; the service never guesses from the shape of an id) means
    the request may run again in full under the same `request_id`, a Slack event redelivered
    after a crash, for instance, which makes `create_task` idempotent per request and
    ordinal.

    `grants` limits what the caller may do at all, whatever the actor's rights: `tasks:read`
    to read tasks, `tasks:write` to change them (None, the default: both). An agent turn run
    with an API key gets the key's scopes, and its audit events name the key (`api_key`, its
    visible prefix).
    """

    def __init__(
        self,
        session: Session,
        *,
        team_id: str,
        actor_id: str,
        source: str,
        clock: Callable[[], datetime] = utcnow,
        request_id: str | None = None,
        may_change_any: bool = False,
        replayable: bool = False,
        grants: frozenset[str] | None = None,
        api_key: str | None = None,
    ) -> None:
        self.session = session
        self.team_id = team_id
        self.actor_id = actor_id
        self.source = source
        self.request_id = request_id
        self.may_change_any = may_change_any
        self.grants = grants
        self.api_key = api_key
        self.replayable = replayable and request_id is not None
        # Creates this instance made (or found again), for the default ordinal.
        self._creates = 0
        # The transaction in which this instance took the team's numbering lock, if any.
        self._numbering_locked_in: SessionTransaction | None = None
        self._clock = clock
        self.directory = UserDirectory(session, team_id=team_id)

    # Reading.

    def get_task(self, *, number: int) -> Task:
        """The team's task #`number`; `TaskNotFound` when there is none."""
        self._require_grant(TASKS_READ)
        return self._task(number)

    def _task(self, number: int) -> Task:
        statement = select(Task).where(Task.team_id == self.team_id, Task.number == number)
        task = self.session.exec(statement).first()
        if task is None:
            raise TaskNotFound(number)
        return task

    def list_tasks(self, **listing: Unpack[TaskListing]) -> list[Task]:
        """The team's tasks matching every filter given (`tasks.listing.TaskFilters` says what
        each keeps), due ones first (soonest first), then the newest; `order="number"` lists
        them by ascending number instead. `limit` is 20 unless given; `limit=None` returns them
        all."""
        self._require_grant(TASKS_READ)
        statement = self._listing(select(Task), listing)
        return list(self.session.exec(statement).all())

    def list_task_rows(self, **listing: Unpack[TaskListing]) -> list[TaskRow]:
        """What `list_tasks` returns for the same arguments (the team's tasks, the same
        filters, order and limit), as `TaskRow`s read straight from the rows: for pages that
        are only shown, it skips building and tracking a `Task` for each."""
        self._require_grant(TASKS_READ)
        statement = self._listing(_SELECT_ROWS, listing)
        if self.session.autoflush:
            # As the ORM query of `list_tasks` would: changes not yet flushed are seen too.
            self.session.flush()
        # A Core statement on the session's connection: no ORM loading to do. `all()` fetches
        # the rows in one call to the driver rather than one call per row.
        rows = self.session.connection().execute(statement).all()
        # Each row holds `_ROW_COLUMNS`, in `TaskRow`'s order.
        return [TaskRow(*cast("tuple[Any, ...]", row)) for row in rows]

    def count_tasks(
        self,
        *,
        assignee_id: str | None = None,
        creator_id: str | None = None,
        status: TaskStatus | str | Iterable[TaskStatus | str] | None = None,
        overdue_at: datetime | None = None,
        unassigned: bool = False,
    ) -> int:
        """How many of the team's tasks `list_tasks` would return with these filters and no
        limit, counted by the database (a section that shows 20 of 3,000 tasks loads 20)."""
        self._require_grant(TASKS_READ)
        conditions = self._conditions(
            {
                "assignee_id": assignee_id,
                "creator_id": creator_id,
                "status": status,
                "overdue_at": overdue_at,
                "unassigned": unassigned,
            }
        )
        statement = select(func.count()).select_from(Task).where(*conditions)
        return int(self.session.exec(statement).one())

    def count_by_assignee(
        self,
        *,
        status: TaskStatus | str | Iterable[TaskStatus | str] | None = None,
        overdue_at: datetime | None = None,
        updated_since: datetime | None = None,
    ) -> dict[str | None, int]:
        """How many of the team's tasks match, per assignee (None: unassigned), counted by the
        database; `updated_since` keeps tasks last changed at or after that instant."""
        self._require_grant(TASKS_READ)
        conditions = self._conditions({"status": status, "overdue_at": overdue_at})
        if updated_since is not None:
            conditions.append(col(Task.updated_at) >= updated_since)
        statement = (
            select(col(Task.assignee_id), func.count())
            .where(*conditions)
            .group_by(col(Task.assignee_id))
        )
        return {assignee: int(total) for assignee, total in self.session.exec(statement).all()}

    def times_since(
        self,
        *,
        since: datetime,
        field: Literal["created_at", "updated_at"],
        status: TaskStatus | str | Iterable[TaskStatus | str] | None = None,
    ) -> list[datetime]:
        """When the team's tasks (with `status`) were created or last changed, for those at
        or after `since`: what a per-week count needs, without loading the tasks."""
        self._require_grant(TASKS_READ)
        column = col(Task.created_at) if field == "created_at" else col(Task.updated_at)
        conditions = [*self._conditions({"status": status}), column >= since]
        return list(self.session.exec(select(column).where(*conditions)).all())

    def _listing(self, statement: _AnySelect, listing: TaskListing) -> _AnySelect:
        # `statement` (of tasks or of their columns) with the filters, order and limit of
        # `list_tasks` and `list_task_rows`.
        limit = listing.get("limit", 20)
        if limit is not None and limit < 1:
            raise InvalidTaskInput("The limit must be at least 1.", field="limit")
        statement = statement.where(*self._conditions(listing))
        if listing.get("order", "due") == "number":
            # Numbers are unique per team, so this order is total; with `after_number` the
            # unique (team_id, number) index answers it as a range scan.
            statement = statement.order_by(col(Task.number))
        else:
            statement = statement.order_by(
                case((col(Task.due_at).is_(None), 1), else_=0),
                col(Task.due_at),
                col(Task.created_at).desc(),
                col(Task.number).desc(),
            )
        if limit is not None:
            statement = statement.limit(limit)
        return statement

    def _conditions(self, filters: TaskFilters) -> list[ColumnElement[bool]]:
        # The filters of `list_tasks`, `count_tasks` and the counts, always within the team;
        # keys that are no filter (a listing's order and limit) are not read.
        conditions: list[ColumnElement[bool]] = [col(Task.team_id) == self.team_id]
        assignee_id = filters.get("assignee_id")
        creator_id = filters.get("creator_id")
        due_before = filters.get("due_before")
        due_after = filters.get("due_after")
        overdue_at = filters.get("overdue_at")
        tag = filters.get("tag")
        after_number = filters.get("after_number")
        if assignee_id is not None:
            conditions.append(col(Task.assignee_id) == assignee_id)
        if filters.get("unassigned", False):
            conditions.append(col(Task.assignee_id).is_(None))
        if creator_id is not None:
            conditions.append(col(Task.creator_id) == creator_id)
        statuses = _statuses(filters.get("status"))
        if statuses is not None:
            conditions.append(col(Task.status).in_(statuses) if statuses else false())
        priorities = _priorities(filters.get("priority"))
        if priorities is not None:
            conditions.append(col(Task.priority).in_(priorities) if priorities else false())
        if due_before is not None:
            conditions.append(col(Task.due_at) < due_before)
        if due_after is not None:
            conditions.append(col(Task.due_at) >= due_after)
        if overdue_at is not None:
            conditions.append(col(Task.status).in_(OPEN_STATUSES))
            conditions.append(
                or_(
                    and_(col(Task.due_all_day).is_(False), col(Task.due_at) < overdue_at),
                    and_(
                        col(Task.due_all_day).is_(True),
                        col(Task.due_at) <= overdue_at - timedelta(days=1),
                    ),
                )
            )
        if tag is not None:
            wanted = normalize_tag(tag)
            # No stored tag is blank, so a blank one matches nothing.
            conditions.append(_has_tag(wanted, dialect=self._dialect()) if wanted else false())
        if after_number is not None:
            # Numbers are positive 32-bit integers, and PostgreSQL refuses to compare them with
            # a value outside that range, so such a bound is settled here.
            if after_number >= NUMBER_MAX:
                conditions.append(false())
            else:
                conditions.append(col(Task.number) > max(after_number, 0))
        for word in (filters.get("query") or "").split():
            needle = word.lower()
            conditions.append(
                or_(
                    func.lower(col(Task.title)).contains(needle, autoescape=True),
                    func.lower(func.coalesce(col(Task.description), "")).contains(
                        needle, autoescape=True
                    ),
                )
            )
        return conditions

    def history(self, *, number: int) -> list[AuditEvent]:
        """The audit trail of task #`number` (also after it was deleted), oldest first."""
        self._require_grant(TASKS_READ)
        statement = (
            select(AuditEvent)
            .where(AuditEvent.team_id == self.team_id, AuditEvent.task_number == number)
            .order_by(col(AuditEvent.created_at), col(AuditEvent.id))
        )
        return list(self.session.exec(statement).all())

    # Permissions.

    def _require_grant(self, scope: str) -> None:
        # What the caller (an API key's agent turn) may do at all; the person's own rights
        # are checked after this.
        if self.grants is None or scope in self.grants:
            return
        doing = "read" if scope == TASKS_READ else "change"
        raise PermissionDenied(f"This API key may not {doing} tasks: it lacks the {scope} scope.")

    def can_change(self, task: Task) -> bool:
        """Whether the actor may update or assign `task`."""
        if self.may_change_any:
            return True
        return task.assignee_id is None or self.actor_id in (task.creator_id, task.assignee_id)

    def can_delete(self, task: Task) -> bool:
        """Whether the actor may delete `task`."""
        if self.may_change_any:
            return True
        return self.actor_id == task.creator_id

    def check_can_change(self, *, number: int) -> Task:
        """Task #`number` if the actor may change it; else `TaskNotFound` or `PermissionDenied`."""
        self._require_grant(TASKS_WRITE)
        task = self._task(number)
        self._require_change(task)
        return task

    def check_can_delete(self, *, number: int) -> Task:
        """Task #`number` if the actor may delete it (ask the person to confirm before calling
        `delete_task`); else `TaskNotFound` or `PermissionDenied`."""
        self._require_grant(TASKS_WRITE)
        task = self._task(number)
        if not self.can_delete(task):
            creator = self.directory.display_name_of(task.creator_id)
            raise PermissionDenied(
                f"Only {creator}, who created task #{task.number}, can delete it."
            )
        return task

    def _require_change(self, task: Task) -> None:
        if self.can_change(task):
            return
        assert task.assignee_id is not None
        creator = self.directory.display_name_of(task.creator_id)
        if task.assignee_id == task.creator_id:
            who = f"{creator}, who created it and is assigned to it,"
        else:
            assignee = self.directory.display_name_of(task.assignee_id)
            who = f"{creator} (who created it) or {assignee} (who is assigned to it)"
        raise PermissionDenied(f"Only {who} can change task #{task.number}.")

    # Writing.

    def create_task(
        self,
        *,
        title: str,
        description: str | None = None,
        assignee_id: str | None = None,
        due: ResolvedDue | None = None,
        priority: TaskPriority | str = TaskPriority.normal,
        tags: Iterable[str] = (),
        source_channel: str | None = None,
        source_thread: str | None = None,
        ordinal: int | None = None,
    ) -> Task:
        """Create a task with the team's next number; the actor is its creator.

        For a replayable request (see the class), the create is the request's `ordinal`-th
        (by default, the count of this instance's creates so far plus one; a caller that uses
        one instance per call, as the tools do, counts per request itself). When the team
        already has a task of that request and ordinal, a re-run of the request is creating it
        again: that task is returned as it is, with no second audit event. The ordinal, not
        the title, ties the two, since a re-run's model may word the title differently.
        """
        self._require_grant(TASKS_WRITE)
        if ordinal is None:
            ordinal = self._creates + 1
        if ordinal < 1:
            raise ValueError("A create's ordinal starts at 1.")
        origin_key = self._origin_key(ordinal)
        if origin_key is not None:
            # Taken before looking, so that a concurrent re-run of the same request (holding
            # the lock until it commits) is seen here, not raced.
            self._lock_numbering()
            existing = self._task_of_origin(origin_key)
            if existing is not None:
                self._creates = max(self._creates, ordinal)
                return existing
        now = self._clock()
        task = Task(
            team_id=self.team_id,
            number=0,
            title=clean_title(title),
            description=clean_description(description),
            priority=coerce_priority(priority),
            status=TaskStatus.open,
            assignee_id=self._assignable(assignee_id),
            creator_id=self.actor_id,
            tags=clean_tags(tags),
            source_channel=source_channel,
            source_thread=source_thread,
            origin_key=origin_key,
            created_at=now,
            updated_at=now,
        )
        _apply_due(task, due)
        try:
            self._insert_with_next_number(task)
        except IntegrityError as error:
            # Only reached when the origin's row appeared after the look above (a database
            # that let a concurrent re-run through): the winner's task is the answer.
            if origin_key is None or not _is_origin_clash(error):
                raise
            existing = self._task_of_origin(origin_key)
            if existing is None:
                raise
            self._creates = max(self._creates, ordinal)
            return existing
        self._record(AuditAction.create, task, {k: [None, v] for k, v in snapshot(task).items()})
        self._creates = max(self._creates, ordinal)
        return task

    def seed_task(
        self,
        *,
        number: int,
        title: str,
        description: str | None = None,
        assignee_id: str | None = None,
        creator_id: str | None = None,
        status: TaskStatus | str = TaskStatus.open,
        priority: TaskPriority | str = TaskPriority.normal,
        due: ResolvedDue | None = None,
        due_at: datetime | None = None,
        due_all_day: bool = False,
        tags: Iterable[str] = (),
        created_at: datetime | None = None,
    ) -> Task:
        """Place a task with a given number (for evaluations and tests).

        Field rules apply as for `create_task`, but people are not checked against the
        directory and no permission is needed. The creator defaults to the actor. The due date
        is either `due` or an aware `due_at` (with `due_all_day`, read in `due_at`'s zone).
        """
        if number < 1:
            raise InvalidTaskInput("Task numbers start at 1.", field="number")
        if due is not None and due_at is not None:
            raise InvalidTaskInput("Give `due` or `due_at`, not both.", field="due")
        if due_at is not None:
            if due_at.tzinfo is None:
                raise InvalidTaskInput("`due_at` must be an aware datetime.", field="due")
            due = ResolvedDue(at=due_at, all_day=due_all_day, in_past=False)
        statement = select(Task.id).where(Task.team_id == self.team_id, Task.number == number)
        if self.session.exec(statement).first() is not None:
            raise InvalidTaskInput(f"Task #{number} already exists.", field="number")
        at = created_at or self._clock()
        task = Task(
            team_id=self.team_id,
            number=number,
            title=clean_title(title),
            description=clean_description(description),
            status=coerce_status(status),
            priority=coerce_priority(priority),
            assignee_id=assignee_id or None,
            creator_id=creator_id or self.actor_id,
            tags=clean_tags(tags),
            created_at=at,
            updated_at=at,
        )
        _apply_due(task, due)
        self.session.add(task)
        self.session.flush()
        self._record(AuditAction.create, task, {k: [None, v] for k, v in snapshot(task).items()})
        return task

    def update_task(
        self,
        *,
        number: int,
        title: str | None = None,
        description: str | None = None,
        due: ResolvedDue | DueShift | None = None,
        clear_due: bool = False,
        priority: TaskPriority | str | None = None,
        status: TaskStatus | str | None = None,
        tags: Iterable[str] | None = None,
    ) -> Task:
        """Change the given fields of task #`number` (None leaves a field as it is).

        `due` is a new due date, or a `DueShift` that moves the task's current one (keeping its
        time of day, or its being all-day); a task without a due date has nothing to move, which
        is an `InvalidTaskInput`. An empty description removes it, `tags=[]` removes every tag
        and `clear_due=True` removes the due date. Changing nothing is an `InvalidTaskInput`;
        setting a field to the value it already has is allowed and records nothing.
        """
        if all(value is None for value in (title, description, due, priority, status, tags)) and (
            not clear_due
        ):
            raise InvalidTaskInput(
                "Nothing to change: give a new title, description, due date, priority, status "
                "or tags."
            )
        if due is not None and clear_due:
            raise InvalidTaskInput("Give a new due date or clear it, not both.", field="due")
        task = self.check_can_change(number=number)
        # Every value is checked before any is applied, so a bad one changes nothing.
        new_title = clean_title(title) if title is not None else task.title
        new_description = (
            clean_description(description) if description is not None else task.description
        )
        new_priority = coerce_priority(priority) if priority is not None else task.priority
        new_status = coerce_status(status) if status is not None else task.status
        new_tags = clean_tags(tags) if tags is not None else list(task.tags)
        new_due = self._moved_due(task, due) if isinstance(due, DueShift) else due
        before = snapshot(task)
        task.title = new_title
        task.description = new_description
        task.priority = new_priority
        task.status = new_status
        if new_tags != task.tags:
            task.tags = new_tags
        if new_due is not None or clear_due:
            _apply_due(task, new_due)
        after = snapshot(task)
        changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        if changes:
            task.updated_at = self._clock()
            self.session.add(task)
            self._record(AuditAction.update, task, changes)
        return task

    def assign_task(self, *, number: int, assignee_id: str | None) -> Task:
        """Give task #`number` to `assignee_id`, or unassign it with None."""
        task = self.check_can_change(number=number)
        new_assignee = self._assignable(assignee_id)
        if new_assignee == task.assignee_id:
            return task
        old_assignee = task.assignee_id
        task.assignee_id = new_assignee
        task.updated_at = self._clock()
        self.session.add(task)
        self._record(AuditAction.assign, task, {"assignee_id": [old_assignee, new_assignee]})
        return task

    def delete_task(self, *, number: int) -> Task:
        """Delete task #`number` for good; returns the deleted task's data."""
        task = self.check_can_delete(number=number)
        changes = {key: [value, None] for key, value in snapshot(task).items()}
        self.session.delete(task)
        self.session.flush()
        self._record(AuditAction.delete, task, changes)
        return task

    # Helpers.

    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _moved_due(self, task: Task, shift: DueShift) -> ResolvedDue:
        current = due_of(task)
        if current is None:
            raise InvalidTaskInput(
                f"#{task.number} has no due date to move; give a date instead.", field="due"
            )
        return shift.apply(current, now=self._clock())

    def _assignable(self, assignee_id: str | None) -> str | None:
        if assignee_id is None or not assignee_id.strip():
            return None
        user = self.directory.require_assignable(assignee_id.strip(), actor_id=self.actor_id)
        return user.user_id

    def _origin_key(self, ordinal: int) -> str | None:
        if not self.replayable or self.request_id is None:
            return None
        key = f"{self.request_id}#{ordinal}"
        # A key too long to store is not made up from a shortened one (two requests could
        # then share it); such a request's creates are simply not idempotent.
        return key if len(key) <= ORIGIN_KEY_CHARS else None

    def _task_of_origin(self, origin_key: str) -> Task | None:
        statement = select(Task).where(Task.team_id == self.team_id, Task.origin_key == origin_key)
        return self.session.exec(statement).first()

    def _next_number(self) -> int:
        # Numbers of deleted tasks stay in the audit trail and are never given out again, so
        # "#7" in an old Slack thread never comes to mean a different task. Both highest
        # numbers come back in one round trip: on PostgreSQL this runs while the team's
        # creates wait for the numbering lock.
        live = select(func.max(Task.number)).where(Task.team_id == self.team_id)
        gone = select(func.max(AuditEvent.task_number)).where(AuditEvent.team_id == self.team_id)
        statement = select(
            func.coalesce(live.scalar_subquery(), 0), func.coalesce(gone.scalar_subquery(), 0)
        )
        highest_live, highest_gone = self.session.exec(statement).one()
        return max(int(highest_live), int(highest_gone)) + 1

    def _lock_numbering(self) -> bool:
        """Whether this transaction holds the team's numbering lock (taken here if not yet).

        On PostgreSQL, creates in one team take turns (a lock held until the transaction
        ends), so that each sees the number the previous one took instead of racing for it: a
        crowd of concurrent creates otherwise ran out of retries. SQLite takes turns already
        (every transaction begins IMMEDIATE) and answers False; other teams never wait.
        """
        if self.session.get_bind().dialect.name != "postgresql":
            return False
        transaction = self.session.get_transaction()
        if transaction is not None and transaction is self._numbering_locked_in:
            # Taken once per transaction: every round trip under the lock makes the team's
            # other creates wait longer.
            return True
        self.session.connection().execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"taskpilot:task-number:{self.team_id}"},
        )
        self._numbering_locked_in = self.session.get_transaction()
        return True

    def _insert_with_next_number(self, task: Task) -> None:
        if self._lock_numbering():
            # Under the lock no other create of the team can take the number: no savepoint
            # and no retry, which would be two more round trips while the others wait.
            task.number = self._next_number()
            self.session.add(task)
            try:
                self.session.flush()
            except IntegrityError as error:
                # Only a create that bypassed the lock could have taken the number.
                if not _is_number_clash(error):
                    raise
                raise TaskError(
                    "Too many tasks were being created at the same moment; please try again."
                ) from None
            return
        for attempt in range(NUMBER_ATTEMPTS):
            task.number = self._next_number()
            try:
                # A savepoint, so that losing the race to a concurrent transaction undoes only
                # this insert and the caller's transaction goes on.
                with self.session.begin_nested():
                    self.session.add(task)
            except IntegrityError as error:
                if not _is_number_clash(error):
                    raise
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # noqa: S311
                continue
            return
        raise TaskError("Too many tasks were being created at the same moment; please try again.")

    def _record(self, action: AuditAction, task: Task, changes: dict[str, list[Any]]) -> None:
        event = AuditEvent(
            team_id=self.team_id,
            task_number=task.number,
            actor_id=self.actor_id,
            action=action,
            changes=changes,
            source=self.source,
            request_id=self.request_id,
            api_key=self.api_key,
            created_at=self._clock(),
        )
        self.session.add(event)
        self.session.flush()


def _apply_due(task: Task, due: ResolvedDue | None) -> None:
    if due is None:
        task.due_at = None
        task.due_all_day = False
        task.due_tz = None
        return
    task.due_at = due.at
    task.due_all_day = due.all_day
    task.due_tz = zone_name(due.at.tzinfo)
