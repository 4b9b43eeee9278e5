"""Fixtures shared by every test: a fresh PostgreSQL database on the machine's server."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("HOTLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
_XDIST = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... under pytest-xdist


def redis_url(purpose: int) -> str:
    """A database of the machine's Redis for one kind of test (0: Celery in-process, 1: worker
    processes, 2: deployment), of this test process's own: tests of one kind flush theirs, and
    under pytest-xdist another process may be running another test of the same kind."""
    alone = (15, 13, 12)[purpose]
    number = 1 + 3 * int(_XDIST[2:]) + purpose if _XDIST.startswith("gw") else alone
    return f"redis://127.0.0.1:6379/{number}"


def new_database(kind: str) -> Iterator[str]:
    """A new, empty database of the machine's PostgreSQL while the generator runs, dropped after."""
    name = f"hotline_{kind}_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A new, empty database for this test session's unit tests, dropped at the end."""
    yield from new_database("test")


@pytest.fixture(scope="session")
def migrated_pg(pg_url: str) -> str:
    from casebook.db.migrate import upgrade

    upgrade(pg_url)
    return pg_url


@pytest.fixture(autouse=True)
def events_in_the_catalogue() -> Iterator[None]:
    """Every event a test made the platform publish is declared in common/events.py."""
    from common.bus import EventBus

    before = len(EventBus.published_outside_catalogue)
    yield
    assert EventBus.published_outside_catalogue[before:] == []


# --- reruns (decision 0019) -----------------------------------------------------------------------
_RERUNS: list[pytest.TestReport] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Keep each failure that was run again: it passed the second time, but it happened."""
    if report.outcome == "rerun":
        _RERUNS.append(report)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print why each rerun test failed the first time, so a timing that slips is seen and mended."""
    if not _RERUNS:
        return
    terminalreporter.section(f"failed once, then passed ({len(_RERUNS)})")
    for report in _RERUNS:
        tail = report.longreprtext.strip().splitlines()[-12:]
        terminalreporter.write_line(f"{report.nodeid}:")
        for line in tail:
            terminalreporter.write_line(f"    {line}")
