"""Tasks remember the replayable request that created them.

`tasks` gains `origin_key` ("{request_id}#{ordinal}", e.g. a Slack event's delivery key and
the n-th create of its turn), unique per team where set, so that a turn re-run after a crash
(Slack's retry taking over the event) returns the task it created instead of a second one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", recreate="auto") as batch:
        batch.add_column(sa.Column("origin_key", sa.String(200), nullable=True))
        batch.create_unique_constraint("uq_tasks_team_origin", ["team_id", "origin_key"])


def downgrade() -> None:
    with op.batch_alter_table("tasks", recreate="auto") as batch:
        batch.drop_constraint("uq_tasks_team_origin", type_="unique")
        batch.drop_column("origin_key")
