"""Tasks, their audit trail and the workspace directory.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("assignee_id", sa.String(64), nullable=True),
        sa.Column("creator_id", sa.String(64), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_all_day", sa.Boolean(), nullable=False),
        sa.Column("due_tz", sa.String(64), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("source_channel", sa.String(64), nullable=True),
        sa.Column("source_thread", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "number", name="uq_tasks_team_number"),
        sa.CheckConstraint("number > 0", name="ck_tasks_number_positive"),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'done', 'cancelled')", name="ck_tasks_status"
        ),
        sa.CheckConstraint(
            "priority IN ('low', 'normal', 'high', 'urgent')", name="ck_tasks_priority"
        ),
    )
    op.create_index("ix_tasks_team_status", "tasks", ["team_id", "status"])
    op.create_index("ix_tasks_team_assignee", "tasks", ["team_id", "assignee_id"])
    op.create_index("ix_tasks_team_creator", "tasks", ["team_id", "creator_id"])
    op.create_index("ix_tasks_team_due", "tasks", ["team_id", "due_at"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("task_number", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint(
            "action IN ('create', 'update', 'assign', 'delete')", name="ck_audit_events_action"
        ),
    )
    op.create_index("ix_audit_events_team_task", "audit_events", ["team_id", "task_number"])
    op.create_index("ix_audit_events_team_created", "audit_events", ["team_id", "created_at"])

    op.create_table(
        "directory_users",
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("handle", sa.String(80), nullable=False),
        sa.Column("real_name", sa.String(200), nullable=True),
        sa.Column("display_name", sa.String(200), nullable=True),
        sa.Column("tz", sa.String(64), nullable=True),
        sa.Column("is_bot", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id"),
    )
    op.create_index("ix_directory_users_team_handle", "directory_users", ["team_id", "handle"])


def downgrade() -> None:
    op.drop_index("ix_directory_users_team_handle", table_name="directory_users")
    op.drop_table("directory_users")
    op.drop_index("ix_audit_events_team_created", table_name="audit_events")
    op.drop_index("ix_audit_events_team_task", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_tasks_team_due", table_name="tasks")
    op.drop_index("ix_tasks_team_creator", table_name="tasks")
    op.drop_index("ix_tasks_team_assignee", table_name="tasks")
    op.drop_index("ix_tasks_team_status", table_name="tasks")
    op.drop_table("tasks")
