"""Asterisk kept in step with the center's lines and the agents' phones, with no command line.

The telephony process compares what Asterisk was last given with what is in force now (the lines
a process holds, the phones in the casebook) every `interval_s`. On a change it speaks the lines'
greetings (cached by their words, so an unchanged one costs nothing), writes the configuration
again, and reloads through AMI (`Reload`, which the AMI user's `system` class allows) only the
modules whose files changed:
- `pjsip.conf`: `res_pjsip.so`; registered phones and calls in progress are not disturbed;
- `extensions.conf`: `pbx_config.so`, the numbers answered; calls in progress keep their line;
- `queues.conf`: `app_queue.so`; agents logged in through AMI stay members, callers stay waiting.
At start the files are compared the same way, so a platform started on an Asterisk already up to
date reloads nothing. A failure (the database or AMI away, espeak missing) is tried again next
round, the modules not yet reloaded with it.

Why not ARI's dynamic configuration (decision 0024): objects from the configuration file cannot be
changed through it (a new SIP password), and objects it makes in memory are gone when Asterisk
restarts; the rendered file stays the one description of every phone and line, read at start and
at reload. A failure (the database or AMI away, espeak missing) is tried again next round.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from ivr.lines import LineBook
from telephony.runtime.config import PhoneAccount

log = logging.getLogger(__name__)

MODULE_OF_FILE = {"pjsip.conf": "res_pjsip.so", "extensions.conf": "pbx_config.so", "queues.conf": "app_queue.so"}


class AsteriskSync:
    def __init__(
        self,
        accounts: Callable[[], Sequence[PhoneAccount]],
        lines: Callable[[], LineBook],
        render: Callable[[LineBook, Sequence[PhoneAccount]], set[str]],
        reload: Callable[[str], Awaitable[object]],
        *,
        speak: Callable[[LineBook], object] = lambda book: None,
        lines_applied: Callable[[LineBook], object] = lambda book: None,
        interval_s: float = 2.0,
    ) -> None:
        self.accounts = accounts
        self.lines = lines
        self.render = render  # writes the files; the names of those that changed
        self.reload = reload  # one module, by file name
        self.speak = speak  # the lines' greetings, made into sound files Asterisk plays
        self.lines_applied = lines_applied
        self.interval_s = interval_s
        self.applied: tuple[str, tuple[PhoneAccount, ...]] | None = None  # what Asterisk was last given
        self.pending: set[str] = set()  # modules whose files changed and that are not reloaded yet
        self.changes = 0

    async def run(self) -> None:
        """Follow the phones and lines for as long as the process runs."""
        while True:
            try:
                await self.sync()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database or AMI away, espeak failing: the next round tries again
                log.warning("Asterisk not brought up to date yet: %s", str(exc)[:300])
            await asyncio.sleep(self.interval_s)

    async def sync(self) -> bool:
        """Bring Asterisk what changed since last time; whether anything was reloaded."""
        book = self.lines()
        key = book.key()
        lines_changed = self.applied is None or key != self.applied[0]
        if lines_changed:  # first: speaking takes a while, and the phones are read right before writing
            await asyncio.to_thread(self.speak, book)
        phones = tuple(sorted(await asyncio.to_thread(self.accounts), key=lambda p: p.extension))
        wanted = (key, phones)
        if wanted == self.applied and not self.pending:
            return False
        changed = await asyncio.to_thread(self.render, book, phones)
        self.pending |= {MODULE_OF_FILE[name] for name in changed if name in MODULE_OF_FILE}
        reloaded = sorted(self.pending)
        for module in reloaded:
            await self.reload(module)
            self.pending.discard(module)
        self.applied = wanted
        if lines_changed:
            await asyncio.to_thread(self.lines_applied, book)
        if reloaded:
            self.changes += 1
            log.info(
                "Asterisk brought up to date (%d phones, %d lines): %s reloaded",
                len(phones),
                len(book.lines),
                ", ".join(reloaded),
            )
        return bool(reloaded)
