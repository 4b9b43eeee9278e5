"""The learnt routing models: one row per training, with its weights, threshold and evaluation;
one active at a time (issue 17).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_models",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("weights", sa.LargeBinary, nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("lexicon_weight", sa.Float, nullable=False),
        sa.Column("examples", sa.Integer, nullable=False),
        sa.Column("from_registrations", sa.Integer, nullable=False),
        sa.Column("evaluation", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    # one active model at most: two administrators activating at once cannot leave two
    op.create_index(
        "ix_routing_models_one_active",
        "routing_models",
        ["active"],
        unique=True,
        postgresql_where=sa.text("active"),
        sqlite_where=sa.text("active"),
    )


def downgrade() -> None:
    op.drop_index("ix_routing_models_one_active", table_name="routing_models")
    op.drop_table("routing_models")
