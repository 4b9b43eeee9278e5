"""Screening one appeal: the lexicon alone (what the platform did before issue 17) beside the
lexicon and the learnt model together (what it does now), over the corpus's test split, in one
process. Five runs of every appeal; the median and spread of the per-appeal time, and the 95th
percentile of the middle run.

    .venv/bin/python -m bench.screening
"""

from __future__ import annotations

import statistics
import time

from casebook.classify.corpus import load
from casebook.classify.screener import Screener, train_screener
from casebook.directory.seed import packaged_lexicon, packaged_rules

RUNS = 5


def _timed(screener: Screener, texts: list[str]) -> list[float]:
    took = []
    for text in texts:
        started = time.perf_counter()
        screener.classify(text)
        took.append((time.perf_counter() - started) * 1000)
    return took


def main() -> None:
    appeals = load()
    texts = [a.text for a in appeals if a.split == "test"]
    lexicon, rules = packaged_lexicon(), packaged_rules()
    learnt = train_screener(
        lexicon, [a for a in appeals if a.split == "train"], [a for a in appeals if a.split == "dev"], rules
    )
    peers = {"lexicon alone": Screener(lexicon, None), "lexicon and model": learnt}
    for screener in peers.values():
        screener.classify(texts[0])  # jieba's dictionary loads once per process, before timing
    print(f"{len(texts)} appeals of the test split, {RUNS} runs each (ms per appeal)")
    for name, screener in peers.items():
        medians, p95s = [], []
        for _ in range(RUNS):
            took = sorted(_timed(screener, texts))
            medians.append(statistics.median(took))
            p95s.append(took[int(len(took) * 0.95)])
        print(
            f"{name:18}: median {statistics.median(medians):.2f} (runs {min(medians):.2f}-{max(medians):.2f}),"
            f" p95 {statistics.median(p95s):.2f}"
        )


if __name__ == "__main__":
    main()
