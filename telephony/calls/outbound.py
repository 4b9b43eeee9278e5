"""Calls the platform places: out through the carrier trunk, into the Stasis application.

`place` originates the channel (ARI) with an id of our choosing and waits for what became of
it. Asterisk puts an originated channel into the application only once the far end answers;
until then the application is merely subscribed to it, so an unanswered call shows up only as
ChannelDestroyed with a hangup cause (busy, no answer, rejected...). The Stasis application
tells this registry both things: `answered` (StasisStart), then `finished` when the answered
call's session ends, or `destroyed` for a call that never reached it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from common.privacy import mask_number
from telephony.ari.client import AriClient
from telephony.ari.errors import AriError

log = logging.getLogger(__name__)

TRUNK = "carrier"
# Q.850 causes of a call that was not answered, as the platform names them
CAUSES = {17: "busy", 18: "no-answer", 19: "no-answer", 21: "rejected", 0: "no-answer", 16: "no-answer"}


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    call_id: str  # the channel id (unique; it names the call in events and the call log)
    number: str  # digits (and a leading +) to dial through the trunk
    caller_id: str  # the line the citizen sees calling
    args: tuple[str, ...]  # the Stasis arguments, e.g. ("callback", "17")
    ring_timeout_s: int = 30


@dataclass(frozen=True, slots=True)
class DialResult:
    call_id: str
    answered: bool
    cause: str  # answered, busy, no-answer, rejected, failed, lost
    cause_code: int | None = None
    detail: str = ""
    outcome: str = ""  # the answered call's session outcome


@dataclass
class _Pending:
    request: OutboundRequest
    done: asyncio.Future[DialResult]
    answered: bool = False


class OutboundCalls:
    def __init__(self, client: AriClient, *, trunk: str = TRUNK, max_talk_s: float = 600.0) -> None:
        self.client = client
        self.trunk = trunk
        self.max_talk_s = max_talk_s
        self.pending: dict[str, _Pending] = {}

    async def place(self, request: OutboundRequest) -> DialResult:
        """Dial and wait until the call ends (unanswered, or answered and finished)."""
        done: asyncio.Future[DialResult] = asyncio.get_running_loop().create_future()
        self.pending[request.call_id] = _Pending(request, done)
        try:
            try:
                await self.client.originate(
                    f"PJSIP/{request.number}@{self.trunk}",
                    channel_id=request.call_id,
                    app_args=request.args,
                    caller_id=request.caller_id,
                    timeout_s=request.ring_timeout_s,
                )
            except AriError as exc:
                log.warning("could not call %s: %s", mask_number(request.number), exc)
                return DialResult(request.call_id, False, "failed", None, f"originate refused: {exc}"[:200])
            try:
                return await asyncio.wait_for(asyncio.shield(done), request.ring_timeout_s + self.max_talk_s)
            except TimeoutError:
                # the end of the call was never seen (an event socket outage): end it ourselves
                with contextlib.suppress(AriError):
                    await self.client.hangup(request.call_id)
                return DialResult(request.call_id, self.pending[request.call_id].answered, "lost", None, "no end seen")
        finally:
            self.pending.pop(request.call_id, None)

    def request_of(self, channel_id: str) -> OutboundRequest | None:
        pending = self.pending.get(channel_id)
        return pending.request if pending else None

    def answered(self, channel_id: str) -> None:
        if pending := self.pending.get(channel_id):
            pending.answered = True

    def destroyed(self, channel_id: str, cause: int, cause_txt: str) -> None:
        """The channel is gone; for a call never answered this is its outcome."""
        pending = self.pending.get(channel_id)
        if pending is None or pending.answered or pending.done.done():
            return
        name = CAUSES.get(cause, "failed")
        pending.done.set_result(DialResult(channel_id, False, name, cause, cause_txt[:200]))

    def finished(self, channel_id: str, outcome: str) -> None:
        """The answered call's session ended with this outcome."""
        pending = self.pending.get(channel_id)
        if pending is None or pending.done.done():
            return
        pending.done.set_result(DialResult(channel_id, True, "answered", None, "", outcome))
