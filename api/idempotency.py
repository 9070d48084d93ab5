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

A request can die without releasing its claim: when the database connection that ran its work
is terminated, the release (on a fresh session, retried a few times) may fail as well. So an
`in_progress` record older than `ABANDONED_AFTER` counts as abandoned, and a retry with the
same body takes it over with a compare-and-set on the record's `created_at` (the claim time),
so that of two retries only one takes it over. Every claim remembers its claim time, and the
work of `run_idempotent` commits only while its record still carries that time: when a request
that was in fact still running is taken over, its work is rolled back, and at most one of the
two ever commits.

Records older than `idempotency_ttl_hours` count as absent and are replaced.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from fastapi import HTTPException
from fastapi.responses import JSONResponse, Response
from sqlalchemy import CursorResult, Result, delete, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col

from tasks.models import IdempotencyRecord, utcnow

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_CHARS = 255
IN_PROGRESS = "in_progress"
DONE = "done"
_POLL_SECONDS = 0.05
# An `in_progress` record older than this belongs to a request that died without releasing it
# (a REST write takes well under a second), and the next retry with the same body takes it
# over instead of answering 409 until the TTL. A request that was in fact still running loses
# its commit to the takeover (see above), so nothing is written twice; 30 s made a client that
# retried for half a minute after a database outage give up on a write that would have gone
# through (the outage drill, one or two writes in most runs), so it is 10 s.
ABANDONED_AFTER = timedelta(seconds=10)
# The release of a failed request's claim is tried this many times, each on a fresh session,
# with these pauses in between (seconds); after that the record is left to `ABANDONED_AFTER`.
RELEASE_ATTEMPTS = 3
_RELEASE_BACKOFF_SECONDS = (0.05, 0.2)

