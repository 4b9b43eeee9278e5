"""PostgreSQL databases for the benchmarks: a throw-away one per run, or a kept one that a
benchmark fills once and reuses (a million cases take minutes to build, seconds to query)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

ADMIN = os.environ.get("HOTLINE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def database_url(name: str) -> str:
    """The SQLAlchemy URL of database `name` on the benchmark server."""
    return f"{ADMIN.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://')}/{name}"


def create_database(name: str, *, replace: bool = False) -> bool:
    """Create database `name` (dropping it first if `replace`); False if it was already there."""
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        if replace:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        elif admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        admin.execute(f'CREATE DATABASE "{name}"')
    return True


@contextmanager
def scratch_database(prefix: str, keep: bool = False) -> Iterator[str]:
    name = f"{prefix}_{secrets.token_hex(3)}"
    create_database(name)
    try:
        yield database_url(name)
    finally:
        if not keep:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
