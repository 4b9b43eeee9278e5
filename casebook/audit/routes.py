"""The audit log for administrators: newest first, filtered, and exported as CSV."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from casebook.api.deps import PeopleAdminDep
from casebook.audit.services import AuditLog, Filters
from casebook.cases.schemas import Moment

router = APIRouter(prefix="/api/v1", tags=["audit"])


class EntryOut(BaseModel):
    id: int
    at: datetime
    actor: str
    role: str | None
    address: str | None
    action: str
    target: str | None
    outcome: int
    asked: dict[str, Any] | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class EntriesOut(BaseModel):
    entries: list[EntryOut]
    next_before_id: int | None  # the next page: ?before_id=<this>


def _log(request: Request) -> AuditLog:
    found = request.app.state.services.audit
    assert isinstance(found, AuditLog)
    return found


@router.get("/audit", response_model=EntriesOut)
def audit_entries(
    request: Request,
    actor: PeopleAdminDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    who: Annotated[str | None, Query(alias="actor", max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=120)] = None,
    target: Annotated[str | None, Query(max_length=200)] = None,
    since: Moment | None = None,
    until: Moment | None = None,
    before_id: Annotated[int | None, Query(ge=1, lt=2**31)] = None,
) -> EntriesOut:
    """Who changed what, newest first; `actor`, `action` (a part of the route), `target` (its
    start: `case:`, `user:li`), `since`/`until`; the next page with `before_id`."""
    filters = Filters(actor=who, action=action, target=target, since=since, until=until, before_id=before_id)
    entries = _log(request).entries(filters, limit=limit)
    return EntriesOut(
        entries=[EntryOut.model_validate(e, from_attributes=True) for e in entries],
        next_before_id=entries[-1].id if len(entries) == limit else None,
    )


@router.get("/audit.csv", response_class=StreamingResponse)
def audit_export(
    request: Request,
    actor: PeopleAdminDep,
    who: Annotated[str | None, Query(alias="actor", max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=120)] = None,
    target: Annotated[str | None, Query(max_length=200)] = None,
    since: Moment | None = None,
    until: Moment | None = None,
) -> StreamingResponse:
    """The matching entries as CSV (UTF-8 with a byte-order mark, for spreadsheet programs)."""
    filters = Filters(actor=who, action=action, target=target, since=since, until=until)
    return StreamingResponse(
        _log(request).csv_lines(filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
