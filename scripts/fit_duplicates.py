"""Fit the duplicate check's weights on the tuning paraphrase set and choose its thresholds.

    .venv/bin/python scripts/fit_duplicates.py

Screens every report of both paraphrase sets as the platform does (the lexicon and a model
trained on the appeals corpus's train and dev splits), fits a logistic regression over
`finder.pair_features` on every pair of the tuning set (`paraphrases-dev.jsonl`), replays the
tuning set at several thresholds, and prints the weights and the replays (tuning set, then the
measure set, which is never used to choose). The printed WEIGHTS, INTERCEPT and the threshold
reaching 95 % precision on the tuning set go into casebook/duplicates/finder.py by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import combinations

import numpy as np
from sklearn.linear_model import LogisticRegression

from casebook.classify.corpus import load as load_corpus
from casebook.classify.screener import train_screener
from casebook.directory.seed import packaged_lexicon, packaged_rules
from casebook.duplicates import evaluate, finder


def main() -> None:
    corpus = load_corpus()
    screener = train_screener(
        packaged_lexicon(),
        [a for a in corpus if a.split == "train"],
        [a for a in corpus if a.split == "dev"],
        packaged_rules(),
    )
    cache: dict[str, evaluate.Screened] = {}

    def screen(text: str) -> evaluate.Screened:
        if text not in cache:
            cache[text] = evaluate.screened(screener.classify(text))
        return cache[text]

    tuning = evaluate.load(evaluate.paraphrases_path("paraphrases-dev"))
    at = datetime(2026, 8, 3, tzinfo=UTC)
    features = []
    for n, report in enumerate(tuning):
        found = screen(report.text)
        features.append(
            finder.CaseFeatures(
                n, str(n), at, report.text, found.category, found.place, found.township, categories=found.categories
            )
        )
    x, y = [], []
    for i, j in combinations(range(len(tuning)), 2):
        x.append(finder.pair_features(features[i], features[j]))
        y.append(int(tuning[i].incident == tuning[j].incident))
    model = LogisticRegression(C=1.0, max_iter=5000).fit(np.array(x), np.array(y))
    finder.WEIGHTS = tuple(round(float(w), 2) for w in model.coef_[0])
    finder.INTERCEPT = round(float(model.intercept_[0]), 2)
    print(f"WEIGHTS = {finder.WEIGHTS}\nINTERCEPT = {finder.INTERCEPT}")
    for name in ("paraphrases-dev", "paraphrases"):
        reports = evaluate.load(evaluate.paraphrases_path(name))
        for threshold in (0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
            score = evaluate.replay(reports, screen, threshold=threshold)
            print(f"{name} at {threshold}: precision {score.precision:.1%}, recall {score.recall:.1%}")


if __name__ == "__main__":
    main()
