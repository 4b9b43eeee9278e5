"""Writing and reading the call log. Plain data in (the telephony side converts its events), rows
out; written in batches, since a busy morning brings hundreds of events a second.

With each batch, the calls it touches are summed up again (`casebook.metrics.facts`), and the
days of the agents it touches (`casebook.metrics.agent_hours`), in the same transaction, so the
call metrics never disagree with the log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from casebook.db.models import CallEventRow
from casebook.metrics import agent_hours, facts


@dataclass(frozen=True, slots=True)
class CallEventIn:
    call_id: str
    at: datetime
    name: str
    data: dict[str, Any] = field(default_factory=dict)


class CallLog:
    def __init__(self, sessions: sessionmaker[Session], timezone: str = "Asia/Shanghai") -> None:
        self.sessions = sessions
        self.tz = ZoneInfo(timezone)

    def record(self, events: Sequence[CallEventIn]) -> int:
        """Store a batch in one transaction (all or nothing: the caller retries a failed batch),
        with the facts of the calls it touches. An agent's `agent.ready` is also stored under its
        call as `call.wrapup`. Returns how many of the given events were stored."""
        if not events:
            return 0
        logged = [facts.LoggedEvent(e.call_id[:64], e.at, e.name[:48], e.data) for e in events]
        derived = facts.derived_events(logged)
        rows = [{"call_id": e.call_id, "at": e.at, "name": e.name, "data": e.data} for e in logged + derived]
        with self.sessions() as s:
            s.execute(insert(CallEventRow), rows)
            agent_days = agent_hours.agent_days_of(((e.call_id, e.at, e.name) for e in logged), self.tz)
            facts.refresh(s, facts.touched_calls(logged + derived), self.tz, agent_days)
            s.flush()  # the agents' days read the calls' new facts
            agent_hours.refresh_days(s, agent_days, self.tz)
            s.commit()
        return len(events)

    def of_call(self, call_id: str) -> list[CallEventIn]:
        with self.sessions() as s:
            rows = s.scalars(select(CallEventRow).where(CallEventRow.call_id == call_id).order_by(CallEventRow.id))
            return [CallEventIn(r.call_id, r.at, r.name, dict(r.data)) for r in rows]
