"""Making the reports (HTML with the figures and their formulas, PDF with WeasyPrint) and keeping
them: one per kind and period, made again on request."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from casebook.cases.errors import InvalidInput
from casebook.clock import Clock, SystemClock
from casebook.db.models import Channel, Report
from casebook.reports import figures as fig

STAGES = {
    "reply": "答复后 after the reply",
    "interview": "约谈后 after the interview",
    "leader": "领导协调后 after the leader",
}


@dataclass(frozen=True, slots=True)
class MadeReport:
    kind: str
    period_start: datetime
    period_end: datetime
    html: str
    pdf_path: str | None
    figures: dict[str, Any]


class ReportService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        reports_dir: Path,
        *,
        timezone: str = "Asia/Shanghai",
        clock: Clock | None = None,
    ) -> None:
        self.sessions = sessions
        self.reports_dir = reports_dir
        self.tz = ZoneInfo(timezone)
        self.clock = clock or SystemClock()
        self.env = Environment(
            loader=PackageLoader("casebook.reports", "templates"), autoescape=select_autoescape(["html"])
        )
        self.env.globals.update(case_href=case_href, cases_href=cases_href)

    # --- periods, in the center's time zone ----------------------------------------------------------
    def month_bounds(self, month: str) -> tuple[datetime, datetime]:
        try:
            year, number = (int(p) for p in month.split("-"))
            if not 2000 <= year <= 2999:
                raise ValueError
            first = datetime(year, number, 1, tzinfo=self.tz)
        except (ValueError, TypeError):
            raise InvalidInput("month is YYYY-MM") from None
        days = calendar.monthrange(year, number)[1]
        return first, first + timedelta(days=days)

    def week_bounds(self, monday: date) -> tuple[datetime, datetime]:
        """The week before the given Monday (the leader takes it on that Monday afternoon)."""
        if monday.weekday() != 0:
            raise InvalidInput("the leader-duty report is for a Monday (YYYY-MM-DD)")
        if not 2000 <= monday.year <= 2999:
            raise InvalidInput("the Monday must be between the years 2000 and 2999")
        end = datetime(monday.year, monday.month, monday.day, tzinfo=self.tz)
        return end - timedelta(days=7), end

    # --- making --------------------------------------------------------------------------------------
    def monthly(self, month: str, *, pdf: bool = True) -> MadeReport:
        start, end = self.month_bounds(month)
        with self.sessions() as s:
            figures = fig.monthly(s, start, end).as_dict()
            channels = dict(s.execute(select(Channel.code, Channel.name_zh)).all())
        days = {"from": start.date().isoformat(), "to": (end - timedelta(days=1)).date().isoformat()}
        html = self._render("monthly.html", f=figures, label=f"{start:%Y年%m月}", channels=channels, days=days)
        return self._keep("monthly", start, end, html, figures, pdf)

    def leader_duty(self, monday: date, *, pdf: bool = True) -> MadeReport:
        start, end = self.week_bounds(monday)
        with self.sessions() as s:
            figures = fig.leader_duty(s, start, end).as_dict()
        html = self._render("leader_duty.html", f=figures, stages=STAGES)
        return self._keep("leader-duty", start, end, html, figures, pdf)

    def _render(self, template: str, **context: Any) -> str:
        generated = self.clock.now().astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        return self.env.get_template(template).render(generated=generated, pct=_pct, **context)

    def _keep(
        self, kind: str, start: datetime, end: datetime, html: str, figures: dict[str, Any], pdf: bool
    ) -> MadeReport:
        pdf_path: str | None = None
        if pdf:
            from weasyprint import HTML  # heavy: imported when a PDF is wanted

            self.reports_dir.mkdir(parents=True, exist_ok=True)
            target = self.reports_dir / f"{kind}-{start:%Y-%m-%d}.pdf"
            tmp = target.with_suffix(".part")
            HTML(string=html).write_pdf(str(tmp))
            tmp.replace(target)
            pdf_path = str(target)
        with self.sessions() as s:
            row = s.scalar(select(Report).where(Report.kind == kind, Report.period_start == start))
            if row is None:
                row = Report(kind=kind, period_start=start)
                s.add(row)
            row.period_end, row.html, row.pdf_path, row.figures = end, html, pdf_path, figures
            row.created_at = self.clock.now()
            s.commit()
        return MadeReport(kind, start, end, html, pdf_path, figures)

    # --- the schedule ---------------------------------------------------------------------------------
    def due(self) -> list[tuple[str, str]]:
        """Reports that should exist by now and do not: last Monday's duty list (from Monday
        08:00) and last month's report (from the 1st, 08:00)."""
        now = self.clock.now().astimezone(self.tz)
        wanted: list[tuple[str, str]] = []
        monday = (now - timedelta(days=now.weekday())).date()
        if now.weekday() > 0 or now.hour >= 8:
            wanted.append(("leader-duty", monday.isoformat()))
        first = now.replace(day=1)
        if now.day > 1 or now.hour >= 8:
            previous = (first - timedelta(days=1)).strftime("%Y-%m")
            wanted.append(("monthly", previous))
        missing = []
        with self.sessions() as s:
            for kind, period in wanted:
                start = (
                    self.week_bounds(date.fromisoformat(period))[0]
                    if kind == "leader-duty"
                    else self.month_bounds(period)[0]
                )
                if s.scalar(select(Report.id).where(Report.kind == kind, Report.period_start == start)) is None:
                    missing.append((kind, period))
        return missing

    def make_due(self) -> list[MadeReport]:
        made = []
        for kind, period in self.due():
            made.append(self.leader_duty(date.fromisoformat(period)) if kind == "leader-duty" else self.monthly(period))
        return made


# Links to the case workspace: a case's page, and the case list with filters (the names the list
# reads from its address, hotline/features/casework/static/cases.js), every case the reader may see.
# Root-relative: the page showing the report makes them its own address's (the dashboard gives the
# report a <base>); a PDF shows them as text (no address of the platform is known here).
def case_href(number: str) -> str:
    return "/cases/" + quote(number)


def cases_href(*groups: dict[str, str], **filters: str) -> str:
    asked = {"inbox": "all"}
    for group in (*groups, filters):
        asked.update({name: value for name, value in group.items() if value})
    return "/cases?" + urlencode(asked)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
