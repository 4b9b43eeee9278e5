"""What speech recognition hands to the rest of the platform: plain, serialisable data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class Word:
    word: str
    start_s: float
    end_s: float
    conf: float

    def to_json(self) -> dict[str, Any]:
        return {"word": self.word, "start": self.start_s, "end": self.end_s, "conf": self.conf}


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a live transcript. Partial ones are replaced by the next, final ones stay."""

    kind: Literal["partial", "final"]
    text: str
    start_s: float  # position in the stream (seconds since it began)
    end_s: float
    words: tuple[Word, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "start": round(self.start_s, 2),
            "end": round(self.end_s, 2),
            "words": [w.to_json() for w in self.words],
        }


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    words: tuple[Word, ...]
    confidence: float | None  # mean word confidence; None when nothing was heard
    duration_s: float
    language: str
    model: str
    sample_rate: int
    source: Literal["file", "live"] = "file"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.text.strip()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["words"] = [w.to_json() for w in self.words]
        return data


def mean_confidence(words: tuple[Word, ...]) -> float | None:
    return round(sum(w.conf for w in words) / len(words), 3) if words else None
