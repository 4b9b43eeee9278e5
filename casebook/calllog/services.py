"""Writing and reading the call log. Plain data in (the telephony side converts its events), rows
out; written in batches, since a busy morning brings hundreds of events a second."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from casebook.db.models import CallEventRow


@dataclass(frozen=True, slots=True)
class CallEventIn:
    call_id: str
    at: datetime
    name: str
    data: dict[str, Any] = field(default_factory=dict)


class CallLog:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def record(self, events: Sequence[CallEventIn]) -> int:
        """Store a batch in one transaction (all or nothing: the caller retries a failed batch)."""
        if not events:
            return 0
        rows = [{"call_id": e.call_id[:64], "at": e.at, "name": e.name[:48], "data": e.data} for e in events]
        with self.sessions() as s:
            s.execute(insert(CallEventRow), rows)
            s.commit()
        return len(rows)

    def of_call(self, call_id: str) -> list[CallEventIn]:
        with self.sessions() as s:
            rows = s.scalars(select(CallEventRow).where(CallEventRow.call_id == call_id).order_by(CallEventRow.id))
            return [CallEventIn(r.call_id, r.at, r.name, dict(r.data)) for r in rows]
