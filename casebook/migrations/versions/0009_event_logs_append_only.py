"""The call log is append-only in the database, as the case history has been since 0001.

`call_events` is the evidence the call metrics are computed from (and that a complaint about a
lost call is checked against): the database refuses to change or delete a row, whatever code or
person connects. The platform only ever inserts; a correction is a new event.

- PostgreSQL: a row trigger refuses UPDATE and DELETE on `call_events`, and statement triggers
  refuse TRUNCATE on `call_events` and `case_events` (row triggers do not see a TRUNCATE, and a
  `TRUNCATE cases CASCADE` would empty the case history). `case_events` keeps its row trigger
  of 0001.
- SQLite (embedded mode): triggers refuse UPDATE and DELETE on `call_events` (SQLite has no
  TRUNCATE). The case history's triggers of 0001 are put back if they are missing: SQLite drops
  a table's triggers when a batch migration rebuilds it, as 0002's downgrade does, so a database
  taken down past 0002 and up again would otherwise lose them. A later batch migration of
  `call_events` must create its triggers again for the same reason.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

PG_FUNCTION = """
CREATE FUNCTION event_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation',
          HINT = 'an event log is evidence: record a new event instead of changing or removing one';
END $$
"""
PG_TRIGGERS = {  # name: (table, when)
    "call_events_append_only": ("call_events", "BEFORE UPDATE OR DELETE ON call_events FOR EACH ROW"),
    "call_events_no_truncate": ("call_events", "BEFORE TRUNCATE ON call_events FOR EACH STATEMENT"),
    "case_events_no_truncate": ("case_events", "BEFORE TRUNCATE ON case_events FOR EACH STATEMENT"),
}
# SQLite's RAISE takes a literal message: one trigger per table and statement
SQLITE_TRIGGERS = {
    ("call_events", "UPDATE"): "call_events is append-only: UPDATE refused",
    ("call_events", "DELETE"): "call_events is append-only: DELETE refused",
}
SQLITE_CASE_EVENTS_0001 = {  # exactly as 0001 made them
    ("case_events", "UPDATE"): "case_events is append-only",
    ("case_events", "DELETE"): "case_events is append-only",
}


def _sqlite_trigger(table: str, action: str, message: str) -> str:
    return (
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()} BEFORE {action} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        for name, (_, when) in PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION event_log_append_only()")
    elif dialect == "sqlite":
        for (table, action), message in {**SQLITE_TRIGGERS, **SQLITE_CASE_EVENTS_0001}.items():
            op.execute(_sqlite_trigger(table, action, message))


def downgrade() -> None:
    """Removes this revision's triggers; the case history's own (0001's) stay."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name, (table, _) in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS event_log_append_only()")
    elif dialect == "sqlite":
        for table, action in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action.lower()}")
