"""Indexes for a unit's own cases: which units hold a case, and which cases a unit holds.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_assignments_case_unit", "assignments", ["case_id", "unit_code"])
    op.create_index("ix_assignments_unit_case", "assignments", ["unit_code", "case_id"])


def downgrade() -> None:
    op.drop_index("ix_assignments_unit_case", table_name="assignments")
    op.drop_index("ix_assignments_case_unit", table_name="assignments")
