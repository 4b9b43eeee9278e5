"""Call metrics over a date range, by line, queue, agent, hour of day or day, from the
platform's own call log (summed up per call in `call_facts` and `queue_visits`; see facts.py).

Asterisk's own queue counters are not used: they are moving averages kept in memory that forget
at a restart and know nothing of the IVR. Formulas: `formulas.py`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from casebook.db.models import CallEventRow, CallFacts, QueueVisit
from casebook.metrics import agent_hours
from casebook.metrics.formulas import describe
from casebook.metrics.occupancy import AgentTime, occupancy

CallGroup = Literal["total", "line", "queue", "agent", "hour", "day"]
CALL_GROUPS: tuple[str, ...] = ("total", "line", "queue", "agent", "hour", "day")

QUEUE_KEYS = [
    "offered",
    "answered",
    "abandoned",
    "abandoned_ringing",
    "left_for_message",
    "abandon_rate",
    "asa",
    "avg_abandon_wait",
    "max_wait",
    "avg_abandon_position",
    "aht",
    "avg_talk",
    "avg_wrapup",
    "service_level",
    "service_level_abandons",
    "transfers",
    "missed_rings",
]
LINE_KEYS = ["calls", "messages", "no_agent", *QUEUE_KEYS]
AGENT_KEYS = [
    "answered",
    "aht",
    "avg_talk",
    "avg_wrapup",
    "transfers",
    "missed_rings",
    "logged_in_s",
    "paused_s",
    "handling_s",
    "occupancy",
]
HOUR_KEYS = [*QUEUE_KEYS, "occupancy"]


def day_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[first 00:00, the day after last 00:00) of the center's clock, in UTC."""
    start = datetime.combine(first, time(), tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC)
    return start, end


def _ratio(part: float | None, whole: float | None, scale: float = 1.0) -> float | None:
    if not whole or part is None:
        return None
    return round(scale * part / whole, 1)


def _queue_figures(row: Any) -> dict[str, Any]:
    answered = row.answered or 0
    abandoned = row.abandoned or 0
    offered = row.offered or 0
    handle = (row.talk or 0.0) + (row.wrapup or 0.0)
    return {
        "offered": offered,
        "answered": answered,
        "abandoned": abandoned,
        "abandoned_ringing": row.abandoned_ringing or 0,
        "left_for_message": row.left or 0,
        "abandon_rate": _ratio(abandoned, offered, 100.0),
        "asa": _ratio(row.wait_answered, answered),
        "avg_abandon_wait": _ratio(row.wait_abandoned, abandoned),
        "max_wait": round(row.max_wait, 1) if row.max_wait is not None else None,
        "avg_abandon_position": _ratio(row.abandon_position, row.abandon_position_known),
        "aht": _ratio(handle, answered),
        "avg_talk": _ratio(row.talk, answered),
        "avg_wrapup": _ratio(row.wrapup, answered),
        "service_level": _ratio(row.answered_in_t, answered, 100.0),
        "service_level_abandons": _ratio(
            (row.answered_in_t or 0) + (row.abandoned_in_t or 0), answered + abandoned, 100.0
        ),
        "transfers": row.transfers or 0,
        "missed_rings": row.missed_rings or 0,
    }


