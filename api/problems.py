"""RFC 9457 problem details: every error the HTTP API returns is `application/problem+json`.

A problem has `type`, `title`, `status`, `detail` and `instance` (the request path); a
validation problem adds `errors`, one entry per rejected field, without echoing the input.
Unexpected exceptions become a 500 that says nothing about the internals.
"""

from __future__ import annotations

import logging
import re
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tasks.errors import (
    AmbiguousUser,
    DueDateError,
    InvalidTaskInput,
    PermissionDenied,
    TaskError,
    TaskNotFound,
    UnknownUser,
)

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:taskpilot:problem:"

_TITLES: dict[int, str] = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
_SLUGS: dict[int, str] = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "content-too-large",
    415: "unsupported-media-type",
    422: "unprocessable-content",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
}


class FieldError(BaseModel):
    """One rejected input: where it was, which field, and why."""

    location: str = Field(description="body, query, path or header.")
    field: str = Field(description="The field's path, dotted (`tags.3`); empty for the body.")
    message: str
    type: str = Field(description="A stable name of the rule that failed.")


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = Field(description="A URI naming the kind of problem.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(ge=100, le=599, description="The HTTP status code.")
    detail: str | None = Field(default=None, description="What went wrong this time.")
    instance: str | None = Field(default=None, description="The request path.")


class ValidationProblem(Problem):
    """A problem with the request's fields; `errors` lists each rejected one."""

    errors: list[FieldError] = Field(default_factory=list[FieldError])


def problem_type(slug: str) -> str:
    """The `type` URI of a problem kind."""
    return f"{TYPE_PREFIX}{slug}"


def problem_response(
    *,
    status: int,
    request: Request | None = None,
    detail: str | None = None,
    slug: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """A `application/problem+json` response."""
    body: dict[str, Any] = {
        "type": problem_type(slug or _SLUGS.get(status, "http-error")),
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.url.path if request is not None else None,
    }
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _field_errors(error: RequestValidationError) -> list[dict[str, str]]:
    items: list[dict[str, str]] = []
    for raw in error.errors():
        loc = [str(part) for part in raw.get("loc", ())]
        location = loc[0] if loc else "body"
        items.append(
            {
                "location": location,
                "field": ".".join(loc[1:]),
                "message": str(raw.get("msg", "Invalid value.")),
                "type": str(raw.get("type", "value_error")),
            }
        )
    return items


async def _validation_handler(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = _field_errors(error)
    count = len(errors)
    return problem_response(
        status=422,
        request=request,
        slug="validation-error",
        title="Invalid request",
        detail=f"{count} field{'s' if count != 1 else ''} of the request "
        f"{'are' if count != 1 else 'is'} not valid.",
        extra={"errors": errors},
    )


def _allowed_methods(request: Request) -> str | None:
    # Starlette's 405 names the methods of the first route with the path only; the Allow
    # header should name every method the OpenAPI document gives the path.
    methods: set[str] = set()
    paths: dict[str, dict[str, Any]] = request.app.openapi().get("paths", {})
    for template, operations in paths.items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods.update(method.upper() for method in operations)
    return ", ".join(sorted(methods)) if methods else None


async def _http_handler(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    # FastAPI's HTTPException takes any JSON value as its detail; only a sentence is shown.
    given = cast("object", error.detail)
    detail = given if isinstance(given, str) else None
    headers = dict(error.headers) if error.headers else {}
    if error.status_code == 405:
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = allowed
    return problem_response(
        status=error.status_code,
        request=request,
        detail=detail,
        headers=headers or None,
    )


_KIND_STATUS: dict[str, int] = {
    "not_found": 404,
    "permission_denied": 403,
    "invalid_api_key": 401,
    "invalid_input": 422,
    "unknown_user": 422,
    "ambiguous_user": 422,
    "bad_due_date": 422,
}


def task_error_status(error: TaskError) -> int:
    """The HTTP status of a domain error (by its `kind`; 409 for kinds not listed)."""
    if isinstance(error, TaskNotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, InvalidTaskInput | UnknownUser | AmbiguousUser | DueDateError):
        return 422
    return _KIND_STATUS.get(error.kind, 409)


async def _task_error_handler(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, TaskError)
    status = task_error_status(error)
    extra: dict[str, Any] = {}
    field = getattr(error, "field", None)
    if status == 422:
        extra["errors"] = [
            {
                "location": "body",
                "field": field or "",
                "message": error.message,
                "type": error.kind,
            }
        ]
    headers = {"WWW-Authenticate": 'Bearer realm="taskpilot"'} if status == 401 else None
    return problem_response(
        status=status,
        request=request,
        detail=error.message,
        slug=error.kind.replace("_", "-"),
        headers=headers,
        extra=extra,
    )


async def _unexpected_handler(request: Request, error: Exception) -> JSONResponse:
    # The log gets the exception; the client gets a sentence and the request id to quote.
    logger.exception("unhandled error in %s %s", request.method, request.url.path)
    request_id = getattr(request.state, "request_id", None)
    headers = {"X-Request-ID": request_id} if isinstance(request_id, str) else None
    return problem_response(
        status=500,
        request=request,
        detail="Something went wrong on our side. Quote the request id if you report it.",
        headers=headers,
    )


# Errors that mean the database could not be reached or dropped the connection (as opposed
# to a query that is wrong): the client may simply try again.
_UNREACHABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)
DATABASE_RETRY_AFTER = 2


async def _database_unavailable_handler(request: Request, error: Exception) -> JSONResponse:
    logger.warning(
        "database unavailable in %s %s: %s",
        request.method,
        request.url.path,
        type(error).__name__,
        extra={"error": type(error).__name__},
    )
    request_id = getattr(request.state, "request_id", None)
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER)}
    if isinstance(request_id, str):
        headers["X-Request-ID"] = request_id
    return problem_response(
        status=503,
        request=request,
        slug="database-unavailable",
        title="Service unavailable",
        detail=(
            "The database cannot be reached right now. Try again in a few seconds; send a "
            "POST again with the same Idempotency-Key so that it is not done twice."
        ),
        headers=headers,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of `app` a problem+json response."""
    app.add_exception_handler(RequestValidationError, _validation_handler)
    for kind in _UNREACHABLE:
        app.add_exception_handler(kind, _database_unavailable_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(TaskError, _task_error_handler)
    app.add_exception_handler(Exception, _unexpected_handler)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route documenting `statuses` as problems."""
    descriptions = {
        400: "The body is not JSON.",
        401: "The API key is missing, unknown, expired or revoked.",
        403: "The API key lacks the scope this operation needs.",
        404: "There is no such task in the key's team.",
        409: "A request with the same Idempotency-Key is still running, or a conflict.",
        422: "The request is not valid; `errors` lists each field.",
        429: "Too many requests for this API key, person or team; see `Retry-After`.",
        503: "The database cannot be reached right now; see `Retry-After`.",
    }
    headers = {
        401: {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
        409: {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
        429: {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
        503: {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    }
    result: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        model = ValidationProblem if status == 422 else Problem
        result[status] = {
            "model": model,
            "description": descriptions.get(status, _TITLES.get(status, "Error")),
        }
        if status in headers:
            result[status]["headers"] = headers[status]
    return result
