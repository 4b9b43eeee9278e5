"""Assemble the routing corpus from the writers' files (JSON Lines of text, style, category,
township, place, urgency): check each label against the directory, label the lead and co-handling
units by the county's routing rules, number the appeals, and split them per category, at random
with a fixed seed: 60 % train, 20 % dev, 20 % test.

    .venv/bin/python scripts/assemble_corpus.py /tmp/corpus/group-*.jsonl
    .venv/bin/python scripts/assemble_corpus.py --fresh /tmp/corpus/fresh-40.jsonl   # never split: "fresh"

Run again when the routing rules change (the lead units follow them); the split stays the same
for the same texts (the order within a category is by a hash of the text, not by file order).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

from casebook.classify.corpus import STYLES, corpus_path
from casebook.directory.seed import _data, packaged_rules
from casebook.routing import route


def main(files: list[str], *, fresh: bool = False) -> None:
    categories = _codes(_data("categories.yaml")["categories"])
    townships = {u["code"] for u in _data("units.yaml")["units"] if u["kind"] == "township"}
    rules = packaged_rules()
    by_category: dict[str, list[dict[str, object]]] = defaultdict(list)
    seen: set[str] = set()
    for name in files:
        for number, line in enumerate(Path(name).read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            raw = json.loads(line)
            where = f"{name}:{number}"
            text = " ".join(str(raw["text"]).split()) if raw["style"] != "phone" else str(raw["text"]).strip()
            if raw["category"] not in categories:
                sys.exit(f"{where}: unknown category {raw['category']!r}")
            if raw.get("township") not in (None, *townships):
                sys.exit(f"{where}: unknown township {raw.get('township')!r}")
            if raw["style"] not in STYLES:
                sys.exit(f"{where}: unknown style {raw['style']!r}")
            if text in seen:
                continue  # the same words twice: once is enough
            seen.add(text)
            routed = route(rules, {}, category=raw["category"], township=raw.get("township"), urgency="normal")
            by_category[raw["category"]].append(
                {
                    "style": raw["style"],
                    "text": text,
                    "category": raw["category"],
                    "township": raw.get("township"),
                    "place": raw.get("place"),
                    "urgency": raw.get("urgency") or "normal",
                    "lead": routed.lead if routed else "center",
                    "co_units": list(routed.co_units) if routed else [],
                }
            )
    out: list[dict[str, object]] = []
    for category in sorted(by_category):
        appeals = sorted(by_category[category], key=lambda a: hashlib.sha256(str(a["text"]).encode()).hexdigest())
        size = len(appeals)
        for at, appeal in enumerate(appeals):
            split = "fresh" if fresh else "train" if at < size * 0.6 else "dev" if at < size * 0.8 else "test"
            out.append({"id": f"{category}-{at + 1:03d}", "split": split, **appeal})
    target = corpus_path("fresh.jsonl" if fresh else "appeals.jsonl")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in out), encoding="utf-8")
    counts = defaultdict(int)
    for appeal in out:
        counts[appeal["split"]] += 1
    print(f"{len(out)} appeals in {len(by_category)} categories -> {target}: {dict(counts)}")


def _codes(tree: list[dict[str, object]]) -> set[str]:
    codes: set[str] = set()
    for raw in tree:
        codes.add(str(raw["code"]))
        codes |= _codes(raw.get("children") or [])  # type: ignore[arg-type]
    return codes


if __name__ == "__main__":
    arguments = sys.argv[1:]
    main([a for a in arguments if a != "--fresh"], fresh="--fresh" in arguments)
