"""`/api/v1/metrics/...`: the managers' figures as JSON, CSV or XLSX, for supervisors, leaders
and administrators.

- `calls?from=2026-11-01&to=2026-11-30&by=queue&threshold_s=20`: by total, line, queue, agent,
  hour, day;
- `cases?from=...&to=...&by=unit`: by total, unit, category, channel, township;
- `opinion?day=2026-11-27`: hot topics of the week ending on that day and the township table;
- `surges?window_h=24`: categories, townships and places rising suddenly now.
Dates are days of the center's clock; a range is at most 400 days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse, Response

from casebook.api.deps import ServicesDep, allowed
from casebook.auth.policy import Actor
from casebook.metrics.calls import CallMetrics
from casebook.metrics.cases import CaseMetrics
from casebook.metrics.export import XLSX, to_csv, to_xlsx
from casebook.metrics.opinion import Opinion, SurgeRule, week_table

router = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])
Reader = Annotated[Actor, Depends(allowed("reports"))]
Lang = Annotated[Literal["zh", "en"], Query(description="labels and formulas in Chinese or English")]
Format = Annotated[Literal["json", "csv", "xlsx"], Query()]
MAX_DAYS = 400


EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)  # what a casebook can hold, with room


def _range(svc: ServicesDep, first: date | None, last: date | None) -> tuple[date, date]:
    today = datetime.now(UTC).astimezone(svc.book.tz).date()
    last = last or today
    first = first or last
    for day in (first, last):
        if not EARLIEST <= day <= LATEST:
            raise HTTPException(422, f"{day} is not a day the figures cover: ask for days from {EARLIEST} to {LATEST}")
    if first > last:
        raise HTTPException(422, f"the range starts ({first}) after it ends ({last})")
    if (last - first).days >= MAX_DAYS:
        raise HTTPException(
            422,
            f"a range is at most {MAX_DAYS} days; ask for {first} to {first + timedelta(days=MAX_DAYS - 1)} or less",
        )
    return first, last


def _answer(table: dict[str, Any], fmt: str) -> Response:
    name = f"{table['kind']}-{table['by']}-{table['from']}-{table['to']}"
    if fmt == "csv":
        return Response(
            to_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "xlsx":
        return Response(
            to_xlsx(table), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'}
        )
    return JSONResponse(table)


@router.get("/clock")
def clock(svc: ServicesDep, actor: Reader) -> dict[str, str]:
    """The center's time zone and today's date there: the days every range is made of (pages use
    it, so that a browser on another clock still asks for the center's today)."""
    now = datetime.now(UTC).astimezone(svc.book.tz)
    return {"timezone": str(svc.book.tz), "today": now.date().isoformat(), "now": now.isoformat()}


@router.get("/calls", responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def call_metrics(
    svc: ServicesDep,
    actor: Reader,
    first: Annotated[date | None, Query(alias="from", description="first day (default: today)")] = None,
    last: Annotated[date | None, Query(alias="to", description="last day, included (default: today)")] = None,
    by: Literal["total", "line", "queue", "agent", "hour", "day"] = "total",
    threshold_s: Annotated[float, Query(gt=0, le=3600, description="service level threshold T")] = 20.0,
    lang: Lang = "zh",
    format: Format = "json",
) -> Response:
    """Offered, answered, abandoned, ASA, AHT, service level, occupancy... from the call log."""
    first, last = _range(svc, first, last)
    metrics = CallMetrics(svc.book.sessions, str(svc.book.tz))
    return _answer(metrics.table(first, last, by, threshold_s=threshold_s, lang=lang), format)


@router.get("/cases", responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def case_metrics(
    svc: ServicesDep,
    actor: Reader,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
    by: Literal["total", "unit", "category", "channel", "township"] = "total",
    lang: Lang = "zh",
    format: Format = "json",
) -> Response:
    """On-time rates of the one-hour windows and the handling deadline, backlog, overdue,
    satisfaction, interviews, joint sessions, duplicates merged."""
    first, last = _range(svc, first, last)
    return _answer(CaseMetrics(svc.book.sessions, str(svc.book.tz)).table(first, last, by, lang=lang), format)


@router.get("/opinion", responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def opinion(
    svc: ServicesDep,
    actor: Reader,
    day: Annotated[date | None, Query(description="the week's last day (default: today)")] = None,
    lang: Lang = "zh",
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    table: Annotated[Literal["topic", "township"], Query(description="which table a CSV/XLSX holds")] = "topic",
    format: Format = "json",
) -> Response:
    """Hot topics of the week against the week before, and the township table (JSON: both;
    CSV/XLSX: the one named by `table`)."""
    _, day = _range(svc, day, day)
    week = Opinion(svc.book.sessions, str(svc.book.tz)).week(day, lang=lang, limit=limit)
    if format == "json":
        return JSONResponse(week)
    return _answer(week_table(week, table, lang), format)


@router.get("/surges")
def surges(
    svc: ServicesDep,
    actor: Reader,
    window_h: Annotated[float, Query(gt=0, le=168)] = 24.0,
    min_count: Annotated[int, Query(ge=2, le=10_000)] = 5,
    factor: Annotated[float, Query(ge=1, le=100)] = 3.0,
    lang: Lang = "zh",
) -> list[dict[str, Any]]:
    """Sudden rises of a category, township or place across channels (the alert)."""
    rule = SurgeRule(window_h=window_h, min_count=min_count, factor=factor)
    return Opinion(svc.book.sessions, str(svc.book.tz)).surges(rule=rule, lang=lang)
