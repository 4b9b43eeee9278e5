"""What the wallboard shows, kept up to date from the platform's event bus and the casebook.

Two kinds of figures, on purpose:
- *now* (callers in the IVR, waiting in each queue and since when, talking, each agent's state):
  followed live from the bus (`call.*`, `queue.*`, `agent.*`) and the agent desk, so a caller
  entering a queue shows on the screens within a second;
- *today* (offered, answered, abandoned, service level, ASA, cases received, overdue, sudden
  rises): the managers' metrics (casebook.metrics) over the call log, recomputed a moment after
  an event changed them (the call log is written every second) and every few seconds anyway.
A screen gets the whole board each time (a few kilobytes), so a screen that missed a message is
repaired by the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from casebook.metrics.calls import CallMetrics
from casebook.metrics.cases import CaseMetrics
from casebook.metrics.facts import CALLBACK_PREFIX
from casebook.metrics.formulas import FIGURES
from casebook.metrics.opinion import Opinion
from common.bus import EventBus, PlatformEvent
from hotline.features.wallboard.messages import BoardMessage
from hotline.ports import AgentsOnDuty
from ivr.lines import LineBook

log = logging.getLogger(__name__)

STALE = timedelta(hours=4)  # no call lasts longer: one still on the board was lost
AFTER_EVENT_S = 1.5  # the call log writes every second: figures are asked for after that
PUSH_EVERY_S = 0.5  # at most two boards a second per screen
# The loops wait with `asyncio.timeout`, not `wait_for`: on Python 3.11 `wait_for` loses a
# cancellation arriving as the awaited event fires, and the platform could then never stop.


# today's figures on the board, with their names and formulas in both languages
TODAY_KEYS = ("calls", "no_agent", "offered", "answered", "abandoned", "service_level", "asa", "aht", "occupancy")
CASE_KEYS = ("appeals", "backlog", "overdue", "register_on_time", "dispatch_on_time", "accept_on_time")
FIGURE_NAMES = {
    key: {
        "zh": FIGURES[key].zh,
        "en": FIGURES[key].en,
        "formula_zh": FIGURES[key].formula_zh,
        "formula_en": FIGURES[key].formula_en,
        "unit": FIGURES[key].unit,
    }
    for key in (*TODAY_KEYS, *CASE_KEYS)
}


@dataclass
class LiveCall:
    line: str
    since: datetime
    state: str = "ivr"  # ivr, waiting, talking
    queue: str = ""
    waiting_since: datetime | None = None
    agent: str = ""


@dataclass
class Wallboard:
    bus: EventBus
    calls_metrics: CallMetrics
    case_metrics: CaseMetrics
    opinion: Opinion
    lines: LineBook
    desk: AgentsOnDuty | None = None
    threshold_s: float = 20.0
    figures_every_s: float = 10.0
    cases_every_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    calls: dict[str, LiveCall] = field(default_factory=dict)
    today: dict[str, Any] = field(default_factory=dict)
    cases: dict[str, Any] = field(default_factory=dict)
    surges: list[dict[str, Any]] = field(default_factory=list)
    screens: set[asyncio.Queue[str]] = field(default_factory=set)
    agent_since: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    version: int = 0
    figures_error: str = ""

    def __post_init__(self) -> None:
        self._dirty = asyncio.Event()
        self._figures_due = asyncio.Event()
        self._cases_due = asyncio.Event()

    # --- following the bus -------------------------------------------------------------------------
    def on_event(self, event: PlatformEvent) -> None:
        """Turn one platform event into the live picture (pure bookkeeping: no I/O)."""
        name, call_id, data = event.name, event.call_id, event.data
        if name.startswith("agent.") or name == "queue.member":
            self._changed()
            return
        if name.startswith("case."):
            self._cases_due.set()
            return
        if call_id.startswith(CALLBACK_PREFIX) or call_id in ("-", ""):
            return
        call = self.calls.get(call_id)
        if name == "call.started":
            self.calls[call_id] = LiveCall(line=str(data.get("line", "")), since=event.at)
        elif name == "queue.joined":
            call = call or self.calls.setdefault(call_id, LiveCall(line=str(data.get("line", "")), since=event.at))
            call.state, call.queue, call.waiting_since, call.agent = "waiting", str(data.get("queue", "")), event.at, ""
        elif call is None:
            return
        elif name == "queue.answered":
            call.state, call.agent = "talking", str(data.get("member", ""))
        elif name in ("queue.abandoned", "queue.completed", "queue.transferred"):
            self.calls.pop(call_id, None)
        elif name == "queue.left" and call.state == "waiting":
            # Asterisk says "left" both when an agent is about to be bridged (queue.answered
            # follows) and when the caller goes to leave a message (ivr.queue-message follows)
            call.state, call.waiting_since = "leaving", None
        elif name == "ivr.queue-message":
            call.state, call.queue, call.waiting_since = "ivr", "", None  # back for a message
        elif name == "call.ended" and call.state == "ivr" and data.get("outcome") != "transferred":
            self.calls.pop(call_id, None)  # a transferred call lives on in the queue
        else:
            return
        self._changed()
        if name.startswith(("queue.", "call.ended")):
            self._figures_due.set()

    def _changed(self) -> None:
        self.version += 1
        self._dirty.set()

    # --- the board ---------------------------------------------------------------------------------
    def message(self) -> BoardMessage:
        """The board as the screens receive it (typed: hotline/features/wallboard/messages.py)."""
        return BoardMessage.model_validate(self.snapshot())

    def snapshot(self) -> dict[str, Any]:
        now = datetime.now(UTC)
        queues: dict[str, dict[str, Any]] = {
            q: {"queue": q, "waiting": 0, "talking": 0, "longest_wait_s": 0.0} for q in self.lines.queues
        }
        in_ivr = 0
        self._forget_stale(now)
        for call in self.calls.values():
            if call.state == "leaving":
                continue  # a moment between the queue and an agent or a message
            if call.state == "ivr":
                in_ivr += 1
                continue
            entry = queues.setdefault(
                call.queue, {"queue": call.queue, "waiting": 0, "talking": 0, "longest_wait_s": 0.0}
            )
            if call.state == "waiting" and call.waiting_since is not None:
                entry["waiting"] += 1
                entry["longest_wait_s"] = max(
                    entry["longest_wait_s"], round((now - call.waiting_since).total_seconds(), 1)
                )
            elif call.state == "talking":
                entry["talking"] += 1
        for row in self.today.get("queues", []):
            entry = queues.setdefault(
                row["key"], {"queue": row["key"], "waiting": 0, "talking": 0, "longest_wait_s": 0.0}
            )
            entry["today"] = {k: row.get(k) for k in ("offered", "answered", "abandoned", "service_level", "asa")}
        agents = self._agents(now)
        states: dict[str, int] = {}
        for agent in agents:
            states[agent["status"]] = states.get(agent["status"], 0) + 1
        waiting = sum(q["waiting"] for q in queues.values())
        return {
            "type": "board",
            "at": now.isoformat(),
            "version": self.version,
            "now": {
                "in_ivr": in_ivr,
                "waiting": waiting,
                "talking": sum(q["talking"] for q in queues.values()),
                "longest_wait_s": max((q["longest_wait_s"] for q in queues.values()), default=0.0),
                "agents": states,
            },
            "queues": sorted(queues.values(), key=lambda q: q["queue"]),
            "agents": agents,
            "today": self.today.get("total", {}),
            "threshold_s": self.threshold_s,
            "cases": self.cases,
            "surges": self.surges[:5],
            "figures_error": self.figures_error,
            "figures": FIGURE_NAMES,
            "timezone": str(self.calls_metrics.tz),
        }

    def _forget_stale(self, now: datetime) -> None:
        """A call whose end was never seen (a restart of Asterisk between two events) would stay
        on the board for ever: none lasts longer than STALE."""
        for call_id in [c for c, call in self.calls.items() if now - call.since > STALE]:
            del self.calls[call_id]

    def _agents(self, now: datetime) -> list[dict[str, Any]]:
        if self.desk is None:
            return []
        out = []
        words = {r.code: r for r in self.lines.pause_reasons()}  # a reason's code -> its words
        for state in self.desk.states.values():
            status = state.status
            if status == "available" and not state.phone_online:
                status = "offline"  # in the queues, but the phone does not answer: not available
            if status == "logged_out":
                self.agent_since.pop(state.username, None)
                continue
            seen = self.agent_since.get(state.username)
            if seen is None or seen[0] != status:
                seen = (status, now)
                self.agent_since[state.username] = seen
            out.append(
                {
                    "username": state.username,
                    "extension": state.extension,
                    "status": status,
                    "reason": state.reason,
                    "reason_zh": words[state.reason].zh if state.reason in words else state.reason,
                    "reason_en": words[state.reason].en if state.reason in words else state.reason,
                    "since_s": round((now - seen[1]).total_seconds()),
                    "phone_online": state.phone_online,
                }
            )
        return sorted(out, key=lambda a: a["username"])

    # --- screens -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def screen(self) -> Iterator[asyncio.Queue[str]]:
        outbox: asyncio.Queue[str] = asyncio.Queue(20)
        self.screens.add(outbox)
        try:
            yield outbox
        finally:
            self.screens.discard(outbox)

    def _push(self) -> None:
        text = self.message().model_dump_json()
        for outbox in list(self.screens):
            if outbox.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    outbox.get_nowait()
            outbox.put_nowait(text)

    # --- running -----------------------------------------------------------------------------------
    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._follow())
            group.create_task(self._figures_loop())
            group.create_task(self._cases_loop())
            group.create_task(self._push_loop())

    async def _follow(self) -> None:
        with self.bus.subscribe(10_000) as subscription:
            while True:
                event = await subscription.get()
                try:
                    self.on_event(event)
                except Exception:  # one odd event must not stop the board
                    log.exception("wallboard: could not follow %s", event.name)

    async def _figures_loop(self) -> None:
        while True:
            await self.refresh_figures()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.figures_every_s):
                    await self._figures_due.wait()
                await asyncio.sleep(AFTER_EVENT_S)
            self._figures_due.clear()

    async def _cases_loop(self) -> None:
        while True:
            await self.refresh_cases()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.cases_every_s):
                    await self._cases_due.wait()
                await asyncio.sleep(AFTER_EVENT_S)
            self._cases_due.clear()

    async def _push_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):  # once a second anyway: wait times tick
                    await self._dirty.wait()
            self._dirty.clear()
            if self.screens:
                self._push()
            await asyncio.sleep(PUSH_EVERY_S)

    async def refresh_figures(self) -> None:
        try:
            self.today = await asyncio.to_thread(self._today_calls)
            self.figures_error = ""
        except Exception as exc:
            self.figures_error = "today's figures are not available: the database did not answer"
            log.warning("wallboard: %s", exc)
        self._changed()

    async def refresh_cases(self) -> None:
        try:
            self.cases, self.surges = await asyncio.to_thread(self._today_cases)
        except Exception as exc:
            log.warning("wallboard: the case figures failed: %s", exc)
        self._changed()

    def _today(self) -> Any:
        return datetime.now(UTC).astimezone(self.calls_metrics.tz).date()

    def _today_calls(self) -> dict[str, Any]:
        day = self._today()
        queues = self.calls_metrics.table(day, day, "queue", threshold_s=self.threshold_s)
        lines = self.calls_metrics.table(day, day, "total", threshold_s=self.threshold_s)
        return {"queues": queues["rows"], "total": {**lines["total"], **_occupancy(self.calls_metrics, day)}}

    def _today_cases(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        day = self._today()
        total = self.case_metrics.table(day, day, "total")["total"]
        return {k: total.get(k) for k in CASE_KEYS}, self.opinion.surges()


def _queue_entry(queue: str) -> dict[str, Any]:
    return {"queue": queue, "waiting": 0, "talking": 0, "longest_wait_s": 0.0}


def _occupancy(metrics: CallMetrics, day: Any) -> dict[str, Any]:
    agents = metrics.table(day, day, "agent")["total"]
    return {"occupancy": agents.get("occupancy")}
