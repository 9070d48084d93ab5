"""Who may read `/metrics`, on the server and on a turn worker.

Outside production the page is open, unless `TASKPILOT_METRICS_TOKEN` is set. In production it
is off (404) until that token is set. With a token, only a request carrying
`Authorization: Bearer <token>` reads it; any other gets 401. The token is read through the
secrets backend, so a rotated token is honoured within `TASKPILOT_SECRETS_TTL_SECONDS`.
"""

from __future__ import annotations

import hmac
from enum import Enum

from core.secrets import secrets_from_settings
from core.settings import Settings

# The secret's name, not its value.
METRICS_TOKEN = "TASKPILOT_METRICS_TOKEN"  # noqa: S105


class MetricsAccess(Enum):
    """What a request for `/metrics` gets."""

    READ = 200
    UNAUTHORIZED = 401
    OFF = 404


def metrics_access(settings: Settings, *, authorization: str | None) -> MetricsAccess:
    """Whether a request with this `Authorization` header may read the metrics."""
    token = secrets_from_settings(settings).get(METRICS_TOKEN)
    if token is None:
        return MetricsAccess.OFF if settings.environment == "production" else MetricsAccess.READ
    scheme, _, given = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return MetricsAccess.UNAUTHORIZED
    expected = token.get_secret_value().encode()
    if hmac.compare_digest(given.strip().encode(), expected):
        return MetricsAccess.READ
    return MetricsAccess.UNAUTHORIZED
