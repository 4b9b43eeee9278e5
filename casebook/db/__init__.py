"""The casebook's database: SQLAlchemy 2 models, engine, migrations (Alembic)."""
