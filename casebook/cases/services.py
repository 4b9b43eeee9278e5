"""The actions on cases: every step of the appeals lifecycle, with its clocks and its event.

Each action opens one transaction, locks the case row, checks who may act (`auth.policy`) and
what may follow the current state (`lifecycle`), changes the case, appends to the event log
(who, when, what, why) and commits; then the notifier tells the rest of the platform. Invalid
input and invalid transitions raise `CasebookError`s, which the API turns into 4xx answers.

The three one-hour windows of the center ("3个一"): registered within 1 h of receipt, dispatched
within 1 h of registration, accepted by a section within 1 h of dispatch. The handling deadline
(`reply_due`) comes from the routing data (category and urgency) or from the dispatcher.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from casebook.auth.policy import CLASSIFIER, ROUTER, Actor, Role, require
from casebook.cases import transcripts
from casebook.cases.errors import InvalidInput, InvalidTransition, NotFound
from casebook.cases.lifecycle import Action, Status, next_status
from casebook.cases.transcripts import SpeechText, TranscriptionJob
from casebook.classify.classifier import Classification, Classifier, build_lexicon
from casebook.clock import Clock, SystemClock
from casebook.db.models import (
    Assignment,
    Caller,
    Case,
    CaseEvent,
    CaseNumberCounter,
    Category,
    Channel,
    DeadlinePolicy,
    DuplicateLink,
    Interview,
    JointSession,
    LeaderDecision,
    Place,
    Recording,
    Reply,
    RoutingRule,
    SatisfactionVerdict,
    Section,
    Transcript,
    Unit,
)
from casebook.directory.seed import urgency_words
from casebook.duplicates.finder import AUTO_THRESHOLD, CaseFeatures, Match, OpenCaseIndex
from casebook.routing import Route, RuleView, route
from casebook.routing import deadline_hours as policy_hours

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=1)
MAX_DESCRIPTION = 4000
URGENCIES = ("normal", "urgent", "critical")
PHONE = re.compile(r"^\+?[0-9]{3,20}$")
TELEPHONY = Actor("telephony", Role.SYSTEM)
SPEECH = Actor("speech-recognition", Role.SYSTEM)
CALL_ORIGINS = ("ivr", "fallback")

# The intake as one PostgreSQL statement (see CaseBook._open_in_one_statement).
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


@dataclass(frozen=True, slots=True)
class Screening:
    """What automatic screening did with a new case."""

    classification: Classification
    registered: bool
    duplicate_of: str | None
    suggestions: tuple[Match, ...]
    route: Route | None
    dispatched: bool


@dataclass(frozen=True, slots=True)
class CaseNotice:
    """An event out of the casebook (the notifier's payload)."""

    kind: str
    number: str
    status: str
    data: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[CaseNotice], None]
DIRECTORY_TTL_S = 60.0


@dataclass(frozen=True, slots=True)
class Directory:
    """What the actions validate against, read once a minute instead of once per request."""

    channels: frozenset[str]
    categories: frozenset[str]
    places: dict[str, str | None]  # place -> its township
    units: frozenset[str]  # active ones
    sections: frozenset[tuple[str, str]]  # (unit, section)
    loaded_at: float


