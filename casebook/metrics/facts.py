"""Each call, and each stay of a call in a queue, summed up from its events in the call log.

The call log (`call_events`) keeps every event as it happened; counting a month of calls from it
would mean reading millions of rows. So when a batch of events is written, the calls it touches
are summed up again from all their events (`summarise`, a pure function) and the result replaces
their rows in `call_facts` and `queue_visits`. The facts are always a function of the log: they
can be rebuilt from it at any time (`rebuild`), and a late event (the agent's wrap-up ending
after the call) simply recomputes its call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from casebook.db.models import CallEventRow, CallFacts, QueueVisit

CALLBACK_PREFIX = "callback-"  # the ids of satisfaction callbacks (outbound)


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    call_id: str
    at: datetime
    name: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Visit:
    seq: int
    queue: str
    line: str
    joined_at: datetime
    position: int | None
    outcome: str = "waiting"
    wait_s: float | None = None
    abandoned_position: int | None = None
    abandoned_ringing: bool = False
    missed_rings: int = 0
    ringing: bool = False
    agent: str | None = None
    extension: str | None = None
    answered_at: datetime | None = None
    talk_s: float | None = None
    transferred: bool = False
    wrapup_s: float | None = None


@dataclass
class CallSummary:
    call_id: str
    started_at: datetime | None = None
    line: str = ""
    direction: str = "inbound"
    outcome: str = ""
    ended_at: datetime | None = None
    no_agent: bool = False  # asked for an agent, nobody was free: sent to leave a message
    visits: list[Visit] = field(default_factory=list)


def _num(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    number = _num(value)
    return None if number is None else int(number)


def summarise(call_id: str, events: Sequence[LoggedEvent]) -> CallSummary:
    """The facts of one call from its events in order (ties keep the log's order).

    - a `queue.joined` opens a visit; `queue.answered` makes it answered (wait: Asterisk's
      HoldTime, else joined -> answered); `queue.completed` / `queue.transferred` add the talk time;
    - `queue.abandoned` makes it abandoned, with the position, and notes whether an agent's phone
      was ringing at that moment (`queue.ringing` with no answer or no-answer after it);
    - `queue.no-answer` counts a missed ring; `queue.left` of a visit still waiting means the caller
      went on to leave a message (key 1, or the wait ran out);
    - `call.wrapup` (the agent's wrap-up, stored under the call) adds the wrap-up to the visit the
      agent answered.
    """
    summary = CallSummary(call_id, direction="callback" if call_id.startswith(CALLBACK_PREFIX) else "inbound")
    current: Visit | None = None
    for event in events:
        data = event.data
        name = event.name
        if name == "call.started" or name == "callback.dialling":
            summary.started_at = summary.started_at or event.at
            summary.line = str(data.get("line") or summary.line)
        elif name == "call.ended":
            summary.ended_at = event.at
            summary.outcome = str(data.get("outcome") or "ended")
        elif name == "ivr.no-agent":
            summary.no_agent = True
        elif name == "queue.joined":
            current = Visit(
                seq=len(summary.visits) + 1,
                queue=str(data.get("queue", "")),
                line=str(data.get("line") or summary.line),
                joined_at=event.at,
                position=_int(data.get("position")),
            )
            summary.visits.append(current)
            summary.started_at = summary.started_at or event.at
        elif current is None:
            if name == "call.wrapup":
                _add_wrapup(summary, data)
            continue
        elif name == "call.wrapup":
            _add_wrapup(summary, data)
        else:
            _visit_event(current, event)
    return summary


def _visit_event(current: Visit, event: LoggedEvent) -> None:
    """What a queue event says of the visit in progress."""
    name, data = event.name, event.data
    if name == "queue.ringing":
        current.ringing = True
    elif name == "queue.no-answer":
        current.ringing = False
        current.missed_rings += 1
    elif name == "queue.answered":
        current.outcome = "answered"
        current.ringing = False
        current.answered_at = event.at
        current.agent = str(data.get("member") or "") or None
        current.extension = str(data.get("extension") or "") or None
        wait = _num(data.get("wait_s"))
        current.wait_s = wait if wait is not None else (event.at - current.joined_at).total_seconds()
    elif name in ("queue.completed", "queue.transferred"):
        current.talk_s = _num(data.get("talk_s"))
        if current.talk_s is None and current.answered_at is not None:
            current.talk_s = (event.at - current.answered_at).total_seconds()
        current.transferred = name == "queue.transferred"
        if current.outcome == "waiting":  # answered event lost: the completion says it was
            current.outcome = "answered"
            current.agent = str(data.get("member") or "") or None
            current.wait_s = _num(data.get("wait_s"))
    elif name == "queue.abandoned":
        current.outcome = "abandoned"
        current.abandoned_ringing = current.ringing
        current.abandoned_position = _int(data.get("position"))
        wait = _num(data.get("wait_s"))
        current.wait_s = wait if wait is not None else (event.at - current.joined_at).total_seconds()
    elif name == "queue.left" and current.outcome == "waiting":
        current.outcome = "left"
        current.wait_s = (event.at - current.joined_at).total_seconds()


def _add_wrapup(summary: CallSummary, data: dict[str, Any]) -> None:
    agent = str(data.get("agent") or "")
    seconds = _num(data.get("wrapup_s"))
    if seconds is None:
        return
    for visit in reversed(summary.visits):
        if visit.outcome == "answered" and (not agent or visit.agent == agent):
            visit.wrapup_s = (visit.wrapup_s or 0.0) + seconds
            return


def derived_events(events: Iterable[LoggedEvent]) -> list[LoggedEvent]:
    """Events stored a second time under the call they are about: the agent's `agent.ready`
    (kept under `agent:<user>`) becomes `call.wrapup` under the call, so a call's own events tell
    its whole story, wrap-up included."""
    extra = []
    for event in events:
        if event.name == "agent.ready" and event.data.get("call") and event.call_id.startswith("agent:"):
            extra.append(
                LoggedEvent(
                    str(event.data["call"]),
                    event.at,
                    "call.wrapup",
                    {
                        "agent": event.call_id.removeprefix("agent:"),
                        "wrapup_s": event.data.get("wrapup_s"),
                        "how": event.data.get("how"),
                    },
                )
            )
    return extra


def touched_calls(events: Iterable[LoggedEvent]) -> set[str]:
    """The calls whose facts a batch changes (agent and application events change none)."""
    return {e.call_id for e in events if e.call_id != "-" and not e.call_id.startswith("agent:")}


def refresh(s: Session, call_ids: Iterable[str], tz: ZoneInfo, agent_days: set[tuple[str, date]] | None = None) -> int:
    """Sum up these calls again from all their events and replace their facts (in the caller's
    transaction). Returns how many calls have facts; the (agent, day) of each answered visit is
    added to `agent_days` (their time is summed up again too: agent_hours.py)."""
    ids = sorted(set(call_ids))
    if not ids:
        return 0
    stored: dict[str, list[LoggedEvent]] = {call_id: [] for call_id in ids}
    for chunk in _chunks(ids, 500):
        rows = s.execute(
            select(CallEventRow.call_id, CallEventRow.at, CallEventRow.name, CallEventRow.data)
            .where(CallEventRow.call_id.in_(chunk))
            .order_by(CallEventRow.at, CallEventRow.id)
        ).all()
        for call_id, at, name, data in rows:
            stored[call_id].append(LoggedEvent(call_id, at, name, dict(data or {})))
        s.execute(delete(QueueVisit).where(QueueVisit.call_id.in_(chunk)))
        s.execute(delete(CallFacts).where(CallFacts.call_id.in_(chunk)))
    made = 0
    for call_id, events in stored.items():
        summary = summarise(call_id, events)
        if summary.started_at is None:
            continue  # only a stray event (a wrap-up of a call never seen): nothing to count
        local = summary.started_at.astimezone(tz)
        s.add(
            CallFacts(
                call_id=call_id,
                started_at=summary.started_at,
                day=local.date(),
                hour=local.hour,
                line=summary.line[:20],
                direction=summary.direction,
                outcome=summary.outcome[:24],
                queued=bool(summary.visits),
                no_agent=summary.no_agent,
                ended_at=summary.ended_at,
            )
        )
        for visit in summary.visits:
            joined = visit.joined_at.astimezone(tz)
            if agent_days is not None and visit.agent and visit.answered_at is not None:
                agent_days.add((visit.agent[:64], visit.answered_at.astimezone(tz).date()))
            s.add(_visit_row(call_id, visit, joined))
        made += 1
    return made


def _visit_row(call_id: str, visit: Visit, joined: datetime) -> QueueVisit:
    """One stay in a queue as its row (text cut to the columns' sizes)."""
    return QueueVisit(
        call_id=call_id,
        seq=visit.seq,
        queue=visit.queue[:32],
        line=visit.line[:20],
        joined_at=visit.joined_at,
        day=joined.date(),
        hour=joined.hour,
        position=visit.position,
        outcome=visit.outcome,
        wait_s=visit.wait_s,
        abandoned_position=visit.abandoned_position,
        abandoned_ringing=visit.abandoned_ringing,
        missed_rings=visit.missed_rings,
        agent=(visit.agent or None) and visit.agent[:64],
        extension=(visit.extension or None) and visit.extension[:24],
        answered_at=visit.answered_at,
        talk_s=visit.talk_s,
        transferred=visit.transferred,
        wrapup_s=visit.wrapup_s,
    )


def rebuild(s: Session, tz: ZoneInfo, *, batch: int = 2000) -> int:
    """Every call's facts again from the whole log (after a change of the formulas, or a restore)."""
    made = 0
    last = ""
    while True:
        ids = list(
            s.scalars(
                select(CallEventRow.call_id)
                .where(
                    CallEventRow.call_id > last, ~CallEventRow.call_id.startswith("agent:"), CallEventRow.call_id != "-"
                )
                .group_by(CallEventRow.call_id)
                .order_by(CallEventRow.call_id)
                .limit(batch)
            )
        )
        if not ids:
            return made
        made += refresh(s, ids, tz)
        s.commit()
        last = ids[-1]


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
