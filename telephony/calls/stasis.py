"""The Stasis application `hotline`: ARI events in, sessions and legs driven.

Dispatch is on the first Stasis argument, as the dialplan sets it:
`Stasis(hotline,incoming,<dialled number>)` starts the IVR for that number; a caller leaving a
queue comes back with (queue-message, <number>, <why>) to leave a message or (queue-callback,
<number>, <queue>) to be called back when an agent is free. A call the
platform placed itself (`OutboundCalls`) arrives answered with (callback, <callback id>) and runs
the `callback` flow instead. Snoop and externalMedia channels raise StasisStart too and are
never treated as callers.

After every (re)connection of the event socket the application resynchronises: calls whose
channel vanished end, playbacks and recordings whose end was missed are settled, channels
waiting in Stasis that no session owns (this process restarted) are adopted, and messages
recorded meanwhile (by the dialplan fallback) are ingested.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from asr.schemas import Transcript
from common.privacy import mask_number
from ivr.messages import MessageStage
from ivr.ports import Resumption
from telephony.ari.client import AriClient
from telephony.ari.errors import AriError
from telephony.ari.events import (
    AriEvent,
    Channel,
    ChannelDestroyed,
    ChannelDtmfReceived,
    ChannelHangupRequest,
    ChannelTalkingFinished,
    ChannelTalkingStarted,
    PlaybackFinished,
    RecordingFailed,
    RecordingFinished,
    StasisEnd,
    StasisStart,
)
from telephony.ari.socket import AriEventSocket
from telephony.calls import notifier as ev
from telephony.calls.leg import AriCallLeg, PromptMedia
from telephony.calls.notifier import CallNotifier
from telephony.calls.outbound import OutboundCalls
from telephony.calls.recordings import RecordingKeeper
from telephony.calls.session import CallSession, FlowRunner
from telephony.calls.states import CallState
from telephony.calls.tape import TAPE_PURPOSE
from telephony.media.calls import LiveCalls

log = logging.getLogger(__name__)

SWEEP_INTERVAL_S = 30.0
LIVE_TRANSCRIPT_WAIT_S = 20.0  # a stream running behind still finishes sooner than a decode of the file


# the first Stasis arguments of callers (adopted after a restart of this application)
CALLERS = (("incoming",), ("queue-message",), ("queue-callback",))


class StasisApp:
    def __init__(
        self,
        client: AriClient,
        socket: AriEventSocket,
        *,
        incoming: FlowRunner,
        queue_message: Callable[[CallSession, str], Awaitable[str]] | None = None,
        queue_callback: Callable[[CallSession, str], Awaitable[str]] | None = None,
        resume: Callable[[CallSession, Resumption], Awaitable[str]] | None = None,
        record_max_s: int = 120,
        keeper: RecordingKeeper,
        notifier: CallNotifier,
        media: PromptMedia,
        live: LiveCalls | None = None,
        outbound: OutboundCalls | None = None,
        callback: FlowRunner | None = None,
    ) -> None:
        self.client = client
        self.socket = socket
        self.incoming = incoming
        self.queue_message = queue_message
        self.queue_callback = queue_callback  # a caller in a queue asked to be called back
        self.resume = resume
        self.record_max_s = record_max_s
        self.sweep_interval_s = SWEEP_INTERVAL_S  # how often recordings nobody finished are looked for
        self.keeper = keeper
        self.notifier = notifier
        self.media = media
        self.live = live
        self.outbound = outbound
        self.callback = callback
        self.sessions: dict[str, CallSession] = {}
        self._live_messages: dict[str, asyncio.Future[Transcript | None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.ready = asyncio.Event()

    # --- running ---------------------------------------------------------------------------------
    async def run(self) -> None:
        """Serve until cancelled; then end every session."""
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self.socket.run(self.on_event, self._on_connected, self._on_disconnected))
                group.create_task(self._sweep_forever())
        finally:
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            if self.live is not None:
                await self.live.close()

    def _track(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval_s)
            if self.socket.connected.is_set():
                await self.keeper.sweep()

    # --- connection ------------------------------------------------------------------------------
    async def _on_connected(self) -> None:
        self.notifier.emit("-", ev.ARI_CONNECTED, connection=self.socket.connections)
        try:
            await self.resync()
        except AriError as exc:
            log.warning("resync after connecting failed: %s", exc)
        self.ready.set()
        self._track(self.keeper.sweep())

    async def _on_disconnected(self) -> None:
        self.ready.clear()
        self.notifier.emit("-", ev.ARI_DISCONNECTED)

    async def resync(self) -> None:
        channels = await self.client.list_channels()
        present = {str(c.get("id")) for c in channels}
        for channel_id, session in list(self.sessions.items()):
            if channel_id not in present:
                session.gone("vanished while the event socket was down")
            else:
                await session.leg.resync()
        for raw in channels:
            channel = Channel.from_json(raw)
            if channel.is_auxiliary and (aux_args := _stasis_args(channel, self.client.app)) is not None:
                if aux_args[:1] == (TAPE_PURPOSE,):
                    continue  # a caller's words being recorded: the recording keeper sees to it
                if self.live is None or not self.live.owns(channel.id):
                    # a tap of a process that died: its audio goes nowhere, and it would live on
                    log.info("ending %s left by a previous process", channel.id)
                    self._track(self._hangup_quietly(channel.id))
                continue
            if channel.id in self.sessions:
                continue
            args = _stasis_args(channel, self.client.app)
            if args is not None and args[:1] in CALLERS and len(args) >= 2:
                log.info("adopting call %s waiting in Stasis (application restarted)", channel.id)
                self._adopt(channel, args)
            elif args is not None and args[:1] == ("callback",) and channel.state == "Up":
                # a callback whose placing process is gone: nobody knows what it was for any more
                log.info("ending callback %s left in Stasis (application restarted)", channel.id)
                self._track(self._hangup_quietly(channel.id))

    def _adopt(self, channel: Channel, args: tuple[str, ...]) -> None:
        """A caller the previous process was serving when it died. What it knew is gone; what
        Asterisk kept is not: the caller's words still being recorded (and why), or their message
        already recorded. The flow resumes from that (see `HotlineFlow.resume`). Without a resume
        runner, the menu starts again."""
        runner = self.resume
        language = channel.language or "zh"

        async def adopted(session: CallSession) -> str:
            if runner is None:
                return await self.incoming(session)
            session.leg.language = language
            found = await self.keeper.tape_in_progress(session.call_id)
            if found is not None:
                name, facts = found
                log.info("the caller's words are still being recorded on %s (%s, %s)", name, facts.kind, facts.stage)
                await self.keeper.remember(name, facts)
                session.leg.adopt_tape(name, facts)
                where = Resumption(
                    facts.kind,
                    facts.stage != MessageStage.WORDS,
                    None,
                    facts.report.started_at,
                    facts.report.ivr_path,
                )
            else:
                number = await self.keeper.settle(session.call_id)
                where = Resumption(None, False, number)
            return await runner(session, where)

        self._start_session(channel, args, resumed=True, flow=adopted, live=False)

    # --- events ----------------------------------------------------------------------------------
    async def on_event(self, event: AriEvent) -> None:
        match event:
            case StasisStart(channel=channel, args=args):
                if channel.is_auxiliary:
                    return
                if channel.id in self.sessions:
                    return
                if args[:1] == ("incoming",) and len(args) >= 2:
                    self._start_session(channel, args, resumed=False)
                elif args[:1] == ("queue-message",) and len(args) >= 2 and self.queue_message is not None:
                    # back from a queue for a message; its live tap (if any) is still running
                    prompt = args[2] if len(args) > 2 else "no-agent"
                    flow = _in_language(channel.language, self.queue_message, prompt)
                    self._start_session(channel, args, resumed=False, flow=flow, live=False)
                elif args[:1] == ("queue-callback",) and len(args) >= 3 and self.queue_callback is not None:
                    # key 2 in a queue: keep my place (args: the line, the queue)
                    flow = _in_language(channel.language, self.queue_callback, args[2])
                    self._start_session(channel, args, resumed=False, flow=flow, live=False)
                elif args[:1] == ("callback",) and (placed := self._placed(channel.id)) is not None:
                    self._start_callback(channel, *placed)
                else:
                    self.notifier.emit(channel.id, ev.CALL_UNKNOWN_ARGS, args=",".join(args))
                    self._track(self._hangup_quietly(channel.id))
            case ChannelDtmfReceived(channel=channel, digit=digit):
                if session := self.sessions.get(channel.id):
                    session.leg.on_dtmf(digit)
            case ChannelTalkingStarted(channel=channel) | ChannelTalkingFinished(channel=channel):
                if session := self.sessions.get(channel.id):
                    session.leg.on_talking(isinstance(event, ChannelTalkingStarted))
            case PlaybackFinished(playback_id=playback_id, target_uri=target):
                if session := self.sessions.get(_target_channel(target)):
                    session.leg.on_playback_finished(playback_id)
            case RecordingFinished() | RecordingFailed():
                self._on_recording_done(event)
            case StasisEnd(channel=channel):
                if channel.is_auxiliary and self.live is not None:
                    self.live.channel_gone(channel.id)
                if session := self.sessions.get(channel.id):
                    session.leg.hung_up = session.leg.hung_up or session.state != CallState.TRANSFERRED
                    session.gone("left Stasis")
            case ChannelHangupRequest(channel=channel) | ChannelDestroyed(channel=channel):
                if isinstance(event, ChannelDestroyed) and self.outbound is not None:
                    self.outbound.destroyed(channel.id, event.cause, event.cause_txt)
                if channel.is_auxiliary and self.live is not None:
                    self.live.channel_gone(channel.id)
                if session := self.sessions.get(channel.id):
                    session.leg.hung_up = True
                    session.gone("hung up")
            case _:
                pass

    def _on_recording_done(self, event: RecordingFinished | RecordingFailed) -> None:
        failed = isinstance(event, RecordingFailed)
        facts = self.keeper.facts_of(event.name)  # a tape: its call, even once the caller has gone
        call_id = facts.report.call_id if facts is not None else _target_channel(event.target_uri)
        for session in list(self.sessions.values()):
            if session.leg.owns_recording(event.name):
                session.leg.on_recording_finished(event.name, event.duration, failed, event.cause)
                call_id = session.call_id
        self.notifier.emit(
            call_id,
            ev.RECORDING_FINISHED,
            name=event.name,
            duration_s=event.duration,
            failed=failed,
            cause=event.cause,
        )
        self._track(self._finish_recording(event.name))

    async def _finish_recording(self, name: str) -> None:
        try:
            await self.keeper.mark_done(name)
        except AriError as exc:
            log.warning("could not mark recording %s complete (the sweep will): %s", name, exc)
            return
        live: Transcript | None = None
        waiting = self._live_messages.get(name)
        if waiting is not None:
            # the live transcript of this message completes as the recording ends: wait a moment
            try:
                live = await asyncio.wait_for(asyncio.shield(waiting), LIVE_TRANSCRIPT_WAIT_S)
            except TimeoutError:
                log.warning("live transcript of %s did not complete; the recording will be transcribed", name)
            self._live_messages.pop(name, None)
        await self.keeper.ingest(name, live=live)

    def _tape_lost(self, name: str) -> None:
        """A tape that could not begin: the keeper makes of its facts what they say (a case to call back)."""
        self._track(self._finish_recording(name))

    def _message_started(self, name: str) -> None:
        self._live_messages[name] = asyncio.get_running_loop().create_future()

    def _message_transcript(self, name: str, transcript: Transcript | None) -> None:
        future = self._live_messages.get(name)
        if future is not None and not future.done():
            future.set_result(transcript)

    def _placed(self, channel_id: str) -> tuple[str, str, FlowRunner] | None:
        """(number called, our line, flow) of a call this platform placed, if it is one."""
        request = self.outbound.request_of(channel_id) if self.outbound is not None else None
        if request is None or self.callback is None:
            return None
        return request.number, request.caller_id, self.callback

    def _start_callback(self, channel: Channel, number: str, line: str, flow: FlowRunner) -> None:
        """An answered callback: the citizen is the far end, our line is the "dialled" number."""
        if self.outbound is not None:
            self.outbound.answered(channel.id)
        self._start_session(channel, ("callback", line), resumed=False, caller=number, flow=flow, live=False)

    def _start_session(
        self,
        channel: Channel,
        args: tuple[str, ...],
        *,
        resumed: bool,
        caller: str | None = None,
        flow: FlowRunner | None = None,
        live: bool = True,
    ) -> None:
        leg = AriCallLeg(
            self.client,
            channel.id,
            caller_number=channel.caller_number if caller is None else caller,
            dialled_number=args[1],
            media=self.media,
            keeper=self.keeper,
            on_state=lambda state: session.set_state(state),
            on_tape_lost=self._tape_lost,
            record_max_s=self.record_max_s,
        )
        session = CallSession(leg, self.notifier, resumed=resumed)
        leg.on_message_started = self._message_started
        leg.on_message_transcript = self._message_transcript
        if self.live is not None and live:
            leg.ask_live = self._start_live
        self.sessions[channel.id] = session
        log.info("call %s %s, line %s", args[0], mask_number(leg.caller_number), args[1])
        self._track(self._run_session(session, flow or self.incoming))

    async def _start_live(self, leg: AriCallLeg) -> None:
        if self.live is not None:
            await self.live.start(leg)

    async def _run_session(self, session: CallSession, flow: FlowRunner) -> None:
        try:
            await session.run(flow)
        finally:
            self.sessions.pop(session.call_id, None)
            if self.outbound is not None:
                self.outbound.finished(session.call_id, session.outcome)
            if self.live is not None and session.state == CallState.TRANSFERRED:
                self.live.transferred(session.call_id)  # transferred callers stay tapped for the agent
            elif self.live is not None:
                await self.live.stop(session.call_id)

    async def _hangup_quietly(self, channel_id: str) -> None:
        with contextlib.suppress(AriError):
            await self.client.hangup(channel_id)


def _in_language(language: str, runner: Callable[[CallSession, str], Awaitable[str]], arg: str) -> FlowRunner:
    """A caller back from a queue goes on in the language they chose in the menu (the channel's,
    which the IVR set before the queue; "" lets the flow take its line's)."""

    async def run(session: CallSession) -> str:
        session.leg.language = language or ""
        return await runner(session, arg)

    return run


def _target_channel(target_uri: str) -> str:
    return target_uri.split(":", 1)[1] if target_uri.startswith("channel:") else ""


def _stasis_args(channel: Channel, app: str) -> tuple[str, ...] | None:
    parts = channel.app_data.split(",")
    if not parts or parts[0] != app:
        return None
    return tuple(parts[1:])