# The OpenAPI description of the header on a replayed response.
REPLAYED_HEADER_DOC: dict[str, Any] = {
    REPLAYED_HEADER: {
        "description": "`true` when this is the stored response of an earlier request.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


@dataclass(frozen=True)
class Claim:
    """The right to run the request with this Idempotency-Key (None: no key was sent).

    `claimed_at` is the `created_at` the record carried when this request claimed it (None
    without a key); the claim holds only while the record still carries it.
    """

    api_key_id: int
    key: str | None
    request_hash: str
    claimed_at: datetime | None = None


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


def _abandoned(record: IdempotencyRecord, *, now: datetime, abandon_after: timedelta) -> bool:
    return record.state == IN_PROGRESS and record.created_at <= now - abandon_after


def _rowcount(result: Result[Any]) -> int:
    # UPDATE and DELETE statements return a cursor result, which counts the rows they matched.
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def _take_over(session: Session, record: IdempotencyRecord, *, now: datetime) -> bool:
    """Move the abandoned `record`'s claim time to `now`; False when another request won.

    The compare-and-set on the claim time read makes this the single winner of any race: on
    PostgreSQL a concurrent UPDATE waits for the row lock and then finds a new `created_at`
    (or a `done` state), on SQLite the write transactions run one after the other.
    """
    result = session.connection().execute(
        update(IdempotencyRecord)
        .where(
            col(IdempotencyRecord.api_key_id) == record.api_key_id,
            col(IdempotencyRecord.key) == record.key,
            col(IdempotencyRecord.state) == IN_PROGRESS,
            col(IdempotencyRecord.request_hash) == record.request_hash,
            col(IdempotencyRecord.created_at) == record.created_at,
        )
        .values(created_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def claim(
    session_factory: Callable[[], Session],
    *,
    api_key_id: int,
    key: str | None,
    fingerprint: str,
    ttl: timedelta,
    wait_seconds: float,
    clock: Callable[[], datetime] = utcnow,
    abandon_after: timedelta = ABANDONED_AFTER,
) -> Claim | Response:
    """Claim `key` for this request, or the response to send instead (a replay).

    A record still `in_progress` after `abandon_after` is taken over. Raises a 422
    `HTTPException` when the key was used for another request and a 409 one when the request
    that holds it is still running after `wait_seconds`.
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
            return Claim(api_key_id=api_key_id, key=key, request_hash=fingerprint, claimed_at=now)
        except IntegrityError:
            pass
        abandoned_since: datetime | None = None
        taken_over = False
        with session_factory() as session, session.begin():
            record = session.get(IdempotencyRecord, (api_key_id, key))
            if record is None:
                # The holder released it (its request failed) a moment ago: try again.
                continue
            if _expired(record, now=now, ttl=ttl):
                session.connection().execute(
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
            if _abandoned(record, now=now, abandon_after=abandon_after):
                abandoned_since = record.created_at
                taken_over = _take_over(session, record, now=now)
        if taken_over:
            logger.warning(
                "Took over an Idempotency-Key whose request did not finish",
                extra={"api_key_id": api_key_id, "claimed_at": abandoned_since},
            )
            return Claim(api_key_id=api_key_id, key=key, request_hash=fingerprint, claimed_at=now)
        if abandoned_since is not None:
            # Another retry took it over (or its request finished) a moment ago: look again.
            continue
        if time.monotonic() >= deadline:
            raise HTTPException(
                status_code=409,
                detail=f"A request with this {HEADER} is still being processed; "
                "retry in a moment to get its response.",
                headers={"Retry-After": "1"},
            )
        time.sleep(_POLL_SECONDS)


def _store(session: Session, claimed: Claim, response: JSONResponse) -> bool:
    """Mark the claimed record done with `response`; False when this request lost the claim.

    The claim is lost when the record expired and was removed, or when a retry took it over;
    the compare-and-set on the claim time keeps this request from storing over the other's.
    """
    if claimed.key is None or claimed.claimed_at is None:
        return True
    result = session.connection().execute(
        update(IdempotencyRecord)
        .where(
            col(IdempotencyRecord.api_key_id) == claimed.api_key_id,
            col(IdempotencyRecord.key) == claimed.key,
            col(IdempotencyRecord.state) == IN_PROGRESS,
            col(IdempotencyRecord.created_at) == claimed.claimed_at,
        )
        .values(
            state=DONE,
            status_code=response.status_code,
            response_body=bytes(response.body).decode("utf-8"),
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def complete(session: Session, claimed: Claim, *, status_code: int, body: Any) -> JSONResponse:
    """Store the response of the claimed request in `session`'s transaction; returns it.

    When the claim was lost meanwhile (expired, or taken over by a retry), the work is done
    already and only the replay is lost; the response is returned all the same.
    """
    response = JSONResponse(body, status_code=status_code)
    if not _store(session, claimed, response):
        logger.warning(
            "The Idempotency-Key of a finished request was taken over; its response is not stored",
            extra={"api_key_id": claimed.api_key_id},
        )
    return response


def release(session_factory: Callable[[], Session], claimed: Claim) -> None:
    """Give the key up after the claimed request failed, so that a retry runs again.

    The failure may have been the database connection itself, so each attempt runs on a fresh
    session, and a few attempts are made. When all of them fail, the error is logged and not
    raised (the request's own error is the one to report), and the record is left for a retry
    to take over after `ABANDONED_AFTER`. Only this request's claim is removed: not one that a
    retry took over meanwhile.
    """
    if claimed.key is None or claimed.claimed_at is None:
        return
    statement = delete(IdempotencyRecord).where(
        col(IdempotencyRecord.api_key_id) == claimed.api_key_id,
        col(IdempotencyRecord.key) == claimed.key,
        col(IdempotencyRecord.state) == IN_PROGRESS,
        col(IdempotencyRecord.request_hash) == claimed.request_hash,
        col(IdempotencyRecord.created_at) == claimed.claimed_at,
    )
    for attempt in range(RELEASE_ATTEMPTS):
        try:
            with session_factory() as session, session.begin():
                session.connection().execute(statement)
            return
        except DBAPIError:
            if attempt + 1 >= RELEASE_ATTEMPTS:
                logger.warning(
                    "Could not release an Idempotency-Key after a failed request; "
                    "a retry takes it over once it is abandoned",
                    exc_info=True,
                    extra={"api_key_id": claimed.api_key_id},
                )
                return
            time.sleep(_RELEASE_BACKOFF_SECONDS[min(attempt, len(_RELEASE_BACKOFF_SECONDS) - 1)])


def run_idempotent(
    session_factory: Callable[[], Session],
    *,
    api_key_id: int,
    key: str | None,
    fingerprint: str,
    ttl: timedelta,
    wait_seconds: float,
    work: Callable[[Session], tuple[int, Any, dict[str, str]]],
    abandon_after: timedelta = ABANDONED_AFTER,
) -> Response:
    """Run `work(session)` (returning status, JSON body and headers) at most once per key.

    The work and the stored response commit together, and only while this request still holds
    the key: when a retry took it over meanwhile, the work is rolled back and the answer is a
    409 (the retry's response is the one stored). When the work raises, the claim is released
    and the exception goes on to the error handlers.
    """
    claimed = claim(
        session_factory,
        api_key_id=api_key_id,
        key=key,
        fingerprint=fingerprint,
        ttl=ttl,
        wait_seconds=wait_seconds,
        abandon_after=abandon_after,
    )
    if isinstance(claimed, Response):
        return claimed
    try:
        with session_factory() as session, session.begin():
            status_code, body, headers = work(session)
            response = JSONResponse(body, status_code=status_code)
            if not _store(session, claimed, response):
                # Raising rolls the work back, so that only the request holding the key writes.
                raise HTTPException(
                    status_code=409,
                    detail=f"This request ran so long that a retry with its {HEADER} took it "
                    "over; retry in a moment to get that one's response.",
                    headers={"Retry-After": "1"},
                )
    except BaseException:
        release(session_factory, claimed)
        raise
    response.headers.update(headers)
    return response
