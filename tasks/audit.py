"""Reading the audit log of a team: filtered, paged by id, and as public JSON records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from tasks.errors import InvalidTaskInput
from tasks.models import AuditAction, AuditEvent

AUDIT_PAGE_MAX = 1000


def _aware(value: datetime) -> datetime:
    # A time without a zone is read as UTC, the zone the log is kept in.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def coerce_action(value: AuditAction | str) -> AuditAction:
    """An audit action from its value; a friendly error lists the valid ones."""
    if isinstance(value, AuditAction):
        return value
    try:
        return AuditAction(value.strip().lower())
    except ValueError:
        allowed = ", ".join(action.value for action in AuditAction)
        raise InvalidTaskInput(
            f"{value!r} is not an audit action; use one of {allowed}.", field="action"
        ) from None


def list_audit(
    session: Session,
    *,
    team_id: str,
    since: datetime | None = None,
    until: datetime | None = None,
    actor_id: str | None = None,
    action: AuditAction | str | None = None,
    task_number: int | None = None,
    after_id: int | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    """The team's audit events matching every filter given, oldest (lowest id) first.

    `since` is inclusive and `until` exclusive. Pass the last id of a page as `after_id` to get
    the next page; ids only grow, so paging never skips or repeats an event.
    """
    if not 1 <= limit <= AUDIT_PAGE_MAX:
        raise InvalidTaskInput(f"The limit must be between 1 and {AUDIT_PAGE_MAX}.", field="limit")
    conditions: list[ColumnElement[bool]] = [col(AuditEvent.team_id) == team_id]
    if since is not None:
        conditions.append(col(AuditEvent.created_at) >= _aware(since))
    if until is not None:
        conditions.append(col(AuditEvent.created_at) < _aware(until))
    if actor_id is not None:
        conditions.append(col(AuditEvent.actor_id) == actor_id)
    if action is not None:
        conditions.append(col(AuditEvent.action) == coerce_action(action))
    if task_number is not None:
        conditions.append(col(AuditEvent.task_number) == task_number)
    if after_id is not None:
        conditions.append(col(AuditEvent.id) > after_id)
    statement = select(AuditEvent).where(*conditions).order_by(col(AuditEvent.id)).limit(limit)
    return list(session.exec(statement).all())


def audit_record(event: AuditEvent) -> dict[str, Any]:
    """The public JSON of an audit event."""
    return {
        "id": event.id,
        "at": event.created_at.isoformat(),
        "team": event.team_id,
        "actor": event.actor_id,
        "action": event.action.value,
        "task": event.task_number,
        "subject": event.subject,
        "changes": event.changes,
        "source": event.source,
        "request_id": event.request_id,
        "api_key": event.api_key,
    }
