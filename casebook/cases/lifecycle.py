"""The life of an appeal, as a table of allowed transitions.

    received --register--> registered --dispatch--> dispatched --accept--> accepted --reply--> replied
    replied --satisfied--> closed          replied --unsatisfied--> reopened --schedule_interview--> interview
    interview --interview_satisfied--> closed       interview --interview_unsatisfied--> leader_review
    leader_review --leader_decision--> accepted (or dispatched, when the leader names other units)
    dispatched --return--> registered (the unit says it is not theirs; the center re-dispatches)
    before a reply: --merge--> merged (a duplicate follows its master)
    closed --reopen--> reopened (a supervisor reopens a closed case)
    a joint handling session may give the one consolidated reply from any open state.

Everything not in the table is refused with `InvalidTransition`, which names the state and the
actions that are possible from it.
"""

from __future__ import annotations

from enum import StrEnum

from casebook.cases.errors import InvalidTransition


class Status(StrEnum):
    RECEIVED = "received"
    REGISTERED = "registered"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    REPLIED = "replied"
    CLOSED = "closed"
    REOPENED = "reopened"
    INTERVIEW = "interview"
    LEADER_REVIEW = "leader_review"
    MERGED = "merged"


class Action(StrEnum):
    REGISTER = "register"
    DISPATCH = "dispatch"
    RETURN = "return"
    ACCEPT = "accept"
    REPLY = "reply"
    JOINT_REPLY = "joint_reply"
    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"
    CLOSE = "close"
    SCHEDULE_INTERVIEW = "schedule_interview"
    INTERVIEW_SATISFIED = "interview_satisfied"
    INTERVIEW_UNSATISFIED = "interview_unsatisfied"
    LEADER_DECISION = "leader_decision"
    MERGE = "merge"
    UNMERGE = "unmerge"
    REOPEN = "reopen"


S, A = Status, Action
OPEN_BEFORE_REPLY = (S.RECEIVED, S.REGISTERED, S.DISPATCHED, S.ACCEPTED)
JOINT_FROM = (S.REGISTERED, S.DISPATCHED, S.ACCEPTED, S.REOPENED, S.INTERVIEW, S.LEADER_REVIEW)

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.RECEIVED, A.REGISTER): S.REGISTERED,
    (S.REGISTERED, A.REGISTER): S.REGISTERED,  # a correction of the screening before dispatch
    (S.REGISTERED, A.DISPATCH): S.DISPATCHED,
    (S.DISPATCHED, A.RETURN): S.REGISTERED,
    (S.DISPATCHED, A.ACCEPT): S.ACCEPTED,
    (S.ACCEPTED, A.REPLY): S.REPLIED,
    (S.REPLIED, A.SATISFIED): S.CLOSED,
    (S.REPLIED, A.UNSATISFIED): S.REOPENED,
    (S.REPLIED, A.CLOSE): S.CLOSED,
    (S.RECEIVED, A.CLOSE): S.CLOSED,  # not an appeal, withdrawn
    (S.REGISTERED, A.CLOSE): S.CLOSED,
    (S.REOPENED, A.SCHEDULE_INTERVIEW): S.INTERVIEW,
    (S.INTERVIEW, A.INTERVIEW_SATISFIED): S.CLOSED,
    (S.INTERVIEW, A.INTERVIEW_UNSATISFIED): S.LEADER_REVIEW,
    (S.LEADER_REVIEW, A.LEADER_DECISION): S.ACCEPTED,
    (S.LEADER_REVIEW, A.DISPATCH): S.DISPATCHED,
    (S.CLOSED, A.REOPEN): S.REOPENED,
    (S.MERGED, A.UNMERGE): S.REGISTERED,
    **{(state, A.MERGE): S.MERGED for state in OPEN_BEFORE_REPLY},
    **{(state, A.JOINT_REPLY): S.REPLIED for state in JOINT_FROM},
}

OPEN_STATES = frozenset(set(Status) - {S.CLOSED, S.MERGED})


def next_status(current: Status | str, action: Action) -> Status:
    """The state after `action`, or `InvalidTransition` naming what is possible instead."""
    state = Status(current)
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        allowed = sorted(a.value for (s, a) in TRANSITIONS if s == state)
        raise InvalidTransition(
            f"cannot {action.value} a case that is {state.value}; possible: {', '.join(allowed) or 'nothing'}"
        ) from None
