"""A person's saved views of the case list: `GET/POST /api/v1/views`, `DELETE /api/v1/views/{id}`.

A view is the list page's address query (its inbox, filters and order), kept under a name of the
person's choosing. Only its owner lists or removes it; sharing a view is sharing its address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from casebook.api.deps import ActorDep, ServicesDep
from casebook.cases.errors import Conflict, InvalidInput, NotFound
from casebook.db.models import SavedView

router = APIRouter(prefix="/api/v1/views", tags=["views"])
MOST = 30


class ViewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    query: Annotated[str, StringConstraints(max_length=1000, pattern=r"^[^#\s<>]*$")] = Field(
        description="The list page's address query, without the '?' (e.g. status=dispatched&order=due)."
    )


class ViewOut(BaseModel):
    id: int
    name: str
    query: str
    created_at: datetime


def _out(view: SavedView) -> ViewOut:
    return ViewOut(id=view.id, name=view.name, query=view.query, created_at=view.created_at)


@router.get("", response_model=list[ViewOut])
def my_views(svc: ServicesDep, actor: ActorDep) -> list[ViewOut]:
    with svc.book.sessions() as s:
        views = s.scalars(select(SavedView).where(SavedView.username == actor.name).order_by(SavedView.name))
        return [_out(v) for v in views]


@router.post("", response_model=ViewOut, status_code=201)
def save_view(svc: ServicesDep, actor: ActorDep, body: ViewIn) -> ViewOut:
    """Keep the view under its name; a name taken already is refused (remove the old one first)."""
    with svc.book.sessions() as s:
        held = s.scalar(select(func.count()).where(SavedView.username == actor.name)) or 0
        if held >= MOST:
            raise InvalidInput(f"a person keeps at most {MOST} views; remove one first")
        view = SavedView(
            username=actor.name, name=body.name, query=body.query.lstrip("?"), created_at=svc.book.clock.now()
        )
        s.add(view)
        try:
            s.commit()
        except IntegrityError:
            raise Conflict(f"you have a view named {body.name!r} already") from None
        return _out(view)


@router.delete("/{view_id}", status_code=204)
def remove_view(svc: ServicesDep, actor: ActorDep, view_id: Annotated[int, Path(ge=1, le=2**31)]) -> None:
    with svc.book.sessions() as s:
        view = s.scalar(select(SavedView).where(SavedView.id == view_id, SavedView.username == actor.name))
        if view is None:
            raise NotFound(f"you have no view {view_id}")
        s.delete(view)
        s.commit()
