"""REST throughput: `GET /api/v1/tasks` of `taskpilot serve` against a bare FastAPI route that
returns the same JSON from memory, both under uvicorn with one worker, in one run.

Run: `uv run python bench/rest_throughput.py` (or `make bench-rest`). Options:
`--concurrency C` (default 16), `--seconds S` per phase (default 5; whole seconds with wrk),
`--rounds R` (default 3: A, B, A, B, A, B), `--generator auto|wrk|httpx` (default auto: wrk
when it is on PATH, else httpx), `--database sqlite|postgres` (default postgres: a fresh
database on `TASKPILOT_BENCH_POSTGRES_URL`, default
`postgresql+psycopg://root@127.0.0.1:5432/test`, dropped afterwards; sqlite: a file in a
temporary folder), `--json`.

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
The load is CLOSED-LOOP: C connections each send the next request as soon as the previous
answered, for S seconds per phase, with the same `Authorization` header for A and B. The load
generator is one of:

- wrk (a compiled generator; `wrk -t1 -c C -d S --latency`, one thread): requests/s, p50 and
  p99 and errors (non-2xx answers and socket errors) are read from its report. Over several
  phases, p50 is the request-weighted mean of the phases' p50 and p99 the worst phase's.
- httpx (the fallback without wrk): C `httpx.AsyncClient` tasks in this process; percentiles
  over every request of the phases. A Python client needs about as much CPU per request as the
  bare server, so it tends to be the limit of the ceiling phases (a note says so).

The figure is requests/s of A over requests/s of B (each summed over its phases). The
generator shares the 2 cores with the servers, so both figures are lower than on separate
machines; its CPU share (of one core) is printed, and a summary whose ceiling phases had the
generator at 80% of a core or more says it is not conclusive. Target: A at least 50% of B.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import resource
import shutil
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
# The generator's CPU (share of one core) during the ceiling phases above which the ceiling is
# taken to be the generator's limit rather than the bare server's.
GENERATOR_BOUND_CPU = 0.8
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
    # Every answered request's latency (httpx), or none when the generator reports percentiles
    # of its own (wrk: `p50`/`p99`, in seconds).
    latencies: list[float]
    p50: float = math.nan
    p99: float = math.nan


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


async def _httpx_phase(url: str, name: str, *, key: str, concurrency: int, seconds: float) -> Phase:
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


_WRK_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_WRK_PERCENTILE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_WRK_TOTAL = re.compile(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)")
_WRK_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_WRK_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def parse_wrk(output: str) -> tuple[int, int, float, float, float]:
    """From a `wrk --latency` report: (answered 2xx/3xx requests, errors, seconds, p50, p99),
    times in seconds; errors are non-2xx/3xx answers plus socket errors."""
    total = _WRK_TOTAL.search(output)
    if total is None:
        raise ValueError(f"no request count in wrk's report:\n{output}")
    percentiles = {
        match[1]: float(match[2]) * _WRK_UNITS[match[3]]
        for match in _WRK_PERCENTILE.finditer(output)
    }
    if set(percentiles) != {"50", "99"}:
        raise ValueError(f"no latency distribution in wrk's report:\n{output}")
    socket = _WRK_SOCKET.search(output)
    non_2xx = _WRK_NON_2XX.search(output)
    refused = int(non_2xx[1]) if non_2xx else 0
    socket_errors = sum(int(value) for value in socket.groups()) if socket else 0
    seconds = float(total[2]) * _WRK_UNITS[total[3]]
    return (
        int(total[1]) - refused,
        refused + socket_errors,
        seconds,
        percentiles["50"],
        percentiles["99"],
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _wrk_phase(wrk: str, url: str, name: str, *, key: str, concurrency: int, seconds: int) -> Phase:
    command = [
        wrk,
        "-t1",
        f"-c{concurrency}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"Authorization: Bearer {key}",
        url + PATH,
    ]
    cpu0, wall0 = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - wall0
    cpu = (_children_cpu() - cpu0) / wall
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:5])} ... failed ({done.returncode}):\n{done.stderr}")
    requests, errors, measured, p50, p99 = parse_wrk(done.stdout)
    return Phase(name, requests, errors, measured, cpu, [], p50, p99)


def _generator(choice: str) -> tuple[str, str | None]:
    """The generator to use ("wrk" or "httpx") and wrk's path when it is wrk."""
    wrk = shutil.which("wrk")
    if choice == "wrk" and wrk is None:
        sys.exit("--generator wrk: wrk is not on PATH (Debian/Ubuntu: apt-get install wrk).")
    if choice == "httpx" or wrk is None:
        return "httpx", None
    return "wrk", wrk


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Requests/s of GET /api/v1/tasks (taskpilot serve, one worker) against a "
        "bare FastAPI route returning the same JSON from memory; target >= 50%%."
    )
    parser.add_argument("--concurrency", type=int, default=16, help="clients (default 16)")
    parser.add_argument("--seconds", type=float, default=5.0, help="per phase (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="A/B pairs (default 3)")
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "httpx"),
        default="auto",
        help="load generator (default auto: wrk when on PATH, else httpx)",
    )
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


