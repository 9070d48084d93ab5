# pyright: strict
"""A smoke test of the container image's commands, without a container engine.

No Docker daemon runs here, so the test builds what the Dockerfile builds, the way it builds
it: it reads the Dockerfile and replays its builder stage (every COPY of the build context into
a temporary project folder, every `uv sync` with the same flags and the same `ENV`), so the
same lockfile and install flags give the same non-editable virtual environment. It then lays
out the runtime stage's working folder (its COPY lines), takes the runtime `ENV`, `ENTRYPOINT`,
`CMD` and `HEALTHCHECK`, and runs them against a fresh PostgreSQL database: `db upgrade` exits
0, `serve` answers `/healthz` and `/readyz` (database and migrations ok), the HEALTHCHECK
command passes, and SIGTERM ends the server cleanly. `eval run` runs from the image's working
folder with the datasets the image carries.

Image paths map to temporary folders: `/app` to the project folder and `/tmp` to a private
one. Only the base image (Python 3.11, glibc) differs: the test uses this machine's Python 3.11.
uv's cache makes the install take seconds after the first run.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import httpx
import pytest

from tests.conftest import PostgresServer, worker_redis_url

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
IMAGE_WORKDIR = "/app"


# --- Reading the Dockerfile ------------------------------------------------------------------


@dataclass
class Stage:
    """One build stage: its name and its instructions, in order, as (keyword, arguments)."""

    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list[tuple[str, str]])

    def all(self, keyword: str) -> list[str]:
        return [args for key, args in self.instructions if key == keyword]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for args in self.all("ENV"):
            for item in shlex.split(args):
                name, sep, value = item.partition("=")
                assert sep, f"ENV {args!r}: write ENV NAME=value"
                values[name] = value
        return values

    def exec_form(self, keyword: str) -> list[str]:
        (args,) = self.all(keyword)[-1:] or [""]
        value = json.loads(args)
        assert isinstance(value, list), f"{keyword} must use the exec (JSON) form"
        return [str(item) for item in cast("list[object]", value)]


def _logical_lines(text: str) -> Iterator[str]:
    """Instructions with their continuation lines joined; comments and blank lines dropped."""
    pending: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending.append(line[:-1].strip())
            continue
        pending.append(line)
        yield " ".join(pending)
        pending = []
    assert not pending, "the Dockerfile ends inside a continued instruction"


def read_stages(text: str) -> dict[str, Stage]:
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for line in _logical_lines(text):
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(stages))
            current = Stage(name=name, base=words[0])
            stages[name] = current
        elif current is not None:
            current.instructions.append((keyword, args.strip()))
    return stages


@dataclass(frozen=True)
class Copy:
    sources: list[str]
    destination: str
    from_stage: str | None


def parse_copy(args: str) -> Copy:
    words = shlex.split(args)
    from_stage: str | None = None
    while words and words[0].startswith("--"):
        flag = words.pop(0)
        if flag.startswith("--from="):
            from_stage = flag.removeprefix("--from=")
    assert len(words) >= 2, f"COPY {args!r}"
    return Copy(sources=words[:-1], destination=words[-1], from_stage=from_stage)


def uv_command(args: str) -> list[str] | None:
    """The `uv ...` command of a RUN line (its `--mount` flags removed), or None."""
    words = [word for word in shlex.split(args) if not word.startswith("--mount=")]
    return words if words[:1] == ["uv"] else None


STAGES = read_stages(DOCKERFILE.read_text(encoding="utf-8"))
BUILDER = STAGES["builder"]
RUNTIME = list(STAGES.values())[-1]


def _final_workdir(stage: Stage) -> str:
    workdirs = stage.all("WORKDIR")
    assert workdirs, f"stage {stage.name} sets no WORKDIR"
    return workdirs[-1]


# --- Checks of the Dockerfile itself -----------------------------------------------------------


def test_the_dockerfile_has_the_shape_the_smoke_test_replays() -> None:
    assert _final_workdir(BUILDER) == IMAGE_WORKDIR
    assert _final_workdir(RUNTIME) == IMAGE_WORKDIR
    syncs = [cmd for cmd in map(uv_command, BUILDER.all("RUN")) if cmd]
    assert syncs, "the builder runs no `uv sync`"
    assert all(cmd[:2] == ["uv", "sync"] and "--frozen" in cmd for cmd in syncs), syncs
    assert "--no-install-project" in syncs[0], "dependencies first, apart from the code"
    assert "--no-editable" in syncs[-1], "the runtime gets no link back to the sources"
    assert all("--no-dev" in cmd for cmd in syncs)
    # The runtime takes from the builder the virtual environment and nothing else.
    from_builder = [c for c in map(parse_copy, RUNTIME.all("COPY")) if c.from_stage]
    assert from_builder == [Copy([f"{IMAGE_WORKDIR}/.venv"], f"{IMAGE_WORKDIR}/.venv", "builder")]
    user = RUNTIME.all("USER")
    assert user and user[-1].split(":")[0] not in {"0", "root"}, "the runtime runs as non-root"
    assert RUNTIME.exec_form("ENTRYPOINT") == ["taskpilot"]
    assert RUNTIME.exec_form("CMD") == ["serve"]
    assert RUNTIME.env().get("TASKPILOT_HOST") == "0.0.0.0"
    assert "uv" not in RUNTIME.base and not any(
        "uv" in (c.from_stage or "") for c in map(parse_copy, RUNTIME.all("COPY"))
    )


def _dockerignore_admits(path: str, patterns: list[str]) -> bool:
    """Whether the build context keeps `path`: the last matching pattern decides."""
    admitted = True
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = pattern.removeprefix("!").strip("/")
        if any(fnmatch.fnmatchcase(prefix, glob) for prefix in prefixes):
            admitted = negated
    return admitted


def test_the_dockerignore_allowlist_admits_every_copied_path() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    copied = [
        source
        for stage in STAGES.values()
        for copy in map(parse_copy, stage.all("COPY"))
        if copy.from_stage is None
        for source in copy.sources
    ]
    assert copied
    refused = [source for source in copied if not _dockerignore_admits(source, patterns)]
    assert refused == [], f".dockerignore leaves out paths the Dockerfile copies: {refused}"
    for secret in (".env", ".venv/bin/python", "var/taskpilot.db", "tests/conftest.py"):
        assert not _dockerignore_admits(secret, patterns), f"{secret} would enter the context"
    assert not _dockerignore_admits("core/__pycache__/db.cpython-311.pyc", patterns)


# --- Building the image's environment ----------------------------------------------------------


@dataclass(frozen=True)
class ImageEnvironment:
    root: Path
    app: Path
    workdir: Path
    env: dict[str, str]
    build_seconds: float

    def entrypoint(self, *args: str) -> list[str]:
        command = RUNTIME.exec_form("ENTRYPOINT")
        found = shutil.which(command[0], path=self.env["PATH"])
        assert found is not None, f"{command[0]} is not on the image's PATH"
        return [found, *command[1:], *args]


def _uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        pytest.skip("uv is not on PATH (run the tests with `uv run`, or install uv)")
    return found


def _localize(value: str, mapping: dict[str, Path]) -> str:
    """`value` with the image's absolute paths (at the start or after a `:`) made local."""
    prefixes = "|".join(re.escape(prefix) for prefix in mapping)
    pattern = rf"(?:(?<=^)|(?<=:))({prefixes})(?=/|:|$)"
    return re.sub(pattern, lambda match: str(mapping[match.group(1)]), value)


