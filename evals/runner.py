"""Runs eval cases through the agent, each against a fresh in-memory database.

For each case the runner seeds the case's people and tasks, reads the team's tasks, sends
every turn through `agent.runtime.run_turn` exactly as a transport would, reads the team's
tasks again and checks the expectations with `evals.matching`; the two readings also tell
`evals.harm` whether the run wrote anything it was not asked to. An exception in one case
fails that case, with the error, and the run goes on.

The agent, the task domain and the database are imported when a case runs, not when this
module is imported, so that loading or linting datasets stays light.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Generator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from evals.cache import ResultCache, cache_key
from evals.dataset import Case, Dataset
from evals.harm import HarmfulWrite, harmful_writes
from evals.matching import (
    ActualCall,
    ActualTask,
    Check,
    MatchContext,
    all_passed,
    match_case,
)
from evals.rate_limit import RateLimiter
from evals.report import CallRecord, CaseResult, DatasetInfo, EvalReport

if TYPE_CHECKING:
    from pydantic_ai.models import Model
    from sqlalchemy import Engine
    from sqlmodel import Session

    from agent.agent_deps import AgentDeps
    from agent.assembly import AgentRuntime
    from core.settings import Settings

EVAL_SOURCE = "eval"


class TurnFailed(Exception):
    """A turn that the agent could not finish (a model or provider failure)."""


class EvalSetupError(Exception):
    """The run cannot start (an unknown model or prompt version); the message says why."""


@dataclass(frozen=True, kw_only=True)
class _Job:
    case: Case
    runtime: AgentRuntime
    repeat: int


def _seed(case: Case, session_factory: Callable[[], Session]) -> None:
    """Put the case's people into the directory and its tasks into the team."""
    from tasks.directory import UserDirectory
    from tasks.due_dates import ResolvedDue
    from tasks.models import TaskPriority, TaskStatus
    from tasks.service import TaskService

    zone = case.zone
    with session_factory() as session, session.begin():
        directory = UserDirectory(session, team_id=case.team)
        for user in case.users:
            directory.upsert(
                user_id=user.id,
                handle=user.name,
                real_name=user.real_name,
                display_name=user.display_name,
                tz=case.timezone,
            )
        for seed in case.tasks:
            due: ResolvedDue | None = None
            if isinstance(seed.due, datetime):
                due = ResolvedDue(at=seed.due, all_day=False, in_past=seed.due < case.now)
            elif isinstance(seed.due, date):
                at = datetime(seed.due.year, seed.due.month, seed.due.day, tzinfo=zone)
                due = ResolvedDue(at=at, all_day=True, in_past=seed.due < case.now.date())
            service = TaskService(
                session, team_id=case.team, actor_id=seed.creator, source=EVAL_SOURCE
            )
            service.seed_task(
                number=seed.id,
                title=seed.title,
                description=seed.description,
                status=TaskStatus(seed.status),
                priority=TaskPriority(seed.priority),
                assignee_id=seed.assignee,
                creator_id=seed.creator,
                due=due,
                tags=seed.tags,
            )


def read_tasks(case: Case, session_factory: Callable[[], Session]) -> list[ActualTask]:
    """The team's tasks now, in task-number order, with `due` in the case's zone.

    The runner reads them twice: right after seeding, and after the case's last turn.
    """
    from sqlmodel import col, select

    from tasks.models import Task

    zone = case.zone
    with session_factory() as session:
        statement = select(Task).where(Task.team_id == case.team).order_by(col(Task.number))
        rows = list(session.exec(statement))
    tasks: list[ActualTask] = []
    for row in rows:
        due: date | datetime | None = None
        if row.due_at is not None:
            if row.due_all_day:
                due = row.due_at.astimezone(ZoneInfo(row.due_tz) if row.due_tz else zone).date()
            else:
                due = row.due_at.astimezone(zone)
        tasks.append(
            ActualTask(
                id=row.number,
                title=row.title,
                description=row.description,
                status=row.status.value,
                priority=row.priority.value,
                assignee=row.assignee_id,
                creator=row.creator_id,
                due=due,
                tags=list(row.tags),
            )
        )
    return tasks


@contextmanager
def _case_database() -> Generator[Engine]:
    """A fresh in-memory database with every table, dropped afterwards."""
    from agent.turn_tables import TURN_TABLE_MODULES
    from core.db import create_all, make_engine

    engine = make_engine("sqlite://")
    try:
        create_all(engine, modules=TURN_TABLE_MODULES)
        yield engine
    finally:
        engine.dispose()


def _actor_name(case: Case) -> str | None:
    for user in case.users:
        if user.id == case.actor:
            return user.display_name or user.real_name or user.name
    return None


