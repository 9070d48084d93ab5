"""The `taskpilot` command as a newcomer and other programs use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pydantic_ai.models
import pytest
from typer.testing import CliRunner

from taskpilot.cli import build_app

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

ZONE = "America/New_York"
CHAT_KEYS = {"reply", "tool_calls", "model", "prompt_version"}
TASK_KEYS = {
    "id", "title", "description", "status", "priority", "assignee", "creator", "due", "tags",
    "created_at", "updated_at",
}  # fmt: skip


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    values = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'taskpilot.db'}",
        "TASKPILOT_TIMEZONE": ZONE,
        "TASKPILOT_MODELS": "",
        "TASKPILOT_PROMPT_VERSION": "v1",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


def coming_friday() -> date:
    today = datetime.now(ZoneInfo(ZONE)).date()
    return today + timedelta(days=(4 - today.weekday()) % 7 or 7)


def test_unmigrated_database_is_refused_with_the_command_to_run(env: dict[str, str]) -> None:
    code, _, err = run("chat", "--once", "hi")
    assert code == 2
    assert "taskpilot db upgrade" in err
    assert "Traceback" not in err


def test_readme_example_lands_a_task_for_bob_due_friday(env: dict[str, str]) -> None:
    assert run("db", "upgrade")[0] == 0
    code, out, _ = run(
        "chat", "--once", "remind bob to send the Q3 deck by friday",
        "--user", "U0ALICE", "--team", "T0DEMO", "--json",
    )  # fmt: skip
    assert code == 0
    turn = json.loads(out)
    # Fields may be added to the contract, never removed: the offline model adds its trace.
    assert set(turn) == CHAT_KEYS | {"trace"}
    assert turn["trace"]["winner"]["calls"][0]["tool"] == "create_task"
    assert turn["model"] == "offline" and turn["prompt_version"] == "v1"
    assert [(c["tool"], c["ok"]) for c in turn["tool_calls"]] == [("create_task", True)]
    assert set(turn["tool_calls"][0]) == {"tool", "args", "ok"}

    code, out, _ = run("tasks", "list", "--team", "T0DEMO", "--json")
    assert code == 0
    [task] = json.loads(out)
    assert set(task) == TASK_KEYS
    assert task["assignee"] == "U0BOB"
    assert task["creator"] == "U0ALICE"
    assert "q3 deck" in task["title"].lower()
    assert task["due"] == coming_friday().isoformat()
    assert task["status"] == "open"


def test_follow_up_once_calls_share_a_conversation(env: dict[str, str]) -> None:
    run("db", "upgrade")
    run("chat", "--once", "add a task to call the bank", "--json")
    code, out, _ = run("chat", "--once", "assign it to carol", "--json")
    assert code == 0
    assert [c["tool"] for c in json.loads(out)["tool_calls"]] == ["assign_task"]
    [task] = json.loads(run("tasks", "list", "--json")[1])
    assert task["assignee"] == "U0CAROL"


def test_other_teams_do_not_see_the_demo_tasks(env: dict[str, str]) -> None:
    run("db", "upgrade")
    run("chat", "--once", "add a task to renew the TLS certificate", "--json")
    code, out, _ = run("tasks", "list", "--team", "T0OTHER", "--json")
    assert code == 0 and json.loads(out) == []


def test_unknown_model_and_prompt_are_clear_errors(env: dict[str, str]) -> None:
    run("db", "upgrade")
    code, _, err = run("chat", "--once", "hi", "--prompt", "v99")
    assert code == 2 and "v99" in err and "Traceback" not in err
    code, _, err = run("chat", "--once", "hi", "--model", "nonsense/model")
    assert code == 2 and "nonsense/model" in err


def test_users_add_import_and_list(env: dict[str, str], tmp_path: Path) -> None:
    run("db", "upgrade")
    assert (
        run("users", "add", "U0ERIN", "erin", "--name", "Erin Park", "--tz", "Europe/Berlin")[0]
        == 0
    )
    people = tmp_path / "people.csv"
    people.write_text("id,handle,real_name,tz\nU0FRED,fred,Fred Lee,Asia/Tokyo\n")
    code, out, _ = run("users", "import", str(people))
    assert code == 0 and "1 people" in out
    code, out, _ = run("users", "list")
    assert "@erin" in out and "@fred" in out

    bad = tmp_path / "bad.csv"
    bad.write_text("id,handle,real_name,tz\nU0GIL,gil,Gil,Mars/Olympus\nU0HAL,hal,Hal,UTC\n")
    code, _, err = run("users", "import", str(bad))
    assert code == 2 and "Mars/Olympus" in err
    assert "@hal" not in run("users", "list")[1]
    code, _, err = run("users", "add", "U0X", "x", "--tz", "Nowhere/Land")
    assert code == 2 and "Nowhere/Land" in err


@pytest.mark.slow
def test_installed_console_script_runs_one_turn(env: dict[str, str]) -> None:
    script = Path(sys.executable).with_name("taskpilot")
    full_env = {**os.environ, **env}
    subprocess.run([script, "db", "upgrade"], check=True, env=full_env, capture_output=True)
    done = subprocess.run(
        [script, "chat", "--once", "todo: water the plants tomorrow", "--json"],
        check=True, env=full_env, capture_output=True, text=True,
    )  # fmt: skip
    turn = json.loads(done.stdout)
    assert turn["tool_calls"][0]["tool"] == "create_task"
    assert turn["tool_calls"][0]["ok"] is True


def test_building_the_cli_loads_no_model_libraries() -> None:
    # LiteLLM takes seconds to import and pydantic-ai about two: `taskpilot --help` and the
    # commands that need no model must not pay for them.
    probe = (
        "import sys; from taskpilot.cli import build_app; build_app(); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'litellm', 'pydantic_ai', 'openai', 'tiktoken', 'sqlalchemy'}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "[]"


def test_explain_shows_the_winning_reading_and_the_runner_up(env: dict[str, str]) -> None:
    assert run("db", "upgrade")[0] == 0
    code, out, _ = run(
        "chat", "--once", "make task 1 urgent", "--user", "U0ALICE", "--team", "T0DEMO",
        "--explain",
    )  # fmt: skip
    assert code == 0
    text = " ".join(out.split())
    assert "read as: update_task(task_id=1, priority='urgent')" in text
    assert "runner-up: create_task(title='1', priority='urgent')" in text
    assert "Created" not in text


def _migrated_by_a_newer_release(env: dict[str, str]) -> None:
    """The database as a later release leaves it: migrated to a revision this code lacks."""
    from sqlalchemy import create_engine, text

    assert run("db", "upgrade")[0] == 0
    engine = create_engine(env["DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_later'"))
    engine.dispose()


def test_db_upgrade_on_a_newer_schema_is_a_no_op_when_allowed(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-running an older release (a rollback) runs its `db upgrade` on the schema the newer
    release migrated: with TASKPILOT_ALLOW_NEWER_SCHEMA it leaves the database as it is."""
    _migrated_by_a_newer_release(env)
    monkeypatch.setenv("TASKPILOT_ALLOW_NEWER_SCHEMA", "true")
    code, out, err = run("db", "upgrade")
    assert code == 0, err
    assert "9999_later" in out and "nothing to do" in out


def test_db_upgrade_on_a_newer_schema_says_why_it_stops(env: dict[str, str]) -> None:
    _migrated_by_a_newer_release(env)
    code, _, err = run("db", "upgrade")
    assert code == 2
    assert "9999_later" in err and "TASKPILOT_ALLOW_NEWER_SCHEMA" in err
    assert "Traceback" not in err
