"""The classifier: keyword lexicon (from the category tree), gazetteer, urgency words.

Why a lexicon and not a trained model: the center's staff can read and edit it (the keywords
live in the categories, editable like any directory data), every decision names the words that
made it, and it needs no training data the center does not have yet. Multi-character keywords
match anywhere in the normalised text; single characters must be whole words (jieba), so that
坑 ("pothole") does not fire inside 坑人 ("to cheat").

Confidence of the category: s1 / (s1 + s2 + 0.5), with s1 the best score and s2 the best score
outside its branch: one clear keyword gives 0.67, two give 0.8, a tie gives at most 0.4.
Below `threshold` (0.55) the case waits for an intake agent, with its clock running.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from casebook.classify.text import normalise

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.55
URGENCY_LEVELS = ("critical", "urgent")


@dataclass(frozen=True, slots=True)
class Finding:
    code: str | None
    confidence: float
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Classification:
    category: Finding
    place: Finding
    township: str | None
    urgency: Finding
    confident: bool
    # the next likeliest categories of other branches of the tree, each with its words: what the
    # person who registers the case may pick instead
    alternatives: tuple[Finding, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("category", "place", "urgency"):
            data[key]["evidence"] = list(data[key]["evidence"])
        data["alternatives"] = [{**a, "evidence": list(a["evidence"])} for a in data["alternatives"]]
        return data


@dataclass(frozen=True, slots=True)
class PlaceName:
    name: str
    place_code: str
    township: str | None
    exact: bool  # the full name, not an alias or short form


@dataclass
class Lexicon:
    keywords: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # category -> (word, weight)
    parents: dict[str, str | None] = field(default_factory=dict)
    places: list[PlaceName] = field(default_factory=list)
    urgency: dict[str, list[str]] = field(default_factory=dict)

    @staticmethod
    def parse_keyword(raw: str) -> tuple[str, float]:
        word, _, weight = str(raw).partition(":")
        return word.strip(), float(weight) if weight else 1.0


class Classifier:
    def __init__(self, lexicon: Lexicon, *, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.lexicon = lexicon
        self.threshold = threshold
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._places = sorted(lexicon.places, key=lambda p: (-len(p.name), not p.exact))

    # --- words ------------------------------------------------------------------------------------
    def _tokens(self, text: str) -> set[str]:
        """jieba, loaded on first use (its dictionary takes a second) with our words added."""
        with self._lock:
            if self._tokenizer is None:
                words = [w for ws in self.lexicon.keywords.values() for w, _weight in ws if len(w) > 1]
                self._tokenizer = _shared_tokenizer([*words, *(p.name for p in self.lexicon.places)])
        return set(self._tokenizer.lcut(text))

    def warm(self) -> None:
        """Load the tokenizer now (the platform's start), not at the first caller's screening."""
        self._tokens("")

    def _present(self, word: str, text: str, tokens: set[str] | None) -> bool:
        if len(word) > 1:
            return word in text
        return tokens is not None and word in tokens

    # --- classification ----------------------------------------------------------------------------
    def classify(self, raw_text: str) -> Classification:
        text = normalise(raw_text)
        single_chars = any(len(w) == 1 for ws in self.lexicon.keywords.values() for w, _ in ws)
        tokens = self._tokens(text) if text and single_chars else None
        category, alternatives = self._category(text, tokens)
        place, township = self._place(text)
        urgency = self._urgency(text, tokens)
        confident = category.code not in (None, "general") and category.confidence >= self.threshold
        return Classification(category, place, township, urgency, confident, alternatives)

    def _category(self, text: str, tokens: set[str] | None) -> tuple[Finding, tuple[Finding, ...]]:
        scores: dict[str, float] = {}
        evidence: dict[str, list[str]] = {}
        for code, words in self.lexicon.keywords.items():
            for word, weight in words:
                if word and self._present(word, text, tokens):
                    scores[code] = scores.get(code, 0.0) + weight
                    evidence.setdefault(code, []).append(word)
        if not scores:
            return Finding("general", 0.0, ()), ()
        best = max(scores, key=lambda c: (scores[c], c.count(".")))
        branch = self._branch(best)
        rivals = [s for c, s in scores.items() if c not in branch]
        s1, s2 = scores[best], max(rivals, default=0.0)
        found = Finding(best, round(s1 / (s1 + s2 + 0.5), 3), tuple(evidence[best]))
        others: list[Finding] = []
        for code in sorted(scores, key=lambda c: (-scores[c], -c.count("."), c)):
            if code in branch or len(others) == 2:
                continue
            others.append(Finding(code, round(scores[code] / (s1 + scores[code] + 0.5), 3), tuple(evidence[code])))
            branch = branch | self._branch(code)
        return found, tuple(others)

    def _branch(self, code: str) -> set[str]:
        """The code, its ancestors and its descendants: one line of the tree."""
        related = {code}
        parent = self.lexicon.parents.get(code)
        while parent:
            related.add(parent)
            parent = self.lexicon.parents.get(parent)
        related |= {c for c in self.lexicon.parents if c.startswith(code + ".")}
        return related

    def _place(self, text: str) -> tuple[Finding, str | None]:
        """The most specific place the text names, and its township. A township the text names
        outright wins over the township a village of the same name elsewhere would give
        (花源镇白果村 is in 花源镇 whatever other 白果村 the county has); otherwise the longest name
        found wins (普兴火车站 over 火车站)."""
        found = [p for p in self._places if p.name in text]
        found = [p for p in found if not any(p.name != q.name and p.name in q.name for q in found)]
        if not found:
            return Finding(None, 0.0, ()), None
        named = [p for p in found if p.place_code.startswith("township-")]
        if named:
            township = named[0].township
            inside = [p for p in found if p.township == township and p not in named]
            best = inside[0] if inside else named[0]
            return Finding(best.place_code, 0.95, (best.name,)), township
        best = found[0]
        return Finding(best.place_code, 0.95 if best.exact else 0.8, (best.name,)), best.township

    def _urgency(self, text: str, tokens: set[str] | None) -> Finding:
        for level, confidence in (("critical", 0.9), ("urgent", 0.75)):
            found = tuple(w for w in self.lexicon.urgency.get(level, []) if self._present(w, text, tokens))
            if found:
                return Finding(level, confidence, found)
        return Finding("normal", 0.6, ())


_TOKENIZER: Any = None
_TOKENIZER_WORDS: set[str] = set()  # the words added to it so far
_TOKENIZER_LOCK = threading.Lock()


def _shared_tokenizer(words: Iterable[str]) -> Any:
    """One jieba tokenizer per process, loaded at once with its dictionary (a second of CPU that
    holds the GIL: the platform loads it at start, `Classifier.warm`), with `words` added. Words
    added by any lexicon only ever help segmentation, so sharing it is safe; a word is added once
    (each addition segments it: a second or more for a lexicon, repeated at every new screener
    before, in the middle of a hundred calls: bench/RESULTS.md, issue 18)."""
    global _TOKENIZER
    with _TOKENIZER_LOCK:
        if _TOKENIZER is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            _TOKENIZER = jieba.Tokenizer()
            _TOKENIZER.initialize()
        for word in words:
            if word not in _TOKENIZER_WORDS:
                _TOKENIZER.add_word(word)
                _TOKENIZER_WORDS.add(word)
        return _TOKENIZER


def build_lexicon(
    categories: Iterable[tuple[str, str | None, list[Any]]],
    places: Iterable[tuple[str, str, str | None, list[Any]]],
    townships: Iterable[tuple[str, str]],
    urgency: dict[str, list[str]],
) -> Lexicon:
    """From directory rows: categories (code, parent, keywords), places (code, name, township,
    aliases), townships (unit code, name): a township is a place too, also by its short name."""
    lexicon = Lexicon(urgency={k: list(v) for k, v in urgency.items()})
    for code, parent, keywords in categories:
        lexicon.parents[code] = parent
        lexicon.keywords[code] = [Lexicon.parse_keyword(k) for k in keywords or []]
    for code, name, township, aliases in places:
        lexicon.places.append(PlaceName(name, code, township, True))
        lexicon.places.extend(PlaceName(alias, code, township, False) for alias in aliases or [])
    for unit_code, name in townships:
        lexicon.places.append(PlaceName(name, f"township-{unit_code}", unit_code, True))
        short = name.rstrip("镇乡")
        if len(short) >= 2 and short != name:
            lexicon.places.append(PlaceName(short, f"township-{unit_code}", unit_code, False))
    return lexicon
