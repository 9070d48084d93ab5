"""`GET /api/v1/audit`: the key's team's audit log, for keys with `audit:read`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Security

from api.auth import ApiContext, Principal, authenticate, context_of
from api.problems import problem_responses
from api.routes_tasks import utc_query_time
from api.schemas import (
    ACTOR_ID_PATTERN,
    CURSOR_PATTERN,
    AuditEventPublic,
    AuditPage,
    QueryTime,
    from_base62,
    to_base62,
)
from tasks.audit import audit_record, list_audit
from tasks.models import AuditAction

router = APIRouter(tags=["audit"])

PAGE_MAX = 100


def encode_cursor(event_id: int) -> str:
    """An opaque cursor that continues after audit event `event_id` (base 62)."""
    return to_base62(event_id)


@router.get("/audit", operation_id="listAuditEvents", responses=problem_responses(401, 403, 422))
def list_audit_events(
    principal: Annotated[Principal, Security(authenticate, scopes=["audit:read"])],
    context: Annotated[ApiContext, Depends(context_of)],
    since: Annotated[QueryTime | None, Query(description="Inclusive.")] = None,
    until: Annotated[QueryTime | None, Query(description="Exclusive.")] = None,
    actor: Annotated[str | None, Query(pattern=ACTOR_ID_PATTERN)] = None,
    action: AuditAction | None = None,
    task: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 50,
) -> AuditPage:
    """The team's audit events matching every filter, oldest first, a page at a time."""
    after = from_base62(cursor) if cursor is not None else None
    with context.session_factory() as session:
        events = list_audit(
            session,
            team_id=principal.team_id,
            since=utc_query_time(since, name="since"),
            until=utc_query_time(until, name="until"),
            actor_id=actor,
            action=action,
            task_number=task,
            after_id=after,
            limit=limit + 1,
        )
    page = events[:limit]
    items = [AuditEventPublic.model_validate(audit_record(event)) for event in page]
    last = page[-1].id if page else None
    next_cursor = encode_cursor(last) if len(events) > limit and last is not None else None
    return AuditPage(items=items, next_cursor=next_cursor)
