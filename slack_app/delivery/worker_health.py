"""A turn worker's own small HTTP endpoint: `/healthz`, `/readyz` and `/metrics`.

A worker takes no requests, but an orchestrator must know whether it is alive and working,
and its agent turns produce the model, tool, token and cost metrics Prometheus scrapes. The
endpoint runs on a thread of its own (the standard library's HTTP server), so that it answers
even while the worker's event loop is busy, and it reads only what the loop records:

- `/healthz`: 200 while the worker's loop has gone round within `STALE_AFTER_SECONDS`;
- `/readyz`: 200 while, besides, its last read of the queue succeeded within that time;
- `/metrics`: the Prometheus exposition (`core.metrics.render`), to whom
  `core.metrics_access` allows it, as on the server.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from core.http_server import ThreadedHTTPServer
from core.metrics import render
from core.metrics_access import MetricsAccess, metrics_access
from core.settings import Settings

logger = logging.getLogger(__name__)

# A loop that has not gone round, or a queue not read, for this long is reported.
STALE_AFTER_SECONDS = 30.0


class WorkerPulse:
    """When the worker's loop last went round and last read the queue, in monotonic time."""

    def __init__(self) -> None:
        now = time.monotonic()
        self.loop_at = now
        self.read_at: float | None = None

    def looped(self) -> None:
        self.loop_at = time.monotonic()

    def read(self) -> None:
        self.read_at = time.monotonic()

    def checks(self) -> dict[str, str]:
        """ "ok" or what is wrong, by check."""
        now = time.monotonic()
        loop = "ok" if now - self.loop_at <= STALE_AFTER_SECONDS else "stalled"
        if self.read_at is None:
            queue = "not read yet"
        elif now - self.read_at <= STALE_AFTER_SECONDS:
            queue = "ok"
        else:
            queue = "unreachable"
        return {"loop": loop, "queue": queue}


class WorkerHealthServer:
    """The endpoint on `host:port` (port 0: any free one, see `port`)."""

    def __init__(self, pulse: WorkerPulse, *, host: str, port: int, settings: Settings) -> None:
        self._pulse = pulse

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    access = metrics_access(
                        settings, authorization=self.headers.get("Authorization")
                    )
                    if access is MetricsAccess.READ:
                        body, content_type = render(self.headers.get("Accept"))
                        self._send(200, body, content_type)
                    elif access is MetricsAccess.UNAUTHORIZED:
                        self._json(
                            401,
                            {"detail": "Send the metrics token as a bearer token."},
                            {"WWW-Authenticate": "Bearer"},
                        )
                    else:
                        self._json(404, {"detail": "Not Found"})
                    return
                checks = pulse.checks()
                if path == "/healthz":
                    ok = checks["loop"] == "ok"
                    self._json(200 if ok else 503, {"status": "ok" if ok else "stalled"})
                    return
                if path == "/readyz":
                    ok = all(value == "ok" for value in checks.values())
                    self._json(
                        200 if ok else 503,
                        {"status": "ready" if ok else "not ready", "checks": checks},
                    )
                    return
                self._json(404, {"detail": "Not Found"})

            def _json(
                self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                self._send(status, json.dumps(payload).encode(), "application/json", headers)

            def _send(
                self,
                status: int,
                body: bytes,
                content_type: str,
                headers: dict[str, str] | None = None,
            ) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                # Probes every few seconds would drown the worker's own log lines.
                del format, args

        self._server = ThreadedHTTPServer((host, port), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="worker-health", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()
        logger.info("health and metrics endpoint listening", extra={"port": self.port})

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
