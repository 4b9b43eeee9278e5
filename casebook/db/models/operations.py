"""What the platform runs around the cases: satisfaction callbacks, the call log and its facts, queue
visits, agents' hours, and the reports made.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from casebook.db.models.base import Base


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
    reason: Mapped[str] = mapped_column(String(16))  # satisfaction, agent, queue (keep my place)
    queue: Mapped[str | None] = mapped_column(String(64))  # the queue a "queue" callback keeps a place in
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


class CenterSetting(Base):
    """A setting the center's administrators change from the pages (the callback hours, the
    lines), which wins over the installation's environment variable or file of the same meaning."""

    __tablename__ = "center_settings"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))
