"""`taskpilot apikey ...` and `taskpilot audit export` as an admin uses them.

The commands run through typer's CliRunner against the `engine` fixture's database, so every
test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

import core.db
from taskpilot.cli import build_app
from tasks.api_keys import ApiKeyService, InvalidApiKey
from tasks.models import ApiKey, AuditEvent
from tasks.service import TaskService
from tests.conftest import SessionFactory

TEAM = "T0TEAM"


@pytest.fixture
def env(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("TASKPILOT_API_KEY_ROTATION_GRACE_HOURS", "6")
    # A wide terminal, so that rich does not wrap a one-line error.
    monkeypatch.setenv("COLUMNS", "200")
    # Each command opens an engine and leaves it to the process's exit; in one test process
    # they are closed here, so that no connection outlives its test.
    opened: list[Engine] = []
    original = core.db.make_engine

    def make_engine(
        url: str, *, echo: bool = False, password: Callable[[], str | None] | None = None
    ) -> Engine:
        made = original(url, echo=echo, password=password)
        opened.append(made)
        return made

    monkeypatch.setattr(core.db, "make_engine", make_engine)
    yield
    for made in opened:
        made.dispose()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


def create(*extra: str) -> tuple[str, str]:
    """Create a key through the CLI; returns (prefix, key)."""
    code, out, err = run(
        "apikey", "create", "--team", TEAM, "--scopes", "tasks:read,tasks:write,agent:run",
        "--expires", "90d", "--name", "Zapier", "--actor", "U0ADMIN", *extra,
    )  # fmt: skip
    assert code == 0, err
    assert "shown only once" in err
    record = json.loads(out)
    return record["prefix"], record["key"]


def authenticate(session_factory: SessionFactory, key: str) -> ApiKey:
    with session_factory() as session, session.begin():
        return ApiKeyService(session, actor_id="test", source="test").authenticate(key, ip=None)


@pytest.mark.usefixtures("env")
def test_create_prints_a_working_key_once(session_factory: SessionFactory) -> None:
    code, out, err = run(
        "apikey", "create", "--team", TEAM, "--scopes", "tasks:read,agent:run",
        "--expires", "30d", "--name", "Dashboard",
    )  # fmt: skip
    assert code == 0
    summary, key = out.strip().splitlines()
    assert key.startswith("tp_")
    assert out.count(key) == 1 and key not in err
    assert "tasks:read, agent:run" in summary and TEAM in summary
    assert "Store this key now" in err
    found = authenticate(session_factory, key)
    assert (found.team_id, found.name, found.scopes) == (
        TEAM,
        "Dashboard",
        ["tasks:read", "agent:run"],
    )
    assert found.created_by.startswith("cli:")


@pytest.mark.usefixtures("env", "seeded_team")
def test_a_key_bound_to_a_member_says_so_and_keeps_it_when_rotated(
    session_factory: SessionFactory,
) -> None:
    prefix, key = create("--member", "U0ALICE", "--json")
    assert authenticate(session_factory, key).member_id == "U0ALICE"
    code, out, _ = run("apikey", "list", "--team", TEAM, "--json")
    assert [row["member"] for row in json.loads(out)] == ["U0ALICE"]
    code, out, err = run("apikey", "rotate", prefix)
    assert code == 0, err
    new_key = out.strip().splitlines()[-1]
    assert authenticate(session_factory, new_key).member_id == "U0ALICE"


@pytest.mark.usefixtures("env")
def test_list_shows_keys_without_secrets() -> None:
    prefix, key = create("--json")
    secret = key.split("_", 2)[2]
    code, out, _ = run("apikey", "list", "--team", TEAM, "--json")
    assert code == 0
    [row] = json.loads(out)
    assert row["prefix"] == prefix
    assert (row["team"], row["name"], row["status"]) == (TEAM, "Zapier", "active")
    assert secret not in out and "key_hash" not in row
    code, out, _ = run("apikey", "list")
    assert code == 0
    assert prefix in out and secret not in out
    code, out, _ = run("apikey", "list", "--team", "T0ELSE", "--json")
    assert json.loads(out) == []


@pytest.mark.usefixtures("env")
def test_rotate_gives_a_new_key_and_the_old_one_works_for_the_grace_period(
    session_factory: SessionFactory,
) -> None:
    prefix, old_key = create("--json")
    code, out, err = run("apikey", "rotate", prefix, "--grace", "2h")
    assert code == 0, err
    summary, new_key = out.strip().splitlines()
    assert new_key.startswith("tp_") and new_key != old_key
    assert f"Rotated {prefix} to" in summary and "works until" in summary
    assert authenticate(session_factory, old_key).prefix == prefix
    assert authenticate(session_factory, new_key).scopes == [
        "tasks:read",
        "tasks:write",
        "agent:run",
    ]
    code, out, _ = run("apikey", "list", "--json")
    assert [(row["name"], row["status"]) for row in json.loads(out)] == [
        ("Zapier", "rotated"),
        ("Zapier", "active"),
    ]
    assert grace_of(session_factory, prefix) == timedelta(hours=2)


@pytest.mark.usefixtures("env")
def test_rotate_without_grace_uses_the_configured_grace(session_factory: SessionFactory) -> None:
    prefix, _ = create("--json")
    code, _, err = run("apikey", "rotate", prefix)
    assert code == 0, err
    # The environment sets TASKPILOT_API_KEY_ROTATION_GRACE_HOURS=6.
    assert grace_of(session_factory, prefix) == timedelta(hours=6)


def grace_of(session_factory: SessionFactory, prefix: str) -> timedelta:
    """How long a rotated key was given: its `grace_until` minus its successor's birth."""
    with session_factory() as session:
        old = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).one()
        successor = session.get(ApiKey, old.replaced_by)
        assert old.grace_until is not None and successor is not None
        return old.grace_until - successor.created_at


