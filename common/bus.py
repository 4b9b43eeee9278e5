"""An in-process publish/subscribe bus for the platform's named events.

Every event has a fixed dotted name (`call.answered`, `ivr.key`, `recording.stored`...) and a
flat dict of plain data. Subscribers get their own bounded queue, so a slow subscriber (a test,
a web page) never blocks the call that raised the event; when its queue is full the oldest
event is dropped *for that subscriber only* and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from common.events import outside_catalogue

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PlatformEvent:
    name: str
    call_id: str
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


class Subscription:
    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[PlatformEvent] = asyncio.Queue(maxsize)
        self.dropped = 0
        try:
            self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = None

    def offer(self, event: PlatformEvent) -> None:
        """Queue the event; from another thread (the casebook's worker threads publish too) the
        event is handed to the subscriber's loop, as asyncio queues are not thread-safe."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if self.loop is not None and running is not self.loop:
            with contextlib.suppress(RuntimeError):  # the subscriber's loop has closed
                self.loop.call_soon_threadsafe(self._offer, event)
            return
        self._offer(event)

    def _offer(self, event: PlatformEvent) -> None:
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
                self.dropped += 1
        self.queue.put_nowait(event)

    async def get(self, timeout: float | None = None) -> PlatformEvent:
        """The next event; TimeoutError after `timeout` seconds. `asyncio.timeout`, not
        `wait_for`: on Python 3.11 `wait_for` loses a cancellation that arrives as the event
        does, and a subscriber's loop that is never cancelled keeps a platform from stopping."""
        async with asyncio.timeout(timeout):
            return await self.queue.get()


class EventBus:
    # What was published that the catalogue (common/events.py) does not declare, by every bus of
    # this process: logged once each, still delivered (an event is never dropped for it), and
    # read by the tests, which fail on any.
    published_outside_catalogue: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()

    @property
    def listeners(self) -> int:
        """How many subscriptions are open (a follower started by a task is listening once this grew)."""
        return len(self._subscriptions)

    def publish(self, event: PlatformEvent) -> None:
        wrong = outside_catalogue(event.name, event.data)
        if wrong is not None and wrong not in EventBus.published_outside_catalogue:
            EventBus.published_outside_catalogue.append(wrong)
            log.error("%s", wrong)
        for subscription in list(self._subscriptions):
            subscription.offer(event)

    @contextlib.contextmanager
    def subscribe(self, maxsize: int = 10_000) -> Any:
        subscription = Subscription(maxsize)
        self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)

    async def stream(self, maxsize: int = 1000) -> AsyncIterator[PlatformEvent]:
        with self.subscribe(maxsize) as subscription:
            while True:
                yield await subscription.get()
