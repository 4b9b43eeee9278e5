"""The casebook's tables (SQLAlchemy 2 typed models), kept apart from the API schemas.

Every appeal from any channel is one `Case` with an owner (its lead unit), its clocks (the four
deadlines and the times each step was done) and an append-only event log. The directory (units,
sections, categories, places, routing rules) is data, seeded from `casebook/directory/data/` and
editable through the API.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UtcDateTime(TypeDecorator[datetime]):
    """Every moment is stored and read as UTC: PostgreSQL keeps the offset, SQLite keeps none,
    so both are written in UTC and read back as aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


# --- directory --------------------------------------------------------------------------------------
class Channel(Base):
    """A way in: each hotline number, the mailboxes, the web form, Weibo, WeChat, the radio program."""

    __tablename__ = "channels"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # phone, mailbox, web, weibo, wechat, radio, walk-in
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(96))
    line_number: Mapped[str | None] = mapped_column(String(20), unique=True)


class Unit(Base):
    """A handling unit (承办单位): a department, a township, or the center itself."""

    __tablename__ = "units"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # department, township, center
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(96))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sections: Mapped[list[Section]] = relationship(back_populates="unit", order_by="Section.code")


class Section(Base):
    """A responsible section (责任科室) inside a unit."""

    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("unit_code", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(96))
    unit: Mapped[Unit] = relationship(back_populates="sections")


class Category(Base):
    """A node of the type-screening tree; `keywords` drive the text classifier."""

    __tablename__ = "categories"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"))
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(96))
    keywords: Mapped[list[Any]] = mapped_column(default=list)


class Place(Base):
    """The gazetteer: a named place and the township it belongs to (if one)."""

    __tablename__ = "places"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    township_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))
    aliases: Mapped[list[Any]] = mapped_column(default=list)


class RoutingRule(Base):
    """category (and township) -> lead unit, co-handling units; first match by position wins."""

    __tablename__ = "routing_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    category_code: Mapped[str] = mapped_column(String(64))
    township_code: Mapped[str | None] = mapped_column(String(32))
    lead: Mapped[str] = mapped_column(String(32))  # a unit code or "@township"
    fallback_lead: Mapped[str | None] = mapped_column(String(32))
    co_units: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DeadlinePolicy(Base):
    """Handling deadline in hours after dispatch, per category (or `default`) and urgency."""

    __tablename__ = "deadline_policies"
    category_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    urgency: Mapped[str] = mapped_column(String(16), primary_key=True)
    hours: Mapped[float] = mapped_column(Float)


# --- people and access ------------------------------------------------------------------------------
class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(96))
    role: Mapped[str] = mapped_column(String(24))  # intake_agent, unit_handler, supervisor, leader, admin
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class Agent(Base):
    """A person who answers calls: their SIP extension (one phone), skills as queue penalties."""

    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    extension: Mapped[str] = mapped_column(String(16), unique=True)
    digest_md5: Mapped[str] = mapped_column(String(32))  # of "extension:realm:password"
    digest_sha256: Mapped[str] = mapped_column(String(64))
    skills: Mapped[dict[str, Any]] = mapped_column(default=dict)  # queue -> penalty (0 = first choice)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    password_set_at: Mapped[datetime]


