"""Where screening after intake runs: a Celery worker, or a thread of the API process."""

from __future__ import annotations

from collections.abc import Callable

from casebook.cases.screening import BackgroundScreener
from casebook.cases.services import CaseBook
from common.settings import Settings


def screen_later(settings: Settings, book: CaseBook) -> Callable[[str, str | None], None]:
    """After intake, screening runs in a Celery worker (celery mode) or a thread of this process."""
    if settings.task_mode == "celery":
        from casebook.tasks import screen_task, send_or_leave_to_sweep

        def send(number: str, category: str | None) -> None:
            send_or_leave_to_sweep(screen_task, number, category, what=f"screening of {number}")

        return send
    return BackgroundScreener(book).submit