@contextmanager
def case_environment(
    case: Case, *, source: str = EVAL_SOURCE
) -> Generator[tuple[Callable[[], Session], AgentDeps]]:
    """A fresh database seeded for the case, and the deps its turns run with."""
    from agent.agent_deps import AgentDeps
    from core.db import make_session_factory

    with _case_database() as engine:
        session_factory = make_session_factory(engine)
        _seed(case, session_factory)
        yield (
            session_factory,
            AgentDeps(
                session_factory=session_factory,
                team_id=case.team,
                actor_id=case.actor,
                now=case.now,
                source=source,
                actor_name=_actor_name(case),
            ),
        )


def build_case_runtime(
    *, model: str | Model, prompt_version: str | None, settings: Settings | None = None
) -> AgentRuntime:
    """The agent for one model and prompt version; `EvalSetupError` when it cannot be built."""
    from agent.assembly import build_runtime
    from core.settings import Settings

    try:
        return build_runtime(
            settings=settings or Settings(), model=model, prompt_version=prompt_version
        )
    except ValueError as error:
        # An unknown model or prompt version, or invalid settings: the message says what to do.
        raise EvalSetupError(str(error)) from error
    except Exception as error:
        # Anything else is a bug, but the person running the evals still gets one clear line.
        name = model if isinstance(model, str) else model.model_name
        raise EvalSetupError(
            f"cannot build the agent for model {name!r}: {type(error).__name__}: {error}"
        ) from error


async def run_case(
    case: Case,
    *,
    model: str | Model,
    prompt_version: str | None,
    runtime: AgentRuntime | None = None,
    settings: Settings | None = None,
    repeat: int = 1,
) -> CaseResult:
    """Run one case and check it. Never raises for a failure inside the case.

    `runtime` reuses an agent already built for `model` and `prompt_version`. The result's
    `latency_s` is the time the case's turns took, without seeding and checking.
    """
    from agent.runtime import run_turn

    latency = 0.0
    model_name = model if isinstance(model, str) else model.model_name
    version = prompt_version
    calls: list[CallRecord] = []
    replies: list[str] = []
    traces: list[dict[str, Any]] = []
    requests = 0
    tokens = 0
    checks: list[Check] = []
    error: str | None = None
    before: list[ActualTask] | None = None
    after: list[ActualTask] | None = None
    try:
        runtime = runtime or build_case_runtime(
            model=model, prompt_version=prompt_version, settings=settings
        )
        model_name, version = runtime.model_name, runtime.prompt_version
        with case_environment(case) as (session_factory, deps):
            before = read_tasks(case, session_factory)
            try:
                for turn in case.turns:
                    started = time.perf_counter()
                    try:
                        result = await run_turn(
                            turn, runtime=runtime, deps=deps, conversation_id=f"eval:{case.id}"
                        )
                    finally:
                        latency += time.perf_counter() - started
                    if result.error is not None:
                        # The person got an apology; the eval must see the failure behind it.
                        raise TurnFailed(result.error)
                    replies.append(result.reply)
                    if result.trace is not None:
                        traces.append(result.trace)
                    requests += result.usage.requests
                    tokens += result.usage.input_tokens + result.usage.output_tokens
                    calls.extend(
                        CallRecord(tool=record.tool, args=dict(record.args), ok=record.ok)
                        for record in result.tool_calls
                        if not record.confirmed_execution
                    )
            except Exception:
                # A run that failed part-way may already have written: judge what it left.
                # The turn's error is the one to report, so a failed read is dropped.
                with suppress(Exception):
                    after = read_tasks(case, session_factory)
                raise
            after = read_tasks(case, session_factory)
        actual = [ActualCall(tool=call.tool, args=call.args, ok=call.ok) for call in calls]
        checks = match_case(case.expect, calls=actual, tasks=after, ctx=MatchContext.for_case(case))
    except Exception as exc:  # One broken case must not stop the run.
        error = f"{type(exc).__name__}: {exc}"
        checks.append(Check(kind="error", passed=False, reason=f"error: {error}"))
    harm = _judge_harm(case, before=before, after=after, checks=checks)
    return CaseResult(
        case_id=case.id,
        dataset=case.dataset,
        category=case.category,
        model=model_name,
        prompt_version=version,
        repeat=repeat,
        passed=error is None and all_passed(checks),
        checks=checks,
        expected_calls=case.expect.calls,
        actual_calls=calls,
        replies=replies,
        traces=traces,
        model_requests=requests,
        tokens=tokens,
        latency_s=latency,
        error=error,
        harmful_writes=harm,
    )


def _judge_harm(
    case: Case,
    *,
    before: list[ActualTask] | None,
    after: list[ActualTask] | None,
    checks: list[Check],
) -> list[HarmfulWrite]:
    """The run's harmful writes; none when the tasks could not be read on both sides.

    Judging is pure and should never raise; if it does, the case fails with the reason (added
    to `checks`) instead of stopping the run or passing unjudged.
    """
    if before is None or after is None:
        # The run failed before seeding finished (or the database broke): nothing to judge.
        return []
    try:
        return harmful_writes(case, before=before, after=after)
    except Exception as exc:
        reason = f"error: cannot judge harmful writes: {type(exc).__name__}: {exc}"
        checks.append(Check(kind="error", passed=False, reason=reason))
        return []


