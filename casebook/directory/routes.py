"""The directory over HTTP: read by everyone logged in, routing rules edited by administrators."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import delete, select

from casebook.api.deps import ActorDep, AdminDep, ServicesDep
from casebook.cases.errors import InvalidInput, NotFound
from casebook.db.models import Category, Channel, DeadlinePolicy, Place, RoutingRule, Unit

router = APIRouter(prefix="/api/v1", tags=["directory"])
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9.@-]+$")]


class SectionOut(BaseModel):
    code: str
    name_zh: str
    name_en: str


class UnitOut(BaseModel):
    code: str
    kind: str
    name_zh: str
    name_en: str
    sections: list[SectionOut]
    active: bool = True
    email: str | None = None
    phone: str | None = None


class CategoryOut(BaseModel):
    code: str
    parent: str | None
    name_zh: str
    name_en: str
    keywords: list[str]


class PlaceOut(BaseModel):
    code: str
    name_zh: str
    township: str | None
    aliases: list[str]


class ChannelOut(BaseModel):
    code: str
    kind: str
    name_zh: str
    name_en: str
    line_number: str | None


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Code
    township: Code | None = None
    lead: Code
    fallback_lead: Code | None = None
    co_units: list[Code] = Field(default_factory=list, max_length=20)


class RuleOut(RuleIn):
    position: int


class RulesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[RuleIn] = Field(min_length=1, max_length=500)


@router.get("/units", response_model=list[UnitOut])
def units(
    svc: ServicesDep, actor: ActorDep, include_inactive: Annotated[bool, Query(description="also the retired")] = False
) -> list[UnitOut]:
    with svc.book.sessions() as s:
        query = select(Unit).order_by(Unit.kind, Unit.code)
        rows = s.scalars(query if include_inactive else query.where(Unit.active)).all()
        return [
            UnitOut(
                code=u.code,
                kind=u.kind,
                name_zh=u.name_zh,
                name_en=u.name_en,
                sections=[SectionOut(code=x.code, name_zh=x.name_zh, name_en=x.name_en) for x in u.sections],
                active=u.active,
                email=u.email,
                phone=u.phone,
            )
            for u in rows
        ]


@router.get("/categories", response_model=list[CategoryOut])
def categories(svc: ServicesDep, actor: ActorDep) -> list[CategoryOut]:
    with svc.book.sessions() as s:
        return [
            CategoryOut(
                code=c.code,
                parent=c.parent_code,
                name_zh=c.name_zh,
                name_en=c.name_en,
                keywords=[str(k) for k in c.keywords or []],
            )
            for c in s.scalars(select(Category).order_by(Category.code))
        ]


@router.get("/places", response_model=list[PlaceOut])
def places(svc: ServicesDep, actor: ActorDep) -> list[PlaceOut]:
    with svc.book.sessions() as s:
        return [
            PlaceOut(code=p.code, name_zh=p.name_zh, township=p.township_code, aliases=list(p.aliases or []))
            for p in s.scalars(select(Place).order_by(Place.code))
        ]


@router.get("/channels", response_model=list[ChannelOut])
def channels(svc: ServicesDep, actor: ActorDep) -> list[ChannelOut]:
    with svc.book.sessions() as s:
        return [
            ChannelOut(code=c.code, kind=c.kind, name_zh=c.name_zh, name_en=c.name_en, line_number=c.line_number)
            for c in s.scalars(select(Channel).order_by(Channel.code))
        ]


@router.get("/routing-rules", response_model=list[RuleOut])
def rules(svc: ServicesDep, actor: ActorDep) -> list[RuleOut]:
    with svc.book.sessions() as s:
        return [
            RuleOut(
                position=r.position,
                category=r.category_code,
                township=r.township_code,
                lead=r.lead,
                fallback_lead=r.fallback_lead,
                co_units=list(r.co_units or []),
            )
            for r in s.scalars(select(RoutingRule).where(RoutingRule.active).order_by(RoutingRule.position))
        ]


def _rule_lines(rules_now: list[RuleOut]) -> dict[str, str]:
    """The rules as the audit log compares them: by their order, each in one line."""
    return {
        str(n): f"{r.category}{' @' + r.township if r.township else ''} -> {r.lead}"
        + (f" (or {r.fallback_lead})" if r.fallback_lead else "")
        + (f" + {', '.join(r.co_units)}" if r.co_units else "")
        for n, r in enumerate(rules_now, start=1)
    }


@router.put("/routing-rules", response_model=list[RuleOut])
def replace_rules(svc: ServicesDep, actor: AdminDep, body: RulesIn, request: Request) -> list[RuleOut]:
    """Replace the routing rules (in order: the first rule that matches a case decides)."""
    before = rules(svc, actor)
    with svc.book.sessions() as s:
        known_units = set(s.scalars(select(Unit.code)))
        known_categories = set(s.scalars(select(Category.code)))
        for rule in body.rules:
            if rule.category not in known_categories:
                raise InvalidInput(f"unknown category {rule.category!r}")
            for unit in [rule.lead, rule.fallback_lead, *rule.co_units]:
                if unit is not None and unit != "@township" and unit not in known_units:
                    raise InvalidInput(f"unknown unit {unit!r}")
        s.execute(delete(RoutingRule))
        for position, rule in enumerate(body.rules, start=1):
            s.add(
                RoutingRule(
                    position=position * 10,
                    category_code=rule.category,
                    township_code=rule.township,
                    lead=rule.lead,
                    fallback_lead=rule.fallback_lead,
                    co_units=rule.co_units,
                    active=True,
                )
            )
        s.commit()
    svc.book.reload_directory()
    after = rules(svc, actor)
    request.state.audit = {"target": "routing-rules", "before": _rule_lines(before), "after": _rule_lines(after)}
    return after


class DeadlineOut(BaseModel):
    category: str
    urgency: str
    hours: float


@router.get("/deadlines", response_model=list[DeadlineOut])
def deadlines(svc: ServicesDep, actor: ActorDep) -> list[DeadlineOut]:
    """The handling deadlines (hours after dispatch) by category (or `default`) and urgency."""
    with svc.book.sessions() as s:
        rows = s.scalars(select(DeadlinePolicy).order_by(DeadlinePolicy.category_code, DeadlinePolicy.urgency))
        return [DeadlineOut(category=r.category_code, urgency=r.urgency, hours=r.hours) for r in rows]


@router.put("/deadlines/{category}/{urgency}", response_model=dict)
def set_deadline(
    svc: ServicesDep,
    actor: AdminDep,
    category: Annotated[str, Path(max_length=64)],
    urgency: Annotated[str, Path(pattern="^(normal|urgent|critical)$")],
    hours: Annotated[float, Field(gt=0, le=24 * 365)],
) -> dict[str, float | str]:
    """Set the handling deadline (hours after dispatch) of a category (or `default`) and urgency."""
    with svc.book.sessions() as s:
        if category != "default" and s.get(Category, category) is None:
            raise InvalidInput(f"unknown category {category!r}")
        row = s.get(DeadlinePolicy, (category, urgency)) or DeadlinePolicy(category_code=category, urgency=urgency)
        row.hours = hours
        s.add(row)
        s.commit()
    svc.book.reload_directory()
    return {"category": category, "urgency": urgency, "hours": hours}


class RouteOut(BaseModel):
    lead_unit: str
    co_units: list[str]
    deadline_hours: float


@router.get("/routing/suggestion", response_model=RouteOut)
def routing_suggestion(
    svc: ServicesDep,
    actor: ActorDep,
    category: Annotated[str, Query(max_length=64)],
    place: Annotated[str | None, Query(max_length=64)] = None,
    urgency: Annotated[Literal["normal", "urgent", "critical"], Query()] = "normal",
) -> RouteOut:
    """The lead unit, co-handling units and deadline the routing rules give a case of this
    category at this place (404 when no rule routes it: the center picks the unit itself)."""
    found = svc.book.route_for(category, place, urgency)
    if found is None:
        raise NotFound(f"no routing rule sends {category!r} anywhere; choose the unit")
    return RouteOut(lead_unit=found.lead, co_units=list(found.co_units), deadline_hours=found.deadline_hours)
