"""Engines and sessions. PostgreSQL in production and tests, SQLite in embedded mode.

The casebook's services are synchronous (the API runs them in its thread pool, Celery workers
call them directly, the telephony process through a thread): psycopg 3 for PostgreSQL, sqlite3
for SQLite. Connections are checked before use, so a database restart costs a retry, not a crash.
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def sync_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("sqlite+aiosqlite", "sqlite+pysqlite"):
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+asyncpg", "postgresql+psycopg2"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    target = sync_url(url)
    if target.startswith("sqlite"):
        engine = create_engine(target, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(target, pool_pre_ping=True, pool_size=pool_size, max_overflow=20)


# kept for the migrations' environment
make_sync_engine = make_engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)
