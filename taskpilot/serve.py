"""`taskpilot serve`: the HTTP server (Slack endpoint, health; the REST API joins it)."""

from __future__ import annotations

import math
import os

import typer

from core.cli_support import fail
from core.settings import load_settings

# uvicorn's exit status when the server could not start.
STARTUP_FAILURE = 3


def serve(
    host: str | None = typer.Option(None, help="Address to listen on (TASKPILOT_HOST)."),
    port: int | None = typer.Option(None, help="Port to listen on (TASKPILOT_PORT)."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
) -> None:
    """Run the HTTP server: `POST /slack/events`, `/slack/install`, `/healthz`, `/readyz`,
    `/metrics`.

    On SIGTERM it stops taking requests, lets the ones in flight and the agent turns already
    acknowledged to Slack finish within `TASKPILOT_SHUTDOWN_GRACE_SECONDS`, then exits."""
    import uvicorn

    from api.server_runner import run_server
    from core.db import DatabaseNotMigrated, database_engine, ensure_migrated
    from core.metrics import MULTIPROC_ENV, prepare_multiprocess_dir, remove_multiprocess_dir

    settings = load_settings()
    engine = database_engine(settings)
    try:
        ensure_migrated(engine, allow_newer=settings.allow_newer_schema)
    except DatabaseNotMigrated as error:
        raise fail(str(error)) from None
    finally:
        engine.dispose()
    # Several workers share their metrics through files; the directory must be in the
    # environment before the workers start, since prometheus_client reads it on import.
    given = os.environ.get(MULTIPROC_ENV)
    metrics_dir = prepare_multiprocess_dir(workers)
    try:
        config = uvicorn.Config(
            "taskpilot.server:create_app_from_env",
            factory=True,
            host=host or settings.host,
            port=port if port is not None else settings.port,
            workers=workers,
            log_config=None,
            access_log=False,
            # Behind a load balancer: trust X-Forwarded-For/-Proto only from these addresses.
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            server_header=False,
            # On SIGTERM, requests in flight get this long to finish before connections close.
            timeout_graceful_shutdown=math.ceil(settings.shutdown_grace),
            # Longer than a load balancer's idle timeout, so that it closes idle connections.
            timeout_keep_alive=math.ceil(settings.keep_alive),
        )
        started = run_server(config)
    finally:
        if metrics_dir is not None and not given:
            remove_multiprocess_dir(metrics_dir)
            os.environ.pop(MULTIPROC_ENV, None)
    if not started:
        # uvicorn has logged why (a port in use, an app that failed to load); exit as it does.
        raise typer.Exit(code=STARTUP_FAILURE)
