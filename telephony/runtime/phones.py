"""Agents' phones reach Asterisk within seconds of being made, changed or removed, with no command
line: the telephony process follows the casebook's phones and, when they change, writes PJSIP's
configuration again and reloads PJSIP alone through AMI (`Reload` of res_pjsip.so, which the AMI
user's `system` class allows; the SIP guard reloads its ACL the same way). Calls in progress and
registered phones are not disturbed by a PJSIP reload.

Why not ARI's dynamic configuration (decision 0024): objects from the configuration file cannot be
changed through it (a new SIP password), and objects it makes in memory are gone when Asterisk
restarts; the rendered file stays the one description of every phone, read at start and reload.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from telephony.runtime.config import PhoneAccount

log = logging.getLogger(__name__)


class PhoneSync:
    def __init__(
        self,
        accounts: Callable[[], Sequence[PhoneAccount]],
        render: Callable[[Sequence[PhoneAccount]], object],
        reload: Callable[[], Awaitable[object]],
        *,
        interval_s: float = 2.0,
    ) -> None:
        self.accounts = accounts
        self.render = render
        self.reload = reload
        self.interval_s = interval_s
        self.applied: tuple[PhoneAccount, ...] | None = None  # what Asterisk was last given
        self.changes = 0

    async def run(self) -> None:
        """Follow the phones for as long as the process runs; a failure is tried again next time."""
        while True:
            try:
                await self.sync()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database or AMI away: the next round tries again
                log.warning("agents' phones not brought to Asterisk yet: %s", str(exc)[:200])
            await asyncio.sleep(self.interval_s)

    async def sync(self) -> bool:
        """Bring Asterisk the phones if they changed since last time (or never were); whether it did."""
        phones = tuple(sorted(await asyncio.to_thread(self.accounts), key=lambda p: p.extension))
        if phones == self.applied:
            return False
        await asyncio.to_thread(self.render, phones)
        await self.reload()
        first = self.applied is None
        self.applied = phones
        if not first:
            self.changes += 1
            log.info("agents' phones changed: PJSIP reloaded with %d phones", len(phones))
        return True