class AccessToken(Base):
    """A bearer token of a person (login) or a long-lived one (the development admin token)."""

    __tablename__ = "access_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class ApiKey(Base):
    """An Open311 client (the mailbox, the web form, the Weibo/WeChat operations center...)."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel_code: Mapped[str] = mapped_column(ForeignKey("channels.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


# --- cases ---------------------------------------------------------------------------------------------
class CaseNumberCounter(Base):
    """Per-day sequence of case numbers (digits only, so a caller can key them)."""

    __tablename__ = "case_number_counters"
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Caller(Base):
    """A citizen known by a phone number, with all their cases."""

    __tablename__ = "callers"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    cases: Mapped[list[Case]] = relationship(back_populates="caller", order_by="Case.id")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_received", "status", "received_at"),
        Index("ix_cases_lead_status", "lead_unit_code", "status"),
        Index("ix_cases_received_id", "received_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True, index=True)
    call_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    token: Mapped[str | None] = mapped_column(String(64), unique=True)  # Open311 token of a request
    status: Mapped[str] = mapped_column(String(24), index=True, default="received")
    channel_code: Mapped[str] = mapped_column(ForeignKey("channels.code"), index=True)
    line_number: Mapped[str | None] = mapped_column(String(20), index=True)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"), index=True)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    origin: Mapped[str] = mapped_column(String(16), default="ivr")
    ivr_path: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    transcript: Mapped[str | None] = mapped_column(Text)
    # speech: None (no call), waiting, pending, done, failed (see casebook.cases.transcripts)
    transcript_state: Mapped[str | None] = mapped_column(String(16), index=True)
    transcript_note: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    long: Mapped[float | None] = mapped_column(Float)
    media_url: Mapped[str | None] = mapped_column(Text)
    # type screening
    category_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"), index=True)
    place_code: Mapped[str | None] = mapped_column(ForeignKey("places.code"))
    township_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"), index=True)
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    classification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    needs_intake: Mapped[bool] = mapped_column(Boolean, default=True)  # waits for a person's screening
    # ownership
    lead_unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))
    lead_section_code: Mapped[str | None] = mapped_column(String(32))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # clocks: when each step is due, and when it was done (indexed: the dashboards count the steps
    # done in a range, bench/RESULTS.md)
    received_at: Mapped[datetime]
    register_due: Mapped[datetime]
    registered_at: Mapped[datetime | None] = mapped_column(index=True)
    dispatch_due: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)
    accept_due: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None] = mapped_column(index=True)
    reply_due: Mapped[datetime | None] = mapped_column(index=True)
    replied_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    leader_due: Mapped[datetime | None]
    satisfaction: Mapped[str | None] = mapped_column(String(16))  # satisfied, unsatisfied
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    caller: Mapped[Caller | None] = relationship(back_populates="cases")
    recordings: Mapped[list[Recording]] = relationship(back_populates="case", order_by="Recording.id")
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")
    assignments: Mapped[list[Assignment]] = relationship(back_populates="case", order_by="Assignment.id")
    replies: Mapped[list[Reply]] = relationship(
        back_populates="case", order_by="Reply.id", foreign_keys="Reply.case_id"
    )


class Assignment(Base):
    """A unit's share of a case: the lead (one) or a co-handler (会办单位)."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("case_id", "unit_code", "round"),
        Index("ix_assignments_case_unit", "case_id", "unit_code"),
        Index("ix_assignments_unit_case", "unit_code", "case_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    role: Mapped[str] = mapped_column(String(8))  # lead, co
    round: Mapped[int] = mapped_column(Integer, default=1)  # 2, 3... after a leader's decision
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    section_code: Mapped[str | None] = mapped_column(String(32))
    dispatched_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    case: Mapped[Case] = relationship(back_populates="assignments")


class Reply(Base):
    """The answer given to the citizen (one consolidated answer when handled jointly)."""

    __tablename__ = "replies"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    joint: Mapped[bool] = mapped_column(Boolean, default=False)
    via_master_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))  # a duplicate gets its master's
    at: Mapped[datetime]
    case: Mapped[Case] = relationship(back_populates="replies", foreign_keys=[case_id])


class SatisfactionVerdict(Base):
    __tablename__ = "satisfaction_verdicts"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    verdict: Mapped[str] = mapped_column(String(16))  # satisfied, unsatisfied
    stage: Mapped[str] = mapped_column(String(16))  # reply, interview, leader
    source: Mapped[str] = mapped_column(String(24))  # callback, agent, web...
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(index=True)


class Interview(Base):
    """A face-to-face meeting with an unsatisfied citizen (群众约谈)."""

    __tablename__ = "interviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    scheduled_at: Mapped[datetime]
    location: Mapped[str] = mapped_column(Text, default="")
    held_at: Mapped[datetime | None] = mapped_column(index=True)
    satisfied: Mapped[bool | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class JointSession(Base):
    """A joint handling session (会办): several units, one lead, one decision, one reply."""

    __tablename__ = "joint_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    convened_by: Mapped[str] = mapped_column(String(64))
    held_at: Mapped[datetime] = mapped_column(index=True)
    participants: Mapped[list[Any]] = mapped_column(default=list)
    lead_unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    decision: Mapped[str] = mapped_column(Text)
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))


class LeaderDecision(Base):
    """The county leader's decision on an appeal still unsatisfied after the interview (Monday duty)."""

    __tablename__ = "leader_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    leader: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(Text)
    deadline: Mapped[datetime]
    units: Mapped[list[Any]] = mapped_column(default=list)
    decided_at: Mapped[datetime] = mapped_column(index=True)


