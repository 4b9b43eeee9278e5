"""What every part of the case service may use of the whole book.

`CaseBook` (casebook/cases/services.py) is made of parts, each along its own seam (intake.py,
screening.py, calls.py, merging.py, escalation.py, transcribing.py). A part names here, for the type
checker only, what it uses of the book: the methods exist only under TYPE_CHECKING, so at run time
the method resolution always finds the book's real one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from casebook.auth.policy import Actor, require
from casebook.cases.lifecycle import Action
from casebook.cases.notices import CaseNotice
from casebook.clock import Clock
from casebook.db.models import Case

if TYPE_CHECKING:
    from casebook.cases.directory_cache import Directory
    from casebook.cases.screening import Screening
    from casebook.classify.screener import Screener
    from casebook.duplicates.finder import Match
    from casebook.routing import Route


@dataclass
class Acting:
    """One action under way: its transaction, its case (locked), and what it will tell."""

    s: Session
    case: Case
    notices: list[CaseNotice] = field(default_factory=list)
    reindex: bool = False  # the case's words or state changed what the duplicate index holds

    def tell(self, kind: str, **data: Any) -> None:
        """A notice of this case, sent once the action is committed (never for a rolled-back one)."""
        self.notices.append(CaseNotice(kind, self.case.number, self.case.status, data))


class BookPart:
    sessions: sessionmaker[Session]
    clock: Clock

    @contextmanager
    def acting(self, number: str, actor: Actor, permission: str) -> Iterator[Acting]:
        """The one unit of work of every action on a case, in the one order: find the case and
        lock it; refuse it as missing to an actor who may not see it (so a unit never learns that
        another unit's case exists); check the role (for a unit handler, that their unit leads the
        case); then the body checks the state and makes the change with its event; commit; only
        then update the duplicate index and notify."""
        with self.sessions() as s:
            case = self._case_for_update(s, number, actor)
            require(actor, permission, lead_unit=case.lead_unit_code)
            acting = Acting(s, case)
            yield acting
            s.commit()
            s.refresh(case)
        if acting.reindex:
            self._index_update(case)
        self._notify(acting.notices)

    if TYPE_CHECKING:

        def aware(self, at: datetime) -> datetime: ...
        def get(self, s: Session, number: str) -> Case: ...
        def _case_for_update(self, s: Session, number: str, actor: Actor | None = None) -> Case: ...
        def _event(self, s: Session, case: Case, actor: Actor, kind: str, reason: str = "", **detail: Any) -> None: ...
        def _move(
            self, s: Session, case: Case, action: Action, actor: Actor, reason: str = "", **detail: Any
        ) -> str: ...
        def _notify(self, notices: Iterable[CaseNotice]) -> None: ...
        def _unit(self, s: Session, code: str) -> None: ...
        def _index_update(self, case: Case) -> None: ...
        def directory(self) -> Directory: ...
        def classifier(self) -> Screener: ...
        def suggest_route(self, s: Session, case: Case) -> Route | None: ...
        def _find_duplicates(self, s: Session, case: Case) -> tuple[Match | None, tuple[Match, ...]]: ...
        def _screen(
            self, s: Session, case: Case, requested_category: str | None
        ) -> tuple[Screening, list[CaseNotice]]: ...
        def screen(self, number: str, *, requested_category: str | None = None) -> Screening: ...
        def _record_reply(
            self, s: Session, case: Case, actor: Actor, text: str, *, joint: bool
        ) -> list[CaseNotice]: ...
        def _register(
            self,
            s: Session,
            case: Case,
            actor: Actor,
            *,
            category: str,
            place: str | None = None,
            urgency: str | None = None,
            description: str | None = None,
            reason: str = "",
        ) -> None: ...
        def _merge(
            self,
            s: Session,
            case: Case,
            master: Case,
            actor: Actor,
            *,
            score: float | None,
            automatic: bool,
            reason: str,
        ) -> None: ...
        def _dispatch(
            self,
            s: Session,
            case: Case,
            actor: Actor,
            *,
            lead: str | None,
            co_units: Iterable[str],
            deadline_hours: float | None,
            reply_due: datetime | None,
            reason: str,
        ) -> list[str]: ...
        def dispatch(
            self,
            number: str,
            actor: Actor,
            *,
            lead: str | None = None,
            co_units: Iterable[str] = (),
            deadline_hours: float | None = None,
            reply_due: datetime | None = None,
            reason: str = "",
        ) -> Case: ...