def _row(phases: Sequence[Phase]) -> dict[str, float]:
    seconds = sum(phase.seconds for phase in phases)
    requests = sum(phase.requests for phase in phases)
    latencies = [value * 1000 for phase in phases for value in phase.latencies]
    if latencies:
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    else:
        # wrk reports percentiles per phase: weight the medians by requests, keep the worst
        # tail.
        p50 = sum(phase.p50 * phase.requests for phase in phases) / max(requests, 1) * 1000
        p99 = max(phase.p99 for phase in phases) * 1000
    return {
        "requests": requests,
        "errors": sum(phase.errors for phase in phases),
        "rps": requests / seconds,
        "rps_per_phase_min": min(phase.requests / phase.seconds for phase in phases),
        "rps_per_phase_max": max(phase.requests / phase.seconds for phase in phases),
        "p50_ms": p50,
        "p99_ms": p99,
        "generator_cpu": sum(phase.cpu for phase in phases) / len(phases),
    }


def main(argv: Sequence[str] | None = None) -> None:
    args = _arguments(argv)
    if args.ceiling_server:
        _ceiling_server(int(args.ceiling_server[0]), args.ceiling_server[1])
        return
    import httpx

    generator, wrk = _generator(args.generator)
    notes: list[str] = []
    if generator == "httpx":
        notes.append(
            "note: load from the Python httpx generator"
            + (" (wrk is not on PATH)" if args.generator == "auto" else "")
            + "; it may be the limit of the ceiling phases (see its CPU), so the ratio may "
            "read higher than the servers' own."
        )
    wrk_seconds = max(1, math.ceil(args.seconds))
    if wrk is not None and wrk_seconds != args.seconds:
        notes.append(f"note: wrk runs whole seconds: {wrk_seconds} s per phase.")

    def phase(url: str, server: str, key: str) -> Phase:
        if wrk is not None:
            return _wrk_phase(
                wrk, url, server, key=key, concurrency=args.concurrency, seconds=wrk_seconds
            )
        return asyncio.run(
            _httpx_phase(url, server, key=key, concurrency=args.concurrency, seconds=args.seconds)
        )

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
                            phases.append(phase(url, server, key))
    rows = {
        server: _row([phase for phase in phases if phase.server == server])
        for server in ("taskpilot", "ceiling")
    }
    ratio = rows["taskpilot"]["rps"] / rows["ceiling"]["rps"]
    ok = ratio >= TARGET and rows["taskpilot"]["errors"] == 0
    seconds = wrk_seconds if wrk is not None else args.seconds
    # A generator near a whole core during the ceiling phases measured itself, not B.
    generator_bound = rows["ceiling"]["generator_cpu"] >= GENERATOR_BOUND_CPU
    summary = (
        f"REST throughput ({args.database}, {generator}, concurrency {args.concurrency}, "
        f"{args.rounds}x{seconds:g} s each): GET /api/v1/tasks "
        f"{rows['taskpilot']['rps']:.0f} req/s = {ratio:.0%} of the bare FastAPI ceiling "
        f"{rows['ceiling']['rps']:.0f} req/s; target >= {TARGET:.0%}: {verdict(ok)}"
    )
    if generator_bound:
        summary += (
            f" (not conclusive: the {generator} generator used "
            f"{rows['ceiling']['generator_cpu']:.0%} of a core during the ceiling phases)"
        )
    if args.json:
        emit_json(
            {
                "benchmark": "rest_throughput",
                "database": args.database,
                "generator": generator,
                "concurrency": args.concurrency,
                "seconds_per_phase": seconds,
                "rounds": args.rounds,
                "rows": rows,
                "ratio": ratio,
                "target_min_ratio": TARGET,
                "pass": ok,
                "generator_bound": generator_bound,
                "notes": notes,
                "summary": summary,
            }
        )
        return
    for note in notes:
        print(note)
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
