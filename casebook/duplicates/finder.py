"""Duplicate detection over the open cases of the last days.

A new appeal is compared with every open case received within the window (masters and the
cases already linked to them: a report may resemble the fourth report of an incident more than
its first). Whether two reports are one incident is a logistic model over what tells them apart
in the paraphrase sets (`corpus/paraphrases-dev.jsonl`; decision 0028):

- category agreement: the two classifications' category probabilities multiplied (the top three
  of each): six citizens' words for one problem differ, the problem they describe does not, and a
  near-miss (the same place, another problem) differs here above all;
- text: cosine of character bigrams weighted by their rarity in the appeals corpus (the place names
  and particular details weigh, "你好", "麻烦" do not);
- a place token both name (a "...村", "...小区", "...路", "...学校" found in the text), the same
  named place of the gazetteer, the same township, or two different townships (against);
- the same caller adds 0.1 (a citizen calling again about their problem);
- a pair where either problem is unknown (unscreened, or vague) is at most a suggestion.

The weights were fitted on the tuning set (`scripts/fit_duplicates.py`); the first set is the
measure (`hotline routing duplicates`). At or above `AUTO_THRESHOLD` (chosen for 95 % precision of
linked pairs on the tuning set) the appeal is linked to the master automatically; at or above
`SUGGEST_THRESHOLD` it is offered to the intake agent as a suggestion.

The index keeps an inverted list of bigrams (and of place and category) so a check touches only
cases that share something with the new text.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache

from casebook.classify.text import bigrams

AUTO_THRESHOLD = 0.75  # the lowest reaching 95 % precision of linked pairs on the tuning set (95.5 %)
SUGGEST_THRESHOLD = 0.3
COMMON_SHARE = 0.2  # bigrams found in more than this share of cases carry no signal
SAME_CALLER_BONUS = 0.1
SUGGEST_CEILING = AUTO_THRESHOLD - 0.01  # the most a pair of unknown problems can score
# fitted by scripts/fit_duplicates.py on corpus/paraphrases-dev.jsonl (the order of `pair_features`)
WEIGHTS = (0.91, 4.09, 13.39, 1.61, 0.93, -3.07, 0.23, 3.12, 2.18)
INTERCEPT = -6.33
FEATURES = (
    "category agreement",
    "same likeliest category",
    "text",
    "shared place token",
    "same township",
    "different townships",
    "same named place",
    "category x text",
    "category x place token",
)
_PLACE_TOKEN = re.compile(
    r"[\u4e00-\u9fff]{2}(?:村|社区|小区|花园|路(?!灯|口)|街|巷|镇|乡|学校|小学|中学|幼儿园|市场|医院|桥|河|渠|广场|公园|大道|组|厂|场|站)"
)
# a name is not "我们小区", "这条马路", "门口路灯": these characters do not begin one
_NOT_A_NAME = frozenset("我你他她们的这那哪条个一家门口边旁上下里外前后对面附近个些每该此各")


@cache
def _rarity() -> tuple[dict[str, float], float]:
    """Inverse document frequency of bigrams in the appeals corpus (read once, on first use)."""
    from casebook.classify.corpus import load

    documents = [set(bigrams(appeal.text)) for appeal in load()]
    counts = Counter(gram for document in documents for gram in document)
    size = len(documents)
    return {gram: math.log((size + 1) / (n + 1)) for gram, n in counts.items()}, math.log(size + 1)


def weighted_bigrams(text: str) -> dict[str, float]:
    """The text's bigrams weighted by count and rarity, scaled to length 1."""
    rarity, unseen = _rarity()
    vector = {gram: n * rarity.get(gram, unseen) for gram, n in Counter(bigrams(text)).items()}
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {gram: v / norm for gram, v in vector.items()}


def place_tokens(text: str) -> frozenset[str]:
    """Names of places as citizens write them ("白鹤村", "丽都花园", "兴园路"): a kind of place and the
    two characters before it (a name cut the same way in both texts, however it is written)."""
    return frozenset(t for t in _PLACE_TOKEN.findall(text) if not (set(t[:2]) & _NOT_A_NAME))


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
    categories: Mapping[str, float] = field(default_factory=dict)  # category -> probability
    grams: Counter[str] = field(default_factory=Counter)
    weighted: dict[str, float] = field(default_factory=dict)
    places: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.grams = Counter(bigrams(self.text))
        self.weighted = weighted_bigrams(self.text)
        self.places = place_tokens(self.text)
        if not self.categories and self.category:
            self.categories = {self.category: 1.0}


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
    small, large = (a.weighted, b.weighted) if len(a.weighted) < len(b.weighted) else (b.weighted, a.weighted)
    return sum(v * large.get(gram, 0.0) for gram, v in small.items())


