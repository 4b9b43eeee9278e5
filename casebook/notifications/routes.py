"""The bell of every page: `GET /api/v1/notifications` (the unread count and the latest), `POST
/api/v1/notifications/read`; and a unit's e-mail choice, kept by an administrator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from casebook.api.deps import ActorDep, AdminDep, ServicesDep
from casebook.cases.errors import InvalidInput, NotFound
from casebook.db.models import Unit
from casebook.notifications.schemas import Bell, NotificationOut, ReadIn, UnitMailIn, UnitMailOut
from casebook.notifications.services import Notifications

router = APIRouter(prefix="/api/v1", tags=["notifications"])


def _notifications(request: Request) -> Notifications:
    found: Notifications = request.app.state.services.notifications
    return found


def _bell(notifications: Notifications, actor: ActorDep, limit: int, unread_only: bool = False) -> Bell:
    items = notifications.latest(actor, limit=limit, unread_only=unread_only)
    return Bell(
        unread=notifications.unread(actor),
        items=[
            NotificationOut(
                id=n.id, kind=n.kind, case_number=n.case_number, detail=n.detail, at=n.at, read=n.read_at is not None
            )
            for n in items
        ],
    )


@router.get("/notifications", response_model=Bell)
def get_notifications(
    request: Request,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=0, le=100)] = 20,
    unread: bool = False,
) -> Bell:
    """The signed-in person's unread count and their latest notifications, newest first."""
    return _bell(_notifications(request), actor, limit, unread)


@router.post("/notifications/read", response_model=Bell)
def read_notifications(request: Request, actor: ActorDep, body: ReadIn) -> Bell:
    """Mark the given notifications (or all of them) read; answers with the bell as it is now."""
    notifications = _notifications(request)
    notifications.mark_read(actor, body.ids)
    return _bell(notifications, actor, 20)


@router.put("/units/{code}/mail", response_model=UnitMailOut)
def put_unit_mail(
    svc: ServicesDep, admin: AdminDep, code: Annotated[str, Path(max_length=32)], body: UnitMailIn
) -> UnitMailOut:
    """Where a unit's notifications are mailed, and whether they are."""
    with svc.book.sessions() as s:
        unit = s.get(Unit, code)
        if unit is None:
            raise NotFound(f"no unit {code!r}")
        if body.by_email and body.email is None:
            raise InvalidInput("give the address to mail the unit's notifications to")
        unit.email, unit.notify_by_email = body.email, body.by_email
        s.commit()
        return UnitMailOut(unit=unit.code, email=unit.email, by_email=unit.notify_by_email)
