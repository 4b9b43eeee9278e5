"""`/api/v1/routing/models`: the learnt routing model's versions (administrators).

- `GET`: the versions, newest first, each with its evaluation (the dev and test splits: the lead
  unit's accuracy, the share dispatched without a person above its threshold and how many of
  those were right);
- `POST`: train a new version now (a few seconds: the corpus and every registration made by people);
  it becomes active if it routes the test split at least as well as the active one;
- `POST /{id}/activate`: make a version active; `POST /rollback`: the previous one again.
Every process takes the active version within half a minute.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel

from casebook.api.deps import AdminDep, ServicesDep

router = APIRouter(prefix="/api/v1/routing/models", tags=["routing"])
ModelId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class ModelOut(BaseModel):
    id: int
    created_at: datetime
    created_by: str
    examples: int
    from_registrations: int
    threshold: float
    active: bool
    activated_at: datetime | None
    evaluation: dict[str, Any]
    note: str


@router.get("", response_model=list[ModelOut])
def versions(svc: ServicesDep, actor: AdminDep) -> list[ModelOut]:
    return [ModelOut(**asdict(v)) for v in svc.book.models.versions()]


@router.post("", response_model=ModelOut, status_code=201)
def train_now(svc: ServicesDep, actor: AdminDep) -> ModelOut:
    """Train a new version from the corpus and every registration made by people."""
    view = svc.book.models.train(actor.name)
    svc.book.reload_directory()  # this process screens with it at once
    return ModelOut(**asdict(view))


@router.post("/rollback", response_model=ModelOut)
def rollback(svc: ServicesDep, actor: AdminDep) -> ModelOut:
    """The version active before the active one, active again."""
    view = svc.book.models.rollback(actor.name)
    svc.book.reload_directory()
    return ModelOut(**asdict(view))


@router.post("/{model_id}/activate", response_model=ModelOut)
def activate(svc: ServicesDep, actor: AdminDep, model_id: ModelId) -> ModelOut:
    view = svc.book.models.activate(model_id, actor.name)
    svc.book.reload_directory()
    return ModelOut(**asdict(view))
