"""The one way a part of the platform tells others in the same thread: `Listeners`.

The bus (common/bus.py) carries events to asynchronous followers of one process. Some notices
must be acted on at once and in every process, in the thread that made them: the casebook's
notices (the satisfaction callback scheduled on a reply, whatever process recorded it, and the
platform's bridge onto the bus), the callback service's, and Asterisk's queue events (the agent's
desk). Those go through this one fan-out, which isolates the listeners: one that fails is logged
and the others are still told, so a notice is never lost to a faulty listener.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Listeners(Generic[T]):
    def __init__(self, what: str, describe: Callable[[T], str] = repr) -> None:
        self.what = what
        self.describe = describe
        self._listeners: list[Callable[[T], None]] = []

    def add(self, listener: Callable[[T], None]) -> None:
        self._listeners.append(listener)

    def tell(self, item: T) -> None:
        for listener in list(self._listeners):
            try:
                listener(item)
            except Exception:
                log.exception("a listener of %s failed on %s", self.what, self.describe(item))

    def __len__(self) -> int:
        return len(self._listeners)
