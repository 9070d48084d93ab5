"""Whether the settings hold what Slack needs, and the sentence that says what is missing."""

from __future__ import annotations

from core.settings import Settings


class SlackNotConfigured(Exception):
    """Slack credentials are missing or half set; the message says which to set."""


def check_slack_settings(
    settings: Settings, *, socket_mode: bool = False, worker: bool = False
) -> None:
    """Raise `SlackNotConfigured` with the missing names when Slack cannot start. Socket Mode
    needs no signing secret: its requests come over the app's own WebSocket, unsigned; nor
    does a turn worker, which takes no requests from Slack but needs Redis."""
    missing: list[str] = []
    if settings.slack_signing_secret is None and not (socket_mode or worker):
        missing.append("SLACK_SIGNING_SECRET")
    if worker and not settings.redis_url:
        missing.append(
            "REDIS_URL (`taskpilot slack worker` reads the turn queue there; `taskpilot serve` "
            "fills it with TASKPILOT_TURN_QUEUE=redis)"
        )
    if settings.slack_bot_token is None and not settings.slack_oauth_enabled:
        missing.append("SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    if socket_mode and settings.slack_app_token is None:
        missing.append("SLACK_APP_TOKEN (an app-level token, xapp-..., with connections:write)")
    if settings.slack_oauth_enabled and settings.slack_token_key is None:
        missing.append(
            "SLACK_TOKEN_ENCRYPTION_KEY (installations' tokens are encrypted; "
            "`taskpilot slack keygen` makes one)"
        )
    if settings.turn_queue == "redis" and not settings.redis_url and not worker:
        missing.append(
            "REDIS_URL (TASKPILOT_TURN_QUEUE=redis queues agent turns there for "
            "`taskpilot slack worker`)"
        )
    if missing:
        raise SlackNotConfigured("Slack is not configured: set " + "; ".join(missing) + ".")
