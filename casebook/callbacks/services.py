"""Callbacks: asking the citizen, by phone, whether the reply satisfied them (回访).

A callback is a row that waits (`due`) until its time, is claimed by the process that places
calls (`calling`), and ends `done` (a verdict), `no_verdict` (the attempts ran out: a person
follows up), `cancelled` (nothing left to ask) or `failed` (it could never be placed). Every call
placed is an attempt; an attempt that reaches nobody, or nobody who answers the question, is
retried after a delay, inside the calling hours, until the limit. So a callback is never lost:
it ends in a verdict on the case or in a case event that says a person must call.

The casebook knows nothing of telephony: the calling process claims due rows (`due`), places
the calls its own way and reports each outcome (`record`). Claims are safe with several such
processes: PostgreSQL rows are taken with `FOR UPDATE SKIP LOCKED` and every claim is a
conditional update, which also keeps SQLite (embedded mode, one writer at a time) correct.
A claim whose outcome never comes (the process died mid-call) is taken again after `lease`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casebook.auth.policy import Actor, Role, require
from casebook.callbacks.hours import CallingHours
from casebook.callbacks.hours_setting import CallbackHours
from casebook.callbacks.rows import QUEUE, QUEUED, placeable, why_not_call
from casebook.callbacks.rows import CallbackView as CallbackView
from casebook.callbacks.rows import CallOutcome as CallOutcome
from casebook.callbacks.rows import DueCallback as DueCallback
from casebook.callbacks.rows import view as _view
from casebook.cases.errors import CasebookError, Conflict, InvalidInput, InvalidTransition, NotFound
from casebook.cases.lifecycle import Status
from casebook.cases.notices import CaseNotice
from casebook.cases.queries import check_visible
from casebook.cases.services import CaseBook
from casebook.db.models import Callback, Caller, Case, CaseEvent
from common.listeners import Listeners

log = logging.getLogger(__name__)

CALLBACK_ACTOR = Actor("callback", Role.SYSTEM)
MAX_RESULT = 200


class CallbackState(StrEnum):
    DUE = "due"
    CALLING = "calling"
    DONE = "done"
    NO_VERDICT = "no_verdict"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE = (CallbackState.DUE.value, CallbackState.CALLING.value)
VERDICTS = ("satisfied", "unsatisfied")


@dataclass(frozen=True, slots=True)
class CallbackPolicy:
    """How callbacks are paced (from the settings; the defaults are the settings' defaults)."""

    hours: CallingHours
    retry_delay: timedelta = timedelta(minutes=30)
    max_attempts: int = 3
    lease: timedelta = timedelta(minutes=15)  # longer than ringing plus the whole dialog
    enabled: bool = True

    @classmethod
    def default(cls, timezone: str = "Asia/Shanghai") -> CallbackPolicy:
        return cls(CallingHours.parse("09:00-20:00", timezone))


Listener = Callable[[CaseNotice], None]


class CallbackService:
    def __init__(self, book: CaseBook, policy: CallbackPolicy | None = None) -> None:
        self.book = book
        self.sessions = book.sessions
        self.clock = book.clock
        self.policy = policy or CallbackPolicy.default(str(book.tz))
        self.hours = CallbackHours(book.sessions, self.policy.hours, book.clock)  # an administrator's, or these
        self.listeners: Listeners[CaseNotice] = Listeners("the callbacks", lambda n: f"{n.kind} of case {n.number}")

    # --- notices ----------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self.listeners.add(listener)

    def _notify(self, notice: CaseNotice) -> None:
        self.listeners.tell(notice)

    def on_case_notice(self, notice: CaseNotice) -> None:
        """The casebook's listener: a reply recorded schedules a satisfaction callback; a case
        closed or merged cancels its waiting ones at once (not only when their time comes)."""
        if notice.kind in ("case.closed", "case.merged"):
            # a caller keeping their place still waits for an agent when their message joined another case
            keep_places = notice.kind == "case.merged"
            self.cancel_waiting(notice.number, f"case {notice.status}: nothing left to ask", keep_places=keep_places)
        elif notice.kind == "case.replied" and self.policy.enabled:
            self.schedule(notice.number, CALLBACK_ACTOR, reason="satisfaction")

    def cancel_waiting(self, number: str, why: str, *, keep_places: bool = False) -> int:
        """Cancel the case's callbacks that wait for their time (one being placed finishes);
        `keep_places`: not the keep-my-place ones."""
        now = self.clock.now()
        with self.sessions() as s:
            waiting = (Case.number == number) & (Callback.state == CallbackState.DUE.value)
            if keep_places:
                waiting &= Callback.reason != QUEUE
            rows = s.scalars(select(Callback).join(Case).where(waiting).with_for_update(of=Callback)).all()
            for row in rows:
                self._end(s, row, CallbackState.CANCELLED, now, why)
            s.commit()
        return len(rows)

    # --- scheduling -------------------------------------------------------------------------------
    def request(self, number: str, actor: Actor) -> CallbackView:
        """An agent's one click: call the citizen as soon as the calling hours allow.

        A callback already waiting is brought forward instead of doubled; one ringing now is a
        conflict (the citizen is being asked at this moment). The checks come in the casebook's
        one order: the case, whether the actor may see it, the role, then the rest."""
        view = self.schedule(number, actor, reason="agent", visible_to=actor)
        if view is None:  # pragma: no cover - schedule raises for a request with a reason to refuse
            raise InvalidInput(f"case {number} cannot be called back")
        return view

    def keep_place(self, number: str, queue: str, actor: Actor) -> CallbackView | None:
        """A caller who pressed 2 while waiting in `queue`: call them back when an agent of that
        queue is free (their message is case `number`). None: there is no number to call."""
        return self.schedule(number, actor, reason=QUEUE, queue=queue)

    def schedule(
        self, number: str, actor: Actor, *, reason: str, visible_to: Actor | None = None, queue: str | None = None
    ) -> CallbackView | None:
        """A callback of this case, due at the next calling hour. Automatic requests (no
        `visible_to`) return None where there is nobody to call; an agent's request raises why.
        `queue`: the queue a keep-my-place callback (reason `queue`) keeps the caller's place in."""
        now = self.clock.now()
        strict = visible_to is not None
        with self.sessions() as s:
            case = s.scalar(select(Case).where(Case.number == number).with_for_update())
            if case is None:
                raise NotFound(f"no case {number}")
            if visible_to is not None:
                check_visible(s, case, visible_to)
                require(visible_to, "callback")
                if not self.policy.enabled:
                    raise Conflict("callbacks are switched off here (HOTLINE_CALLBACK_ENABLED=false)")
            phone = s.scalar(select(Caller.phone).where(Caller.id == case.caller_id)) if case.caller_id else None
            if not phone:
                if strict:
                    raise InvalidInput(f"case {number} has no caller phone number to call back")
                log.info("case %s has no phone number: no satisfaction callback", number)
                return None
            waiting = why_not_call(s, reason, case)
            if waiting is not None:
                if strict:
                    raise InvalidTransition(f"case {number} is {waiting}: there is no reply to ask the citizen about")
                return None
            active = s.scalar(select(Callback).where(Callback.case_id == case.id, Callback.state.in_(ACTIVE)))
            if active is not None:
                if active.state == CallbackState.CALLING:
                    if strict:
                        raise Conflict(f"callback {active.id} of case {number} is being placed right now")
                    return _view(active, case)
                if strict:  # an agent asks for it now: bring the waiting one forward
                    active.next_attempt_at = min(active.next_attempt_at, self.hours.current().next_opening(now))
                    active.updated_at = now
                    s.commit()
                return _view(active, case)
            row = self._new_callback(s, case, actor, reason, now, queue)
            try:
                s.commit()
            except IntegrityError:  # another process scheduled one at the same moment
                s.rollback()
                again = s.scalar(select(Callback).where(Callback.case_id == case.id, Callback.state.in_(ACTIVE)))
                if again is None:
                    raise
                return _view(again, case)
            view = _view(row, case)
        self._notify(
            CaseNotice(
                "callback.scheduled",
                number,
                view.case_status,
                {"callback": view.id, "reason": reason, "due": view.next_attempt_at.isoformat()},
            )
        )
        return view

    def _new_callback(
        self, s: Session, case: Case, actor: Actor, reason: str, now: datetime, queue: str | None
    ) -> Callback:
        """A callback due at the next calling hour, and its line in the case's history."""
        row = Callback(
            case_id=case.id,
            reason=reason,
            queue=queue,
            requested_by=actor.name[:64],
            state=CallbackState.DUE.value,
            attempts=0,
            next_attempt_at=self.hours.current().next_opening(now),
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        s.flush()
        s.add(
            CaseEvent(
                case_id=case.id,
                at=now,
                actor=actor.name[:64],
                kind="callback_scheduled",
                reason="",
                detail={
                    "callback": row.id,
                    "reason": reason,
                    "due": row.next_attempt_at.isoformat(),
                    **({"queue": queue} if queue else {}),
                },
            )
        )
        return row

    def schedule_missed(self, *, within: timedelta = timedelta(days=1), limit: int = 200) -> int:
        """Replies whose callback was never scheduled (the reply was made in a process that does
        not listen, or the listener failed): schedule them now. Returns how many."""
        if not self.policy.enabled:
            return 0
        now = self.clock.now()
        with self.sessions() as s:
            scheduled_since_reply = (
                select(Callback.id).where(Callback.case_id == Case.id, Callback.created_at >= Case.replied_at).exists()
            )
            numbers = list(
                s.scalars(
                    select(Case.number)
                    .where(
                        Case.status == Status.REPLIED.value,
                        Case.replied_at >= now - within,
                        Case.caller_id.is_not(None),
                        ~scheduled_since_reply,
                    )
                    .order_by(Case.id)
                    .limit(limit)
                )
            )
        made = 0
        for number in numbers:
            try:
                made += self.schedule(number, CALLBACK_ACTOR, reason="satisfaction") is not None
            except CasebookError as exc:
                log.warning("could not schedule the callback of case %s: %s", number, exc)
        return made

    # --- placing ----------------------------------------------------------------------------------
    def due(
        self, limit: int, *, now: datetime | None = None, free: Mapping[str, int] | None = None
    ) -> list[DueCallback]:
        """Claim up to `limit` callbacks whose time has come (state calling, one more attempt).

        Callbacks outside the calling hours are moved to the next opening; callbacks whose case
        no longer awaits a verdict (closed by hand, a verdict given another way) are cancelled.
        Keep-my-place callbacks are claimed only for queues with a free agent, at most one per
        free agent (`free`: queue -> agents free now), oldest first: the caller's place."""
        now = now or self.clock.now()
        if limit <= 0:
            return []
        claimed: list[DueCallback] = []
        notices: list[CaseNotice] = []
        places = dict(free or {})
        with self.sessions() as s:
            for row in self._due_rows(s, limit, now, free):
                if row.reason == QUEUE:
                    if places.get(row.queue or "", 0) <= 0:
                        continue  # another one of this queue takes its free agent first
                    places[row.queue or ""] -= 1
                seen_state, seen_at = row.state, row.updated_at
                case = s.get(Case, row.case_id)
                phone = s.scalar(select(Caller.phone).where(Caller.id == case.caller_id)) if case else None
                if case is None or not phone:
                    self._end(s, row, CallbackState.FAILED, now, "no phone number to call")
                    continue
                if seen_state == CallbackState.CALLING:
                    log.warning("callback %s: its call never reported back; counted as an attempt", row.id)
                    row.last_result = "lost: the calling process stopped during the call"
                    if row.attempts >= self.policy.max_attempts:
                        notices.append(self._give_up(s, row, case, now))
                        continue
                waiting = why_not_call(s, row.reason, case)
                if waiting is not None:
                    self._end(s, row, CallbackState.CANCELLED, now, f"case is {waiting}: nothing left to ask")
                    continue
                opening = self.hours.current().next_opening(now)
                if opening != now:
                    row.state, row.next_attempt_at, row.updated_at = CallbackState.DUE.value, opening, now
                    continue
                if _claim(s, row.id, seen_state, seen_at, now):
                    claimed.append(
                        DueCallback(
                            row.id,
                            case.number,
                            phone,
                            case.line_number,
                            case.language,
                            row.reason,
                            row.attempts + 1,
                            row.queue,
                        )
                    )
            s.commit()
        for notice in notices:
            self._notify(notice)
        return claimed

    def _due_rows(self, s: Session, limit: int, now: datetime, free: Mapping[str, int] | None) -> Sequence[Callback]:
        """Callbacks whose time has come, and those a process took and never reported back on
        (its lease ran out), locked for this claim (other processes skip them)."""
        return s.scalars(
            select(Callback)
            .where(
                placeable(free),
                or_(
                    and_(Callback.state == CallbackState.DUE.value, Callback.next_attempt_at <= now),
                    and_(Callback.state == CallbackState.CALLING.value, Callback.updated_at < now - self.policy.lease),
                ),
            )
            .order_by(Callback.next_attempt_at, Callback.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()

    def record(self, callback_id: int, outcome: CallOutcome) -> CallbackView:
        """The outcome of the attempt in progress: a verdict goes on the case (an unsatisfied one
        reopens it); anything else is retried later, or ends in `no_verdict` at the limit."""
        now = self.clock.now()
        result = f"{outcome.result}: {outcome.detail}" if outcome.detail else outcome.result
        with self.sessions() as s:
            row = s.scalar(select(Callback).where(Callback.id == callback_id).with_for_update())
            if row is None:
                raise NotFound(f"no callback {callback_id}")
            case = s.get(Case, row.case_id)
            assert case is not None  # a foreign key
            number = case.number
            if row.state != CallbackState.CALLING:
                log.warning("callback %s is %s: a late outcome (%s) is ignored", row.id, row.state, outcome.result)
                return _view(row, case)
            verdict = outcome.verdict if outcome.verdict in VERDICTS else None
            if row.reason == QUEUE and outcome.result == QUEUED:  # the citizen is back in the queue
                self._end(s, row, CallbackState.DONE, now, result)
                row.last_call_id = (outcome.call_id or "")[:64] or None
                s.commit()
                return _view(row, case)
        if verdict is not None:
            return self._record_verdict(callback_id, number, verdict, outcome, result, now)
        notice: CaseNotice | None = None
        with self.sessions() as s:
            row = s.scalar(select(Callback).where(Callback.id == callback_id).with_for_update())
            assert row is not None
            case = s.get(Case, row.case_id)
            assert case is not None
            row.last_result = result[:MAX_RESULT]
            row.last_call_id = (outcome.call_id or "")[:64] or None
            if row.attempts >= self.policy.max_attempts:
                notice = self._give_up(s, row, case, now)
            else:
                row.state = CallbackState.DUE.value
                row.next_attempt_at = self.hours.current().next_opening(now + self.policy.retry_delay)
                row.updated_at = now
            s.commit()
            view = _view(row, case)
        if notice is not None:
            self._notify(notice)
        return view

    def _record_verdict(
        self, callback_id: int, number: str, verdict: str, outcome: CallOutcome, result: str, now: datetime
    ) -> CallbackView:
        """The citizen keyed a verdict: it goes on the case, and the callback is done (a verdict the
        case no longer takes, closed meanwhile, is kept on the callback and said in the case's log)."""
        applied = ""
        try:
            self.book.record_satisfaction(
                number,
                CALLBACK_ACTOR,
                satisfied=verdict == "satisfied",
                source="callback",
                comment=f"keyed on callback {callback_id}",
            )
        except (InvalidTransition, InvalidInput) as exc:
            applied = f"; not applied to the case: {exc}"
            log.warning("callback %s: the verdict was not applied to case %s: %s", callback_id, number, exc)
        with self.sessions() as s:
            row = s.scalar(select(Callback).where(Callback.id == callback_id).with_for_update())
            assert row is not None
            row.verdict = verdict
            row.last_call_id = (outcome.call_id or "")[:64] or None
            self._end(s, row, CallbackState.DONE, now, (result + applied)[:MAX_RESULT])
            if applied:
                s.add(
                    CaseEvent(
                        case_id=row.case_id,
                        at=now,
                        actor=CALLBACK_ACTOR.name,
                        kind="callback_verdict_unapplied",
                        reason=applied[2:][:MAX_RESULT],
                        detail={"callback": row.id, "verdict": verdict},
                    )
                )
            s.commit()
            return self._view_of(s, row)

    # --- reading ----------------------------------------------------------------------------------
    def of_case(self, number: str, actor: Actor) -> list[CallbackView]:
        with self.sessions() as s:
            case = s.scalar(select(Case).where(Case.number == number))
            if case is None:
                raise NotFound(f"no case {number}")
            check_visible(s, case, actor)
            rows = s.scalars(select(Callback).where(Callback.case_id == case.id).order_by(Callback.id))
            return [_view(row, case) for row in rows]

    def get(self, callback_id: int) -> CallbackView:
        with self.sessions() as s:
            row = s.get(Callback, callback_id)
            if row is None:
                raise NotFound(f"no callback {callback_id}")
            return self._view_of(s, row)

    def counts(self) -> dict[str, int]:
        """How many callbacks wait and ring now (for /status)."""
        with self.sessions() as s:
            rows = s.execute(
                select(Callback.state, func.count()).where(Callback.state.in_(ACTIVE)).group_by(Callback.state)
            ).all()
        return {state: 0 for state in ACTIVE} | {str(state): int(n) for state, n in rows}

    # --- helpers ----------------------------------------------------------------------------------
    def _end(self, s: Session, row: Callback, state: CallbackState, now: datetime, result: str) -> None:
        row.state, row.updated_at, row.last_result = state.value, now, result[:MAX_RESULT]

    def _give_up(self, s: Session, row: Callback, case: Case, now: datetime) -> CaseNotice:
        """The attempts ran out: say so on the case, for a person to call."""
        row.state, row.updated_at = CallbackState.NO_VERDICT.value, now
        reason = f"no verdict after {row.attempts} call(s); last: {row.last_result or 'unknown'}"[:MAX_RESULT]
        s.add(
            CaseEvent(
                case_id=case.id,
                at=now,
                actor=CALLBACK_ACTOR.name,
                kind="callback_no_verdict",
                reason=reason,
                detail={"callback": row.id, "attempts": row.attempts},
            )
        )
        return CaseNotice("callback.given_up", case.number, case.status, {"callback": row.id, "attempts": row.attempts})

    def _view_of(self, s: Session, row: Callback) -> CallbackView:
        case = s.get(Case, row.case_id)
        assert case is not None
        return _view(row, case)


def _claim(s: Session, callback_id: int, seen_state: str, seen_at: datetime, now: datetime) -> bool:
    """Take the callback for one more attempt, unless another process took it first (a conditional
    update: SQLite has no row locks)."""
    taken: CursorResult[Any] = s.execute(  # type: ignore[assignment]
        update(Callback)
        .where(Callback.id == callback_id, Callback.state == seen_state, Callback.updated_at == seen_at)
        .values(state=CallbackState.CALLING.value, attempts=Callback.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount == 1)
