"""Redis restarted: queued work resumes, and work sent while it was down is not lost.

A Redis of the test's own (append-only file on, as docker-compose.yml runs it) so it can be shut
down and started again without touching the machine's Redis that other tests use; real Celery
workers on it, the real PostgreSQL.

Expected, queued work: three screenings queued with no worker running; Redis shuts down (its
append-only file written) and starts again; a worker starts: each case is screened, once.
Expected, work sent while Redis is down: the send gives up within seconds without raising (the
caller's call or the clerk's request goes on), says so in the log; once Redis is back, the sweep
the beat runs every minute (`casebook.screen_pending`) screens the case.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from celery import Celery

from casebook.auth.policy import SYSTEM
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from casebook.clock import FixedClock
from casebook.db.engine import make_engine, make_sessionmaker
from hotline.worker import send_or_leave_to_sweep
from tests.unit.test_worker_faults import _kill, _wait_for_line, _worker

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="needs Debian's redis-server")


class PrivateRedis:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        argv += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        self.proc = subprocess.Popen(argv, stdout=(self.folder / "redis.log").open("ab"), stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise AssertionError((self.folder / "redis.log").read_text())

    def shutdown(self) -> None:
        """As `docker-compose restart redis` does: a clean shutdown, the append-only file kept."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(redis.ConnectionError):  # the server closes the connection as it goes
                redis.Redis.from_url(self.url).shutdown()
            self.proc.wait(10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    if server.proc is not None and server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait(10)


@pytest.fixture
def past_book(seeded_pg: str) -> Iterator[CaseBook]:
    """Cases received two minutes ago by the real clock, as the worker's sweep sees time."""
    engine = make_engine(seeded_pg)
    yield CaseBook(make_sessionmaker(engine), clock=FixedClock(datetime.now(UTC) - timedelta(minutes=2)))
    engine.dispose()


def _open(book: CaseBook, text: str) -> str:
    return book.open(NewAppeal(channel="web", description=text, origin="web"), SYSTEM).number


def _statuses(book: CaseBook, numbers: list[str]) -> dict[str, str]:
    with book.sessions() as s:
        return {n: book.get(s, n).status for n in numbers}


def _until_screened(book: CaseBook, numbers: list[str], timeout: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    statuses = _statuses(book, numbers)
    while time.monotonic() < deadline and any(v == "received" for v in statuses.values()):
        time.sleep(0.5)
        statuses = _statuses(book, numbers)
    return statuses


def _worker_env(env: dict[str, str], url: str) -> dict[str, str]:
    return {**env, "HOTLINE_REDIS_URL": url}


def test_screenings_queued_before_a_redis_restart_run_after_it(
    past_book: CaseBook, private_redis: PrivateRedis, worker_env: dict[str, str], tmp_path: Path
) -> None:
    numbers = [_open(past_book, text) for text in ("夜间施工噪音太大，严重扰民", "路灯坏了", "河边有死猪")]
    sender = Celery("test-sender", broker=private_redis.url)
    for number in numbers:
        sender.send_task("casebook.screen", args=[number, None])
    assert redis.Redis.from_url(private_redis.url).llen("celery") == 3

    private_redis.shutdown()
    private_redis.start()
    assert redis.Redis.from_url(private_redis.url).llen("celery") == 3, "the queue did not survive the restart"

    log = tmp_path / "worker.log"
    worker = _worker(_worker_env(worker_env, private_redis.url), log)
    try:
        statuses = _until_screened(past_book, numbers, timeout=90)
    finally:
        _kill(worker)
    assert all(v != "received" for v in statuses.values()), (statuses, log.read_text(errors="replace")[-3000:])
    assert log.read_text(errors="replace").count("casebook.screen[") >= 3
    with past_book.sessions() as s:
        for number in numbers:
            kinds = [e.kind for e in past_book.get(s, number).events]
            assert kinds.count("registered") <= 1 and kinds.count("dispatched") <= 1, kinds


def test_work_sent_while_redis_is_down_is_left_to_the_sweep_and_done_when_it_is_back(
    past_book: CaseBook,
    private_redis: PrivateRedis,
    worker_env: dict[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    number = _open(past_book, "小区垃圾三天没人清运，气味很大")
    sender = Celery("test-sender", broker=private_redis.url)
    private_redis.shutdown()

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="hotline.worker"):
        sent = send_or_leave_to_sweep(sender.signature("casebook.screen"), number, None, what=f"screening of {number}")
    took = time.monotonic() - started
    assert sent is False and took < 10, took
    assert f"screening of {number} not queued" in caplog.text
    assert _statuses(past_book, [number]) == {number: "received"}

    private_redis.start()
    log = tmp_path / "worker.log"
    worker = _worker(_worker_env(worker_env, private_redis.url), log)
    try:
        _wait_for_line(log, "ready", 60)
        sender.send_task("casebook.screen_pending")  # what the beat sends every minute
        statuses = _until_screened(past_book, [number], timeout=60)
    finally:
        _kill(worker)
    assert statuses[number] != "received", log.read_text(errors="replace")[-3000:]
