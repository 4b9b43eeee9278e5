"""The audit log: every administrative change and every case action, who, when, from where.

Append-only in the database (migration 0016's triggers, as the event logs are): the platform only
inserts, and no code or person connected to the database can change or remove an entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from casebook.db.models.base import Base


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)  # a user name, "open311:<channel>", "anonymous"
    role: Mapped[str | None] = mapped_column(String(24))
    address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(120), index=True)  # the route: "PATCH /api/v1/users/{username}"
    target: Mapped[str | None] = mapped_column(String(200), index=True)  # "user:li", "case:2612030001"
    outcome: Mapped[int]  # the HTTP status answered (a refused sign-in is kept too: 401, 429)
    asked: Mapped[dict[str, Any] | None]  # the request's fields, secrets masked
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
