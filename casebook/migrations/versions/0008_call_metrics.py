"""Call facts and queue visits: each call and each stay in a queue summed up from the call log,
so the managers' call metrics are GROUP BY queries over a few indexed columns.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_facts",
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("line", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("queued", sa.Boolean(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("call_id"),
    )
    op.create_index("ix_call_facts_started", "call_facts", ["started_at"])
    op.create_table(
        "queue_visits",
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.SmallInteger(), nullable=False),
        sa.Column("queue", sa.String(length=32), nullable=False),
        sa.Column("line", sa.String(length=20), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("wait_s", sa.Float(), nullable=True),
        sa.Column("abandoned_position", sa.SmallInteger(), nullable=True),
        sa.Column("abandoned_ringing", sa.Boolean(), nullable=False),
        sa.Column("missed_rings", sa.SmallInteger(), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=True),
        sa.Column("extension", sa.String(length=24), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("talk_s", sa.Float(), nullable=True),
        sa.Column("transferred", sa.Boolean(), nullable=False),
        sa.Column("wrapup_s", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("call_id", "seq"),
    )
    op.create_index("ix_queue_visits_joined", "queue_visits", ["joined_at"])
    op.create_index("ix_queue_visits_agent_answered", "queue_visits", ["agent", "answered_at"])


def downgrade() -> None:
    op.drop_table("queue_visits")
    op.drop_table("call_facts")
