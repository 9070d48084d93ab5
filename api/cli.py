"""`taskpilot serve`: the HTTP server (Slack endpoint, health; the REST API joins it)."""

from __future__ import annotations

import typer

from core.cli_support import fail
from core.settings import load_settings


def serve(
    host: str | None = typer.Option(None, help="Address to listen on (TASKPILOT_HOST)."),
    port: int | None = typer.Option(None, help="Port to listen on (TASKPILOT_PORT)."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
) -> None:
    """Run the HTTP server: `POST /slack/events`, `/slack/install`, `/healthz`."""
    import uvicorn

    from core.db import DatabaseNotMigrated, database_engine, ensure_migrated

    settings = load_settings()
    engine = database_engine(settings)
    try:
        ensure_migrated(engine)
    except DatabaseNotMigrated as error:
        raise fail(str(error)) from None
    finally:
        engine.dispose()
    uvicorn.run(
        "api.app:create_app_from_env",
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
    )
