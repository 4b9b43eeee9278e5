"""What the case actions read on every request and an administrator changes rarely: the directory
(channels, categories, places, units, sections), the classifier's lexicon, the routing rules and
the deadline policies. Read once and kept: the directory for a minute, the rest until an edit
calls `reload` (the book's `reload_directory`). The screener (the lexicon and the active routing
model) looks for a newly activated model at most every `MODEL_CHECK_S`, so every process takes a
retrained or rolled-back model within half a minute.

Shared by the request threads and the screening thread, under the book's lock.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from casebook.classify.classifier import Lexicon, build_lexicon
from casebook.classify.learning import RoutingModels
from casebook.classify.screener import Screener
from casebook.db.models import Category, Channel, DeadlinePolicy, Place, RoutingRule, Section, Unit
from casebook.directory.seed import urgency_words
from casebook.routing import RuleView

DIRECTORY_TTL_S = 60.0
MODEL_CHECK_S = 30.0


@dataclass(frozen=True, slots=True)
class Directory:
    """What the actions validate against, read once a minute instead of once per request."""

    channels: frozenset[str]
    categories: frozenset[str]
    places: dict[str, str | None]  # place -> its township
    units: frozenset[str]  # active ones
    sections: frozenset[tuple[str, str]]  # (unit, section)
    loaded_at: float


class DirectoryCaches:
    def __init__(self, sessions: sessionmaker[Session], lock: threading.RLock) -> None:
        self.sessions = sessions
        self._lock = lock
        self._directory: Directory | None = None
        self._lexicon: Lexicon | None = None
        self._screener: tuple[Screener, float] | None = None  # and when the active model was looked for
        self.models: RoutingModels | None = None  # given by the book
        self._rules: list[RuleView] | None = None
        self._policies: dict[tuple[str, str], float] | None = None

    def reload(self) -> None:
        """Forget every cached value (after the directory was edited)."""
        with self._lock:
            self._lexicon = None
            self._screener = None
            self._rules = None
            self._policies = None
            self._directory = None

    def directory(self) -> Directory:
        with self._lock:
            current = self._directory
            if current is not None and time.monotonic() - current.loaded_at < DIRECTORY_TTL_S:
                return current
            with self.sessions() as s:
                current = Directory(
                    channels=frozenset(s.scalars(select(Channel.code))),
                    categories=frozenset(s.scalars(select(Category.code))),
                    places=dict(s.execute(select(Place.code, Place.township_code)).all()),
                    units=frozenset(s.scalars(select(Unit.code).where(Unit.active))),
                    sections=frozenset(s.execute(select(Section.unit_code, Section.code)).all()),
                    loaded_at=time.monotonic(),
                )
            self._directory = current
            return current

    def lexicon(self) -> Lexicon:
        with self._lock:
            if self._lexicon is None:
                with self.sessions() as s:
                    categories = [(c.code, c.parent_code, c.keywords) for c in s.scalars(select(Category))]
                    places = [
                        (p.code, p.name_zh, p.township_code, p.aliases)
                        for p in s.scalars(select(Place).where(~Place.code.startswith("township-")))
                    ]
                    townships = [(u.code, u.name_zh) for u in s.scalars(select(Unit).where(Unit.kind == "township"))]
                self._lexicon = build_lexicon(categories, places, townships, urgency_words())
            return self._lexicon

    def classifier(self) -> Screener:
        """The lexicon and the active routing model (casebook/classify/screener.py)."""
        with self._lock:
            if self._screener is not None and time.monotonic() - self._screener[1] < MODEL_CHECK_S:
                return self._screener[0]
            lexicon = self.lexicon()
            active = self.models.active() if self.models is not None else None
            kept = self._screener[0] if self._screener is not None else None
            if kept is not None and kept.lexicon is lexicon and kept.model is (active and active.model):
                screener = kept  # nothing changed: keep it, and the tokenizer it loaded
            elif active is None:
                screener = Screener(lexicon, None)
            else:
                screener = Screener(
                    lexicon, active.model, threshold=active.threshold, lexicon_weight=active.lexicon_weight
                )
            self._screener = (screener, time.monotonic())
            return screener

    def rules(self) -> list[RuleView]:
        with self.sessions() as s:
            return self.routing(s)[0]

    def routing(self, s: Session) -> tuple[list[RuleView], dict[tuple[str, str], float]]:
        """The active routing rules in their order, and the deadline hours by (category, urgency)."""
        with self._lock:
            if self._rules is None or self._policies is None:
                rules = s.scalars(select(RoutingRule).where(RoutingRule.active).order_by(RoutingRule.position))
                self._rules = [
                    RuleView(r.id, r.category_code, r.township_code, r.lead, r.fallback_lead, tuple(r.co_units))
                    for r in rules
                ]
                self._policies = {(p.category_code, p.urgency): p.hours for p in s.scalars(select(DeadlinePolicy))}
            return self._rules, self._policies