def _copy_into(source: str, destination: Path) -> None:
    origin = ROOT / source
    assert origin.exists(), f"the Dockerfile copies {source}, which does not exist"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".cache", "node_modules")
    if origin.is_dir():
        shutil.copytree(origin, destination, ignore=ignore, dirs_exist_ok=True)
    else:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, destination)


def _replay_copy(copy: Copy, workdir: Path) -> None:
    target = copy.destination
    base = Path(target) if target.startswith("/") else None
    assert base is None or str(base).startswith(IMAGE_WORKDIR), f"COPY to {target}"
    into = workdir / Path(target).relative_to(IMAGE_WORKDIR) if base else workdir / target
    for source in copy.sources:
        if target.endswith("/") or len(copy.sources) > 1:
            _copy_into(source, into / Path(source).name)
        else:
            _copy_into(source, into)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> ImageEnvironment:
    """The image's environment, built by replaying the Dockerfile's stages."""
    uv = _uv()
    root = tmp_path_factory.mktemp("image")
    app = root / "app"
    app.mkdir()
    private_tmp = root / "tmp"
    private_tmp.mkdir()
    mapping = {IMAGE_WORKDIR: app, "/tmp": private_tmp}
    base_python = os.path.realpath(sys.executable)
    started = time.monotonic()
    build_env = {**os.environ, **{k: _localize(v, mapping) for k, v in BUILDER.env().items()}}
    # The image's interpreter is the base image's Python 3.11; here it is this machine's.
    build_env["UV_PYTHON"] = base_python
    for key in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_NO_EDITABLE", "UV_DEV"):
        build_env.pop(key, None)
    for keyword, args in BUILDER.instructions:
        if keyword == "COPY":
            copy = parse_copy(args)
            if copy.from_stage is None:
                _replay_copy(copy, app)
        elif keyword == "RUN" and args.startswith("rm -rf "):
            # Files the image trims from the environment: removed here too, inside `app` only.
            for path in shlex.split(args)[2:]:
                local = Path(_localize(path, mapping))
                assert local.is_relative_to(app), f"the Dockerfile removes {path}"
                shutil.rmtree(local, ignore_errors=True)
        elif keyword == "RUN":
            command = uv_command(args)
            assert command is not None, f"teach the smoke test to replay `RUN {args}`"
            result = subprocess.run(
                [uv, *command[1:]],
                cwd=app,
                env=build_env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert result.returncode == 0, f"{command} failed:\n{result.stderr[-4000:]}"
    build_seconds = time.monotonic() - started

    # The runtime stage's working folder: what it copies from the build context.
    workdir = root / "workdir"
    workdir.mkdir()
    for copy in map(parse_copy, RUNTIME.all("COPY")):
        if copy.from_stage is None:
            _replay_copy(copy, workdir)
    home = root / "home"
    home.mkdir()
    # A container starts with PATH and HOME, then the image's ENV; nothing of this shell.
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    for name, value in RUNTIME.env().items():
        env[name] = _localize(value.replace("${PATH}", env.get("PATH", "")), mapping)
    return ImageEnvironment(root, app, workdir, env, build_seconds)


# --- Running the image's commands --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _redis_url() -> str | None:
    """The test Redis when it answers, so that /readyz checks it too; else None."""
    import redis

    url = worker_redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=1)  # pyright: ignore[reportUnknownMemberType]
    try:
        client.ping()  # pyright: ignore[reportUnknownMemberType]
    except redis.RedisError:
        return None
    finally:
        client.close()
    return url


