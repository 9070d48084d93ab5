"""Task listing as the table grows: the same typical team at 1k, 100k and 1M tasks, PostgreSQL.

Run: `uv run python bench/growth.py [--sizes 1000,100000,1000000] [--repeats N] [--json]`
(or `make bench-growth`). Needs a PostgreSQL server where the URL's user may create databases:
`TASKPILOT_BENCH_POSTGRES_URL`, default `postgresql+psycopg://root@127.0.0.1:5432/postgres`.

Fresh databases are created for the run, migrated with `core.db.upgrade` (so the indexes are
exactly the migrations'), and dropped at the end, also after a failure. The data is GENERATED
in SQL (`INSERT ... SELECT generate_series`, deterministic hashes instead of `random()`), never
through the ORM, in the order of the series (so the heap holds teams interleaved, as years of
use would), then `VACUUM ANALYZE`:

- the probe team `TPROBE` always holds exactly `--team-size` tasks (default 1,000, the mean
  team size at 1M tasks over 1,000 teams): every (size / team size)-th row, so its tasks are
  spread over the whole table as a real team's are, not packed together; at the smallest size
  it is the whole table;
- every other task goes to one of 999 other teams, skewed (team k gets a share proportional to
  1/sqrt(k): the largest holds about 3% of the table); numbers run 1, 2, ... per team;
- every team has 20 people; 50% of tasks are open or in progress, 25% high or urgent, 70%
  have a due date spread over 2026, 10% have no assignee, 30% carry tags (`ops`, `design`,
  `finance` + `q3`).

Each size gets its own fresh database, and all of them stay up while the queries run
interleaved: every round runs each query once against every size, `--repeats` rounds after a
warm-up, so a busy moment of the (shared) machine hits all sizes alike. What is timed is the
real `TaskService.list_tasks` call the API and the agent make (SQL, round trip over loopback,
building the `Task` objects), for the probe team:

- filters: status open or in progress, priority high or urgent, due in a 4-week window;
- keyset page: `order="number"`, after task number 500, limit 20;
- tag: the tasks tagged `ops`;
- my open tasks: the speaker's open and in-progress tasks (what the agent lists for
  "what's on my plate?").

The figure is p50 at the largest size over p50 at the smallest (target at most 2x): the team
is the same, so the ratio isolates the growth of the table. `EXPLAIN (ANALYZE, BUFFERS)` of
each query's exact SQL is captured at every size; at the largest one a sequential scan of
`tasks` counts as a miss whatever the timings say.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from common import fresh_postgres
from sqlalchemy import Engine, event
from sqlalchemy.engine import URL
from sqlmodel import Session

from core.db import make_engine, normalize_url, upgrade
from tasks.enums import TaskPriority, TaskStatus
from tasks.service import OPEN_STATUSES, TaskService

URL_ENV = "TASKPILOT_BENCH_POSTGRES_URL"
DEFAULT_URL = "postgresql+psycopg://root@127.0.0.1:5432/postgres"
DEFAULT_SIZES = (1_000, 100_000, 1_000_000)
PROBE_TEAM = "TPROBE"
OTHER_TEAMS = 999
PEOPLE = 20
ACTOR = "U0001"
TARGET_RATIO = 2.0

Query = Callable[[TaskService], object]

QUERIES: dict[str, Query] = {
    "filters": lambda service: service.list_tasks(
        status=OPEN_STATUSES,
        priority=(TaskPriority.high, TaskPriority.urgent),
        due_after=datetime(2026, 6, 1, tzinfo=UTC),
        due_before=datetime(2026, 6, 29, tzinfo=UTC),
    ),
    "keyset page": lambda service: service.list_tasks(order="number", after_number=500, limit=20),
    "tag": lambda service: service.list_tasks(tag="ops"),
    "my open tasks": lambda service: service.list_tasks(
        assignee_id=ACTOR, status=(TaskStatus.open, TaskStatus.in_progress)
    ),
}


# ---- the database ------------------------------------------------------------------------------


def _unit(g: str, k: int) -> str:
    """SQL for a deterministic number in [0, 1) from row `g` and stream `k`."""
    return f"((hashint8({g} * 16 + {k})::bigint & 2147483647)::float8 / 2147483648.0)"


def _insert_sql(team_expression: str) -> str:
    """Insert generated tasks for series values `:start`..`:stop`, numbered 1, 2, ... per team
    (`:stride` and `:probe` are there for `team_expression`)."""
    return f"""
