"""The record of every agent turn (`agent.turn_log.TurnRecord`): model, prompt, tokens, cost.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "agent_turns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("chain", sa.String(500), nullable=False),
        sa.Column("prompt_version", sa.String(50), nullable=False),
        sa.Column("model_calls", sa.Integer(), nullable=False),
        sa.Column("tool_calls", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("provider_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("degraded", sa.Boolean(), nullable=False),
        sa.Column("degraded_reason", sa.String(50), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
    )
    op.create_index(
        "ix_agent_turns_team_user_created", "agent_turns", ["team_id", "user_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_agent_turns_team_user_created", table_name="agent_turns")
    op.drop_table("agent_turns")
