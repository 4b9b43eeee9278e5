"""Case list queries over 1,000,000 cases (target of issue 3: p95 under 200 ms).

Fills a scratch PostgreSQL database with a million cases spread over two years (statuses,
channels, categories, units, townships and 100,000 callers in realistic proportions, with the
lead assignments; the generator is `bench.casebook_data`, shared with the dashboard benchmark),
then times the list queries the agents, units and supervisors run, through the same service
function the API calls (`list_cases`), 40 times each with varied parameters.

    .venv/bin/python -m bench.case_queries --cases 1000000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.casebook_data import fill_cases
from bench.pg import scratch_database
from casebook.auth.policy import Actor, Role
from casebook.cases.queries import CaseFilter, list_cases
from casebook.db.engine import make_engine, make_sessionmaker
from casebook.db.migrate import upgrade
from casebook.directory.seed import LineChannel, seed_directory


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    rng = random.Random(7)
    with scratch_database("bench_queries") as url:
        upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with sessions() as s:
            seed_directory(s, [LineChannel("12345", "12345", "12345"), LineChannel("96960", "96960", "96960")])
        started = time.perf_counter()
        with engine.begin() as connection:
            fill_cases(connection, args.cases)
        fill_s = time.perf_counter() - started
        now = datetime.now(UTC)
        supervisor = Actor("supervisor", Role.SUPERVISOR)
        units = ["urban", "env", "water", "transport", "market", "hrss", "housing", "center"]
        week = lambda: now - timedelta(days=rng.randint(7, 700))  # noqa: E731
        queries = {
            "newest 50 (supervisor)": lambda: (supervisor, CaseFilter()),
            "status = dispatched": lambda: (supervisor, CaseFilter(status=("dispatched",))),
            "waiting for intake": lambda: (supervisor, CaseFilter(needs_intake=True)),
            "unit (any status)": lambda: (supervisor, CaseFilter(unit=rng.choice(units))),
            "unit handler's own open cases": lambda: (
                Actor("h", Role.UNIT_HANDLER, rng.choice(units)),
                CaseFilter(status=("dispatched", "accepted")),
            ),
            "a unit holding no case at all": lambda: (Actor("h", Role.UNIT_HANDLER, "civility"), CaseFilter()),
            "category prefix": lambda: (supervisor, CaseFilter(category=rng.choice(["urban", "environment"]))),
            "caller number": lambda: (supervisor, CaseFilter(caller_number=f"139{rng.randint(1, 100000):08d}")),
            "overdue": lambda: (supervisor, CaseFilter(overdue=True)),
            "one week, by channel": lambda: (
                supervisor,
                CaseFilter(
                    channel=rng.choice(["web", "line-12345"]),
                    received_from=(w := week()),
                    received_to=w + timedelta(days=7),
                ),
            ),
            "status and category and week": lambda: (
                supervisor,
                CaseFilter(
                    status=("closed",), category="urban", received_from=(w := week()), received_to=w + timedelta(days=7)
                ),
            ),
        }
        results: dict[str, dict[str, float]] = {}
        for name, make in queries.items():
            timings = []
            for _ in range(args.runs):
                actor, query = make()
                t = time.perf_counter()
                with sessions() as s:
                    page = list_cases(s, actor, query, now)
                    if page.next_cursor:  # and the next page, as an agent scrolling would
                        list_cases(s, actor, dataclasses.replace(query, cursor=page.next_cursor), now)
                timings.append((time.perf_counter() - t) * 1000 / (2 if page.next_cursor else 1))
            timings.sort()
            results[name] = {
                "p50_ms": round(statistics.median(timings), 1),
                "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
                "max_ms": round(timings[-1], 1),
            }
            print(f"{name:40s} {results[name]}")
        engine.dispose()
    report = {"cases": args.cases, "fill_s": round(fill_s, 1), "queries": results}
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "case_queries.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps({"cases": args.cases, "fill_s": report["fill_s"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
