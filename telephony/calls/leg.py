"""The IVR's `CallLeg` over ARI: play, keys, record, transfer, hang up on one channel.

Events for this channel (keys, playback and recording ends) are pushed in by the Stasis
application; each REST call that finds the channel gone raises `CallEnded`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

from asr.schemas import Transcript
from asr.text import digit_grammar, spoken_digits
from ivr.ports import SPOKE, CallEnded, RecordedMessage, ReportedCall, Say, Sound, Utterance
from telephony.ari.client import AriClient
from telephony.ari.errors import AriError, AriNotFound
from telephony.calls.audio import voiced_seconds
from telephony.calls.errors import RecordingFailed
from telephony.calls.keys import KeyBuffer
from telephony.calls.recordings import APP_PREFIX, RecordingKeeper
from telephony.calls.states import CallState
from telephony.media.live import LiveTranscription

log = logging.getLogger(__name__)

QUEUE_CONTEXT = "hotline-queue"


class PromptMedia:
    """Maps catalogue names to media URIs of the instance's sounds folder (as Asterisk sees it)."""

    def __init__(self, sounds_dir: PurePosixPath) -> None:
        self.sounds_dir = sounds_dir

    def uris(self, items: tuple[Say, ...], language: str) -> list[str]:
        uris: list[str] = []
        for item in items:
            names = [item.name] if isinstance(item, Sound) else [f"digit-{d}" for d in item.value if d.isdigit()]
            uris.extend(f"sound:{self.sounds_dir / language / name}" for name in names)
        return uris


