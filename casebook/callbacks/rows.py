"""What a callback row says, and whether the call it asks for still has a purpose.

Two kinds of callback share the table and the dialler: the satisfaction question (reasons
`satisfaction` and `agent`: asked only while the case waits for the citizen's verdict) and
keep-my-place (`queue`: a caller who left a queue to be called back when an agent of that queue
is free; wanted until the case is closed, even when their message joined another case)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, or_
from sqlalchemy.orm import Session

from casebook.cases.lifecycle import Status
from casebook.db.models import Callback, Case

QUEUE = "queue"  # the reason of a keep-my-place callback
QUEUED = "queued"  # its outcome when the citizen answered and joined the queue


@dataclass(frozen=True, slots=True)
class DueCallback:
    """A claimed callback: what the calling process needs to place one attempt."""

    id: int
    case_number: str
    phone: str
    line_number: str | None
    language: str
    reason: str
    attempt: int  # 1 for the first call placed
    queue: str | None = None  # the queue a keep-my-place callback puts the citizen back into


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What one attempt came to. `result`: satisfied / unsatisfied (a verdict), or why there is
    none: busy, no-answer, rejected, failed, no-input, invalid-keys, hangup."""

    result: str
    answered: bool
    verdict: str | None = None
    call_id: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CallbackView:
    id: int
    case_number: str
    reason: str
    requested_by: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_result: str | None
    verdict: str | None
    created_at: datetime
    updated_at: datetime
    case_status: str
    queue: str | None = None


def why_not_call(s: Session, reason: str, case: Case) -> str | None:
    """None when the call still has a purpose, else the case's state (why not)."""
    if reason == QUEUE:  # a message merged into another case: the caller still waits for an agent
        return None if case.status != Status.CLOSED else str(case.status)
    return awaits_verdict(s, case)


def awaits_verdict(s: Session, case: Case) -> str | None:
    """None when the citizen's verdict is what the case waits for, else the case's state (why not)."""
    if case.status == Status.REPLIED:
        return None
    if case.status == Status.MERGED and case.satisfaction is None and case.duplicate_of_id is not None:
        master = s.get(Case, case.duplicate_of_id)
        if master is not None and master.status == Status.REPLIED:
            return None  # a duplicate's reporter answers about the master's reply
    return str(case.status)


def placeable(free: Mapping[str, int] | None) -> ColumnElement[bool]:
    """Which callbacks may be placed now: keep-my-place ones only for a queue with a free agent
    (`free`: agents free per queue; None: nobody asked, so none of them)."""
    ready = [queue for queue, n in (free or {}).items() if n > 0]
    keeps_place = and_(Callback.reason == QUEUE, Callback.queue.in_(ready)) if ready else false()
    return or_(Callback.reason != QUEUE, keeps_place)


def view(row: Callback, case: Case) -> CallbackView:
    return CallbackView(
        id=row.id,
        case_number=case.number,
        reason=row.reason,
        requested_by=row.requested_by,
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_result=row.last_result,
        verdict=row.verdict,
        created_at=row.created_at,
        updated_at=row.updated_at,
        case_status=case.status,
        queue=row.queue,
    )
