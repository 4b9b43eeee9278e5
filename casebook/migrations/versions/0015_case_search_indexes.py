"""The case list's search at any size: case numbers by their start, words by their character pairs.

The list's search box takes a case number (or its first digits) or words of the description. Over
1,000,000 cases both read every case (bench/RESULTS.md, issue 15): 1.1 s at p95 for a number, whose
`LIKE '2612%'` an ordinary index of the number cannot serve (its collation is not the bytes'
order), and 0.5 s for words found in no case (`LIKE '%路灯%'` reads every description to say so).

- `ix_cases_number_prefix`: the number with `varchar_pattern_ops`, the operator class that serves
  `LIKE 'prefix%'`.
- `ix_cases_description_pairs`: a GIN index of the description's pairs of characters
  (`hotline_char_pairs`, lower-cased). Chinese words are mostly two characters long: pg_trgm's
  triples cannot narrow a two-character search and were slower than reading every row; pairs
  can. `casebook/cases/search.py` says how the list uses it (the rarest of the words' pairs).

PostgreSQL only, like migration 0012: SQLite (embedded mode) searches by `LIKE` alone, and its
casebooks are small. Building the pairs' index over the benchmark's million cases took 47 s (43
MB; longer descriptions make it larger), during which cases cannot be written.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# IMMUTABLE (the same text always gives the same pairs) so that an index may be built on it; an
# empty array for a text of fewer than two characters
CHAR_PAIRS = """
CREATE FUNCTION hotline_char_pairs(words text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT coalesce(array_agg(DISTINCT substr(lower(words), i, 2)), '{}')
    FROM generate_series(1, length(words) - 1) AS i
$$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_cases_number_prefix ON cases (number varchar_pattern_ops)")
    op.execute(CHAR_PAIRS)
    op.execute("CREATE INDEX ix_cases_description_pairs ON cases USING gin (hotline_char_pairs(description))")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_cases_description_pairs")
    op.execute("DROP FUNCTION hotline_char_pairs(text)")
    op.execute("DROP INDEX ix_cases_number_prefix")
