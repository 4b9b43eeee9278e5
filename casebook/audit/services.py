"""Writing and reading the audit log.

Entries are only ever inserted (the database refuses anything else, migration 0016). Reading is
for administrators: newest first, filtered by who, what, which thing, when; exported as CSV for
the county's auditors.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from casebook.clock import Clock, SystemClock
from casebook.db.models import AuditEntry

# kept out of the log: secrets, and citizens' phone numbers (the case keeps those, for its readers)
SECRET_FIELDS = frozenset(
    {"password", "current", "new", "access_token", "api_key", "token", "ticket", "secret", "sip_password"}
    | {"caller_number", "caller_phone", "phone", "number_called_back"}
)
LONGEST_TEXT = 500  # characters of one field kept (a reply's text is kept by the case itself)
MOST_ITEMS = 50


def masked(value: Any, depth: int = 0) -> Any:
    """What the log keeps of a request's fields: secrets masked, long texts and lists cut."""
    if depth > 6:
        return "…"
    if isinstance(value, dict):
        return {
            str(k)[:64]: "***" if str(k).lower() in SECRET_FIELDS else masked(v, depth + 1)
            for k, v in list(value.items())[:MOST_ITEMS]
        }
    if isinstance(value, list):
        return [masked(v, depth + 1) for v in value[:MOST_ITEMS]]
    if isinstance(value, str) and len(value) > LONGEST_TEXT:
        return value[:LONGEST_TEXT] + "…"
    return value


@dataclass(frozen=True)
class Record:
    actor: str
    role: str | None
    address: str | None
    action: str
    target: str | None
    outcome: int
    asked: dict[str, Any] | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


@dataclass(frozen=True)
class Filters:
    actor: str | None = None
    action: str | None = None  # a part of the route: "users", "PATCH", "/cases/"
    target: str | None = None  # "case:2612030001", or its start: "user:"
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None  # the page's cursor: entries older than this one


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if value is not None else ""


def _cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (a citizen's words may start with "=")."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


class AuditLog:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock | None = None) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()

    def record(self, record: Record) -> None:
        with self.sessions() as s:
            s.add(
                AuditEntry(
                    at=self.clock.now(),
                    actor=record.actor[:64],
                    role=record.role,
                    address=(record.address or None) and record.address[:64],
                    action=record.action[:120],
                    target=record.target[:200] if record.target else None,
                    outcome=record.outcome,
                    asked=masked(record.asked) if record.asked is not None else None,
                    before=record.before,
                    after=record.after,
                )
            )
            s.commit()

    def entries(self, filters: Filters, limit: int = 100) -> list[AuditEntry]:
        with self.sessions() as s:
            return list(s.scalars(self._query(filters).limit(limit)))

    def _query(self, f: Filters) -> Any:
        query = select(AuditEntry).order_by(AuditEntry.id.desc())
        if f.actor:
            query = query.where(AuditEntry.actor == f.actor)
        if f.action:
            query = query.where(AuditEntry.action.contains(f.action, autoescape=True))
        if f.target:
            query = query.where(AuditEntry.target.startswith(f.target, autoescape=True))
        if f.since is not None:
            query = query.where(AuditEntry.at >= f.since)
        if f.until is not None:
            query = query.where(AuditEntry.at < f.until)
        if f.before_id is not None:
            query = query.where(AuditEntry.id < f.before_id)
        return query

    def csv_lines(self, filters: Filters) -> Iterator[str]:
        """The matching entries as CSV, newest first, read in batches (a year of them is large)."""
        columns = ["id", "at", "actor", "role", "address", "action", "target", "outcome", "asked", "before", "after"]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        yield "\ufeff" + out.getvalue()  # a byte-order mark: spreadsheet programs read the Chinese right
        cursor = filters.before_id
        while True:
            batch = self.entries(Filters(**{**filters.__dict__, "before_id": cursor}), limit=1000)
            if not batch:
                return
            out = io.StringIO()
            writer = csv.writer(out)
            for e in batch:
                kept = (
                    json.dumps(v, ensure_ascii=False) if v is not None else "" for v in (e.asked, e.before, e.after)
                )
                row = [e.id, e.at.isoformat(), e.actor, e.role or "", e.address or "", e.action, e.target or ""]
                writer.writerow([*(_cell(v) for v in row), e.outcome, *(_cell(v) for v in kept)])
            yield out.getvalue()
            cursor = batch[-1].id
