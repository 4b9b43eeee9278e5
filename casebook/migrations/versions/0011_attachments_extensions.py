"""Attachments on cases (photos, documents) and deadline extensions asked by units.

`attachments` holds the reference to a file kept outside the database (named by its SHA-256, with
its size and the type its content showed); `deadline_extensions` holds a unit's request for more
time to reply and the supervisor's answer, so the case page and the reports see both.
`access_tokens.scope` makes a ticket: a short-lived token good for one recording or attachment,
which a browser fetches by itself (an <audio> element seeking, a download).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=True),
        sa.Column("at", WHEN, nullable=False),
    )
    op.create_table(
        "deadline_extensions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("unit_code", sa.String(32), nullable=True),
        sa.Column("asked_by", sa.String(64), nullable=False),
        sa.Column("asked_at", WHEN, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("reply_due_before", WHEN, nullable=True),
        sa.Column("reply_due_asked", WHEN, nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("granted", sa.Boolean, nullable=True),
        sa.Column("reply_due_granted", WHEN, nullable=True),
        sa.Column("answer", sa.Text, nullable=False, server_default=""),
    )

    op.add_column("access_tokens", sa.Column("scope", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("access_tokens") as batch:
        batch.drop_column("scope")
    op.drop_table("deadline_extensions")
    op.drop_table("attachments")
