"""`GET /metrics`: real platform events on a real bus become Prometheus figures, the casebook's
backlog is counted on the real PostgreSQL (cached), and a database that is down never makes the
scrape fail."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.routing import Route

from casebook.calllog.services import CallLog
from casebook.cases.clocks import scan_breaches
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from casebook.clock import FixedClock
from casebook.db.engine import make_engine, make_sessionmaker
from common.bus import EventBus, PlatformEvent
from common.settings import Settings
from hotline.features.calllog.writer import CallLogWriter
from hotline.features.opsmetrics.collector import OpsMetrics
from hotline.platform import Platform
from ivr.lines import load_lines
from tests.unit.conftest import AGENT

CALLER = "13800138000"


class Rig:
    """An OpsMetrics following a bus, and a client scraping its endpoint."""

    def __init__(self, bus: EventBus, ops: OpsMetrics, client: httpx.AsyncClient) -> None:
        self.bus, self.ops, self.client = bus, ops, client

    async def publish(self, *events: PlatformEvent) -> None:
        target = self.ops.seen + len(events)
        for event in events:
            self.bus.publish(event)
        for _ in range(200):
            if self.ops.seen >= target:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the metrics task did not see the events")

    async def scrape(self) -> tuple[str, dict[tuple[str, frozenset[tuple[str, str]]], float]]:
        response = await self.client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
        }
        return response.text, samples


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


@pytest.fixture
async def rig_for() -> AsyncIterator[Callable[..., Rig]]:
    tasks: list[asyncio.Task[None]] = []
    clients: list[httpx.AsyncClient] = []

    def build(book: CaseBook, **options: float) -> Rig:
        bus = EventBus()
        book.subscribe(  # as Platform._publish_case_notice does
            lambda n: bus.publish(PlatformEvent(n.kind, "-", {"case": n.number, "status": n.status, **n.data}))
        )
        writer = CallLogWriter(bus, CallLog(book.sessions))
        ops = OpsMetrics(bus, book, writer, load_lines(), **options)  # type: ignore[arg-type]
        tasks.append(asyncio.create_task(ops.run()))
        app = Starlette(routes=[Route("/metrics", ops.endpoint)])
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://metrics")
        clients.append(client)
        return Rig(bus, ops, client)

    yield build
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for client in clients:
        await client.aclose()


async def _started(rig: Rig) -> Rig:
    for _ in range(100):
        if rig.ops.subscription is not None:
            return rig
        await asyncio.sleep(0.01)
    raise AssertionError("the metrics task did not subscribe")


async def test_a_call_and_a_callback_are_counted_while_in_progress(book: CaseBook, rig_for: Callable[..., Rig]) -> None:
    rig = await _started(rig_for(book))
    await rig.publish(
        PlatformEvent("call.started", "1795.7", {"line": "12345", "caller": "138****8000", "resumed": False}),
        PlatformEvent("call.started", "callback-3-1-a1b2c3", {"line": "12345", "caller": "139****0000"}),
    )
    text, samples = await rig.scrape()
    assert value(samples, "hotline_calls_in_progress", line="12345", direction="inbound") == 1
    assert value(samples, "hotline_calls_in_progress", line="12345", direction="callback") == 1
    assert value(samples, "hotline_calls_in_progress", line="96960", direction="inbound") == 0  # known, idle
    assert "1795.7" not in text and "callback-3" not in text  # no call id is ever a label

    await rig.publish(
        PlatformEvent("call.ended", "1795.7", {"outcome": "reported", "reason": "hangup"}),
        PlatformEvent("call.ended", "1795.7", {"outcome": "reported"}),  # repeated: never below zero
        PlatformEvent("call.ended", "callback-3-1-a1b2c3", {"outcome": "satisfied"}),
    )
    _, samples = await rig.scrape()
    assert value(samples, "hotline_calls_in_progress", line="12345", direction="inbound") == 0
    assert value(samples, "hotline_calls_in_progress", line="12345", direction="callback") == 0


async def test_a_caller_waits_12_s_then_an_agent_answers(book: CaseBook, rig_for: Callable[..., Rig]) -> None:
    rig = await _started(rig_for(book))
    await rig.publish(
        PlatformEvent("queue.joined", "c-q1", {"queue": "intake", "position": 1, "line": "12345", "caller": CALLER}),
        PlatformEvent("queue.joined", "c-q2", {"queue": "efficiency", "position": 1, "line": "96960"}),
    )
    _, samples = await rig.scrape()
    assert value(samples, "hotline_queue_callers_waiting", queue="intake") == 1
    assert value(samples, "hotline_queue_callers_waiting", queue="efficiency") == 1

    await rig.publish(
        PlatformEvent("queue.left", "c-q1", {"queue": "intake", "position": 1}),
        PlatformEvent("queue.answered", "c-q1", {"queue": "intake", "member": "wang", "wait_s": 12, "ring_s": 3}),
    )
    text, samples = await rig.scrape()
    assert value(samples, "hotline_queue_callers_waiting", queue="intake") == 0
    assert value(samples, "hotline_queue_callers_waiting", queue="efficiency") == 1
    assert value(samples, "hotline_queue_calls_with_agent", queue="intake") == 1
    assert value(samples, "hotline_queue_answered_total", queue="intake") == 1
    bucket = "hotline_queue_wait_seconds_bucket"
    assert value(samples, bucket, queue="intake", outcome="answered", le="10.0") == 0
    assert value(samples, bucket, queue="intake", outcome="answered", le="20.0") == 1
    assert value(samples, bucket, queue="intake", outcome="answered", le="+Inf") == 1
    assert value(samples, "hotline_queue_wait_seconds_sum", queue="intake", outcome="answered") == 12
    assert value(samples, "hotline_queue_wait_seconds_count", queue="intake", outcome="answered") == 1
    assert CALLER not in text and "wang" not in text  # neither the caller nor the agent is a label

    await rig.publish(PlatformEvent("queue.completed", "c-q1", {"queue": "intake", "talk_s": 95, "reason": "agent"}))
    _, samples = await rig.scrape()
    assert value(samples, "hotline_queue_calls_with_agent", queue="intake") == 0


async def test_a_caller_who_hangs_up_while_waiting_is_abandoned(book: CaseBook, rig_for: Callable[..., Rig]) -> None:
    rig = await _started(rig_for(book))
    await rig.publish(
        PlatformEvent("queue.joined", "c-ab", {"queue": "intake", "position": 2}),
        PlatformEvent(
            "queue.abandoned", "c-ab", {"queue": "intake", "position": 1, "original_position": 2, "wait_s": 40}
        ),
        PlatformEvent("queue.left", "c-ab", {"queue": "intake", "position": 1}),
    )
    _, samples = await rig.scrape()
    assert value(samples, "hotline_queue_callers_waiting", queue="intake") == 0
    assert value(samples, "hotline_queue_abandoned_total", queue="intake") == 1
    assert value(samples, "hotline_queue_answered_total", queue="intake") == 0
    bucket = "hotline_queue_wait_seconds_bucket"
    assert value(samples, bucket, queue="intake", outcome="abandoned", le="30.0") == 0
    assert value(samples, bucket, queue="intake", outcome="abandoned", le="60.0") == 1
    assert value(samples, "hotline_queue_calls_with_agent", queue="intake") == 0


async def test_events_with_missing_or_odd_data_make_no_new_series(book: CaseBook, rig_for: Callable[..., Rig]) -> None:
    rig = await _started(rig_for(book))
    await rig.publish(
        PlatformEvent("call.started", "c-odd-1", {}),  # no line
        PlatformEvent("call.started", "c-odd-2", {"line": CALLER}),  # a number the lines file does not know
        PlatformEvent("call.ended", "never-started", {}),
        PlatformEvent("queue.joined", "c-odd-3", {}),  # no queue
        PlatformEvent("queue.joined", "c-odd-4", {"queue": "made-up-queue"}),
        PlatformEvent("queue.answered", "c-odd-4", {"queue": "made-up-queue", "wait_s": "soon"}),
        PlatformEvent("queue.abandoned", "c-odd-5", {"wait_s": None}),  # never joined, no queue
        PlatformEvent("agent.login", "-", {"extension": "1001"}),  # not an agent's call id
        PlatformEvent("case.breached", "-", {"case": "2701040001"}),  # no clock
        PlatformEvent("transcript.partial", "c-odd-1", {"text": CALLER}),
    )
    text, samples = await rig.scrape()
    assert value(samples, "hotline_calls_in_progress", line="other", direction="inbound") == 2
    assert value(samples, "hotline_queue_callers_waiting", queue="other") == 1  # c-odd-3; c-odd-4 was answered
    assert value(samples, "hotline_queue_answered_total", queue="other") == 1
    assert value(samples, "hotline_queue_abandoned_total", queue="other") == 1
    assert value(samples, "hotline_queue_wait_seconds_count", queue="other", outcome="answered") == 0
    assert value(samples, "hotline_agents_logged_in") == 0
    assert value(samples, "hotline_clock_breaches_total", clock="other") == 1
    assert CALLER not in text and "made-up-queue" not in text and "c-odd" not in text
    assert rig.ops.seen == 10  # nothing stopped the task


async def test_agents_logged_in_and_paused(book: CaseBook, rig_for: Callable[..., Rig]) -> None:
    rig = await _started(rig_for(book))
    await rig.publish(
        PlatformEvent("agent.login", "agent:wang", {"extension": "1001", "queues": ["intake"], "phone": "desk"}),
        PlatformEvent("agent.login", "agent:li", {"extension": "1002", "queues": ["intake"], "phone": "browser"}),
        PlatformEvent("agent.paused", "agent:li", {"extension": "1002", "reason": "break"}),
    )
    text, samples = await rig.scrape()
    assert (value(samples, "hotline_agents_logged_in"), value(samples, "hotline_agents_paused")) == (2, 1)
    assert "wang" not in text
    await rig.publish(
        PlatformEvent("agent.resumed", "agent:li", {"extension": "1002"}),
        PlatformEvent("agent.paused", "agent:wang", {"extension": "1001", "reason": "meeting"}),
        PlatformEvent("agent.logout", "agent:wang", {"extension": "1001"}),
    )
    _, samples = await rig.scrape()
    assert (value(samples, "hotline_agents_logged_in"), value(samples, "hotline_agents_paused")) == (1, 0)


async def test_backlog_breaches_and_call_log_figures_from_the_casebook(
    book: CaseBook, clock: FixedClock, rig_for: Callable[..., Rig]
) -> None:
    rig = await _started(rig_for(book, cache_s=0))
    _, before = await rig.scrape()
    web = book.open(NewAppeal(channel="web", description="路灯不亮"), AGENT).number
    book.open(NewAppeal(channel="line-12345", line_number="12345", call_id="c-backlog-1", origin="ivr"), AGENT)
    _, after = await rig.scrape()

    def grew(name: str, **labels: str) -> float:
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert grew("hotline_cases_awaiting_screening", stage="automatic") == 2
    assert grew("hotline_transcriptions_pending", state="waiting") == 1
    assert grew("hotline_cases_overdue") == 0

    clock.advance(minutes=61)  # both register clocks run out
    assert {b.number for b in await asyncio.to_thread(scan_breaches, book)} >= {web}
    for _ in range(100):  # the breach notices reach the bus, then the figures
        _, later = await rig.scrape()
        if (value(later, "hotline_clock_breaches_total", clock="register") or 0) >= 2:
            break
        await asyncio.sleep(0.05)
    assert (value(later, "hotline_clock_breaches_total", clock="register") or 0) >= 2
    assert (value(later, "hotline_cases_overdue") or 0) - (value(after, "hotline_cases_overdue") or 0) == 2
    assert value(later, "hotline_calllog_buffer_events") == 0  # the writer is not running: nothing taken
    assert value(later, "hotline_calllog_given_up_events_total") == 0
    assert value(later, "hotline_scrape_errors_total") == 0


async def test_the_backlog_is_cached_between_scrapes(book: CaseBook, rig_for: Callable[..., Rig]) -> None:
    now = [1000.0]
    rig = await _started(rig_for(book, cache_s=5, monotonic=lambda: now[0]))
    _, first = await rig.scrape()
    book.open(NewAppeal(channel="web", description="井盖丢了"), AGENT)
    now[0] += 4
    _, cached = await rig.scrape()
    assert value(cached, "hotline_cases_awaiting_screening", stage="automatic") == value(
        first, "hotline_cases_awaiting_screening", stage="automatic"
    )
    now[0] += 2
    _, fresh = await rig.scrape()
    assert (value(fresh, "hotline_cases_awaiting_screening", stage="automatic") or 0) == (
        value(first, "hotline_cases_awaiting_screening", stage="automatic") or 0
    ) + 1


async def test_a_database_that_is_down_still_answers_200_with_the_error_counted(
    tmp_path: Path, clock: FixedClock, rig_for: Callable[..., Rig]
) -> None:
    engine = make_engine("postgresql+psycopg://hotline@127.0.0.1:9/nowhere?connect_timeout=2")
    book = CaseBook(make_sessionmaker(engine), clock=clock, recordings_dir=tmp_path)
    now = [1000.0]
    rig = await _started(rig_for(book, cache_s=5, monotonic=lambda: now[0]))
    await rig.publish(PlatformEvent("call.started", "c-down", {"line": "12345"}))
    text, samples = await rig.scrape()
    assert value(samples, "hotline_scrape_errors_total") == 1
    assert value(samples, "hotline_calls_in_progress", line="12345", direction="inbound") == 1  # what is known
    assert "hotline_cases_overdue" not in text and "hotline_cases_awaiting_screening" not in text
    _, samples = await rig.scrape()  # within the cache: the database is not asked again
    assert value(samples, "hotline_scrape_errors_total") == 1
    now[0] += 6
    _, samples = await rig.scrape()
    assert value(samples, "hotline_scrape_errors_total") == 2
    engine.dispose()


async def test_a_slow_database_cannot_hold_the_scrape(book: CaseBook, rig_for: Callable[..., Rig]) -> None:
    rig = await _started(rig_for(book, cache_s=0, query_timeout_s=0.2))
    release = asyncio.Event()
    real_sessions = book.sessions

    counts: list[int] = []

    def slow_sessions() -> object:
        counts.append(1)
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(5)
        return real_sessions()

    loop = asyncio.get_running_loop()
    book.sessions = slow_sessions  # type: ignore[assignment]
    try:
        _, samples = await asyncio.wait_for(rig.scrape(), 2)
        assert value(samples, "hotline_scrape_errors_total") == 1
        _, samples = await asyncio.wait_for(rig.scrape(), 2)  # the first count still runs: no second one
        assert value(samples, "hotline_scrape_errors_total") == 2
        assert len(counts) == 1
    finally:
        release.set()
        book.sessions = real_sessions
    await asyncio.sleep(0.1)
    _, samples = await rig.scrape()
    assert value(samples, "hotline_cases_overdue") is not None


def test_each_platform_serves_its_own_metrics(seeded_pg: str, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=seeded_pg,
        data_dir=tmp_path,
        ari_password=SecretStr("a" * 20),
        ami_password=SecretStr("b" * 20),
    )
    first, second = Platform(settings), Platform(settings)  # one process, two registries
    first.state["ops_metrics"].observe(PlatformEvent("call.started", "c-p1", {"line": "12345"}))
    with TestClient(first.api(telephony=False)) as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert 'hotline_calls_in_progress{direction="inbound",line="12345"} 1.0' in response.text
    assert "hotline_cases_overdue" in response.text
    with TestClient(second.api(telephony=False)) as client:
        assert 'hotline_calls_in_progress{direction="inbound",line="12345"} 0.0' in client.get("/metrics").text
    assert "/metrics" not in first.api(telephony=False).openapi()["paths"]  # operations, not the API
    for platform in (first, second):
        platform.engine.dispose()
