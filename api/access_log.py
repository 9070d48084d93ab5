"""One log line per HTTP request: what was asked and answered, and whose request it was.

`HttpMetricsMiddleware` (api/metrics.py) calls `log_request` once per request, with what it
measured for the metrics, so both read the same route, status and duration. The line holds the
method, the matched route's template (never the raw path, which may carry ids), the status,
the duration in milliseconds, the request's ids (request id, trace) and, once a key
authenticated, its team and visible prefix. Never the query string, a header, a body or a key:
what people wrote stays out of the access log whatever `TASKPILOT_LOG_MESSAGE_TEXT` says.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

ACCESS_LOGGER = "taskpilot.access"
# Asked every few seconds by orchestrators and scrapers: their lines are DEBUG, so that the
# access log shows people's and integrations' requests (LOG_LEVEL=INFO,taskpilot.access=DEBUG
# shows these too).
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})

logger = logging.getLogger(ACCESS_LOGGER)


def log_request(
    *,
    method: str,
    route: str,
    status: int,
    seconds: float,
    ids: Mapping[str, str],
    principal: Any,
) -> None:
    """Write the access line of one request (`principal`: the authenticated key, or None)."""
    fields: dict[str, Any] = {
        **ids,
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
    }
    team = getattr(principal, "team_id", None)
    prefix = getattr(principal, "prefix", None)
    if isinstance(team, str):
        fields["team_id"] = team
    if isinstance(prefix, str):
        fields["api_key"] = prefix
    level = logging.DEBUG if route in QUIET_ROUTES and status < 500 else logging.INFO
    logger.log(level, "%s %s %s", method, route, status, extra=fields)
