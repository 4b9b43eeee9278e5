"""Transcription of calls: each case's transcript state, and transcripts by source and call.

`cases.transcript_state`: NULL for appeals without speech; waiting (a call, its recording not
stored yet), pending (stored, transcription queued), done, failed (no transcript: a person
listens). `transcripts` gain their source (file, live, menu), their call id (a live transcript
may exist before its case), the audio's duration; their case becomes optional.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("transcript_state", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("transcript_note", sa.String(length=200), nullable=True))
        batch.create_index("ix_cases_transcript_state", ["transcript_state"])
    with op.batch_alter_table("transcripts") as batch:
        batch.add_column(sa.Column("source", sa.String(length=8), nullable=False, server_default="file"))
        batch.add_column(sa.Column("call_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("duration_s", sa.Double(), nullable=True))
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
        batch.create_index("ix_transcripts_call_id", ["call_id"])
    op.execute(
        "UPDATE cases SET transcript_state = 'failed', transcript_note = 'recorded before transcription existed' "
        "WHERE id IN (SELECT case_id FROM recordings)"
    )


def downgrade() -> None:
    op.execute("DELETE FROM transcripts WHERE case_id IS NULL")
    with op.batch_alter_table("transcripts") as batch:
        batch.drop_index("ix_transcripts_call_id")
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("duration_s")
        batch.drop_column("call_id")
        batch.drop_column("source")
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_transcript_state")
        batch.drop_column("transcript_note")
        batch.drop_column("transcript_state")
