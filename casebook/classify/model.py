"""A statistical model of the appeal categories, beside the lexicon (decision 0026).

Citizens do not use the words someone typed into the categories: a model learns them from
appeals labelled by people (the corpus, and every registration an intake agent makes). Features
are character n-grams (1 to 3) of the normalised text, weighted by TF-IDF: Chinese needs no word
segmentation for them, and speech transcripts without punctuation look like typed text. The
classifier is a multinomial logistic regression (scikit-learn), whose weights are kept as plain
arrays (`to_bytes`: numpy's npz without pickles), so loading a model from the database runs no
code, and predicting needs numpy alone (well under a millisecond per case).

The words that decided are the n-grams that added most to the chosen category's score,
overlapping ones joined (`explain`): a person reads why, as with the lexicon.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from casebook.classify.text import normalise

NGRAMS = (1, 2, 3)
_RUNS = re.compile(r"[\u3400-\u9fff\uf900-\ufaffa-z0-9]+")


def grams(text: str) -> list[str]:
    """The character n-grams of the text's runs of Chinese characters, letters and digits
    (punctuation and spaces split runs, so a gram never spans two sentences)."""
    out: list[str] = []
    for run in _RUNS.findall(normalise(text)):
        for n in NGRAMS:
            out.extend(run[i : i + n] for i in range(len(run) - n + 1))
    return out


@dataclass
class NgramModel:
    classes: list[str]
    vocabulary: dict[str, int]
    idf: np.ndarray  # per feature
    coef: np.ndarray  # classes x features
    intercept: np.ndarray  # per class

    # --- predicting -----------------------------------------------------------------------------
    def _vector(self, text: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """The text's features as the training saw them: sublinear TF times IDF, L2-normalised."""
        counts = Counter(g for g in grams(text) if g in self.vocabulary)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0), []
        names = list(counts)
        index = np.fromiter((self.vocabulary[g] for g in names), dtype=np.int64, count=len(names))
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64, count=len(names))
        values = tf * self.idf[index]
        norm = float(np.linalg.norm(values))
        return index, values / norm if norm else values, names

    def probabilities(self, text: str) -> dict[str, float]:
        index, values, _ = self._vector(text)
        scores = self.coef[:, index] @ values + self.intercept
        scores = np.exp(scores - scores.max())
        scores /= scores.sum()
        return dict(zip(self.classes, scores.tolist(), strict=True))

    def explain(self, text: str, category: str, *, most: int = 4) -> tuple[str, ...]:
        """The pieces of the text that spoke most for `category`, longest first joined."""
        if category not in self.classes:
            return ()
        index, values, names = self._vector(text)
        if not names:
            return ()
        row = self.classes.index(category)
        weight = self.coef[row, index] - self.coef[:, index].mean(axis=0)  # for this class, against the others
        contribution = weight * values
        ranked = [names[i] for i in np.argsort(-contribution) if contribution[i] > 0 and len(names[i]) >= 2]
        chosen: list[str] = []
        for gram in ranked:
            if any(gram in c for c in chosen):
                continue
            chosen = [c for c in chosen if c not in gram]
            chosen.append(_widen(gram, normalise(text), ranked[:20]))
            if len(chosen) == most:
                break
        return tuple(dict.fromkeys(chosen))

    # --- keeping ----------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        np.savez_compressed(
            out,
            classes=np.array(json.dumps(self.classes)),
            vocabulary=np.array(json.dumps(words, ensure_ascii=False)),
            idf=self.idf,
            coef=self.coef.astype(np.float32),
            intercept=self.intercept,
        )
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> NgramModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            words = json.loads(str(arrays["vocabulary"]))
            return cls(
                classes=json.loads(str(arrays["classes"])),
                vocabulary={w: i for i, w in enumerate(words)},
                idf=arrays["idf"].astype(np.float64),
                coef=arrays["coef"].astype(np.float64),
                intercept=arrays["intercept"].astype(np.float64),
            )


def _widen(gram: str, text: str, strong: Sequence[str]) -> str:
    """A gram grown by the strong grams that overlap it in the text (死猪 + 猪尸体 -> 死猪尸体)."""
    at = text.find(gram)
    if at < 0:
        return gram
    start, end = at, at + len(gram)
    grown = True
    while grown:
        grown = False
        for other in strong:
            for begin in (start - len(other) + 1, end - 1):
                if 0 <= begin < start and text[begin : begin + len(other)] == other and begin + len(other) > start:
                    start, grown = begin, True
                elif start <= begin < end and text[begin : begin + len(other)] == other and begin + len(other) > end:
                    end, grown = begin + len(other), True
    return text[start:end] if end - start <= 12 else gram


def train(texts: Sequence[str], labels: Sequence[str], *, strength: float = 20.0) -> NgramModel:
    """Fit the model (scikit-learn, imported here: only training needs it). `strength` is the
    inverse of the regularisation (scikit-learn's C), chosen on the dev split."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=grams, sublinear_tf=True, min_df=1, norm="l2", dtype=np.float64)
    matrix = vectorizer.fit_transform(list(texts))
    fitted: Any = LogisticRegression(C=strength, max_iter=3000, class_weight="balanced")
    fitted.fit(matrix, list(labels))
    classes = [str(c) for c in fitted.classes_]
    coef = np.asarray(fitted.coef_, dtype=np.float64)
    intercept = np.asarray(fitted.intercept_, dtype=np.float64)
    if len(classes) == 2:  # scikit-learn keeps one row for two classes
        coef = np.vstack([-coef[0], coef[0]]) / 2
        intercept = np.array([-intercept[0], intercept[0]]) / 2
    vocabulary = {str(k): int(v) for k, v in vectorizer.vocabulary_.items()}
    return NgramModel(classes, vocabulary, np.asarray(vectorizer.idf_, dtype=np.float64), coef, intercept)
