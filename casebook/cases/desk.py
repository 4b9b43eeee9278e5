"""What an agent's screen needs while a citizen is on the line.

The suggestion (category, place, unit) is the same classifier and routing rules that screen a
recorded message, run on the live transcript as it grows, so the agent sees what the automatic
path would have done and corrects it. Saving a call registers and dispatches in one step: the
agent has already screened the appeal by talking to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from casebook.auth.policy import Actor
from casebook.cases.errors import InvalidInput
from casebook.cases.intake import NewAppeal, normalise_phone
from casebook.cases.services import CaseBook
from casebook.db.models import Caller, Case
from casebook.directory.seed import line_channel_code
from casebook.routing import route


@dataclass(frozen=True, slots=True)
class Suggestion:
    category: str | None
    confident: bool
    place: str | None
    township: str | None
    urgency: str
    lead_unit: str | None
    co_units: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EarlierCase:
    number: str
    status: str
    category: str | None
    received_at: datetime
    summary: str
    satisfaction: str | None


@dataclass(frozen=True, slots=True)
class CallDraft:
    """The case as the agent saves it at the end of (or during) the call."""

    call_id: str
    caller_number: str | None
    line: str | None
    ivr_path: tuple[str, ...]
    description: str
    category: str
    place: str | None = None
    urgency: str | None = None
    lead_unit: str | None = None  # None: the routing rules decide
    co_units: tuple[str, ...] = field(default_factory=tuple)


def suggest(book: CaseBook, text: str) -> Suggestion:
    """Category, place, urgency and the unit the routing rules would choose for this text."""
    result = book.classifier().classify(text)
    category = result.category.code
    lead: str | None = None
    co: tuple[str, ...] = ()
    if category:
        with book.sessions() as s:
            rules, policies = book._routing(s)
        urgency = result.urgency.code or "normal"
        chosen = route(rules, policies, category=category, township=result.township, urgency=urgency)
        if chosen is not None:
            lead, co = chosen.lead, chosen.co_units
    return Suggestion(
        category=category,
        confident=result.confident,
        place=result.place.code,
        township=result.township,
        urgency=result.urgency.code or "normal",
        lead_unit=lead,
        co_units=co,
    )


def caller_history(book: CaseBook, phone: str | None, *, limit: int = 10) -> list[EarlierCase]:
    """The caller's latest cases (newest first), whatever their status."""
    try:
        number = normalise_phone(phone)
    except InvalidInput:
        return []
    if number is None:
        return []
    with book.sessions() as s:
        cases = s.scalars(
            select(Case)
            .join(Caller, Case.caller_id == Caller.id)
            .where(Caller.phone == number)
            .order_by(Case.received_at.desc(), Case.id.desc())
            .limit(limit)
        ).all()
        return [
            EarlierCase(
                number=c.number,
                status=c.status,
                category=c.category_code,
                received_at=book.aware(c.received_at),
                summary=(c.description or c.transcript or "")[:120],
                satisfaction=c.satisfaction,
            )
            for c in cases
        ]


def save_call(book: CaseBook, actor: Actor, draft: CallDraft) -> Case:
    """Open (idempotent by call id), register and dispatch the case of a call an agent took.

    Saving twice (a double click, a retry after a timeout) gives the same case; a case already
    registered or dispatched is left as it is and returned. The case carries the call's id, so
    what the caller said (menu words, the live transcript of the conversation, kept when the
    call ends) joins it.
    """
    if not draft.description.strip():
        raise InvalidInput("describe the appeal before saving")
    appeal = NewAppeal(
        channel=_channel_of(book, draft.line),
        description=draft.description.strip(),
        caller_phone=draft.caller_number,
        line_number=draft.line,
        call_id=draft.call_id,
        origin="agent",
        ivr_path=draft.ivr_path,
    )
    number = book.open(appeal, actor).number
    if _current(book, number).registered_at is None:
        book.register(number, actor, category=draft.category, place=draft.place, urgency=draft.urgency)
    if _current(book, number).dispatched_at is None:
        book.dispatch(number, actor, lead=draft.lead_unit, co_units=draft.co_units, reason="taken by phone at the desk")
    return _current(book, number)


def _channel_of(book: CaseBook, line: str | None) -> str:
    """The line's channel, as a case the menu opened has: a call an agent took on 12345 counts in
    12345's figures, not in "phone (line unknown)" (issue 19). A line the directory no longer
    knows still saves the case, as a phone call."""
    code = line_channel_code(line) if line else ""
    return code if code in book.directory().channels else "phone"


def _current(book: CaseBook, number: str) -> Case:
    with book.sessions() as s:
        return book.get(s, number)


def history_json(cases: list[EarlierCase]) -> list[dict[str, Any]]:
    return [
        {
            "number": c.number,
            "status": c.status,
            "category": c.category,
            "received_at": c.received_at.isoformat(),
            "summary": c.summary,
            "satisfaction": c.satisfaction,
        }
        for c in cases
    ]
