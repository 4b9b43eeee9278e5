"""Calls an agent took count on the line the caller dialled: they were saved with the channel
"phone" (line unknown) although the line was known and kept, which split a line's figures between
the menu's cases and the desk's (issue 19). No schema change: the cases saved so are moved to
their line's channel where the directory has it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        UPDATE cases SET channel_code = 'line-' || line_number
        WHERE origin = 'agent' AND channel_code = 'phone' AND line_number IS NOT NULL
          AND EXISTS (SELECT 1 FROM channels WHERE channels.code = 'line-' || cases.line_number)
        """
    )


def downgrade() -> None:
    """Nothing to undo: the line's channel is what these cases should always have carried."""
