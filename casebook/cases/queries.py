"""Reading cases: the filtered list (keyset pages, fast over millions of cases) and one case
with its history. A unit handler only ever sees the cases its unit was given."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, selectinload

from casebook.auth.policy import Actor, Role, can_read_all
from casebook.cases.errors import Forbidden, InvalidInput, NotFound
from casebook.cases.lifecycle import Status
from casebook.cases.offers import offered
from casebook.cases.records import after_the_reply, attachment_out, extension_out
from casebook.cases.schemas import (
    AssignmentOut,
    CaseDetail,
    CasePage,
    CasePublic,
    DuplicateOut,
    EventOut,
    ReplyOut,
    TranscriptOut,
    sane_moment,
)
from casebook.cases.search import matching
from casebook.db.models import (
    Assignment,
    Caller,
    Case,
    DuplicateLink,
    Recording,
    Transcript,
)
from common.privacy import mask_number

S = Status
# The value of the `unit`, `category` and `township` filters for the cases with none: no lead unit
# (not dispatched yet), not screened, no township (the "—" rows of the figures, as the list's link)
NONE = "none"


@dataclass(frozen=True, slots=True)
class CaseFilter:
    status: tuple[str, ...] = ()
    unit: str | None = None
    lead: str | None = None  # the lead unit only (`unit`: any unit with a share)
    category: str | None = None
    channel: str | None = None
    caller_number: str | None = None
    overdue: bool | None = None
    needs_intake: bool | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    limit: int = 50
    cursor: str | None = None
    call_back: bool | None = None  # only the cases a person must call back (or none of them)
    text: str | None = None  # a case number, or words of the description
    township: str | None = None
    place: str | None = None
    line: str | None = None  # the hotline number dialled
    order: str = "received"  # "received": newest first; "due": the nearest running clock first


def overdue_condition(now: datetime):  # type: ignore[no-untyped-def]
    """A case whose running clock has run out (the same clocks as the breach scan)."""
    return or_(
        and_(Case.status == S.RECEIVED, Case.register_due < now),
        and_(Case.status == S.REGISTERED, Case.dispatch_due < now),
        and_(Case.status == S.DISPATCHED, or_(Case.accept_due < now, Case.reply_due < now)),
        and_(Case.status == S.ACCEPTED, Case.reply_due < now),
    )


def running_due() -> ColumnElement[Any]:
    """When the case's running clock runs out (register, dispatch, accept, reply: the one its
    status runs), or NULL where none runs; a column expression for sorting by urgency."""
    return sql_case(
        (Case.status == S.RECEIVED, Case.register_due),
        (Case.status == S.REGISTERED, Case.dispatch_due),
        (Case.status == S.DISPATCHED, Case.accept_due),
        (Case.status == S.ACCEPTED, Case.reply_due),
        else_=None,
    )


def overdue_clocks(case: Case, now: datetime) -> list[str]:
    clocks = []
    if case.status == S.RECEIVED and case.register_due < now:
        clocks.append("register")
    if case.status == S.REGISTERED and case.dispatch_due and case.dispatch_due < now:
        clocks.append("dispatch")
    if case.status == S.DISPATCHED and case.accept_due and case.accept_due < now:
        clocks.append("accept")
    if case.status in (S.DISPATCHED, S.ACCEPTED) and case.reply_due and case.reply_due < now:
        clocks.append("reply")
    return clocks


def visible(statement: Select[Any], actor: Actor) -> Select[Any]:
    if can_read_all(actor):
        return statement
    if actor.role == Role.UNIT_HANDLER and actor.unit:
        return statement.where(_held_by(actor.unit))
    raise Forbidden(f"a {actor.role.value} may not read cases")


def _held_by(unit: str):  # type: ignore[no-untyped-def]
    """The unit has (or had) a share of the case: an EXISTS the planner answers from
    ix_assignments_case_unit while it walks the cases newest first."""
    return exists().where(Assignment.case_id == Case.id, Assignment.unit_code == unit)


def _encode_cursor(at: datetime | None, case_id: int) -> str:
    """Where a page ended: the sort key (the time received, or the running clock's due time,
    "-" where none runs) and the case's id."""
    key = at.isoformat() if at is not None else "-"
    return base64.urlsafe_b64encode(f"{key}|{case_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime | None, int]:
    try:
        at, _, case_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        moment = None if at == "-" else sane_moment(datetime.fromisoformat(at))
        number = int(case_id)
        if not 0 <= number < 2**63:  # a case id is a 64-bit integer (beyond it, a 500 before: issue 16)
            raise ValueError(case_id)
        return moment, number
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is not one this API gave out") from exc


def _after(order: str, cursor: str):  # type: ignore[no-untyped-def]
    """The cases after the cursor, in the list's order."""
    at, case_id = _decode_cursor(cursor)
    if order == "due":
        due = running_due()
        if at is None:  # among the cases with no running clock, by id
            return and_(due.is_(None), Case.id > case_id)
        return or_(due > at, and_(due == at, Case.id > case_id), due.is_(None))
    if at is None:
        raise InvalidInput("cursor is not one this API gave out")
    return or_(Case.received_at < at, and_(Case.received_at == at, Case.id < case_id))


def _owners(query: CaseFilter) -> list[ColumnElement[bool]]:
    """The unit (any share), lead unit, category (and below) and township filters; `none` of each
    lists the cases with none (no lead unit, not screened, no township)."""
    found: list[ColumnElement[bool]] = []
    if query.unit == NONE or query.lead == NONE:
        found.append(Case.lead_unit_code.is_(None))
    if query.unit and query.unit != NONE:
        found.append(_held_by(query.unit))
    if query.lead and query.lead != NONE:
        found.append(Case.lead_unit_code == query.lead)
    if query.category == NONE:
        found.append(Case.category_code.is_(None))
    elif query.category:
        found.append(or_(Case.category_code == query.category, Case.category_code.startswith(query.category + ".")))
    if query.township == NONE:
        found.append(Case.township_code.is_(None))
    elif query.township:
        found.append(Case.township_code == query.township)
    return found


def list_cases(s: Session, actor: Actor, query: CaseFilter, now: datetime) -> CasePage:
    statement = visible(select(Case), actor)
    if query.status:
        statement = statement.where(Case.status.in_(query.status))
    for condition in _owners(query):
        statement = statement.where(condition)
    if query.channel:
        statement = statement.where(Case.channel_code == query.channel)
    if query.place:
        statement = statement.where(Case.place_code == query.place)
    if query.line:
        statement = statement.where(Case.line_number == query.line)
    if query.caller_number:
        statement = statement.where(Case.caller_id.in_(select(Caller.id).where(Caller.phone == query.caller_number)))
    if query.overdue is not None:
        condition = overdue_condition(now)
        statement = statement.where(condition if query.overdue else ~condition)
    if query.needs_intake is not None:
        statement = statement.where(Case.needs_intake.is_(query.needs_intake))
    if query.call_back is not None:
        statement = statement.where(Case.call_back.is_not(None) if query.call_back else Case.call_back.is_(None))
    if query.received_from:
        statement = statement.where(Case.received_at >= query.received_from)
    if query.received_to:
        statement = statement.where(Case.received_at < query.received_to)
    if query.text and query.text.strip():
        statement = statement.where(matching(s, query.text))
    if query.cursor:
        statement = statement.where(_after(query.order, query.cursor))
    if query.order == "due":
        due = running_due()
        statement = statement.order_by(due.is_(None), due, Case.id)
    else:
        statement = statement.order_by(Case.received_at.desc(), Case.id.desc())
    statement = statement.limit(query.limit + 1).options(selectinload(Case.caller), selectinload(Case.assignments))
    rows: list[Case] = list(s.scalars(statement))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    masters = _master_numbers(s, rows)
    cursor = None
    if more and rows:
        last = rows[-1]
        key = running_due_of(last) if query.order == "due" else last.received_at
        cursor = _encode_cursor(key, last.id)
    masked = masks_callers(actor)
    return CasePage(items=[public(case, now, masters, masked=masked) for case in rows], next_cursor=cursor)


def running_due_of(case: Case) -> datetime | None:
    """`running_due`, for a case already read."""
    return {
        S.RECEIVED: case.register_due,
        S.REGISTERED: case.dispatch_due,
        S.DISPATCHED: case.accept_due,
        S.ACCEPTED: case.reply_due,
    }.get(Status(case.status))


def _master_numbers(s: Session, cases: list[Case]) -> dict[int, str]:
    ids = {c.duplicate_of_id for c in cases if c.duplicate_of_id}
    if not ids:
        return {}
    return dict(s.execute(select(Case.id, Case.number).where(Case.id.in_(ids))).all())


def public(case: Case, now: datetime, masters: dict[int, str] | None = None, *, masked: bool = False) -> CasePublic:
    """The case as a client sees it; `masked`: the caller's number shows only its first three and
    last four digits (a unit's clerk handles the matter; the center calls the citizen)."""
    active = [a for a in case.assignments if a.active]
    return CasePublic(
        number=case.number,
        status=case.status,
        channel=case.channel_code,
        line=case.line_number,
        caller_number=(mask_number(case.caller.phone) if masked else case.caller.phone) if case.caller else None,
        description=case.description,
        transcript=case.transcript,
        transcript_state=case.transcript_state,
        transcript_note=case.transcript_note,
        category=case.category_code,
        place=case.place_code,
        township=case.township_code,
        urgency=case.urgency,
        needs_intake=case.needs_intake,
        call_back=case.call_back,
        lead_unit=case.lead_unit_code,
        lead_section=case.lead_section_code,
        co_units=[a.unit_code for a in active if a.role == "co"],
        duplicate_of=(masters or {}).get(case.duplicate_of_id) if case.duplicate_of_id else None,
        satisfaction=case.satisfaction,
        received_at=case.received_at,
        register_due=case.register_due,
        registered_at=case.registered_at,
        dispatch_due=case.dispatch_due,
        dispatched_at=case.dispatched_at,
        accept_due=case.accept_due,
        accepted_at=case.accepted_at,
        reply_due=case.reply_due,
        replied_at=case.replied_at,
        closed_at=case.closed_at,
        leader_due=case.leader_due,
        overdue=overdue_clocks(case, now),
    )


def masks_callers(actor: Actor) -> bool:
    """Who sees callers' numbers masked: the units' handlers (casebook/auth/policy.py's roles)."""
    return actor.role == Role.UNIT_HANDLER


def check_visible(s: Session, case: Case, actor: Actor) -> None:
    if can_read_all(actor):
        return
    if actor.role == Role.UNIT_HANDLER and actor.unit:
        mine = s.scalar(select(Assignment.id).where(Assignment.case_id == case.id, Assignment.unit_code == actor.unit))
        if mine is not None:
            return
        raise NotFound(f"no case {case.number}")  # a unit does not learn that other units' cases exist
    raise Forbidden(f"a {actor.role.value} may not read cases")


def recording_path(s: Session, number: str, name: str, actor: Actor) -> str:
    """Where a case's recording is stored, if the actor may read the case and the file is there."""
    case = s.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise NotFound(f"no case {number}")
    check_visible(s, case, actor)
    path = s.scalar(select(Recording.path).where(Recording.case_id == case.id, Recording.name == name))
    if path is None:
        raise NotFound(f"case {number} has no recording {name}")
    if not Path(path).is_file():
        raise NotFound(f"the audio of recording {name} is missing from storage")
    return str(path)


WHOLE_CASE = (
    selectinload(Case.caller),
    selectinload(Case.assignments),
    selectinload(Case.events),
    selectinload(Case.replies),
    selectinload(Case.recordings),
    selectinload(Case.attachments),
    selectinload(Case.extensions),
)


def detail(s: Session, number: str, actor: Actor, now: datetime) -> CaseDetail:
    case = s.scalar(select(Case).where(Case.number == number).options(*WHOLE_CASE))
    if case is None:
        raise NotFound(f"no case {number}")
    check_visible(s, case, actor)
    masters = _master_numbers(s, [case])
    numbers = dict(
        s.execute(
            select(Case.id, Case.number).where(
                Case.id.in_({r.via_master_id for r in case.replies if r.via_master_id} | {0})
            )
        ).all()
    )
    duplicates, suggestions = _duplicates_of(s, case)
    base = public(case, now, masters, masked=masks_callers(actor))
    return CaseDetail(
        **base.model_dump(),
        classification=case.classification,
        events=[EventOut(at=e.at, actor=e.actor, kind=e.kind, reason=e.reason, detail=e.detail) for e in case.events],
        replies=[
            ReplyOut(
                at=r.at,
                unit=r.unit_code,
                author=r.author,
                text=r.text,
                joint=r.joint,
                via_master=numbers.get(r.via_master_id) if r.via_master_id else None,
            )
            for r in case.replies
        ],
        assignments=[
            AssignmentOut(
                unit=a.unit_code,
                role=a.role,
                round=a.round,
                active=a.active,
                section=a.section_code,
                dispatched_at=a.dispatched_at,
                accepted_at=a.accepted_at,
            )
            for a in case.assignments
        ],
        duplicates=duplicates,
        suggestions=suggestions,
        caller_cases=_caller_cases(s, case, actor),
        actions=offered(case, actor),
        recordings=[r.name for r in case.recordings],
        recording_hold=case.recording_hold,
        transcripts=_transcripts_of(s, case),
        attachments=[attachment_out(f) for f in case.attachments],
        extensions=[extension_out(x) for x in case.extensions],
        **after_the_reply(s, case),
    )


def _duplicates_of(s: Session, case: Case) -> tuple[list[DuplicateOut], list[DuplicateOut]]:
    """The cases linked to this one as its duplicates, and the masters suggested for it."""
    links = s.execute(
        select(DuplicateLink, Case.number)
        .join(Case, Case.id == DuplicateLink.case_id)
        .where(DuplicateLink.master_id == case.id, DuplicateLink.state == "linked")
    ).all()
    suggested = s.execute(
        select(DuplicateLink, Case.number)
        .join(Case, Case.id == DuplicateLink.master_id)
        .where(DuplicateLink.case_id == case.id, DuplicateLink.state == "suggested")
    ).all()

    def out(rows: Any) -> list[DuplicateOut]:
        return [
            DuplicateOut(number=n, state=link.state, score=link.score, automatic=link.automatic) for link, n in rows
        ]

    return out(links), out(suggested)


def _caller_cases(s: Session, case: Case, actor: Actor) -> list[str]:
    """The caller's other cases the actor may see, newest first (at most 50): a unit learns
    nothing of another unit's cases, not even their numbers."""
    if case.caller_id is None:
        return []
    return list(
        s.scalars(
            visible(select(Case.number), actor)
            .where(Case.caller_id == case.caller_id, Case.id != case.id)
            .order_by(Case.id.desc())
            .limit(50)
        )
    )


def _transcripts_of(s: Session, case: Case) -> list[TranscriptOut]:
    return [
        TranscriptOut(
            source=t.source,
            text=t.text,
            language=t.language,
            model=t.model,
            confidence=t.confidence,
            duration_s=t.duration_s,
            words=t.words,
            created_at=t.created_at,
        )
        for t in s.scalars(select(Transcript).where(Transcript.case_id == case.id).order_by(Transcript.id))
    ]