def run_case_sync(
    case: Case,
    *,
    model: str | Model,
    prompt_version: str | None,
    runtime: AgentRuntime | None = None,
    settings: Settings | None = None,
) -> CaseResult:
    """`run_case` for callers without an event loop."""

    from agent.providers import close_provider_clients

    async def case_then_close() -> CaseResult:
        try:
            return await run_case(
                case, model=model, prompt_version=prompt_version, runtime=runtime, settings=settings
            )
        finally:
            await close_provider_clients()

    return asyncio.run(case_then_close())


@dataclass(frozen=True)
class RunOptions:
    """How the runner schedules cases: parallelism, pace and the result cache."""

    concurrency: int = 1
    rate: float = 0.0
    """At most this many cases start per second; 0 means no limit."""
    cache: ResultCache | None = None


async def _gather(
    jobs: Sequence[_Job], *, options: RunOptions, on_done: Callable[[CaseResult], None]
) -> list[CaseResult]:
    """Run the jobs, at most `concurrency` at a time, keeping their order in the results."""
    gate = asyncio.Semaphore(max(1, options.concurrency))
    limiter = RateLimiter(options.rate)
    cache = options.cache

    async def one(job: _Job) -> CaseResult:
        key = _cache_key(job) if cache is not None else None
        stored = cache.get(key) if cache is not None and key is not None else None
        if stored is not None:
            on_done(stored)
            return stored
        async with gate:
            await limiter.wait()
            result = await run_case(
                job.case,
                model=job.runtime.model_name,
                prompt_version=job.runtime.prompt_version,
                runtime=job.runtime,
                repeat=job.repeat,
            )
        if cache is not None and key is not None:
            cache.put(key, result)
        on_done(result)
        return result

    from agent.providers import close_provider_clients

    tasks: list[Awaitable[CaseResult]] = [one(job) for job in jobs]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        # Provider clients belong to this event loop, which ends with the run.
        await close_provider_clients()


def _cache_key(job: _Job) -> str:
    return cache_key(
        job.case,
        model=job.runtime.model_name,
        prompt_version=job.runtime.prompt_version,
        repeat=job.repeat,
    )


def _run_jobs(jobs: Sequence[_Job], *, options: RunOptions, progress: bool) -> list[CaseResult]:
    if not (progress and sys.stdout.isatty()):
        return asyncio.run(_gather(jobs, options=options, on_done=lambda _: None))

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=True) as bar:
        task_id = bar.add_task("evals", total=len(jobs), failed=0)
        failed = 0

        def done(result: CaseResult) -> None:
            nonlocal failed
            failed += 0 if result.passed else 1
            bar.update(task_id, advance=1, failed=failed)

        return asyncio.run(_gather(jobs, options=options, on_done=done))


def shown_path(path: str) -> str:
    """A dataset's path as reports show it: relative to the working folder when inside it, else
    its file name, so that a report shared in a pull request names no machine's folders."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.name


def run_eval(
    datasets: Sequence[Dataset],
    *,
    models: Sequence[str | Model],
    prompt_versions: Sequence[str | None] = (None,),
    repeat: int = 1,
    concurrency: int = 1,
    progress: bool = True,
    settings: Settings | None = None,
    rate: float = 0.0,
    cache: ResultCache | None = None,
) -> EvalReport:
    """Run every case of every dataset with every model and prompt version, `repeat` times.

    Raises `EvalSetupError` before running anything when a model or prompt version cannot be
    built. Shows a progress bar when `progress` is on and stdout is a terminal. With `cache`,
    runs stored earlier for the same case, model and prompt are reused instead of run.
    """
    if repeat < 1:
        raise EvalSetupError("repeat must be 1 or more")
    if concurrency < 1:
        raise EvalSetupError("concurrency must be 1 or more")
    started_at = datetime.now(UTC)
    jobs: list[_Job] = []
    for model in models:
        for version in prompt_versions or (None,):
            runtime = build_case_runtime(model=model, prompt_version=version, settings=settings)
            jobs.extend(
                _Job(case=case, runtime=runtime, repeat=index + 1)
                for dataset in datasets
                for case in dataset.cases
                for index in range(repeat)
            )
    options = RunOptions(concurrency=concurrency, rate=rate, cache=cache)
    results = _run_jobs(jobs, options=options, progress=progress)
    return EvalReport(
        started_at=started_at,
        finished_at=datetime.now(UTC),
        datasets=[
            DatasetInfo(name=dataset.name, path=shown_path(dataset.path), cases=len(dataset.cases))
            for dataset in datasets
        ],
        repeat=repeat,
        results=results,
    )
