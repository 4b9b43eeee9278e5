"""The case workspace as its users feel it, over HTTP (targets of issue 15: the list page's data
over 1,000,000 cases and the case page's data p95 under 300 ms; a dispatch on the unit's page
p95 under 1 s).

A database of a million cases (`bench.case_workspace_data`: the generator's realistic mix, every
case's history, 300 long ones), kept between runs (`--reuse` takes it again when a previous run
filled it with as many cases; any migration added since is applied to it). The API as production
runs it (`hotline serve --no-telephony`: one process, uvicorn, the live feed beside it;
`HOTLINE_TASK_MODE=celery`, so no clock scans in this process), and people signed in over HTTP
(`POST /api/v1/auth/login`) as a supervisor, an intake agent, a leader and the handlers of ten
units. Then, one request at a time, each on its user's own kept-alive connection as a browser:

1. the requests of the case list (`hotline/features/casework/static/cases.js`): each role's inbox
   nearest clock first (`order=due`), the filters of the page on the inbox or on all cases, and
   the next page by its cursor where there is one;
2. the case page's data, `GET /api/v1/cases/{number}`, for the cases with long histories (as the
   supervisor, and as the lead unit's handler: masked caller, visibility check) and for others;
3. dispatch to the unit's page: the unit's handler has the list open with its socket
   (`/api/v1/cases/live`; a supervisor's and another unit's pages are open too); an intake agent or
   the supervisor dispatches a registered case to that unit (`POST .../dispatch`); the unit's
   page, as `cases.js` does, asks for its inbox 300 ms after the last notice and the time is taken
   when that answer lists the case. The unit then accepts the case (so its inbox stays as it was).

    .venv/bin/python -m bench.case_workspace --cases 1000000 --runs 40 --dispatches 40 [--reuse]
    .venv/bin/python -m bench.case_workspace --summary bench/out/case_workspace-*.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psutil
import psycopg
from websockets.asyncio.client import ClientConnection, connect

from bench.case_workspace_data import TARGET_UNIT, kept_database
from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.cases.errors import Conflict
from casebook.db.engine import make_engine, make_sessionmaker

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
DATABASE = "bench_case_workspace"
PASSWORD = "bench-workspace-password"
CENTER = ZoneInfo("Asia/Shanghai")
OPEN = ["received", "registered", "dispatched", "accepted", "reopened", "interview", "leader_review"]
STATUSES = [*OPEN, "replied", "closed", "merged"]  # the page's status choice (TEXT.zh.status)
UNITS = ["urban", "env", "water", "transport", "market", "hrss", "housing", "center", "discipline", "health"]
CATEGORIES = ["urban", "environment", "urban.sanitation", "environment.noise", "water.supply", "market", "health"]
CHANNELS = ["web", "wechat", "weibo", "mailbox-mayor", "line-12345", "line-96960"]
TOWNSHIPS = ["wujin", "huayuan", "huaqiao", "dengshuang", "jinhua", "anxi", "xingyi", "yongshang"]
WORDS = ["死猪", "sanitation", "路灯", "noise", "噪声扰民"]  # one common in the data, the others in none
DISPATCHED = "工作台基准：学校旁边河里漂着死猪 "  # the dispatch benchmark's own cases
PAGE_WAIT_S = 0.3  # cases.js: a notice asks the list again this much later (one request for a burst)

Params = list[tuple[str, str]]


@dataclass
class Person:
    name: str
    role: Role
    unit: str | None = None
    token: str = ""


def people() -> dict[str, Person]:
    found = {
        "supervisor": Person("bench-sup", Role.SUPERVISOR),
        "intake_agent": Person("bench-agent", Role.INTAKE_AGENT),
        "leader": Person("bench-leader", Role.LEADER),
    }
    for unit in [*UNITS, TARGET_UNIT]:
        found[unit] = Person(f"bench-{unit}", Role.UNIT_HANDLER, unit)
    return found


# --- the API process --------------------------------------------------------------------------------
@contextlib.contextmanager
def api_process(url: str, port: int, log: Path) -> Iterator[tuple[str, psutil.Process]]:
    """`hotline serve --no-telephony` on the database (the compose file's `api` service), in a
    folder of its own so that no `.env` or credentials of this checkout are read."""
    folder = Path(tempfile.mkdtemp(prefix="bench-workspace-"))
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": url,
        "HOTLINE_ENVIRONMENT": "test",
        "HOTLINE_DATA_DIR": str(folder),
        "HOTLINE_API_PORT": str(port),
        "HOTLINE_TASK_MODE": "celery",  # as in production: clock scans and screening run in the workers
        "HOTLINE_REDIS_URL": "redis://127.0.0.1:6379/9",  # never a database the tests flush or use
        "HOTLINE_ARI_PASSWORD": secrets.token_urlsafe(24),
        "HOTLINE_AMI_PASSWORD": secrets.token_urlsafe(24),
        "HOTLINE_LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).parent / "hotline"), "serve", "--no-telephony"]
    with log.open("w") as output:
        server = subprocess.Popen(command, cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the API stopped at start (exit {server.returncode}); see {log}")
            try:
                if httpx.get(f"{base}/status", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API did not answer within 60 s; see {log}")
            time.sleep(0.3)
        yield base, psutil.Process(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


def sign_in(url: str, base: str, everyone: dict[str, Person]) -> None:
    """Make the users once (a database kept between runs has them), then log in as each over HTTP."""
    engine = make_engine(url)
    auth = AuthService(make_sessionmaker(engine))
    for person in everyone.values():
        with contextlib.suppress(Conflict):
            auth.create_user(person.name, person.role, unit=person.unit, password=PASSWORD)
    engine.dispose()
    for person in everyone.values():
        answer = httpx.post(
            f"{base}/api/v1/auth/login", json={"username": person.name, "password": PASSWORD}, timeout=30
        )
        answer.raise_for_status()
        person.token = answer.json()["access_token"]


# --- what the pages ask -----------------------------------------------------------------------------
def _inbox(role: Role) -> Params:
    """cases.js's INBOX: each role's own cases."""
    if role == Role.INTAKE_AGENT:
        return [("needs_intake", "true")]
    if role == Role.UNIT_HANDLER:
        return [("status", "dispatched"), ("status", "accepted")]
    if role == Role.LEADER:
        return [("status", "leader_review")]
    return [("status", s) for s in OPEN]


def list_query(role: Role, *, mine: bool = True, order: str = "due", **filters: str) -> Params:
    """The query string cases.js's apiQuery makes: the inbox (or all cases), a status chosen on
    the page replacing the inbox's, the other filters, the order, a page of 50."""
    asked = _inbox(role) if mine else []
    if "status" in filters:
        asked = [p for p in asked if p[0] != "status"] + [("status", filters.pop("status"))]
    for name in ("text", "overdue"):
        if name in filters:
            asked.append((name, filters.pop(name)))
    asked.append(("order", order))
    asked += [(name, value) for name, value in filters.items()]
    asked.append(("limit", "50"))
    return asked


def _days(rng: random.Random, until: datetime, length: int) -> dict[str, str]:
    """A range of whole days of the center (the page sends the browser's midnights as instants)."""
    last = (until.astimezone(CENTER) - timedelta(days=rng.randint(0, 700))).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    first = last - timedelta(days=length - 1)
    return {"received_from": _instant(first), "received_to": _instant(last + timedelta(days=1))}


def _instant(at: datetime) -> str:
    """As the page's Date.toISOString()."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def list_kinds(rng: random.Random, until: datetime, numbers: list[str]) -> dict[str, Callable[[], tuple[str, Params]]]:
    """Each kind of list request: who asks, and a new query string at each call."""
    sup = Role.SUPERVISOR
    pick = rng.choice
    return {
        "supervisor's inbox (every open case)": lambda: ("supervisor", list_query(sup)),
        "intake agent's inbox (waiting for a person)": lambda: ("intake_agent", list_query(Role.INTAKE_AGENT)),
        "unit handler's inbox (10 units)": lambda: (pick(UNITS), list_query(Role.UNIT_HANDLER)),
        "leader's inbox (Monday duty)": lambda: ("leader", list_query(Role.LEADER)),
        "inbox, newest first": lambda: (
            pick(["supervisor", "intake_agent", *UNITS]),
            list_query(sup, order="received"),
        ),
        "a status (any of 10), all cases": lambda: ("supervisor", list_query(sup, mine=False, status=pick(STATUSES))),
        "a status, a unit's handler": lambda: (pick(UNITS), list_query(Role.UNIT_HANDLER, status=pick(STATUSES))),
        "overdue, inbox": lambda: ("supervisor", list_query(sup, overdue="true")),
        "overdue, all cases": lambda: ("supervisor", list_query(sup, mine=False, overdue="true")),
        "overdue, a unit's handler": lambda: (pick(UNITS), list_query(Role.UNIT_HANDLER, overdue="true")),
        "unit, inbox": lambda: ("supervisor", list_query(sup, unit=pick(UNITS))),
        "unit, all cases": lambda: ("supervisor", list_query(sup, mine=False, unit=pick(UNITS))),
        "category, inbox": lambda: ("supervisor", list_query(sup, category=pick(CATEGORIES))),
        "category, all cases": lambda: ("supervisor", list_query(sup, mine=False, category=pick(CATEGORIES))),
        "channel, inbox": lambda: ("supervisor", list_query(sup, channel=pick(CHANNELS))),
        "channel, all cases": lambda: ("supervisor", list_query(sup, mine=False, channel=pick(CHANNELS))),
        "township, inbox": lambda: ("supervisor", list_query(sup, township=pick(TOWNSHIPS))),
        "township, all cases": lambda: ("supervisor", list_query(sup, mine=False, township=pick(TOWNSHIPS))),
        "words, inbox": lambda: ("supervisor", list_query(sup, text=pick(WORDS))),
        "words, all cases": lambda: ("supervisor", list_query(sup, mine=False, text=pick(WORDS))),
        "case number (start of), all cases": lambda: (
            "supervisor",
            list_query(sup, mine=False, text=pick(numbers)[: rng.randint(7, 10)]),
        ),
        "one day received, all cases": lambda: ("supervisor", list_query(sup, mine=False, **_days(rng, until, 1))),
        "7 days received, all cases": lambda: ("supervisor", list_query(sup, mine=False, **_days(rng, until, 7))),
        "7 days, unit and category, all cases": lambda: (
            "supervisor",
            list_query(sup, mine=False, unit=pick(UNITS), category=pick(CATEGORIES), **_days(rng, until, 7)),
        ),
        "31 days, channel and township, all cases": lambda: (
            "supervisor",
            list_query(sup, mine=False, channel=pick(CHANNELS), township=pick(TOWNSHIPS), **_days(rng, until, 31)),
        ),
    }


def _cpu(process: psutil.Process) -> float:
    """User and system CPU seconds of the process so far."""
    times = process.cpu_times()
    return float(times.user + times.system)


def _timed_get(client: httpx.Client, path: str, params: Params | None, token: str) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = client.get(
        path, params=httpx.QueryParams(tuple(params or ())), headers={"Authorization": f"Bearer {token}"}
    )
    body = answer.json()  # as the page's getJson: the time ends with the body read and parsed
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise RuntimeError(f"GET {path} {params}: {answer.status_code} {body}")
    return elapsed, body


def time_lists(
    base: str,
    everyone: dict[str, Person],
    kinds: dict[str, Callable[[], tuple[str, Params]]],
    runs: int,
    server: psutil.Process,
) -> dict[str, dict[str, Any]]:
    """Each kind `runs` times (after 2 warm-ups), and the next page when the answer has one; and
    the API process's CPU time per request (what the machine's load does not change)."""
    clients = {key: httpx.Client(base_url=base, timeout=60) for key in everyone}
    results: dict[str, dict[str, Any]] = {}
    try:
        for name, make in kinds.items():
            first: list[float] = []
            after: list[float] = []
            rows: list[int] = []
            for run in range(runs + 2):
                if run == 2:
                    cpu = _cpu(server)
                who, params = make()
                person, client = everyone[who], clients[who]
                elapsed, page = _timed_get(client, "/api/v1/cases", params, person.token)
                more = None
                if page["next_cursor"]:
                    more, _ = _timed_get(
                        client, "/api/v1/cases", [*params, ("cursor", page["next_cursor"])], person.token
                    )
                if run < 2:
                    continue
                first.append(elapsed)
                rows.append(len(page["items"]))
                if more is not None:
                    after.append(more)
            results[name] = {
                "first": summary(first),
                "next": summary(after),
                "rows_median": statistics.median(rows),
                "api_cpu_ms": round((_cpu(server) - cpu) * 1000 / (len(first) + len(after)), 1),
            }
            print(
                f"{name:45s} {_line(results[name]['first'])}   next page {_line(results[name]['next'])}"
                f"   API CPU {results[name]['api_cpu_ms']} ms/request",
                flush=True,
            )
    finally:
        for client in clients.values():
            client.close()
    return results


def time_case_pages(
    base: str,
    everyone: dict[str, Person],
    long_cases: list[tuple[str, str]],
    others: list[str],
    runs: int,
    server: psutil.Process,
) -> dict[str, dict[str, Any]]:
    """`GET /api/v1/cases/{number}`: long histories as the supervisor and as the lead unit's handler, others."""
    rng = random.Random(11)
    results: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        kinds: dict[str, Callable[[], tuple[str, str]]] = {
            "long history, supervisor": lambda: ("supervisor", rng.choice(long_cases)[0]),
            "long history, the lead unit's handler": lambda: (lambda c: (c[1], c[0]))(rng.choice(long_cases)),
            "any case, supervisor": lambda: ("supervisor", rng.choice(others)),
        }
        for name, make in kinds.items():
            timings, events = [], []
            for run in range(runs + 2):
                if run == 2:
                    cpu = _cpu(server)
                who, number = make()
                elapsed, case = _timed_get(client, f"/api/v1/cases/{number}", None, everyone[who].token)
                if run >= 2:
                    timings.append(elapsed)
                    events.append(len(case["events"]))
            results[name] = {
                "first": summary(timings),
                "events_median": statistics.median(events),
                "api_cpu_ms": round((_cpu(server) - cpu) * 1000 / len(timings), 1),
            }
            print(
                f"{name:45s} {_line(results[name]['first'])}   events: {statistics.median(events)}"
                f"   API CPU {results[name]['api_cpu_ms']} ms/request",
                flush=True,
            )
    return results


