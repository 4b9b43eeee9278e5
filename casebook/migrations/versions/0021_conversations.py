"""Conversations between callers and agents recorded (issue 19): one row per conversation with
its three files (mixed, the caller's side, the agent's side) and each side's transcript; a
supervisor's hold on a case's recordings.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("agent", sa.String(64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Float, nullable=True),
        sa.Column("mixed_path", sa.Text, nullable=False),
        sa.Column("caller_path", sa.Text, nullable=True),
        sa.Column("agent_path", sa.Text, nullable=True),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("caller_text", sa.Text, nullable=True),
        sa.Column("agent_text", sa.Text, nullable=True),
        sa.Column("transcript_state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_conversations_call_id", "conversations", ["call_id"])
    op.create_index("ix_conversations_agent", "conversations", ["agent"])
    op.create_index("ix_conversations_started_at", "conversations", ["started_at"])
    op.add_column("cases", sa.Column("recording_hold", sa.String(200), nullable=True))


def downgrade() -> None:
    op.drop_column("cases", "recording_hold")
    op.drop_index("ix_conversations_started_at", table_name="conversations")
    op.drop_index("ix_conversations_agent", table_name="conversations")
    op.drop_index("ix_conversations_call_id", table_name="conversations")
    op.drop_table("conversations")
