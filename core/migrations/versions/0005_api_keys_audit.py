"""API keys, idempotency records, and audit events for keys and requests.

`audit_events` gains `subject` (an API key's prefix) and `request_id`, its `task_number` may be
empty (key events name no task), and `action` takes the key events.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_TASK_ACTIONS = "'create', 'update', 'assign', 'delete'"
_ALL_ACTIONS = _TASK_ACTIONS + ", 'key_created', 'key_rotated', 'key_revoked', 'key_used_new_ip'"


def upgrade() -> None:
    with op.batch_alter_table("audit_events", recreate="auto") as batch:
        batch.drop_constraint("ck_audit_events_action", type_="check")
        batch.alter_column("task_number", existing_type=sa.Integer(), nullable=True)
        batch.alter_column(
            "action", existing_type=sa.String(16), type_=sa.String(32), existing_nullable=False
        )
        batch.add_column(sa.Column("subject", sa.String(64), nullable=True))
        batch.add_column(sa.Column("request_id", sa.String(64), nullable=True))
        batch.create_check_constraint("ck_audit_events_action", f"action IN ({_ALL_ACTIONS})")
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(32), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("grace_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_ip", sa.String(64), nullable=True),
        sa.UniqueConstraint("prefix", name="uq_api_keys_prefix"),
    )
    op.create_index("ix_api_keys_team", "api_keys", ["team_id"])
    op.create_table(
        "idempotency_records",
        sa.Column("api_key_id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotency_records")
    op.drop_index("ix_api_keys_team", table_name="api_keys")
    op.drop_table("api_keys")
    with op.batch_alter_table("audit_events", recreate="auto") as batch:
        batch.drop_constraint("ck_audit_events_action", type_="check")
        batch.drop_column("request_id")
        batch.drop_column("subject")
        batch.alter_column(
            "action", existing_type=sa.String(32), type_=sa.String(16), existing_nullable=False
        )
        batch.alter_column("task_number", existing_type=sa.Integer(), nullable=False)
        batch.create_check_constraint("ck_audit_events_action", f"action IN ({_TASK_ACTIONS})")
