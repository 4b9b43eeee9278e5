"""Live transcription of every call that capacity allows, from answer to the caller's hangup.

A call's live stream outlives its IVR session: after a transfer to an agent the caller's voice
is still tapped and decoded, so the agent's screen keeps getting the transcript. It ends when
Asterisk removes the snoop channel (the caller hung up) or the application stops. At the end,
what the caller said outside the menu and their message (to an agent, say) is kept by call id.

A voice gate before the recognizer (`asr.vad`) makes a listening caller cost almost nothing until
they speak, so every caller is listened to; `max_streams` only bounds the taps (the UDP ports and
the memory of the recognizers of callers who spoke), and a stream is refused while the process
is behind (`LiveLoad`). Without a live stream a call's message is transcribed from the recording
after the hangup instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from asr.engine import SpeechEngine
from asr.schemas import Transcript
from asr.threads import DecodeThreads
from telephony.ari.client import AriClient
from telephony.ari.errors import AriError
from telephony.calls import notifier as ev
from telephony.calls.leg import AriCallLeg
from telephony.calls.notifier import CallNotifier
from telephony.media.live import LiveTranscription
from telephony.media.load import LiveLoad
from telephony.media.tap import CallerAudioTap

log = logging.getLogger(__name__)

CallTranscriptSink = Callable[[str, Transcript], Awaitable[None]]


@dataclass
class _LiveCall:
    leg: AriCallLeg
    tap: CallerAudioTap
    live: LiveTranscription
    task: asyncio.Task[None]


class LiveCalls:
    def __init__(
        self,
        client: AriClient,
        notifier: CallNotifier,
        engine: Callable[[], SpeechEngine | None],
        *,
        host: str,
        port_start: int,
        port_end: int,
        max_streams: int,
        keep_call_transcript: CallTranscriptSink | None = None,
        threads: DecodeThreads | None = None,
    ) -> None:
        self.client = client
        self.notifier = notifier
        self.engine = engine
        self.host = host
        self.ports = (port_start, port_end)
        self.max_streams = max_streams
        self.keep_call_transcript = keep_call_transcript
        self.threads = threads  # where the callers' speech is decoded (the process's shared pool by default)
        self.load = LiveLoad(threads, lambda: client.latency_s)  # run `load.watch()` beside the calls
        self.active: dict[str, _LiveCall] = {}
        self._by_snoop: dict[str, str] = {}
        self.refused = 0

    async def start(self, leg: AriCallLeg) -> bool:
        """Tap and decode this caller's voice; False when there is no capacity or the tap failed."""
        engine = self.engine()
        if engine is None or leg.call_id in self.active:
            return False
        if len(self.active) >= self.max_streams or self.load.full:
            self.refused += 1
            self.notifier.emit(
                leg.call_id,
                ev.MEDIA_TAP_REFUSED,
                streams=len(self.active),
                late_ms=round(self.load.late_s * 1000),
                ari_ms=round(self.client.latency_s * 1000),
                behind_s=round(self.load.behind_s, 1),
            )
            return False
        tap = CallerAudioTap(
            self.client, leg.channel_id, host=self.host, port_start=self.ports[0], port_end=self.ports[1]
        )
        try:
            receiver = await tap.start()
        except (AriError, OSError) as exc:
            self.notifier.emit(leg.call_id, ev.MEDIA_TAP_FAILED, reason=str(exc)[:200])
            return False
        live = LiveTranscription(engine, receiver, self.notifier, leg.call_id, threads=self.threads)
        leg.live = live
        task = asyncio.get_running_loop().create_task(live.run())
        self.active[leg.call_id] = _LiveCall(leg, tap, live, task)
        self._by_snoop[tap.snoop_id] = leg.call_id
        task.add_done_callback(functools.partial(self._runner_ended, leg.call_id))
        return True

    def _runner_ended(self, call_id: str, _task: asyncio.Task[None]) -> None:
        call = self.active.get(call_id)
        if call is not None and not call.task.cancelled() and call.task.exception() is not None:
            log.error("live transcription stopped: %s", call.task.exception())
            asyncio.get_running_loop().create_task(self.stop(call_id))

    def transferred(self, call_id: str) -> None:
        """The caller left the IVR for an agent: what they say now is the call itself."""
        call = self.active.get(call_id)
        if call is not None:
            asyncio.get_running_loop().create_task(call.live.restart("call"))

    def owns(self, channel_id: str) -> bool:
        """Whether this auxiliary channel is one of this process's taps (a snoop or its media)."""
        return any(channel_id in (call.tap.snoop_id, call.tap.media_id) for call in self.active.values())

    def channel_gone(self, channel_id: str) -> None:
        """An auxiliary channel ended: if it was a call's snoop, the caller is gone."""
        call_id = self._by_snoop.get(channel_id)
        if call_id is not None:
            asyncio.get_running_loop().create_task(self.stop(call_id))

    async def stop(self, call_id: str) -> None:
        call = self.active.pop(call_id, None)
        if call is None:
            return
        self._by_snoop.pop(call.tap.snoop_id, None)
        call.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await call.task
        try:
            await call.leg.end_live_message()
            rest = await call.live.close()
            live = call.live
            self.notifier.emit(
                call_id,
                ev.MEDIA_TAP_ENDED,
                heard_s=round(live.seconds_fed, 2),
                voiced_s=round(live.seconds_voiced, 2),
                decoded_s=round(live.seconds_decoded, 2),
                decode_ms=round(live.decode_s * 1000),
                packets_lost=live.receiver.stats.lost,  # gaps in the stream: the network's or Asterisk's
                packets_dropped=live.receiver.stats.dropped,  # the decoder fell behind: ours
            )
            if self.keep_call_transcript is not None and not rest.empty:
                await self.keep_call_transcript(call_id, rest)
        except Exception:
            log.exception("the end of a live transcript could not be kept")
        finally:
            call.leg.live = None
            await call.tap.stop()

    async def close(self) -> None:
        for call_id in list(self.active):
            await self.stop(call_id)
