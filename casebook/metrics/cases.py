"""Case metrics over a date range, by unit, category, channel or township: the on-time rate of
each one-hour window and of the handling deadline, backlog and overdue now, satisfaction,
interviews, joint handling sessions and duplicates merged. Formulas: `formulas.py`.

Groups: `unit` is the case's lead unit, `category` the top of its screening tree, `channel` where
the appeal came in, `township` where it happened. A duplicate follows its master's clocks, so the
on-time rates, backlog and overdue count incidents only (duplicates excluded).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session, sessionmaker

from casebook.cases.lifecycle import OPEN_STATES, Status
from casebook.cases.queries import overdue_condition
from casebook.db.models import Case, Category, Channel, Interview, JointSession, SatisfactionVerdict, Unit
from casebook.metrics.calls import day_bounds
from casebook.metrics.formulas import describe

CaseGroup = Literal["total", "unit", "category", "channel", "township"]
CASE_GROUPS: tuple[str, ...] = ("total", "unit", "category", "channel", "township")
CASE_KEYS = [
    "appeals",
    "duplicates_merged",
    "register_on_time",
    "dispatch_on_time",
    "accept_on_time",
    "reply_on_time",
    "backlog",
    "overdue",
    "verdicts",
    "satisfaction_rate",
    "interviews",
    "joint_sessions",
]
WINDOWS = (
    ("register", Case.registered_at, Case.register_due),
    ("dispatch", Case.dispatched_at, Case.dispatch_due),
    ("accept", Case.accepted_at, Case.accept_due),
    ("reply", Case.replied_at, Case.reply_due),
)
WAITING = tuple(sorted(OPEN_STATES - {Status.REPLIED}))  # open, and someone still has work on it


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def group_column(by: str) -> Any:
    if by == "unit":
        return Case.lead_unit_code
    if by == "category":
        return Case.category_code  # folded to the top of the tree in Python (portable SQL)
    if by == "channel":
        return Case.channel_code
    if by == "township":
        return Case.township_code
    return None


class CaseMetrics:
    def __init__(self, sessions: sessionmaker[Session], timezone: str = "Asia/Shanghai") -> None:
        self.sessions = sessions
        self.tz = ZoneInfo(timezone)

    def table(
        self,
        first: date,
        last: date,
        by: CaseGroup = "total",
        *,
        lang: str = "zh",
        now: datetime | None = None,
    ) -> dict[str, Any]:
        start, end = day_bounds(first, last, self.tz)
        now = now or datetime.now(UTC)
        column = group_column(by)
        rows: dict[str, dict[str, Any]] = defaultdict(lambda: {k: 0 for k in CASE_KEYS})
        total: dict[str, Any] = {k: 0 for k in CASE_KEYS}
        with self.sessions() as s:
            names = self._names(s, by, lang)
            for key, values in self._counts(s, column, start, end, now):
                name = self._fold(by, key)
                for target in (rows[name], total):
                    for k, v in values.items():
                        target[k] = target.get(k, 0) + v
        out_rows = []
        for key in sorted(rows, key=lambda k: (-rows[k]["appeals"], k)):  # ties by key, not by hash order
            out_rows.append(_finish({"key": key, "name": names.get(key, key or "—"), **rows[key]}))
        return {
            "kind": "cases",
            "by": by,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "columns": describe(CASE_KEYS, lang),
            "rows": out_rows if by != "total" else [],
            "total": _finish({"key": "total", "name": "合计" if lang == "zh" else "Total", **total}),
        }

    @staticmethod
    def _fold(by: str, key: Any) -> str:
        if by == "category":  # the top of the screening tree
            return str(key or "").split(".")[0]
        return str(key or "")

    @staticmethod
    def _names(s: Session, by: str, lang: str) -> dict[str, str]:
        zh = lang == "zh"
        if by in ("unit", "township"):
            return {c: (zh and z) or e for c, z, e in s.execute(select(Unit.code, Unit.name_zh, Unit.name_en))}
        if by == "category":
            return {
                c: (zh and z) or e for c, z, e in s.execute(select(Category.code, Category.name_zh, Category.name_en))
            }
        if by == "channel":
            return {c: (zh and z) or e for c, z, e in s.execute(select(Channel.code, Channel.name_zh, Channel.name_en))}
        return {}

    def _counts(
        self, s: Session, column: Any, start: datetime, end: datetime, now: datetime
    ) -> list[tuple[Any, dict[str, int]]]:
        """(group key, partial counts) pairs; several queries, each on indexed columns.

        The appeals received in the range and the steps done in it (four clocks) are counted in
        one pass: each under its own condition, over the rows that meet any of them (one bitmap
        of five indexes). Five queries read mostly the same rows five times: a month of a
        million-case casebook took 190 ms that way (bench/RESULTS.md, issue 6)."""
        out: list[tuple[Any, dict[str, int]]] = []
        key = column if column is not None else literal("")

        def grouped(query: Any) -> Any:
            return query.group_by(key) if column is not None else query

        def count(condition: Any) -> Any:
            return func.sum(case((condition, 1), else_=0))

        received = and_(Case.received_at >= start, Case.received_at < end)
        incident = Case.duplicate_of_id.is_(None)
        wanted = [received]
        columns = [count(received).label("appeals"), count(and_(received, ~incident)).label("dups")]
        for name, done, due in WINDOWS:
            done_in_range = and_(incident, done >= start, done < end)
            wanted.append(done_in_range)
            columns += [
                count(done_in_range).label(f"{name}_done"),
                count(and_(done_in_range, done <= due)).label(f"{name}_timely"),
            ]
        for row in s.execute(grouped(select(key.label("key"), *columns).where(or_(*wanted)))):
            counts = {"appeals": row.appeals or 0, "duplicates_merged": row.dups or 0}
            for name, _, _ in WINDOWS:
                counts[f"_{name}_done"] = row._mapping[f"{name}_done"] or 0
                counts[f"_{name}_timely"] = row._mapping[f"{name}_timely"] or 0
            out.append((row.key, counts))
        overdue = overdue_condition(now)  # the same clocks as the case list and the breach scan
        for row in s.execute(
            grouped(
                select(
                    key.label("key"),
                    func.count().label("backlog"),
                    func.sum(case((overdue, 1), else_=0)).label("overdue"),
                ).where(Case.status.in_(WAITING), incident)
            )
        ):
            out.append((row.key, {"backlog": row.backlog or 0, "overdue": row.overdue or 0}))
        out += _after_the_reply(s, key, grouped, start, end)
        return out


def _after_the_reply(
    s: Session, key: Any, grouped: Any, start: datetime, end: datetime
) -> list[tuple[Any, dict[str, int]]]:
    """The verdicts, interviews and joint sessions of the range, by group."""
    out: list[tuple[Any, dict[str, int]]] = []
    for row in s.execute(
        grouped(
            select(
                key.label("key"),
                func.count().label("verdicts"),
                func.sum(case((SatisfactionVerdict.verdict == "satisfied", 1), else_=0)).label("satisfied"),
            )
            .select_from(SatisfactionVerdict)
            .join(Case, Case.id == SatisfactionVerdict.case_id)
            .where(
                SatisfactionVerdict.at >= start,
                SatisfactionVerdict.at < end,
                SatisfactionVerdict.stage.in_(("reply", "leader")),
            )
        )
    ):
        out.append((row.key, {"verdicts": row.verdicts or 0, "_satisfied": row.satisfied or 0}))
    for model, label in ((Interview, "interviews"), (JointSession, "joint_sessions")):
        for row in s.execute(
            grouped(
                select(key.label("key"), func.count().label("n"))
                .select_from(model)
                .join(Case, Case.id == model.case_id)
                .where(model.held_at >= start, model.held_at < end)
            )
        ):
            out.append((row.key, {label: row.n or 0}))
    return out


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    """Turn the counts into rates, dropping the helper counts."""
    for name in ("register", "dispatch", "accept", "reply"):
        done, timely = row.pop(f"_{name}_done", 0), row.pop(f"_{name}_timely", 0)
        row[f"{name}_on_time"] = _rate(timely, done)
        row[f"{name}_done"] = done
    satisfied = row.pop("_satisfied", 0)
    row["satisfaction_rate"] = _rate(satisfied, row.get("verdicts", 0))
    return row
