"""Routing: from a screened case (category, township, urgency) to its lead unit, co-handling
units and handling deadline, by the first matching rule (rules are data: `routing_rules`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

TOWNSHIP = "@township"


@dataclass(frozen=True, slots=True)
class RuleView:
    id: int
    category: str
    township: str | None
    lead: str
    fallback_lead: str | None
    co_units: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Route:
    lead: str
    co_units: tuple[str, ...]
    deadline_hours: float
    rule_id: int | None


def category_matches(rule_category: str, category: str) -> bool:
    return category == rule_category or category.startswith(rule_category + ".")


def deadline_hours(policies: Mapping[tuple[str, str], float], category: str, urgency: str) -> float:
    """The most specific policy: the category, then its parents, then `default`."""
    parts = category.split(".")
    for depth in range(len(parts), 0, -1):
        key = (".".join(parts[:depth]), urgency)
        if key in policies:
            return policies[key]
    return policies.get(("default", urgency), policies.get(("default", "normal"), 120.0))


def route(
    rules: Iterable[RuleView],
    policies: Mapping[tuple[str, str], float],
    *,
    category: str,
    township: str | None,
    urgency: str,
) -> Route | None:
    for rule in rules:
        if not category_matches(rule.category, category):
            continue
        if rule.township and rule.township != township:
            continue
        lead = township if rule.lead == TOWNSHIP else rule.lead
        if lead is None:
            lead = rule.fallback_lead
        if lead is None:
            continue
        co = []
        for unit in rule.co_units:
            resolved = township if unit == TOWNSHIP else unit
            if resolved and resolved != lead and resolved not in co:
                co.append(resolved)
        return Route(lead, tuple(co), deadline_hours(policies, category, urgency), rule.id)
    return None
