"""The evaluation corpus: appeals written from each unit's remit by people who had not read the
lexicon (`corpus/appeals.jsonl`), each labelled with its category, township, place, urgency and,
by the county's routing rules, its lead and co-handling units; split once, at random, into
train (60 %), dev (20 %: thresholds and settings are chosen on it) and test (20 %: reported, never
tuned on). `corpus/fresh.jsonl` holds appeals written after the model was built, by someone who
had read neither the corpus nor the lexicon: the "never seen" figure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

SPLITS = ("train", "dev", "test")
STYLES = ("phone", "web", "mailbox", "wechat")


@dataclass(frozen=True, slots=True)
class Appeal:
    id: str
    split: str
    style: str
    text: str
    category: str
    township: str | None
    place: str | None
    urgency: str
    lead: str
    co_units: tuple[str, ...]


class CorpusError(ValueError):
    """A corpus line that does not read: which line, and why."""


def corpus_path(name: str = "appeals.jsonl") -> Path:
    return Path(str(resources.files("casebook.classify") / "corpus" / name))


def load(path: Path | None = None, *, split: str | None = None) -> list[Appeal]:
    """The corpus (the packaged one when `path` is None), or one of its splits."""
    source = path or corpus_path()
    appeals: list[Appeal] = []
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            appeal = Appeal(
                id=str(raw["id"]),
                split=str(raw["split"]),
                style=str(raw["style"]),
                text=str(raw["text"]),
                category=str(raw["category"]),
                township=raw.get("township") or None,
                place=raw.get("place") or None,
                urgency=str(raw.get("urgency") or "normal"),
                lead=str(raw["lead"]),
                co_units=tuple(raw.get("co_units") or ()),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CorpusError(f"{source}:{number}: {exc}") from exc
        if appeal.split not in (*SPLITS, "fresh"):
            raise CorpusError(f"{source}:{number}: unknown split {appeal.split!r}")
        if split is None or appeal.split == split:
            appeals.append(appeal)
    return appeals
