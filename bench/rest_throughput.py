"""REST throughput: `GET /api/v1/tasks` of `taskpilot serve` against a bare FastAPI route that
returns the same JSON from memory, both under uvicorn with one worker, in one run.

Run: `uv run python bench/rest_throughput.py` (or `make bench-rest`). Options:
`--concurrency C` (default 16), `--seconds S` per phase (default 5), `--rounds R` (default 3:
A, B, A, B, A, B), `--database sqlite|postgres` (default postgres: a fresh database on
`TASKPILOT_BENCH_POSTGRES_URL`, default `postgresql+psycopg://root@127.0.0.1:5432/test`,
dropped afterwards; sqlite: a file in a temporary folder), `--json`.

What runs, all on loopback:

- A, "taskpilot": `taskpilot serve --workers 1` (migrated first) without Slack credentials,
  no Redis (rate limits counted in process, the per-key limit lifted so that no request is
  refused), team T0BENCH holding 20 tasks; each request is `GET /api/v1/tasks?limit=20` with
  an API key of scope `tasks:read` (made with `taskpilot keys`' service): key lookup and
  hash check, rate limit, the query, the page and its JSON, and every middleware the product
  installs (request ids, metrics, tracing hooks, security headers, body-size limit, CORS).
- B, "ceiling": a bare FastAPI app (this file, `--ceiling-server`), no middleware, one route
  `GET /api/v1/tasks` returning the very JSON A answered (parsed once at start, serialised by
  FastAPI on every request), under the same uvicorn settings `taskpilot serve` uses (one
  worker, no access log, proxy headers, no server header, the same keep-alive).

Both servers run during the whole measurement; the load goes to one at a time, alternating.
The load is CLOSED-LOOP: C `httpx.AsyncClient` tasks in this process each send the next request
as soon as the previous answered, for S seconds per phase. The figure is requests/s of A over
requests/s of B (each summed over its phases). The generator shares the 2 cores with the
server, so both figures are lower than on separate machines; its CPU share is printed.
Target: A at least 50% of B.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import (
    ROOT,
    emit_json,
    free_port,
    fresh_postgres,
    percentile,
    running_process,
    taskpilot,
    verdict,
)

TARGET = 0.5
TEAM = "T0BENCH"
PATH = "/api/v1/tasks?limit=20"
KEEP_ALIVE = 75


def _ceiling_server(port: int, payload_file: str) -> None:
    """B: the bare FastAPI app, served the way `taskpilot serve` serves (api/cli.py)."""
    import uvicorn
    from fastapi import FastAPI

    payload: Any = json.loads(Path(payload_file).read_text())
    app = FastAPI()

    @app.get("/api/v1/tasks")
    async def tasks() -> Any:  # pyright: ignore[reportUnusedFunction]
        return payload

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:  # pyright: ignore[reportUnusedFunction]
        return {"status": "ok"}

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        workers=1,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
        timeout_keep_alive=KEEP_ALIVE,
    )


@dataclass
class Phase:
    server: str
    requests: int
    errors: int
    seconds: float
    cpu: float
    latencies: list[float]


def _seed(database_url: str) -> str:
    """20 tasks of the team and a `tasks:read` key for it; returns the key."""
    from core.db import make_engine, make_session_factory
    from tasks.api_keys import ApiKeyService
    from tasks.service import TaskService

    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    try:
        with sessions() as session, session.begin():
            service = TaskService(session, team_id=TEAM, actor_id="U0BENCH", source="bench")
            for number in range(1, 21):
                service.create_task(
                    title=f"Benchmark task {number}",
                    description="A task the REST benchmark reads.",
                    tags=["bench"],
                )
        with sessions() as session, session.begin():
            new = ApiKeyService(session, actor_id="cli:bench", source="cli").create(
                team_id=TEAM, name="bench", scopes=["tasks:read"], expires_in=timedelta(days=1)
            )
            return new.key
    finally:
        engine.dispose()


async def _phase(url: str, name: str, *, key: str, concurrency: int, seconds: float) -> Phase:
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as client:
        await asyncio.gather(*(client.get(PATH) for _ in range(concurrency)))  # connect
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                start = time.perf_counter()
                try:
                    response = await client.get(PATH)
                except httpx.HTTPError:
                    errors += 1
                    continue
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - start)
                else:
                    errors += 1

        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - wall0
        cpu = (time.process_time() - cpu0) / wall
    return Phase(name, len(latencies), errors, wall, cpu, latencies)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Requests/s of GET /api/v1/tasks (taskpilot serve, one worker) against a "
        "bare FastAPI route returning the same JSON from memory; target >= 50%%."
    )
    parser.add_argument("--concurrency", type=int, default=16, help="clients (default 16)")
    parser.add_argument("--seconds", type=float, default=5.0, help="per phase (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="A/B pairs (default 3)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--ceiling-server", nargs=2, metavar=("PORT", "FILE"), help=argparse.SUPPRESS
    )
    return parser.parse_args(argv)


@contextmanager
def _database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "postgres":
        with fresh_postgres("taskpilot_bench_rest") as url:
            yield url
        return
    yield f"sqlite:///{folder / 'bench.db'}"


def _environment(database_url: str, port: int) -> dict[str, str]:
    own = ("SLACK_", "TASKPILOT_", "DATABASE_URL", "REDIS_URL", "LOG_", "OTEL_", "SENTRY_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(own)}
    env.update(
        {
            "DATABASE_URL": database_url,
            "TASKPILOT_MODELS": "offline",
            "TASKPILOT_TIMEZONE": "UTC",
            "TASKPILOT_PORT": str(port),
            "TASKPILOT_REMINDERS": "false",
            "TASKPILOT_SEED_DEMO": "false",
            "TASKPILOT_RATE_LIMIT_KEY": "100000000/minute",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        }
    )
    return env


def main(argv: Sequence[str] | None = None) -> None:
    args = _arguments(argv)
    if args.ceiling_server:
        _ceiling_server(int(args.ceiling_server[0]), args.ceiling_server[1])
        return
    import httpx

    with tempfile.TemporaryDirectory(prefix="taskpilot-bench-rest-") as name:
        folder = Path(name)
        with _database(args.database, folder) as database_url:
            port_a, port_b = free_port(), free_port()
            env = _environment(database_url, port_a)
            subprocess.run(
                taskpilot("db", "upgrade"), env=env, check=True, capture_output=True, cwd=ROOT
            )
            key = _seed(database_url)
            url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
            serve = taskpilot("serve", "--workers", "1")
            with running_process(serve, env, url=url_a, log=folder / "a.log"):
                first = httpx.get(url_a + PATH, headers={"Authorization": f"Bearer {key}"})
                if first.status_code != 200 or len(first.json().get("items", first.json())) < 1:
                    sys.exit(f"GET {PATH} answered {first.status_code}: {first.text[:500]}")
                payload = folder / "payload.json"
                payload.write_bytes(first.content)
                command = [sys.executable, __file__, "--ceiling-server", str(port_b), str(payload)]
                with running_process(command, env, url=url_b, log=folder / "b.log"):
                    phases: list[Phase] = []
                    for _ in range(args.rounds):
                        for server, url in (("taskpilot", url_a), ("ceiling", url_b)):
                            phases.append(
                                asyncio.run(
                                    _phase(
                                        url,
                                        server,
                                        key=key,
                                        concurrency=args.concurrency,
                                        seconds=args.seconds,
                                    )
                                )
                            )
    rows: dict[str, dict[str, float]] = {}
    for server in ("taskpilot", "ceiling"):
        mine = [phase for phase in phases if phase.server == server]
        latencies = [value * 1000 for phase in mine for value in phase.latencies]
        seconds = sum(phase.seconds for phase in mine)
        rows[server] = {
            "requests": sum(phase.requests for phase in mine),
            "errors": sum(phase.errors for phase in mine),
            "rps": sum(phase.requests for phase in mine) / seconds,
            "rps_per_phase_min": min(phase.requests / phase.seconds for phase in mine),
            "rps_per_phase_max": max(phase.requests / phase.seconds for phase in mine),
            "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99),
            "generator_cpu": sum(phase.cpu for phase in mine) / len(mine),
        }
    ratio = rows["taskpilot"]["rps"] / rows["ceiling"]["rps"]
    ok = ratio >= TARGET and rows["taskpilot"]["errors"] == 0
    summary = (
        f"REST throughput ({args.database}, concurrency {args.concurrency}, "
        f"{args.rounds}x{args.seconds:g} s each): GET /api/v1/tasks "
        f"{rows['taskpilot']['rps']:.0f} req/s = {ratio:.0%} of the bare FastAPI ceiling "
        f"{rows['ceiling']['rps']:.0f} req/s; target >= {TARGET:.0%}: {verdict(ok)}"
    )
    if args.json:
        emit_json(
            {
                "benchmark": "rest_throughput",
                "database": args.database,
                "concurrency": args.concurrency,
                "seconds_per_phase": args.seconds,
                "rounds": args.rounds,
                "rows": rows,
                "ratio": ratio,
                "target_min_ratio": TARGET,
                "pass": ok,
                "summary": summary,
            }
        )
        return
    print(
        f"{'':<12}{'req/s':>9}{'min':>8}{'max':>8}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}{'gen CPU':>9}"
    )
    for server, row in rows.items():
        print(
            f"{server:<12}{row['rps']:>9.0f}{row['rps_per_phase_min']:>8.0f}"
            f"{row['rps_per_phase_max']:>8.0f}{row['p50_ms']:>9.1f}{row['p99_ms']:>9.1f}"
            f"{row['errors']:>8.0f}{row['generator_cpu']:>9.0%}"
        )
    print(summary)


if __name__ == "__main__":
    main()