class DuplicateLink(Base):
    """A case reported again: linked automatically above the threshold, suggested below it."""

    __tablename__ = "duplicate_links"
    __table_args__ = (UniqueConstraint("case_id", "master_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    master_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16))  # linked, suggested, rejected
    automatic: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(64))


class Breach(Base):
    """A clock that ran out: recorded once per case, clock and deadline."""

    __tablename__ = "breaches"
    __table_args__ = (UniqueConstraint("case_id", "clock", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    clock: Mapped[str] = mapped_column(String(16))  # register, dispatch, accept, reply
    due_at: Mapped[datetime]
    detected_at: Mapped[datetime] = mapped_column(index=True)
    unit_code: Mapped[str | None] = mapped_column(String(32))
    escalated_to: Mapped[str] = mapped_column(String(24))


class Recording(Base):
    """A caller's recorded message, stored as a file; the database keeps the reference."""

    __tablename__ = "recordings"
    __table_args__ = (UniqueConstraint("case_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    media_type: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int]
    duration_s: Mapped[float | None]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]

    case: Mapped[Case] = relationship(back_populates="recordings")


class Transcript(Base):
    """What speech recognition heard: in a stored recording (file), live during the call (live),
    or said at the menu instead of a key (menu). A live one may exist before its case."""

    __tablename__ = "transcripts"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    call_id: Mapped[str | None] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(8), default="file", server_default="file")
    duration_s: Mapped[float | None]
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id"))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    model: Mapped[str] = mapped_column(String(64))
    words: Mapped[list[Any]] = mapped_column(default=list)
    confidence: Mapped[float | None]
    created_at: Mapped[datetime]


class CaseEvent(Base):
    """Append-only log: who did what to a case, when, and why."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(48))
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    case: Mapped[Case] = relationship(back_populates="events")


class Callback(Base):
    """A call the platform places to a citizen: after a reply (the satisfaction question) or because
    an agent asked for one. One row per request; `attempts` counts the calls placed for it."""

    __tablename__ = "callbacks"
    __table_args__ = (
        Index("ix_callbacks_state_next", "state", "next_attempt_at"),
        # at most one callback waiting or ringing per case, whoever asks twice
        Index(
            "ux_callbacks_case_active",
            "case_id",
            unique=True,
            postgresql_where=text("state IN ('due', 'calling')"),
            sqlite_where=text("state IN ('due', 'calling')"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))  # satisfaction, agent
    requested_by: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # due, calling, done, no_verdict, failed, cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_result: Mapped[str | None] = mapped_column(String(200))
    last_call_id: Mapped[str | None] = mapped_column(String(64))
    verdict: Mapped[str | None] = mapped_column(String(16))  # satisfied, unsatisfied
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CallEventRow(Base):
    """One event of a call as the platform saw it (append-only; the manager metrics read it)."""

    __tablename__ = "call_events"
    # agents' states for occupancy come from this index alone (the call id is the agent)
    __table_args__ = (Index("ix_call_events_name_at", "name", "at", postgresql_include=["call_id", "id"]),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(48))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Report(Base):
    """A generated report (Monday leader duty, monthly), kept as HTML and PDF."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("kind", "period_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # leader-duty, monthly
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    html: Mapped[str] = mapped_column(Text)
    pdf_path: Mapped[str | None] = mapped_column(Text)
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class CallFacts(Base):
    """One inbound or callback call, summed up from its events in `call_events` (recomputed when
    an event of the call arrives): what the line-level metrics count."""

    __tablename__ = "call_facts"
    __table_args__ = (Index("ix_call_facts_started", "started_at"),)

    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime]
    day: Mapped[date] = mapped_column(Date)  # in the center's time zone
    hour: Mapped[int] = mapped_column(SmallInteger)  # 0-23, in the center's time zone
    line: Mapped[str] = mapped_column(String(20), default="")
    direction: Mapped[str] = mapped_column(String(8), default="inbound")  # inbound, callback
    outcome: Mapped[str] = mapped_column(String(24), default="")  # call.ended's outcome; "" while live
    queued: Mapped[bool] = mapped_column(Boolean, default=False)
    no_agent: Mapped[bool] = mapped_column(Boolean, default=False)  # asked for an agent, nobody free
    ended_at: Mapped[datetime | None]


class QueueVisit(Base):
    """One stay of a call in an agent queue (a call transferred into a second queue has two),
    summed up from its queue.* events: what the queue, agent and hour metrics count."""

    __tablename__ = "queue_visits"
    __table_args__ = (
        Index("ix_queue_visits_joined", "joined_at"),
        Index("ix_queue_visits_answered", "answered_at"),
    )

    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    queue: Mapped[str] = mapped_column(String(32))
    line: Mapped[str] = mapped_column(String(20), default="")
    joined_at: Mapped[datetime]
    day: Mapped[date] = mapped_column(Date)
    hour: Mapped[int] = mapped_column(SmallInteger)
    position: Mapped[int | None] = mapped_column(SmallInteger)
    # waiting, answered, abandoned, left (went to leave a message, or the wait ran out)
    outcome: Mapped[str] = mapped_column(String(12), default="waiting")
    wait_s: Mapped[float | None] = mapped_column(Float)
    abandoned_position: Mapped[int | None] = mapped_column(SmallInteger)
    abandoned_ringing: Mapped[bool] = mapped_column(Boolean, default=False)  # an agent's phone was ringing
    missed_rings: Mapped[int] = mapped_column(SmallInteger, default=0)  # agents who let it ring out
    agent: Mapped[str | None] = mapped_column(String(64))  # the queue member's name: the user name
    extension: Mapped[str | None] = mapped_column(String(24))
    answered_at: Mapped[datetime | None]
    talk_s: Mapped[float | None] = mapped_column(Float)
    transferred: Mapped[bool] = mapped_column(Boolean, default=False)
    wrapup_s: Mapped[float | None] = mapped_column(Float)


class AgentHour(Base):
    """An agent's time in one hour of one day of the center's clock, summed up from their events
    and the calls they answered (agent_hours.py): what occupancy over past days adds up."""

    __tablename__ = "agent_hours"
    __table_args__ = (Index("ix_agent_hours_day", "day"),)

    agent: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    logged_s: Mapped[float] = mapped_column(Float)
    paused_s: Mapped[float] = mapped_column(Float)
    handling_s: Mapped[float] = mapped_column(Float)
