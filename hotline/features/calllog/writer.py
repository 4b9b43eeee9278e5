"""Keeping the platform's call events in the casebook's call log, as they happen.

Subscribes to the event bus and writes batches (every second, or 500 events) in a worker
thread. Transcript events are not logged here (their words are personal data and are kept with
the case); every other call event is. When the database is down, events wait in memory and the
batch is retried; only past `max_buffer` events are the oldest given up, and that is logged as
an error with the count: never silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from casebook.calllog.services import CallEventIn, CallLog
from common.bus import EventBus, PlatformEvent

log = logging.getLogger(__name__)

KEPT_PREFIXES = ("call.", "ivr.", "recording.", "queue.", "agent.", "media.", "speech.", "callback.")


def wanted(event: PlatformEvent) -> bool:
    return event.call_id != "-" and event.name.startswith(KEPT_PREFIXES)


class CallLogWriter:
    def __init__(
        self,
        bus: EventBus,
        call_log: CallLog,
        *,
        flush_s: float = 1.0,
        max_batch: int = 500,
        max_buffer: int = 200_000,
        retry_s: float = 2.0,
    ) -> None:
        self.bus = bus
        self.call_log = call_log
        self.flush_s = flush_s
        self.max_batch = max_batch
        self.retry_s = retry_s
        self.buffer: deque[CallEventIn] = deque()
        self.max_buffer = max_buffer
        self.written = 0
        self.given_up = 0

    async def run(self) -> None:
        with self.bus.subscribe(self.max_buffer) as subscription:
            try:
                while True:
                    try:
                        event = await subscription.get(timeout=self.flush_s)
                        self._take(event)
                        while len(self.buffer) < self.max_batch and not subscription.queue.empty():
                            self._take(subscription.queue.get_nowait())
                    except TimeoutError:
                        pass
                    if self.buffer:
                        await self.flush()
            finally:
                while not subscription.queue.empty():
                    self._take(subscription.queue.get_nowait())
                if self.buffer:
                    await asyncio.shield(self.flush(final=True))

    def _take(self, event: PlatformEvent) -> None:
        if not wanted(event):
            return
        if len(self.buffer) >= self.max_buffer:
            self.buffer.popleft()
            self.given_up += 1
            if self.given_up == 1 or self.given_up % 1000 == 0:
                log.error("call log: %d events given up (the database has been unreachable too long)", self.given_up)
        self.buffer.append(CallEventIn(event.call_id, event.at, event.name, dict(event.data)))

    async def flush(self, *, final: bool = False) -> None:
        batch = list(self.buffer)[: self.max_batch]
        writing = asyncio.ensure_future(asyncio.to_thread(self.call_log.record, batch))
        try:
            written = await asyncio.shield(writing)
        except asyncio.CancelledError:
            # stopping while the batch is being written: wait for it, so that it is neither
            # lost nor written a second time by the final flush
            with contextlib.suppress(Exception):
                self._done(len(batch), await writing)
            raise
        except Exception as exc:
            log.warning("call log: %d events wait, the database refused them: %s", len(self.buffer), exc)
            if not final:
                await asyncio.sleep(self.retry_s)
            return
        self._done(len(batch), written)

    def _done(self, taken: int, written: int) -> None:
        for _ in range(taken):
            self.buffer.popleft()
        self.written += written
