"""Conversations between callers and agents, recorded by Asterisk and handed to the casebook.

The dialplan starts MixMonitor on a caller's channel as it enters an agent queue
(`[hotline-record-conversation]` in dialplans/extensions.conf.j2), recording only while the
caller is bridged with an agent: the two voices mixed, and each side alone (`-caller`: what the
caller says; `-agent`: what the caller hears, the agent). The files land in Asterisk's recording
folder, so this keeper sees them as ARI stored recordings and fetches them over HTTP (no shared
disk), once the call is over (a queue event, or the dialplan's hangup handler's AMI UserEvent,
says when): when its channel has been gone for a moment (MixMonitor closes its files as the
channel hangs up). It stores them through the sink and only then deletes
Asterisk's copy; until then they stay in Asterisk, and the next sweep tries again, so a
casebook outage or a restart of this process loses none.

A queue that never connected anyone leaves files without audio: those are deleted (said in the
log), there was no conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from telephony.ami.queue_events import QueueEvent
from telephony.ari.client import AriClient
from telephony.ari.errors import AriError, AriNotFound
from telephony.calls.audio import repaired_wav
from telephony.calls.notifier import CallNotifier
from telephony.calls.ports import ConversationSink, RecordedConversation
from telephony.calls.recordings import wav_duration

log = logging.getLogger(__name__)

PREFIX = "conv-"
SIDES = ("mixed", "caller", "agent")  # each file's name ends with its side
SETTLE_S = 2.0  # a call gone this long: MixMonitor has closed its files
SWEEP_EVERY_S = 30.0
ENDINGS = frozenset({"completed", "transferred", "abandoned", "left"})
ENDED_EVENT = "HotlineConversationEnded"  # AMI UserEvent of the dialplan's hangup handler
NO_AUDIO_S = 0.05  # less than this in the mixed file: never bridged, no conversation


def split_name(name: str) -> tuple[str, str] | None:
    """`conv-<call>-<epoch>-<side>` -> (the conversation's name, the side), or None. (No file is
    named by the conversation alone: ARI finds a stored recording by a prefix of its name, and
    `conv-X` would be found for `conv-X-caller`.)"""
    base, _, side = name.rpartition("-")
    if not name.startswith(PREFIX) or side not in SIDES:
        return None
    return base, side


def call_of(base: str) -> tuple[str, datetime]:
    """The call id (Asterisk's unique id of the caller's channel, its '.' written '-') and when
    the recording began, from a conversation's name."""
    key, _, epoch = base[len(PREFIX) :].rpartition("-")
    head, _, tail = key.rpartition("-")
    call_id = f"{head}.{tail}" if head else key
    started = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    return call_id, started


class ConversationKeeper:
    def __init__(self, client: AriClient, sink: ConversationSink, notifier: CallNotifier) -> None:
        self.client = client
        self.sink = sink
        self.notifier = notifier
        self.settle_s = SETTLE_S
        self.sweep_every_s = SWEEP_EVERY_S
        self._gone_since: dict[str, float] = {}  # conversation -> when its call was first seen gone
        self._lock = asyncio.Lock()
        self._later: set[asyncio.Task[None]] = set()
        self.kept = 0

    async def run(self) -> None:
        """Sweep now and then for conversations whose call is over (and after each queue call ends)."""
        while True:
            try:
                await self.sweep()
            except AriError as exc:
                log.debug("conversation sweep: Asterisk not reachable (%s)", exc)
            except Exception:  # the casebook down: the files stay in Asterisk for the next sweep
                log.exception("conversation sweep failed; the recordings stay in Asterisk until the next one")
            await asyncio.sleep(self.sweep_every_s)

    def on_queue_event(self, event: QueueEvent) -> None:
        """A call left its queue or its agent: its conversation is taken once its files are closed."""
        if event.kind in ENDINGS:
            self._sweep_soon()

    def on_user_event(self, _manager: Any, message: Mapping[str, Any]) -> None:
        """The dialplan's hangup handler says a recorded caller's call is over (after a transfer to
        an agent's phone no queue event tells it): the conversation is taken once its files close."""
        if str(message.get("UserEvent", "")) == ENDED_EVENT:
            self._sweep_soon()

    def _sweep_soon(self) -> None:
        task = asyncio.get_running_loop().create_task(self._sweep_after(self.settle_s + 0.5))
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    async def _sweep_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        for _ in range(2):  # once the call is seen gone, again when it has been gone long enough
            try:
                if not await self.sweep():
                    return
            except Exception as exc:  # the recordings stay in Asterisk: the periodic sweep tries again
                log.warning("conversation sweep failed: %s; the next one tries again", exc)
                return
            await asyncio.sleep(self.settle_s)

    async def sweep(self) -> int:
        """Take every conversation whose call is over; return how many are still waiting."""
        async with self._lock:
            groups: dict[str, dict[str, str]] = defaultdict(dict)
            for item in await self.client.list_stored_recordings():
                name = str(item.get("name", ""))
                found = split_name(name)
                if found is not None:
                    groups[found[0]][found[1]] = name
            waiting = 0
            for base, files in sorted(groups.items()):
                if not await self._over(base):
                    waiting += 1
                    continue
                await self._take(base, files)
            for base in set(self._gone_since) - set(groups):
                del self._gone_since[base]
            return waiting

    async def _over(self, base: str) -> bool:
        call_id, _ = call_of(base)
        try:
            await self.client.request("GET", f"/channels/{call_id}")
            self._gone_since.pop(base, None)
            return False
        except AriNotFound:
            since = self._gone_since.setdefault(base, time.monotonic())
            return time.monotonic() - since >= self.settle_s

    async def _take(self, base: str, files: dict[str, str]) -> None:
        call_id, started = call_of(base)
        audio: dict[str, bytes | None] = {}
        for side in SIDES:
            raw = await self.client.fetch_recording(files[side]) if side in files else None
            audio[side] = repaired_wav(raw) if raw is not None else None  # Asterisk killed mid-call
        mixed = audio["mixed"] or audio["caller"] or b""
        duration = wav_duration(mixed) if mixed else None
        if duration is None and len(mixed) > 44:
            duration = len(mixed) / 16000  # not a WAV we can read: kept as it is, for a person
        kept = duration is not None and duration >= NO_AUDIO_S
        if duration is not None and kept:
            conversation = RecordedConversation(
                base, call_id, started, mixed, audio["caller"], audio["agent"], round(duration, 2)
            )
            await self.sink.keep_conversation(conversation)  # raises: Asterisk keeps the files
            self.kept += 1
        else:
            log.info("conversation %s has no audio (the caller was never put through); deleted", base)
        for name in files.values():
            with contextlib.suppress(AriNotFound):  # another process took it meanwhile
                await self.client.delete_recording(name)
        self._gone_since.pop(base, None)
        if duration is not None and kept:
            self.notifier.emit(call_id, "conversation.stored", seconds=round(duration, 1), sides=sorted(files))
