"""What a person may do to a case now: the actions the policy (their role, their unit) and the
case's state both allow. The case page offers exactly these, so it never shows a button the API
would refuse; the API still checks each action itself (casebook/cases/services.py). Besides the
lifecycle's steps: the call back, attaching a file, and asking for or granting more time."""

from __future__ import annotations

from casebook.auth.policy import Actor, require
from casebook.cases.errors import Forbidden
from casebook.cases.lifecycle import OPEN_STATES, TRANSITIONS, Action, Status
from casebook.db.models import Case

# the page's name of an action (its route under /api/v1/cases/{number}/...), its permission, and
# the lifecycle step it takes
OFFERS: tuple[tuple[str, str, Action], ...] = (
    ("register", "register", Action.REGISTER),
    ("dispatch", "dispatch", Action.DISPATCH),
    ("return", "return", Action.RETURN),
    ("accept", "accept", Action.ACCEPT),
    ("reply", "reply", Action.REPLY),
    ("satisfaction", "satisfaction", Action.SATISFIED),
    ("interview", "schedule_interview", Action.SCHEDULE_INTERVIEW),
    ("interview/outcome", "record_interview", Action.INTERVIEW_SATISFIED),
    ("leader-decision", "leader_decision", Action.LEADER_DECISION),
    ("joint-sessions", "joint_session", Action.JOINT_REPLY),
    ("merge", "merge", Action.MERGE),
    ("unmerge", "unmerge", Action.UNMERGE),
    ("close", "close", Action.CLOSE),
    ("reopen", "reopen", Action.REOPEN),
)


def offered(case: Case, actor: Actor) -> list[str]:
    state = Status(case.status)
    found = []
    for name, permission, step in OFFERS:
        if (state, step) not in TRANSITIONS:
            continue
        try:
            require(actor, permission, lead_unit=case.lead_unit_code)
        except Forbidden:
            continue
        found.append(name)
    waiting = any(x.decided_at is None for x in case.extensions)
    besides = (
        ("called-back", "callback", case.call_back is not None),
        ("callback", "callback", state == Status.REPLIED and case.caller_id is not None),
        ("attachments", "attach", state in OPEN_STATES),
        ("extension", "ask_extension", state in (Status.DISPATCHED, Status.ACCEPTED) and not waiting),
        ("extension/decision", "grant_extension", waiting),
    )
    for name, permission, possible in besides:
        if not possible:
            continue
        try:
            require(actor, permission, lead_unit=case.lead_unit_code)
        except Forbidden:
            continue
        found.append(name)
    return found
