"""A rollback works: the previous release's code runs on the schema this release migrated.

The previous release is read from git: the code as it was just before the newest migration
was added (the release a rollback returns to after that migration ran). Its packages are
exported into a directory of their own and run, in a process of their own, against a
PostgreSQL database this release's code migrated. They must authenticate keys, write and read
tasks through the REST API, and read the audit log, including rows this release wrote with
columns the previous release does not know.

The previous release's own `db upgrade` is not run: releases before the no-op on a newer
schema (`tests/test_cli.py`) stop there, which is why the deployment docs roll back by
re-running the previous release's deployment without its migration Job.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest

from core.db import MIGRATIONS_DIR, make_engine, make_session_factory, upgrade
from tasks.api_keys import ApiKeyService
from tasks.service import TaskService
from tests.conftest import PEOPLE, PostgresServer, add_people

ROOT = Path(__file__).resolve().parents[2]
# The product's packages, then and now: `export` takes those the commit has.
PACKAGES = ("core", "tasks", "tools", "agent", "prompts", "evals", "slack_app", "api", "taskpilot")
TEAM = "T0TEAM"

# Run by the previous release's code: what an older replica (or a rolled-back release) does on
# the newer schema. It prints what it saw as one JSON object.
DRIVER = r"""
import json, os, sys
from fastapi.testclient import TestClient
try:
    from taskpilot.server import create_app
except ImportError:  # Releases before the composition root assembled the server in api/.
    from api.app import create_app
from api.auth import ApiContext
from core.db import ensure_migrated, make_engine, make_session_factory
from core.settings import Settings
from tasks.api_keys import ApiKeyService

url = os.environ["DATABASE_URL"]
engine = make_engine(url)
ensure_migrated(engine, allow_newer=True)
sessions = make_session_factory(engine)
with sessions() as session, session.begin():
    key = ApiKeyService(session, actor_id="cli:old", source="cli").create(
        team_id="T0TEAM", name="old", scopes=["tasks:read", "tasks:write", "audit:read"],
        expires_in=None,
    ).key
settings = Settings.model_validate({
    "DATABASE_URL": url, "TASKPILOT_MODELS": "offline", "TASKPILOT_ALLOW_NEWER_SCHEMA": True,
    "SLACK_SIGNING_SECRET": None, "SLACK_BOT_TOKEN": None, "SLACK_CLIENT_ID": None,
    "SLACK_CLIENT_SECRET": None,
})
app = create_app(settings, api=ApiContext(settings=settings, session_factory=sessions))
auth = {"Authorization": f"Bearer {key}"}
with TestClient(app) as client:
    title = {"title": "Written by the previous release"}
    made = client.post("/api/v1/tasks", json=title, headers=auth)
    number = made.json()["id"]
    changed = client.patch(f"/api/v1/tasks/{number}", json={"priority": "high"}, headers=auth)
    listed = client.get("/api/v1/tasks", params={"limit": 100}, headers=auth)
    audit = client.get("/api/v1/audit", headers=auth)
    ready = client.get("/readyz")
print(json.dumps({
    "module": sys.modules["core.db"].__file__,
    "made": made.status_code, "changed": changed.status_code, "listed": listed.status_code,
    "titles": sorted(task["title"] for task in listed.json()["items"]),
    "audit": audit.status_code, "audit_rows": len(audit.json().get("items", [])),
    "ready": ready.status_code,
}))
"""


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False, timeout=60
    )
    if done.returncode != 0:
        pytest.skip(f"git history is not available here ({done.stderr.strip()})")
    return done.stdout.strip()


def previous_release() -> str:
    """The commit just before the newest migration was added (HEAD when it is not committed
    yet)."""
    if _git("rev-parse", "--is-shallow-repository") == "true":
        pytest.skip("a shallow clone lacks the previous release; clone with full history")
    newest = max(path.name for path in MIGRATIONS_DIR.joinpath("versions").glob("[0-9]*.py"))
    relative = MIGRATIONS_DIR.joinpath("versions", newest).relative_to(ROOT)
    added = _git("log", "--diff-filter=A", "--format=%H", "-1", "--", str(relative))
    return f"{added}^" if added else _git("rev-parse", "HEAD")


def export(commit: str, into: Path) -> None:
    """The previous release's packages, as they were at `commit`."""
    present = set(_git("ls-tree", "--name-only", commit).split())
    packages = [package for package in PACKAGES if package in present]
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit, *packages],
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


@pytest.fixture
def newer_schema(postgres_server: PostgresServer) -> Iterator[str]:
    """A PostgreSQL database this release migrated, holding rows this release wrote."""
    url = postgres_server.create_database()
    engine = make_engine(url)
    try:
        upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions() as session, session.begin():
            add_people(session, team_id=TEAM, people=PEOPLE)
            keys = ApiKeyService(session, actor_id="cli:new", source="cli")
            bound = keys.create(
                team_id=TEAM, name="new", scopes=["agent:run"], expires_in=None, member_id="U0ALICE"
            )
            TaskService(
                session,
                team_id=TEAM,
                actor_id="U0ALICE",
                source="api",
                api_key=bound.api_key.prefix,
            ).create_task(title="Written by this release")
        yield url
    finally:
        engine.dispose()
        postgres_server.drop_database(url)


@pytest.mark.postgres
def test_the_previous_release_serves_on_this_releases_schema(
    newer_schema: str, tmp_path: Path
) -> None:
    commit = previous_release()
    old = tmp_path / "previous"
    old.mkdir()
    export(commit, old)
    result = subprocess.run(
        [sys.executable, "-c", DRIVER],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=old,
        env={
            **os.environ,
            "PYTHONPATH": str(old),
            "DATABASE_URL": newer_schema,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    # The previous release's code ran, not this one's.
    assert seen["module"].startswith(str(old))
    assert (seen["made"], seen["changed"], seen["listed"]) == (201, 200, 200)
    assert seen["titles"] == ["Written by the previous release", "Written by this release"]
    assert seen["audit"] == 200 and seen["audit_rows"] >= 3
    assert seen["ready"] == 200