@pytest.mark.slow
def test_the_image_environment_is_the_locked_non_editable_install(image: ImageEnvironment) -> None:
    print(f"image environment built in {image.build_seconds:.1f} s")
    venv = image.app / ".venv"
    probe = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import core, importlib.metadata as m; "
            "print(core.__file__); print(m.version('taskpilot')); print(m.version('pytest'))",
        ],
        cwd=image.workdir,
        env=image.env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = probe.stdout.splitlines()
    # The package lives in the environment (no editable link to the sources), dev tools do not.
    assert lines and Path(lines[0]).is_relative_to(venv), probe.stdout + probe.stderr
    assert "PackageNotFoundError" in probe.stderr, "a dev dependency is in the image"
    assert (venv / "lib" / "python3.11" / "site-packages" / "core" / "migrations").is_dir()


@pytest.mark.slow
@pytest.mark.postgres
def test_the_image_migrates_serves_and_stops_on_sigterm(
    image: ImageEnvironment, postgres_server: PostgresServer
) -> None:
    database_url = postgres_server.create_database("taskpilot_image")
    port = _free_port()
    redis_url = _redis_url()
    env = {**image.env, "DATABASE_URL": database_url, "TASKPILOT_PORT": str(port)}
    env["TASKPILOT_REMINDERS"] = "false"
    if redis_url:
        env["REDIS_URL"] = redis_url
    process: subprocess.Popen[str] | None = None
    output: list[str] = []
    reader: threading.Thread | None = None
    try:
        upgrade = subprocess.run(
            image.entrypoint("db", "upgrade"),
            cwd=image.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr

        process = subprocess.Popen(
            image.entrypoint(*RUNTIME.exec_form("CMD")),
            cwd=image.workdir,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        stream = process.stdout
        reader = threading.Thread(target=lambda: output.extend(stream or []), daemon=True)
        reader.start()
        base = f"http://127.0.0.1:{port}"
        ready: httpx.Response | None = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                ready = httpx.get(f"{base}/readyz", timeout=5)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        assert process.poll() is None, "serve exited:\n" + "".join(output)
        assert ready is not None and ready.status_code == 200, (
            (ready.text if ready is not None else "no answer") + "\n" + "".join(output)
        )
        checks = ready.json()["checks"]
        assert checks["database"] == "ok" and checks["migrations"] == "ok", checks
        assert checks["redis"] == ("ok" if redis_url else "skipped"), checks
        health = httpx.get(f"{base}/healthz", timeout=5)
        assert (health.status_code, health.json()) == (200, {"status": "ok"})

        # The image's HEALTHCHECK command, as the engine would run it inside the container.
        (healthcheck,) = RUNTIME.all("HEALTHCHECK")
        command = json.loads(healthcheck[healthcheck.index("CMD [") + 4 :])
        probe = subprocess.run(command, env=env, capture_output=True, text=True, timeout=10)
        assert probe.returncode == 0, probe.stderr
        assert shutil.which(command[0], path=env["PATH"]) == str(image.app / ".venv/bin/python")

        # The JSON log lines the image asks for (LOG_FORMAT=json) are what the server writes.
        first = next(line for line in output if line.strip())
        json.loads(first)

        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        # uvicorn shuts down gracefully, then re-raises the SIGTERM it caught (143 in a shell).
        assert code in (0, -signal.SIGTERM), f"exit {code}:\n" + "".join(output)
        assert time.monotonic() - started < 30
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        if reader is not None:
            reader.join(timeout=5)
        if process is not None and process.stdout is not None:
            process.stdout.close()
        postgres_server.drop_database(database_url)


@pytest.mark.slow
def test_eval_run_works_from_the_image_working_folder(image: ImageEnvironment) -> None:
    """`eval run --dataset evals/datasets/...` finds the datasets the image carries; the
    result cache goes where the image's ENV says (under /tmp, writable with a read-only root)."""
    datasets = sorted((image.workdir / "evals" / "datasets").glob("*.yaml"))
    assert datasets, "the image carries no eval datasets"
    smallest = min(datasets, key=lambda path: path.stat().st_size)
    dataset = smallest.relative_to(image.workdir).as_posix()
    result = subprocess.run(
        image.entrypoint(
            "eval",
            "run",
            "--dataset",
            dataset,
            "--model",
            "offline",
            "--json-out",
            "reports/evals.json",
            "--no-progress",
        ),
        cwd=image.workdir,
        env=image.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((image.workdir / "reports" / "evals.json").read_text(encoding="utf-8"))
    assert report
    cache = Path(image.env["TASKPILOT_EVAL_CACHE_DIR"])
    assert cache.is_relative_to(image.root), "the eval cache must stay in the image's /tmp"
