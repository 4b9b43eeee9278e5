"""Screening a text: the lexicon and the learnt model together (decision 0026).

The model's probabilities decide the category; the lexicon's words, where they are confident,
add `lexicon_weight` to their category (a word an administrator added counts from the next case
on, before any retraining). Places, the township and urgency stay the lexicon's (the gazetteer
and the urgency words). The case shows the model's pieces of text that decided, the lexicon's
words when they agree, and the two next likeliest categories with theirs.

`threshold` is the confidence above which a case is registered and dispatched without a person:
chosen on the dev split as the lowest at which the lead unit was right at least `precision` of
the time (97 % by default, `train_screener`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from casebook.classify.classifier import DEFAULT_THRESHOLD, Classification, Classifier, Finding, Lexicon
from casebook.classify.corpus import Appeal
from casebook.classify.evaluate import Guess, evaluate
from casebook.classify.model import NgramModel, train
from casebook.routing import RuleView

STRENGTHS = (20.0,)  # 5, 20 and 80 measured alike on the dev split (bench/RESULTS.md)
LEXICON_WEIGHTS = (0.0, 0.15, 0.3, 0.5)


@dataclass
class Screener:
    lexicon: Lexicon
    model: NgramModel | None
    threshold: float = DEFAULT_THRESHOLD
    lexicon_weight: float = 0.3

    def __post_init__(self) -> None:
        self.words = Classifier(self.lexicon, threshold=self.threshold)

    def classify(self, text: str) -> Classification:
        found = self.words.classify(text)
        if self.model is None:
            return found
        scores = self.model.probabilities(text)
        if found.category.code in scores and found.category.evidence:
            scores[found.category.code] += self.lexicon_weight * found.category.confidence
        total = sum(scores.values())
        ranked = sorted(scores, key=lambda c: -scores[c])
        best = ranked[0]
        confidence = round(scores[best] / total, 3)
        words = self.model.explain(text, best)
        if found.category.code == best:
            words = tuple(dict.fromkeys((*found.category.evidence, *words)))
        alternatives = tuple(
            Finding(code, round(scores[code] / total, 3), self.model.explain(text, code, most=3))
            for code in ranked[1:3]
        )
        confident = best != "general" and confidence >= self.threshold
        return Classification(
            Finding(best, confidence, words), found.place, found.township, found.urgency, confident, alternatives
        )

    def guess(self, text: str) -> Guess:
        found = self.classify(text)
        return Guess(found.category.code or "general", found.category.confidence, found.township)


def train_screener(
    lexicon: Lexicon,
    train_split: Sequence[Appeal],
    dev_split: Sequence[Appeal],
    rules: Sequence[RuleView],
    *,
    extra: Sequence[tuple[str, str]] = (),
    precision: float = 0.97,
) -> Screener:
    """Fit the model on the train split (and `extra` (text, category) pairs: registrations made by
    people), choose its regularisation and the lexicon's weight on the dev split by the lead
    unit's accuracy, then the threshold for `precision`."""
    texts = [a.text for a in train_split] + [t for t, _ in extra]
    labels = [a.category for a in train_split] + [c for _, c in extra]
    best: tuple[float, Screener] | None = None
    for strength in STRENGTHS:
        model = train(texts, labels, strength=strength)
        for weight in LEXICON_WEIGHTS:
            screener = Screener(lexicon, model, threshold=1.01, lexicon_weight=weight)
            accuracy = evaluate(dev_split, screener.guess, rules).lead_accuracy
            if best is None or accuracy > best[0]:
                best = (accuracy, screener)
    assert best is not None
    chosen = best[1]
    threshold = evaluate(dev_split, chosen.guess, rules).threshold_for(precision)
    return Screener(
        lexicon,
        chosen.model,
        threshold=threshold if threshold is not None else 1.01,
        lexicon_weight=chosen.lexicon_weight,
    )
