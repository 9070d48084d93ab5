"""Alembic migrations of the TaskPilot database; run them with `taskpilot db upgrade`."""
