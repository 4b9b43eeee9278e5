"""What the platform tells people: notifications for the bell of every page, one row per person,
and the outbox of messages sent outside (e-mail now, SMS later), sent by a job and retried."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casebook.db.models.base import Base


class Notification(Base):
    """One thing one person should know: a case sent to their unit, a clock about to run out, a
    citizen not satisfied, a case for the leader's duty. `dedupe` keeps a warning once."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("username", "dedupe"),
        Index("ix_notifications_unread", "username", "read_at", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # dispatched, due_soon, unsatisfied, leader_duty, ...
    case_number: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    dedupe: Mapped[str | None] = mapped_column(String(200))


class OutboxMessage(Base):
    """A message to send outside the platform, kept until it is sent (a mail server down loses
    nothing: the job tries again, later and later, and says why it failed)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "next_try_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # email (sms: issue "Every channel")
    address: Mapped[str] = mapped_column(String(128))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    next_try_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
