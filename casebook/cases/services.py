"""The actions on cases: every step of the appeals lifecycle, with its clocks and its event.

One order, one transaction per action, in one unit of work (`acting`, casebook/cases/part.py):
find the case and lock it, refusing a case the actor may not see as a missing one; the role
(`require`); the state (`lifecycle`); the change and its event (who, when, what, why); commit;
notify. Errors are `CasebookError`s (4xx with an id).
The book's other parts: intake.py, screening.py, calls.py, merging.py, escalation.py,
transcribing.py, attachments.py, extensions.py,
directory_cache.py, recordings.py. The center's windows ("3个一"): registered,
dispatched and accepted within 1 h each; the deadline (`reply_due`) comes from routing or the dispatcher.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from casebook.auth.policy import Actor
from casebook.cases.attachments import Attaching, AttachmentStore
from casebook.cases.calls import Calls
from casebook.cases.directory_cache import Directory, DirectoryCaches
from casebook.cases.errors import InvalidInput, InvalidTransition, NotFound
from casebook.cases.escalation import Escalation
from casebook.cases.extensions import Extending
from casebook.cases.intake import MAX_DESCRIPTION, WINDOW, Intake, jsonable
from casebook.cases.lifecycle import Action, Status, next_status
from casebook.cases.merging import Merging
from casebook.cases.notices import CaseNotice
from casebook.cases.queries import check_visible
from casebook.cases.recordings import RecordingStore
from casebook.cases.screening import AutomaticScreening
from casebook.cases.transcribing import Transcribing
from casebook.classify.learning import RoutingModels
from casebook.classify.screener import Screener
from casebook.clock import Clock, SystemClock
from casebook.conversations.services import ConversationBook
from casebook.db.models import (
    Assignment,
    Case,
    CaseEvent,
    Reply,
    SatisfactionVerdict,
)
from casebook.duplicates.finder import OpenCaseIndex
from casebook.routing import Route, RuleView, route
from casebook.routing import deadline_hours as policy_hours
from common.listeners import Listeners

log = logging.getLogger(__name__)

URGENCIES = ("normal", "urgent", "critical")


Listener = Callable[[CaseNotice], None]


def _named(notice: CaseNotice) -> str:
    return f"{notice.kind} of case {notice.number}"


class CaseBook(Intake, AutomaticScreening, Calls, Escalation, Merging, Transcribing, Attaching, Extending):
    """The casebook's service layer (synchronous; the API runs it in its thread pool)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Clock | None = None,
        timezone: str = "Asia/Shanghai",
        recordings_dir: Path | None = None,
        attachments_dir: Path | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()
        self.tz = ZoneInfo(timezone)
        self.recordings_dir = recordings_dir or Path(".hotline/recordings")
        self.recordings = RecordingStore(self.recordings_dir)
        self.attachments = AttachmentStore(attachments_dir or self.recordings_dir.parent / "attachments")
        self.conversations = ConversationBook(sessions, self.clock, self.recordings_dir / "conversations")
        self.listeners: Listeners[CaseNotice] = Listeners("the casebook", _named)
        self._lock = threading.RLock()
        self.caches = DirectoryCaches(sessions, self._lock)
        # the learnt routing model's versions (casebook/classify/learning.py): the screener uses the active one
        self.models = RoutingModels(sessions, self.clock, self.caches.lexicon, self.caches.rules)
        self.caches.models = self.models
        self._index: OpenCaseIndex | None = None
        self._index_max_id = 0

    # --- notifier -------------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self.listeners.add(listener)

    def _notify(self, notices: Iterable[CaseNotice]) -> None:
        for notice in notices:
            self.listeners.tell(notice)

    # --- the directory, the lexicon and the routing rules, cached (casebook/cases/directory_cache.py)
    def reload_directory(self) -> None:
        """Forget cached rules, deadlines and lexicon (after the directory was edited)."""
        self.caches.reload()

    def directory(self) -> Directory:
        return self.caches.directory()

    def classifier(self) -> Screener:
        return self.caches.classifier()

    def _routing(self, s: Session) -> tuple[list[RuleView], dict[tuple[str, str], float]]:
        return self.caches.routing(s)

    def suggest_route(self, s: Session, case: Case) -> Route | None:
        rules, policies = self._routing(s)
        if not case.category_code:
            return None
        return route(rules, policies, category=case.category_code, township=case.township_code, urgency=case.urgency)

    def route_for(self, category: str, place: str | None = None, urgency: str = "normal") -> Route | None:
        """Where the routing rules send a case of this category at this place, before it is
        registered: the register form shows it, and says it again when the category or place changes."""
        directory = self.directory()
        if category not in directory.categories:
            raise InvalidInput(f"unknown category {category!r}")
        if place is not None and place not in directory.places:
            raise InvalidInput(f"unknown place {place!r}")
        with self.sessions() as s:
            rules, policies = self._routing(s)
        township = directory.places[place] if place else None
        return route(rules, policies, category=category, township=township, urgency=urgency)

    # --- reading ---------------------------------------------------------------------------------------
    def aware(self, at: datetime) -> datetime:
        """A time without a zone is the center's local time (Asia/Shanghai by default)."""
        return at.replace(tzinfo=self.tz) if at.tzinfo is None else at

    def _case_for_update(self, s: Session, number: str, actor: Actor | None = None) -> Case:
        """The case, locked; for an action by `actor`, only if they may see it (a unit handler
        whose unit has no share gets "no case", as for a number that does not exist), before
        any check of their role or of the case's state could tell them what it is."""
        case = s.scalar(select(Case).where(Case.number == number).with_for_update())
        if case is None:
            raise NotFound(f"no case {number}")
        if actor is not None:
            check_visible(s, case, actor)
        return case

    def get(self, s: Session, number: str) -> Case:
        case = s.scalar(select(Case).where(Case.number == number))
        if case is None:
            raise NotFound(f"no case {number}")
        return case

    # --- helpers ---------------------------------------------------------------------------------------
    def _event(self, s: Session, case: Case, actor: Actor, kind: str, reason: str = "", **detail: Any) -> None:
        s.add(
            CaseEvent(
                case_id=case.id,
                at=self.clock.now(),
                actor=actor.name,
                kind=kind,
                reason=reason,
                detail=jsonable(detail),
            )
        )

    def _move(self, s: Session, case: Case, action: Action, actor: Actor, reason: str = "", **detail: Any) -> str:
        before = case.status
        case.status = next_status(case.status, action).value
        case.updated_at = self.clock.now()
        self._event(s, case, actor, action.value, reason, status_from=before, status_to=case.status, **detail)
        return before

    def _unit(self, s: Session, code: str) -> None:
        if code not in self.directory().units:
            raise InvalidInput(f"unknown handling unit {code!r}")

    # --- the lifecycle ----------------------------------------------------------------------------------
    def register(
        self,
        number: str,
        actor: Actor,
        *,
        category: str,
        place: str | None = None,
        urgency: str | None = None,
        description: str | None = None,
        reason: str = "",
    ) -> Case:
        """Type screening done (录入, 筛选诉求类型): the case has a category."""
        with self.acting(number, actor, "register") as a:
            self._register(
                a.s,
                a.case,
                actor,
                category=category,
                place=place,
                urgency=urgency,
                description=description,
                reason=reason,
            )
            a.reindex = True
            a.tell("case.registered", category=category)
        return a.case

    def _register(
        self,
        s: Session,
        case: Case,
        actor: Actor,
        *,
        category: str,
        place: str | None = None,
        urgency: str | None = None,
        description: str | None = None,
        reason: str = "",
    ) -> None:
        next_status(case.status, Action.REGISTER)
        directory = self.directory()
        if category not in directory.categories:
            raise InvalidInput(f"unknown category {category!r}")
        if place is not None:
            if place not in directory.places:
                raise InvalidInput(f"unknown place {place!r}")
            case.place_code, case.township_code = place, directory.places[place]
        if urgency is not None:
            if urgency not in URGENCIES:
                raise InvalidInput(f"urgency must be one of {', '.join(URGENCIES)}")
            case.urgency = urgency
        if description is not None:
            if len(description) > MAX_DESCRIPTION:
                raise InvalidInput(f"description is longer than {MAX_DESCRIPTION} characters")
            case.description = description
        first = case.registered_at is None
        self._move(
            s, case, Action.REGISTER, actor, reason, category=category, place=case.place_code, urgency=case.urgency
        )
        case.category_code = category
        case.needs_intake = False
        if first:
            now = self.clock.now()
            case.registered_at = now
            case.dispatch_due = now + WINDOW

    def dispatch(
        self,
        number: str,
        actor: Actor,
        *,
        lead: str | None = None,
        co_units: Iterable[str] = (),
        deadline_hours: float | None = None,
        reply_due: datetime | None = None,
        reason: str = "",
    ) -> Case:
        """Transfer to the lead unit and co-handling units with a handling deadline (发函转办)."""
        with self.acting(number, actor, "dispatch") as a:
            co = self._dispatch(
                a.s,
                a.case,
                actor,
                lead=lead,
                co_units=co_units,
                deadline_hours=deadline_hours,
                reply_due=reply_due,
                reason=reason,
            )
            a.tell("case.dispatched", lead=a.case.lead_unit_code, co_units=co)
        return a.case

    def _dispatch(
        self,
        s: Session,
        case: Case,
        actor: Actor,
        *,
        lead: str | None,
        co_units: Iterable[str],
        deadline_hours: float | None,
        reply_due: datetime | None,
        reason: str,
    ) -> list[str]:
        next_status(case.status, Action.DISPATCH)
        if lead is None:
            suggested = self.suggest_route(s, case)
            if suggested is None:
                raise InvalidInput("no lead unit given and no routing rule matches this case")
            lead, co_units = suggested.lead, suggested.co_units
            deadline_hours = deadline_hours if deadline_hours is not None else suggested.deadline_hours
        units = self.directory().units
        co = [c for c in dict.fromkeys(co_units) if c != lead]
        for unit in (lead, *co):
            if unit not in units:
                raise InvalidInput(f"unknown handling unit {unit!r}")
        now = self.clock.now()
        if reply_due is None:
            if deadline_hours is None:
                _rules, policies = self._routing(s)
                deadline_hours = policy_hours(policies, case.category_code or "general", case.urgency)
            if deadline_hours <= 0:
                raise InvalidInput("the handling deadline must be in the future")
            reply_due = now + timedelta(hours=deadline_hours)
        elif reply_due <= now:
            raise InvalidInput("the handling deadline must be in the future")
        self._move(s, case, Action.DISPATCH, actor, reason, lead=lead, co_units=co, reply_due=reply_due)
        round_no = 1
        if case.dispatched_at is not None:  # dispatched before: a new round replaces the old one
            round_no = (s.scalar(select(func.max(Assignment.round)).where(Assignment.case_id == case.id)) or 0) + 1
            for old in s.scalars(select(Assignment).where(Assignment.case_id == case.id, Assignment.active)):
                old.active = False
        s.add(Assignment(case_id=case.id, unit_code=lead, role="lead", round=round_no, active=True, dispatched_at=now))
        for unit in co:
            s.add(
                Assignment(case_id=case.id, unit_code=unit, role="co", round=round_no, active=True, dispatched_at=now)
            )
        case.lead_unit_code, case.lead_section_code = lead, None
        if case.dispatched_at is None:
            case.dispatched_at = now
        else:
            case.accepted_at = None
        case.accept_due = now + WINDOW
        case.reply_due = reply_due
        case.replied_at = None
        return co

    def return_case(self, number: str, actor: Actor, *, reason: str) -> Case:
        """The lead unit says the case is not theirs (退回): back to the center, which re-dispatches
        within the hour."""
        if not reason.strip():
            raise InvalidInput("a return needs a reason")
        with self.acting(number, actor, "return") as a:
            case = a.case
            self._move(a.s, case, Action.RETURN, actor, reason, unit=case.lead_unit_code)
            for assignment in a.s.scalars(select(Assignment).where(Assignment.case_id == case.id, Assignment.active)):
                assignment.active = False
            case.lead_unit_code = None
            case.dispatch_due = self.clock.now() + WINDOW
            a.tell("case.returned", reason=reason)
        return a.case

    def accept(self, number: str, actor: Actor, *, section: str, reason: str = "") -> Case:
        """The lead unit names the responsible section (责任科室) that handles it."""
        with self.acting(number, actor, "accept") as a:
            case = a.case
            next_status(case.status, Action.ACCEPT)
            if (case.lead_unit_code, section) not in self.directory().sections:
                raise InvalidInput(f"unit {case.lead_unit_code} has no section {section!r}")
            self._move(a.s, case, Action.ACCEPT, actor, reason, unit=case.lead_unit_code, section=section)
            now = self.clock.now()
            case.lead_section_code = section
            case.accepted_at = now
            lead = a.s.scalar(
                select(Assignment).where(Assignment.case_id == case.id, Assignment.active, Assignment.role == "lead")
            )
            if lead is not None:
                lead.accepted_at, lead.section_code = now, section
            a.tell("case.accepted", section=section)
        return a.case

    def reply(self, number: str, actor: Actor, *, text: str) -> Case:
        """The answer to the citizen (回复); every reporter of a master case receives it."""
        if not text.strip():
            raise InvalidInput("a reply needs its text")
        if len(text) > MAX_DESCRIPTION:
            raise InvalidInput(f"a reply is at most {MAX_DESCRIPTION} characters")
        with self.acting(number, actor, "reply") as a:
            self._move(a.s, a.case, Action.REPLY, actor, unit=a.case.lead_unit_code)
            a.notices += self._record_reply(a.s, a.case, actor, text, joint=False)
        return a.case

    def _record_reply(self, s: Session, case: Case, actor: Actor, text: str, *, joint: bool) -> list[CaseNotice]:
        now = self.clock.now()
        case.replied_at = now
        reply = Reply(case_id=case.id, unit_code=case.lead_unit_code, author=actor.name, text=text, joint=joint, at=now)
        s.add(reply)
        s.flush()
        notices = [CaseNotice("case.replied", case.number, case.status, {"reply_id": reply.id, "joint": joint})]
        for duplicate in s.scalars(select(Case).where(Case.duplicate_of_id == case.id)):
            s.add(
                Reply(
                    case_id=duplicate.id,
                    unit_code=case.lead_unit_code,
                    author=actor.name,
                    text=text,
                    joint=joint,
                    via_master_id=case.id,
                    at=now,
                )
            )
            duplicate.replied_at, duplicate.updated_at = now, now
            self._event(s, duplicate, actor, "reply_delivered", master=case.number)
            notices.append(
                CaseNotice(
                    "case.replied", duplicate.number, duplicate.status, {"via_master": case.number, "joint": joint}
                )
            )
        return notices

    def record_satisfaction(
        self, number: str, actor: Actor, *, satisfied: bool, source: str = "agent", comment: str = ""
    ) -> Case:
        """The citizen's verdict on the reply (满意度). Unsatisfied reopens the case on the ladder."""
        verdict = "satisfied" if satisfied else "unsatisfied"
        with self.acting(number, actor, "satisfaction") as a:
            s, case = a.s, a.case
            stage = "leader" if case.leader_due is not None else "reply"
            if case.status == Status.MERGED:
                # a duplicate's reporter answers about the master's reply
                master = s.get(Case, case.duplicate_of_id) if case.duplicate_of_id else None
                if master is None or master.replied_at is None:
                    raise InvalidTransition("this appeal follows its master case, which has no reply yet")
                self._event(s, case, actor, "satisfaction", verdict=verdict, master=master.number)
            else:
                master = None
                action = Action.SATISFIED if satisfied else Action.UNSATISFIED
                next_status(case.status, action)  # refuse early, before any change
            s.add(
                SatisfactionVerdict(
                    case_id=case.id, verdict=verdict, stage=stage, source=source, comment=comment, at=self.clock.now()
                )
            )
            case.satisfaction = verdict
            if master is not None:
                if not satisfied and master.status == Status.REPLIED:
                    master = self._case_for_update(s, master.number)
                    self._unsatisfied(s, master, actor, f"a reporter of duplicate {case.number} is not satisfied")
                    notice = {"verdict": "unsatisfied", "lead": master.lead_unit_code}
                    a.notices.append(CaseNotice("case.reopened", master.number, master.status, notice))
            elif satisfied:
                self._move(s, case, action, actor, comment, source=source)
                case.closed_at = self.clock.now()
                a.tell("case.closed", verdict=verdict)
            else:
                self._unsatisfied(s, case, actor, comment, source=source)
                a.tell("case.reopened", verdict=verdict, lead=case.lead_unit_code)
        return a.case

    def _unsatisfied(self, s: Session, case: Case, actor: Actor, reason: str, **detail: Any) -> None:
        self._move(s, case, Action.UNSATISFIED, actor, reason, **detail)
        case.reopened_count += 1
        case.satisfaction = "unsatisfied"

    def close(self, number: str, actor: Actor, *, reason: str) -> Case:
        if not reason.strip():
            raise InvalidInput("closing needs a reason")
        with self.acting(number, actor, "close") as a:
            self._move(a.s, a.case, Action.CLOSE, actor, reason)
            a.case.closed_at = self.clock.now()
            a.reindex = True
            a.tell("case.closed", reason=reason)
        return a.case

    def reopen(self, number: str, actor: Actor, *, reason: str) -> Case:
        if not reason.strip():
            raise InvalidInput("reopening needs a reason")
        with self.acting(number, actor, "reopen") as a:
            self._move(a.s, a.case, Action.REOPEN, actor, reason)
            a.case.reopened_count += 1
            a.case.closed_at = None
            a.tell("case.reopened", reason=reason, lead=a.case.lead_unit_code)
        return a.case
