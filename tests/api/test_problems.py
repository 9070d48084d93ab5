"""Errors are RFC 9457 problem+json, and the OpenAPI document says so for every route."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from api.problems import PROBLEM_MEDIA_TYPE, task_error_status
from tasks.api_keys import ApiKeyNotFound, InvalidApiKey
from tasks.errors import DueDateError, PermissionDenied, TaskError, TaskNotFound, UnknownUser
from tests.api.support import ApiHarness, assert_problem, auth, open_harness
from tests.conftest import SeededTeam


@pytest.fixture
def api(engine: Engine, seeded_team: SeededTeam) -> Iterator[ApiHarness]:
    with open_harness(engine, raise_server_exceptions=False) as harness:
        yield harness


def test_a_missing_key_is_a_401_problem_with_a_challenge(api: ApiHarness) -> None:
    response = api.client.get("/api/v1/tasks")
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert body["instance"] == "/api/v1/tasks"


def test_a_wrong_key_is_a_401_that_does_not_say_why(api: ApiHarness) -> None:
    real = api.key()
    forged = real[:-4] + ("aaaa" if not real.endswith("aaaa") else "bbbb")
    for headers in (auth(forged), {"X-API-Key": "tp_nothing"}, auth("garbage")):
        body = assert_problem(api.client.get("/api/v1/tasks", headers=headers), 401)
        assert body["detail"] == "The API key is missing or not valid."


def test_validation_errors_list_each_field_without_echoing_the_input(api: ApiHarness) -> None:
    secret_looking = "x" * 300
    response = api.client.post(
        "/api/v1/tasks",
        json={"title": secret_looking, "priority": "someday", "colour": "red"},
        headers=auth(api.key()),
    )
    body = assert_problem(response, 422)
    errors = body["errors"]
    assert isinstance(errors, list)
    fields = {(item["location"], item["field"]) for item in errors}  # pyright: ignore[reportUnknownVariableType]
    assert ("body", "title") in fields
    assert ("body", "priority") in fields
    assert ("body", "colour") in fields
    assert secret_looking not in response.text


def test_an_unknown_route_is_a_404_problem(api: ApiHarness) -> None:
    assert_problem(api.client.get("/api/v1/nothing-here"), 404)


def test_an_unexpected_error_is_a_500_that_leaks_nothing(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.routes_tasks as routes

    def explode(*args: object, **kwargs: object) -> object:
        raise RuntimeError("password=hunter2 at db.internal:5432")

    monkeypatch.setattr(routes, "task_record", explode)
    key = api.key()
    created = api.client.post("/api/v1/tasks", json={"title": "x"}, headers=auth(key))
    body = assert_problem(created, 500)
    assert "hunter2" not in created.text and "RuntimeError" not in created.text
    assert body["detail"]
    assert created.headers["x-request-id"]


def test_the_request_id_is_echoed_or_made(api: ApiHarness) -> None:
    key = api.key()
    given = api.client.get("/api/v1/tasks", headers={**auth(key), "X-Request-ID": "req-42"})
    assert given.headers["x-request-id"] == "req-42"
    made = api.client.get("/api/v1/tasks", headers={**auth(key), "X-Request-ID": "bad id\t!"})
    assert made.headers["x-request-id"] not in ("", "bad id\t!")


def test_the_openapi_document_documents_every_error_as_a_problem(api: ApiHarness) -> None:
    schema = api.client.get("/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
    ]
    assert {op["operationId"] for _, _, op in operations} >= {
        "listTasks",
        "createTask",
        "getTask",
        "updateTask",
        "deleteTask",
        "assignTask",
        "runAgentTurn",
        "getStats",
        "listAuditEvents",
    }
    for path, method, operation in operations:
        assert operation["tags"], (path, method)
        responses = operation["responses"]
        assert "401" in responses and "403" in responses and "422" in responses, (path, method)
        for status, response in responses.items():
            if int(status) >= 400:
                assert list(response["content"]) == [PROBLEM_MEDIA_TYPE], (path, method, status)
        assert operation["security"], (path, method)
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():  # pyright: ignore[reportUnknownVariableType]
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:  # pyright: ignore[reportUnknownVariableType]
            yield from _refs(item)


def test_every_reference_in_the_openapi_document_resolves(api: ApiHarness) -> None:
    schema = api.client.get("/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    components = schema["components"]["schemas"]
    refs = set(_refs(schema))
    assert "#/components/schemas/Problem" in refs
    assert "#/components/schemas/ValidationProblem" in refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in components, ref


def test_a_wrong_method_is_a_405_naming_every_allowed_one(api: ApiHarness) -> None:
    response = api.client.put("/api/v1/tasks/1", json={})
    assert_problem(response, 405)
    assert response.headers["allow"] == "DELETE, GET, PATCH"


def test_a_body_that_is_not_json_is_a_problem(api: ApiHarness) -> None:
    response = api.client.post(
        "/api/v1/tasks",
        content=b"{not json",
        headers={**auth(api.key()), "Content-Type": "application/json"},
    )
    assert_problem(response, 422)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (TaskNotFound(3), 404),
        (ApiKeyNotFound("abcd1234"), 404),
        (PermissionDenied("Only Alice can."), 403),
        (InvalidApiKey(), 401),
        (UnknownUser("nobody"), 422),
        (DueDateError("February 30"), 422),
        (TaskError("Too many tasks at once."), 409),
    ],
    ids=["task", "key", "permission", "api-key", "user", "due", "other"],
)
def test_domain_errors_map_to_http_statuses(error: TaskError, status: int) -> None:
    assert task_error_status(error) == status
