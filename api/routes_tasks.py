"""`/api/v1/tasks`: the key's team's tasks, read with `tasks:read` and changed with
`tasks:write`.

Every call goes through `TaskService`, scoped to the key's team: another team's task is a 404
that does not reveal whether it exists. Writes act as `apikey:<prefix>` from `api`, with the
request id on their audit events, and may change any task of the team.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Security
from fastapi.responses import Response
from pydantic import TypeAdapter
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.auth import ApiContext, Principal, authenticate, context_of, request_id_of
from api.idempotency import (
    HEADER,
    KEY_MAX_CHARS,
    REPLAYED_HEADER_DOC,
    request_hash,
    run_idempotent,
)
from api.problems import problem_responses
from api.schemas import (
    ACTOR_ID_PATTERN,
    CURSOR_PATTERN,
    NO_NUL,
    USER_ID_PATTERN,
    QueryTime,
    TaskAssign,
    TaskCreate,
    TaskPage,
    TaskPublic,
    TaskUpdate,
    from_base62,
    to_base62,
)
from core.db import read_without_transaction
from tasks.cards import task_record
from tasks.due_dates import ResolvedDue, resolve_due
from tasks.enums import TaskPriority, TaskStatus
from tasks.errors import DueDateError, InvalidTaskInput
from tasks.models import Task, utcnow
from tasks.service import TaskService

router = APIRouter(prefix="/tasks", tags=["tasks"])

TASK_NUMBER_MAX = 2_147_483_647
PAGE_MAX = 100

Context = Annotated[ApiContext, Depends(context_of)]
Reader = Annotated[Principal, Security(authenticate, scopes=["tasks:read"])]
Writer = Annotated[Principal, Security(authenticate, scopes=["tasks:write"])]
TaskNumber = Annotated[int, Path(ge=1, le=TASK_NUMBER_MAX, description="The task's number.")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=KEY_MAX_CHARS,
        description="Send the same key to retry safely: the first response is replayed.",
    ),
]


def encode_cursor(number: int) -> str:
    """An opaque cursor that continues after task `number` (base 62)."""
    return to_base62(number)


def decode_cursor(cursor: str) -> int:
    """The task number a cursor continues after; any cursor the pattern admits is one."""
    return from_base62(cursor)


def service_for(
    session: Session, principal: Principal, request: Request, *, write: bool
) -> TaskService:
    """The task service for `principal`'s team; writers may change any task of it."""
    return TaskService(
        session,
        team_id=principal.team_id,
        actor_id=principal.actor_id,
        source="api",
        request_id=request_id_of(request),
        # An HTTP request is never re-run under its id: its retries say `Idempotency-Key`.
        replayable=False,
        may_change_any=write,
    )


def public(task: Task) -> dict[str, Any]:
    """A task's public JSON."""
    return TaskPublic.model_validate(task_record(task)).model_dump(mode="json")


_UNREADABLE_DUE = (
    "The due date could not be read. Send an ISO 8601 date or time (2026-12-03, "
    "2026-12-03T17:00:00+01:00) or words such as 'friday 5pm' or 'in 3 days'."
)


def _due(text: str, zone_name: str) -> ResolvedDue:
    # The problem names the field and never quotes the input back (docs/api.md).
    try:
        return resolve_due(text, now=datetime.now(ZoneInfo(zone_name)))
    except DueDateError as error:
        message = str(error)
        quoted = bool(text.strip()) and text.strip() in message
        raise InvalidTaskInput(_UNREADABLE_DUE if quoted else message, field="due") from None
    except (OverflowError, ValueError):
        # Dates past the calendar's ends ("in 9999999 years") are bad input, not a crash.
        raise InvalidTaskInput(
            "The due date is outside the dates TaskPilot can store.", field="due"
        ) from None


def utc_query_time(value: datetime | None, *, name: str) -> datetime | None:
    """A query parameter's time in UTC (read as UTC without an offset); 422 when it cannot be
    represented in UTC (such as year 1 at +14:00)."""
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        return aware.astimezone(UTC)
    except OverflowError:
        raise HTTPException(status_code=422, detail=f"`{name}` is out of range.") from None


def _body_fingerprint(request: Request, payload: Any) -> str:
    return request_hash(method=request.method, path=request.url.path, payload=payload)


_READ_ERRORS = problem_responses(401, 403, 422)
_ONE_ERRORS = problem_responses(401, 403, 404, 422)
_WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 422)


# Built once: a page is validated and written as JSON in one go, in the worker thread that read
# it, so that the event loop neither validates it again nor hops to a thread to do so.
_PAGE = TypeAdapter(TaskPage)


