"""A center setting holds text of any length: the lines an administrator edits (numbers,
greetings, hours, queues) are one JSON document, longer than the 1000 characters of 0017.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("center_settings") as table:
        table.alter_column("value", type_=sa.Text(), existing_type=sa.String(1000), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("center_settings") as table:
        table.alter_column("value", type_=sa.String(1000), existing_type=sa.Text(), existing_nullable=False)
