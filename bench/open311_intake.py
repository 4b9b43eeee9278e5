"""Open311 intake on PostgreSQL: requests per second and latency percentiles under load.

Target of issue 3: at least 300 requests/s with p99 under 100 ms on this 2-core machine.
Each request is a real appeal: validated, stored, classified, checked for duplicates against the
open cases, registered and dispatched by the routing rules. wrk (Debian) drives it with varied
texts (bench/wrk/open311_post.lua); the API runs under uvicorn with N workers.

    .venv/bin/python -m bench.open311_intake --workers 2 --connections 32 --seconds 30
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

from bench.pg import ADMIN, scratch_database
from casebook.auth.services import AuthService
from casebook.db.engine import make_engine, make_sessionmaker
from casebook.db.migrate import upgrade
from casebook.directory.seed import seed_directory

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--port", type=int, default=8399)
    args = parser.parse_args()
    with scratch_database("bench_open311") as url:
        upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with sessions() as s:
            seed_directory(s)
        key = AuthService(sessions).create_api_key("bench", "web")
        engine.dispose()
        env = {
            **os.environ,
            "HOTLINE_DATABASE_URL": url,
            "HOTLINE_ENVIRONMENT": "test",
            "HOTLINE_ARI_PASSWORD": secrets.token_urlsafe(24),
            "HOTLINE_AMI_PASSWORD": secrets.token_urlsafe(24),
            "HOTLINE_LOG_LEVEL": "WARNING",
            "OPEN311_KEY": key,
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "hotline.asgi:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(args.port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{args.port}"
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/status", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            # warm up every worker (jieba's dictionary, the duplicate index, connection pools)
            warm = subprocess.run(
                [
                    "wrk",
                    "-t1",
                    "-c4",
                    "-d5s",
                    "-s",
                    str(HERE / "wrk" / "open311_post.lua"),
                    f"{base}/open311/v2/requests.json",
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            before = _count(url)
            run = subprocess.run(
                [
                    "wrk",
                    f"-t{args.threads}",
                    f"-c{args.connections}",
                    f"-d{args.seconds}s",
                    "--latency",
                    "-s",
                    str(HERE / "wrk" / "open311_post.lua"),
                    f"{base}/open311/v2/requests.json",
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            created = _count(url) - before
        finally:
            server.terminate()
            server.wait(10)
        # what the queued screening costs: one process screens the whole backlog
        screened, screen_s = _drain_screening(url)
        match = re.search(r"RESULT (.*)", run.stdout)
        if not match:
            print(run.stdout, run.stderr, warm.stdout, file=sys.stderr)
            return 1
        result: dict[str, object] = {k: float(v) for k, v in (p.split("=") for p in match.group(1).split())}
        result.update(
            {
                "cases_created": created,
                "workers": args.workers,
                "connections": args.connections,
                "seconds": args.seconds,
                "task_mode": env.get("HOTLINE_TASK_MODE", "embedded"),
                "screened_after": screened,
                "screening_per_s_one_process": round(screened / screen_s, 1),
            }
        )
        print(json.dumps(result, indent=2))
        (ROOT / "bench" / "out").mkdir(exist_ok=True)
        (ROOT / "bench" / "out" / "open311_intake.json").write_text(json.dumps(result, indent=2))
        return 0


def _drain_screening(url: str) -> tuple[int, float]:
    from datetime import timedelta

    from casebook.cases.screening import screen_pending
    from casebook.cases.services import CaseBook

    engine = make_engine(url)
    book = CaseBook(make_sessionmaker(engine))
    started, total = time.perf_counter(), 0
    while done := screen_pending(book, older_than=timedelta(0), limit=2000):
        total += done
    engine.dispose()
    return total, max(time.perf_counter() - started, 1e-9)


def _count(url: str) -> int:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as connection:
        row = connection.execute("SELECT count(*) FROM cases").fetchone()
    return int(row[0]) if row else 0


if __name__ == "__main__":
    assert ADMIN
    raise SystemExit(main())
