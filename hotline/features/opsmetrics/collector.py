"""Operations figures for Prometheus: `GET /metrics` on the platform's API.

Why this shape:
- The platform already publishes every call, queue and agent event on its bus (docs/events.md).
  A subscriber turns them into gauges and counters in memory, so the figures cost nothing on the
  call path and need no database.
- What only the casebook knows (cases waiting for screening, transcriptions pending, overdue
  cases) is counted at scrape time with a few COUNT queries, run in a thread, cached for a few
  seconds (several Prometheus servers or a `curl` loop cannot load the database) and bounded by
  a timeout (a database that hangs cannot hang the scrape). When they fail, `/metrics` still
  answers 200 with everything else, leaves those figures out (a stale "0 overdue" would
  mislead) and counts the failure in `hotline_scrape_errors_total`.
- Privacy and cardinality: label values are only the lines file's numbers and queues, clock
  names and fixed words. A caller's number, a call id or an agent's name never becomes a label;
  a number or queue the lines file does not know is reported as `other`, so a misdialled or
  spoofed number cannot create a series.
- Each platform has its own `CollectorRegistry` (never the process-wide default one), so tests
  can build several platforms in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response

from casebook.cases.lifecycle import Status
from casebook.cases.queries import overdue_condition
from casebook.cases.services import CaseBook
from casebook.cases.transcripts import PENDING, WAITING
from casebook.db.models import Case
from casebook.metrics.agent_hours import AGENT_PREFIX
from casebook.metrics.facts import CALLBACK_PREFIX
from common.bus import EventBus, PlatformEvent, Subscription
from hotline.ports import CallLogBacklog
from ivr.lines import LineBook

log = logging.getLogger(__name__)

OTHER = "other"  # any label value the lines file does not name
DIRECTIONS = ("inbound", "callback")
CLOCKS = ("register", "dispatch", "accept", "reply")
WAIT_BUCKETS = (5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
SCREENING_STAGES = ("automatic", "person")
TRANSCRIPT_STATES = (WAITING, PENDING)


@dataclass(frozen=True, slots=True)
class Backlog:
    """The casebook's waiting work, counted at one moment."""

    screening: Mapping[str, int]  # stage -> received cases waiting for a screening
    transcriptions: Mapping[str, int]  # waiting (recording on its way) / pending (queued)
    overdue: int  # open cases whose running clock has run out


def count_backlog(book: CaseBook) -> Backlog:
    """Three COUNT queries over indexed columns (status, transcript_state); runs in a thread."""
    now = book.clock.now()
    with book.sessions() as s:
        unscreened = Case.classification.is_(None)
        rows = s.execute(
            select(unscreened, func.count())
            .where(Case.status == Status.RECEIVED.value, Case.needs_intake.is_(True))
            .group_by(unscreened)
        ).all()
        screening = dict.fromkeys(SCREENING_STAGES, 0)
        for automatic, count in rows:
            screening["automatic" if automatic else "person"] += int(count)
        transcriptions = dict.fromkeys(TRANSCRIPT_STATES, 0)
        for state, count in s.execute(
            select(Case.transcript_state, func.count())
            .where(Case.transcript_state.in_(TRANSCRIPT_STATES))
            .group_by(Case.transcript_state)
        ).all():
            transcriptions[str(state)] = int(count)
        overdue = s.scalar(select(func.count()).select_from(Case).where(overdue_condition(now))) or 0
    return Backlog(screening, transcriptions, int(overdue))


class _OpenNow:
    """Things open now (calls, waiting callers), by call id, counted per label set into a gauge.

    Keyed by call id so a repeated or missing end event cannot drive the gauge below zero or
    count a caller twice; entries older than `max_age` (their end event was lost: the bus drops
    the oldest events of a subscriber that falls behind) and past `max_items` are forgotten."""

    def __init__(self, gauge: Gauge, max_age: timedelta, max_items: int = 20_000) -> None:
        self.gauge = gauge
        self.max_age = max_age
        self.max_items = max_items
        self.items: dict[str, tuple[tuple[str, ...], datetime]] = {}
        self.counts: Tally[tuple[str, ...]] = Tally()

    def add(self, key: str, labels: tuple[str, ...], at: datetime) -> None:
        self.remove(key)
        while len(self.items) >= self.max_items:
            self.remove(next(iter(self.items)))
        self.items[key] = (labels, at)
        self.counts[labels] += 1
        self.gauge.labels(*labels).set(self.counts[labels])

    def remove(self, key: str) -> tuple[str, ...] | None:
        item = self.items.pop(key, None)
        if item is None:
            return None
        labels = item[0]
        self.counts[labels] -= 1
        self.gauge.labels(*labels).set(self.counts[labels])
        return labels

    def prune(self, now: datetime) -> None:
        for key, (_labels, at) in list(self.items.items()):
            if now - at > self.max_age:
                self.remove(key)


