"""API keys may be bound to one member, and audit events name the API key behind them.

`api_keys` gains `member_id`: the one person of the team an `agent:run` key speaks as in agent
turns (a key with the `agent:act_as` scope may speak as any). `audit_events` gains `api_key`:
the visible prefix of the key behind a change, beside the member an agent turn acted as.

Both columns are nullable and read by no older release: the previous release runs unchanged
on this schema.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", recreate="auto") as batch:
        batch.add_column(sa.Column("member_id", sa.String(64), nullable=True))
    with op.batch_alter_table("audit_events", recreate="auto") as batch:
        batch.add_column(sa.Column("api_key", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_events", recreate="auto") as batch:
        batch.drop_column("api_key")
    with op.batch_alter_table("api_keys", recreate="auto") as batch:
        batch.drop_column("member_id")
