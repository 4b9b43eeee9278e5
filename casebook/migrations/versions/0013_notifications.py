"""Notifications for the bell of every page, the outbox of e-mails, and a unit's e-mail choice.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("case_number", sa.String(20), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("read_at", WHEN, nullable=True),
        sa.Column("dedupe", sa.String(200), nullable=True),
        sa.UniqueConstraint("username", "dedupe"),
    )
    op.create_index("ix_notifications_unread", "notifications", ["username", "read_at", "id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(128), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("next_try_at", WHEN, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_outbox_pending", "outbox", ["sent_at", "next_try_at"])
    op.add_column("units", sa.Column("email", sa.String(128), nullable=True))
    op.add_column("units", sa.Column("notify_by_email", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.drop_column("notify_by_email")
        batch.drop_column("email")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_notifications_unread", table_name="notifications")
    op.drop_table("notifications")