WITH series AS (
    SELECT g, {_unit("g", 1)} AS r1, {_unit("g", 2)} AS r2, {_unit("g", 3)} AS r3,
           {_unit("g", 4)} AS r4, {_unit("g", 5)} AS r5, {_unit("g", 6)} AS r6,
           {_unit("g", 7)} AS r7
    FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS g
), teamed AS (
    SELECT series.*, {team_expression} AS team_id FROM series
), numbered AS (
    SELECT teamed.*,
           row_number() OVER (PARTITION BY teamed.team_id ORDER BY g) AS number
    FROM teamed
)
INSERT INTO tasks (team_id, number, title, description, status, priority, assignee_id,
                   creator_id, due_at, due_all_day, due_tz, tags, source_channel, source_thread,
                   created_at, updated_at)
SELECT team_id, number,
       'Generated task ' || g || ': follow up on item ' || mod(g, 997),
       CASE WHEN r7 < 0.2 THEN 'Details for generated task ' || g END,
       CASE WHEN r2 < 0.30 THEN 'open' WHEN r2 < 0.50 THEN 'in_progress'
            WHEN r2 < 0.95 THEN 'done' ELSE 'cancelled' END,
       CASE WHEN r3 < 0.15 THEN 'low' WHEN r3 < 0.75 THEN 'normal'
            WHEN r3 < 0.93 THEN 'high' ELSE 'urgent' END,
       CASE WHEN r4 < 0.10 THEN NULL
            ELSE 'U' || lpad((1 + mod(floor(r4 * 1000)::int, {PEOPLE}))::text, 4, '0') END,
       'U' || lpad((1 + mod(floor(r7 * 1000)::int, {PEOPLE}))::text, 4, '0'),
       CASE WHEN r5 < 0.30 THEN NULL
            ELSE timestamptz '2026-01-01 00:00:00+00' + (r5 - 0.30) / 0.70 * interval '365 days'
       END,
       false, NULL,
       (CASE WHEN r6 < 0.10 THEN '["ops"]' WHEN r6 < 0.20 THEN '["design"]'
             WHEN r6 < 0.30 THEN '["finance", "q3"]' ELSE '[]' END)::json,
       NULL, NULL,
       timestamptz '2025-06-01 00:00:00+00' + r1 * interval '300 days',
       timestamptz '2025-06-01 00:00:00+00' + r1 * interval '300 days'
FROM numbered
ORDER BY g
"""


# Every `:stride`-th row (up to `:probe` of them) belongs to the probe team, so its tasks are
# spread over the whole table as a real team's are (the worst case for reading them all); the
# others go to team k (1..999) with a share proportional to 1/sqrt(k): a uniform number squared.
INSERT_TASKS = _insert_sql(
    f"CASE WHEN mod(g, %(stride)s) = 0 AND g / %(stride)s <= %(probe)s THEN '{PROBE_TEAM}' "
    f"ELSE 'T' || lpad((1 + floor({OTHER_TEAMS} * power(r1, 2))::int)::text, 4, '0') END"
)


def generate(engine: Engine, *, probe: int, size: int) -> float:
    """Fill the empty tasks table with `size` generated tasks, `probe` of them the probe team's;
    returns the seconds it took, `VACUUM ANALYZE` included."""
    began = time.perf_counter()
    with engine.begin() as connection:
        connection.exec_driver_sql(
            INSERT_TASKS, {"start": 1, "stop": size, "stride": size // probe, "probe": probe}
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE tasks")
    return time.perf_counter() - began


# ---- measuring ---------------------------------------------------------------------------------


@dataclass
class QueryStats:
    p50_ms: float
    p95_ms: float
    rows: int
    db_ms: float
    """PostgreSQL's own execution time for the query (EXPLAIN ANALYZE), one run."""
    seq_scan: bool
    plan: str = field(repr=False)


@dataclass
class SizeResult:
    size: int
    teams: int
    probe_team_tasks: int
    largest_team_tasks: int
    generate_s: float
    queries: dict[str, QueryStats]


