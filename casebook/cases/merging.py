"""Duplicates: the index of open cases, the search for a new case's master, merging and unmerging.

A mixin of `CaseBook` (casebook/cases/services.py), split out along its own seam. Six citizens
report one dead pig in six ways: the first case is the master, the others are linked to it (merged)
and get its reply. Merging is automatic above `AUTO_THRESHOLD`; below it, a suggestion waits for a
person. The index is shared by the request threads and the screening thread (the book's lock).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.auth.policy import CLASSIFIER, Actor, require
from casebook.cases.errors import InvalidInput, InvalidTransition, NotFound
from casebook.cases.lifecycle import Action, Status
from casebook.cases.part import BookPart
from casebook.cases.queries import check_visible, masks_callers, public
from casebook.cases.schemas import ComparisonOut
from casebook.db.models import Case, DuplicateLink
from casebook.duplicates.finder import AUTO_THRESHOLD, CaseFeatures, Match, OpenCaseIndex, score


def _wordlike(piece: str) -> bool:
    """A piece of Chinese words (not digits, punctuation or spaces): what a person reads as shared."""
    return all("\u4e00" <= c <= "\u9fff" for c in piece)


def _likeliest(classification: dict[str, Any] | None) -> str | None:
    return ((classification or {}).get("category") or {}).get("code")


def _categories(case: Case) -> dict[str, float]:
    """The case's kind of problem as the duplicate model was fitted on it: the classifier's three
    likeliest categories with their probabilities, even once registered (taken as certain, alike
    registered cases would score higher than any pair measured). A category a person chose other
    than the classifier's first stands in its place, as sure as that first was."""
    classification = case.classification or {}
    found = [classification.get("category") or {}, *(classification.get("alternatives") or [])]
    likeliest = {str(f["code"]): float(f.get("confidence") or 0.0) for f in found if f.get("code")}
    if not likeliest:
        return {case.category_code: 1.0} if case.category_code else {}
    first = max(likeliest, key=lambda code: likeliest[code])
    if case.category_code and case.category_code != first:
        return {case.category_code: likeliest[first]}
    return likeliest


