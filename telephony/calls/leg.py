"""The IVR's `CallLeg` over ARI: play, keys, record, transfer, hang up on one channel.

Events for this channel (keys, playback and recording ends) are pushed in by the Stasis
application; each REST call that finds the channel gone raises `CallEnded`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

from ivr.ports import CallEnded, RecordedMessage, ReportedCall, Say, Sound
from telephony.ari.client import AriClient
from telephony.ari.errors import AriError, AriNotFound
from telephony.calls.audio import voiced_seconds
from telephony.calls.errors import RecordingFailed
from telephony.calls.keys import KeyBuffer
from telephony.calls.recordings import APP_PREFIX, RecordingKeeper
from telephony.calls.states import CallState

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

    async def play(self, *items: Say, interruptible: bool = True) -> str | None:
        if interruptible and (key := self.keys.peek()) is not None:
            return key
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
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                key_arrived.cancel()
            if self.keys.peek() is None:
                return None
            with contextlib.suppress(AriNotFound):
                await self.client.stop_playback(playback_id)
            return self.keys.peek()
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
        with self._channel_calls():
            await self.client.record(self.channel_id, name, max_duration_s=max_duration_s, max_silence_s=max_silence_s)
        self._on_state(CallState.RECORDING)
        started = asyncio.get_running_loop().time()
        duration, _talking = await done
        if duration is None:
            duration = asyncio.get_running_loop().time() - started
        self._on_state(CallState.IN_IVR)
        self.keys.clear()
        return RecordedMessage(name=name, duration_s=float(duration), voiced_s=await self._voiced(name))

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
            except BaseException:
                self._on_state(CallState.IN_IVR)
                raise

    async def hangup(self) -> None:
        with contextlib.suppress(AriNotFound):
            await self.client.hangup(self.channel_id)