@pytest.mark.usefixtures("env")
def test_revoke_stops_a_key(session_factory: SessionFactory) -> None:
    prefix, key = create("--json")
    code, out, _ = run("apikey", "revoke", prefix, "--actor", "U0SECURITY")
    assert code == 0
    assert f"Revoked API key {prefix}" in out
    with pytest.raises(InvalidApiKey):
        authenticate(session_factory, key)
    code, _, err = run("apikey", "revoke", prefix)
    assert code == 2
    assert "already revoked" in err


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "--team", TEAM, "--scopes", "tasks:read,admin"), "'admin' is not a scope"),
        (("create", "--team", TEAM, "--scopes", "tasks:read", "--expires", "soon"), "90d"),
        (("rotate", "nothere1"), "no API key with the prefix 'nothere1'"),
        (("revoke", "nothere1"), "no API key with the prefix 'nothere1'"),
        (
            ("create", "--team", TEAM, "--scopes", "agent:run", "--member", "U0NOBODY"),
            "not someone in this workspace's directory",
        ),
        (
            ("create", "--team", TEAM, "--scopes", "tasks:read", "--member", "U0ALICE"),
            "Only a key with the agent:run scope speaks as a member",
        ),
    ],
)
def test_mistakes_get_a_one_line_error_and_change_nothing(
    session_factory: SessionFactory, args: tuple[str, ...], message: str
) -> None:
    code, out, err = run("apikey", *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1
    with session_factory() as session:
        assert session.exec(select(ApiKey)).all() == []
        assert session.exec(select(AuditEvent)).all() == []


@pytest.mark.usefixtures("env")
def test_bad_grace_is_refused_and_the_key_stays_active(session_factory: SessionFactory) -> None:
    prefix, key = create("--json")
    code, _, err = run("apikey", "rotate", prefix, "--grace", "a while")
    assert code == 2
    assert "--grace" in err and "Traceback" not in err
    code, out, _ = run("apikey", "list", "--json")
    assert [row["status"] for row in json.loads(out)] == ["active"]
    assert authenticate(session_factory, key).prefix == prefix


def seed_events(session_factory: SessionFactory, *, count: int) -> None:
    with session_factory() as session, session.begin():
        service = TaskService(session, team_id=TEAM, actor_id="U0ALICE", source="slack")
        for index in range(count):
            service.create_task(title=f"=HYPERLINK(task {index})")
        other = TaskService(session, team_id="T0OTHER", actor_id="U0ERIN", source="slack")
        other.create_task(title="Not for export")


@pytest.mark.usefixtures("env")
def test_audit_export_writes_every_event_of_the_team_as_jsonl(
    session_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small pages, so that the export has to follow several of them.
    monkeypatch.setattr("tasks.keys_cli.EXPORT_PAGE", 2)
    seed_events(session_factory, count=4)
    create("--json")
    code, out, err = run("audit", "export", "--team", TEAM)
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["action"] for r in records] == ["create"] * 4 + ["key_created"]
    assert [r["task"] for r in records[:4]] == [1, 2, 3, 4]
    assert {r["team"] for r in records} == {TEAM}
    assert len({r["id"] for r in records}) == 5
    assert records[-1]["actor"] == "U0ADMIN" and records[-1]["subject"]


@pytest.mark.usefixtures("env")
def test_audit_export_as_csv_to_a_file_defuses_formulas(
    session_factory: SessionFactory, tmp_path: Path
) -> None:
    seed_events(session_factory, count=2)
    prefix, _ = create("--json")
    assert run("apikey", "revoke", prefix, "--actor", "=1+2")[0] == 0
    target = tmp_path / "audit.csv"
    code, out, err = run(
        "audit", "export", "--team", TEAM, "--format", "csv", "--output", str(target)
    )  # fmt: skip
    assert code == 0, err
    assert f"Wrote 4 audit events of {TEAM}" in out
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [row["task"] for row in rows] == ["1", "2", "", ""]
    assert rows[0]["action"] == "create" and rows[0]["actor"] == "U0ALICE"
    assert json.loads(rows[0]["changes"])["title"] == [None, "=HYPERLINK(task 0)"]
    # A spreadsheet would run a cell starting with "="; the export quotes it.
    assert (rows[3]["action"], rows[3]["actor"], rows[3]["subject"]) == (
        "key_revoked",
        "'=1+2",
        prefix,
    )


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("actor", ["＝1+2", "＋SUM(A1)", "－1", "＠cmd", "x =1"])
def test_audit_export_as_csv_defuses_full_width_formulas(
    session_factory: SessionFactory, actor: str
) -> None:
    seed_events(session_factory, count=1)
    prefix, _ = create("--json")
    assert run("apikey", "revoke", prefix, "--actor", actor)[0] == 0
    code, out, _ = run("audit", "export", "--team", TEAM, "--format", "csv")
    assert code == 0
    revoked = next(
        row for row in csv.DictReader(io.StringIO(out)) if row["action"] == "key_revoked"
    )
    if actor.startswith("x"):
        assert revoked["actor"] == actor
    else:
        assert revoked["actor"] == f"'{actor}"


def test_a_cell_with_spaces_before_a_formula_is_defused() -> None:
    from tasks.keys_cli import csv_cell

    assert csv_cell("  =1+2") == "'  =1+2"
    assert csv_cell("\u3000＝1") == "'\u3000＝1"
    assert csv_cell("plain") == "plain"


@pytest.mark.usefixtures("env")
def test_audit_export_as_csv_to_stdout(session_factory: SessionFactory) -> None:
    seed_events(session_factory, count=1)
    code, out, _ = run("audit", "export", "--team", TEAM, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(row["action"], row["task"], row["source"]) for row in rows] == [
        ("create", "1", "slack")
    ]


@pytest.mark.usefixtures("env")
def test_audit_export_since_and_bad_times(session_factory: SessionFactory) -> None:
    seed_events(session_factory, count=1)
    code, out, _ = run("audit", "export", "--team", TEAM, "--since", "2999-01-01")
    assert code == 0 and out == ""
    code, out, _ = run("audit", "export", "--team", TEAM, "--since", "2000-01-01T00:00:00+00:00")
    assert code == 0 and len(out.splitlines()) == 1
    code, _, err = run("audit", "export", "--team", TEAM, "--since", "last tuesday")
    assert code == 2
    assert "not an ISO date" in err and "Traceback" not in err


def test_the_groups_are_part_of_taskpilot() -> None:
    code, out, _ = run("--help")
    assert code == 0
    assert "apikey" in out and "audit" in out
