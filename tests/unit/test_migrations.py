"""Every schema change has its migration: the migrated database matches the models."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from casebook.db.models import Base

# Indexes made by their migration only: expression indexes that autogenerate cannot compare (the
# case list's running clock, migration 0012; the search's, 0015, PostgreSQL's alone; user names
# whatever their case, 0016, on both databases).
MIGRATION_ONLY = frozenset(
    {
        "ix_cases_running_due",
        "ix_cases_running_due_open",
        "ix_cases_number_prefix",
        "ix_cases_description_pairs",
        "ix_users_username_lower",
    }
)


def _compared(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    return not (kind == "index" and name in MIGRATION_ONLY)


def test_the_migrations_build_exactly_the_schema_of_the_models(migrated_pg: str) -> None:
    engine = create_engine(migrated_pg)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_object": _compared})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_the_migration_only_indexes_are_made_by_their_migration(migrated_pg: str) -> None:
    engine = create_engine(migrated_pg)
    try:
        with engine.connect() as connection:
            found = set(
                connection.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'").scalars()
            )
    finally:
        engine.dispose()
    assert found >= MIGRATION_ONLY
