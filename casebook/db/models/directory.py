"""The directory: channels, units and their sections, categories, places, routing rules and deadline
policies (data, seeded from casebook/directory/data/, editable through the API).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casebook.db.models.base import Base


class Channel(Base):
    """A way in: each hotline number, the mailboxes, the web form, Weibo, WeChat, the radio program."""

    __tablename__ = "channels"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # phone, mailbox, web, weibo, wechat, radio, walk-in
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(96))
    line_number: Mapped[str | None] = mapped_column(String(20), unique=True)


class Unit(Base):
    """A handling unit (承办单位): a department, a township, or the center itself."""

    __tablename__ = "units"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # department, township, center
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(96))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # where the unit wants its notifications by e-mail too (new cases, clocks, answers), if it does
    email: Mapped[str | None] = mapped_column(String(128))
    notify_by_email: Mapped[bool] = mapped_column(Boolean, default=False)
    # the unit's phone (its duty desk): an agent transfers a caller there, or calls the unit in (会办)
    phone: Mapped[str | None] = mapped_column(String(20))
    sections: Mapped[list[Section]] = relationship(back_populates="unit", order_by="Section.code")


class Section(Base):
    """A responsible section (责任科室) inside a unit."""

    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("unit_code", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(96))
    unit: Mapped[Unit] = relationship(back_populates="sections")


class Category(Base):
    """A node of the type-screening tree; `keywords` drive the text classifier."""

    __tablename__ = "categories"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"))
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(96))
    keywords: Mapped[list[Any]] = mapped_column(default=list)


class Place(Base):
    """The gazetteer: a named place and the township it belongs to (if one)."""

    __tablename__ = "places"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    township_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))
    aliases: Mapped[list[Any]] = mapped_column(default=list)


class RoutingRule(Base):
    """category (and township) -> lead unit, co-handling units; first match by position wins."""

    __tablename__ = "routing_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    category_code: Mapped[str] = mapped_column(String(64))
    township_code: Mapped[str | None] = mapped_column(String(32))
    lead: Mapped[str] = mapped_column(String(32))  # a unit code or "@township"
    fallback_lead: Mapped[str | None] = mapped_column(String(32))
    co_units: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DeadlinePolicy(Base):
    """Handling deadline in hours after dispatch, per category (or `default`) and urgency."""

    __tablename__ = "deadline_policies"
    category_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    urgency: Mapped[str] = mapped_column(String(16), primary_key=True)
    hours: Mapped[float] = mapped_column(Float)


class RoutingModel(Base):
    """A learnt model of the categories (casebook/classify/model.py), one row per training: its
    weights (numpy arrays, no pickles), the threshold above which it dispatches without a person,
    and its evaluation, kept beside it. One is active; an administrator can go back one step."""

    __tablename__ = "routing_models"
    __table_args__ = (  # one active at most: two administrators activating at once cannot leave two
        Index(
            "ix_routing_models_one_active",
            "active",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    weights: Mapped[bytes] = mapped_column(LargeBinary)
    threshold: Mapped[float] = mapped_column(Float)
    lexicon_weight: Mapped[float] = mapped_column(Float)
    examples: Mapped[int] = mapped_column(Integer)  # appeals it learnt from
    from_registrations: Mapped[int] = mapped_column(Integer)  # of which, registrations made by people
    evaluation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    activated_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
