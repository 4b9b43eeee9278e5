"""The duplicate check against 10,000 open cases (target of issue 3: under 50 ms).

Builds the in-memory index of open cases the way the service does (features of 10,000 varied
appeals over 7 days, townships, categories, landmarks), then times `candidates()` for new
appeals: some unrelated, some repeating an indexed one in other words.

    .venv/bin/python -m bench.duplicates --open 10000 --checks 500
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from casebook.duplicates.finder import CaseFeatures, OpenCaseIndex

TOWNS = [
    "五津镇",
    "花源镇",
    "花桥镇",
    "邓双镇",
    "金华镇",
    "安西镇",
    "兴义镇",
    "永商镇",
    "宝墩镇",
    "普兴镇",
    "文井乡",
    "方兴乡",
]
CODES = [
    "wujin",
    "huayuan",
    "huaqiao",
    "dengshuang",
    "jinhua",
    "anxi",
    "xingyi",
    "yongshang",
    "baodun",
    "puxing",
    "wenjing",
    "fangxing",
]
PROBLEMS = [
    ("urban.sanitation", "门口的垃圾好几天没人清运，臭气很大"),
    ("urban.streetlights", "路灯晚上不亮，走路很危险"),
    ("environment.noise", "工地夜间施工噪音很大，睡不着觉"),
    ("water.supply", "小区停水一天了，自来水一直没来"),
    ("transport.roads", "路面坑洼破损，车辆容易出事"),
    ("market", "超市卖过期食品，消费者投诉没人管"),
    ("social-security", "老板拖欠工资三个月了，农民工讨薪"),
    ("environment.water-pollution", "工厂偷排污水，河水发黑"),
    ("environment.air", "有人焚烧秸秆，烟尘很大"),
    ("housing", "物业不作为，电梯经常坏"),
]
STREETS = ["正街", "新华路", "迎宾大道", "兴园路", "老街", "滨江路", "学府路", "工业大道"]


def appeal(rng: random.Random, case_id: int, now: datetime) -> CaseFeatures:
    town = rng.randrange(len(TOWNS))
    category, text = PROBLEMS[rng.randrange(len(PROBLEMS))]
    street = STREETS[rng.randrange(len(STREETS))]
    description = f"{TOWNS[town]}{street}{rng.randint(1, 300)}号附近{text}，已经{rng.randint(2, 9)}天了"
    received = now - timedelta(minutes=rng.randint(0, 7 * 24 * 60 - 1))
    return CaseFeatures(
        case_id,
        f"9{case_id:09d}",
        received,
        description,
        category,
        f"township-{CODES[town]}",
        CODES[town],
        rng.randint(1, 50_000),
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--checks", type=int, default=500)
    args = parser.parse_args()
    rng = random.Random(20261127)
    now = datetime.now(UTC)
    index = OpenCaseIndex()
    started = time.perf_counter()
    for case_id in range(1, args.open + 1):
        index.add(appeal(rng, case_id, now))
    build_s = time.perf_counter() - started
    timings, found = [], 0
    for n in range(args.checks):
        new = appeal(rng, args.open + 1 + n, now)
        if n % 2:  # every other check repeats an indexed appeal in its own words
            old = index.cases[rng.randint(1, args.open)]
            new = CaseFeatures(
                new.case_id,
                new.number,
                now,
                old.text.replace("附近", "旁边").replace("已经", "都"),
                old.category,
                old.place,
                old.township,
                rng.randint(50_001, 60_000),
            )
        t = time.perf_counter()
        matches = index.candidates(new, now)
        timings.append((time.perf_counter() - t) * 1000)
        found += bool(matches)
    timings.sort()
    result = {
        "open_cases": len(index),
        "checks": args.checks,
        "index_build_s": round(build_s, 2),
        "check_ms_p50": round(statistics.median(timings), 2),
        "check_ms_p95": round(timings[int(0.95 * len(timings))], 2),
        "check_ms_max": round(timings[-1], 2),
        "checks_with_a_match": found,
    }
    print(json.dumps(result, indent=2))
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "duplicates.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