def normalise_phone(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    phone = re.sub(r"[\s\-()]", "", raw)
    if not PHONE.match(phone):
        raise InvalidInput("malformed phone number: use digits, optionally with a leading +")
    return phone


class CaseBook:
    """The casebook's service layer (synchronous; the API runs it in its thread pool)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Clock | None = None,
        timezone: str = "Asia/Shanghai",
        recordings_dir: Path | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()
        self.tz = ZoneInfo(timezone)
        self.recordings_dir = recordings_dir or Path(".hotline/recordings")
        self.listeners: list[Listener] = []
        self._lock = threading.RLock()
        self._classifier: Classifier | None = None
        self._rules: list[RuleView] | None = None
        self._policies: dict[tuple[str, str], float] | None = None
        self._index: OpenCaseIndex | None = None
        self._index_max_id = 0
        self._directory: Directory | None = None

    # --- notifier -------------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def _notify(self, notices: Iterable[CaseNotice]) -> None:
        for notice in notices:
            for listener in self.listeners:
                try:
                    listener(notice)
                except Exception:
                    log.exception("a listener failed on %s of case %s", notice.kind, notice.number)

    # --- directory caches ---------------------------------------------------------------------------
    def reload_directory(self) -> None:
        """Forget cached rules, deadlines and lexicon (after the directory was edited)."""
        with self._lock:
            self._classifier = None
            self._rules = None
            self._policies = None
            self._directory = None

    def directory(self) -> Directory:
        with self._lock:
            current = self._directory
            if current is not None and time.monotonic() - current.loaded_at < DIRECTORY_TTL_S:
                return current
            with self.sessions() as s:
                current = Directory(
                    channels=frozenset(s.scalars(select(Channel.code))),
                    categories=frozenset(s.scalars(select(Category.code))),
                    places=dict(s.execute(select(Place.code, Place.township_code)).all()),
                    units=frozenset(s.scalars(select(Unit.code).where(Unit.active))),
                    sections=frozenset(s.execute(select(Section.unit_code, Section.code)).all()),
                    loaded_at=time.monotonic(),
                )
            self._directory = current
            return current

    def classifier(self) -> Classifier:
        with self._lock:
            if self._classifier is None:
                with self.sessions() as s:
                    categories = [(c.code, c.parent_code, c.keywords) for c in s.scalars(select(Category))]
                    places = [
                        (p.code, p.name_zh, p.township_code, p.aliases)
                        for p in s.scalars(select(Place).where(~Place.code.startswith("township-")))
                    ]
                    townships = [(u.code, u.name_zh) for u in s.scalars(select(Unit).where(Unit.kind == "township"))]
                self._classifier = Classifier(build_lexicon(categories, places, townships, urgency_words()))
            return self._classifier

    def _routing(self, s: Session) -> tuple[list[RuleView], dict[tuple[str, str], float]]:
        with self._lock:
            if self._rules is None or self._policies is None:
                rules = s.scalars(select(RoutingRule).where(RoutingRule.active).order_by(RoutingRule.position))
                self._rules = [
                    RuleView(r.id, r.category_code, r.township_code, r.lead, r.fallback_lead, tuple(r.co_units))
                    for r in rules
                ]
                self._policies = {(p.category_code, p.urgency): p.hours for p in s.scalars(select(DeadlinePolicy))}
            return self._rules, self._policies

    def suggest_route(self, s: Session, case: Case) -> Route | None:
        rules, policies = self._routing(s)
        if not case.category_code:
            return None
        return route(rules, policies, category=case.category_code, township=case.township_code, urgency=case.urgency)

    # --- the duplicate index ---------------------------------------------------------------------------
    def _features(self, case: Case) -> CaseFeatures:
        text = " ".join(t for t in (case.description, case.transcript or "") if t)
        # before a person confirms the type, the classifier's best guess stands in for it
        guess = ((case.classification or {}).get("category") or {}).get("code")
        return CaseFeatures(
            case.id,
            case.number,
            case.received_at,
            text,
            case.category_code or guess,
            case.place_code,
            case.township_code,
            case.caller_id,
            case.duplicate_of_id,
        )

    def duplicate_index(self, s: Session) -> OpenCaseIndex:
        """Open cases of the window, brought up to date with the database (incrementally)."""
        now = self.clock.now()
        with self._lock:
            if self._index is None:
                self._index = OpenCaseIndex()
                self._index_max_id = 0
            index = self._index
            since = now - index.window
            rows = s.scalars(
                select(Case).where(
                    Case.id > self._index_max_id,
                    Case.received_at >= since,
                    Case.duplicate_of_id.is_(None),
                    Case.status.not_in([Status.CLOSED, Status.MERGED]),
                )
            ).all()
            for case in rows:
                index.add(self._features(case))
                self._index_max_id = max(self._index_max_id, case.id)
            index.prune(now)
            return index

    def _index_update(self, case: Case) -> None:
        with self._lock:
            if self._index is None:
                return
            if case.status in (Status.CLOSED, Status.MERGED) or case.duplicate_of_id is not None:
                self._index.remove(case.id)
            else:
                self._index.add(self._features(case))

    # --- reading ---------------------------------------------------------------------------------------
    def aware(self, at: datetime) -> datetime:
        """A time without a zone is the center's local time (Asia/Shanghai by default)."""
        return at.replace(tzinfo=self.tz) if at.tzinfo is None else at

    def _case_for_update(self, s: Session, number: str) -> Case:
        case = s.scalar(select(Case).where(Case.number == number).with_for_update())
        if case is None:
            raise NotFound(f"no case {number}")
        return case

    def get(self, s: Session, number: str) -> Case:
        case = s.scalar(select(Case).where(Case.number == number))
        if case is None:
            raise NotFound(f"no case {number}")
        return case

    # --- helpers ---------------------------------------------------------------------------------------
    def _event(self, s: Session, case: Case, actor: Actor, kind: str, reason: str = "", **detail: Any) -> None:
        s.add(
            CaseEvent(
                case_id=case.id,
                at=self.clock.now(),
                actor=actor.name,
                kind=kind,
                reason=reason,
                detail=_jsonable(detail),
            )
        )

    def _move(self, s: Session, case: Case, action: Action, actor: Actor, reason: str = "", **detail: Any) -> str:
        before = case.status
        case.status = next_status(case.status, action).value
        case.updated_at = self.clock.now()
        self._event(s, case, actor, action.value, reason, status_from=before, status_to=case.status, **detail)
        return before

    def _unit(self, s: Session, code: str) -> None:
        if code not in self.directory().units:
            raise InvalidInput(f"unknown handling unit {code!r}")

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

    # --- intake -------------------------------------------------------------------------------------------
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
        """The intake's hot path: a number from the day's counter, then one short transaction of
        three statements (caller, case, event): what a busy morning costs the database."""
        require(actor, "open")
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
        if not screen and not appeal.call_id and self._dialect() == "postgresql":
            return self._open_in_one_statement(appeal, actor, values, phone), None
        for _attempt in range(3):
            with self.sessions() as s:
                if appeal.call_id:
                    existing = s.scalar(select(Case).where(Case.call_id == appeal.call_id))
                    if existing is not None:
                        return existing, None
                # the number first, in its own transaction, before this one writes (SQLite has one writer)
                values["number"] = self._day_number(received)
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
                        detail=_jsonable(
                            {
                                "channel": appeal.channel,
                                "origin": appeal.origin,
                                "line": appeal.line_number,
                                "requested_category": appeal.requested_category,
                            }
                        ),
                    )
                )
                notices = [
                    CaseNotice(
                        "case.received",
                        values["number"],
                        Status.RECEIVED.value,
                        {"channel": appeal.channel, "origin": appeal.origin},
                    )
                ]
                screening = None
                case = Case(**values)
                if screen:
                    case = s.get(Case, values["id"], with_for_update=True)  # type: ignore[assignment]
                    screening, more = self._screen(s, case, appeal.requested_category)
                    notices += more
                s.commit()
                self._index_update(case)
                self._notify(notices)
                return case, screening
        raise InvalidInput("could not open the case; try again")

    def _dialect(self) -> str:
        bind = self.sessions.kw.get("bind")
        return str(bind.dialect.name) if bind is not None else ""

    def _open_in_one_statement(
        self, appeal: NewAppeal, actor: Actor, values: dict[str, Any], phone: str | None
    ) -> Case:
        """PostgreSQL: the whole intake (day number, caller, case, event) is one statement and one
        round trip; the day's counter row is locked only while that statement runs."""
        day = values["received_at"].astimezone(self.tz).strftime("%y%m%d")
        detail = json.dumps(
            _jsonable(
                {
                    "channel": appeal.channel,
                    "origin": appeal.origin,
                    "line": appeal.line_number,
                    "requested_category": appeal.requested_category,
                }
            )
        )
        params = {
            **values,
            "day": day,
            "phone": phone,
            "caller_name": appeal.caller_name,
            "email": appeal.email,
            "actor": actor.name,
            "detail": detail,
        }
        with self.sessions() as s:
            row = s.execute(INTAKE_SQL, params).one()
            s.commit()
        values = {**values, "id": row.id, "number": row.number, "caller_id": row.caller_id}
        case = Case(**values)
        self._notify(
            [
                CaseNotice(
                    "case.received",
                    row.number,
                    Status.RECEIVED.value,
                    {"channel": appeal.channel, "origin": appeal.origin},
                )
            ]
        )
        return case

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
        registered = dispatched = False
        duplicate_of: str | None = None
        chosen_route: Route | None = None
        if confident and category:
            self._register(s, case, CLASSIFIER, category=category, reason="automatic screening")
            notices.append(CaseNotice("case.registered", case.number, case.status, {"category": category}))
            registered = True
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
        return Screening(result, registered, duplicate_of, suggestions, chosen_route, dispatched), notices

    def _find_duplicates(self, s: Session, case: Case) -> tuple[Match | None, tuple[Match, ...]]:
        features = self._features(case)
        with self._lock:  # the index is shared by the request threads and the screening thread
            found = self.duplicate_index(s).candidates(features, self.clock.now())
        matches = [m for m in found if m.case_id != case.id]
        master: Match | None = None
        if matches and matches[0].score >= AUTO_THRESHOLD:
            best = matches[0]
            target = s.get(Case, best.case_id)
            while target is not None and target.duplicate_of_id is not None:  # follow to the real master
                target = s.get(Case, target.duplicate_of_id)
            if target is not None and target.status not in (Status.CLOSED, Status.MERGED) and target.id != case.id:
                master = Match(
                    target.id, target.number, best.score, best.text, best.place, best.category, best.same_caller
                )
        suggestions = tuple(m for m in matches if master is None or m.case_id != master.case_id)
        for match in suggestions:
            s.add(
                DuplicateLink(
                    case_id=case.id,
                    master_id=match.case_id,
                    score=match.score,
                    state="suggested",
                    automatic=True,
                    created_at=self.clock.now(),
                )
            )
            self._event(s, case, CLASSIFIER, "duplicate_suggested", master=match.number, score=match.score)
        return master, suggestions

    # --- the lifecycle ----------------------------------------------------------------------------------
    def register(
        self,
        number: str,
        actor: Actor,
        *,
        category: str,
        place: str | None = None,
        urgency: str | None = None,
        description: str | None = None,
        reason: str = "",
    ) -> Case:
        """Type screening done (录入, 筛选诉求类型): the case has a category."""
        require(actor, "register")
        with self.sessions() as s:
            case = self._case_for_update(s, number)
            self._register(
                s, case, actor, category=category, place=place, urgency=urgency, description=description, reason=reason
            )
            s.commit()
        self._index_update(case)
        self._notify([CaseNotice("case.registered", number, case.status, {"category": category})])
        return case

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
    ) -> None:
        next_status(case.status, Action.REGISTER)
        directory = self.directory()
        if category not in directory.categories:
            raise InvalidInput(f"unknown category {category!r}")
        if place is not None:
            if place not in directory.places:
                raise InvalidInput(f"unknown place {place!r}")
            case.place_code, case.township_code = place, directory.places[place]
        if urgency is not None:
            if urgency not in URGENCIES:
                raise InvalidInput(f"urgency must be one of {', '.join(URGENCIES)}")
            case.urgency = urgency
        if description is not None:
            if len(description) > MAX_DESCRIPTION:
                raise InvalidInput(f"description is longer than {MAX_DESCRIPTION} characters")
            case.description = description
        first = case.registered_at is None
        self._move(
            s, case, Action.REGISTER, actor, reason, category=category, place=case.place_code, urgency=case.urgency
        )
        case.category_code = category
        case.needs_intake = False
        if first:
            now = self.clock.now()
            case.registered_at = now
            case.dispatch_due = now + WINDOW

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
    ) -> Case:
        """Transfer to the lead unit and co-handling units with a handling deadline (发函转办)."""
        require(actor, "dispatch")
        with self.sessions() as s:
            case = self._case_for_update(s, number)
            co = self._dispatch(
                s,
                case,
                actor,
                lead=lead,
                co_units=co_units,
                deadline_hours=deadline_hours,
                reply_due=reply_due,
                reason=reason,
            )
            s.commit()
        self._notify(
            [CaseNotice("case.dispatched", number, case.status, {"lead": case.lead_unit_code, "co_units": co})]
        )
        return case

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
    ) -> list[str]:
        next_status(case.status, Action.DISPATCH)
        if lead is None:
            suggested = self.suggest_route(s, case)
            if suggested is None:
                raise InvalidInput("no lead unit given and no routing rule matches this case")
            lead, co_units = suggested.lead, suggested.co_units
            deadline_hours = deadline_hours if deadline_hours is not None else suggested.deadline_hours
        units = self.directory().units
        co = [c for c in dict.fromkeys(co_units) if c != lead]
        for unit in (lead, *co):
            if unit not in units:
                raise InvalidInput(f"unknown handling unit {unit!r}")
        now = self.clock.now()
        if reply_due is None:
            if deadline_hours is None:
                _rules, policies = self._routing(s)
                deadline_hours = policy_hours(policies, case.category_code or "general", case.urgency)
            if deadline_hours <= 0:
                raise InvalidInput("the handling deadline must be in the future")
            reply_due = now + timedelta(hours=deadline_hours)
        elif reply_due <= now:
            raise InvalidInput("the handling deadline must be in the future")
        self._move(s, case, Action.DISPATCH, actor, reason, lead=lead, co_units=co, reply_due=reply_due)
        round_no = 1
        if case.dispatched_at is not None:  # dispatched before: a new round replaces the old one
            round_no = (s.scalar(select(func.max(Assignment.round)).where(Assignment.case_id == case.id)) or 0) + 1
            for old in s.scalars(select(Assignment).where(Assignment.case_id == case.id, Assignment.active)):
                old.active = False
        s.add(Assignment(case_id=case.id, unit_code=lead, role="lead", round=round_no, active=True, dispatched_at=now))
        for unit in co:
            s.add(
                Assignment(case_id=case.id, unit_code=unit, role="co", round=round_no, active=True, dispatched_at=now)
            )
        case.lead_unit_code, case.lead_section_code = lead, None
        if case.dispatched_at is None:
            case.dispatched_at = now
        else:
            case.accepted_at = None
        case.accept_due = now + WINDOW
        case.reply_due = reply_due
        case.replied_at = None
        return co

    def return_case(self, number: str, actor: Actor, *, reason: str) -> Case:
        """The lead unit says the case is not theirs (退回): back to the center, which re-dispatches
        within the hour."""
        if not reason.strip():
            raise InvalidInput("a return needs a reason")
        with self.sessions() as s:
            case = self._case_for_update(s, number)
            require(actor, "return", lead_unit=case.lead_unit_code)
            self._move(s, case, Action.RETURN, actor, reason, unit=case.lead_unit_code)
            for assignment in s.scalars(select(Assignment).where(Assignment.case_id == case.id, Assignment.active)):
                assignment.active = False
            case.lead_unit_code = None
            case.dispatch_due = self.clock.now() + WINDOW
            s.commit()
            s.refresh(case)
        self._notify([CaseNotice("case.returned", number, case.status, {"reason": reason})])
        return case

    def accept(self, number: str, actor: Actor, *, section: str, reason: str = "") -> Case:
        """The lead unit names the responsible section (责任科室) that handles it."""
        with self.sessions() as s:
            case = self._case_for_update(s, number)
            next_status(case.status, Action.ACCEPT)
            require(actor, "accept", lead_unit=case.lead_unit_code)
            if (case.lead_unit_code, section) not in self.directory().sections:
                raise InvalidInput(f"unit {case.lead_unit_code} has no section {section!r}")
            self._move(s, case, Action.ACCEPT, actor, reason, unit=case.lead_unit_code, section=section)
            now = self.clock.now()
            case.lead_section_code = section
            case.accepted_at = now
            lead = s.scalar(
                select(Assignment).where(Assignment.case_id == case.id, Assignment.active, Assignment.role == "lead")
            )
            if lead is not None:
                lead.accepted_at, lead.section_code = now, section
            s.commit()
            s.refresh(case)
        self._notify([CaseNotice("case.accepted", number, case.status, {"section": section})])
        return case

    def reply(self, number: str, actor: Actor, *, text: str) -> Case:
        """The answer to the citizen (回复); every reporter of a master case receives it."""
        if not text.strip():
            raise InvalidInput("a reply needs its text")
        if len(text) > MAX_DESCRIPTION:
            raise InvalidInput(f"a reply is at most {MAX_DESCRIPTION} characters")
        with self.sessions() as s:
            case = self._case_for_update(s, number)
            require(actor, "reply", lead_unit=case.lead_unit_code)
            self._move(s, case, Action.REPLY, actor, unit=case.lead_unit_code)
            notices = self._record_reply(s, case, actor, text, joint=False)
            s.commit()
        self._notify(notices)
        return self._fresh(number)

    def _record_reply(self, s: Session, case: Case, actor: Actor, text: str, *, joint: bool) -> list[CaseNotice]:
        now = self.clock.now()
        case.replied_at = now
        reply = Reply(case_id=case.id, unit_code=case.lead_unit_code, author=actor.name, text=text, joint=joint, at=now)
        s.add(reply)
        s.flush()
        notices = [CaseNotice("case.replied", case.number, case.status, {"reply_id": reply.id, "joint": joint})]
        for duplicate in s.scalars(select(Case).where(Case.duplicate_of_id == case.id)):
            s.add(
                Reply(
                    case_id=duplicate.id,
                    unit_code=case.lead_unit_code,
                    author=actor.name,
                    text=text,
                    joint=joint,
                    via_master_id=case.id,
                    at=now,
                )
            )
            duplicate.replied_at, duplicate.updated_at = now, now
            self._event(s, duplicate, actor, "reply_delivered", master=case.number)
            notices.append(
                CaseNotice(
                    "case.replied", duplicate.number, duplicate.status, {"via_master": case.number, "joint": joint}
                )
            )
        return notices

    def record_satisfaction(
        self, number: str, actor: Actor, *, satisfied: bool, source: str = "agent", comment: str = ""
    ) -> Case:
        """The citizen's verdict on the reply (满意度). Unsatisfied reopens the case on the ladder."""
        require(actor, "satisfaction")
        verdict = "satisfied" if satisfied else "unsatisfied"
        notices: list[CaseNotice] = []
        with self.sessions() as s:
            case = self._case_for_update(s, number)
            stage = "leader" if case.leader_due is not None else "reply"
            if case.status == Status.MERGED:
                # a duplicate's reporter answers about the master's reply
                master = s.get(Case, case.duplicate_of_id) if case.duplicate_of_id else None
                if master is None or master.replied_at is None:
                    raise InvalidTransition("this appeal follows its master case, which has no reply yet")
                self._event(s, case, actor, "satisfaction", verdict=verdict, master=master.number)
                s.add(
                    SatisfactionVerdict(
                        case_id=case.id,
                        verdict=verdict,
                        stage=stage,
                        source=source,
                        comment=comment,
                        at=self.clock.now(),
                    )
                )
                case.satisfaction = verdict
                if not satisfied and master.status == Status.REPLIED:
                    master = self._case_for_update(s, master.number)
                    self._unsatisfied(s, master, actor, f"a reporter of duplicate {case.number} is not satisfied")
                    notices.append(CaseNotice("case.reopened", master.number, master.status, {}))
                s.commit()
                self._notify(notices)
                return self._fresh(number)
            action = Action.SATISFIED if satisfied else Action.UNSATISFIED
            next_status(case.status, action)  # refuse early, before any change
            s.add(
                SatisfactionVerdict(
                    case_id=case.id, verdict=verdict, stage=stage, source=source, comment=comment, at=self.clock.now()
                )
            )
            case.satisfaction = verdict
            if satisfied:
                self._move(s, case, action, actor, comment, source=source)
                case.closed_at = self.clock.now()
                notices.append(CaseNotice("case.closed", number, case.status, {"verdict": verdict}))
            else:
                self._unsatisfied(s, case, actor, comment, source=source)
                notices.append(CaseNotice("case.reopened", number, case.status, {"verdict": verdict}))
            s.commit()
        self._notify(notices)
        return self._fresh(number)

    def _unsatisfied(self, s: Session, case: Case, actor: Actor, reason: str, **detail: Any) -> None:
        self._move(s, case, Action.UNSATISFIED, actor, reason, **detail)
        case.reopened_count += 1
        case.satisfaction = "unsatisfied"

    def close(self, number: str, actor: Actor, *, reason: str) -> Case:
        require(actor, "close")
        if not reason.strip():
            raise InvalidInput("closing needs a reason")
        with self.sessions() as s:
            case = self._case_for_update(s, number)
            self._move(s, case, Action.CLOSE, actor, reason)
            case.closed_at = self.clock.now()
            s.commit()
            s.refresh(case)
        self._index_update(case)
        self._notify([CaseNotice("case.closed", number, case.status, {"reason": reason})])
        return case

    def reopen(self, number: str, actor: Actor, *, reason: str) -> Case:
        require(actor, "reopen")
        if not reason.strip():
            raise InvalidInput("reopening needs a reason")
        with self.sessions() as s:
            case = self._case_for_update(s, number)
            self._move(s, case, Action.REOPEN, actor, reason)
            case.reopened_count += 1
            case.closed_at = None
            s.commit()
            s.refresh(case)
        self._notify([CaseNotice("case.reopened", number, case.status, {"reason": reason})])
        return case

    def schedule_interview(
        self, number: str, actor: Actor, *, unit: str | None = None, at: datetime, location: str = ""
    ) -> Interview:
        """Arrange a face-to-face meeting (约谈) with the unsatisfied citizen."""
        at = self.aware(at)
        if at < self.clock.now() - timedelta(days=7):
            raise InvalidInput("an interview is arranged for now or later (at most a week back, to record one held)")
        with self.sessions() as s:
            case = self._case_for_update(s, number)
            require(actor, "schedule_interview", lead_unit=case.lead_unit_code)
            unit_code = unit or case.lead_unit_code
            if unit_code is None:
                raise InvalidInput("name the unit that meets the citizen")
            self._unit(s, unit_code)
            self._move(s, case, Action.SCHEDULE_INTERVIEW, actor, unit=unit_code, at=at, location=location)
            interview = Interview(
                case_id=case.id, unit_code=unit_code, scheduled_at=at, location=location, created_at=self.clock.now()
            )
            s.add(interview)
            s.commit()
            s.refresh(interview)
        self._notify([CaseNotice("case.interview_scheduled", number, Status.INTERVIEW.value, {"unit": unit_code})])
        return interview

    def record_interview(self, number: str, actor: Actor, *, satisfied: bool, notes: str = "") -> Case:
        """The meeting was held; the citizen's verdict closes the case or sends it to the leader."""
        with self.sessions() as s:
            case = self._case_for_update(s, number)
            require(actor, "record_interview", lead_unit=case.lead_unit_code)
            interview = s.scalar(
                select(Interview)
                .where(Interview.case_id == case.id, Interview.held_at.is_(None))
                .order_by(Interview.id.desc())
            )
            action = Action.INTERVIEW_SATISFIED if satisfied else Action.INTERVIEW_UNSATISFIED
            self._move(s, case, action, actor, notes)
            now = self.clock.now()
            if interview is not None:
                interview.held_at, interview.satisfied, interview.notes = now, satisfied, notes
            verdict = "satisfied" if satisfied else "unsatisfied"
            s.add(
                SatisfactionVerdict(
                    case_id=case.id, verdict=verdict, stage="interview", source="interview", comment=notes, at=now
                )
            )
            case.satisfaction = verdict
            if satisfied:
                case.closed_at = now
            s.commit()
            s.refresh(case)
        kind = "case.closed" if satisfied else "case.to_leader"
        self._notify([CaseNotice(kind, number, case.status, {"stage": "interview"})])
        return case

    def leader_decision(
        self,
        number: str,
        actor: Actor,
        *,
        decision: str,
        deadline: datetime,
        units: Iterable[str] = (),
    ) -> Case:
        """The county leader on Monday duty convenes the units and sets a deadline (限期协调解决)."""
        require(actor, "leader_decision")
        if not decision.strip():
            raise InvalidInput("a decision needs its text")
        deadline = self.aware(deadline)
        now = self.clock.now()
        if deadline <= now:
            raise InvalidInput("the leader's deadline must be in the future")
        unit_list = list(dict.fromkeys(units))
        with self.sessions() as s:
            case = self._case_for_update(s, number)
            for unit in unit_list:
                self._unit(s, unit)
            s.add(
                LeaderDecision(
                    case_id=case.id,
                    leader=actor.name,
                    decision=decision,
                    deadline=deadline,
                    units=unit_list,
                    decided_at=now,
                )
            )
            if unit_list and unit_list[0] != case.lead_unit_code:
                next_status(case.status, Action.DISPATCH)
                case.leader_due = deadline
                s.commit()
            else:
                self._move(s, case, Action.LEADER_DECISION, actor, decision, deadline=deadline)
                case.leader_due = deadline
                case.reply_due = deadline
                case.replied_at = None
                s.commit()
                s.refresh(case)
                self._notify([CaseNotice("case.leader_decision", number, case.status, {"deadline": deadline})])
                return case
        # the leader names another lead: a new round of dispatch with the leader's deadline
        case = self.dispatch(
            number,
            _as_dispatcher(actor),
            lead=unit_list[0],
            co_units=unit_list[1:],
            reply_due=deadline,
            reason=decision,
        )
        self._notify([CaseNotice("case.leader_decision", number, case.status, {"deadline": deadline})])
        return case

    def joint_session(
        self,
        number: str,
        actor: Actor,
        *,
        participants: Iterable[str],
        lead: str,
        decision: str,
        reply: str | None = None,
        held_at: datetime | None = None,
    ) -> JointSession:
        """Record a joint handling session (会商会办): participants, the one lead, the decision, and
        (optionally) the single consolidated reply, which answers the citizen."""
        require(actor, "joint_session")
        units = list(dict.fromkeys(participants))
        if lead not in units:
            units.insert(0, lead)
        if len(units) < 2:
            raise InvalidInput("a joint session needs at least two units")
        if not decision.strip():
            raise InvalidInput("a joint session needs its decision")
        notices: list[CaseNotice] = []
        with self.sessions() as s:
            case = self._case_for_update(s, number)
            for unit in units:
                self._unit(s, unit)
            if reply is not None:
                next_status(case.status, Action.JOINT_REPLY)
            elif case.status in (Status.CLOSED, Status.MERGED):
                raise InvalidTransition(f"cannot hold a joint session on a case that is {case.status}")
            session_row = JointSession(
                case_id=case.id,
                convened_by=actor.name,
                held_at=held_at or self.clock.now(),
                participants=units,
                lead_unit_code=lead,
                decision=decision,
            )
            s.add(session_row)
            self._event(s, case, actor, "joint_session", decision, participants=units, lead=lead)
            # the session decides the owners: one lead, the others co-handle
            active = {
                a.unit_code: a
                for a in s.scalars(select(Assignment).where(Assignment.case_id == case.id, Assignment.active))
            }
            round_no = max((a.round for a in active.values()), default=1)
            now = self.clock.now()
            for unit in units:
                role = "lead" if unit == lead else "co"
                if unit in active:
                    active[unit].role = role
                else:
                    s.add(
                        Assignment(
                            case_id=case.id, unit_code=unit, role=role, round=round_no, active=True, dispatched_at=now
                        )
                    )
            for unit_code, assignment in active.items():
                if unit_code != lead and assignment.role == "lead":
                    assignment.role = "co"
            case.lead_unit_code = lead
            if reply is not None:
                self._move(s, case, Action.JOINT_REPLY, actor, decision, lead=lead)
                notices = self._record_reply(s, case, actor, reply, joint=True)
                session_row.reply_id = s.scalar(
                    select(Reply.id).where(Reply.case_id == case.id, Reply.joint).order_by(Reply.id.desc())
                )
            s.commit()
            s.refresh(session_row)
        self._notify([CaseNotice("case.joint_session", number, case.status, {"lead": lead}), *notices])
        return session_row

    def merge(
        self,
        number: str,
        master_number: str,
        actor: Actor,
        *,
        score: float | None = None,
        automatic: bool = False,
        reason: str = "",
    ) -> Case:
        """Link a duplicate to its master: it is handled once, and its reporter gets the master's reply."""
        require(actor, "merge")
        if number == master_number:
            raise InvalidInput("a case cannot be its own master")
        with self.sessions() as s:
            case = self._case_for_update(s, number)
            master = self.get(s, master_number)
            self._merge(s, case, master, actor, score=score, automatic=automatic, reason=reason)
            s.commit()
        self._index_update(case)
        self._notify([CaseNotice("case.merged", number, case.status, {"master": master_number})])
        return case

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
    ) -> None:
        while master.duplicate_of_id is not None:
            master = s.get(Case, master.duplicate_of_id)  # type: ignore[assignment]
        if master.id == case.id:
            raise InvalidInput("that would make the case its own master")
        if master.status in (Status.CLOSED, Status.MERGED):
            raise InvalidTransition(f"master case {master.number} is {master.status}")
        self._move(s, case, Action.MERGE, actor, reason, master=master.number, score=score, automatic=automatic)
        case.duplicate_of_id = master.id
        case.needs_intake = False
        link = s.scalar(
            select(DuplicateLink).where(DuplicateLink.case_id == case.id, DuplicateLink.master_id == master.id)
        )
        if link is None:
            link = DuplicateLink(
                case_id=case.id,
                master_id=master.id,
                score=score or 1.0,
                automatic=automatic,
                created_at=self.clock.now(),
                state="linked",
            )
            s.add(link)
        link.state, link.decided_by = "linked", actor.name
        for child in s.scalars(select(Case).where(Case.duplicate_of_id == case.id)):
            child.duplicate_of_id = master.id  # the case's own duplicates follow it to the master
        self._event(s, master, actor, "duplicate_linked", duplicate=case.number, score=score)

    def unmerge(self, number: str, actor: Actor, *, reason: str) -> Case:
        require(actor, "unmerge")
        with self.sessions() as s:
            case = self._case_for_update(s, number)
            master_id = case.duplicate_of_id
            self._move(s, case, Action.UNMERGE, actor, reason)
            if case.category_code is None:
                case.status = Status.RECEIVED.value
            case.duplicate_of_id = None
            for link in s.scalars(
                select(DuplicateLink).where(DuplicateLink.case_id == case.id, DuplicateLink.master_id == master_id)
            ):
                link.state, link.decided_by = "rejected", actor.name
            s.commit()
            s.refresh(case)
        self._index_update(case)
        return case

    def reject_suggestion(self, number: str, master_number: str, actor: Actor) -> None:
        require(actor, "merge")
        with self.sessions() as s:
            case = self.get(s, number)
            master = self.get(s, master_number)
            link = s.scalar(
                select(DuplicateLink).where(DuplicateLink.case_id == case.id, DuplicateLink.master_id == master.id)
            )
            if link is None or link.state != "suggested":
                raise NotFound(f"no suggestion linking {number} to {master_number}")
            link.state, link.decided_by = "rejected", actor.name
            self._event(s, case, actor, "duplicate_rejected", master=master_number)
            s.commit()

    # --- telephony's intake ------------------------------------------------------------------------------
    def attach_recording(
        self, call_id: str, name: str, audio: bytes, media_type: str, duration_s: float | None = None
    ) -> None:
        """Store a call's recorded message with its case (idempotent: the same recording once)."""
        with self.sessions() as s:
            case = s.scalar(select(Case).where(Case.call_id == call_id))
            if case is None:
                raise NotFound(f"no case for call {call_id}")
            if s.scalar(select(Recording.id).where(Recording.case_id == case.id, Recording.name == name)):
                return
            now = self.clock.now()
            folder = self.recordings_dir / now.strftime("%Y/%m")
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{case.number}-{name}.wav"
            tmp = path.with_suffix(".part")
            tmp.write_bytes(audio)
            tmp.replace(path)
            s.add(
                Recording(
                    case_id=case.id,
                    name=name,
                    media_type=media_type,
                    path=str(path),
                    size_bytes=len(audio),
                    duration_s=duration_s,
                    sha256=hashlib.sha256(audio).hexdigest(),
                    created_at=now,
                )
            )
            if case.transcript_state in (None, transcripts.WAITING):
                case.transcript_state = transcripts.PENDING
            self._event(s, case, TELEPHONY, "recording_stored", name=name, bytes=len(audio), duration_s=duration_s)
            s.commit()

    # --- speech ----------------------------------------------------------------------------------------
    def keep_call_transcript(self, call_id: str, speech: SpeechText) -> None:
        """A transcript heard during a call (live, or said at the menu), kept by call id; it joins
        the call's case when there is one (now or when the case is opened)."""
        with self.sessions() as s:
            case_id = s.scalar(select(Case.id).where(Case.call_id == call_id))
            s.add(self._transcript_row(case_id, call_id, speech, recording_id=None))
            s.commit()

    def transcription_job(self, call_id: str) -> TranscriptionJob | None:
        """What transcribing this call's message needs; None while its case or recording is not stored."""
        with self.sessions() as s:
            case = s.scalar(select(Case).where(Case.call_id == call_id))
            if case is None:
                return None
            recording = s.scalar(select(Recording).where(Recording.case_id == case.id).order_by(Recording.id.desc()))
            live = s.scalar(
                select(Transcript)
                .where(Transcript.call_id == call_id, Transcript.source == "live")
                .order_by(Transcript.id.desc())
            )
            return TranscriptionJob(
                call_id=call_id,
                number=case.number,
                status=case.status,
                state=case.transcript_state,
                recording_name=recording.name if recording else None,
                recording_path=recording.path if recording else None,
                live=SpeechText(
                    "live",
                    live.text,
                    live.language,
                    live.model,
                    live.words,
                    live.confidence,
                    live.duration_s,
                )
                if live is not None
                else None,
                screened=case.classification is not None,
            )

    def store_transcript(self, call_id: str, speech: SpeechText) -> str:
        """The transcript of a call's message: on the case, with its words; idempotent (a retried
        task stores it once). Returns the case's transcript state (done, or failed when nothing
        intelligible was said)."""
        with self.sessions() as s:
            case = s.scalar(select(Case).where(Case.call_id == call_id).with_for_update())
            if case is None:
                raise NotFound(f"no case for call {call_id}")
            if case.transcript_state == transcripts.DONE:
                return transcripts.DONE
            recording_id = s.scalar(
                select(Recording.id).where(Recording.case_id == case.id).order_by(Recording.id.desc())
            )
            kept_live = speech.source == "live" and s.scalar(
                select(Transcript.id).where(Transcript.call_id == call_id, Transcript.source == "live")
            )
            nothing_new = speech.source == "menu" and not speech.text  # the menu's words are the report
            if not kept_live and not nothing_new:
                s.add(self._transcript_row(case.id, call_id, speech, recording_id=recording_id))
            s.execute(
                update(Transcript)
                .where(Transcript.call_id == call_id, Transcript.case_id.is_(None))
                .values(case_id=case.id)
            )
            spoken_at_menu = s.scalars(
                select(Transcript.text)
                .where(Transcript.call_id == call_id, Transcript.source == "menu")
                .order_by(Transcript.id)
            ).all()
            language = speech.language or s.scalar(
                select(Transcript.language).where(Transcript.call_id == call_id).order_by(Transcript.id)
            )
            text = _join_speech([*spoken_at_menu, speech.text], language or "")
            if not text.strip():
                case.transcript_state = transcripts.FAILED
                case.transcript_note = "no transcript: nothing intelligible was said; listen to the recording"
                self._event(s, case, SPEECH, "transcription_failed", case.transcript_note, source=speech.source)
            else:
                case.transcript = text[: MAX_DESCRIPTION * 4]
                case.transcript_state, case.transcript_note = transcripts.DONE, None
                self._event(
                    s,
                    case,
                    SPEECH,
                    "transcribed",
                    source=speech.source,
                    model=speech.model,
                    words=len(speech.words),
                    confidence=speech.confidence,
                    duration_s=speech.duration_s,
                )
            case.updated_at = self.clock.now()
            state = case.transcript_state
            number = case.number
            s.commit()
        self._notify([CaseNotice("case.transcribed", number, case.status, {"state": state})])
        return state

    def transcription_failed(self, call_id: str, reason: str) -> None:
        """No transcript can be made (corrupt or empty recording): say so on the case, for a person."""
        with self.sessions() as s:
            case = s.scalar(select(Case).where(Case.call_id == call_id).with_for_update())
            if case is None:
                raise NotFound(f"no case for call {call_id}")
            if case.transcript_state in (transcripts.DONE, transcripts.FAILED):
                return
            case.transcript_state = transcripts.FAILED
            case.transcript_note = f"no transcript: {reason}"[:200]
            self._event(s, case, SPEECH, "transcription_failed", case.transcript_note)
            s.commit()

    def waiting_transcriptions(self, older_than: timedelta, limit: int = 200) -> list[str]:
        """Call ids whose recording is stored but not transcribed for a while (a lost task)."""
        cutoff = self.clock.now() - older_than
        with self.sessions() as s:
            return [
                str(c)
                for c in s.scalars(
                    select(Case.call_id)
                    .where(Case.transcript_state == transcripts.PENDING, Case.updated_at < cutoff)
                    .order_by(Case.id)
                    .limit(limit)
                )
                if c
            ]

    def _transcript_row(
        self, case_id: int | None, call_id: str, speech: SpeechText, *, recording_id: int | None
    ) -> Transcript:
        return Transcript(
            case_id=case_id,
            call_id=call_id,
            source=speech.source,
            recording_id=recording_id,
            text=speech.text,
            language=speech.language,
            model=speech.model[:64],
            words=speech.words,
            confidence=speech.confidence,
            duration_s=speech.duration_s,
            created_at=self.clock.now(),
        )

    def status_of(self, number: str) -> str | None:
        if not number.isdigit() or len(number) > 20:
            return None
        with self.sessions() as s:
            status = s.scalar(select(Case.status).where(Case.number == number))
            if status == Status.MERGED:
                master = s.scalar(
                    select(Case.status).where(
                        Case.id == select(Case.duplicate_of_id).where(Case.number == number).scalar_subquery()
                    )
                )
                return str(master) if master else str(status)
        return str(status) if status is not None else None

    def _fresh(self, number: str) -> Case:
        with self.sessions() as s:
            return self.get(s, number)


def _join_speech(parts: list[str], language: str) -> str:
    return ("" if language == "zh" else " ").join(p.strip() for p in parts if p and p.strip())


def _as_dispatcher(actor: Actor) -> Actor:
    """The leader's decision re-dispatches in the leader's name (the center executes it)."""
    return Actor(actor.name, Role.SUPERVISOR, actor.unit)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
