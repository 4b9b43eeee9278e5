"""The case list's nearest clock first, at any size: indexes on the running clock's due time.

Every role's inbox on the case list (`GET /api/v1/cases?order=due`) is sorted by the due time of
the clock the case's status runs (`casebook.cases.queries.running_due`: register, dispatch, accept
or reply), the cases with no running clock last, then by id. With no index PostgreSQL computed
that for every row the other filters left and sorted them all: over 1,000,000 cases 1.5 s for all
cases, 1.6 s for one closed status, 0.4 s for the intake queue (`needs_intake` has no index of its
own), 1.9 s for a unit's closed cases (bench/RESULTS.md, issue 15). This index holds the three
sort keys (no running clock, its due time, id): the first page is read in order with the filters
checked on the way (0.2 to 10 ms for those, 50 ms for a status whose cases are all behind the
running ones), and the next page starts where the cursor says.

A second, partial one holds the same keys for the cases whose clock runs (received, registered,
dispatched, accepted: some 15,000 of the million). A unit handler's inbox (dispatched and accepted
cases the unit has a share of) is read from it: with the first index alone the planner, which
cannot know that the running cases all come first, often chose to read every case the unit ever
had instead (60 to 75 ms for a unit with 80,000, growing with the years; 6 to 12 ms from this one).

The expression is the query's own, as PostgreSQL prints it back (so that the model's copy of it
in `Case.__table_args__` compares equal in the schema test): PostgreSQL uses the index only while
the query sorts by this very expression, so a change to `running_due` (a new status with a clock)
needs a new migration of these indexes. PostgreSQL only: SQLite (embedded mode) does not match an
expression with bound parameters to an index, and its casebooks are small. Building them over a
million cases takes about 3 s, during which cases cannot be written.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

RUNNING_DUE = """
CASE
    WHEN status::text = 'received'::text THEN register_due
    WHEN status::text = 'registered'::text THEN dispatch_due
    WHEN status::text = 'dispatched'::text THEN accept_due
    WHEN status::text = 'accepted'::text THEN reply_due
    ELSE NULL::timestamp with time zone
END"""


RUNNING = "status IN ('received', 'registered', 'dispatched', 'accepted')"  # the statuses with a clock


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    keys = f"(({RUNNING_DUE} IS NULL), ({RUNNING_DUE}), id)"
    op.execute(f"CREATE INDEX ix_cases_running_due ON cases {keys}")
    op.execute(f"CREATE INDEX ix_cases_running_due_open ON cases {keys} WHERE {RUNNING}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_cases_running_due_open")
    op.execute("DROP INDEX ix_cases_running_due")
