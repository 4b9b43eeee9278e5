"""The composition root: what every process of the platform is built from.

Each process (`hotline serve`, `hotline serve --no-telephony`, the ASGI entry point, the Celery
worker and beat, the CLI) starts here with its settings: `build_casebook` makes the casebook's
services on one database engine; `hotline.platform.Platform` adds the telephony application and
the API on top of it; `hotline.jobs` lists the scheduled work that both the embedded scheduler and
Celery beat run. Nothing here connects to anything: the database is reached on first use.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from casebook.auth.services import AuthService
from casebook.cases.services import CaseBook
from casebook.db.engine import make_engine, make_sessionmaker
from casebook.reports.services import ReportService
from common.settings import Settings


@dataclass
class Casebook:
    """The casebook's services of one process, on one engine (closed with `close`)."""

    engine: Engine
    sessions: sessionmaker[Session]
    book: CaseBook
    auth: AuthService
    reports: ReportService

    def close(self) -> None:
        self.engine.dispose()


def build_casebook(settings: Settings, *, pool_size: int = 10) -> Casebook:
    """The casebook's services, from the casebook's group of the settings alone."""
    group = settings.casebook
    engine = make_engine(group.database_url, pool_size=pool_size)
    sessions = make_sessionmaker(engine)
    return Casebook(
        engine,
        sessions,
        CaseBook(
            sessions,
            timezone=group.timezone,
            recordings_dir=group.recordings_dir,
            attachments_dir=group.attachments_dir,
        ),
        AuthService(sessions),
        ReportService(sessions, group.reports_dir, timezone=group.timezone),
    )