# --- a dispatch on the unit's page --------------------------------------------------------------------
class Page:
    """The unit handler's case list as cases.js runs it: its socket, and its inbox asked again
    PAGE_WAIT_S after the last notice of a burst."""

    def __init__(self, socket: ClientConnection, http: httpx.AsyncClient, person: Person) -> None:
        self.socket, self.http, self.person = socket, http, person

    async def shows(self, number: str, deadline_s: float = 10.0) -> tuple[float, float, float]:
        """When the notice of `number` came, when the list asked after it showed `number`, and how
        long that list request took (perf_counter seconds)."""
        notice_at: float | None = None
        async with asyncio.timeout(deadline_s):
            while True:
                message = json.loads(await self.socket.recv())
                if message.get("type") != "case":
                    continue
                if message.get("number") == number and notice_at is None:
                    notice_at = time.perf_counter()
                while True:  # the page's timer: restarted by each notice of the burst
                    try:
                        async with asyncio.timeout(PAGE_WAIT_S):
                            message = json.loads(await self.socket.recv())
                    except TimeoutError:
                        break
                    if message.get("type") == "case" and message.get("number") == number and notice_at is None:
                        notice_at = time.perf_counter()
                asked = time.perf_counter()
                answer = await self.http.get(
                    "/api/v1/cases",
                    params=httpx.QueryParams(tuple(list_query(Role.UNIT_HANDLER))),
                    headers={"Authorization": f"Bearer {self.person.token}"},
                )
                listed = [item["number"] for item in answer.json()["items"]]
                done = time.perf_counter()
                if number in listed and notice_at is not None:
                    return notice_at, done, done - asked

    async def drain(self, quiet_s: float = 0.8) -> None:
        with contextlib.suppress(TimeoutError):
            while True:
                async with asyncio.timeout(quiet_s):
                    await self.socket.recv()


