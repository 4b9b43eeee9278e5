"""Reports on demand: `/api/v1/reports/monthly/2026-11` and `/api/v1/reports/leader-duty/2026-11-30`
(as HTML, PDF or the figures in JSON). Supervisors, leaders and administrators."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from casebook.api.deps import ServicesDep, allowed
from casebook.auth.policy import Actor
from casebook.reports.services import MadeReport

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
Reader = Annotated[Actor, Depends(allowed("reports"))]
Format = Literal["html", "pdf", "json"]


def _answer(report: MadeReport, fmt: Format) -> Response:
    if fmt == "json":
        return JSONResponse(report.figures)
    if fmt == "pdf" and report.pdf_path:
        return FileResponse(
            report.pdf_path, media_type="application/pdf", filename=f"{report.kind}-{report.period_start:%Y-%m-%d}.pdf"
        )
    return HTMLResponse(report.html)


@router.get(
    "/monthly/{month}", response_class=Response, responses={200: {"content": {"text/html": {}, "application/pdf": {}}}}
)
def monthly(
    svc: ServicesDep,
    actor: Reader,
    month: Annotated[str, Path(pattern=r"^\d{4}-\d{2}$")],
    format: Annotated[Format, Query()] = "html",
) -> Response:
    """The monthly report: appeals accepted, interviews, joint handling sessions, satisfaction
    rate, on-time rate of each window, with the formulas."""
    return _answer(svc.reports.monthly(month, pdf=format == "pdf"), format)


@router.get(
    "/leader-duty/{monday}",
    response_class=Response,
    responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
)
def leader_duty(svc: ServicesDep, actor: Reader, monday: date, format: Annotated[Format, Query()] = "html") -> Response:
    """The Monday leader-duty report: the past week's appeals whose citizens are still unsatisfied,
    classified by category and unit, with the leader's decisions."""
    return _answer(svc.reports.leader_duty(monday, pdf=format == "pdf"), format)
