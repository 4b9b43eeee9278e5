"""Screening: a new case classified, registered when the classifier is confident, linked to its
master when it is a duplicate, or dispatched by the routing rules: in one transaction, without a
person (`AutomaticScreening`, a mixin of `CaseBook`).

After intake: the request is answered at once, the screening follows in seconds.

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
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from casebook.auth.policy import CLASSIFIER, ROUTER
from casebook.cases.lifecycle import Status
from casebook.cases.notices import CaseNotice
from casebook.cases.part import BookPart
from casebook.cases.transcripts import PENDING, WAITING
from casebook.classify.classifier import Classification
from casebook.db.models import Case, CaseEvent
from casebook.duplicates.finder import Match
from casebook.routing import Route

if TYPE_CHECKING:
    from casebook.cases.services import CaseBook

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Screening:
    """What automatic screening did with a new case."""

    classification: Classification
    registered: bool
    duplicate_of: str | None
    suggestions: tuple[Match, ...]
    route: Route | None
    dispatched: bool


class AutomaticScreening(BookPart):
    """Needs of the book (given by `CaseBook` and its other parts): sessions, the cached directory
    and classifier, the duplicate search, the lifecycle's register and dispatch, the notifier."""

    sessions: sessionmaker[Session]

    def screen(self, number: str, *, requested_category: str | None = None) -> Screening:
        """Classify a received case and, when confident, register it; link it to its master when it
        is a duplicate, or dispatch it by the routing rules: in one transaction, without a person."""
        with self.sessions() as s:
            case = self._case_for_update(s, number)
            result, notices = self._screen(s, case, requested_category)
            s.commit()
        self._index_update(case)
        self._notify(notices)
        return result

    def _screen(self, s: Session, case: Case, requested_category: str | None) -> tuple[Screening, list[CaseNotice]]:
        # the address a citizen typed names the place as well as the description does
        text = " ".join(t for t in (case.description, case.transcript or "", case.address or "") if t)
        result = self.classifier().classify(text)
        category, confident = result.category.code, result.confident
        directory = self.directory()
        if requested_category and not confident and requested_category in directory.categories:
            category, confident = requested_category, True  # the citizen chose the type (Open311)
        notices: list[CaseNotice] = []
        status = case.status
        case.classification = result.to_json()
        self._event(
            s,
            case,
            CLASSIFIER,
            "classified",
            category=category,
            confidence=result.category.confidence,
            evidence=list(result.category.evidence),
            place=result.place.code,
            urgency=result.urgency.code,
            confident=confident,
        )
        if status != Status.RECEIVED:
            return Screening(result, False, None, (), None, False), notices
        case.urgency = result.urgency.code or "normal"
        case.place_code, case.township_code = result.place.code, result.township
        registered = False
        if confident and category:
            self._register(s, case, CLASSIFIER, category=category, reason="automatic screening")
            notices.append(CaseNotice("case.registered", case.number, case.status, {"category": category}))
            registered = True
        duplicate_of, suggestions, chosen_route, dispatched = self._link_or_route(s, case, registered, notices)
        return Screening(result, registered, duplicate_of, suggestions, chosen_route, dispatched), notices

    def _link_or_route(
        self, s: Session, case: Case, registered: bool, notices: list[CaseNotice]
    ) -> tuple[str | None, tuple[Match, ...], Route | None, bool]:
        """A duplicate is linked to its master; otherwise a registered case goes where the rules say."""
        duplicate_of: str | None = None
        chosen_route: Route | None = None
        dispatched = False
        master, suggestions = self._find_duplicates(s, case)
        if master is not None:
            master_case = s.get(Case, master.case_id)
            assert master_case is not None
            self._merge(
                s,
                case,
                master_case,
                CLASSIFIER,
                score=master.score,
                automatic=True,
                reason=f"same appeal as {master.number} (score {master.score:.2f})",
            )
            notices.append(CaseNotice("case.merged", case.number, case.status, {"master": master.number}))
            duplicate_of = master.number
        elif registered:
            chosen_route = self.suggest_route(s, case)
            if chosen_route is not None:
                self._dispatch(
                    s,
                    case,
                    ROUTER,
                    lead=chosen_route.lead,
                    co_units=chosen_route.co_units,
                    deadline_hours=chosen_route.deadline_hours,
                    reply_due=None,
                    reason=f"routing rule {chosen_route.rule_id}",
                )
                notices.append(
                    CaseNotice(
                        "case.dispatched",
                        case.number,
                        case.status,
                        {"lead": chosen_route.lead, "co_units": list(chosen_route.co_units)},
                    )
                )
                dispatched = True
        return duplicate_of, suggestions, chosen_route, dispatched


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
    """Screen received cases that no screening has looked at (e.g. the process died first), but
    those an agent opened to register by hand (`NewAppeal.by_hand`).

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
        if (detail or {}).get("by_hand"):
            continue  # the agent who took it registers it: screening it would take it from them
        try:
            book.screen(number, requested_category=(detail or {}).get("requested_category"))
            done += 1
        except Exception:
            log.exception("screening case %s failed", number)
    return done
