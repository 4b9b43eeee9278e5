"""The figures of the reports, each computed from stored facts with a stated formula.

Monthly (for a period [start, end)):
- appeals accepted: cases received in the period (every citizen's appeal, duplicates included);
  incidents: those not merged into another case;
- on-time rate of a window: among cases (not duplicates) whose step was done in the period, the
  share done by its deadline (registered by register_due, dispatched by dispatch_due, accepted by accept_due,
  replied by reply_due);
- satisfaction rate: satisfied verdicts on replies given in the period / all such verdicts;
- interviews: interviews held in the period; batches: distinct days with interviews held;
- joint handling sessions: sessions held in the period.

Leader duty (the week before the Monday): every appeal whose citizen was still unsatisfied
(a verdict "unsatisfied" given in the week, or the case waiting for the leader now), classified
by category and by lead unit, with the leader's decision when there is one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casebook.cases.lifecycle import Status
from casebook.db.models import (
    Case,
    Category,
    Interview,
    JointSession,
    LeaderDecision,
    SatisfactionVerdict,
    Unit,
)

WINDOWS = (
    ("register", Case.registered_at, Case.register_due),
    ("dispatch", Case.dispatched_at, Case.dispatch_due),
    ("accept", Case.accepted_at, Case.accept_due),
    ("reply", Case.replied_at, Case.reply_due),
)


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class MonthlyFigures:
    start: datetime
    end: datetime
    appeals: int = 0
    incidents: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_unit: dict[str, int] = field(default_factory=dict)
    on_time: dict[str, dict[str, Any]] = field(default_factory=dict)
    verdicts: int = 0
    satisfied: int = 0
    satisfaction_rate: float | None = None
    interviews: int = 0
    interview_batches: int = 0
    interview_satisfaction_rate: float | None = None
    joint_sessions: int = 0
    duplicates_merged: int = 0
    # the code behind each name of by_category and by_unit: the case list's filter ("none": not screened)
    codes: dict[str, dict[str, str]] = field(default_factory=lambda: {"category": {}, "unit": {}})

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        return data


def monthly(s: Session, start: datetime, end: datetime) -> MonthlyFigures:
    figures = MonthlyFigures(start, end)
    in_period = (Case.received_at >= start, Case.received_at < end)
    figures.appeals = s.scalar(select(func.count()).select_from(Case).where(*in_period)) or 0
    figures.duplicates_merged = (
        s.scalar(select(func.count()).select_from(Case).where(*in_period, Case.duplicate_of_id.is_not(None))) or 0
    )
    figures.incidents = figures.appeals - figures.duplicates_merged
    figures.by_channel = dict(
        s.execute(select(Case.channel_code, func.count()).where(*in_period).group_by(Case.channel_code)).all()
    )
    names = dict(s.execute(select(Category.code, Category.name_zh)).all())
    categories: Counter[str] = Counter()
    for code, count in s.execute(
        select(Case.category_code, func.count()).where(*in_period).group_by(Case.category_code)
    ).all():
        top = (code or "unscreened").split(".")[0]
        categories[names.get(top, top)] += count
        figures.codes["category"][names.get(top, top)] = top if code else "none"
    figures.by_category = dict(categories.most_common())
    units = dict(s.execute(select(Unit.code, Unit.name_zh)).all())
    for code, count in s.execute(
        select(Case.lead_unit_code, func.count())
        .where(*in_period, Case.duplicate_of_id.is_(None), Case.lead_unit_code.is_not(None))
        .group_by(Case.lead_unit_code)
        .order_by(func.count().desc())
    ).all():
        name = units.get(code or "", code or "—")
        figures.by_unit[name] = count
        figures.codes["unit"][name] = code or ""
    handled = Case.duplicate_of_id.is_(None)  # a duplicate follows its master's clocks
    for name, done, due in WINDOWS:
        total = s.scalar(select(func.count()).select_from(Case).where(handled, done >= start, done < end)) or 0
        timely = (
            s.scalar(select(func.count()).select_from(Case).where(handled, done >= start, done < end, done <= due)) or 0
        )
        figures.on_time[name] = {"done": total, "on_time": timely, "rate": _rate(timely, total)}
    _after_the_reply(s, start, end, figures)
    return figures


def _after_the_reply(s: Session, start: datetime, end: datetime, figures: MonthlyFigures) -> None:
    """The citizens' verdicts, the interviews and the joint sessions of the month."""
    verdicts = s.execute(
        select(SatisfactionVerdict.verdict, func.count())
        .where(
            SatisfactionVerdict.at >= start,
            SatisfactionVerdict.at < end,
            SatisfactionVerdict.stage.in_(("reply", "leader")),
        )
        .group_by(SatisfactionVerdict.verdict)
    ).all()
    counts = dict(verdicts)
    figures.satisfied = counts.get("satisfied", 0)
    figures.verdicts = sum(counts.values())
    figures.satisfaction_rate = _rate(figures.satisfied, figures.verdicts)
    held = s.execute(
        select(Interview.held_at, Interview.satisfied).where(Interview.held_at >= start, Interview.held_at < end)
    ).all()
    figures.interviews = len(held)
    figures.interview_batches = len({at.astimezone(start.tzinfo).date() for at, _ in held if at is not None})
    figures.interview_satisfaction_rate = _rate(sum(1 for _, ok in held if ok), len(held))
    figures.joint_sessions = (
        s.scalar(
            select(func.count())
            .select_from(JointSession)
            .where(JointSession.held_at >= start, JointSession.held_at < end)
        )
        or 0
    )


