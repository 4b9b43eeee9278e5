"""The routing model learns (issue 17, decision 0026): trained on the corpus's train split and on
every registration a person made (each is a label: the category the intake agent chose, the
screening's suggestion corrected or not), on a schedule and on demand; each training is a version
kept with its evaluation; one is active, and an administrator can go back one step.

A new version becomes active when it routes the test split at least as well as the active one
(within a point): a scheduled retraining on a bad week's registrations does not make routing
worse without a person choosing it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from casebook.cases.errors import Conflict, InvalidInput, NotFound
from casebook.classify.classifier import Lexicon
from casebook.classify.corpus import Appeal, load
from casebook.classify.evaluate import Report, evaluate
from casebook.classify.model import NgramModel
from casebook.classify.screener import train_screener
from casebook.clock import Clock
from casebook.db.models import Case, CaseEvent, Category, RoutingModel
from casebook.routing import RuleView

log = logging.getLogger(__name__)
MACHINES = ("classifier", "router", "system")  # registrations these made are not labels
TOLERANCE = 0.01


@dataclass(frozen=True, slots=True)
class ModelView:
    id: int
    created_at: datetime
    created_by: str
    examples: int
    from_registrations: int
    threshold: float
    active: bool
    activated_at: datetime | None
    evaluation: dict[str, Any]
    note: str


@dataclass(frozen=True, slots=True)
class ActiveModel:
    id: int
    model: NgramModel
    threshold: float
    lexicon_weight: float


def _summary(report: Report, threshold: float) -> dict[str, Any]:
    coverage, precision = report.at_threshold(threshold)
    return {
        "appeals": report.size,
        "lead_accuracy": round(report.lead_accuracy, 4),
        "category_accuracy": round(report.category_accuracy, 4),
        "left_with_center": report.unrouted,
        "dispatched_without_a_person": round(coverage, 4),
        "right_when_dispatched": round(precision, 4),
    }


class RoutingModels:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        lexicon: Callable[[], Lexicon],
        rules: Callable[[], Sequence[RuleView]],
        *,
        min_interval_s: float = 60.0,
        corpus: Callable[[], list[Appeal]] = load,
    ) -> None:
        self.sessions = sessions
        self.corpus = corpus  # the packaged corpus (tests give a part of it: a training takes seconds)
        self.min_interval_s = min_interval_s  # between two trainings: a double click trains once
        self.clock = clock
        self.lexicon = lexicon
        self.rules = rules
        self._loaded: ActiveModel | None = None
        self._training = threading.Lock()

    # --- learning -------------------------------------------------------------------------------
    def registrations(self) -> list[tuple[str, str]]:
        """(text, category) of every case a person registered: the last registration of a case wins."""
        with self.sessions() as s:
            known = set(s.scalars(select(Category.code)))
            rows = s.execute(
                select(Case.id, Case.description, Case.transcript, CaseEvent.detail)
                .join(CaseEvent, CaseEvent.case_id == Case.id)
                .where(CaseEvent.kind == "register", CaseEvent.actor.not_in(MACHINES))
                .order_by(CaseEvent.id)
            ).all()
        labels: dict[int, tuple[str, str]] = {}
        for case_id, description, transcript, detail in rows:
            text = " ".join(t for t in (description, transcript) if t).strip()
            category = (detail or {}).get("category")
            if text and category in known:
                labels[case_id] = (text, category)
        return list(labels.values())

    def train(self, by: str, *, precision: float = 0.97) -> ModelView:
        """Train a new version now (a few seconds), evaluate it, keep it, and make it active if it
        routes the test split at least as well as the active one."""
        if not self._training.acquire(blocking=False):
            raise Conflict("a training is running already: its version appears in a few seconds")
        try:
            with self.sessions() as s:
                last = s.scalar(select(RoutingModel.created_at).order_by(RoutingModel.id.desc()).limit(1))
            if last is not None and (self.clock.now() - last).total_seconds() < self.min_interval_s:
                raise Conflict(f"a version was trained less than {self.min_interval_s:.0f} s ago: use it, or wait")
            return self._train(by, precision)
        finally:
            self._training.release()

    def _train(self, by: str, precision: float) -> ModelView:
        corpus = self.corpus()
        splits = {name: [a for a in corpus if a.split == name] for name in ("train", "dev", "test")}
        extra = self.registrations()
        lexicon, rules = self.lexicon(), list(self.rules())
        screener = train_screener(lexicon, splits["train"], splits["dev"], rules, extra=extra, precision=precision)
        assert screener.model is not None
        # the test split only: the model learnt from train and dev (its threshold from out-of-fold guesses)
        evaluation = {"test": _summary(evaluate(splits["test"], screener.guess, rules), screener.threshold)}
        with self.sessions() as s:
            current = s.scalar(select(RoutingModel).where(RoutingModel.active).with_for_update())
            better = current is None or evaluation["test"]["lead_accuracy"] >= (
                float(current.evaluation.get("test", {}).get("lead_accuracy", 0.0)) - TOLERANCE
            )
            now = self.clock.now()
            row = RoutingModel(
                created_at=now,
                created_by=by,
                weights=screener.model.to_bytes(),
                threshold=screener.threshold,
                lexicon_weight=screener.lexicon_weight,
                examples=len(splits["train"]) + len(splits["dev"]) + len(extra),
                from_registrations=len(extra),
                evaluation=evaluation,
                active=False,
                note="" if better else "kept, not active: it routes the test split worse than the active version",
            )
            if better and current is not None:
                current.active = False
                s.flush()
            row.active, row.activated_at = better, now if better else None
            s.add(row)
            s.commit()
            view = _view(row)
        log.info(
            "routing model %d trained on %d appeals (%d registrations): test lead accuracy %.1f%%%s",
            view.id,
            view.examples,
            view.from_registrations,
            100 * evaluation["test"]["lead_accuracy"],
            "" if better else " (not made active)",
        )
        return view

    def retrain_if_due(self, every: timedelta = timedelta(days=1)) -> ModelView | None:
        """The schedule's turn: a new version when the active one is older than `every` (none is
        trained before a person trains the first: `hotline routing train`, the admin page)."""
        with self.sessions() as s:
            newest = s.scalar(select(RoutingModel.created_at).order_by(RoutingModel.id.desc()).limit(1))
        if newest is None or self.clock.now() - newest < every:
            return None
        return self.train("schedule")

    # --- versions -------------------------------------------------------------------------------
    def versions(self, limit: int = 50) -> list[ModelView]:
        with self.sessions() as s:
            rows = s.scalars(select(RoutingModel).order_by(RoutingModel.id.desc()).limit(limit))
            return [_view(r) for r in rows]

    def activate(self, model_id: int, by: str) -> ModelView:
        with self.sessions() as s:
            row = s.get(RoutingModel, model_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no routing model {model_id}")
            s.execute(update(RoutingModel).where(RoutingModel.active).values(active=False))
            s.flush()
            row.active, row.activated_at = True, self.clock.now()
            row.note = f"made active by {by}"
            s.commit()
            return _view(row)

    def rollback(self, by: str) -> ModelView:
        """The version that was active before the active one, active again."""
        with self.sessions() as s:
            current = s.scalar(select(RoutingModel).where(RoutingModel.active))
            if current is None or current.activated_at is None:
                raise InvalidInput("no model is active: nothing to go back from")
            previous = s.scalar(
                select(RoutingModel.id)
                .where(RoutingModel.activated_at.is_not(None), RoutingModel.activated_at < current.activated_at)
                .order_by(RoutingModel.activated_at.desc())
                .limit(1)
            )
        if previous is None:
            raise InvalidInput("the active model is the first one: there is no earlier version to go back to")
        return self.activate(previous, by)

    def active(self) -> ActiveModel | None:
        """The active version's model (loaded once per version)."""
        with self.sessions() as s:
            row = s.execute(
                select(RoutingModel.id, RoutingModel.threshold, RoutingModel.lexicon_weight).where(RoutingModel.active)
            ).first()
            if row is None:
                return None
            if self._loaded is not None and self._loaded.id == row.id:
                return self._loaded
            weights = s.scalar(select(RoutingModel.weights).where(RoutingModel.id == row.id))
        assert weights is not None
        self._loaded = ActiveModel(row.id, NgramModel.from_bytes(weights), row.threshold, row.lexicon_weight)
        return self._loaded


def _view(row: RoutingModel) -> ModelView:
    return ModelView(
        row.id,
        row.created_at,
        row.created_by,
        row.examples,
        row.from_registrations,
        row.threshold,
        row.active,
        row.activated_at,
        dict(row.evaluation or {}),
        row.note,
    )