class LastStatement:
    """Remembers the last SQL statement an engine sent, with its parameters."""

    def __init__(self, engine: Engine) -> None:
        self.statement = ""
        self.parameters: Any = None
        event.listen(engine, "before_cursor_execute", self.record)

    def record(self, *args: Any) -> None:
        _connection, _cursor, statement, parameters, _context, _executemany = args
        self.statement, self.parameters = statement, parameters


def _percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _explain(engine: Engine, last: LastStatement) -> tuple[str, float]:
    statement, parameters = last.statement, last.parameters
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
        ).all()
    plan = "\n".join(str(row[0]) for row in rows)
    execution = next(
        (
            float(line.split(":")[1].split()[0])
            for line in plan.splitlines()
            if "Execution Time" in line
        ),
        float("nan"),
    )
    return plan, execution


WARM_UP_ROUNDS = 10


def _timed(service: TaskService, query: Query) -> tuple[float, int]:
    session = service.session
    session.expunge_all()
    began = time.perf_counter()
    result = query(service)
    elapsed = time.perf_counter() - began
    session.rollback()
    return elapsed * 1000, len(result) if isinstance(result, list) else -1


def measure(engines: dict[int, Engine], *, repeats: int) -> dict[int, dict[str, list[float]]]:
    """Milliseconds per call of each query at each size, interleaved: every round runs every
    query once on every size's database, so a busy moment of the machine hits all sizes."""
    timings = {size: {name: [] for name in QUERIES} for size in engines}
    sessions = {size: Session(engine) for size, engine in engines.items()}
    try:
        services = {
            size: TaskService(session, team_id=PROBE_TEAM, actor_id=ACTOR, source="bench")
            for size, session in sessions.items()
        }
        for round_ in range(repeats + WARM_UP_ROUNDS):
            for name, query in QUERIES.items():
                for size, service in services.items():
                    elapsed, _rows = _timed(service, query)
                    if round_ >= WARM_UP_ROUNDS:  # Warm-up: caches and connections.
                        timings[size][name].append(elapsed)
    finally:
        for session in sessions.values():
            session.close()
    return timings


def summarize(
    engine: Engine, *, size: int, timings: dict[str, list[float]], generate_s: float
) -> SizeResult:
    """Percentiles of `timings`, with each query's plan and row count at this size."""
    last = LastStatement(engine)
    stats: dict[str, QueryStats] = {}
    try:
        with Session(engine) as session:
            service = TaskService(session, team_id=PROBE_TEAM, actor_id=ACTOR, source="bench")
            for name, query in QUERIES.items():
                _elapsed, rows = _timed(service, query)
                plan, db_ms = _explain(engine, last)
                stats[name] = QueryStats(
                    p50_ms=statistics.median(timings[name]),
                    p95_ms=_percentile(timings[name], 0.95),
                    rows=rows,
                    db_ms=db_ms,
                    seq_scan="Seq Scan on tasks" in plan,
                    plan=plan,
                )
    finally:
        event.remove(engine, "before_cursor_execute", last.record)
    with engine.connect() as connection:
        teams, largest, probe = connection.exec_driver_sql(
            "SELECT count(*), max(n), max(n) FILTER (WHERE team_id = %(probe)s) FROM "
            "(SELECT team_id, count(*) AS n FROM tasks GROUP BY team_id) AS per_team",
            {"probe": PROBE_TEAM},
        ).one()
    return SizeResult(
        size=size,
        teams=int(teams),
        probe_team_tasks=int(probe),
        largest_team_tasks=int(largest),
        generate_s=generate_s,
        queries=stats,
    )


def run(server: URL, *, sizes: Sequence[int], team_size: int, repeats: int) -> list[SizeResult]:
    """One fresh database per size, all of them live during the measurement, all dropped."""
    engines: dict[int, Engine] = {}
    generated: dict[int, float] = {}
    with ExitStack() as stack:
        for size in sizes:
            url = stack.enter_context(
                fresh_postgres(
                    "taskpilot_bench_growth",
                    server_url=server.render_as_string(hide_password=False),
                )
            )
            engine = make_engine(url)
            stack.callback(engine.dispose)
            upgrade(engine)
            generated[size] = generate(engine, probe=team_size, size=size)
            engines[size] = engine
            print(
                f"  {size:>9,} tasks generated (+VACUUM ANALYZE) in {generated[size]:5.1f} s",
                file=sys.stderr,
            )
        timings = measure(engines, repeats=repeats)
        return [
            summarize(engines[size], size=size, timings=timings[size], generate_s=generated[size])
            for size in sizes
        ]


