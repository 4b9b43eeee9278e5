"""After an unsatisfied citizen: the face-to-face interview (约谈), the county leader's Monday
duty decision (限期协调解决), and the joint session of several units (会商会办).

A mixin of `CaseBook` (casebook/cases/services.py), split out along its own seam: the seed's
escalation path, which begins where the ordinary lifecycle (dispatch, accept, reply, verdict)
leaves a citizen still unsatisfied, or where a case spans units.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.auth.policy import Actor, Role
from casebook.cases.errors import InvalidInput, InvalidTransition
from casebook.cases.lifecycle import Action, Status, next_status
from casebook.cases.notices import CaseNotice
from casebook.cases.part import BookPart
from casebook.db.models import Assignment, Case, Interview, JointSession, LeaderDecision, Reply, SatisfactionVerdict


class Escalation(BookPart):
    """Needs of the book (given by `CaseBook`): sessions, clock, the event log, moves, the notifier,
    the reply and the dispatch of the lifecycle."""

    def schedule_interview(
        self, number: str, actor: Actor, *, unit: str | None = None, at: datetime, location: str = ""
    ) -> Interview:
        """Arrange a face-to-face meeting (约谈) with the unsatisfied citizen."""
        at = self.aware(at)
        if at < self.clock.now() - timedelta(days=7):
            raise InvalidInput("an interview is arranged for now or later (at most a week back, to record one held)")
        with self.acting(number, actor, "schedule_interview") as a:
            unit_code = unit or a.case.lead_unit_code
            if unit_code is None:
                raise InvalidInput("name the unit that meets the citizen")
            self._unit(a.s, unit_code)
            self._move(a.s, a.case, Action.SCHEDULE_INTERVIEW, actor, unit=unit_code, at=at, location=location)
            interview = Interview(
                case_id=a.case.id, unit_code=unit_code, scheduled_at=at, location=location, created_at=self.clock.now()
            )
            a.s.add(interview)
            a.s.flush()
            a.tell("case.interview_scheduled", unit=unit_code)
        return interview

    def record_interview(self, number: str, actor: Actor, *, satisfied: bool, notes: str = "") -> Case:
        """The meeting was held; the citizen's verdict closes the case or sends it to the leader."""
        with self.acting(number, actor, "record_interview") as a:
            s, case = a.s, a.case
            interview = s.scalar(
                select(Interview)
                .where(Interview.case_id == case.id, Interview.held_at.is_(None))
                .order_by(Interview.id.desc())
            )
            action = Action.INTERVIEW_SATISFIED if satisfied else Action.INTERVIEW_UNSATISFIED
            self._move(s, case, action, actor, notes)
            now = self.clock.now()
            if interview is not None:
                interview.held_at, interview.satisfied, interview.notes = now, satisfied, notes
            verdict = "satisfied" if satisfied else "unsatisfied"
            s.add(
                SatisfactionVerdict(
                    case_id=case.id, verdict=verdict, stage="interview", source="interview", comment=notes, at=now
                )
            )
            case.satisfaction = verdict
            if satisfied:
                case.closed_at = now
            a.tell("case.closed" if satisfied else "case.to_leader", stage="interview")
        return case

    def leader_decision(
        self,
        number: str,
        actor: Actor,
        *,
        decision: str,
        deadline: datetime,
        units: Iterable[str] = (),
    ) -> Case:
        """The county leader on Monday duty convenes the units and sets a deadline (限期协调解决)."""
        if not decision.strip():
            raise InvalidInput("a decision needs its text")
        deadline = self.aware(deadline)
        now = self.clock.now()
        if deadline <= now:
            raise InvalidInput("the leader's deadline must be in the future")
        unit_list = list(dict.fromkeys(units))
        with self.acting(number, actor, "leader_decision") as a:
            s, case = a.s, a.case
            for unit in unit_list:
                self._unit(s, unit)
            s.add(
                LeaderDecision(
                    case_id=case.id,
                    leader=actor.name,
                    decision=decision,
                    deadline=deadline,
                    units=unit_list,
                    decided_at=now,
                )
            )
            new_lead = bool(unit_list) and unit_list[0] != case.lead_unit_code
            case.leader_due = deadline
            if new_lead:
                next_status(case.status, Action.DISPATCH)
            else:
                self._move(s, case, Action.LEADER_DECISION, actor, decision, deadline=deadline)
                case.reply_due = deadline
                case.replied_at = None
                a.tell("case.leader_decision", deadline=deadline, lead=case.lead_unit_code)
        if not new_lead:
            return case
        # the leader names another lead: a new round of dispatch with the leader's deadline
        case = self.dispatch(
            number,
            _as_dispatcher(actor),
            lead=unit_list[0],
            co_units=unit_list[1:],
            reply_due=deadline,
            reason=decision,
        )
        self._notify([CaseNotice("case.leader_decision", number, case.status, {"deadline": deadline})])
        return case

    def joint_session(
        self,
        number: str,
        actor: Actor,
        *,
        participants: Iterable[str],
        lead: str,
        decision: str,
        reply: str | None = None,
        held_at: datetime | None = None,
    ) -> JointSession:
        """Record a joint handling session (会商会办): participants, the one lead, the decision, and
        (optionally) the single consolidated reply, which answers the citizen."""
        units = list(dict.fromkeys(participants))
        if lead not in units:
            units.insert(0, lead)
        if len(units) < 2:
            raise InvalidInput("a joint session needs at least two units")
        if not decision.strip():
            raise InvalidInput("a joint session needs its decision")
        with self.acting(number, actor, "joint_session") as a:
            s, case = a.s, a.case
            replied: list[CaseNotice] = []
            for unit in units:
                self._unit(s, unit)
            if reply is not None:
                next_status(case.status, Action.JOINT_REPLY)
            elif case.status in (Status.CLOSED, Status.MERGED):
                raise InvalidTransition(f"cannot hold a joint session on a case that is {case.status}")
            session_row = JointSession(
                case_id=case.id,
                convened_by=actor.name,
                held_at=held_at or self.clock.now(),
                participants=units,
                lead_unit_code=lead,
                decision=decision,
            )
            s.add(session_row)
            self._event(s, case, actor, "joint_session", decision, participants=units, lead=lead)
            self._joint_owners(s, case, units, lead)
            case.lead_unit_code = lead
            if reply is not None:
                self._move(s, case, Action.JOINT_REPLY, actor, decision, lead=lead)
                replied = self._record_reply(s, case, actor, reply, joint=True)
                session_row.reply_id = s.scalar(
                    select(Reply.id).where(Reply.case_id == case.id, Reply.joint).order_by(Reply.id.desc())
                )
            s.flush()
            a.tell("case.joint_session", lead=lead)
            a.notices += replied
        return session_row

    def _joint_owners(self, s: Session, case: Case, units: list[str], lead: str) -> None:
        """The session decides the owners: one lead, the others co-handle (new ones are dispatched)."""
        active = {
            a.unit_code: a
            for a in s.scalars(select(Assignment).where(Assignment.case_id == case.id, Assignment.active))
        }
        round_no = max((a.round for a in active.values()), default=1)
        now = self.clock.now()
        for unit in units:
            role = "lead" if unit == lead else "co"
            if unit in active:
                active[unit].role = role
            else:
                s.add(
                    Assignment(
                        case_id=case.id, unit_code=unit, role=role, round=round_no, active=True, dispatched_at=now
                    )
                )
        for unit_code, assignment in active.items():
            if unit_code != lead and assignment.role == "lead":
                assignment.role = "co"


def _as_dispatcher(actor: Actor) -> Actor:
    """The leader's decision re-dispatches in the leader's name (the center executes it)."""
    return Actor(actor.name, Role.SUPERVISOR, actor.unit)
