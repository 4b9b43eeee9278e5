"""The event logs are evidence: the database itself refuses to change or remove a row.

`case_events` (who did what to a case, when, why) and `call_events` (what happened on each call)
only ever grow. The platform inserts; an UPDATE, a DELETE (or, on PostgreSQL, a TRUNCATE) is
refused by a trigger with a message that names the table and the statement, on PostgreSQL and
on SQLite (embedded mode). Migration 0009 adds the call log's triggers; its downgrade removes
them and leaves the case history's (0001's) in place.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from casebook.calllog.services import CallEventIn, CallLog
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from casebook.clock import FixedClock
from casebook.db.engine import make_engine, make_sessionmaker
from casebook.db.migrate import downgrade, upgrade
from casebook.directory.seed import seed_directory
from tests.conftest import PG_ADMIN_URL
from tests.unit.conftest import AGENT, LINES, SUPERVISOR

REFUSED = "is append-only"
CHANGES = {
    "case_events": (
        "UPDATE case_events SET reason = 'rewritten' WHERE id = :id",
        "DELETE FROM case_events WHERE id = :id",
    ),
    "call_events": (
        "UPDATE call_events SET name = 'rewritten' WHERE id = :id",
        "DELETE FROM call_events WHERE id = :id",
    ),
}


def _log_one_case_and_one_call(book: CaseBook, call_id: str) -> dict[str, int]:
    """A case opened, registered and dispatched (three case events) and a call's events: the
    ordinary way both logs grow. Returns the id of one row of each log."""
    case = book.open(NewAppeal(channel="web", description="路灯不亮，晚上很黑", caller_phone="13800000071"), AGENT)
    book.register(case.number, SUPERVISOR, category="urban.streetlights")
    book.dispatch(case.number, SUPERVISOR, lead="urban")
    at = book.clock.now()
    stored = CallLog(book.sessions).record(
        [
            CallEventIn(call_id, at, "call.started", {"line": "12345"}),
            CallEventIn(call_id, at + timedelta(seconds=30), "call.ended", {"cause": "normal"}),
        ]
    )
    assert stored == 2
    with book.sessions() as s:
        kinds = s.execute(text("SELECT kind FROM case_events WHERE case_id = :c ORDER BY id"), {"c": case.id}).scalars()
        assert list(kinds)[-2:] == ["register", "dispatch"]
        names = s.execute(text("SELECT name FROM call_events WHERE call_id = :c ORDER BY id"), {"c": call_id})
        assert list(names.scalars())[:2] == ["call.started", "call.ended"]
        first = "SELECT min(id) FROM {} WHERE {} = :key"
        return {
            "case_events": s.execute(text(first.format("case_events", "case_id")), {"key": case.id}).scalar_one(),
            "call_events": s.execute(text(first.format("call_events", "call_id")), {"key": call_id}).scalar_one(),
        }


def _row(engine: Engine, table: str, row_id: int) -> tuple[object, ...]:
    with engine.connect() as connection:
        return tuple(connection.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id}).one())


def _assert_refused(engine: Engine, table: str, row_id: int) -> None:
    before = _row(engine, table, row_id)
    for statement in CHANGES[table]:
        verb = statement.split()[0]
        with pytest.raises(DBAPIError, match=f"{table} {REFUSED}") as refused, engine.begin() as connection:
            connection.execute(text(statement), {"id": row_id})
        if table == "call_events":  # 0009's message also names the statement
            assert f"{verb} refused" in str(refused.value.orig)
    assert _row(engine, table, row_id) == before  # untouched


def _changes_allowed(engine: Engine, table: str, row_id: int) -> bool:
    try:
        with engine.begin() as connection:
            connection.execute(text(CHANGES[table][0]), {"id": row_id})
    except DBAPIError:
        return False
    return True


# --- PostgreSQL -------------------------------------------------------------------------------------


def test_inserting_works_and_changing_or_removing_is_refused_on_postgresql(book: CaseBook) -> None:
    ids = _log_one_case_and_one_call(book, f"append-only-{secrets.token_hex(4)}")
    with book.sessions() as s:
        engine = s.get_bind()
    assert isinstance(engine, Engine)
    for table, row_id in ids.items():
        _assert_refused(engine, table, row_id)


@pytest.fixture
def fresh_pg() -> Iterator[str]:
    """A database of its own, for what the shared one must not go through (TRUNCATE, downgrade)."""
    name = f"hotline_append_only_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _one_call_event(engine: Engine) -> int:
    with engine.begin() as connection:
        return int(
            connection.execute(
                text(
                    "INSERT INTO call_events (call_id, at, name, data) "
                    "VALUES ('c-1', :at, 'call.started', '{}') RETURNING id"
                ),
                {"at": datetime.now(UTC)},
            ).scalar_one()
        )


def test_truncate_is_refused_on_postgresql_and_the_downgrade_removes_the_call_logs_triggers(fresh_pg: str) -> None:
    upgrade(fresh_pg)
    engine = create_engine(fresh_pg)
    try:
        row_id = _one_call_event(engine)
        for statement, table in (
            ("TRUNCATE call_events", "call_events"),
            ("TRUNCATE case_events", "case_events"),
            ("TRUNCATE cases CASCADE", "case_events"),  # the case history goes with the cases: refused too
        ):
            with pytest.raises(DBAPIError, match=f"{table} {REFUSED}: TRUNCATE refused"), engine.begin() as connection:
                connection.execute(text(statement))
        engine.dispose()
        downgrade(fresh_pg, "0008")
        assert _changes_allowed(engine, "call_events", row_id)  # 0009's triggers are gone
        with engine.connect() as connection:
            left = connection.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars().all()
            function = connection.execute(text("SELECT to_regproc('event_log_append_only')")).scalar()
        assert left == ["case_events_no_change"] and function is None  # 0001's stays
        engine.dispose()
        upgrade(fresh_pg)
        _assert_refused(engine, "call_events", row_id)
    finally:
        engine.dispose()


# --- SQLite (embedded mode) -------------------------------------------------------------------------


def test_inserting_works_and_changing_or_removing_is_refused_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        seed_directory(s, LINES)
    book = CaseBook(sessions, clock=FixedClock(datetime(2027, 3, 1, 1, 0, tzinfo=UTC)), recordings_dir=tmp_path)
    try:
        ids = _log_one_case_and_one_call(book, "sqlite-append-only")
        for table, row_id in ids.items():
            _assert_refused(engine, table, row_id)
        engine.dispose()

        downgrade(url, "0008")  # 0009's triggers go, the case history's stay
        assert _changes_allowed(engine, "call_events", ids["call_events"])
        assert not _changes_allowed(engine, "case_events", ids["case_events"])
        engine.dispose()
        downgrade(url, "0001")  # SQLite rebuilds case_events on the way down and loses its triggers...
        upgrade(url)  # ...which 0009 puts back (with call_events, which 0006's downgrade dropped)
        _assert_refused(engine, "case_events", ids["case_events"])
        _assert_refused(engine, "call_events", _one_call_event(engine))
    finally:
        engine.dispose()
