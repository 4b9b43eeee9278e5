"""Loading the default directory (`data/*.yaml`) into the database, idempotently.

Units, sections, categories and places of the files are added when missing, and never changed
once there: from then on they are the administrators' (the administration page, the API, CSV
imports), and a start or an upgrade keeps their edits. Channels follow the files and the lines.
Routing rules and deadline policies are written only when their table is empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.classify.classifier import Lexicon, build_lexicon
from casebook.db.models import Category, Channel, DeadlinePolicy, Place, RoutingRule, Section, Unit
from casebook.routing import RuleView

DEFAULT_CHANNELS = (
    ("mailbox-mayor", "mailbox", "市长信箱", "Mayor's mailbox"),
    ("mailbox-county-head", "mailbox", "县长信箱", "County head's mailbox"),
    ("web", "web", "网上诉求", "Web form"),
    ("weibo", "weibo", "@新津服务 微博", "Weibo"),
    ("wechat", "wechat", "@新津服务 微信", "WeChat"),
    ("radio", "radio", "阳光热线广播节目", "Sunshine Hotline radio programme"),
    ("walk-in", "walk-in", "现场来访", "Walk-in"),
    ("phone", "phone", "电话", "Phone (line unknown)"),
)


@dataclass(frozen=True, slots=True)
class LineChannel:
    """A hotline number as the casebook knows it (the composition root passes the lines file)."""

    number: str
    name_zh: str
    name_en: str

    @property
    def code(self) -> str:
        return line_channel_code(self.number)


def line_channel_code(number: str) -> str:
    """The channel a hotline number's cases carry, whoever took the call (the menu or an agent)."""
    return f"line-{number}"


def _data(name: str) -> Any:
    return yaml.safe_load((resources.files("casebook.directory") / "data" / name).read_text(encoding="utf-8"))


def urgency_words() -> dict[str, list[str]]:
    words: dict[str, list[str]] = _data("categories.yaml")["urgency"]
    return words


def seed_directory(session: Session, lines: list[LineChannel] | None = None) -> None:
    units = _data("units.yaml")
    for raw in units["units"]:
        if session.get(Unit, raw["code"]) is not None:
            continue  # the administrators' now
        session.add(Unit(code=raw["code"], kind=raw["kind"], name_zh=raw["name_zh"], name_en=raw["name_en"]))
        sections = raw.get("sections") or (units["township_sections"] if raw["kind"] == "township" else [])
        for section in sections:
            session.add(
                Section(
                    unit_code=raw["code"], code=section["code"], name_zh=section["name_zh"], name_en=section["name_en"]
                )
            )
    session.flush()

    def add_category(raw: dict[str, Any], parent: str | None) -> None:
        if session.get(Category, raw["code"]) is None:
            session.add(
                Category(
                    code=raw["code"],
                    parent_code=parent,
                    name_zh=raw["name_zh"],
                    name_en=raw["name_en"],
                    keywords=list(raw.get("keywords") or []),
                )
            )
            session.flush()
        for child in raw.get("children") or []:
            add_category(child, raw["code"])

    for raw in _data("categories.yaml")["categories"]:
        add_category(raw, None)

    for raw in _data("places.yaml")["places"]:
        if session.get(Place, raw["code"]) is None:
            session.add(
                Place(
                    code=raw["code"],
                    name_zh=raw["name_zh"],
                    township_code=raw.get("township"),
                    aliases=raw.get("aliases") or [],
                )
            )
    for raw in units["units"]:
        code = f"township-{raw['code']}"
        if raw["kind"] == "township" and session.get(Place, code) is None:
            session.add(Place(code=code, name_zh=raw["name_zh"], township_code=raw["code"], aliases=[]))

    for code, kind, name_zh, name_en in DEFAULT_CHANNELS:
        channel = session.get(Channel, code) or Channel(code=code)
        channel.kind, channel.name_zh, channel.name_en = kind, name_zh, name_en
        session.add(channel)
    sync_lines(session, lines or [])

    _seed_routing(session)
    session.commit()


def _seed_routing(session: Session) -> None:
    """The routing rules and deadline policies of the data files, on a first start only: after
    that they are the administrators' (edited through the API) and a restart keeps their edits."""
    routing = _data("routing.yaml")
    if session.scalar(select(RoutingRule.id).limit(1)) is None:
        for position, rule in enumerate(routing["rules"], start=1):
            session.add(
                RoutingRule(
                    position=position * 10,
                    category_code=rule["category"],
                    township_code=rule.get("township"),
                    lead=rule["lead"],
                    fallback_lead=rule.get("fallback_lead"),
                    co_units=rule.get("co") or [],
                    active=True,
                )
            )
    if session.scalar(select(DeadlinePolicy.hours).limit(1)) is None:
        for category, hours in routing["deadlines"].items():
            for urgency, value in hours.items():
                session.add(DeadlinePolicy(category_code=category, urgency=urgency, hours=float(value)))


def sync_lines(session: Session, lines: list[LineChannel]) -> None:
    """One channel per hotline number (`line-<number>`), named as the lines file names it."""
    for line in lines:
        channel = (
            session.get(Channel, line.code)
            or session.scalar(select(Channel).where(Channel.line_number == line.number))
            or Channel(code=line.code)
        )
        channel.kind, channel.name_zh, channel.name_en, channel.line_number = (
            "phone",
            line.name_zh,
            line.name_en,
            line.number,
        )
        session.add(channel)
    session.flush()


# --- the directory as installed, without a database (the corpus's labels, `hotline routing evaluate`) ---
def packaged_rules() -> list[RuleView]:
    """The routing rules of the data files, in their order."""
    return [
        RuleView(
            position, r["category"], r.get("township"), r["lead"], r.get("fallback_lead"), tuple(r.get("co") or ())
        )
        for position, r in enumerate(_data("routing.yaml")["rules"], start=1)
    ]


def packaged_lexicon() -> Lexicon:
    """The lexicon a freshly seeded casebook screens with (categories' words, places, townships)."""
    categories: list[tuple[str, str | None, list[Any]]] = []

    def walk(raw: dict[str, Any], parent: str | None) -> None:
        categories.append((raw["code"], parent, list(raw.get("keywords") or [])))
        for child in raw.get("children") or []:
            walk(child, raw["code"])

    for raw in _data("categories.yaml")["categories"]:
        walk(raw, None)
    places = [
        (p["code"], p["name_zh"], p.get("township"), p.get("aliases") or []) for p in _data("places.yaml")["places"]
    ]
    townships = [(u["code"], u["name_zh"]) for u in _data("units.yaml")["units"] if u["kind"] == "township"]
    return build_lexicon(categories, places, townships, urgency_words())
