"""Every schema change has its migration: the migrated database matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from casebook.db.models import Base


def test_the_migrations_build_exactly_the_schema_of_the_models(migrated_pg: str) -> None:
    engine = create_engine(migrated_pg)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
