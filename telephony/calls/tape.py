"""A caller's tape: their side of the call, recorded by Asterisk from the moment it may matter.

Asterisk records a snoop channel that hears only the caller (`spy=in`), so prompts played to them
are not on it while everything they say over the prompts is. The recording has no silence limit
and no `#` of its own: this application decides when a message ends (from Asterisk's talk
detection and the caller's keys) and stops it. If the application dies, Asterisk goes on
recording until the caller hangs up or the tape's own limit, and the facts in Asterisk's database
say what the words were for (see `telephony/calls/facts.py`): the recording keeper, in whatever
process is running then, makes of it what `ivr.messages.judge` says.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telephony.ari.client import AriClient
from telephony.ari.errors import AriError, AriNotFound
from telephony.calls.facts import TapeFacts
from telephony.calls.recordings import APP_PREFIX, Ingested, RecordingKeeper

log = logging.getLogger(__name__)

SNOOP_PREFIX = "tape-"
TAPE_PURPOSE = "tape"  # the snoop channel's Stasis argument: never hung up as a stray tap
NOT_IN_STASIS_YET = (404, 409, 422)  # what ARI answers while the new snoop channel is arriving


class CallerTape:
    def __init__(
        self,
        client: AriClient,
        keeper: RecordingKeeper,
        *,
        channel_id: str,
        call_id: str,
        seq: int,
        max_s: int,
    ) -> None:
        self.client = client
        self.keeper = keeper
        self.channel_id = channel_id
        self.call_id = call_id
        key = call_id.replace(".", "-")
        self.name = f"{APP_PREFIX}{key}-{seq}"
        self.snoop_id = f"{SNOOP_PREFIX}{key}-{seq}"
        self.max_s = max_s
        self.stopping = False
        # resolved with the recording's duration (None when Asterisk did not say) once it ends
        self.ended: asyncio.Future[float | None] = asyncio.get_running_loop().create_future()
        self.result: asyncio.Future[Ingested] | None = None  # what the keeper made of it

    @classmethod
    def found(
        cls, client: AriClient, keeper: RecordingKeeper, name: str, *, channel_id: str, call_id: str
    ) -> CallerTape:
        """A tape a process that died began, still recording: this process carries on with it."""
        seq = int(name.rsplit("-", 1)[1]) if name.rsplit("-", 1)[-1].isdigit() else 1
        tape = cls(client, keeper, channel_id=channel_id, call_id=call_id, seq=seq, max_s=0)
        tape.name = name
        tape.result = keeper.result_of(name)
        return tape

    @property
    def facts(self) -> TapeFacts | None:
        return self.keeper.facts_of(self.name)

    @property
    def running(self) -> bool:
        return not self.ended.done()

    async def start(self, facts: TapeFacts) -> None:
        """Keep the facts, then have Asterisk record the caller; raises AriError if it cannot."""
        self.result = self.keeper.result_of(self.name)  # awaited when the message ends, however soon
        await self.keeper.remember(self.name, facts)
        await self.client.snoop(self.channel_id, self.snoop_id, spy="in", purpose=TAPE_PURPOSE)
        for attempt in range(50):
            try:
                await self.client.record(
                    self.snoop_id,
                    self.name,
                    max_duration_s=self.max_s,
                    max_silence_s=0,
                    beep=False,
                    terminate_on="none",
                )
                return
            except AriError as exc:
                if exc.status not in NOT_IN_STASIS_YET or attempt == 49:
                    raise
                await asyncio.sleep(0.02)

    async def relabel(self, **changes: object) -> None:
        """The facts change (why the words are kept, how far the caller got, what went wrong)."""
        facts = self.facts
        if facts is not None:
            await self.keeper.remember(self.name, facts.but(**changes))

    def finished(self, duration: float | None) -> None:
        if not self.ended.done():
            self.ended.set_result(duration)

    async def stop(self) -> None:
        """End the recording (the message is over, or thrown away); Asterisk then stores it."""
        self.stopping = True
        with contextlib.suppress(AriNotFound):
            await self.client.stop_recording(self.name)
        await self.close()

    async def close(self) -> None:
        """Hang up the snoop channel (the recording on it has ended)."""
        with contextlib.suppress(AriError):
            await self.client.hangup(self.snoop_id)
