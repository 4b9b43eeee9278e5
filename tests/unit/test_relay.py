"""Case notices between processes, through the machine's real Redis (hotline/relay.py).

Another process (the Celery worker screening a case, another API worker) changes a case; an API
process with the relay on passes the notice to its pages: a supervisor's open list hears of it on
the live socket. A process never hears its own notices twice, and a message that is not a notice
is left with a warning.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import SecretStr

from casebook.cases.notices import CaseNotice
from common.bus import EventBus
from common.settings import Settings
from hotline.platform import Platform
from hotline.relay import CHANNEL, CaseNoticeRelay
from tests.conftest import redis_url
from tests.unit.conftest import until

RELAY_REDIS = redis_url(0)  # pub/sub ignores the database: each test has its own channel


async def test_a_notice_of_another_process_reaches_this_bus_once_and_its_own_does_not_come_back() -> None:
    channel = f"{CHANNEL}:test-{time.time_ns()}"  # channels are server-wide: this test's own
    here, there = CaseNoticeRelay(RELAY_REDIS, channel), CaseNoticeRelay(RELAY_REDIS, channel)
    bus = EventBus()
    with bus.subscribe() as heard:
        task = asyncio.create_task(here.run(bus))
        try:
            await until(lambda: redis.Redis.from_url(RELAY_REDIS).pubsub_numsub(channel)[0][1] >= 1, "subscribed")
            here.publish(CaseNotice("case.dispatched", "2701040001", "dispatched", {"lead": "env"}))
            there.publish(CaseNotice("case.dispatched", "2701040002", "dispatched", {"lead": "env"}))
            redis.Redis.from_url(RELAY_REDIS).publish(channel, b"not a notice")
            event = await heard.get(timeout=5)
            assert (event.name, event.data["case"], event.data["lead"]) == ("case.dispatched", "2701040002", "env")
            await asyncio.sleep(0.3)
            assert here.passed_on == 1 and heard.queue.empty()  # its own was not passed on; the junk was left
        finally:
            task.cancel()


def test_a_redis_that_is_down_loses_the_action_nothing() -> None:
    relay = CaseNoticeRelay("redis://127.0.0.1:1/0")
    relay.publish(CaseNotice("case.replied", "2701040003", "replied", {}))  # says so in the log, never raises


@pytest.fixture
def platform(seeded_pg: str, tmp_path: Path) -> Iterator[Platform]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=seeded_pg,
        data_dir=tmp_path / "data",
        redis_url=RELAY_REDIS,
        live_relay=True,
        ari_password=SecretStr("a" * 20),
        ami_password=SecretStr("b" * 20),
    )
    platform = Platform(settings)
    yield platform
    platform.casebook.close()


def test_a_case_changed_by_a_worker_reaches_a_page_of_an_api_worker(platform: Platform) -> None:
    app = platform.api(telephony=False)
    app.router.lifespan_context = platform.api_lifespan  # as hotline/asgi.py runs it
    name = f"relay-sup-{time.time_ns()}"
    platform.auth.create_user(name, "supervisor", password="a-long-password")
    token = platform.auth.login(name, "a-long-password")
    channel = f"{CHANNEL}:test-{time.time_ns()}"
    assert platform.casebook.relay is not None
    platform.casebook.relay.channel = channel  # this test's own (channels are server-wide)
    worker = CaseNoticeRelay(RELAY_REDIS, channel)  # the Celery worker's own relay: another process
    with TestClient(app) as client, client.websocket_connect("/api/v1/cases/live") as socket:
        socket.send_json({"token": token})
        assert socket.receive_json()["type"] == "following"
        deadline = time.monotonic() + 5
        while redis.Redis.from_url(RELAY_REDIS).pubsub_numsub(channel)[0][1] < 1:
            assert time.monotonic() < deadline, "the API's relay never subscribed"
            time.sleep(0.05)
        worker.publish(CaseNotice("case.dispatched", "2701040004", "dispatched", {"lead": "env", "co_units": []}))
        message = socket.receive_json()
    assert {k: message[k] for k in ("type", "number", "kind", "status")} == {
        "type": "case",
        "number": "2701040004",
        "kind": "case.dispatched",
        "status": "dispatched",
    }
