"""An agent's time over a range, from their own events: logged in, paused, handling (talk and
wrap-up), and so occupancy.

Each moment of a logged-in agent is one of: handling (on a call, or in wrap-up after one), paused,
or idle (ready for the next call). Handling wins over paused: an agent who pauses during wrap-up
is still wrapping up until the wrap-up ends, and only then counts as paused. Time outside a login
is not counted at all (not even a call finished after logging out).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]
KINDS = ("logged", "paused", "wrapup", "talk")


class AgentEvent(Protocol):
    """What the states need of an agent's event: a `LoggedEvent`, or a `StateChange`."""

    @property
    def at(self) -> datetime: ...

    @property
    def name(self) -> str: ...


class StateChange(NamedTuple):
    """An agent's event as the metrics read it: name and time only (a month of them is read for
    a table, and a tuple costs a fraction of a `LoggedEvent`)."""

    at: datetime
    name: str


@dataclass
class AgentTime:
    logged_in_s: float = 0.0
    paused_s: float = 0.0
    handling_s: float = 0.0
    by_hour: dict[int, list[float]] = field(default_factory=dict)  # hour -> [logged, paused, handling]

    @property
    def occupancy(self) -> float | None:
        return occupancy(self.handling_s, self.logged_in_s, self.paused_s)

    def add(self, other: AgentTime) -> None:
        self.logged_in_s += other.logged_in_s
        self.paused_s += other.paused_s
        self.handling_s += other.handling_s
        for hour, values in other.by_hour.items():
            mine = self.by_hour.setdefault(hour, [0.0, 0.0, 0.0])
            for i in range(3):
                mine[i] += values[i]


def occupancy(handling_s: float, logged_in_s: float, paused_s: float) -> float | None:
    available = logged_in_s - paused_s
    return round(100.0 * handling_s / available, 1) if available > 0 else None


def state_intervals(events: Sequence[AgentEvent], until: datetime) -> dict[str, list[Interval]]:
    """The agent's logged-in, paused and wrap-up intervals from their events in order
    (an interval still open at the last event runs to `until`)."""
    opened: dict[str, datetime | None] = {"logged": None, "paused": None, "wrapup": None}
    found: dict[str, list[Interval]] = {"logged": [], "paused": [], "wrapup": []}

    def begin(kind: str, at: datetime) -> None:
        if opened[kind] is None:
            opened[kind] = at

    def finish(kind: str, at: datetime) -> None:
        since = opened[kind]
        if since is not None:
            if at > since:
                found[kind].append((since, at))
            opened[kind] = None

    for event in events:
        name, at = event.name, event.at
        if name == "agent.login":
            begin("logged", at)
            finish("paused", at)
        elif name == "agent.logout":
            for kind in ("paused", "wrapup", "logged"):
                finish(kind, at)
        elif name == "agent.paused":
            begin("logged", at)  # paused implies logged in (a login before the look-back)
            begin("paused", at)
        elif name == "agent.resumed":
            begin("logged", at)
            finish("paused", at)
        elif name == "agent.wrapup":
            begin("wrapup", at)
        elif name == "agent.ready":
            finish("wrapup", at)
    for kind in ("paused", "wrapup", "logged"):
        finish(kind, until)
    return found


def agent_time(
    events: Sequence[AgentEvent],
    talks: Iterable[Interval],
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    tz: ZoneInfo,
    by_hour: bool = True,
) -> AgentTime:
    """One agent's time within [start, end). `events` are the agent's events in order, from
    before `start` (so the state at `start` is known); `talks` the intervals they were on calls.
    `by_hour=False` leaves `by_hour` empty: splitting at every hour is most of the work over a
    month, and only the hour table needs it."""
    until = min(end, now)
    states = state_intervals(events, until)
    states["talk"] = list(talks)
    edges: list[tuple[datetime, int, int]] = []  # (moment, +1 begins / -1 ends, index of the kind)
    for k, kind in enumerate(KINDS):
        for since, to in states[kind]:
            a, b = max(since, start), min(to, until)
            if a < b:
                edges.append((a, 1, k))
                edges.append((b, -1, k))
    # Ties in time may come in any order: time is only counted between two different moments,
    # after every change at the first one. So the plain tuple order will do (and is faster).
    edges.sort()
    active = [0, 0, 0, 0]  # logged, paused, wrapup, talk
    result = AgentTime()
    hours = _hour_grid(start, until, tz) if by_hour else None
    previous: datetime | None = None
    for at, step, k in edges:
        if previous is not None and at > previous and active[0] > 0:
            handling = active[3] > 0 or active[2] > 0
            paused = not handling and active[1] > 0
            _count(result, previous, at, paused=paused, handling=handling, hours=hours)
        active[k] += step
        previous = at
    return result


@lru_cache(maxsize=16)
def _hour_grid(start: datetime, until: datetime, tz: ZoneInfo) -> tuple[list[datetime], list[int]]:
    """The moments each hour of the center's clock begins within [start, until] (the first is
    `start` itself), and each one's hour of the day: computed once per range and shared by every
    agent, instead of a time zone conversion for every piece of every interval."""
    bounds, hours = [start], []
    while True:
        local = bounds[-1].astimezone(tz)
        hours.append(local.hour)
        if bounds[-1] >= until:
            return bounds, hours
        bounds.append((local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).astimezone(start.tzinfo))


def _count(
    result: AgentTime,
    a: datetime,
    b: datetime,
    *,
    paused: bool,
    handling: bool,
    hours: tuple[list[datetime], list[int]] | None,
) -> None:
    seconds = (b - a).total_seconds()
    result.logged_in_s += seconds
    if paused:
        result.paused_s += seconds
    if handling:
        result.handling_s += seconds
    if hours is None:
        return
    bounds, hour_of = hours
    i = bisect_right(bounds, a) - 1  # a >= start = bounds[0], b <= until <= bounds[-1]
    cursor = a
    while cursor < b:  # split at the hours of the center's clock
        piece_end = min(b, bounds[i + 1])
        piece = (piece_end - cursor).total_seconds()
        bucket = result.by_hour.setdefault(hour_of[i], [0.0, 0.0, 0.0])
        bucket[0] += piece
        if paused:
            bucket[1] += piece
        if handling:
            bucket[2] += piece
        cursor = piece_end
        i += 1
