"""`Idempotency-Key` on POST: a retried request gets the stored response instead of running again.

The first request with a key claims it by inserting an `in_progress` row; the table's primary
key (API key id, Idempotency-Key) makes that insert the single winner of any race, on SQLite
and PostgreSQL alike. The winner does its work and stores its status and body in the same
transaction as the work (`complete`), or releases the claim when it fails (`release`), so a
retry can run again. Later requests with the key:

- same method, path and body: the stored response, with `Idempotent-Replayed: true`;
- another method, path or body: 422;
- while the first is still running: they wait up to `ApiContext.idempotency_wait_seconds` for
  it, then get 409.

Records older than `idempotency_ttl_hours` count as absent and are replaced.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse, Response
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from tasks.models import IdempotencyRecord, utcnow

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_CHARS = 255
IN_PROGRESS = "in_progress"
DONE = "done"
_POLL_SECONDS = 0.05

# The OpenAPI description of the header on a replayed response.
REPLAYED_HEADER_DOC: dict[str, Any] = {
    REPLAYED_HEADER: {
        "description": "`true` when this is the stored response of an earlier request.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


@dataclass(frozen=True)
class Claim:
    """The right to run the request with this Idempotency-Key (None: no key was sent)."""

    api_key_id: int
    key: str | None
    request_hash: str


def request_hash(*, method: str, path: str, payload: Any) -> str:
    """SHA-256 of the method, path and the body's canonical JSON."""
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method.upper()}\n{path}\n{body}".encode()).hexdigest()


def replay_response(record: IdempotencyRecord) -> Response:
    """The stored response of a finished request."""
    return Response(
        content=record.response_body or "",
        status_code=record.status_code or 200,
        media_type="application/json",
        headers={REPLAYED_HEADER: "true"},
    )


def _expired(record: IdempotencyRecord, *, now: datetime, ttl: timedelta) -> bool:
    return record.created_at < now - ttl


def claim(
    session_factory: Callable[[], Session],
    *,
    api_key_id: int,
    key: str | None,
    fingerprint: str,
    ttl: timedelta,
    wait_seconds: float,
    clock: Callable[[], datetime] = utcnow,
) -> Claim | Response:
    """Claim `key` for this request, or the response to send instead (a replay).

    Raises a 422 `HTTPException` when the key was used for another request and a 409 one when
    the request that holds it is still running after `wait_seconds`.
    """
    if key is None:
        return Claim(api_key_id=api_key_id, key=None, request_hash=fingerprint)
    deadline = time.monotonic() + wait_seconds
    while True:
        now = clock()
        try:
            with session_factory() as session, session.begin():
                session.add(
                    IdempotencyRecord(
                        api_key_id=api_key_id,
                        key=key,
                        request_hash=fingerprint,
                        state=IN_PROGRESS,
                        created_at=now,
                    )
                )
            return Claim(api_key_id=api_key_id, key=key, request_hash=fingerprint)
        except IntegrityError:
            pass
        with session_factory() as session, session.begin():
            record = session.get(IdempotencyRecord, (api_key_id, key))
            if record is None:
                # The holder released it (its request failed) a moment ago: try again.
                continue
            if _expired(record, now=now, ttl=ttl):
                session.execute(
                    delete(IdempotencyRecord).where(
                        col(IdempotencyRecord.api_key_id) == api_key_id,
                        col(IdempotencyRecord.key) == key,
                        col(IdempotencyRecord.created_at) == record.created_at,
                    )
                )
                continue
            if record.request_hash != fingerprint:
                raise HTTPException(
                    status_code=422,
                    detail=f"This {HEADER} was already used for a different request; "
                    "use a new key for a new request.",
                )
            if record.state == DONE:
                return replay_response(record)
        if time.monotonic() >= deadline:
            raise HTTPException(
                status_code=409,
                detail=f"A request with this {HEADER} is still being processed; "
                "retry in a moment to get its response.",
                headers={"Retry-After": "1"},
            )
        time.sleep(_POLL_SECONDS)


def complete(session: Session, claimed: Claim, *, status_code: int, body: Any) -> JSONResponse:
    """Store the response of the claimed request in `session`'s transaction; returns it."""
    response = JSONResponse(body, status_code=status_code)
    if claimed.key is None:
        return response
    record = session.get(IdempotencyRecord, (claimed.api_key_id, claimed.key))
    if record is None:
        # Expired and taken over meanwhile: the work is done, only the replay is lost.
        return response
    record.state = DONE
    record.status_code = status_code
    record.response_body = bytes(response.body).decode("utf-8")
    session.add(record)
    return response


def release(session_factory: Callable[[], Session], claimed: Claim) -> None:
    """Give the key up after the claimed request failed, so that a retry runs again."""
    if claimed.key is None:
        return
    with session_factory() as session, session.begin():
        session.execute(
            delete(IdempotencyRecord).where(
                col(IdempotencyRecord.api_key_id) == claimed.api_key_id,
                col(IdempotencyRecord.key) == claimed.key,
                col(IdempotencyRecord.state) == IN_PROGRESS,
                col(IdempotencyRecord.request_hash) == claimed.request_hash,
            )
        )


def run_idempotent(
    session_factory: Callable[[], Session],
    *,
    api_key_id: int,
    key: str | None,
    fingerprint: str,
    ttl: timedelta,
    wait_seconds: float,
    work: Callable[[Session], tuple[int, Any, dict[str, str]]],
) -> Response:
    """Run `work(session)` (returning status, JSON body and headers) at most once per key.

    The work and the stored response commit together; when the work raises, the claim is
    released and the exception goes on to the error handlers.
    """
    claimed = claim(
        session_factory,
        api_key_id=api_key_id,
        key=key,
        fingerprint=fingerprint,
        ttl=ttl,
        wait_seconds=wait_seconds,
    )
    if isinstance(claimed, Response):
        return claimed
    try:
        with session_factory() as session, session.begin():
            status_code, body, headers = work(session)
            response = complete(session, claimed, status_code=status_code, body=body)
    except BaseException:
        release(session_factory, claimed)
        raise
    response.headers.update(headers)
    return response
