"""The call log keeps every call event the platform publishes, in batches, and loses none when
the database is away for a while."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.calllog.services import CallEventIn, CallLog
from casebook.cases.services import CaseBook
from common.bus import EventBus, PlatformEvent
from hotline.features.calllog.writer import CallLogWriter
from tests.unit.conftest import until


def test_events_are_stored_and_read_back_in_order(book: CaseBook) -> None:
    call_log = CallLog(book.sessions)
    at = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    events = [
        CallEventIn("c-log-1", at, name, {"i": i}) for i, name in enumerate(["call.started", "ivr.key", "call.ended"])
    ]
    assert call_log.record(events) == 3
    assert [(e.name, e.data["i"]) for e in call_log.of_call("c-log-1")] == [
        ("call.started", 0),
        ("ivr.key", 1),
        ("call.ended", 2),
    ]
    assert call_log.of_call("c-log-1")[0].at == at


class FlakyLog:
    """Refuses the first `failures` batches, as a database that is restarting does."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.rows: list[CallEventIn] = []

    def record(self, events: Sequence[CallEventIn]) -> int:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database restarting")
        self.rows.extend(events)
        return len(events)


async def test_the_writer_keeps_events_while_the_database_is_away_and_skips_transcripts() -> None:
    bus = EventBus()
    flaky = FlakyLog(failures=2)
    writer = CallLogWriter(bus, flaky, flush_s=0.05, retry_s=0.05)  # type: ignore[arg-type]
    task = asyncio.create_task(writer.run())
    await until(lambda: bus.listeners == 1, "the writer follows the bus")
    for i in range(1200):
        bus.publish(PlatformEvent("ivr.key", f"call-{i % 7}", {"key": str(i % 10)}))
    bus.publish(PlatformEvent("transcript.final", "call-1", {"text": "private words"}))
    bus.publish(PlatformEvent("case.received", "-", {"case": "1"}))
    for _ in range(100):
        if len(flaky.rows) == 1200:
            break
        await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert len(flaky.rows) == 1200 and writer.given_up == 0
    assert {e.name for e in flaky.rows} == {"ivr.key"}  # transcripts and case notices are kept elsewhere


async def test_events_still_waiting_are_written_when_the_platform_stops(book: CaseBook) -> None:
    bus = EventBus()
    call_log = CallLog(book.sessions)
    writer = CallLogWriter(bus, call_log, flush_s=30)
    task = asyncio.create_task(writer.run())
    await until(lambda: bus.listeners == 1, "the writer follows the bus")
    bus.publish(PlatformEvent("call.ended", "c-log-stop", {"outcome": "reported"}))
    task.cancel()  # at once: the event is still in the writer's queue, not yet taken
    await asyncio.gather(task, return_exceptions=True)
    assert [e.name for e in call_log.of_call("c-log-stop")] == ["call.ended"]


def test_the_call_log_is_read_through_the_api_by_the_center_not_by_units(
    book: CaseBook, auth: AuthService, api: TestClient
) -> None:
    stamp = book.clock.now().strftime("%d%H%M%S%f")
    CallLog(book.sessions).record(
        [
            CallEventIn(f"call-{stamp}", datetime.now(UTC), "queue.joined", {"queue": "intake", "position": 1}),
            CallEventIn(f"call-{stamp}", datetime.now(UTC), "queue.abandoned", {"position": 1, "wait_s": 41}),
        ]
    )
    auth.create_user(f"desk-{stamp}", Role.INTAKE_AGENT, password="a-long-password")
    auth.create_user(f"unit-{stamp}", Role.UNIT_HANDLER, unit="env", password="a-long-password")
    desk = {"Authorization": f"Bearer {auth.login(f'desk-{stamp}', 'a-long-password')}"}
    unit = {"Authorization": f"Bearer {auth.login(f'unit-{stamp}', 'a-long-password')}"}
    answer = api.get(f"/api/v1/calls/call-{stamp}/events", headers=desk)
    assert answer.status_code == 200
    assert [e["name"] for e in answer.json()] == ["queue.joined", "queue.abandoned"]
    assert answer.json()[1]["data"]["wait_s"] == 41
    assert api.get(f"/api/v1/calls/call-{stamp}/events", headers=unit).status_code == 403
    assert api.get("/api/v1/calls/never-seen/events", headers=desk).json() == []
    assert api.get("/api/v1/calls/bad%20id/events", headers=desk).status_code == 422
