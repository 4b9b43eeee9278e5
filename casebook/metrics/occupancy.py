"""An agent's time over a range, from their own events: logged in, paused, handling (talk and
wrap-up), and so occupancy.

Each moment of a logged-in agent is one of: handling (on a call, or in wrap-up after one), paused,
or idle (ready for the next call). Handling wins over paused: an agent who pauses during wrap-up
is still wrapping up until the wrap-up ends, and only then counts as paused. Time outside a login
is not counted at all (not even a call finished after logging out).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from casebook.metrics.facts import LoggedEvent

Interval = tuple[datetime, datetime]


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


def state_intervals(events: Sequence[LoggedEvent], until: datetime) -> dict[str, list[Interval]]:
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
    events: Sequence[LoggedEvent],
    talks: Iterable[Interval],
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    tz: ZoneInfo,
) -> AgentTime:
    """One agent's time within [start, end). `events` are the agent's events in order, from
    before `start` (so the state at `start` is known); `talks` the intervals they were on calls."""
    until = min(end, now)
    states = state_intervals(events, until)
    states["talk"] = list(talks)
    edges: list[tuple[datetime, int, str]] = []
    for kind, intervals in states.items():
        for since, to in intervals:
            a, b = max(since, start), min(to, until)
            if a < b:
                edges.append((a, 1, kind))
                edges.append((b, -1, kind))
    edges.sort(key=lambda e: (e[0], e[1]))
    active = {"logged": 0, "paused": 0, "wrapup": 0, "talk": 0}
    result = AgentTime()
    previous: datetime | None = None
    for at, step, kind in edges:
        if previous is not None and at > previous and active["logged"] > 0:
            handling = active["talk"] > 0 or active["wrapup"] > 0
            paused = not handling and active["paused"] > 0
            _count(result, previous, at, paused=paused, handling=handling, tz=tz)
        active[kind] += step
        previous = at
    return result


def _count(result: AgentTime, a: datetime, b: datetime, *, paused: bool, handling: bool, tz: ZoneInfo) -> None:
    seconds = (b - a).total_seconds()
    result.logged_in_s += seconds
    if paused:
        result.paused_s += seconds
    if handling:
        result.handling_s += seconds
    cursor = a
    while cursor < b:  # split at the hours of the center's clock
        local = cursor.astimezone(tz)
        next_hour = (local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).astimezone(cursor.tzinfo)
        piece_end = min(b, next_hour)
        piece = (piece_end - cursor).total_seconds()
        bucket = result.by_hour.setdefault(local.hour, [0.0, 0.0, 0.0])
        bucket[0] += piece
        if paused:
            bucket[1] += piece
        if handling:
            bucket[2] += piece
        cursor = piece_end