def _visit_columns(threshold_s: float) -> list[Any]:
    v = QueueVisit
    answered = v.outcome == "answered"
    abandoned = v.outcome == "abandoned"

    def count(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    return [
        func.count().label("offered"),
        count(answered).label("answered"),
        count(abandoned).label("abandoned"),
        count(and_(abandoned, v.abandoned_ringing)).label("abandoned_ringing"),
        count(v.outcome == "left").label("left"),
        func.sum(case((answered, v.wait_s), else_=0.0)).label("wait_answered"),
        func.sum(case((abandoned, v.wait_s), else_=0.0)).label("wait_abandoned"),
        func.max(case((or_(answered, abandoned), v.wait_s), else_=None)).label("max_wait"),
        func.sum(case((abandoned, cast(v.abandoned_position, Float)), else_=None)).label("abandon_position"),
        count(and_(abandoned, v.abandoned_position.is_not(None))).label("abandon_position_known"),
        func.sum(case((answered, func.coalesce(v.talk_s, 0.0)), else_=0.0)).label("talk"),
        func.sum(case((answered, func.coalesce(v.wrapup_s, 0.0)), else_=0.0)).label("wrapup"),
        count(and_(answered, v.wait_s <= threshold_s)).label("answered_in_t"),
        count(and_(abandoned, v.wait_s <= threshold_s)).label("abandoned_in_t"),
        count(v.transferred).label("transfers"),
        func.sum(v.missed_rings).label("missed_rings"),
    ]


class CallMetrics:
    def __init__(self, sessions: sessionmaker[Session], timezone: str = "Asia/Shanghai") -> None:
        self.sessions = sessions
        self.tz = ZoneInfo(timezone)

    def table(
        self,
        first: date,
        last: date,
        by: CallGroup = "total",
        *,
        threshold_s: float = 20.0,
        lang: str = "zh",
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """The figures of [first, last] (days of the center's clock, both included) grouped by
        `by`, with a total row; each column names its formula."""
        start, end = day_bounds(first, last, self.tz)
        now = now or datetime.now(UTC)
        with self.sessions() as s:
            if by == "agent":
                keys, rows, total = AGENT_KEYS, *self._by_agent(s, start, end, threshold_s, now)
            else:
                keys = LINE_KEYS if by in ("line", "total", "day") else HOUR_KEYS if by == "hour" else QUEUE_KEYS
                rows, total = self._by_visits(s, start, end, by, threshold_s, now)
        return {
            "kind": "calls",
            "by": by,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "threshold_s": threshold_s,
            "columns": describe(keys, lang),
            "rows": rows,
            "total": total,
        }

    # --- by line, queue, hour, day -----------------------------------------------------------------
    def _by_visits(
        self, s: Session, start: datetime, end: datetime, by: str, threshold_s: float, now: datetime
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        v = QueueVisit
        in_range = (v.joined_at >= start, v.joined_at < end)
        key_column = {"line": v.line, "queue": v.queue, "hour": v.hour, "day": v.day}.get(by)
        rows: dict[Any, dict[str, Any]] = {}
        if key_column is not None:
            for row in s.execute(
                select(key_column.label("key"), *_visit_columns(threshold_s)).where(*in_range).group_by(key_column)
            ).all():
                rows[row.key] = {"key": _key(row.key), **_queue_figures(row)}
        total_row = s.execute(select(*_visit_columns(threshold_s)).where(*in_range)).one()
        total = {"key": "total", **_queue_figures(total_row)}
        if by in ("line", "total", "day"):
            f = CallFacts
            f_key = {"line": f.line, "day": f.day}.get(by)
            columns = [
                func.count().label("calls"),
                func.sum(case((f.outcome.in_(("reported", "message")), 1), else_=0)).label("messages"),
                func.sum(case((f.no_agent, 1), else_=0)).label("no_agent"),
            ]
            where = (f.started_at >= start, f.started_at < end, f.direction == "inbound")
            if f_key is not None:
                for row in s.execute(select(f_key.label("key"), *columns).where(*where).group_by(f_key)).all():
                    entry = rows.setdefault(row.key, {"key": _key(row.key), **_queue_figures(_EMPTY)})
                    entry.update(calls=row.calls or 0, messages=row.messages or 0, no_agent=row.no_agent or 0)
            calls = s.execute(select(*columns).where(*where)).one()
            total.update(calls=calls.calls or 0, messages=calls.messages or 0, no_agent=calls.no_agent or 0)
            for entry in rows.values():
                for key in ("calls", "messages", "no_agent"):
                    entry.setdefault(key, 0)
        if by == "hour":
            times = self._agent_times(s, start, end, now, by_hour=True)
            overall = AgentTime()
            for agent in times.values():
                overall.add(agent)
            for hour, (logged, paused, handling) in overall.by_hour.items():
                entry = rows.setdefault(hour, {"key": hour, **_queue_figures(_EMPTY)})
                entry["occupancy"] = occupancy(handling, logged, paused)
            for entry in rows.values():
                entry.setdefault("occupancy", None)
            total["occupancy"] = overall.occupancy
        ordered = [rows[k] for k in sorted(rows, key=lambda k: (k is None, str(k) if by != "hour" else k))]
        return ordered, total

    # --- by agent -----------------------------------------------------------------------------------
    def _by_agent(
        self, s: Session, start: datetime, end: datetime, threshold_s: float, now: datetime
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        v = QueueVisit
        figures: dict[str, dict[str, Any]] = {}
        for row in s.execute(
            select(v.agent.label("key"), *_visit_columns(threshold_s))
            .where(v.joined_at >= start, v.joined_at < end, v.agent.is_not(None))
            .group_by(v.agent)
        ).all():
            figures[row.key] = _queue_figures(row)
        missed = _missed_rings(s, start, end)
        times = self._agent_times(s, start, end, now, by_hour=False)
        rows = []
        total_time = AgentTime()
        for agent in sorted(set(figures) | set(missed) | set(times)):
            f = figures.get(agent) or _queue_figures(_EMPTY)
            t = times.get(agent, AgentTime())
            total_time.add(t)
            rows.append(
                {
                    "key": agent,
                    "answered": f["answered"],
                    "aht": f["aht"],
                    "avg_talk": f["avg_talk"],
                    "avg_wrapup": f["avg_wrapup"],
                    "transfers": f["transfers"],
                    "missed_rings": missed.get(agent, 0),
                    "logged_in_s": round(t.logged_in_s),
                    "paused_s": round(t.paused_s),
                    "handling_s": round(t.handling_s),
                    "occupancy": t.occupancy,
                }
            )
        answered = sum(r["answered"] for r in rows)
        total_row = s.execute(
            select(*_visit_columns(threshold_s)).where(v.joined_at >= start, v.joined_at < end, v.agent.is_not(None))
        ).one()
        tf = _queue_figures(total_row)
        total = {
            "key": "total",
            "answered": answered,
            "aht": tf["aht"],
            "avg_talk": tf["avg_talk"],
            "avg_wrapup": tf["avg_wrapup"],
            "transfers": tf["transfers"],
            "missed_rings": sum(missed.values()),
            "logged_in_s": round(total_time.logged_in_s),
            "paused_s": round(total_time.paused_s),
            "handling_s": round(total_time.handling_s),
            "occupancy": total_time.occupancy,
        }
        return rows, total

    def _agent_times(
        self, s: Session, start: datetime, end: datetime, now: datetime, *, by_hour: bool
    ) -> dict[str, AgentTime]:
        """Each agent's time in the range [start, end) (whole days): the days that are over from
        `agent_hours` (summed up as the events were written), today and later computed live from
        the agents' events and the talk of their calls (agent_hours.times_between)."""
        first = start.astimezone(self.tz).date()
        last = (end - timedelta(microseconds=1)).astimezone(self.tz).date()
        today = now.astimezone(self.tz).date()
        result: dict[str, AgentTime] = defaultdict(AgentTime)
        past_last = min(last, today - timedelta(days=1))
        if first <= past_last:
            for agent, hour, logged, paused, handling in agent_hours.stored(s, first, past_last):
                spent = result[agent]
                spent.logged_in_s += logged
                spent.paused_s += paused
                spent.handling_s += handling
                if by_hour:
                    bucket = spent.by_hour.setdefault(hour, [0.0, 0.0, 0.0])
                    bucket[0] += logged
                    bucket[1] += paused
                    bucket[2] += handling
        live_first = max(first, today)
        if live_first <= last:
            live_start, live_end = day_bounds(live_first, last, self.tz)
            live = agent_hours.times_between(s, live_start, live_end, now, self.tz, by_hour=by_hour)
            for agent, spent in live.items():
                result[agent].add(spent)
        return dict(result)


class _Empty:
    def __getattr__(self, name: str) -> Any:
        return None


_EMPTY: Any = _Empty()


def _key(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value if value not in (None, "") else "—"


def _missed_rings(s: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Calls each agent's phone rang for and nobody answered (queue.no-answer), by member."""
    missed: dict[str, int] = defaultdict(int)
    for (data,) in s.execute(
        select(CallEventRow.data).where(
            CallEventRow.name == "queue.no-answer", CallEventRow.at >= start, CallEventRow.at < end
        )
    ):
        member = str((data or {}).get("member") or "")
        if member:
            missed[member] += 1
    return missed
