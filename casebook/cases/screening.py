"""Screening after intake: the request is answered at once, the screening follows in seconds.

A citizen's Open311 request is stored and numbered in the request itself (a few milliseconds);
classification, the duplicate check and routing run right after in a background thread of the
same process (or a Celery worker). If the process dies first, nothing is lost: the case is
stored, visible to the intake agents with its one-hour clock running, and `screen_pending`
(every minute, beside the breach scan) screens every received case nobody has screened yet.
"""

from __future__ import annotations

import logging
import queue
import threading
from datetime import timedelta

from sqlalchemy import or_, select

from casebook.cases.lifecycle import Status
from casebook.cases.services import CaseBook
from casebook.cases.transcripts import PENDING, WAITING
from casebook.db.models import Case, CaseEvent

log = logging.getLogger(__name__)


class BackgroundScreener:
    """One worker thread per process, fed by a bounded queue; a full queue is left to the sweep."""

    def __init__(self, book: CaseBook, *, max_queue: int = 20_000) -> None:
        self.book = book
        self._queue: queue.Queue[tuple[str, str | None]] = queue.Queue(max_queue)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, number: str, requested_category: str | None = None) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="screening", daemon=True)
                self._thread.start()
        try:
            self._queue.put_nowait((number, requested_category))
        except queue.Full:
            log.warning("screening queue full: case %s waits for the minute sweep", number)

    def pending(self) -> int:
        return self._queue.qsize()

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until everything submitted has been screened (tests, benchmarks, shutdown)."""
        done = threading.Event()
        self._queue.put(("", None))
        self._flush = done
        done.wait(timeout)

    def _run(self) -> None:
        while True:
            number, requested = self._queue.get()
            if not number:
                flush = getattr(self, "_flush", None)
                if flush is not None:
                    flush.set()
                continue
            try:
                self.book.screen(number, requested_category=requested)
            except Exception:
                log.exception("screening case %s failed; the minute sweep tries again", number)


SPEECH_GRACE = timedelta(minutes=10)


def screen_pending(book: CaseBook, *, older_than: timedelta = timedelta(seconds=30), limit: int = 500) -> int:
    """Screen received cases that no screening has looked at (e.g. the process died first).

    A call's case waits for its transcript (screening an empty text would only leave it to a
    person); after `SPEECH_GRACE` it is screened with what there is, so no case waits forever."""
    cutoff = book.clock.now() - older_than
    speech_cutoff = book.clock.now() - SPEECH_GRACE
    with book.sessions() as s:
        waiting = s.execute(
            select(Case.number, CaseEvent.detail)
            .join(CaseEvent, (CaseEvent.case_id == Case.id) & (CaseEvent.kind == "received"))
            .where(Case.status == Status.RECEIVED, Case.classification.is_(None), Case.created_at < cutoff)
            .where(
                or_(
                    Case.transcript_state.is_(None),
                    Case.transcript_state.not_in((WAITING, PENDING)),
                    Case.created_at < speech_cutoff,
                )
            )
            .order_by(Case.id)
            .limit(limit)
        ).all()
    done = 0
    for number, detail in waiting:
        try:
            book.screen(number, requested_category=(detail or {}).get("requested_category"))
            done += 1
        except Exception:
            log.exception("screening case %s failed", number)
    return done
