"""What the audit log keeps of the thing a request changes, before and after it.

Found from the route's own path (`/api/v1/cases/{number}...` changes a case, `/api/v1/users/
{username}...` a person...), so a new route under a known path is audited with its subject
without saying so. Only facts worth comparing are kept, never a password, key or token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casebook.db.models import Agent, ApiKey, Case, Category, DeadlinePolicy, Place, Unit, User

Facts = dict[str, Any]


def _case(s: Session, number: str) -> Facts | None:
    case = s.scalar(select(Case).where(Case.number == number))
    if case is None:
        return None
    return {
        "status": case.status,
        "category": case.category_code,
        "urgency": case.urgency,
        "lead_unit": case.lead_unit_code,
        "lead_section": case.lead_section_code,
        "place": case.place_code,
    }


def _user(s: Session, username: str) -> Facts | None:
    user = s.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        return None
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "unit": user.unit_code,
        "active": user.active,
    }


def _api_key(s: Session, name: str) -> Facts | None:
    key = s.scalar(select(ApiKey).where(func.lower(ApiKey.name) == name.lower()))
    return None if key is None else {"name": key.name, "channel": key.channel_code, "active": key.active}


def _agent(s: Session, extension: str) -> Facts | None:
    agent = s.scalar(select(Agent).where(Agent.extension == extension))
    if agent is None:
        return None
    return {
        "extension": agent.extension,
        "skills": agent.skills,
        "active": agent.active,
        "password_set_at": agent.password_set_at.isoformat(),
    }


def _unit(s: Session, code: str) -> Facts | None:
    unit = s.get(Unit, code)
    if unit is None:
        return None
    return {"code": unit.code, "name": unit.name_zh, "kind": unit.kind, "active": unit.active, "email": unit.email}


def _deadline(s: Session, key: str) -> Facts | None:
    category, _, urgency = key.partition("/")
    policy = s.get(DeadlinePolicy, (category, urgency))
    return None if policy is None else {"category": category, "urgency": urgency, "hours": policy.hours}


def _category(s: Session, code: str) -> Facts | None:
    category = s.get(Category, code)
    if category is None:
        return None
    return {"name": category.name_zh, "parent": category.parent_code, "keywords": list(category.keywords or [])}


def _place(s: Session, code: str) -> Facts | None:
    place = s.get(Place, code)
    if place is None:
        return None
    return {"name": place.name_zh, "township": place.township_code, "aliases": list(place.aliases or [])}


# (the route's path starts with, the path parameter naming the thing, its kind, its facts)
SUBJECTS: list[tuple[str, str, str, Callable[[Session, str], Facts | None]]] = [
    ("/api/v1/cases/{number}", "number", "case", _case),
    ("/api/v1/users/{username}", "username", "user", _user),
    ("/api/v1/api-keys/{name}", "name", "api_key", _api_key),
    ("/api/v1/agents/{extension}", "extension", "agent", _agent),
    ("/api/v1/units/{code}", "code", "unit", _unit),
    ("/api/v1/categories/{code}", "code", "category", _category),
    ("/api/v1/places/{code}", "code", "place", _place),
]


def subject_of(path: str, params: dict[str, Any]) -> tuple[str | None, Callable[[Session], Facts | None] | None]:
    """The target's name ("case:2612030001") and how to read its facts, for a route's path."""
    for prefix, param, kind, facts in SUBJECTS:
        if path.startswith(prefix) and param in params:
            value = str(params[param])
            return f"{kind}:{value}", lambda s, value=value, facts=facts: facts(s, value)
    if path.startswith("/api/v1/deadlines/{category}/{urgency}"):
        value = f"{params.get('category')}/{params.get('urgency')}"
        return f"deadline:{value}", lambda s: _deadline(s, value)
    named = [f"{k}={v}" for k, v in params.items()]
    return (",".join(named)[:200] or None), None