class AriCallLeg:
    def __init__(
        self,
        client: AriClient,
        channel_id: str,
        *,
        caller_number: str,
        dialled_number: str,
        media: PromptMedia,
        keeper: RecordingKeeper,
        on_state: Callable[[CallState], None],
    ) -> None:
        self.client = client
        self.call_id = channel_id
        self.channel_id = channel_id
        self.caller_number = caller_number
        self.dialled_number = dialled_number
        self.language = "zh"
        self.media = media
        self.keeper = keeper
        self.keys = KeyBuffer()
        self._on_state = on_state
        self._playbacks: dict[str, asyncio.Future[None]] = {}
        self._recordings: dict[str, asyncio.Future[tuple[float | None, float | None]]] = {}
        self._recording_count = 0
        # live speech: started once the call is answered (by `on_answered`), if capacity allows
        self.live: LiveTranscription | None = None
        self.on_answered: Callable[[AriCallLeg], Awaitable[None]] | None = None
        # a message's live transcript goes to the keeper (name, transcript or None when it had none)
        self.on_message_transcript: Callable[[str, Transcript | None], None] | None = None
        self.on_message_started: Callable[[str], None] | None = None
        self.recording_now: str | None = None
        self._message_ending: asyncio.Task[None] | None = None

    # --- events pushed by the application --------------------------------------------------------
    def on_dtmf(self, digit: str) -> None:
        self.keys.push(digit)

    def on_playback_finished(self, playback_id: str) -> None:
        future = self._playbacks.pop(playback_id, None)
        if future is not None and not future.done():
            future.set_result(None)

    def on_recording_finished(
        self, name: str, duration: float | None, failed: bool, talking: float | None = None
    ) -> None:
        future = self._recordings.pop(name, None)
        if future is None or future.done():
            return
        if failed:
            future.set_exception(RecordingFailed(f"recording {name} failed"))
        else:
            future.set_result((duration, talking))

    async def resync(self) -> None:
        """After an event-socket gap: settle playbacks and recordings whose end we missed."""
        for playback_id in list(self._playbacks):
            try:
                await self.client.get_playback(playback_id)
            except AriNotFound:
                self.on_playback_finished(playback_id)
        for name in list(self._recordings):
            try:
                await self.client.live_recording(name)
            except AriNotFound:
                self.on_recording_finished(name, None, failed=False)  # its end was missed

    # --- CallLeg ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _channel_calls(self) -> Iterator[None]:
        try:
            yield
        except AriNotFound as exc:
            raise CallEnded(str(exc)) from exc

    async def answer(self) -> None:
        with self._channel_calls():
            await self.client.answer(self.channel_id)
        self._on_state(CallState.IN_IVR)
        if self.on_answered is not None:
            await self.on_answered(self)

    # --- speech ----------------------------------------------------------------------------------
    @property
    def hears_speech(self) -> bool:
        return self.live is not None

    async def listen(self, purpose: str, *, digits: bool = False) -> None:
        if self.live is None:
            return
        grammar = None
        if digits and self.live.engine.model.info.grammar:
            grammar = digit_grammar(self.live.language)
        await self.live.restart(purpose, grammar=grammar)

    async def next_input(self, timeout: float) -> str | Utterance | None:
        if self.live is None:
            return await self.keys.take(timeout)
        if self.keys.peek() is not None:
            return await self.keys.take(0)
        key_task = asyncio.ensure_future(self.keys.wait())
        heard_task = asyncio.ensure_future(self.live.has_heard.wait())
        try:
            await asyncio.wait({key_task, heard_task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            key_task.cancel()
            heard_task.cancel()
        if self.keys.peek() is not None:
            return await self.keys.take(0)
        heard = await self.live.next_utterance(0.01) if self.live.has_heard.is_set() else None
        if heard is None:
            return None
        return Utterance(
            heard.text,
            spoken_digits(heard.text, self.live.language),
            self.live.engine.model.info.name,
            heard.words,
            round(heard.end_s - heard.start_s, 2),
            self.live.language,
        )

    async def play(self, *items: Say, interruptible: bool = True, speech: bool = False) -> str | None:
        if interruptible and (key := self.keys.peek()) is not None:
            return key
        hearing = speech and interruptible and self.live is not None
        if hearing and self.live is not None and self.live.has_heard.is_set():
            return SPOKE
        uris = self.media.uris(items, self.language)
        if not uris:
            return None
        playback_id = uuid.uuid4().hex
        finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._playbacks[playback_id] = finished
        try:
            with self._channel_calls():
                await self.client.play(self.channel_id, uris, playback_id)
            if not interruptible:
                await finished
                return None
            key_arrived: asyncio.Future[str] = asyncio.ensure_future(self.keys.wait())
            waiters: set[asyncio.Future[Any]] = {finished, key_arrived}
            if hearing and self.live is not None:
                waiters.add(asyncio.ensure_future(self.live.has_heard.wait()))
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters - {finished}:
                    waiter.cancel()
            spoke = hearing and self.live is not None and self.live.has_heard.is_set()
            if self.keys.peek() is None and not spoke:
                return None
            with contextlib.suppress(AriNotFound):
                await self.client.stop_playback(playback_id)
            return self.keys.peek() or SPOKE
        finally:
            self._playbacks.pop(playback_id, None)

    async def next_key(self, timeout: float) -> str | None:
        return await self.keys.take(timeout)

    def clear_keys(self) -> None:
        self.keys.clear()

    async def record(self, max_duration_s: int, max_silence_s: int, meta: ReportedCall) -> RecordedMessage:
        self._recording_count += 1
        name = f"{APP_PREFIX}{self.call_id.replace('.', '-')}-{self._recording_count}"
        await self.keeper.remember(name, replace(meta, recording_name=name))
        done: asyncio.Future[tuple[float | None, float | None]] = asyncio.get_running_loop().create_future()
        self._recordings[name] = done
        self.keys.clear()
        if self.live is not None:
            await self.live.restart("message")  # the message's transcript: exactly what is said from here
            self.recording_now = name
            if self.on_message_started is not None:
                self.on_message_started(name)
        with self._channel_calls():
            await self.client.record(self.channel_id, name, max_duration_s=max_duration_s, max_silence_s=max_silence_s)
        self._on_state(CallState.RECORDING)
        started = asyncio.get_running_loop().time()
        duration, _talking = await done
        await self.end_live_message()
        if duration is None:
            duration = asyncio.get_running_loop().time() - started
        self._on_state(CallState.IN_IVR)
        self.keys.clear()
        return RecordedMessage(name=name, duration_s=float(duration), voiced_s=await self._voiced(name))

    async def end_live_message(self) -> None:
        """The message being recorded has ended (or the caller hung up): its live transcript,
        complete now, goes to the keeper with the recording."""
        if self.recording_now is None or self.live is None:
            return
        if self._message_ending is None:
            # its own task: a hangup cancelling the flow must not cut the hand-over in half
            self._message_ending = asyncio.get_running_loop().create_task(
                self._hand_over(self.recording_now, self.live)
            )
        await asyncio.shield(self._message_ending)

    async def _hand_over(self, name: str, live: LiveTranscription) -> None:
        transcript: Transcript | None = None
        try:
            transcript = await live.restart("call")
        finally:
            self.recording_now, self._message_ending = None, None
            if self.on_message_transcript is not None:
                self.on_message_transcript(name, transcript)

    async def _voiced(self, name: str) -> float | None:
        """Seconds of voice in the stored message (Asterisk's own talking time is not reliable
        once it trims the trailing silence); None if it cannot be read."""
        try:
            audio = await self.client.fetch_recording(name)
        except AriError:
            return None
        return await asyncio.to_thread(voiced_seconds, audio)

    async def transfer_to_queue(self, queue: str, ivr_path: tuple[str, ...]) -> None:
        with self._channel_calls():
            await self.client.set_channel_variable(self.channel_id, "HL_IVR_PATH", ">".join(ivr_path))
            await self.client.set_channel_variable(self.channel_id, "HL_CALL_ID", self.call_id)
            # the state first: the channel's StasisEnd can arrive before `continue` has answered
            self._on_state(CallState.TRANSFERRED)
            try:
                await self.client.continue_in_dialplan(self.channel_id, QUEUE_CONTEXT, queue)
            except AriError:
                self._on_state(CallState.IN_IVR)  # still ours (a cancellation means it has left)
                raise

    async def hangup(self) -> None:
        with contextlib.suppress(AriNotFound):
            await self.client.hangup(self.channel_id)
