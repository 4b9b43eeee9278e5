"""The casebook's tables (SQLAlchemy 2 typed models), kept apart from the API schemas.

This first schema holds what the telephony issue needs: cases opened from calls, their
recordings, and the append-only event log. The casebook issue extends it by migrations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: DateTime(timezone=True), dict[str, Any]: JSON}


class CaseNumberCounter(Base):
    """Per-day sequence of case numbers (digits only, so a caller can key them)."""

    __tablename__ = "case_number_counters"
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True, index=True)
    call_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(24), index=True, default="received")
    channel: Mapped[str] = mapped_column(String(24), default="phone")
    line_number: Mapped[str | None] = mapped_column(String(20), index=True)
    caller_number: Mapped[str | None] = mapped_column(String(32), index=True)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    origin: Mapped[str] = mapped_column(String(16), default="ivr")
    ivr_path: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime]
    created_at: Mapped[datetime]

    recordings: Mapped[list[Recording]] = relationship(back_populates="case", order_by="Recording.id")
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")


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


class CaseEvent(Base):
    """Append-only log: who did what to a case, when, and why."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(48))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    case: Mapped[Case] = relationship(back_populates="events")