@dataclass
class DutyItem:
    number: str
    category: str
    unit: str
    status: str
    description: str
    unsatisfied_at: str
    stage: str
    decision: str | None
    deadline: str | None


@dataclass
class LeaderDutyFigures:
    week_start: datetime
    week_end: datetime
    items: list[DutyItem] = field(default_factory=list)
    by_category: dict[str, int] = field(default_factory=dict)
    by_unit: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "week_start": self.week_start.isoformat(),
            "week_end": self.week_end.isoformat(),
            "items": [item.__dict__ for item in self.items],
            "by_category": self.by_category,
            "by_unit": self.by_unit,
        }


def leader_duty(s: Session, week_start: datetime, week_end: datetime) -> LeaderDutyFigures:
    """Times in the items are in the time zone of `week_start` (the center's)."""
    tz = week_start.tzinfo
    figures = LeaderDutyFigures(week_start, week_end)
    names = dict(s.execute(select(Category.code, Category.name_zh)).all())
    units = dict(s.execute(select(Unit.code, Unit.name_zh)).all())
    latest = (
        select(SatisfactionVerdict.case_id, func.max(SatisfactionVerdict.at).label("at"))
        .where(
            SatisfactionVerdict.verdict == "unsatisfied",
            SatisfactionVerdict.at >= week_start,
            SatisfactionVerdict.at < week_end,
        )
        .group_by(SatisfactionVerdict.case_id)
        .subquery()
    )
    unsatisfied = dict(s.execute(select(latest.c.case_id, latest.c.at)).all())
    waiting = set(s.scalars(select(Case.id).where(Case.status == Status.LEADER_REVIEW, Case.updated_at < week_end)))
    ids = set(unsatisfied) | waiting
    cases = s.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.number)).all() if ids else []
    for case in cases:
        stage = (
            s.scalar(
                select(SatisfactionVerdict.stage)
                .where(SatisfactionVerdict.case_id == case.id, SatisfactionVerdict.verdict == "unsatisfied")
                .order_by(SatisfactionVerdict.at.desc())
                .limit(1)
            )
            or "interview"
        )
        decision = s.scalar(
            select(LeaderDecision)
            .where(LeaderDecision.case_id == case.id)
            .order_by(LeaderDecision.decided_at.desc())
            .limit(1)
        )
        top = (case.category_code or "general").split(".")[0]
        item = DutyItem(
            number=case.number,
            category=names.get(top, top),
            unit=units.get(case.lead_unit_code or "", "—"),
            status=case.status,
            description=case.description[:120],
            unsatisfied_at=(unsatisfied.get(case.id) or case.updated_at).astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            stage=stage,
            decision=decision.decision if decision else None,
            deadline=decision.deadline.astimezone(tz).strftime("%Y-%m-%d %H:%M") if decision else None,
        )
        figures.items.append(item)
    figures.by_category = dict(Counter(i.category for i in figures.items).most_common())
    figures.by_unit = dict(Counter(i.unit for i in figures.items).most_common())
    return figures
