"""`/api/v1/lines`: the center's lines as the admin page edits them (administrators).

- `GET`: the lines in force, whether an administrator set them (else the installation's lines
  file), and whether Asterisk has taken them yet (`in_asterisk`: the telephony process sets it
  once the greetings are spoken and the dialplan and queues reloaded, within seconds);
- `PUT`: the whole set of lines (a page edits one and sends them all: one check, one change);
- `DELETE`: back to the installation's lines file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from casebook.api.deps import AdminDep
from casebook.api.problems import NO_TELEPHONY, Refusal
from hotline.features.lines.store import LineStore
from ivr.lines import LineBook, LineProfile, QueueRules

router = APIRouter(prefix="/api/v1/lines", tags=["lines"])


class LinesOut(BaseModel):
    lines: list[LineProfile]
    queues: dict[str, QueueRules] = Field(description="Per queue: wrap-up and the reasons an agent may pause.")
    set_by_administrator: bool = Field(description="false: the installation's lines file (HOTLINE_LINES_FILE).")
    updated_at: datetime | None
    updated_by: str | None
    in_asterisk: bool = Field(description="Asterisk answers these numbers with these greetings now.")
    applied_at: datetime | None = Field(description="When Asterisk last took the lines.")


def _store(request: Request) -> LineStore:
    store: LineStore | None = getattr(request.app.state, "line_store", None)
    if store is None:  # pragma: no cover - every platform process builds it
        raise Refusal(503, "the lines are kept by the platform process (hotline serve)", NO_TELEPHONY)
    return store


def _out(store: LineStore) -> LinesOut:
    stored = store.read()
    return LinesOut(
        lines=stored.book.lines,
        queues={queue: stored.book.rules(queue) for queue in stored.book.queues},
        set_by_administrator=stored.set_by_administrator,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
        in_asterisk=stored.in_asterisk,
        applied_at=stored.applied_at,
    )


def _book(book: LineBook) -> dict[str, Any]:
    """The lines by number, as the audit log compares them (one line changed, one entry)."""
    return {line.number: line.model_dump(mode="json", exclude={"channel", "number"}) for line in book.lines}


@router.get("", response_model=LinesOut)
def lines(request: Request, actor: AdminDep) -> LinesOut:
    return _out(_store(request))


@router.put("", response_model=LinesOut)
def set_lines(request: Request, actor: AdminDep, body: LineBook) -> LinesOut:
    """The center's lines: numbers, greetings, hours, default queues. Callers of a new number are
    answered within seconds; calls in progress keep the line they dialled."""
    store = _store(request)
    before = store.current()
    if "queue_rules" not in body.model_fields_set:  # the page edits lines only: the queues' rules stay
        body = body.model_copy(update={"queue_rules": dict(before.queue_rules)})
    store.save(body, actor.name)
    request.state.audit = {"target": "setting:lines", "before": _book(before), "after": _book(body)}
    return _out(store)


@router.delete("", response_model=LinesOut)
def forget_lines(request: Request, actor: AdminDep) -> LinesOut:
    """Back to the installation's lines file."""
    store = _store(request)
    before = store.current()
    after = store.forget(actor.name)
    request.state.audit = {"target": "setting:lines", "before": _book(before), "after": _book(after)}
    return _out(store)