# ---- reporting ---------------------------------------------------------------------------------


def _verdicts(results: Sequence[SizeResult]) -> dict[str, dict[str, Any]]:
    first, last = results[0], results[-1]
    verdicts: dict[str, dict[str, Any]] = {}
    for name in QUERIES:
        ratio = last.queries[name].p50_ms / first.queries[name].p50_ms
        seq = last.queries[name].seq_scan
        verdicts[name] = {
            "ratio": ratio,
            "seq_scan_at_largest": seq,
            "pass": ratio <= TARGET_RATIO and not seq,
        }
    return verdicts


def report(results: Sequence[SizeResult], *, show_plans: bool) -> bool:
    sizes = [result.size for result in results]
    print(
        f"Task listing growth on PostgreSQL: team {PROBE_TEAM}, "
        f"{results[0].probe_team_tasks:,} tasks at every size"
    )
    print(
        "sizes: "
        + ", ".join(
            f"{r.size:,} tasks / {r.teams:,} teams (largest {r.largest_team_tasks:,})"
            for r in results
        )
    )
    header = "".join(f"{f'{size:,}':>22}" for size in sizes)
    print(f"\n{'query (p50 / p95 ms, db ms)':<28}{header}{'ratio':>8}  seq scan  verdict")
    verdicts = _verdicts(results)
    for name in QUERIES:
        cells = "".join(
            f"{f'{q.p50_ms:.2f} / {q.p95_ms:.2f}, {q.db_ms:.2f}':>22}"
            for q in (result.queries[name] for result in results)
        )
        verdict = verdicts[name]
        print(
            f"{name + f' ({results[-1].queries[name].rows} rows)':<28}{cells}"
            f"{verdict['ratio']:>7.2f}x"
            f"  {'YES' if verdict['seq_scan_at_largest'] else 'no':>8}  "
            f"{'PASS' if verdict['pass'] else 'MISS'}"
        )
    if show_plans:
        for name in QUERIES:
            print(f"\n--- EXPLAIN (ANALYZE, BUFFERS) at {sizes[-1]:,}: {name}")
            print(results[-1].queries[name].plan)
    worst_name = max(verdicts, key=lambda name: verdicts[name]["ratio"])
    passed = all(verdict["pass"] for verdict in verdicts.values())
    print(
        f"\nsummary: p50 at {sizes[-1]:,} / p50 at {sizes[0]:,}, worst {worst_name} "
        f"{verdicts[worst_name]['ratio']:.2f}x "
        f"(target <= {TARGET_RATIO:.0f}x, no seq scan on tasks): "
        f"{'PASS' if passed else 'MISS'}"
    )
    return passed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="list_tasks p50/p95 of one typical team as the tasks table grows.",
    )
    parser.add_argument(
        "--sizes",
        default=",".join(str(size) for size in DEFAULT_SIZES),
        help="comma-separated table sizes, ascending (default: %(default)s)",
    )
    parser.add_argument(
        "--team-size",
        type=int,
        default=1_000,
        help="tasks of the probe team (default: %(default)s)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=200,
        help="timed runs per query and size (default: %(default)s)",
    )
    parser.add_argument(
        "--plans", action="store_true", help="print the EXPLAIN plans at the largest size"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead")
    parser.add_argument(
        "--url",
        default=os.environ.get(URL_ENV) or DEFAULT_URL,
        help=f"PostgreSQL server (a database is created there and dropped); env {URL_ENV}",
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(part) for part in args.sizes.split(",") if part.strip())
    if not sizes or sizes[0] < args.team_size:
        parser.error(f"every size must be at least --team-size ({args.team_size})")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    results = run(
        normalize_url(args.url), sizes=sizes, team_size=args.team_size, repeats=args.repeats
    )
    if args.json:
        payload = {
            "benchmark": "growth",
            "target_ratio": TARGET_RATIO,
            "sizes": [asdict(result) for result in results],
            "verdicts": _verdicts(results),
        }
        print(json.dumps(payload, indent=2))
        return 0 if all(v["pass"] for v in payload["verdicts"].values()) else 1
    return 0 if report(results, show_plans=args.plans) else 1


if __name__ == "__main__":
    sys.exit(main())
