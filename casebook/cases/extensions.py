"""More time to reply (延期): the lead unit asks, with its reason and the date it needs; a
supervisor grants it (the reply clock moves to the date granted) or refuses it (the clock stays).

A mixin of `CaseBook` (casebook/cases/services.py). Not a step of the lifecycle: the case stays
where it is, only its reply deadline moves, and both the request and the answer are in the
timeline. One request waits at a time, so a supervisor never answers an old one by mistake.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.auth.policy import Actor
from casebook.cases.errors import InvalidInput, InvalidTransition
from casebook.cases.lifecycle import Status
from casebook.cases.part import BookPart
from casebook.db.models import Case, DeadlineExtension

ASKABLE = frozenset({Status.DISPATCHED, Status.ACCEPTED})
LONGEST = timedelta(days=90)


def waiting_extension(s: Session, case: Case) -> DeadlineExtension | None:
    return s.scalar(
        select(DeadlineExtension).where(DeadlineExtension.case_id == case.id, DeadlineExtension.decided_at.is_(None))
    )


class Extending(BookPart):
    """Needs of the book: the unit of work, the clock and the event log."""

    def ask_extension(self, number: str, actor: Actor, *, until: datetime, reason: str) -> DeadlineExtension:
        until = self.aware(until)
        if not reason.strip():
            raise InvalidInput("say why the unit needs more time")
        with self.acting(number, actor, "ask_extension") as a:
            case, now = a.case, self.clock.now()
            if Status(case.status) not in ASKABLE:
                raise InvalidTransition(
                    f"more time is asked while a unit handles the case (dispatched or accepted); it is {case.status}"
                )
            if waiting_extension(a.s, case) is not None:
                raise InvalidTransition("a request for more time is already waiting for a supervisor's answer")
            if case.reply_due is not None and until <= case.reply_due:
                raise InvalidInput("ask for a date after the current reply deadline")
            if until > now + LONGEST:
                raise InvalidInput(f"ask for at most {LONGEST.days} days from now")
            request = DeadlineExtension(
                case_id=case.id,
                unit_code=case.lead_unit_code,
                asked_by=actor.name,
                asked_at=now,
                reason=reason,
                reply_due_before=case.reply_due,
                reply_due_asked=until,
            )
            a.s.add(request)
            a.s.flush()
            case.updated_at = now
            self._event(a.s, case, actor, "extension_asked", reason, until=until, unit=case.lead_unit_code)
            a.tell("case.extension_asked", unit=case.lead_unit_code, until=until.isoformat())
        return request

    def decide_extension(
        self, number: str, actor: Actor, *, granted: bool, until: datetime | None = None, answer: str = ""
    ) -> DeadlineExtension:
        """Grant (to the date asked, or to `until`) or refuse the waiting request."""
        if not granted and not answer.strip():
            raise InvalidInput("say why more time is refused, for the unit")
        with self.acting(number, actor, "grant_extension") as a:
            case, now = a.case, self.clock.now()
            request = waiting_extension(a.s, case)
            if request is None:
                raise InvalidTransition("no request for more time is waiting on this case")
            request.decided_by, request.decided_at = actor.name, now
            request.granted, request.answer = granted, answer
            if granted:
                new_due = self.aware(until) if until is not None else request.reply_due_asked
                if new_due <= now:
                    raise InvalidInput("grant a date that is still to come")
                request.reply_due_granted = new_due
                case.reply_due = new_due
            case.updated_at = now
            kind = "extension_granted" if granted else "extension_refused"
            self._event(a.s, case, actor, kind, answer, until=request.reply_due_granted, unit=request.unit_code)
            a.tell("case.extension_decided", granted=granted, unit=request.unit_code)
        return request
