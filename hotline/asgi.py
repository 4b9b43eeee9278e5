"""The API alone, for an ASGI server with several workers:

    uvicorn hotline.asgi:app --host 127.0.0.1 --port 8000 --workers 2

(`hotline serve` runs the API together with the Stasis application in one process instead.)
Each worker builds its services from the settings when it imports this module; the database is
not touched until the first request.
"""

from __future__ import annotations

from typing import Any

from casebook.api.app import create_app
from casebook.api.deps import Services
from casebook.auth.services import AuthService
from casebook.cases.services import CaseBook
from casebook.db.engine import make_engine, make_sessionmaker
from casebook.reports.services import ReportService
from common.paths import recordings_dir, reports_dir
from common.settings import get_settings
from hotline.dashboard.page import router as dashboard_router
from hotline.screening import screen_later


def build() -> Any:
    settings = get_settings()
    sessions = make_sessionmaker(make_engine(settings.sqlalchemy_url))
    book = CaseBook(sessions, timezone=settings.timezone, recordings_dir=recordings_dir(settings))
    services = Services(
        book,
        AuthService(sessions),
        ReportService(sessions, reports_dir(settings), timezone=settings.timezone),
        open311_public_reads=settings.open311_public_reads,
        screen_later=screen_later(settings, book),
    )
    app = create_app(services)
    app.include_router(dashboard_router)  # the managers' dashboard page (its figures are in create_app)
    return app


app = build()