# Each query parameter is a documented filter of the list, validated by FastAPI on its own.
@router.get("", operation_id="listTasks", response_model=TaskPage, responses=_READ_ERRORS)
async def list_tasks(  # noqa: PLR0913
    principal: Reader,
    context: Context,
    request: Request,
    status: Annotated[list[TaskStatus] | None, Query(max_length=4)] = None,
    priority: Annotated[list[TaskPriority] | None, Query(max_length=4)] = None,
    assignee: Annotated[str | None, Query(pattern=USER_ID_PATTERN)] = None,
    unassigned: bool = False,
    creator: Annotated[str | None, Query(pattern=ACTOR_ID_PATTERN)] = None,
    due_before: Annotated[QueryTime | None, Query(description="Exclusive.")] = None,
    due_after: Annotated[QueryTime | None, Query(description="Inclusive.")] = None,
    overdue: Annotated[bool, Query(description="Only open tasks past due.")] = False,
    q: Annotated[str | None, Query(min_length=1, max_length=200, pattern=NO_NUL)] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=40, pattern=NO_NUL)] = None,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 20,
) -> Response:
    """The team's tasks matching every filter, by ascending id, a page at a time."""
    after = decode_cursor(cursor) if cursor is not None else 0
    before_utc = utc_query_time(due_before, name="due_before")
    after_utc = utc_query_time(due_after, name="due_after")

    def page_json() -> bytes:
        with context.session_factory() as session:
            # One query: no transaction (and no BEGIN and ROLLBACK round trips) needed.
            read_without_transaction(session)
            # Keyset paging on the task number, so that no task shows up twice or goes
            # missing between pages even while tasks are added or removed. One row past the
            # page says whether another page follows. Rows, not `Task`s: the page is only
            # shown, so nothing needs the ORM's objects.
            tasks = service_for(session, principal, request, write=False).list_task_rows(
                assignee_id=assignee,
                unassigned=unassigned,
                creator_id=creator,
                status=status,
                priority=priority,
                due_before=before_utc,
                due_after=after_utc,
                overdue_at=utcnow() if overdue else None,
                query=q,
                tag=tag,
                after_number=after,
                order="number",
                limit=limit + 1,
            )
            page = tasks[:limit]
            items = [task_record(task) for task in page]
        next_cursor = encode_cursor(page[-1].number) if len(tasks) > limit else None
        value = _PAGE.validate_python({"items": items, "next_cursor": next_cursor})
        return _PAGE.dump_json(value, by_alias=True)

    return Response(content=await run_in_threadpool(page_json), media_type="application/json")


@router.post(
    "",
    operation_id="createTask",
    status_code=201,
    response_model=TaskPublic,
    responses={
        201: {
            "description": "The task was created (or this is the replay of its creation).",
            "headers": {
                "Location": {"description": "The task's URL.", "schema": {"type": "string"}},
                **REPLAYED_HEADER_DOC,
            },
        },
        **problem_responses(400, 401, 403, 409, 422),
    },
)
def create_task(
    payload: TaskCreate,
    principal: Writer,
    context: Context,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Create a task in the key's team; the key is its creator."""

    def work(session: Session) -> tuple[int, Any, dict[str, str]]:
        service = service_for(session, principal, request, write=True)
        task = service.create_task(
            title=payload.title,
            description=payload.description,
            assignee_id=payload.assignee,
            due=_due(payload.due, payload.timezone) if payload.due is not None else None,
            priority=payload.priority,
            tags=payload.tags,
        )
        return 201, public(task), {"Location": f"{request.url.path}/{task.number}"}

    return _idempotent(context, principal, request, payload, idempotency_key, work)


@router.get("/{task_id}", operation_id="getTask", responses=_ONE_ERRORS)
def get_task(
    task_id: TaskNumber, principal: Reader, context: Context, request: Request
) -> TaskPublic:
    """One task of the key's team."""
    with context.session_factory() as session:
        task = service_for(session, principal, request, write=False).get_task(number=task_id)
        return TaskPublic.model_validate(task_record(task))


@router.patch(
    "/{task_id}", operation_id="updateTask", responses=problem_responses(400, 401, 403, 404, 422)
)
def update_task(
    task_id: TaskNumber,
    payload: TaskUpdate,
    principal: Writer,
    context: Context,
    request: Request,
) -> TaskPublic:
    """Change the fields the body sends; the others stay as they are."""
    sent = payload.model_fields_set - {"timezone"}
    if not sent:
        raise HTTPException(status_code=422, detail="Send at least one field to change.")
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True, exclude={"timezone", "due"})
    if "description" in changes:
        # Null clears the description, which the service keeps as an empty string.
        changes["description"] = changes["description"] or ""
    if "due" in sent:
        if payload.due is None:
            changes["clear_due"] = True
        else:
            changes["due"] = _due(payload.due, payload.timezone)
    with context.session_factory() as session, session.begin():
        service = service_for(session, principal, request, write=True)
        task = service.update_task(number=task_id, **changes)
        return TaskPublic.model_validate(task_record(task))


@router.delete(
    "/{task_id}",
    operation_id="deleteTask",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 422),
)
def delete_task(
    task_id: TaskNumber, principal: Writer, context: Context, request: Request
) -> Response:
    """Delete a task for good (its audit trail stays)."""
    with context.session_factory() as session, session.begin():
        service_for(session, principal, request, write=True).delete_task(number=task_id)
    return Response(status_code=204)


@router.post(
    "/{task_id}/assign",
    operation_id="assignTask",
    response_model=TaskPublic,
    responses={
        200: {"description": "The task as assigned.", "headers": REPLAYED_HEADER_DOC},
        **_WRITE_ERRORS,
    },
)
def assign_task(
    task_id: TaskNumber,
    payload: TaskAssign,
    principal: Writer,
    context: Context,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Give the task to a person of the team, or unassign it with null."""

    def work(session: Session) -> tuple[int, Any, dict[str, str]]:
        service = service_for(session, principal, request, write=True)
        task = service.assign_task(number=task_id, assignee_id=payload.assignee)
        return 200, public(task), {}

    return _idempotent(context, principal, request, payload, idempotency_key, work)


def _idempotent(
    context: ApiContext,
    principal: Principal,
    request: Request,
    payload: TaskCreate | TaskAssign,
    key: str | None,
    work: Any,
) -> Response:
    return run_idempotent(
        context.session_factory,
        api_key_id=principal.key_id,
        key=key,
        fingerprint=_body_fingerprint(request, payload.model_dump(mode="json")),
        ttl=timedelta(hours=context.settings.idempotency_ttl_hours),
        wait_seconds=context.idempotency_wait_seconds,
        work=work,
    )
