"""Due-soon and overdue reminders (placeholder until the scheduler lands)."""

from __future__ import annotations

from slack_app.services import SlackServices


async def reminder_loop(services: SlackServices) -> None:
    """Send due reminders every `TASKPILOT_REMINDER_INTERVAL_SECONDS`, until cancelled."""
    del services