class OpsMetrics:
    """The platform's Prometheus figures: fed by the bus (`run`), served by `endpoint`."""

    def __init__(
        self,
        bus: EventBus,
        book: CaseBook,
        call_log_writer: CallLogBacklog,
        lines: LineBook,
        *,
        cache_s: float = 5.0,
        query_timeout_s: float = 3.0,
        monotonic: Callable[[], float] = time.monotonic,
        token: str | None = None,
    ) -> None:
        self.token = token
        self.bus = bus
        self.book = book
        self.call_log_writer = call_log_writer
        self.lines = frozenset(line.number for line in lines.lines)
        self.queues = frozenset(lines.queues)
        self.cache_s = cache_s
        self.query_timeout_s = query_timeout_s
        self.monotonic = monotonic
        self.seen = 0  # events observed (tests wait on it)
        self.subscription: Subscription | None = None
        self.backlog: Backlog | None = None  # None: the last count failed (left out of the scrape)
        self._counted_at: float | None = None
        self._counting: asyncio.Future[Backlog] | None = None

        self.registry = CollectorRegistry()
        self._define(self.registry)
        self.registry.register(_ScrapeTimeFigures(self))

        self._calls = _OpenNow(self.calls, timedelta(hours=4))
        self._waiting = _OpenNow(self.waiting, timedelta(hours=1))
        self._talking = _OpenNow(self.talking, timedelta(hours=4))
        self._agents: set[str] = set()
        self._paused: set[str] = set()
        self._start_at_zero()

    def _define(self, r: CollectorRegistry) -> None:
        """The figures, with their names and help as Prometheus shows them (docs/operations.md)."""
        self.calls = Gauge(
            "hotline_calls_in_progress",
            "Calls in the platform's IVR now (inbound) or satisfaction callbacks answered now (callback); "
            "callers handed to a queue are counted by the queue figures",
            ["line", "direction"],
            registry=r,
        )
        self.waiting = Gauge(
            "hotline_queue_callers_waiting", "Callers waiting in an agent queue now", ["queue"], registry=r
        )
        self.talking = Gauge(
            "hotline_queue_calls_with_agent",
            "Queue calls answered by an agent and not ended yet",
            ["queue"],
            registry=r,
        )
        self.wait = Histogram(
            "hotline_queue_wait_seconds",
            "Time callers waited in a queue before an agent answered (answered) or they hung up (abandoned)",
            ["queue", "outcome"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.answered = Counter("hotline_queue_answered", "Queue calls answered by an agent", ["queue"], registry=r)
        self.abandoned = Counter(
            "hotline_queue_abandoned", "Callers who hung up while waiting in a queue", ["queue"], registry=r
        )
        self.agents_in = Gauge("hotline_agents_logged_in", "Agents logged in to their queues now", registry=r)
        self.agents_paused = Gauge("hotline_agents_paused", "Logged-in agents paused now", registry=r)
        self.breaches = Counter(
            "hotline_clock_breaches",
            "Case clocks that ran out, as the breach scan of this process recorded them",
            ["clock"],
            registry=r,
        )
        self.scrape_errors = Counter(
            "hotline_scrape_errors",
            "Scrapes whose casebook figures could not be counted (database down or too slow)",
            registry=r,
        )

    def _start_at_zero(self) -> None:
        """Every known series starts at zero: dashboards show 0, not "no data", and rate() works."""
        for line in (*sorted(self.lines), OTHER):
            for direction in DIRECTIONS:
                self.calls.labels(line, direction)
        for queue in (*sorted(self.queues), OTHER):
            for gauge in (self.waiting, self.talking):
                gauge.labels(queue)
            for counter in (self.answered, self.abandoned):
                counter.labels(queue)
            for outcome in ("answered", "abandoned"):
                self.wait.labels(queue, outcome)
        for clock in (*CLOCKS, OTHER):
            self.breaches.labels(clock)

    # --- events in ---------------------------------------------------------------------------------
    async def run(self) -> None:
        """Follow the bus for the life of the platform."""
        with self.bus.subscribe() as subscription:
            self.subscription = subscription
            while True:
                event = await subscription.get()
                try:
                    self.observe(event)
                except Exception:  # one odd event must not stop the figures
                    log.exception("metrics: event %s not counted", event.name)

    def observe(self, event: PlatformEvent) -> None:
        self.seen += 1
        name, key, data = event.name, event.call_id, event.data
        if name == "call.started":
            direction = "callback" if key.startswith(CALLBACK_PREFIX) else "inbound"
            self._calls.add(key, (self._line(data.get("line")), direction), event.at)
        elif name == "call.ended":
            self._calls.remove(key)
        elif name == "queue.joined":
            self._waiting.add(key, (self._queue(data.get("queue")),), event.at)
        elif name in ("queue.answered", "queue.abandoned"):
            labels = self._waiting.remove(key)
            queue = self._queue(data.get("queue")) if data.get("queue") else (labels or (OTHER,))[0]
            outcome = "answered" if name == "queue.answered" else "abandoned"
            (self.answered if outcome == "answered" else self.abandoned).labels(queue).inc()
            wait = _seconds(data.get("wait_s"))
            if wait is not None:
                self.wait.labels(queue, outcome).observe(wait)
            if outcome == "answered":
                self._talking.add(key, (queue,), event.at)
        elif name == "queue.left":
            self._waiting.remove(key)
        elif name in ("queue.completed", "queue.transferred"):
            self._talking.remove(key)
        elif name.startswith("agent.") and key.startswith(AGENT_PREFIX):
            self._agent(name, key.removeprefix(AGENT_PREFIX))
        elif name == "case.breached":
            clock = data.get("clock")
            self.breaches.labels(clock if clock in CLOCKS else OTHER).inc()

    def _agent(self, name: str, username: str) -> None:
        if name == "agent.login":
            self._agents.add(username)
            self._paused.discard(username)
        elif name == "agent.logout":
            self._agents.discard(username)
            self._paused.discard(username)
        elif name == "agent.paused":
            self._agents.add(username)
            self._paused.add(username)
        elif name == "agent.resumed":
            self._paused.discard(username)
        else:
            return
        self.agents_in.set(len(self._agents))
        self.agents_paused.set(len(self._paused))

    def _line(self, value: Any) -> str:
        return value if isinstance(value, str) and value in self.lines else OTHER

    def _queue(self, value: Any) -> str:
        return value if isinstance(value, str) and value in self.queues else OTHER

    # --- scrapes -----------------------------------------------------------------------------------
    async def endpoint(self, request: Request) -> Response:
        """GET /metrics: Prometheus' text format; 200 even when the database is down. With a
        token set (HOTLINE_METRICS_TOKEN), only for `Authorization: Bearer <token>`."""
        if self.token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
                return Response(
                    "metrics need the scrape's token: Authorization: Bearer <HOTLINE_METRICS_TOKEN>\n",
                    status_code=401,
                    media_type="text/plain",
                    headers={"WWW-Authenticate": "Bearer"},
                )
        await self.refresh()
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    async def refresh(self) -> None:
        """Forget open items whose end was lost; recount the backlog unless counted recently."""
        now = datetime.now(UTC)
        for open_now in (self._calls, self._waiting, self._talking):
            open_now.prune(now)
        started = self.monotonic()
        if self._counted_at is not None and started - self._counted_at < self.cache_s:
            return  # a failure is remembered as long: a database that is down is not asked again at once
        if self._counting is None:  # one count at a time, even if an earlier one outlived its timeout
            self._counting = asyncio.ensure_future(asyncio.to_thread(count_backlog, self.book))
            self._counting.add_done_callback(_retrieve)
        counting = self._counting
        try:
            backlog: Backlog | None = await asyncio.wait_for(asyncio.shield(counting), self.query_timeout_s)
        except Exception as exc:
            backlog = None
            self.scrape_errors.inc()
            if self.backlog is not None or self._counted_at is None:  # once per outage, not every scrape
                log.warning("metrics: the casebook's figures are left out of scrapes: %s", str(exc)[:200] or "timeout")
        if counting.done():
            self._counting = None
        self.backlog, self._counted_at = backlog, started


class _ScrapeTimeFigures(Collector):
    """Figures read when Prometheus scrapes: the call-log writer's state and the cached backlog."""

    def __init__(self, ops: OpsMetrics) -> None:
        self.ops = ops

    def collect(self) -> Iterable[Metric]:
        writer = self.ops.call_log_writer
        yield GaugeMetricFamily(
            "hotline_calllog_buffer_events",
            "Call events waiting in memory to be written to the call log (grows while the database is away)",
            value=len(writer.buffer),
        )
        yield CounterMetricFamily(
            "hotline_calllog_given_up_events",
            "Call events the call-log writer dropped because its buffer was full",
            value=writer.given_up,
        )
        dropped = self.ops.subscription.dropped if self.ops.subscription is not None else 0
        yield CounterMetricFamily(
            "hotline_metrics_events_dropped",
            "Bus events these figures missed because their subscriber fell behind",
            value=dropped,
        )
        backlog = self.ops.backlog
        if backlog is None:
            return
        screening = GaugeMetricFamily(
            "hotline_cases_awaiting_screening",
            "Received cases waiting for a screening: automatic (not screened yet) or person (intake agent)",
            labels=["stage"],
        )
        for stage, count in backlog.screening.items():
            screening.add_metric([stage], count)
        yield screening
        pending = GaugeMetricFamily(
            "hotline_transcriptions_pending",
            "Calls' messages not transcribed yet: waiting (recording on its way) or pending (queued)",
            labels=["state"],
        )
        for state, count in backlog.transcriptions.items():
            pending.add_metric([state], count)
        yield pending
        yield GaugeMetricFamily(
            "hotline_cases_overdue", "Open cases whose running clock has run out now", value=backlog.overdue
        )


def _retrieve(future: asyncio.Future[Backlog]) -> None:
    """Read a finished count's exception, so one nobody waited for is not reported as lost."""
    if not future.cancelled():
        with contextlib.suppress(Exception):
            future.exception()


def _seconds(value: Any) -> float | None:
    """A duration from an event's data, or None when it is missing or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds < float("inf") else None
