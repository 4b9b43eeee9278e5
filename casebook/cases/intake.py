"""Intake: an appeal from any channel becomes a case (received), with its number of the day.

A mixin of `CaseBook` (casebook/cases/services.py). One path: the appeal is checked and turned
into the case's row (`_row`), stored, and then the same event and the same notice go out whatever
the storage did. How it is stored is a detail chosen here:
- on PostgreSQL, an appeal without a call id that is not screened at once is stored by one
  statement (`INTAKE_SQL`: day number, caller, case and event in one round trip), what a busy
  morning of web and Open311 appeals costs the database;
- otherwise in a short transaction (SQLite, a call's case, which must be idempotent by call id
  and picks up what the caller said before the case existed, or a case screened at once).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from casebook.auth.policy import Actor, require
from casebook.cases import transcripts
from casebook.cases.errors import InvalidInput
from casebook.cases.lifecycle import Status
from casebook.cases.notices import CaseNotice
from casebook.cases.part import BookPart
from casebook.db.models import Caller, Case, CaseEvent, CaseNumberCounter, Transcript

if TYPE_CHECKING:
    from casebook.cases.screening import Screening

WINDOW = timedelta(hours=1)  # each of the center's windows: register, dispatch, accept ("3个一")
MAX_DESCRIPTION = 4000
PHONE = re.compile(r"^\+?[0-9]{3,20}$")
CALL_ORIGINS = ("ivr", "fallback")

# The intake as one PostgreSQL statement (see Intake._store_in_one_statement).
INTAKE_SQL = text(
    """
    WITH counter AS (
        INSERT INTO case_number_counters (day, last) VALUES (:day, 1)
        ON CONFLICT (day) DO UPDATE SET last = case_number_counters.last + 1
        RETURNING last
    ), caller AS (
        INSERT INTO callers (phone, name, email, created_at)
        SELECT CAST(:phone AS VARCHAR), :caller_name, :email, :created_at WHERE CAST(:phone AS VARCHAR) IS NOT NULL
        ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone
        RETURNING id
    ), new_case AS (
        INSERT INTO cases (number, call_id, token, status, channel_code, line_number, caller_id, language, origin,
            ivr_path, description, address, lat, long, media_url, urgency, needs_intake, received_at, register_due,
            reopened_count, created_at, updated_at)
        SELECT :day || CASE WHEN counter.last < 10000 THEN lpad(counter.last::text, 4, '0') ELSE counter.last::text END,
            :call_id, :token, :status, :channel_code, :line_number,
            (SELECT id FROM caller), :language, :origin, :ivr_path, :description, :address, :lat, :long, :media_url,
            :urgency, :needs_intake, :received_at, :register_due, :reopened_count, :created_at, :updated_at
        FROM counter
        RETURNING id, number, caller_id
    ), event AS (
        INSERT INTO case_events (case_id, at, actor, kind, reason, detail)
        SELECT id, :created_at, :actor, 'received', '', CAST(:detail AS JSON) FROM new_case
    )
    SELECT id, number, caller_id FROM new_case
    """
)


@dataclass(frozen=True, slots=True)
class NewAppeal:
    """An appeal as it arrives, from any channel."""

    channel: str
    description: str = ""
    caller_phone: str | None = None
    caller_name: str | None = None
    email: str | None = None
    line_number: str | None = None
    call_id: str | None = None  # makes the intake idempotent (a retried call never opens two cases)
    received_at: datetime | None = None
    origin: str = "web"
    language: str = "zh"
    ivr_path: tuple[str, ...] = ()
    address: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None
    requested_category: str | None = None  # Open311 service_code
    call_back: str | None = None  # why a person must call the citizen back (their words are missing)
    by_hand: bool = False  # an agent screens it (registers it) themselves: no automatic screening


def normalise_phone(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    phone = re.sub(r"[\s\-()]", "", raw)
    if not PHONE.match(phone):
        raise InvalidInput("malformed phone number: use digits, optionally with a leading +")
    return phone


@dataclass(frozen=True, slots=True)
class Received:
    """What every intake tells, however the case was stored: its event's detail and its notice's."""

    detail: dict[str, Any]
    notice: dict[str, Any]

    @classmethod
    def of(cls, appeal: NewAppeal) -> Received:
        return cls(
            detail=jsonable(
                {
                    "channel": appeal.channel,
                    "origin": appeal.origin,
                    "line": appeal.line_number,
                    "requested_category": appeal.requested_category,
                    "call_back": appeal.call_back,
                    **({"by_hand": True} if appeal.by_hand else {}),
                }
            ),
            notice={"channel": appeal.channel, "origin": appeal.origin, "call_back": appeal.call_back},
        )


class Intake(BookPart):
    """Needs of the book (given by `CaseBook`): sessions, clock, time zone, directory, notifier,
    the duplicate index and the screening."""

    tz: ZoneInfo

    def open(self, appeal: NewAppeal, actor: Actor) -> Case:
        """Register a new appeal as a case (received); idempotent by `call_id`."""
        return self._open(appeal, actor, screen=False)[0]

    def open_and_screen(self, appeal: NewAppeal, actor: Actor) -> tuple[Case, Screening]:
        """Register, classify, link to a master or route a new appeal, in one transaction."""
        case, screening = self._open(appeal, actor, screen=True)
        if screening is None:  # the same call id was opened before: screen what is there
            screening = self.screen(case.number, requested_category=appeal.requested_category)
        return case, screening

    def _open(self, appeal: NewAppeal, actor: Actor, *, screen: bool) -> tuple[Case, Screening | None]:
        require(actor, "open")
        values, phone = self._row(appeal)
        received = Received.of(appeal)
        if not screen and not appeal.call_id and self._dialect() == "postgresql":
            more: list[CaseNotice] = []
            case, screening = self._store_in_one_statement(values, phone, appeal, actor, received), None
        else:
            stored = self._store_in_transaction(values, phone, appeal, actor, received, screen=screen)
            if stored is None:  # the same call opened this case before: nothing new to tell
                return self._case_of_call(str(appeal.call_id)), None
            case, screening, more = stored
        self._index_update(case)
        self._notify([CaseNotice("case.received", case.number, Status.RECEIVED.value, received.notice), *more])
        return case, screening

    def _row(self, appeal: NewAppeal) -> tuple[dict[str, Any], str | None]:
        """The appeal checked, as the values of its case's row; and the caller's phone."""
        description = appeal.description or ""
        if len(description) > MAX_DESCRIPTION:
            raise InvalidInput(f"description is longer than {MAX_DESCRIPTION} characters")
        phone = normalise_phone(appeal.caller_phone)
        if appeal.channel not in self.directory().channels:
            raise InvalidInput(f"unknown channel {appeal.channel!r}")
        now = self.clock.now()
        received = appeal.received_at or now
        values: dict[str, Any] = dict(
            call_id=appeal.call_id,
            token=secrets.token_hex(8),
            status=Status.RECEIVED.value,
            channel_code=appeal.channel,
            line_number=appeal.line_number,
            language=appeal.language,
            origin=appeal.origin,
            ivr_path=">".join(appeal.ivr_path),
            description=description,
            address=appeal.address,
            lat=appeal.lat,
            long=appeal.long,
            media_url=appeal.media_url,
            urgency="normal",
            needs_intake=True,
            received_at=received,
            register_due=received + WINDOW,
            reopened_count=0,
            created_at=now,
            updated_at=now,
        )
        if appeal.call_id and appeal.origin in CALL_ORIGINS:
            values["transcript_state"] = transcripts.WAITING  # its recording is on the way
        if appeal.call_back:
            values["call_back"] = appeal.call_back[:200]
        return values, phone

    def _case_of_call(self, call_id: str) -> Case:
        with self.sessions() as s:
            case = s.scalar(select(Case).where(Case.call_id == call_id))
            if case is None:  # pragma: no cover - the caller found it a moment ago
                raise InvalidInput("could not open the case; try again")
            return case

    def _store_in_transaction(
        self,
        values: dict[str, Any],
        phone: str | None,
        appeal: NewAppeal,
        actor: Actor,
        received: Received,
        *,
        screen: bool,
    ) -> tuple[Case, Screening | None, list[CaseNotice]] | None:
        """Caller, case and event in one short transaction (and the screening, when asked);
        None when the call's case exists already (intake is idempotent by call id)."""
        now = values["created_at"]
        for _attempt in range(3):
            with self.sessions() as s:
                if appeal.call_id and s.scalar(select(Case.id).where(Case.call_id == appeal.call_id)) is not None:
                    return None
                # the number first, in its own transaction, before this one writes (SQLite has one writer)
                values["number"] = self._day_number(values["received_at"])
                insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
                if phone is not None:
                    values["caller_id"] = s.execute(
                        insert(Caller)
                        .values(phone=phone, name=appeal.caller_name, email=appeal.email, created_at=now)
                        .on_conflict_do_update(index_elements=["phone"], set_={"phone": phone})
                        .returning(Caller.id)
                    ).scalar_one()
                try:
                    values["id"] = s.execute(insert(Case).values(**values).returning(Case.id)).scalar_one()
                except IntegrityError:
                    s.rollback()
                    continue  # the same call opened meanwhile: look again
                if appeal.call_id:  # what the caller said before the case existed (at the menu) joins it
                    s.execute(
                        update(Transcript)
                        .where(Transcript.call_id == appeal.call_id, Transcript.case_id.is_(None))
                        .values(case_id=values["id"])
                    )
                s.execute(
                    insert(CaseEvent).values(
                        case_id=values["id"],
                        at=now,
                        actor=actor.name,
                        kind="received",
                        reason="",
                        detail=received.detail,
                    )
                )
                case, screening = Case(**values), None
                notices: list[CaseNotice] = []
                if screen:
                    case = s.get(Case, values["id"], with_for_update=True)  # type: ignore[assignment]
                    screening, notices = self._screen(s, case, appeal.requested_category)
                s.commit()
                return case, screening, notices
        raise InvalidInput("could not open the case; try again")

    def _store_in_one_statement(
        self, values: dict[str, Any], phone: str | None, appeal: NewAppeal, actor: Actor, received: Received
    ) -> Case:
        """PostgreSQL: the whole intake (day number, caller, case, event) is one statement and one
        round trip; the day's counter row is locked only while that statement runs."""
        params = {
            **values,
            "day": values["received_at"].astimezone(self.tz).strftime("%y%m%d"),
            "phone": phone,
            "caller_name": appeal.caller_name,
            "email": appeal.email,
            "actor": actor.name,
            "detail": json.dumps(received.detail),
        }
        with self.sessions() as s:
            row = s.execute(INTAKE_SQL, params).one()
            s.commit()
        return Case(**{**values, "id": row.id, "number": row.number, "caller_id": row.caller_id})

    def _dialect(self) -> str:
        bind = self.sessions.kw.get("bind")
        return str(bind.dialect.name) if bind is not None else ""

    def _day_number(self, at: datetime) -> str:
        """The next number of the day (digits only: `YYMMDD` + sequence), taken in a transaction of
        its own: the day's counter row is locked for one statement, not for a whole intake, so
        intakes do not queue behind each other. A failed intake leaves a gap, which is harmless."""
        day = at.astimezone(self.tz).strftime("%y%m%d")
        with self.sessions() as s:
            insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
            sequence = s.execute(
                insert(CaseNumberCounter)
                .values(day=day, last=1)
                .on_conflict_do_update(index_elements=["day"], set_={"last": CaseNumberCounter.last + 1})
                .returning(CaseNumberCounter.last)
            ).scalar_one()
            s.commit()
        return f"{day}{sequence:04d}"


def jsonable(value: Any) -> Any:
    """A value as JSON can hold it (times as ISO 8601), for the event log's detail."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
