"""Who is told what, and the bell's reading of it.

The casebook's notices become notifications, one row per person who must know:
- a case dispatched: the handlers of its lead and co-handling units;
- a clock 15 minutes from running out (`warn_due_soon`, a job every minute): the lead unit's
  handlers for accept and reply, the center's intake agents and supervisors for register and
  dispatch; once per case, clock and deadline;
- a citizen not satisfied: the supervisors; a case on the leader's duty: the leaders;
- more time asked: the supervisors; the answer: the lead unit's handlers.
A unit that gave an e-mail address and asked for it also gets each of its own as an e-mail,
through the outbox (senders.py), in the same transaction as the notifications.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from casebook.auth.policy import Actor, Role
from casebook.cases.clocks import RUNNING
from casebook.cases.notices import CaseNotice
from casebook.clock import Clock
from casebook.db.models import Case, Notification, OutboxMessage, Unit, User
from casebook.notifications.words import mail_text

WARN_BEFORE = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a notification is for: the active people of some roles, or of some units."""

    roles: tuple[Role, ...] = ()
    units: tuple[str, ...] = ()


def _audiences(notice: CaseNotice) -> list[tuple[str, Audience]]:
    """Who is told of a notice, and as what. The unit that leads a case is told whenever the case
    comes back to it to handle again: the citizen not satisfied, a reopening, a leader's decision."""
    data = notice.data
    lead = data.get("lead")
    back = [("back_to_unit", Audience(units=(str(lead),)))] if lead else []
    if notice.kind == "case.dispatched":
        units = tuple(u for u in (data.get("lead"), *(data.get("co_units") or ())) if u)
        return [("dispatched", Audience(units=units))]
    if notice.kind == "case.reopened" and data.get("verdict") == "unsatisfied":
        return [("unsatisfied", Audience(roles=(Role.SUPERVISOR,))), *back]
    if notice.kind == "case.reopened":
        return back
    if notice.kind == "case.leader_decision" and lead:
        return [("leader_decision", Audience(units=(str(lead),)))]
    if notice.kind == "case.to_leader":
        return [("leader_duty", Audience(roles=(Role.LEADER, Role.SUPERVISOR)))]
    if notice.kind == "case.extension_asked":
        return [("extension_asked", Audience(roles=(Role.SUPERVISOR,)))]
    if notice.kind == "case.extension_decided" and data.get("unit"):
        return [("extension_decided", Audience(units=(data["unit"],)))]
    return []


class Notifications:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, *, public_url: str = "", timezone: str = "Asia/Shanghai"
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.public_url = public_url.rstrip("/")
        self.tz = ZoneInfo(timezone)

    # --- what happens ---------------------------------------------------------------------------
    def on_notice(self, notice: CaseNotice) -> None:
        """A listener of the case book: the notice's people are told (and their units mailed)."""
        told = _audiences(notice)
        if not told:
            return
        detail = {k: v for k, v in notice.data.items() if isinstance(v, str | int | float | bool | list)}
        with self.sessions() as s:
            for kind, audience in told:
                self._tell(s, audience, kind, notice.number, detail, dedupe=None)
            s.commit()

    def warn_due_soon(self, *, limit: int = 2000) -> int:
        """Tell of every clock that runs out within 15 minutes, once per case, clock and deadline."""
        now = self.clock.now()
        told = 0
        with self.sessions() as s:
            for clock, due, states in RUNNING:
                cases = s.execute(
                    select(Case.number, due, Case.lead_unit_code)
                    .where(Case.status.in_([st.value for st in states]), due > now, due <= now + WARN_BEFORE)
                    .order_by(due)
                    .limit(limit)
                ).all()
                for number, due_at, lead in cases:
                    center = clock in ("register", "dispatch")
                    if due_at is None or (lead is None and not center):
                        continue
                    staff = Audience(roles=(Role.INTAKE_AGENT, Role.SUPERVISOR))
                    audience = staff if center else Audience(units=(str(lead),))
                    at = due_at.isoformat()
                    told += self._tell(
                        s, audience, "due_soon", number, {"clock": clock, "due_at": at}, dedupe=f"{clock}:{at}"
                    )
            s.commit()
        return told

    def _tell(
        self, s: Session, audience: Audience, kind: str, number: str, detail: dict[str, Any], *, dedupe: str | None
    ) -> int:
        people = _people(s, audience)
        if not people:
            return 0
        now = self.clock.now()
        rows = [
            {
                "username": name,
                "kind": kind,
                "case_number": number,
                "detail": detail,
                "at": now,
                "read_at": None,
                "dedupe": f"{kind}:{number}:{dedupe}" if dedupe else None,
            }
            for name in people
        ]
        insert = pg_insert if s.bind is not None and s.bind.dialect.name == "postgresql" else sqlite_insert
        statement = insert(Notification).values(rows).on_conflict_do_nothing().returning(Notification.id)
        told = len(s.execute(statement).all())
        if told and audience.units:
            self._mail_units(s, audience.units, kind, number, detail, now)
        return told

    def _mail_units(
        self, s: Session, units: Iterable[str], kind: str, number: str, detail: dict[str, Any], now: datetime
    ) -> None:
        for unit in s.scalars(select(Unit).where(Unit.code.in_(list(units)), Unit.notify_by_email)):
            if not unit.email:
                continue
            due = detail.get("due_at")
            due_text = datetime.fromisoformat(due).astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if due else ""
            subject, body = mail_text(kind, number, due_text, unit.name_zh, unit.name_en, self.public_url, detail)
            s.add(
                OutboxMessage(
                    channel="email", address=unit.email, subject=subject, body=body, created_at=now, next_try_at=now
                )
            )

    # --- the bell ---------------------------------------------------------------------------------
    def unread(self, actor: Actor) -> int:
        with self.sessions() as s:
            return int(
                s.scalar(
                    select(func.count()).where(Notification.username == actor.name, Notification.read_at.is_(None))
                )
                or 0
            )

    def latest(self, actor: Actor, *, limit: int = 20, unread_only: bool = False) -> list[Notification]:
        with self.sessions() as s:
            query = select(Notification).where(Notification.username == actor.name)
            if unread_only:
                query = query.where(Notification.read_at.is_(None))
            return list(s.scalars(query.order_by(Notification.id.desc()).limit(limit)))

    def mark_read(self, actor: Actor, ids: Iterable[int] | None = None) -> int:
        """Mark these (or all) of the person's notifications read; returns how many are left unread."""
        with self.sessions() as s:
            query = update(Notification).where(Notification.username == actor.name, Notification.read_at.is_(None))
            if ids is not None:
                query = query.where(Notification.id.in_(list(ids)))
            s.execute(query.values(read_at=self.clock.now()))
            s.commit()
        return self.unread(actor)


def _people(s: Session, audience: Audience) -> list[str]:
    query = select(User.username).where(User.active)
    if audience.units:
        query = query.where(User.role == Role.UNIT_HANDLER.value, User.unit_code.in_(list(audience.units)))
    else:
        query = query.where(User.role.in_([r.value for r in audience.roles]))
    return list(s.scalars(query.order_by(User.username)))
