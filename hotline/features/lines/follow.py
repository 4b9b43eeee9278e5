"""Every process follows the lines in force: the one `LineBook` a process holds (the IVR, the desk,
the wallboard and the dialler all read it) takes the stored lines within `interval_s` of a save.
What Asterisk must do about them (greetings spoken, numbers answered, queues) is the telephony
process's part (telephony/runtime/sync.py)."""

from __future__ import annotations

import asyncio
import logging

from hotline.features.lines.store import LineStore
from ivr.lines import LineBook

log = logging.getLogger(__name__)


class LineFollower:
    def __init__(self, store: LineStore, book: LineBook, *, interval_s: float = 2.0) -> None:
        self.store = store
        self.book = book
        self.interval_s = interval_s
        self._running = False

    async def run(self) -> None:
        """Follow for as long as the process runs. A process that serves the API and telephony
        starts this twice (with each); the second start has nothing to do."""
        if self._running:
            return
        self._running = True
        while True:
            try:
                await asyncio.to_thread(self.refresh)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away, a stored value hand-edited wrong: next round
                log.warning("the center's lines not read: %s", str(exc)[:300])
            await asyncio.sleep(self.interval_s)

    def refresh(self) -> bool:
        """Take the lines in force if they changed; whether they did."""
        current = self.store.current()
        if current.key() == self.book.key():
            return False
        self.book.take(current)
        log.info("the center's lines changed: %s", ", ".join(line.code for line in current.lines))
        return True
