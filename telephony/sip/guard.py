"""Blocking SIP password guessers: Asterisk's security events in, PJSIP's ACL out.

The guard keeps its own AMI session, logged in for `security` events only: the platform's main
session asks for `agent` events (queues), and a scanner's flood of failures (thousands a
minute) should neither queue up in front of those nor need a wider event mask there. Each SIP
authentication failure is counted per remote address (`intruders.IntruderTracker`); a block
is written into the ACL file pjsip.conf includes, and `module reload res_pjsip.so` (AMI
`Reload`, which the AMI user's `system` class allows) puts it in force: Asterisk 22 has no
`pjsip reload`, and res_pjsip_acl reloads only with res_pjsip. Bursts are coalesced into one
rewrite and one reload. Blocks expire the same way.

Each block is logged as a WARNING (the address and the count: never the account named, which
may be anything a scanner typed) and published as `sip.blocked` once Asterisk enforces it;
`sip.unblocked` when it is lifted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from common.files import replace_text
from common.settings import AsteriskSettings, SipGuardSettings
from telephony.ami.client import AmiClient, AmiError
from telephony.calls.notifier import CallNotifier
from telephony.runtime.layout import AsteriskLayout
from telephony.sip.intruders import (
    ACL_FILE_NAME,
    FAILURE_EVENTS,
    Block,
    IntruderTracker,
    exempt_networks,
    failure_address,
    normal_address,
    read_acl,
    render_acl,
)

log = logging.getLogger(__name__)

SIP_BLOCKED = "sip.blocked"
SIP_UNBLOCKED = "sip.unblocked"
RELOAD_PJSIP = {"Action": "Reload", "Module": "res_pjsip.so"}


class SipGuard:
    def __init__(
        self,
        tracker: IntruderTracker,
        acl_path: Path,
        ami: AmiClient,
        notifier: CallNotifier,
        *,
        clock: Callable[[], float] = time.time,
        unresolved_exempt: tuple[str, ...] = (),
        settle_s: float = 0.3,
        retry_s: float = 5.0,
    ) -> None:
        self.tracker = tracker
        self.acl_path = acl_path
        self.ami = ami
        self.notifier = notifier
        self.clock = clock
        self.unresolved_exempt = unresolved_exempt
        self.settle_s = settle_s
        self.retry_s = retry_s
        self.failures_seen: Counter[str] = Counter()  # SIP failure events by name, since start
        self._pending: list[Block] = []  # decided, not yet in force
        self._lifted: list[Block] = []  # lifted, Asterisk not yet told
        self._changes = 0  # changes to the blocks so far...
        self._applied = 0  # ...and how many of them Asterisk enforces
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._full_warned = 0

    @classmethod
    def build(
        cls, guard: SipGuardSettings, asterisk: AsteriskSettings, layout: AsteriskLayout, notifier: CallNotifier
    ) -> SipGuard:
        """From settings; nothing connects until `run`. The carrier's addresses are never blocked."""
        networks, names = exempt_networks(list(guard.exempt))
        tracker = IntruderTracker(
            after=guard.block_after,
            window_s=guard.window_s,
            block_for_s=guard.block_for_s,
            exempt=networks,
        )
        # a session of its own, for `security` events only: a scanner's flood never queues up in
        # front of the queue events the desk waits for
        ami = AmiClient(
            asterisk.host,
            asterisk.ami_port,
            asterisk.ami_user,
            asterisk.ami_secret(),
            timeout=5.0,
            events="security",
        )
        acl_path = layout.host_path(layout.dir("etc")) / ACL_FILE_NAME
        return cls(tracker, acl_path, ami, notifier, unresolved_exempt=tuple(names))

    @property
    def blocks(self) -> list[Block]:
        return self.tracker.blocks

    @property
    def _dirty(self) -> bool:
        return self._changes != self._applied

    def _changed(self) -> None:
        self._changes += 1
        self._wake.set()

    # --- running ------------------------------------------------------------------------------------
    async def run(self) -> None:
        """Take back the file's blocks, watch the failures, apply blocks and expiries, forever."""
        await self._resolve_exempt_names()
        self._restore()
        for name in FAILURE_EVENTS:
            self.ami.on_event(name, self.on_event)
        try:
            await self.ami.connect()
        except AmiError as exc:
            log.warning("%s; SIP authentication failures are not watched until AMI answers (retried)", exc)
        while True:  # never ends by an error: it runs beside the Stasis application, in its task group
            try:
                await self._wait()
                for block in self.tracker.expire(self.clock()):
                    log.info("SIP: %s unblocked (its block of %.0f s is over)", block.address, self.tracker.block_for_s)
                    self._lifted.append(block)
                    self._changes += 1
                if self._dirty:
                    await self._apply()
            except Exception:
                log.exception("SIP: the intruder guard failed; it goes on in %.0f s", self.retry_s)
                await asyncio.sleep(self.retry_s)

    def close(self) -> None:
        self.ami.close()

    def on_event(self, _manager: Any, message: Mapping[str, Any]) -> None:
        """One AMI security event: count it if it is a SIP authentication failure (called inside
        panoramisk's reading of the AMI stream: an error must not escape into it)."""
        try:
            self._on_failure(message)
        except Exception:
            log.exception("SIP: a security event could not be handled: %s", message.get("Event"))

    def _on_failure(self, message: Mapping[str, Any]) -> None:
        address = failure_address(message)
        if address is None:
            return
        self.failures_seen[str(message.get("Event"))] += 1
        now = self.clock()
        block = self.tracker.failure(address, now)
        if block is None:
            if self.tracker.refused_full > self._full_warned:
                self._full_warned = self.tracker.refused_full
                log.error(
                    "SIP: %s not blocked: %d addresses are blocked already (the most the ACL keeps)",
                    address,
                    len(self.tracker.blocks),
                )
            else:
                log.debug("SIP: authentication failure from %s (%s)", address, message.get("Event"))
            return
        log.warning(
            "SIP: blocking %s after %d authentication failures within %.0f s, for %.0f s (until %s)",
            address,
            block.failures,
            self.tracker.window_s,
            self.tracker.block_for_s,
            block.until_iso,
        )
        self._pending.append(block)
        self._changed()

    async def unblock(self, address: str) -> bool:
        """Lift a block now (an administrator, a test); True if it was blocked and Asterisk was told."""
        normal = normal_address(address)
        block = self.tracker.unblock(normal) if normal is not None else None
        if block is None:
            return False
        log.info("SIP: %s unblocked by hand", block.address)
        self._lifted.append(block)
        self._changed()
        return await self._apply()

    # --- inside -------------------------------------------------------------------------------------
    async def _resolve_exempt_names(self) -> None:
        """Carrier addresses given as host names are exempt by what they resolve to now."""
        loop = asyncio.get_running_loop()
        for name in self.unresolved_exempt:
            try:
                infos = await loop.getaddrinfo(name, None)
            except OSError as exc:
                log.warning("SIP: cannot resolve %s (%s): it is not exempt from blocking", name, exc)
                continue
            networks, _ = exempt_networks(str(info[4][0]) for info in infos)
            self.tracker.exempt.extend(networks)

    def _restore(self) -> None:
        """The blocks of the file (an earlier run): still running ones kept, Asterisk reloaded
        once (it may have missed the last write)."""
        try:
            text = self.acl_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as exc:
            log.error("SIP: cannot read %s (%s): earlier blocks are forgotten", self.acl_path, exc)
            return
        found = read_acl(text)
        kept = self.tracker.restore(found, self.clock())
        if found:
            log.info("SIP: %d block(s) taken back from %s, %d over", len(kept), self.acl_path, len(found) - len(kept))
            self._changed()

    async def _wait(self) -> None:
        timeout: float | None = self.retry_s if self._dirty else None
        expiry = self.tracker.next_expiry()
        if expiry is not None:
            until_expiry = max(0.0, expiry - self.clock())
            timeout = until_expiry if timeout is None else min(timeout, until_expiry)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        self._wake.clear()
        await asyncio.sleep(self.settle_s)  # a burst of failures: one rewrite and one reload

    async def _apply(self) -> bool:
        """Write the file and reload PJSIP; True once Asterisk enforces every change so far. On
        failure the changes wait (retried after `retry_s`)."""
        async with self._lock:
            if not self._dirty:
                return True
            version = self._changes
            text = render_acl(self.tracker.blocks)
            pending, lifted = list(self._pending), list(self._lifted)
            try:
                await asyncio.to_thread(self._write, text)
            except OSError as exc:
                log.error("SIP: cannot write %s (%s): blocks not in force, retried", self.acl_path, exc)
                return False
            try:
                answer = await self.ami.send(RELOAD_PJSIP, as_list=False)
                message = answer[0] if isinstance(answer, list) else answer
                if message is None or message.get("Response") != "Success":
                    raise AmiError(str(message.get("Message") if message is not None else "no answer"))
            except AmiError as exc:
                log.error("SIP: PJSIP not reloaded (%s): the ACL file holds the blocks, retried", exc)
                return False
            self._applied = version
            del self._pending[: len(pending)]
            del self._lifted[: len(lifted)]
        for block in pending:
            self.notifier.emit("-", SIP_BLOCKED, address=block.address, failures=block.failures, until=block.until_iso)
        for block in lifted:
            self.notifier.emit("-", SIP_UNBLOCKED, address=block.address)
        return True

    def _write(self, text: str) -> None:
        replace_text(self.acl_path, text, 0o644)  # Asterisk's own user reads it; addresses are no secret
