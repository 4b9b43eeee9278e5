"""Cases a person must call back: the caller reported, and their words are missing or cut short.

`cases.call_back` holds why (for the person who calls): "hung up before the tone", "no words in
the message", "the recording stopped early", "the call was cut off (Asterisk stopped)". It is
cleared when someone has called the citizen back (the case's event log keeps both). A partial
index keeps the list of cases to call back cheap however many cases there are.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("call_back", sa.String(200), nullable=True))
    op.create_index(
        "ix_cases_call_back",
        "cases",
        ["received_at"],
        postgresql_where=sa.text("call_back IS NOT NULL"),
        sqlite_where=sa.text("call_back IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_cases_call_back", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("call_back")
