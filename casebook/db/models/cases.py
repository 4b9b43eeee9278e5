"""Cases: the day's numbers, callers, the case with its clocks, its owners, replies, verdicts,
interviews, joint sessions, leader decisions, duplicates, breaches, recordings, transcripts and the
append-only event log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casebook.db.models.base import Base


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
        Index(
            "ix_cases_call_back",
            "received_at",
            postgresql_where=text("call_back IS NOT NULL"),
            sqlite_where=text("call_back IS NOT NULL"),
        ),
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
    # why a person must call the citizen back (their words are missing or cut short); None: no need
    call_back: Mapped[str | None] = mapped_column(String(200))
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
    # a supervisor's hold on the case's conversation recordings (a dispute): never purged while set
    recording_hold: Mapped[str | None] = mapped_column(String(200))
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
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id")
    extensions: Mapped[list[DeadlineExtension]] = relationship(order_by="DeadlineExtension.id")


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


class Conversation(Base):
    """A recorded conversation between a caller and an agent (issue 19): the two voices mixed,
    for listening, and each side alone, for transcription, as files; the database keeps the
    references. Found by its call: the case is the one that call opened, whether the agent saved
    it before or after the recording arrived. Purged files leave the row (`purged_at`)."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)  # Asterisk's: conv-<call>-<epoch>
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    agent: Mapped[str | None] = mapped_column(String(64), index=True)  # who answered (the queue's member)
    started_at: Mapped[datetime] = mapped_column(index=True)
    stored_at: Mapped[datetime]
    duration_s: Mapped[float | None]
    mixed_path: Mapped[str] = mapped_column(Text)
    caller_path: Mapped[str | None] = mapped_column(Text)
    agent_path: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))  # of the mixed file
    caller_text: Mapped[str | None] = mapped_column(Text)  # what speech recognition heard, each side
    agent_text: Mapped[str | None] = mapped_column(Text)
    transcript_state: Mapped[str] = mapped_column(String(16), default="pending")  # pending, done, failed
    purged_at: Mapped[datetime | None]


class Attachment(Base):
    """A photo or document on a case, stored as a file named by its SHA-256 (the database keeps
    the reference); whoever may read the case may download it, always as a download."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # the file's name as the person gave it
    media_type: Mapped[str] = mapped_column(String(100))  # as its content showed it to be
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    unit_code: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime]


class DeadlineExtension(Base):
    """A unit's request for more time to reply (延期申请), and a supervisor's answer to it."""

    __tablename__ = "deadline_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(32))
    asked_by: Mapped[str] = mapped_column(String(64))
    asked_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    reply_due_before: Mapped[datetime | None]
    reply_due_asked: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    granted: Mapped[bool | None]
    reply_due_granted: Mapped[datetime | None]
    answer: Mapped[str] = mapped_column(Text, default="")


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