class Merging(BookPart):
    """Needs of the book (given by `CaseBook`): sessions, clock, lock, event log, moves, notifier."""

    _lock: threading.RLock
    _index: OpenCaseIndex | None
    _index_max_id: int

    # --- the index of open cases ---------------------------------------------------------------------
    def _features(self, case: Case) -> CaseFeatures:
        text = " ".join(t for t in (case.description, case.transcript or "") if t)
        return CaseFeatures(
            case.id,
            case.number,
            case.received_at,
            text,
            case.category_code or _likeliest(case.classification),
            case.place_code,
            case.township_code,
            case.caller_id,
            case.duplicate_of_id,
            categories=_categories(case),
        )

    def duplicate_index(self, s: Session) -> OpenCaseIndex:
        """Open cases of the window, brought up to date with the database (incrementally)."""
        now = self.clock.now()
        with self._lock:
            if self._index is None:
                self._index = OpenCaseIndex()
                self._index_max_id = 0
            index = self._index
            since = now - index.window
            rows = s.scalars(  # linked cases too: a new report may resemble one more than its master
                select(Case).where(
                    Case.id > self._index_max_id,
                    Case.received_at >= since,
                    Case.status.not_in([Status.CLOSED]),
                )
            ).all()
            for case in rows:
                index.add(self._features(case))
                self._index_max_id = max(self._index_max_id, case.id)
            index.prune(now)
            return index

    def _index_update(self, case: Case) -> None:
        with self._lock:
            if self._index is None:
                return
            if case.status == Status.CLOSED:
                self._index.remove(case.id)
            else:
                self._index.add(self._features(case))

    @staticmethod
    def _masters_of(s: Session, case: Case, found: list[Match]) -> list[Match]:
        """Each match as the open master it belongs to (the index may hold a report whose master
        closed, left the window or was itself merged since), the best score per master, best first;
        never the case itself, a closed or a merged case."""
        best: dict[int, Match] = {}
        for match in found:
            root = s.get(Case, match.case_id)
            while root is not None and root.duplicate_of_id is not None:
                root = s.get(Case, root.duplicate_of_id)
            if root is None or root.id == case.id or root.status in (Status.CLOSED, Status.MERGED):
                continue
            if root.id not in best or match.score > best[root.id].score:
                best[root.id] = replace(match, case_id=root.id, number=root.number)
        return sorted(best.values(), key=lambda m: (-m.score, m.case_id))

    def _find_duplicates(self, s: Session, case: Case) -> tuple[Match | None, tuple[Match, ...]]:
        features = self._features(case)
        with self._lock:  # the index is shared by the request threads and the screening thread
            found = self.duplicate_index(s).candidates(features, self.clock.now())
        matches = self._masters_of(s, case, found)
        master = matches[0] if matches and matches[0].score >= AUTO_THRESHOLD else None
        suggestions = tuple(m for m in matches if master is None or m.case_id != master.case_id)
        # a case screened twice (the pending sweep found it just as its own screening ran) keeps
        # each link once: the second screening waited for the first's lock and sees its links
        known = set(s.scalars(select(DuplicateLink.master_id).where(DuplicateLink.case_id == case.id)))
        for match in suggestions:
            if match.case_id in known:
                continue
            s.add(
                DuplicateLink(
                    case_id=case.id,
                    master_id=match.case_id,
                    score=match.score,
                    state="suggested",
                    automatic=True,
                    created_at=self.clock.now(),
                )
            )
            self._event(s, case, CLASSIFIER, "duplicate_suggested", master=match.number, score=match.score)
        return master, suggestions

    # --- merging ---------------------------------------------------------------------------------------
    def merge(
        self,
        number: str,
        master_number: str,
        actor: Actor,
        *,
        score: float | None = None,
        automatic: bool = False,
        reason: str = "",
    ) -> Case:
        """Link a duplicate to its master: it is handled once, and its reporter gets the master's reply."""
        if number == master_number:
            raise InvalidInput("a case cannot be its own master")
        with self.acting(number, actor, "merge") as a:
            master = self.get(a.s, master_number)
            self._merge(a.s, a.case, master, actor, score=score, automatic=automatic, reason=reason)
            a.reindex = True
            a.tell("case.merged", master=master_number)
        return a.case

    def _merge(
        self,
        s: Session,
        case: Case,
        master: Case,
        actor: Actor,
        *,
        score: float | None,
        automatic: bool,
        reason: str,
    ) -> None:
        while master.duplicate_of_id is not None:
            master = s.get(Case, master.duplicate_of_id)  # type: ignore[assignment]
        if master.id == case.id:
            raise InvalidInput("that would make the case its own master")
        if master.status in (Status.CLOSED, Status.MERGED):
            raise InvalidTransition(f"master case {master.number} is {master.status}")
        self._move(s, case, Action.MERGE, actor, reason, master=master.number, score=score, automatic=automatic)
        case.duplicate_of_id = master.id
        case.needs_intake = False
        link = s.scalar(
            select(DuplicateLink).where(DuplicateLink.case_id == case.id, DuplicateLink.master_id == master.id)
        )
        if link is None:
            link = DuplicateLink(
                case_id=case.id,
                master_id=master.id,
                score=score or 1.0,
                automatic=automatic,
                created_at=self.clock.now(),
                state="linked",
            )
            s.add(link)
        link.state, link.decided_by = "linked", actor.name
        for child in s.scalars(select(Case).where(Case.duplicate_of_id == case.id)):
            child.duplicate_of_id = master.id  # the case's own duplicates follow it to the master
        self._event(s, master, actor, "duplicate_linked", duplicate=case.number, score=score)

    def unmerge(self, number: str, actor: Actor, *, reason: str) -> Case:
        with self.acting(number, actor, "unmerge") as a:
            s, case = a.s, a.case
            master_id = case.duplicate_of_id
            self._move(s, case, Action.UNMERGE, actor, reason)
            if case.category_code is None:
                case.status = Status.RECEIVED.value
            case.duplicate_of_id = None
            for link in s.scalars(
                select(DuplicateLink).where(DuplicateLink.case_id == case.id, DuplicateLink.master_id == master_id)
            ):
                link.state, link.decided_by = "rejected", actor.name
            master_number = s.scalar(select(Case.number).where(Case.id == master_id)) if master_id else None
            a.reindex = True
            # the case is its own again: its unit's clocks and the pages that show it must know
            a.tell("case.unmerged", master=master_number)
        return case

    def reject_suggestion(self, number: str, master_number: str, actor: Actor) -> None:
        require(actor, "merge")
        with self.sessions() as s:
            case = self.get(s, number)
            master = self.get(s, master_number)
            link = s.scalar(
                select(DuplicateLink).where(DuplicateLink.case_id == case.id, DuplicateLink.master_id == master.id)
            )
            if link is None or link.state != "suggested":
                raise NotFound(f"no suggestion linking {number} to {master_number}")
            link.state, link.decided_by = "rejected", actor.name
            self._event(s, case, actor, "duplicate_rejected", master=master_number)
            s.commit()

    # --- two cases side by side ----------------------------------------------------------------------
    def compare(self, number: str, other: str, actor: Actor) -> ComparisonOut:
        """Two cases side by side, for a person deciding whether one is a duplicate of the other:
        each as this reader may see it, the similarity, what it is made of, and the words the two
        share (the two-character pieces the score counts, the commonest first)."""
        if number == other:
            raise InvalidInput("compare a case with another one")
        now = self.clock.now()
        with self.sessions() as s:
            cases = [self.get(s, n) for n in (number, other)]
            for case in cases:
                check_visible(s, case, actor)
            a, b = (self._features(case) for case in cases)
            found = score(a, b)
            shared = sorted(set(a.grams) & set(b.grams), key=lambda g: (-min(a.grams[g], b.grams[g]), g))
            masked = masks_callers(actor)
            return ComparisonOut(
                case=public(cases[0], now, masked=masked),
                other=public(cases[1], now, masked=masked),
                score=found.score,
                text=found.text,
                place=found.place,
                category=found.category,
                same_caller=found.same_caller,
                shared=[g for g in shared if _wordlike(g)][:15],
            )
