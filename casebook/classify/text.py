"""Normalising appeal texts: speech transcripts and typed descriptions look alike afterwards."""

from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


def normalise(text: str) -> str:
    """NFKC (full-width digits and letters to ASCII), lower case, no spaces between Chinese
    characters (speech recognisers put them between words), single spaces elsewhere."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    folded = _SPACE_BETWEEN_CJK.sub("", folded)
    return re.sub(r"\s+", " ", folded).strip()


def bigrams(text: str) -> list[str]:
    """Character bigrams of the Chinese and alphanumeric runs (punctuation splits runs)."""
    grams: list[str] = []
    for run in re.findall(rf"[{_CJK}a-z0-9]+", normalise(text)):
        if len(run) == 1:
            grams.append(run)
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams
