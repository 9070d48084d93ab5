"""The request id a Slack write is audited under.

Every task change names the request behind it (`AuditEvent.request_id`). For Slack that is,
in order: the Events API delivery (`team:event_id`, which `slack_app.app` puts in the Bolt
context as `delivery_key`), the id of the HTTP request that carried the payload (which
`slack_app.gate.fastapi_adapter` puts in the context; it is also the `X-Request-ID` the server
answers with), the payload's `trigger_id`, and a fresh id when there is none of these (in
Socket Mode, Bolt does not pass the envelope id on).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

DELIVERY_KEY = "delivery_key"
"""The Bolt context key of an event's delivery key (set by `slack_app.app`)."""
HTTP_REQUEST_ID = "http_request_id"
"""The Bolt context key of the HTTP request's id (set by `slack_app.gate.fastapi_adapter`)."""
REQUEST_ID_CHARS = 64
"""The longest request id the audit log keeps (`AuditEvent.request_id`)."""


def _given(value: object) -> str | None:
    return value[:REQUEST_ID_CHARS] if isinstance(value, str) and value.strip() else None


def delivery_key_of(context: Mapping[str, object]) -> str | None:
    """The delivery key `slack_app.app` put in a Bolt context for an Events API request, or
    None (a command, an interaction, a request not claimed)."""
    key = context.get(DELIVERY_KEY)
    return key if isinstance(key, str) else None


def request_id_of(context: Mapping[str, Any], body: Mapping[str, Any]) -> str:
    """The id of the Slack request in `context` with payload `body`: its delivery key, the HTTP
    request's id, `slack:<trigger_id>`, or else a new random id."""
    for key in (DELIVERY_KEY, HTTP_REQUEST_ID):
        if (given := _given(context.get(key))) is not None:
            return given
    if (trigger := _given(body.get("trigger_id"))) is not None:
        return f"slack:{trigger}"[:REQUEST_ID_CHARS]
    return uuid.uuid4().hex
