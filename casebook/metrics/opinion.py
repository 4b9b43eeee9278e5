"""Public opinion (舆情): what the county is talking about, and what suddenly rises.

- Hot topics: the appeals of the week ending on a day (7 days) against the week before, by
  category (the screening tree's leaf) and township together ("dead animals in 花源镇"), the
  largest first.
- Sudden rises: a category, a township or a place with at least `min_count` appeals in the last
  `window_h` hours, `factor` times its average for the same length of time over the previous
  7 days (plus one, so a first appeal is no rise), reported with the channels they came through.
  Six hotlines hearing of dead pigs in one river on one morning is one alert with six channels.
- By township: the week's appeals of each township against the week before, with its top category.

Duplicates count: each is a citizen who spoke up, which is what opinion measures.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from casebook.db.models import Case, Category, Channel, Place, Unit
from casebook.metrics.calls import day_bounds
from casebook.metrics.formulas import describe


@dataclass(frozen=True, slots=True)
class SurgeRule:
    window_h: float = 24.0
    min_count: int = 5
    factor: float = 3.0
    baseline_days: int = 7


class Opinion:
    def __init__(self, sessions: sessionmaker[Session], timezone: str = "Asia/Shanghai") -> None:
        self.sessions = sessions
        self.tz = ZoneInfo(timezone)

    def week(self, last_day: date, *, lang: str = "zh", limit: int = 20) -> dict[str, Any]:
        """Hot topics and townships of the 7 days ending on `last_day`, against the 7 before."""
        this_start, this_end = day_bounds(last_day - timedelta(days=6), last_day, self.tz)
        prev_start = this_start - timedelta(days=7)
        zh = lang == "zh"
        with self.sessions() as s:
            names = _names(s, zh)
            counts: dict[str, Counter[tuple[str, str]]] = {"this": Counter(), "prev": Counter()}
            in_this_week = (Case.received_at >= this_start).label("this_week")
            for category, township, received_at, n in s.execute(
                select(Case.category_code, Case.township_code, in_this_week, func.count())
                .where(Case.received_at >= prev_start, Case.received_at < this_end)
                .group_by(Case.category_code, Case.township_code, in_this_week)
            ):
                counts["this" if received_at else "prev"][(category or "", township or "")] += n
        topics: list[dict[str, Any]] = []
        for (top, township), n in counts["this"].most_common():
            before = counts["prev"].get((top, township), 0)
            topics.append(
                {
                    "category": top,
                    "category_name": names["category"].get(top, top or ("未分类" if zh else "unscreened")),
                    "township": township,
                    "township_name": names["unit"].get(township, township or "—"),
                    "this_week": n,
                    "last_week": before,
                    "change": n - before,
                    "change_pct": round(100.0 * (n - before) / before, 1) if before else None,
                }
            )
        topics.sort(key=lambda t: (-t["this_week"], -t["change"]))
        township_rows = _townships(counts, names)
        return {
            "kind": "opinion",
            "from": (last_day - timedelta(days=6)).isoformat(),
            "to": last_day.isoformat(),
            "this_week": sum(counts["this"].values()),
            "last_week": sum(counts["prev"].values()),
            "topics": topics[:limit],
            "townships": township_rows,
        }

    def surges(
        self, now: datetime | None = None, rule: SurgeRule | None = None, *, lang: str = "zh"
    ) -> list[dict[str, Any]]:
        """Categories, townships and places rising suddenly in the last `window_h` hours."""
        rule = rule or SurgeRule()
        now = now or datetime.now(UTC)
        window = timedelta(hours=rule.window_h)
        since = now - window
        base_since = since - timedelta(days=rule.baseline_days)
        zh = lang == "zh"
        recent: dict[tuple[str, str], list[tuple[str, str, datetime]]] = defaultdict(list)
        with self.sessions() as s:
            names = _names(s, zh)
            for number, category, township, place, channel, at in s.execute(
                select(
                    Case.number,
                    Case.category_code,
                    Case.township_code,
                    Case.place_code,
                    Case.channel_code,
                    Case.received_at,
                ).where(Case.received_at >= since, Case.received_at < now)
            ):
                for kind, key in (
                    ("category", category),
                    ("township", township),
                    ("place", place),
                ):
                    if key:
                        recent[(kind, key)].append((number, channel, at))
            baseline = _baseline(s, base_since, since)
        periods = rule.baseline_days * 24.0 / rule.window_h
        found: list[dict[str, Any]] = []
        for (kind, key), cases in recent.items():
            count = len(cases)
            usual = baseline.get((kind, key), 0) / periods
            if count < rule.min_count or count < rule.factor * (usual + 1.0):
                continue
            channels = Counter(channel for _, channel, _ in cases)
            found.append(
                {
                    "kind": kind,
                    "key": key,
                    "name": names[{"category": "category", "township": "unit", "place": "place"}[kind]].get(key, key),
                    "count": count,
                    "usual": round(usual, 2),
                    "channels": {names["channel"].get(c, c): n for c, n in channels.most_common()},
                    "channel_count": len(channels),
                    "first_at": min(at for _, _, at in cases).isoformat(),
                    "last_at": max(at for _, _, at in cases).isoformat(),
                    "cases": sorted(number for number, _, _ in cases)[:20],
                }
            )
        found.sort(key=lambda f: (-f["channel_count"], -f["count"]))
        return found


def _names(s: Session, zh: bool) -> dict[str, dict[str, str]]:
    def pick(rows: Any) -> dict[str, str]:
        return {code: (name_zh if zh else name_en) or name_zh for code, name_zh, name_en in rows}

    return {
        "category": pick(s.execute(select(Category.code, Category.name_zh, Category.name_en))),
        "unit": pick(s.execute(select(Unit.code, Unit.name_zh, Unit.name_en))),
        "channel": pick(s.execute(select(Channel.code, Channel.name_zh, Channel.name_en))),
        "place": {code: name for code, name in s.execute(select(Place.code, Place.name_zh))},
    }


def week_table(week: dict[str, Any], which: str, lang: str = "zh") -> dict[str, Any]:
    """The week's hot topics or township table in the metrics' table shape (for the exports)."""
    keys = ["this_week", "last_week", "change", "change_pct"]
    if which == "topic":
        rows = [
            {
                "key": f"{t['category'] or '—'}@{t['township'] or '—'}",
                "name": f"{t['category_name']} · {t['township_name']}",
                **t,
            }
            for t in week["topics"]
        ]
    else:
        rows = [
            {
                "key": t["township"] or "—",
                **t,
                "change_pct": round(100.0 * t["change"] / t["last_week"], 1) if t["last_week"] else None,
            }
            for t in week["townships"]
        ]
    return {
        "kind": "opinion",
        "by": which,
        "from": week["from"],
        "to": week["to"],
        "columns": describe(keys, lang),
        "rows": [{k: row.get(k) for k in ("key", "name", *keys)} for row in rows],
        "total": {
            "key": "total",
            "name": "",
            "this_week": week["this_week"],
            "last_week": week["last_week"],
            "change": week["this_week"] - week["last_week"],
            "change_pct": None,
        },
    }


def _townships(counts: dict[str, Counter[tuple[str, str]]], names: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Each township's appeals this week and last, and its top category this week."""
    towns: dict[str, dict[str, Any]] = {}
    for period in ("this", "prev"):
        for (top, township), n in counts[period].items():
            row = towns.setdefault(
                township,
                {
                    "township": township,
                    "name": names["unit"].get(township, township or "—"),
                    "this_week": 0,
                    "last_week": 0,
                    "_top": Counter(),
                },
            )
            row["this_week" if period == "this" else "last_week"] += n
            if period == "this":
                row["_top"][top] += n
    township_rows = []
    for row in sorted(towns.values(), key=lambda r: -r["this_week"]):
        top = row.pop("_top").most_common(1)
        row["top_category"] = names["category"].get(top[0][0], top[0][0]) if top else None
        row["change"] = row["this_week"] - row["last_week"]
        township_rows.append(row)
    return township_rows


def _baseline(s: Session, base_since: datetime, since: datetime) -> Counter[tuple[str, str]]:
    """Appeals of each category, township and place in the baseline days before the window."""
    baseline: Counter[tuple[str, str]] = Counter()
    for column, kind in (
        (Case.category_code, "category"),
        (Case.township_code, "township"),
        (Case.place_code, "place"),
    ):
        for key, n in s.execute(
            select(column, func.count())
            .where(Case.received_at >= base_since, Case.received_at < since, column.is_not(None))
            .group_by(column)
        ):
            baseline[(kind, str(key))] += n
    return baseline
