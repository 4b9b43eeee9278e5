"""What every part of the case service may use of the whole book.

`CaseBook` (casebook/cases/services.py) is made of parts, each along its own seam (intake.py,
screening.py, calls.py, merging.py, escalation.py, transcribing.py). A part names here, for the type
checker only, what it uses of the book: the methods exist only under TYPE_CHECKING, so at run time
the method resolution always finds the book's real one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from casebook.auth.policy import Actor
from casebook.cases.lifecycle import Action
from casebook.cases.notices import CaseNotice
from casebook.clock import Clock
from casebook.db.models import Case


class BookPart:
    sessions: sessionmaker[Session]
    clock: Clock

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
        def _fresh(self, number: str) -> Case: ...
