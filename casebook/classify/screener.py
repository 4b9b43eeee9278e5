"""Screening a text: the lexicon and the learnt model together (decision 0026).

The model's probabilities decide the category; the lexicon's words, where they are confident,
add `lexicon_weight` to their category (a word an administrator added counts from the next case
on, before any retraining). Places, the township and urgency stay the lexicon's (the gazetteer
and the urgency words). The case shows the model's pieces of text that decided, the lexicon's
words when they agree, and the two next likeliest categories with theirs.

`threshold` is the confidence above which a case is registered and dispatched without a person:
the lowest at which the lead unit was right at least `precision` of the time (97 % by default)
on appeals the model had not learnt from (`train_screener`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from casebook.classify.classifier import DEFAULT_THRESHOLD, Classification, Classifier, Finding, Lexicon
from casebook.classify.corpus import Appeal
from casebook.classify.evaluate import Guess, Report, evaluate
from casebook.classify.model import NgramModel, train
from casebook.routing import RuleView

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
        return self._decide(text, found, self.model.probabilities(text))

    def _decide(self, text: str, found: Classification, probabilities: dict[str, float]) -> Classification:
        """The model's probabilities and the lexicon's finding made one classification."""
        assert self.model is not None
        scores = dict(probabilities)
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
    folds: int = 3,
) -> Screener:
    """Fit the model on the train and dev splits together (and `extra` (text, category) pairs:
    registrations made by people). The lexicon's weight and the threshold for `precision` are
    chosen on out-of-fold predictions: each appeal of the two splits screened by a model that
    did not learn from it (`folds` models), so that no appeal it is measured on was seen. The
    test split is never used here: it is what the evaluation reports."""
    corpus = [*train_split, *dev_split]
    extra_texts, extra_labels = [t for t, _ in extra], [c for _, c in extra]
    unseen: dict[str, dict[str, float]] = {}
    for fold in range(folds):
        learn = [a for n, a in enumerate(corpus) if n % folds != fold]
        model = train([a.text for a in learn] + extra_texts, [a.category for a in learn] + extra_labels)
        unseen.update({a.text: model.probabilities(a.text) for n, a in enumerate(corpus) if n % folds == fold})
    final = train([a.text for a in corpus] + extra_texts, [a.category for a in corpus] + extra_labels)

    words = Classifier(lexicon)
    found_by_words = {a.text: words.classify(a.text) for a in corpus}  # once, not once per weight

    def judged(weight: float) -> Report:
        screener = Screener(lexicon, final, threshold=1.01, lexicon_weight=weight)

        def guess(text: str) -> Guess:
            found = screener._decide(text, found_by_words[text], unseen[text])
            return Guess(found.category.code or "general", found.category.confidence, found.township)

        return evaluate(corpus, guess, rules)

    reports = {weight: judged(weight) for weight in LEXICON_WEIGHTS}
    weight = max(LEXICON_WEIGHTS, key=lambda w: (reports[w].lead_accuracy, -w))
    threshold = reports[weight].threshold_for(precision)
    return Screener(lexicon, final, threshold=threshold if threshold is not None else 1.01, lexicon_weight=weight)
