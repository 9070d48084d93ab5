"""The Slack app's background work: reminders and directory sync."""
