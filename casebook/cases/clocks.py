"""The clocks of cases: finding breaches every minute, recording them once, escalating them.

Which clock runs depends on the state: `register` while received, `dispatch` while registered,
`accept` while dispatched, `reply` while dispatched or accepted. A breach is recorded once per
case, clock and deadline (a new deadline, e.g. a leader's, can breach again), appended to the
case's log and escalated: the center's supervisors for the center's own windows, the lead unit
and the supervisors for a unit's, and the county leader when the leader's own deadline passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import InstrumentedAttribute

from casebook.auth.policy import CLOCKS
from casebook.cases.lifecycle import Status
from casebook.cases.notices import CaseNotice
from casebook.cases.services import CaseBook
from casebook.db.models import Breach, Case

S = Status
RUNNING: tuple[
    tuple[str, InstrumentedAttribute[datetime | None] | InstrumentedAttribute[datetime], tuple[Status, ...]], ...
] = (
    ("register", Case.register_due, (S.RECEIVED,)),
    ("dispatch", Case.dispatch_due, (S.REGISTERED,)),
    ("accept", Case.accept_due, (S.DISPATCHED,)),
    ("reply", Case.reply_due, (S.DISPATCHED, S.ACCEPTED)),
)


@dataclass(frozen=True, slots=True)
class BreachFound:
    number: str
    clock: str
    due_at: datetime
    unit: str | None
    escalated_to: str


def escalation(clock: str, case: Case) -> str:
    if clock in ("register", "dispatch"):
        return "supervisor"
    if clock == "reply" and case.leader_due is not None:
        return "leader"
    return "unit+supervisor"


def scan_breaches(book: CaseBook, *, limit: int = 5000) -> list[BreachFound]:
    """Record every clock that ran out since the last scan; return what was found now."""
    now = book.clock.now()
    found: list[BreachFound] = []
    with book.sessions() as s:
        for clock, due, states in RUNNING:
            already = exists().where(and_(Breach.case_id == Case.id, Breach.clock == clock, Breach.due_at == due))
            cases = s.scalars(
                select(Case)
                .where(Case.status.in_([st.value for st in states]), due.is_not(None), due < now, ~already)
                .order_by(due)
                .limit(limit)
            ).all()
            for case in cases:
                due_at = getattr(case, due.key)
                target = escalation(clock, case)
                s.add(
                    Breach(
                        case_id=case.id,
                        clock=clock,
                        due_at=due_at,
                        detected_at=now,
                        unit_code=case.lead_unit_code,
                        escalated_to=target,
                    )
                )
                book._event(
                    s,
                    case,
                    CLOCKS,
                    "clock_breached",
                    f"the {clock} clock ran out",
                    clock=clock,
                    due_at=due_at,
                    escalated_to=target,
                )
                found.append(BreachFound(case.number, clock, due_at, case.lead_unit_code, target))
        s.commit()
    book._notify(
        CaseNotice("case.breached", b.number, "", {"clock": b.clock, "escalated_to": b.escalated_to, "unit": b.unit})
        for b in found
    )
    return found
