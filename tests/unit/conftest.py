"""Casebook fixtures: the real PostgreSQL, the default directory, and a clock the test controls.

Each test's clock starts on its own day, 30 days after the previous test's, so cases of different
tests never meet in the 7-day duplicate window and their case numbers never collide.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis
from fastapi.testclient import TestClient

from casebook.api.app import create_app
from casebook.api.deps import Services
from casebook.auth.policy import Actor, Role
from casebook.auth.services import AuthService
from casebook.cases.services import CaseBook
from casebook.clock import FixedClock
from casebook.db.engine import make_engine, make_sessionmaker
from casebook.db.models import Case
from casebook.directory.seed import LineChannel, seed_directory
from casebook.reports.services import ReportService

if TYPE_CHECKING:
    from hotline.platform import Platform
from tests.conftest import redis_url

_days = itertools.count()
LINES = [
    LineChannel("12345", "12345市长热线", "12345 Mayor's Hotline"),
    LineChannel("96960", "96960行政效能投诉热线", "96960 Efficiency Complaints"),
]

AGENT = Actor("agent-li", Role.INTAKE_AGENT)
SUPERVISOR = Actor("supervisor-wang", Role.SUPERVISOR)
LEADER = Actor("leader-xia", Role.LEADER)
ADMIN = Actor("admin", Role.ADMIN)


def handler(unit: str) -> Actor:
    return Actor(f"handler-{unit}", Role.UNIT_HANDLER, unit)


async def until(check: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    """Wait for a condition (a task has started, a notice arrived) instead of sleeping a guess."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.01)


def fresh(book: CaseBook, number: str) -> Case:
    """The case as the database holds it now."""
    with book.sessions() as s:
        return book.get(s, number)


@pytest.fixture(scope="session")
def seeded_pg(migrated_pg: str) -> str:
    engine = make_engine(migrated_pg)
    with make_sessionmaker(engine)() as s:
        seed_directory(s, LINES)
    engine.dispose()
    return migrated_pg


@pytest.fixture
def clock() -> FixedClock:
    # a Monday morning, Beijing time
    return FixedClock(datetime(2027, 1, 4, 1, 0, tzinfo=UTC) + timedelta(days=35 * next(_days)))


@pytest.fixture
def book(seeded_pg: str, clock: FixedClock, tmp_path: Path) -> Iterator[CaseBook]:
    engine = make_engine(seeded_pg)
    yield CaseBook(make_sessionmaker(engine), clock=clock, recordings_dir=tmp_path / "recordings")
    engine.dispose()


@pytest.fixture
def auth(book: CaseBook) -> AuthService:
    return AuthService(book.sessions, book.clock)


@pytest.fixture
def reports(book: CaseBook, tmp_path: Path) -> ReportService:
    return ReportService(book.sessions, tmp_path / "reports", clock=book.clock)


@pytest.fixture
def api(book: CaseBook, auth: AuthService, reports: ReportService) -> Iterator[TestClient]:
    with TestClient(create_app(Services(book, auth, reports)), raise_server_exceptions=False) as client:
        yield client


WORKER_REDIS_DB = redis_url(1)  # the machine's Redis, a database of the worker tests' own


@pytest.fixture
def worker_env(seeded_pg: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    redis.Redis.from_url(WORKER_REDIS_DB).flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(
        HOTLINE_DATABASE_URL=seeded_pg,
        HOTLINE_REDIS_URL=WORKER_REDIS_DB,
        HOTLINE_DATA_DIR=str(tmp_path / "data"),
        HOTLINE_TASK_MODE="celery",
        HOTLINE_TASK_VISIBILITY_TIMEOUT_S="8",
    )
    yield env
    redis.Redis.from_url(WORKER_REDIS_DB).flushdb()


@pytest.fixture(scope="module")
def own_database() -> Iterator[str]:
    """A migrated, seeded database for one module whose tests change what others rely on (the
    routing rules and deadline policies an administrator edits, users, keys)."""
    import secrets

    import psycopg

    from casebook.db.migrate import upgrade
    from tests.conftest import PG_ADMIN_URL

    name = f"hotline_own_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    try:
        upgrade(url)
        engine = make_engine(url)
        with make_sessionmaker(engine)() as s:
            seed_directory(s, LINES)
        engine.dispose()
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def api_platform(database_url: str, data_dir: Path, **settings: object) -> Platform:
    """The platform as `hotline serve --no-telephony` builds it, on this database (its API app is
    `.api(telephony=False)`); development secrets of its own."""
    from pydantic import SecretStr

    from common.settings import Settings
    from hotline.platform import Platform

    return Platform(
        Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=database_url,
            data_dir=data_dir,
            ari_password=SecretStr("a" * 20),
            ami_password=SecretStr("b" * 20),
            **settings,
        )
    )
