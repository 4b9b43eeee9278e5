"""Call facts and queue visits: each call and each stay in a queue summed up from the call log,
so the managers' call metrics are GROUP BY queries over a few indexed columns.

And the indexes the dashboards need over a million cases and two million call events
(`bench/dashboard_queries.py`, bench/RESULTS.md): each step's time of a case, for the on-time rates
of the steps done in a range (else four full scans of `cases`); the agents' state events with the
call id, read from the index alone for occupancy; the answered visits by time, for the talk
intervals in a range.

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

DONE_AT = ("registered_at", "dispatched_at", "accepted_at", "replied_at")


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
        sa.Column("no_agent", sa.Boolean(), nullable=False),
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
    op.create_index("ix_queue_visits_answered", "queue_visits", ["answered_at"])
    for column in DONE_AT:
        op.create_index(f"ix_cases_{column}", "cases", [column])
    op.drop_index("ix_call_events_name_at", table_name="call_events")
    op.create_index("ix_call_events_name_at", "call_events", ["name", "at"], postgresql_include=["call_id", "id"])
    op.create_table(
        "agent_hours",
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("logged_s", sa.Float(), nullable=False),
        sa.Column("paused_s", sa.Float(), nullable=False),
        sa.Column("handling_s", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("agent", "day", "hour"),
    )
    op.create_index("ix_agent_hours_day", "agent_hours", ["day"])


def downgrade() -> None:
    op.drop_table("agent_hours")
    op.drop_index("ix_call_events_name_at", table_name="call_events")
    op.create_index("ix_call_events_name_at", "call_events", ["name", "at"])
    for column in DONE_AT:
        op.drop_index(f"ix_cases_{column}", table_name="cases")
    op.drop_table("queue_visits")
    op.drop_table("call_facts")
