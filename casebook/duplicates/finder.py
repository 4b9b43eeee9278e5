"""Duplicate detection over the open cases of the last days.

A new appeal is compared with every open case received within the window. The score mixes
what the seed's dead-pig incident shows six reports of one event share:

    score = 0.4 * text + 0.3 * place + 0.3 * category  (+ 0.1 for the same caller), at most 1

- text: cosine similarity of character-bigram counts (robust to the different wordings of six
  citizens, and to speech-recognition segmentation);
- place: 1 for the same named place, 0.5 for the same township;
- category: 1 for the same category, 0.5 for the same parent category.

Place and category weigh as much as the words: six citizens describe one event in six ways
(their texts share a third of their bigrams or less), but it is the same place, the same kind
of problem, the same days. Two reports that share only words (a common complaint about
different places) stay apart.

At or above `auto_threshold` the appeal is linked to the master case automatically; at or above
`suggest_threshold` it is offered to the intake agent as a suggestion.

The index keeps an inverted list of bigrams (and of place and category) so a check touches only
cases that share something with the new text: well under 50 ms against 10,000 open cases.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from casebook.classify.text import bigrams

AUTO_THRESHOLD = 0.65
SUGGEST_THRESHOLD = 0.4
COMMON_SHARE = 0.2  # bigrams found in more than this share of cases carry no signal


@dataclass
class CaseFeatures:
    case_id: int
    number: str
    received_at: datetime
    text: str
    category: str | None = None
    place: str | None = None
    township: str | None = None
    caller_id: int | None = None
    master_id: int | None = None  # set when this case is itself a duplicate
    grams: Counter[str] = field(default_factory=Counter)
    norm: float = 0.0

    def __post_init__(self) -> None:
        self.grams = Counter(bigrams(self.text))
        self.norm = math.sqrt(sum(v * v for v in self.grams.values()))


@dataclass(frozen=True, slots=True)
class Match:
    case_id: int
    number: str
    score: float
    text: float
    place: float
    category: float
    same_caller: bool


def text_similarity(a: CaseFeatures, b: CaseFeatures) -> float:
    if not a.norm or not b.norm:
        return 0.0
    small, large = (a, b) if len(a.grams) < len(b.grams) else (b, a)
    dot = sum(count * large.grams.get(gram, 0) for gram, count in small.grams.items())
    return dot / (a.norm * b.norm)


def place_similarity(a: CaseFeatures, b: CaseFeatures) -> float:
    if a.place and a.place == b.place and not a.place.startswith("township-"):
        return 1.0
    if a.township and a.township == b.township:
        return 0.5
    return 0.0


def category_similarity(a: CaseFeatures, b: CaseFeatures) -> float:
    if not a.category or not b.category or "general" in (a.category, b.category):
        return 0.0
    if a.category == b.category:
        return 1.0
    if a.category.split(".")[0] == b.category.split(".")[0]:
        return 0.5
    return 0.0


def score(a: CaseFeatures, b: CaseFeatures) -> Match:
    text = text_similarity(a, b)
    place = place_similarity(a, b)
    category = category_similarity(a, b)
    same_caller = a.caller_id is not None and a.caller_id == b.caller_id
    total = min(1.0, 0.4 * text + 0.3 * place + 0.3 * category + (0.1 if same_caller else 0.0))
    return Match(b.case_id, b.number, round(total, 3), round(text, 3), place, category, same_caller)


class OpenCaseIndex:
    """Open cases of the last `window` days, indexed for quick candidate lookup."""

    def __init__(self, window: timedelta = timedelta(days=7)) -> None:
        self.window = window
        self.cases: dict[int, CaseFeatures] = {}
        self._postings: dict[str, set[int]] = {}

    def __len__(self) -> int:
        return len(self.cases)

    def add(self, case: CaseFeatures) -> None:
        self.remove(case.case_id)
        self.cases[case.case_id] = case
        for key in self._keys(case):
            self._postings.setdefault(key, set()).add(case.case_id)

    def remove(self, case_id: int) -> None:
        old = self.cases.pop(case_id, None)
        if old is None:
            return
        for key in self._keys(old):
            ids = self._postings.get(key)
            if ids is not None:
                ids.discard(case_id)
                if not ids:
                    del self._postings[key]

    def prune(self, now: datetime) -> None:
        for case_id in [c.case_id for c in self.cases.values() if now - c.received_at > self.window]:
            self.remove(case_id)

    @staticmethod
    def _keys(case: CaseFeatures) -> Iterable[str]:
        yield from case.grams
        if case.place and not case.place.startswith("township-"):
            yield f"@place:{case.place}"
        if case.category and case.category != "general":
            yield f"@category:{case.category}"
        if case.caller_id is not None:
            yield f"@caller:{case.caller_id}"

    def candidates(self, case: CaseFeatures, now: datetime) -> list[Match]:
        """Matches at or above the suggestion threshold, best first."""
        limit = max(50, int(len(self.cases) * COMMON_SHARE))
        overlap: Counter[int] = Counter()
        for key in self._keys(case):
            ids = self._postings.get(key)
            if not ids or (len(ids) > limit and not key.startswith("@")):
                continue
            for case_id in ids:
                overlap[case_id] += 1
        matches: list[Match] = []
        for case_id, _shared in overlap.most_common(200):
            other = self.cases[case_id]
            if case_id == case.case_id or now - other.received_at > self.window:
                continue
            match = score(case, other)
            if match.score >= SUGGEST_THRESHOLD:
                matches.append(match)
        matches.sort(key=lambda m: (-m.score, m.case_id))
        return matches