async def _open_socket(ws_base: str, token: str) -> ClientConnection:
    socket = await connect(f"{ws_base}/api/v1/cases/live")
    await socket.send(json.dumps({"token": token}))
    first = json.loads(await socket.recv())
    if first.get("type") != "following":
        raise RuntimeError(f"the live socket refused: {first}")
    return socket


async def _answered(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    """The answer and when it had come."""
    answer = await request
    return answer, time.perf_counter()


async def _read_all(socket: ClientConnection) -> None:
    with contextlib.suppress(Exception):
        async for _ in socket:
            pass


def close_earlier_dispatches(url: str) -> int:
    """The cases an earlier run dispatched to the unit and left accepted are closed (by hand: the
    bench's own), so that its inbox is the same at every run, whenever it runs."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        closed = connection.execute(
            "UPDATE cases SET status = 'closed', closed_at = now() WHERE status <> 'closed' AND description LIKE %s",
            (DISPATCHED + "%",),
        ).rowcount
    return closed


async def time_dispatches(base: str, everyone: dict[str, Person], samples: int) -> dict[str, Any]:
    agent, sup, unit = everyone["intake_agent"], everyone["supervisor"], everyone[TARGET_UNIT]
    rng = random.Random(5)
    ws_base = base.replace("http://", "ws://")
    async with (
        httpx.AsyncClient(base_url=base, timeout=30) as desk,
        httpx.AsyncClient(base_url=base, timeout=30) as unit_http,
    ):
        numbers = []  # registered cases, waiting to be dispatched (made before the clock starts)
        for i in range(samples + 2):
            made = await desk.post(
                "/api/v1/cases",
                headers=bearer(agent),
                json={
                    "channel": "web",
                    "description": f"{DISPATCHED}{i}",
                    "caller_number": f"1365551{i:04d}",
                    "screen": False,
                },
            )
            made.raise_for_status()
            number = made.json()["number"]
            registered = await desk.post(
                f"/api/v1/cases/{number}/register",
                headers=bearer(agent),
                json={"category": "environment.dead-animals", "place": "school-foreign-languages"},
            )
            registered.raise_for_status()
            numbers.append(number)
        unit_socket = await _open_socket(ws_base, unit.token)
        others = [await _open_socket(ws_base, everyone[k].token) for k in ("supervisor", "env", "intake_agent")]
        readers = [asyncio.create_task(_read_all(socket)) for socket in others]  # those pages read theirs too
        page = Page(unit_socket, unit_http, unit)
        await page.drain()
        rows: list[dict[str, float]] = []
        missed: list[str] = []
        try:
            for i, number in enumerate(numbers):
                dispatcher = sup if i % 2 else agent
                started = time.perf_counter()
                post = asyncio.create_task(
                    _answered(
                        desk.post(
                            f"/api/v1/cases/{number}/dispatch",
                            headers=bearer(dispatcher),
                            json={"lead_unit": TARGET_UNIT},
                        )
                    )
                )
                try:
                    notice_at, shown_at, list_s = await page.shows(number)
                except TimeoutError:
                    missed.append(number)
                    print(f"dispatch of {number}: not on the unit's page within 10 s", flush=True)
                    await post
                    continue
                answered, answered_at = await post
                answered.raise_for_status()
                if i >= 2:  # two warm-ups
                    rows.append(
                        {
                            "notice_ms": (notice_at - started) * 1000,
                            "shown_ms": (shown_at - started) * 1000,
                            "shown_without_wait_ms": (notice_at - started + list_s) * 1000,
                            "list_ms": list_s * 1000,
                            "post_answered_ms": (answered_at - started) * 1000,
                        }
                    )
                accepted = await unit_http.post(
                    f"/api/v1/cases/{number}/accept", headers=bearer(unit), json={"section": "epidemic"}
                )
                accepted.raise_for_status()
                await page.drain(0.5 + rng.random())
        finally:
            for reader in readers:
                reader.cancel()
            for socket in (unit_socket, *others):
                await socket.close()
    result: dict[str, Any] = {key: summary([row[key] for row in rows]) for key in rows[0]}
    result["missed"] = missed
    for key, value in result.items():
        if key != "missed":
            print(f"dispatch -> {key:35s} {_line(value)}", flush=True)
    return result


def bearer(person: Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {person.token}"}


# --- figures ----------------------------------------------------------------------------------------
def summary(timings: list[float]) -> dict[str, float]:
    """p50, p95 (the value at 95% of the sorted runs, as the other benchmarks) and max, in ms."""
    if not timings:
        return {}
    ordered = sorted(timings)
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max": round(ordered[-1], 1),
    }


def _line(figures: dict[str, float]) -> str:
    return f"{figures['p50']:7.1f} / {figures['p95']:7.1f} / {figures['max']:7.1f} ms" if figures else "-"


def summarize(paths: list[Path]) -> int:
    """Several runs' JSON: for each figure, the median over the runs and (in brackets) the
    smallest and largest, as a Markdown table row."""
    runs = [json.loads(p.read_text()) for p in paths]
    print(f"{len(runs)} runs: {', '.join(r['started'] for r in runs)}; load average {[r['load'] for r in runs]}")
    rows: list[tuple[str, list[dict[str, float]]]] = []
    cpu: dict[str, float] = {}
    for section in ("lists", "case_pages"):
        for name in runs[0].get(section, {}):
            for part in ("first", "next"):
                if part in runs[0][section][name]:
                    rows.append((f"{name} [{part}]", [r[section][name][part] for r in runs]))
            spent = [r[section][name].get("api_cpu_ms") for r in runs]
            if None not in spent:
                cpu[f"{name} [first]"] = statistics.median(spent)
    for name in runs[0].get("dispatch", {}):
        if name != "missed":
            rows.append((f"dispatch: {name}", [r["dispatch"][name] for r in runs]))
    print(f"dispatches not shown within 10 s: {[len(r.get('dispatch', {}).get('missed', [])) for r in runs]}")
    for label, figures in rows:
        if not all(figures):
            continue
        cells = []
        for key in ("p50", "p95", "max"):
            values = sorted(f[key] for f in figures)
            cells.append(f"{statistics.median(values):.0f} ({values[0]:.0f}-{values[-1]:.0f})")
        cpu_cell = f" {cpu[label]:.1f} |" if label in cpu else ""
        print(f"| {label} | " + " | ".join(cells) + " |" + cpu_cell)
    return 0


def _numbers(url: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The long cases with their lead unit's handler, and 2,000 other cases."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        long_cases = [
            (str(n), str(u))
            for n, u in connection.execute(
                "SELECT c.number, l.lead_unit_code FROM bench_long_cases l JOIN cases c ON c.id = l.id"
            ).fetchall()
        ]
        others = [str(n) for (n,) in connection.execute("SELECT number FROM cases TABLESAMPLE SYSTEM (1) LIMIT 2000")]
    return long_cases, others


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--dispatches", type=int, default=40)
    parser.add_argument("--reuse", action="store_true", help="take the kept database again if it was filled")
    parser.add_argument("--database", default=DATABASE, help="the kept database's name")
    parser.add_argument("--port", type=int, default=8397)
    parser.add_argument("--only", choices=["lists", "case_pages", "dispatch"], action="append")
    parser.add_argument("--summary", nargs="+", type=Path, help="summarise the JSON of earlier runs")
    args = parser.parse_args()
    if args.summary:
        return summarize(args.summary)
    OUT.mkdir(exist_ok=True)
    started = datetime.now(UTC)
    url, fill = kept_database(args.database, args.cases, reuse=args.reuse)
    if fill:
        print(f"filled {args.cases} cases: {fill}", flush=True)
    long_cases, others = _numbers(url)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        row = connection.execute("SELECT until FROM bench_filled").fetchone()
    until = row[0] if row else datetime.now(UTC)
    everyone = people()
    only = set(args.only or ["lists", "case_pages", "dispatch"])
    report: dict[str, Any] = {"started": started.isoformat(timespec="seconds"), "cases": args.cases, "fill": fill}
    load: list[float] = [round(os.getloadavg()[0], 1)]
    with api_process(url, args.port, OUT / "case_workspace-api.log") as (base, server):
        sign_in(url, base, everyone)
        cpu_before = _cpu(server)
        if "lists" in only:
            kinds = list_kinds(random.Random(3), until, [n for n, _ in long_cases] + others)
            report["lists"] = time_lists(base, everyone, kinds, args.runs, server)
            load.append(round(os.getloadavg()[0], 1))
        if "case_pages" in only:
            report["case_pages"] = time_case_pages(base, everyone, long_cases, others, args.runs, server)
            load.append(round(os.getloadavg()[0], 1))
        if "dispatch" in only:
            close_earlier_dispatches(url)
            report["dispatch"] = asyncio.run(time_dispatches(base, everyone, args.dispatches))
            load.append(round(os.getloadavg()[0], 1))
        report["api_cpu_s"] = round(_cpu(server) - cpu_before, 1)
    report["load"] = load
    stamp = started.strftime("%Y%m%dT%H%M%S")
    (OUT / f"case_workspace-{stamp}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(
        json.dumps(
            {"load_average": load, "api_cpu_s": report["api_cpu_s"], "out": f"bench/out/case_workspace-{stamp}.json"}
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
