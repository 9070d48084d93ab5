"""`taskpilot slack worker`: runs the agent turns `taskpilot serve` queued on Redis.

It also answers `/healthz`, `/readyz` and `/metrics` on `TASKPILOT_PORT`
(`slack_app.delivery.worker_health`), for probes and for the metrics of the turns it runs.

Each worker reads the turn queue (`slack_app.delivery.turn_queue`) through one consumer group,
runs up to `SLACK_MAX_CONCURRENT_TURNS` jobs at once, and acknowledges a job only when its reply has
been posted (or its failure answered). On SIGTERM it stops taking jobs and finishes the ones
it holds within `TASKPILOT_SHUTDOWN_GRACE_SECONDS`; jobs it could not finish are taken over by
another worker after the delivery lease.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from core.context import bound
from core.metrics import observe_turn_queue_wait, set_turn_queue_depth
from core.settings import Settings
from core.tracing import unrecorded_span
from slack_app.app import build_services
from slack_app.configuration import check_slack_settings
from slack_app.delivery.deliveries import RedisLedger, replica_id
from slack_app.delivery.settlement import finish_delivery
from slack_app.delivery.stop_signals import forget_stop_signals, on_stop_signals
from slack_app.delivery.turn_queue import QueuedJob, RedisTurnQueue, SlackJob
from slack_app.delivery.worker_health import WorkerHealthServer, WorkerPulse
from slack_app.listeners.commands import handle_command
from slack_app.listeners.conversations import handle_message
from slack_app.services import SlackServices

logger = logging.getLogger(__name__)

# How often, at most, a worker looks for jobs that other workers left unfinished and marks
# its own as fresh; with a short lease, several times per lease.
RECLAIM_EVERY_SECONDS = 10.0
# How long one read waits for a new job, at most; also how quickly a stop is noticed.
READ_BLOCK_SECONDS = 1.0
# How long the worker waits after the queue failed before it asks again.
QUEUE_RETRY_SECONDS = 1.0


class WorkerCannotStart(Exception):
    """The worker cannot start; the message says why and what to change."""


def worker_queue(settings: Settings) -> RedisTurnQueue:
    """The queue a worker reads (in Redis, `REDIS_URL`), whatever `TASKPILOT_TURN_QUEUE`
    says: that setting tells the acknowledging servers to fill it."""
    check_slack_settings(settings, worker=True)
    return RedisTurnQueue(settings.redis_url or "", reclaim_after=settings.slack_delivery_lease)


async def run_job(services: SlackServices, job: SlackJob) -> None:
    """Do what the listener would have done after acknowledging `job`."""
    client = await services.client_for_team(job.team_id)
    if client is None:
        logger.warning("a queued Slack job for a team without an installation was skipped")
        await finish_delivery(services, job.delivery_key)
        return
    if job.kind == "message":
        await handle_message(
            services,
            event=job.payload,
            team_id=job.team_id,
            user_id=job.user_id,
            delivery_key=job.delivery_key,
            client=client,
        )
        return
    request_id = job.audit_id or job.request_id or ""
    await handle_command(
        services,
        command=job.payload,
        client=client,
        request_id=request_id,
        # Another worker may run the job again if this one dies: its creates must not repeat,
        # which the command's own id (stored with the job) makes sure of.
        replayable=bool(request_id),
    )


async def _answered(services: SlackServices, job: SlackJob) -> bool:
    """Whether the Slack event of `job` was answered (its delivery marked done)."""
    if job.delivery_key is None:
        return False
    try:
        return await services.ledger.finished(job.delivery_key)
    except Exception as error:
        # Not knowing, the job is run: its writes are idempotent, only a reply could repeat.
        logger.warning("could not look up whether a Slack job was answered: %s", error)
        return False


async def _perform(services: SlackServices, queue: RedisTurnQueue, queued: QueuedJob) -> None:
    job = queued.job
    try:
        if job is not None:
            with (
                unrecorded_span(),
                bound(
                    request_id=job.request_id,
                    team_id=job.team_id,
                    user_id=job.user_id,
                    slack_event_id=job.slack_event_id,
                    fresh=True,
                ),
            ):
                if queued.deliveries > 1:
                    logger.warning(
                        "took over a queued Slack job another worker did not finish",
                        extra={"entry": queued.entry_id, "deliveries": queued.deliveries},
                    )
                if queued.deliveries > 1 and await _answered(services, job):
                    # The worker before posted the reply and stopped before it acknowledged
                    # the job: running it again would answer twice. It is acknowledged below.
                    logger.info(
                        "a queued Slack job taken over was answered already",
                        extra={"entry": queued.entry_id},
                    )
                else:
                    waited = time.time() - job.enqueued_at
                    if queued.deliveries == 1:
                        # A job taken over waited for the lease as well; it would skew the
                        # wait.
                        observe_turn_queue_wait(waited)
                    logger.debug(
                        "running a queued Slack job",
                        extra={"entry": queued.entry_id, "waited": waited},
                    )
                    await run_job(services, job)
    except Exception:
        # The handlers answer their own failures; what arrives here is unexpected. The job is
        # acknowledged all the same: running it again would most likely fail again.
        logger.exception("a queued Slack job failed", extra={"entry": queued.entry_id})
    try:
        await queue.done(queued.entry_id)
    except Exception:
        # Left pending, the job is taken over after the lease; its writes are idempotent
        # (`tasks.origin_key`), so a second run creates nothing twice.
        logger.exception(
            "could not acknowledge a queued Slack job", extra={"entry": queued.entry_id}
        )


async def _next_jobs(
    queue: RedisTurnQueue,
    *,
    consumer: str,
    room: int,
    running: dict[asyncio.Task[None], str],
    reclaim: bool,
    block: float,
) -> list[QueuedJob]:
    jobs: list[QueuedJob] = []
    if reclaim:
        # The jobs in hand first: a job idle for the lease is taken over, also from a live
        # worker whose turn is merely slow.
        await queue.keep(consumer=consumer, entry_ids=list(running.values()))
        # As often as the reclaim: for the queue-depth gauge, which scales and alerts.
        set_turn_queue_depth(await queue.depth())
        if room > 0:
            jobs = await queue.reclaim(consumer=consumer, count=room)
    if not jobs and room > 0:
        jobs = await queue.take(consumer=consumer, count=room, block=block)
    return jobs


async def run_worker(
    settings: Settings,
    *,
    services: SlackServices | None = None,
    queue: RedisTurnQueue | None = None,
    stop: asyncio.Event | None = None,
    grace: float | None = None,
    consumer: str | None = None,
    health_port: int | None = None,
    on_listening: Callable[[int], None] | None = None,
) -> None:
    """Run queued Slack jobs until `stop` is set, SIGTERM or Ctrl-C; then finish the jobs in
    hand for `grace` seconds (by default `TASKPILOT_SHUTDOWN_GRACE_SECONDS`).

    `/healthz`, `/readyz` and `/metrics` listen on `TASKPILOT_HOST`:`health_port` (by default
    `TASKPILOT_PORT`); `on_listening` is told the port.
    """
    grace = settings.shutdown_grace if grace is None else grace
    queue = queue or worker_queue(settings)
    if services is None:
        services = await asyncio.to_thread(build_services, settings, worker=True)
    consumer = consumer or replica_id()
    stop = stop or asyncio.Event()
    limit = settings.slack_max_concurrent_turns
    # Each job in hand, by the task running it.
    running: dict[asyncio.Task[None], str] = {}
    # Several rounds per lease, so that a job in hand never looks abandoned.
    every = min(RECLAIM_EVERY_SECONDS, queue.reclaim_after / 4)
    block = min(READ_BLOCK_SECONDS, every)
    pulse = WorkerPulse()
    port = settings.port if health_port is None else health_port
    try:
        health = WorkerHealthServer(pulse, host=settings.host, port=port, settings=settings)
    except OSError as error:
        raise WorkerCannotStart(
            f"The worker cannot listen on {settings.host}:{port} for its health and metrics "
            f"endpoint ({error.strerror or error}); set TASKPILOT_PORT to a free port."
        ) from None
    health.start()
    if on_listening is not None:
        on_listening(health.port)
    signals = on_stop_signals(stop)
    last_reclaim = 0.0
    try:
        # The first read creates the consumer group; a Redis that is not up yet is waited for.
        logger.info("taking Slack jobs from the turn queue", extra={"consumer": consumer})
        while not stop.is_set():
            pulse.looped()
            room = limit - len(running)
            now = time.monotonic()
            reclaim = now - last_reclaim >= every
            if room <= 0 and not reclaim:
                await asyncio.wait(set(running), timeout=block)
                continue
            try:
                jobs = await _next_jobs(
                    queue,
                    consumer=consumer,
                    room=max(room, 0),
                    running=running,
                    reclaim=reclaim,
                    block=block,
                )
                pulse.read()
            except Exception as error:
                logger.warning("could not read the turn queue; trying again: %s", error)
                await asyncio.sleep(QUEUE_RETRY_SECONDS)
                continue
            if reclaim:
                last_reclaim = now
            for queued in jobs:
                task = asyncio.create_task(_perform(services, queue, queued))
                running[task] = queued.entry_id
                task.add_done_callback(lambda done: running.pop(done, None))
        logger.info("stopping: finishing the Slack jobs in hand", extra={"jobs": len(running)})
        if running:
            _done, left = await asyncio.wait(set(running), timeout=grace)
            if left:
                logger.warning(
                    "stopped with queued Slack jobs unfinished; another worker takes them "
                    "over after the delivery lease",
                    extra={"jobs": len(left)},
                )
                for task in left:
                    task.cancel()
    finally:
        forget_stop_signals(signals)
        health.stop()
        await queue.close()
        if isinstance(services.ledger, RedisLedger):
            await services.ledger.close()
        if services.rate_limiter is not None:
            await services.rate_limiter.close()
        services.agent_loop.stop()
