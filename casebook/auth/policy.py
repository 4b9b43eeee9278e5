"""Who may do what: the role matrix, in one table.

Least privilege: an intake agent screens and routes but does not answer for a unit; a unit
handler sees and acts on its own unit's cases only; a supervisor runs the escalation ladder;
the leader decides the cases on the Monday duty list; the administrator keeps the directory,
the people and the keys, and does not handle cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from casebook.cases.errors import Forbidden


class Role(StrEnum):
    INTAKE_AGENT = "intake_agent"
    UNIT_HANDLER = "unit_handler"
    SUPERVISOR = "supervisor"
    LEADER = "leader"
    ADMIN = "admin"
    SYSTEM = "system"  # the platform itself: IVR intake, classifier, router, clocks


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    role: Role
    unit: str | None = None

    @property
    def is_system(self) -> bool:
        return self.role == Role.SYSTEM


SYSTEM = Actor("system", Role.SYSTEM)
CLASSIFIER = Actor("classifier", Role.SYSTEM)
ROUTER = Actor("router", Role.SYSTEM)
CLOCKS = Actor("clocks", Role.SYSTEM)

R = Role
# action -> roles allowed; "unit" marks actions a unit handler may take on its own unit's cases
ACTIONS: dict[str, frozenset[Role]] = {
    "open": frozenset({R.INTAKE_AGENT, R.SUPERVISOR}),
    "register": frozenset({R.INTAKE_AGENT, R.SUPERVISOR}),
    "dispatch": frozenset({R.INTAKE_AGENT, R.SUPERVISOR}),
    "merge": frozenset({R.INTAKE_AGENT, R.SUPERVISOR}),
    "unmerge": frozenset({R.INTAKE_AGENT, R.SUPERVISOR}),
    "return": frozenset({R.UNIT_HANDLER, R.SUPERVISOR}),
    "accept": frozenset({R.UNIT_HANDLER, R.SUPERVISOR}),
    "reply": frozenset({R.UNIT_HANDLER, R.SUPERVISOR}),
    "satisfaction": frozenset({R.INTAKE_AGENT, R.SUPERVISOR}),
    "callback": frozenset({R.INTAKE_AGENT, R.SUPERVISOR}),
    "close": frozenset({R.SUPERVISOR}),
    "reopen": frozenset({R.SUPERVISOR}),
    "schedule_interview": frozenset({R.SUPERVISOR, R.UNIT_HANDLER}),
    "record_interview": frozenset({R.SUPERVISOR, R.UNIT_HANDLER}),
    "joint_session": frozenset({R.SUPERVISOR}),
    "attach": frozenset({R.INTAKE_AGENT, R.UNIT_HANDLER, R.SUPERVISOR}),
    "ask_extension": frozenset({R.UNIT_HANDLER, R.SUPERVISOR}),
    "grant_extension": frozenset({R.SUPERVISOR}),
    "hold_recordings": frozenset({R.SUPERVISOR}),
    "supervise": frozenset({R.SUPERVISOR}),
    "leader_decision": frozenset({R.LEADER}),
    "read_all": frozenset({R.INTAKE_AGENT, R.SUPERVISOR, R.LEADER, R.ADMIN}),
    "reports": frozenset({R.SUPERVISOR, R.LEADER, R.ADMIN}),
    "directory_write": frozenset({R.ADMIN}),
    "users": frozenset({R.ADMIN}),
}
# how each action reads in an error message ("the role intake_agent may not manage users")
PHRASES: dict[str, str] = {
    "open": "open cases",
    "register": "register cases",
    "dispatch": "dispatch cases",
    "merge": "merge cases",
    "unmerge": "unmerge cases",
    "return": "return cases",
    "accept": "accept cases",
    "reply": "reply to cases",
    "satisfaction": "record satisfaction",
    "callback": "call citizens back",
    "close": "close cases",
    "reopen": "reopen cases",
    "schedule_interview": "schedule interviews",
    "record_interview": "record interviews",
    "joint_session": "hold joint handling sessions",
    "attach": "attach files to cases",
    "ask_extension": "ask for more time on cases",
    "grant_extension": "grant more time on cases",
    "hold_recordings": "hold a case's recordings",
    "supervise": "listen to, pause or sign out agents",
    "leader_decision": "record leader decisions",
    "read_all": "read every case",
    "reports": "read reports",
    "directory_write": "change the directory",
    "users": "manage users and API keys",
}
UNIT_LEAD_ACTIONS = frozenset(
    {"return", "accept", "reply", "schedule_interview", "record_interview", "attach", "ask_extension"}
)


def require(actor: Actor, action: str, *, lead_unit: str | None = None) -> None:
    """Raise `Forbidden` unless `actor` may take `action` (on a case led by `lead_unit`)."""
    if actor.is_system:
        return
    allowed = ACTIONS.get(action, frozenset())
    if actor.role not in allowed:
        raise Forbidden(f"the role {actor.role.value} may not {PHRASES.get(action, action.replace('_', ' '))}")
    if actor.role == R.UNIT_HANDLER and action in UNIT_LEAD_ACTIONS and (actor.unit is None or actor.unit != lead_unit):
        phrase = PHRASES.get(action, action)
        for tail in (" to cases", " on cases", " cases"):
            phrase = phrase.replace(tail, "")
        raise Forbidden(f"only the lead unit's handlers may {phrase} on this case")


def can_read_all(actor: Actor) -> bool:
    return actor.is_system or actor.role in ACTIONS["read_all"]
