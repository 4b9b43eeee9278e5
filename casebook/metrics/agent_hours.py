"""Each agent's time per hour of each day, summed up as their events are written, so that
occupancy over a month is a GROUP BY over a few thousand rows instead of replaying ~100,000
events in Python (bench/RESULTS.md, "Dashboard queries").

When a batch of the call log holds an agent's event, or a call they answered, that agent's day
is worked out again from its events (with the day before, for the state at midnight) and the
talk of its calls (`occupancy.agent_time`), and its rows in `agent_hours` replaced. A day is
worked out as if its last state lasted to midnight: right for every day that is over, which is
all the metrics read from here; the current day is always computed live (calls.py).

Two limits, stated: a talk crossing midnight is counted on the day it started; an agent logged
in through a whole day without a single event on it (no login, pause, call) has no row for that
day until `hotline metrics rebuild`, which works out every day between an agent's first and last
event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from casebook.db.models import AgentHour, CallEventRow, QueueVisit
from casebook.metrics.occupancy import AgentTime, StateChange, agent_time

AGENT_EVENTS = ("agent.login", "agent.logout", "agent.paused", "agent.resumed", "agent.wrapup", "agent.ready")
LOOK_BACK = timedelta(hours=24)  # how far before a range an agent's state is looked for
AGENT_PREFIX = "agent:"


def day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def agent_days_of(events: Iterable[tuple[str, datetime, str]], tz: ZoneInfo) -> set[tuple[str, date]]:
    """(agent, day) of each agent state event among (call id, at, name)."""
    return {
        (call_id.removeprefix(AGENT_PREFIX)[:64], at.astimezone(tz).date())
        for call_id, at, name in events
        if call_id.startswith(AGENT_PREFIX) and name in AGENT_EVENTS
    }


def times_between(
    s: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    tz: ZoneInfo,
    *,
    by_hour: bool,
    agents: set[str] | None = None,
) -> dict[str, AgentTime]:
    """Each agent's time within [start, end), from their events (from a day before) and the
    talk of the calls they answered: the live computation."""
    events: dict[str, list[StateChange]] = defaultdict(list)
    connection = s.connection()  # Core rows: a day of a busy center brings thousands
    query = select(CallEventRow.call_id, CallEventRow.at, CallEventRow.name).where(
        CallEventRow.name.in_(AGENT_EVENTS), CallEventRow.at >= start - LOOK_BACK, CallEventRow.at < end
    )
    if agents is not None:
        query = query.where(CallEventRow.call_id.in_([AGENT_PREFIX + a for a in agents]))
    for call_id, at, name in connection.execute(query.order_by(CallEventRow.at, CallEventRow.id)):
        if call_id.startswith(AGENT_PREFIX):
            events[call_id.removeprefix(AGENT_PREFIX)].append(StateChange(at, name))
    talks: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    v = QueueVisit
    visits = select(v.agent, v.answered_at, v.talk_s).where(
        v.agent.is_not(None), v.answered_at >= start - LOOK_BACK, v.answered_at < end
    )
    if agents is not None:
        visits = visits.where(v.agent.in_(agents))
    for agent, answered_at, talk_s in connection.execute(visits):
        if agent and answered_at is not None:
            ended = answered_at + timedelta(seconds=talk_s) if talk_s is not None else min(now, end)
            talks[agent].append((answered_at, ended))
    return {
        agent: agent_time(events.get(agent, []), talks.get(agent, []), start, end, now=now, tz=tz, by_hour=by_hour)
        for agent in set(events) | set(talks)
    }


def refresh_days(s: Session, agent_days: Iterable[tuple[str, date]], tz: ZoneInfo) -> int:
    """Work out these agents' days again and replace their rows (in the caller's transaction)."""
    by_day: dict[date, set[str]] = defaultdict(set)
    for agent, day in agent_days:
        by_day[day].add(agent)
    written = 0
    for day, agents in sorted(by_day.items()):
        start = day_start(day, tz)
        end = day_start(day + timedelta(days=1), tz)
        times = times_between(s, start, end, end, tz, by_hour=True, agents=agents)
        s.execute(delete(AgentHour).where(AgentHour.day == day, AgentHour.agent.in_(agents)))
        rows = [
            {"agent": agent, "day": day, "hour": hour, "logged_s": v[0], "paused_s": v[1], "handling_s": v[2]}
            for agent, time in times.items()
            for hour, v in time.by_hour.items()
            if v[0] > 0
        ]
        if rows:
            s.execute(insert(AgentHour), rows)
            written += len(rows)
    return written


def stored(s: Session, first: date, last: date) -> list[tuple[str, int, float, float, float]]:
    """(agent, hour, logged, paused, handling) summed over the days [first, last]."""
    a = AgentHour
    return [
        (agent, hour, logged or 0.0, paused or 0.0, handling or 0.0)
        for agent, hour, logged, paused, handling in s.connection().execute(
            select(a.agent, a.hour, func.sum(a.logged_s), func.sum(a.paused_s), func.sum(a.handling_s))
            .where(a.day >= first, a.day <= last)
            .group_by(a.agent, a.hour)
        )
    ]


def rebuild(s: Session, tz: ZoneInfo) -> int:
    """Every day of every agent between their first and last event, again."""
    made = 0
    for call_id, first, last in s.execute(
        select(CallEventRow.call_id, func.min(CallEventRow.at), func.max(CallEventRow.at))
        .where(CallEventRow.name.in_(AGENT_EVENTS))
        .group_by(CallEventRow.call_id)
    ):
        if not call_id.startswith(AGENT_PREFIX) or first is None:
            continue
        agent = call_id.removeprefix(AGENT_PREFIX)[:64]
        day, last_day = first.astimezone(tz).date(), last.astimezone(tz).date()
        s.flush()
        while day <= last_day:
            refresh_days(s, [(agent, day)], tz)
            day += timedelta(days=1)
            made += 1
        s.commit()
    return made