def place_similarity(a: CaseFeatures, b: CaseFeatures) -> float:
    """1 for the same named place (of the gazetteer, or a place name both write), 0.5 for the same
    township, else 0."""
    if a.place and a.place == b.place and not a.place.startswith("township-"):
        return 1.0
    if a.places & b.places:
        return 1.0
    if a.township and a.township == b.township:
        return 0.5
    return 0.0


def category_similarity(a: CaseFeatures, b: CaseFeatures) -> float:
    """How likely the two are the same kind of problem: their category probabilities multiplied."""
    agreement = sum(p * b.categories.get(code, 0.0) for code, p in a.categories.items() if code != "general")
    return min(1.0, agreement)


def _likeliest(case: CaseFeatures) -> str | None:
    return max(case.categories, key=lambda c: case.categories[c]) if case.categories else None


def pair_features(a: CaseFeatures, b: CaseFeatures) -> tuple[float, ...]:
    """What the model weighs, in the order of `FEATURES`."""
    category = category_similarity(a, b)
    text = text_similarity(a, b)
    token = float(bool(a.places & b.places))
    top = _likeliest(a)
    same_top = float(top is not None and top != "general" and top == _likeliest(b))
    same_township = float(bool(a.township and a.township == b.township))
    other_township = float(bool(a.township and b.township and a.township != b.township))
    same_place = float(bool(a.place and a.place == b.place and not a.place.startswith("township-")))
    return (
        category,
        same_top,
        text,
        token,
        same_township,
        other_township,
        same_place,
        category * text,
        category * token,
    )


def probability(features: tuple[float, ...]) -> float:
    z = INTERCEPT + sum(w * x for w, x in zip(WEIGHTS, features, strict=True))
    return 1.0 / (1.0 + math.exp(-z))


def _known_problem(case: CaseFeatures) -> bool:
    return any(code != "general" for code in case.categories)


def score(a: CaseFeatures, b: CaseFeatures) -> Match:
    features = pair_features(a, b)
    same_caller = a.caller_id is not None and a.caller_id == b.caller_id
    total = min(1.0, probability(features) + (SAME_CALLER_BONUS if same_caller else 0.0))
    if not (_known_problem(a) and _known_problem(b)):
        # one incident is one problem: when either problem is unknown ("我想反映一个情况" twice),
        # alike words are offered to a person, never linked without one
        total = min(total, SUGGEST_CEILING)
    return Match(
        b.case_id,
        b.number,
        round(total, 3),
        round(features[2], 3),
        place_similarity(a, b),
        round(features[0], 3),
        same_caller,
    )


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
        for code in case.categories:
            if code != "general":
                yield f"@category:{code}"
        if case.caller_id is not None:
            yield f"@caller:{case.caller_id}"

    def candidates(self, case: CaseFeatures, now: datetime) -> list[Match]:
        """Matches at or above the suggestion threshold, best first, one per master (a linked
        report's match is its master's, with the best score of the group)."""
        limit = max(50, int(len(self.cases) * COMMON_SHARE))
        overlap: Counter[int] = Counter()
        for key in self._keys(case):
            ids = self._postings.get(key)
            if not ids or (len(ids) > limit and not key.startswith("@")):
                continue
            for case_id in ids:
                overlap[case_id] += 1
        best: dict[int, Match] = {}
        for case_id, _shared in overlap.most_common(200):
            other = self.cases[case_id]
            if case_id == case.case_id or now - other.received_at > self.window:
                continue
            match = score(case, other)
            master = self.cases.get(other.master_id) if other.master_id is not None else None
            if master is not None:  # a linked report stands for its master
                match = replace(match, case_id=master.case_id, number=master.number)
            if match.case_id == case.case_id or match.score < SUGGEST_THRESHOLD:
                continue
            if match.case_id not in best or match.score > best[match.case_id].score:
                best[match.case_id] = match
        return sorted(best.values(), key=lambda m: (-m.score, m.case_id))
